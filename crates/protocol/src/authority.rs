//! Permission levels and weighted authorities.

use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::name::Name;

/// `actor@permission`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PermissionLevel {
    /// The account.
    pub actor: Name,
    /// The permission of that account.
    pub permission: Name,
}

crate::packable_struct!(PermissionLevel { actor, permission });

impl PermissionLevel {
    /// `actor@permission`.
    pub fn new(actor: Name, permission: Name) -> Self {
        PermissionLevel { actor, permission }
    }
}

impl std::fmt::Display for PermissionLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.actor, self.permission)
    }
}

impl std::str::FromStr for PermissionLevel {
    type Err = crate::error::ParseError;
    /// Parses `actor@permission`, or `actor` alone meaning `actor@active`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, p) = s.split_once('@').unwrap_or((s, "active"));
        Ok(PermissionLevel { actor: a.parse()?, permission: p.parse()? })
    }
}

/// A key with its weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyWeight {
    /// The key.
    pub key: PublicKey,
    /// Its weight.
    pub weight: u16,
}

crate::packable_struct!(KeyWeight { key, weight });

/// An account permission with its weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionLevelWeight {
    /// The permission.
    pub permission: PermissionLevel,
    /// Its weight.
    pub weight: u16,
}

crate::packable_struct!(PermissionLevelWeight { permission, weight });

/// A delay with its weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitWeight {
    /// Seconds of delay.
    pub wait_sec: u32,
    /// Its weight.
    pub weight: u16,
}

crate::packable_struct!(WaitWeight { wait_sec, weight });

/// Threshold plus weighted keys, accounts and waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    /// The weight that must be reached.
    pub threshold: u32,
    /// Weighted keys, sorted by key.
    #[serde(default)]
    pub keys: Vec<KeyWeight>,
    /// Weighted account permissions, sorted by permission level.
    #[serde(default)]
    pub accounts: Vec<PermissionLevelWeight>,
    /// Weighted waits, sorted by delay.
    #[serde(default)]
    pub waits: Vec<WaitWeight>,
}

crate::packable_struct!(Authority { threshold, keys, accounts, waits });

/// The most entries an authority may list.
pub const MAX_AUTHORITY_ENTRIES: usize = 64;

impl Authority {
    /// A single key with threshold 1.
    pub fn single_key(key: PublicKey) -> Authority {
        Authority { threshold: 1, keys: vec![KeyWeight { key, weight: 1 }], accounts: vec![], waits: vec![] }
    }

    /// A single account permission with threshold 1.
    pub fn single_account(level: PermissionLevel) -> Authority {
        Authority {
            threshold: 1,
            keys: vec![],
            accounts: vec![PermissionLevelWeight { permission: level, weight: 1 }],
            waits: vec![],
        }
    }

    /// Checks Antelope's rules: entries sorted and unique, weights positive, a positive threshold
    /// that the entries can reach. Returns a message naming the broken rule.
    pub fn validate(&self) -> Result<(), String> {
        let n = self.keys.len() + self.accounts.len() + self.waits.len();
        if n > MAX_AUTHORITY_ENTRIES {
            return Err(format!("authority has {n} entries, at most {MAX_AUTHORITY_ENTRIES} allowed"));
        }
        if self.threshold == 0 {
            return Err("authority threshold must be positive".into());
        }
        if !self.keys.windows(2).all(|w| w[0].key < w[1].key) {
            return Err("authority keys must be sorted and unique".into());
        }
        if !self.accounts.windows(2).all(|w| w[0].permission < w[1].permission) {
            return Err("authority accounts must be sorted and unique".into());
        }
        if !self.waits.windows(2).all(|w| w[0].wait_sec < w[1].wait_sec) {
            return Err("authority waits must be sorted and unique".into());
        }
        let weights = self
            .keys
            .iter()
            .map(|k| k.weight)
            .chain(self.accounts.iter().map(|a| a.weight))
            .chain(self.waits.iter().map(|w| w.weight));
        let mut total: u64 = 0;
        for w in weights {
            if w == 0 {
                return Err("authority weights must be positive".into());
            }
            total += u64::from(w);
        }
        if total < u64::from(self.threshold) {
            return Err(format!("authority threshold {} cannot be reached (total weight {total})", self.threshold));
        }
        if let Some(k) = self.keys.iter().find(|k| !k.key.is_valid_point()) {
            return Err(format!("authority key {} is not a valid secp256k1 point", k.key));
        }
        Ok(())
    }
}
