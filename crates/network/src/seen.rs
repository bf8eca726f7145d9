//! The gossip de-duplication set: for each recent message hash, which connections already have
//! the message (sent it to us, or were sent it by us). Bounded: the oldest hash is forgotten
//! first, and each hash remembers a bounded number of holders.

use std::collections::{HashMap, VecDeque};

use civitas_protocol::Checksum256;

/// A connection's id inside this process (cheaper to store than a 32-byte peer id; a
/// reconnected peer gets a new one, so at worst it is sent a message it already had once).
pub(crate) type ConnId = u64;

/// Holders remembered per message; beyond it the oldest are forgotten (a re-send at worst).
const MAX_HOLDERS: usize = 128;

#[derive(Debug)]
pub(crate) struct SeenSet {
    holders: HashMap<Checksum256, Vec<ConnId>>,
    order: VecDeque<Checksum256>,
    capacity: usize,
}

impl SeenSet {
    pub(crate) fn new(capacity: usize) -> SeenSet {
        SeenSet { holders: HashMap::new(), order: VecDeque::new(), capacity: capacity.max(1) }
    }

    fn entry(&mut self, hash: Checksum256) -> (&mut Vec<ConnId>, bool) {
        let is_new = !self.holders.contains_key(&hash);
        if is_new {
            while self.order.len() >= self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.holders.remove(&old);
                }
            }
            self.order.push_back(hash);
        }
        (self.holders.entry(hash).or_default(), is_new)
    }

    fn add_holder(list: &mut Vec<ConnId>, conn: ConnId) {
        if !list.contains(&conn) {
            if list.len() >= MAX_HOLDERS {
                list.remove(0);
            }
            list.push(conn);
        }
    }

    /// Records that `from` sent us `hash`; true when we had not seen it before (deliver it).
    pub(crate) fn observe(&mut self, hash: Checksum256, from: ConnId) -> bool {
        let (list, is_new) = self.entry(hash);
        Self::add_holder(list, from);
        is_new
    }

    /// Of `candidates`, those that do not have `hash` yet; they are recorded as having it.
    pub(crate) fn select_targets(&mut self, hash: Checksum256, candidates: &[ConnId]) -> Vec<ConnId> {
        let (list, _) = self.entry(hash);
        let mut out = Vec::new();
        for &c in candidates {
            if !list.contains(&c) {
                Self::add_holder(list, c);
                out.push(c);
            }
        }
        out
    }

    /// As [`SeenSet::select_targets`], but at most `limit` of them: relays of small gossip go
    /// to a few peers, each of which relays on, so a message reaches a connected network without
    /// every node sending it to every peer. Which ones depends on the hash (no randomness, yet a
    /// different subset per message). Only the chosen are recorded.
    pub(crate) fn select_some_targets(
        &mut self,
        hash: Checksum256,
        candidates: &[ConnId],
        limit: usize,
    ) -> Vec<ConnId> {
        let (list, _) = self.entry(hash);
        let missing: Vec<ConnId> = candidates.iter().copied().filter(|c| !list.contains(c)).collect();
        if missing.len() <= limit {
            for &c in &missing {
                Self::add_holder(list, c);
            }
            return missing;
        }
        let start = u64::from_le_bytes(hash.0[..8].try_into().unwrap_or_default()) as usize % missing.len();
        let chosen: Vec<ConnId> = (0..limit).map(|k| missing[(start + k) % missing.len()]).collect();
        for &c in &chosen {
            Self::add_holder(list, c);
        }
        chosen
    }

    /// True if `conn` is known to have `hash`.
    #[cfg(test)]
    pub(crate) fn has(&self, hash: &Checksum256, conn: ConnId) -> bool {
        self.holders.get(hash).is_some_and(|l| l.contains(&conn))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u8) -> Checksum256 {
        Checksum256([i; 32])
    }

    #[test]
    fn never_echoes_and_never_repeats() {
        let mut s = SeenSet::new(10);
        assert!(s.observe(h(1), 7));
        assert!(!s.observe(h(1), 8));
        assert_eq!(s.select_targets(h(1), &[7, 8, 9]), vec![9]);
        assert!(s.select_targets(h(1), &[7, 8, 9]).is_empty());
        assert_eq!(s.select_targets(h(2), &[1, 2]), vec![1, 2]);
        assert!(!s.observe(h(2), 1));
    }

    #[test]
    fn bounded_by_capacity() {
        let mut s = SeenSet::new(3);
        for i in 0..10 {
            assert!(s.observe(h(i), 1));
        }
        assert_eq!(s.len(), 3);
        assert!(s.observe(h(0), 1), "the oldest hash was forgotten");
        assert!(!s.observe(h(9), 1));
    }

    #[test]
    fn relays_go_to_a_few_peers_that_lack_the_message() {
        let mut s = SeenSet::new(10);
        assert!(s.observe(h(4), 1));
        let peers: Vec<ConnId> = (1..=20).collect();
        let some = s.select_some_targets(h(4), &peers, 6);
        assert_eq!(some.len(), 6);
        assert!(!some.contains(&1), "never back to the sender");
        // The next relay of the same message picks others, then the last ones, then nobody.
        let more = s.select_some_targets(h(4), &peers, 6);
        assert!(more.iter().all(|c| !some.contains(c)));
        let rest = s.select_some_targets(h(4), &peers, 100);
        assert_eq!(some.len() + more.len() + rest.len(), 19);
        assert!(s.select_some_targets(h(4), &peers, 6).is_empty());
        // Fewer candidates than the limit: all of them.
        assert_eq!(s.select_some_targets(h(5), &[3, 4], 6), vec![3, 4]);
        assert!(s.has(&h(5), 3) && !s.has(&h(5), 9));
    }
}
