//! Dry runs (`compute_transaction`, `send_read_only_transaction`): transactions executed on top
//! of the head exactly as [`Consensus::push_transactions`] executes them, in a throwaway block
//! that is then aborted, so nothing is kept: not the state, not the pending pool, not the set
//! of recent transaction ids. Which checks apply is the chain's [`Transient`] kind.

use civitas_chain::{BlockInfo, ChainError, TransactionTrace, Transient};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::Name;

use crate::core::Consensus;

impl Consensus {
    /// Opens the block a transaction admitted now would be checked in: the next height on the
    /// head, at the current slot (or the one after the head's), with no producer yet. The
    /// caller aborts it.
    pub(crate) fn open_throwaway_block(&mut self) {
        let slot = self.params.slot_at(self.now).unwrap_or(0).max(self.head.slot + 1);
        let info = BlockInfo { block_num: self.head.num + 1, time: self.params.slot_time(slot), producer: Name(0) };
        self.chain.start_block(info, self.head.id);
    }

    /// Executes `txs` in order on top of the head (each seeing the effects of those before
    /// it) and forgets them. A dry run of a transaction already pending is a duplicate, as its
    /// push would be; a read-only transaction is never a duplicate (it is not remembered).
    pub fn dry_run_transactions(
        &mut self,
        txs: &[VerifiedTransaction],
        kind: Transient,
    ) -> Vec<Result<TransactionTrace, ChainError>> {
        self.open_throwaway_block();
        let results = txs
            .iter()
            .map(|vt| {
                if kind == Transient::DryRun && self.pool.contains(&vt.id) {
                    return Err(ChainError::Duplicate(vt.id));
                }
                self.chain.apply_transient(vt, kind)
            })
            .collect();
        self.chain.abort_block();
        results
    }
}
