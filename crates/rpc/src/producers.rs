//! `get_producers` and `get_producer_schedule` (antelope.md §5.4).

use std::sync::Arc;

use civitas_chain::contracts::system::tables::{self, ProducerInfo};
use civitas_chain::names::EOSIO;
use civitas_chain::state;
use civitas_protocol::{Name, Pack, ProducerSchedule};
use serde_json::{json, Value};

use crate::abis::RawAbis;
use crate::error::{ApiError, ApiResult};
use crate::json::{double_string, Params};
use crate::server::{Reply, Shared};

/// Default page size of `get_producers` (nodeos's).
const DEFAULT_LIMIT: u64 = 50;

/// A schedule as nodeos prints one: `authority` is the fc variant `[0, block_signing_authority_v0]`.
pub(crate) fn schedule_json(s: &ProducerSchedule) -> Value {
    json!({
        "version": s.version,
        "producers": s.producers.iter().map(|p| json!({
            "producer_name": p.producer_name,
            "authority": [0, {"threshold": 1, "keys": [{"key": p.block_signing_key, "weight": 1}]}],
        })).collect::<Vec<_>>(),
    })
}

/// `get_producer_schedule`: the head's active schedule; Civitas has no pending or proposed
/// schedules (each round's schedule takes effect at the round's first slot).
pub(crate) async fn get_producer_schedule(s: Arc<Shared>, _body: Value) -> ApiResult<Reply> {
    let schedule = s.read(|c| c.head().schedule.clone());
    Reply::ok(json!({"active": schedule_json(&schedule), "pending": null, "proposed": null}))
}

/// `get_producers` `{json, lower_bound, limit}`: the `producers` table ordered by total votes
/// (descending, then by name), paged by owner. Without any registered producer it lists the
/// active schedule with zero votes, as nodeos does without a system contract.
pub(crate) async fn get_producers(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let as_json = p.bool("json")?.unwrap_or(false);
    let limit = p.u64("limit")?.unwrap_or(DEFAULT_LIMIT).min(s.state.config.max_table_rows as u64) as usize;
    let lower = match p.string("lower_bound")?.filter(|b| !b.is_empty()) {
        Some(b) => {
            Some(Name::parse_name_or_u64(&b).map_err(|e| ApiError::invalid(format!("field \"lower_bound\": {e}")))?)
        }
        None => None,
    };
    let (mut rows, total_weight, schedule, raw) = s.read(|c| {
        let kv = c.chain().kv();
        let rows: Vec<ProducerInfo> = tables::all_producers(kv).collect();
        let total = state::get::<tables::GlobalState>(kv, &tables::global_key())
            .map_or(0.0, |g| tables::votes_to_f64(g.total_producer_vote_weight));
        (rows, total, c.head().schedule.clone(), RawAbis::collect(c.chain(), [EOSIO]))
    });
    if rows.is_empty() {
        let rows: Vec<Value> = schedule
            .producers
            .iter()
            .take(limit)
            .map(|k| {
                json!({
                    "owner": k.producer_name,
                    "total_votes": double_string(0.0),
                    "producer_key": k.block_signing_key,
                    "is_active": 1,
                    "url": "",
                    "unpaid_blocks": 0,
                    "last_claim_time": "1970-01-01T00:00:00.000",
                    "location": 0,
                })
            })
            .collect();
        return Reply::ok(json!({"rows": rows, "total_producer_vote_weight": double_string(0.0), "more": ""}));
    }
    rows.sort_by(|a, b| b.votes().cmp(&a.votes()).then(a.owner.cmp(&b.owner)));
    let start = lower.and_then(|l| rows.iter().position(|r| r.owner == l)).unwrap_or(0);
    let page: Vec<ProducerInfo> = rows.drain(start..).take(limit + 1).collect();
    let more = page.get(limit).map_or(String::new(), |r| r.owner.to_string());
    let abis = raw.resolve(&s.abis);
    let abi = abis.get(EOSIO);
    let out: Vec<Value> = page
        .iter()
        .take(limit)
        .map(|r| {
            let bytes = r.packed();
            if !as_json {
                return Value::String(hex::encode(&bytes));
            }
            abi.and_then(|a| a.binary_to_json("producer_info", &bytes).ok()).unwrap_or_else(|| {
                json!({
                    "owner": r.owner,
                    "total_votes": double_string(r.total_votes),
                    "producer_key": r.producer_key,
                    "is_active": u8::from(r.is_active),
                    "url": r.url,
                    "unpaid_blocks": r.unpaid_blocks,
                    "last_claim_time": r.last_claim_time,
                    "location": r.location,
                })
            })
        })
        .collect();
    Reply::ok(json!({
        "rows": out,
        "total_producer_vote_weight": double_string(total_weight),
        "more": more,
    }))
}
