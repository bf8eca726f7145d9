//! Supply conservation and vote consistency over random sequences of every governance action,
//! interleaved with blocks, time jumps and irreversible-block pay (SPEC §5).

// Token amounts are written as whole tokens then four decimals: `100_0000` is 100.0000 CIV.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use civitas_protocol::Action;
use common::*;
use proptest::prelude::*;

const PRODUCERS: [&str; 5] = ["bp1", "bp2", "bp3", "bp4", "bp5"];

#[derive(Debug, Clone)]
enum Op {
    Transfer(usize, usize, i64),
    Delegate(usize, usize, i64, i64, bool),
    Undelegate(usize, usize, i64, i64),
    Refund(usize),
    RegProducer(usize),
    UnregProd(usize),
    Vote(usize, u8),
    VoteProxy(usize, usize),
    RegProxy(usize, bool),
    SetPayRate(usize, u16),
    Claim(usize),
    /// Seal the block and open the next one this many milliseconds later.
    Block(i64),
    /// A block by this account became irreversible.
    Irreversible(usize),
}

fn account() -> impl Strategy<Value = usize> {
    0..GOV_ACCOUNTS.len()
}

/// Amounts from nothing to more than anyone has, mostly small.
fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 0i64..1_000_0000,
        2 => 0i64..100_000_000_0000,
        1 => Just(0i64),
        1 => Just(2_000_000_000_0000i64),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (account(), account(), amount()).prop_map(|(a, b, x)| Op::Transfer(a, b, x)),
        5 => (account(), account(), amount(), amount(), any::<bool>()).prop_map(|(a, b, x, y, t)| Op::Delegate(a, b, x, y, t)),
        // Mostly from one's own stake (the genesis stake), sometimes from a delegation.
        3 => (account(), amount(), amount()).prop_map(|(a, x, y)| Op::Undelegate(a, a, x / 4, y / 4)),
        2 => (account(), account(), amount(), amount()).prop_map(|(a, b, x, y)| Op::Undelegate(a, b, x, y)),
        2 => account().prop_map(Op::Refund),
        2 => (0..PRODUCERS.len()).prop_map(Op::RegProducer),
        1 => (0..PRODUCERS.len()).prop_map(Op::UnregProd),
        5 => (account(), any::<u8>()).prop_map(|(a, m)| Op::Vote(a, m)),
        2 => (account(), account()).prop_map(|(a, b)| Op::VoteProxy(a, b)),
        2 => (account(), any::<bool>()).prop_map(|(a, b)| Op::RegProxy(a, b)),
        1 => (0..PRODUCERS.len(), prop_oneof![0u16..=10_000, Just(10_001u16)]).prop_map(|(p, r)| Op::SetPayRate(p, r)),
        2 => (0..PRODUCERS.len()).prop_map(Op::Claim),
        3 => prop_oneof![Just(500i64), Just(3_600_000), Just(86_400_000), Just(259_200_000)].prop_map(Op::Block),
        4 => account().prop_map(Op::Irreversible),
    ]
}

fn fmt(units: i64) -> String {
    civ(units).to_string()
}

fn action(op: &Op) -> Option<Action> {
    let acct = |i: usize| GOV_ACCOUNTS[i];
    Some(match *op {
        Op::Transfer(a, b, x) => transfer(acct(a), acct(b), &fmt(x), "t"),
        Op::Delegate(a, b, x, y, t) => delegatebw(acct(a), acct(b), &fmt(x), &fmt(y), t),
        Op::Undelegate(a, b, x, y) => undelegatebw(acct(a), acct(b), &fmt(x), &fmt(y)),
        Op::Refund(a) => refund(acct(a)),
        Op::RegProducer(p) => regproducer(PRODUCERS[p]),
        Op::UnregProd(p) => unregprod(PRODUCERS[p]),
        Op::Vote(a, mask) => {
            // Bits 5 to 7 all set adds an account that is never a producer.
            let mut list: Vec<&str> = (0..5).filter(|i| mask & (1 << i) != 0).map(|i| PRODUCERS[i]).collect();
            if mask & 0xe0 == 0xe0 {
                list.push("carol");
                list.sort_by_key(|p| n(p));
            }
            voteproducer(acct(a), "", &list)
        }
        Op::VoteProxy(a, b) => voteproducer(acct(a), acct(b), &[]),
        Op::RegProxy(a, on) => regproxy(acct(a), on),
        Op::SetPayRate(p, r) => setpayrate(PRODUCERS[p], r),
        Op::Claim(p) => claimrewards(PRODUCERS[p]),
        Op::Block(_) | Op::Irreversible(_) => return None,
    })
}

/// Everyone starts with 1M CIV staked; bp1 to bp3 are genesis producers, alice and bob vote.
fn staked_genesis() -> civitas_chain::Genesis {
    let mut g = gov_genesis();
    g.producers = vec![producer("bp1"), producer("bp2"), producer("bp3")];
    for a in &mut g.accounts {
        a.stake = Some(asset("1000000.0000 CIV"));
    }
    g.accounts[0].votes = vec![n("bp1"), n("bp2")];
    g.accounts[1].votes = vec![n("bp2"), n("bp3")];
    g
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn supply_is_conserved_and_votes_stay_consistent(ops in proptest::collection::vec(op(), 1..80)) {
        let g = staked_genesis();
        let supply0 = genesis_supply(&g);
        let mut h = Harness::with_genesis(&g);
        let mut irreversible = 0;
        for op in &ops {
            match (op, action(op)) {
                (Op::Block(ms), _) => {
                    h.next_block_after(*ms);
                }
                (Op::Irreversible(a), _) => {
                    irreversible += 1;
                    h.chain.on_block_irreversible(n(GOV_ACCOUNTS[*a]), irreversible);
                }
                (_, Some(action)) => {
                    // Failures are expected (random input); they must change nothing.
                    let before = h.chain.kv().full_hash();
                    if h.act(action).is_err() {
                        prop_assert_eq!(h.chain.kv().full_hash(), before);
                    }
                }
                (_, None) => unreachable!(),
            }
            check_invariants(&h.chain, supply0);
            // Nobody transfers to the worker fund here, so it holds exactly what was minted for it.
            prop_assert_eq!(balance(&h.chain, "eosio.wps").amount(), global(&h.chain).total_to_fund);
        }
    }
}
