//! The `global` singleton in Antelope's layout (`eosio_global_state`, based on
//! `blockchain_parameters`), so that wallets and explorers that read `eosio`'s `global` with the
//! reference contract's types decode it.
//!
//! It holds the RAM market's totals and the last name auction's close, which the RAM and name
//! actions keep here; the chain's limits, written at genesis from the chain's configuration; and
//! the election figures Antelope keeps here (`total_activated_stake`,
//! `thresh_activated_stake_time`, `total_producer_vote_weight`), copied from Civitas's own
//! singleton (`civglobal`, [`super::tables::GlobalState`]) at the end of every block, so every
//! sealed state shows them exactly. Antelope's pay buckets (`pervote_bucket`, `perblock_bucket`,
//! `total_unpaid_blocks`, `last_pervote_bucket_fill`) stay zero: Civitas pays each irreversible
//! block directly (docs/governance.md).

use civitas_protocol::{Name, TimePoint};

use super::tables;
use crate::names::EOSIO;
use crate::resources::EPOCH_2000_MS;
use crate::state::{self, Kv, RowKey};

/// The `global` singleton (scope `eosio`, key `global`).
pub const GLOBAL: Name = Name::constant("global");

/// Antelope's `eosio_global_state`: `blockchain_parameters`, then the system contract's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct EosioGlobalState {
    /// Real block NET limit, bytes.
    pub max_block_net_usage: u64,
    /// The elastic NET target, in 1/100 of a percent of the limit.
    pub target_block_net_usage_pct: u32,
    /// Largest transaction, bytes.
    pub max_transaction_net_usage: u32,
    /// NET billed per transaction beyond its bytes (Civitas: 0).
    pub base_per_transaction_net_usage: u32,
    /// NET leeway (Civitas: 0).
    pub net_usage_leeway: u32,
    /// Context-free data discount numerator (Civitas refuses context-free data: 1/1).
    pub context_free_discount_net_usage_num: u32,
    /// Context-free data discount denominator.
    pub context_free_discount_net_usage_den: u32,
    /// Real block CPU limit, µs of the billing schedule.
    pub max_block_cpu_usage: u32,
    /// The elastic CPU target, in 1/100 of a percent of the limit.
    pub target_block_cpu_usage_pct: u32,
    /// Most CPU one transaction may bill (the block's).
    pub max_transaction_cpu_usage: u32,
    /// Least CPU a transaction bills (the schedule's base).
    pub min_transaction_cpu_usage: u32,
    /// Longest transaction lifetime, seconds.
    pub max_transaction_lifetime: u32,
    /// Deferred transactions (Civitas has none: 0).
    pub deferred_trx_expiration_window: u32,
    /// Longest delay (Civitas: 0).
    pub max_transaction_delay: u32,
    /// Inline actions (Civitas has none: 0).
    pub max_inline_action_size: u32,
    /// Inline action depth (0).
    pub max_inline_action_depth: u16,
    /// Deepest permission chain an authority check follows.
    pub max_authority_depth: u16,
    /// RAM offered, bytes.
    pub max_ram_size: u64,
    /// RAM held by accounts.
    pub total_ram_bytes_reserved: u64,
    /// Tokens paid into `eosio.ram` for the RAM held.
    pub total_ram_stake: i64,
    /// Antelope's last schedule change (block timestamp; Civitas elects every round: 0).
    pub last_producer_schedule_update: u32,
    /// Antelope's pay bucket bookkeeping (0).
    pub last_pervote_bucket_fill: TimePoint,
    /// Antelope's pay bucket (0).
    pub pervote_bucket: i64,
    /// Antelope's pay bucket (0).
    pub perblock_bucket: i64,
    /// Antelope's unpaid blocks (0).
    pub total_unpaid_blocks: u32,
    /// Stake voting now (Civitas's `total_voted_stake`).
    pub total_activated_stake: i64,
    /// When elections activated (zero before).
    pub thresh_activated_stake_time: TimePoint,
    /// Producers per round.
    pub last_producer_schedule_size: u16,
    /// Sum of all producers' votes.
    pub total_producer_vote_weight: f64,
    /// When the last name auction closed (block timestamp: half-seconds since 2000).
    pub last_name_close: u32,
}

civitas_protocol::packable_struct!(EosioGlobalState {
    max_block_net_usage,
    target_block_net_usage_pct,
    max_transaction_net_usage,
    base_per_transaction_net_usage,
    net_usage_leeway,
    context_free_discount_net_usage_num,
    context_free_discount_net_usage_den,
    max_block_cpu_usage,
    target_block_cpu_usage_pct,
    max_transaction_cpu_usage,
    min_transaction_cpu_usage,
    max_transaction_lifetime,
    deferred_trx_expiration_window,
    max_transaction_delay,
    max_inline_action_size,
    max_inline_action_depth,
    max_authority_depth,
    max_ram_size,
    total_ram_bytes_reserved,
    total_ram_stake,
    last_producer_schedule_update,
    last_pervote_bucket_fill,
    pervote_bucket,
    perblock_bucket,
    total_unpaid_blocks,
    total_activated_stake,
    thresh_activated_stake_time,
    last_producer_schedule_size,
    total_producer_vote_weight,
    last_name_close
});

/// A time as Antelope's `block_timestamp_type` (half-seconds since 2000, saturating).
pub fn block_timestamp(t: TimePoint) -> u32 {
    u32::try_from(((t.0 / 1000 - EPOCH_2000_MS) / 500).max(0)).unwrap_or(u32::MAX)
}

/// The time of a `block_timestamp_type`.
pub fn from_block_timestamp(slot: u32) -> TimePoint {
    TimePoint::from_millis(EPOCH_2000_MS + i64::from(slot) * 500)
}

/// Key of the `global` singleton.
pub fn key() -> RowKey {
    RowKey::contract(EOSIO.value(), EOSIO.value(), GLOBAL.value(), GLOBAL.value())
}

/// The `global` singleton (written at genesis, so it always exists).
pub fn get(kv: &Kv) -> EosioGlobalState {
    state::get(kv, &key()).expect("the global row is written at genesis")
}

/// Writes the `global` singleton.
pub fn put(kv: &mut Kv, g: &EosioGlobalState) {
    state::put(kv, key(), g);
}

/// Copies the election figures from Civitas's singleton (end of every block); writes nothing
/// when they did not change.
pub fn sync(kv: &mut Kv) {
    let civ = tables::global(kv);
    let mut g = get(kv);
    let before = g.clone();
    g.total_activated_stake = civ.total_voted_stake;
    g.thresh_activated_stake_time = civ.thresh_activated_stake_time;
    g.total_producer_vote_weight = tables::votes_to_f64(civ.total_producer_vote_weight);
    if g != before {
        put(kv, &g);
    }
}
