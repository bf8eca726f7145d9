//! nodeos-shaped JSON for actions, transactions, packed transactions and transaction traces.

use civitas_chain::TransactionTrace;
use civitas_protocol::{sha256, Action, Name, Pack, PackedTransaction, Transaction};
use serde_json::{json, Value};

use crate::abis::Abis;

/// CPU time reported for a transaction: Civitas does not meter CPU per transaction, so a
/// plausible constant stands in where clients expect a number.
pub(crate) const NOMINAL_CPU_US: u64 = 100;

/// `net_usage_words` of a transaction of `bytes` bytes (8-byte words, rounded up).
pub(crate) fn net_words(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(8)
}

/// An action: `data` decoded by the contract's ABI where it can be, else the hex, plus
/// `hex_data` always.
pub(crate) fn action(a: &Action, abis: &Abis) -> Value {
    let hex = hex::encode(&a.data.0);
    let decoded = abis.get(a.account).and_then(|abi| {
        let ty = abi.action_type(a.name)?;
        abi.binary_to_json(ty, &a.data.0).ok()
    });
    json!({
        "account": a.account,
        "name": a.name,
        "authorization": a.authorization,
        "data": decoded.unwrap_or_else(|| Value::String(hex.clone())),
        "hex_data": hex,
    })
}

/// A decoded transaction.
pub(crate) fn transaction(t: &Transaction, abis: &Abis) -> Value {
    json!({
        "expiration": t.expiration,
        "ref_block_num": t.ref_block_num,
        "ref_block_prefix": t.ref_block_prefix,
        "max_net_usage_words": t.max_net_usage_words.0,
        "max_cpu_usage_ms": t.max_cpu_usage_ms,
        "delay_sec": t.delay_sec.0,
        "context_free_actions": t.context_free_actions.iter().map(|a| action(a, abis)).collect::<Vec<_>>(),
        "actions": t.actions.iter().map(|a| action(a, abis)).collect::<Vec<_>>(),
        "transaction_extensions": t.transaction_extensions,
    })
}

/// Every contract account a transaction's actions address.
pub(crate) fn contracts_of(t: &Transaction) -> impl Iterator<Item = Name> + '_ {
    t.context_free_actions.iter().chain(&t.actions).map(|a| a.account)
}

/// A transaction as `get_block` lists it: the receipt fields plus `trx` with the packed form
/// and the decoded transaction (when it decodes; a block only holds valid transactions, but
/// the API never panics on data).
pub(crate) fn block_transaction(p: &PackedTransaction, max_size: usize, abis: &Abis) -> Value {
    let unpacked = p.unpack_trx(max_size).ok();
    let (id, size, trx) = match &unpacked {
        Some((t, raw)) => (Value::String(sha256(raw).to_string()), raw.len(), transaction(t, abis)),
        None => (Value::Null, p.packed_trx.0.len(), Value::Null),
    };
    json!({
        "status": "executed",
        "cpu_usage_us": NOMINAL_CPU_US,
        "net_usage_words": net_words(size),
        "trx": {
            "id": id,
            "signatures": p.signatures,
            "compression": p.compression,
            "packed_context_free_data": p.packed_context_free_data,
            "context_free_data": [],
            "packed_trx": p.packed_trx,
            "transaction": trx,
        },
    })
}

/// The receipt of an executed transaction.
fn receipt(trace: &TransactionTrace, cpu_us: u64) -> Value {
    json!({"status": "executed", "cpu_usage_us": cpu_us, "net_usage_words": net_words(trace.net_bytes)})
}

/// `processed` of a push: the transaction trace in nodeos's layout (flat `action_traces`, each
/// with empty `inline_traces`, since native actions send no inline actions).
pub(crate) fn processed(trace: &TransactionTrace, elapsed_us: u64, abis: &Abis) -> Value {
    let cpu = elapsed_us.max(1);
    let id = trace.id.to_string();
    let block_time = trace.block_time.to_string();
    let action_traces: Vec<Value> = trace
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            json!({
                "action_ordinal": i + 1,
                "creator_action_ordinal": 0,
                "closest_unnotified_ancestor_action_ordinal": 0,
                "receipt": {
                    "receiver": a.account,
                    "act_digest": sha256(&a.packed()),
                    "global_sequence": 0,
                    "recv_sequence": 0,
                    "auth_sequence": a.authorization.iter().map(|l| json!([l.actor, 0])).collect::<Vec<_>>(),
                    "code_sequence": 0,
                    "abi_sequence": 0,
                },
                "receiver": a.account,
                "act": action(a, abis),
                "context_free": false,
                "elapsed": 0,
                "console": "",
                "trx_id": id,
                "block_num": trace.block_num,
                "block_time": block_time,
                "producer_block_id": null,
                "account_ram_deltas": [],
                "except": null,
                "error_code": null,
                "return_value_hex_data": "",
                "inline_traces": [],
            })
        })
        .collect();
    json!({
        "id": id,
        "block_num": trace.block_num,
        "block_time": block_time,
        "producer_block_id": null,
        "receipt": receipt(trace, cpu),
        "elapsed": cpu,
        "net_usage": net_words(trace.net_bytes) * 8,
        "scheduled": false,
        "action_traces": action_traces,
        "account_ram_delta": null,
        "except": null,
        "error_code": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_words_round_up() {
        assert_eq!(net_words(0), 0);
        assert_eq!(net_words(1), 1);
        assert_eq!(net_words(8), 1);
        assert_eq!(net_words(9), 2);
    }

    #[test]
    fn actions_without_an_abi_show_hex() {
        let a = Action {
            account: Name::constant("nobody"),
            name: Name::constant("x"),
            authorization: vec![],
            data: civitas_protocol::Bytes(vec![0xAB]),
        };
        let v = action(&a, &Abis::default());
        assert_eq!(v["data"], "ab");
        assert_eq!(v["hex_data"], "ab");
    }
}
