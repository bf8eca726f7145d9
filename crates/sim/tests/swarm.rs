//! Randomized runs: each seed picks byzantine producers (up to 6 of 21), link behaviour,
//! partitions and crashes; a safety phase with faults is followed by a liveness phase.
//! Invariants are checked after every step. A failure prints its seed and the replay command.

use civitas_sim::scenario::{run, RunSpec};

/// Seeds run in CI (the long run over thousands of seeds is documented in TESTING.md).
const CI_SEEDS: u64 = 200;

fn spec() -> RunSpec {
    RunSpec { producers: 21, fault_rounds: 20, liveness_rounds: 10 }
}

#[test]
fn swarm_ci_seeds() {
    let first: u64 = std::env::var("CIVITAS_SIM_FIRST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let count: u64 = std::env::var("CIVITAS_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(CI_SEEDS);
    let mut failures = vec![];
    let mut finalized = 0u64;
    for seed in first..first + count {
        match run(seed, spec()) {
            Ok(r) => finalized += u64::from(r.finalized),
            Err(e) => failures.push(e),
        }
    }
    println!("{} seeds, {} failures, {} blocks finalized in total", count, failures.len(), finalized);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn same_seed_same_result() {
    let a = run(42, spec()).unwrap();
    let b = run(42, spec()).unwrap();
    assert_eq!(a.fingerprint, b.fingerprint);
}

/// Replays one seed: `CIVITAS_SIM_SEED=<seed> cargo test --release -p civitas-sim --test swarm replay -- --nocapture`.
#[test]
fn replay() {
    let Some(seed) = std::env::var("CIVITAS_SIM_SEED").ok().and_then(|s| s.parse().ok()) else {
        return;
    };
    match run(seed, spec()) {
        Ok(r) => println!("seed {seed} passed: {r:?}"),
        Err(e) => panic!("{e}"),
    }
}
