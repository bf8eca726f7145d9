//! Header validation: everything about a block that can be checked without applying it.

use std::sync::Arc;

use civitas_protocol::block::{approvals_root, evidence_root, transaction_mroot};
use civitas_protocol::{Checksum256, SignedBlock};

use crate::approvals::{check_approval, MAX_APPROVALS};
use crate::error::BlockError;
use crate::forkdb::{BlockEntry, ForkDb, HeaderState};
use crate::params::Params;
use crate::schedule::key_of;
use crate::verifier::SigVerifier;

/// The most producers a schedule may list (votes are tracked in 128-bit masks).
pub const MAX_SCHEDULE: usize = 125;

/// The most evidence entries one block may carry.
pub const MAX_EVIDENCE: usize = 16;

/// Checks `block` against its parent and computes its header state.
pub fn header_entry(
    params: &Params,
    chain_id: &Checksum256,
    forkdb: &ForkDb,
    parent: &BlockEntry,
    block: &Arc<SignedBlock>,
    verifier: &dyn SigVerifier,
) -> Result<BlockEntry, BlockError> {
    let h = &block.header;
    let bad = |m: String| Err(BlockError::Header(m));
    if h.block_num != parent.num + 1 {
        return bad(format!("block_num {} does not follow parent {}", h.block_num, parent.num));
    }
    if h.slot <= parent.slot {
        return bad(format!("slot {} is not after the parent's slot {}", h.slot, parent.slot));
    }
    let round = params.round_of(h.slot);
    let (schedule, prev_schedule) = if round > parent.round {
        let Some(s) = &h.new_schedule else {
            return bad("the first block of a round must carry new_schedule".into());
        };
        if s.producers.is_empty() || s.producers.len() > MAX_SCHEDULE || s.producers.len() > params.producers as usize {
            return bad(format!("schedule of {} producers", s.producers.len()));
        }
        let mut names: Vec<_> = s.producers.iter().map(|p| p.producer_name).collect();
        names.sort();
        names.dedup();
        if names.len() != s.producers.len() {
            return bad("schedule lists a producer twice".into());
        }
        let expected_version = if s.producers == parent.schedule.producers {
            parent.schedule.version
        } else {
            parent.schedule.version + 1
        };
        if s.version != expected_version {
            return bad(format!("schedule version {} (expected {expected_version})", s.version));
        }
        (Arc::new(s.clone()), parent.schedule.clone())
    } else {
        if h.new_schedule.is_some() {
            return bad("only the first block of a round may carry new_schedule".into());
        }
        (parent.schedule.clone(), parent.prev_schedule.clone())
    };
    if h.schedule_version != schedule.version {
        return bad(format!("schedule_version {} (active {})", h.schedule_version, schedule.version));
    }
    let expected = &schedule.producers[params.producer_index(h.slot, schedule.producers.len())];
    if h.producer != expected.producer_name {
        return Err(BlockError::WrongProducer { slot: h.slot, got: h.producer, expected: expected.producer_name });
    }
    let signer = verifier
        .recover(&h.signing_digest(chain_id), &block.producer_signature)
        .map_err(|_| BlockError::WrongSigningKey(h.producer))?;
    if Some(signer) != key_of(&schedule, h.producer) {
        return Err(BlockError::WrongSigningKey(h.producer));
    }
    if h.transaction_mroot != transaction_mroot(&block.transactions) {
        return Err(BlockError::BodyMismatch("transaction_mroot does not match the transactions".into()));
    }
    if !h.header_extensions.is_empty() {
        return bad("header extensions are not supported".into());
    }
    if !block.block_extensions.is_empty() {
        return Err(BlockError::BodyMismatch("block extensions are not supported".into()));
    }
    if block.evidence.len() > MAX_EVIDENCE {
        return Err(BlockError::Evidence(format!("{} entries, at most {MAX_EVIDENCE}", block.evidence.len())));
    }
    if h.evidence_root != evidence_root(&block.evidence) {
        return Err(BlockError::BodyMismatch("evidence_root does not match the evidence".into()));
    }
    if h.approvals_root != approvals_root(&block.approvals) {
        return Err(BlockError::BodyMismatch("approvals_root does not match the approvals".into()));
    }
    if block.approvals.len() > MAX_APPROVALS {
        return Err(BlockError::Vote(format!("{} approvals, at most {MAX_APPROVALS}", block.approvals.len())));
    }
    let mut last_votes = parent.last_votes.clone();
    {
        let last = Arc::make_mut(&mut last_votes);
        for a in &block.approvals {
            check_approval(forkdb, parent, &schedule, &prev_schedule, a, last, chain_id, verifier)
                .map_err(BlockError::Vote)?;
        }
        check_votes(h.slot, &h.votes, parent, last, h.producer)?;
        if let Some(v) = h.votes.last() {
            last.insert(h.producer, (v.source_slot, v.last_slot));
        }
    }
    let finality =
        forkdb.evaluate(parent, h.block_num, h.slot, h.producer, &h.votes, &block.approvals, &schedule, &prev_schedule);
    Ok(BlockEntry::new(block.clone(), HeaderState { round, schedule, prev_schedule, finality, last_votes }, params))
}

/// The most votes one block may carry (a bridge vote and the main vote).
pub const MAX_VOTES: usize = 2;

/// Checks a block's votes: each slot range within the chain and above its source, which must
/// be a justified block on the parent's chain; ranges ascending and disjoint, sources
/// non-decreasing, and both above the producer's previous vote on this chain (R1, R2).
fn check_votes(
    slot: u64,
    votes: &[civitas_protocol::Vote],
    parent: &BlockEntry,
    last: &std::collections::BTreeMap<civitas_protocol::Name, (u64, u64)>,
    producer: civitas_protocol::Name,
) -> Result<(), BlockError> {
    if votes.len() > MAX_VOTES {
        return Err(BlockError::Vote(format!("{} votes, at most {MAX_VOTES}", votes.len())));
    }
    let (mut min_first, mut min_source) = match last.get(&producer) {
        Some(&(src, top)) => (top + 1, src),
        None => (1, 0),
    };
    for v in votes {
        if v.first_slot < min_first || v.first_slot > v.last_slot || v.last_slot > slot || v.source_slot >= v.first_slot
        {
            return Err(BlockError::Vote(format!(
                "slots {}..={} with source {} (must start at {min_first} or later and end by slot {slot})",
                v.first_slot, v.last_slot, v.source_slot
            )));
        }
        if v.source_slot < min_source {
            return Err(BlockError::Vote(format!(
                "source {} is below the previous source {min_source}",
                v.source_slot
            )));
        }
        if !parent.finality.is_justified(v.source_slot) {
            return Err(BlockError::Vote(format!(
                "source slot {} is not a justified block on this chain",
                v.source_slot
            )));
        }
        min_first = v.last_slot + 1;
        min_source = v.source_slot;
    }
    Ok(())
}
