//! Well-known names.

use civitas_protocol::Name;

/// The system account.
pub const EOSIO: Name = Name::constant("eosio");
/// The core token contract.
pub const EOSIO_TOKEN: Name = Name::constant("eosio.token");
/// The producers' collective account (2/3+1 of the active producers).
pub const EOSIO_PRODS: Name = Name::constant("eosio.prods");
/// The multisig contract.
pub const EOSIO_MSIG: Name = Name::constant("eosio.msig");
/// The privileged-execution contract.
pub const EOSIO_WRAP: Name = Name::constant("eosio.wrap");
/// The forum and referendum contract.
pub const EOSIO_FORUM: Name = Name::constant("eosio.forum");
/// The worker proposal fund.
pub const EOSIO_WPS: Name = Name::constant("eosio.wps");
/// The arbitration contract.
pub const EOSIO_ARB: Name = Name::constant("eosio.arb");
/// Holds staked tokens.
pub const EOSIO_STAKE: Name = Name::constant("eosio.stake");
/// Holds producers' kept, unclaimed block pay until `claimrewards`.
pub const EOSIO_BPAY: Name = Name::constant("eosio.bpay");

/// Holds the tokens paid for RAM (the market's reserve).
pub const EOSIO_RAM: Name = Name::constant("eosio.ram");
/// Receives the 0.5% fee on RAM trades.
pub const EOSIO_RAMFEE: Name = Name::constant("eosio.ramfee");
/// Holds name auction bids.
pub const EOSIO_NAMES: Name = Name::constant("eosio.names");

/// The `owner` permission.
pub const OWNER: Name = Name::constant("owner");
/// The `active` permission.
pub const ACTIVE: Name = Name::constant("active");

/// Accounts created at genesis with the chain's native contracts and funds.
pub const SYSTEM_ACCOUNTS: [Name; 13] = [
    EOSIO,
    EOSIO_TOKEN,
    EOSIO_PRODS,
    EOSIO_MSIG,
    EOSIO_WRAP,
    EOSIO_FORUM,
    EOSIO_WPS,
    EOSIO_ARB,
    EOSIO_STAKE,
    EOSIO_BPAY,
    EOSIO_RAM,
    EOSIO_RAMFEE,
    EOSIO_NAMES,
];
