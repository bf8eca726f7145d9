//! The builtin ABI types: their names, binary forms and nodeos-compatible JSON forms.
//!
//! Conversions return a bare reason; the caller prefixes the value path.

use std::fmt::Display;
use std::str::FromStr;

use civitas_protocol::codec::write_varuint32;
use civitas_protocol::{
    Asset, BlockTimestamp, Checksum160, Checksum256, Checksum512, Name, Pack, PublicKey, Reader, Signature, Symbol,
    SymbolCode, TimePoint, TimePointSec, Unpack,
};
use serde_json::{Map, Value};

use crate::numbers::{
    describe, f32_to_json, f64_to_json, json_to_bool, json_to_f32, json_to_f64, json_to_signed, json_to_unsigned,
    signed_to_json, unsigned_to_json,
};

/// A type every ABI understands without defining it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    Bool,
    Int8,
    Uint8,
    Int16,
    Uint16,
    Int32,
    Uint32,
    Int64,
    Uint64,
    Int128,
    Uint128,
    VarInt32,
    VarUint32,
    Float32,
    Float64,
    Float128,
    TimePoint,
    TimePointSec,
    BlockTimestamp,
    Name,
    Bytes,
    String,
    Checksum160,
    Checksum256,
    Checksum512,
    PublicKey,
    Signature,
    Symbol,
    SymbolCode,
    Asset,
    ExtendedAsset,
}

/// Every builtin with its ABI name.
pub(crate) const BUILTINS: [(Builtin, &str); 31] = [
    (Builtin::Bool, "bool"),
    (Builtin::Int8, "int8"),
    (Builtin::Uint8, "uint8"),
    (Builtin::Int16, "int16"),
    (Builtin::Uint16, "uint16"),
    (Builtin::Int32, "int32"),
    (Builtin::Uint32, "uint32"),
    (Builtin::Int64, "int64"),
    (Builtin::Uint64, "uint64"),
    (Builtin::Int128, "int128"),
    (Builtin::Uint128, "uint128"),
    (Builtin::VarInt32, "varint32"),
    (Builtin::VarUint32, "varuint32"),
    (Builtin::Float32, "float32"),
    (Builtin::Float64, "float64"),
    (Builtin::Float128, "float128"),
    (Builtin::TimePoint, "time_point"),
    (Builtin::TimePointSec, "time_point_sec"),
    (Builtin::BlockTimestamp, "block_timestamp_type"),
    (Builtin::Name, "name"),
    (Builtin::Bytes, "bytes"),
    (Builtin::String, "string"),
    (Builtin::Checksum160, "checksum160"),
    (Builtin::Checksum256, "checksum256"),
    (Builtin::Checksum512, "checksum512"),
    (Builtin::PublicKey, "public_key"),
    (Builtin::Signature, "signature"),
    (Builtin::Symbol, "symbol"),
    (Builtin::SymbolCode, "symbol_code"),
    (Builtin::Asset, "asset"),
    (Builtin::ExtendedAsset, "extended_asset"),
];

fn codec_reason(e: civitas_protocol::CodecError) -> String {
    e.to_string()
}

/// Decodes with the protocol crate's codec and writes the value's text form.
fn text<T: Unpack + Display>(r: &mut Reader<'_>) -> Result<Value, String> {
    Ok(Value::String(T::unpack(r).map_err(codec_reason)?.to_string()))
}

/// Parses a text form and appends its binary encoding.
fn parse_text<T: FromStr + Pack>(v: &Value, what: &str, out: &mut Vec<u8>) -> Result<(), String>
where
    T::Err: Display,
{
    let s = v.as_str().ok_or_else(|| format!("expected {what} string, found {}", describe(v)))?;
    s.parse::<T>().map_err(|e| e.to_string())?.pack(out);
    Ok(())
}

/// Reads hex of exactly `N` bytes in either case.
fn parse_hex_fixed<const N: usize>(v: &Value, what: &str) -> Result<[u8; N], String> {
    let s = v.as_str().ok_or_else(|| format!("expected {what} hex string, found {}", describe(v)))?;
    let mut out = [0u8; N];
    if s.len() != 2 * N {
        return Err(format!("invalid {what} {}: expected {} hex digits", describe(v), 2 * N));
    }
    hex::decode_to_slice(s, &mut out).map_err(|e| format!("invalid {what} {}: {e}", describe(v)))?;
    Ok(out)
}

fn zigzag_decode(v: u32) -> i32 {
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

fn zigzag_encode(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

impl Builtin {
    /// Looks a builtin up by ABI name.
    #[cfg(test)]
    pub(crate) fn from_name(name: &str) -> Option<Builtin> {
        BUILTINS.iter().find(|(_, n)| *n == name).map(|(b, _)| *b)
    }

    /// The ABI name.
    pub(crate) fn name(self) -> &'static str {
        BUILTINS.iter().find(|(b, _)| *b == self).map_or("?", |(_, n)| n)
    }

    /// What a JSON value of this type looks like, for error messages.
    pub(crate) fn expected(self) -> String {
        use Builtin::*;
        let name = self.name();
        match self {
            Bool => "bool (true/false or 1/0)".into(),
            Int8 | Uint8 | Int16 | Uint16 | Int32 | Uint32 | Int64 | Uint64 | Int128 | Uint128 | VarInt32
            | VarUint32 => format!("{name} (number or decimal string)"),
            Float32 | Float64 => format!("{name} (number or string)"),
            Float128 | Bytes | Checksum160 | Checksum256 | Checksum512 => format!("{name} hex string"),
            String => "string".into(),
            ExtendedAsset => "extended_asset object {quantity, contract}".into(),
            TimePoint | TimePointSec | BlockTimestamp | Name | PublicKey | Signature | Symbol | SymbolCode | Asset => {
                format!("{name} string")
            }
        }
    }

    /// The fewest bytes an encoding takes, used to reject impossible array lengths early.
    pub(crate) fn min_size(self) -> usize {
        use Builtin::*;
        match self {
            Bool | Int8 | Uint8 | VarInt32 | VarUint32 | Bytes | String => 1,
            Int16 | Uint16 => 2,
            Int32 | Uint32 | Float32 | TimePointSec | BlockTimestamp => 4,
            Int64 | Uint64 | Float64 | TimePoint | Name | Symbol | SymbolCode => 8,
            Int128 | Uint128 | Float128 | Asset => 16,
            Checksum160 => 20,
            ExtendedAsset => 24,
            Checksum256 => 32,
            PublicKey => 34,
            Checksum512 => 64,
            Signature => 66,
        }
    }

    /// Decodes one value to its JSON form.
    pub(crate) fn decode(self, r: &mut Reader<'_>) -> Result<Value, String> {
        use Builtin as B;
        let e = codec_reason;
        Ok(match self {
            B::Bool => Value::Bool(bool::unpack(r).map_err(e)?),
            B::Int8 => Value::from(i8::unpack(r).map_err(e)?),
            B::Uint8 => Value::from(u8::unpack(r).map_err(e)?),
            B::Int16 => Value::from(i16::unpack(r).map_err(e)?),
            B::Uint16 => Value::from(u16::unpack(r).map_err(e)?),
            B::Int32 => Value::from(i32::unpack(r).map_err(e)?),
            B::Uint32 => Value::from(u32::unpack(r).map_err(e)?),
            B::Int64 => signed_to_json(i128::from(i64::unpack(r).map_err(e)?)),
            B::Uint64 => unsigned_to_json(u128::from(u64::unpack(r).map_err(e)?)),
            B::Int128 => signed_to_json(i128::unpack(r).map_err(e)?),
            B::Uint128 => unsigned_to_json(u128::unpack(r).map_err(e)?),
            B::VarInt32 => Value::from(zigzag_decode(r.varuint32().map_err(e)?)),
            B::VarUint32 => Value::from(r.varuint32().map_err(e)?),
            B::Float32 => f32_to_json(f32::unpack(r).map_err(e)?),
            B::Float64 => f64_to_json(f64::unpack(r).map_err(e)?),
            B::Float128 => Value::String(hex::encode(r.take(16).map_err(e)?)),
            B::TimePoint => text::<TimePoint>(r)?,
            B::TimePointSec => text::<TimePointSec>(r)?,
            B::BlockTimestamp => text::<BlockTimestamp>(r)?,
            B::Name => text::<Name>(r)?,
            B::Bytes => Value::String(hex::encode(r.bytes().map_err(e)?)),
            B::String => Value::String(std::string::String::unpack(r).map_err(e)?),
            B::Checksum160 => text::<Checksum160>(r)?,
            B::Checksum256 => text::<Checksum256>(r)?,
            B::Checksum512 => text::<Checksum512>(r)?,
            B::PublicKey => text::<PublicKey>(r)?,
            B::Signature => text::<Signature>(r)?,
            B::Symbol => text::<Symbol>(r)?,
            B::SymbolCode => text::<SymbolCode>(r)?,
            B::Asset => text::<Asset>(r)?,
            B::ExtendedAsset => {
                let mut m = Map::new();
                m.insert("quantity".into(), text::<Asset>(r)?);
                m.insert("contract".into(), text::<Name>(r)?);
                Value::Object(m)
            }
        })
    }

    /// Encodes a JSON value, appending to `out`.
    pub(crate) fn encode(self, v: &Value, out: &mut Vec<u8>) -> Result<(), String> {
        use Builtin as B;
        let name = self.name();
        let signed = |min: i128, max: i128| json_to_signed(v, name, min, max);
        let unsigned = |max: u128| json_to_unsigned(v, name, max);
        // Each narrowing below is exact: the range was checked by the call it follows.
        match self {
            B::Bool => json_to_bool(v)?.pack(out),
            B::Int8 => (signed(i8::MIN.into(), i8::MAX.into())? as i8).pack(out),
            B::Uint8 => (unsigned(u8::MAX.into())? as u8).pack(out),
            B::Int16 => (signed(i16::MIN.into(), i16::MAX.into())? as i16).pack(out),
            B::Uint16 => (unsigned(u16::MAX.into())? as u16).pack(out),
            B::Int32 => (signed(i32::MIN.into(), i32::MAX.into())? as i32).pack(out),
            B::Uint32 => (unsigned(u32::MAX.into())? as u32).pack(out),
            B::Int64 => (signed(i64::MIN.into(), i64::MAX.into())? as i64).pack(out),
            B::Uint64 => (unsigned(u64::MAX.into())? as u64).pack(out),
            B::Int128 => signed(i128::MIN, i128::MAX)?.pack(out),
            B::Uint128 => unsigned(u128::MAX)?.pack(out),
            B::VarInt32 => write_varuint32(out, zigzag_encode(signed(i32::MIN.into(), i32::MAX.into())? as i32)),
            B::VarUint32 => write_varuint32(out, unsigned(u32::MAX.into())? as u32),
            B::Float32 => json_to_f32(v)?.pack(out),
            B::Float64 => json_to_f64(v)?.pack(out),
            B::Float128 => {
                // nodeos writes float128 as "0x" + hex; eosjs and Wharfkit write bare hex.
                let bare = v.as_str().and_then(|s| s.strip_prefix("0x")).map(Value::from);
                out.extend_from_slice(&parse_hex_fixed::<16>(bare.as_ref().unwrap_or(v), name)?)
            }
            B::TimePoint => parse_text::<TimePoint>(v, name, out)?,
            B::TimePointSec => parse_text::<TimePointSec>(v, name, out)?,
            B::BlockTimestamp => parse_text::<BlockTimestamp>(v, name, out)?,
            B::Name => parse_text::<Name>(v, name, out)?,
            B::Bytes => {
                let s = v.as_str().ok_or_else(|| format!("expected bytes hex string, found {}", describe(v)))?;
                let bytes = hex::decode(s).map_err(|e| format!("invalid bytes {}: {e}", describe(v)))?;
                let len = u32::try_from(bytes.len()).map_err(|_| "bytes longer than 2^32-1".to_string())?;
                write_varuint32(out, len);
                out.extend_from_slice(&bytes);
            }
            B::String => {
                let s = v.as_str().ok_or_else(|| format!("expected string, found {}", describe(v)))?;
                let len = u32::try_from(s.len()).map_err(|_| "string longer than 2^32-1 bytes".to_string())?;
                write_varuint32(out, len);
                out.extend_from_slice(s.as_bytes());
            }
            B::Checksum160 => out.extend_from_slice(&parse_hex_fixed::<20>(v, name)?),
            B::Checksum256 => out.extend_from_slice(&parse_hex_fixed::<32>(v, name)?),
            B::Checksum512 => out.extend_from_slice(&parse_hex_fixed::<64>(v, name)?),
            B::PublicKey => parse_text::<PublicKey>(v, name, out)?,
            B::Signature => parse_text::<Signature>(v, name, out)?,
            B::Symbol => parse_text::<Symbol>(v, name, out)?,
            B::SymbolCode => parse_text::<SymbolCode>(v, name, out)?,
            B::Asset => parse_text::<Asset>(v, name, out)?,
            B::ExtendedAsset => {
                let m = v.as_object().ok_or_else(|| {
                    format!("expected extended_asset object {{quantity, contract}}, found {}", describe(v))
                })?;
                for (key, what) in [("quantity", "asset"), ("contract", "name")] {
                    let field = m.get(key).ok_or_else(|| format!("extended_asset is missing {key}"))?;
                    let r = if key == "quantity" {
                        parse_text::<Asset>(field, what, out)
                    } else {
                        parse_text::<Name>(field, what, out)
                    };
                    r.map_err(|e| format!("{key}: {e}"))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(b: Builtin, v: Value) -> Vec<u8> {
        let mut out = Vec::new();
        b.encode(&v, &mut out).unwrap_or_else(|e| panic!("{} {v}: {e}", b.name()));
        let mut r = Reader::new(&out);
        let back = b.decode(&mut r).unwrap();
        assert_eq!(r.remaining(), 0, "{}", b.name());
        assert_eq!(back, v, "{}", b.name());
        assert!(out.len() >= b.min_size(), "{}", b.name());
        out
    }

    #[test]
    fn names_are_unique_and_invertible() {
        for (b, n) in BUILTINS {
            assert_eq!(Builtin::from_name(n), Some(b));
            assert_eq!(b.name(), n);
        }
        assert_eq!(Builtin::from_name("uint256"), None);
    }

    #[test]
    fn every_builtin_round_trips() {
        let key = civitas_protocol::PrivateKey::from_seed("abi");
        let sig = key.sign(&civitas_protocol::sha256(b"abi"));
        let cases: Vec<(Builtin, Value, &str)> = vec![
            (Builtin::Bool, json!(true), "01"),
            (Builtin::Int8, json!(-2), "fe"),
            (Builtin::Uint8, json!(255), "ff"),
            (Builtin::Int16, json!(-300), "d4fe"),
            (Builtin::Uint16, json!(65535), "ffff"),
            (Builtin::Int32, json!(i32::MIN), "00000080"),
            (Builtin::Uint32, json!(u32::MAX), "ffffffff"),
            (Builtin::Int64, json!("-4294967296"), "00000000ffffffff"),
            (Builtin::Int64, json!(-5), "fbffffffffffffff"),
            (Builtin::Uint64, json!("18446744073709551615"), "ffffffffffffffff"),
            (Builtin::Uint64, json!(4294967295u32), "ffffffff00000000"),
            (Builtin::Int128, json!("-170141183460469231731687303715884105728"), "00000000000000000000000000000080"),
            (Builtin::Uint128, json!(1), "01000000000000000000000000000000"),
            (Builtin::VarInt32, json!(-1), "01"),
            (Builtin::VarInt32, json!(64), "8001"),
            (Builtin::VarUint32, json!(300), "ac02"),
            (Builtin::Float32, json!("1.5"), "0000c03f"),
            (Builtin::Float64, json!("-0.25"), "000000000000d0bf"),
            (Builtin::Float128, json!("000102030405060708090a0b0c0d0e0f"), "000102030405060708090a0b0c0d0e0f"),
            (Builtin::TimePoint, json!("2024-01-01T00:00:00.500"), "20c12810d70d0600"),
            (Builtin::TimePointSec, json!("2024-01-01T00:00:30"), "9e009265"),
            (Builtin::BlockTimestamp, json!("2000-01-01T00:00:01.500"), "03000000"),
            (Builtin::Name, json!("eosio.token"), "00a6823403ea3055"),
            (Builtin::Name, json!(""), "0000000000000000"),
            (Builtin::Bytes, json!("00ff10"), "0300ff10"),
            (Builtin::String, json!("hi"), "026869"),
            (Builtin::Checksum160, json!("11".repeat(20)), ""),
            (Builtin::Checksum256, json!("ab".repeat(32)), ""),
            (Builtin::Checksum512, json!("cd".repeat(64)), ""),
            (Builtin::PublicKey, json!(key.public_key().to_string()), ""),
            (Builtin::Signature, json!(sig.to_string()), ""),
            (Builtin::Symbol, json!("4,EOS"), "04454f5300000000"),
            (Builtin::SymbolCode, json!("EOS"), "454f530000000000"),
            (Builtin::Asset, json!("1.0000 EOS"), "102700000000000004454f5300000000"),
            (
                Builtin::ExtendedAsset,
                json!({"quantity": "-0.5 CIV", "contract": "eosio.token"}),
                "fbffffffffffffff014349560000000000a6823403ea3055",
            ),
        ];
        let mut seen = Vec::new();
        for (b, v, hex_expected) in cases {
            let out = round_trip(b, v);
            if !hex_expected.is_empty() {
                assert_eq!(hex::encode(&out), hex_expected, "{}", b.name());
            }
            seen.push(b);
        }
        for (b, n) in BUILTINS {
            assert!(seen.contains(&b), "{n} not covered");
        }
    }

    #[test]
    fn lenient_input_forms() {
        let enc = |b: Builtin, v: Value| {
            let mut out = Vec::new();
            b.encode(&v, &mut out).map(|_| hex::encode(out))
        };
        assert_eq!(enc(Builtin::Checksum160, json!("AB".repeat(20))), Ok("ab".repeat(20)));
        assert_eq!(enc(Builtin::Bytes, json!("0A0b")), Ok("020a0b".into()));
        assert_eq!(enc(Builtin::Bool, json!(0)), Ok("00".into()));
        assert_eq!(enc(Builtin::Float128, json!(format!("0x{}", "0A".repeat(16)))), Ok("0a".repeat(16)));
        assert_eq!(enc(Builtin::Uint64, json!("5")), Ok("0500000000000000".into()));
        assert_eq!(enc(Builtin::Float64, json!(1)), Ok("000000000000f03f".into()));
        assert_eq!(enc(Builtin::TimePointSec, json!("2024-01-01T00:00:30Z")), Ok("9e009265".into()));
        assert_eq!(
            enc(Builtin::PublicKey, json!("EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV")),
            enc(Builtin::PublicKey, json!("PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63"))
        );
    }

    #[test]
    fn wrong_json_is_rejected_with_a_reason() {
        let err = |b: Builtin, v: Value| b.encode(&v, &mut Vec::new()).unwrap_err();
        assert_eq!(err(Builtin::Asset, json!(5)), "expected asset string, found number 5");
        assert!(err(Builtin::Name, json!("Bob")).starts_with("invalid name \"Bob\""));
        assert!(err(Builtin::Uint8, json!(256)).contains("out of range"));
        assert!(err(Builtin::Checksum256, json!("abcd")).contains("64 hex digits"));
        assert!(err(Builtin::Bytes, json!("abc")).contains("invalid bytes"));
        assert!(err(Builtin::Float128, json!(1)).contains("hex string"));
        assert!(err(Builtin::String, json!(null)).contains("expected string"));
        assert!(err(Builtin::ExtendedAsset, json!({"quantity": "1 EOS"})).contains("missing contract"));
        assert!(err(Builtin::ExtendedAsset, json!({"quantity": 1, "contract": "a"})).starts_with("quantity:"));
        assert!(err(Builtin::VarInt32, json!(i64::from(i32::MAX) + 1)).contains("out of range"));
        assert!(err(Builtin::Symbol, json!("19,EOS")).contains("precision"));
    }

    #[test]
    fn invalid_binary_is_rejected_without_panicking() {
        let dec = |b: Builtin, h: &str| b.decode(&mut Reader::new(&hex::decode(h).unwrap()));
        assert!(dec(Builtin::Bool, "02").is_err());
        assert!(dec(Builtin::Uint32, "0102").is_err());
        assert!(dec(Builtin::String, "02ff").is_err());
        assert!(dec(Builtin::String, "02fffe").is_err());
        assert!(dec(Builtin::Symbol, "1300000000000000").is_err());
        assert!(dec(Builtin::Asset, "ffffffffffffff7f04454f5300000000").is_err());
        assert!(dec(Builtin::PublicKey, "01").is_err());
        assert!(dec(Builtin::Bytes, "ffffffff0f00").is_err());
        assert!(dec(Builtin::VarUint32, "8000").is_err());
    }
}
