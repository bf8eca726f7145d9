//! Header validation: everything about a block that can be checked without applying it.

use std::sync::Arc;

use civitas_protocol::block::{transaction_mroot, EXT_EVIDENCE};
use civitas_protocol::codec::Unpack;
use civitas_protocol::{Checksum256, DoubleSignEvidence, SignedBlock};

use crate::error::BlockError;
use crate::forkdb::{BlockEntry, ForkDb};
use crate::params::Params;
use crate::schedule::key_of;

/// The most producers a schedule may list (votes are tracked in 128-bit masks).
pub const MAX_SCHEDULE: usize = 125;

/// Checks `block` against its parent and computes its header state.
pub fn header_entry(params: &Params, chain_id: &Checksum256, forkdb: &ForkDb, parent: &BlockEntry, block: &Arc<SignedBlock>) -> Result<BlockEntry, BlockError> {
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
        let expected_version = if s.producers == parent.schedule.producers { parent.schedule.version } else { parent.schedule.version + 1 };
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
    let signer = block.signer(chain_id).map_err(|_| BlockError::WrongSigningKey(h.producer))?;
    if Some(signer) != key_of(&schedule, h.producer) {
        return Err(BlockError::WrongSigningKey(h.producer));
    }
    if h.transaction_mroot != transaction_mroot(&block.transactions) {
        return bad("transaction_mroot does not match the transactions".into());
    }
    if !block.block_extensions.is_empty() {
        return bad("block extensions are not supported".into());
    }
    for ext in &h.header_extensions {
        if ext.0 != EXT_EVIDENCE || h.header_extensions.len() > 1 {
            return bad(format!("unsupported header extension {}", ext.0));
        }
        Vec::<DoubleSignEvidence>::unpack_exact(&ext.1 .0).map_err(|e| BlockError::Evidence(e.to_string()))?;
    }
    let mut last_votes = parent.last_votes.clone();
    if let Some(v) = h.vote {
        if v.first_num == 0 || v.first_num > h.block_num || v.source_num >= v.first_num {
            return Err(BlockError::Vote(format!("range {}..={} with source {}", v.first_num, h.block_num, v.source_num)));
        }
        if !parent.finality.is_justified(v.source_num) {
            return Err(BlockError::Vote(format!("source {} is not justified on this chain", v.source_num)));
        }
        if let Some(&(src, top)) = parent.last_votes.get(&h.producer) {
            if v.first_num <= top {
                return Err(BlockError::Vote(format!("votes again for height {} (already voted up to {top})", v.first_num)));
            }
            if v.source_num < src {
                return Err(BlockError::Vote(format!("source {} is below its previous source {src}", v.source_num)));
            }
        }
        Arc::make_mut(&mut last_votes).insert(h.producer, (v.source_num, h.block_num));
    }
    let finality = forkdb.evaluate(parent, h.block_num, h.producer, h.vote, &schedule, &prev_schedule);
    Ok(BlockEntry {
        block: block.clone(),
        id: block.id(),
        num: h.block_num,
        slot: h.slot,
        time: params.slot_time(h.slot),
        producer: h.producer,
        round,
        schedule,
        prev_schedule,
        finality,
        last_votes,
    })
}
