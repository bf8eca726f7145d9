//! Contract ABIs for decoding action data and table rows.
//!
//! The binary ABIs live in the chain state. Handlers copy the bytes they need out under the core
//! lock ([`RawAbis::collect`]) and decode after releasing it; decoded ABIs are cached by account
//! and reused while the account's ABI bytes stay the same.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use civitas_abi::{Abi, AbiDef};
use civitas_chain::Chain;
use civitas_protocol::Name;

/// Cached ABIs beyond this many are all dropped (a crude bound; native contracts are few).
const MAX_CACHED: usize = 256;

/// An account's binary ABI and its decoded form.
type Entry = (Vec<u8>, Arc<Abi>);

/// Decoded ABIs by account, keyed by their binary form.
#[derive(Default)]
pub(crate) struct AbiCache {
    map: Mutex<HashMap<Name, Entry>>,
}

impl AbiCache {
    /// The decoded ABI for `raw`, the binary ABI `account` currently publishes; `None` when it
    /// does not decode or validate.
    pub(crate) fn get(&self, account: Name, raw: &[u8]) -> Option<Arc<Abi>> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((bytes, abi)) = map.get(&account) {
            if bytes == raw {
                return Some(abi.clone());
            }
        }
        let abi = Arc::new(Abi::new(AbiDef::from_bytes(raw).ok()?).ok()?);
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        map.insert(account, (raw.to_vec(), abi.clone()));
        Some(abi)
    }
}

/// Binary ABIs copied out of the state.
#[derive(Default)]
pub(crate) struct RawAbis(BTreeMap<Name, Vec<u8>>);

impl RawAbis {
    /// Copies the ABIs of `accounts` (those that have one). Runs under the core lock.
    pub(crate) fn collect(chain: &Chain, accounts: impl IntoIterator<Item = Name>) -> RawAbis {
        let mut out = BTreeMap::new();
        for a in accounts {
            if out.contains_key(&a) {
                continue;
            }
            if let Some(raw) = chain.raw_abi(a) {
                out.insert(a, raw.to_vec());
            }
        }
        RawAbis(out)
    }

    /// Decodes them (after the lock is released).
    pub(crate) fn resolve(self, cache: &AbiCache) -> Abis {
        Abis(self.0.into_iter().filter_map(|(a, raw)| cache.get(a, &raw).map(|abi| (a, abi))).collect())
    }
}

/// Decoded ABIs by account.
#[derive(Default, Clone)]
pub(crate) struct Abis(BTreeMap<Name, Arc<Abi>>);

impl Abis {
    /// The ABI of `account`, if it has a valid one.
    pub(crate) fn get(&self, account: Name) -> Option<&Arc<Abi>> {
        self.0.get(&account)
    }
}

#[cfg(test)]
impl Abis {
    /// The native contracts' ABIs, as a node at genesis publishes them.
    pub(crate) fn native() -> Abis {
        let defs = civitas_chain::abis::native_abis().expect("native ABIs");
        Abis(defs.into_iter().map(|(a, d)| (a, Arc::new(Abi::new(d).expect("valid ABI")))).collect())
    }
}
