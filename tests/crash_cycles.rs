//! Issue 5 acceptance: a producer is killed with SIGKILL again and again while transactions are
//! pushed. Each time it comes back by itself in under 5 s from its checkpoint and block log
//! (never from genesis), no irreversible block it had is lost, and its irreversible blocks — and
//! with them the state commitments in their headers — equal its peers'.
//!
//! 20 cycles in CI; `CIVITAS_CRASH_CYCLES=100 cargo test --release --test crash_cycles` for the
//! long run (TESTING.md).

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn killed_producer_recovers_every_time() {
    let cycles: u32 = std::env::var("CIVITAS_CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let net = Localnet::up("crash_cycles", 4);
    let victim = 1;

    // A steady stream of transfers into node 0.
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let pusher = {
        let (stop, accepted) = (stop.clone(), accepted.clone());
        let (url, key) = (net.url(0), net.key("alice"));
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                if let Some((202, _)) = push_transfer(&url, "alice", &key, "bob", 1, &format!("crash test {n}")) {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };

    // The first checkpoint is written at the first irreversible block.
    wait_for(Duration::from_secs(30), "a first checkpoint", || {
        std::fs::read_dir(net.node_dir(victim).join("checkpoints"))
            .ok()?
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".bin"))
            .then_some(())
    });

    let mut worst = Duration::ZERO;
    for cycle in 0..cycles {
        let before = net.info(victim).expect("victim up");
        let lib_id_before = block_id(&net.url(victim), before.lib).expect("its LIB block");
        net.kill9(victim);
        // Down for 0.2–1.6 s, varying from cycle to cycle.
        std::thread::sleep(Duration::from_millis(200 + u64::from(cycle * 373 % 1400)));
        let t0 = Instant::now();
        net.start_stopped();
        let back = wait_for(Duration::from_secs(30), "the victim to catch up", || {
            let theirs = net.info(0)?;
            net.info(victim).filter(|mine| mine.head + 2 >= theirs.head && mine.lib >= before.lib)
        });
        let took = t0.elapsed();
        worst = worst.max(took);
        assert!(took < Duration::from_secs(5), "cycle {cycle}: recovery took {took:?}");
        // Nothing irreversible was lost.
        assert_eq!(block_id(&net.url(victim), before.lib).as_deref(), Some(lib_id_before.as_str()), "cycle {cycle}");
        // Its final chain (and so the state commitment in each header) is its peers'.
        assert_eq!(block_id(&net.url(victim), back.lib), block_id(&net.url(0), back.lib), "cycle {cycle}");
        // It restarted from a checkpoint, not from genesis.
        let log = net.log(victim);
        let restored = log.lines().rev().find(|l| l.contains("state restored")).expect("a restore line");
        assert!(restored.contains("checkpoint=Some"), "cycle {cycle}: {restored}");
        println!(
            "cycle {cycle}: back in {took:?} at head {} LIB {} ({restored_tail})",
            back.head,
            back.lib,
            restored_tail = restored.split("state restored").nth(1).unwrap_or("").trim()
        );
    }
    stop.store(true, Ordering::Relaxed);
    pusher.join().unwrap();
    let accepted = accepted.load(Ordering::Relaxed);
    println!("{cycles} cycles, slowest recovery {worst:?}, {accepted} transfers accepted");
    assert!(accepted > 0, "transfers were pushed during the test");
    // Once quiet, the victim's state is its peers': same head, same balances.
    wait_for(Duration::from_secs(20), "the victim's state to equal node 0's", || {
        let (a, b) = (net.info(0)?, net.info(victim)?);
        let same = a.head_id == b.head_id
            && balance(&net.url(0), "bob") == balance(&net.url(victim), "bob")
            && balance(&net.url(0), "alice") == balance(&net.url(victim), "alice");
        (same && net.info(0)?.head_id == a.head_id).then_some(())
    });
}

fn balance(url: &str, account: &str) -> Option<String> {
    let body = format!(r#"{{"code":"eosio.token","account":"{account}","symbol":"CIV"}}"#);
    let (status, v) = post(url, "/v1/chain/get_currency_balance", &body)?;
    (status == 200).then(|| v[0].as_str().map(str::to_string)).flatten()
}
