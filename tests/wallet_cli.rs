//! End to end: a one-producer `civitas localnet` and the `civitas` wallet commands run against it
//! as separate processes — create a key, create an account, transfer, stake, register as a
//! producer, vote, and see the vote in `get producers`, checking text and `--json` output.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use civitas_node::ports::PortBlock;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_civitas");

/// Stops the network however the test ends, then releases its ports.
struct Localnet {
    dir: PathBuf,
    /// The network's ports, reserved across processes (`civitas_node::ports`) until it is down.
    _ports: PortBlock,
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let _ = Command::new(BIN).args(["localnet", "down", "--dir"]).arg(&self.dir).output();
    }
}

/// Runs `civitas ARGS` with `stdin` and `env`, with no wallet settings inherited from the
/// environment.
fn civitas(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("CIVITAS_URL")
        .env_remove("CIVITAS_WALLET")
        .env_remove("CIVITAS_WALLET_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("start civitas");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("civitas output")
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// Runs a command that must succeed and returns its standard output.
fn ok(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> String {
    let o = civitas(args, stdin, env);
    assert!(o.status.success(), "civitas {args:?} failed:\n{}\n{}", text(&o.stdout), text(&o.stderr));
    text(&o.stdout)
}

/// The node and the wallet, given to the commands the way a user's shell would: through
/// CIVITAS_URL, CIVITAS_WALLET and CIVITAS_WALLET_PASSWORD.
struct Wallet {
    url: String,
    path: PathBuf,
}

const PASSWORD: &str = "correct horse battery staple";

impl Wallet {
    fn env(&self) -> [(&str, &str); 3] {
        [("CIVITAS_URL", &self.url), ("CIVITAS_WALLET", path_str(&self.path)), ("CIVITAS_WALLET_PASSWORD", PASSWORD)]
    }

    /// `civitas ARGS`, which must succeed.
    fn run(&self, args: &[&str], stdin: &str) -> String {
        ok(args, stdin, &self.env())
    }

    /// `civitas ARGS`, which must fail.
    fn fail(&self, args: &[&str]) -> Output {
        let o = civitas(args, "", &self.env());
        assert!(!o.status.success(), "civitas {args:?} succeeded:\n{}", text(&o.stdout));
        o
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(&[args, &["--json"]].concat(), "");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{out}"))
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}

fn private_key_of(dir: &Path, account: &str) -> String {
    let accounts: Value =
        serde_json::from_slice(&std::fs::read(dir.join("accounts.json")).expect("accounts.json")).expect("JSON");
    let entry = accounts
        .as_array()
        .expect("array of accounts")
        .iter()
        .find(|a| a["name"] == account)
        .unwrap_or_else(|| panic!("{account} not in accounts.json"));
    entry["private_key"].as_str().expect("private_key").to_string()
}

/// A transaction's text report: `transaction <64 hex>` then `in block N`.
fn assert_included(report: &str) {
    let mut lines = report.lines();
    let first = lines.next().unwrap_or("");
    let id = first.strip_prefix("transaction ").unwrap_or_else(|| panic!("no transaction id:\n{report}"));
    assert!(id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{report}");
    let block = lines.next().unwrap_or("");
    let num = block.strip_prefix("in block ").unwrap_or_else(|| panic!("not in a block:\n{report}"));
    assert!(num.split(' ').next().unwrap_or("").parse::<u32>().is_ok(), "{report}");
}

fn votes(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("finite"),
        Value::String(s) => s.parse().expect("numeric string"),
        other => panic!("total_votes is {other}"),
    }
}

#[test]
fn wallet_commands_against_a_localnet() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("net");
    let ports = civitas_node::ports::reserve().expect("a block of free ports");
    let port = ports.base().to_string();
    let _net = Localnet { dir: dir.clone(), _ports: ports };
    ok(&["localnet", "up", "--producers", "1", "--dir", path_str(&dir), "--base-port", &port], "", &[]);
    let status: Value = serde_json::from_str(&ok(&["localnet", "status", "--dir", path_str(&dir), "--json"], "", &[]))
        .expect("status JSON");
    let url = status[0]["http"].as_str().expect("node 0 http").to_string();

    let w = Wallet { url, path: tmp.path().join("wallet.json") };

    // Reads work before anything else.
    let info = w.json(&["get", "info"]);
    assert!(info["head_block_num"].as_u64().expect("head") >= 1);
    assert!(w.run(&["get", "info"], "").starts_with("chain id "));

    // Keys: a new one (JSON), alice's imported from standard input, both listed.
    let created = w.json(&["key", "create", "--label", "producer"]);
    assert_eq!(created["created_wallet"], true);
    let key = created["public_key"].as_str().expect("public_key").to_string();
    assert!(key.starts_with("PUB_K1_"));
    let imported = w.run(&["key", "import"], &format!("{}\n", private_key_of(&dir, "alice")));
    let alice_key = imported.trim().to_string();
    assert_eq!(w.run(&["key", "list"], ""), format!("{key}\n{alice_key}\n"));
    let mode = std::fs::metadata(&w.path).expect("wallet file").permissions();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);

    // A new account, paid for and staked to by alice: it needs NET and CPU stake to send
    // transactions of its own, and RAM for its records, which the wallet buys (8 KiB) in the
    // same transaction (docs/resources.md). A dotted name is its suffix's to create.
    let report = w.run(
        &[
            "system",
            "newaccount",
            "alice",
            "dave.alice",
            &key,
            "--stake-net",
            "1.0000 CIV",
            "--stake-cpu",
            "1.0000 CIV",
        ],
        "",
    );
    assert_included(&report);
    assert!(report.contains("eosio::newaccount alice@active"), "{report}");
    assert!(report.contains("eosio::buyrambytes alice@active"), "{report}");

    // A transfer to it, in JSON.
    let t = w.json(&["transfer", "alice", "dave.alice", "100.0000 CIV", "welcome"]);
    assert!(matches!(t["status"].as_str(), Some("IN_BLOCK" | "IRREVERSIBLE")), "{t}");
    assert!(t["block_num"].as_u64().is_some(), "{t}");
    assert_eq!(t["transaction_id"].as_str().map(str::len), Some(64), "{t}");
    assert_eq!(w.run(&["get", "currency", "balance", "eosio.token", "dave.alice"], ""), "100.0000 CIV\n");
    assert_eq!(
        w.json(&["get", "currency", "balance", "eosio.token", "dave.alice", "CIV"]),
        serde_json::json!(["100.0000 CIV"])
    );

    // Stake, register, vote for itself.
    assert_included(&w.run(&["system", "delegatebw", "dave.alice", "dave.alice", "10.0000 CIV", "10.0000 CIV"], ""));
    assert_included(&w.run(&["system", "regproducer", "dave.alice", &key, "https://dave.example"], ""));
    assert_included(&w.run(&["system", "voteproducer", "prods", "dave.alice", "dave.alice"], ""));

    // The vote shows in `get producers`: 20.0000 CIV of stake (the 1.0000 CIV alice staked to
    // dave votes with alice, not dave) = 200000 units of vote weight.
    let producers = w.json(&["get", "producers"]);
    let rows = producers["rows"].as_array().expect("rows");
    let dave =
        rows.iter().find(|r| r["owner"] == "dave.alice").unwrap_or_else(|| panic!("dave not listed: {producers}"));
    assert_eq!(votes(&dave["total_votes"]), 200_000.0, "{dave}");
    assert_eq!(dave["url"], "https://dave.example");
    assert_eq!(dave["producer_key"], key.as_str());
    let table = w.run(&["get", "producers"], "");
    let line = table.lines().find(|l| l.contains(" dave.alice ")).unwrap_or_else(|| panic!("no dave row:\n{table}"));
    assert!(line.contains("200,000") && line.contains("https://dave.example"), "{line}");
    assert!(table.starts_with("#  producer"), "{table}");

    // dave's account shows the vote and the stake.
    let account = w.json(&["get", "account", "dave.alice"]);
    assert_eq!(account["voter_info"]["producers"], serde_json::json!(["dave.alice"]));
    let shown = w.run(&["get", "account", "dave.alice"], "");
    assert!(shown.lines().any(|l| l.starts_with("votes") && l.ends_with(" dave.alice")), "{shown}");
    assert!(shown.lines().any(|l| l.starts_with("balance") && l.ends_with(" 80.0000 CIV")), "{shown}");
    let (used, quota) =
        (account["ram_usage"].as_i64().expect("ram_usage"), account["ram_quota"].as_i64().expect("quota"));
    assert!(used > 2000 && quota >= 8192 && used < quota, "{account}");
    assert!(
        shown.lines().any(|l| l.starts_with("ram") && l.contains(&format!("{used} of {quota} bytes used"))),
        "{shown}"
    );

    // RAM: buy more for dave.alice, sell some back; bid on a short name.
    assert_included(&w.run(&["system", "buyram", "alice", "dave.alice", "4", "--kbytes"], ""));
    let after = w.json(&["get", "account", "dave.alice"]);
    assert!(after["ram_quota"].as_i64().expect("quota") >= quota + 4096, "{after}");
    assert_included(&w.run(&["system", "sellram", "dave.alice", "4096"], ""));
    assert_included(&w.run(&["system", "bidname", "alice", "dave", "1.0000 CIV"], ""));
    let bids = w.json(&["get", "table", "eosio", "eosio", "namebids"]);
    assert_eq!(bids["rows"][0]["newname"], "dave", "{bids}");
    assert_eq!(bids["rows"][0]["high_bid"], 10000, "{bids}");
    let o = w.fail(&["system", "newaccount", "alice", "dave", &key]);
    assert!(text(&o.stderr).contains("auction for name is not closed yet"), "{}", text(&o.stderr));

    // Errors: the contract's message, and a bad argument naming its field; nothing printed.
    let o = w.fail(&["transfer", "dave.alice", "alice", "1000.0000 CIV"]);
    assert!(text(&o.stderr).contains("overdrawn balance"), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    let o = w.fail(&["transfer", "dave.alice", "alice", "1.0000"]);
    assert!(text(&o.stderr).contains("expected an amount like 1.0000 CIV"), "{}", text(&o.stderr));
}
