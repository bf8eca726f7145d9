//! The node's configuration: `config.toml` in the data directory, typed, with every default in
//! code. Unknown keys are errors (a misspelt option must not be silently ignored); the command
//! line overrides the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use civitas_protocol::Name;
use serde::{Deserialize, Serialize};

/// File name of the configuration inside the data directory.
pub const CONFIG_FILE: &str = "config.toml";

/// Everything a node reads from `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// The node's name, sent to peers and shown by the API.
    pub name: String,
    /// Producer accounts this node signs blocks for; their keys must be in the keystore.
    pub producers: Vec<Name>,
    /// Where to accept peers (`None`: outbound only).
    pub p2p_listen: Option<SocketAddr>,
    /// The `HOST:PORT` other nodes should dial (default: the listen address).
    pub p2p_advertise: Option<String>,
    /// Peers to stay connected to (`HOST:PORT`).
    pub peers: Vec<String>,
    /// Where the HTTP API listens (`None`: no API).
    pub http_listen: Option<SocketAddr>,
    /// CORS origins allowed by the HTTP API (`"*"` allows any).
    pub cors_origins: Vec<String>,
    /// A file holding the keystore password. Without it the password comes from the
    /// `CIVITAS_KEYSTORE_PASSWORD` environment variable, else from the terminal.
    pub password_file: Option<PathBuf>,
    /// Irreversible blocks between state checkpoints (a restart replays at most this many).
    pub checkpoint_interval: u32,
    /// Capacity of the pending transaction pool.
    pub pool_size: usize,
    /// Ban the IP address of misbehaving peers as well as their key (turn off when honest
    /// nodes share an address, as on a local test network).
    pub ip_bans: bool,
    /// Also dial the addresses peers tell us about, beyond `peers` (off where the links must
    /// stay as configured, as in a `localnet` ring or line).
    pub learn_peers: bool,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            name: "civitas".into(),
            producers: vec![],
            p2p_listen: Some(SocketAddr::from(([0, 0, 0, 0], 9876))),
            p2p_advertise: None,
            peers: vec![],
            http_listen: Some(SocketAddr::from(([127, 0, 0, 1], 8888))),
            cors_origins: vec!["*".into()],
            password_file: None,
            checkpoint_interval: 240,
            pool_size: 200_000,
            ip_bans: true,
            learn_peers: true,
        }
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a valid configuration.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and the key.
        message: String,
    },
}

impl NodeConfig {
    /// Reads `DIR/config.toml`.
    pub fn load(dir: &Path) -> Result<NodeConfig, ConfigError> {
        let path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io { path: path.clone(), source })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid { path, message })
    }

    /// Parses the text of a configuration file.
    pub fn parse(text: &str) -> Result<NodeConfig, String> {
        let cfg: NodeConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Checks values that the types alone allow but the node cannot use.
    pub fn check(&self) -> Result<(), String> {
        if self.name.is_empty() || self.name.len() > 64 {
            return Err("name: must be 1 to 64 bytes".into());
        }
        if self.checkpoint_interval == 0 {
            return Err("checkpoint_interval: must be at least 1".into());
        }
        if self.pool_size == 0 {
            return Err("pool_size: must be at least 1".into());
        }
        Ok(())
    }

    /// Writes `DIR/config.toml` (with a header explaining it).
    pub fn save(&self, dir: &Path) -> Result<(), ConfigError> {
        let path = dir.join(CONFIG_FILE);
        let body =
            toml::to_string(self).map_err(|e| ConfigError::Invalid { path: path.clone(), message: e.to_string() })?;
        let text = format!(
            "# Civitas node configuration. Options given on the command line override these.\n\
             # Every option and its default: docs/node.md.\n\n{body}"
        );
        std::fs::write(&path, text).map_err(|source| ConfigError::Io { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip() {
        let c = NodeConfig::default();
        let text = toml::to_string(&c).unwrap();
        assert_eq!(NodeConfig::parse(&text).unwrap(), c);
        assert_eq!(NodeConfig::parse("").unwrap(), c);
    }

    #[test]
    fn unknown_and_bad_keys_are_named() {
        let e = NodeConfig::parse("nmae = \"x\"").unwrap_err();
        assert!(e.contains("nmae"), "{e}");
        let e = NodeConfig::parse("producers = [\"NOT A NAME\"]").unwrap_err();
        assert!(e.contains("producers"), "{e}");
        let e = NodeConfig::parse("http_listen = \"nowhere\"").unwrap_err();
        assert!(e.contains("http_listen"), "{e}");
        let e = NodeConfig::parse("checkpoint_interval = 0").unwrap_err();
        assert!(e.contains("checkpoint_interval"), "{e}");
    }

    #[test]
    fn partial_file_keeps_other_defaults() {
        let c = NodeConfig::parse("name = \"bp1\"\nproducers = [\"bp1\"]\npeers = [\"127.0.0.1:9001\"]").unwrap();
        assert_eq!(c.name, "bp1");
        assert_eq!(c.producers, vec!["bp1".parse::<Name>().unwrap()]);
        assert_eq!(c.http_listen, NodeConfig::default().http_listen);
    }
}
