//! Contract tables: `get_table_rows` (client-surface.md §2.4), `get_table_by_scope`,
//! `get_currency_balance` and `get_currency_stats` (§2.3, §2.10).

use std::sync::Arc;

use civitas_chain::contracts::token::{self, CurrencyStats};
use civitas_chain::records;
use civitas_chain::state::RowKey;
use civitas_protocol::{Asset, Name, Reader, SymbolCode, Unpack};
use serde_json::{json, Map, Value};

use crate::abis::RawAbis;
use crate::error::{ApiError, ApiResult};
use crate::json::{parse_symbol_code, Params};
use crate::server::{Reply, Shared};
use crate::table_index::{self, Index};

/// Default page size of `get_table_rows` and `get_table_by_scope` (nodeos's).
const DEFAULT_LIMIT: u64 = 10;

/// Most rows `get_table_by_scope` walks in one request.
const MAX_SCOPE_SCAN: usize = 100_000;

/// A scope as nodeos's `convert_to_type<uint64_t>` reads it: a decimal `u64`, else a name, else
/// a symbol (`4,CIV`) or symbol code (`CIV`), both meaning the code's raw value (the scope the
/// token contract's `stat` table uses).
fn parse_scope(s: &str) -> ApiResult<u64> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().map_err(|_| ApiError::invalid(format!("field \"scope\": {t} does not fit in 64 bits")));
    }
    if let Ok(n) = t.parse::<Name>() {
        return Ok(n.value());
    }
    let code = t.split_once(',').map_or(t, |(_, c)| c);
    code.parse::<SymbolCode>().map(SymbolCode::raw).map_err(|_| {
        ApiError::invalid(format!(
            "field \"scope\": could not convert {t:?} to any of: uint64, valid name, or valid symbol (with or without the precision)"
        ))
    })
}

/// A primary-key bound: `""` or absent is unbounded; names are accepted as text or as their
/// decimal `u64`, plain keys as decimal (or as a name or symbol code, like nodeos).
fn parse_bound(p: &Params, key: &str, key_type: &str) -> ApiResult<Option<u64>> {
    let Some(text) = p.string(key)?.filter(|b| !b.is_empty()) else { return Ok(None) };
    let bad = |e: String| ApiError::table_query(format!("field \"{key}\": {e}"));
    match key_type {
        "name" => Name::parse_name_or_u64(&text).map(|n| Some(n.value())).map_err(|e| bad(e.to_string())),
        "" | "i64" | "uint64" | "int64" => parse_scope(&text).map(Some).map_err(|_| {
            bad(format!("could not convert {text:?} to a uint64 key (a decimal number, a name or a symbol code)"))
        }),
        other => Err(ApiError::table_query(format!(
            "key_type {other:?} is not supported by the primary index, keyed by uint64 (key_type \"i64\" or \"name\")"
        ))),
    }
}

/// How a `get_table_rows` request reads its table.
enum Read<'a> {
    /// Primary keys in `[lower, upper]`.
    Primary { lower: u64, upper: u64 },
    /// Through a secondary index.
    Secondary(table_index::SecondaryQuery<'a>),
}

/// `get_table_rows`: by primary key, or through a secondary index ([`table_index`]).
pub(crate) async fn get_table_rows(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let code = p.req_name("code")?;
    let table = p.req_name("table")?;
    let scope = match p.string("scope")?.filter(|x| !x.is_empty()) {
        Some(sc) => parse_scope(&sc)?,
        None => code.value(),
    };
    let as_json = p.bool("json")?.unwrap_or(false);
    let index = table_index::parse_index(&p)?;
    let key_type = p.string("key_type")?.unwrap_or_default().trim().to_ascii_lowercase();
    let limit = p.u64("limit")?.unwrap_or(DEFAULT_LIMIT).min(s.state.config.max_table_rows as u64) as usize;
    let reverse = p.bool("reverse")?.unwrap_or(false);
    let show_payer = p.bool("show_payer")?.unwrap_or(false);
    let read = match index {
        Index::Primary => Read::Primary {
            lower: parse_bound(&p, "lower_bound", &key_type)?.unwrap_or(0),
            upper: parse_bound(&p, "upper_bound", &key_type)?.unwrap_or(u64::MAX),
        },
        Index::Secondary(n) => Read::Secondary(table_index::SecondaryQuery {
            code,
            scope,
            table,
            index: n,
            key_type: &key_type,
            lower: p.string("lower_bound")?,
            upper: p.string("upper_bound")?,
            limit,
            reverse,
        }),
    };

    let (rows, next_key, raw) = s.read(|c| {
        if !records::account_exists(c.chain().kv(), code) {
            return Err(ApiError::account_not_found(code));
        }
        let (rows, next_key) = match &read {
            Read::Primary { lower, upper } => {
                let page = c.chain().table_rows(code, scope, table, *lower, *upper, limit, reverse);
                let rows: Vec<(u64, Vec<u8>)> = page.rows.iter().map(|(pk, b)| (*pk, b.to_vec())).collect();
                (rows, page.next_key.map(|k| k.to_string()))
            }
            Read::Secondary(q) => {
                let page = table_index::secondary_rows(c.chain(), q)?;
                (page.rows, page.next_key)
            }
        };
        Ok((rows, next_key, RawAbis::collect(c.chain(), [code])))
    })?;
    let abis = raw.resolve(&s.abis);
    let abi = abis.get(code).ok_or_else(|| {
        ApiError::table_query(format!("Table {table} is not specified in the ABI: {code} has no ABI"))
    })?;
    let ty = abi
        .table_type(table)
        .ok_or_else(|| ApiError::table_query(format!("Table {table} is not specified in the ABI of {code}")))?;
    let mut out = Vec::with_capacity(rows.len());
    for (pk, bytes) in &rows {
        let data = if as_json {
            abi.binary_to_json(ty, bytes)
                .map_err(|e| ApiError::table_query(format!("row {pk} of table {table} does not decode as {ty}: {e}")))?
        } else {
            Value::String(hex::encode(bytes))
        };
        out.push(if show_payer { json!({"data": data, "payer": code}) } else { data });
    }
    Reply::ok(json!({
        "rows": out,
        "more": next_key.is_some(),
        "next_key": next_key.unwrap_or_default(),
    }))
}

/// `get_table_by_scope` `{code, table?, lower_bound?, upper_bound?, limit?}`: the scopes of a
/// contract's tables that hold rows, with row counts.
pub(crate) async fn get_table_by_scope(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let code = p.req_name("code")?;
    let table = p.name("table")?.filter(|t| !t.is_empty());
    let lower = match p.string("lower_bound")?.filter(|b| !b.is_empty()) {
        Some(b) => parse_scope(&b)?,
        None => 0,
    };
    let upper = match p.string("upper_bound")?.filter(|b| !b.is_empty()) {
        Some(b) => parse_scope(&b)?,
        None => u64::MAX,
    };
    let limit = p.u64("limit")?.unwrap_or(DEFAULT_LIMIT).min(s.state.config.max_table_rows as u64) as usize;
    let (groups, more) = s.read(|c| {
        let kv = c.chain().kv();
        if !records::account_exists(kv, code) {
            return Err(ApiError::account_not_found(code));
        }
        let mut groups: Vec<(u64, u64, u64)> = Vec::new();
        let mut more = None;
        let mut prev_scope = None;
        if lower <= upper {
            let lo = RowKey::contract(code.value(), lower, 0, 0);
            let hi = RowKey::contract(code.value(), upper, u64::MAX, u64::MAX);
            for (scanned, (k, _)) in kv.range(lo, hi).enumerate() {
                // The scan holds the core's read lock: after a bounded number of rows, stop where
                // the next scope begins (so every page progresses) and let the client continue
                // from there.
                let boundary = prev_scope != Some(k.scope);
                prev_scope = Some(k.scope);
                if scanned >= MAX_SCOPE_SCAN && boundary {
                    more = Some(k.scope);
                    break;
                }
                if table.is_some_and(|t| t.value() != k.table) {
                    continue;
                }
                let full = groups.len() == limit;
                match groups.last_mut() {
                    Some(g) if g.0 == k.scope && g.1 == k.table => g.2 += 1,
                    _ if full => {
                        more = Some(k.scope);
                        break;
                    }
                    _ => groups.push((k.scope, k.table, 1)),
                }
            }
        }
        Ok((groups, more))
    })?;
    let rows: Vec<Value> = groups
        .iter()
        .map(|(scope, t, count)| json!({"code": code, "scope": Name(*scope), "table": Name(*t), "payer": code, "count": count}))
        .collect();
    Reply::ok(json!({"rows": rows, "more": more.map(|m| Name(m).to_string()).unwrap_or_default()}))
}

/// `get_currency_balance` `{code, account, symbol?}`: a bare array of asset strings (every
/// balance the account holds in that contract when `symbol` is absent or null).
pub(crate) async fn get_currency_balance(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let code = p.req_name("code")?;
    let account = p.req_name("account")?;
    let symbol = match p.string("symbol")?.filter(|x| !x.is_empty()) {
        Some(sym) => Some(parse_symbol_code("symbol", &sym)?),
        None => None,
    };
    let balances = s.read(|c| {
        let kv = c.chain().kv();
        if !records::account_exists(kv, code) {
            return Err(ApiError::account_not_found(code));
        }
        let (scope, t) = (account.value(), token::ACCOUNTS.value());
        let rows =
            kv.range(RowKey::contract(code.value(), scope, t, 0), RowKey::contract(code.value(), scope, t, u64::MAX));
        // A balance row starts with the asset (`account {balance asset}`).
        Ok(rows.filter_map(|(_, b)| Asset::unpack(&mut Reader::new(b)).ok()).collect::<Vec<Asset>>())
    })?;
    let out: Vec<Value> =
        balances.iter().filter(|a| symbol.is_none_or(|sc| a.symbol().code() == sc)).map(|a| json!(a)).collect();
    Reply::ok(Value::Array(out))
}

/// `get_currency_stats` `{code, symbol}` → `{"CIV": {supply, max_supply, issuer}}` (`{}` for an
/// unknown token).
pub(crate) async fn get_currency_stats(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let code = p.req_name("code")?;
    let sym_text = p.string("symbol")?.ok_or_else(|| ApiError::invalid("missing field \"symbol\""))?;
    let sc = parse_symbol_code("symbol", &sym_text)?;
    let stats = s.read(|c| {
        let kv = c.chain().kv();
        if !records::account_exists(kv, code) {
            return Err(ApiError::account_not_found(code));
        }
        let key = RowKey::contract(code.value(), sc.raw(), token::STAT.value(), sc.raw());
        Ok(kv.get(&key).and_then(|b| CurrencyStats::unpack(&mut Reader::new(b)).ok()))
    })?;
    let mut out = Map::new();
    if let Some(st) = stats {
        out.insert(sc.to_string(), json!({"supply": st.supply, "max_supply": st.max_supply, "issuer": st.issuer}));
    }
    Reply::ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_nodeos_conversion_order() {
        assert_eq!(parse_scope("alice").unwrap(), Name::constant("alice").value());
        assert_eq!(parse_scope("42").unwrap(), 42);
        let civ: SymbolCode = "CIV".parse().unwrap();
        assert_eq!(parse_scope("CIV").unwrap(), civ.raw());
        assert_eq!(parse_scope("4,CIV").unwrap(), civ.raw());
        assert!(parse_scope("not a scope!").is_err());
        assert!(parse_scope("99999999999999999999999").is_err());
    }

    #[test]
    fn bounds_accept_names_decimals_and_empty() {
        let alice = Name::constant("alice").value();
        let p = Params::new(json!({"a": "alice", "b": alice.to_string(), "c": "", "d": 7})).unwrap();
        assert_eq!(parse_bound(&p, "a", "name").unwrap(), Some(alice));
        assert_eq!(parse_bound(&p, "b", "name").unwrap(), Some(alice));
        assert_eq!(parse_bound(&p, "a", "").unwrap(), Some(alice));
        assert_eq!(parse_bound(&p, "b", "i64").unwrap(), Some(alice));
        assert_eq!(parse_bound(&p, "c", "name").unwrap(), None);
        assert_eq!(parse_bound(&p, "missing", "name").unwrap(), None);
        assert_eq!(parse_bound(&p, "d", "i64").unwrap(), Some(7));
        assert!(parse_bound(&p, "a", "sha256").is_err());
    }
}
