//! Producer pay (SPEC §3.6, §5): tokens are minted for each block when it becomes irreversible,
//! split between the block's producer and the worker fund, and the producer's part is split
//! again by its own keep rate. Kept pay waits in `eosio.bpay` until `claimrewards`.
//!
//! All of it is integer arithmetic on `i128` with floor division; each remainder is assigned
//! so that the parts always add up to the whole (see [`split_block_pay`]).

use civitas_protocol::Name;

use super::stake::core_asset;
use super::tables::{self, ProducerPayInfo};
use crate::contracts::{token, ApplyContext};
use crate::error::{check, ChainError};
use crate::names::{EOSIO_BPAY, EOSIO_WPS};
use crate::state::{self, Kv};

/// Basis points in one whole.
pub const BASIS: i128 = 10_000;

/// `claimrewards` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRewards {
    /// The producer.
    pub owner: Name,
}
civitas_protocol::packable_struct!(ClaimRewards { owner });

/// Blocks in a 365-day year at one block per `block_interval_ms`.
pub fn blocks_per_year(block_interval_ms: u32) -> i64 {
    (365 * 24 * 3600 * 1000 / i64::from(block_interval_ms.max(1))).max(1)
}

/// How one irreversible block's new tokens are divided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockPay {
    /// New tokens: `floor(supply × inflation_rate / 10000 / blocks_per_year)`.
    pub minted: i64,
    /// The block pay: `floor(minted × producer_share / 10000)`.
    pub producer_pay: i64,
    /// Kept by the producer: `floor(producer_pay × keep_rate / 10000)`.
    pub kept: i64,
    /// Returned by the producer: `producer_pay − kept`.
    pub returned: i64,
    /// Everything for the worker fund: `minted − kept` (the returned pay plus the rest of the
    /// minted tokens).
    pub to_fund: i64,
}

/// New tokens for one block: `floor(supply × inflation_rate / 10000 / blocks_per_year)`,
/// computed as one floor division in `i128` (the same value as the two floors in turn).
pub fn block_inflation(supply: i64, inflation_rate: u16, blocks_per_year: i64) -> i64 {
    let per_year = i128::from(supply.max(0)) * i128::from(inflation_rate);
    (per_year / (BASIS * i128::from(blocks_per_year.max(1)))) as i64
}

/// Divides `minted` tokens. Floors are taken at each step and every remainder goes to the
/// worker fund, so `kept + returned = producer_pay` and `kept + to_fund = minted` exactly.
pub fn divide_minted(minted: i64, producer_share: u16, keep_rate: u16) -> BlockPay {
    let producer_pay = (i128::from(minted) * i128::from(producer_share) / BASIS) as i64;
    let kept = (i128::from(producer_pay) * i128::from(keep_rate) / BASIS) as i64;
    BlockPay { minted, producer_pay, kept, returned: producer_pay - kept, to_fund: minted - kept }
}

/// One block's pay: [`block_inflation`] divided by [`divide_minted`].
pub fn split_block_pay(
    supply: i64,
    inflation_rate: u16,
    producer_share: u16,
    keep_rate: u16,
    blocks_per_year: i64,
) -> BlockPay {
    divide_minted(block_inflation(supply, inflation_rate, blocks_per_year), producer_share, keep_rate)
}

/// Pays `producer` for one of its blocks that became irreversible: mints the block's
/// inflation, credits the kept part to its unclaimed pay in `eosio.bpay` and the rest to
/// `eosio.wps`. A producer without a `producers` row (never registered) keeps nothing; its
/// block's inflation goes to the worker fund. Never mints beyond the maximum supply.
pub fn pay_block(kv: &mut Kv, producer: Name, block_interval_ms: u32) -> Result<BlockPay, ChainError> {
    let mut g = tables::global(kv);
    let Some(stats) = token::stats(kv, g.core_symbol) else {
        return Ok(BlockPay::default());
    };
    let mut info = tables::prodinfo(kv, producer);
    let keep_rate = info.as_ref().map_or(0, |i| i.keep_rate);
    let supply = stats.supply.amount();
    let room = (stats.max_supply.amount() - supply).max(0);
    let minted = block_inflation(supply, g.inflation_rate, blocks_per_year(block_interval_ms)).min(room);
    let pay = divide_minted(minted, g.producer_share, keep_rate);
    if pay.kept > 0 {
        token::mint(kv, EOSIO_BPAY, core_asset(pay.kept, g.core_symbol)?)?;
    }
    if pay.to_fund > 0 {
        token::mint(kv, EOSIO_WPS, core_asset(pay.to_fund, g.core_symbol)?)?;
    }
    if let Some(info) = info.as_mut() {
        info.unclaimed = core_asset(info.unclaimed.amount() + pay.kept, g.core_symbol)?;
        info.kept_total = core_asset(info.kept_total.amount() + pay.kept, g.core_symbol)?;
        info.returned_total = core_asset(info.returned_total.amount() + pay.returned, g.core_symbol)?;
        info.paid_blocks += 1;
        state::put(kv, tables::prodinfo_key(producer), info);
    }
    if let Some(mut p) = tables::producer(kv, producer) {
        let was = tables::election_key(&p);
        p.unpaid_blocks = p.unpaid_blocks.saturating_add(1);
        tables::put_producer(kv, was, &p);
    }
    g.total_minted += pay.minted;
    g.total_kept += pay.kept;
    g.total_to_fund += pay.to_fund;
    g.paid_blocks += 1;
    tables::put_global(kv, &g);
    Ok(pay)
}

pub(super) fn claimrewards(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: ClaimRewards = ctx.args()?;
    ctx.require_auth(a.owner)?;
    let mut prod = tables::producer(ctx.kv, a.owner).ok_or_else(|| ChainError::Assert("producer not found".into()))?;
    let mut info: ProducerPayInfo =
        tables::prodinfo(ctx.kv, a.owner).ok_or_else(|| ChainError::Assert("producer not found".into()))?;
    let mut g = tables::global(ctx.kv);
    let now = ctx.block.time;
    let interval_us = i64::from(g.claim_interval_sec) * 1_000_000;
    let first = prod.last_claim_time.0 == 0;
    check(first || now.0 - prod.last_claim_time.0 >= interval_us, "already claimed rewards within past day")?;
    let amount = info.unclaimed;
    check(amount.amount() > 0, "no rewards to claim")?;
    token::transfer_internal(ctx.kv, EOSIO_BPAY, a.owner, amount)?;
    info.claimed_total = core_asset(info.claimed_total.amount() + amount.amount(), g.core_symbol)?;
    info.unclaimed = core_asset(0, g.core_symbol)?;
    state::put(ctx.kv, tables::prodinfo_key(a.owner), &info);
    let was = tables::election_key(&prod);
    prod.last_claim_time = now;
    prod.unpaid_blocks = 0;
    tables::put_producer(ctx.kv, was, &prod);
    g.total_claimed += amount.amount();
    tables::put_global(ctx.kv, &g);
    Ok(())
}
