//! Antelope names: up to 13 characters of `.12345a-z` packed into a `u64`.

use std::fmt;
use std::str::FromStr;

use crate::codec::{Pack, Reader, Unpack};
use crate::error::{CodecError, ParseError};

/// An account, action, table or permission name.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Name(pub u64);

const CHARMAP: &[u8; 32] = b".12345abcdefghijklmnopqrstuvwxyz";

fn char_to_symbol(c: u8) -> Option<u64> {
    match c {
        b'a'..=b'z' => Some(u64::from(c - b'a') + 6),
        b'1'..=b'5' => Some(u64::from(c - b'1') + 1),
        b'.' => Some(0),
        _ => None,
    }
}

impl Name {
    /// The empty name (value 0).
    pub const EMPTY: Name = Name(0);

    /// Builds a name at compile time; panics on invalid input, so use it only for constants.
    pub const fn constant(s: &str) -> Name {
        let b = s.as_bytes();
        assert!(b.len() <= 13, "name too long");
        let mut value: u64 = 0;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let sym: u64 = match c {
                b'a'..=b'z' => (c - b'a') as u64 + 6,
                b'1'..=b'5' => (c - b'1') as u64 + 1,
                b'.' => 0,
                _ => panic!("invalid name character"),
            };
            if i < 12 {
                value |= (sym & 0x1f) << (64 - 5 * (i + 1));
            } else {
                assert!(sym <= 0x0f, "13th name character must be .1-5a-j");
                value |= sym;
            }
            i += 1;
        }
        Name(value)
    }

    /// The raw `u64` value.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// True for the empty name.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses a name as a string (`"alice"`) or, when it is all digits and longer than a
    /// valid name could be, as the decimal `u64` value (as `get_table_rows` bounds allow).
    pub fn parse_name_or_u64(s: &str) -> Result<Name, ParseError> {
        if !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s.len() > 13 || s.bytes().any(|b| b > b'5') || s.starts_with('0'))
        {
            return s.parse::<u64>().map(Name).map_err(|e| ParseError::new("name", s, e.to_string()));
        }
        s.parse()
    }
}

impl FromStr for Name {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() > 13 {
            return Err(ParseError::new("name", s, "longer than 13 characters"));
        }
        let mut value: u64 = 0;
        for (i, &c) in b.iter().enumerate() {
            let sym = char_to_symbol(c).ok_or_else(|| {
                ParseError::new("name", s, format!("character {:?} is not one of .12345a-z", c as char))
            })?;
            if i < 12 {
                value |= (sym & 0x1f) << (64 - 5 * (i + 1));
            } else {
                if sym > 0x0f {
                    return Err(ParseError::new("name", s, "13th character must be one of .12345a-j"));
                }
                value |= sym;
            }
        }
        let name = Name(value);
        if name.to_string() != s {
            return Err(ParseError::new("name", s, "not normalized (trailing dots)"));
        }
        Ok(name)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [b'.'; 13];
        let mut tmp = self.0;
        for i in 0..=12 {
            let (mask, shift) = if i == 0 { (0x0f, 4) } else { (0x1f, 5) };
            out[12 - i] = CHARMAP[(tmp & mask) as usize];
            tmp >>= shift;
        }
        let mut end = 13;
        while end > 0 && out[end - 1] == b'.' {
            end -= 1;
        }
        // Every byte comes from CHARMAP, so this is ASCII.
        f.write_str(std::str::from_utf8(&out[..end]).unwrap_or_default())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl Pack for Name {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
    }
}

impl Unpack for Name {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Name(u64::unpack(r)?))
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_match_antelope() {
        // Values from client-surface.md, checked against eosjs.
        for (s, hex) in [
            ("alice", "0000000000855c34"),
            ("bob", "0000000000000e3d"),
            ("eosio.token", "00a6823403ea3055"),
            ("transfer", "000000572d3ccdcd"),
            ("active", "00000000a8ed3232"),
            ("eosio", "0000000000ea3055"),
            ("voteproducer", "7015d289deaa32dd"),
        ] {
            let n: Name = s.parse().unwrap();
            assert_eq!(hex::encode(n.packed()), hex, "{s}");
            assert_eq!(n.to_string(), s);
            assert_eq!(Name::constant(s), n);
        }
        assert_eq!("".parse::<Name>().unwrap(), Name(0));
    }

    #[test]
    fn rejects_invalid_names() {
        for s in ["Alice", "a6", "abcdefghijklmn", "abcdefghijklz", "alice.", "a b"] {
            assert!(s.parse::<Name>().is_err(), "{s}");
        }
        assert!("abcdefghijklj".parse::<Name>().is_ok());
    }

    #[test]
    fn decimal_form_is_accepted_for_bounds() {
        let n: Name = "alice".parse().unwrap();
        assert_eq!(Name::parse_name_or_u64(&n.0.to_string()).unwrap(), n);
        assert_eq!(Name::parse_name_or_u64("alice").unwrap(), n);
        assert_eq!(Name::parse_name_or_u64("12345").unwrap().to_string(), "12345");
    }
}
