//! Transaction validation and the native contracts, through the public chain API.

mod common;

use civitas_chain::contracts::system::{DeleteAuth, NewAccount, UpdateAuth};
use civitas_chain::ChainError;
use civitas_protocol::{Action, Authority, Bytes, Pack, PermissionLevel, TimePointSec};
use common::*;

#[test]
fn transfer_moves_tokens_and_keeps_supply() {
    let mut h = Harness::new();
    h.push(vec![transfer("alice", "bob", "12.5000 CIV", "hi")], &[&key("alice")]).unwrap();
    assert_eq!(balance(&h.chain, "alice"), asset("987.5000 CIV"));
    assert_eq!(balance(&h.chain, "bob"), asset("1012.5000 CIV"));
    let st = civitas_chain::contracts::token::stats(h.chain.kv(), "4,CIV".parse().unwrap()).unwrap();
    // The genesis balances, plus what the genesis accounts' RAM cost (held by eosio.ram).
    let ram = balance(&h.chain, "eosio.ram");
    assert_eq!(st.supply, asset("4000.0000 CIV").checked_add(ram).unwrap());
}

#[test]
fn transfer_rules_are_enforced_and_change_nothing() {
    let mut h = Harness::new();
    let before = h.chain.kv().full_hash();
    let cases: Vec<(Action, &str)> = vec![
        (transfer("alice", "bob", "5000.0000 CIV", ""), "overdrawn balance"),
        (transfer("alice", "alice", "1.0000 CIV", ""), "cannot transfer to self"),
        (transfer("alice", "nobody", "1.0000 CIV", ""), "to account does not exist"),
        (transfer("alice", "bob", "1.00 CIV", ""), "symbol precision mismatch"),
        (transfer("alice", "bob", "0.0000 CIV", ""), "must transfer positive quantity"),
        (transfer("alice", "bob", "1.0000 XYZ", ""), "unable to find key"),
        (transfer("alice", "bob", "1.0000 CIV", &"x".repeat(257)), "memo has more than 256 bytes"),
    ];
    for (action, msg) in cases {
        match h.push(vec![action], &[&key("alice")]) {
            Err(ChainError::Assert(m)) => assert_eq!(m, msg),
            other => panic!("expected {msg:?}, got {other:?}"),
        }
    }
    assert_eq!(h.chain.kv().full_hash(), before);
}

#[test]
fn authorization_rules() {
    let mut h = Harness::new();
    // Wrong key.
    let e = h.push(vec![transfer("alice", "bob", "1.0000 CIV", "")], &[&key("bob")]).unwrap_err();
    assert_eq!(e.code(), 3_090_003, "{e}");
    // Extra, unneeded signature.
    let e = h.push(vec![transfer("alice", "bob", "1.0000 CIV", "")], &[&key("alice"), &key("bob")]).unwrap_err();
    assert_eq!(e.code(), 3_090_002, "{e}");
    // No signature.
    let e = h.push(vec![transfer("alice", "bob", "1.0000 CIV", "")], &[]).unwrap_err();
    assert_eq!(e.code(), 3_090_003);
    // Owner may act where active is required.
    let mut a = transfer("alice", "bob", "1.0000 CIV", "");
    a.authorization = vec![PermissionLevel::new(n("alice"), n("owner"))];
    h.push(vec![a], &[&key("alice-owner")]).unwrap();
    // Declaring bob's authority for alice's transfer: the contract's require_auth fails.
    let mut a = transfer("alice", "bob", "1.0000 CIV", "");
    a.authorization = vec![PermissionLevel::new(n("bob"), n("active"))];
    let e = h.push(vec![a], &[&key("bob")]).unwrap_err();
    assert_eq!(e, ChainError::MissingAuth(n("alice")));
    // Unknown permission.
    let mut a = transfer("alice", "bob", "1.0000 CIV", "");
    a.authorization = vec![PermissionLevel::new(n("alice"), n("nope"))];
    assert_eq!(h.push(vec![a], &[&key("alice")]).unwrap_err().code(), 3_060_001);
}

#[test]
fn expiry_tapos_and_duplicates() {
    let mut h = Harness::new();
    let mut t = h.trx(vec![transfer("alice", "bob", "1.0000 CIV", "")]);
    t.expiration = TimePointSec((h.time_ms / 1000 - 1) as u32);
    let e = h.chain.apply_transaction(&h.sign(&t, &[&key("alice")])).unwrap_err();
    assert_eq!(e.code(), 3_040_005);
    t.expiration = TimePointSec((h.time_ms / 1000 + 3601) as u32);
    assert_eq!(h.chain.apply_transaction(&h.sign(&t, &[&key("alice")])).unwrap_err().code(), 3_040_006);
    t.expiration = TimePointSec((h.time_ms / 1000 + 3600) as u32);
    t.ref_block_prefix ^= 1;
    assert_eq!(h.chain.apply_transaction(&h.sign(&t, &[&key("alice")])).unwrap_err().code(), 3_040_007);
    t.ref_block_prefix ^= 1;
    let vt = h.sign(&t, &[&key("alice")]);
    h.chain.apply_transaction(&vt).unwrap();
    assert_eq!(h.chain.apply_transaction(&vt).unwrap_err().code(), 3_040_008);
    // Still a duplicate in a later block, until it expires.
    h.next_block();
    assert_eq!(h.chain.apply_transaction(&vt).unwrap_err().code(), 3_040_008);
    // Unsupported shapes.
    let mut d = h.trx(vec![transfer("alice", "bob", "1.0000 CIV", "x")]);
    d.delay_sec.0 = 5;
    assert_eq!(h.chain.apply_transaction(&h.sign(&d, &[&key("alice")])).unwrap_err().code(), 3_040_000);
}

fn sys_action(name: &str, actor: &str, perm: &str, data: Vec<u8>) -> Action {
    Action {
        account: n("eosio"),
        name: n(name),
        authorization: vec![PermissionLevel::new(n(actor), n(perm))],
        data: Bytes(data),
    }
}

#[test]
fn newaccount_updateauth_deleteauth() {
    let mut h = Harness::new();
    let dave = key("dave");
    // A 12-character name needs no auction.
    let na = NewAccount {
        creator: n("alice"),
        name: n("daveaccount1"),
        owner: Authority::single_key(dave.public_key()),
        active: Authority::single_key(dave.public_key()),
    };
    // The new account's records cost RAM, which the creator buys for it in the same
    // transaction, as Antelope wallets do.
    let ram = buyrambytes("alice", "daveaccount1", 4096);
    h.push(vec![sys_action("newaccount", "alice", "active", na.packed()), ram], &[&key("alice")]).unwrap();
    // A new account has no bandwidth until someone stakes for it, as an Antelope wallet does
    // when it creates one.
    h.ok(delegatebw("alice", "daveaccount1", "1.0000 CIV", "1.0000 CIV", false));
    let mut again = na.clone();
    again.creator = n("bob");
    let e = h.push(vec![sys_action("newaccount", "bob", "active", again.packed())], &[&key("bob")]).unwrap_err();
    assert_eq!(e.code(), 3_050_001);
    // Non-privileged accounts cannot take eosio. names.
    let mut bad = na.clone();
    bad.name = n("eosio.bad");
    assert!(matches!(
        h.push(vec![sys_action("newaccount", "alice", "active", bad.packed())], &[&key("alice")]),
        Err(ChainError::Assert(_))
    ));

    // A custom permission under active, then delete it.
    let newkey = key("dave-trade");
    let ua = UpdateAuth {
        account: n("daveaccount1"),
        permission: n("trade"),
        parent: n("active"),
        auth: Authority::single_key(newkey.public_key()),
    };
    h.push(vec![sys_action("updateauth", "daveaccount1", "active", ua.packed())], &[&dave]).unwrap();
    // The custom permission cannot authorize a transfer (its minimum is active).
    let mut t = transfer("daveaccount1", "bob", "0.0001 CIV", "");
    t.authorization = vec![PermissionLevel::new(n("daveaccount1"), n("trade"))];
    assert_eq!(h.push(vec![t], &[&newkey]).unwrap_err().code(), 3_090_005);
    let da = DeleteAuth { account: n("daveaccount1"), permission: n("trade") };
    h.push(vec![sys_action("deleteauth", "daveaccount1", "trade", da.packed())], &[&newkey]).unwrap();
    assert!(civitas_chain::records::permission(h.chain.kv(), n("daveaccount1"), n("trade")).is_none());
    // Owner and active cannot be deleted.
    let da = DeleteAuth { account: n("daveaccount1"), permission: n("active") };
    assert!(h.push(vec![sys_action("deleteauth", "daveaccount1", "owner", da.packed())], &[&dave]).is_err());
    // An invalid authority (threshold unreachable) is refused.
    let mut ua2 = ua.clone();
    ua2.auth.threshold = 5;
    assert!(matches!(
        h.push(vec![sys_action("updateauth", "daveaccount1", "active", ua2.packed())], &[&dave]),
        Err(ChainError::Assert(_))
    ));
}

#[test]
fn unknown_contract_and_action() {
    let mut h = Harness::new();
    let mut a = transfer("alice", "bob", "1.0000 CIV", "");
    a.account = n("bob");
    assert_eq!(h.push(vec![a.clone()], &[&key("alice")]).unwrap_err(), ChainError::NoContract(n("bob")));
    a.account = n("eosio.token");
    a.name = n("frobnicate");
    assert_eq!(h.push(vec![a], &[&key("alice")]).unwrap_err().code(), 3_050_005);
    let mut a = transfer("alice", "bob", "1.0000 CIV", "");
    a.data = Bytes(vec![1, 2, 3]);
    assert_eq!(h.push(vec![a], &[&key("alice")]).unwrap_err().code(), 3_050_002);
}

#[test]
fn undo_restores_state_and_root() {
    let mut h = Harness::new();
    h.chain.abort_block();
    let root0 = h.chain.state_root();
    let hash0 = h.chain.kv().full_hash();
    h.open();
    h.push(vec![transfer("alice", "bob", "1.0000 CIV", "")], &[&key("alice")]).unwrap();
    let root1 = h.chain.finish_block();
    assert_ne!(root1, root0);
    assert_ne!(h.chain.kv().full_hash(), hash0);
    h.chain.undo_block();
    assert_eq!(h.chain.state_root(), root0);
    assert_eq!(h.chain.kv().full_hash(), hash0);
}

#[test]
fn genesis_is_deterministic_and_validated() {
    let g = genesis();
    assert_eq!(g.chain_id(), genesis().chain_id());
    let a = civitas_chain::Chain::from_genesis(&g).unwrap();
    let b = civitas_chain::Chain::from_genesis(&g).unwrap();
    assert_eq!(a.state_root(), b.state_root());
    let json = serde_json::to_string(&g).unwrap();
    assert_eq!(civitas_chain::Genesis::from_json(&json).unwrap(), g);
    let mut bad = g.clone();
    bad.producers[0].name = n("zed");
    assert!(civitas_chain::Chain::from_genesis(&bad).is_err());
    assert!(civitas_chain::Genesis::from_json(
        "{\"initial_timestamp\":\"2026-01-01T00:00:00\",\"producers\":[],\"bogus\":1}"
    )
    .is_err());
}
