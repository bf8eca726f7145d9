//! The files of a new local network: genesis, accounts with keys, and one data directory per
//! producer.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use civitas_chain::{Genesis, GenesisAccount, GenesisProducer};
use civitas_keystore::{generate_key, KdfParams, Keystore};
use civitas_protocol::{Asset, Name, PrivateKey, TimePoint};
use serde::{Deserialize, Serialize};

use super::topology::{neighbours, Topology};
use super::PLAN_FILE;
use crate::config::NodeConfig;
use crate::init::write_genesis;

/// The network as `localnet.json` records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalnetPlan {
    /// Slot length.
    pub block_interval_ms: u32,
    /// First HTTP port.
    pub base_port: u16,
    /// The chain id.
    pub chain_id: String,
    /// Who connects to whom (networks made before topologies were mesh).
    #[serde(default)]
    pub topology: Topology,
    /// The seed of a `random:K` graph.
    #[serde(default)]
    pub seed: u64,
    /// The nodes, one per producer.
    pub nodes: Vec<NodePlan>,
}

/// One node of the network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodePlan {
    /// Its producer (and node) name.
    pub name: String,
    /// Its data directory.
    pub dir: PathBuf,
    /// HTTP API port on 127.0.0.1.
    pub http_port: u16,
    /// P2P port on 127.0.0.1.
    pub p2p_port: u16,
    /// The nodes it is linked to by the topology, whichever side dials (empty in networks made
    /// before topologies).
    #[serde(default)]
    pub links: Vec<String>,
}

/// What a new network is made of (`localnet up` on an empty directory).
#[derive(Debug, Clone)]
pub struct NetSpec {
    /// Number of producers (and nodes).
    pub producers: u32,
    /// Slot length.
    pub block_interval_ms: u32,
    /// First HTTP port.
    pub base_port: u16,
    /// Who connects to whom.
    pub topology: Topology,
    /// The seed of a `random:K` graph (default: derived from the directory's path).
    pub seed: Option<u64>,
}

/// HTTP and P2P port of node `i` of a network whose first HTTP port is `base`.
pub fn node_ports(base: u16, i: usize) -> (u16, u16) {
    (base + i as u16, base + 100 + i as u16)
}

/// The default seed of a directory's `random:K` graph: the same directory gives the same graph.
pub fn dir_seed(dir: &Path) -> u64 {
    let h = civitas_protocol::sha256(dir.to_string_lossy().as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

impl NodePlan {
    /// Its API URL.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }
}

impl LocalnetPlan {
    /// Reads `DIR/localnet.json`, if the directory holds a network.
    pub fn load(dir: &Path) -> anyhow::Result<Option<LocalnetPlan>> {
        let path = dir.join(PLAN_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                Ok(Some(serde_json::from_str(&text).with_context(|| format!("{} is damaged", path.display()))?))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
}

/// Producer names: the NATO alphabet, then `prod` + digits 1–5.
pub fn producer_name(i: usize) -> Name {
    const NATO: [&str; 26] = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima",
        "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
        "xray", "yankee", "zulu",
    ];
    if i < NATO.len() {
        return NATO[i].parse().expect("valid name");
    }
    let mut n = i - NATO.len();
    let mut s = String::from("prod");
    loop {
        s.push(char::from(b'1' + (n % 5) as u8));
        n /= 5;
        if n == 0 {
            break;
        }
    }
    s.parse().expect("valid name")
}

/// One account of `accounts.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountKey {
    /// Account name.
    pub name: String,
    /// `producer` or `user`.
    pub role: String,
    /// Its owner and active key (PUB_K1_…).
    pub public_key: String,
    /// The private key (PVT_K1_…): test networks only.
    pub private_key: String,
}

/// The producers' names and keys from `DIR/accounts.json`, in node order.
pub fn producer_keys(dir: &Path) -> anyhow::Result<Vec<(Name, PrivateKey)>> {
    let path = dir.join("accounts.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let accounts: Vec<AccountKey> =
        serde_json::from_str(&text).with_context(|| format!("{} is damaged", path.display()))?;
    accounts
        .into_iter()
        .filter(|a| a.role == "producer")
        .map(|a| {
            let name = a.name.parse().map_err(|e| anyhow::anyhow!("{}: bad name {}: {e:?}", path.display(), a.name))?;
            let key = a
                .private_key
                .parse()
                .map_err(|e| anyhow::anyhow!("{}: bad key for {}: {e:?}", path.display(), a.name))?;
            Ok((name, key))
        })
        .collect()
}

const USERS: [&str; 3] = ["alice", "bob", "carol"];

fn asset(units: i64) -> Asset {
    Asset::new(units, "4,CIV".parse().expect("symbol")).expect("in range")
}

/// Checks a new network's options before anything is written.
pub fn check_spec(spec: &NetSpec) -> anyhow::Result<()> {
    let NetSpec { producers, block_interval_ms, base_port, topology, .. } = *spec;
    if producers == 0 || producers > 100 {
        bail!("--producers must be 1 to 100 (got {producers})");
    }
    if block_interval_ms < 100 {
        bail!("--block-interval-ms must be at least 100 (got {block_interval_ms})");
    }
    if u32::from(base_port) + 100 + producers > 65_535 {
        bail!("--base-port {base_port} leaves no room for {producers} nodes");
    }
    topology.dials(producers as usize, 0).map_err(|e| anyhow::anyhow!("--topology {e}"))?;
    Ok(())
}

/// Writes a new network's files into `dir`.
pub fn create(dir: &Path, spec: &NetSpec) -> anyhow::Result<LocalnetPlan> {
    check_spec(spec)?;
    let NetSpec { producers, block_interval_ms, base_port, topology, .. } = *spec;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let n = producers as usize;
    let seed = spec.seed.unwrap_or_else(|| dir_seed(&dir));
    let dials = topology.dials(n, seed).map_err(|e| anyhow::anyhow!("--topology {e}"))?;
    let links = neighbours(&dials);
    let prod_keys: Vec<(Name, PrivateKey)> = (0..n).map(|i| (producer_name(i), generate_key())).collect();
    let user_keys: Vec<(Name, PrivateKey)> = USERS.iter().map(|u| (u.parse().expect("name"), generate_key())).collect();
    let unit = 10_000; // 4 decimals
    let mut accounts = vec![];
    let mut prod_names: Vec<Name> = prod_keys.iter().map(|p| p.0).collect();
    prod_names.sort();
    for (i, (name, key)) in prod_keys.iter().enumerate() {
        // Different self-stakes give the producers a clear initial ranking.
        accounts.push(GenesisAccount {
            name: *name,
            owner_key: key.public_key(),
            active_key: None,
            balance: Some(asset(100_000 * unit)),
            stake: Some(asset((100_000 + 1_000 * (n - i) as i64) * unit)),
            votes: vec![*name],
        });
    }
    // The users' votes: each backs a third of the producers (at most 30, ascending).
    for (u, (name, key)) in user_keys.iter().enumerate() {
        let votes: Vec<Name> =
            prod_names.iter().enumerate().filter(|(i, _)| i % 3 == u).map(|(_, p)| *p).take(30).collect();
        accounts.push(GenesisAccount {
            name: *name,
            owner_key: key.public_key(),
            active_key: None,
            balance: Some(asset(1_000_000 * unit)),
            stake: Some(asset(100_000 * unit)),
            votes,
        });
    }
    let now = crate::clock::now().millis();
    let genesis = Genesis {
        chain_name: "civitas-localnet".into(),
        initial_timestamp: TimePoint::from_millis(now - now.rem_euclid(1000)),
        core_symbol: "4,CIV".parse().expect("symbol"),
        max_supply: asset(10_000_000_000 * unit),
        block_interval_ms,
        blocks_per_turn: 1,
        active_producers: producers,
        max_transaction_lifetime_sec: 3600,
        accounts,
        producers: prod_keys
            .iter()
            .enumerate()
            .map(|(i, (name, key))| GenesisProducer {
                name: *name,
                signing_key: key.public_key(),
                url: format!("http://127.0.0.1:{}", u32::from(base_port) + i as u32),
                location: 0,
            })
            .collect(),
        governance: Default::default(),
    };
    genesis.validate().context("the generated genesis is invalid")?;
    write_genesis(&dir.join("genesis.json"), &genesis)?;

    let keys: Vec<AccountKey> = prod_keys
        .iter()
        .map(|k| (k, "producer"))
        .chain(user_keys.iter().map(|k| (k, "user")))
        .map(|((name, key), role)| AccountKey {
            name: name.to_string(),
            role: role.into(),
            public_key: key.public_key().to_string(),
            private_key: key.to_string(),
        })
        .collect();
    let accounts_path = dir.join("accounts.json");
    std::fs::write(&accounts_path, serde_json::to_string_pretty(&keys)? + "\n")
        .with_context(|| format!("writing {}", accounts_path.display()))?;

    let mut nodes = vec![];
    for (i, (name, key)) in prod_keys.iter().enumerate() {
        let node_dir = dir.join("nodes").join(name.to_string());
        std::fs::create_dir_all(&node_dir)?;
        let (http_port, p2p_port) = node_ports(base_port, i);
        // A throwaway password next to a throwaway key: this is a test network, whose keys are
        // all in accounts.json anyway.
        let pw_path = node_dir.join("password");
        std::fs::write(&pw_path, "localnet\n")?;
        let mut ks =
            Keystore::create(&node_dir.join(crate::datadir::KEYSTORE_FILE), "localnet", KdfParams::INSECURE_FAST)?;
        ks.import(key.clone(), Some("producer"))?;
        write_genesis(&node_dir.join(crate::datadir::GENESIS_FILE), &genesis)?;
        let peers = dials[i].iter().map(|&j| format!("127.0.0.1:{}", node_ports(base_port, j).1)).collect();
        let config = NodeConfig {
            name: name.to_string(),
            producers: vec![*name],
            p2p_listen: Some(([127, 0, 0, 1], p2p_port).into()),
            p2p_advertise: None,
            peers,
            http_listen: Some(([127, 0, 0, 1], http_port).into()),
            cors_origins: vec!["*".into()],
            password_file: Some(pw_path),
            ip_bans: false,
            learn_peers: topology.learns_peers(),
            ..NodeConfig::default()
        };
        config.save(&node_dir)?;
        let links = links[i].iter().map(|&j| prod_keys[j].0.to_string()).collect();
        nodes.push(NodePlan { name: name.to_string(), dir: node_dir, http_port, p2p_port, links });
    }
    let plan =
        LocalnetPlan { block_interval_ms, base_port, chain_id: genesis.chain_id().to_string(), topology, seed, nodes };
    std::fs::write(dir.join(PLAN_FILE), serde_json::to_string_pretty(&plan)? + "\n")?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_valid() {
        let names: std::collections::BTreeSet<Name> = (0..100).map(producer_name).collect();
        assert_eq!(names.len(), 100);
        assert_eq!(producer_name(0).to_string(), "alpha");
        assert_eq!(producer_name(20).to_string(), "uniform");
    }
}
