//! `civitas init`: a new data directory with a configuration, a genesis and an encrypted
//! keystore holding a new key.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use civitas_chain::{Genesis, GenesisAccount, GenesisProducer};
use civitas_keystore::{KdfParams, Keystore};
use civitas_protocol::{Name, PublicKey, TimePoint};

use crate::config::{NodeConfig, CONFIG_FILE};
use crate::datadir::{self, GENESIS_FILE, KEYSTORE_FILE};

/// What `civitas init` was asked.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The new data directory (created; must not already hold a node).
    pub dir: PathBuf,
    /// An existing chain's genesis; without it a new single-producer chain is created.
    pub genesis: Option<PathBuf>,
    /// The producer this node will sign for (default `producer1` on a new chain).
    pub producer: Option<Name>,
    /// Where the keystore password comes from.
    pub password_file: Option<PathBuf>,
    /// Key derivation cost (lighter for throwaway test networks).
    pub kdf: KdfParams,
    /// A state snapshot of the chain (`civitas node export-snapshot`) to start from instead of
    /// genesis; needs `genesis`.
    pub snapshot: Option<PathBuf>,
}

/// What `civitas init` made.
#[derive(Debug, Clone)]
pub struct InitReport {
    /// The new key's public half.
    pub public_key: PublicKey,
    /// The chain id.
    pub chain_id: civitas_protocol::Checksum256,
    /// True when a new chain was created.
    pub new_chain: bool,
}

/// A one-producer chain whose producer holds the whole initial supply, staked in part and
/// voting for itself (so elections are active from the first round).
pub fn single_producer_genesis(producer: Name, key: PublicKey, now: TimePoint) -> Genesis {
    let asset = |s: &str| s.parse().expect("constant asset");
    Genesis {
        chain_name: format!("civitas-{}", producer),
        initial_timestamp: TimePoint::from_millis(now.millis() - now.millis().rem_euclid(1000)),
        core_symbol: "4,CIV".parse().expect("constant symbol"),
        max_supply: asset("10000000000.0000 CIV"),
        block_interval_ms: 500,
        blocks_per_turn: 1,
        active_producers: 1,
        max_transaction_lifetime_sec: 3600,
        accounts: vec![GenesisAccount {
            name: producer,
            owner_key: key,
            active_key: None,
            balance: Some(asset("900000000.0000 CIV")),
            stake: Some(asset("100000000.0000 CIV")),
            votes: vec![producer],
        }],
        producers: vec![GenesisProducer { name: producer, signing_key: key, url: String::new(), location: 0 }],
        governance: Default::default(),
    }
}

/// Creates the data directory.
pub fn init(opts: &InitOptions) -> anyhow::Result<InitReport> {
    let dir = &opts.dir;
    if dir.join(CONFIG_FILE).exists() || dir.join(KEYSTORE_FILE).exists() {
        bail!("{} already holds a node (config.toml or keystore.json exists)", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let given = match &opts.genesis {
        Some(p) => Some(datadir::load_genesis(p)?),
        None => None,
    };
    // Check the snapshot before creating anything: it must be intact and of this chain.
    let snapshot = match (&opts.snapshot, &given) {
        (Some(_), None) => bail!("--snapshot needs the --genesis of the snapshot's chain"),
        (Some(path), Some(g)) => {
            let s = civitas_storage::import_snapshot(path).with_context(|| format!("reading {}", path.display()))?;
            civitas_consensus::Consensus::from_checkpoint(g, Default::default(), &s.bytes)
                .with_context(|| format!("{} cannot start this chain", path.display()))?;
            Some(s)
        }
        (None, _) => None,
    };
    let pw = datadir::password(opts.password_file.as_deref(), "new keystore password: ")?;
    if pw.is_empty() {
        bail!("the keystore password is empty");
    }
    let ks_path = dir.join(KEYSTORE_FILE);
    let mut ks =
        Keystore::create(&ks_path, &pw, opts.kdf).with_context(|| format!("creating {}", ks_path.display()))?;
    let public_key = ks.generate(Some("producer")).context("generating a key")?;
    let new_chain = given.is_none();
    let producer = opts.producer.unwrap_or_else(|| Name::constant("producer1"));
    let genesis = match given {
        Some(g) => g,
        None => single_producer_genesis(producer, public_key, crate::clock::now()),
    };
    write_genesis(&dir.join(GENESIS_FILE), &genesis)?;
    let mut config = NodeConfig::default();
    if new_chain || opts.producer.is_some() {
        config.producers = vec![producer];
    }
    config.name = producer.to_string();
    if let Some(f) = &opts.password_file {
        config.password_file = Some(absolute(f)?);
    }
    config.save(dir)?;
    datadir::node_key(dir)?;
    if let Some(s) = snapshot {
        // A checkpoint at log offset 0: the node starts from it and replays an empty log.
        let cps = civitas_storage::Checkpoints::open(dir.join("checkpoints"))?;
        cps.write(0, s.lib_num, &s.bytes).context("installing the snapshot")?;
    }
    Ok(InitReport { public_key, chain_id: genesis.chain_id(), new_chain })
}

/// Writes a genesis as pretty JSON.
pub fn write_genesis(path: &Path, genesis: &Genesis) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(genesis).context("encoding the genesis")?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        Ok(std::env::current_dir()?.join(p))
    }
}
