//! secp256k1 (`K1`) keys and signatures on libsecp256k1, with Antelope's text forms:
//! `PUB_K1_…` (and legacy `EOS…` on input), `PVT_K1_…` and WIF, `SIG_K1_…`.
//!
//! Signatures are compact and recoverable: the public key is recovered from the signature and
//! the digest, as nodeos does. Only Antelope-canonical signatures are accepted (r and s below
//! 2^255 with no redundant leading zero byte), which also rules out high-S malleability.

use std::fmt;
use std::str::FromStr;

use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, SecretKey};
use sha2::{Digest, Sha256};

use crate::checksum::{ripemd160_concat, Checksum256};
use crate::codec::{Pack, Reader, Unpack};
use crate::error::{CodecError, ParseError};

/// Key-type index of K1 in the binary encoding.
const KEY_TYPE_K1: u32 = 0;

/// A crypto failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The signature bytes are not Antelope-canonical.
    #[error("signature is not canonical")]
    NonCanonical,
    /// The recovery byte is outside 27..=34.
    #[error("invalid signature recovery byte {0}")]
    BadRecoveryByte(u8),
    /// No key could be recovered.
    #[error("public key recovery failed")]
    RecoveryFailed,
    /// The secret is zero or not below the curve order.
    #[error("invalid private key")]
    InvalidPrivateKey,
}

/// A compressed secp256k1 public key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey(pub [u8; 33]);

/// A compact recoverable signature: `[recid + 31, r(32), s(32)]`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signature(pub [u8; 65]);

/// A secp256k1 secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey(SecretKey);

fn k1_checksum(data: &[u8]) -> [u8; 4] {
    let c = ripemd160_concat(&[data, b"K1"]);
    [c.0[0], c.0[1], c.0[2], c.0[3]]
}

fn legacy_checksum(data: &[u8]) -> [u8; 4] {
    let c = ripemd160_concat(&[data]);
    [c.0[0], c.0[1], c.0[2], c.0[3]]
}

fn double_sha_checksum(data: &[u8]) -> [u8; 4] {
    let h = Sha256::digest(Sha256::digest(data));
    [h[0], h[1], h[2], h[3]]
}

/// Decodes base58 text that must hold exactly `N` payload bytes plus a 4-byte checksum.
fn decode_checked<const N: usize>(
    what: &'static str,
    input: &str,
    b58: &str,
    checksum: impl Fn(&[u8]) -> [u8; 4],
) -> Result<[u8; N], ParseError> {
    let raw = bs58::decode(b58).into_vec().map_err(|e| ParseError::new(what, input, format!("not base58: {e}")))?;
    if raw.len() != N + 4 {
        return Err(ParseError::new(what, input, format!("wrong length {} (expected {})", raw.len(), N + 4)));
    }
    let (payload, sum) = raw.split_at(N);
    if checksum(payload) != sum {
        return Err(ParseError::new(what, input, "checksum mismatch"));
    }
    let mut out = [0u8; N];
    out.copy_from_slice(payload);
    Ok(out)
}

fn encode_checked(payload: &[u8], checksum: [u8; 4]) -> String {
    let mut v = payload.to_vec();
    v.extend_from_slice(&checksum);
    bs58::encode(v).into_string()
}

impl PublicKey {
    /// The legacy `EOS…` text form (accepted by every Antelope tool).
    pub fn to_legacy_string(&self) -> String {
        format!("EOS{}", encode_checked(&self.0, legacy_checksum(&self.0)))
    }

    /// Checks that the bytes are a point on the curve.
    pub fn is_valid_point(&self) -> bool {
        secp256k1::PublicKey::from_byte_array_compressed(self.0).is_ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PUB_K1_{}", encode_checked(&self.0, k1_checksum(&self.0)))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = if let Some(rest) = s.strip_prefix("PUB_K1_") {
            decode_checked::<33>("public key", s, rest, k1_checksum)?
        } else if let Some(rest) = s.strip_prefix("EOS") {
            decode_checked::<33>("public key", s, rest, legacy_checksum)?
        } else if s.starts_with("PUB_R1_") || s.starts_with("PUB_WA_") {
            return Err(ParseError::new("public key", s, "only K1 keys are supported"));
        } else {
            return Err(ParseError::new("public key", s, "expected PUB_K1_… or EOS…"));
        };
        let key = PublicKey(bytes);
        if !key.is_valid_point() {
            return Err(ParseError::new("public key", s, "not a point on secp256k1"));
        }
        Ok(key)
    }
}

impl Pack for PublicKey {
    fn pack(&self, out: &mut Vec<u8>) {
        crate::codec::write_varuint32(out, KEY_TYPE_K1);
        out.extend_from_slice(&self.0);
    }
}

impl Unpack for PublicKey {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let t = r.varuint32()?;
        if t != KEY_TYPE_K1 {
            return Err(CodecError::invalid("public key", format!("unsupported key type {t} (only K1)")));
        }
        let b: [u8; 33] = r.array()?;
        if b[0] != 2 && b[0] != 3 {
            return Err(CodecError::invalid("public key", "not a compressed point"));
        }
        Ok(PublicKey(b))
    }
}

thread_local! {
    static TRX_RECOVERIES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many client-signature recoveries ([`Signature::recover`]) the calling thread has made.
/// Tests use it to show that a transaction's keys are recovered once, at admission, and never
/// again when blocks holding it are produced or applied.
pub fn transaction_recoveries_on_this_thread() -> u64 {
    TRX_RECOVERIES.with(std::cell::Cell::get)
}

impl Signature {
    /// The Antelope canonicality rule (r and s each below 2^255 with no redundant zero byte).
    pub fn is_canonical(&self) -> bool {
        let d = &self.0;
        d[1] & 0x80 == 0 && !(d[1] == 0 && d[2] & 0x80 == 0) && d[33] & 0x80 == 0 && !(d[33] == 0 && d[34] & 0x80 == 0)
    }

    /// Recovers the signing key of `digest`, rejecting non-canonical signatures.
    pub fn recover(&self, digest: &Checksum256) -> Result<PublicKey, CryptoError> {
        if !self.is_canonical() {
            return Err(CryptoError::NonCanonical);
        }
        TRX_RECOVERIES.with(|c| c.set(c.get() + 1));
        self.recover_low_s(digest)
    }

    /// True if `s` is in the lower half of the curve order (libsecp256k1's normal form).
    pub fn is_low_s(&self) -> bool {
        // n/2 for secp256k1, big-endian.
        const HALF_N: [u8; 32] = [
            0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57,
            0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
        ];
        self.0[33..65] <= HALF_N[..]
    }

    /// Recovers the signing key of `digest` for Civitas-internal signatures (blocks, approvals),
    /// which need only be low-S: that already makes them non-malleable, and signing then never
    /// has to retry for Antelope's stricter canonical form, which only client transactions need.
    pub fn recover_internal(&self, digest: &Checksum256) -> Result<PublicKey, CryptoError> {
        if !self.is_low_s() {
            return Err(CryptoError::NonCanonical);
        }
        self.recover_low_s(digest)
    }

    fn recover_low_s(&self, digest: &Checksum256) -> Result<PublicKey, CryptoError> {
        let v = self.0[0];
        if !(27..=34).contains(&v) {
            return Err(CryptoError::BadRecoveryByte(v));
        }
        let recid = RecoveryId::try_from(i32::from((v - 27) & 3)).map_err(|_| CryptoError::BadRecoveryByte(v))?;
        let sig = RecoverableSignature::from_compact(&self.0[1..], recid).map_err(|_| CryptoError::RecoveryFailed)?;
        let key = sig.recover_ecdsa(Message::from_digest(digest.0)).map_err(|_| CryptoError::RecoveryFailed)?;
        Ok(PublicKey(key.serialize()))
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIG_K1_{}", encode_checked(&self.0, k1_checksum(&self.0)))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

impl FromStr for Signature {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s.strip_prefix("SIG_K1_").ok_or_else(|| ParseError::new("signature", s, "expected SIG_K1_…"))?;
        Ok(Signature(decode_checked::<65>("signature", s, rest, k1_checksum)?))
    }
}

impl Pack for Signature {
    fn pack(&self, out: &mut Vec<u8>) {
        crate::codec::write_varuint32(out, KEY_TYPE_K1);
        out.extend_from_slice(&self.0);
    }
}

impl Unpack for Signature {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let t = r.varuint32()?;
        if t != KEY_TYPE_K1 {
            return Err(CodecError::invalid("signature", format!("unsupported signature type {t} (only K1)")));
        }
        Ok(Signature(r.array()?))
    }
}

impl PrivateKey {
    /// From 32 secret bytes (for example from the operating system's random source).
    pub fn from_bytes(bytes: [u8; 32]) -> Result<PrivateKey, CryptoError> {
        SecretKey::from_secret_bytes(bytes).map(PrivateKey).map_err(|_| CryptoError::InvalidPrivateKey)
    }

    /// A deterministic key derived from a seed string (test accounts and simulations only).
    pub fn from_seed(seed: &str) -> PrivateKey {
        let mut h = Sha256::digest(seed.as_bytes());
        loop {
            if let Ok(k) = SecretKey::from_secret_bytes(h.into()) {
                return PrivateKey(k);
            }
            h = Sha256::digest(h);
        }
    }

    /// The 32 secret bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_secret_bytes()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.public_key().serialize())
    }

    /// Signs a 32-byte digest, retrying with extra nonce data until the signature is canonical.
    pub fn sign(&self, digest: &Checksum256) -> Signature {
        let msg = Message::from_digest(digest.0);
        let mut attempt: u32 = 0;
        loop {
            let sig = if attempt == 0 {
                RecoverableSignature::sign_ecdsa_recoverable(msg, &self.0)
            } else {
                let mut extra = [0u8; 32];
                extra[..4].copy_from_slice(&attempt.to_le_bytes());
                RecoverableSignature::sign_ecdsa_recoverable_with_noncedata(msg, &self.0, &extra)
            };
            let (recid, rs) = sig.serialize_compact();
            let mut d = [0u8; 65];
            d[0] = 31 + u8::from(recid);
            d[1..].copy_from_slice(&rs);
            let s = Signature(d);
            if s.is_canonical() {
                return s;
            }
            attempt += 1;
        }
    }

    /// Signs a 32-byte digest in libsecp256k1's low-S form, without Antelope's canonical retry
    /// (for Civitas-internal signatures: blocks and approvals; see [`Signature::recover_internal`]).
    pub fn sign_internal(&self, digest: &Checksum256) -> Signature {
        let sig = RecoverableSignature::sign_ecdsa_recoverable(Message::from_digest(digest.0), &self.0);
        let (recid, rs) = sig.serialize_compact();
        let mut d = [0u8; 65];
        d[0] = 31 + u8::from(recid);
        d[1..].copy_from_slice(&rs);
        Signature(d)
    }

    /// The legacy WIF text form.
    pub fn to_wif(&self) -> String {
        let mut payload = vec![0x80u8];
        payload.extend_from_slice(&self.to_bytes());
        let sum = double_sha_checksum(&payload);
        encode_checked(&payload, sum)
    }
}

impl fmt::Display for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.to_bytes();
        write!(f, "PVT_K1_{}", encode_checked(&b, k1_checksum(&b)))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets in logs or panics.
        write!(f, "PrivateKey({})", self.public_key())
    }
}

impl FromStr for PrivateKey {
    type Err = ParseError;

    /// Accepts `PVT_K1_…` and legacy WIF (checksum verified in both cases).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = if let Some(rest) = s.strip_prefix("PVT_K1_") {
            decode_checked::<32>("private key", s, rest, k1_checksum)?
        } else if s.starts_with("PVT_") {
            return Err(ParseError::new("private key", s, "only K1 keys are supported"));
        } else {
            let payload = decode_checked::<33>("private key", s, s, double_sha_checksum)?;
            if payload[0] != 0x80 {
                return Err(ParseError::new("private key", s, "WIF version byte is not 0x80"));
            }
            let mut b = [0u8; 32];
            b.copy_from_slice(&payload[1..]);
            b
        };
        PrivateKey::from_bytes(bytes).map_err(|e| ParseError::new("private key", s, e.to_string()))
    }
}

crate::asset::serde_via_string!(PublicKey, Signature);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::sha256;

    // The well-known EOSIO development key pair.
    const DEV_WIF: &str = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
    const DEV_PUB_LEGACY: &str = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";
    const DEV_PUB_K1: &str = "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63";

    #[test]
    fn dev_key_text_forms() {
        let k: PrivateKey = DEV_WIF.parse().unwrap();
        assert_eq!(k.to_wif(), DEV_WIF);
        let p = k.public_key();
        assert_eq!(p.to_string(), DEV_PUB_K1);
        assert_eq!(p.to_legacy_string(), DEV_PUB_LEGACY);
        assert_eq!(DEV_PUB_LEGACY.parse::<PublicKey>().unwrap(), p);
        assert_eq!(DEV_PUB_K1.parse::<PublicKey>().unwrap(), p);
        let pvt = k.to_string();
        assert!(pvt.starts_with("PVT_K1_"));
        assert_eq!(pvt.parse::<PrivateKey>().unwrap(), k);
    }

    #[test]
    fn sign_recover_round_trip_is_canonical() {
        let k = PrivateKey::from_seed("test");
        for i in 0..50u32 {
            let d = sha256(&i.to_le_bytes());
            let s = k.sign(&d);
            assert!(s.is_canonical());
            assert_eq!(s.recover(&d).unwrap(), k.public_key());
            let text = s.to_string();
            assert_eq!(text.parse::<Signature>().unwrap(), s);
        }
    }

    #[test]
    fn rejects_bad_checksums_and_non_canonical() {
        let mut bad = DEV_PUB_K1.to_string();
        bad.pop();
        bad.push('4');
        assert!(bad.parse::<PublicKey>().is_err());
        let k = PrivateKey::from_seed("x");
        let d = sha256(b"m");
        let mut s = k.sign(&d);
        s.0[1] |= 0x80;
        assert_eq!(s.recover(&d), Err(CryptoError::NonCanonical));
    }

    #[test]
    fn internal_signatures_are_low_s_and_recover() {
        let k = PrivateKey::from_seed("internal");
        for i in 0..50u32 {
            let d = sha256(&i.to_le_bytes());
            let s = k.sign_internal(&d);
            assert!(s.is_low_s());
            assert_eq!(s.recover_internal(&d).unwrap(), k.public_key());
        }
        // A high-S twin of a valid signature is refused.
        let d = sha256(b"x");
        let mut s = k.sign_internal(&d);
        s.0[33] |= 0x80;
        assert_eq!(s.recover_internal(&d), Err(CryptoError::NonCanonical));
    }
}
