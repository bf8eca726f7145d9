//! `civitas get …`: reads. `--json` prints the node's answer as it is; the text forms below pick
//! the fields a person looks for.

use civitas_protocol::Name;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::format::{self, Align};
use crate::{args, Client, Ctx, NodeOpts, WalletError};

/// `civitas get …`
#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub node: NodeOpts,
    #[command(subcommand)]
    #[allow(missing_docs)]
    pub command: GetCommand,
}

/// The read subcommands.
#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// Chain id, head and last irreversible block.
    Info,
    /// An account: balance, stake, votes, permissions.
    Account {
        /// The account name.
        #[arg(value_parser = args::name)]
        name: Name,
    },
    /// Producer candidates ranked by votes.
    Producers {
        /// At most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Start from this producer (the `more` of a previous page).
        #[arg(long, value_parser = args::name)]
        lower: Option<Name>,
    },
    /// The current round's producer schedule.
    Schedule,
    /// A block by number or id.
    Block {
        /// Block number or 64-hex block id.
        #[arg(value_name = "NUM_OR_ID", value_parser = args::block_ref)]
        block: String,
    },
    /// Rows of a contract table.
    Table {
        /// The contract account.
        #[arg(value_parser = args::name)]
        contract: Name,
        /// The scope (an account name, a symbol code, or a number).
        scope: String,
        /// The table name.
        #[arg(value_parser = args::name)]
        table: Name,
        /// Lowest primary key (a name or a number).
        #[arg(long)]
        lower: Option<String>,
        /// Highest primary key (a name or a number).
        #[arg(long)]
        upper: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 10)]
        limit: u32,
        /// From the highest key down.
        #[arg(long)]
        reverse: bool,
    },
    /// Token balances and supply.
    Currency {
        #[command(subcommand)]
        #[allow(missing_docs)]
        what: CurrencyCommand,
    },
}

/// `civitas get currency …`
#[derive(Debug, Subcommand)]
pub enum CurrencyCommand {
    /// An account's balances in a token contract.
    Balance {
        /// The token contract (e.g. eosio.token).
        #[arg(value_parser = args::name)]
        contract: Name,
        /// The account.
        #[arg(value_parser = args::name)]
        account: Name,
        /// Only this symbol (CIV or 4,CIV).
        #[arg(value_parser = args::symbol)]
        symbol: Option<String>,
    },
    /// A token's supply, maximum supply and issuer.
    Stats {
        /// The token contract (e.g. eosio.token).
        #[arg(value_parser = args::name)]
        contract: Name,
        /// The symbol (CIV or 4,CIV).
        #[arg(value_parser = args::symbol)]
        symbol: String,
    },
}

pub(crate) fn run(a: GetArgs, ctx: &mut Ctx<'_>) -> Result<(), WalletError> {
    let client = Client::new(&a.node.url)?;
    let (answer, render): (Value, fn(&Value) -> String) = match a.command {
        GetCommand::Info => (client.chain("get_info", &json!({}))?, render_info),
        GetCommand::Account { name } => {
            (client.chain("get_account", &json!({"account_name": name.to_string()}))?, render_account)
        }
        GetCommand::Producers { limit, lower } => {
            let lower = lower.map(|n| n.to_string()).unwrap_or_default();
            (
                client.chain("get_producers", &json!({"json": true, "lower_bound": lower, "limit": limit}))?,
                render_producers,
            )
        }
        GetCommand::Schedule => (client.civitas("schedule")?, render_schedule),
        GetCommand::Block { block } => (client.chain("get_block", &json!({"block_num_or_id": block}))?, render_block),
        GetCommand::Table { contract, scope, table, lower, upper, limit, reverse } => {
            let body = json!({
                "json": true, "code": contract.to_string(), "scope": scope, "table": table.to_string(),
                "lower_bound": lower.unwrap_or_default(), "upper_bound": upper.unwrap_or_default(),
                "limit": limit, "reverse": reverse,
            });
            (client.chain("get_table_rows", &body)?, render_table)
        }
        GetCommand::Currency { what: CurrencyCommand::Balance { contract, account, symbol } } => {
            let body = json!({"code": contract.to_string(), "account": account.to_string(), "symbol": symbol});
            (client.chain("get_currency_balance", &body)?, render_balance)
        }
        GetCommand::Currency { what: CurrencyCommand::Stats { contract, symbol } } => {
            let body = json!({"code": contract.to_string(), "symbol": symbol});
            (client.chain("get_currency_stats", &body)?, render_stats)
        }
    };
    if a.node.json {
        ctx.print(&format::json(&answer))
    } else {
        ctx.print(&render(&answer))
    }
}

fn s(v: &Value) -> String {
    format::cell(v)
}

pub(crate) fn render_info(v: &Value) -> String {
    format::fields(&[
        ("chain id", s(&v["chain_id"])),
        ("head block", format!("{} {}", s(&v["head_block_num"]), s(&v["head_block_id"]))),
        ("head block time", s(&v["head_block_time"])),
        ("head producer", s(&v["head_block_producer"])),
        (
            "irreversible block",
            format!("{} {}", s(&v["last_irreversible_block_num"]), s(&v["last_irreversible_block_id"])),
        ),
        ("server version", s(&v["server_version_string"])),
    ])
}

fn asset_or_dash(v: &Value) -> String {
    v.as_str().map(str::to_owned).unwrap_or_else(|| "-".into())
}

pub(crate) fn render_account(v: &Value) -> String {
    let mut pairs = vec![
        ("account", s(&v["account_name"])),
        ("created", s(&v["created"])),
        ("privileged", s(&v["privileged"])),
        ("balance", asset_or_dash(&v["core_liquid_balance"])),
    ];
    // Resources as cleos shows them: RAM used of the quota, NET and CPU used of the allowance.
    let limited = |used: &Value, max: &Value, unit: &str| match (used.as_i64(), max.as_i64()) {
        (Some(u), Some(m)) if m >= 0 => format!("{u} of {m} {unit} used, {} {unit} available", (m - u).max(0)),
        _ => "unlimited".to_string(),
    };
    pairs.push(("ram", limited(&v["ram_usage"], &v["ram_quota"], "bytes")));
    pairs.push(("net", limited(&v["net_limit"]["used"], &v["net_limit"]["max"], "bytes")));
    pairs.push(("cpu", limited(&v["cpu_limit"]["used"], &v["cpu_limit"]["max"], "us")));
    let res = &v["total_resources"];
    if res.is_object() {
        pairs.push(("staked to it", format!("net {}, cpu {}", s(&res["net_weight"]), s(&res["cpu_weight"]))));
    }
    let own = &v["self_delegated_bandwidth"];
    if own.is_object() {
        pairs.push(("self-staked", format!("net {}, cpu {}", s(&own["net_weight"]), s(&own["cpu_weight"]))));
    }
    let refund = &v["refund_request"];
    if refund.is_object() {
        pairs.push((
            "refund pending",
            format!(
                "net {}, cpu {}, requested {}",
                s(&refund["net_amount"]),
                s(&refund["cpu_amount"]),
                s(&refund["request_time"])
            ),
        ));
    }
    let voter = &v["voter_info"];
    if voter.is_object() {
        let proxy = voter["proxy"].as_str().unwrap_or("");
        let prods: Vec<String> = voter["producers"].as_array().map(|a| a.iter().map(s).collect()).unwrap_or_default();
        let votes = if !proxy.is_empty() {
            format!("through proxy {proxy}")
        } else if prods.is_empty() {
            "none".into()
        } else {
            prods.join(", ")
        };
        pairs.push(("votes", votes));
        pairs.push(("vote stake", s(&voter["staked"])));
        if matches!(voter["is_proxy"], Value::Bool(true)) || voter["is_proxy"] == 1 {
            pairs.push(("proxy for others", format::weight(&voter["proxied_vote_weight"])));
        }
    }
    let mut out = format::fields(&pairs);
    out.push_str("permissions:\n");
    let perms = v["permissions"].as_array().cloned().unwrap_or_default();
    render_permissions(&perms, "", 1, &mut out);
    out
}

/// Permissions as a tree under their parents (owner → active → …).
fn render_permissions(perms: &[Value], parent: &str, depth: usize, out: &mut String) {
    if depth > 16 {
        return; // A cyclic or absurd answer must not recurse forever.
    }
    for p in perms.iter().filter(|p| p["parent"].as_str().unwrap_or("") == parent) {
        let name = p["perm_name"].as_str().unwrap_or("?");
        if name == parent {
            continue;
        }
        let auth = &p["required_auth"];
        let mut holders: Vec<String> = Vec::new();
        for k in auth["keys"].as_array().into_iter().flatten() {
            holders.push(format!("{} {}", s(&k["weight"]), s(&k["key"])));
        }
        for a in auth["accounts"].as_array().into_iter().flatten() {
            let level = &a["permission"];
            holders.push(format!("{} {}@{}", s(&a["weight"]), s(&level["actor"]), s(&level["permission"])));
        }
        for w in auth["waits"].as_array().into_iter().flatten() {
            holders.push(format!("{} wait {}s", s(&w["weight"]), s(&w["wait_sec"])));
        }
        out.push_str(&format!(
            "{}{name} (threshold {}): {}\n",
            "  ".repeat(depth),
            s(&auth["threshold"]),
            holders.join(", ")
        ));
        render_permissions(perms, name, depth + 1, out);
    }
}

pub(crate) fn render_producers(v: &Value) -> String {
    let total = &v["total_producer_vote_weight"];
    let rows: Vec<Vec<String>> = v["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| {
            let active = matches!(r["is_active"], Value::Bool(true)) || r["is_active"] == 1;
            vec![
                (i + 1).to_string(),
                s(&r["owner"]),
                format::weight(&r["total_votes"]),
                format::percent(&r["total_votes"], total),
                if active { "yes" } else { "no" }.into(),
                s(&r["producer_key"]),
                s(&r["url"]),
            ]
        })
        .collect();
    if rows.is_empty() {
        return "no producers\n".into();
    }
    let mut out = format::table(
        &[
            ("#", Align::Right),
            ("producer", Align::Left),
            ("votes", Align::Right),
            ("share", Align::Right),
            ("active", Align::Left),
            ("key", Align::Left),
            ("url", Align::Left),
        ],
        &rows,
    );
    out.push_str(&format!("total vote weight: {}\n", format::weight(total)));
    if let Some(more) = v["more"].as_str().filter(|m| !m.is_empty()) {
        out.push_str(&format!("more: --lower {more}\n"));
    }
    out
}

pub(crate) fn render_schedule(v: &Value) -> String {
    let mut out = format::fields(&[
        ("round", s(&v["round"])),
        ("slot", s(&v["slot"])),
        ("schedule version", s(&v["schedule_version"])),
        ("current producer", s(&v["current_producer"])),
        ("head block", format!("{} by {}", s(&v["head_block_num"]), s(&v["head_block_producer"]))),
        ("next round in", format!("{} s", s(&v["seconds_to_next_round"]))),
        ("elections active", s(&v["elections_active"])),
    ]);
    let rows: Vec<Vec<String>> = v["producers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let current = matches!(p["is_current"], Value::Bool(true));
            vec![
                s(&p["position"]),
                s(&p["producer_name"]),
                s(&p["block_signing_key"]),
                if current { "<- now" } else { "" }.into(),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&format::table(
        &[("#", Align::Right), ("producer", Align::Left), ("signing key", Align::Left), ("", Align::Left)],
        &rows,
    ));
    out
}

pub(crate) fn render_block(v: &Value) -> String {
    let txs: Vec<&Value> = v["transactions"].as_array().into_iter().flatten().collect();
    let mut out = format::fields(&[
        ("block", s(&v["block_num"])),
        ("id", s(&v["id"])),
        ("time", s(&v["timestamp"])),
        ("producer", s(&v["producer"])),
        ("previous", s(&v["previous"])),
        ("irreversible", s(&v["irreversible"])),
        ("transactions", txs.len().to_string()),
    ]);
    for t in txs {
        let trx = &t["trx"];
        let id = if trx.is_string() { s(trx) } else { s(&trx["id"]) };
        out.push_str(&format!("\ntransaction {id} ({})\n", s(&t["status"])));
        for a in trx["transaction"]["actions"].as_array().into_iter().flatten() {
            out.push_str(&format!("  {}\n", action_line(a)));
        }
    }
    out
}

/// `contract::action actor@perm {data}` for one action of a block or trace.
pub(crate) fn action_line(a: &Value) -> String {
    let auth: Vec<String> = a["authorization"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| format!("{}@{}", s(&l["actor"]), s(&l["permission"])))
        .collect();
    let data = match &a["data"] {
        Value::String(hex) => hex.clone(),
        other => other.to_string(),
    };
    format!("{}::{} {} {data}", s(&a["account"]), s(&a["name"]), auth.join(","))
}

pub(crate) fn render_table(v: &Value) -> String {
    let rows: Vec<&Value> = v["rows"].as_array().into_iter().flatten().collect();
    let mut out = if rows.is_empty() {
        "no rows\n".to_string()
    } else if rows.iter().all(|r| r.is_object()) {
        // Columns: the first row's fields in ABI order, then any others that appear.
        let mut columns: Vec<String> = Vec::new();
        for r in &rows {
            for k in r.as_object().into_iter().flat_map(|o| o.keys()) {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
        let headers: Vec<(&str, Align)> = columns.iter().map(|c| (c.as_str(), Align::Left)).collect();
        let cells: Vec<Vec<String>> =
            rows.iter().map(|r| columns.iter().map(|c| s(&r[c.as_str()])).collect()).collect();
        format::table(&headers, &cells)
    } else {
        rows.iter().map(|r| format!("{}\n", s(r))).collect()
    };
    if v["more"] == true {
        out.push_str(&format!("more: --lower {}\n", s(&v["next_key"])));
    }
    out
}

pub(crate) fn render_balance(v: &Value) -> String {
    match v.as_array() {
        Some(a) if a.is_empty() => "no balance\n".into(),
        Some(a) => a.iter().map(|b| format!("{}\n", s(b))).collect(),
        None => format!("{v}\n"),
    }
}

pub(crate) fn render_stats(v: &Value) -> String {
    let Some(map) = v.as_object().filter(|m| !m.is_empty()) else {
        return "no such token\n".into();
    };
    let rows: Vec<Vec<String>> = map
        .iter()
        .map(|(sym, st)| vec![sym.clone(), s(&st["supply"]), s(&st["max_supply"]), s(&st["issuer"])])
        .collect();
    format::table(
        &[("symbol", Align::Left), ("supply", Align::Right), ("max supply", Align::Right), ("issuer", Align::Left)],
        &rows,
    )
}

#[cfg(test)]
#[path = "get_tests.rs"]
mod tests;
