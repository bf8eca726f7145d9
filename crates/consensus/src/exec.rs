//! Executing a block against the chain state: the consensus bookkeeping every block runs first
//! (round seed, election, missed slots, irreversibility), then transactions and evidence, then
//! the state commitment. Producing and validating share this code, so both compute the same.

use std::sync::Arc;

use civitas_chain::BlockInfo;
use civitas_protocol::{DoubleSignEvidence, Name, ProducerSchedule};

use crate::core::Consensus;
use crate::error::BlockError;
use crate::forkdb::BlockEntry;
use crate::records;
use crate::schedule::{self, next_schedule, shuffle};

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
    /// The schedule the chain elects for `round` on top of the current state (read-only).
    pub(crate) fn elect_for(&self, parent: &BlockEntry, round: u64) -> ProducerSchedule {
        let seed = records::peek_round_seed(self.chain.kv(), &parent.id, parent.round, round);
        let elected = self.chain.elect(self.params.producers as usize);
        next_schedule(&parent.schedule, shuffle(elected, &seed))
    }

    /// Opens a block on the chain and runs the per-block bookkeeping. Returns the schedule
    /// elected for a new round, if the block opens one.
    pub(crate) fn begin_exec(&mut self, parent: &BlockEntry, meta: &BlockMeta) -> Option<ProducerSchedule> {
        let time = self.params.slot_time(meta.slot);
        self.chain.start_block(BlockInfo { block_num: meta.num, time, producer: meta.producer }, parent.id);
        let mut elected = None;
        if meta.round > parent.round {
            let s = self.elect_for(parent, meta.round);
            records::set_active_schedule(self.chain.kv_mut(), &s);
            elected = Some(s);
        }
        records::advance_round(self.chain.kv_mut(), &parent.id, parent.round, meta.round);
        // Missed slots of the parent's round and of this block's round.
        let new_sched = elected.as_ref().map(|s| Arc::new(s.clone())).unwrap_or_else(|| parent.schedule.clone());
        // Only the parent's round and this block's round are counted, so a long halt costs O(round).
        let parent_round_end = self.params.round_start(parent.round + 1).saturating_sub(1);
        let this_round_start = self.params.round_start(meta.round);
        let mut missed_ranges =
            vec![(parent.slot + 1, meta.slot.saturating_sub(1).min(parent_round_end), &parent.schedule)];
        if meta.round > parent.round {
            missed_ranges.push(((parent.slot + 1).max(this_round_start), meta.slot.saturating_sub(1), &new_sched));
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
        elected
    }

    /// Records double-production evidence carried by a block, checking each entry.
    pub(crate) fn apply_evidence(&mut self, evidence: &[DoubleSignEvidence]) -> Result<(), BlockError> {
        for e in evidence {
            let (a, b) = (&e.first, &e.second);
            if a.producer != b.producer || a.slot != b.slot || a.id() == b.id() {
                return Err(BlockError::Evidence("headers are not two blocks of one producer for one slot".into()));
            }
            if records::has_evidence(self.chain.kv(), a.producer, a.slot) {
                return Err(BlockError::Evidence("evidence already recorded".into()));
            }
            let chain_id = self.chain.config().chain_id;
            for (h, sig) in [(a, &e.first_signature), (b, &e.second_signature)] {
                let sched = records::schedule_by_version(self.chain.kv(), h.schedule_version)
                    .ok_or_else(|| BlockError::Evidence(format!("unknown schedule version {}", h.schedule_version)))?;
                let key = schedule::key_of(&sched, h.producer)
                    .ok_or_else(|| BlockError::Evidence("producer not in schedule".into()))?;
                let signer = self
                    .config
                    .verifier
                    .recover(&h.signing_digest(&chain_id), sig)
                    .map_err(|e| BlockError::Evidence(e.to_string()))?;
                if signer != key {
                    return Err(BlockError::Evidence("signature does not match the producer's key".into()));
                }
            }
            records::put_evidence(self.chain.kv_mut(), e);
        }
        Ok(())
    }

    /// Applies a block already in the fork database on top of the current head state.
    pub(crate) fn apply_entry(&mut self, e: &Arc<BlockEntry>) -> Result<(), BlockError> {
        let parent = self.forkdb.get(&e.previous()).cloned().ok_or(BlockError::Unlinkable(e.previous()))?;
        let meta = BlockMeta { num: e.num, slot: e.slot, producer: e.producer, round: e.round, lib: e.finality.lib };
        let elected = self.begin_exec(&parent, &meta);
        if elected.is_some() && elected.as_ref() != e.block.header.new_schedule.as_ref() {
            self.chain.abort_block();
            return Err(BlockError::Schedule);
        }
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
        let evidence = e.block.evidence.clone();
        if let Err(err) = self.apply_evidence(&evidence) {
            self.chain.abort_block();
            return Err(err);
        }
        let root = self.chain.finish_block();
        if root != e.block.header.state_root {
            self.chain.undo_block();
            return Err(BlockError::StateRoot { header: e.block.header.state_root, computed: root });
        }
        for vt in &applied {
            self.pool.remove(&vt.id);
        }
        self.pending_evidence.retain(|p| !evidence.contains(p));
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
        self.pool
            .verified(&id, ptrx)
            .or_else(|| self.verified_cache.get(&id).filter(|v| v.packed.signatures == ptrx.signatures).cloned())
    }
}
