//! Receiving blocks: orphans and their parents, the hard bounds on what the fork database
//! takes, and header validation against the schedule this node derived itself.

use std::sync::Arc;

use civitas_protocol::SignedBlock;

use crate::core::{Consensus, Output, PeerId};
use crate::error::BlockError;
use crate::forkdb::BlockEntry;
use crate::rules::check_block_limits;

/// Most reversible blocks: a block higher than this above the node's LIB is not taken until
/// the LIB advances (docs/consensus.md, "Limits"). 8,192 blocks are 68 minutes at 500 ms
/// slots and almost 7 hours at 3 s; finality stalls longer than that halt the chain rather
/// than exhaust memory.
pub const MAX_REVERSIBLE_BLOCKS: u32 = 8192;

/// Most blocks the fork database holds on all branches together.
pub const MAX_FORKDB_BLOCKS: usize = 4 * MAX_REVERSIBLE_BLOCKS as usize;

/// Most different valid blocks taken for one producer and slot, unless a child needs one
/// more: the second is the evidence; more only cost memory.
const MAX_VERSIONS_PER_SLOT: u8 = 2;

impl Consensus {
    pub(crate) fn on_block(&mut self, block: Arc<SignedBlock>, from: Option<PeerId>, out: &mut Output) {
        let mut queue = vec![(block, from)];
        while let Some((block, from)) = queue.pop() {
            let id = block.id();
            match self.accept_header(&block, out) {
                Ok(entry) => {
                    if let Some(p) = from {
                        self.senders.insert(entry.id, p);
                    }
                    if let Some(kids) = self.orphans.remove(&entry.id) {
                        queue.extend(kids);
                    }
                }
                Err(BlockError::Unlinkable(parent)) => {
                    // Ask for a missing parent once; later orphans of the same parent wait.
                    let first_wait = !self.orphans.contains_key(&parent);
                    let held = self.orphans.values().map(Vec::len).sum::<usize>();
                    if block.block_num() > self.lib().num && held < self.config.max_orphans {
                        let waiting = self.orphans.entry(parent).or_default();
                        if !waiting.iter().any(|(b, _)| b.id() == id) {
                            waiting.push((block.clone(), from));
                        }
                    }
                    if let (Some(p), true) = (from, first_wait) {
                        out.need_blocks.push((p, self.lib().num, parent));
                    }
                }
                Err(e) => {
                    if e.is_fault() {
                        if let Some(p) = from {
                            out.penalties.push((p, e.to_string()));
                        }
                        if e.is_intrinsic() {
                            self.mark_invalid(id);
                        }
                        out.rejected.push((id, e));
                    }
                }
            }
        }
        self.update_head(out);
    }

    /// Validates a block's header against its parent and the schedule derived from the
    /// parent's state, and adds it to the fork database.
    fn accept_header(&mut self, block: &Arc<SignedBlock>, out: &mut Output) -> Result<Arc<BlockEntry>, BlockError> {
        let id = block.id();
        if self.forkdb.contains(&id) {
            return Err(BlockError::Known(id));
        }
        if self.invalid.contains(&id) {
            return Err(BlockError::InvalidAncestor(id));
        }
        let h = &block.header;
        if self.invalid.contains(&h.previous) {
            self.mark_invalid(id);
            return Err(BlockError::InvalidAncestor(h.previous));
        }
        let lib = self.lib().num;
        if h.block_num <= lib {
            return Err(BlockError::BelowLib { num: h.block_num, lib });
        }
        let Some(parent) = self.forkdb.get(&h.previous).cloned() else {
            return Err(BlockError::Unlinkable(h.previous));
        };
        let now_slot = self.params.slot_at(self.now).unwrap_or(0);
        if h.slot > now_slot + 2 {
            return Err(BlockError::Future { slot: h.slot, now: now_slot });
        }
        if h.block_num > lib.saturating_add(MAX_REVERSIBLE_BLOCKS) || self.forkdb.len() >= MAX_FORKDB_BLOCKS {
            return Err(BlockError::TooFarAhead { num: h.block_num, lib, max: MAX_REVERSIBLE_BLOCKS });
        }
        let needed = self.orphans.contains_key(&id);
        if let Some(seen) = self.seen_slots.get(&(h.producer, h.slot)) {
            if seen.versions >= MAX_VERSIONS_PER_SLOT && !needed {
                return Err(BlockError::Equivocation { producer: h.producer, slot: h.slot });
            }
        }
        check_block_limits(block)?;
        if h.slot <= parent.slot || h.block_num != parent.num + 1 {
            // Checked again in full below; here only so that no schedule is derived for junk.
            return Err(BlockError::Header(format!(
                "block {} at slot {} does not follow block {} at slot {}",
                h.block_num, h.slot, parent.num, parent.slot
            )));
        }
        let round = self.params.round_of(h.slot);
        let derived = if round > parent.round { Some(Arc::new(self.schedule_after(&parent, round)?)) } else { None };
        let entry = crate::validate::header_entry(
            &self.params,
            &self.chain.config().chain_id,
            &self.forkdb,
            &parent,
            block,
            derived,
            self.config.verifier.as_ref(),
        )?;
        self.note_header(block, out);
        Ok(self.forkdb.insert(entry))
    }
}
