//! Producer candidates: `regproducer`, `unregprod` (Antelope's), and Civitas's `setprodmeta`
//! (diversity metadata, SPEC §8) and `setpayrate` (the keep rate, SPEC §5).

use civitas_protocol::{Name, PublicKey, TimePoint};

use super::countries;
use super::tables::{self, BlockSigningAuthority, ProducerInfo, ProducerPayInfo};
use crate::contracts::ApplyContext;
use crate::error::{check, ChainError};
use crate::state::{self, Kv};

/// URLs must be shorter than this many bytes (Antelope's limit).
pub const MAX_URL_LEN: usize = 512;
/// The longest metadata string (jurisdiction, network, hardware, software), in bytes.
pub const MAX_META_LEN: usize = 64;
/// The keep rate that means "keep everything": 100.00 % in basis points.
pub const FULL_KEEP_RATE: u16 = 10_000;

/// `regproducer` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegProducer {
    /// The candidate.
    pub producer: Name,
    /// Its block signing key.
    pub producer_key: PublicKey,
    /// Its web site.
    pub url: String,
    /// A free location code.
    pub location: u16,
}
civitas_protocol::packable_struct!(RegProducer { producer, producer_key, url, location });

/// `unregprod` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnregProd {
    /// The producer.
    pub producer: Name,
}
civitas_protocol::packable_struct!(UnregProd { producer });

/// `setprodmeta` arguments (Civitas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetProdMeta {
    /// The producer.
    pub producer: Name,
    /// ISO 3166-1 alpha-2 code of the country the node runs in, e.g. `DE`.
    pub country: String,
    /// The legal jurisdiction the operator answers to.
    pub jurisdiction: String,
    /// Network provider or autonomous system, e.g. `AS13335` or `Hetzner`.
    pub network: String,
    /// Hardware architecture, e.g. `x86_64` or `aarch64`.
    pub hardware: String,
    /// Node software and version.
    pub software: String,
}
civitas_protocol::packable_struct!(SetProdMeta { producer, country, jurisdiction, network, hardware, software });

/// `setpayrate` arguments (Civitas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetPayRate {
    /// The producer.
    pub producer: Name,
    /// Share of its block pay to keep, in basis points (0..=10000); the rest goes to the worker fund.
    pub keep_rate: u16,
}
civitas_protocol::packable_struct!(SetPayRate { producer, keep_rate });

pub(super) fn regproducer(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: RegProducer = ctx.args()?;
    ctx.require_auth(a.producer)?;
    check(ctx.is_account(a.producer), "producer account does not exist")?;
    check(a.url.len() < MAX_URL_LEN, "url too long")?;
    check(a.producer_key.is_valid_point(), "invalid producer key: not a point on secp256k1")?;
    register_producer(ctx.kv, a.producer, a.producer_key, a.url, a.location);
    Ok(())
}

/// Registers a candidate, or updates and re-activates a registered one (also used by genesis).
/// Its votes, pay and statistics survive re-registration.
pub fn register_producer(kv: &mut Kv, producer: Name, key: PublicKey, url: String, location: u16) {
    let before = tables::producer(kv, producer);
    let was = before.as_ref().and_then(tables::election_key);
    let row = match before {
        Some(mut p) => {
            p.producer_key = key;
            p.is_active = true;
            p.url = url;
            p.location = location;
            p.producer_authority = Some(BlockSigningAuthority::single(key));
            p
        }
        None => ProducerInfo {
            owner: producer,
            total_votes: 0.0,
            producer_key: key,
            is_active: true,
            url,
            unpaid_blocks: 0,
            // Zero until the first claim, so a new producer may claim as soon as it is paid.
            last_claim_time: TimePoint(0),
            location,
            producer_authority: Some(BlockSigningAuthority::single(key)),
        },
    };
    tables::put_producer(kv, was, &row);
    if tables::prodinfo(kv, producer).is_none() {
        let core = tables::global(kv).core_symbol;
        state::put(kv, tables::prodinfo_key(producer), &ProducerPayInfo::new(producer, core));
    }
}

pub(super) fn unregprod(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: UnregProd = ctx.args()?;
    ctx.require_auth(a.producer)?;
    let mut p = tables::producer(ctx.kv, a.producer).ok_or_else(|| ChainError::Assert("producer not found".into()))?;
    let was = tables::election_key(&p);
    // Antelope also zeroes `producer_key`; Civitas keeps it (an all-zero key is not a valid
    // K1 key, so clients could not decode the row). `is_active = false` is what matters.
    p.is_active = false;
    p.producer_authority = None;
    tables::put_producer(ctx.kv, was, &p);
    Ok(())
}

/// The producer's `prodinfo` row; only registered (or once registered) producers have one.
fn registered_info(kv: &Kv, producer: Name) -> Result<ProducerPayInfo, ChainError> {
    tables::prodinfo(kv, producer).ok_or_else(|| ChainError::Assert(format!("producer {producer} is not registered")))
}

pub(super) fn setprodmeta(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: SetProdMeta = ctx.args()?;
    ctx.require_auth(a.producer)?;
    let mut info = registered_info(ctx.kv, a.producer)?;
    validate_country(&a.country)?;
    validate_text("jurisdiction", &a.jurisdiction)?;
    validate_network(&a.network)?;
    validate_text("hardware", &a.hardware)?;
    validate_text("software", &a.software)?;
    info.country = a.country;
    info.jurisdiction = a.jurisdiction;
    info.network = a.network;
    info.hardware = a.hardware;
    info.software = a.software;
    state::put(ctx.kv, tables::prodinfo_key(a.producer), &info);
    Ok(())
}

/// An ISO 3166-1 alpha-2 code: two upper-case letters, officially assigned.
pub fn validate_country(country: &str) -> Result<(), ChainError> {
    let well_formed = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
    check(
        well_formed,
        &format!("country {country:?} must be an ISO 3166-1 alpha-2 code: two upper-case letters such as \"DE\""),
    )?;
    check(countries::is_assigned(country), &format!("country {country:?} is not an assigned ISO 3166-1 alpha-2 code"))
}

/// A non-empty, printable string of at most [`MAX_META_LEN`] bytes.
pub fn validate_text(field: &str, value: &str) -> Result<(), ChainError> {
    check(!value.trim().is_empty(), &format!("{field} must not be empty"))?;
    check(value.len() <= MAX_META_LEN, &format!("{field} is longer than {MAX_META_LEN} bytes"))?;
    check(!value.chars().any(char::is_control), &format!("{field} must not contain control characters"))
}

/// A network provider name, or an autonomous system number written `AS<number>`.
pub fn validate_network(value: &str) -> Result<(), ChainError> {
    validate_text("network", value)?;
    if let Some(digits) = value.strip_prefix("AS").filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) {
        let asn = digits.parse::<u64>().unwrap_or(u64::MAX);
        check(
            (1..=u64::from(u32::MAX)).contains(&asn) && !digits.starts_with('0'),
            &format!("network {value:?} is not a valid AS number (AS1 to AS4294967295, no leading zeros)"),
        )?;
    }
    Ok(())
}

pub(super) fn setpayrate(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: SetPayRate = ctx.args()?;
    ctx.require_auth(a.producer)?;
    let mut info = registered_info(ctx.kv, a.producer)?;
    check(
        a.keep_rate <= FULL_KEEP_RATE,
        &format!("keep_rate {} is out of range: 0 to 10000 basis points (0% to 100%)", a.keep_rate),
    )?;
    info.keep_rate = a.keep_rate;
    state::put(ctx.kv, tables::prodinfo_key(a.producer), &info);
    Ok(())
}
