//! The ban list: peer ids and IP addresses with an expiry.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use tokio::time::Instant;

use crate::identity::PeerId;

/// Entries kept at most; when full, the entry that expires first is dropped.
const MAX_BANS: usize = 10_000;

/// What is banned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BanTarget {
    /// A Noise identity.
    Peer(PeerId),
    /// An address (connections from it are closed before the handshake).
    Ip(IpAddr),
}

/// A ban, as listed by [`crate::NetHandle::bans`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanInfo {
    /// What is banned.
    pub target: BanTarget,
    /// Why.
    pub reason: String,
    /// Time left.
    pub remaining: Duration,
}

#[derive(Debug, Default)]
pub(crate) struct BanList {
    entries: HashMap<BanTarget, (Instant, String)>,
}

impl BanList {
    /// Bans `target` until `now + duration` (an existing longer ban is kept). Returns whether
    /// this created a new ban.
    pub(crate) fn ban(&mut self, target: BanTarget, duration: Duration, reason: &str, now: Instant) -> bool {
        let until = now + duration;
        if let Some((u, r)) = self.entries.get_mut(&target) {
            if *u > now {
                if until > *u {
                    *u = until;
                    *r = reason.to_string();
                }
                return false;
            }
        }
        if self.entries.len() >= MAX_BANS && !self.entries.contains_key(&target) {
            self.purge(now);
            if self.entries.len() >= MAX_BANS {
                if let Some(first) = self.entries.iter().min_by_key(|(_, (u, _))| *u).map(|(t, _)| *t) {
                    self.entries.remove(&first);
                }
            }
        }
        self.entries.insert(target, (until, reason.to_string()));
        true
    }

    pub(crate) fn is_banned(&self, target: &BanTarget, now: Instant) -> bool {
        self.entries.get(target).is_some_and(|(u, _)| *u > now)
    }

    pub(crate) fn unban(&mut self, target: &BanTarget) -> bool {
        self.entries.remove(target).is_some()
    }

    pub(crate) fn purge(&mut self, now: Instant) {
        self.entries.retain(|_, (u, _)| *u > now);
    }

    pub(crate) fn list(&self, now: Instant) -> Vec<BanInfo> {
        self.entries
            .iter()
            .filter(|(_, (u, _))| *u > now)
            .map(|(t, (u, r))| BanInfo { target: *t, reason: r.clone(), remaining: *u - now })
            .collect()
    }

    pub(crate) fn active(&self, now: Instant) -> usize {
        self.entries.values().filter(|(u, _)| *u > now).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bans_expire_and_extend() {
        let t0 = Instant::now();
        let mut b = BanList::default();
        let p = BanTarget::Peer(PeerId([1; 32]));
        assert!(b.ban(p, Duration::from_secs(10), "x", t0));
        assert!(b.is_banned(&p, t0 + Duration::from_secs(9)));
        assert!(!b.is_banned(&p, t0 + Duration::from_secs(10)));
        assert!(!b.ban(p, Duration::from_secs(20), "y", t0));
        assert!(b.is_banned(&p, t0 + Duration::from_secs(15)));
        assert_eq!(b.list(t0)[0].reason, "y");
        assert!(b.ban(p, Duration::from_secs(1), "z", t0 + Duration::from_secs(30)), "expired bans renew");
        b.purge(t0 + Duration::from_secs(100));
        assert_eq!(b.active(t0), 0);
    }
}
