//! Building the initial state from a genesis.

use civitas_protocol::{Asset, Authority, Name, PermissionLevel, PermissionLevelWeight};

use crate::contracts::system::create_account;
use crate::contracts::token::{self, CurrencyStats};
use crate::genesis::{Genesis, GenesisError};
use crate::names::{ACTIVE, EOSIO, EOSIO_PRODS, SYSTEM_ACCOUNTS};
use crate::state::{self, Kv};

/// 2/3+1 of `n`.
pub fn supermajority(n: usize) -> usize {
    n * 2 / 3 + 1
}

/// `eosio.prods@active`: the given producers' `active` permissions with threshold 2/3+1.
pub fn producers_authority(producers: &[Name]) -> Authority {
    let mut names: Vec<Name> = producers.to_vec();
    names.sort();
    names.dedup();
    Authority {
        threshold: supermajority(names.len()) as u32,
        keys: vec![],
        accounts: names
            .into_iter()
            .map(|p| PermissionLevelWeight { permission: PermissionLevel::new(p, ACTIVE), weight: 1 })
            .collect(),
        waits: vec![],
    }
}

/// The initial state of a genesis (its commitment is the full state hash).
pub fn build(g: &Genesis) -> Result<Kv, GenesisError> {
    let mut kv = Kv::new();
    let t = g.initial_timestamp;
    let prods_active = PermissionLevel::new(EOSIO_PRODS, ACTIVE);
    let eosio_active = PermissionLevel::new(EOSIO, ACTIVE);
    for sys in SYSTEM_ACCOUNTS {
        let (owner, active) = match sys {
            // The system acts only through the producers' 2/3+1 majority.
            EOSIO => (Authority::single_account(prods_active), Authority::single_account(prods_active)),
            // Nobody holds eosio.prods' owner; its active is rebuilt from the schedule.
            EOSIO_PRODS => (
                Authority { threshold: 1, keys: vec![], accounts: vec![], waits: vec![] },
                producers_authority(&g.producers.iter().map(|p| p.name).collect::<Vec<_>>()),
            ),
            _ => (Authority::single_account(eosio_active), Authority::single_account(eosio_active)),
        };
        create_account(&mut kv, sys, owner, active, t, sys == EOSIO);
    }
    for a in &g.accounts {
        let active = a.active_key.unwrap_or(a.owner_key);
        create_account(&mut kv, a.name, Authority::single_key(a.owner_key), Authority::single_key(active), t, false);
    }
    let st = CurrencyStats { supply: Asset::zero(g.core_symbol), max_supply: g.max_supply, issuer: EOSIO };
    state::put(&mut kv, token::stat_key(g.core_symbol), &st);
    for a in &g.accounts {
        if let Some(b) = a.balance.filter(|b| b.amount() > 0) {
            token::mint(&mut kv, a.name, b).map_err(|e| GenesisError(format!("balance of {}: {e}", a.name)))?;
        }
    }
    let root = kv.full_hash();
    kv.set_root(root);
    Ok(kv)
}
