//! `civitas`: the node, the command-line wallet and the local test-network launcher.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod cli;

// The chain state machine allocates a few small buffers per transaction (rows, journal entries);
// mimalloc serves those markedly faster than glibc's allocator (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let args = cli::Cli::parse();
    cli::run(args)
}
