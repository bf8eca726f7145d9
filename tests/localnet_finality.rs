//! Issue 5 acceptance, with real processes: 21 producers at 500 ms blocks on this machine.
//! LIB advances every round; with six producers killed (-9) it keeps advancing; with a seventh
//! killed the head advances but the LIB stops (fewer than 2/3+1 producers); restarted, the LIB
//! resumes, and every node's irreversible blocks agree at every height.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;

use std::time::Duration;

use common::*;

#[test]
fn lib_survives_six_failures_stops_at_seven_and_resumes() {
    let net = Localnet::up("localnet_finality", 21);
    let round = Duration::from_millis(21 * 500);

    // Every round finalizes blocks.
    let start = net.info(0).unwrap();
    let after =
        wait_for(2 * round, "the LIB to advance a round's worth", || net.info(0).filter(|i| i.lib >= start.lib + 21));
    println!("healthy: LIB {} → {} (head {})", start.lib, after.lib, after.head);

    // Six producers down: 15 of 21 remain, exactly 2/3+1.
    for i in 1..=6 {
        net.kill9(i);
    }
    let before = net.info(0).unwrap();
    let six = wait_for(4 * round, "the LIB to advance with six producers down", || {
        net.info(0).filter(|i| i.lib >= before.lib + 15)
    });
    println!("six down: LIB {} → {} (head {})", before.lib, six.lib, six.head);

    // A seventh down: 14 of 21 cannot finalize; the head still grows.
    net.kill9(7);
    std::thread::sleep(Duration::from_secs(3)); // approvals already in flight may still land
    let stalled = net.info(0).unwrap();
    std::thread::sleep(round);
    let later = net.info(0).unwrap();
    println!("seven down: head {} → {}, LIB {} → {}", stalled.head, later.head, stalled.lib, later.lib);
    assert!(later.head >= stalled.head + 10, "the head must keep advancing: {stalled:?} → {later:?}");
    assert_eq!(later.lib, stalled.lib, "the LIB must stop without 2/3+1 producers");

    // Everyone back: the LIB resumes and catches up with the head.
    net.start_stopped();
    let resumed =
        wait_for(6 * round, "the LIB to resume after the restart", || net.info(0).filter(|i| i.lib >= later.head + 5));
    println!("restarted: LIB {} (head {})", resumed.lib, resumed.head);
    let infos: Vec<Info> = (0..21)
        .map(|i| wait_for(4 * round, "every node to follow", || net.info(i).filter(|x| x.lib >= resumed.lib)))
        .collect();

    // Irreversible blocks agree on every node at every height.
    let top = infos.iter().map(|i| i.lib).min().unwrap();
    for num in 2..=top {
        let reference = block_id(&net.url(0), num).unwrap_or_else(|| panic!("node 0 lacks block {num}"));
        for i in 1..21 {
            let id = block_id(&net.url(i), num).unwrap_or_else(|| panic!("node {i} lacks block {num}"));
            assert_eq!(id, reference, "node {i} disagrees at height {num}");
        }
    }
    println!("{} irreversible heights agree on all 21 nodes", top - 1);
}
