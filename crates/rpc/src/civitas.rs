//! The Civitas views under `/v1/civitas/` (documented in `docs/api.md`): the round schedule,
//! finality, producers, the latest blocks and transaction lookup. They are GET endpoints with
//! JSON answers, built for the dashboard and for operators; none of them is Antelope API.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use civitas_chain::contracts::system::tables::{self, GlobalState, ProducerInfo, ProducerPayInfo};
use civitas_chain::contracts::token;
use civitas_chain::hooks::ProducerStats;
use civitas_chain::names::{EOSIO_BPAY, EOSIO_WPS};
use civitas_chain::state;
use civitas_consensus::schedule::quorum;
use civitas_consensus::Consensus;
use civitas_protocol::{Asset, Checksum256, Name, TimePoint};
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::json::response;
use crate::server::Shared;
use crate::txsearch::{self, Location};

/// Default and largest `limit` of `/v1/civitas/blocks`.
const DEFAULT_BLOCKS: usize = 20;
const MAX_BLOCKS: usize = 500;
/// Default and largest `limit` of `/v1/civitas/transactions` (each one is unpacked and decoded).
const DEFAULT_TRANSACTIONS: usize = 20;
const MAX_TRANSACTIONS: usize = 100;

pub(crate) fn ok(v: Value) -> Response {
    response(StatusCode::OK, &v)
}

/// Seconds from `a` to `b` (negative when `b` is earlier).
fn seconds_between(a: TimePoint, b: TimePoint) -> f64 {
    (b.0 - a.0) as f64 / 1e6
}

/// The blocks of the head's chain at slots `from_slot` and above, as (slot, number, producer),
/// newest first: the reversible ones from the fork database under the caller's lock, the rest
/// from the node's block store (see [`older_blocks_from`]).
fn chain_from_slot(c: &Consensus, from_slot: u64) -> Vec<(u64, u32, Name)> {
    let mut out = Vec::new();
    let mut cur = Some(c.head().clone());
    while let Some(e) = cur {
        if e.slot < from_slot {
            break;
        }
        out.push((e.slot, e.num, e.producer));
        cur = if e.num > c.lib().num { c.forkdb().get(&e.previous()).cloned() } else { None };
    }
    out
}

/// Extends `blocks` (newest first, from [`chain_from_slot`]) with stored blocks below the
/// oldest one, down to `from_slot`, reading at most `max` blocks: the stored blocks are
/// irreversible, so this happens outside the core's lock.
fn older_blocks_from(s: &Shared, blocks: &mut Vec<(u64, u32, Name)>, from_slot: u64, max: usize) {
    let mut next = blocks.last().map_or(0, |b| b.1.saturating_sub(1));
    let mut read = 0;
    while next >= 1 && read < max {
        let Some(b) = s.state.blocks.by_num(next) else { break };
        if b.header.slot < from_slot {
            break;
        }
        blocks.push((b.header.slot, next, b.header.producer));
        next -= 1;
        read += 1;
    }
}

/// `GET /v1/civitas/node`: which node and chain this is, and the slot parameters: what a page
/// needs once, to title itself and to compute slot times.
pub(crate) async fn node(State(s): State<Arc<Shared>>) -> Response {
    let (chain_name, genesis_time) = s.read(|c| {
        let g = &c.chain().config().genesis;
        (g.chain_name.clone(), g.initial_timestamp)
    });
    let info = &s.state.info;
    ok(json!({
        "node_name": info.node_name,
        "server_version": info.server_version,
        "server_version_string": info.server_version_string,
        "chain_id": s.chain_id,
        "chain_name": chain_name,
        "core_symbol": s.core_symbol.to_string(),
        "genesis_time": genesis_time,
        "block_interval_ms": s.params.interval_ms,
        "blocks_per_turn": s.params.per_turn,
        "active_producers": s.params.producers,
        "round_length_slots": s.params.round_len(),
    }))
}

/// `GET /v1/civitas/schedule`: the current slot and round, the active schedule in turn order
/// with each producer's key, the previous round's schedule (who joined and who left), what
/// happened in each slot of the round so far, and when the next round (with its election and
/// shuffle) starts.
pub(crate) async fn schedule(State(s): State<Arc<Shared>>) -> Response {
    let p = s.params;
    let (now, head, elections_active, mut round_blocks) = s.read(|c| {
        let head = c.head().clone();
        let slot = p.slot_at(c.now()).unwrap_or(0).max(head.slot);
        let blocks = chain_from_slot(c, p.round_start(p.round_of(slot)));
        (c.now(), head, c.chain().elections_active(), blocks)
    });
    let slot = p.slot_at(now).unwrap_or(0).max(head.slot);
    let round = p.round_of(slot);
    let round_start = p.round_start(round);
    // A round has `round_len` slots, so it never needs more stored blocks than that.
    older_blocks_from(&s, &mut round_blocks, round_start, p.round_len() as usize);
    let producers = &head.schedule.producers;
    let previous = &head.prev_schedule.producers;
    let current = p.producer_index(slot, producers.len());
    let next_round_start = p.round_start(round + 1);
    let now_or_head = if now > head.time { now } else { head.time };
    let names = |ks: &[civitas_protocol::ProducerKey]| ks.iter().map(|k| k.producer_name).collect::<Vec<_>>();
    let (current_names, previous_names) = (names(producers), names(previous));
    let joined: Vec<Name> = current_names.iter().filter(|n| !previous_names.contains(n)).copied().collect();
    let left: Vec<Name> = previous_names.iter().filter(|n| !current_names.contains(n)).copied().collect();
    // What each slot of the round so far holds on the head's chain. A past slot without a
    // block is missed (SPEC §3.1); the current slot's block may still be on its way.
    let slots: Vec<Value> = (round_start..next_round_start)
        .map(|sl| {
            let index = p.producer_index(sl, producers.len());
            let block = round_blocks.iter().find(|b| b.0 == sl);
            let status = match block {
                Some(_) => "produced",
                None if sl < slot => "missed",
                None if sl == slot => "current",
                None => "upcoming",
            };
            json!({
                "slot": sl,
                "position": index,
                "producer": block.map_or_else(|| producers.get(index).map(|k| k.producer_name), |b| Some(b.2)),
                "status": status,
                "block_num": block.map(|b| b.1),
            })
        })
        .collect();
    let missed = slots.iter().filter(|v| v["status"] == "missed").count();
    ok(json!({
        "now": now_or_head,
        "slot": slot,
        "slot_time": p.slot_time(slot),
        "round": round,
        "round_start_slot": round_start,
        "round_start_time": p.slot_time(round_start),
        "next_round_start_slot": next_round_start,
        "next_round_start_time": p.slot_time(next_round_start),
        "seconds_to_next_round": seconds_between(now_or_head, p.slot_time(next_round_start)).max(0.0),
        "block_interval_ms": p.interval_ms,
        "blocks_per_turn": p.per_turn,
        "round_length_slots": p.round_len(),
        "schedule_version": head.schedule.version,
        "schedule_round": head.round,
        // The schedule below is the head's; when the clock has entered a round whose first
        // block is not produced yet, that round's election result is not known yet.
        "election_pending": round > head.round,
        "elections_active": elections_active,
        "current_producer": producers.get(current).map(|k| k.producer_name),
        "current_index": current,
        "head_block_num": head.num,
        "head_block_producer": head.producer,
        "producers": producers.iter().enumerate().map(|(i, k)| json!({
            "position": i,
            "producer_name": k.producer_name,
            "block_signing_key": k.block_signing_key,
            "is_current": i == current,
        })).collect::<Vec<_>>(),
        "previous_version": head.prev_schedule.version,
        "previous_producers": previous_names,
        "joined": joined,
        "left": left,
        "round_slots": slots,
        "missed_in_round": missed,
    }))
}

/// `GET /v1/civitas/finality`: head and LIB with the lag between them, and for each producer
/// its latest vote on the head's chain and the block that vote reaches.
pub(crate) async fn finality(State(s): State<Arc<Shared>>) -> Response {
    let (head, lib, chain) = s.read(|c| {
        // The head's chain down to the LIB, ascending: (slot, num, time, id).
        let mut chain = Vec::new();
        let mut cur = Some(c.head().clone());
        while let Some(e) = cur {
            chain.push((e.slot, e.num, e.time, e.id));
            cur = if e.num > c.lib().num { c.forkdb().get(&e.previous()).cloned() } else { None };
        }
        chain.reverse();
        (c.head().clone(), c.lib().clone(), chain)
    });
    let block_at = |top: u64| -> Value {
        let i = chain.partition_point(|b| b.0 <= top);
        match i.checked_sub(1).map(|i| chain[i]) {
            Some((slot, num, time, id)) => json!({"block_num": num, "block_id": id, "block_time": time, "slot": slot}),
            None => Value::Null,
        }
    };
    let mut names: Vec<Name> = head.schedule.producers.iter().map(|k| k.producer_name).collect();
    names.extend(head.last_votes.keys().filter(|n| !head.schedule.producers.iter().any(|k| k.producer_name == **n)));
    let producers: Vec<Value> = names
        .iter()
        .map(|n| {
            let vote = head.last_votes.get(n);
            json!({
                "producer": n,
                "in_schedule": head.schedule.producers.iter().any(|k| k.producer_name == *n),
                "last_vote_source_slot": vote.map(|v| v.0),
                "last_vote_top_slot": vote.map(|v| v.1),
                "voted_block": vote.map_or(Value::Null, |v| block_at(v.1)),
            })
        })
        .collect();
    let entry = |e: &civitas_consensus::BlockEntry| json!({"num": e.num, "id": e.id, "time": e.time, "slot": e.slot});
    ok(json!({
        "head": entry(&head),
        "lib": entry(&lib),
        "lag_blocks": head.num - lib.num.min(head.num),
        "lag_seconds": seconds_between(lib.time, head.time),
        "quorum": quorum(head.schedule.producers.len()),
        "active_producers": head.schedule.producers.len(),
        "justified": head.finality.justified.iter().map(|(slot, num)| json!({"slot": slot, "block_num": num})).collect::<Vec<_>>(),
        "producers": producers,
    }))
}

/// One candidate's rows, read under the lock.
struct Candidate {
    info: Option<ProducerInfo>,
    owner: Name,
    pay: Option<ProducerPayInfo>,
    stats: ProducerStats,
}

/// Token amounts the producers view reports beside the ranking, read under the lock.
struct Funds {
    supply: Option<Asset>,
    worker_fund: Asset,
    unclaimed_pay: Asset,
}

/// `GET /v1/civitas/producers`: the ranked candidates with votes, vote shares, schedule
/// membership, who the election would seat if it were held now, blocks produced and missed,
/// pay kept and returned, and diversity metadata; beside them the activation threshold's
/// progress and the pay totals with the worker fund's balance. Without registered producers,
/// the active schedule is listed with its production statistics.
pub(crate) async fn producers(State(s): State<Arc<Shared>>) -> Response {
    let sym = s.core_symbol;
    let n = s.params.producers as usize;
    let (mut cands, global, schedule, next, funds) = s.read(|c| {
        let chain = c.chain();
        let kv = chain.kv();
        let mut owners: Vec<(Name, Option<ProducerInfo>)> =
            tables::all_producers(kv).map(|p| (p.owner, Some(p))).collect();
        if owners.is_empty() {
            owners = c.head().schedule.producers.iter().map(|k| (k.producer_name, None)).collect();
        }
        let cands: Vec<Candidate> = owners
            .into_iter()
            .map(|(owner, info)| Candidate {
                pay: tables::prodinfo(kv, owner),
                stats: chain.producer_stats(owner),
                owner,
                info,
            })
            .collect();
        // The set the next round's election would seat if it were held on the head's state.
        let next: Vec<Name> =
            chain.elect(n, &c.head().schedule.producers).into_iter().map(|k| k.producer_name).collect();
        let funds = Funds {
            supply: token::stats(kv, sym).map(|st| st.supply),
            worker_fund: token::balance(kv, EOSIO_WPS, sym),
            unclaimed_pay: token::balance(kv, EOSIO_BPAY, sym),
        };
        (cands, state::get::<GlobalState>(kv, &tables::global_key()), c.head().schedule.clone(), next, funds)
    });
    let votes = |c: &Candidate| c.info.as_ref().map_or(0, ProducerInfo::votes);
    cands.sort_by(|a, b| votes(b).cmp(&votes(a)).then(a.owner.cmp(&b.owner)));
    let total_weight = global.as_ref().map_or(0, |g| g.total_producer_vote_weight);
    let total_staked = global.as_ref().map_or(0, |g| g.total_staked);
    let total_voted = global.as_ref().map_or(0, |g| g.total_voted_stake);
    let share = |v: i64, of: i64| if of > 0 { v as f64 / of as f64 } else { 0.0 };
    let rows: Vec<Value> = cands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let position = schedule.producers.iter().position(|k| k.producer_name == c.owner);
            let v = votes(c);
            let pay = c.pay.as_ref();
            let st = &c.stats;
            json!({
                "rank": i + 1,
                "owner": c.owner,
                "total_votes": v,
                "vote_share": share(v, total_weight),
                "staked_share": share(v, total_staked),
                "voted_share": share(v, total_voted),
                "is_active": c.info.as_ref().is_none_or(|p| p.is_active),
                "in_schedule": position.is_some(),
                "schedule_position": position,
                "elected_next": next.contains(&c.owner),
                "producer_key": c.info.as_ref().map(|p| p.producer_key.to_string()).or_else(|| {
                    schedule.producers.iter().find(|k| k.producer_name == c.owner).map(|k| k.block_signing_key.to_string())
                }),
                "url": c.info.as_ref().map(|p| p.url.clone()).unwrap_or_default(),
                "location": c.info.as_ref().map_or(0, |p| p.location),
                "unpaid_blocks": c.info.as_ref().map_or(0, |p| p.unpaid_blocks),
                "last_claim_time": c.info.as_ref().map_or(TimePoint(0), |p| p.last_claim_time),
                "produced": st.produced,
                "missed": st.missed,
                "missed_in_row": st.missed_in_row,
                "last_produced": st.last_produced,
                "irreversible": st.irreversible,
                "keep_rate": pay.map(|p| f64::from(p.keep_rate) / 100.0),
                "unclaimed": pay.map(|p| p.unclaimed.to_string()),
                "kept_total": pay.map(|p| p.kept_total.to_string()),
                "returned_total": pay.map(|p| p.returned_total.to_string()),
                "claimed_total": pay.map(|p| p.claimed_total.to_string()),
                "paid_blocks": pay.map_or(0, |p| p.paid_blocks),
                "country": pay.map(|p| p.country.clone()).unwrap_or_default(),
                "jurisdiction": pay.map(|p| p.jurisdiction.clone()).unwrap_or_default(),
                "network": pay.map(|p| p.network.clone()).unwrap_or_default(),
                "hardware": pay.map(|p| p.hardware.clone()).unwrap_or_default(),
                "software": pay.map(|p| p.software.clone()).unwrap_or_default(),
            })
        })
        .collect();
    let units = |amount: i64| Asset::new(amount, sym).map_or(Value::Null, |a| json!(a.to_string()));
    let supply = funds.supply.map_or(0, Asset::amount);
    let threshold_bp = global.as_ref().map_or(0, |g| g.activation_threshold);
    // The voting stake that activates elections: `activation_threshold` basis points of the supply.
    let threshold_stake = i128::from(supply) * i128::from(threshold_bp) / 10_000;
    ok(json!({
        "elections_active": global.as_ref().is_some_and(|g| g.activated),
        "total_producer_vote_weight": total_weight,
        "total_staked": total_staked,
        "total_voted_stake": total_voted,
        "schedule_version": schedule.version,
        "active_producers": schedule.producers.len(),
        "max_active_producers": n,
        "core_symbol": sym.to_string(),
        "supply": supply,
        "activation": {
            "threshold": f64::from(threshold_bp) / 10_000.0,
            "threshold_stake": i64::try_from(threshold_stake).unwrap_or(i64::MAX),
            "voted_share_of_supply": share(total_voted, supply),
            "progress": if threshold_stake > 0 { (total_voted as f64 / threshold_stake as f64).min(1.0) } else { 1.0 },
            "activated": global.as_ref().is_some_and(|g| g.activated),
            "activated_time": global.as_ref().map_or(TimePoint(0), |g| g.thresh_activated_stake_time),
        },
        "pay": {
            "inflation_rate": global.as_ref().map_or(0.0, |g| f64::from(g.inflation_rate) / 10_000.0),
            "producer_share": global.as_ref().map_or(0.0, |g| f64::from(g.producer_share) / 10_000.0),
            "total_minted": units(global.as_ref().map_or(0, |g| g.total_minted)),
            "total_kept": units(global.as_ref().map_or(0, |g| g.total_kept)),
            "total_to_fund": units(global.as_ref().map_or(0, |g| g.total_to_fund)),
            "total_claimed": units(global.as_ref().map_or(0, |g| g.total_claimed)),
            "paid_blocks": global.as_ref().map_or(0, |g| g.paid_blocks),
            "worker_fund": funds.worker_fund.to_string(),
            "unclaimed": funds.unclaimed_pay.to_string(),
        },
        "rows": rows,
    }))
}

/// Reads `limit` from a query string (`limit=N`), `default` when absent, clamped to `1..=max`.
fn query_limit(q: Option<&str>, default: usize, max: usize) -> ApiResult<usize> {
    let Some(q) = q else { return Ok(default) };
    for pair in q.split('&') {
        if let Some(v) = pair.strip_prefix("limit=") {
            let n: usize =
                v.parse().map_err(|_| ApiError::invalid(format!("limit: expected a number, found {v:?}")))?;
            return Ok(n.clamp(1, max));
        }
    }
    Ok(default)
}

/// `GET /v1/civitas/blocks?limit=N`: the latest blocks on the head's chain, newest first.
pub(crate) async fn blocks(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let limit = match query_limit(q.as_deref(), DEFAULT_BLOCKS, MAX_BLOCKS) {
        Ok(n) => n,
        Err(e) => return e.in_method("civitas/blocks").into_response(),
    };
    let (mut list, lib) = s.read(|c| {
        let mut out = Vec::new();
        let mut cur = Some(c.head().clone());
        while let Some(e) = cur {
            if out.len() == limit {
                break;
            }
            out.push(e.block.clone());
            cur = if e.num > c.lib().num { c.forkdb().get(&e.previous()).cloned() } else { None };
        }
        (out, c.lib().num)
    });
    // Older blocks come from the node's block store, outside the lock.
    while list.len() < limit {
        let Some(next) = list.last().map(|b| b.block_num().saturating_sub(1)).filter(|n| *n >= 1) else { break };
        match s.state.blocks.by_num(next) {
            Some(b) => list.push(b),
            None => break,
        }
    }
    let rows: Vec<Value> = list
        .iter()
        .map(|b| {
            json!({
                "num": b.block_num(),
                "id": b.id(),
                "time": s.params.slot_time(b.header.slot),
                "slot": b.header.slot,
                "producer": b.header.producer,
                "transactions": b.transactions.len(),
                "approvals": b.approvals.len(),
                "irreversible": b.block_num() <= lib,
            })
        })
        .collect();
    ok(json!({"last_irreversible_block_num": lib, "blocks": rows}))
}

/// `GET /v1/civitas/transactions?limit=N`: the latest transactions on the head's chain, newest
/// first, with their blocks and decoded actions (see [`txsearch::recent`]).
pub(crate) async fn transactions(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    let result = async {
        let limit = query_limit(q.as_deref(), DEFAULT_TRANSACTIONS, MAX_TRANSACTIONS)?;
        let list = txsearch::recent(&s, limit).await?;
        let (head, lib) = s.read(|c| (c.head().num, c.lib().num));
        Ok::<Value, ApiError>(json!({
            "head_block_num": head,
            "last_irreversible_block_num": lib,
            "searched_blocks": txsearch::SEARCH_BLOCKS,
            "transactions": list,
        }))
    }
    .await;
    match result {
        Ok(v) => ok(v),
        Err(e) => e.in_method("civitas/transactions").into_response(),
    }
}

pub(crate) fn parse_id(text: &str) -> ApiResult<Checksum256> {
    text.trim().parse().map_err(|e| ApiError::invalid(format!("transaction id: {e}")))
}

/// `GET /v1/civitas/transaction/{id}`: a transaction among the pending pool and the recent
/// blocks (see [`txsearch`]), decoded.
pub(crate) async fn transaction(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let result = async {
        let id = parse_id(&id)?;
        match txsearch::locate(&s, id).await? {
            Location::Unknown { searched_from } => Err(ApiError::tx_not_found(format!(
                "transaction {id} is neither pending nor in blocks {searched_from} to head"
            ))),
            found => Ok(txsearch::describe(&s, id, &found)),
        }
    }
    .await;
    match result {
        Ok(v) => ok(v),
        Err(e) => e.in_method("civitas/transaction").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_from_query_strings() {
        let limit = |q| query_limit(q, DEFAULT_BLOCKS, MAX_BLOCKS);
        assert_eq!(limit(None).unwrap(), DEFAULT_BLOCKS);
        assert_eq!(limit(Some("limit=5")).unwrap(), 5);
        assert_eq!(limit(Some("x=1&limit=100000")).unwrap(), MAX_BLOCKS);
        assert_eq!(limit(Some("limit=0")).unwrap(), 1);
        assert!(limit(Some("limit=abc")).is_err());
        assert_eq!(query_limit(Some("limit=1000"), DEFAULT_TRANSACTIONS, MAX_TRANSACTIONS).unwrap(), MAX_TRANSACTIONS);
    }
}
