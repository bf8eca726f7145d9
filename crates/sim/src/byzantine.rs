//! How byzantine nodes send their own blocks.

use std::sync::Arc;

use civitas_protocol::block::transaction_mroot;
use civitas_protocol::{sha256, Bytes, Compression, PackedTransaction, SignedBlock};

use crate::net::Msg;
use crate::node::{Behavior, InvalidKind};
use crate::sim::Sim;

/// Sends node `i`'s freshly produced block as its behaviour dictates.
pub(crate) fn send_own_block(sim: &mut Sim, i: usize, block: Arc<SignedBlock>) {
    match sim.nodes[i].behavior.clone() {
        Behavior::Honest | Behavior::Twin => sim.broadcast(i, None, Msg::Block(block), 0),
        Behavior::Late { delay_ms } => sim.broadcast(i, None, Msg::Block(block), delay_ms),
        Behavior::DoubleProducer => {
            // A second header for the same slot: the same block without its votes, signed again.
            let key = sim.nodes[i].producer.as_ref().map(|p| p.key.clone());
            let Some(key) = key else { return };
            let mut h = block.header.clone();
            h.votes.clear();
            let mut other = SignedBlock::sign(h, block.transactions.clone(), &sim.genesis.chain_id(), &key);
            other.approvals = block.approvals.clone();
            other.evidence = block.evidence.clone();
            let other = Arc::new(other);
            let n = sim.nodes.len();
            for j in (0..n).filter(|&j| j != i) {
                let b = if j % 2 == 1 { other.clone() } else { block.clone() };
                sim.net.send(&mut sim.rng, i, j, Msg::Block(b), 0);
            }
        }
        Behavior::Invalid(kind) => {
            let key = sim.nodes[i].producer.as_ref().map(|p| p.key.clone());
            let Some(key) = key else { return };
            let chain_id = sim.genesis.chain_id();
            let mut h = block.header.clone();
            let mut txs = block.transactions.clone();
            match kind {
                InvalidKind::BadSignature => {}
                InvalidKind::WrongProducer => h.slot += 1,
                InvalidKind::BadTransaction => {
                    txs.push(PackedTransaction {
                        signatures: vec![],
                        compression: Compression::None,
                        packed_context_free_data: Bytes::default(),
                        packed_trx: Bytes(vec![1, 2, 3]),
                    });
                    h.transaction_mroot = transaction_mroot(&txs);
                }
                InvalidKind::BadStateRoot => h.state_root = sha256(b"not the state"),
            }
            let mut bad = SignedBlock::sign(h, txs, &chain_id, &key);
            if kind == InvalidKind::BadSignature {
                bad.producer_signature.0[10] ^= 0x01;
            }
            // A corrupted signature leaves the id of the valid block; only the others are
            // blocks whose id is invalid.
            if kind != InvalidKind::BadSignature {
                sim.checker.invalid.insert(bad.id());
            }
            sim.broadcast(i, None, Msg::Block(Arc::new(bad)), 0);
        }
        Behavior::Withholder { release_ms } => {
            if sim.net.now_ms >= release_ms {
                sim.broadcast(i, None, Msg::Block(block), 0);
            } else {
                sim.nodes[i].withheld.push(block.clone());
                let colluders: Vec<usize> =
                    (0..sim.nodes.len()).filter(|&j| j != i && !sim.nodes[j].behavior.is_honest()).collect();
                for j in colluders {
                    sim.net.send(&mut sim.rng, i, j, Msg::Block(block.clone()), 0);
                }
            }
        }
    }
}

/// Withholders whose release time has come publish their private blocks.
pub(crate) fn release_withheld(sim: &mut Sim) {
    for i in 0..sim.nodes.len() {
        if let Behavior::Withholder { release_ms } = sim.nodes[i].behavior {
            if sim.net.now_ms >= release_ms && !sim.nodes[i].withheld.is_empty() {
                let blocks = std::mem::take(&mut sim.nodes[i].withheld);
                for b in blocks {
                    sim.broadcast(i, None, Msg::Block(b), 0);
                }
            }
        }
    }
}
