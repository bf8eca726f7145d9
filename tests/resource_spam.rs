//! Issue 11, with real node processes: twenty accounts holding the minimum stake flood a
//! localnet with transfers (and with context-free-heavy transactions). Their own transactions
//! are refused once their CPU allowance is spent — `tx_cpu_usage_exceeded`, not queued — and an
//! honest user's transfer, pushed every few hundred milliseconds throughout, is in a block within
//! two blocks of the head it was pushed at.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use civitas_chain::contracts::system::{BuyRamBytes, DelegateBw, NewAccount};
use civitas_protocol::{Action, Asset, Authority, Bytes, Name, Pack, PermissionLevel, PrivateKey};
use common::*;

const SPAMMERS: usize = 20;
/// A dust stake for bandwidth: 0.0100 CIV each for NET and CPU, about 3e-8 of what the
/// localnet stakes — an allowance of about 120 transfers a day.
const STAKE: i64 = 100;
/// How long the flood lasts.
const FLOOD: Duration = Duration::from_secs(20);

fn name(s: &str) -> Name {
    s.parse().expect("name")
}

fn civ(units: i64) -> Asset {
    Asset::new(units, "4,CIV".parse().expect("symbol")).expect("asset")
}

fn eosio(action: &str, actor: Name, data: Vec<u8>) -> Action {
    Action {
        account: name("eosio"),
        name: name(action),
        authorization: vec![PermissionLevel::new(actor, name("active"))],
        data: Bytes(data),
    }
}

/// Twelve-character spammer names: `spammeraaaaa`, `spammeraaaab`, …
fn spammer(i: usize) -> String {
    let tail: String = (0..5).rev().map(|d| (b'a' + ((i / 26usize.pow(d)) % 26) as u8) as char).collect();
    format!("spammer{tail}")
}

/// What a flood thread saw: pushes accepted, refused for CPU, refused otherwise (with a sample).
#[derive(Default)]
struct Tally {
    accepted: AtomicU64,
    cpu_refused: AtomicU64,
    other: AtomicU64,
}

#[test]
fn a_flood_from_minimum_stake_accounts_is_refused_and_honest_transfers_stay_prompt() {
    let net = Localnet::up("resource_spam", 4);
    let url = net.url(0);
    wait_for(Duration::from_secs(30), "head 5", || info(&url).filter(|i| i.head >= 5));
    let alice = net.key("alice");
    let alice_n = name("alice");
    let spam_key = PrivateKey::from_seed("resource spam");

    // alice creates the spammers: RAM for their records, the minimum stake, 10 CIV to send.
    for chunk in (0..SPAMMERS).collect::<Vec<_>>().chunks(5) {
        let mut actions = vec![];
        for &i in chunk {
            let who = name(&spammer(i));
            let auth = Authority::single_key(spam_key.public_key());
            let na = NewAccount { creator: alice_n, name: who, owner: auth.clone(), active: auth };
            actions.push(eosio("newaccount", alice_n, na.packed()));
            actions.push(eosio(
                "buyrambytes",
                alice_n,
                BuyRamBytes { payer: alice_n, receiver: who, bytes: 4096 }.packed(),
            ));
            let stake = DelegateBw {
                from: alice_n,
                receiver: who,
                stake_net_quantity: civ(STAKE),
                stake_cpu_quantity: civ(STAKE),
                transfer: false,
            };
            actions.push(eosio("delegatebw", alice_n, stake.packed()));
            let pay = civitas_chain::contracts::token::Transfer {
                from: alice_n,
                to: who,
                quantity: civ(10_0000),
                memo: "spam money".into(),
            };
            actions.push(Action {
                account: name("eosio.token"),
                name: name("transfer"),
                authorization: vec![PermissionLevel::new(alice_n, name("active"))],
                data: Bytes(pay.packed()),
            });
        }
        let (status, v) = push_actions(&url, actions, &[&alice]).expect("push");
        assert!(status < 300, "creating spammers: {v}");
    }
    wait_for(Duration::from_secs(30), "the spammers to be funded", || {
        let (_, v) = post(
            &url,
            "/v1/chain/get_currency_balance",
            &format!(r#"{{"code":"eosio.token","account":"{}","symbol":"CIV"}}"#, spammer(SPAMMERS - 1)),
        )?;
        (v[0] == "10.0000 CIV").then_some(())
    });

    // The flood: every spammer pushes transfers to bob as fast as it can, to every node, and
    // one spammer also pushes context-free-heavy transactions.
    let stop = Arc::new(AtomicBool::new(false));
    let tallies: Vec<Arc<Tally>> = (0..SPAMMERS).map(|_| Arc::new(Tally::default())).collect();
    let cfd_refused = Arc::new(AtomicU64::new(0));
    let mut threads = vec![];
    for (i, tally) in tallies.iter().enumerate() {
        let (stop, tally, key) = (stop.clone(), tally.clone(), spam_key.clone());
        let urls: Vec<String> = (0..4).map(|n| net.url(n)).collect();
        let cfd_refused = cfd_refused.clone();
        threads.push(std::thread::spawn(move || {
            let who = spammer(i);
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let url = &urls[n as usize % urls.len()];
                if i == 0 && n.is_multiple_of(10) {
                    let big = vec![Bytes(vec![7u8; 64 * 1024])];
                    if let Some((status, _)) =
                        push_transfer_with_cfd(url, &who, &key, "bob", 1, &format!("cfd {n}"), &big)
                    {
                        if status >= 400 {
                            cfd_refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    continue;
                }
                match push_transfer(url, &who, &key, "bob", 1, &format!("spam {n}")) {
                    Some((status, _)) if status < 300 => tally.accepted.fetch_add(1, Ordering::Relaxed),
                    Some((_, v)) if v["error"]["name"] == "tx_cpu_usage_exceeded" => {
                        tally.cpu_refused.fetch_add(1, Ordering::Relaxed)
                    }
                    _ => tally.other.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }

    // Meanwhile carol pays bob every 300 ms; each transfer must be in a block within two
    // blocks of the head when it was pushed.
    let carol = net.key("carol");
    let t0 = Instant::now();
    let mut delays = vec![];
    let mut k = 0;
    while t0.elapsed() < FLOOD {
        k += 1;
        let head = info(&url).expect("info").head;
        let (status, v) = push_transfer(&url, "carol", &carol, "bob", 1, &format!("honest {k}")).expect("push");
        assert!(status < 300, "carol's transfer {k} refused during the flood: {v}");
        let id = v["transaction_id"].as_str().expect("id").to_string();
        let block = wait_for(Duration::from_secs(10), "carol's transfer in a block", || {
            let (_, s) = post(&url, "/v1/chain/get_transaction_status", &format!(r#"{{"id":"{id}"}}"#))?;
            s["block_number"].as_u64()
        });
        delays.push(block.saturating_sub(u64::from(head)));
        std::thread::sleep(Duration::from_millis(300));
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("flood thread");
    }

    let accepted: u64 = tallies.iter().map(|t| t.accepted.load(Ordering::Relaxed)).sum();
    let refused: u64 = tallies.iter().map(|t| t.cpu_refused.load(Ordering::Relaxed)).sum();
    let other: u64 = tallies.iter().map(|t| t.other.load(Ordering::Relaxed)).sum();
    println!(
        "flood: {accepted} accepted, {refused} refused for CPU, {other} refused otherwise, {} context-free \
         refused; carol's {} transfers landed {:?} blocks after the head they were pushed at",
        cfd_refused.load(Ordering::Relaxed),
        delays.len(),
        delays
    );
    assert!(delays.len() >= 20, "carol kept transacting: {delays:?}");
    assert!(delays.iter().all(|d| *d <= 2), "an honest transfer waited more than two blocks: {delays:?}");
    for (i, t) in tallies.iter().enumerate() {
        assert!(t.cpu_refused.load(Ordering::Relaxed) > 0, "{} was never refused for CPU", spammer(i));
    }
    assert!(refused > accepted, "most of the flood is refused: {accepted} accepted, {refused} refused");
    assert!(cfd_refused.load(Ordering::Relaxed) > 0, "context-free floods are refused");
    // The chain stayed live and final throughout.
    let end = info(&url).expect("info");
    assert!(end.lib + 10 >= end.head, "finality kept up: head {}, LIB {}", end.head, end.lib);
}
