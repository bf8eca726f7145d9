//! `eosio` native actions for accounts and permissions: `newaccount`, `updateauth`,
//! `deleteauth`.

use civitas_protocol::{Authority, Name, PermissionLevel};

use crate::contracts::ApplyContext;
use crate::error::{check, ChainError};
use crate::names::{ACTIVE, OWNER};
use crate::records::{self, permission_key, AccountRecord, PermissionRecord};
use crate::state;

/// `newaccount` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Who pays and authorizes.
    pub creator: Name,
    /// The new account's name.
    pub name: Name,
    /// Its `owner` authority.
    pub owner: Authority,
    /// Its `active` authority.
    pub active: Authority,
}
civitas_protocol::packable_struct!(NewAccount { creator, name, owner, active });

/// `updateauth` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateAuth {
    /// The account.
    pub account: Name,
    /// The permission to create or change.
    pub permission: Name,
    /// Its parent (empty for `owner`).
    pub parent: Name,
    /// The new authority.
    pub auth: Authority,
}
civitas_protocol::packable_struct!(UpdateAuth { account, permission, parent, auth });

/// `deleteauth` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAuth {
    /// The account.
    pub account: Name,
    /// The permission to delete.
    pub permission: Name,
}
civitas_protocol::packable_struct!(DeleteAuth { account, permission });

/// The `newaccount` action name.
pub const NEWACCOUNT: Name = Name::constant("newaccount");
/// The `updateauth` action name.
pub const UPDATEAUTH: Name = Name::constant("updateauth");
/// The `deleteauth` action name.
pub const DELETEAUTH: Name = Name::constant("deleteauth");

/// The most permissions one account may have.
pub const MAX_PERMISSIONS: usize = 16;

/// Checks an authority's shape and that every account permission it names exists.
fn validate_authority(ctx: &ApplyContext<'_>, auth: &Authority, what: &str) -> Result<(), ChainError> {
    auth.validate().map_err(|m| ChainError::Assert(format!("invalid {what} authority: {m}")))?;
    for a in &auth.accounts {
        check(
            records::permission(ctx.kv, a.permission.actor, a.permission.permission).is_some(),
            &format!("invalid {what} authority: permission {} does not exist", a.permission),
        )?;
    }
    Ok(())
}

/// Creates an account with `owner` and `active` permissions (also used by genesis).
pub fn create_account(
    kv: &mut state::Kv,
    name: Name,
    owner: Authority,
    active: Authority,
    time: civitas_protocol::TimePoint,
    privileged: bool,
) {
    state::put(kv, records::account_key(name), &AccountRecord { name, created: time, privileged });
    state::put(kv, permission_key(name, OWNER), &PermissionRecord { parent: Name(0), auth: owner, last_updated: time });
    state::put(kv, permission_key(name, ACTIVE), &PermissionRecord { parent: OWNER, auth: active, last_updated: time });
}

pub(super) fn newaccount(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: NewAccount = ctx.args()?;
    ctx.require_auth(a.creator)?;
    let text = a.name.to_string();
    check(!text.is_empty() && text.len() <= 12, "account names must be 1 to 12 characters")?;
    check(!text.starts_with('.'), "account names cannot start with a dot")?;
    let privileged = records::account(ctx.kv, a.creator).is_some_and(|r| r.privileged);
    if text.starts_with("eosio.") {
        check(privileged, "only privileged accounts can have names that start with 'eosio.'")?;
    }
    if ctx.is_account(a.name) {
        return Err(ChainError::AccountExists(a.name));
    }
    validate_authority(ctx, &a.owner, "owner")?;
    validate_authority(ctx, &a.active, "active")?;
    if !privileged {
        super::names::claim_name(ctx.kv, a.creator, a.name)?;
    }
    create_account(ctx.kv, a.name, a.owner, a.active, ctx.block.time, false);
    // Its resources row, as Antelope's system contract makes it: no stake, no RAM bought. The
    // account's records and this row are billed to it when the transaction settles, so the
    // transaction must also buy it RAM (`buyrambytes`), as wallets do.
    let core = super::tables::global(ctx.kv).core_symbol;
    let res = super::tables::UserResources {
        owner: a.name,
        net_weight: civitas_protocol::Asset::zero(core),
        cpu_weight: civitas_protocol::Asset::zero(core),
        ram_bytes: 0,
    };
    state::put(ctx.kv, super::tables::userres_key(a.name), &res);
    Ok(())
}

pub(super) fn updateauth(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let u: UpdateAuth = ctx.args()?;
    ctx.require_auth(u.account)?;
    check(ctx.is_account(u.account), "account does not exist")?;
    check(!u.permission.is_empty(), "cannot create a permission with an empty name")?;
    let reserved = u.permission.to_string().starts_with("eosio.");
    check(!reserved, "permission names that start with 'eosio.' are reserved")?;
    if u.permission == OWNER {
        check(u.parent.is_empty(), "cannot create owner permission with a parent")?;
    } else {
        check(!u.parent.is_empty(), "only owner permission can have empty parent")?;
        check(records::permission(ctx.kv, u.account, u.parent).is_some(), "parent permission does not exist")?;
        check(u.parent != u.permission, "a permission cannot be its own parent")?;
    }
    validate_authority(ctx, &u.auth, "new")?;
    let key = permission_key(u.account, u.permission);
    match records::permission(ctx.kv, u.account, u.permission) {
        Some(existing) => {
            check(existing.parent == u.parent, "changing the parent of a permission is not supported")?;
        }
        None => {
            let count = records::permissions(ctx.kv, u.account).len();
            check(count < MAX_PERMISSIONS, "account has too many permissions")?;
        }
    }
    let rec = PermissionRecord { parent: u.parent, auth: u.auth, last_updated: ctx.block.time };
    state::put(ctx.kv, key, &rec);
    Ok(())
}

pub(super) fn deleteauth(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let d: DeleteAuth = ctx.args()?;
    ctx.require_auth(d.account)?;
    check(d.permission != OWNER && d.permission != ACTIVE, "cannot delete the owner or active permission")?;
    check(records::permission(ctx.kv, d.account, d.permission).is_some(), "permission does not exist")?;
    let has_children = records::permissions(ctx.kv, d.account).iter().any(|(_, r)| r.parent == d.permission);
    check(!has_children, "cannot delete a permission that has children")?;
    ctx.kv.remove(&permission_key(d.account, d.permission));
    Ok(())
}

/// For `updateauth`/`deleteauth`, the permission the declared authorization must be equal to
/// or an ancestor of (Antelope's rule); `None` for other actions.
pub fn auth_action_minimum(kv: &state::Kv, contract: Name, action: Name, data: &[u8]) -> Option<PermissionLevel> {
    use civitas_protocol::codec::Unpack;
    if contract != crate::names::EOSIO {
        return None;
    }
    match action {
        UPDATEAUTH => {
            let u = UpdateAuth::unpack_exact(data).ok()?;
            let target =
                if records::permission(kv, u.account, u.permission).is_some() { u.permission } else { u.parent };
            Some(PermissionLevel::new(u.account, if target.is_empty() { OWNER } else { target }))
        }
        DELETEAUTH => {
            let d = DeleteAuth::unpack_exact(data).ok()?;
            Some(PermissionLevel::new(d.account, d.permission))
        }
        _ => None,
    }
}
