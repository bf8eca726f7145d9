//! Elections (`Chain::elect`), genesis stakes and votes, pay per irreversible block, keep
//! rates and `claimrewards`.

// Token amounts are written as whole tokens then four decimals: `100_0000` is 100.0000 CIV.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use civitas_chain::contracts::system::pay::{blocks_per_year, divide_minted, split_block_pay};
use civitas_chain::contracts::system::tables;
use civitas_chain::Chain;
use civitas_protocol::Name;
use common::*;

fn names(keys: &[civitas_protocol::ProducerKey]) -> Vec<String> {
    keys.iter().map(|k| k.producer_name.to_string()).collect()
}

#[test]
fn election_ranks_by_votes_then_name_and_skips_inactive() {
    let mut g = gov_genesis();
    g.governance.activation_threshold = 0;
    let mut h = Harness::with_genesis(&g);
    assert!(h.chain.elections_active());
    assert_eq!(names(&h.chain.elect(21, &[])), ["bp1"], "nobody has votes: the registered genesis producer");
    for p in ["bp2", "bp3", "bp4", "bp5"] {
        h.ok(regproducer(p));
    }
    h.ok(delegatebw("alice", "alice", "100.0000 CIV", "0.0000 CIV", false));
    h.ok(delegatebw("bob", "bob", "100.0000 CIV", "0.0000 CIV", false));
    h.ok(delegatebw("carol", "carol", "50.0000 CIV", "0.0000 CIV", false));
    h.ok(voteproducer("alice", "", &["bp2", "bp3"]));
    h.ok(voteproducer("bob", "", &["bp3"]));
    h.ok(voteproducer("carol", "", &["bp4", "bp5"]));
    assert_eq!(
        names(&h.chain.elect(21, &[])),
        ["bp3", "bp2", "bp4", "bp5", "bp1"],
        "bp1 has no votes: ranked after every voted candidate"
    );
    assert_eq!(names(&h.chain.elect(3, &[])), ["bp3", "bp2", "bp4"], "tie between bp4 and bp5 broken by name");
    let top = h.chain.elect(1, &[]);
    assert_eq!(top[0].block_signing_key, key("bp3-sign").public_key(), "the registered signing key");
    // An unregistered producer keeps its votes but is not elected.
    h.ok(unregprod("bp3"));
    assert_eq!(names(&h.chain.elect(21, &[])), ["bp2", "bp4", "bp5", "bp1"]);
    assert_eq!(votes(&h.chain, "bp3"), 200_0000);
    // Re-registering makes it electable again with its votes.
    h.ok(regproducer("bp3"));
    assert_eq!(names(&h.chain.elect(2, &[])), ["bp3", "bp2"]);
    // Nobody electable: back to the genesis producers, never an empty schedule.
    for p in ["bp1", "bp2", "bp3", "bp4", "bp5"] {
        h.ok(unregprod(p));
    }
    assert_eq!(names(&h.chain.elect(21, &[])), ["bp1"]);
}

/// The size rule: a 15% holder voting for one candidate does not get a one-producer chain;
/// the set never shrinks below the round before while fewer candidates are registered.
#[test]
fn the_active_set_never_shrinks() {
    let mut g = gov_genesis();
    g.governance.activation_threshold = 0;
    let mut h = Harness::with_genesis(&g);
    for p in ["bp2", "bp3", "bp4", "bp5"] {
        h.ok(regproducer(p));
    }
    // One holder votes for one candidate: the unvoted registered candidates fill the set.
    h.ok(delegatebw("alice", "alice", "100.0000 CIV", "0.0000 CIV", false));
    h.ok(voteproducer("alice", "", &["bp4"]));
    let five = h.chain.elect(21, &[]);
    assert_eq!(names(&five), ["bp4", "bp1", "bp2", "bp3", "bp5"]);
    // Two candidates leave: the five of the current round stay rather than shrink to three.
    h.ok(unregprod("bp2"));
    h.ok(unregprod("bp3"));
    assert_eq!(names(&h.chain.elect(21, &five)), names(&five));
    // A new candidate brings the registered count back to four, still fewer: unchanged.
    h.ok(regproducer("carol"));
    assert_eq!(names(&h.chain.elect(21, &five)), names(&five));
    // With five registered again the election decides the members.
    h.ok(regproducer("dave"));
    assert_eq!(names(&h.chain.elect(21, &five)), ["bp4", "bp1", "bp5", "carol", "dave"]);
    // A smaller configured count is not a shrink of the set.
    assert_eq!(names(&h.chain.elect(2, &five)), ["bp4", "bp1"]);
}

#[test]
fn before_activation_the_genesis_producers_keep_producing() {
    let g = gov_genesis();
    let mut h = Harness::with_genesis(&g);
    h.ok(regproducer("bp2"));
    h.ok(delegatebw("alice", "alice", "100.0000 CIV", "0.0000 CIV", false));
    h.ok(voteproducer("alice", "", &["bp2"]));
    assert!(!h.chain.elections_active());
    assert_eq!(names(&h.chain.elect(21, &[])), ["bp1"]);
    assert_eq!(names(&h.chain.ranked_candidates(2)), ["bp2", "bp1"], "the ranking is visible before activation");
}

/// A genesis where the network starts with elected producers: stakes and votes in genesis.
fn elected_genesis() -> civitas_chain::Genesis {
    let mut g = gov_genesis();
    g.producers = vec![producer("bp1"), producer("bp2"), producer("bp3")];
    g.producers[1].url = "https://bp2.example".into();
    g.producers[1].location = 276;
    g.governance.activation_threshold = 100; // 1%
    g.accounts[0].stake = Some(asset("200000000.0000 CIV"));
    g.accounts[0].votes = vec![n("bp2"), n("bp3")];
    g.accounts[1].stake = Some(asset("1.0000 CIV"));
    g
}

#[test]
fn genesis_stakes_and_votes_can_activate_elections() {
    let g = elected_genesis();
    let chain = Chain::from_genesis(&g).unwrap();
    let gl = tables::global(chain.kv());
    assert!(gl.activated);
    assert_eq!(gl.thresh_activated_stake_time, g.initial_timestamp);
    assert_eq!(names(&chain.elect(21, &[])), ["bp2", "bp3", "bp1"]);
    let bp2 = prod(&chain, "bp2");
    assert_eq!((bp2.url.as_str(), bp2.location, bp2.is_active), ("https://bp2.example", 276, true));
    assert_eq!(bp2.votes(), 2_000_000_000_000);
    assert_eq!(voter(&chain, "alice").staked, 2_000_000_000_000);
    assert_eq!(voter(&chain, "bob").staked, 1_0000);
    let alice = tables::delband(chain.kv(), n("alice"), n("alice")).unwrap();
    assert_eq!(alice.net_weight.amount() + alice.cpu_weight.amount(), 2_000_000_000_000);
    assert_eq!(balance(&chain, "alice"), asset(GOV_BALANCE), "stake comes on top of the liquid balance");
    check_invariants(&chain, genesis_supply(&g));
    // The genesis parameters are part of the chain id.
    let mut other = g.clone();
    other.governance.inflation_rate = 200;
    assert_ne!(other.chain_id(), g.chain_id());
}

#[test]
fn genesis_governance_is_validated() {
    let bad = |f: &dyn Fn(&mut civitas_chain::Genesis), msg: &str| {
        let mut g = elected_genesis();
        f(&mut g);
        let e = g.validate().unwrap_err().to_string();
        assert!(e.contains(msg), "{e:?} should mention {msg:?}");
    };
    bad(&|g| g.governance.inflation_rate = 501, "inflation_rate");
    bad(&|g| g.governance.producer_share = 10_001, "producer_share");
    bad(&|g| g.governance.activation_threshold = 10_001, "activation_threshold");
    bad(&|g| g.accounts[2].votes = vec![n("bp1")], "votes but has no stake");
    bad(&|g| g.accounts[0].votes = vec![n("bp3"), n("bp2")], "unique and sorted");
    bad(&|g| g.accounts[0].votes = vec![n("bp4")], "not a genesis producer");
    bad(&|g| g.accounts[0].stake = Some(asset("1.00 CIV")), "stake of alice");
    bad(&|g| g.max_supply = civ((1 << 53) + 1), "2^53");
    // Unknown fields in the governance object are refused.
    let mut json: serde_json::Value = serde_json::to_value(elected_genesis()).unwrap();
    json["governance"]["bogus"] = 1.into();
    assert!(civitas_chain::Genesis::from_json(&json.to_string()).is_err());
    // Missing governance fields take the defaults (SPEC §12).
    json["governance"] = serde_json::json!({"inflation_rate": 50});
    let g = civitas_chain::Genesis::from_json(&json.to_string()).unwrap();
    assert_eq!((g.governance.inflation_rate, g.governance.unstake_delay_sec), (50, 259_200));
    assert_eq!((g.governance.claim_interval_sec, g.governance.activation_threshold), (86_400, 1500));
    assert_eq!(g.governance.producer_share, 10_000);
}

#[test]
fn pay_rounding_rules() {
    assert_eq!(blocks_per_year(500), 63_072_000);
    assert_eq!(blocks_per_year(3000), 10_512_000);
    // keep_rate 40%: exactly 60% goes back to the fund when the pay divides evenly.
    let p = divide_minted(10_000, 10_000, 4_000);
    assert_eq!((p.producer_pay, p.kept, p.returned, p.to_fund), (10_000, 4_000, 6_000, 6_000));
    // Otherwise the producer's part is floored and the fund gets the remainder.
    let p = divide_minted(14_269, 10_000, 4_000);
    assert_eq!((p.kept, p.returned), (5_707, 8_562));
    let p = divide_minted(14_269, 7_000, 5_000);
    assert_eq!((p.producer_pay, p.kept, p.returned, p.to_fund), (9_988, 4_994, 4_994, 9_275));
    for minted in [0, 1, 2, 3, 7, 99, 10_001, 123_456_789] {
        for share in [0, 1, 3_333, 10_000] {
            for keep in [0, 1, 4_000, 9_999, 10_000] {
                let p = divide_minted(minted, share, keep);
                assert_eq!(p.kept + p.returned, p.producer_pay);
                assert_eq!(p.kept + p.to_fund, minted);
                assert!(p.returned >= 0 && p.kept >= 0 && p.producer_pay <= minted);
            }
        }
    }
    // 1% a year of 9e13 units at 500 ms blocks: floor(9e13 × 100 / 10000 / 63072000).
    assert_eq!(split_block_pay(90_000_000_000_000, 100, 10_000, 10_000, 63_072_000).minted, 14_269);
}

#[test]
fn irreversible_blocks_pay_their_producer_by_its_keep_rate() {
    let g = gov_genesis();
    let supply0 = genesis_supply(&g);
    let mut h = Harness::with_genesis(&g);
    let bpy = blocks_per_year(g.block_interval_ms);
    // bp1 keeps 100% by default.
    let pay = split_block_pay(supply0, 100, 10_000, 10_000, bpy);
    h.chain.on_block_irreversible(n("bp1"), 1);
    assert_eq!(prodinfo(&h.chain, "bp1").unclaimed, civ(pay.kept));
    assert_eq!(balance(&h.chain, "eosio.bpay"), civ(pay.minted));
    assert_eq!(prod(&h.chain, "bp1").unpaid_blocks, 1);
    assert_eq!(h.chain.producer_stats(n("bp1")).irreversible, 1);
    check_invariants(&h.chain, supply0);

    // keep_rate 40%: floor(40%) kept, the rest to eosio.wps at once.
    h.ok(setpayrate("bp1", 4_000));
    let supply1 = supply0 + pay.minted;
    let pay2 = split_block_pay(supply1, 100, 10_000, 4_000, bpy);
    assert_eq!(pay2.kept, pay2.producer_pay * 4_000 / 10_000);
    let wps = balance(&h.chain, "eosio.wps").amount();
    h.chain.on_block_irreversible(n("bp1"), 2);
    assert_eq!(balance(&h.chain, "eosio.wps").amount() - wps, pay2.producer_pay - pay2.kept);
    let info = prodinfo(&h.chain, "bp1");
    assert_eq!(info.unclaimed, civ(pay.kept + pay2.kept));
    assert_eq!(info.returned_total, civ(pay2.returned));
    assert_eq!(info.paid_blocks, 2);
    check_invariants(&h.chain, supply0);

    // A block by an account without a producers row: its inflation all goes to the fund.
    let wps = balance(&h.chain, "eosio.wps").amount();
    let supply = global(&h.chain).total_minted + supply0;
    h.chain.on_block_irreversible(n("alice"), 3);
    let minted = split_block_pay(supply, 100, 10_000, 0, bpy).minted;
    assert_eq!(balance(&h.chain, "eosio.wps").amount() - wps, minted);
    assert_eq!(global(&h.chain).paid_blocks, 3);
    check_invariants(&h.chain, supply0);
}

#[test]
fn producer_share_sends_the_rest_of_the_inflation_to_the_fund() {
    let mut g = gov_genesis();
    g.governance.producer_share = 2_500;
    g.governance.inflation_rate = 500;
    let supply0 = genesis_supply(&g);
    let mut h = Harness::with_genesis(&g);
    let pay = split_block_pay(supply0, 500, 2_500, 10_000, blocks_per_year(g.block_interval_ms));
    h.chain.on_block_irreversible(n("bp1"), 1);
    assert_eq!(prodinfo(&h.chain, "bp1").unclaimed.amount(), pay.producer_pay);
    assert_eq!(balance(&h.chain, "eosio.wps").amount(), pay.minted - pay.producer_pay);
    assert_eq!(pay.producer_pay, pay.minted / 4);
    check_invariants(&h.chain, supply0);
}

#[test]
fn pay_stops_at_the_maximum_supply() {
    let mut g = gov_genesis();
    g.max_supply = civ(genesis_supply(&g) + 5);
    let mut h = Harness::with_genesis(&g);
    h.chain.on_block_irreversible(n("bp1"), 1);
    h.chain.on_block_irreversible(n("bp1"), 2);
    assert_eq!(global(&h.chain).total_minted, 5);
    check_invariants(&h.chain, genesis_supply(&g));
}

#[test]
fn claimrewards_moves_unclaimed_pay_at_most_once_per_interval() {
    let g = gov_genesis();
    let supply0 = genesis_supply(&g);
    let mut h = Harness::with_genesis(&g);
    h.fails(claimrewards("bp1"), "no rewards to claim");
    h.fails(claimrewards("alice"), "producer not found");
    h.chain.on_block_irreversible(n("bp1"), 1);
    let owed = prodinfo(&h.chain, "bp1").unclaimed;
    let liquid = balance(&h.chain, "bp1");
    h.ok(claimrewards("bp1"));
    assert_eq!(balance(&h.chain, "bp1"), civ(liquid.amount() + owed.amount()));
    assert_eq!(balance(&h.chain, "eosio.bpay").amount(), 0);
    let info = prodinfo(&h.chain, "bp1");
    assert_eq!((info.unclaimed.amount(), info.claimed_total), (0, owed));
    assert_eq!(prod(&h.chain, "bp1").last_claim_time, h.chain.pending().unwrap().time);
    assert_eq!(prod(&h.chain, "bp1").unpaid_blocks, 0);
    check_invariants(&h.chain, supply0);

    h.chain.on_block_irreversible(n("bp1"), 2);
    h.fails(claimrewards("bp1"), "already claimed rewards within past day");
    h.next_block_after(86_400_000 - 500);
    h.fails(claimrewards("bp1"), "already claimed rewards within past day");
    h.next_block_after(500);
    // A producer that unregistered can still collect what it earned.
    h.ok(unregprod("bp1"));
    h.ok(claimrewards("bp1"));
    assert_eq!(prodinfo(&h.chain, "bp1").unclaimed.amount(), 0);
    check_invariants(&h.chain, supply0);
}

#[test]
fn production_statistics_are_a_public_table() {
    let mut h = Harness::with_genesis(&gov_genesis());
    h.chain.on_block_produced(n("bp1"), 2);
    h.chain.on_slot_missed(n("bp2"));
    h.chain.on_slot_missed(n("bp2"));
    let s = h.chain.producer_stats(n("bp1"));
    assert_eq!((s.produced, s.last_produced, s.missed), (1, 2, 0));
    let s = h.chain.producer_stats(n("bp2"));
    assert_eq!((s.missed, s.missed_in_row), (2, 2));
    let all: Vec<Name> = h.chain.all_producer_stats().into_iter().map(|(p, _)| p).collect();
    assert_eq!(all, [n("bp1"), n("bp2")]);
    let rows = h.chain.table_rows(n("eosio"), n("eosio").value(), n("prodstats"), 0, u64::MAX, 10, false);
    assert_eq!(rows.rows.len(), 2);
}
