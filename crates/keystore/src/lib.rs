//! Password-encrypted key files for producers (`civitas init`, `civitas node run`) and for the
//! command-line wallet.
//!
//! A keystore is one JSON file:
//!
//! ```json
//! {"version": 1,
//!  "kdf": {"alg": "argon2id", "m_kib": 65536, "t": 3, "p": 1, "salt": "…32 hex…"},
//!  "cipher": "xchacha20poly1305", "nonce": "…48 hex…", "ciphertext": "…hex…",
//!  "public_keys": ["PUB_K1_…"]}
//! ```
//!
//! * The encryption key is Argon2id (memory-hard, RFC 9106) of the password and a random salt,
//!   with the parameters stored in the file, so a file written with light test parameters opens
//!   with those and a default file with the defaults (m = 64 MiB, t = 3, p = 1).
//! * The payload (private keys and optional labels) is sealed with XChaCha20-Poly1305 under a
//!   fresh random 24-byte nonce on every write. Everything else in the file (version, KDF
//!   parameters, salt, public keys) is bound in as associated data, so editing any byte of the
//!   file makes opening fail.
//! * The public keys are also stored in clear so that [`Keystore::public_keys`] (and `civitas
//!   key list`) work without the password. They reveal nothing the chain does not show.
//! * Writes are atomic (temporary file, fsync, rename, fsync of the directory) and files are
//!   created with mode 0600.
//!
//! ```no_run
//! use civitas_keystore::{KdfParams, Keystore};
//! # fn main() -> Result<(), civitas_keystore::KeystoreError> {
//! let path = std::path::Path::new("wallet.json");
//! let mut ks = Keystore::create(path, "correct horse", KdfParams::default())?;
//! let public = ks.generate(Some("producer"))?;
//! let ks = Keystore::open(path, "correct horse")?;
//! assert!(ks.get(&public).is_some());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod file;
mod fsio;

use std::path::{Path, PathBuf};

use civitas_protocol::{PrivateKey, PublicKey};
use zeroize::Zeroizing;

pub use file::FORMAT_VERSION;

/// Why a keystore operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The keystore file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// There is no file at the path.
    #[error("{0}: no keystore file there")]
    NotFound(PathBuf),
    /// `create` found a file at the path and refuses to overwrite it.
    #[error("{0} already exists; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// Decryption failed: the password is wrong, or the file was modified.
    #[error("wrong password for {0} (or the file was modified)")]
    WrongPassword(PathBuf),
    /// The file is not a keystore this version can read.
    #[error("{path} is not a valid keystore file: {reason}")]
    Corrupt {
        /// The keystore file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The file has a format version this build does not know.
    #[error("{path}: keystore format version {version} is not supported (this build reads version 1)")]
    UnsupportedVersion {
        /// The keystore file.
        path: PathBuf,
        /// The version found in the file.
        version: u64,
    },
    /// Argon2 parameters out of the accepted range.
    #[error("invalid key-derivation parameters: {0}")]
    InvalidParams(String),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

/// Argon2id cost parameters; they are stored in each file, so opening always uses the ones the
/// file was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB (at least 8 × `p`).
    pub m_kib: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The defaults for real keys: 64 MiB, 3 passes, 1 lane (OWASP's Argon2id baseline is 19 MiB
    /// and 2 passes; a key file is opened rarely, so it can afford more).
    pub const DEFAULT: KdfParams = KdfParams { m_kib: 64 * 1024, t: 3, p: 1 };

    /// Cheap parameters for tests and throwaway local networks: milliseconds per open, and no
    /// protection worth the name against guessing. Never use them for keys that hold value.
    pub const INSECURE_FAST: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

    /// Largest memory accepted (4 GiB), so that a hostile file cannot make `open` exhaust
    /// memory before the password is even checked.
    pub const MAX_M_KIB: u32 = 4 * 1024 * 1024;
    /// Largest pass count accepted (bounds the time a hostile file can cost).
    pub const MAX_T: u32 = 64;
    /// Largest lane count accepted.
    pub const MAX_P: u32 = 64;

    /// Parameters checked against the accepted ranges.
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<KdfParams, KeystoreError> {
        let params = KdfParams { m_kib, t, p };
        params.validate()?;
        Ok(params)
    }

    /// Checks the ranges: 1 ≤ p ≤ 64, 1 ≤ t ≤ 64, 8·p ≤ m_kib ≤ 4 GiB.
    pub fn validate(&self) -> Result<(), KeystoreError> {
        if self.p == 0 || self.p > Self::MAX_P {
            return Err(KeystoreError::InvalidParams(format!("p = {} (must be 1 to {})", self.p, Self::MAX_P)));
        }
        if self.t == 0 || self.t > Self::MAX_T {
            return Err(KeystoreError::InvalidParams(format!("t = {} (must be 1 to {})", self.t, Self::MAX_T)));
        }
        if self.m_kib < 8 * self.p || self.m_kib > Self::MAX_M_KIB {
            return Err(KeystoreError::InvalidParams(format!(
                "m_kib = {} (must be {} to {})",
                self.m_kib,
                8 * self.p,
                Self::MAX_M_KIB
            )));
        }
        Ok(())
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::DEFAULT
    }
}

/// One stored key.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// The public key (derived from `private`).
    pub public: PublicKey,
    /// The secret key.
    pub private: PrivateKey,
    /// An optional human label ("producer", "cold", …).
    pub label: Option<String>,
}

/// An open (decrypted) keystore. Changes are written to its file at once.
pub struct Keystore {
    path: PathBuf,
    params: KdfParams,
    salt: [u8; file::SALT_LEN],
    /// The Argon2id output, kept so that adding a key does not cost another derivation.
    key: Zeroizing<[u8; 32]>,
    entries: Vec<KeyEntry>,
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No key material: PrivateKey's Debug prints only its public key, but the derived
        // encryption key must not show up in logs either.
        f.debug_struct("Keystore")
            .field("path", &self.path)
            .field("params", &self.params)
            .field("keys", &self.entries.iter().map(|e| e.public).collect::<Vec<_>>())
            .finish()
    }
}

impl Keystore {
    /// Creates an empty keystore file at `path`, encrypted under `password` with `params`.
    /// Refuses to overwrite an existing file. The parent directory is created if missing.
    pub fn create(path: &Path, password: &str, params: KdfParams) -> Result<Keystore, KeystoreError> {
        params.validate()?;
        let mut salt = [0u8; file::SALT_LEN];
        random_fill(&mut salt)?;
        let key = file::derive_key(password, &salt, params)?;
        let ks = Keystore { path: path.to_path_buf(), params, salt, key, entries: Vec::new() };
        let bytes = file::seal(&ks.params, &ks.salt, &ks.key, &ks.entries)?;
        fsio::write_new(path, &bytes)?;
        Ok(ks)
    }

    /// Opens and decrypts the keystore at `path`. Errors: [`KeystoreError::NotFound`],
    /// [`KeystoreError::WrongPassword`] (also for a modified file), [`KeystoreError::Corrupt`],
    /// [`KeystoreError::UnsupportedVersion`], [`KeystoreError::Io`].
    pub fn open(path: &Path, password: &str) -> Result<Keystore, KeystoreError> {
        let bytes = fsio::read(path)?;
        let parsed = file::parse(path, &bytes)?;
        let key = file::derive_key(password, &parsed.salt, parsed.params)?;
        let entries = file::open(path, &parsed, &key)?;
        Ok(Keystore { path: path.to_path_buf(), params: parsed.params, salt: parsed.salt, key, entries })
    }

    /// The public keys stored at `path`, read without the password.
    pub fn public_keys(path: &Path) -> Result<Vec<PublicKey>, KeystoreError> {
        let bytes = fsio::read(path)?;
        Ok(file::parse(path, &bytes)?.public_keys)
    }

    /// Generates a new random key, stores it (with `label`) and returns its public key.
    pub fn generate(&mut self, label: Option<&str>) -> Result<PublicKey, KeystoreError> {
        let key = try_generate_key()?;
        self.import(key, label)
    }

    /// Stores `key` (with `label`) and returns its public key. A key already present is not
    /// added twice; a label given for it replaces the old one.
    pub fn import(&mut self, key: PrivateKey, label: Option<&str>) -> Result<PublicKey, KeystoreError> {
        let public = key.public_key();
        let mut next = self.entries.clone();
        match next.iter_mut().find(|e| e.public == public) {
            Some(existing) => {
                if label.is_none() || existing.label.as_deref() == label {
                    return Ok(public);
                }
                existing.label = label.map(str::to_owned);
            }
            None => next.push(KeyEntry { public, private: key, label: label.map(str::to_owned) }),
        }
        // Write first, then update memory: a failed write leaves the keystore as it was.
        self.persist(&next)?;
        self.entries = next;
        Ok(public)
    }

    /// Removes the key for `public`; returns whether it was there.
    pub fn remove(&mut self, public: &PublicKey) -> Result<bool, KeystoreError> {
        if !self.contains(public) {
            return Ok(false);
        }
        let next: Vec<KeyEntry> = self.entries.iter().filter(|e| &e.public != public).cloned().collect();
        self.persist(&next)?;
        self.entries = next;
        Ok(true)
    }

    /// Re-encrypts the file under a new password and parameters (with a new salt).
    pub fn change_password(&mut self, password: &str, params: KdfParams) -> Result<(), KeystoreError> {
        params.validate()?;
        let mut salt = [0u8; file::SALT_LEN];
        random_fill(&mut salt)?;
        let key = file::derive_key(password, &salt, params)?;
        let bytes = file::seal(&params, &salt, &key, &self.entries)?;
        fsio::replace(&self.path, &bytes)?;
        self.params = params;
        self.salt = salt;
        self.key = key;
        Ok(())
    }

    /// All stored key pairs, in the order they were added.
    pub fn keys(&self) -> impl Iterator<Item = (&PublicKey, &PrivateKey)> {
        self.entries.iter().map(|e| (&e.public, &e.private))
    }

    /// All stored entries (keys with their labels), in the order they were added.
    pub fn entries(&self) -> &[KeyEntry] {
        &self.entries
    }

    /// The private key for `public`, if stored.
    pub fn get(&self, public: &PublicKey) -> Option<&PrivateKey> {
        self.entries.iter().find(|e| &e.public == public).map(|e| &e.private)
    }

    /// Whether a key for `public` is stored.
    pub fn contains(&self, public: &PublicKey) -> bool {
        self.entries.iter().any(|e| &e.public == public)
    }

    /// The label of the key for `public`, if it has one.
    pub fn label(&self, public: &PublicKey) -> Option<&str> {
        self.entries.iter().find(|e| &e.public == public).and_then(|e| e.label.as_deref())
    }

    /// Number of stored keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The file this keystore lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The Argon2id parameters of the file.
    pub fn params(&self) -> KdfParams {
        self.params
    }

    fn persist(&self, entries: &[KeyEntry]) -> Result<(), KeystoreError> {
        let bytes = file::seal(&self.params, &self.salt, &self.key, entries)?;
        fsio::replace(&self.path, &bytes)
    }
}

/// A new random private key from the operating system's random source.
///
/// # Panics
/// Only if the operating system's random source fails, which on a working system does not
/// happen; use [`try_generate_key`] to handle that case.
pub fn generate_key() -> PrivateKey {
    match try_generate_key() {
        Ok(k) => k,
        Err(e) => panic!("{e}"),
    }
}

/// A new random private key, or the random source's failure.
pub fn try_generate_key() -> Result<PrivateKey, KeystoreError> {
    loop {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random_fill(bytes.as_mut())?;
        // Fails only for zero or values ≥ the curve order (probability ~2^-128): draw again.
        if let Ok(k) = PrivateKey::from_bytes(*bytes) {
            return Ok(k);
        }
    }
}

fn random_fill(buf: &mut [u8]) -> Result<(), KeystoreError> {
    getrandom::fill(buf).map_err(|e| KeystoreError::Random(e.to_string()))
}
