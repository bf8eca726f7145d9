//! `get_accounts_by_authorizers`: which account permissions name a given account or key in
//! their authority (nodeos: `account_query_db.cpp`).
//!
//! nodeos keeps an in-memory index of every authority for this call. Civitas has none: it reads
//! the permission records, in chunks of [`SCAN_CHUNK`] rows per read lock on a blocking thread,
//! so the core is never held for long. A request names at most [`MAX_AUTHORIZERS`] accounts and
//! keys, and one request reads at most [`MAX_SCAN`] permission records.

use std::collections::BTreeSet;
use std::sync::Arc;

use civitas_chain::records::{self, PermissionRecord};
use civitas_protocol::{Name, PermissionLevel, PublicKey, Unpack};
use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::json::{describe, Params};
use crate::server::{Reply, Shared};

/// Most accounts and keys one request may name together.
pub(crate) const MAX_AUTHORIZERS: usize = 1000;
/// Permission records read under one read lock.
pub(crate) const SCAN_CHUNK: usize = 10_000;
/// Most permission records one request reads (a chain with more answers an error).
pub(crate) const MAX_SCAN: usize = 2_000_000;

/// An account authorizer as requested: a name alone means any of its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct AccountQuery {
    actor: Name,
    /// Empty for "any permission".
    permission: Name,
}

impl AccountQuery {
    fn matches(&self, level: &PermissionLevel) -> bool {
        level.actor == self.actor && (self.permission.is_empty() || level.permission == self.permission)
    }
}

/// What satisfies part of a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Authorizer {
    Account(PermissionLevel),
    Key(PublicKey),
}

/// One authority entry that names a requested authorizer.
#[derive(Debug, Clone, Copy)]
struct Found {
    account: Name,
    permission: Name,
    by: Authorizer,
    weight: u16,
    threshold: u32,
}

/// Reads `accounts` as nodeos does: a name string (any permission), or `{actor}` /
/// `{actor, permission}` and nothing else.
fn account_query(i: usize, v: &Value) -> ApiResult<AccountQuery> {
    let name = |field: &str, v: &Value| -> ApiResult<Name> {
        let text = v.as_str().ok_or_else(|| {
            ApiError::invalid(format!("accounts[{i}]{field}: expected a name string, found {}", describe(v)))
        })?;
        text.parse().map_err(|e| ApiError::invalid(format!("accounts[{i}]{field}: {e}")))
    };
    match v {
        Value::String(_) => Ok(AccountQuery { actor: name("", v)?, permission: Name::EMPTY }),
        Value::Object(o) => {
            let actor =
                o.get("actor").ok_or_else(|| ApiError::invalid(format!("accounts[{i}]: Missing Actor field")))?;
            let permission = match (o.get("permission"), o.len()) {
                (Some(p), 2) => name(".permission", p)?,
                (None, 1) => Name::EMPTY,
                _ => return Err(ApiError::invalid(format!("accounts[{i}]: Unrecognized fields in account"))),
            };
            Ok(AccountQuery { actor: name(".actor", actor)?, permission })
        }
        other => Err(ApiError::invalid(format!(
            "accounts[{i}]: expected a name or {{actor, permission}}, found {}",
            describe(other)
        ))),
    }
}

/// An optional array field.
fn list(p: &mut Params, key: &str) -> ApiResult<Vec<Value>> {
    match p.take(key) {
        None => Ok(vec![]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => {
            Err(ApiError::invalid(format!("field \"{key}\": expected an array, found {}", describe(&other))))
        }
    }
}

/// The entries of one permission record that name a requested authorizer.
fn matches_in(
    level: PermissionLevel,
    rec: &PermissionRecord,
    accounts: &BTreeSet<AccountQuery>,
    keys: &BTreeSet<PublicKey>,
    out: &mut Vec<Found>,
) {
    let found = |by, weight| Found {
        account: level.actor,
        permission: level.permission,
        by,
        weight,
        threshold: rec.auth.threshold,
    };
    for a in &rec.auth.accounts {
        if accounts.iter().any(|q| q.matches(&a.permission)) {
            out.push(found(Authorizer::Account(a.permission), a.weight));
        }
    }
    for k in &rec.auth.keys {
        if keys.contains(&k.key) {
            out.push(found(Authorizer::Key(k.key), k.weight));
        }
    }
}

/// Every permission entry naming one of `accounts` or `keys`, read chunk by chunk.
fn scan(s: &Shared, accounts: &BTreeSet<AccountQuery>, keys: &BTreeSet<PublicKey>) -> ApiResult<Vec<Found>> {
    let end = records::permission_key(Name(u64::MAX), Name(u64::MAX));
    let mut from = Some(records::permission_key(Name(0), Name(0)));
    let mut out = Vec::new();
    let mut read = 0usize;
    while let Some(start) = from.take() {
        if read >= MAX_SCAN {
            return Err(ApiError::invalid(format!(
                "the chain holds more than {MAX_SCAN} permissions; get_accounts_by_authorizers reads at most that many"
            )));
        }
        s.read(|c| {
            let mut rows = c.chain().kv().range(start, end).peekable();
            for _ in 0..SCAN_CHUNK {
                let Some((k, bytes)) = rows.next() else { return };
                read += 1;
                // Permission records are written by the chain itself; one that does not decode
                // would be a bug, and is skipped rather than failing the query.
                if let Ok(rec) = PermissionRecord::unpack_exact(bytes) {
                    let level = PermissionLevel::new(Name(k.scope), Name(k.pk));
                    matches_in(level, &rec, accounts, keys, &mut out);
                }
            }
            from = rows.peek().map(|(k, _)| **k);
        });
    }
    Ok(out)
}

/// The JSON of one result row, fields in nodeos's order (the unset authorizer is left out).
fn row(f: &Found) -> Value {
    let mut v = Map::new();
    v.insert("account_name".into(), json!(f.account));
    v.insert("permission_name".into(), json!(f.permission));
    match f.by {
        Authorizer::Account(level) => v.insert("authorizing_account".into(), json!(level)),
        Authorizer::Key(key) => v.insert("authorizing_key".into(), json!(key)),
    };
    v.insert("weight".into(), json!(f.weight));
    v.insert("threshold".into(), json!(f.threshold));
    Value::Object(v)
}

/// `get_accounts_by_authorizers` `{accounts: [name | {actor, permission}], keys: [key]}` →
/// `{accounts: [{account_name, permission_name, authorizing_account | authorizing_key, weight,
/// threshold}]}`. As nodeos: duplicates in the request are dropped, results come per requested
/// account (in name order), then per requested key (in key order), each group ordered by
/// authorizer and weight; an entry matching two requests appears twice. Ties are broken by
/// account and permission (nodeos: by creation order).
pub(crate) async fn get_accounts_by_authorizers(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let mut p = Params::new(body)?;
    let account_values = list(&mut p, "accounts")?;
    let key_values = list(&mut p, "keys")?;
    if account_values.len() + key_values.len() > MAX_AUTHORIZERS {
        return Err(ApiError::invalid(format!(
            "{} accounts and keys requested; at most {MAX_AUTHORIZERS} are allowed at once",
            account_values.len() + key_values.len()
        )));
    }
    let accounts: BTreeSet<AccountQuery> =
        account_values.iter().enumerate().map(|(i, v)| account_query(i, v)).collect::<ApiResult<_>>()?;
    let keys: BTreeSet<PublicKey> = key_values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let text = v.as_str().ok_or_else(|| {
                ApiError::public_key(format!("keys[{i}]: expected a key string, found {}", describe(v)))
            })?;
            text.parse().map_err(|e| ApiError::public_key(format!("keys[{i}]: {e}")))
        })
        .collect::<ApiResult<_>>()?;
    let found = if accounts.is_empty() && keys.is_empty() {
        vec![]
    } else {
        let shared = s.clone();
        tokio::task::spawn_blocking(move || scan(&shared, &accounts, &keys).map(|f| (f, accounts, keys)))
            .await
            .map_err(|e| ApiError::internal(format!("the permission scan failed: {e}")))?
            .map(|(found, accounts, keys)| order(found, &accounts, &keys))?
    };
    Reply::ok(json!({"accounts": found.iter().map(row).collect::<Vec<_>>()}))
}

/// The results in nodeos's order: per requested account, then per requested key.
fn order(found: Vec<Found>, accounts: &BTreeSet<AccountQuery>, keys: &BTreeSet<PublicKey>) -> Vec<Found> {
    let sort_key = |f: &Found| (f.by, f.weight, f.account, f.permission);
    let mut out = Vec::new();
    let mut group = |pick: &dyn Fn(&Found) -> bool| {
        let mut g: Vec<Found> = found.iter().filter(|f| pick(f)).copied().collect();
        g.sort_by_key(sort_key);
        out.extend(g);
    };
    for q in accounts {
        group(&|f| matches!(f.by, Authorizer::Account(level) if q.matches(&level)));
    }
    for k in keys {
        group(&|f| f.by == Authorizer::Key(*k));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_queries_follow_nodeos_parsing() {
        let alice = Name::constant("alice");
        let q = |v: Value| account_query(0, &v);
        assert_eq!(q(json!("alice")).unwrap(), AccountQuery { actor: alice, permission: Name::EMPTY });
        assert_eq!(q(json!({"actor": "alice"})).unwrap(), AccountQuery { actor: alice, permission: Name::EMPTY });
        let active = q(json!({"actor": "alice", "permission": "active"})).unwrap();
        assert_eq!(active.permission, Name::constant("active"));
        assert!(q(json!({"permission": "active"})).unwrap_err().detail.contains("Missing Actor"));
        assert!(q(json!({"actor": "alice", "perm": "x"})).unwrap_err().detail.contains("Unrecognized"));
        assert!(q(json!({"actor": "alice", "permission": "active", "x": 1})).is_err());
        assert!(q(json!(5)).is_err());
        assert!(q(json!("Not.Valid")).is_err());
        // A wildcard matches every permission of the actor, an exact query only its own.
        let owner = PermissionLevel::new(alice, Name::constant("owner"));
        assert!(q(json!("alice")).unwrap().matches(&owner));
        assert!(!active.matches(&owner));
    }
}
