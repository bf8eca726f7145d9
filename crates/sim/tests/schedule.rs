//! The producer schedule: a round is one turn per active producer, in an order every node
//! computes the same way.

use std::collections::BTreeSet;

use civitas_consensus::records;
use civitas_sim::scenario::quiesce;
use civitas_sim::{Sim, SimConfig};

#[test]
fn every_round_is_one_turn_per_producer_in_the_agreed_shuffle() {
    let mut sim = Sim::new(SimConfig { seed: 11, ..Default::default() });
    sim.run_until(12 * 21 * 500).unwrap();
    quiesce(&mut sim, 1000);
    let core = sim.nodes[0].core.as_ref().unwrap();
    let params = *core.params();
    // Walk node 0's chain and group its blocks by round.
    let mut rounds: std::collections::BTreeMap<u64, Vec<(u64, civitas_protocol::Name, u32)>> = Default::default();
    let disk = &sim.nodes[0].disk;
    let mut id = core.head().id;
    while let Some(b) = disk.by_id.get(&id) {
        let h = &b.header;
        rounds.entry(params.round_of(h.slot)).or_default().push((h.slot, h.producer, h.schedule_version));
        id = h.previous;
    }
    let full: Vec<_> = rounds.iter().filter(|(r, blocks)| **r > 0 && blocks.len() == 21).collect();
    assert!(full.len() >= 3, "several complete rounds without missed slots");
    let mut orders = BTreeSet::new();
    for (round, blocks) in &full {
        let producers: BTreeSet<_> = blocks.iter().map(|b| b.1).collect();
        assert_eq!(producers.len(), 21, "round {round}: each producer exactly once");
        let mut by_slot = blocks.to_vec();
        by_slot.sort();
        assert_eq!(by_slot.first().unwrap().0, params.round_start(**round), "round {round} starts at its first slot");
        orders.insert(by_slot.iter().map(|b| b.1).collect::<Vec<_>>());
    }
    assert!(orders.len() >= 2, "the order is reshuffled between rounds");
    // Every node holds the same schedule history.
    let reference = records::active_schedule(core.chain().kv()).unwrap();
    for n in &sim.nodes {
        let c = n.core.as_ref().unwrap();
        assert_eq!(records::active_schedule(c.chain().kv()).unwrap(), reference);
        for v in 0..=reference.version {
            assert_eq!(
                records::schedule_by_version(c.chain().kv(), v),
                records::schedule_by_version(core.chain().kv(), v),
                "schedule version {v}"
            );
        }
    }
}
