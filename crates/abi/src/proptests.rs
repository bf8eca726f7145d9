//! Property tests: hostile bytes never panic, and valid values of every builtin and of nested
//! types round trip with the exact bytes the protocol crate's codec produces.

use civitas_protocol::codec::write_varuint32;
use civitas_protocol::{
    Asset, BlockTimestamp, Checksum160, Checksum256, Checksum512, Name, Pack, PrivateKey, PublicKey, Signature, Symbol,
    SymbolCode, TimePoint, TimePointSec,
};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::builtins::BUILTINS;
use crate::numbers::{f32_to_json, f64_to_json, signed_to_json, unsigned_to_json};
use crate::{Abi, AbiDef};

/// A JSON value with the bytes it must encode to.
type Case = (Value, Vec<u8>);

fn packed<T: Pack>(json: Value, v: T) -> Case {
    (json, v.packed())
}

fn text<T: Pack + ToString>(v: T) -> Case {
    (Value::String(v.to_string()), v.packed())
}

fn symbol_code() -> impl Strategy<Value = SymbolCode> {
    "[A-Z]{1,7}".prop_map(|s| s.parse().unwrap())
}

fn symbol() -> impl Strategy<Value = Symbol> {
    (0u8..=18, symbol_code()).prop_map(|(p, c)| Symbol::new(p, c).unwrap())
}

fn asset() -> impl Strategy<Value = Asset> {
    let max = civitas_protocol::asset::MAX_AMOUNT;
    (-max..=max, symbol()).prop_map(|(a, s)| Asset::new(a, s).unwrap())
}

/// Values of the builtin called `name`, in the JSON form the decoder writes.
fn builtin_case(name: &str) -> BoxedStrategy<Case> {
    match name {
        "bool" => any::<bool>().prop_map(|b| packed(json!(b), b)).boxed(),
        "int8" => any::<i8>().prop_map(|v| packed(json!(v), v)).boxed(),
        "uint8" => any::<u8>().prop_map(|v| packed(json!(v), v)).boxed(),
        "int16" => any::<i16>().prop_map(|v| packed(json!(v), v)).boxed(),
        "uint16" => any::<u16>().prop_map(|v| packed(json!(v), v)).boxed(),
        "int32" => any::<i32>().prop_map(|v| packed(json!(v), v)).boxed(),
        "uint32" => any::<u32>().prop_map(|v| packed(json!(v), v)).boxed(),
        "int64" => any::<i64>().prop_map(|v| packed(signed_to_json(v.into()), v)).boxed(),
        "uint64" => any::<u64>().prop_map(|v| packed(unsigned_to_json(v.into()), v)).boxed(),
        "int128" => any::<i128>().prop_map(|v| packed(signed_to_json(v), v)).boxed(),
        "uint128" => any::<u128>().prop_map(|v| packed(unsigned_to_json(v), v)).boxed(),
        "varint32" => any::<i32>()
            .prop_map(|v| {
                let mut b = Vec::new();
                write_varuint32(&mut b, ((v << 1) ^ (v >> 31)) as u32);
                (json!(v), b)
            })
            .boxed(),
        "varuint32" => any::<u32>()
            .prop_map(|v| {
                let mut b = Vec::new();
                write_varuint32(&mut b, v);
                (json!(v), b)
            })
            .boxed(),
        "float32" => any::<f32>()
            .prop_filter("NaN payloads are not kept", |f| !f.is_nan())
            .prop_map(|v| packed(f32_to_json(v), v))
            .boxed(),
        "float64" => any::<f64>()
            .prop_filter("NaN payloads are not kept", |f| !f.is_nan())
            .prop_map(|v| packed(f64_to_json(v), v))
            .boxed(),
        "float128" => any::<[u8; 16]>().prop_map(|b| (json!(hex::encode(b)), b.to_vec())).boxed(),
        // Text keeps milliseconds, years 1970..=9999.
        "time_point" => (0i64..253_402_300_800_000).prop_map(|ms| text(TimePoint::from_millis(ms))).boxed(),
        "time_point_sec" => any::<u32>().prop_map(|s| text(TimePointSec(s))).boxed(),
        "block_timestamp_type" => any::<u32>().prop_map(|s| text(BlockTimestamp(s))).boxed(),
        "name" => any::<u64>().prop_map(|v| text(Name(v))).boxed(),
        "bytes" => proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| (json!(hex::encode(&b)), civitas_protocol::Bytes(b).packed()))
            .boxed(),
        "string" => ".{0,20}".prop_map(|s: String| packed(json!(s), s)).boxed(),
        "checksum160" => any::<[u8; 20]>().prop_map(|b| text(Checksum160(b))).boxed(),
        "checksum256" => any::<[u8; 32]>().prop_map(|b| text(Checksum256(b))).boxed(),
        "checksum512" => {
            proptest::collection::vec(any::<u8>(), 64).prop_map(|b| text(Checksum512(b.try_into().unwrap()))).boxed()
        }
        "public_key" => {
            (0u8..8).prop_map(|i| text::<PublicKey>(PrivateKey::from_seed(&i.to_string()).public_key())).boxed()
        }
        "signature" => {
            proptest::collection::vec(any::<u8>(), 65).prop_map(|b| text(Signature(b.try_into().unwrap()))).boxed()
        }
        "symbol" => symbol().prop_map(text).boxed(),
        "symbol_code" => symbol_code().prop_map(text).boxed(),
        "asset" => asset().prop_map(text).boxed(),
        "extended_asset" => (asset(), any::<u64>())
            .prop_map(|(a, c)| {
                let e = civitas_protocol::ExtendedAsset { quantity: a, contract: Name(c) };
                (json!({"quantity": a.to_string(), "contract": Name(c).to_string()}), e.packed())
            })
            .boxed(),
        other => panic!("no strategy for builtin {other}"),
    }
}

fn field(name: &str, ty: &str) -> Value {
    json!({"name": name, "type": ty})
}

/// `all` holds one field of every builtin; `combo` nests it in arrays, optionals, a variant and
/// a binary extension.
fn test_abi() -> Abi {
    let all_fields: Vec<Value> = BUILTINS.iter().map(|(_, n)| field(&format!("f_{n}"), n)).collect();
    let def: AbiDef = serde_json::from_value(json!({
        "version": "eosio::abi/1.2",
        "structs": [
            {"name": "all", "fields": all_fields},
            {"name": "combo", "fields": [
                field("names", "name[]"), field("maybe", "asset?"), field("pick", "choice"),
                field("nested", "all[]?"), field("ext", "checksum256$")]},
            {"name": "tree", "fields": [field("value", "int32"), field("children", "tree[]")]}
        ],
        "variants": [
            {"name": "choice", "types": ["uint64", "string", "asset"]},
            {"name": "value", "types": ["int8", "string", "tree", "value[]"]}
        ]
    }))
    .unwrap();
    Abi::new(def).unwrap()
}

fn all_case() -> impl Strategy<Value = Case> {
    let parts: Vec<BoxedStrategy<Case>> = BUILTINS.iter().map(|(_, n)| builtin_case(n)).collect();
    parts.prop_map(|cases| {
        let mut object = serde_json::Map::new();
        let mut bytes = Vec::new();
        for ((_, n), (v, b)) in BUILTINS.iter().zip(cases) {
            object.insert(format!("f_{n}"), v);
            bytes.extend(b);
        }
        (Value::Object(object), bytes)
    })
}

fn combo_case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(builtin_case("name"), 0..4),
        proptest::option::of(builtin_case("asset")),
        (0usize..3).prop_flat_map(|i| {
            let alt = ["uint64", "string", "asset"][i];
            builtin_case(alt).prop_map(move |c| (i, alt, c))
        }),
        proptest::option::of(proptest::collection::vec(all_case(), 0..3)),
        proptest::option::of(builtin_case("checksum256")),
    )
        .prop_map(|(names, maybe, (index, alt, pick), nested, ext)| {
            let mut b = vec![names.len() as u8];
            let mut names_json = Vec::new();
            for (v, nb) in names {
                names_json.push(v);
                b.extend(nb);
            }
            let maybe_json = match maybe {
                None => {
                    b.push(0);
                    Value::Null
                }
                Some((v, ab)) => {
                    b.push(1);
                    b.extend(ab);
                    v
                }
            };
            b.push(index as u8);
            b.extend(pick.1);
            let nested_json = match nested {
                None => {
                    b.push(0);
                    Value::Null
                }
                Some(items) => {
                    b.extend([1, items.len() as u8]);
                    let mut out = Vec::new();
                    for (v, ib) in items {
                        out.push(v);
                        b.extend(ib);
                    }
                    Value::Array(out)
                }
            };
            let mut json = json!({
                "names": names_json, "maybe": maybe_json, "pick": [alt, pick.0], "nested": nested_json
            });
            if let Some((v, cb)) = ext {
                json["ext"] = v;
                b.extend(cb);
            }
            (json, b)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_builtin_round_trips_with_codec_bytes((json, bytes) in all_case()) {
        let abi = test_abi();
        prop_assert_eq!(abi.json_to_binary("all", &json).unwrap(), bytes.clone());
        prop_assert_eq!(abi.binary_to_json("all", &bytes).unwrap(), json);
    }

    #[test]
    fn nested_values_round_trip((json, bytes) in combo_case()) {
        let abi = test_abi();
        prop_assert_eq!(abi.json_to_binary("combo", &json).unwrap(), bytes.clone());
        prop_assert_eq!(abi.binary_to_json("combo", &bytes).unwrap(), json);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let abi = test_abi();
        for ty in ["all", "combo", "tree", "value", "combo[]", "choice?", "all[]"] {
            let _ = abi.binary_to_json(ty, &bytes);
        }
        // Types whose JSON form keeps every bit must re-encode to the bytes they came from.
        for ty in ["tree", "value", "value[]"] {
            if let Ok(json) = abi.binary_to_json(ty, &bytes) {
                prop_assert_eq!(abi.json_to_binary(ty, &json).unwrap(), bytes.clone());
            }
        }
        if let Ok(def) = AbiDef::from_bytes(&bytes) {
            let _ = Abi::new(def);
        }
    }

    #[test]
    fn corrupted_encodings_never_panic((_, bytes) in combo_case(), at in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
        let abi = test_abi();
        let mut corrupted = bytes.clone();
        if !corrupted.is_empty() {
            let i = at % corrupted.len();
            corrupted[i] = byte;
        }
        let _ = abi.binary_to_json("combo", &corrupted);
        let truncated = &bytes[..cut % (bytes.len() + 1)];
        let _ = abi.binary_to_json("combo", truncated);
    }
}
