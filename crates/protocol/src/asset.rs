//! Symbols and assets: an `i64` amount with a precision and an upper-case code.

use std::fmt;
use std::str::FromStr;

use crate::codec::{Pack, Reader, Unpack};
use crate::error::{CodecError, ParseError};
use crate::name::Name;

/// The largest absolute amount an asset may hold (Antelope's `asset::max_amount`).
pub const MAX_AMOUNT: i64 = (1i64 << 62) - 1;
/// The largest precision a symbol may declare.
pub const MAX_PRECISION: u8 = 18;

/// A symbol code: up to 7 upper-case letters, packed little-endian into the low 56 bits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SymbolCode(pub u64);

impl SymbolCode {
    /// Checks that the raw value is 1–7 upper-case letters followed only by zero bytes.
    pub fn is_valid(self) -> bool {
        let mut v = self.0;
        if v == 0 {
            return false;
        }
        let mut seen_end = false;
        for _ in 0..8 {
            let c = (v & 0xff) as u8;
            if c == 0 {
                seen_end = true;
            } else if seen_end || !c.is_ascii_uppercase() {
                return false;
            }
            v >>= 8;
        }
        true
    }

    /// The raw value.
    pub fn raw(self) -> u64 {
        self.0
    }
}

impl FromStr for SymbolCode {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > 7 {
            return Err(ParseError::new("symbol code", s, "must be 1 to 7 upper-case letters"));
        }
        let mut v = 0u64;
        for (i, c) in s.bytes().enumerate() {
            if !c.is_ascii_uppercase() {
                return Err(ParseError::new("symbol code", s, "must be 1 to 7 upper-case letters"));
            }
            v |= u64::from(c) << (8 * i);
        }
        Ok(SymbolCode(v))
    }
}

impl fmt::Display for SymbolCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = self.0;
        while v != 0 {
            let c = (v & 0xff) as u8;
            if c == 0 {
                break;
            }
            fmt::Write::write_char(f, c as char)?;
            v >>= 8;
        }
        Ok(())
    }
}

impl fmt::Debug for SymbolCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SymbolCode({self})")
    }
}

impl Pack for SymbolCode {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
    }
}

impl Unpack for SymbolCode {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let c = SymbolCode(u64::unpack(r)?);
        if !c.is_valid() {
            return Err(CodecError::invalid("symbol code", format!("{:#x}", c.0)));
        }
        Ok(c)
    }
}

/// A token symbol: precision (low byte) and code (upper 7 bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol(u64);

impl Symbol {
    /// Builds a symbol from a precision and a code.
    pub fn new(precision: u8, code: SymbolCode) -> Result<Symbol, ParseError> {
        if precision > MAX_PRECISION {
            return Err(ParseError::new("symbol", &format!("{precision},{code}"), "precision above 18"));
        }
        Ok(Symbol((code.0 << 8) | u64::from(precision)))
    }

    /// From the raw `u64` encoding, validated.
    pub fn from_raw(raw: u64) -> Result<Symbol, CodecError> {
        let s = Symbol(raw);
        if s.precision() > MAX_PRECISION || !s.code().is_valid() {
            return Err(CodecError::invalid("symbol", format!("{raw:#x}")));
        }
        Ok(s)
    }

    /// The raw value.
    pub fn raw(self) -> u64 {
        self.0
    }

    /// Digits after the decimal point.
    pub fn precision(self) -> u8 {
        (self.0 & 0xff) as u8
    }

    /// The code.
    pub fn code(self) -> SymbolCode {
        SymbolCode(self.0 >> 8)
    }

    /// 10^precision.
    pub fn unit(self) -> i64 {
        10i64.pow(u32::from(self.precision()))
    }
}

impl FromStr for Symbol {
    type Err = ParseError;

    /// Parses `"4,CIV"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (p, c) =
            s.split_once(',').ok_or_else(|| ParseError::new("symbol", s, "expected PRECISION,CODE such as 4,CIV"))?;
        let precision: u8 = p.trim().parse().map_err(|_| ParseError::new("symbol", s, "precision is not a number"))?;
        Symbol::new(precision, c.trim().parse()?)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.precision(), self.code())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({self})")
    }
}

impl Pack for Symbol {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
    }
}

impl Unpack for Symbol {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Symbol::from_raw(u64::unpack(r)?)
    }
}

/// An amount of a token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Asset {
    amount: i64,
    symbol: Symbol,
}

/// An asset arithmetic failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssetError {
    /// The two operands have different symbols.
    #[error("symbol mismatch: {0} vs {1}")]
    SymbolMismatch(Symbol, Symbol),
    /// The result is beyond ±(2^62−1).
    #[error("asset amount out of range")]
    OutOfRange,
}

impl Asset {
    /// Builds an asset, checking the amount range.
    pub fn new(amount: i64, symbol: Symbol) -> Result<Asset, AssetError> {
        if !(-MAX_AMOUNT..=MAX_AMOUNT).contains(&amount) {
            return Err(AssetError::OutOfRange);
        }
        Ok(Asset { amount, symbol })
    }

    /// Zero of a symbol.
    pub fn zero(symbol: Symbol) -> Asset {
        Asset { amount: 0, symbol }
    }

    /// The amount in the smallest unit.
    pub fn amount(self) -> i64 {
        self.amount
    }

    /// The symbol.
    pub fn symbol(self) -> Symbol {
        self.symbol
    }

    /// Checked addition.
    pub fn checked_add(self, o: Asset) -> Result<Asset, AssetError> {
        if self.symbol != o.symbol {
            return Err(AssetError::SymbolMismatch(self.symbol, o.symbol));
        }
        let v = self.amount.checked_add(o.amount).ok_or(AssetError::OutOfRange)?;
        Asset::new(v, self.symbol)
    }

    /// Checked subtraction.
    pub fn checked_sub(self, o: Asset) -> Result<Asset, AssetError> {
        if self.symbol != o.symbol {
            return Err(AssetError::SymbolMismatch(self.symbol, o.symbol));
        }
        let v = self.amount.checked_sub(o.amount).ok_or(AssetError::OutOfRange)?;
        Asset::new(v, self.symbol)
    }

    /// Checked negation.
    pub fn checked_neg(self) -> Result<Asset, AssetError> {
        Asset::new(-self.amount, self.symbol)
    }
}

impl FromStr for Asset {
    type Err = ParseError;

    /// Parses `"1.0000 CIV"`; the precision is the number of decimals written.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let (num, code) = t
            .split_once(' ')
            .ok_or_else(|| ParseError::new("asset", s, "expected AMOUNT SYMBOL such as 1.0000 CIV"))?;
        let code: SymbolCode = code.trim().parse().map_err(|e: ParseError| ParseError::new("asset", s, e.reason))?;
        let (neg, digits) = match num.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, num),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if int_part.is_empty()
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ParseError::new("asset", s, "amount is not a decimal number"));
        }
        if digits.contains('.') && frac_part.is_empty() {
            return Err(ParseError::new("asset", s, "missing digits after the decimal point"));
        }
        let precision = u8::try_from(frac_part.len())
            .ok()
            .filter(|p| *p <= MAX_PRECISION)
            .ok_or_else(|| ParseError::new("asset", s, "precision above 18"))?;
        let mut amount: i64 = 0;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            amount = amount
                .checked_mul(10)
                .and_then(|a| a.checked_add(i64::from(b - b'0')))
                .ok_or_else(|| ParseError::new("asset", s, "amount out of range"))?;
        }
        if neg {
            amount = -amount;
        }
        let symbol = Symbol::new(precision, code)?;
        Asset::new(amount, symbol).map_err(|_| ParseError::new("asset", s, "amount out of range"))
    }
}

impl fmt::Display for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = u32::from(self.symbol.precision());
        let abs = self.amount.unsigned_abs();
        let sign = if self.amount < 0 { "-" } else { "" };
        if p == 0 {
            write!(f, "{sign}{abs} {}", self.symbol.code())
        } else {
            let unit = 10u64.pow(p);
            write!(f, "{sign}{}.{:0width$} {}", abs / unit, abs % unit, self.symbol.code(), width = p as usize)
        }
    }
}

impl fmt::Debug for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Asset({self})")
    }
}

impl Pack for Asset {
    fn pack(&self, out: &mut Vec<u8>) {
        self.amount.pack(out);
        self.symbol.pack(out);
    }
}

impl Unpack for Asset {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let amount = i64::unpack(r)?;
        let symbol = Symbol::unpack(r)?;
        Asset::new(amount, symbol).map_err(|e| CodecError::invalid("asset", e.to_string()))
    }
}

/// An asset together with the contract that issued it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExtendedAsset {
    /// The amount.
    pub quantity: Asset,
    /// The token contract.
    pub contract: Name,
}

crate::packable_struct!(ExtendedAsset { quantity, contract });

macro_rules! serde_via_string {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
pub(crate) use serde_via_string;
serde_via_string!(Asset, Symbol, SymbolCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_eosjs() {
        let a: Asset = "1.0000 EOS".parse().unwrap();
        assert_eq!(hex::encode(a.packed()), "102700000000000004454f5300000000");
        assert_eq!(a.to_string(), "1.0000 EOS");
    }

    #[test]
    fn parse_and_format() {
        for s in ["0.0001 CIV", "-12.5000 CIV", "100 ABC", "4611686018427387903 MAX", "0.000000000000000001 TINY"] {
            assert_eq!(s.parse::<Asset>().unwrap().to_string(), s);
        }
        for s in [
            "1.0000",
            "1.0000 civ",
            "1. CIV",
            ".5 CIV",
            "1.0000 TOOLONGX",
            "4611686018427387904 X",
            "1e5 CIV",
            "--1 CIV",
        ] {
            assert!(s.parse::<Asset>().is_err(), "{s}");
        }
        assert_eq!("1 EOS".parse::<Asset>().unwrap().symbol().precision(), 0);
    }

    #[test]
    fn arithmetic_is_checked() {
        let sym: Symbol = "4,CIV".parse().unwrap();
        let max = Asset::new(MAX_AMOUNT, sym).unwrap();
        let one = Asset::new(1, sym).unwrap();
        assert_eq!(max.checked_add(one), Err(AssetError::OutOfRange));
        let other = Asset::new(1, "4,XYZ".parse().unwrap()).unwrap();
        assert!(matches!(one.checked_add(other), Err(AssetError::SymbolMismatch(..))));
        assert_eq!(one.checked_sub(one).unwrap().amount(), 0);
    }

    #[test]
    fn symbol_validation_on_decode() {
        assert!(Symbol::from_raw(0x0000_0000_4c41_5604).is_ok());
        assert!(Symbol::from_raw(0x13).is_err());
        assert!(Symbol::from_raw((u64::from(b'a') << 8) | 4).is_err());
        assert!(Symbol::from_raw((0x41_00_41u64 << 8) | 4).is_err());
    }
}
