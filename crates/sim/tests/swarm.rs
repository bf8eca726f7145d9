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
    // Seeds are independent: run them on every core.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(count as usize).max(1);
    let results: Vec<Result<u32, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (first + t as u64..first + count)
                        .step_by(threads)
                        .map(|seed| {
                            let r = run(seed, spec()).map(|r| r.finalized);
                            // Long documented runs show their progress, and each failure at once.
                            if let Err(e) = &r {
                                eprintln!("seed {seed} FAILED: {e}");
                            } else if count > CI_SEEDS && seed % 100 == 0 {
                                eprintln!("seed {seed} ok");
                            }
                            r
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("seed thread panicked")).collect()
    });
    let finalized: u64 = results.iter().filter_map(|r| r.as_ref().ok()).map(|&f| u64::from(f)).sum();
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
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
