//! `civitas bench …`: the benchmarks whose figures go into BENCHMARKS.md.

use clap::{Args, Subcommand};

/// The generated chain of the replay and sync benchmarks.
#[derive(Debug, Args)]
pub struct ChainArgs {
    /// Funded accounts.
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Transfers in the chain.
    #[arg(long, default_value_t = 200_000)]
    transfers: usize,
    /// Transfers per block.
    #[arg(long, default_value_t = 5_000)]
    per_block: usize,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// secp256k1 public-key recoveries per second on one core and on all cores.
    Crypto {
        /// Recoveries per thread.
        #[arg(long, default_value_t = 100_000)]
        count: usize,
    },
    /// Signed transfers applied per second by the chain state machine.
    Transfers {
        /// Funded accounts.
        #[arg(long, default_value_t = 100_000)]
        accounts: usize,
        /// Transfers to apply.
        #[arg(long, default_value_t = 100_000)]
        transfers: usize,
        /// Transfers per block.
        #[arg(long, default_value_t = 5_000)]
        per_block: usize,
    },
    /// Replay of a block log full of transfers (`civitas node replay` on a generated chain).
    Replay(ChainArgs),
    /// A fresh node syncing a generated chain from a peer over P2P, then restarting after kill -9.
    Sync(ChainArgs),
    /// Transfers signed in advance, pushed over HTTP by concurrent clients into a
    /// single-producer node, counted once irreversible.
    Http {
        /// Funded accounts.
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        /// Transfers to push.
        #[arg(long, default_value_t = 200_000)]
        transfers: usize,
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Transfers per push_transactions call.
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// The node binary to measure (default: this one). For A/B runs against another build,
        /// e.g. one without a feature, under the same load.
        #[arg(long)]
        node_exe: Option<std::path::PathBuf>,
    },
    /// A simulated network: producer-rounds per second and LIB lag.
    Sim {
        /// Producers.
        #[arg(long, default_value_t = 21)]
        producers: usize,
        /// Rounds to simulate.
        #[arg(long, default_value_t = 50)]
        rounds: u64,
        /// Transfers submitted per slot.
        #[arg(long, default_value_t = 1)]
        tx_per_slot: u32,
        /// Network shape: mesh, ring, line, random:K or sentries.
        #[arg(long, default_value = "mesh")]
        topology: civitas_bench::sim::Topology,
        /// One-way link latency in milliseconds.
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
        /// Non-producing nodes (the sentries of the sentry topology).
        #[arg(long, default_value_t = 1)]
        observers: usize,
    },
}

/// A fresh scratch directory for a benchmark's node data.
fn scratch(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("civitas-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Crypto { count } => {
            let threads = std::thread::available_parallelism().map_or(2, |p| p.get());
            let one = civitas_bench::crypto::recoveries_per_second(1, count);
            let all = civitas_bench::crypto::recoveries_per_second(threads, count);
            println!("secp256k1 recoveries/s, 1 core:  {one:>10.0}");
            println!("secp256k1 recoveries/s, {threads} cores: {all:>10.0}");
        }
        BenchCommand::Transfers { accounts, transfers, per_block } => {
            anyhow::ensure!(
                accounts >= 2 && transfers > 0 && per_block > 0,
                "need at least 2 accounts, 1 transfer, 1 per block"
            );
            let f = civitas_bench::transfers::run(accounts, transfers, per_block);
            println!("accounts {} transfers {} ({} per block)", f.accounts, f.transfers, per_block);
            println!("applied per second, signatures already verified: {:>10.0}", f.apply_per_sec);
            println!("applied per second, verifying on 1 core:         {:>10.0}", f.verify_and_apply_per_sec);
            println!("signatures verified per second, all cores:       {:>10.0}", f.verify_parallel_per_sec);
        }
        BenchCommand::Replay(ChainArgs { accounts, transfers, per_block }) => {
            anyhow::ensure!(accounts >= 2 && per_block > 0, "need at least 2 accounts and 1 transfer per block");
            let dir = scratch("replay")?;
            println!("generating {transfers} transfers in blocks of {per_block}…");
            let chain = civitas_bench::chaingen::generate(accounts, transfers, per_block);
            let f = civitas_bench::nodes::replay(&chain, &dir)?;
            println!("replayed {} blocks, {} transfers in {:.2} s", f.blocks, f.transfers, f.secs);
            println!(
                "replay: {:>10.0} transfers/s, {:.0} blocks/s",
                f.transfers as f64 / f.secs,
                f.blocks as f64 / f.secs
            );
            let _ = std::fs::remove_dir_all(&dir);
        }
        BenchCommand::Sync(ChainArgs { accounts, transfers, per_block }) => {
            anyhow::ensure!(accounts >= 2 && per_block > 0, "need at least 2 accounts and 1 transfer per block");
            let dir = scratch("sync")?;
            println!("generating {transfers} transfers in blocks of {per_block}…");
            let chain = civitas_bench::chaingen::generate(accounts, transfers, per_block);
            let exe = std::env::current_exe()?;
            let f = civitas_bench::nodes::sync(&chain, &dir, &exe)?;
            println!("synced {} blocks, {} transfers in {:.2} s", f.blocks, f.transfers, f.sync_secs);
            println!(
                "sync: {:>10.0} transfers/s, {:.0} blocks/s",
                f.transfers as f64 / f.sync_secs,
                f64::from(f.blocks) / f.sync_secs
            );
            println!("restart after kill -9 until the API answered at the head: {:.3} s", f.restart_secs);
            println!("  {}", f.restart_replayed.split("state restored").nth(1).unwrap_or("").trim());
            let _ = std::fs::remove_dir_all(&dir);
        }
        BenchCommand::Http { accounts, transfers, clients, batch, node_exe } => {
            anyhow::ensure!(accounts >= 2 && clients > 0 && batch > 0, "need 2 accounts, 1 client, batch ≥ 1");
            let dir = scratch("http")?;
            let exe = match node_exe {
                Some(p) => p,
                None => std::env::current_exe()?,
            };
            let f = civitas_bench::http::push(&exe, &dir, accounts, transfers, clients, batch)?;
            println!(
                "pushed {} transfers, {} accepted, {} in {} irreversible blocks",
                f.pushed, f.accepted, f.included, f.blocks
            );
            println!("push rate (accepted/s while pushing): {:>10.0}", f.accepted as f64 / f.push_secs);
            println!("irreversible transfers/s:             {:>10.0}", f.included as f64 / f.secs);
            println!(
                "node CPU: {:.1} s ({:.1} µs per transfer); client CPU while pushing: {:.1} s",
                f.node_cpu_secs,
                f.node_cpu_secs * 1e6 / f.included.max(1) as f64,
                f.client_cpu_secs
            );
            let _ = std::fs::remove_dir_all(&dir);
        }
        BenchCommand::Sim { producers, rounds, tx_per_slot, topology, latency_ms, observers } => {
            anyhow::ensure!(producers >= 1 && rounds >= 3, "need producers ≥ 1 and rounds ≥ 3");
            let f = civitas_bench::sim::run(producers, observers, rounds, tx_per_slot, topology, latency_ms);
            println!(
                "{producers} producers and {observers} observers, {topology}, {rounds} rounds at 500 ms blocks, {latency_ms} ms links"
            );
            println!("simulated producer-rounds per second: {:>8.1}", f.producer_rounds_per_sec);
            println!(
                "LIB lag: mean {:.2} blocks ({:.2} s), max {} blocks",
                f.mean_lag_blocks, f.mean_lag_secs, f.max_lag_blocks
            );
        }
    }
    Ok(())
}
