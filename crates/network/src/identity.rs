//! Node identity: the static X25519 key of the Noise handshake, the [`PeerId`] derived from it,
//! and the optional binding of a producer's K1 key to a Noise session.

use std::fmt;
use std::str::FromStr;

use civitas_protocol::checksum::sha256_concat;
use civitas_protocol::{Checksum256, PrivateKey, PublicKey, Signature};
use snow::params::DHChoice;
use snow::resolvers::{CryptoResolver, DefaultResolver};

use crate::error::NetError;

/// A peer's identity: its static X25519 Noise public key.
///
/// The key itself (not a hash of it) is the id, so a `PeerId` from a configuration file can be
/// used directly to pin a peer, and comparing ids needs no extra hashing.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub [u8; 32]);

impl PeerId {
    /// The first four bytes in hex: enough to tell peers apart in logs.
    pub fn short(&self) -> String {
        hex(&self.0[..4])
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerId({})", self.short())
    }
}

impl FromStr for PeerId {
    type Err = NetError;

    /// 64 hex digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let c = Checksum256::from_str(s).map_err(|e| NetError::Config(format!("bad peer id: {e}")))?;
        Ok(PeerId(c.0))
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The node's static Noise keypair. The node generates it once and keeps it in its data
/// directory, so that its [`PeerId`] is stable across restarts and peers can pin it.
#[derive(Clone)]
pub struct NodeKey {
    secret: [u8; 32],
    public: PeerId,
}

impl NodeKey {
    /// A new random key from the operating system's random source.
    pub fn generate() -> Result<NodeKey, NetError> {
        let builder = snow::Builder::new(crate::transport::noise_params());
        let kp = builder.generate_keypair().map_err(|e| NetError::Noise(e.to_string()))?;
        let secret: [u8; 32] =
            kp.private.as_slice().try_into().map_err(|_| NetError::Noise("unexpected private key length".into()))?;
        Ok(NodeKey::from_secret(secret))
    }

    /// The key with the given 32 secret bytes (any 32 bytes are a valid X25519 secret).
    pub fn from_secret(secret: [u8; 32]) -> NodeKey {
        let mut public = [0u8; 32];
        // Curve25519 is compiled in (the `use-curve25519` feature), so the resolver always has it.
        if let Some(mut dh) = DefaultResolver.resolve_dh(&DHChoice::Curve25519) {
            dh.set(&secret);
            public.copy_from_slice(dh.pubkey());
        }
        NodeKey { secret, public: PeerId(public) }
    }

    /// The secret bytes, for the node to store.
    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    /// This node's peer id (its public key).
    pub fn peer_id(&self) -> PeerId {
        self.public
    }
}

impl fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        write!(f, "NodeKey({})", self.public.short())
    }
}

/// A K1 key and its signature binding it to one Noise session (carried in `Hello`).
///
/// The signed digest covers the session's handshake hash, so the signature cannot be replayed
/// on another connection, and the signer's own Noise key, so the remote side cannot reflect
/// it back within the same session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The K1 public key (for example a producer's signing key).
    pub key: PublicKey,
    /// Signature over [`identity_digest`].
    pub signature: Signature,
}

civitas_protocol::packable_struct!(PeerIdentity { key, signature });

/// What a node signs to bind its K1 key to a session: `sha256(domain ‖ handshake hash ‖
/// signer's Noise static key)`.
pub fn identity_digest(handshake_hash: &[u8; 32], signer: &PeerId) -> Checksum256 {
    sha256_concat(&[b"civitas-p2p/identity/v1", handshake_hash, &signer.0])
}

impl PeerIdentity {
    /// Signs the binding for the local side of a session.
    pub fn sign(key: &PrivateKey, handshake_hash: &[u8; 32], local: &PeerId) -> PeerIdentity {
        PeerIdentity { key: key.public_key(), signature: key.sign(&identity_digest(handshake_hash, local)) }
    }

    /// Whether the signature binds `key` to this session for the remote side `signer`.
    pub fn verify(&self, handshake_hash: &[u8; 32], signer: &PeerId) -> bool {
        self.signature.recover(&identity_digest(handshake_hash, signer)).is_ok_and(|k| k == self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_round_trip_and_id() {
        let k = NodeKey::generate().unwrap();
        let again = NodeKey::from_secret(*k.secret());
        assert_eq!(k.peer_id(), again.peer_id());
        assert_ne!(k.peer_id(), NodeKey::generate().unwrap().peer_id());
        assert_eq!(k.peer_id().to_string().parse::<PeerId>().unwrap(), k.peer_id());
        assert!(!format!("{k:?}").contains(&hex(k.secret())));
    }

    #[test]
    fn identity_binding_is_per_session_and_per_side() {
        let producer = PrivateKey::from_seed("bp");
        let a = NodeKey::from_secret([1; 32]).peer_id();
        let b = NodeKey::from_secret([2; 32]).peer_id();
        let hh = [7u8; 32];
        let id = PeerIdentity::sign(&producer, &hh, &a);
        assert!(id.verify(&hh, &a));
        assert!(!id.verify(&hh, &b), "reflected by the other side");
        assert!(!id.verify(&[8u8; 32], &a), "replayed on another session");
    }
}
