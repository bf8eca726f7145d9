//! Fault-free networks and simple scenarios.

use civitas_sim::scenario::quiesce;
use civitas_sim::{Sim, SimConfig};

fn heads(sim: &Sim) -> Vec<(u32, u32)> {
    sim.nodes.iter().filter_map(|n| n.core.as_ref().map(|c| (c.head().num, c.lib().num))).collect()
}

#[test]
fn fault_free_network_finalizes_and_converges() {
    let mut sim = Sim::new(SimConfig { seed: 7, ..Default::default() });
    let round_ms = 21 * 500;
    sim.run_until(10 * round_ms).unwrap();
    quiesce(&mut sim, 2000);
    let hs = heads(&sim);
    println!("{hs:?}");
    let (h, l) = hs[0];
    assert!(hs.iter().all(|x| *x == (h, l)), "all nodes agree: {hs:?}");
    assert!(h >= 200, "head {h}");
    // With approvals every producer votes for every block within a network round trip: a block
    // is justified by the next one and final about two blocks later (docs/consensus.md).
    assert!(h - l <= 3, "LIB lag {}", h - l);
    sim.checker.check_pay(&sim.nodes);
    assert_eq!(sim.checker.violation, None);
}
