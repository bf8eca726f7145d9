//! Signature recovery behind a trait, so that a shell can share or cache results. Recovery is a
//! pure function of (digest, signature), so a cache never changes what the core decides; it
//! only saves the ~38 µs a recovery costs when many nodes of a simulation, or a gossiped
//! approval and the block that later includes it, present the same signature.

use std::collections::BTreeMap;
use std::sync::Mutex;

use civitas_protocol::crypto::CryptoError;
use civitas_protocol::{Checksum256, PublicKey, Signature};

/// Recovers signing keys of Civitas-internal signatures (blocks, approvals, evidence).
pub trait SigVerifier: Send + Sync {
    /// The key that signed `digest` (low-S signatures only; see `Signature::recover_internal`).
    fn recover(&self, digest: &Checksum256, sig: &Signature) -> Result<PublicKey, CryptoError>;
}

/// Recovers every time.
#[derive(Debug, Default)]
pub struct DirectVerifier;

impl SigVerifier for DirectVerifier {
    fn recover(&self, digest: &Checksum256, sig: &Signature) -> Result<PublicKey, CryptoError> {
        sig.recover_internal(digest)
    }
}

/// Remembers recent results (bounded; forgets everything when full).
#[derive(Debug)]
pub struct MemoVerifier {
    memo: Mutex<BTreeMap<(Checksum256, Signature), Result<PublicKey, CryptoError>>>,
    max: usize,
}

impl MemoVerifier {
    /// A cache of at most `max` results.
    pub fn new(max: usize) -> MemoVerifier {
        MemoVerifier { memo: Mutex::new(BTreeMap::new()), max }
    }
}

impl SigVerifier for MemoVerifier {
    fn recover(&self, digest: &Checksum256, sig: &Signature) -> Result<PublicKey, CryptoError> {
        let key = (*digest, *sig);
        if let Some(r) = self.memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return r.clone();
        }
        let r = sig.recover_internal(digest);
        let mut m = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= self.max {
            m.clear();
        }
        m.insert(key, r.clone());
        r
    }
}
