//! `civitas bench …`: the benchmarks whose figures go into BENCHMARKS.md.

use clap::Subcommand;

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
    },
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
        BenchCommand::Sim { producers, rounds, tx_per_slot } => {
            anyhow::ensure!(producers >= 1 && rounds >= 3, "need producers ≥ 1 and rounds ≥ 3");
            let f = civitas_bench::sim::run(producers, rounds, tx_per_slot);
            println!("{producers} producers, {rounds} rounds at 500 ms blocks, 50 ms links");
            println!("simulated producer-rounds per second: {:>8.1}", f.producer_rounds_per_sec);
            println!(
                "LIB lag: mean {:.2} blocks ({:.2} s), max {} blocks",
                f.mean_lag_blocks, f.mean_lag_secs, f.max_lag_blocks
            );
        }
    }
    Ok(())
}
