//! The chain's own records (accounts, permissions, ABIs, recent block ids, recent transaction
//! ids), stored as rows in the chain space of the state.

use civitas_protocol::{Authority, Checksum256, Name, TimePoint};

use crate::state::{self, Kv, RowKey};

const T_ACCOUNT: u64 = Name::constant("account").value();
const T_PERMISSION: u64 = Name::constant("permission").value();
const T_ABI: u64 = Name::constant("abi").value();
const T_BLOCKSUM: u64 = Name::constant("blocksum").value();
const T_TRXID: u64 = Name::constant("trxid").value();
const T_TRXEXP: u64 = Name::constant("trxexp").value();

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The name.
    pub name: Name,
    /// When it was created.
    pub created: TimePoint,
    /// Privileged accounts may create `eosio.`-prefixed names and act for the system.
    pub privileged: bool,
}

civitas_protocol::packable_struct!(AccountRecord { name, created, privileged });

/// A named permission of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRecord {
    /// The parent permission (empty for `owner`).
    pub parent: Name,
    /// Who can act with it.
    pub auth: Authority,
    /// Last change.
    pub last_updated: TimePoint,
}

civitas_protocol::packable_struct!(PermissionRecord { parent, auth, last_updated });

/// Key of an account record.
pub fn account_key(name: Name) -> RowKey {
    RowKey::chain(T_ACCOUNT, 0, name.value())
}

/// Key of a permission record.
pub fn permission_key(account: Name, perm: Name) -> RowKey {
    RowKey::chain(T_PERMISSION, account.value(), perm.value())
}

/// Reads an account.
pub fn account(kv: &Kv, name: Name) -> Option<AccountRecord> {
    state::get(kv, &account_key(name))
}

/// True if the account exists.
pub fn account_exists(kv: &Kv, name: Name) -> bool {
    kv.contains(&account_key(name))
}

/// Reads a permission.
pub fn permission(kv: &Kv, account: Name, perm: Name) -> Option<PermissionRecord> {
    state::get(kv, &permission_key(account, perm))
}

/// All permissions of an account, in name order.
pub fn permissions(kv: &Kv, account: Name) -> Vec<(Name, PermissionRecord)> {
    kv.range(permission_key(account, Name(0)), permission_key(account, Name(u64::MAX)))
        .map(|(k, v)| {
            let rec =
                civitas_protocol::Unpack::unpack_exact(v).unwrap_or_else(|e| panic!("corrupt permission row: {e}"));
            (Name(k.pk), rec)
        })
        .collect()
}

/// Key of an account's binary ABI.
pub fn abi_key(account: Name) -> RowKey {
    RowKey::chain(T_ABI, 0, account.value())
}

/// Key of the TAPOS summary slot for a block number.
pub fn blocksum_key(block_num: u32) -> RowKey {
    RowKey::chain(T_BLOCKSUM, 0, u64::from(block_num & 0xffff))
}

/// Reads the TAPOS summary slot.
pub fn blocksum(kv: &Kv, block_num_low: u16) -> Option<Checksum256> {
    state::get(kv, &RowKey::chain(T_BLOCKSUM, 0, u64::from(block_num_low)))
}

fn id_parts(id: &Checksum256) -> (u64, u64) {
    let a = u64::from_be_bytes(id.0[0..8].try_into().unwrap_or_default());
    let b = u64::from_be_bytes(id.0[8..16].try_into().unwrap_or_default());
    (a, b)
}

/// Key of a recent transaction id.
pub fn trxid_key(id: &Checksum256) -> RowKey {
    let (a, b) = id_parts(id);
    RowKey::chain(T_TRXID, a, b)
}

/// True if a transaction id is remembered (not yet expired).
pub fn trx_seen(kv: &Kv, id: &Checksum256) -> bool {
    match kv.get(&trxid_key(id)) {
        Some(rest) => rest.len() >= 16 && rest[..16] == id.0[16..32],
        None => false,
    }
}

/// Remembers a transaction id until `expiration` (seconds).
pub fn remember_trx(kv: &mut Kv, id: &Checksum256, expiration: u32) {
    let (a, _) = id_parts(id);
    kv.put(trxid_key(id), id.0[16..32].to_vec());
    kv.put(RowKey::chain(T_TRXEXP, u64::from(expiration), a), id.0[8..16].to_vec());
}

/// Forgets every transaction id that expired before `now_sec`; returns how many.
pub fn expire_trxs(kv: &mut Kv, now_sec: u32) -> usize {
    if now_sec == 0 {
        return 0;
    }
    let lo = RowKey::chain(T_TRXEXP, 0, 0);
    let hi = RowKey::chain(T_TRXEXP, u64::from(now_sec - 1), u64::MAX);
    let expired: Vec<(RowKey, u64)> =
        kv.range(lo, hi).map(|(k, v)| (*k, u64::from_be_bytes(v.try_into().unwrap_or_default()))).collect();
    for (k, b) in &expired {
        kv.remove(k);
        kv.remove(&RowKey::chain(T_TRXID, k.pk, *b));
    }
    expired.len()
}
