//! `get_table_rows` by index: which index a request names (`index_position`), and the one
//! secondary index Civitas's tables have in eosio.system: `producers` by `prototalvote`.
//!
//! The reference `eosio.system` declares `producers` with
//! `indexed_by<"prototalvote"_n, const_mem_fun<producer_info, double, &producer_info::by_votes>>`
//! where `by_votes()` is `is_active ? -total_votes : total_votes`: ascending order lists the
//! active producers from the most voted down, then the inactive ones from the least voted up.
//! Civitas does not store secondary indexes; the key is computed from the rows on each request
//! (the table holds the registered candidates, not a growing set). No other table of
//! `eosio.system` or `eosio.token` that exists in Civitas has a secondary index (`voters`,
//! `delband`, `userres`, `refunds`, `accounts` and `stat` have only their primary key).

use std::cmp::Ordering;

use civitas_chain::contracts::system::tables::{self, ProducerInfo};
use civitas_chain::names::EOSIO;
use civitas_chain::Chain;
use civitas_protocol::{Name, Unpack};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::json::{double_string, Params};

/// The index a request reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Index {
    /// By primary key.
    Primary,
    /// Secondary index `n` (0 is the first secondary index, `index_position` 2).
    Secondary(u64),
}

/// `index_position` as nodeos's `get_table_index_name` reads it: empty, `first`, `primary` or
/// `one` is the primary index; words are matched by their first letters (`sec…`/`two`,
/// `ter…`/`th…`, `fou…`, `fi…`, `six…`, `sev…`, `eig…`, `nin…`, `ten…`); a number below 2
/// is the primary index and `n` ≥ 2 the secondary index `n − 2`.
pub(crate) fn parse_index(p: &Params) -> ApiResult<Index> {
    let Some(v) = p.get("index_position") else { return Ok(Index::Primary) };
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(ApiError::table_query(format!("Invalid index_position: {other}")));
        }
    };
    const WORDS: [(&[&str], u64); 9] = [
        (&["sec", "two"], 0),
        (&["ter", "th"], 1),
        (&["fou"], 2),
        (&["fi"], 3),
        (&["six"], 4),
        (&["sev"], 5),
        (&["eig"], 6),
        (&["nin"], 7),
        (&["ten"], 8),
    ];
    if text.is_empty() || ["first", "primary", "one"].contains(&text.as_str()) {
        return Ok(Index::Primary);
    }
    if let Some((_, pos)) = WORDS.iter().find(|(prefixes, _)| prefixes.iter().any(|w| text.starts_with(w))) {
        return Ok(Index::Secondary(*pos));
    }
    match crate::json::to_u64(&Value::String(text.clone())) {
        Some(0 | 1) => Ok(Index::Primary),
        Some(n) => Ok(Index::Secondary(n - 2)),
        None => Err(ApiError::table_query(format!("Invalid index_position: {text}"))),
    }
}

/// A page of rows read through a secondary index.
pub(crate) struct SecondaryPage {
    /// `(primary key, row bytes)` in index order.
    pub rows: Vec<(u64, Vec<u8>)>,
    /// The secondary key of the next row, as nodeos prints it, if there is one.
    pub next_key: Option<String>,
}

/// The bounds and paging of a secondary-index read.
pub(crate) struct SecondaryQuery<'a> {
    pub code: Name,
    pub scope: u64,
    pub table: Name,
    pub index: u64,
    pub key_type: &'a str,
    pub lower: Option<String>,
    pub upper: Option<String>,
    pub limit: usize,
    pub reverse: bool,
}

/// The `prototalvote` key of a producer (`producer_info::by_votes`).
fn by_votes(p: &ProducerInfo) -> f64 {
    if p.is_active {
        -p.total_votes
    } else {
        p.total_votes
    }
}

/// A `float64` bound as nodeos converts one (`fc::variant(str).as<double>()`, NaN refused).
fn float_bound(which: &str, text: &str) -> ApiResult<f64> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| ApiError::table_query(format!("Could not convert {which} string '{text}' to key type.")))?;
    if v.is_nan() {
        return Err(ApiError::table_query(format!(
            "Converted {which} string '{text}' to NaN which is not a permitted value for the key type"
        )));
    }
    Ok(v)
}

/// Orders `(key, primary key)` pairs as nodeos's soft-float index does: by key (with −0 equal
/// to +0), then by primary key.
fn index_order(a: &(f64, u64), b: &(f64, u64)) -> Ordering {
    a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal).then(a.1.cmp(&b.1))
}

/// Reads a page through a secondary index; the only one is `eosio`/`producers` index 0.
pub(crate) fn secondary_rows(chain: &Chain, q: &SecondaryQuery<'_>) -> ApiResult<SecondaryPage> {
    if q.code != EOSIO || q.table != tables::PRODUCERS || q.index != 0 {
        return Err(ApiError::table_query(format!(
            "index_position {}: table {} of {} has no such secondary index (the only secondary index is \
             eosio/producers index 2, prototalvote, keyed by float64)",
            q.index + 2,
            q.table,
            q.code
        )));
    }
    if q.key_type != "float64" {
        return Err(ApiError::table_query(format!(
            "key_type {:?} does not match index prototalvote of producers, which is keyed by float64 (key_type \"float64\")",
            q.key_type
        )));
    }
    let lower = q.lower.as_deref().filter(|b| !b.is_empty()).map(|b| float_bound("lower_bound", b)).transpose()?;
    let upper = q.upper.as_deref().filter(|b| !b.is_empty()).map(|b| float_bound("upper_bound", b)).transpose()?;
    let lo = (lower.unwrap_or(f64::NEG_INFINITY), 0);
    let hi = (upper.unwrap_or(f64::INFINITY), u64::MAX);
    if q.scope != EOSIO.value() || index_order(&hi, &lo) == Ordering::Less {
        return Ok(SecondaryPage { rows: vec![], next_key: None });
    }
    let kv = chain.kv();
    let mut keyed: Vec<((f64, u64), &[u8])> = kv
        .range(tables::producer_key(Name(0)), tables::producer_key(Name(u64::MAX)))
        .filter_map(|(k, bytes)| ProducerInfo::unpack_exact(bytes).ok().map(|p| ((by_votes(&p), k.pk), bytes)))
        .filter(|(key, _)| index_order(key, &lo) != Ordering::Less && index_order(key, &hi) != Ordering::Greater)
        .collect();
    keyed.sort_by(|a, b| index_order(&a.0, &b.0));
    if q.reverse {
        keyed.reverse();
    }
    let next_key = keyed.get(q.limit).map(|(key, _)| double_string(key.0));
    let rows = keyed.into_iter().take(q.limit).map(|((_, pk), bytes)| (pk, bytes.to_vec())).collect();
    Ok(SecondaryPage { rows, next_key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index(v: Value) -> ApiResult<Index> {
        parse_index(&Params::new(json!({ "index_position": v })).unwrap())
    }

    #[test]
    fn index_positions_read_like_nodeos() {
        for primary in [json!(""), json!("primary"), json!("first"), json!("one"), json!(1), json!("1"), json!(0)] {
            assert_eq!(index(primary.clone()).unwrap(), Index::Primary, "{primary}");
        }
        assert_eq!(parse_index(&Params::new(json!({})).unwrap()).unwrap(), Index::Primary);
        for (v, pos) in [
            (json!(2), 0),
            (json!("2"), 0),
            (json!("secondary"), 0),
            (json!("second"), 0),
            (json!("two"), 0),
            (json!("tertiary"), 1),
            (json!("third"), 1),
            (json!("three"), 1),
            (json!("fourth"), 2),
            (json!("fifth"), 3),
            (json!("tenth"), 8),
            (json!(10), 8),
        ] {
            assert_eq!(index(v.clone()).unwrap(), Index::Secondary(pos), "{v}");
        }
        for bad in [json!("eleventh"), json!("x"), json!(-1), json!(true)] {
            assert_eq!(index(bad.clone()).unwrap_err().code, 3_060_003, "{bad}");
        }
    }

    #[test]
    fn float_keys_order_like_soft_float_and_bounds_refuse_nan() {
        let mut keys = [(0.0, 3), (-5.0, 9), (-0.0, 1), (2.5, 0), (-5.0, 2)];
        keys.sort_by(index_order);
        assert_eq!(keys.iter().map(|k| k.1).collect::<Vec<_>>(), vec![2, 9, 1, 3, 0]);
        assert_eq!(float_bound("lower_bound", "-1.5e3").unwrap(), -1500.0);
        assert!(float_bound("lower_bound", "nan").unwrap_err().detail.contains("NaN"));
        assert!(float_bound("lower_bound", "abc").unwrap_err().detail.contains("Could not convert"));
        assert_eq!(double_string(-0.0), "-0.00000000000000000");
    }
}
