//! The benchmarks run at a tiny size, and the replay one checks what it measures: a generated
//! chain replayed from its block log (signatures not recovered again) reaches the same head and
//! state as the node that produced it.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use civitas_bench::{chaingen, nodes};
use civitas_consensus::Consensus;
use civitas_node::store::{StartFrom, Store};

#[test]
fn replay_of_a_generated_chain_reaches_its_head_and_state() {
    let chain = chaingen::generate(50, 600, 100);
    assert_eq!(chain.transfers, 600);
    let txs: usize = chain.blocks.iter().map(|b| b.transactions.len()).sum();
    assert_eq!(txs, 600);
    let dir = std::env::temp_dir().join(format!("civitas-bench-smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let f = nodes::replay(&chain, &dir).unwrap();
    assert_eq!(f.transfers, 600);
    assert_eq!(f.blocks, chain.blocks.len() as u64);

    // Open the same directory again and compare with a node that validates every signature.
    let (_s, replayed, _) =
        Store::open(&dir, &chain.genesis, Default::default(), false, StartFrom::Genesis, civitas_node::clock::now())
            .unwrap();
    let head = chain.blocks.last().unwrap();
    assert_eq!(replayed.head().id, head.id());
    assert_eq!(replayed.chain().state_root(), head.header.state_root);
    let mut full = Consensus::new(&chain.genesis, Default::default()).unwrap();
    full.set_time(civitas_node::clock::now());
    let mut out = civitas_consensus::Output::default();
    for b in &chain.blocks {
        full.handle(civitas_consensus::Input::Block { block: b.clone(), from: None }, &mut out);
    }
    assert!(out.rejected.is_empty());
    assert_eq!(full.chain().kv().full_hash(), replayed.chain().kv().full_hash());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tampered_block_is_rejected_on_replay_despite_skipped_signatures() {
    // Preauthorized replay skips signature recovery, not validation: a block whose transfer was
    // altered no longer matches its header's roots and is rejected.
    let mut chain = chaingen::generate(20, 40, 20);
    let mut b = (*chain.blocks[0]).clone();
    let mut raw = b.transactions[0].packed_trx.0.clone();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    b.transactions[0].packed_trx.0 = raw;
    chain.blocks[0] = std::sync::Arc::new(b);
    let dir = std::env::temp_dir().join(format!("civitas-bench-smoke-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let r = nodes::replay(&chain, &dir);
    assert!(r.is_err(), "a tampered log must not replay cleanly");
    let _ = std::fs::remove_dir_all(&dir);
}
