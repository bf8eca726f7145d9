//! `civitas init`, `civitas node …`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use civitas_keystore::KdfParams;
use civitas_node::store::{StartFrom, Store};
use civitas_node::{datadir, InitOptions, RunOptions};
use civitas_protocol::Name;
use clap::{Args, Subcommand};

/// `civitas init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The new data directory.
    #[arg(long)]
    dir: PathBuf,
    /// The genesis of the chain to join; without it a new single-producer chain is created.
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// The producer account this node signs for (default `producer1` on a new chain).
    #[arg(long)]
    producer: Option<Name>,
    /// File holding the new keystore's password (else CIVITAS_KEYSTORE_PASSWORD, else a prompt).
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// Start from this state snapshot (`civitas node export-snapshot`) instead of from genesis;
    /// needs --genesis.
    #[arg(long)]
    snapshot: Option<PathBuf>,
}

/// `civitas node …`.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Run a node: produce (if configured), sync, serve the API.
    Run(RunArgs),
    /// Rebuild the state from the block log alone (from genesis) and print its commitment.
    Replay {
        /// The data directory.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Write the state at the last checkpoint as a snapshot file another node can start from.
    ExportSnapshot {
        /// The data directory.
        #[arg(long)]
        dir: PathBuf,
        /// The snapshot file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `civitas node run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The data directory (made by `civitas init`).
    #[arg(long)]
    dir: PathBuf,
    /// Sign blocks for this producer (repeatable; replaces the configured list).
    #[arg(long = "producer")]
    producers: Vec<Name>,
    /// A peer to stay connected to, HOST:PORT (repeatable; added to the configured ones).
    #[arg(long = "peer")]
    peers: Vec<String>,
    /// P2P listen address.
    #[arg(long)]
    p2p: Option<SocketAddr>,
    /// HTTP API listen address.
    #[arg(long)]
    http: Option<SocketAddr>,
    /// File holding the keystore password.
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// Truncate a damaged block log at the first bad record (drops the blocks after it).
    #[arg(long)]
    repair_block_log: bool,
}

fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs `civitas init`.
pub fn init(a: InitArgs) -> anyhow::Result<()> {
    let r = civitas_node::init(&InitOptions {
        dir: a.dir.clone(),
        genesis: a.genesis,
        producer: a.producer,
        password_file: a.password_file,
        kdf: KdfParams::DEFAULT,
        snapshot: a.snapshot,
    })?;
    println!("initialized {}", a.dir.display());
    println!("  chain id     {}", r.chain_id);
    println!("  public key   {}", r.public_key);
    if r.new_chain {
        println!("  a new single-producer chain; start it with: civitas node run --dir {}", a.dir.display());
    } else {
        println!(
            "  register this key as your producer key (civitas system regproducer), then: civitas node run --dir {}",
            a.dir.display()
        );
    }
    Ok(())
}

/// Runs `civitas node …`.
pub fn run(cmd: NodeCommand) -> anyhow::Result<()> {
    init_logs();
    match cmd {
        NodeCommand::Run(a) => civitas_node::run(RunOptions {
            dir: a.dir,
            producers: a.producers,
            peers: a.peers,
            p2p: a.p2p,
            http: a.http,
            password_file: a.password_file,
            repair: a.repair_block_log,
        }),
        NodeCommand::Replay { dir } => replay(dir),
        NodeCommand::ExportSnapshot { dir, out } => export_snapshot(dir, out),
    }
}

fn replay(dir: PathBuf) -> anyhow::Result<()> {
    let genesis = datadir::load_genesis(&dir.join(datadir::GENESIS_FILE))?;
    let t0 = std::time::Instant::now();
    let (_store, core, report) =
        Store::open(&dir, &genesis, Default::default(), false, StartFrom::Genesis, civitas_node::clock::now())?;
    let secs = t0.elapsed().as_secs_f64();
    let lib = core.lib();
    println!(
        "replayed {} blocks ({} transactions) in {secs:.2} s",
        report.replayed_blocks, report.replayed_transactions
    );
    println!(
        "  {:.0} blocks/s, {:.0} transactions/s",
        report.replayed_blocks as f64 / secs,
        report.replayed_transactions as f64 / secs
    );
    println!("  head      {} {}", core.head().num, core.head().id);
    println!("  LIB       {} {}", lib.num, lib.id);
    println!("  state     {} (commitment at the head)", core.chain().state_root());
    println!("  rows hash {}", core.chain().kv().full_hash());
    for n in &report.notes {
        println!("  note: {n}");
    }
    Ok(())
}

fn export_snapshot(dir: PathBuf, out: PathBuf) -> anyhow::Result<()> {
    let cps = civitas_storage::Checkpoints::open(dir.join("checkpoints"))?;
    let latest = cps.latest()?;
    let Some(c) = latest.checkpoint else {
        anyhow::bail!("{} has no checkpoint yet (one is written every few minutes and on shutdown)", dir.display())
    };
    civitas_storage::export_snapshot(&out, c.lib_num, &c.bytes)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("wrote the state at block {} to {}", c.lib_num, out.display());
    Ok(())
}
