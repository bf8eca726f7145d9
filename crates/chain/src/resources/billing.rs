//! Deterministic CPU billing: a transaction costs what a fixed schedule says, computed from
//! its bytes, signatures and actions — the same on every node, so producers and validators
//! never disagree about usage (Antelope bills measured wall-clock time, which differs between
//! machines and lets a producer bill what it likes).
//!
//! The schedule is in microseconds of the reference machine (docs/resources.md gives the
//! benchmarks each figure comes from). NET is every byte the transaction takes in a block,
//! rounded up to 8-byte words, as its receipt's `net_usage_words` reports.

use civitas_protocol::{Action, Name, Transaction};

use crate::names::{EOSIO, EOSIO_TOKEN};

/// Every transaction: decoding, hashing, TAPOS, expiry and duplicate checks, the receipt.
pub const BASE_US: u64 = 4;
/// Each signature: recovering its key (libsecp256k1, `civitas bench crypto`: 28–33 µs).
pub const SIGNATURE_US: u64 = 30;
/// Each 128 bytes of the transaction as carried (hashing and decoding).
pub const PER_128_BYTES_US: u64 = 1;
/// An action no schedule entry names.
pub const DEFAULT_ACTION_US: u64 = 10;

/// The schedule of action costs, by contract and action (µs).
pub const ACTION_COSTS: &[(Name, Name, u64)] = &[
    (EOSIO_TOKEN, Name::constant("transfer"), 3),
    (EOSIO_TOKEN, Name::constant("issue"), 3),
    (EOSIO_TOKEN, Name::constant("retire"), 3),
    (EOSIO_TOKEN, Name::constant("open"), 3),
    (EOSIO_TOKEN, Name::constant("close"), 3),
    (EOSIO_TOKEN, Name::constant("create"), 5),
    (EOSIO, Name::constant("newaccount"), 15),
    (EOSIO, Name::constant("updateauth"), 10),
    (EOSIO, Name::constant("deleteauth"), 5),
    (EOSIO, Name::constant("delegatebw"), 40),
    (EOSIO, Name::constant("undelegatebw"), 40),
    (EOSIO, Name::constant("refund"), 10),
    (EOSIO, Name::constant("voteproducer"), 25),
    (EOSIO, Name::constant("regproxy"), 25),
    (EOSIO, Name::constant("regproducer"), 15),
    (EOSIO, Name::constant("unregprod"), 10),
    (EOSIO, Name::constant("setprodmeta"), 5),
    (EOSIO, Name::constant("setpayrate"), 5),
    (EOSIO, Name::constant("claimrewards"), 20),
    // Two balance changes and the market's arithmetic; a bid also reads and writes its index.
    (EOSIO, Name::constant("buyram"), 10),
    (EOSIO, Name::constant("buyrambytes"), 10),
    (EOSIO, Name::constant("sellram"), 10),
    (EOSIO, Name::constant("bidname"), 10),
];

/// The cost of one action.
pub fn action_cost(action: &Action) -> u64 {
    ACTION_COSTS
        .iter()
        .find(|(c, a, _)| *c == action.account && *a == action.name)
        .map_or(DEFAULT_ACTION_US, |&(_, _, us)| us)
}

/// The CPU a transaction is billed (`cpu_usage_us`): base, signatures, actions and bytes.
pub fn cpu_usage_us(trx: &Transaction, signatures: usize, wire_bytes: usize) -> u64 {
    let actions: u64 = trx.actions.iter().map(action_cost).sum();
    let bytes = (wire_bytes as u64).div_ceil(128) * PER_128_BYTES_US;
    BASE_US + SIGNATURE_US * signatures as u64 + actions + bytes
}

/// The NET a transaction is billed, in 8-byte words (`net_usage_words`).
pub fn net_usage_words(wire_bytes: usize) -> u64 {
    (wire_bytes as u64).div_ceil(8)
}
