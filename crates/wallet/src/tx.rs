//! Building, signing and pushing transactions; `civitas transfer` and `civitas push action`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use civitas_abi::{Abi, AbiDef};
use civitas_protocol::{Action, Asset, Bytes, Checksum256, Name, PermissionLevel, PrivateKey, PublicKey, TimePoint};
use civitas_protocol::{TimePointSec, Transaction};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::{args, format, get, keys, Client, Ctx, NodeOpts, WalletError, WalletOpts};

/// How long to wait for a pushed transaction to appear in a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Options of every command that sends a transaction.
#[derive(Debug, Clone, Args)]
pub struct TxOpts {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub node: NodeOpts,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub wallet: WalletOpts,
    /// The transaction expires this many seconds after the head block's time.
    #[arg(long, global = true, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub expire_secs: u32,
    /// Sign the transaction and print it instead of pushing it.
    #[arg(long, global = true)]
    pub dont_broadcast: bool,
    /// Return as soon as the node accepts the transaction, without waiting for its block.
    #[arg(long, global = true)]
    pub no_wait: bool,
}

/// `civitas transfer FROM TO QUANTITY [MEMO]`
#[derive(Debug, Args)]
pub struct TransferArgs {
    /// The sender.
    #[arg(value_parser = args::name)]
    pub from: Name,
    /// The recipient.
    #[arg(value_parser = args::name)]
    pub to: Name,
    /// The amount, with the token's precision and symbol (e.g. "1.0000 CIV").
    #[arg(value_parser = args::quantity)]
    pub quantity: Asset,
    /// A memo (at most 256 bytes).
    #[arg(default_value = "")]
    pub memo: String,
    /// The token contract.
    #[arg(long, default_value = "eosio.token", value_parser = args::name)]
    pub contract: Name,
    /// Authorize as ACTOR@PERMISSION [default: FROM@active]; may be repeated.
    #[arg(short = 'p', long = "permission", value_name = "ACTOR@PERM", value_parser = args::permission)]
    pub permission: Vec<PermissionLevel>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tx: TxOpts,
}

/// `civitas push …`
#[derive(Debug, Args)]
pub struct PushArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tx: TxOpts,
    #[command(subcommand)]
    #[allow(missing_docs)]
    pub command: PushCommand,
}

/// The push subcommands.
#[derive(Debug, Subcommand)]
pub enum PushCommand {
    /// Push one action with JSON arguments, encoded with the contract's ABI.
    Action {
        /// The contract account.
        #[arg(value_parser = args::name)]
        contract: Name,
        /// The action name.
        #[arg(value_parser = args::name)]
        action: Name,
        /// The arguments as a JSON object, e.g. '{"owner":"alice"}'; "-" reads them from stdin.
        #[arg(value_name = "JSON")]
        data: String,
        /// Authorize as ACTOR@PERMISSION (required; may be repeated).
        #[arg(short = 'p', long = "permission", value_name = "ACTOR@PERM", required = true, value_parser = args::permission)]
        permission: Vec<PermissionLevel>,
    },
}

/// One action to send: its arguments as JSON, encoded later with the contract's ABI.
#[derive(Debug, Clone)]
pub(crate) struct ActionSpec {
    pub(crate) account: Name,
    pub(crate) name: Name,
    pub(crate) authorization: Vec<PermissionLevel>,
    pub(crate) data: Value,
    /// The argument to blame when the data does not encode.
    pub(crate) data_field: &'static str,
}

/// The authorization: the `-p` levels given, else `actor@active`.
pub(crate) fn auth_or(given: &[PermissionLevel], actor: Name) -> Vec<PermissionLevel> {
    if given.is_empty() {
        vec![PermissionLevel::new(actor, Name::constant("active"))]
    } else {
        given.to_vec()
    }
}

pub(crate) fn transfer(a: TransferArgs, ctx: &mut Ctx<'_>) -> Result<(), WalletError> {
    if a.memo.len() > 256 {
        return Err(WalletError::arg("MEMO", format!("{} bytes; at most 256", a.memo.len())));
    }
    let spec = ActionSpec {
        account: a.contract,
        name: Name::constant("transfer"),
        authorization: auth_or(&a.permission, a.from),
        data: json!({"from": a.from.to_string(), "to": a.to.to_string(), "quantity": a.quantity.to_string(),
                     "memo": a.memo}),
        data_field: "QUANTITY",
    };
    execute(ctx, &a.tx, vec![spec])
}

pub(crate) fn push(a: PushArgs, ctx: &mut Ctx<'_>) -> Result<(), WalletError> {
    let PushCommand::Action { contract, action, data, permission } = a.command;
    let text = if data == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::Read::take(&mut ctx.input, 4 << 20), &mut s)
            .map_err(|source| WalletError::Io { what: "reading JSON from standard input".into(), source })?;
        s
    } else {
        data
    };
    let data: Value = serde_json::from_str(&text).map_err(|e| WalletError::arg("JSON", format!("not JSON: {e}")))?;
    if !data.is_object() && !data.is_array() {
        return Err(WalletError::arg("JSON", "expected the action's arguments as a JSON object"));
    }
    let spec = ActionSpec { account: contract, name: action, authorization: permission, data, data_field: "JSON" };
    execute(ctx, &a.tx, vec![spec])
}

fn field<T: std::str::FromStr>(info: &Value, name: &str) -> Result<T, WalletError>
where
    T::Err: std::fmt::Display,
{
    let text = info[name].as_str().ok_or_else(|| WalletError::bad_answer("get_info", format!("no {name}")))?;
    text.parse().map_err(|e| WalletError::bad_answer("get_info", format!("{name}: {e}")))
}

/// Fetches and checks a contract's ABI.
fn fetch_abi(client: &Client, account: Name) -> Result<Abi, WalletError> {
    let answer = client.chain("get_abi", &json!({"account_name": account.to_string()}))?;
    let def = answer.get("abi").filter(|a| a.is_object()).ok_or_else(|| {
        WalletError::arg("CONTRACT", format!("account {account} has no ABI (no contract is deployed there)"))
    })?;
    let def: AbiDef = serde_json::from_value(def.clone())
        .map_err(|e| WalletError::bad_answer("get_abi", format!("ABI of {account}: {e}")))?;
    Abi::new(def).map_err(|e| WalletError::bad_answer("get_abi", format!("ABI of {account}: {e}")))
}

/// Encodes each action's JSON arguments with its contract's ABI.
fn encode(client: &Client, specs: &[ActionSpec]) -> Result<Vec<Action>, WalletError> {
    let mut abis: BTreeMap<Name, Abi> = BTreeMap::new();
    let mut actions = Vec::with_capacity(specs.len());
    for spec in specs {
        let abi = match abis.entry(spec.account) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(fetch_abi(client, spec.account)?),
        };
        let ty = abi.action_type(spec.name).ok_or_else(|| {
            let known: Vec<String> = abi.def().actions.iter().map(|a| a.name.to_string()).collect();
            WalletError::arg(
                "ACTION",
                format!("contract {} has no action {} (it has: {})", spec.account, spec.name, known.join(", ")),
            )
        })?;
        let data = abi.json_to_binary(ty, &spec.data).map_err(|e| WalletError::arg(spec.data_field, e.to_string()))?;
        actions.push(Action {
            account: spec.account,
            name: spec.name,
            authorization: spec.authorization.clone(),
            data: Bytes(data),
        });
    }
    Ok(actions)
}

/// Builds, signs and pushes a transaction of `specs`, then reports it.
pub(crate) fn execute(ctx: &mut Ctx<'_>, opts: &TxOpts, specs: Vec<ActionSpec>) -> Result<(), WalletError> {
    let client = Client::new(&opts.node.url)?;
    let available = keys::public_keys(&opts.wallet, ctx)?;
    if available.is_empty() {
        return Err(WalletError::Other("the wallet holds no keys (add one with `civitas key import`)".into()));
    }
    let info = client.chain("get_info", &json!({}))?;
    let chain_id: Checksum256 = field(&info, "chain_id")?;
    let lib_id: Checksum256 = field(&info, "last_irreversible_block_id")?;
    let head_time: TimePoint = field(&info, "head_block_time")?;
    let expiration = u32::try_from(head_time.secs() + i64::from(opts.expire_secs))
        .map_err(|_| WalletError::bad_answer("get_info", "head_block_time out of range"))?;
    let actions = encode(&client, &specs)?;
    let tx = Transaction::new(TimePointSec(expiration), &lib_id, actions);
    let tx_json = serde_json::to_value(&tx).map_err(|e| WalletError::Other(format!("transaction to JSON: {e}")))?;

    let required = required_keys(&client, &tx_json, &available, &specs)?;
    let signers: Vec<PrivateKey> = if required.is_empty() {
        Vec::new()
    } else {
        let ks = keys::unlock(&opts.wallet, ctx)?;
        required
            .iter()
            .map(|k| {
                ks.get(k).cloned().ok_or_else(|| {
                    WalletError::Other(format!("the node asked for key {k}, which the wallet does not hold"))
                })
            })
            .collect::<Result<_, _>>()?
    };
    let signer_refs: Vec<&PrivateKey> = signers.iter().collect();
    let packed = tx.sign(&chain_id, &signer_refs);
    let id = tx.id();
    let body = json!({
        "signatures": packed.signatures.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "compression": 0,
        "packed_context_free_data": "",
        "packed_trx": hex::encode(&packed.packed_trx.0),
    });
    if opts.dont_broadcast {
        let mut out = body;
        out["transaction_id"] = json!(id.to_string());
        out["transaction"] = tx_json;
        return ctx.print(&format::json(&out));
    }
    let answer = client.chain("push_transaction", &body)?;
    let processed = answer.get("processed").cloned().unwrap_or(Value::Null);
    if let Some(except) = processed.get("except").filter(|e| !e.is_null()) {
        let message = except["message"].as_str().map(str::to_owned).unwrap_or_else(|| except.to_string());
        return Err(WalletError::Other(format!("push_transaction: {message}")));
    }
    let tx_id = answer["transaction_id"].as_str().map(str::to_owned).unwrap_or_else(|| id.to_string());
    let mut status = Inclusion { state: "ACCEPTED".into(), block_num: None, block_id: None };
    if !opts.no_wait {
        status = wait_for_block(&client, &tx_id);
    }
    report(ctx, opts.node.json, &tx_id, &status, &processed, &tx_json)
}

/// The keys among the wallet's that the node says are needed. An unsatisfiable authority gets a
/// message that says which authorization the wallet cannot sign for.
fn required_keys(
    client: &Client,
    tx_json: &Value,
    available: &[PublicKey],
    specs: &[ActionSpec],
) -> Result<Vec<PublicKey>, WalletError> {
    let keys: Vec<String> = available.iter().map(|k| k.to_string()).collect();
    let body = json!({"transaction": tx_json, "available_keys": keys});
    let answer = match client.chain("get_required_keys", &body) {
        Ok(a) => a,
        Err(WalletError::Node(e)) if e.code == 3090003 => {
            let message = &e.message;
            let mut auths: Vec<String> =
                specs.iter().flat_map(|s| s.authorization.iter().map(|l| l.to_string())).collect();
            auths.dedup();
            return Err(WalletError::Other(format!(
                "the wallet holds no key that can sign for {} ({message})",
                auths.join(", ")
            )));
        }
        Err(e) => return Err(e),
    };
    let list = answer["required_keys"]
        .as_array()
        .ok_or_else(|| WalletError::bad_answer("get_required_keys", "no required_keys list"))?;
    list.iter()
        .map(|k| {
            k.as_str()
                .and_then(|t| t.parse::<PublicKey>().ok())
                .ok_or_else(|| WalletError::bad_answer("get_required_keys", format!("not a public key: {k}")))
        })
        .collect()
}

/// Where a pushed transaction stands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Inclusion {
    pub(crate) state: String,
    pub(crate) block_num: Option<u64>,
    pub(crate) block_id: Option<String>,
}

/// Polls `get_transaction_status` until the transaction is in a block (or irreversible), the
/// node stops knowing it, or the timeout passes. Never fails: the push already succeeded.
fn wait_for_block(client: &Client, id: &str) -> Inclusion {
    let deadline = Instant::now() + INCLUSION_TIMEOUT;
    let mut last = Inclusion { state: "ACCEPTED".into(), block_num: None, block_id: None };
    loop {
        match client.chain("get_transaction_status", &json!({"id": id})) {
            Ok(v) => {
                last.state = v["state"].as_str().unwrap_or("UNKNOWN").to_string();
                if matches!(last.state.as_str(), "IN_BLOCK" | "IRREVERSIBLE") {
                    last.block_num = v["block_number"].as_u64();
                    last.block_id = v["block_id"].as_str().map(str::to_owned);
                    return last;
                }
            }
            // A node without the endpoint: report the push as accepted.
            Err(_) => return last,
        }
        if Instant::now() >= deadline {
            return last;
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

fn report(
    ctx: &mut Ctx<'_>,
    as_json: bool,
    id: &str,
    status: &Inclusion,
    processed: &Value,
    tx_json: &Value,
) -> Result<(), WalletError> {
    if as_json {
        let v = json!({
            "transaction_id": id,
            "status": status.state,
            "block_num": status.block_num,
            "block_id": status.block_id,
            "processed": processed,
        });
        return ctx.print(&format::json(&v));
    }
    ctx.print(&render_report(id, status, processed, tx_json))
}

/// The text report of a pushed transaction: id, block, and one line per action.
pub(crate) fn render_report(id: &str, status: &Inclusion, processed: &Value, tx_json: &Value) -> String {
    let mut out = format!("transaction {id}\n");
    match (status.state.as_str(), status.block_num) {
        ("IN_BLOCK" | "IRREVERSIBLE", Some(n)) => {
            let irr = if status.state == "IRREVERSIBLE" { " (irreversible)" } else { "" };
            out.push_str(&format!("in block {n}{irr}\n"));
        }
        _ => {
            let expected =
                processed["block_num"].as_u64().map(|n| format!("; expected in block {n}")).unwrap_or_default();
            out.push_str(&format!("accepted by the node, not yet in a block (status {}){expected}\n", status.state));
        }
    }
    // Decoded actions from the trace when the node gives them, else the hex we sent.
    let traced: Vec<&Value> = processed["action_traces"].as_array().into_iter().flatten().map(|t| &t["act"]).collect();
    let actions: Vec<&Value> =
        if traced.is_empty() { tx_json["actions"].as_array().into_iter().flatten().collect() } else { traced };
    for a in actions {
        out.push_str(&format!("  {}\n", get::action_line(a)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_name_the_block() {
        let st = Inclusion { state: "IN_BLOCK".into(), block_num: Some(42), block_id: None };
        let processed = json!({"block_num": 41, "action_traces": [{"act": {"account": "eosio.token", "name": "transfer",
            "authorization": [{"actor": "alice", "permission": "active"}],
            "data": {"from": "alice", "to": "bob", "quantity": "1.0000 CIV", "memo": ""}}}]});
        let text = render_report("ab12", &st, &processed, &json!({}));
        assert_eq!(
            text,
            "transaction ab12\nin block 42\n  eosio.token::transfer alice@active \
             {\"from\":\"alice\",\"to\":\"bob\",\"quantity\":\"1.0000 CIV\",\"memo\":\"\"}\n"
        );
    }

    #[test]
    fn reports_pending_transactions() {
        let st = Inclusion { state: "LOCALLY_APPLIED".into(), block_num: None, block_id: None };
        let tx = json!({"actions": [{"account": "eosio", "name": "refund",
            "authorization": [{"actor": "bob", "permission": "active"}], "data": "0000000000000e3d"}]});
        let text = render_report("cd", &st, &json!({"block_num": 7}), &tx);
        assert_eq!(
            text,
            "transaction cd\naccepted by the node, not yet in a block (status LOCALLY_APPLIED); expected in block 7\n  \
             eosio::refund bob@active 0000000000000e3d\n"
        );
    }

    #[test]
    fn default_authorization_is_active() {
        let alice: Name = "alice".parse().unwrap();
        assert_eq!(auth_or(&[], alice), vec![PermissionLevel::new(alice, "active".parse().unwrap())]);
        let given = vec![PermissionLevel::new(alice, "owner".parse().unwrap())];
        assert_eq!(auth_or(&given, alice), given);
    }
}
