//! Staking: `delegatebw`, `undelegatebw` and `refund`, with the reference contract's tables
//! (`delband`, `userres`, `refunds`) and rules (`changebw` in Antelope's
//! `delegate_bandwidth.cpp`).
//!
//! Staked tokens sit in `eosio.stake`: the sum of all `delband` rows plus all pending `refunds`
//! equals its balance. The stake is vote weight of the `delband` row's `from` account (the
//! staker keeps the vote, or the receiver when it was staked with `transfer`).

use civitas_protocol::{Asset, Name, Symbol, TimePoint};

use super::tables::{self, DelegatedBandwidth, RefundRequest, UserResources, VoterInfo};
use super::voting;
use crate::contracts::{token, ApplyContext};
use crate::error::{check, ChainError};
use crate::names::EOSIO_STAKE;
use crate::state::{self, Kv};

/// `delegatebw` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegateBw {
    /// Who pays (and, unless `transfer`, owns the stake and its vote).
    pub from: Name,
    /// Who receives the bandwidth.
    pub receiver: Name,
    /// Tokens staked for NET.
    pub stake_net_quantity: Asset,
    /// Tokens staked for CPU.
    pub stake_cpu_quantity: Asset,
    /// Give the stake (and its vote) to the receiver.
    pub transfer: bool,
}
civitas_protocol::packable_struct!(DelegateBw { from, receiver, stake_net_quantity, stake_cpu_quantity, transfer });

/// `undelegatebw` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndelegateBw {
    /// The owner of the stake.
    pub from: Name,
    /// The receiver the stake was delegated to.
    pub receiver: Name,
    /// NET stake to return.
    pub unstake_net_quantity: Asset,
    /// CPU stake to return.
    pub unstake_cpu_quantity: Asset,
}
civitas_protocol::packable_struct!(UndelegateBw { from, receiver, unstake_net_quantity, unstake_cpu_quantity });

/// `refund` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// Whose refund to pay out.
    pub owner: Name,
}
civitas_protocol::packable_struct!(Refund { owner });

/// An asset of the core token, or a contract error if the amount is out of range.
pub(super) fn core_asset(amount: i64, core: Symbol) -> Result<Asset, ChainError> {
    Asset::new(amount, core).map_err(|e| ChainError::Assert(e.to_string()))
}

fn add(a: Asset, delta: i64) -> Result<Asset, ChainError> {
    let v = a.amount().checked_add(delta).ok_or_else(|| ChainError::Assert("asset amount out of range".into()))?;
    core_asset(v, a.symbol())
}

fn check_core(q: Asset, core: Symbol, what: &str) -> Result<(), ChainError> {
    check(q.symbol() == core, &format!("{what} must be in the core token {core}"))
}

pub(super) fn delegatebw(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: DelegateBw = ctx.args()?;
    ctx.require_auth(a.from)?;
    let core = tables::global(ctx.kv).core_symbol;
    check_core(a.stake_net_quantity, core, "stake_net_quantity")?;
    check_core(a.stake_cpu_quantity, core, "stake_cpu_quantity")?;
    let (net, cpu) = (a.stake_net_quantity.amount(), a.stake_cpu_quantity.amount());
    check(net >= 0 && cpu >= 0, "must stake a positive amount")?;
    check(net.checked_add(cpu).is_some_and(|t| t > 0), "must stake a positive amount")?;
    check(!a.transfer || a.from != a.receiver, "cannot use transfer flag if delegating to self")?;
    check(ctx.is_account(a.receiver), "can only delegate resources to an existing account")?;
    check(a.from != EOSIO_STAKE, "eosio.stake cannot stake")?;
    change_bw(ctx.kv, ctx.block.time, a.from, a.receiver, net, cpu, a.transfer)
}

pub(super) fn undelegatebw(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: UndelegateBw = ctx.args()?;
    ctx.require_auth(a.from)?;
    let core = tables::global(ctx.kv).core_symbol;
    check_core(a.unstake_net_quantity, core, "unstake_net_quantity")?;
    check_core(a.unstake_cpu_quantity, core, "unstake_cpu_quantity")?;
    let (net, cpu) = (a.unstake_net_quantity.amount(), a.unstake_cpu_quantity.amount());
    check(net >= 0 && cpu >= 0, "must unstake a positive amount")?;
    check(net.checked_add(cpu).is_some_and(|t| t > 0), "must unstake a positive amount")?;
    // Antelope forbids this before activation; Civitas allows it (see docs/governance.md).
    change_bw(ctx.kv, ctx.block.time, a.from, a.receiver, -net, -cpu, false)
}

pub(super) fn refund(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: Refund = ctx.args()?;
    ctx.require_auth(a.owner)?;
    let req = tables::refund(ctx.kv, a.owner).ok_or_else(|| ChainError::Assert("refund request not found".into()))?;
    let delay = i64::from(tables::global(ctx.kv).unstake_delay_sec);
    let due = i64::from(req.request_time.0) + delay;
    check(due <= ctx.block.time.secs(), "refund is not available yet")?;
    let total = add(req.net_amount, req.cpu_amount.amount())?;
    ctx.kv.remove(&tables::refund_key(a.owner));
    if total.amount() > 0 {
        token::transfer_internal(ctx.kv, EOSIO_STAKE, a.owner, total)?;
    }
    Ok(())
}

/// Changes the stake `from` delegates to `receiver` by `d_net` / `d_cpu` (both ≥ 0 or both
/// ≤ 0), as Antelope's `changebw`: updates `delband`, `userres`, `refunds` (an unstake adds to
/// the pending refund and restarts its delay; staking to self first takes back a pending
/// refund), moves liquid tokens into `eosio.stake`, and re-weights the owner's votes at once.
pub fn change_bw(
    kv: &mut Kv,
    now: TimePoint,
    from: Name,
    receiver: Name,
    d_net: i64,
    d_cpu: i64,
    transfer: bool,
) -> Result<(), ChainError> {
    let core = tables::global(kv).core_symbol;
    let source = from;
    // With `transfer`, the receiver owns the stake (and its vote) from now on.
    let owner = if transfer { receiver } else { from };

    let dkey = tables::delband_key(owner, receiver);
    let mut del = tables::delband(kv, owner, receiver).unwrap_or(DelegatedBandwidth {
        from: owner,
        to: receiver,
        net_weight: Asset::zero(core),
        cpu_weight: Asset::zero(core),
    });
    del.net_weight = add(del.net_weight, d_net)?;
    del.cpu_weight = add(del.cpu_weight, d_cpu)?;
    check(del.net_weight.amount() >= 0, "insufficient staked net bandwidth")?;
    check(del.cpu_weight.amount() >= 0, "insufficient staked cpu bandwidth")?;
    if del.net_weight.amount() == 0 && del.cpu_weight.amount() == 0 {
        kv.remove(&dkey);
    } else {
        state::put(kv, dkey, &del);
    }

    let ukey = tables::userres_key(receiver);
    let mut res = tables::userres(kv, receiver).unwrap_or(UserResources {
        owner: receiver,
        net_weight: Asset::zero(core),
        cpu_weight: Asset::zero(core),
        ram_bytes: 0,
    });
    res.net_weight = add(res.net_weight, d_net)?;
    res.cpu_weight = add(res.cpu_weight, d_cpu)?;
    check(res.net_weight.amount() >= 0, "insufficient staked total net bandwidth")?;
    check(res.cpu_weight.amount() >= 0, "insufficient staked total cpu bandwidth")?;
    if res.net_weight.amount() == 0 && res.cpu_weight.amount() == 0 && res.ram_bytes == 0 {
        kv.remove(&ukey);
    } else {
        state::put(kv, ukey, &res);
    }
    crate::resources::add_weights(kv, d_net, d_cpu);

    // What remains to move from the source's liquid balance after the refund interplay.
    let (mut net_balance, mut cpu_balance) = (d_net, d_cpu);
    let undelegating = d_net + d_cpu < 0;
    let to_self = !transfer && owner == receiver;
    if to_self || undelegating {
        let rkey = tables::refund_key(owner);
        match tables::refund(kv, owner) {
            Some(mut req) => {
                if d_net < 0 || d_cpu < 0 {
                    req.request_time = now.to_sec();
                }
                req.net_amount = add(req.net_amount, -net_balance)?;
                if req.net_amount.amount() < 0 {
                    net_balance = -req.net_amount.amount();
                    req.net_amount = Asset::zero(core);
                } else {
                    net_balance = 0;
                }
                req.cpu_amount = add(req.cpu_amount, -cpu_balance)?;
                if req.cpu_amount.amount() < 0 {
                    cpu_balance = -req.cpu_amount.amount();
                    req.cpu_amount = Asset::zero(core);
                } else {
                    cpu_balance = 0;
                }
                if req.net_amount.amount() == 0 && req.cpu_amount.amount() == 0 {
                    kv.remove(&rkey);
                } else {
                    state::put(kv, rkey, &req);
                }
            }
            None if net_balance < 0 || cpu_balance < 0 => {
                let req = RefundRequest {
                    owner,
                    request_time: now.to_sec(),
                    net_amount: core_asset(-net_balance.min(0), core)?,
                    cpu_amount: core_asset(-cpu_balance.min(0), core)?,
                };
                net_balance = net_balance.max(0);
                cpu_balance = cpu_balance.max(0);
                state::put(kv, rkey, &req);
            }
            None => {}
        }
    }
    let to_move = net_balance + cpu_balance;
    if to_move > 0 {
        token::transfer_internal(kv, source, EOSIO_STAKE, core_asset(to_move, core)?)?;
    }

    let mut g = tables::global(kv);
    g.total_staked += d_net + d_cpu;
    tables::put_global(kv, &g);
    update_voting_power(kv, now, owner, d_net + d_cpu)
}

/// Adds `delta` to `owner`'s staked vote weight (creating its `voters` row) and re-counts its
/// votes, and its proxy's, at once.
fn update_voting_power(kv: &mut Kv, now: TimePoint, owner: Name, delta: i64) -> Result<(), ChainError> {
    let mut g = tables::global(kv);
    let mut v = tables::voter(kv, owner).unwrap_or_else(|| VoterInfo::new(owner, g.core_symbol));
    v.staked += delta;
    check(v.staked >= 0, "stake for voting cannot be negative")?;
    if v.is_voting() {
        g.total_voted_stake += delta;
        tables::put_global(kv, &g);
    }
    let (proxy, producers) = (v.proxy, v.producers.clone());
    state::put(kv, tables::voter_key(owner), &v);
    if !proxy.is_empty() || !producers.is_empty() {
        voting::update_votes(kv, now, owner, proxy, &producers, false)?;
    }
    Ok(())
}
