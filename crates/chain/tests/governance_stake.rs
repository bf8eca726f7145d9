//! Staking: `delegatebw`, `undelegatebw`, `refund` and their tables.

// Token amounts are written as whole tokens then four decimals: `100_0000` is 100.0000 CIV.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use civitas_chain::contracts::system::tables;
use common::*;

fn setup() -> (Harness, i64) {
    let g = gov_genesis();
    (Harness::with_genesis(&g), genesis_supply(&g))
}

#[test]
fn delegate_moves_tokens_to_eosio_stake_and_writes_reference_rows() {
    let (mut h, supply) = setup();
    h.ok(delegatebw("alice", "alice", "100.0000 CIV", "50.0000 CIV", false));
    assert_eq!(balance(&h.chain, "alice"), asset("999999850.0000 CIV"));
    assert_eq!(balance(&h.chain, "eosio.stake"), asset("150.0000 CIV"));
    let d = tables::delband(h.chain.kv(), n("alice"), n("alice")).unwrap();
    assert_eq!((d.net_weight, d.cpu_weight), (asset("100.0000 CIV"), asset("50.0000 CIV")));
    let u = tables::userres(h.chain.kv(), n("alice")).unwrap();
    let genesis_ram = civitas_chain::genesis_state::GENESIS_RAM_BYTES;
    assert_eq!(
        (u.owner, u.net_weight, u.cpu_weight, u.ram_bytes),
        (n("alice"), d.net_weight, d.cpu_weight, genesis_ram)
    );
    assert_eq!(voter(&h.chain, "alice").staked, 150_0000);
    assert_eq!(global(&h.chain).total_staked, 150_0000);
    check_invariants(&h.chain, supply);

    // Staking to another account: the staker keeps the vote weight, the receiver gets the
    // bandwidth.
    h.ok(delegatebw("alice", "bob", "10.0000 CIV", "0.0000 CIV", false));
    assert_eq!(voter(&h.chain, "alice").staked, 160_0000);
    assert!(tables::voter(h.chain.kv(), n("bob")).is_none());
    assert_eq!(tables::userres(h.chain.kv(), n("bob")).unwrap().net_weight, asset("10.0000 CIV"));
    assert_eq!(tables::delband(h.chain.kv(), n("alice"), n("bob")).unwrap().from, n("alice"));
    check_invariants(&h.chain, supply);

    // With `transfer`, the stake (and its vote) belongs to the receiver.
    h.ok(delegatebw("alice", "carol", "5.0000 CIV", "5.0000 CIV", true));
    assert_eq!(voter(&h.chain, "carol").staked, 10_0000);
    assert_eq!(voter(&h.chain, "alice").staked, 160_0000);
    assert!(tables::delband(h.chain.kv(), n("carol"), n("carol")).is_some());
    assert_eq!(balance(&h.chain, "alice"), asset("999999830.0000 CIV"));
    check_invariants(&h.chain, supply);
}

#[test]
fn undelegate_then_refund_after_the_delay() {
    let (mut h, supply) = setup();
    h.ok(delegatebw("alice", "bob", "100.0000 CIV", "100.0000 CIV", false));
    h.ok(undelegatebw("alice", "bob", "30.0000 CIV", "10.0000 CIV"));
    let r = tables::refund(h.chain.kv(), n("alice")).unwrap();
    assert_eq!((r.net_amount, r.cpu_amount), (asset("30.0000 CIV"), asset("10.0000 CIV")));
    assert_eq!(r.request_time, h.chain.pending().unwrap().time.to_sec());
    assert_eq!(voter(&h.chain, "alice").staked, 160_0000);
    assert_eq!(balance(&h.chain, "eosio.stake"), asset("200.0000 CIV"), "tokens wait in eosio.stake");
    check_invariants(&h.chain, supply);

    // Before the delay: refused, nothing changes.
    h.fails(refund("alice"), "refund is not available yet");
    h.next_block_after(259_200_000 - 1000);
    h.fails(refund("alice"), "refund is not available yet");
    h.next_block_after(1000);
    h.ok(refund("alice"));
    assert!(tables::refund(h.chain.kv(), n("alice")).is_none());
    assert_eq!(balance(&h.chain, "alice"), asset("999999840.0000 CIV"));
    assert_eq!(balance(&h.chain, "eosio.stake"), asset("160.0000 CIV"));
    h.fails(refund("alice"), "refund request not found");
    check_invariants(&h.chain, supply);

    // Unstaking everything erases the delband row and zeroes the userres weights (the row stays
    // for bob's RAM); the voter row stays.
    h.ok(undelegatebw("alice", "bob", "70.0000 CIV", "90.0000 CIV"));
    assert!(tables::delband(h.chain.kv(), n("alice"), n("bob")).is_none());
    let bob = tables::userres(h.chain.kv(), n("bob")).unwrap();
    assert_eq!((bob.net_weight.amount(), bob.cpu_weight.amount()), (0, 0));
    assert_eq!(voter(&h.chain, "alice").staked, 0);
    check_invariants(&h.chain, supply);
}

#[test]
fn a_new_unstake_restarts_the_delay_and_restaking_takes_back_the_refund() {
    let (mut h, supply) = setup();
    h.ok(delegatebw("alice", "alice", "100.0000 CIV", "100.0000 CIV", false));
    h.ok(undelegatebw("alice", "alice", "50.0000 CIV", "0.0000 CIV"));
    h.next_block_after(200_000_000);
    h.ok(undelegatebw("alice", "alice", "10.0000 CIV", "10.0000 CIV"));
    let r = tables::refund(h.chain.kv(), n("alice")).unwrap();
    assert_eq!((r.net_amount, r.cpu_amount), (asset("60.0000 CIV"), asset("10.0000 CIV")));
    assert_eq!(r.request_time, h.chain.pending().unwrap().time.to_sec(), "the delay restarts");
    h.next_block_after(100_000_000);
    h.fails(refund("alice"), "refund is not available yet");

    // Staking to self takes the pending refund back first, without moving liquid tokens.
    let liquid = balance(&h.chain, "alice");
    h.ok(delegatebw("alice", "alice", "20.0000 CIV", "5.0000 CIV", false));
    assert_eq!(balance(&h.chain, "alice"), liquid);
    let r = tables::refund(h.chain.kv(), n("alice")).unwrap();
    assert_eq!((r.net_amount, r.cpu_amount), (asset("40.0000 CIV"), asset("5.0000 CIV")));
    // More than the refund: the rest comes from the liquid balance, the refund row goes.
    h.ok(delegatebw("alice", "alice", "50.0000 CIV", "5.0000 CIV", false));
    assert_eq!(balance(&h.chain, "alice"), civ(liquid.amount() - 10_0000));
    assert!(tables::refund(h.chain.kv(), n("alice")).is_none());
    assert_eq!(voter(&h.chain, "alice").staked, 210_0000);
    check_invariants(&h.chain, supply);
}

#[test]
fn staking_rules() {
    let (mut h, _) = setup();
    h.fails(delegatebw("alice", "bob", "0.0000 CIV", "0.0000 CIV", false), "must stake a positive amount");
    h.fails(delegatebw("alice", "bob", "-1.0000 CIV", "2.0000 CIV", false), "must stake a positive amount");
    h.fails(
        delegatebw("alice", "alice", "1.0000 CIV", "0.0000 CIV", true),
        "cannot use transfer flag if delegating to self",
    );
    h.fails(
        delegatebw("alice", "nobody", "1.0000 CIV", "0.0000 CIV", false),
        "can only delegate resources to an existing account",
    );
    h.fails(
        delegatebw("alice", "bob", "1.00 CIV", "0.0000 CIV", false),
        "stake_net_quantity must be in the core token 4,CIV",
    );
    h.fails(
        delegatebw("alice", "bob", "1.0000 CIV", "1.0000 XYZ", false),
        "stake_cpu_quantity must be in the core token 4,CIV",
    );
    h.fails(delegatebw("alice", "bob", "2000000000.0000 CIV", "0.0000 CIV", false), "overdrawn balance");
    h.ok(delegatebw("alice", "bob", "10.0000 CIV", "10.0000 CIV", false));
    h.fails(undelegatebw("alice", "bob", "0.0000 CIV", "0.0000 CIV"), "must unstake a positive amount");
    h.fails(undelegatebw("alice", "bob", "10.0001 CIV", "0.0000 CIV"), "insufficient staked net bandwidth");
    h.fails(undelegatebw("alice", "bob", "0.0000 CIV", "10.0001 CIV"), "insufficient staked cpu bandwidth");
    h.fails(undelegatebw("bob", "bob", "1.0000 CIV", "0.0000 CIV"), "insufficient staked net bandwidth");
    h.fails(
        undelegatebw("alice", "bob", "1.0000 XYZ", "0.0000 CIV"),
        "unstake_net_quantity must be in the core token 4,CIV",
    );
    h.fails(refund("bob"), "refund request not found");
}

#[test]
fn undelegating_before_activation_is_allowed() {
    let (mut h, _) = setup();
    assert!(!global(&h.chain).activated);
    h.ok(delegatebw("alice", "alice", "10.0000 CIV", "10.0000 CIV", false));
    h.ok(undelegatebw("alice", "alice", "10.0000 CIV", "10.0000 CIV"));
    assert!(!global(&h.chain).activated);
}
