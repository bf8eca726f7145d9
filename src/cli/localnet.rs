//! `civitas localnet …`.

use std::path::PathBuf;
use std::time::Duration;

use civitas_node::localnet::{self, Topology, UpOptions};
use clap::Subcommand;

/// `civitas localnet …`.
#[derive(Debug, Subcommand)]
pub enum LocalnetCommand {
    /// Start a producer network on this machine (or restart the one in DIR) and wait until
    /// blocks are irreversible.
    Up {
        /// Number of producers, one node process each.
        #[arg(long, default_value_t = 21)]
        producers: u32,
        /// Slot length in milliseconds.
        #[arg(long, default_value_t = 500)]
        block_interval_ms: u32,
        /// The network's directory.
        #[arg(long, default_value = "localnet")]
        dir: PathBuf,
        /// HTTP port of the first node; node i uses base+i for HTTP and base+100+i for P2P.
        #[arg(long, default_value_t = 8888)]
        base_port: u16,
        /// Who connects to whom: mesh (every node to every other), ring (node i to i±1),
        /// line (a ring cut open) or random:K (each node dials K random others; the graph is
        /// made connected). Kept when the network restarts.
        #[arg(long, default_value_t = Topology::Mesh, value_parser = parse_topology)]
        topology: Topology,
        /// Seed of a random:K graph (default: derived from --dir, so a rerun gives the same
        /// graph).
        #[arg(long)]
        seed: Option<u64>,
        /// Seconds to wait for irreversible blocks.
        #[arg(long, default_value_t = 120)]
        wait_secs: u64,
        /// Start the nodes and return without waiting.
        #[arg(long)]
        no_wait: bool,
    },
    /// Show every node: pid, API URL, head, LIB, peers, missed slots.
    Status {
        /// The network's directory.
        #[arg(long, default_value = "localnet")]
        dir: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Stop every node of the network.
    Down {
        /// The network's directory.
        #[arg(long, default_value = "localnet")]
        dir: PathBuf,
    },
}

/// Runs `civitas localnet …`.
pub fn run(cmd: LocalnetCommand) -> anyhow::Result<()> {
    match cmd {
        LocalnetCommand::Up { producers, block_interval_ms, dir, base_port, topology, seed, wait_secs, no_wait } => {
            localnet::up(&UpOptions {
                dir,
                producers,
                block_interval_ms,
                base_port,
                topology,
                seed,
                wait: (!no_wait).then(|| Duration::from_secs(wait_secs)),
            })
        }
        LocalnetCommand::Status { dir, json } => {
            let rows = localnet::status(&dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                localnet::print_status(&rows);
            }
            Ok(())
        }
        LocalnetCommand::Down { dir } => {
            let n = localnet::down(&dir)?;
            println!("stopped {n} node(s)");
            Ok(())
        }
    }
}

fn parse_topology(s: &str) -> Result<Topology, String> {
    s.parse()
}
