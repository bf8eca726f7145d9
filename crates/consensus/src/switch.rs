//! Fork choice and fork switching, and the advance of the last irreversible block.

use std::sync::Arc;

use crate::core::{Consensus, Output};
use crate::error::BlockError;
use crate::forkdb::BlockEntry;

impl Consensus {
    /// Moves the head to the best branch (SPEC §3.4), switching forks if needed. A branch
    /// that fails to apply is dropped and the next best one tried.
    pub(crate) fn update_head(&mut self, out: &mut Output) {
        loop {
            let best = self.forkdb.best();
            if best.id == self.head.id || best.rank() <= self.head.rank() {
                break;
            }
            match self.switch_to(&best) {
                Ok(()) => {
                    out.head_changed = true;
                    self.approve_head(out);
                }
                Err((bad, err)) => {
                    // The peer that sent a block whose body does not apply sent an invalid
                    // block (honest peers relay only blocks they applied).
                    if let Some(p) = self.senders.get(&bad) {
                        out.penalties.push((*p, err.to_string()));
                    }
                    for id in self.forkdb.remove_subtree(&bad) {
                        self.mark_invalid(id);
                        self.senders.remove(&id);
                    }
                    out.rejected.push((bad, err));
                }
            }
        }
        self.advance_lib(out);
    }

    /// Undoes the head back to the common ancestor and applies the target's branch. On failure
    /// the old head is restored and the id of the first invalid block is returned.
    pub(crate) fn switch_to(
        &mut self,
        target: &Arc<BlockEntry>,
    ) -> Result<(), (civitas_protocol::Checksum256, BlockError)> {
        let ancestor =
            self.forkdb.common_ancestor(&self.head.id, &target.id).expect("fork database branches share the root");
        let old = self.forkdb.branch(&self.head.id, ancestor.num);
        for e in &old {
            self.chain.undo_block();
            if let Some(txs) = self.applied_txs.remove(&e.id) {
                self.pool.return_front(txs);
            }
        }
        let mut path = self.forkdb.branch(&target.id, ancestor.num);
        path.reverse();
        for (i, e) in path.iter().enumerate() {
            if let Err(err) = self.apply_entry(e) {
                for done in path[..i].iter().rev() {
                    self.chain.undo_block();
                    if let Some(txs) = self.applied_txs.remove(&done.id) {
                        self.pool.return_front(txs);
                    }
                }
                for back in old.iter().rev() {
                    self.apply_entry(back).expect("a previously applied block applies again");
                }
                return Err((e.id, err));
            }
        }
        self.head = target.clone();
        Ok(())
    }

    /// Makes the head's chain-local LIB the node's LIB: commits undo data, prunes the fork
    /// database and reports the newly irreversible blocks.
    pub(crate) fn advance_lib(&mut self, out: &mut Output) {
        let new_lib = self.head.finality.lib;
        let old_lib = self.lib().num;
        if new_lib <= old_lib {
            return;
        }
        let mut newly = self.forkdb.branch(&self.head.id, old_lib);
        newly.retain(|e| e.num <= new_lib);
        newly.reverse();
        let Some(root) = newly.last().cloned() else { return };
        for e in &newly {
            self.chain.commit_oldest_block();
            self.applied_txs.remove(&e.id);
            out.irreversible.push(e.block.clone());
        }
        self.forkdb.set_root(&root.id);
        let lib_slot = root.slot;
        self.seen_slots.retain(|(_, slot), _| *slot + self.params.round_len() >= lib_slot);
        self.orphans.retain(|_, v| v.iter().any(|(b, _)| b.block_num() > new_lib));
        self.verified_cache.clear();
        let forkdb = &self.forkdb;
        self.bases.retain(|id, _| forkdb.contains(id));
        self.relayed.retain(|id| forkdb.contains(id));
        self.senders.retain(|id, _| forkdb.contains(id));
        self.prune_approvals();
    }
}
