//! Executing a block against the chain state: the consensus bookkeeping every block runs first
//! (schedule change, round seed, missed slots, irreversibility), then transactions and
//! evidence, then the state commitment. Producing and validating share this code, so both
//! compute the same.

use std::sync::Arc;

use civitas_chain::BlockInfo;
use civitas_protocol::{Name, ProducerSchedule};

use crate::core::{AppliedBlock, Consensus};
use crate::error::BlockError;
use crate::forkdb::BlockEntry;
use crate::records;

/// What the bookkeeping needs to know about the block being executed.
pub(crate) struct BlockMeta {
    pub num: u32,
    pub slot: u64,
    pub producer: Name,
    pub round: u64,
    /// Chain-local LIB after this block.
    pub lib: u32,
}

impl Consensus {
    /// Opens a block on the chain and runs the per-block bookkeeping. `schedule` is the block's
    /// round's schedule; a block that opens a round records it as the active one.
    pub(crate) fn begin_exec(&mut self, parent: &BlockEntry, meta: &BlockMeta, schedule: &Arc<ProducerSchedule>) {
        let time = self.params.slot_time(meta.slot);
        self.chain.start_block(BlockInfo { block_num: meta.num, time, producer: meta.producer }, parent.id);
        let new_round = meta.round > parent.round;
        if new_round {
            records::set_active_schedule(self.chain.kv_mut(), schedule);
        }
        records::advance_round(self.chain.kv_mut(), &parent.id, parent.round, meta.round);
        // Missed slots of the parent's round (its schedule) and of this block's round (the new
        // one). Only those two rounds are counted, so a long halt costs O(round).
        let parent_round_end = self.params.round_start(parent.round + 1).saturating_sub(1);
        let this_round_start = self.params.round_start(meta.round);
        let mut missed_ranges =
            vec![(parent.slot + 1, meta.slot.saturating_sub(1).min(parent_round_end), &parent.schedule)];
        if new_round {
            missed_ranges.push(((parent.slot + 1).max(this_round_start), meta.slot.saturating_sub(1), schedule));
        }
        for (lo, hi, sched) in missed_ranges {
            for s in lo..=hi {
                let p = sched.producers[self.params.producer_index(s, sched.producers.len())].producer_name;
                self.chain.on_slot_missed(p);
            }
        }
        self.chain.on_block_produced(meta.producer, meta.num);
        // Blocks that this block makes irreversible on its chain (the pay hook of SPEC §3.6).
        if meta.lib > parent.finality.lib {
            for (num, producer) in self.forkdb.producers_between(parent, parent.finality.lib, meta.lib) {
                self.chain.on_block_irreversible(producer, num);
            }
        }
    }

    /// Applies a block already in the fork database on top of the current head state.
    pub(crate) fn apply_entry(&mut self, e: &Arc<BlockEntry>) -> Result<(), BlockError> {
        let parent = self.forkdb.get(&e.previous()).cloned().ok_or(BlockError::Unlinkable(e.previous()))?;
        let meta = BlockMeta { num: e.num, slot: e.slot, producer: e.producer, round: e.round, lib: e.finality.lib };
        // The header was checked against the schedule derived from the parent's state, so the
        // entry's schedule is that derived schedule.
        self.begin_exec(&parent, &meta, &e.schedule);
        let limit = self.chain.config().max_transaction_size;
        let chain_id = self.chain.config().chain_id;
        let mut applied = Vec::with_capacity(e.block.transactions.len());
        for (index, ptrx) in e.block.transactions.iter().enumerate() {
            let vt = match self.cached_verified(ptrx, limit) {
                Some(vt) => vt,
                None => {
                    match civitas_protocol::transaction::VerifiedTransaction::verify(&chain_id, ptrx.clone(), limit) {
                        Ok(vt) => Arc::new(vt),
                        Err(err) => {
                            self.chain.abort_block();
                            return Err(BlockError::Transaction { index, error: err.to_string() });
                        }
                    }
                }
            };
            if let Err(err) = self.chain.apply_transaction(&vt) {
                self.chain.abort_block();
                return Err(BlockError::Transaction { index, error: err.to_string() });
            }
            applied.push(vt);
        }
        for ev in &e.block.evidence {
            if let Err(err) = self.apply_evidence(ev, &e.schedule, &e.prev_schedule) {
                self.chain.abort_block();
                return Err(err);
            }
        }
        let root = self.chain.finish_block();
        if root != e.block.header.state_root {
            self.chain.undo_block();
            return Err(BlockError::StateRoot { header: e.block.header.state_root, computed: root });
        }
        for vt in &applied {
            self.pool.remove(&vt.id);
        }
        let evidence = &e.block.evidence;
        self.pending_evidence.retain(|p| !evidence.contains(p));
        self.newly_applied.push(AppliedBlock { block: e.block.clone(), transactions: applied.clone() });
        self.applied_txs.insert(e.id, applied);
        Ok(())
    }

    fn cached_verified(
        &self,
        ptrx: &civitas_protocol::PackedTransaction,
        limit: usize,
    ) -> Option<Arc<civitas_protocol::transaction::VerifiedTransaction>> {
        // Hashing to find the id is cheap; recovering keys is what we avoid.
        let raw = ptrx.raw_trx(limit).ok()?;
        let id = civitas_protocol::sha256(&raw);
        self.pool.verified(&id, ptrx).or_else(|| self.verified_cache.get(&id).filter(|v| v.packed == *ptrx).cloned())
    }
}
