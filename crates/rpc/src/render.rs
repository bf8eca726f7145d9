//! nodeos-shaped JSON for actions, transactions, packed transactions and transaction traces.

use civitas_chain::resources::billing;
use civitas_chain::TransactionTrace;
use civitas_protocol::{sha256, Action, Checksum256, Name, Pack, PackedTransaction, PermissionLevel, Transaction};
use serde::Serialize;
use serde_json::{json, Value};

use crate::abis::Abis;

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
    let (id, trx, cpu) = match &unpacked {
        Some((t, raw)) => (
            Value::String(sha256(raw).to_string()),
            transaction(t, abis),
            // What the chain billed: the cost schedule is a function of the transaction.
            billing::cpu_usage_us(t, p.signatures.len(), raw.len().max(p.wire_size())),
        ),
        None => (Value::Null, Value::Null, 0),
    };
    json!({
        "status": "executed",
        "cpu_usage_us": cpu,
        // What the chain billed: every byte the transaction takes in the block.
        "net_usage_words": net_words(p.wire_size()),
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
#[derive(Serialize)]
struct Receipt {
    status: &'static str,
    cpu_usage_us: u64,
    net_usage_words: u64,
}

/// `null` in a rendered trace (a field nodeos fills and Civitas has nothing for).
type Null = Option<()>;

/// An always-empty JSON array.
type Empty = [(); 0];

/// `data` of a rendered action: decoded by the contract's ABI, else the hex.
#[derive(Serialize)]
#[serde(untagged)]
enum ActionData<'a> {
    Decoded(Value),
    Hex(&'a str),
}

/// An action of a trace, as [`action`] renders it (same fields, same order).
#[derive(Serialize)]
struct ActionJson<'a> {
    account: Name,
    name: Name,
    authorization: &'a [PermissionLevel],
    data: ActionData<'a>,
    hex_data: &'a str,
}

#[derive(Serialize)]
struct ActionReceipt {
    receiver: Name,
    act_digest: Checksum256,
    global_sequence: u64,
    recv_sequence: u64,
    auth_sequence: Vec<(Name, u64)>,
    code_sequence: u64,
    abi_sequence: u64,
}

#[derive(Serialize)]
struct ActionTrace<'a> {
    action_ordinal: usize,
    creator_action_ordinal: u64,
    closest_unnotified_ancestor_action_ordinal: u64,
    receipt: ActionReceipt,
    receiver: Name,
    act: ActionJson<'a>,
    context_free: bool,
    elapsed: u64,
    console: &'static str,
    trx_id: &'a str,
    block_num: u32,
    block_time: &'a str,
    producer_block_id: Null,
    account_ram_deltas: Empty,
    except: Null,
    error_code: Null,
    return_value_hex_data: &'static str,
    inline_traces: Empty,
}

/// `processed` of a successful push, serialized straight to JSON: a push of 1000 transfers
/// answers 1000 of these, and building them as `serde_json::Value` trees (an ordered map per
/// object) cost more node CPU than admitting the transfers. The field order and values are
/// exactly those of nodeos's layout (`processed_matches_the_value_rendering` checks it).
#[derive(Serialize)]
pub(crate) struct Processed<'a> {
    id: &'a str,
    block_num: u32,
    block_time: &'a str,
    producer_block_id: Null,
    receipt: Receipt,
    elapsed: u64,
    net_usage: u64,
    scheduled: bool,
    action_traces: Vec<ActionTrace<'a>>,
    account_ram_delta: Null,
    except: Null,
    error_code: Null,
}

/// Strings a [`Processed`] borrows: the id, the block time, and each action's data in hex.
pub(crate) struct TraceText {
    /// The transaction id in hex.
    pub id: String,
    block_time: String,
    hex: Vec<String>,
}

impl TraceText {
    /// Formats what `processed` shows as text.
    pub(crate) fn new(trace: &TransactionTrace) -> TraceText {
        TraceText {
            id: trace.id.to_string(),
            block_time: trace.block_time.to_string(),
            hex: trace.actions.iter().map(|a| hex::encode(&a.data.0)).collect(),
        }
    }
}

/// `processed` of a push: the transaction trace in nodeos's layout (flat `action_traces`, each
/// with empty `inline_traces`, since native actions send no inline actions).
pub(crate) fn processed<'a>(
    trace: &'a TransactionTrace,
    text: &'a TraceText,
    elapsed_us: u64,
    abis: &Abis,
) -> Processed<'a> {
    let cpu = elapsed_us.max(1);
    let action_traces = trace
        .actions
        .iter()
        .zip(&text.hex)
        .enumerate()
        .map(|(i, (a, hex))| {
            let decoded = abis.get(a.account).and_then(|abi| {
                let ty = abi.action_type(a.name)?;
                abi.binary_to_json(ty, &a.data.0).ok()
            });
            ActionTrace {
                action_ordinal: i + 1,
                creator_action_ordinal: 0,
                closest_unnotified_ancestor_action_ordinal: 0,
                receipt: ActionReceipt {
                    receiver: a.account,
                    act_digest: sha256(&a.packed()),
                    global_sequence: 0,
                    recv_sequence: 0,
                    auth_sequence: a.authorization.iter().map(|l| (l.actor, 0)).collect(),
                    code_sequence: 0,
                    abi_sequence: 0,
                },
                receiver: a.account,
                act: ActionJson {
                    account: a.account,
                    name: a.name,
                    authorization: &a.authorization,
                    data: decoded.map_or(ActionData::Hex(hex), ActionData::Decoded),
                    hex_data: hex,
                },
                context_free: false,
                elapsed: 0,
                console: "",
                trx_id: &text.id,
                block_num: trace.block_num,
                block_time: &text.block_time,
                producer_block_id: None,
                account_ram_deltas: [],
                except: None,
                error_code: None,
                return_value_hex_data: "",
                inline_traces: [],
            }
        })
        .collect();
    Processed {
        id: &text.id,
        block_num: trace.block_num,
        block_time: &text.block_time,
        producer_block_id: None,
        receipt: Receipt {
            status: "executed",
            cpu_usage_us: trace.cpu_usage_us,
            net_usage_words: net_words(trace.net_bytes),
        },
        elapsed: cpu,
        net_usage: net_words(trace.net_bytes) * 8,
        scheduled: false,
        action_traces,
        account_ram_delta: None,
        except: None,
        error_code: None,
    }
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

    /// `processed` as it was rendered before [`Processed`]: through `serde_json::Value`.
    fn processed_as_value(trace: &TransactionTrace, elapsed_us: u64, abis: &Abis) -> Value {
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
            "receipt": {
                "status": "executed",
                "cpu_usage_us": trace.cpu_usage_us,
                "net_usage_words": net_words(trace.net_bytes),
            },
            "elapsed": cpu,
            "net_usage": net_words(trace.net_bytes) * 8,
            "scheduled": false,
            "action_traces": action_traces,
            "account_ram_delta": null,
            "except": null,
            "error_code": null,
        })
    }

    #[test]
    fn processed_matches_the_value_rendering() {
        let alice = Name::constant("alice");
        let auth = |actor| PermissionLevel { actor, permission: Name::constant("active") };
        let mut transfer = vec![];
        alice.pack(&mut transfer);
        Name::constant("bob").pack(&mut transfer);
        "1.2500 CIV".parse::<civitas_protocol::Asset>().unwrap().pack(&mut transfer);
        "a \"quoted\" memo ✓".to_string().pack(&mut transfer);
        let token = civitas_chain::names::EOSIO_TOKEN;
        let actions = vec![
            Action {
                account: token,
                name: Name::constant("transfer"),
                authorization: vec![auth(alice), auth(Name::constant("carol"))],
                data: civitas_protocol::Bytes(transfer),
            },
            // Data the ABI cannot decode, and an action of a contract without an ABI: hex.
            Action {
                account: token,
                name: Name::constant("transfer"),
                authorization: vec![auth(alice)],
                data: civitas_protocol::Bytes(vec![1, 2, 3]),
            },
            Action {
                account: Name::constant("nobody"),
                name: Name::constant("x"),
                authorization: vec![],
                data: civitas_protocol::Bytes(vec![]),
            },
        ];
        let trace = TransactionTrace {
            id: sha256(b"trx"),
            block_num: 77,
            block_time: civitas_protocol::TimePoint::from_millis(1_700_000_000_500),
            producer: Name::constant("prod"),
            actions,
            net_bytes: 131,
            cpu_usage_us: 39,
        };
        let abis = Abis::native();
        for elapsed in [0, 5, 1234] {
            let text = TraceText::new(&trace);
            let typed = serde_json::to_string(&processed(&trace, &text, elapsed, &abis)).unwrap();
            let reference = serde_json::to_string(&processed_as_value(&trace, elapsed, &abis)).unwrap();
            assert_eq!(typed, reference);
        }
        let text = TraceText::new(&trace);
        let v = serde_json::to_value(processed(&trace, &text, 9, &abis)).unwrap();
        assert_eq!(v["action_traces"][0]["act"]["data"]["quantity"], "1.2500 CIV");
        assert_eq!(v["action_traces"][1]["act"]["data"], "010203");
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
