//! State checkpoints: a node restored from one and fed the blocks above it reaches the same
//! head and state as a node that applied every block; damaged or foreign checkpoints are refused.

use civitas_consensus::checkpoint::CheckpointError;
use civitas_consensus::{Consensus, CoreConfig, Input, Output};
use civitas_sim::scenario::quiesce;
use civitas_sim::sim::sim_genesis;
use civitas_sim::{Sim, SimConfig};

#[test]
fn restored_node_replays_to_the_same_head_and_state() {
    let cfg = SimConfig { seed: 11, tx_per_slot: 4, ..Default::default() };
    let mut sim = Sim::new(cfg.clone());
    sim.run_until(3 * 21 * 500).unwrap();
    let core = sim.nodes[0].core.as_ref().unwrap();
    let lib = core.lib().num;
    assert!(lib > 20, "LIB {lib}");
    let bytes = core.checkpoint();
    sim.run_until(5 * 21 * 500).unwrap();
    quiesce(&mut sim, 2000);
    let live = sim.nodes[0].core.as_ref().unwrap();

    let mut restored = Consensus::from_checkpoint(&sim.genesis, CoreConfig::default(), &bytes).unwrap();
    assert_eq!(restored.head().num, lib);
    assert_eq!(restored.lib().num, lib);
    restored.set_time(sim.now());
    let mut out = Output::default();
    for b in sim.nodes[0].disk.blocks.iter().filter(|b| b.block_num() > lib) {
        restored.handle(Input::Block { block: b.clone(), from: None }, &mut out);
    }
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(restored.head().id, live.head().id);
    assert_eq!(restored.lib().id, live.lib().id);
    assert_eq!(restored.chain().state_root(), live.chain().state_root());
    assert_eq!(restored.chain().kv().full_hash(), live.chain().kv().full_hash());
    // A checkpoint of the restored node is the live node's checkpoint.
    assert_eq!(restored.checkpoint(), live.checkpoint());
}

#[test]
fn damaged_and_foreign_checkpoints_are_refused() {
    let cfg = SimConfig { seed: 5, ..Default::default() };
    let mut sim = Sim::new(cfg.clone());
    sim.run_until(2 * 21 * 500).unwrap();
    let bytes = sim.nodes[0].core.as_ref().unwrap().checkpoint();
    let load = |b: &[u8]| Consensus::from_checkpoint(&sim.genesis, CoreConfig::default(), b);
    assert!(load(&bytes).is_ok());
    for cut in [0, 7, 8, 40, bytes.len() / 2, bytes.len() - 1] {
        assert!(matches!(load(&bytes[..cut]), Err(CheckpointError::Invalid(_))), "cut at {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(load(&longer).is_err());
    // A flipped byte in the state rows breaks the commitment to the LIB block's state root.
    let mut flipped = bytes.clone();
    let at = bytes.len() - 3;
    flipped[at] ^= 0x55;
    assert!(load(&flipped).is_err());

    let other = sim_genesis(&SimConfig { producers: 4, ..cfg });
    assert!(matches!(
        Consensus::from_checkpoint(&other, CoreConfig::default(), &bytes),
        Err(CheckpointError::WrongChain { .. })
    ));
}
