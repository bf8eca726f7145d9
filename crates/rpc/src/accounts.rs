//! Accounts and their ABIs: `get_account` (client-surface.md §2.2), `get_abi`, `get_raw_abi`,
//! `get_raw_code_and_abi`, `get_code`, `abi_json_to_bin` and `abi_bin_to_json`.

use std::sync::Arc;

use civitas_chain::contracts::system::tables;
use civitas_chain::contracts::token;
use civitas_chain::names::EOSIO;
use civitas_chain::records::{self, PermissionRecord};
use civitas_chain::resources::{self, AccountLimit};
use civitas_chain::state::Kv;
use civitas_protocol::{sha256, Asset, Checksum256, Name, TimePoint, Unpack};
use serde_json::{json, Map, Value};

use crate::abis::RawAbis;
use crate::error::{ApiError, ApiResult};
use crate::json::{describe, Params};
use crate::server::{Reply, Shared};

/// Native contracts have no WebAssembly code; their code hash is all zeros.
const NATIVE_CODE_HASH: Checksum256 = Checksum256::ZERO;

/// Everything `get_account` shows, copied out under the core lock.
struct AccountSnapshot {
    created: TimePoint,
    privileged: bool,
    permissions: Vec<(Name, PermissionRecord)>,
    core_balance: Option<Asset>,
    /// Raw rows of the `eosio` tables (`voters`, `userres`, `delband` to self, `refunds`).
    voter: Option<Vec<u8>>,
    userres: Option<Vec<u8>>,
    delband: Option<Vec<u8>>,
    refund: Option<Vec<u8>>,
    /// Bytes of state the account's rows cost (what its RAM quota is charged).
    ram_usage: i64,
    /// Its RAM quota; `None` for an unlimited account.
    ram_quota: Option<i64>,
    head_num: u32,
    head_time: TimePoint,
    /// (NET, CPU) allowances; `None` for an unlimited account.
    limits: Option<(AccountLimit, AccountLimit)>,
    /// Staked (NET, CPU) weights.
    weights: (u64, u64),
}

fn row(kv: &Kv, key: &civitas_chain::state::RowKey) -> Option<Vec<u8>> {
    kv.get(key).map(<[u8]>::to_vec)
}

/// `get_account` `{account_name}`.
pub(crate) async fn get_account(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let name = p.req_name("account_name")?;
    let core_symbol = s.core_symbol;
    let snap = s.read(|c| {
        let kv = c.chain().kv();
        let rec = records::account(kv, name)?;
        let permissions = records::permissions(kv, name);
        let balance_key = token::balance_key(name, core_symbol);
        Some((
            AccountSnapshot {
                created: rec.created,
                privileged: rec.privileged,
                core_balance: kv.get(&balance_key).and_then(|b| Asset::unpack_exact(b).ok()),
                permissions,
                voter: row(kv, &tables::voter_key(name)),
                userres: row(kv, &tables::userres_key(name)),
                delband: row(kv, &tables::delband_key(name, name)),
                refund: row(kv, &tables::refund_key(name)),
                ram_usage: resources::ram::usage(kv, name),
                ram_quota: resources::ram::quota(kv, name),
                head_num: c.head().num,
                head_time: c.head().time,
                limits: resources::account_limits(kv, &c.chain().config().resources, name, c.head().time),
                weights: resources::weights(kv, name),
            },
            RawAbis::collect(c.chain(), [EOSIO]),
        ))
    });
    let (snap, raw) = snap.ok_or_else(|| ApiError::account_not_found(name))?;
    let abis = raw.resolve(&s.abis);
    let abi = abis.get(EOSIO);
    // Rows are decoded with the `eosio` ABI's table types, so they read exactly like
    // `get_table_rows` rows.
    let decode = |bytes: &Option<Vec<u8>>, table: Name| -> Value {
        let (Some(bytes), Some(abi)) = (bytes, abi) else { return Value::Null };
        abi.table_type(table).and_then(|ty| abi.binary_to_json(ty, bytes).ok()).unwrap_or(Value::Null)
    };
    let total_resources = decode(&snap.userres, tables::USERRES);
    // nodeos's figures: weights and allowances of an unlimited account (the system accounts)
    // are -1; any other account's are its stake and its share of the virtual limits.
    let (net_weight, cpu_weight) = match snap.limits {
        Some(_) => (json!(snap.weights.0), json!(snap.weights.1)),
        None => (json!(-1), json!(-1)),
    };
    let limit_json = |l: Option<&AccountLimit>| match l {
        Some(l) => json!({
            "used": l.used,
            "available": l.available,
            "max": l.max,
            "last_usage_update_time": l.last_usage_update_time,
            "current_used": l.current_used,
        }),
        None => json!({
            "used": -1,
            "available": -1,
            "max": -1,
            "last_usage_update_time": snap.head_time,
            "current_used": -1,
        }),
    };
    let net_limit = limit_json(snap.limits.as_ref().map(|l| &l.0));
    let cpu_limit = limit_json(snap.limits.as_ref().map(|l| &l.1));
    let permissions: Vec<Value> = snap
        .permissions
        .iter()
        .map(|(perm, rec)| {
            json!({
                "perm_name": perm,
                "parent": rec.parent,
                "required_auth": rec.auth,
                "linked_actions": [],
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("account_name".into(), json!(name));
    out.insert("head_block_num".into(), json!(snap.head_num));
    out.insert("head_block_time".into(), json!(snap.head_time));
    out.insert("privileged".into(), json!(snap.privileged));
    out.insert("last_code_update".into(), json!(TimePoint(0)));
    out.insert("created".into(), json!(snap.created));
    if let Some(b) = snap.core_balance {
        out.insert("core_liquid_balance".into(), json!(b));
    }
    out.insert("ram_quota".into(), json!(snap.ram_quota.unwrap_or(-1)));
    out.insert("net_weight".into(), net_weight);
    out.insert("cpu_weight".into(), cpu_weight);
    out.insert("net_limit".into(), net_limit);
    out.insert("cpu_limit".into(), cpu_limit);
    out.insert("ram_usage".into(), json!(snap.ram_usage));
    out.insert("permissions".into(), Value::Array(permissions));
    out.insert("total_resources".into(), total_resources);
    out.insert("self_delegated_bandwidth".into(), decode(&snap.delband, tables::DELBAND));
    out.insert("refund_request".into(), decode(&snap.refund, tables::REFUNDS));
    out.insert("voter_info".into(), decode(&snap.voter, tables::VOTERS));
    out.insert("rex_info".into(), Value::Null);
    out.insert("subjective_cpu_bill_limit".into(), json!({"used": 0, "available": 0, "max": 0}));
    out.insert("eosio_any_linked_actions".into(), json!([]));
    Reply::ok(Value::Object(out))
}

/// The binary ABI of an existing account (`None` when it publishes none); an unknown account
/// is an error.
fn raw_abi_of(s: &Shared, name: Name) -> ApiResult<Option<Vec<u8>>> {
    s.read(|c| {
        if !records::account_exists(c.chain().kv(), name) {
            return Err(ApiError::account_not_found(name));
        }
        Ok(c.chain().raw_abi(name).map(<[u8]>::to_vec))
    })
}

fn abi_json(raw: &[u8]) -> ApiResult<Value> {
    let def = civitas_abi::AbiDef::from_bytes(raw).map_err(|e| ApiError::abi(format!("stored ABI is invalid: {e}")))?;
    serde_json::to_value(def).map_err(|e| ApiError::internal(e.to_string()))
}

fn base64(raw: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// `get_abi` `{account_name}`: `abi` is left out for accounts without one (as nodeos does).
pub(crate) async fn get_abi(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let name = Params::new(body)?.req_name("account_name")?;
    let mut out = json!({"account_name": name});
    if let Some(raw) = raw_abi_of(&s, name)? {
        out["abi"] = abi_json(&raw)?;
    }
    Reply::ok(out)
}

/// `get_raw_abi` `{account_name, abi_hash?}`: the binary ABI as padded standard base64 (eosjs
/// rejects anything else). When the client already holds the current ABI (`abi_hash` matches),
/// `abi` is left out.
pub(crate) async fn get_raw_abi(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let name = p.req_name("account_name")?;
    let known: Option<Checksum256> = match p.string("abi_hash")? {
        Some(h) if !h.is_empty() => Some(h.parse().map_err(|e| ApiError::invalid(format!("field \"abi_hash\": {e}")))?),
        _ => None,
    };
    let raw = raw_abi_of(&s, name)?;
    let (hash, abi) = match &raw {
        Some(r) => (sha256(r), base64(r)),
        None => (Checksum256::ZERO, String::new()),
    };
    let mut out = json!({"account_name": name, "code_hash": NATIVE_CODE_HASH, "abi_hash": hash});
    if known != Some(hash) || raw.is_none() {
        out["abi"] = json!(abi);
    }
    Reply::ok(out)
}

/// `get_raw_code_and_abi` `{account_name}`: native contracts have no WebAssembly, so `wasm` is
/// empty.
pub(crate) async fn get_raw_code_and_abi(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let name = Params::new(body)?.req_name("account_name")?;
    let raw = raw_abi_of(&s, name)?;
    Reply::ok(json!({"account_name": name, "wasm": "", "abi": raw.as_deref().map(base64).unwrap_or_default()}))
}

/// `get_code` `{account_name}`: no code, and the JSON ABI when there is one.
pub(crate) async fn get_code(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let name = Params::new(body)?.req_name("account_name")?;
    let mut out = json!({"account_name": name, "code_hash": NATIVE_CODE_HASH, "wast": "", "wasm": ""});
    if let Some(raw) = raw_abi_of(&s, name)? {
        out["abi"] = abi_json(&raw)?;
    }
    Reply::ok(out)
}

/// The decoded ABI of `code` and the data type of its `action`.
fn action_abi(s: &Shared, code: Name, action: Name) -> ApiResult<(Arc<civitas_abi::Abi>, String)> {
    let raw = raw_abi_of(s, code)?.ok_or_else(|| ApiError::abi(format!("account {code} has no ABI")))?;
    let abi = s.abis.get(code, &raw).ok_or_else(|| ApiError::abi(format!("the ABI of {code} is invalid")))?;
    let ty = abi
        .action_type(action)
        .ok_or_else(|| ApiError::abi(format!("action {action} is not declared in the ABI of {code}")))?
        .to_string();
    Ok((abi, ty))
}

/// `abi_json_to_bin` `{code, action, args}` → `{binargs}`.
pub(crate) async fn abi_json_to_bin(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let (code, action) = (p.req_name("code")?, p.req_name("action")?);
    let args = p.require("args")?;
    let (abi, ty) = action_abi(&s, code, action)?;
    let bin = abi.json_to_binary(&ty, args).map_err(|e| ApiError::abi(format!("{code}::{action}: {e}")))?;
    Reply::ok(json!({"binargs": hex::encode(bin)}))
}

/// `abi_bin_to_json` `{code, action, binargs}` → `{args}`.
pub(crate) async fn abi_bin_to_json(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let (code, action) = (p.req_name("code")?, p.req_name("action")?);
    let hex_args = p.require("binargs")?;
    let bytes = hex_args
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| ApiError::invalid(format!("field \"binargs\": expected hex, found {}", describe(hex_args))))?;
    let (abi, ty) = action_abi(&s, code, action)?;
    let args = abi.binary_to_json(&ty, &bytes).map_err(|e| ApiError::abi(format!("{code}::{action}: {e}")))?;
    Reply::ok(json!({"args": args}))
}
