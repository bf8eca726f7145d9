//! Bad input to every governance action: a clear error, and the state is unchanged.

// Token amounts are written as whole tokens then four decimals: `100_0000` is 100.0000 CIV.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use civitas_chain::contracts::system::RegProducer;
use civitas_chain::ChainError;
use civitas_protocol::{Bytes, PublicKey};
use common::*;

/// A chain where every action has something to act on: stakes, a refund, votes, a proxy,
/// registered producers with pay.
fn setup() -> Harness {
    let mut h = Harness::with_genesis(&gov_genesis());
    h.ok(regproducer("bp2"));
    h.ok(delegatebw("alice", "alice", "10.0000 CIV", "10.0000 CIV", false));
    h.ok(undelegatebw("alice", "alice", "1.0000 CIV", "0.0000 CIV"));
    h.ok(regproxy("bob", true));
    h.ok(voteproducer("alice", "", &["bp1", "bp2"]));
    h.chain.on_block_irreversible(n("bp2"), 1);
    h.next_block();
    h
}

fn all_actions() -> Vec<civitas_protocol::Action> {
    vec![
        delegatebw("alice", "bob", "1.0000 CIV", "0.0000 CIV", false),
        undelegatebw("alice", "alice", "1.0000 CIV", "0.0000 CIV"),
        refund("alice"),
        regproducer("bp2"),
        unregprod("bp2"),
        setprodmeta("bp2", ["DE", "Germany", "AS24940", "x86_64", "civitas"]),
        setpayrate("bp2", 5000),
        voteproducer("alice", "", &["bp2"]),
        regproxy("bob", false),
        claimrewards("bp2"),
    ]
}

fn expect_error(h: &mut Harness, action: civitas_protocol::Action, signer: &str, check: impl Fn(&ChainError) -> bool) {
    let before = h.chain.kv().full_hash();
    let name = action.name;
    let e = h.push(vec![action], &[&key(signer)]).expect_err("the action should fail");
    assert!(check(&e), "{name}: unexpected error {e}");
    assert!(!e.to_string().is_empty());
    assert_eq!(h.chain.kv().full_hash(), before, "{name} changed the state");
}

#[test]
fn missing_authority_is_refused_and_changes_nothing() {
    let mut h = setup();
    for mut action in all_actions() {
        let owner = action.authorization[0].actor;
        action.authorization[0].actor = n("carol");
        expect_error(&mut h, action, "carol", |e| *e == ChainError::MissingAuth(owner));
    }
    // Signed by the wrong key: the declared authority is not satisfied.
    for action in all_actions() {
        expect_error(&mut h, action, "carol", |e| e.code() == 3_090_003);
    }
}

#[test]
fn undecodable_arguments_are_refused_and_change_nothing() {
    let mut h = setup();
    for mut action in all_actions() {
        let signer = action.authorization[0].actor.to_string();
        let mut data = action.data.0.clone();
        data.push(0);
        action.data = Bytes(data);
        expect_error(&mut h, action.clone(), &signer, |e| e.code() == 3_050_002);
        action.data = Bytes(action.data.0[..action.data.0.len() / 2].to_vec());
        expect_error(&mut h, action, &signer, |e| e.code() == 3_050_002);
    }
}

#[test]
fn producer_arguments_are_validated() {
    let mut h = setup();
    let mut long = RegProducer {
        producer: n("bp3"),
        producer_key: key("bp3-sign").public_key(),
        url: "x".repeat(512),
        location: 0,
    };
    h.fails(sys("regproducer", "bp3", &long), "url too long");
    long.url = "x".repeat(511);
    long.producer_key = PublicKey([2; 33]);
    long.producer_key.0[1..].copy_from_slice(&[0xff; 32]);
    h.fails(sys("regproducer", "bp3", &long), "invalid producer key: not a point on secp256k1");
    h.fails(unregprod("bp3"), "producer not found");
    h.fails(setpayrate("bp3", 100), "producer bp3 is not registered");
    h.fails(setpayrate("bp2", 10_001), "keep_rate 10001 is out of range: 0 to 10000 basis points (0% to 100%)");
    h.fails(setprodmeta("bp3", ["DE", "a", "b", "c", "d"]), "producer bp3 is not registered");
}

#[test]
fn diversity_metadata_is_validated() {
    let mut h = setup();
    let ok = ["DE", "Germany", "AS24940", "x86_64", "civitas 0.1"];
    let (j65, s65) = ("j".repeat(65), "s".repeat(65));
    let cases: Vec<([&str; 5], String)> = vec![
        (
            ["de", ok[1], ok[2], ok[3], ok[4]],
            "country \"de\" must be an ISO 3166-1 alpha-2 code: two upper-case letters such as \"DE\"".into(),
        ),
        (
            ["DEU", ok[1], ok[2], ok[3], ok[4]],
            "country \"DEU\" must be an ISO 3166-1 alpha-2 code: two upper-case letters such as \"DE\"".into(),
        ),
        (
            ["", ok[1], ok[2], ok[3], ok[4]],
            "country \"\" must be an ISO 3166-1 alpha-2 code: two upper-case letters such as \"DE\"".into(),
        ),
        (["XX", ok[1], ok[2], ok[3], ok[4]], "country \"XX\" is not an assigned ISO 3166-1 alpha-2 code".into()),
        (["UK", ok[1], ok[2], ok[3], ok[4]], "country \"UK\" is not an assigned ISO 3166-1 alpha-2 code".into()),
        ([ok[0], "", ok[2], ok[3], ok[4]], "jurisdiction must not be empty".into()),
        ([ok[0], "   ", ok[2], ok[3], ok[4]], "jurisdiction must not be empty".into()),
        ([ok[0], &j65, ok[2], ok[3], ok[4]], "jurisdiction is longer than 64 bytes".into()),
        ([ok[0], "a\nb", ok[2], ok[3], ok[4]], "jurisdiction must not contain control characters".into()),
        ([ok[0], ok[1], "", ok[3], ok[4]], "network must not be empty".into()),
        (
            [ok[0], ok[1], "AS0", ok[3], ok[4]],
            "network \"AS0\" is not a valid AS number (AS1 to AS4294967295, no leading zeros)".into(),
        ),
        (
            [ok[0], ok[1], "AS4294967296", ok[3], ok[4]],
            "network \"AS4294967296\" is not a valid AS number (AS1 to AS4294967295, no leading zeros)".into(),
        ),
        (
            [ok[0], ok[1], "AS013335", ok[3], ok[4]],
            "network \"AS013335\" is not a valid AS number (AS1 to AS4294967295, no leading zeros)".into(),
        ),
        ([ok[0], ok[1], ok[2], "", ok[4]], "hardware must not be empty".into()),
        ([ok[0], ok[1], ok[2], ok[3], &s65], "software is longer than 64 bytes".into()),
    ];
    for (meta, msg) in cases {
        h.fails(setprodmeta("bp2", meta), &msg);
    }
    h.ok(setprodmeta("bp2", ok));
    h.ok(setprodmeta("bp2", ["US", "Delaware, USA", "Hetzner Online", "aarch64", &"s".repeat(64)]));
    h.ok(setprodmeta("bp2", ["JP", "Japan", "AS4294967295", "riscv64", "civitas"]));
    let info = prodinfo(&h.chain, "bp2");
    assert_eq!((info.country.as_str(), info.network.as_str()), ("JP", "AS4294967295"));
}

#[test]
fn a_failed_action_rolls_back_the_whole_transaction() {
    let mut h = setup();
    let before = h.chain.kv().full_hash();
    let actions =
        vec![delegatebw("alice", "alice", "5.0000 CIV", "0.0000 CIV", false), voteproducer("alice", "", &["bp4"])];
    let e = h.push(actions, &[&key("alice")]).unwrap_err();
    assert_eq!(e, ChainError::Assert("producer bp4 is not registered".into()));
    assert_eq!(h.chain.kv().full_hash(), before);
}

/// `eosio.stake` holds exactly the stakes and pending refunds, `eosio.bpay` exactly the
/// unclaimed pay: a plain transfer into either is refused with a clear error, so the
/// supply-conservation invariant cannot be broken from outside. Donations to the worker fund
/// stay possible.
#[test]
fn plain_transfers_into_stake_and_pay_accounts_are_refused() {
    let mut h = setup();
    h.fails(
        transfer("alice", "eosio.stake", "1.0000 CIV", "sneak"),
        "cannot transfer to eosio.stake: use delegatebw to stake",
    );
    h.fails(
        transfer("alice", "eosio.bpay", "1.0000 CIV", "sneak"),
        "cannot transfer to eosio.bpay: it holds unclaimed producer pay only",
    );
    h.ok(transfer("alice", "eosio.wps", "1.0000 CIV", "a donation"));
    check_invariants(&h.chain, genesis_supply(&gov_genesis()));
}
