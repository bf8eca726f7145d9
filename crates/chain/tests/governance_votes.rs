//! Votes: `voteproducer`, `regproxy`, and how stake changes re-weight votes.

// Token amounts are written as whole tokens then four decimals: `100_0000` is 100.0000 CIV.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use civitas_chain::contracts::system::tables;
use common::*;

/// alice, bob, carol and dave each stake 100 CIV (alice 60 NET + 40 CPU); bp1 (genesis), bp2
/// and bp3 are registered; bp4 and bp5 are plain accounts.
fn setup() -> (Harness, i64) {
    let g = gov_genesis();
    let supply = genesis_supply(&g);
    let mut h = Harness::with_genesis(&g);
    for v in ["alice", "bob", "carol", "dave"] {
        h.ok(delegatebw(v, v, "60.0000 CIV", "40.0000 CIV", false));
    }
    h.ok(regproducer("bp2"));
    h.ok(regproducer("bp3"));
    (h, supply)
}

#[test]
fn voting_rules_give_clear_errors_and_change_nothing() {
    let (mut h, _) = setup();
    h.fails(voteproducer("bp4", "", &["bp1"]), "user must stake before they can vote");
    let many: Vec<String> =
        (0..31).map(|i| format!("p{}{}", (b'a' + (i / 26) as u8) as char, (b'a' + (i % 26) as u8) as char)).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    h.fails(voteproducer("alice", "", &many), "attempt to vote for too many producers");
    h.fails(voteproducer("alice", "", &["bp2", "bp1"]), "producer votes must be unique and sorted");
    h.fails(voteproducer("alice", "", &["bp1", "bp1"]), "producer votes must be unique and sorted");
    h.fails(voteproducer("alice", "", &["bp1", "bp4"]), "producer bp4 is not registered");
    h.fails(voteproducer("alice", "", &["nobody"]), "producer nobody is not registered");
    h.ok(unregprod("bp3"));
    h.fails(voteproducer("alice", "", &["bp1", "bp3"]), "producer bp3 is not currently registered");
    h.fails(voteproducer("alice", "bob", &["bp1"]), "cannot vote for producers and proxy at same time");
    h.fails(voteproducer("alice", "alice", &[]), "cannot proxy to self");
    h.fails(voteproducer("alice", "bob", &[]), "proxy not found");
    h.fails(voteproducer("alice", "bp5", &[]), "invalid proxy specified");
    // Another account's vote needs its authority.
    let mut a = voteproducer("alice", "", &["bp1"]);
    a.authorization[0].actor = n("bob");
    assert_eq!(h.act(a).unwrap_err(), civitas_chain::ChainError::MissingAuth(n("alice")));
    // Thirty sorted registered producers are fine (unregistered ones are not reached).
    h.ok(voteproducer("alice", "", &["bp1", "bp2"]));
}

#[test]
fn each_listed_producer_gets_the_full_weight_and_revotes_move_it() {
    let (mut h, supply) = setup();
    h.ok(voteproducer("alice", "", &["bp1", "bp2"]));
    h.ok(voteproducer("bob", "", &["bp2", "bp3"]));
    assert_eq!(
        (votes(&h.chain, "bp1"), votes(&h.chain, "bp2"), votes(&h.chain, "bp3")),
        (100_0000, 200_0000, 100_0000)
    );
    assert_eq!(voter(&h.chain, "alice").last_vote_weight, 1_000_000.0);
    assert_eq!(prod(&h.chain, "bp2").total_votes, 2_000_000.0);
    assert_eq!(global(&h.chain).total_producer_vote_weight, 400_0000);
    assert_eq!(global(&h.chain).total_voted_stake, 200_0000);
    check_invariants(&h.chain, supply);
    h.ok(voteproducer("alice", "", &["bp3"]));
    assert_eq!((votes(&h.chain, "bp1"), votes(&h.chain, "bp2"), votes(&h.chain, "bp3")), (0, 100_0000, 200_0000));
    // An empty vote withdraws it.
    h.ok(voteproducer("alice", "", &[]));
    assert_eq!(votes(&h.chain, "bp3"), 100_0000);
    assert_eq!(global(&h.chain).total_voted_stake, 100_0000);
    check_invariants(&h.chain, supply);
}

#[test]
fn stake_changes_reweight_votes_in_the_same_block() {
    let (mut h, supply) = setup();
    h.ok(voteproducer("alice", "", &["bp1", "bp2"]));
    let block = h.block_num;
    h.ok(undelegatebw("alice", "alice", "60.0000 CIV", "0.0000 CIV"));
    assert_eq!(h.block_num, block);
    assert_eq!((votes(&h.chain, "bp1"), votes(&h.chain, "bp2")), (40_0000, 40_0000));
    h.ok(delegatebw("alice", "bob", "5.0000 CIV", "0.0000 CIV", false));
    assert_eq!((votes(&h.chain, "bp1"), votes(&h.chain, "bp2")), (45_0000, 45_0000));
    // Votes for a producer that has since unregistered keep following the stake.
    h.ok(unregprod("bp2"));
    h.ok(undelegatebw("alice", "alice", "0.0000 CIV", "40.0000 CIV"));
    assert_eq!((votes(&h.chain, "bp1"), votes(&h.chain, "bp2")), (5_0000, 5_0000));
    check_invariants(&h.chain, supply);
}

#[test]
fn voting_through_a_proxy() {
    let (mut h, supply) = setup();
    h.ok(regproxy("carol", true));
    assert!(voter(&h.chain, "carol").is_proxy);
    h.ok(voteproducer("carol", "", &["bp1", "bp3"]));
    h.ok(voteproducer("alice", "carol", &[]));
    h.ok(voteproducer("bob", "carol", &[]));
    assert_eq!(voter(&h.chain, "carol").proxied_vote_weight, 2_000_000.0);
    assert_eq!((votes(&h.chain, "bp1"), votes(&h.chain, "bp3")), (300_0000, 300_0000));
    check_invariants(&h.chain, supply);

    // A delegator's stake change reaches the proxy's producers at once.
    h.ok(delegatebw("alice", "alice", "50.0000 CIV", "0.0000 CIV", false));
    assert_eq!(votes(&h.chain, "bp1"), 350_0000);
    // The proxy changes its vote: all the weight moves.
    h.ok(voteproducer("carol", "", &["bp2"]));
    assert_eq!((votes(&h.chain, "bp1"), votes(&h.chain, "bp2")), (0, 350_0000));
    // A delegator leaves the proxy and votes directly.
    h.ok(voteproducer("bob", "", &["bp3"]));
    assert_eq!((votes(&h.chain, "bp2"), votes(&h.chain, "bp3")), (250_0000, 100_0000));
    check_invariants(&h.chain, supply);

    // Proxies do not chain.
    h.fails(voteproducer("carol", "dave", &[]), "account registered as a proxy is not allowed to use a proxy");
    h.ok(regproxy("dave", true));
    h.fails(voteproducer("carol", "dave", &[]), "account registered as a proxy is not allowed to use a proxy");
    h.ok(regproxy("dave", false));
    h.fails(regproxy("dave", false), "action has no effect");
    h.fails(regproxy("alice", true), "account that uses a proxy is not allowed to become a proxy");

    // Unregistering as a proxy drops the delegators' weight from its producers; their votes
    // stay pointed at it and count again if it registers again.
    h.ok(regproxy("carol", false));
    assert_eq!(votes(&h.chain, "bp2"), 100_0000);
    check_invariants(&h.chain, supply);
    h.fails(voteproducer("dave", "carol", &[]), "proxy not found");
    h.ok(delegatebw("alice", "alice", "1.0000 CIV", "0.0000 CIV", false));
    assert_eq!(votes(&h.chain, "bp2"), 100_0000);
    h.ok(regproxy("carol", true));
    assert_eq!(votes(&h.chain, "bp2"), 251_0000);
    check_invariants(&h.chain, supply);
}

#[test]
fn a_proxy_without_stake_may_register_and_vote() {
    let (mut h, supply) = setup();
    h.ok(regproxy("bp5", true));
    h.ok(voteproducer("alice", "bp5", &[]));
    h.ok(voteproducer("bp5", "", &["bp2"]));
    assert_eq!(votes(&h.chain, "bp2"), 100_0000);
    assert_eq!(tables::voter(h.chain.kv(), n("bp5")).unwrap().staked, 0);
    check_invariants(&h.chain, supply);
}

#[test]
fn activation_needs_the_threshold_of_supply_staked_and_voting() {
    let g = gov_genesis();
    let supply = genesis_supply(&g);
    let ram_paid = supply - 9 * 10_000_000_000_000;
    assert!((0..10_000_000).contains(&ram_paid), "balances and stakes, plus their genesis RAM: {ram_paid}");
    let mut h = Harness::with_genesis(&g);
    h.ok(regproducer("bp2"));
    // 15% of 9e13 units is 1.35e13 units.
    h.ok(delegatebw("alice", "alice", "300000000.0000 CIV", "300000000.0000 CIV", false));
    h.ok(voteproducer("alice", "", &["bp2"]));
    assert!(!global(&h.chain).activated);
    assert_eq!(h.chain.elect(21, &[])[0].producer_name, n("bp1"), "genesis producers until activation");
    // Stake that does not vote does not count.
    // The threshold is 15% of the supply, which includes the genesis RAM's tokens.
    let need = ((i128::from(supply) * 1500 + 9_999) / 10_000) as i64;
    let bob_stake = need - 600_000_000_0000;
    let amount = |units: i64| format!("{}.{:04} CIV", units / 10_000, units % 10_000);
    h.ok(delegatebw("bob", "bob", &amount(bob_stake), "0.0000 CIV", false));
    assert!(!global(&h.chain).activated);
    h.ok(undelegatebw("bob", "bob", "0.0001 CIV", "0.0000 CIV"));
    h.ok(voteproducer("bob", "", &["bp1"]));
    assert!(!global(&h.chain).activated, "one unit short");
    // Staking one more unit while voting reaches it.
    h.ok(delegatebw("bob", "bob", "0.0000 CIV", "0.0001 CIV", false));
    let g = global(&h.chain);
    assert!(g.activated);
    assert_eq!(g.thresh_activated_stake_time, h.chain.pending().unwrap().time);
    assert_eq!(g.total_voted_stake, need);
    // Activation never reverts.
    h.ok(undelegatebw("bob", "bob", &amount(bob_stake - 1), "0.0001 CIV"));
    assert!(global(&h.chain).activated);
    check_invariants(&h.chain, supply);
}
