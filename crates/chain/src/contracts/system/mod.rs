//! `eosio`, natively: accounts and permissions, and the governance layer — staking, producer
//! registration, votes and pay — with the Antelope reference contract's actions and tables.
//!
//! * [`accounts`] — `newaccount`, `updateauth`, `deleteauth`.
//! * [`stake`] — `delegatebw`, `undelegatebw`, `refund`.
//! * [`producers`] — `regproducer`, `unregprod`, `setprodmeta`, `setpayrate`.
//! * [`voting`] — `voteproducer`, `regproxy`.
//! * [`pay`] — pay per irreversible block, `claimrewards`.
//! * [`ram`] — the RAM market: `buyram`, `buyrambytes`, `sellram`.
//! * [`names`] — premium names: `bidname`, auctions, who may create which name.
//! * [`tables`] — the rows, as the `eosio` ABI declares them.
//! * [`global`] — the `global` singleton in Antelope's layout.

pub mod accounts;
mod countries;
pub mod global;
pub mod names;
pub mod pay;
pub mod producers;
pub mod ram;
pub mod stake;
pub mod tables;
pub mod voting;

use civitas_protocol::Name;

pub use accounts::{
    auth_action_minimum, create_account, DeleteAuth, NewAccount, UpdateAuth, DELETEAUTH, MAX_PERMISSIONS, NEWACCOUNT,
    UPDATEAUTH,
};
pub use countries::ISO_3166_ALPHA2;
pub use names::BidName;
pub use pay::ClaimRewards;
pub use producers::{RegProducer, SetPayRate, SetProdMeta, UnregProd};
pub use ram::{BuyRam, BuyRamBytes, SellRam};
pub use stake::{DelegateBw, Refund, UndelegateBw};
pub use voting::{RegProxy, VoteProducer};

use super::ApplyContext;
use crate::error::ChainError;

/// The `delegatebw` action name.
pub const DELEGATEBW: Name = Name::constant("delegatebw");
/// The `undelegatebw` action name.
pub const UNDELEGATEBW: Name = Name::constant("undelegatebw");
/// The `refund` action name.
pub const REFUND: Name = Name::constant("refund");
/// The `regproducer` action name.
pub const REGPRODUCER: Name = Name::constant("regproducer");
/// The `unregprod` action name.
pub const UNREGPROD: Name = Name::constant("unregprod");
/// The `setprodmeta` action name (Civitas).
pub const SETPRODMETA: Name = Name::constant("setprodmeta");
/// The `setpayrate` action name (Civitas).
pub const SETPAYRATE: Name = Name::constant("setpayrate");
/// The `voteproducer` action name.
pub const VOTEPRODUCER: Name = Name::constant("voteproducer");
/// The `regproxy` action name.
pub const REGPROXY: Name = Name::constant("regproxy");
/// The `claimrewards` action name.
pub const CLAIMREWARDS: Name = Name::constant("claimrewards");

/// The `buyram` action name.
pub const BUYRAM: Name = Name::constant("buyram");
/// The `buyrambytes` action name.
pub const BUYRAMBYTES: Name = Name::constant("buyrambytes");
/// The `sellram` action name.
pub const SELLRAM: Name = Name::constant("sellram");
/// The `bidname` action name.
pub const BIDNAME: Name = Name::constant("bidname");

/// Applies an `eosio` action; `Ok(false)` for an unknown action.
pub fn apply(ctx: &mut ApplyContext<'_>) -> Result<bool, ChainError> {
    match ctx.action.name {
        NEWACCOUNT => accounts::newaccount(ctx)?,
        UPDATEAUTH => accounts::updateauth(ctx)?,
        DELETEAUTH => accounts::deleteauth(ctx)?,
        DELEGATEBW => stake::delegatebw(ctx)?,
        UNDELEGATEBW => stake::undelegatebw(ctx)?,
        REFUND => stake::refund(ctx)?,
        REGPRODUCER => producers::regproducer(ctx)?,
        UNREGPROD => producers::unregprod(ctx)?,
        SETPRODMETA => producers::setprodmeta(ctx)?,
        SETPAYRATE => producers::setpayrate(ctx)?,
        VOTEPRODUCER => voting::voteproducer(ctx)?,
        REGPROXY => voting::regproxy(ctx)?,
        CLAIMREWARDS => pay::claimrewards(ctx)?,
        BUYRAM => ram::buyram(ctx)?,
        BUYRAMBYTES => ram::buyrambytes(ctx)?,
        SELLRAM => ram::sellram(ctx)?,
        BIDNAME => names::bidname(ctx)?,
        _ => return Ok(false),
    }
    Ok(true)
}
