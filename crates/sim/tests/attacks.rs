//! Attack cases: colluding equivocators, offline producers, double production.

use civitas_sim::scenario::{check_converged, quiesce};
use civitas_sim::{Behavior, Fault, Sim, SimConfig};

const ROUND_MS: u64 = 21 * 500;

fn lib(sim: &Sim, i: usize) -> u32 {
    sim.nodes[i].core.as_ref().map_or(0, |c| c.lib().num)
}

fn head(sim: &Sim, i: usize) -> u32 {
    sim.nodes[i].core.as_ref().map_or(0, |c| c.head().num)
}

/// Six byzantine producers run a twin on each side of a partition that splits the honest
/// producers 8/7: both sides see 14 producers (8 or 7 honest plus 6 twins) and every byzantine
/// producer signs and votes on both branches. Neither side can finalize anything conflicting;
/// after healing, everybody converges and finality resumes.
#[test]
fn six_equivocating_producers_cannot_split_finality() {
    for seed in 1..=3 {
        let byz: Vec<(usize, Behavior)> = (15..21).map(|i| (i, Behavior::Twin)).collect();
        let mut sim = Sim::new(SimConfig { seed, byzantine: byz, observers: 2, tx_per_slot: 1, ..Default::default() });
        let n = sim.nodes.len();
        let twins = sim.twin_nodes();
        // Honest producers 0..8 and observer 21 on side 0, honest 8..15 and observer 22 on side
        // 1; originals of the byzantine producers on side 0, their twins on side 1.
        let mut groups = vec![0usize; n];
        for (i, g) in groups.iter_mut().enumerate().take(15) {
            *g = usize::from(i >= 8);
        }
        groups[22] = 1;
        for &t in &twins {
            groups[t] = 1;
        }
        sim.run_until(3 * ROUND_MS).unwrap();
        let lib_before = lib(&sim, 0);
        sim.schedule_fault(3 * ROUND_MS + 1, Fault::Partition(groups));
        sim.schedule_fault(10 * ROUND_MS, Fault::Heal);
        sim.run_until(10 * ROUND_MS).unwrap_or_else(|v| panic!("seed {seed}: {}", v.0));
        // No side reached a quorum of its own: finality stood still during the partition.
        for i in sim.honest() {
            assert!(lib(&sim, i) <= lib_before + 3, "seed {seed}: node {i} finalized during the split");
        }
        sim.run_until(14 * ROUND_MS).unwrap_or_else(|v| panic!("seed {seed}: {}", v.0));
        quiesce(&mut sim, 1000);
        check_converged(&sim, &sim.honest()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(lib(&sim, 0) > lib_before + 20, "seed {seed}: finality resumed after healing");
        assert_eq!(sim.checker.violation, None);
        // Every byzantine producer double-produced across the split; the evidence is on chain.
        let recorded = civitas_consensus::records::all_evidence(sim.nodes[0].core.as_ref().unwrap().chain().kv());
        assert!(!recorded.is_empty(), "seed {seed}: equivocation left evidence");
    }
}

/// With 7 of 21 producers offline, blocks keep coming but nothing becomes irreversible; when
/// they come back, finality resumes.
#[test]
fn seven_offline_producers_stop_finality_not_production() {
    let mut sim = Sim::new(SimConfig { seed: 5, ..Default::default() });
    sim.run_until(3 * ROUND_MS).unwrap();
    for i in 0..7 {
        sim.schedule_fault(3 * ROUND_MS + 1, Fault::Crash(i));
        sim.schedule_fault(9 * ROUND_MS, Fault::Restart(i));
    }
    sim.run_until(4 * ROUND_MS).unwrap();
    let (h1, l1) = (head(&sim, 10), lib(&sim, 10));
    sim.run_until(9 * ROUND_MS - 1).unwrap();
    let (h2, l2) = (head(&sim, 10), lib(&sim, 10));
    assert!(h2 >= h1 + 60, "production continued: {h1} -> {h2}");
    assert_eq!(l2, l1, "finality stopped with 14 of 21 producers");
    sim.run_until(12 * ROUND_MS).unwrap();
    assert!(lib(&sim, 10) > l2 + 20, "finality resumed: {} -> {}", l2, lib(&sim, 10));
    assert_eq!(sim.checker.violation, None);
}

/// With 6 of 21 offline, 15 producers still finalize every round.
#[test]
fn six_offline_producers_keep_finality() {
    let mut sim = Sim::new(SimConfig { seed: 6, ..Default::default() });
    for i in 0..6 {
        sim.schedule_fault(ROUND_MS, Fault::Crash(i));
    }
    sim.run_until(2 * ROUND_MS).unwrap();
    let mut last = lib(&sim, 10);
    for r in 3..8 {
        sim.run_until(r * ROUND_MS).unwrap();
        let now = lib(&sim, 10);
        assert!(now > last, "LIB advanced in round {r}");
        last = now;
    }
    assert!(head(&sim, 10) - lib(&sim, 10) <= 4, "lag with 15 of 21: {}", head(&sim, 10) - lib(&sim, 10));
}

/// A producer that signs two blocks for its slot leaves the same evidence on every honest node.
#[test]
fn double_production_leaves_agreed_evidence() {
    let mut sim = Sim::new(SimConfig { seed: 9, byzantine: vec![(3, Behavior::DoubleProducer)], ..Default::default() });
    sim.run_until(8 * ROUND_MS).unwrap();
    quiesce(&mut sim, 1000);
    let honest = sim.honest();
    let evidence = |i: usize| {
        let c = sim.nodes[i].core.as_ref().unwrap();
        let lib_kv = c.chain().kv();
        civitas_consensus::records::all_evidence(lib_kv)
    };
    let first = evidence(honest[0]);
    assert!(!first.is_empty(), "evidence recorded");
    assert!(first.iter().all(|e| e.producer() == civitas_sim::sim::producer_name(3)));
    for &i in &honest {
        assert_eq!(evidence(i), first, "node {i} holds the same evidence");
    }
    assert_eq!(sim.checker.violation, None);
}
