//! RAM (issue 11): every row an account owns counts against its quota, the quota is bought on
//! the Bancor market, and a short name is won at auction. Attacks first: free accounts, rows
//! beyond the quota, selling RAM still in use, claiming someone else's name.

// Token amounts are written as whole tokens then four decimals: `100_0000` is 100.0000 CIV.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use civitas_chain::contracts::system::{names, ram, tables};
use civitas_chain::resources::ram as accounting;
use civitas_chain::ChainError;
use common::*;

/// A metered chain (every account limited by its stake and RAM) where everyone has CPU/NET.
fn metered() -> (Harness, i64) {
    let mut g = gov_genesis();
    for a in &mut g.accounts {
        a.stake = Some(asset("1000000.0000 CIV"));
    }
    let supply = genesis_supply(&g);
    (Harness::metered(&g), supply)
}

fn ram_of(h: &Harness, who: &str) -> (i64, Option<i64>) {
    (accounting::usage(h.chain.kv(), n(who)), accounting::quota(h.chain.kv(), n(who)))
}

#[test]
fn a_new_account_costs_ram_that_its_creator_buys() {
    let (mut h, supply) = metered();
    // Without RAM the account's own records exceed the gift: refused, nothing changes.
    let before = h.chain.kv().full_hash();
    let e = h.act(newaccount("alice", "newaccount11")).unwrap_err();
    assert!(matches!(e, ChainError::RamUsageExceeded { .. }), "{e:?}");
    assert_eq!((e.code(), e.name()), (3_080_001, "ram_usage_exceeded"));
    assert_eq!(h.chain.kv().full_hash(), before);

    // With RAM bought in the same transaction it works, and costs what the market says.
    let cost = ram::cost_of_bytes(&ram::market(h.chain.kv()), 3000).unwrap();
    let alice0 = balance(&h.chain, "alice").amount();
    let fee0 = balance(&h.chain, "eosio.ramfee").amount();
    h.push(vec![newaccount("alice", "newaccount11"), buyrambytes("alice", "newaccount11", 3000)], &[&key("alice")])
        .unwrap();
    assert_eq!(alice0 - balance(&h.chain, "alice").amount(), cost);
    assert_eq!(balance(&h.chain, "eosio.ramfee").amount() - fee0, ram::fee(cost));
    let (used, quota) = ram_of(&h, "newaccount11");
    let bought = tables::userres(h.chain.kv(), n("newaccount11")).unwrap().ram_bytes;
    assert!(bought >= 3000, "buyrambytes gives at least the bytes asked: {bought}");
    assert_eq!(quota, Some(bought + accounting::RAM_GIFT_BYTES));
    // The account, two permissions and the resources row, priced as Antelope prices them.
    assert!((2700..3000).contains(&used), "{used}");
    check_invariants(&h.chain, supply);
}

#[test]
fn rows_beyond_the_quota_fail_and_selling_ram_in_use_fails() {
    let (mut h, supply) = metered();
    // A fresh account with just enough RAM for itself.
    h.push(vec![newaccount("alice", "tightaccount"), buyrambytes("alice", "tightaccount", 1400)], &[&key("alice")])
        .unwrap();
    h.ok(delegatebw("alice", "tightaccount", "10.0000 CIV", "10.0000 CIV", false));
    let (used, quota) = ram_of(&h, "tightaccount");
    let spare = quota.unwrap() - used;
    assert!(spare > 0 && spare < 1400, "{spare}");
    // Registering as a producer needs RAM for the two rows: the account has too little.
    let e = h.act(regproducer("tightaccount")).unwrap_err();
    assert!(matches!(e, ChainError::RamUsageExceeded { account, .. } if account == n("tightaccount")), "{e:?}");
    // Selling the RAM its rows use is refused; selling what it does not hold too.
    let bought = tables::userres(h.chain.kv(), n("tightaccount")).unwrap().ram_bytes;
    h.fails(sellram("tightaccount", bought + 1), "insufficient quota");
    let e = h.act(sellram("tightaccount", bought)).unwrap_err();
    assert!(matches!(e, ChainError::RamUsageExceeded { .. }), "{e:?}");
    // Buy more, and the registration goes through; then the spare can be sold back (the
    // account first gets a balance row, which the sale's proceeds would otherwise create).
    h.ok(buyram("alice", "tightaccount", "10.0000 CIV"));
    h.ok(regproducer("tightaccount"));
    h.ok(transfer("alice", "tightaccount", "1.0000 CIV", "for the fee"));
    let (used, quota) = ram_of(&h, "tightaccount");
    let free = quota.unwrap() - used;
    let before = balance(&h.chain, "tightaccount").amount();
    h.ok(sellram("tightaccount", free));
    assert!(balance(&h.chain, "tightaccount").amount() > before);
    let (used2, quota2) = ram_of(&h, "tightaccount");
    assert_eq!((used2, quota2), (used, Some(used)));
    check_invariants(&h.chain, supply);
}

#[test]
fn buying_then_selling_never_returns_more_than_was_paid() {
    let (mut h, supply) = metered();
    // Two units leave one after the fee, which buys less than a byte.
    h.fails(buyram("bob", "bob", "0.0002 CIV"), "must reserve a positive amount");
    for quant in ["0.0100 CIV", "1.0000 CIV", "777.7777 CIV", "100000.0000 CIV"] {
        let b0 = balance(&h.chain, "bob").amount();
        let r0 = tables::userres(h.chain.kv(), n("bob")).unwrap().ram_bytes;
        h.ok(buyram("bob", "bob", quant));
        let bytes = tables::userres(h.chain.kv(), n("bob")).unwrap().ram_bytes - r0;
        assert!(bytes > 0);
        if h.act(sellram("bob", bytes)).is_ok() {
            assert!(balance(&h.chain, "bob").amount() < b0, "a round trip of {quant} made money");
        }
        check_invariants(&h.chain, supply);
    }
    // Malformed trades are refused.
    h.fails(buyram("bob", "bob", "0.0001 CIV"), "must purchase a positive amount");
    h.fails(buyram("bob", "bob", "-1.0000 CIV"), "must purchase a positive amount");
    h.fails(buyram("bob", "nobodyatall1", "1.0000 CIV"), "owner=nobodyatall1 account does not exist");
    h.fails(sellram("bob", 0), "cannot reduce negative byte");
    h.fails(sellram("bob", -5), "cannot reduce negative byte");
    h.ok(buyram("bob", "carol", "1.0000 CIV"));
    let mut stolen = sellram("carol", 10);
    stolen.authorization[0].actor = n("bob");
    assert!(matches!(h.act(stolen), Err(ChainError::MissingAuth(_))));
}

#[test]
fn creating_accounts_costs_what_the_market_says_and_stops_when_tokens_run_out() {
    let mut g = gov_genesis();
    for a in &mut g.accounts {
        a.stake = Some(asset("1000000.0000 CIV"));
    }
    // The creator can afford a little over 10,000 accounts at the opening price.
    g.accounts[0].balance = Some(asset("32000.0000 CIV"));
    let supply = genesis_supply(&g);
    let mut h = Harness::metered(&g);
    let alice = key("alice");
    let mut created = 0;
    let mut paid = 0;
    let err = loop {
        let name = format!("acct{:08}", created).replace('0', "a").replace('6', "b").replace('7', "c");
        let name = name.replace('8', "d").replace('9', "e");
        let price = ram::cost_of_bytes(&ram::market(h.chain.kv()), 3000).unwrap();
        let before = balance(&h.chain, "alice").amount();
        match h.push(vec![newaccount("alice", &name), buyrambytes("alice", &name, 3000)], &[&alice]) {
            Ok(_) => {
                assert_eq!(before - balance(&h.chain, "alice").amount(), price, "account {created}");
                paid += price;
                created += 1;
                if created % 500 == 0 {
                    h.next_block();
                }
            }
            Err(e) => break e,
        }
    };
    assert_eq!(err, ChainError::Assert("overdrawn balance".into()));
    eprintln!("created {created} accounts for {paid} units");
    assert!(created > 10_000, "{created}");
    assert_eq!(balance(&h.chain, "alice").amount(), 32000_0000 - paid);
    // The price rose as RAM was sold.
    let first = ram::cost_of_bytes(&ram::market(&civitas_chain::genesis_state::build(&g).unwrap()), 3000).unwrap();
    let last = ram::cost_of_bytes(&ram::market(h.chain.kv()), 3000).unwrap();
    assert!(last >= first, "{first} -> {last}");
    check_invariants(&h.chain, supply);
}

#[test]
fn short_names_are_won_at_auction_and_dotted_names_belong_to_their_suffix() {
    let (mut h, supply) = metered();
    let buy = |h: &mut Harness, creator: &str, name: &str| {
        h.push(vec![newaccount(creator, name), buyrambytes(creator, name, 3000)], &[&key(creator)])
    };
    // Nobody can take a short name without winning it.
    let e = buy(&mut h, "alice", "short").unwrap_err();
    assert_eq!(e, ChainError::Assert("no active bid for name".into()));
    // Bids: must be the core token, positive, top-level, not 12 or 13 characters, not taken.
    h.fails(bidname("alice", "short", "0.0000 CIV"), "insufficient bid");
    h.fails(bidname("alice", "a.short", "1.0000 CIV"), "you can only bid on top-level suffix");
    h.fails(
        bidname("alice", "twelvecharsx", "1.0000 CIV"),
        "accounts with 12 character names and no dots can be created without bidding required",
    );
    h.fails(bidname("alice", "bob", "1.0000 CIV"), "account already exists");
    h.ok(bidname("alice", "short", "10.0000 CIV"));
    assert_eq!(balance(&h.chain, "eosio.names"), asset("10.0000 CIV"));
    h.fails(bidname("bob", "short", "10.9999 CIV"), "must increase bid by 10%");
    h.fails(bidname("alice", "short", "20.0000 CIV"), "account is already highest bidder");
    // Outbid: alice is refunded at once.
    let alice0 = balance(&h.chain, "alice").amount();
    h.ok(bidname("bob", "short", "11.0001 CIV"));
    assert_eq!(balance(&h.chain, "alice").amount(), alice0 + 10_0000);
    assert_eq!(balance(&h.chain, "eosio.names"), asset("11.0001 CIV"));
    let bid = names::bid(h.chain.kv(), n("short")).unwrap();
    assert_eq!((bid.high_bidder, bid.high_bid), (n("bob"), 11_0001));
    // The bid's row is bob's RAM now.
    check_invariants(&h.chain, supply);

    // Not closed before a day has passed since the last bid.
    h.next_block_after(23 * 3_600_000);
    h.chain.on_block_produced(n("bp1"), h.block_num + 1);
    assert!(names::bid(h.chain.kv(), n("short")).unwrap().high_bid > 0);
    assert_eq!(
        buy(&mut h, "bob", "short").unwrap_err(),
        ChainError::Assert("auction for name is not closed yet".into())
    );
    h.next_block_after(3_600_000 + 1000);
    h.chain.on_block_produced(n("bp1"), h.block_num + 1);
    assert_eq!(names::bid(h.chain.kv(), n("short")).unwrap().high_bid, -11_0001, "closed");
    h.fails(bidname("carol", "short", "100.0000 CIV"), "this auction has already closed");
    assert_eq!(buy(&mut h, "alice", "short").unwrap_err(), ChainError::Assert("only highest bidder can claim".into()));
    buy(&mut h, "bob", "short").unwrap();
    assert!(names::bid(h.chain.kv(), n("short")).is_none(), "the claim consumes the bid");

    // Dotted names: only the account the suffix names creates them.
    assert_eq!(
        buy(&mut h, "bob", "x.short").unwrap_err(),
        ChainError::Assert("only suffix may create this account".into())
    );
    h.ok(transfer("bob", "short", "100.0000 CIV", ""));
    h.ok(delegatebw("bob", "short", "10.0000 CIV", "10.0000 CIV", false));
    buy(&mut h, "short", "x.short").unwrap();
    buy(&mut h, "alice", "pay.alice").unwrap();
    // eosio. stays the privileged account's.
    assert!(matches!(buy(&mut h, "alice", "eosio.mine"), Err(ChainError::Assert(_))));
    check_invariants(&h.chain, supply);
}

#[test]
fn one_auction_closes_a_day_highest_bid_first() {
    let (mut h, _) = metered();
    h.ok(bidname("alice", "aaa", "1.0000 CIV"));
    h.ok(bidname("bob", "bbb", "5.0000 CIV"));
    h.ok(bidname("carol", "ccc", "3.0000 CIV"));
    h.next_block_after(25 * 3_600_000);
    h.chain.on_block_produced(n("bp1"), h.block_num + 1);
    let open = |h: &Harness, s: &str| names::bid(h.chain.kv(), n(s)).unwrap().high_bid > 0;
    assert!(!open(&h, "bbb") && open(&h, "ccc") && open(&h, "aaa"));
    // The next block of the same day closes nothing.
    h.next_block();
    h.chain.on_block_produced(n("bp1"), h.block_num + 1);
    assert!(open(&h, "ccc"));
    h.next_block_after(24 * 3_600_000 + 1000);
    h.chain.on_block_produced(n("bp1"), h.block_num + 1);
    assert!(!open(&h, "ccc") && open(&h, "aaa"));
}

#[test]
fn a_stranger_cannot_push_an_account_over_its_quota_with_rows_it_must_hold() {
    let (mut h, supply) = metered();
    // A twin account measures what the records of a fresh account cost.
    h.push(vec![newaccount("alice", "twinaccount1"), buyrambytes("alice", "twinaccount1", 4096)], &[&key("alice")])
        .unwrap();
    let need = accounting::usage(h.chain.kv(), n("twinaccount1"));
    // The target gets just enough RAM for its records: less than a balance row to spare.
    let bytes = (need - accounting::RAM_GIFT_BYTES + 40) as u32;
    h.push(vec![newaccount("alice", "fullaccount1"), buyrambytes("alice", "fullaccount1", bytes)], &[&key("alice")])
        .unwrap();
    let (used, quota) = ram_of(&h, "fullaccount1");
    let spare = quota.unwrap() - used;
    assert!((0..124).contains(&spare), "{spare} bytes to spare");
    // bob opens a CIV balance for it (Antelope's `open` with bob as `ram_payer`) and sends it
    // tokens: each would add its 124-byte balance row, so each is refused, changing nothing.
    use civitas_protocol::Pack;
    let mut data = n("fullaccount1").packed();
    data.extend("4,CIV".parse::<civitas_protocol::Symbol>().unwrap().packed());
    data.extend(n("bob").packed());
    let open = civitas_protocol::Action {
        account: n("eosio.token"),
        name: n("open"),
        authorization: vec![civitas_protocol::PermissionLevel::new(n("bob"), n("active"))],
        data: civitas_protocol::Bytes(data),
    };
    let before = h.chain.kv().full_hash();
    for attack in [open, transfer("bob", "fullaccount1", "1.0000 CIV", "unwanted")] {
        let e = h.act(attack).unwrap_err();
        assert!(matches!(e, ChainError::RamUsageExceeded { account, .. } if account == n("fullaccount1")), "{e:?}");
    }
    assert_eq!(h.chain.kv().full_hash(), before);
    // With RAM to hold it, the same transfer goes through.
    h.ok(buyram("alice", "fullaccount1", "1.0000 CIV"));
    h.ok(transfer("bob", "fullaccount1", "1.0000 CIV", "welcome"));
    check_invariants(&h.chain, supply);
}
