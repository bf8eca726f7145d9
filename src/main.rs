//! `civitas`: the node, the command-line wallet and the local test-network launcher.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod cli;

// The chain state machine allocates a few small buffers per transaction (rows, journal entries);
// mimalloc serves those markedly faster than glibc's allocator (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One readable line (with its causes), not a debug dump with a backtrace.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
