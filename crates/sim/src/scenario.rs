//! Randomized runs: a fault mix chosen from the seed, a safety phase with faults, then a
//! liveness phase in which everything heals and the honest nodes must converge.

use crate::net::{Event, LinkModel};
use crate::node::{Behavior, InvalidKind};
use crate::rng::Rng;
use crate::sim::{Fault, Sim, SimConfig};
use crate::topology::Topology;

/// The outcome of a randomized run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Byzantine producers and their behaviour.
    pub byzantine: Vec<(usize, Behavior)>,
    /// The network's shape.
    pub topology: Topology,
    /// Faults scheduled during the safety phase.
    pub faults: usize,
    /// Highest irreversible height any honest node reached.
    pub finalized: u32,
    /// The final fingerprint of all honest states (determinism).
    pub fingerprint: civitas_protocol::Checksum256,
}

/// How a randomized run is sized.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    /// Producers.
    pub producers: usize,
    /// Rounds with faults.
    pub fault_rounds: u64,
    /// Rounds after everything healed.
    pub liveness_rounds: u64,
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec { producers: 21, fault_rounds: 20, liveness_rounds: 10 }
    }
}

fn pick_behavior(rng: &mut Rng, fault_end_ms: u64) -> Behavior {
    match rng.below(11) {
        0 => Behavior::DoubleProducer,
        1 => Behavior::Invalid(InvalidKind::BadSignature),
        2 => Behavior::Invalid(InvalidKind::WrongProducer),
        3 => Behavior::Invalid(InvalidKind::BadTransaction),
        4 => Behavior::Invalid(InvalidKind::BadStateRoot),
        5 => Behavior::Withholder { release_ms: rng.range(fault_end_ms / 4, fault_end_ms) },
        6 => Behavior::Late { delay_ms: rng.range(100, 450) },
        7 => Behavior::Forger,
        8 => Behavior::ApprovalFlooder { per_slot: 20 },
        9 => Behavior::ConflictingApprover,
        _ => Behavior::Twin,
    }
}

/// Mostly full meshes, as before; sparse graphs, rings and sentries in the rest, so that
/// blocks, approvals and transactions must be relayed.
fn pick_topology(rng: &mut Rng) -> Topology {
    match rng.below(10) {
        0..=4 => Topology::Mesh,
        5 | 6 => Topology::Random(2),
        7 => Topology::Ring,
        _ => Topology::Sentries,
    }
}

/// The simulation configuration and fault schedule a seed stands for.
pub fn build(seed: u64, spec: RunSpec) -> Sim {
    let mut rng = Rng::new(seed ^ 0x5eed_5eed);
    let interval = 500u32;
    let round_ms = spec.producers as u64 * u64::from(interval);
    let fault_end = spec.fault_rounds * round_ms;
    let max_byz = (spec.producers - 1) / 3;
    let nbyz = rng.below(max_byz as u64 + 1) as usize;
    let byz_idx = rng.subset(spec.producers, nbyz);
    let byzantine: Vec<(usize, Behavior)> = byz_idx.iter().map(|&i| (i, pick_behavior(&mut rng, fault_end))).collect();
    let topology = pick_topology(&mut rng);
    // The more hops a message crosses, the shorter each must be for a 500 ms slot: a full mesh
    // takes links of up to 160 ms; a ring of 23 crosses up to 11 hops, as a network of
    // datacentres would.
    let max_latency = match topology {
        Topology::Mesh => 80,
        Topology::Sentries => 50,
        Topology::Random(_) => 35,
        Topology::Ring | Topology::Line => 15,
    };
    let link = LinkModel {
        latency_ms: rng.range(5, max_latency),
        jitter_ms: rng.range(0, max_latency),
        loss: [0.0, 0.0, 0.01, 0.05][rng.below(4) as usize],
    };
    let cfg = SimConfig {
        seed,
        producers: spec.producers,
        observers: 1 + rng.below(2) as usize,
        block_interval_ms: interval,
        link,
        tx_per_slot: rng.below(3) as u32,
        byzantine,
        accounts: 12,
        candidates: spec.producers,
        user_stake: 0,
        user_stakes: vec![],
        genesis_votes: vec![],
        topology,
    };
    let mut sim = Sim::new(cfg);
    let n = sim.nodes.len();
    let honest = sim.honest();
    let twins = sim.twin_nodes();
    // Partitions: a few random splits, each healed after a while.
    let splits = rng.below(4);
    for _ in 0..splits {
        let start = rng.range(round_ms, fault_end.saturating_sub(round_ms).max(round_ms + 1));
        let len = rng.range(round_ms / 2, 4 * round_ms);
        let k = 2 + rng.below(2) as usize;
        let mut groups: Vec<usize> = (0..n).map(|_| rng.below(k as u64) as usize).collect();
        // Twin copies sit on different sides from their originals when they can.
        for (t, &node) in twins.iter().enumerate() {
            let orig = sim.cfg.byzantine.iter().filter(|(_, b)| *b == Behavior::Twin).nth(t).map(|(i, _)| *i);
            if let Some(o) = orig {
                groups[node] = (groups[o] + 1) % k;
            }
        }
        sim.schedule_fault(start, Fault::Partition(groups));
        sim.schedule_fault((start + len).min(fault_end), Fault::Heal);
    }
    // Crashes of honest nodes, restarted later (or at the end of the fault phase).
    let crashes = rng.below(4);
    for _ in 0..crashes {
        let node = honest[rng.below(honest.len() as u64) as usize];
        let at = rng.range(round_ms / 2, fault_end.saturating_sub(round_ms / 2).max(round_ms));
        let back = (at + rng.range(500, 3 * round_ms)).min(fault_end);
        sim.schedule_fault(at, Fault::Crash(node));
        sim.schedule_fault(back, Fault::Restart(node));
    }
    // Liveness phase: everything heals.
    sim.schedule_fault(fault_end, Fault::Heal);
    sim.schedule_fault(fault_end, Fault::SetLoss(0.0));
    for &i in &honest {
        sim.schedule_fault(fault_end + 1, Fault::Restart(i));
    }
    sim
}

/// Runs one seed and checks every invariant; on failure, the error names the seed and how to
/// replay it.
pub fn run(seed: u64, spec: RunSpec) -> Result<Report, String> {
    let mut sim = build(seed, spec);
    let round_ms = spec.producers as u64 * u64::from(sim.cfg.block_interval_ms);
    let fault_end = spec.fault_rounds * round_ms;
    let fail = |what: String| {
        format!("seed {seed}: {what}\n  replay: CIVITAS_SIM_SEED={seed} cargo test --release -p civitas-sim --test swarm replay -- --nocapture")
    };
    sim.run_until(fault_end).map_err(|v| fail(v.0))?;
    let honest = sim.honest();
    let lib_at = |sim: &Sim, i: usize| sim.nodes[i].core.as_ref().map_or(0, |c| c.lib().num);
    // Within two rounds of healing, every honest node has the same head and LIB.
    sim.run_until(fault_end + 2 * round_ms).map_err(|v| fail(v.0))?;
    quiesce(&mut sim, 1000);
    check_converged(&sim, &honest).map_err(|m| fail(format!("CONVERGENCE two rounds after healing: {m}")))?;
    // From then on, with every honest producer connected, LIB advances in every round.
    let mut t = fault_end + 3 * round_ms;
    let end = fault_end + spec.liveness_rounds * round_ms;
    sim.run_until(t).map_err(|v| fail(v.0))?;
    while t < end {
        let before: Vec<u32> = honest.iter().map(|&i| lib_at(&sim, i)).collect();
        t += round_ms;
        sim.run_until(t).map_err(|v| fail(v.0))?;
        for (k, &i) in honest.iter().enumerate() {
            if lib_at(&sim, i) <= before[k] {
                return Err(fail(format!("LIVENESS: node {i} LIB stuck at {} for a whole round", lib_at(&sim, i))));
            }
        }
    }
    quiesce(&mut sim, 3000);
    if let Some(v) = &sim.checker.violation {
        return Err(fail(v.0.clone()));
    }
    check_converged(&sim, &honest).map_err(|m| fail(format!("CONVERGENCE at the end: {m}")))?;
    sim.checker.check_end(&sim.nodes);
    if let Some(v) = &sim.checker.violation {
        return Err(fail(v.0.clone()));
    }
    Ok(Report {
        seed,
        byzantine: sim.cfg.byzantine.clone(),
        topology: sim.cfg.topology,
        faults: sim.faults.len(),
        finalized: sim.checker.finalized.keys().next_back().copied().unwrap_or(0),
        fingerprint: sim.fingerprint(),
    })
}

/// Delivers every message in flight for `ms` without starting new slots; the slot clock
/// resumes afterwards (the paused slots are skipped, as if every producer missed them).
pub fn quiesce(sim: &mut Sim, ms: u64) {
    let until = sim.net.now_ms + ms;
    let mut next_slot = None;
    while let Some(t) = sim.net.peek_time() {
        if t > until {
            break;
        }
        let Some((_, ev)) = sim.net.pop() else { break };
        if let Event::Slot(s) = ev {
            next_slot = Some(s);
            continue;
        }
        sim.step_public(ev);
        if sim.checker.violation.is_some() {
            return;
        }
    }
    if let Some(s) = next_slot {
        let interval = u64::from(sim.cfg.block_interval_ms);
        let resume = until / interval + 1;
        sim.net.schedule(resume * interval, Event::Slot(resume.max(s)));
    }
}

/// Every honest node is up with the same head and LIB.
pub fn check_converged(sim: &Sim, honest: &[usize]) -> Result<(), String> {
    let mut first: Option<(usize, civitas_protocol::Checksum256, u32, civitas_protocol::Checksum256, u32)> = None;
    for &i in honest {
        let c = sim.nodes[i].core.as_ref().ok_or_else(|| format!("node {i} is down"))?;
        let me = (i, c.head().id, c.head().num, c.lib().id, c.lib().num);
        match &first {
            None => first = Some(me),
            Some(f) if f.1 != me.1 || f.3 != me.3 => {
                return Err(format!(
                    "node {} head {} LIB {} vs node {} head {} LIB {}",
                    me.0, me.2, me.4, f.0, f.2, f.4
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
