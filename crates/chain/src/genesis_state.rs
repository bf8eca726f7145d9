//! Building the initial state from a genesis.

use civitas_protocol::{Asset, Authority, Name, PermissionLevel, PermissionLevelWeight};

use crate::contracts::system::tables::{self, GlobalState};
use crate::contracts::system::{create_account, global, producers, ram, stake, voting};
use crate::contracts::token::{self, CurrencyStats};
use crate::genesis::{Genesis, GenesisError};
use crate::names::{ACTIVE, EOSIO, EOSIO_PRODS, EOSIO_RAM, SYSTEM_ACCOUNTS};
use crate::state::{self, Kv};

/// 2/3+1 of `n`.
pub fn supermajority(n: usize) -> usize {
    n * 2 / 3 + 1
}

/// `eosio.prods@active`: the given producers' `active` permissions with threshold 2/3+1.
pub fn producers_authority(producers: &[Name]) -> Authority {
    let mut names: Vec<Name> = producers.to_vec();
    names.sort();
    names.dedup();
    Authority {
        threshold: supermajority(names.len()) as u32,
        keys: vec![],
        accounts: names
            .into_iter()
            .map(|p| PermissionLevelWeight { permission: PermissionLevel::new(p, ACTIVE), weight: 1 })
            .collect(),
        waits: vec![],
    }
}

/// The initial state of a genesis (its commitment is the full state hash).
pub fn build(g: &Genesis) -> Result<Kv, GenesisError> {
    let mut kv = Kv::new();
    let t = g.initial_timestamp;
    let prods_active = PermissionLevel::new(EOSIO_PRODS, ACTIVE);
    let eosio_active = PermissionLevel::new(EOSIO, ACTIVE);
    for sys in SYSTEM_ACCOUNTS {
        let (owner, active) = match sys {
            // The system acts only through the producers' 2/3+1 majority.
            EOSIO => (Authority::single_account(prods_active), Authority::single_account(prods_active)),
            // Nobody holds eosio.prods' owner; its active is rebuilt from the schedule.
            EOSIO_PRODS => (
                Authority { threshold: 1, keys: vec![], accounts: vec![], waits: vec![] },
                producers_authority(&g.producers.iter().map(|p| p.name).collect::<Vec<_>>()),
            ),
            _ => (Authority::single_account(eosio_active), Authority::single_account(eosio_active)),
        };
        create_account(&mut kv, sys, owner, active, t, sys == EOSIO);
    }
    for a in &g.accounts {
        let active = a.active_key.unwrap_or(a.owner_key);
        create_account(&mut kv, a.name, Authority::single_key(a.owner_key), Authority::single_key(active), t, false);
    }
    let st = CurrencyStats { supply: Asset::zero(g.core_symbol), max_supply: g.max_supply, issuer: EOSIO };
    state::put(&mut kv, token::stat_key(g.core_symbol), &st);
    for a in &g.accounts {
        if let Some(b) = a.balance.filter(|b| b.amount() > 0) {
            token::mint(&mut kv, a.name, b).map_err(|e| GenesisError(format!("balance of {}: {e}", a.name)))?;
        }
    }
    crate::resources::init(&mut kv, &crate::resources::ResourceConfig::for_interval(g.block_interval_ms));
    build_governance(&mut kv, g)?;
    crate::abis::install(&mut kv).map_err(GenesisError)?;
    crate::resources::ram::init_usage(&mut kv);
    let root = kv.full_hash();
    kv.set_root(root);
    Ok(kv)
}

/// The governance state of a genesis: parameters, registered producers, stakes, votes, and
/// whether elections are active from the start.
fn build_governance(kv: &mut Kv, g: &Genesis) -> Result<(), GenesisError> {
    let t = g.initial_timestamp;
    let p = &g.governance;
    let global = GlobalState {
        core_symbol: g.core_symbol,
        unstake_delay_sec: p.unstake_delay_sec,
        activation_threshold: p.activation_threshold,
        inflation_rate: p.inflation_rate,
        producer_share: p.producer_share,
        claim_interval_sec: p.claim_interval_sec,
        total_staked: 0,
        total_voted_stake: 0,
        activated: false,
        thresh_activated_stake_time: civitas_protocol::TimePoint(0),
        total_producer_vote_weight: 0,
        total_minted: 0,
        total_kept: 0,
        total_to_fund: 0,
        total_claimed: 0,
        paid_blocks: 0,
    };
    tables::put_global(kv, &global);
    for prod in &g.producers {
        producers::register_producer(kv, prod.name, prod.signing_key, prod.url.clone(), prod.location);
    }
    for a in &g.accounts {
        let Some(s) = a.stake.filter(|s| s.amount() > 0) else { continue };
        let fail = |e: crate::ChainError| GenesisError(format!("stake of {}: {e}", a.name));
        token::mint(kv, a.name, s).map_err(fail)?;
        let net = s.amount() / 2;
        stake::change_bw(kv, t, a.name, a.name, net, s.amount() - net, false).map_err(fail)?;
    }
    for a in g.accounts.iter().filter(|a| !a.votes.is_empty()) {
        voting::update_votes(kv, t, a.name, Name::EMPTY, &a.votes, true)
            .map_err(|e| GenesisError(format!("votes of {}: {e}", a.name)))?;
    }
    voting::maybe_activate(kv, t);
    build_ram(kv, g)
}

/// The `global` row in Antelope's layout: the chain's limits, the RAM offered, and the
/// election figures of genesis.
fn antelope_global(g: &Genesis) -> global::EosioGlobalState {
    let r = crate::resources::ResourceConfig::for_interval(g.block_interval_ms);
    let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    global::EosioGlobalState {
        max_block_net_usage: r.net.max,
        target_block_net_usage_pct: 1000,
        max_transaction_net_usage: clamp(crate::chain::DEFAULT_MAX_TRANSACTION_SIZE as u64),
        base_per_transaction_net_usage: 0,
        net_usage_leeway: 0,
        context_free_discount_net_usage_num: 1,
        context_free_discount_net_usage_den: 1,
        max_block_cpu_usage: clamp(r.cpu.max),
        target_block_cpu_usage_pct: 1000,
        max_transaction_cpu_usage: clamp(r.cpu.max),
        min_transaction_cpu_usage: clamp(crate::resources::billing::BASE_US),
        max_transaction_lifetime: g.max_transaction_lifetime_sec,
        deferred_trx_expiration_window: 0,
        max_transaction_delay: 0,
        max_inline_action_size: 0,
        max_inline_action_depth: 0,
        max_authority_depth: crate::auth::MAX_AUTH_DEPTH as u16,
        max_ram_size: MAX_RAM_SIZE,
        total_ram_bytes_reserved: 0,
        total_ram_stake: 0,
        last_producer_schedule_update: 0,
        last_pervote_bucket_fill: civitas_protocol::TimePoint(0),
        pervote_bucket: 0,
        perblock_bucket: 0,
        total_unpaid_blocks: 0,
        total_activated_stake: 0,
        thresh_activated_stake_time: civitas_protocol::TimePoint(0),
        last_producer_schedule_size: u16::try_from(g.active_producers).unwrap_or(u16::MAX),
        total_producer_vote_weight: 0.0,
        last_name_close: global::block_timestamp(g.initial_timestamp),
    }
}

/// The RAM the chain offers at genesis: 8 GiB of billed state. Antelope starts at 64 GiB
/// because nodeos maps its state to disk; a Civitas node holds its state in memory, and a
/// producer machine of 24 GiB (../shared/research/perf.md) must hold all of it with room to
/// spare. The producers can offer more as machines grow (Antelope's privileged `setram`).
pub const MAX_RAM_SIZE: u64 = 8 << 30;
/// The RAM each genesis account holds: 8 KiB, what wallets buy for a new account.
pub const GENESIS_RAM_BYTES: i64 = 8 << 10;

/// The RAM market, and each genesis account's RAM, bought at the opening price with tokens
/// minted into `eosio.ram` — so `eosio.ram` holds exactly what the market's reserve says was
/// paid, from the first block on. The market's virtual token reserve is a thousandth of the
/// genesis supply (Antelope's `init`).
fn build_ram(kv: &mut Kv, g: &Genesis) -> Result<(), GenesisError> {
    let supply = token::stats(kv, g.core_symbol).map_or(0, |s| s.supply.amount());
    let quote = Asset::new((supply / 1000).max(g.core_symbol.unit()), g.core_symbol)
        .map_err(|e| GenesisError(format!("RAM market reserve: {e}")))?;
    ram::init_market(kv, MAX_RAM_SIZE, quote);
    global::put(kv, &antelope_global(g));
    for a in &g.accounts {
        let fail = |e: crate::ChainError| GenesisError(format!("RAM of {}: {e}", a.name));
        let cost = ram::cost_of_bytes(&ram::market(kv), GENESIS_RAM_BYTES)
            .ok_or_else(|| GenesisError("the RAM market cannot sell genesis RAM".into()))?;
        let cost = cost - ram::fee(cost);
        let paid = Asset::new(cost, g.core_symbol).map_err(|e| GenesisError(format!("RAM of {}: {e}", a.name)))?;
        token::mint(kv, EOSIO_RAM, paid).map_err(fail)?;
        ram::reserve(kv, a.name, paid).map_err(fail)?;
    }
    global::sync(kv);
    Ok(())
}
