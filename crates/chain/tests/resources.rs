//! CPU and NET by stake (SPEC §10.3): allowances proportional to stake, refusal once spent,
//! recovery as usage decays, elastic virtual limits, the block's real limits, and billing that
//! is a pure function of the transaction.

mod common;

use civitas_chain::resources::{self, billing};
use civitas_chain::{ChainError, Genesis, GenesisAccount};
use civitas_protocol::TimePoint;
use common::*;

/// `whale` holds nearly all stake; `alice` a little; `tiny` the smallest amount; `nobody`
/// none at all.
fn metered_genesis() -> Genesis {
    let mut g = genesis();
    let acct = |name: &str, stake: Option<&str>| GenesisAccount {
        name: n(name),
        owner_key: key(&format!("{name}-owner")).public_key(),
        active_key: Some(key(name).public_key()),
        balance: Some(asset("1000.0000 CIV")),
        stake: stake.map(asset),
        votes: vec![],
    };
    g.accounts = vec![
        acct("whale", Some("1000000.0000 CIV")),
        acct("alice", Some("0.1000 CIV")),
        acct("tiny", Some("0.0001 CIV")),
        acct("nobody", None),
        acct("bob", None),
        acct("bp1", Some("1.0000 CIV")),
    ];
    g
}

fn limits(h: &Harness, who: &str) -> (resources::AccountLimit, resources::AccountLimit) {
    let now = TimePoint::from_millis(h.time_ms);
    resources::account_limits(h.chain.kv(), &h.chain.config().resources, n(who), now).expect("limited account")
}

#[test]
fn an_accounts_cpu_is_its_share_of_stake_and_is_refused_once_spent() {
    let mut h = Harness::metered(&metered_genesis());
    let (net, cpu) = limits(&h, "alice");
    // alice's 0.0500 CIV of CPU weight out of 500,000.0500 + 0.5000 (bp1): her share of the
    // virtual limit (1,000,000 µs per 500 ms block at genesis) over 172,800 slots.
    let s = resources::resource_state(h.chain.kv());
    let expected = 1_000_000u128 * 172_800 * 500 / u128::from(s.total_cpu_weight);
    assert_eq!(cpu.max as u128, expected);
    assert!(cpu.max > 0 && net.max > 0 && cpu.used == 0 && cpu.available == cpu.max);

    let cost = {
        let trx = h.trx(vec![transfer("alice", "bob", "0.0001 CIV", "")]);
        let vt = h.sign(&trx, &[&key("alice")]);
        billing::cpu_usage_us(&vt.trx, 1, vt.wire_bytes)
    };
    let mut accepted = 0u64;
    let refusal = loop {
        match h.push(vec![transfer("alice", "bob", "0.0001 CIV", "")], &[&key("alice")]) {
            Ok(trace) => {
                accepted += 1;
                assert_eq!(trace.cpu_usage_us, cost, "billed by the schedule");
            }
            Err(e) => break e,
        }
        if accepted.is_multiple_of(20) {
            h.next_block();
        }
        assert!(accepted < 100_000, "never refused");
    };
    assert!(matches!(refusal, ChainError::TxCpuUsageExceeded { .. }), "{refusal}");
    // Usage reaches the state when the block is sealed.
    h.next_block();
    assert_eq!((refusal.code(), refusal.name()), (3_080_004, "tx_cpu_usage_exceeded"));
    // What she got is her allowance, give or take the virtual limit's growth over the blocks
    // it took (0.1% per block, 23 blocks) and one transaction.
    let got = accepted * cost;
    let max = cpu.max as u64;
    assert!(got + cost > max && got <= max + max / 20, "accepted {accepted} × {cost} µs for an allowance of {max}");
    let (_, after) = limits(&h, "alice");
    assert!(after.available < cost as i64, "{after:?}");

    // A refused transaction changes nothing; others are not affected.
    let before = h.chain.kv().full_hash();
    assert!(h.push(vec![transfer("alice", "bob", "0.0001 CIV", "")], &[&key("alice")]).is_err());
    assert_eq!(h.chain.kv().full_hash(), before);
    h.push(vec![transfer("whale", "bob", "1.0000 CIV", "")], &[&key("whale")]).unwrap();

    // Usage decays over the 24 h window: half a day later half of it is free again.
    h.next_block_after(12 * 3600 * 1000);
    let (_, later) = limits(&h, "alice");
    assert!(later.current_used < after.used * 51 / 100, "{later:?}");
    h.push(vec![transfer("alice", "bob", "0.0001 CIV", "")], &[&key("alice")]).unwrap();
}

#[test]
fn accounts_without_stake_cannot_transact() {
    let mut h = Harness::metered(&metered_genesis());
    let before = h.chain.kv().full_hash();
    for who in ["nobody", "tiny"] {
        let e = h.push(vec![transfer(who, "bob", "0.0001 CIV", "")], &[&key(who)]).unwrap_err();
        assert!(
            matches!(e, ChainError::TxCpuUsageExceeded { .. } | ChainError::TxNetUsageExceeded { .. }),
            "{who}: {e}"
        );
    }
    assert_eq!(h.chain.kv().full_hash(), before);
    // Someone else staking for `nobody` gives it bandwidth (the vote stays with the staker).
    h.ok(delegatebw("whale", "nobody", "1.0000 CIV", "1.0000 CIV", false));
    h.push(vec![transfer("nobody", "bob", "0.0001 CIV", "")], &[&key("nobody")]).unwrap();
}

#[test]
fn every_authorizer_is_billed_in_full() {
    let mut h = Harness::metered(&metered_genesis());
    let trace = h
        .push(
            vec![transfer("whale", "bob", "1.0000 CIV", ""), transfer("bp1", "bob", "1.0000 CIV", "")],
            &[&key("whale"), &key("bp1")],
        )
        .unwrap();
    assert_eq!(trace.cpu_usage_us, billing::BASE_US + 2 * billing::SIGNATURE_US + 2 * 3 + 3);
    h.next_block();
    for who in ["whale", "bp1"] {
        let (net, cpu) = limits(&h, who);
        // Reported usage rounds up, by at most one unit.
        assert!((cpu.used as u64).abs_diff(trace.cpu_usage_us) <= 1, "{who}: {cpu:?}");
        assert!((net.used as u64).abs_diff(billing::net_usage_words(trace.net_bytes) * 8) <= 1, "{who}: {net:?}");
    }
    let (net, cpu) = limits(&h, "alice");
    assert_eq!((net.used, cpu.used), (0, 0));
}

#[test]
fn the_virtual_limit_grows_while_blocks_are_empty_and_lends_more() {
    let mut h = Harness::metered(&metered_genesis());
    let cfg = h.chain.config().resources;
    let (_, cpu0) = limits(&h, "alice");
    for _ in 0..100 {
        h.next_block();
    }
    let s = resources::resource_state(h.chain.kv());
    let mut v = cfg.cpu.max;
    // Blocks 2 to 101 were sealed, all empty.
    for _ in 0..100 {
        v = cfg.cpu.update(v, 0);
    }
    assert_eq!(s.virtual_cpu_limit, v);
    assert!(v > cfg.cpu.max * 110 / 100);
    let (_, cpu1) = limits(&h, "alice");
    assert!(cpu1.max > cpu0.max * 110 / 100, "{cpu0:?} → {cpu1:?}");
}

#[test]
fn a_full_block_refuses_more_and_the_next_block_takes_it() {
    let mut h = Harness::metered(&metered_genesis());
    let cfg = h.chain.config().resources;
    // Transactions of 10 transfers each (~71 µs, ~760 bytes): the block's CPU (1,000,000 µs)
    // fills before its NET (12 MiB).
    let batch = || (0..10).map(|_| transfer("whale", "bob", "0.0001 CIV", "")).collect::<Vec<_>>();
    let mut used = 0u64;
    let refusal = loop {
        match h.push(batch(), &[&key("whale")]) {
            Ok(t) => used += t.cpu_usage_us,
            Err(e) => break e,
        }
        assert!(used <= cfg.cpu.max);
    };
    assert!(refusal.is_block_full(), "{refusal}");
    assert_eq!((refusal.code(), refusal.name()), (3_080_005, "block_cpu_usage_exceeded"));
    assert!(used + 80 > cfg.cpu.max, "the block was filled: {used}");
    h.next_block();
    h.push(batch(), &[&key("whale")]).unwrap();
}

#[test]
fn the_same_transactions_bill_the_same_on_two_chains() {
    let g = metered_genesis();
    let run = || {
        let mut h = Harness::metered(&g);
        let mut traces = vec![];
        for i in 0u32..30 {
            let from = if i.is_multiple_of(3) { "alice" } else { "whale" };
            traces.push(h.push(vec![transfer(from, "bob", "0.0001 CIV", "")], &[&key(from)]).unwrap().cpu_usage_us);
            if i.is_multiple_of(7) {
                h.next_block();
            }
        }
        (traces, h.next_block(), resources::account_usage(h.chain.kv(), n("alice")))
    };
    assert_eq!(run(), run());
}
