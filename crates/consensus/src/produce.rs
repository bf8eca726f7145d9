//! Block production: in its slot, a local producer builds on the head from the pool, votes,
//! persists its watermark and signs.

use std::sync::Arc;

use civitas_protocol::block::{approvals_root, evidence_root, transaction_mroot};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{BlockHeader, SignedBlock, Vote};

use civitas_protocol::limits::{MAX_BLOCK_BYTES, MAX_BLOCK_EVIDENCE, MAX_BLOCK_TRANSACTIONS};

use crate::core::{AppliedBlock, BlockLimits, Consensus, LocalProducer, Output, Watermark};
use crate::exec::BlockMeta;
use crate::forkdb::BlockEntry;

/// A block built on the head and applied to the chain state (sealed), not yet adopted.
pub(crate) struct Built {
    pub block: Arc<SignedBlock>,
    pub entry: BlockEntry,
    pub included: Vec<Arc<VerifiedTransaction>>,
}

impl Consensus {
    /// The local producer scheduled for `slot` on top of the head, if any.
    fn local_for_slot(&mut self, slot: u64) -> Option<LocalProducer> {
        let head = self.head.clone();
        let round = self.params.round_of(slot);
        let schedule =
            if round > head.round { Arc::new(self.schedule_after(&head, round).ok()?) } else { head.schedule.clone() };
        let p = schedule.producers[self.params.producer_index(slot, schedule.producers.len())].clone();
        self.config.producers.iter().find(|l| l.name == p.producer_name && l.public == p.block_signing_key).cloned()
    }

    /// Produces a block if the current slot belongs to a local producer.
    pub(crate) fn maybe_produce(&mut self, out: &mut Output) {
        let Some(slot) = self.params.slot_at(self.now) else {
            return;
        };
        if slot <= self.head.slot || self.config.producers.is_empty() {
            return;
        }
        let Some(local) = self.local_for_slot(slot) else { return };
        let wm = self.watermark(local.name);
        if slot <= wm.last_slot {
            return;
        }
        let head = self.head.clone();
        let votes = honest_votes(&head, slot, &wm, local.name);
        let limits = self.config.limits;
        let Some(built) = self.build_block(&head, slot, &local, votes.clone(), limits) else {
            return;
        };
        // The watermark goes to disk before the block goes anywhere.
        let mut nw = Watermark { last_slot: slot, ..wm };
        if let Some(v) = votes.last() {
            nw.vote_top = v.last_slot;
            nw.vote_source = v.source_slot;
        }
        self.watermarks.insert(local.name, nw);
        out.watermarks.push((local.name, nw));

        let block = built.block;
        for vt in &built.included {
            self.pool.remove(&vt.id);
        }
        self.pool.compact();
        self.newly_applied.push(AppliedBlock { block: block.clone(), transactions: built.included.clone() });
        self.applied_txs.insert(built.entry.id, built.included);
        self.relayed.insert(block.id());
        self.note_header(&block, out);
        let entry = self.forkdb.insert(built.entry);
        self.head = entry;
        out.head_changed = true;
        out.broadcast.push(block);
        self.advance_lib(out);
    }

    /// Executes a new block on the head and signs it. Leaves the chain state with the block
    /// applied.
    fn build_block(
        &mut self,
        head: &Arc<BlockEntry>,
        slot: u64,
        local: &LocalProducer,
        votes: Vec<Vote>,
        limits: BlockLimits,
    ) -> Option<Built> {
        let num = head.num + 1;
        let round = self.params.round_of(slot);
        let new_schedule = if round > head.round { Some(self.schedule_after(head, round).ok()?) } else { None };
        let schedule = match &new_schedule {
            Some(s) => Arc::new(s.clone()),
            None => head.schedule.clone(),
        };
        let prev_schedule = if round > head.round { head.schedule.clone() } else { head.prev_schedule.clone() };
        let approvals = self.select_approvals(head, &schedule, &prev_schedule);
        let finality = self.forkdb.evaluate(head, num, slot, local.name, &votes, &approvals, &schedule, &prev_schedule);
        let meta = BlockMeta { num, slot, producer: local.name, round, lib: finality.lib };
        self.begin_exec(head, &meta, &schedule);

        // The protocol's byte limit covers the whole block: leave room for everything but the
        // transactions (header with schedule, signature, approvals, and the most evidence the
        // block may carry).
        let overhead = {
            use civitas_protocol::Pack;
            let evidence_room: usize =
                self.pending_evidence.iter().take(MAX_BLOCK_EVIDENCE).map(|e| e.packed().len() + 8).sum();
            2048 + new_schedule.as_ref().map_or(0, |s| s.packed().len()) + approvals.packed().len() + evidence_room
        };
        let max_bytes = limits.max_bytes.min(MAX_BLOCK_BYTES.saturating_sub(overhead));
        let max_transactions = limits.max_transactions.min(MAX_BLOCK_TRANSACTIONS);
        let mut included = vec![];
        let mut bytes = 0usize;
        let mut drop = vec![];
        let candidates: Vec<_> = self.pool.iter().cloned().collect();
        for vt in candidates {
            if included.len() >= max_transactions || bytes + vt.wire_bytes > max_bytes {
                break;
            }
            match self.chain.apply_transaction(&vt) {
                Ok(_) => {
                    bytes += vt.wire_bytes;
                    included.push(vt);
                }
                // The block's CPU or NET is spent: the rest waits for the next block.
                Err(e) if e.is_block_full() => break,
                // A transaction that no longer applies (expired, duplicate, spent, out of
                // bandwidth) leaves the pool.
                Err(_) => drop.push(vt.id),
            }
        }
        for id in &drop {
            self.pool.remove(id);
        }
        // Evidence is recorded after the transactions, as `apply_entry` does: the state
        // commitment follows the order of writes.
        let evidence = self.include_evidence(&schedule, &prev_schedule);
        let state_root = self.chain.finish_block();
        let transactions: Vec<_> = included.iter().map(|vt| vt.packed.clone()).collect();
        let header = BlockHeader {
            previous: head.id,
            block_num: num,
            slot,
            producer: local.name,
            schedule_version: schedule.version,
            votes: votes.clone(),
            new_schedule,
            transaction_mroot: transaction_mroot(&transactions),
            state_root,
            evidence_root: evidence_root(&evidence),
            approvals_root: approvals_root(&approvals),
            header_extensions: vec![],
        };
        let mut last_votes = head.last_votes.clone();
        {
            let last = Arc::make_mut(&mut last_votes);
            for a in &approvals {
                last.insert(a.producer, (a.vote.source_slot, a.vote.last_slot));
            }
            if let Some(v) = votes.last() {
                last.insert(local.name, (v.source_slot, v.last_slot));
            }
        }
        let block = Arc::new(SignedBlock::sign_full(
            header,
            transactions,
            approvals,
            evidence.clone(),
            &self.chain.config().chain_id,
            &local.key,
        ));
        debug_assert!(crate::rules::check_block_limits(&block).is_ok(), "a produced block is within the limits");
        self.pending_evidence.retain(|p| !evidence.contains(p));
        let entry = BlockEntry {
            id: block.id(),
            num,
            slot,
            time: self.params.slot_time(slot),
            producer: local.name,
            round,
            schedule,
            prev_schedule,
            finality,
            last_votes,
            block: block.clone(),
        };
        Some(Built { block, entry, included })
    }
}

/// The votes an honest producer casts in its block at `slot` on `head` (docs/consensus.md):
/// the main vote from the highest justified block for every slot above it and above the
/// producer's last vote, and, if the source jumped past slots the producer never voted for, a
/// bridge vote for those slots from the highest justified block below them. Both respect the
/// watermark: slots only above `vote_top` (R1), sources never below `vote_source` (R2).
pub(crate) fn honest_votes(
    head: &BlockEntry,
    slot: u64,
    wm: &Watermark,
    producer: civitas_protocol::Name,
) -> Vec<Vote> {
    let (chain_src, chain_top) = head.last_votes.get(&producer).copied().unwrap_or((0, 0));
    let prev_top = wm.vote_top.max(chain_top);
    let min_source = wm.vote_source.max(chain_src);
    let fin = &head.finality;
    let hi = fin.justified_top();
    if hi < min_source {
        return vec![];
    }
    let lo = (prev_top + 1).max(fin.lib_slot + 1);
    if lo > slot {
        return vec![];
    }
    if lo > hi {
        return vec![Vote { source_slot: hi, first_slot: lo, last_slot: slot }];
    }
    let mut votes = vec![];
    // Slots lo..=hi were skipped by the jump of the source: bridge them from below.
    if let Some(s) = fin.justified_below(lo).filter(|&s| s >= min_source).max() {
        votes.push(Vote { source_slot: s, first_slot: lo, last_slot: hi });
    }
    votes.push(Vote { source_slot: hi, first_slot: hi + 1, last_slot: slot });
    votes
}
