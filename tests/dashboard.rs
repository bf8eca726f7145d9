//! Issue 7 acceptance: the dashboard in real headless Chromium (tests/dashboard/, playwright-core)
//! against a running 21-producer localnet — no console errors, 21 producers on the ring, the
//! current producer highlight moves, head and LIB advance, a vote cast through the API changes
//! the ranking within a round, and a screenshot is saved in out/ (git-ignored).

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;

use std::process::Command;

use common::*;

#[test]
fn dashboard_in_headless_chromium() {
    let net = Localnet::up("dashboard", 21);
    let root = env!("CARGO_MANIFEST_DIR");
    // The page must work from any node of the network: use one in the middle.
    let status = Command::new("bash")
        .arg(format!("{root}/tests/dashboard/run.sh"))
        .env("CIVITAS_URL", net.url(10))
        .env("CIVITAS_ACCOUNTS", net.dir.join("accounts.json"))
        .status()
        .expect("bash runs");
    assert!(status.success(), "the dashboard browser test failed (see its output above)");
    assert!(std::path::Path::new(root).join("out/dashboard.png").exists(), "the screenshot was saved");
}
