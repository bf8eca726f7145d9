//! Command-line interface.

mod bench;

use clap::{Parser, Subcommand};

/// Civitas: a delegated-proof-of-stake blockchain node with the Antelope client API.
#[derive(Debug, Parser)]
#[command(name = "civitas", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure performance (signatures, state application, simulated networks).
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Bench { what } => bench::run(what),
    }
}
