//! Fault-free networks and simple scenarios.

use civitas_protocol::crypto::transaction_recoveries_on_this_thread;
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
    sim.checker.check_end(&sim.nodes);
    assert_eq!(sim.checker.violation, None);
}

/// Keys are recovered once per transaction, when it is admitted (the simulator's shell verifies
/// each new transaction once, as the node's API does): producing blocks and applying them on all
/// 21 nodes never recovers a transaction signature again. The simulator runs on this thread, so
/// the thread's counter sees every recovery it makes.
#[test]
fn transaction_keys_are_recovered_once_at_admission() {
    let mut sim = Sim::new(SimConfig { seed: 11, tx_per_slot: 4, ..Default::default() });
    let before = transaction_recoveries_on_this_thread();
    sim.run_until(3 * 21 * 500).unwrap();
    quiesce(&mut sim, 2000);
    let recoveries = transaction_recoveries_on_this_thread() - before;
    let core = sim.nodes[0].core.as_ref().unwrap();
    let lib = core.lib().num;
    // Fault-free: no forks, so the persisted blocks up to LIB are the irreversible chain.
    let in_blocks: usize =
        sim.nodes[0].disk.blocks.iter().filter(|b| b.block_num() <= lib).map(|b| b.transactions.len()).sum();
    println!("{recoveries} recoveries, {in_blocks} transactions in irreversible blocks on 21 nodes");
    assert!(in_blocks >= 200, "the network carried transactions: {in_blocks}");
    // One signature per transfer, recovered by the shell when the transfer was created; none
    // when 21 nodes produced and applied the blocks holding them.
    assert_eq!(recoveries, sim.transactions_created());
    assert!(recoveries >= in_blocks as u64);
    assert_eq!(sim.checker.violation, None);
}
