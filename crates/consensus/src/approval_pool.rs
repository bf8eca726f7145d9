//! Bounded stores of what producers signed recently: approvals waiting for inclusion in a
//! block, and the votes of recent headers, kept per producer so that one producer flooding
//! the node can only ever displace its own entries — never another producer's, never this
//! node's own (docs/consensus.md, "Approvals").

use std::collections::BTreeMap;
use std::sync::Arc;

use civitas_protocol::{Approval, Name, PublicKey, SignedVote, Vote};

/// Most approvals held per producer. An honest producer signs one or two per block and the
/// next block includes them, so this covers many slots of delay.
pub const APPROVALS_PER_PRODUCER: usize = 32;

/// Most header votes remembered per producer (for conflict detection).
pub const HEADER_VOTES_PER_PRODUCER: usize = 32;

/// An approval whose signature was checked, with the key it recovered to.
#[derive(Debug, Clone)]
pub struct HeldApproval {
    /// The approval.
    pub approval: Arc<Approval>,
    /// The key that signed it.
    pub signer: PublicKey,
}

/// Approvals waiting for inclusion, per producer by first slot.
#[derive(Debug, Default)]
pub struct ApprovalPool {
    by_producer: BTreeMap<Name, BTreeMap<u64, HeldApproval>>,
    len: usize,
}

impl ApprovalPool {
    /// Approvals held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if none are held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The approvals of one producer, by first slot.
    pub fn of(&self, producer: Name) -> impl Iterator<Item = &HeldApproval> {
        self.by_producer.get(&producer).into_iter().flat_map(|m| m.values())
    }

    /// The approval held for this producer and first slot.
    pub fn get(&self, producer: Name, first_slot: u64) -> Option<&HeldApproval> {
        self.by_producer.get(&producer)?.get(&first_slot)
    }

    /// Every approval, by producer and then first slot (the order a block includes them in:
    /// a producer's approvals must come in ascending slots).
    pub fn iter(&self) -> impl Iterator<Item = &HeldApproval> {
        self.by_producer.values().flat_map(|m| m.values())
    }

    /// Holds an approval unless one with its first slot is held already. When the producer's
    /// share is full the oldest goes; an approval older than all of a full share is not kept.
    /// Returns true if it was kept.
    pub fn insert(&mut self, held: HeldApproval) -> bool {
        let first = held.approval.vote.first_slot;
        let mine = self.by_producer.entry(held.approval.producer).or_default();
        if mine.contains_key(&first) {
            return false;
        }
        if mine.len() >= APPROVALS_PER_PRODUCER {
            match mine.keys().next().copied() {
                Some(oldest) if oldest < first => {
                    mine.remove(&oldest);
                    self.len -= 1;
                }
                _ => return false,
            }
        }
        mine.insert(first, held);
        self.len += 1;
        true
    }

    /// Forgets approvals that can no longer matter: those for slots at or below the LIB.
    pub fn prune(&mut self, lib_slot: u64) {
        let mut len = 0;
        self.by_producer.retain(|_, m| {
            m.retain(|_, h| h.approval.vote.last_slot > lib_slot);
            len += m.len();
            !m.is_empty()
        });
        self.len = len;
    }
}

/// Votes carried by recent valid headers, per producer by (first, last) slot.
#[derive(Debug, Default)]
pub struct VoteLedger {
    by_producer: BTreeMap<Name, BTreeMap<(u64, u64), SignedVote>>,
}

impl VoteLedger {
    /// The remembered header votes of one producer.
    pub fn of(&self, producer: Name) -> impl Iterator<Item = &SignedVote> {
        self.by_producer.get(&producer).into_iter().flat_map(|m| m.values())
    }

    /// Remembers a header vote; the producer's oldest goes when its share is full.
    pub fn insert(&mut self, vote: Vote, signed: SignedVote) {
        let mine = self.by_producer.entry(signed.producer()).or_default();
        mine.insert((vote.first_slot, vote.last_slot), signed);
        while mine.len() > HEADER_VOTES_PER_PRODUCER {
            mine.pop_first();
        }
    }

    /// Forgets votes for slots at or below the LIB.
    pub fn prune(&mut self, lib_slot: u64) {
        self.by_producer.retain(|_, m| {
            m.retain(|&(_, last), _| last > lib_slot);
            !m.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use civitas_protocol::{sha256, PrivateKey};

    fn held(producer: &str, first: u64) -> HeldApproval {
        let key = PrivateKey::from_seed(producer);
        let vote = Vote { source_slot: first - 1, first_slot: first, last_slot: first };
        let a = Approval::sign(&sha256(b"c"), producer.parse().unwrap(), vote, sha256(&first.to_le_bytes()), &key);
        HeldApproval { approval: Arc::new(a), signer: key.public_key() }
    }

    #[test]
    fn one_producer_cannot_displace_another() {
        let mut pool = ApprovalPool::default();
        assert!(pool.insert(held("honest", 10)));
        for first in 1..=10_000u64 {
            pool.insert(held("flooder", first + 1));
        }
        assert_eq!(pool.of("flooder".parse().unwrap()).count(), APPROVALS_PER_PRODUCER);
        assert!(pool.get("honest".parse().unwrap(), 10).is_some(), "the honest approval stays");
        assert_eq!(pool.len(), APPROVALS_PER_PRODUCER + 1);
        // The flooder kept its newest, and an older one does not push a newer one out.
        let firsts: Vec<u64> = pool.of("flooder".parse().unwrap()).map(|h| h.approval.vote.first_slot).collect();
        assert_eq!(firsts.first(), Some(&(10_001 - APPROVALS_PER_PRODUCER as u64 + 1)));
        assert!(!pool.insert(held("flooder", 5)));
        // One approval per first slot.
        assert!(!pool.insert(held("honest", 10)));
        pool.prune(10);
        assert!(pool.get("honest".parse().unwrap(), 10).is_none());
        assert_eq!(pool.len(), APPROVALS_PER_PRODUCER);
    }

    #[test]
    fn ledger_is_bounded_per_producer() {
        let mut ledger = VoteLedger::default();
        for first in 1..100u64 {
            let h = held("bpa", first);
            let v = h.approval.vote;
            ledger.insert(v, SignedVote::Approval((*h.approval).clone()));
        }
        assert_eq!(ledger.of("bpa".parse().unwrap()).count(), HEADER_VOTES_PER_PRODUCER);
        ledger.prune(1000);
        assert_eq!(ledger.of("bpa".parse().unwrap()).count(), 0);
    }
}
