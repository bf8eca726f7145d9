//! Transactions: the Antelope layout, ids, signing digests and packed (optionally zlib) form.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::action::{Action, Extension};
use crate::checksum::{sha256, sha256_concat, Bytes, Checksum256};
use crate::codec::{Pack, Reader, Unpack, VarUint32};
use crate::crypto::{CryptoError, PrivateKey, PublicKey, Signature};
use crate::error::CodecError;
use crate::limits::MAX_TRANSACTION_BYTES;
use crate::time::TimePointSec;

/// An unsigned transaction in Antelope field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Last second at which the transaction may be included.
    pub expiration: TimePointSec,
    /// Low 16 bits of the reference block's number (TAPOS).
    pub ref_block_num: u16,
    /// Bytes 8..12 of the reference block id, little-endian (TAPOS).
    pub ref_block_prefix: u32,
    /// Upper limit on network usage in 8-byte words (0 = none).
    #[serde(default, with = "varuint_json")]
    pub max_net_usage_words: VarUint32,
    /// Upper limit on CPU in milliseconds (0 = none).
    #[serde(default)]
    pub max_cpu_usage_ms: u8,
    /// Delay before execution; Civitas requires 0 (no deferred transactions).
    #[serde(default, with = "varuint_json")]
    pub delay_sec: VarUint32,
    /// Context-free actions; Civitas requires none.
    #[serde(default)]
    pub context_free_actions: Vec<Action>,
    /// The actions, executed in order, all or nothing.
    pub actions: Vec<Action>,
    /// Extensions; Civitas requires none.
    #[serde(default)]
    pub transaction_extensions: Vec<Extension>,
}

crate::packable_struct!(Transaction {
    expiration,
    ref_block_num,
    ref_block_prefix,
    max_net_usage_words,
    max_cpu_usage_ms,
    delay_sec,
    context_free_actions,
    actions,
    transaction_extensions
});

mod varuint_json {
    use crate::codec::VarUint32;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &VarUint32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(v.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<VarUint32, D::Error> {
        Ok(VarUint32(u32::deserialize(d)?))
    }
}

/// The TAPOS fields that refer to a block id.
pub fn tapos_of(block_id: &Checksum256) -> (u16, u32) {
    let num = u32::from_be_bytes([block_id.0[0], block_id.0[1], block_id.0[2], block_id.0[3]]);
    let prefix = u32::from_le_bytes([block_id.0[8], block_id.0[9], block_id.0[10], block_id.0[11]]);
    (num as u16, prefix)
}

impl Transaction {
    /// A transaction of `actions` referencing block `tapos_block` (TAPOS) and expiring at
    /// `expiration`, with no resource limits, no delay and no extensions.
    pub fn new(expiration: TimePointSec, tapos_block: &Checksum256, actions: Vec<Action>) -> Transaction {
        let (ref_block_num, ref_block_prefix) = tapos_of(tapos_block);
        Transaction {
            expiration,
            ref_block_num,
            ref_block_prefix,
            max_net_usage_words: VarUint32(0),
            max_cpu_usage_ms: 0,
            delay_sec: VarUint32(0),
            context_free_actions: vec![],
            actions,
            transaction_extensions: vec![],
        }
    }

    /// The transaction id: SHA-256 of the packed transaction.
    pub fn id(&self) -> Checksum256 {
        sha256(&self.packed())
    }

    /// The digest signers sign: `sha256(chain_id ‖ packed_trx ‖ cfd_hash)` where `cfd_hash` is
    /// 32 zero bytes when there is no context-free data.
    pub fn signing_digest(&self, chain_id: &Checksum256, context_free_data: &[Bytes]) -> Checksum256 {
        signing_digest_raw(chain_id, &self.packed(), context_free_data)
    }

    /// Signs with each key and packs the result without compression.
    pub fn sign(&self, chain_id: &Checksum256, keys: &[&PrivateKey]) -> PackedTransaction {
        self.sign_with_context_free_data(chain_id, keys, &[])
    }

    /// Signs with each key over the transaction and `context_free_data`, and packs both
    /// without compression.
    pub fn sign_with_context_free_data(
        &self,
        chain_id: &Checksum256,
        keys: &[&PrivateKey],
        context_free_data: &[Bytes],
    ) -> PackedTransaction {
        let packed = self.packed();
        let digest = signing_digest_raw(chain_id, &packed, context_free_data);
        let cfd = if context_free_data.is_empty() { Vec::new() } else { context_free_data.to_vec().packed() };
        PackedTransaction {
            signatures: keys.iter().map(|k| k.sign(&digest)).collect(),
            compression: Compression::None,
            packed_context_free_data: Bytes(cfd),
            packed_trx: Bytes(packed),
        }
    }
}

/// The signing digest over already packed transaction bytes.
pub fn signing_digest_raw(chain_id: &Checksum256, packed_trx: &[u8], context_free_data: &[Bytes]) -> Checksum256 {
    let cfd_hash =
        if context_free_data.is_empty() { Checksum256::ZERO } else { sha256(&context_free_data.to_vec().packed()) };
    sha256_concat(&[&chain_id.0, packed_trx, &cfd_hash.0])
}

/// How `packed_trx` and `packed_context_free_data` are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Plain bytes.
    #[default]
    None,
    /// An RFC 1950 zlib stream.
    Zlib,
}

impl Pack for Compression {
    fn pack(&self, out: &mut Vec<u8>) {
        out.push(match self {
            Compression::None => 0,
            Compression::Zlib => 1,
        });
    }
}

impl Unpack for Compression {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        match r.u8()? {
            0 => Ok(Compression::None),
            1 => Ok(Compression::Zlib),
            b => Err(CodecError::invalid("compression", format!("unknown compression {b}"))),
        }
    }
}

impl Serialize for Compression {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            Compression::None => "none",
            Compression::Zlib => "zlib",
        })
    }
}

impl<'de> Deserialize<'de> for Compression {
    /// Reads `compression` as nodeos's fc reflection reads an enum, so every client that nodeos
    /// accepts is accepted: a string is a name (`"none"`, `"zlib"`) or a decimal integer, anything
    /// else goes through `as_int64` (`true`/`false` are 1/0, `null` is 0, a double is truncated).
    /// eosjs and Wharfkit send `0`/`1`; a Python client sends `false`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("unknown transaction compression {v}"));
        let code = match &v {
            serde_json::Value::String(s) if s == "none" => return Ok(Compression::None),
            serde_json::Value::String(s) if s == "zlib" => return Ok(Compression::Zlib),
            serde_json::Value::String(s) => lexical_i64(s).ok_or_else(bad)?,
            serde_json::Value::Bool(b) => i64::from(*b),
            serde_json::Value::Null => 0,
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => i,
                // C++'s `int64_t(double)` truncates toward zero.
                (None, Some(f)) if f.is_finite() && f.abs() < 9.2e18 => f.trunc() as i64,
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        };
        match code {
            0 => Ok(Compression::None),
            1 => Ok(Compression::Zlib),
            _ => Err(bad()),
        }
    }
}

/// A decimal `i64` as `boost::lexical_cast<int64_t>` reads one: an optional sign and digits,
/// nothing else (no spaces).
fn lexical_i64(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A signed transaction as carried in blocks and pushed by clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackedTransaction {
    /// Signatures over the signing digest.
    pub signatures: Vec<Signature>,
    /// Compression of the two byte fields below.
    #[serde(default)]
    pub compression: Compression,
    /// The packed `bytes[]` of context-free data (possibly empty or compressed).
    #[serde(default)]
    pub packed_context_free_data: Bytes,
    /// The packed transaction (possibly compressed).
    pub packed_trx: Bytes,
}

crate::packable_struct!(PackedTransaction { signatures, compression, packed_context_free_data, packed_trx });

/// Why a packed transaction could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnpackError {
    /// The zlib stream is corrupt.
    #[error("transaction decompression failed: {0}")]
    Decompression(String),
    /// Inflating would exceed the size limit.
    #[error("decompressed transaction exceeds {0} bytes")]
    TooLarge(usize),
    /// The bytes are not a transaction.
    #[error("invalid packed transaction: {0}")]
    Codec(#[from] CodecError),
}

fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, UnpackError> {
    let mut out = Vec::new();
    let mut dec = flate2::read::ZlibDecoder::new(data).take(limit as u64 + 1);
    dec.read_to_end(&mut out).map_err(|e| UnpackError::Decompression(e.to_string()))?;
    if out.len() > limit {
        return Err(UnpackError::TooLarge(limit));
    }
    Ok(out)
}

impl PackedTransaction {
    /// The uncompressed transaction bytes, inflating at most `limit` bytes.
    pub fn raw_trx(&self, limit: usize) -> Result<Vec<u8>, UnpackError> {
        match self.compression {
            Compression::None if self.packed_trx.0.len() > limit => Err(UnpackError::TooLarge(limit)),
            Compression::None => Ok(self.packed_trx.0.clone()),
            Compression::Zlib => inflate(&self.packed_trx.0, limit),
        }
    }

    /// The context-free data entries; an empty field and an empty vector both mean none.
    pub fn context_free_data(&self, limit: usize) -> Result<Vec<Bytes>, UnpackError> {
        let raw = match self.compression {
            Compression::None => self.packed_context_free_data.0.clone(),
            Compression::Zlib if self.packed_context_free_data.0.is_empty() => Vec::new(),
            Compression::Zlib => inflate(&self.packed_context_free_data.0, limit)?,
        };
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        Ok(Vec::<Bytes>::unpack_exact(&raw)?)
    }

    /// Decodes the transaction; returns it with its uncompressed bytes.
    pub fn unpack_trx(&self, limit: usize) -> Result<(Transaction, Vec<u8>), UnpackError> {
        let raw = self.raw_trx(limit)?;
        let trx = Transaction::unpack_exact(&raw)?;
        Ok((trx, raw))
    }

    /// Bytes of the packed form (what a block carries for this transaction): signatures,
    /// compression flag, context-free data and transaction, each with its length prefix.
    pub fn wire_size(&self) -> usize {
        use crate::codec::varuint32_len;
        let n = self.signatures.len();
        let cfd = self.packed_context_free_data.0.len();
        let trx = self.packed_trx.0.len();
        varuint32_len(n) + n * SIGNATURE_WIRE_BYTES + 1 + varuint32_len(cfd) + cfd + varuint32_len(trx) + trx
    }

    /// A packed copy with the given compression.
    pub fn with_compression(&self, compression: Compression, limit: usize) -> Result<PackedTransaction, UnpackError> {
        let raw = self.raw_trx(limit)?;
        let cfd = self.context_free_data(limit)?;
        let cfd_raw = if cfd.is_empty() { Vec::new() } else { cfd.packed() };
        let (trx_bytes, cfd_bytes) = match compression {
            Compression::None => (raw, cfd_raw),
            Compression::Zlib => (deflate(&raw), deflate(&cfd_raw)),
        };
        Ok(PackedTransaction {
            signatures: self.signatures.clone(),
            compression,
            packed_context_free_data: Bytes(cfd_bytes),
            packed_trx: Bytes(trx_bytes),
        })
    }
}

/// Packed size of one K1 signature: the key-type byte and 65 bytes.
const SIGNATURE_WIRE_BYTES: usize = 66;

/// zlib-compresses `data`.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// A transaction whose signatures have been checked and signers recovered, ready to apply
/// without further cryptography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTransaction {
    /// The transaction id.
    pub id: Checksum256,
    /// The decoded transaction.
    pub trx: Transaction,
    /// The packed form as received (kept for blocks).
    pub packed: PackedTransaction,
    /// The keys recovered from the signatures, in signature order.
    pub signers: Vec<PublicKey>,
    /// Size of the uncompressed transaction in bytes.
    pub size: usize,
    /// Bytes the transaction takes in a block: its packed form with signatures, compression
    /// flag and context-free data ([`PackedTransaction::wire_size`]). This is what is billed as
    /// NET, reported as `net_usage_words` and counted against a block's byte limit.
    pub wire_bytes: usize,
    /// Context-free data entries it carries (the chain refuses any: it has no context-free
    /// actions for them to serve).
    pub context_free_entries: usize,
}

/// Why a transaction failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The packed form could not be opened.
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    /// A signature is invalid.
    #[error("signature {index}: {error}")]
    Signature {
        /// Position of the bad signature.
        index: usize,
        /// What is wrong.
        error: CryptoError,
    },
    /// Two signatures recover the same key.
    #[error("duplicate signature from key {0}")]
    DuplicateSignature(PublicKey),
    /// More signatures than allowed.
    #[error("too many signatures ({0})")]
    TooManySignatures(usize),
}

/// The most signatures one transaction may carry.
pub const MAX_SIGNATURES: usize = 32;

impl VerifiedTransaction {
    /// Opens `packed`, checks its signatures and recovers the signers. This is the only place
    /// where transaction signatures are checked.
    pub fn verify(
        chain_id: &Checksum256,
        packed: PackedTransaction,
        limit: usize,
    ) -> Result<VerifiedTransaction, VerifyError> {
        if packed.signatures.len() > MAX_SIGNATURES {
            return Err(VerifyError::TooManySignatures(packed.signatures.len()));
        }
        let (trx, raw) = packed.unpack_trx(limit)?;
        let cfd = packed.context_free_data(limit)?;
        let digest = signing_digest_raw(chain_id, &raw, &cfd);
        let mut signers = Vec::with_capacity(packed.signatures.len());
        for (index, s) in packed.signatures.iter().enumerate() {
            let key = s.recover(&digest).map_err(|error| VerifyError::Signature { index, error })?;
            if signers.contains(&key) {
                return Err(VerifyError::DuplicateSignature(key));
            }
            signers.push(key);
        }
        Ok(Self::assemble(trx, &raw, packed, cfd.len(), signers))
    }

    /// The verified form of `trx` (whose packed bytes are `raw`) carried as `packed`.
    fn assemble(
        trx: Transaction,
        raw: &[u8],
        packed: PackedTransaction,
        context_free_entries: usize,
        signers: Vec<PublicKey>,
    ) -> VerifiedTransaction {
        VerifiedTransaction {
            id: sha256(raw),
            size: raw.len(),
            wire_bytes: packed.wire_size(),
            context_free_entries,
            trx,
            packed,
            signers,
        }
    }

    /// Wraps a transaction whose signers are already known (trusted callers: benchmarks of
    /// state application). The chain still checks that the signers satisfy the authorities.
    pub fn trusted(trx: Transaction, packed: PackedTransaction, signers: Vec<PublicKey>) -> VerifiedTransaction {
        let raw = trx.packed();
        let context_free_entries = packed.context_free_data(MAX_TRANSACTION_BYTES).map_or(1, |c| c.len());
        Self::assemble(trx, &raw, packed, context_free_entries, signers)
    }

    /// Opens a transaction of a block this node applied before, with the keys it recovered
    /// then (the signers record of its own block log), instead of recovering them again.
    /// Authorities are still checked against those keys when the transaction is applied: only
    /// the cryptography is skipped, never the authority check. Never use it for anything that
    /// came from outside the node.
    pub fn with_signers(
        packed: PackedTransaction,
        signers: Vec<PublicKey>,
        limit: usize,
    ) -> Result<VerifiedTransaction, UnpackError> {
        let (trx, raw) = packed.unpack_trx(limit)?;
        let cfd = packed.context_free_data(limit)?;
        Ok(Self::assemble(trx, &raw, packed, cfd.len(), signers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::PermissionLevel;
    use crate::name::Name;

    fn transfer_trx() -> Transaction {
        // The eosjs transfer from client-surface.md §4.2.
        let data = hex::decode("0000000000855c340000000000000e3d102700000000000004454f5300000000026869").unwrap();
        Transaction {
            expiration: TimePointSec(0x6592_009e),
            ref_block_num: 7200,
            ref_block_prefix: 3_790_594_777,
            max_net_usage_words: VarUint32(0),
            max_cpu_usage_ms: 0,
            delay_sec: VarUint32(0),
            context_free_actions: vec![],
            actions: vec![Action {
                account: Name::constant("eosio.token"),
                name: Name::constant("transfer"),
                authorization: vec![PermissionLevel::new(Name::constant("alice"), Name::constant("active"))],
                data: Bytes(data),
            }],
            transaction_extensions: vec![],
        }
    }

    #[test]
    fn packs_like_eosjs() {
        let expected = "9e009265201cd9e2efe1000000000100a6823403ea3055000000572d3ccdcd010000000000855c3400000000a8ed3232230000000000855c340000000000000e3d102700000000000004454f530000000002686900";
        assert_eq!(hex::encode(transfer_trx().packed()), expected);
        assert_eq!(Transaction::unpack_exact(&hex::decode(expected).unwrap()).unwrap(), transfer_trx());
    }

    #[test]
    fn tapos_from_block_id() {
        let id: Checksum256 = "00001c200406b202d9e2efe1000000000000000000000000000000000000abcd".parse().unwrap();
        assert_eq!(tapos_of(&id), (7200, 3_790_594_777));
    }

    #[test]
    fn sign_verify_and_zlib_round_trip() {
        let chain_id = sha256(b"chain");
        let key = PrivateKey::from_seed("alice");
        let packed = transfer_trx().sign(&chain_id, &[&key]);
        let v = VerifiedTransaction::verify(&chain_id, packed.clone(), 1 << 20).unwrap();
        assert_eq!(v.signers, vec![key.public_key()]);
        assert_eq!(v.id, transfer_trx().id());
        let z = packed.with_compression(Compression::Zlib, 1 << 20).unwrap();
        let vz = VerifiedTransaction::verify(&chain_id, z, 1 << 20).unwrap();
        assert_eq!(vz.id, v.id);
        assert_eq!(vz.signers, v.signers);
        // A wrong chain id recovers a different key.
        let other = VerifiedTransaction::verify(&sha256(b"other"), packed, 1 << 20).unwrap();
        assert_ne!(other.signers, v.signers);
    }

    #[test]
    fn wharfkit_empty_cfd_forms_mean_none() {
        let mut p = transfer_trx().sign(&Checksum256::ZERO, &[]);
        p.packed_context_free_data = Bytes(vec![0]);
        assert!(p.context_free_data(100).unwrap().is_empty());
        let z = PackedTransaction {
            compression: Compression::Zlib,
            packed_context_free_data: "789c63000000010001".parse().unwrap(),
            packed_trx: Bytes(deflate(&transfer_trx().packed())),
            ..p
        };
        assert!(z.context_free_data(100).unwrap().is_empty());
        assert_eq!(z.unpack_trx(1000).unwrap().0, transfer_trx());
    }

    #[test]
    fn wire_size_counts_every_byte_of_the_packed_form() {
        let chain_id = sha256(b"chain");
        let key = PrivateKey::from_seed("alice");
        let mut p = transfer_trx().sign(&chain_id, &[&key]);
        assert_eq!(p.wire_size(), p.packed().len());
        // Context-free data and more signatures are billed too.
        p.packed_context_free_data = Bytes(vec![0xab; 300]);
        p.signatures.push(p.signatures[0]);
        assert_eq!(p.wire_size(), p.packed().len());
        let v = VerifiedTransaction::verify(&chain_id, transfer_trx().sign(&chain_id, &[&key]), 1 << 20).unwrap();
        assert_eq!(v.wire_bytes, v.packed.packed().len());
        assert_eq!(v.context_free_entries, 0);
        // A transaction carrying context-free data says so, whatever its signatures.
        let digest = transfer_trx().signing_digest(&chain_id, &[Bytes(vec![1, 2, 3])]);
        let with_cfd = PackedTransaction {
            signatures: vec![key.sign(&digest)],
            compression: Compression::None,
            packed_context_free_data: Bytes(vec![Bytes(vec![1, 2, 3])].packed()),
            packed_trx: Bytes(transfer_trx().packed()),
        };
        let v = VerifiedTransaction::verify(&chain_id, with_cfd, 1 << 20).unwrap();
        assert_eq!(v.context_free_entries, 1);
        assert_eq!(v.signers, vec![key.public_key()]);
    }

    #[test]
    fn compression_reads_like_nodeos_enum_reflection() {
        let read = |v: serde_json::Value| serde_json::from_value::<Compression>(v).ok();
        use serde_json::json;
        for none in [json!(0), json!("0"), json!("none"), json!(false), json!(null), json!(0.9), json!("-0")] {
            assert_eq!(read(none.clone()), Some(Compression::None), "{none}");
        }
        for zlib in [json!(1), json!("1"), json!("+1"), json!("zlib"), json!(true), json!(1.5)] {
            assert_eq!(read(zlib.clone()), Some(Compression::Zlib), "{zlib}");
        }
        for bad in [
            json!(2),
            json!(-1),
            json!("gzip"),
            json!(" 1"),
            json!("1.0"),
            json!(""),
            json!([0]),
            json!({}),
            json!(1e300),
        ] {
            assert_eq!(read(bad.clone()), None, "{bad}");
        }
    }

    #[test]
    fn zlib_bomb_is_bounded() {
        let big = deflate(&vec![0u8; 10_000_000]);
        let p = PackedTransaction {
            signatures: vec![],
            compression: Compression::Zlib,
            packed_context_free_data: Bytes::default(),
            packed_trx: Bytes(big),
        };
        assert_eq!(p.raw_trx(1 << 16), Err(UnpackError::TooLarge(1 << 16)));
    }
}
