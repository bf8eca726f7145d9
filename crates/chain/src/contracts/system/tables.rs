//! The `eosio` tables of the governance layer: row types, their keys and typed access.
//!
//! Every row is encoded exactly as the `eosio` ABI (`abi/eosio.abi.json`) declares its type, so
//! `get_table_rows` can decode it for eosjs and Wharfkit. The Antelope tables (`producers`,
//! `voters`, `delband`, `userres`, `refunds`) keep the reference contract's field names, order
//! and types; Civitas's own data lives in separate tables (`civglobal`, `prodinfo`, `prodstats`)
//! so that the Antelope rows stay decodable by clients that only know the reference layout.
//!
//! Vote quantities are `float64` in the Antelope layout. Civitas computes them with integers and
//! stores the exact conversion: genesis bounds the supply by 2^53 (see
//! [`crate::genesis::MAX_EXACT_SUPPLY`]) and no vote weight can exceed the supply, so every
//! stored float is an integer that converts back without loss.

use civitas_protocol::codec::{write_varuint32, Pack, Reader, Unpack};
use civitas_protocol::{Asset, CodecError, KeyWeight, Name, PublicKey, Symbol, TimePoint, TimePointSec};

use crate::names::EOSIO;
use crate::state::{self, Kv, RowKey};

/// The `producers` table (scope `eosio`, key = owner).
pub const PRODUCERS: Name = Name::constant("producers");
/// The `voters` table (scope `eosio`, key = owner).
pub const VOTERS: Name = Name::constant("voters");
/// The `delband` table (scope = the staking account, key = the receiver).
pub const DELBAND: Name = Name::constant("delband");
/// The `userres` table (scope = key = the receiver).
pub const USERRES: Name = Name::constant("userres");
/// The `refunds` table (scope = key = the owner).
pub const REFUNDS: Name = Name::constant("refunds");
/// Civitas's `civglobal` singleton (scope `eosio`, key = `civglobal`); `global` is Antelope's
/// layout ([`super::global`]).
pub const CIVGLOBAL: Name = Name::constant("civglobal");
/// Civitas: the `prodinfo` table (scope `eosio`, key = owner): pay and diversity metadata.
pub const PRODINFO: Name = Name::constant("prodinfo");
/// Civitas: the `prodstats` table (scope `eosio`, key = owner): blocks produced and missed.
pub const PRODSTATS: Name = Name::constant("prodstats");

/// A vote quantity as the `float64` the Antelope tables hold (exact: see the module docs).
pub fn votes_to_f64(v: i64) -> f64 {
    v as f64
}

/// The integer a stored vote `float64` holds (exact: see the module docs).
pub fn votes_from_f64(v: f64) -> i64 {
    v as i64
}

/// `block_signing_authority_v0`: the producer's block signing keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockSigningAuthority {
    /// Weight the signatures must reach.
    pub threshold: u32,
    /// The keys.
    pub keys: Vec<KeyWeight>,
}

civitas_protocol::packable_struct!(BlockSigningAuthority { threshold, keys });

impl BlockSigningAuthority {
    /// One key with weight 1, threshold 1 (what `regproducer` records).
    pub fn single(key: PublicKey) -> BlockSigningAuthority {
        BlockSigningAuthority { threshold: 1, keys: vec![KeyWeight { key, weight: 1 }] }
    }
}

/// A `producers` row (`producer_info`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerInfo {
    /// The producer account.
    pub owner: Name,
    /// Total vote weight (an integer number of core-token units, as `float64`).
    pub total_votes: f64,
    /// The block signing key.
    pub producer_key: PublicKey,
    /// Registered and electable.
    pub is_active: bool,
    /// The producer's web site.
    pub url: String,
    /// Irreversible blocks credited since the last claim.
    pub unpaid_blocks: u32,
    /// Time of the last `claimrewards` (zero before the first).
    pub last_claim_time: TimePoint,
    /// Free location code (unused by elections, as in Antelope).
    pub location: u16,
    /// `block_signing_authority$`: a binary extension, present while registered.
    pub producer_authority: Option<BlockSigningAuthority>,
}

impl ProducerInfo {
    /// The total votes as an integer.
    pub fn votes(&self) -> i64 {
        votes_from_f64(self.total_votes)
    }
}

impl Pack for ProducerInfo {
    fn pack(&self, out: &mut Vec<u8>) {
        self.owner.pack(out);
        self.total_votes.pack(out);
        self.producer_key.pack(out);
        self.is_active.pack(out);
        self.url.pack(out);
        self.unpaid_blocks.pack(out);
        self.last_claim_time.pack(out);
        self.location.pack(out);
        // A binary extension is simply absent when empty; when present it is the variant
        // `block_signing_authority` with index 0 (`block_signing_authority_v0`).
        if let Some(a) = &self.producer_authority {
            write_varuint32(out, 0);
            a.pack(out);
        }
    }
}

impl Unpack for ProducerInfo {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let mut p = ProducerInfo {
            owner: Unpack::unpack(r)?,
            total_votes: Unpack::unpack(r)?,
            producer_key: Unpack::unpack(r)?,
            is_active: Unpack::unpack(r)?,
            url: Unpack::unpack(r)?,
            unpaid_blocks: Unpack::unpack(r)?,
            last_claim_time: Unpack::unpack(r)?,
            location: Unpack::unpack(r)?,
            producer_authority: None,
        };
        if r.remaining() > 0 {
            let index = r.varuint32()?;
            if index != 0 {
                return Err(CodecError::invalid("block_signing_authority", format!("unknown variant {index}")));
            }
            p.producer_authority = Some(Unpack::unpack(r)?);
        }
        Ok(p)
    }
}

/// A `voters` row (`voter_info`).
#[derive(Debug, Clone, PartialEq)]
pub struct VoterInfo {
    /// The voter.
    pub owner: Name,
    /// The proxy it votes through (empty if none).
    pub proxy: Name,
    /// The producers it approves (empty when it uses a proxy), ascending.
    pub producers: Vec<Name>,
    /// Tokens it has staked (its own vote weight).
    pub staked: i64,
    /// The weight applied the last time its votes were counted.
    pub last_vote_weight: f64,
    /// The sum of the stake of the voters that use it as their proxy.
    pub proxied_vote_weight: f64,
    /// Registered as a proxy.
    pub is_proxy: bool,
    /// Reserved (Antelope's resource-management flags; unused).
    pub flags1: u32,
    /// Reserved.
    pub reserved2: u32,
    /// Reserved.
    pub reserved3: Asset,
}

civitas_protocol::packable_struct!(VoterInfo {
    owner,
    proxy,
    producers,
    staked,
    last_vote_weight,
    proxied_vote_weight,
    is_proxy,
    flags1,
    reserved2,
    reserved3
});

impl VoterInfo {
    /// A new voter with nothing staked.
    pub fn new(owner: Name, core: Symbol) -> VoterInfo {
        VoterInfo {
            owner,
            proxy: Name::EMPTY,
            producers: vec![],
            staked: 0,
            last_vote_weight: 0.0,
            proxied_vote_weight: 0.0,
            is_proxy: false,
            flags1: 0,
            reserved2: 0,
            reserved3: Asset::zero(core),
        }
    }

    /// True if the voter currently votes (for producers or through a proxy).
    pub fn is_voting(&self) -> bool {
        !self.proxy.is_empty() || !self.producers.is_empty()
    }

    /// The weight its vote carries now: its stake, plus what it holds as a registered proxy.
    pub fn current_weight(&self) -> i64 {
        self.staked + if self.is_proxy { votes_from_f64(self.proxied_vote_weight) } else { 0 }
    }
}

/// A `delband` row (`delegated_bandwidth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedBandwidth {
    /// Who staked (and holds the vote weight).
    pub from: Name,
    /// Who receives the bandwidth.
    pub to: Name,
    /// Staked for NET.
    pub net_weight: Asset,
    /// Staked for CPU.
    pub cpu_weight: Asset,
}

civitas_protocol::packable_struct!(DelegatedBandwidth { from, to, net_weight, cpu_weight });

/// A `userres` row (`user_resources`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserResources {
    /// The receiver of the bandwidth.
    pub owner: Name,
    /// NET stake received.
    pub net_weight: Asset,
    /// CPU stake received.
    pub cpu_weight: Asset,
    /// RAM bytes bought (the quota is this plus the gift, `resources::ram::RAM_GIFT_BYTES`).
    pub ram_bytes: i64,
}

civitas_protocol::packable_struct!(UserResources { owner, net_weight, cpu_weight, ram_bytes });

/// A `refunds` row (`refund_request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// Who gets the tokens back.
    pub owner: Name,
    /// When the last unstake was requested (the delay restarts with each).
    pub request_time: TimePointSec,
    /// NET stake being returned.
    pub net_amount: Asset,
    /// CPU stake being returned.
    pub cpu_amount: Asset,
}

civitas_protocol::packable_struct!(RefundRequest { owner, request_time, net_amount, cpu_amount });

/// The `civglobal` singleton (`global_state`, Civitas's own layout): governance parameters and
/// totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalState {
    /// The core token.
    pub core_symbol: Symbol,
    /// Seconds between `undelegatebw` and `refund`.
    pub unstake_delay_sec: u32,
    /// Stake that must vote before elections start, in basis points of the supply.
    pub activation_threshold: u16,
    /// Yearly inflation in basis points of the supply.
    pub inflation_rate: u16,
    /// Part of the minted tokens that is block pay, in basis points (the rest funds workers).
    pub producer_share: u16,
    /// Seconds between two `claimrewards` of one producer.
    pub claim_interval_sec: u32,
    /// Tokens staked in `delband` rows (refunds pending are not counted).
    pub total_staked: i64,
    /// Stake of the voters that currently vote (for producers or through a proxy).
    pub total_voted_stake: i64,
    /// Elections are active (set once, never reverts).
    pub activated: bool,
    /// When elections activated (zero before).
    pub thresh_activated_stake_time: TimePoint,
    /// The sum of all producers' total votes.
    pub total_producer_vote_weight: i64,
    /// Tokens minted since genesis.
    pub total_minted: i64,
    /// Minted pay kept by producers (moved to `eosio.bpay`).
    pub total_kept: i64,
    /// Minted tokens sent to the worker fund (`eosio.wps`): returned pay plus the non-producer share.
    pub total_to_fund: i64,
    /// Pay claimed by producers.
    pub total_claimed: i64,
    /// Irreversible blocks paid.
    pub paid_blocks: u64,
}

civitas_protocol::packable_struct!(GlobalState {
    core_symbol,
    unstake_delay_sec,
    activation_threshold,
    inflation_rate,
    producer_share,
    claim_interval_sec,
    total_staked,
    total_voted_stake,
    activated,
    thresh_activated_stake_time,
    total_producer_vote_weight,
    total_minted,
    total_kept,
    total_to_fund,
    total_claimed,
    paid_blocks
});

/// A `prodinfo` row (`producer_pay_info`, Civitas): keep rate, pay and diversity metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerPayInfo {
    /// The producer.
    pub owner: Name,
    /// Share of its block pay the producer keeps, in basis points (the rest goes to `eosio.wps`).
    pub keep_rate: u16,
    /// Kept pay not yet claimed (held by `eosio.bpay`).
    pub unclaimed: Asset,
    /// All pay kept since registration.
    pub kept_total: Asset,
    /// All pay returned to the worker fund.
    pub returned_total: Asset,
    /// All pay claimed.
    pub claimed_total: Asset,
    /// Irreversible blocks paid.
    pub paid_blocks: u64,
    /// ISO 3166-1 alpha-2 country code (empty until published).
    pub country: String,
    /// Legal jurisdiction.
    pub jurisdiction: String,
    /// Network provider or autonomous system (e.g. `AS13335`).
    pub network: String,
    /// Hardware architecture.
    pub hardware: String,
    /// Node software and version.
    pub software: String,
}

civitas_protocol::packable_struct!(ProducerPayInfo {
    owner,
    keep_rate,
    unclaimed,
    kept_total,
    returned_total,
    claimed_total,
    paid_blocks,
    country,
    jurisdiction,
    network,
    hardware,
    software
});

impl ProducerPayInfo {
    /// A new producer's row: keeps all its pay, nothing published yet.
    pub fn new(owner: Name, core: Symbol) -> ProducerPayInfo {
        let zero = Asset::zero(core);
        ProducerPayInfo {
            owner,
            keep_rate: 10_000,
            unclaimed: zero,
            kept_total: zero,
            returned_total: zero,
            claimed_total: zero,
            paid_blocks: 0,
            country: String::new(),
            jurisdiction: String::new(),
            network: String::new(),
            hardware: String::new(),
            software: String::new(),
        }
    }
}

fn eosio_key(table: Name, pk: Name) -> RowKey {
    RowKey::contract(EOSIO.value(), EOSIO.value(), table.value(), pk.value())
}

/// Key of a `producers` row.
pub fn producer_key(owner: Name) -> RowKey {
    eosio_key(PRODUCERS, owner)
}
/// Key of a `voters` row.
pub fn voter_key(owner: Name) -> RowKey {
    eosio_key(VOTERS, owner)
}
/// Key of a `delband` row.
pub fn delband_key(from: Name, to: Name) -> RowKey {
    RowKey::contract(EOSIO.value(), from.value(), DELBAND.value(), to.value())
}
/// Key of a `userres` row.
pub fn userres_key(owner: Name) -> RowKey {
    RowKey::contract(EOSIO.value(), owner.value(), USERRES.value(), owner.value())
}
/// Key of a `refunds` row.
pub fn refund_key(owner: Name) -> RowKey {
    RowKey::contract(EOSIO.value(), owner.value(), REFUNDS.value(), owner.value())
}
/// Key of the `civglobal` singleton.
pub fn global_key() -> RowKey {
    eosio_key(CIVGLOBAL, CIVGLOBAL)
}
/// Key of a `prodinfo` row.
pub fn prodinfo_key(owner: Name) -> RowKey {
    eosio_key(PRODINFO, owner)
}
/// Key of a `prodstats` row.
pub fn prodstats_key(owner: Name) -> RowKey {
    eosio_key(PRODSTATS, owner)
}

/// The `civglobal` singleton; it is written at genesis, so it always exists.
pub fn global(kv: &Kv) -> GlobalState {
    state::get(kv, &global_key()).expect("the global row is written at genesis")
}
/// Writes the `civglobal` singleton.
pub fn put_global(kv: &mut Kv, g: &GlobalState) {
    state::put(kv, global_key(), g);
}
/// A `producers` row.
pub fn producer(kv: &Kv, owner: Name) -> Option<ProducerInfo> {
    state::get(kv, &producer_key(owner))
}
/// A `voters` row.
pub fn voter(kv: &Kv, owner: Name) -> Option<VoterInfo> {
    state::get(kv, &voter_key(owner))
}
/// A `delband` row.
pub fn delband(kv: &Kv, from: Name, to: Name) -> Option<DelegatedBandwidth> {
    state::get(kv, &delband_key(from, to))
}
/// A `userres` row.
pub fn userres(kv: &Kv, owner: Name) -> Option<UserResources> {
    state::get(kv, &userres_key(owner))
}
/// A `refunds` row.
pub fn refund(kv: &Kv, owner: Name) -> Option<RefundRequest> {
    state::get(kv, &refund_key(owner))
}
/// A `prodinfo` row.
pub fn prodinfo(kv: &Kv, owner: Name) -> Option<ProducerPayInfo> {
    state::get(kv, &prodinfo_key(owner))
}

/// Every `producers` row, in name order.
pub fn all_producers(kv: &Kv) -> impl Iterator<Item = ProducerInfo> + '_ {
    kv.range(producer_key(Name(0)), producer_key(Name(u64::MAX)))
        .map(|(k, v)| ProducerInfo::unpack_exact(v).unwrap_or_else(|e| panic!("corrupt producers row {k:?}: {e}")))
}

const T_PRODRANK: u64 = Name::constant("prodrank").value();

/// A producer's entry in the election index (votes descending, then name ascending); `None`
/// for an inactive producer, which is not in the index.
pub fn election_key(p: &ProducerInfo) -> Option<RowKey> {
    p.is_active.then(|| RowKey::chain(T_PRODRANK, u64::MAX - p.votes().max(0) as u64, p.owner.value()))
}

/// Writes a `producers` row and moves the producer in the election index (active candidates by
/// votes), so an election reads the top `n` instead of scanning every candidate ever
/// registered. `before` is the row's [`election_key`] as it was read (`None` for a new row).
pub fn put_producer(kv: &mut Kv, before: Option<RowKey>, p: &ProducerInfo) {
    let after = election_key(p);
    if before != after {
        if let Some(k) = before {
            kv.remove(&k);
        }
        if let Some(k) = after {
            kv.put(k, Vec::new());
        }
    }
    state::put(kv, producer_key(p.owner), p);
}

/// Active candidates, best first (votes descending, then name), read from the election index.
pub fn ranked_producers(kv: &Kv) -> impl Iterator<Item = ProducerInfo> + '_ {
    kv.range(RowKey::chain(T_PRODRANK, 0, 0), RowKey::chain(T_PRODRANK, u64::MAX, u64::MAX))
        .filter_map(move |(k, _)| producer(kv, Name(k.pk)))
}
