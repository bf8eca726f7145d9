//! The file format: JSON envelope, Argon2id key derivation, XChaCha20-Poly1305 sealing.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use civitas_protocol::{PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::{random_fill, KdfParams, KeyEntry, KeystoreError};

/// The file format version this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;
/// Salt length in bytes (Argon2's recommended 16).
pub(crate) const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const KDF_ALG: &str = "argon2id";
const CIPHER: &str = "xchacha20poly1305";

#[derive(Serialize, Deserialize)]
struct Envelope {
    version: u64,
    kdf: KdfJson,
    cipher: String,
    nonce: String,
    ciphertext: String,
    public_keys: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct KdfJson {
    alg: String,
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
}

/// The sealed payload. Private keys are stored as `PVT_K1_…` text.
#[derive(Serialize, Deserialize)]
struct Secrets {
    keys: Vec<PayloadKey>,
}

#[derive(Serialize, Deserialize)]
struct PayloadKey {
    private: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

impl Drop for PayloadKey {
    fn drop(&mut self) {
        self.private.zeroize();
    }
}

/// A parsed (still encrypted) file.
pub(crate) struct Parsed {
    pub(crate) params: KdfParams,
    pub(crate) salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
    pub(crate) public_keys: Vec<PublicKey>,
}

/// Argon2id(password, salt) → 32-byte key.
pub(crate) fn derive_key(password: &str, salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
    params.validate()?;
    let p = Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|e| KeystoreError::InvalidParams(e.to_string()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password_into(password.as_bytes(), salt, key.as_mut())
        .map_err(|e| KeystoreError::InvalidParams(e.to_string()))?;
    Ok(key)
}

/// The associated data: every clear field of the file in a fixed text form, so that none of them
/// can be changed without failing authentication.
fn associated_data(params: &KdfParams, salt: &[u8], public_keys: &[PublicKey]) -> Vec<u8> {
    let keys: Vec<String> = public_keys.iter().map(|k| k.to_string()).collect();
    format!(
        "civitas-keystore|{FORMAT_VERSION}|{KDF_ALG}|{}|{}|{}|{}|{CIPHER}|{}",
        params.m_kib,
        params.t,
        params.p,
        hex::encode(salt),
        keys.join(",")
    )
    .into_bytes()
}

/// Encrypts `entries` under `key` with a fresh nonce and returns the file bytes.
pub(crate) fn seal(
    params: &KdfParams,
    salt: &[u8; SALT_LEN],
    key: &[u8; 32],
    entries: &[KeyEntry],
) -> Result<Vec<u8>, KeystoreError> {
    let payload = Secrets {
        keys: entries.iter().map(|e| PayloadKey { private: e.private.to_string(), label: e.label.clone() }).collect(),
    };
    let plaintext = Zeroizing::new(serde_json::to_vec(&payload).expect("payload serializes"));
    let public_keys: Vec<PublicKey> = entries.iter().map(|e| e.public).collect();
    let aad = associated_data(params, salt, &public_keys);
    let mut nonce = [0u8; NONCE_LEN];
    random_fill(&mut nonce)?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: &plaintext, aad: &aad })
        // Encryption fails only for messages beyond 256 GiB.
        .map_err(|_| KeystoreError::InvalidParams("payload too large to encrypt".into()))?;
    let envelope = Envelope {
        version: FORMAT_VERSION,
        kdf: KdfJson { alg: KDF_ALG.into(), m_kib: params.m_kib, t: params.t, p: params.p, salt: hex::encode(salt) },
        cipher: CIPHER.into(),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
        public_keys: public_keys.iter().map(|k| k.to_string()).collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&envelope).expect("envelope serializes");
    bytes.push(b'\n');
    Ok(bytes)
}

fn corrupt(path: &Path, reason: impl Into<String>) -> KeystoreError {
    KeystoreError::Corrupt { path: path.to_path_buf(), reason: reason.into() }
}

fn fixed_hex<const N: usize>(path: &Path, field: &str, text: &str) -> Result<[u8; N], KeystoreError> {
    let raw = hex::decode(text).map_err(|e| corrupt(path, format!("{field}: not hex ({e})")))?;
    raw.try_into().map_err(|v: Vec<u8>| corrupt(path, format!("{field}: {} bytes, expected {N}", v.len())))
}

/// Parses the envelope and checks every clear field, without the password.
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, KeystoreError> {
    // Look at the version first so that a future format gets a precise error, not "corrupt".
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(path, format!("not JSON: {e}")))?;
    match value.get("version").and_then(serde_json::Value::as_u64) {
        Some(FORMAT_VERSION) => {}
        Some(version) => return Err(KeystoreError::UnsupportedVersion { path: path.to_path_buf(), version }),
        None => return Err(corrupt(path, "missing or invalid \"version\"")),
    }
    let env: Envelope = serde_json::from_value(value).map_err(|e| corrupt(path, e.to_string()))?;
    if env.kdf.alg != KDF_ALG {
        return Err(corrupt(path, format!("kdf.alg \"{}\" (expected \"{KDF_ALG}\")", env.kdf.alg)));
    }
    if env.cipher != CIPHER {
        return Err(corrupt(path, format!("cipher \"{}\" (expected \"{CIPHER}\")", env.cipher)));
    }
    let params = KdfParams { m_kib: env.kdf.m_kib, t: env.kdf.t, p: env.kdf.p };
    params.validate().map_err(|e| corrupt(path, format!("kdf: {e}")))?;
    let salt = fixed_hex::<SALT_LEN>(path, "kdf.salt", &env.kdf.salt)?;
    let nonce = fixed_hex::<NONCE_LEN>(path, "nonce", &env.nonce)?;
    let ciphertext = hex::decode(&env.ciphertext).map_err(|e| corrupt(path, format!("ciphertext: not hex ({e})")))?;
    let public_keys = env
        .public_keys
        .iter()
        .map(|k| k.parse::<PublicKey>().map_err(|e| corrupt(path, format!("public_keys: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Parsed { params, salt, nonce, ciphertext, public_keys })
}

/// Decrypts a parsed file with the derived key.
pub(crate) fn open(path: &Path, parsed: &Parsed, key: &[u8; 32]) -> Result<Vec<KeyEntry>, KeystoreError> {
    let aad = associated_data(&parsed.params, &parsed.salt, &parsed.public_keys);
    let cipher = XChaCha20Poly1305::new(key.into());
    let plaintext = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(&parsed.nonce), Payload { msg: &parsed.ciphertext, aad: &aad })
            .map_err(|_| KeystoreError::WrongPassword(path.to_path_buf()))?,
    );
    // Authenticated content that does not parse means a bug or a foreign writer, not tampering.
    let payload: Secrets =
        serde_json::from_slice(&plaintext).map_err(|e| corrupt(path, format!("encrypted payload: {e}")))?;
    let mut entries = Vec::with_capacity(payload.keys.len());
    for (i, k) in payload.keys.iter().enumerate() {
        let private: PrivateKey =
            k.private.parse().map_err(|_| corrupt(path, format!("encrypted payload: key {i} is not a private key")))?;
        let public = private.public_key();
        entries.push(KeyEntry { public, private, label: k.label.clone() });
    }
    let decrypted: Vec<PublicKey> = entries.iter().map(|e| e.public).collect();
    if decrypted != parsed.public_keys {
        return Err(corrupt(path, "public_keys do not match the encrypted keys"));
    }
    Ok(entries)
}
