//! Issue 10's attacks on the consensus core, each in a simulated 21-producer network: forged
//! headers and schedules, approval floods, conflicting approvals; and networks that are not
//! full meshes (rings, lines, sentries), where blocks and approvals travel by relay.

use civitas_consensus::records::all_evidence;
use civitas_protocol::Evidence;
use civitas_sim::scenario::{check_converged, quiesce};
use civitas_sim::sim::producer_name;
use civitas_sim::{Behavior, LinkModel, Sim, SimConfig, Topology};

const ROUND_MS: u64 = 21 * 500;

fn lib(sim: &Sim, i: usize) -> u32 {
    sim.nodes[i].core.as_ref().map_or(0, |c| c.lib().num)
}

/// Largest head − LIB over the honest nodes' samples after the first `skip_rounds` rounds.
fn max_lag(sim: &Sim, skip_rounds: usize) -> u32 {
    let per_slot = sim.honest().len();
    let skip = (skip_rounds * 21 * per_slot).min(sim.lag_samples.len());
    sim.lag_samples[skip..].iter().copied().max().unwrap_or(0)
}

/// Slots each honest producer missed, from its own node's chain state.
fn honest_missed(sim: &Sim) -> Vec<(String, u64)> {
    let c = sim.nodes[sim.honest()[0]].core.as_ref().unwrap();
    c.chain()
        .all_producer_stats()
        .into_iter()
        .filter(|(p, _)| sim.checker.honest_producers.contains(p))
        .filter(|(_, st)| st.missed > 0)
        .map(|(p, st)| (p.to_string(), st.missed))
        .collect()
}

/// A producer forges, at every round start, a first-of-round block naming the honest producer
/// of the slot under a made-up schedule (its own keys), with two descendants carrying votes
/// and approvals of those keys. Before schedules were derived from validated state, such a
/// header passed validation, turned into double-production evidence against the honest
/// producer, made the next producer miss its slot and reached the block log. Now: every forged
/// block is refused, no honest node applies or logs one, no evidence names an honest
/// producer, and no honest producer misses a slot.
#[test]
fn forged_schedules_are_refused_and_cost_honest_producers_nothing() {
    for topology in [Topology::Mesh, Topology::Sentries] {
        let mut sim = Sim::new(SimConfig {
            seed: 31,
            byzantine: vec![(5, Behavior::Forger)],
            observers: 3,
            topology,
            link: LinkModel { latency_ms: 20, jitter_ms: 10, loss: 0.0 },
            ..Default::default()
        });
        sim.run_until(8 * ROUND_MS).unwrap_or_else(|v| panic!("{topology}: {}", v.0));
        quiesce(&mut sim, 1000);
        assert!(sim.checker.forged >= 7 * 3, "{topology}: the forger forged {} blocks", sim.checker.forged);
        assert_eq!(sim.checker.violation, None);
        for i in sim.honest() {
            let disk = &sim.nodes[i].disk;
            assert!(
                !disk.blocks.iter().any(|b| sim.checker.invalid.contains(&b.id())),
                "{topology}: node {i} logged a forged block"
            );
            let c = sim.nodes[i].core.as_ref().unwrap();
            assert!(all_evidence(c.chain().kv()).is_empty(), "{topology}: node {i} recorded evidence");
        }
        assert_eq!(honest_missed(&sim), vec![], "{topology}: honest producers missed slots");
        assert!(lib(&sim, 0) > 7 * 21, "{topology}: finality kept pace: LIB {}", lib(&sim, 0));
        check_converged(&sim, &sim.honest()).unwrap();
    }
}

/// One byzantine producer sends over 100,000 junk approvals: validly signed ones for random
/// targets and overlapping slots, future and stale slots, other producers' names with its key,
/// corrupted signatures. Before approvals were pooled per producer, the shared pool of 8,192
/// filled up and dropped everyone's approvals, the node's own included, and finality fell back
/// to production votes (LIB ~29 blocks behind). Now the flood displaces only the flooder's
/// own share and the LIB stays within 3 blocks of the head.
#[test]
fn an_approval_flood_does_not_slow_finality() {
    let rounds = 10u64;
    let per_slot = 100_000u64.div_ceil(rounds * 21) as u32;
    let mut sim = Sim::new(SimConfig {
        seed: 32,
        byzantine: vec![(7, Behavior::ApprovalFlooder { per_slot })],
        ..Default::default()
    });
    sim.run_until(rounds * ROUND_MS + 500).unwrap();
    assert!(sim.flooded >= 100_000, "{} junk approvals sent", sim.flooded);
    let lag = max_lag(&sim, 1);
    assert!(lag <= 3, "LIB lag under the flood: {lag} blocks");
    for i in sim.honest() {
        let held = sim.nodes[i].core.as_ref().unwrap().approvals_held();
        assert!(held <= 22 * civitas_consensus::approval_pool::APPROVALS_PER_PRODUCER, "node {i} holds {held}");
    }
    // The flooder's overlapping votes are proof against it, and only it.
    let c = sim.nodes[0].core.as_ref().unwrap();
    let evidence = all_evidence(c.chain().kv());
    assert!(!evidence.is_empty());
    assert!(evidence.iter().all(|e| e.producer() == producer_name(7)));
    assert_eq!(sim.checker.violation, None);
}

/// A producer signs two conflicting approvals for every head it approves. Every honest node
/// records the same conflicting-vote evidence against it, none against anyone else, and
/// finality is unaffected.
#[test]
fn conflicting_approvals_become_agreed_evidence() {
    let mut sim =
        Sim::new(SimConfig { seed: 33, byzantine: vec![(4, Behavior::ConflictingApprover)], ..Default::default() });
    sim.run_until(6 * ROUND_MS).unwrap();
    quiesce(&mut sim, 1000);
    let honest = sim.honest();
    let recorded = |i: usize| all_evidence(sim.nodes[i].core.as_ref().unwrap().chain().kv());
    let first = recorded(honest[0]);
    assert!(first.len() >= 3, "conflicting-vote evidence in several rounds: {}", first.len());
    assert!(first.iter().all(|e| matches!(e, Evidence::ConflictingVotes(_)) && e.producer() == producer_name(4)));
    for &i in &honest {
        assert_eq!(recorded(i), first, "node {i} holds the same evidence");
    }
    assert!(max_lag(&sim, 1) <= 3, "finality unaffected: lag {}", max_lag(&sim, 1));
    assert_eq!(sim.checker.violation, None);
}

/// Equivocating twins (one key on two nodes on both sides of a partition) vote twice for the
/// same slots: besides double production, their votes become conflicting-vote evidence.
#[test]
fn twins_leave_conflicting_vote_evidence() {
    let byz: Vec<(usize, Behavior)> = (18..21).map(|i| (i, Behavior::Twin)).collect();
    let mut sim = Sim::new(SimConfig { seed: 34, byzantine: byz, observers: 2, ..Default::default() });
    let n = sim.nodes.len();
    let mut groups = vec![0usize; n];
    for (i, g) in groups.iter_mut().enumerate() {
        *g = usize::from(i % 2 == 1);
    }
    for &t in &sim.twin_nodes() {
        groups[t] = 1 - groups[t - (n - 3) + 18];
    }
    sim.schedule_fault(2 * ROUND_MS, civitas_sim::Fault::Partition(groups));
    sim.schedule_fault(5 * ROUND_MS, civitas_sim::Fault::Heal);
    sim.run_until(9 * ROUND_MS).unwrap();
    quiesce(&mut sim, 1000);
    let c = sim.nodes[sim.honest()[0]].core.as_ref().unwrap();
    let evidence = all_evidence(c.chain().kv());
    let twins: Vec<_> = (18..21).map(producer_name).collect();
    assert!(evidence.iter().any(|e| matches!(e, Evidence::ConflictingVotes(_))), "{evidence:?}");
    assert!(evidence.iter().all(|e| twins.contains(&e.producer())));
    assert_eq!(sim.checker.violation, None);
}

/// Blocks, approvals and transactions cross several hops: a ring of 21 producers, a line, a
/// sparse random graph and producers behind sentries all finalize within a few blocks.
#[test]
fn sparse_networks_finalize_by_relay() {
    for (topology, observers, bound) in
        [(Topology::Ring, 0, 4), (Topology::Line, 0, 6), (Topology::Random(2), 1, 4), (Topology::Sentries, 3, 3)]
    {
        let mut sim = Sim::new(SimConfig {
            seed: 35,
            observers,
            topology,
            tx_per_slot: 2,
            link: LinkModel { latency_ms: 10, jitter_ms: 5, loss: 0.0 },
            ..Default::default()
        });
        sim.run_until(6 * ROUND_MS).unwrap_or_else(|v| panic!("{topology}: {}", v.0));
        let lag = max_lag(&sim, 1);
        println!("{topology}: max LIB lag {lag} blocks");
        assert!(lag <= bound, "{topology}: LIB lag {lag} blocks");
        quiesce(&mut sim, 1000);
        check_converged(&sim, &sim.honest()).unwrap_or_else(|e| panic!("{topology}: {e}"));
    }
}
