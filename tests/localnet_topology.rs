//! Issue 10 item 4: `civitas localnet up --topology`. A ring of 21 producers and a line of 7,
//! each node linked only to its neighbours: every node's head and LIB must advance, with the
//! LIB close behind the head (median head − LIB ≤ 4 blocks on every node), and each node must
//! have exactly the peers the topology gives it. Plus the command line's answers to a taken
//! port and a bad topology.
//!
//! On a ring or a line most producers are several hops away, so these pass only if nodes pass
//! on the blocks and approvals they receive.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;

use std::net::TcpListener;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;

/// One network at a time in this binary: two at once on a 2-core machine would measure the
/// machine, not the topology.
static ONE_NETWORK: Mutex<()> = Mutex::new(());

/// How long head and LIB are sampled.
const WINDOW: Duration = Duration::from_secs(20);

/// Head and LIB of every node, once a second over [`WINDOW`]; `None` where a node did not answer.
fn sample(net: &Localnet, n: usize) -> Vec<Vec<Option<(u32, u32)>>> {
    let mut rows = vec![Vec::new(); n];
    let t0 = Instant::now();
    while t0.elapsed() < WINDOW {
        let tick = Instant::now();
        for (i, row) in rows.iter_mut().enumerate() {
            row.push(net.info(i).map(|x| (x.head, x.lib)));
        }
        std::thread::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed()));
    }
    rows
}

fn median(mut v: Vec<u32>) -> Option<u32> {
    v.sort_unstable();
    (!v.is_empty()).then(|| v[v.len() / 2])
}

/// Starts `n` producers linked as `topology`, samples them, prints each node's progress and
/// LIB lag, and checks that every node's head and LIB advanced with a median lag of at most
/// `max_lag` blocks and that every node has the peers the topology links it to.
fn run(test: &str, n: usize, topology: &str, max_lag: u32) {
    let _one = ONE_NETWORK.lock().unwrap_or_else(|e| e.into_inner());
    let t0 = Instant::now();
    let net = Localnet::up_with(test, n as u16, topology, false);
    // Sample a running network, not its start: every node's API answers and its head has
    // moved a few blocks (which takes sync alone, relayed or not).
    for i in 0..n {
        wait_for(Duration::from_secs(30), &format!("node {i}'s head to pass 5"), || net.info(i).filter(|x| x.head > 5));
    }
    let rows = sample(&net, n);
    let status = net.status();

    println!("{topology} of {n}: node, head first→last, LIB first→last, LIB lag median/max, peers/linked");
    let mut failures = vec![];
    for (i, row) in rows.iter().enumerate() {
        let seen: Vec<(u32, u32)> = row.iter().flatten().copied().collect();
        let (first, last) = (seen.first().copied().unwrap_or_default(), seen.last().copied().unwrap_or_default());
        let lags: Vec<u32> = seen.iter().map(|(h, l)| h.saturating_sub(*l)).collect();
        let lag = median(lags.clone());
        let (peers, linked) = (status[i]["peers"].as_u64(), status[i]["planned_peers"].as_u64());
        println!(
            "  {:<10} head {:>4} → {:<4} LIB {:>4} → {:<4} lag {:>3}/{:<3} peers {}/{}  ({} of {} samples answered)",
            net.names[i],
            first.0,
            last.0,
            first.1,
            last.1,
            lag.map_or("-".into(), |l| l.to_string()),
            lags.iter().max().map_or("-".into(), |l| l.to_string()),
            peers.map_or("-".into(), |p| p.to_string()),
            linked.map_or("-".into(), |p| p.to_string()),
            seen.len(),
            row.len()
        );
        let name = &net.names[i];
        if last.0 <= first.0 {
            failures.push(format!("{name}: the head did not advance ({} → {})", first.0, last.0));
        }
        if last.1 <= first.1 {
            failures.push(format!("{name}: the LIB did not advance ({} → {})", first.1, last.1));
        }
        if lag.is_none_or(|l| l > max_lag) {
            failures.push(format!("{name}: median LIB lag {lag:?} blocks, above {max_lag}"));
        }
        if peers.is_none() || linked.is_some_and(|l| peers != Some(l)) {
            failures.push(format!("{name}: {peers:?} peers connected, the topology links {linked:?}"));
        }
    }
    println!("{test}: {:.1} s", t0.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{topology} of {n}:\n  {}", failures.join("\n  "));
}

#[test]
fn ring_of_21_producers_finalizes_on_every_node() {
    run("topology_ring", 21, "ring", 4);
}

#[test]
fn line_of_7_producers_finalizes_on_every_node() {
    run("topology_line", 7, "line", 4);
}

#[test]
fn up_names_a_taken_port_and_refuses_a_bad_topology() {
    let dir = scratch("topology_cli");
    let ports = reserve_ports();
    let p2p = ports.port(101);
    let _busy = TcpListener::bind(("127.0.0.1", p2p)).unwrap();
    let up = |extra: &[&str]| {
        civitas()
            .args(["localnet", "up", "--no-wait", "--producers", "3", "--base-port", &ports.base().to_string()])
            .args(extra)
            .arg("--dir")
            .arg(dir.join("net"))
            .output()
            .unwrap()
    };
    let out = up(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(
        err.trim(),
        format!("error: port {p2p} (P2P of node bravo) is already in use; pick another --base-port")
    );
    assert!(!dir.join("net").exists(), "nothing may be written or started");

    for (topology, message) in [
        ("star", "unknown topology \"star\": expected mesh, ring, line or random:K"),
        ("random:0", "random:K needs K from 1 to 32 (got 0)"),
        ("random:x", "random:K needs a whole number of peers K, got \"x\""),
        ("random:3", "--topology random:3 needs more than 3 producers (got 3)"),
    ] {
        let out = up(&["--topology", topology]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{topology}");
        assert!(err.lines().next().unwrap_or("").contains(message), "{topology}: {err}");
    }
}
