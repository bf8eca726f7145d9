//! Fixed-size digests and the hash functions the protocol uses.

use std::fmt;
use std::str::FromStr;

use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use crate::codec::{Pack, Reader, Unpack};
use crate::error::{CodecError, ParseError};

macro_rules! checksum_type {
    ($name:ident, $n:expr, $what:expr) => {
        #[doc = concat!("A ", stringify!($n), "-byte digest (`", $what, "`).")]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $n]);

        impl $name {
            /// All zero bytes.
            pub const ZERO: $name = $name([0u8; $n]);

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $n] {
                &self.0
            }

            /// True when every byte is zero.
            pub fn is_zero(&self) -> bool {
                self.0 == [0u8; $n]
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::ZERO
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if s.len() != 2 * $n {
                    return Err(ParseError::new($what, s, format!("expected {} hex digits", 2 * $n)));
                }
                let mut out = [0u8; $n];
                hex::decode_to_slice(s, &mut out).map_err(|e| ParseError::new($what, s, e.to_string()))?;
                Ok($name(out))
            }
        }

        impl Pack for $name {
            fn pack(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.0);
            }
        }

        impl Unpack for $name {
            fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
                Ok($name(r.array()?))
            }
        }

        crate::asset::serde_via_string!($name);
    };
}

checksum_type!(Checksum256, 32, "checksum256");
checksum_type!(Checksum160, 20, "checksum160");
checksum_type!(Checksum512, 64, "checksum512");

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Checksum256 {
    Checksum256(Sha256::digest(data).into())
}

/// SHA-256 over several slices, as if concatenated.
pub fn sha256_concat(parts: &[&[u8]]) -> Checksum256 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    Checksum256(h.finalize().into())
}

/// RIPEMD-160 over several slices, as if concatenated.
pub fn ripemd160_concat(parts: &[&[u8]]) -> Checksum160 {
    let mut h = Ripemd160::new();
    for p in parts {
        h.update(p);
    }
    Checksum160(h.finalize().into())
}

/// A binary merkle root over `leaves`: pairs are hashed with SHA-256, an odd last node is
/// paired with itself, and the root of no leaves is zero.
pub fn merkle_root(mut layer: Vec<Checksum256>) -> Checksum256 {
    if layer.is_empty() {
        return Checksum256::ZERO;
    }
    while layer.len() > 1 {
        let mut next = Vec::with_capacity(layer.len().div_ceil(2));
        for pair in layer.chunks(2) {
            let right = pair.get(1).unwrap_or(&pair[0]);
            next.push(sha256_concat(&[&pair[0].0, &right.0]));
        }
        layer = next;
    }
    layer[0]
}

/// Variable-length bytes written as hex in JSON (action data, packed transactions).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({})", hex::encode(&self.0))
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl FromStr for Bytes {
    type Err = ParseError;
    /// Hex in either case (eosjs sends upper case in places).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        hex::decode(s).map(Bytes).map_err(|e| ParseError::new("hex bytes", s, e.to_string()))
    }
}

impl Pack for Bytes {
    fn pack(&self, out: &mut Vec<u8>) {
        crate::codec::write_bytes(out, &self.0);
    }
}

impl Unpack for Bytes {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Bytes(r.bytes()?.to_vec()))
    }
}

crate::asset::serde_via_string!(Bytes);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_case() {
        let c: Checksum256 = "00001C200406B202D9E2EFE1000000000000000000000000000000000000abcd".parse().unwrap();
        assert_eq!(c.to_string(), "00001c200406b202d9e2efe1000000000000000000000000000000000000abcd");
        assert!("00".parse::<Checksum256>().is_err());
        assert!("zz".parse::<Bytes>().is_err());
        assert_eq!("0A0b".parse::<Bytes>().unwrap().0, vec![10, 11]);
    }

    #[test]
    fn merkle_of_one_is_the_leaf() {
        let l = sha256(b"x");
        assert_eq!(merkle_root(vec![l]), l);
        assert_eq!(merkle_root(vec![]), Checksum256::ZERO);
        let two = merkle_root(vec![l, l]);
        assert_eq!(merkle_root(vec![l, l, l]), sha256_concat(&[&two.0, &two.0]));
    }
}
