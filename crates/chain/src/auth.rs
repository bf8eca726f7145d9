//! Authority checking: weighted keys and nested account permissions, as Antelope's
//! `authority_checker` does it.
//!
//! Entries are visited by weight (heaviest first) and the walk stops as soon as the threshold
//! is met, so only the keys actually needed are marked used. A transaction whose signatures
//! include a key that no declared authority needed is rejected (`tx_irrelevant_sig`), which is
//! what makes signature sets canonical and prevents padding transactions with extra signatures.

use std::collections::BTreeMap;

use civitas_protocol::{Authority, Name, PermissionLevel, PublicKey};

use crate::records;
use crate::state::Kv;

/// The deepest chain of account permissions followed (Antelope's default).
pub const MAX_AUTH_DEPTH: u32 = 6;

/// The most keys one check considers (signatures per transaction are capped well below this;
/// `get_required_keys` candidates beyond it are ignored).
pub const MAX_CHECK_KEYS: usize = 128;

/// Checks authorities against a set of provided keys. Which keys were used is a bitmask, so a
/// check on the hot path (one key, one permission) allocates nothing but the decoded authority.
pub struct AuthorityChecker<'a> {
    kv: &'a Kv,
    keys: &'a [PublicKey],
    used: u128,
    /// Results per (permission, depth): the keys a satisfied permission newly used, so a cache
    /// hit marks the same keys used again; `None` when unsatisfied.
    cache: BTreeMap<(PermissionLevel, u32), Option<u128>>,
}

impl<'a> AuthorityChecker<'a> {
    /// A checker over `keys` (recovered signers, or candidate keys for `get_required_keys`).
    pub fn new(kv: &'a Kv, keys: &'a [PublicKey]) -> Self {
        let keys = &keys[..keys.len().min(MAX_CHECK_KEYS)];
        AuthorityChecker { kv, keys, used: 0, cache: BTreeMap::new() }
    }

    /// True if `level`'s authority is satisfied.
    pub fn satisfied(&mut self, level: PermissionLevel) -> bool {
        self.satisfied_level(level, 0)
    }

    fn satisfied_level(&mut self, level: PermissionLevel, depth: u32) -> bool {
        if let Some(hit) = self.cache.get(&(level, depth)) {
            return match *hit {
                Some(mask) => {
                    self.used |= mask;
                    true
                }
                None => false,
            };
        }
        let Some(rec) = records::permission(self.kv, level.actor, level.permission) else {
            self.cache.insert((level, depth), None);
            return false;
        };
        let before = self.used;
        let ok = self.satisfied_authority(&rec.auth, depth);
        self.cache.insert((level, depth), ok.then_some(self.used & !before));
        ok
    }

    fn key_index(&self, k: &PublicKey) -> Option<usize> {
        self.keys.iter().position(|p| p == k)
    }

    /// True if `auth` is satisfied (public for tests against a reference model).
    pub fn satisfied_authority(&mut self, auth: &Authority, depth: u32) -> bool {
        let saved = self.used;
        let mut total: u64 = 0;
        let threshold = u64::from(auth.threshold);
        // Heaviest entries first, keys before accounts at equal weight (Antelope's order), so
        // only the keys actually needed are marked used. Waits never count: Civitas has no
        // delayed transactions.
        let mut order: Vec<(u16, u8, usize)> = Vec::with_capacity(auth.keys.len() + auth.accounts.len());
        order.extend(auth.keys.iter().enumerate().map(|(i, k)| (k.weight, 0, i)));
        order.extend(auth.accounts.iter().enumerate().map(|(i, a)| (a.weight, 1, i)));
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (weight, kind, i) in order {
            let hit = if kind == 0 {
                match self.key_index(&auth.keys[i].key) {
                    Some(k) => {
                        self.used |= 1u128 << k;
                        true
                    }
                    None => false,
                }
            } else {
                depth < MAX_AUTH_DEPTH && self.satisfied_level(auth.accounts[i].permission, depth + 1)
            };
            if hit {
                total += u64::from(weight);
                if total >= threshold {
                    return true;
                }
            }
        }
        self.used = saved;
        false
    }

    /// Keys that no satisfied authority needed.
    pub fn unused_keys(&self) -> Vec<PublicKey> {
        self.keys.iter().enumerate().filter(|(i, _)| self.used & (1u128 << i) == 0).map(|(_, k)| *k).collect()
    }

    /// Keys that were needed.
    pub fn used_keys(&self) -> Vec<PublicKey> {
        self.keys.iter().enumerate().filter(|(i, _)| self.used & (1u128 << i) != 0).map(|(_, k)| *k).collect()
    }
}

/// True if `ancestor` is `perm` or one of its parents within `account`.
pub fn is_ancestor_or_self(kv: &Kv, account: Name, ancestor: Name, perm: Name) -> bool {
    let mut cur = perm;
    for _ in 0..32 {
        if cur == ancestor {
            return true;
        }
        match records::permission(kv, account, cur) {
            Some(rec) if !rec.parent.is_empty() => cur = rec.parent,
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{permission_key, PermissionRecord};
    use crate::state;
    use civitas_protocol::{KeyWeight, PermissionLevelWeight, PrivateKey, TimePoint};
    use proptest::prelude::*;

    fn key(i: u8) -> PublicKey {
        PrivateKey::from_seed(&format!("k{i}")).public_key()
    }

    fn set_perm(kv: &mut Kv, account: &str, perm: &str, auth: Authority) {
        let rec = PermissionRecord { parent: Name(0), auth, last_updated: TimePoint(0) };
        state::put(kv, permission_key(account.parse().unwrap(), perm.parse().unwrap()), &rec);
    }

    fn level(a: &str) -> PermissionLevel {
        PermissionLevel::new(a.parse().unwrap(), "active".parse().unwrap())
    }

    #[test]
    fn extra_key_is_unused() {
        let mut kv = Kv::new();
        let mut keys = vec![KeyWeight { key: key(1), weight: 1 }, KeyWeight { key: key(2), weight: 1 }];
        keys.sort_by_key(|a| a.key);
        set_perm(&mut kv, "alice", "active", Authority { threshold: 1, keys, accounts: vec![], waits: vec![] });
        let provided = [key(1), key(2)];
        let mut c = AuthorityChecker::new(&kv, &provided);
        assert!(c.satisfied(level("alice")));
        assert_eq!(c.unused_keys().len(), 1);
    }

    #[test]
    fn nested_accounts_and_depth_limit() {
        let mut kv = Kv::new();
        let acct = |i: u8| format!("a{}", (b'a' + i) as char);
        set_perm(&mut kv, &acct(0), "active", Authority::single_key(key(9)));
        for i in 1..10 {
            set_perm(&mut kv, &acct(i), "active", Authority::single_account(level(&acct(i - 1))));
        }
        let provided = [key(9)];
        assert!(AuthorityChecker::new(&kv, &provided).satisfied(level(&acct(5))));
        assert!(AuthorityChecker::new(&kv, &provided).satisfied(level(&acct(6))));
        assert!(!AuthorityChecker::new(&kv, &provided).satisfied(level(&acct(7))));
    }

    /// The reference model: an authority is satisfied when the weights of its satisfied
    /// entries add up to the threshold (keys present, accounts recursively satisfied).
    fn reference(kv: &Kv, auth: &Authority, keys: &[PublicKey], depth: u32) -> bool {
        let mut total = 0u64;
        for k in &auth.keys {
            if keys.contains(&k.key) {
                total += u64::from(k.weight);
            }
        }
        for a in &auth.accounts {
            if depth < MAX_AUTH_DEPTH {
                if let Some(rec) = records::permission(kv, a.permission.actor, a.permission.permission) {
                    if reference(kv, &rec.auth, keys, depth + 1) {
                        total += u64::from(a.weight);
                    }
                }
            }
        }
        total >= u64::from(auth.threshold)
    }

    fn arb_auth(nkeys: u8, naccts: u8) -> impl Strategy<Value = Authority> {
        (
            1u32..6,
            proptest::collection::btree_map(0..nkeys, 1u16..4, 0..4),
            proptest::collection::btree_map(0..naccts, 1u16..4, 0..3),
        )
            .prop_map(|(threshold, ks, accts)| {
                let mut keys: Vec<KeyWeight> =
                    ks.into_iter().map(|(i, w)| KeyWeight { key: key(i), weight: w }).collect();
                keys.sort_by_key(|a| a.key);
                let accounts = accts
                    .into_iter()
                    .map(|(i, w)| PermissionLevelWeight {
                        permission: level(&format!("u{}", (b'a' + i) as char)),
                        weight: w,
                    })
                    .collect();
                Authority { threshold, keys, accounts, waits: vec![] }
            })
    }

    proptest! {
        #[test]
        fn checker_agrees_with_reference(
            auths in proptest::collection::vec(arb_auth(6, 4), 4),
            top in arb_auth(6, 4),
            provided in proptest::collection::btree_set(0u8..6, 0..6),
        ) {
            let mut kv = Kv::new();
            for (i, a) in auths.iter().enumerate() {
                set_perm(&mut kv, &format!("u{}", (b'a' + i as u8) as char), "active", a.clone());
            }
            let keys: Vec<PublicKey> = provided.iter().map(|i| key(*i)).collect();
            let mut c = AuthorityChecker::new(&kv, &keys);
            prop_assert_eq!(c.satisfied_authority(&top, 0), reference(&kv, &top, &keys, 0));
        }
    }
}
