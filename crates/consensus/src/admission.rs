//! Admission to the pending pool (SPEC §10.3): the payer's resources are checked first, with
//! what it already has pending counted, and no account may hold more than its share of the
//! pool — so a spamming account's transactions are refused at the door instead of queueing
//! ahead of everyone else's, and the pool never holds what its payers could not pay for.

use std::collections::BTreeMap;
use std::sync::Arc;

use civitas_chain::resources;
use civitas_chain::{ChainError, TransactionTrace};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::Name;

use crate::core::Consensus;
use crate::pool::{cost_of, Pending};

/// The fewest transactions any account may have pending, whatever its stake.
pub const MIN_PENDING_PER_ACCOUNT: usize = 64;

/// The most transactions `account` may have pending in a pool of `capacity`: twice its share
/// of the staked CPU weight (so the accounts that stake the most cannot crowd out the rest),
/// and at least [`MIN_PENDING_PER_ACCOUNT`].
pub fn pool_share(capacity: usize, cpu_weight: u64, total_cpu_weight: u64) -> usize {
    if total_cpu_weight == 0 {
        return capacity;
    }
    let share = 2 * capacity as u128 * u128::from(cpu_weight) / u128::from(total_cpu_weight);
    (share as usize).clamp(MIN_PENDING_PER_ACCOUNT, capacity.max(MIN_PENDING_PER_ACCOUNT))
}

impl Consensus {
    /// Admits a verified transaction: its payers must afford it with what they have pending,
    /// and it must apply on top of the head (checked in a throwaway block); then it waits in
    /// the pool.
    pub fn push_transaction(&mut self, vt: VerifiedTransaction) -> Result<TransactionTrace, ChainError> {
        let mut r = self.push_transactions(vec![vt]);
        r.pop().unwrap_or_else(|| Err(ChainError::InvalidTransaction("no transaction".into())))
    }

    /// Admits a batch in order, each seeing the effects of those before it.
    pub fn push_transactions(&mut self, txs: Vec<VerifiedTransaction>) -> Vec<Result<TransactionTrace, ChainError>> {
        self.open_throwaway_block();
        // What this batch added to the pool and is also in the throwaway block's state (not to
        // be counted twice).
        let mut in_block: BTreeMap<Name, Pending> = BTreeMap::new();
        let mut results = Vec::with_capacity(txs.len());
        for vt in txs {
            if self.pool.contains(&vt.id) {
                results.push(Err(ChainError::Duplicate(vt.id)));
                continue;
            }
            if self.pool.is_full() {
                results.push(Err(ChainError::ResourceExhausted("the pending transaction pool is full".into())));
                continue;
            }
            let (payers, cpu, net) = cost_of(&vt);
            if let Err(e) = self.check_payers(&payers, cpu, net, &in_block) {
                results.push(Err(e));
                continue;
            }
            let mut r = self.chain.apply_transaction(&vt);
            if r.as_ref().is_err_and(|e| e.is_block_full()) {
                // The throwaway block filled up with this batch; admission asks whether the
                // transaction fits a block, so it tries a fresh one (where none of the batch is
                // in the state: all of it counts as pending).
                self.chain.abort_block();
                self.open_throwaway_block();
                in_block.clear();
                r = self.chain.apply_transaction(&vt);
            }
            if r.is_ok() {
                for payer in payers {
                    let p = in_block.entry(payer).or_default();
                    p.count += 1;
                    p.cpu += cpu;
                    p.net += net;
                }
                self.pool.push(Arc::new(vt));
            }
            results.push(r);
        }
        self.chain.abort_block();
        results
    }

    /// Each limited payer must have room in its share of the pool, and its allowance left now
    /// must cover this transaction plus what it has pending outside the throwaway block.
    fn check_payers(
        &self,
        payers: &[Name],
        cpu: u64,
        net: u64,
        in_block: &BTreeMap<Name, Pending>,
    ) -> Result<(), ChainError> {
        let kv = self.chain.kv();
        let cfg = &self.chain.config().resources;
        let Some(block) = self.chain.pending() else { return Ok(()) };
        let rs = resources::resource_state(kv);
        let ordinal = cfg.ordinal(block.time);
        for &payer in payers {
            let buffer = self.chain.usage_buffer();
            let Some(room) = resources::headroom(kv, cfg, &rs, payer, ordinal, buffer) else { continue };
            let pending = self.pool.pending_of(payer);
            let cap = pool_share(self.pool.capacity(), room.cpu_weight, rs.total_cpu_weight);
            if pending.count >= cap {
                return Err(ChainError::ResourceExhausted(format!(
                    "account {payer} already has {} transactions pending, its share of the pool",
                    pending.count
                )));
            }
            // Its usage now, plus what waits in the pool outside the throwaway block, plus this
            // transaction, must fit its allowance.
            let counted = in_block.get(&payer).copied().unwrap_or_default();
            let cpu_used = room.cpu_used + pending.cpu.saturating_sub(counted.cpu) + cpu;
            if cpu_used > room.cpu_max {
                return Err(ChainError::TxCpuUsageExceeded { account: payer, used: cpu_used, max: room.cpu_max });
            }
            let net_used = room.net_used + pending.net.saturating_sub(counted.net) + net;
            if net_used > room.net_max {
                return Err(ChainError::TxNetUsageExceeded { account: payer, used: net_used, max: room.net_max });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_share_follows_stake_with_a_floor() {
        assert_eq!(pool_share(200_000, 1, 1_000_000_000), MIN_PENDING_PER_ACCOUNT);
        assert_eq!(pool_share(200_000, 10, 1_000), 4_000);
        assert_eq!(pool_share(200_000, 900, 1_000), 200_000);
        assert_eq!(pool_share(100, 0, 0), 100);
    }
}
