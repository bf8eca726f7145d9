//! What byzantine nodes do besides following the protocol: equivocate, send invalid or
//! withheld blocks, forge headers and schedules without keys, flood and sign conflicting
//! approvals. Every block they forge is marked for the checker, which fails the run if an
//! honest node ever applies one.

use std::sync::Arc;

use civitas_protocol::block::{approvals_root, transaction_mroot};
use civitas_protocol::{
    sha256, Approval, BlockHeader, Bytes, Checksum256, Compression, PackedTransaction, PrivateKey, ProducerKey,
    ProducerSchedule, SignedBlock, Vote,
};

use crate::net::Msg;
use crate::node::{Behavior, InvalidKind};
use crate::sim::Sim;

/// Sends node `i`'s freshly produced block as its behaviour dictates.
pub(crate) fn send_own_block(sim: &mut Sim, i: usize, block: Arc<SignedBlock>) {
    match sim.nodes[i].behavior.clone() {
        Behavior::Honest
        | Behavior::Twin
        | Behavior::Forger
        | Behavior::ApprovalFlooder { .. }
        | Behavior::ConflictingApprover => sim.broadcast(i, None, Msg::Block(block), 0),
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
            for (k, j) in sim.net.neighbours(i).into_iter().enumerate() {
                let b = if k % 2 == 1 { other.clone() } else { block.clone() };
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
                // Colluders talk over a private channel, whatever the topology.
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

/// What byzantine nodes do at the start of a slot, before anyone produces.
pub(crate) fn on_slot(sim: &mut Sim, slot: u64) {
    for i in 0..sim.nodes.len() {
        if !sim.nodes[i].is_up() {
            continue;
        }
        match sim.nodes[i].behavior {
            Behavior::Forger => forge_round(sim, i, slot),
            Behavior::ApprovalFlooder { per_slot } => flood_approvals(sim, i, slot, per_slot),
            _ => {}
        }
    }
}

/// A conflicting approver signs a second version of each approval it made.
pub(crate) fn after_approvals(sim: &mut Sim, i: usize, approvals: &[Arc<Approval>]) {
    if sim.nodes[i].behavior != Behavior::ConflictingApprover {
        return;
    }
    let Some(local) = sim.nodes[i].producer.clone() else { return };
    let chain_id = sim.genesis.chain_id();
    for a in approvals.iter().filter(|a| a.producer == local.name) {
        let v = a.vote;
        // Alternately another target for the same slots, and the same slots from a lower
        // source: both break R1 (one slot, two votes).
        let (vote, target) = if v.first_slot % 2 == 0 || v.source_slot == 0 {
            (v, sha256(&a.target.0))
        } else {
            (Vote { source_slot: v.source_slot - 1, ..v }, a.target)
        };
        let other = Arc::new(Approval::sign(&chain_id, local.name, vote, target, &local.key));
        sim.broadcast(i, None, Msg::Approval(other), 0);
    }
}

/// At the first slot of a round, a forger makes up the next blocks: a first-of-round block
/// naming the honest producer of the slot under a schedule of the current names with keys the
/// forger holds, and two more after it, each voting for everything above the head's justified
/// block and carrying approvals of every made-up key — everything a key-less peer can sign.
fn forge_round(sim: &mut Sim, i: usize, slot: u64) {
    let Some(core) = sim.nodes[i].core.as_ref() else { return };
    let params = *core.params();
    if !slot.is_multiple_of(params.round_len()) {
        return;
    }
    let head = core.head().clone();
    let chain_id = sim.genesis.chain_id();
    let fake_key = |n: civitas_protocol::Name| PrivateKey::from_seed(&format!("forged-{n}-{slot}"));
    let fake = made_up(&head.schedule, head.schedule.version + 1, fake_key);
    let source = head.finality.justified_top();
    let (mut parent_id, mut parent_slot, mut num) = (head.id, head.slot, head.num);
    for k in 0..3 {
        let s = slot + k;
        let name = fake.producers[params.producer_index(s, fake.producers.len())].producer_name;
        let approvals: Vec<Approval> = if source < parent_slot {
            fake.producers
                .iter()
                .filter(|p| p.producer_name != name)
                .map(|p| {
                    let vote = Vote { source_slot: source, first_slot: source + 1, last_slot: parent_slot };
                    Approval::sign(&chain_id, p.producer_name, vote, parent_id, &fake_key(p.producer_name))
                })
                .collect()
        } else {
            vec![]
        };
        let votes =
            if source < s { vec![Vote { source_slot: source, first_slot: source + 1, last_slot: s }] } else { vec![] };
        let header = BlockHeader {
            previous: parent_id,
            block_num: num + 1,
            slot: s,
            producer: name,
            schedule_version: fake.version,
            votes,
            new_schedule: (k == 0).then(|| fake.clone()),
            transaction_mroot: transaction_mroot(&[]),
            state_root: sha256(b"forged"),
            evidence_root: Checksum256::ZERO,
            approvals_root: approvals_root(&approvals),
            header_extensions: vec![],
        };
        let block = SignedBlock::sign_full(header, vec![], approvals, vec![], &chain_id, &fake_key(name));
        sim.checker.invalid.insert(block.id());
        sim.checker.forged += 1;
        parent_id = block.id();
        parent_slot = s;
        num += 1;
        sim.broadcast(i, None, Msg::Block(Arc::new(block)), 0);
    }
}

/// A forger answers every first-of-round block it receives with a sibling: the same parent,
/// slot, producer name and schedule order, but the schedule's keys are its own and it signs
/// with the one it gave that producer. Under a schedule taken from the block itself this is a
/// valid second block of the honest producer for its slot — double-production "evidence"
/// against it.
pub(crate) fn after_applied(sim: &mut Sim, i: usize, applied: &[civitas_consensus::AppliedBlock]) {
    if sim.nodes[i].behavior != Behavior::Forger {
        return;
    }
    let chain_id = sim.genesis.chain_id();
    let me = sim.nodes[i].producer.as_ref().map(|p| p.name);
    for a in applied {
        let h = &a.block.header;
        let Some(real) = &h.new_schedule else { continue };
        if Some(h.producer) == me || h.block_num <= 1 {
            continue;
        }
        let fake_key = |n: civitas_protocol::Name| PrivateKey::from_seed(&format!("forged-{n}-{}", h.slot));
        let mut header = h.clone();
        header.new_schedule = Some(made_up(real, real.version, fake_key));
        header.state_root = sha256(b"forged sibling");
        header.votes.clear();
        header.approvals_root = Checksum256::ZERO;
        header.evidence_root = Checksum256::ZERO;
        header.transaction_mroot = transaction_mroot(&[]);
        let block = SignedBlock::sign(header, vec![], &chain_id, &fake_key(h.producer));
        sim.checker.invalid.insert(block.id());
        sim.checker.forged += 1;
        sim.broadcast(i, None, Msg::Block(Arc::new(block)), 0);
    }
}

/// `real`'s producers in its order, each with the key `key_of` gives it: a schedule only its
/// maker can sign for.
fn made_up(
    real: &ProducerSchedule,
    version: u32,
    key_of: impl Fn(civitas_protocol::Name) -> PrivateKey,
) -> ProducerSchedule {
    let producers = real
        .producers
        .iter()
        .map(|p| ProducerKey {
            producer_name: p.producer_name,
            block_signing_key: key_of(p.producer_name).public_key(),
        })
        .collect();
    ProducerSchedule { version, producers }
}

/// A flooder sends `per_slot` junk approvals to its neighbours.
fn flood_approvals(sim: &mut Sim, i: usize, slot: u64, per_slot: u32) {
    let Some(core) = sim.nodes[i].core.as_ref() else { return };
    let Some(local) = sim.nodes[i].producer.clone() else { return };
    let lib_slot = core.lib().slot;
    let others: Vec<civitas_protocol::Name> =
        core.head().schedule.producers.iter().map(|p| p.producer_name).filter(|n| *n != local.name).collect();
    let chain_id = sim.genesis.chain_id();
    for _ in 0..per_slot {
        let r = sim.rng.next_u64();
        let target = sha256(&r.to_le_bytes());
        let first = lib_slot + 1 + r % 4;
        let in_window =
            Vote { source_slot: lib_slot, first_slot: first, last_slot: (first + (r >> 8) % 3).min(slot + 2) };
        let a = match r % 5 {
            // Validly signed, in the window, random target and overlapping ranges.
            0 => Approval::sign(&chain_id, local.name, in_window, target, &local.key),
            // Far in the future.
            1 => {
                let f = slot + 10 + (r >> 8) % 1_000_000;
                Approval::sign(
                    &chain_id,
                    local.name,
                    Vote { source_slot: f - 1, first_slot: f, last_slot: f },
                    target,
                    &local.key,
                )
            }
            // Stale: at or below the LIB.
            2 => {
                let l = lib_slot.max(1);
                Approval::sign(
                    &chain_id,
                    local.name,
                    Vote { source_slot: l - 1, first_slot: l, last_slot: l },
                    target,
                    &local.key,
                )
            }
            // In another producer's name, signed with the flooder's key.
            3 => {
                let victim = others.get((r >> 8) as usize % others.len().max(1)).copied().unwrap_or(local.name);
                Approval::sign(&chain_id, victim, in_window, target, &local.key)
            }
            // A corrupted signature.
            _ => {
                let mut a = Approval::sign(&chain_id, local.name, in_window, target, &local.key);
                a.signature.0[5] ^= 0x40;
                a
            }
        };
        sim.flooded += 1;
        sim.broadcast(i, None, Msg::Approval(Arc::new(a)), 0);
    }
}
