//! Premium names, Antelope's rules: a name shorter than 12 characters without a dot is won at
//! auction (`bidname`, table `namebids`); a name with a dot can only be created by the account
//! its suffix names (`alice` creates `bob.alice`); 12-character names are free. Only `eosio.`
//! names stay reserved to the privileged `eosio`.
//!
//! Differences from the reference contract, for a chain without deferred transactions: an
//! outbid bidder is refunded at once, in the same action (Antelope queues a deferred
//! `bidrefund`), so there is no `bidrefunds` table. The auction of the highest bid closes once
//! its last bid is a day old, at most one name a day (Antelope's pace), checked at the start of
//! each block through an index of open bids by amount, so the check costs O(log n) however many
//! bids are open. The winning bid stays in `eosio.names`.

use civitas_protocol::{Asset, Name, TimePoint};

use super::{global, tables};
use crate::contracts::{token, ApplyContext};
use crate::error::{check, ChainError};
use crate::names::{EOSIO, EOSIO_NAMES};
use crate::state::{self, Kv, RowKey};

/// The `namebids` table (scope `eosio`, key = the name).
pub const NAMEBIDS: Name = Name::constant("namebids");

/// How long a bid must stand unbeaten before its auction can close, and how often one closes.
pub const AUCTION_DAY_MS: i64 = 24 * 3600 * 1000;

/// A `namebids` row (`name_bid`). `high_bid` turns negative when the auction closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameBid {
    /// The name.
    pub newname: Name,
    /// Who bid highest (after the close: who won).
    pub high_bidder: Name,
    /// The highest bid in the token's smallest unit; negative once the auction closed.
    pub high_bid: i64,
    /// When the highest bid was placed.
    pub last_bid_time: TimePoint,
}
civitas_protocol::packable_struct!(NameBid { newname, high_bidder, high_bid, last_bid_time });

/// `bidname` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidName {
    /// Who bids.
    pub bidder: Name,
    /// The name.
    pub newname: Name,
    /// The bid.
    pub bid: Asset,
}
civitas_protocol::packable_struct!(BidName { bidder, newname, bid });

/// Key of a `namebids` row.
pub fn bid_key(newname: Name) -> RowKey {
    RowKey::contract(EOSIO.value(), EOSIO.value(), NAMEBIDS.value(), newname.value())
}

/// A `namebids` row.
pub fn bid(kv: &Kv, newname: Name) -> Option<NameBid> {
    state::get(kv, &bid_key(newname))
}

const T_BIDRANK: u64 = Name::constant("bidrank").value();

/// An open bid's entry in the index of open bids (highest first).
fn rank_key(b: &NameBid) -> Option<RowKey> {
    (b.high_bid > 0).then(|| RowKey::chain(T_BIDRANK, u64::MAX - b.high_bid as u64, b.newname.value()))
}

fn put_bid(kv: &mut Kv, before: Option<&NameBid>, b: &NameBid) {
    if let Some(k) = before.and_then(rank_key) {
        kv.remove(&k);
    }
    if let Some(k) = rank_key(b) {
        kv.put(k, Vec::new());
    }
    state::put(kv, bid_key(b.newname), b);
}

/// The characters of a name as Antelope counts them: true if any of the first 12 is a dot
/// (which includes every name shorter than 12 characters).
pub fn has_dot_or_is_short(name: Name) -> bool {
    let mut tmp = name.value() >> 4;
    let mut dot = false;
    for _ in 0..12 {
        dot |= tmp & 0x1f == 0;
        tmp >>= 5;
    }
    dot
}

/// The part of a name after its last dot (the name itself without a dot).
pub fn suffix(name: Name) -> Name {
    let text = name.to_string();
    match text.rsplit_once('.') {
        Some((_, s)) => s.parse().unwrap_or(name),
        None => name,
    }
}

/// `newaccount`'s naming rule for a creator that is not privileged: a short name must have been
/// won by the creator (the closed bid is consumed); a dotted name needs its suffix's owner.
pub fn claim_name(kv: &mut Kv, creator: Name, name: Name) -> Result<(), ChainError> {
    if !has_dot_or_is_short(name) {
        return Ok(());
    }
    let s = suffix(name);
    if s != name {
        return check(creator == s, "only suffix may create this account");
    }
    let b = bid(kv, name).ok_or_else(|| ChainError::Assert("no active bid for name".into()))?;
    check(b.high_bidder == creator, "only highest bidder can claim")?;
    check(b.high_bid < 0, "auction for name is not closed yet")?;
    kv.remove(&bid_key(name));
    Ok(())
}

pub(super) fn bidname(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: BidName = ctx.args()?;
    ctx.require_auth(a.bidder)?;
    check(suffix(a.newname) == a.newname, "you can only bid on top-level suffix")?;
    check(!a.newname.is_empty(), "the empty name is not a valid account name to bid on")?;
    check(a.newname.value() & 0xf == 0, "13 character names are not valid account names to bid on")?;
    check(
        a.newname.value() & 0x1f0 == 0,
        "accounts with 12 character names and no dots can be created without bidding required",
    )?;
    check(!ctx.is_account(a.newname), "account already exists")?;
    let core = tables::global(ctx.kv).core_symbol;
    check(a.bid.symbol() == core, "asset must be system token")?;
    check(a.bid.amount() > 0, "insufficient bid")?;
    token::transfer_internal(ctx.kv, a.bidder, EOSIO_NAMES, a.bid)?;
    let now = ctx.block.time;
    match bid(ctx.kv, a.newname) {
        None => {
            let b = NameBid { newname: a.newname, high_bidder: a.bidder, high_bid: a.bid.amount(), last_bid_time: now };
            put_bid(ctx.kv, None, &b);
        }
        Some(cur) => {
            check(cur.high_bid > 0, "this auction has already closed")?;
            check(a.bid.amount() - cur.high_bid > cur.high_bid / 10, "must increase bid by 10%")?;
            check(cur.high_bidder != a.bidder, "account is already highest bidder")?;
            let refund = Asset::new(cur.high_bid, core).map_err(|e| ChainError::Assert(e.to_string()))?;
            token::transfer_internal(ctx.kv, EOSIO_NAMES, cur.high_bidder, refund)?;
            let b = NameBid { high_bidder: a.bidder, high_bid: a.bid.amount(), last_bid_time: now, ..cur.clone() };
            put_bid(ctx.kv, Some(&cur), &b);
        }
    }
    Ok(())
}

/// Closes the auction of the highest open bid if a day has passed since the last close and
/// the bid has stood for a day (called at the start of every block).
pub fn close_auction(kv: &mut Kv, now: TimePoint) {
    let mut g = global::get(kv);
    if now.0 - global::from_block_timestamp(g.last_name_close).0 <= AUCTION_DAY_MS * 1000 {
        return;
    }
    let lo = RowKey::chain(T_BIDRANK, 0, 0);
    let hi = RowKey::chain(T_BIDRANK, u64::MAX, u64::MAX);
    let Some(top) = kv.range(lo, hi).next().map(|(k, _)| Name(k.pk)) else { return };
    let Some(b) = bid(kv, top) else { return };
    if now.0 - b.last_bid_time.0 <= AUCTION_DAY_MS * 1000 {
        return;
    }
    g.last_name_close = global::block_timestamp(now);
    global::put(kv, &g);
    let closed = NameBid { high_bid: -b.high_bid, ..b.clone() };
    put_bid(kv, Some(&b), &closed);
}
