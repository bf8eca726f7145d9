//! Votes: `voteproducer` and `regproxy`, with the reference contract's rules
//! (`update_votes`, `propagate_weight_change` in Antelope's `voting.cpp`) but integer weights.
//!
//! A voter's weight is its stake, plus, for a registered proxy, the stake of the voters that
//! use it. There is no time decay (Antelope's `stake2vote` doubles the weight of new votes every
//! year): a vote keeps its weight until the stake changes. Every stake change re-weights the
//! voter's votes, and its proxy's, in the same action, exactly.

use std::collections::BTreeMap;

use civitas_protocol::{Name, TimePoint};

use super::tables::{self, votes_from_f64, votes_to_f64, VoterInfo};
use crate::contracts::{token, ApplyContext};
use crate::error::{check, ChainError};
use crate::state::{self, Kv};

/// The most producers one account may approve.
pub const MAX_VOTES: usize = 30;

/// `voteproducer` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteProducer {
    /// The voter.
    pub voter: Name,
    /// A registered proxy to vote through (empty to vote directly).
    pub proxy: Name,
    /// Producers to approve, strictly ascending (empty when voting through a proxy).
    pub producers: Vec<Name>,
}
civitas_protocol::packable_struct!(VoteProducer { voter, proxy, producers });

/// `regproxy` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegProxy {
    /// The account.
    pub proxy: Name,
    /// Register (true) or unregister (false).
    pub isproxy: bool,
}
civitas_protocol::packable_struct!(RegProxy { proxy, isproxy });

pub(super) fn voteproducer(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: VoteProducer = ctx.args()?;
    ctx.require_auth(a.voter)?;
    update_votes(ctx.kv, ctx.block.time, a.voter, a.proxy, &a.producers, true)
}

pub(super) fn regproxy(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: RegProxy = ctx.args()?;
    ctx.require_auth(a.proxy)?;
    match tables::voter(ctx.kv, a.proxy) {
        Some(mut v) => {
            check(a.isproxy != v.is_proxy, "action has no effect")?;
            check(!a.isproxy || v.proxy.is_empty(), "account that uses a proxy is not allowed to become a proxy")?;
            v.is_proxy = a.isproxy;
            state::put(ctx.kv, tables::voter_key(a.proxy), &v);
            // Its weight gains or loses what it holds for others.
            propagate_weight_change(ctx.kv, a.proxy, 0)
        }
        None => {
            check(a.isproxy, "action has no effect")?;
            let core = tables::global(ctx.kv).core_symbol;
            let mut v = VoterInfo::new(a.proxy, core);
            v.is_proxy = true;
            state::put(ctx.kv, tables::voter_key(a.proxy), &v);
            Ok(())
        }
    }
}

/// Replaces `voter_name`'s vote with `proxy` / `producers`, moving its weight from what it
/// voted for before to what it votes for now. `voting` is true for `voteproducer` (the new
/// producers must be registered and active, the new proxy registered) and false when a stake
/// change re-weights an existing vote (which may still name since-unregistered producers).
pub fn update_votes(
    kv: &mut Kv,
    now: TimePoint,
    voter_name: Name,
    proxy: Name,
    producers: &[Name],
    voting: bool,
) -> Result<(), ChainError> {
    if !proxy.is_empty() {
        check(producers.is_empty(), "cannot vote for producers and proxy at same time")?;
        check(voter_name != proxy, "cannot proxy to self")?;
    } else {
        check(producers.len() <= MAX_VOTES, "attempt to vote for too many producers")?;
        for w in producers.windows(2) {
            check(w[0] < w[1], "producer votes must be unique and sorted")?;
        }
    }
    let mut voter = tables::voter(kv, voter_name)
        .ok_or_else(|| ChainError::Assert("user must stake before they can vote".into()))?;
    check(proxy.is_empty() || !voter.is_proxy, "account registered as a proxy is not allowed to use a proxy")?;
    if !proxy.is_empty() {
        let target = tables::voter(kv, proxy).ok_or_else(|| ChainError::Assert("invalid proxy specified".into()))?;
        check(!voting || target.is_proxy, "proxy not found")?;
    }
    let new_weight = voter.current_weight();
    let old_weight = votes_from_f64(voter.last_vote_weight);

    // Net changes per proxy and per producer, so each row is written once.
    let mut proxy_deltas: BTreeMap<Name, i64> = BTreeMap::new();
    let mut producer_deltas: BTreeMap<Name, (i64, bool)> = BTreeMap::new();
    if !voter.proxy.is_empty() {
        *proxy_deltas.entry(voter.proxy).or_default() -= old_weight;
    } else {
        for p in &voter.producers {
            producer_deltas.entry(*p).or_default().0 -= old_weight;
        }
    }
    if !proxy.is_empty() {
        *proxy_deltas.entry(proxy).or_default() += new_weight;
    } else {
        for p in producers {
            let d = producer_deltas.entry(*p).or_default();
            d.0 += new_weight;
            d.1 = true;
        }
    }

    let mut total_delta = 0i64;
    for (p, (delta, is_new)) in producer_deltas {
        match tables::producer(kv, p) {
            Some(mut row) => {
                if voting && is_new && !row.is_active {
                    return Err(ChainError::Assert(format!("producer {p} is not currently registered")));
                }
                if delta != 0 {
                    let was = tables::election_key(&row);
                    row.total_votes = votes_to_f64(row.votes() + delta);
                    tables::put_producer(kv, was, &row);
                    total_delta += delta;
                }
            }
            None => {
                if is_new {
                    return Err(ChainError::Assert(format!("producer {p} is not registered")));
                }
            }
        }
    }
    for (p, delta) in proxy_deltas {
        if delta != 0 {
            add_to_proxy(kv, p, delta, 0)?;
        }
    }

    let was_voting = voter.is_voting();
    voter.last_vote_weight = votes_to_f64(new_weight);
    voter.producers = producers.to_vec();
    voter.proxy = proxy;
    let is_voting = voter.is_voting();
    state::put(kv, tables::voter_key(voter_name), &voter);

    let mut g = tables::global(kv);
    g.total_producer_vote_weight += total_delta;
    g.total_voted_stake += (i64::from(is_voting) - i64::from(was_voting)) * voter.staked;
    tables::put_global(kv, &g);
    maybe_activate(kv, now);
    Ok(())
}

/// The deepest proxy nesting followed. The rules keep it at one level (a proxy cannot use a
/// proxy); the bound only guards against a broken invariant looping.
const MAX_PROXY_DEPTH: u32 = 4;

/// Adds `delta` to the weight `proxy` holds for others and passes the change on.
fn add_to_proxy(kv: &mut Kv, proxy: Name, delta: i64, depth: u32) -> Result<(), ChainError> {
    let mut p = tables::voter(kv, proxy).ok_or_else(|| ChainError::Assert("proxy not found".into()))?;
    p.proxied_vote_weight = votes_to_f64(votes_from_f64(p.proxied_vote_weight) + delta);
    state::put(kv, tables::voter_key(proxy), &p);
    propagate_weight_change(kv, proxy, depth)
}

/// Re-counts `name`'s vote after its weight changed (stake held as a proxy, proxy status):
/// applies the difference to its producers, or to its own proxy.
pub(super) fn propagate_weight_change(kv: &mut Kv, name: Name, depth: u32) -> Result<(), ChainError> {
    check(depth < MAX_PROXY_DEPTH, "proxy chain too deep")?;
    let mut v = tables::voter(kv, name).ok_or_else(|| ChainError::Assert("proxy not found".into()))?;
    check(v.proxy.is_empty() || !v.is_proxy, "account registered as a proxy is not allowed to use a proxy")?;
    let new_weight = v.current_weight();
    let delta = new_weight - votes_from_f64(v.last_vote_weight);
    v.last_vote_weight = votes_to_f64(new_weight);
    state::put(kv, tables::voter_key(name), &v);
    if delta == 0 {
        return Ok(());
    }
    if !v.proxy.is_empty() {
        return add_to_proxy(kv, v.proxy, delta, depth + 1);
    }
    let mut total = 0i64;
    for p in &v.producers {
        let mut row = tables::producer(kv, *p).ok_or_else(|| ChainError::Assert(format!("producer {p} not found")))?;
        let was = tables::election_key(&row);
        row.total_votes = votes_to_f64(row.votes() + delta);
        tables::put_producer(kv, was, &row);
        total += delta;
    }
    let mut g = tables::global(kv);
    g.total_producer_vote_weight += total;
    tables::put_global(kv, &g);
    Ok(())
}

/// Starts elections once the voting stake reaches `activation_threshold` of the supply. Like
/// Antelope's `thresh_activated_stake_time`, this happens once and never reverts.
pub fn maybe_activate(kv: &mut Kv, now: TimePoint) {
    let mut g = tables::global(kv);
    if g.activated {
        return;
    }
    let supply = token::stats(kv, g.core_symbol).map_or(0, |s| s.supply.amount());
    if i128::from(g.total_voted_stake) * 10_000 >= i128::from(supply) * i128::from(g.activation_threshold) {
        g.activated = true;
        g.thresh_activated_stake_time = now;
        tables::put_global(kv, &g);
    }
}
