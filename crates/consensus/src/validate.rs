//! Header validation: everything about a block that can be checked without applying it.

use std::sync::Arc;

use civitas_protocol::block::{approvals_root, evidence_root, transaction_mroot};
use civitas_protocol::limits::MAX_SCHEDULE_PRODUCERS;
use civitas_protocol::{Checksum256, ProducerSchedule, SignedBlock};

use crate::error::BlockError;
use crate::forkdb::{BlockEntry, ForkDb, HeaderState};
use crate::params::Params;
use crate::rules::{check_approval, check_votes};
use crate::schedule::key_of;
use crate::verifier::SigVerifier;

/// Checks `block` against its parent and computes its header state. `derived` is the schedule
/// of the block's round when the block opens one: derived by this node from the state after
/// the parent (`basis.rs`), never taken from the block. The caller has checked the block's
/// limits (`rules::check_block_limits`).
pub fn header_entry(
    params: &Params,
    chain_id: &Checksum256,
    forkdb: &ForkDb,
    parent: &BlockEntry,
    block: &Arc<SignedBlock>,
    derived: Option<Arc<ProducerSchedule>>,
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
        let Some(derived) = derived else {
            return bad("the schedule of a new round was not derived".into());
        };
        match &h.new_schedule {
            None => return bad("the first block of a round must carry new_schedule".into()),
            Some(s) if *s != *derived => return Err(BlockError::Schedule),
            Some(_) => {}
        }
        if derived.producers.is_empty() || derived.producers.len() > MAX_SCHEDULE_PRODUCERS {
            return bad(format!("schedule of {} producers", derived.producers.len()));
        }
        (derived, parent.schedule.clone())
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
    if h.evidence_root != evidence_root(&block.evidence) {
        return Err(BlockError::BodyMismatch("evidence_root does not match the evidence".into()));
    }
    if h.approvals_root != approvals_root(&block.approvals) {
        return Err(BlockError::BodyMismatch("approvals_root does not match the approvals".into()));
    }
    let mut last_votes = parent.last_votes.clone();
    {
        let last = Arc::make_mut(&mut last_votes);
        for a in &block.approvals {
            check_approval(forkdb, parent, &schedule, &prev_schedule, a, None, last, chain_id, verifier)
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
