//! RAM market conservation over random trades (issue 11): bytes held plus bytes for sale are
//! the RAM offered; `eosio.ram` holds exactly the tokens paid for the bytes held (no rounding
//! creates or loses a unit); the market's virtual reserve never moves; every account's usage
//! equals what its rows cost, counted from scratch; supply is conserved.

// Token amounts are written as whole tokens then four decimals: `100_0000` is 100.0000 CIV.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use civitas_chain::contracts::system::{global, ram};
use civitas_protocol::Action;
use common::*;
use proptest::prelude::*;

const NEW: [&str; 4] = ["newaccountaa", "newaccountab", "newaccountac", "newaccountad"];

#[derive(Debug, Clone)]
enum Op {
    BuyRam(usize, usize, i64),
    BuyRamBytes(usize, usize, u32),
    SellRam(usize, i64),
    Transfer(usize, usize, i64),
    NewAccount(usize, usize, u32),
    Bid(usize, u8, i64),
    Block(i64),
}

fn who() -> impl Strategy<Value = usize> {
    0..GOV_ACCOUNTS.len()
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (who(), who(), prop_oneof![0i64..100, 0i64..10_000_0000, Just(2_000_000_000_0000i64)]).prop_map(|(a, b, x)| Op::BuyRam(a, b, x)),
        3 => (who(), who(), prop_oneof![0u32..100, 0u32..100_000, Just(u32::MAX)]).prop_map(|(a, b, x)| Op::BuyRamBytes(a, b, x)),
        4 => (who(), prop_oneof![-5i64..100, 0i64..20_000, Just(i64::MAX)]).prop_map(|(a, x)| Op::SellRam(a, x)),
        2 => (who(), who(), 0i64..1_000_0000).prop_map(|(a, b, x)| Op::Transfer(a, b, x)),
        2 => (who(), 0..NEW.len(), 0u32..5000).prop_map(|(a, i, x)| Op::NewAccount(a, i, x)),
        2 => (who(), 0u8..4, 0i64..100_0000).prop_map(|(a, i, x)| Op::Bid(a, i, x)),
        1 => prop_oneof![Just(500i64), Just(90_000_000)].prop_map(Op::Block),
    ]
}

fn fmt(units: i64) -> String {
    civ(units).to_string()
}

fn actions(op: &Op) -> Option<Vec<Action>> {
    let a = |i: usize| GOV_ACCOUNTS[i];
    Some(match *op {
        Op::BuyRam(p, r, x) => vec![buyram(a(p), a(r), &fmt(x))],
        Op::BuyRamBytes(p, r, b) => vec![buyrambytes(a(p), a(r), b)],
        Op::SellRam(p, b) => vec![sellram(a(p), b)],
        Op::Transfer(p, r, x) => vec![transfer(a(p), a(r), &fmt(x), "")],
        Op::NewAccount(c, i, b) => vec![newaccount(a(c), NEW[i]), buyrambytes(a(c), NEW[i], b)],
        Op::Bid(p, i, x) => vec![bidname(a(p), ["abc", "xyz", "q", "short"][i as usize], &fmt(x))],
        Op::Block(_) => return None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_ram_market_conserves_bytes_and_tokens(ops in proptest::collection::vec(op(), 1..60)) {
        let mut g = gov_genesis();
        for acc in &mut g.accounts {
            acc.stake = Some(asset("1000000.0000 CIV"));
        }
        let supply0 = genesis_supply(&g);
        let mut h = Harness::metered(&g);
        let reserve = |h: &Harness| {
            ram::market(h.chain.kv()).quote.balance.amount() - global::get(h.chain.kv()).total_ram_stake
        };
        let virtual_reserve = reserve(&h);
        for op in &ops {
            match actions(op) {
                None => {
                    if let Op::Block(ms) = op {
                        h.next_block_after(*ms);
                        h.chain.on_block_produced(n("bp1"), h.block_num + 1);
                    }
                }
                Some(list) => {
                    let signer = key(&list[0].authorization[0].actor.to_string());
                    let before = h.chain.kv().full_hash();
                    if h.push(list, &[&signer]).is_err() {
                        prop_assert_eq!(h.chain.kv().full_hash(), before, "a failed trade changed the state");
                    }
                }
            }
            check_invariants(&h.chain, supply0);
            prop_assert_eq!(reserve(&h), virtual_reserve, "the virtual token reserve never moves");
        }
    }
}
