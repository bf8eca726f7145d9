//! Transactions in JSON form: `get_required_keys` (client-surface.md §2.8) and
//! `get_transaction_id`.

use std::sync::Arc;

use civitas_protocol::{Name, PublicKey, Transaction};
use serde_json::{json, Value};

use crate::abis::RawAbis;
use crate::error::{ApiError, ApiResult};
use crate::json::{describe, Params};
use crate::server::{Reply, Shared};

const ACTION_LISTS: [&str; 2] = ["context_free_actions", "actions"];

/// Reads a transaction from JSON. Action `data` is hex in either case (eosjs sends upper case);
/// `data` given as an object is encoded with the contract's ABI first, as cleos-style tools
/// expect. Errors name the failing field.
pub(crate) fn transaction_from_json(s: &Shared, mut v: Value) -> ApiResult<Transaction> {
    // Which actions carry structured data, and for which contracts.
    let mut structured: Vec<(&'static str, usize, Name)> = Vec::new();
    for list in ACTION_LISTS {
        if let Some(actions) = v.get(list).and_then(Value::as_array) {
            for (i, a) in actions.iter().enumerate() {
                let data_is_structured = a.get("data").is_some_and(|d| d.is_object() || d.is_array());
                let account = a.get("account").and_then(Value::as_str).and_then(|x| x.parse::<Name>().ok());
                if let (true, Some(account)) = (data_is_structured, account) {
                    structured.push((list, i, account));
                }
            }
        }
    }
    if !structured.is_empty() {
        let raw = s.read(|c| RawAbis::collect(c.chain(), structured.iter().map(|x| x.2)));
        let abis = raw.resolve(&s.abis);
        for (list, i, account) in structured {
            let action = &mut v[list][i];
            let name = action.get("name").and_then(Value::as_str).and_then(|x| x.parse::<Name>().ok());
            let abi = abis
                .get(account)
                .ok_or_else(|| ApiError::transaction_json(format!("{list}[{i}].data: {account} has no ABI")))?;
            let ty = name.and_then(|n| abi.action_type(n)).ok_or_else(|| {
                ApiError::transaction_json(format!("{list}[{i}].name: not an action of the ABI of {account}"))
            })?;
            let bytes = abi
                .json_to_binary(ty, &action["data"])
                .map_err(|e| ApiError::transaction_json(format!("{list}[{i}].data: {e}")))?;
            action["data"] = Value::String(hex::encode(bytes));
        }
    }
    serde_path_to_error::deserialize::<_, Transaction>(v)
        .map_err(|e| ApiError::transaction_json(format!("transaction.{}: {}", e.path(), e.inner())))
}

/// `get_required_keys` `{transaction, available_keys}` → `{required_keys}`: the keys among
/// `available_keys` that authorize the transaction, each returned exactly as the client spelled
/// it (eosjs signs with the key text it gets back, so it must be one of its own).
pub(crate) async fn get_required_keys(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let mut p = Params::new(body)?;
    let keys_value = p.take("available_keys").unwrap_or(Value::Array(vec![]));
    let Value::Array(list) = keys_value else {
        return Err(ApiError::invalid(format!(
            "field \"available_keys\": expected an array of public keys, found {}",
            describe(&keys_value)
        )));
    };
    let mut texts = Vec::with_capacity(list.len());
    let mut keys: Vec<PublicKey> = Vec::with_capacity(list.len());
    for (i, k) in list.iter().enumerate() {
        let text = k.as_str().ok_or_else(|| {
            ApiError::public_key(format!("available_keys[{i}]: expected a key string, found {}", describe(k)))
        })?;
        let key: PublicKey = text.parse().map_err(|e| ApiError::public_key(format!("available_keys[{i}]: {e}")))?;
        texts.push(text.to_string());
        keys.push(key);
    }
    let trx_value = p.take("transaction").ok_or_else(|| ApiError::invalid("missing field \"transaction\""))?;
    if !trx_value.is_object() {
        return Err(ApiError::transaction_json(format!(
            "field \"transaction\": expected an object, found {}",
            describe(&trx_value)
        )));
    }
    let trx = transaction_from_json(&s, trx_value)?;
    let required = s.read(|c| c.chain().required_keys(&trx, &keys)).map_err(|e| ApiError::chain(&e))?;
    let out: Vec<&str> =
        required.iter().filter_map(|k| keys.iter().position(|x| x == k).map(|i| texts[i].as_str())).collect();
    Reply::ok(json!({"required_keys": out}))
}

/// `get_transaction_id`: the id (sha256 of the packed transaction) of a JSON transaction,
/// given as the body or as its `transaction` field.
pub(crate) async fn get_transaction_id(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let v = match body.get("transaction") {
        Some(t) if t.is_object() => t.clone(),
        _ => body,
    };
    if !v.is_object() {
        return Err(ApiError::transaction_json(format!("expected a transaction object, found {}", describe(&v))));
    }
    let trx = transaction_from_json(&s, v)?;
    Reply::ok(json!(trx.id()))
}
