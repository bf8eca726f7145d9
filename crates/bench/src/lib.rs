//! Benchmarks behind `civitas bench`. Each returns its figures so the binary can print them (and
//! tests can smoke-run them at a tiny size). Measured wall-clock time is fine here: this crate
//! is a tool, not part of the deterministic core.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod chaingen;
pub mod crypto;
pub mod http;
pub mod nodes;
pub mod sim;
pub mod transfers;

/// Operations per second.
pub fn rate(ops: u64, elapsed: std::time::Duration) -> f64 {
    ops as f64 / elapsed.as_secs_f64().max(1e-9)
}
