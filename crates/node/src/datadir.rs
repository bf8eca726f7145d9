//! The data directory: what `civitas init` writes and `civitas node run` reads.
//!
//! ```text
//! DIR/config.toml     node configuration (docs/node.md)
//! DIR/genesis.json    the chain's genesis (its hash is the chain id)
//! DIR/keystore.json   encrypted producer keys
//! DIR/node.key        the P2P identity (Noise static key), 0600
//! DIR/blocks.log      every accepted block and LIB advance (docs/storage.md)
//! DIR/checkpoints/    state checkpoints
//! DIR/watermark.bin   what the local producers have signed
//! ```

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use civitas_chain::Genesis;
use civitas_keystore::Keystore;
use civitas_network::NodeKey;
use civitas_protocol::PrivateKey;

use crate::config::NodeConfig;

/// Genesis file name.
pub const GENESIS_FILE: &str = "genesis.json";
/// Keystore file name.
pub const KEYSTORE_FILE: &str = "keystore.json";
/// P2P identity file name.
pub const NODE_KEY_FILE: &str = "node.key";
/// Environment variable holding the keystore password.
pub const PASSWORD_ENV: &str = "CIVITAS_KEYSTORE_PASSWORD";

/// Reads and validates `DIR/genesis.json`.
pub fn load_genesis(path: &Path) -> anyhow::Result<Genesis> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Genesis::from_json(&text).with_context(|| format!("{} is not a valid genesis", path.display()))
}

/// Writes a file readable by its owner only, durably.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// The P2P identity, created on first use.
pub fn node_key(dir: &Path) -> anyhow::Result<NodeKey> {
    let path = dir.join(NODE_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim()).ok().filter(|b| b.len() == 32);
            let Some(bytes) = bytes else { bail!("{}: expected 64 hex digits", path.display()) };
            let mut secret = [0u8; 32];
            secret.copy_from_slice(&bytes);
            Ok(NodeKey::from_secret(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = NodeKey::generate().context("generating the P2P identity")?;
            write_private(&path, hex::encode(key.secret()).as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// The keystore password: `--password-file` / `password_file`, else `CIVITAS_KEYSTORE_PASSWORD`,
/// else a prompt on the terminal.
pub fn password(file: Option<&Path>, prompt: &str) -> anyhow::Result<String> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f).with_context(|| format!("reading the password file {}", f.display()))?;
        return Ok(text.trim_end_matches(['\n', '\r']).to_string());
    }
    if let Ok(p) = std::env::var(PASSWORD_ENV) {
        return Ok(p);
    }
    rpassword::prompt_password(prompt)
        .with_context(|| format!("no password: give --password-file, set {PASSWORD_ENV}, or run in a terminal"))
}

/// The private keys of the configured producers, from the keystore: the key registered for
/// each producer in genesis, else the keystore's only key.
pub fn producer_keys(
    dir: &Path,
    config: &NodeConfig,
    genesis: &Genesis,
    password_file: Option<&Path>,
) -> anyhow::Result<Vec<(civitas_protocol::Name, PrivateKey)>> {
    if config.producers.is_empty() {
        return Ok(vec![]);
    }
    let path = dir.join(KEYSTORE_FILE);
    let pw = password(password_file.or(config.password_file.as_deref()), "keystore password: ")?;
    let ks = Keystore::open(&path, &pw).with_context(|| format!("opening {}", path.display()))?;
    let mut out = vec![];
    for p in &config.producers {
        let registered = genesis.producers.iter().find(|g| g.name == *p).map(|g| g.signing_key);
        let key = match registered {
            Some(pk) => ks.get(&pk).cloned(),
            None if ks.len() == 1 => ks.keys().next().map(|(_, k)| k.clone()),
            None => None,
        };
        let Some(key) = key else {
            bail!(
                "{}: no key for producer {p} (the key registered for it in genesis is not in the keystore)",
                path.display()
            )
        };
        out.push((*p, key));
    }
    Ok(out)
}
