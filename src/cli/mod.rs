//! Command-line interface.

mod bench;
mod localnet;
mod node;

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
    /// Create a data directory: configuration, genesis (a new chain unless --genesis) and an
    /// encrypted keystore with a new key.
    Init(node::InitArgs),
    /// Run a node, replay its block log, export a snapshot.
    Node {
        #[command(subcommand)]
        what: node::NodeCommand,
    },
    /// A whole producer network on this machine.
    Localnet {
        #[command(subcommand)]
        what: localnet::LocalnetCommand,
    },
    // The wallet commands (key, get, transfer, system, push) sit at the top level.
    #[command(flatten)]
    Wallet(civitas_wallet::WalletCommand),
    /// Measure performance (signatures, state application, simulated networks).
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if !matches!(cli.command, Command::Node { .. }) {
        // A command's output piped into `head` should end the command quietly, as for any
        // Unix tool. Not for the node: its sockets rely on EPIPE errors instead of the signal.
        // SAFETY: setting a signal disposition before any threads are started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match cli.command {
        Command::Init(a) => node::init(a),
        Command::Node { what } => node::run(what),
        Command::Localnet { what } => localnet::run(what),
        Command::Bench { what } => bench::run(what),
        Command::Wallet(c) => civitas_wallet::run(c).map_err(Into::into),
    }
}
