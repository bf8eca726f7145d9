//! RAM accounting: every byte of state belongs to an account, which pays for it from its quota.
//!
//! The chain does not trust each action to say what it stored. At the end of every transaction
//! it reads the transaction's writes from the undo journal ([`Kv::session_changes`]), prices
//! each row that appeared, grew, shrank or disappeared, and charges (or refunds) the account the
//! row belongs to ([`payer_of`]). Accounts whose usage grew must stay within their quota
//! (`userres.ram_bytes` plus [`RAM_GIFT_BYTES`]), or the transaction fails with
//! `ram_usage_exceeded` — Antelope's rule, checked where Antelope checks it (when the
//! transaction finishes, so `newaccount` followed by `buyrambytes` in one transaction works).
//! A new table or a new contract is billed without a line of RAM code in it.
//!
//! Row prices follow Antelope's billable sizes (`config.hpp`): a contract row costs its bytes
//! plus 108 (the `key_value_object` and its two indices), an account 2,048 plus its record, a
//! permission 224 plus its record (five indices and fixed fields). Rows of the chain's own
//! bookkeeping — recent transaction ids, TAPOS, usage, the election index, the market, the
//! `global` and `civglobal` singletons, token stats — belong to no account and are not billed.

use std::collections::BTreeMap;

use civitas_protocol::Name;

use crate::contracts::system::{names, tables};
use crate::contracts::token;
use crate::error::ChainError;
use crate::names::{EOSIO, EOSIO_TOKEN};
use crate::records;
use crate::state::{Kv, RowKey, Space};

/// What one contract row costs beyond its bytes (Antelope's `billable_size_v<key_value_object>`).
pub const ROW_OVERHEAD: i64 = 108;
/// What an account costs beyond its record (Antelope's `overhead_per_account_ram_bytes`).
pub const ACCOUNT_OVERHEAD: i64 = 2048;
/// What a permission costs beyond its record (Antelope's `billable_size_v<permission_object>`).
pub const PERMISSION_OVERHEAD: i64 = 224;
/// Bytes every account may use beyond what it bought (Antelope's `ram_gift_bytes`): enough for
/// the balance rows that transfers from others create, so that receiving tokens never fails.
pub const RAM_GIFT_BYTES: i64 = 1400;

const T_RAMUSAGE: u64 = Name::constant("ramusage").value();
const T_ACCOUNT: u64 = Name::constant("account").value();
const T_PERMISSION: u64 = Name::constant("permission").value();

fn usage_key(account: Name) -> RowKey {
    RowKey::chain(T_RAMUSAGE, 0, account.value())
}

/// The account a row belongs to, which pays for its bytes; `None` for the chain's own rows.
pub fn payer_of(key: &RowKey, value: &[u8]) -> Option<Name> {
    match key.space {
        Space::Chain => {
            if *key == records::account_key(Name(key.pk)) {
                Some(Name(key.pk))
            } else if *key == records::permission_key(Name(key.scope), Name(key.pk)) {
                Some(Name(key.scope))
            } else {
                None
            }
        }
        Space::Contract => {
            let (code, table) = (Name(key.code), Name(key.table));
            match (code, table) {
                (EOSIO_TOKEN, token::ACCOUNTS) => Some(Name(key.scope)),
                (EOSIO, tables::VOTERS | tables::PRODUCERS | tables::PRODINFO) => Some(Name(key.pk)),
                (EOSIO, tables::DELBAND | tables::USERRES | tables::REFUNDS) => Some(Name(key.scope)),
                // The high bidder pays for the bid's row, as in Antelope; the row changes hands
                // with the bid.
                (EOSIO, names::NAMEBIDS) => {
                    value.get(8..16).map(|b| Name(u64::from_le_bytes(b.try_into().unwrap_or([0; 8]))))
                }
                _ => None,
            }
        }
    }
}

/// True for the chain records that belong to an account (its record and its permissions).
fn is_billed_record(key: &RowKey) -> bool {
    key.table == T_ACCOUNT || key.table == T_PERMISSION
}

/// The billable size of a row of `len` bytes at `key`.
pub fn row_cost(key: &RowKey, len: usize) -> i64 {
    let overhead = if key.space == Space::Chain {
        if *key == records::account_key(Name(key.pk)) {
            ACCOUNT_OVERHEAD
        } else {
            PERMISSION_OVERHEAD
        }
    } else {
        ROW_OVERHEAD
    };
    overhead + len as i64
}

fn priced(key: &RowKey, value: Option<&[u8]>) -> Option<(Name, i64)> {
    let v = value?;
    payer_of(key, v).map(|p| (p, row_cost(key, v.len())))
}

/// An account's RAM usage in bytes.
pub fn usage(kv: &Kv, account: Name) -> i64 {
    kv.get(&usage_key(account)).and_then(|b| b.try_into().ok()).map_or(0, i64::from_le_bytes)
}

fn put_usage(kv: &mut Kv, account: Name, bytes: i64) {
    if bytes == 0 {
        kv.remove(&usage_key(account));
    } else {
        kv.put(usage_key(account), bytes.to_le_bytes().to_vec());
    }
}

/// An account's RAM quota in bytes (`ram_quota`); `None` when it is unlimited.
pub fn quota(kv: &Kv, account: Name) -> Option<i64> {
    if super::is_unlimited(kv, account) {
        return None;
    }
    Some(tables::userres(kv, account).map_or(0, |r| r.ram_bytes) + RAM_GIFT_BYTES)
}

/// Fails with `ram_usage_exceeded` if `account` uses more than its quota.
pub fn verify(kv: &Kv, account: Name) -> Result<(), ChainError> {
    match quota(kv, account) {
        Some(q) if usage(kv, account) > q => {
            Err(ChainError::RamUsageExceeded { account, needs: usage(kv, account), has: q })
        }
        _ => Ok(()),
    }
}

/// Charges the writes of the open nested session (a transaction) to the accounts their rows
/// belong to, then checks every account whose usage grew, or whose quota changed, against its
/// quota.
pub fn settle(kv: &mut Kv) -> Result<(), ChainError> {
    let (grew, requota) = charge(kv);
    for account in grew.into_iter().chain(requota) {
        verify(kv, account)?;
    }
    Ok(())
}

/// Charges the writes of the open nested session without checking quotas (the chain's own
/// per-block writes, which cannot be refused). Returns the accounts whose usage grew and those
/// whose `userres` row was written.
pub fn charge(kv: &mut Kv) -> (Vec<Name>, Vec<Name>) {
    // The value each billable key had before the session: its first journal entry. A stable
    // sort keeps the first entry of each key first, so `dedup` keeps exactly that one. A
    // transfer brings two entries here (its balances); the chain's own records are skipped.
    let mut before: Vec<(RowKey, Option<(Name, i64)>)> = kv
        .session_changes()
        .filter(|(key, _)| key.space == Space::Contract || is_billed_record(key))
        .map(|(key, old)| (*key, priced(key, old)))
        .collect();
    before.sort_by_key(|e| e.0);
    before.dedup_by_key(|e| e.0);
    // Accounts whose quota may have shrunk (`sellram`): checked even if their usage did not grow.
    let mut requota: Vec<Name> = Vec::new();
    for (key, _) in &before {
        if *key == tables::userres_key(Name(key.scope)) && !requota.contains(&Name(key.scope)) {
            requota.push(Name(key.scope));
        }
    }
    let mut deltas: Vec<(Name, i64)> = Vec::new();
    let mut add = |who: Name, d: i64| match deltas.iter_mut().find(|(n, _)| *n == who) {
        Some(e) => e.1 += d,
        None => deltas.push((who, d)),
    };
    for (key, old) in before {
        let new = priced(&key, kv.get(&key));
        if old == new {
            continue;
        }
        if let Some((p, c)) = old {
            add(p, -c);
        }
        if let Some((p, c)) = new {
            add(p, c);
        }
    }
    for &(account, d) in &deltas {
        if d != 0 {
            let u = usage(kv, account) + d;
            put_usage(kv, account, u.max(0));
        }
    }
    (deltas.iter().filter(|(_, d)| *d > 0).map(|(a, _)| *a).collect(), requota)
}

/// Every account's usage counted from the rows themselves (genesis, and the invariant tests:
/// it must always equal the usage kept transaction by transaction).
pub fn count_from_rows(kv: &Kv) -> BTreeMap<Name, i64> {
    let mut out = BTreeMap::new();
    for (key, value) in kv.iter() {
        if let Some((p, c)) = priced(key, Some(value)) {
            *out.entry(p).or_insert(0) += c;
        }
    }
    out
}

/// Every account's stored usage (the invariant tests compare it with [`count_from_rows`]).
pub fn stored_usage(kv: &Kv) -> BTreeMap<Name, i64> {
    kv.range(usage_key(Name(0)), usage_key(Name(u64::MAX)))
        .filter_map(|(k, v)| Some((Name(k.pk), i64::from_le_bytes(v.try_into().ok()?))))
        .collect()
}

/// Writes every account's usage from its rows (genesis).
pub fn init_usage(kv: &mut Kv) {
    for (account, bytes) in count_from_rows(kv) {
        put_usage(kv, account, bytes);
    }
}
