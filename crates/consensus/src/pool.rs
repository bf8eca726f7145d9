//! The pending transaction pool: verified transactions waiting for a block, in arrival order,
//! bounded in count, with what each paying account has pending (so admission can hold an
//! account to its allowance and its share of the pool — SPEC §10.3).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use civitas_chain::resources::{self, billing};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Checksum256, Name, PackedTransaction};

/// What one account has waiting in the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pending {
    /// Transactions it pays for.
    pub count: usize,
    /// Their CPU, µs of the billing schedule.
    pub cpu: u64,
    /// Their NET, bytes.
    pub net: u64,
}

/// The CPU (µs) and NET (bytes) a transaction will be billed, with its payers.
pub fn cost_of(vt: &VerifiedTransaction) -> (Vec<Name>, u64, u64) {
    let cpu = billing::cpu_usage_us(&vt.trx, vt.packed.signatures.len(), vt.size.max(vt.wire_bytes));
    let net = billing::net_usage_words(vt.wire_bytes) * 8;
    (resources::payers(&vt.trx), cpu, net)
}

/// The pool.
#[derive(Debug)]
pub struct Pool {
    order: VecDeque<Checksum256>,
    by_id: BTreeMap<Checksum256, Arc<VerifiedTransaction>>,
    pending: BTreeMap<Name, Pending>,
    max: usize,
}

impl Pool {
    /// A pool holding at most `max` transactions.
    pub fn new(max: usize) -> Pool {
        Pool { order: VecDeque::new(), by_id: BTreeMap::new(), pending: BTreeMap::new(), max }
    }

    /// The most transactions the pool holds.
    pub fn capacity(&self) -> usize {
        self.max
    }

    /// What `account` has pending.
    pub fn pending_of(&self, account: Name) -> Pending {
        self.pending.get(&account).copied().unwrap_or_default()
    }

    fn account(&mut self, vt: &VerifiedTransaction, add: bool) {
        let (payers, cpu, net) = cost_of(vt);
        for payer in payers {
            let p = self.pending.entry(payer).or_default();
            if add {
                p.count += 1;
                p.cpu += cpu;
                p.net += net;
            } else {
                p.count = p.count.saturating_sub(1);
                p.cpu = p.cpu.saturating_sub(cpu);
                p.net = p.net.saturating_sub(net);
                if p.count == 0 {
                    self.pending.remove(&payer);
                }
            }
        }
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// True if full.
    pub fn is_full(&self) -> bool {
        self.by_id.len() >= self.max
    }

    /// True if the id is pending.
    pub fn contains(&self, id: &Checksum256) -> bool {
        self.by_id.contains_key(id)
    }

    /// Adds at the back; false if already present or full.
    pub fn push(&mut self, vt: Arc<VerifiedTransaction>) -> bool {
        if self.is_full() || self.by_id.contains_key(&vt.id) {
            return false;
        }
        self.order.push_back(vt.id);
        self.account(&vt, true);
        self.by_id.insert(vt.id, vt);
        true
    }

    /// Puts transactions of an abandoned block back at the front, in block order. Ignores the
    /// bound: these were already admitted once.
    pub fn return_front(&mut self, txs: Vec<Arc<VerifiedTransaction>>) {
        for vt in txs.into_iter().rev() {
            if self.by_id.contains_key(&vt.id) {
                continue;
            }
            self.order.push_front(vt.id);
            self.account(&vt, true);
            self.by_id.insert(vt.id, vt);
        }
    }

    /// Removes a transaction.
    pub fn remove(&mut self, id: &Checksum256) -> Option<Arc<VerifiedTransaction>> {
        let vt = self.by_id.remove(id)?;
        self.account(&vt, false);
        Some(vt)
    }

    /// The pending transactions in order (skipping removed ones lazily).
    pub fn iter(&self) -> impl Iterator<Item = &Arc<VerifiedTransaction>> {
        self.order.iter().filter_map(|id| self.by_id.get(id))
    }

    /// Drops queue slots of removed transactions (amortized cleanup).
    pub fn compact(&mut self) {
        if self.order.len() > 2 * self.by_id.len() + 64 {
            let by_id = &self.by_id;
            self.order.retain(|id| by_id.contains_key(id));
        }
    }

    /// The verified form of a packed transaction if we hold the very same packed form
    /// (signatures and context-free data are part of what was signed and verified), so that
    /// block application never recovers keys twice.
    pub fn verified(&self, id: &Checksum256, packed: &PackedTransaction) -> Option<Arc<VerifiedTransaction>> {
        self.by_id.get(id).filter(|vt| vt.packed == *packed).cloned()
    }
}
