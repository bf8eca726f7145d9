//! Issue 5 acceptance: a fresh non-producer node started with `--peer` syncs from genesis to
//! the head and follows; `civitas node replay` on its data directory rebuilds the same state
//! (the state commitment of the network's block at the replayed head); a snapshot exported from
//! it starts another node, which then syncs the rest from a peer.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;

use std::process::{Child, Stdio};
use std::time::Duration;

use common::*;

struct Follower(Child);

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `civitas init` of a non-producer data directory on the network's genesis (`extra` args added).
fn init_node(net: &Localnet, dir: &std::path::Path, pw: &std::path::Path, extra: &[&std::ffi::OsStr]) {
    let out = civitas()
        .args(["init", "--dir"])
        .arg(dir)
        .arg("--genesis")
        .arg(net.genesis_path())
        .arg("--password-file")
        .arg(pw)
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "init {extra:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Runs the node in `dir` on the network's `k`-th spare ports with `peer` as its only peer; its
/// API answers at the returned URL.
fn run_follower(net: &Localnet, dir: &std::path::Path, peer: u16, k: u16) -> (Follower, String) {
    let (http, p2p) = net.spare_ports(k);
    let log = std::fs::File::create(dir.join("node.log")).unwrap();
    let child = civitas()
        .args(["node", "run", "--dir"])
        .arg(dir)
        .args(["--peer", &format!("127.0.0.1:{peer}")])
        .args(["--http", &format!("127.0.0.1:{http}"), "--p2p", &format!("127.0.0.1:{p2p}")])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    (Follower(child), format!("http://127.0.0.1:{http}"))
}

#[test]
fn fresh_node_syncs_and_replay_matches() {
    let net = Localnet::up("sync_replay", 4);
    let key = net.key("alice");
    for n in 0..40 {
        push_transfer(&net.url(0), "alice", &key, "carol", 1 + n, &format!("sync test {n}"));
    }
    wait_for(Duration::from_secs(60), "LIB 30", || net.info(0).filter(|i| i.lib >= 30));

    let dir = net.dir.parent().unwrap().join("follower");
    let pw = net.dir.parent().unwrap().join("password");
    std::fs::write(&pw, "follower-password\n").unwrap();
    init_node(&net, &dir, &pw, &[]);
    let (mut follower, url) = run_follower(&net, &dir, net.base + 100, 0);

    let target = net.info(0).unwrap();
    let synced = wait_for(Duration::from_secs(60), "the follower to sync", || {
        info(&url).filter(|i| i.lib >= target.lib && i.head + 2 >= net.info(0).map_or(0, |n| n.head))
    });
    println!("synced to head {} LIB {} (network was at {})", synced.head, synced.lib, target.head);
    // It follows: new blocks keep arriving.
    wait_for(Duration::from_secs(20), "the follower to follow", || info(&url).filter(|i| i.lib >= synced.lib + 10));
    for num in 2..=synced.lib {
        assert_eq!(block_id(&url, num), block_id(&net.url(0), num), "height {num}");
    }

    // Stop it cleanly and rebuild its state from its block log alone.
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(follower.0.id() as i32, libc::SIGTERM);
    }
    let status = follower.0.wait().unwrap();
    assert!(status.success(), "follower exit: {status:?}");
    let out = civitas().args(["node", "replay", "--dir"]).arg(&dir).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "replay: {text}\n{}", String::from_utf8_lossy(&out.stderr));
    println!("{text}");
    let field = |name: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or_else(|| panic!("no {name} line"));
        line.split_whitespace().skip(1).map(str::to_string).collect()
    };
    let head = field("head");
    let (num, id): (u32, String) = (head[0].parse().unwrap(), head[1].clone());
    let state = field("state")[0].clone();
    assert_eq!(block_id(&net.url(0), num).as_deref(), Some(id.as_str()), "replayed head");
    let (_, block) = post(&net.url(0), "/v1/chain/get_block", &format!("{{\"block_num_or_id\":{num}}}")).unwrap();
    assert_eq!(block["action_mroot"].as_str(), Some(state.as_str()), "the replayed state is the network's");

    // Export its state and start a third node from the snapshot instead of from genesis.
    let snap = net.dir.parent().unwrap().join("state.snapshot");
    let out = civitas().args(["node", "export-snapshot", "--dir"]).arg(&dir).arg("--out").arg(&snap).output().unwrap();
    assert!(out.status.success(), "export: {}", String::from_utf8_lossy(&out.stderr));
    let third = net.dir.parent().unwrap().join("from-snapshot");
    init_node(&net, &third, &pw, &["--snapshot".as_ref(), snap.as_os_str()]);
    let (_third, url3) = run_follower(&net, &third, net.base + 101, 1);
    let started = wait_for(Duration::from_secs(20), "the snapshot node's API", || info(&url3));
    assert!(started.lib >= synced.lib, "it starts at the snapshot's LIB, not genesis: {started:?}");
    let now = net.info(0).unwrap();
    let caught =
        wait_for(Duration::from_secs(60), "the snapshot node to catch up", || info(&url3).filter(|i| i.lib >= now.lib));
    assert_eq!(block_id(&url3, caught.lib), block_id(&net.url(0), caught.lib), "same chain");
    let log = std::fs::read_to_string(third.join("node.log")).unwrap();
    assert!(log.contains("checkpoint=Some("), "started from the snapshot: {log}");
}
