//! Resources: stake buys a share of CPU and NET, Antelope's model (`resource_limits`).
//!
//! * [`accumulator`] — the usage accumulator (moving average over a window of ordinals).
//! * [`elastic`] — the elastic virtual block limits.
//! * [`billing`] — the deterministic CPU cost schedule and NET in words.
//! * [`ram`] — RAM: what each account's rows cost and its quota.
//! * [`recent`] — what the last blocks used, and who (for operators; not state).
//!
//! Every account that authorizes a transaction is billed its whole CPU and NET. An account's
//! allowance over the 24 h window is its share of the staked weight (`userres`) times the
//! virtual block limit times the window; spending beyond it fails the transaction with
//! `tx_cpu_usage_exceeded` / `tx_net_usage_exceeded`. A block may not use more than the real
//! limits (`block_cpu_usage_exceeded` / `block_net_usage_exceeded`). The system accounts, which
//! only the producers' 2/3+1 can act as, are not limited (Antelope gives `eosio` −1 limits).
//! docs/resources.md explains the figures.

pub mod accumulator;
pub mod billing;
pub mod elastic;
pub mod ram;
pub mod recent;

use civitas_protocol::{Name, TimePoint};

pub use accumulator::UsageAccumulator;
pub use elastic::ElasticLimit;

use crate::contracts::system::tables;
use crate::error::ChainError;
use crate::names::SYSTEM_ACCOUNTS;
use crate::state::{self, Kv, RowKey};

const T_RLSTATE: u64 = Name::constant("rlstate").value();
const T_RUSAGE: u64 = Name::constant("rusage").value();
const T_UNLIMITED: u64 = Name::constant("unlimited").value();

/// The usage window of an account: 24 hours (Antelope's `account_cpu_usage_average_window_ms`
/// and `account_net_usage_average_window_ms`).
pub const ACCOUNT_WINDOW_MS: u64 = 24 * 3600 * 1000;

/// The real CPU limit per second of slot time: two reference cores. Keys are recovered on
/// every core before a block is applied, so a two-core node validates a full block in its slot
/// (`civitas bench http`: ~46 µs of node CPU per transfer at 35k transfers/s).
pub const BLOCK_CPU_US_PER_SECOND: u64 = 2_000_000;

/// Milliseconds from the Unix epoch to 2000-01-01, the epoch of slot ordinals (as Antelope's
/// `block_timestamp_type`).
pub const EPOCH_2000_MS: i64 = 946_684_800_000;

/// The resource parameters, the same on every node (from genesis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceConfig {
    /// Block CPU, in µs of the billing schedule.
    pub cpu: ElasticLimit,
    /// Block NET, in bytes.
    pub net: ElasticLimit,
    /// The account usage window, in slots.
    pub account_window: u32,
    /// The slot length.
    pub interval_ms: u32,
}

impl ResourceConfig {
    /// The parameters for blocks of `interval_ms`: CPU of [`BLOCK_CPU_US_PER_SECOND`], NET of
    /// the protocol's block byte limit, Antelope's elastic rules and a 24 h account window.
    pub fn for_interval(interval_ms: u32) -> ResourceConfig {
        let interval_ms = interval_ms.max(1);
        let cpu_max = BLOCK_CPU_US_PER_SECOND * u64::from(interval_ms) / 1000;
        let net_max = civitas_protocol::limits::MAX_BLOCK_BYTES as u64;
        ResourceConfig {
            cpu: ElasticLimit::antelope(cpu_max, interval_ms),
            net: ElasticLimit::antelope(net_max, interval_ms),
            account_window: (ACCOUNT_WINDOW_MS / u64::from(interval_ms)) as u32,
            interval_ms,
        }
    }

    /// The slot ordinal of a time (slots since 2000-01-01).
    pub fn ordinal(&self, time: TimePoint) -> u32 {
        let ms = time.0.div_euclid(1000) - EPOCH_2000_MS;
        u32::try_from(ms.max(0) / i64::from(self.interval_ms)).unwrap_or(u32::MAX)
    }

    /// The start time of a slot ordinal.
    pub fn ordinal_time(&self, ordinal: u32) -> TimePoint {
        TimePoint::from_millis(EPOCH_2000_MS + i64::from(ordinal) * i64::from(self.interval_ms))
    }
}

/// The chain-wide resource state (Antelope's `resource_limits_state_object`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResourceState {
    /// Average NET per block over the last `periods` blocks.
    pub average_block_net_usage: UsageAccumulator,
    /// Average CPU per block.
    pub average_block_cpu_usage: UsageAccumulator,
    /// Sum of every account's NET weight (staked tokens).
    pub total_net_weight: u64,
    /// Sum of every account's CPU weight.
    pub total_cpu_weight: u64,
    /// Sum of RAM quotas.
    pub total_ram_bytes: u64,
    /// The virtual NET limit per block accounts share.
    pub virtual_net_limit: u64,
    /// The virtual CPU limit per block.
    pub virtual_cpu_limit: u64,
}
civitas_protocol::packable_struct!(ResourceState {
    average_block_net_usage,
    average_block_cpu_usage,
    total_net_weight,
    total_cpu_weight,
    total_ram_bytes,
    virtual_net_limit,
    virtual_cpu_limit
});

/// One account's usage (Antelope's `resource_usage_object`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountUsage {
    /// NET in bytes.
    pub net_usage: UsageAccumulator,
    /// CPU in µs.
    pub cpu_usage: UsageAccumulator,
}
civitas_protocol::packable_struct!(AccountUsage { net_usage, cpu_usage });

/// What the open block used so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockUsage {
    /// CPU, µs.
    pub cpu: u64,
    /// NET, bytes.
    pub net: u64,
}

/// An account's allowance of one resource, as `get_account` reports it (`cpu_limit`,
/// `net_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountLimit {
    /// Usage in the window as of the last update.
    pub used: i64,
    /// What is left of the allowance as of the last update.
    pub available: i64,
    /// The allowance over the window.
    pub max: i64,
    /// When the usage was last updated.
    pub last_usage_update_time: TimePoint,
    /// Usage in the window now (decayed since the last update).
    pub current_used: i64,
}

fn state_key() -> RowKey {
    RowKey::chain(T_RLSTATE, 0, 0)
}

fn usage_key(account: Name) -> RowKey {
    RowKey::chain(T_RUSAGE, 0, account.value())
}

/// The chain-wide resource state.
pub fn resource_state(kv: &Kv) -> ResourceState {
    state::get(kv, &state_key()).unwrap_or_default()
}

fn put_state(kv: &mut Kv, s: &ResourceState) {
    state::put(kv, state_key(), s);
}

/// An account's usage (zero if it never used anything).
pub fn account_usage(kv: &Kv, account: Name) -> AccountUsage {
    state::get(kv, &usage_key(account)).unwrap_or_default()
}

/// Writes the genesis resource state: the virtual limits start at the real ones (Antelope's
/// slow start, as if the chain were congested).
pub fn init(kv: &mut Kv, cfg: &ResourceConfig) {
    let s = ResourceState { virtual_net_limit: cfg.net.max, virtual_cpu_limit: cfg.cpu.max, ..resource_state(kv) };
    put_state(kv, &s);
}

/// Adds staked weight (`changebw` moved `d_net`/`d_cpu` in or out of some account's
/// `userres`).
pub fn add_weights(kv: &mut Kv, d_net: i64, d_cpu: i64) {
    let mut s = resource_state(kv);
    s.total_net_weight = s.total_net_weight.saturating_add_signed(d_net);
    s.total_cpu_weight = s.total_cpu_weight.saturating_add_signed(d_cpu);
    put_state(kv, &s);
}

/// True for accounts with no CPU and NET limits: the system accounts (`eosio`, the one
/// privileged account, among them) and accounts set unlimited (Antelope's −1 limits).
pub fn is_unlimited(kv: &Kv, account: Name) -> bool {
    // The only privileged account, `eosio`, is a system account.
    SYSTEM_ACCOUNTS.contains(&account) || kv.contains(&RowKey::chain(T_UNLIMITED, 0, account.value()))
}

/// Lifts (or restores) an account's CPU and NET limits — what Antelope's privileged
/// `set_resource_limits(account, -1, -1, -1)` does; used by test harnesses that exercise
/// other rules, and by the privileged `setalimits` to come.
pub fn set_unlimited(kv: &mut Kv, account: Name, unlimited: bool) {
    let key = RowKey::chain(T_UNLIMITED, 0, account.value());
    if unlimited {
        kv.put(key, vec![1]);
    } else {
        kv.remove(&key);
    }
}

/// An account's staked (NET, CPU) weight.
pub fn weights(kv: &Kv, account: Name) -> (u64, u64) {
    tables::userres(kv, account)
        .map_or((0, 0), |r| (r.net_weight.amount().max(0) as u64, r.cpu_weight.amount().max(0) as u64))
}

/// The most an account of `weight` out of `total` may use over the window.
fn allowance(virtual_limit: u64, window: u32, weight: u64, total: u64) -> u128 {
    if total == 0 {
        return 0;
    }
    u128::from(virtual_limit) * u128::from(window) * u128::from(weight) / u128::from(total)
}

/// Usage written by the open block, flushed to the state when it is sealed: an account that
/// sends many transactions in one block is decoded and written once, not once per transaction.
pub type UsageBuffer = std::collections::BTreeMap<Name, AccountUsage>;

/// An account's usage as the open block sees it.
pub fn buffered_usage(kv: &Kv, buffer: &UsageBuffer, account: Name) -> AccountUsage {
    buffer.get(&account).copied().unwrap_or_else(|| account_usage(kv, account))
}

/// Writes the open block's usage to the state (in account order, the same on every node).
pub fn flush_usage(kv: &mut Kv, buffer: &mut UsageBuffer) {
    for (account, u) in std::mem::take(buffer) {
        state::put(kv, usage_key(account), &u);
    }
}

/// Bills a transaction's `cpu` (µs) and `net` (bytes) to each of `payers` at slot `ordinal`
/// and to the open block; fails, changing nothing, if any payer's usage over the window would
/// exceed its allowance or the block its real limits.
#[allow(clippy::too_many_arguments)]
pub fn bill(
    kv: &Kv,
    cfg: &ResourceConfig,
    payers: &[Name],
    cpu: u64,
    net: u64,
    ordinal: u32,
    block: &mut BlockUsage,
    buffer: &mut UsageBuffer,
) -> Result<(), ChainError> {
    if block.cpu + cpu > cfg.cpu.max {
        return Err(ChainError::BlockCpuUsageExceeded { needed: cpu, left: cfg.cpu.max.saturating_sub(block.cpu) });
    }
    if block.net + net > cfg.net.max {
        return Err(ChainError::BlockNetUsageExceeded { needed: net, left: cfg.net.max.saturating_sub(block.net) });
    }
    let window = cfg.account_window;
    let mut s: Option<ResourceState> = None;
    // Written only once every payer and the block have room: a refusal changes nothing.
    let mut updated: Vec<(Name, AccountUsage)> = Vec::with_capacity(payers.len());
    for &payer in payers {
        if is_unlimited(kv, payer) {
            continue;
        }
        let s = *s.get_or_insert_with(|| resource_state(kv));
        let (net_weight, cpu_weight) = weights(kv, payer);
        let mut u = buffered_usage(kv, buffer, payer);
        u.net_usage.add(net, ordinal, window);
        u.cpu_usage.add(cpu, ordinal, window);
        // Antelope compares the usage rounded down with the allowance.
        let over = |a: &UsageAccumulator, max: u128| {
            let used = u128::from(a.value_ex) * u128::from(window) / u128::from(accumulator::PRECISION);
            let clamp = |v: u128| u64::try_from(v).unwrap_or(u64::MAX);
            (used > max).then(|| (clamp(used), clamp(max)))
        };
        if let Some((used, max)) =
            over(&u.cpu_usage, allowance(s.virtual_cpu_limit, window, cpu_weight, s.total_cpu_weight))
        {
            return Err(ChainError::TxCpuUsageExceeded { account: payer, used, max });
        }
        if let Some((used, max)) =
            over(&u.net_usage, allowance(s.virtual_net_limit, window, net_weight, s.total_net_weight))
        {
            return Err(ChainError::TxNetUsageExceeded { account: payer, used, max });
        }
        updated.push((payer, u));
    }
    buffer.extend(updated);
    block.cpu += cpu;
    block.net += net;
    Ok(())
}

/// Closes a block's accounting: its usage joins the block averages and the virtual limits
/// expand or contract (Antelope's `process_block_usage`).
pub fn end_block(kv: &mut Kv, cfg: &ResourceConfig, block_num: u32, usage: BlockUsage) {
    let mut s = resource_state(kv);
    s.average_block_cpu_usage.add(usage.cpu, block_num, cfg.cpu.periods);
    s.virtual_cpu_limit = cfg.cpu.update(s.virtual_cpu_limit, s.average_block_cpu_usage.average());
    s.average_block_net_usage.add(usage.net, block_num, cfg.net.periods);
    s.virtual_net_limit = cfg.net.update(s.virtual_net_limit, s.average_block_net_usage.average());
    put_state(kv, &s);
}

/// An account's (NET, CPU) allowances at `now`; `None` for an unlimited account (reported as
/// −1, as nodeos does for `eosio`).
pub fn account_limits(
    kv: &Kv,
    cfg: &ResourceConfig,
    account: Name,
    now: TimePoint,
) -> Option<(AccountLimit, AccountLimit)> {
    if is_unlimited(kv, account) {
        return None;
    }
    let s = resource_state(kv);
    let (net_weight, cpu_weight) = weights(kv, account);
    let u = account_usage(kv, account);
    let window = cfg.account_window;
    let ordinal = cfg.ordinal(now);
    let limit = |acc: &UsageAccumulator, virtual_limit: u64, weight: u64, total: u64| {
        let max = allowance(virtual_limit, window, weight, total).min(i64::MAX as u128) as i64;
        let used = acc.used_in_window(window).min(i64::MAX as u64) as i64;
        AccountLimit {
            used,
            available: (max - used).max(0),
            max,
            last_usage_update_time: cfg.ordinal_time(acc.last_ordinal),
            current_used: acc.used_in_window_at(ordinal, window).min(i64::MAX as u64) as i64,
        }
    };
    Some((
        limit(&u.net_usage, s.virtual_net_limit, net_weight, s.total_net_weight),
        limit(&u.cpu_usage, s.virtual_cpu_limit, cpu_weight, s.total_cpu_weight),
    ))
}

/// A limited account's usage and allowances at slot `ordinal`, with its CPU weight
/// (admission's view: one read of each row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headroom {
    /// Its staked CPU weight.
    pub cpu_weight: u64,
    /// CPU used in the window by now, µs.
    pub cpu_used: u64,
    /// Its CPU allowance over the window, µs.
    pub cpu_max: u64,
    /// NET used in the window by now, bytes.
    pub net_used: u64,
    /// Its NET allowance, bytes.
    pub net_max: u64,
}

/// An account's [`Headroom`] now (its usage as the open block sees it); `None` for an unlimited
/// account.
pub fn headroom(
    kv: &Kv,
    cfg: &ResourceConfig,
    s: &ResourceState,
    account: Name,
    ordinal: u32,
    buffer: &UsageBuffer,
) -> Option<Headroom> {
    if is_unlimited(kv, account) {
        return None;
    }
    let (net_weight, cpu_weight) = weights(kv, account);
    let u = buffered_usage(kv, buffer, account);
    let window = cfg.account_window;
    let clamp = |v: u128| u64::try_from(v).unwrap_or(u64::MAX);
    Some(Headroom {
        cpu_weight,
        cpu_used: u.cpu_usage.used_in_window_at(ordinal, window),
        cpu_max: clamp(allowance(s.virtual_cpu_limit, window, cpu_weight, s.total_cpu_weight)),
        net_used: u.net_usage.used_in_window_at(ordinal, window),
        net_max: clamp(allowance(s.virtual_net_limit, window, net_weight, s.total_net_weight)),
    })
}

/// The accounts billed for a transaction: every distinct authorizer, in order of appearance.
pub fn payers(trx: &civitas_protocol::Transaction) -> Vec<Name> {
    let mut out: Vec<Name> = Vec::with_capacity(2);
    for level in trx.actions.iter().flat_map(|a| a.authorization.iter()) {
        if !out.contains(&level.actor) {
            out.push(level.actor);
        }
    }
    out
}
