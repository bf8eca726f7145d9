//! Issue 6 (client tests in CI): the unmodified eosjs 22 and @wharfkit/antelope, pinned in
//! `tests/js/package-lock.json`, run `tests/js/clients.test.mjs` against a real localnet:
//! get_info through both, an eosjs transfer, a Wharfkit transfer with compression, an eosjs
//! voteproducer, reads of balances, the `voters` row and the `producers` table, and Wharfkit's
//! account and resources kits (issue 11: CPU/NET/RAM of alice, a RAM purchase at the quoted price).
//!
//! Needs Node.js ≥ 20 with npm; the pinned packages are installed on first run with
//! `npm ci --prefix tests/js` (docs/clients.md).

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The whole JS suite normally takes well under a minute; this only stops a hang.
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn eosjs_and_wharfkit_against_a_localnet() {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("js");
    let installed = |p: &str| js.join("node_modules").join(p).join("package.json").is_file();
    const PACKAGES: [&str; 4] = ["eosjs", "@wharfkit/antelope", "@wharfkit/account", "@wharfkit/resources"];
    if !PACKAGES.iter().all(|p| installed(p)) {
        // First run on this machine: install exactly the versions in package-lock.json.
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
            .arg(&js)
            .status()
            .expect("npm (Node.js ≥ 20) is on PATH");
        assert!(status.success(), "`npm ci --prefix tests/js` failed");
    }
    for package in PACKAGES {
        assert!(
            js.join("node_modules").join(package).join("package.json").is_file(),
            "{package} is not installed in tests/js/node_modules: run `npm ci --prefix tests/js` first \
             (it installs the versions pinned in tests/js/package-lock.json)"
        );
    }
    let version = Command::new("node").arg("--version").output();
    let version = match version {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => panic!("`node` (Node.js ≥ 20) is not on PATH; the client tests run eosjs and Wharfkit in it"),
    };
    println!("node {version}");

    let net = Localnet::up("js_clients", 4);
    let url = net.url(0);
    // Let a few blocks pass beyond the LIB so eosjs's `blocksBehind: 3` has blocks to refer to.
    wait_for(Duration::from_secs(30), "head 10", || net.info(0).filter(|i| i.head >= 10));

    let t0 = Instant::now();
    let mut child = Command::new("node")
        .args(["--test", "--test-reporter=spec", "clients.test.mjs"])
        .current_dir(&js)
        .env("CIVITAS_URL", &url)
        .env("CIVITAS_ACCOUNTS", net.dir.join("accounts.json"))
        .stdin(Stdio::null())
        .spawn()
        .expect("starting node");
    // stdout and stderr are inherited: the spec reporter's lines stream as the tests run.
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for node") {
            break status;
        }
        if t0.elapsed() > SUITE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the JS client tests did not finish in {SUITE_TIMEOUT:?}; node logs: {}", net.dir.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    println!("JS client tests: {status} in {:.1} s", t0.elapsed().as_secs_f64());
    assert!(
        status.success(),
        "the JS client tests failed ({status}); the node logs are under {}",
        net.dir.join("nodes").display()
    );
}
