//! Simulated network throughput and finality lag: 21 producers at 500 ms blocks with 50 ms links.

use std::time::Instant;

use civitas_sim::{LinkModel, Sim, SimConfig};

pub use civitas_sim::Topology;

/// Results of one run.
#[derive(Debug, Clone)]
pub struct SimFigures {
    /// Simulated rounds.
    pub rounds: u64,
    /// Producer-rounds simulated per wall-clock second (producers × rounds / seconds).
    pub producer_rounds_per_sec: f64,
    /// Mean head − LIB over all honest nodes and slots, in blocks.
    pub mean_lag_blocks: f64,
    /// Largest head − LIB seen.
    pub max_lag_blocks: u32,
    /// Mean lag in seconds at the block interval.
    pub mean_lag_secs: f64,
}

/// Runs a fault-free network of `producers` (and `observers`, the sentries of the sentry
/// topology) for `rounds` rounds over links of `latency_ms`.
pub fn run(
    producers: usize,
    observers: usize,
    rounds: u64,
    tx_per_slot: u32,
    topology: Topology,
    latency_ms: u64,
) -> SimFigures {
    let cfg = SimConfig {
        seed: 1,
        producers,
        observers,
        block_interval_ms: 500,
        link: LinkModel { latency_ms, jitter_ms: 0, loss: 0.0 },
        tx_per_slot,
        byzantine: vec![],
        accounts: 20,
        candidates: producers,
        user_stake: 0,
        user_stakes: vec![],
        genesis_votes: vec![],
        topology,
    };
    let mut sim = Sim::new(cfg);
    let round_ms = producers as u64 * 500;
    let start = Instant::now();
    sim.run_until(rounds * round_ms).expect("a fault-free network violates no invariant");
    let secs = start.elapsed().as_secs_f64();
    // Skip the first two rounds (finality is still warming up).
    let warm = (2 * producers * sim.honest().len()).min(sim.lag_samples.len());
    let samples = &sim.lag_samples[warm..];
    let mean = samples.iter().map(|&x| f64::from(x)).sum::<f64>() / samples.len().max(1) as f64;
    SimFigures {
        rounds,
        producer_rounds_per_sec: (producers as u64 * rounds) as f64 / secs,
        mean_lag_blocks: mean,
        max_lag_blocks: samples.iter().copied().max().unwrap_or(0),
        mean_lag_secs: mean * 0.5,
    }
}
