//! Command-line parsing, key commands against temporary wallets, and transactions against a
//! stand-in node.

use std::path::{Path, PathBuf};

use civitas_keystore::{KdfParams, Keystore};
use civitas_protocol::{PackedTransaction, PrivateKey, VerifiedTransaction};
use clap::{CommandFactory, Parser};
use serde_json::{json, Value};

use crate::fake_node::{antelope_error, FakeNode};
use crate::system::{actions, SystemCommand};
use crate::{run_with, Ctx, WalletCommand, WalletError};

#[derive(Debug, Parser)]
#[command(name = "civitas")]
struct TestCli {
    #[command(subcommand)]
    command: WalletCommand,
}

fn parse(args: &[&str]) -> Result<WalletCommand, clap::Error> {
    TestCli::try_parse_from(std::iter::once("civitas").chain(args.iter().copied())).map(|c| c.command)
}

fn parse_err(args: &[&str]) -> String {
    parse(args).unwrap_err().to_string()
}

/// Runs a command with `stdin`, returning (result, stdout, stderr).
fn run(args: &[&str], stdin: &str) -> (Result<(), WalletError>, String, String) {
    let command = parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut input = stdin.as_bytes();
    let mut ctx = Ctx {
        out: &mut out,
        err: &mut err,
        input: &mut input,
        interactive: false,
        password_env: None,
        default_wallet: None,
    };
    let result = run_with(command, &mut ctx);
    (result, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn command_tree_is_consistent() {
    TestCli::command().debug_assert();
}

#[test]
fn transfer_arguments() {
    let WalletCommand::Transfer(t) = parse(&["transfer", "alice", "bob", "1.0000 CIV", "hi", "--json"]).unwrap() else {
        panic!("not a transfer")
    };
    assert_eq!((t.from.to_string(), t.to.to_string()), ("alice".into(), "bob".into()));
    assert_eq!(t.quantity.to_string(), "1.0000 CIV");
    assert_eq!(t.memo, "hi");
    assert_eq!(t.contract.to_string(), "eosio.token");
    assert!(t.tx.node.json);
    assert_eq!(t.tx.expire_secs, 60);
    let WalletCommand::Transfer(t) =
        parse(&["transfer", "a", "b", "2 XYZ", "--contract", "tok", "-p", "a@owner"]).unwrap()
    else {
        panic!("not a transfer")
    };
    assert_eq!(t.memo, "");
    assert_eq!(t.contract.to_string(), "tok");
    assert_eq!(t.permission[0].to_string(), "a@owner");
}

#[test]
fn bad_arguments_name_the_field() {
    let e = parse_err(&["transfer", "alice", "bob", "1.0000"]);
    assert!(e.contains("<QUANTITY>") && e.contains("expected an amount like 1.0000 CIV"), "{e}");
    let e = parse_err(&["transfer", "Alice", "bob", "1.0000 CIV"]);
    assert!(e.contains("<FROM>") && e.contains("expected an account name"), "{e}");
    let e = parse_err(&["system", "regproducer", "bp", "PUB_K1_nope"]);
    assert!(e.contains("<PRODUCER_KEY>") && e.contains("expected a public key"), "{e}");
    let e = parse_err(&["system", "setpayrate", "bp", "101%"]);
    assert!(e.contains("<KEEP_RATE>") && e.contains("out of range"), "{e}");
    let e = parse_err(&["push", "action", "eosio", "refund", "{}"]);
    assert!(e.contains("--permission"), "{e}");
    let e = parse_err(&["get", "block", "tip"]);
    assert!(e.contains("<NUM_OR_ID>"), "{e}");
    let e = parse_err(&["transfer", "a", "b", "1.0000 CIV", "--expire-secs", "0"]);
    assert!(e.contains("--expire-secs"), "{e}");
}

#[test]
fn every_command_parses_with_every_global_option() {
    // An argument id shared with a global option only fails when the command is parsed.
    let k = PrivateKey::from_seed("k").public_key().to_string();
    let node = ["--json", "--url", "http://x:1"];
    let wallet = ["--wallet", "/w", "--password-file", "/p"];
    let tx = ["--expire-secs", "30", "--no-wait", "--dont-broadcast"];
    let reads: Vec<Vec<&str>> = vec![
        vec!["get", "info"],
        vec!["get", "account", "alice"],
        vec!["get", "producers", "--limit", "5", "--lower", "bp"],
        vec!["get", "schedule"],
        vec!["get", "block", "5"],
        vec![
            "get",
            "table",
            "eosio",
            "eosio",
            "producers",
            "--upper",
            "z",
            "--lower",
            "a",
            "--limit",
            "3",
            "--reverse",
        ],
        vec!["get", "currency", "balance", "eosio.token", "alice", "4,CIV"],
        vec!["get", "currency", "stats", "eosio.token", "CIV"],
    ];
    for r in reads {
        parse(&[&r[..], &node[..]].concat()).unwrap_or_else(|e| panic!("{r:?}: {e}"));
    }
    for r in
        [vec!["key", "create", "--label", "l"], vec!["key", "import", "--key", "k"], vec!["key", "list", "--labels"]]
    {
        parse(&[&r[..], &["--json"], &wallet[..]].concat()).unwrap_or_else(|e| panic!("{r:?}: {e}"));
    }
    let systems: Vec<Vec<&str>> = vec![
        vec!["newaccount", "a", "b", &k, &k, "--stake-net", "1.0000 CIV", "--stake-cpu", "1.0000 CIV", "--transfer"],
        vec!["delegatebw", "a", "b", "1.0000 CIV", "1.0000 CIV", "--transfer"],
        vec!["undelegatebw", "a", "b", "1.0000 CIV", "1.0000 CIV"],
        vec!["refund", "a"],
        vec!["buyram", "a", "b", "1.0000 CIV"],
        vec!["buyram", "a", "b", "8", "--kbytes"],
        vec!["sellram", "a", "100"],
        vec!["bidname", "a", "b", "1.0000 CIV"],
        vec!["regproducer", "a", &k, "https://a", "1"],
        vec!["unregprod", "a"],
        vec!["voteproducer", "prods", "a", "b", "c"],
        vec!["voteproducer", "proxy", "a", "b"],
        vec!["regproxy", "a"],
        vec!["unregproxy", "a"],
        vec!["claimrewards", "a"],
        vec!["setpayrate", "a", "5000"],
        vec![
            "setprodmeta",
            "a",
            "--country",
            "DE",
            "--jurisdiction",
            "j",
            "--network",
            "AS1",
            "--hardware",
            "h",
            "--software",
            "s",
        ],
    ];
    for r in systems {
        let args = [&["system"][..], &r[..], &node[..], &wallet[..], &tx[..], &["-p", "a@owner"]].concat();
        let WalletCommand::System(sys) = parse(&args).unwrap_or_else(|e| panic!("{r:?}: {e}")) else { panic!() };
        assert!(sys.tx.node.json && sys.tx.no_wait && sys.tx.dont_broadcast && sys.tx.expire_secs == 30);
        let specs = actions(sys.command, &sys.permission).unwrap();
        assert!(specs.iter().all(|a| a.authorization[0].to_string() == "a@owner"), "{r:?}");
    }
    for r in [
        vec!["transfer", "a", "b", "1.0000 CIV", "memo", "--contract", "tok", "-p", "a"],
        vec!["push", "action", "eosio", "refund", "{\"owner\":\"a\"}", "-p", "a", "-p", "b@owner"],
    ] {
        parse(&[&r[..], &node[..], &wallet[..], &tx[..]].concat()).unwrap_or_else(|e| panic!("{r:?}: {e}"));
    }
}

#[test]
fn global_options_go_anywhere() {
    for args in
        [&["get", "--json", "--url", "http://h:1", "info"][..], &["get", "info", "--json", "--url", "http://h:1"][..]]
    {
        let WalletCommand::Get(g) = parse(args).unwrap() else { panic!("not get") };
        assert!(g.node.json);
        assert_eq!(g.node.url, "http://h:1");
    }
    let WalletCommand::System(s) =
        parse(&["system", "refund", "bob", "-p", "bob@owner", "--wallet", "/w", "--no-wait"]).unwrap()
    else {
        panic!("not system")
    };
    assert_eq!(s.permission[0].to_string(), "bob@owner");
    assert_eq!(s.tx.wallet.wallet.as_deref(), Some(Path::new("/w")));
    assert!(s.tx.no_wait);
}

fn system(args: &[&str]) -> Vec<(String, String, Value)> {
    let WalletCommand::System(s) = parse(&[&["system"], args].concat()).unwrap() else { panic!("not system") };
    actions(s.command, &s.permission)
        .unwrap()
        .into_iter()
        .map(|a| (format!("{}::{}", a.account, a.name), a.authorization[0].to_string(), a.data))
        .collect()
}

#[test]
fn system_actions_match_the_abi_fields() {
    let k = PrivateKey::from_seed("k").public_key().to_string();
    let acts = system(&["newaccount", "alice", "newbie", &k, "--stake-net", "1.0000 CIV"]);
    assert_eq!(acts.len(), 3);
    assert_eq!(acts[0].0, "eosio::newaccount");
    assert_eq!(acts[0].1, "alice@active");
    assert_eq!(acts[0].2["owner"]["keys"][0]["key"], k.as_str());
    assert_eq!(acts[0].2["active"], acts[0].2["owner"]);
    // RAM for the new account's records: cleos's default of 8 KiB.
    assert_eq!(acts[1].0, "eosio::buyrambytes");
    assert_eq!(acts[1].2, json!({"payer": "alice", "receiver": "newbie", "bytes": 8192}));
    assert_eq!(
        acts[2].2,
        json!({"from": "alice", "receiver": "newbie", "stake_net_quantity": "1.0000 CIV",
               "stake_cpu_quantity": "0.0000 CIV", "transfer": false})
    );
    let acts = system(&["newaccount", "alice", "newbie", &k, "--buy-ram", "2.5000 CIV"]);
    assert_eq!((acts.len(), acts[1].0.as_str()), (2, "eosio::buyram"));
    assert_eq!(acts[1].2, json!({"payer": "alice", "receiver": "newbie", "quant": "2.5000 CIV"}));
    let acts = system(&["newaccount", "alice", "newbie", &k, "--buy-ram-kbytes", "3"]);
    assert_eq!(acts[1].2["bytes"], 3072);
    let acts = system(&["buyram", "alice", "bob", "1.0000 CIV"]);
    assert_eq!(acts[0].2, json!({"payer": "alice", "receiver": "bob", "quant": "1.0000 CIV"}));
    let acts = system(&["buyram", "alice", "bob", "16", "--kbytes"]);
    assert_eq!((acts[0].0.as_str(), &acts[0].2["bytes"]), ("eosio::buyrambytes", &json!(16384)));
    let acts = system(&["buyram", "alice", "bob", "100", "-b"]);
    assert_eq!(acts[0].2["bytes"], 100);
    let acts = system(&["sellram", "bob", "1024"]);
    assert_eq!(acts[0].2, json!({"account": "bob", "bytes": 1024}));
    let acts = system(&["bidname", "bob", "short", "10.0000 CIV"]);
    assert_eq!(acts[0].2, json!({"bidder": "bob", "newname": "short", "bid": "10.0000 CIV"}));
    let acts = system(&["voteproducer", "prods", "carol", "zed", "bp1", "bp1", "abc"]);
    assert_eq!(acts[0].2, json!({"voter": "carol", "proxy": "", "producers": ["abc", "bp1", "zed"]}));
    let acts = system(&["voteproducer", "proxy", "carol", "prox"]);
    assert_eq!(acts[0].2, json!({"voter": "carol", "proxy": "prox", "producers": []}));
    let acts = system(&["setpayrate", "bp1", "40%"]);
    assert_eq!(acts[0].2, json!({"producer": "bp1", "keep_rate": 4000}));
    let acts = system(&["unregproxy", "prox", "-p", "prox@owner"]);
    assert_eq!((acts[0].0.as_str(), acts[0].1.as_str()), ("eosio::regproxy", "prox@owner"));
    assert_eq!(acts[0].2, json!({"proxy": "prox", "isproxy": false}));
    let acts = system(&["regproducer", "bpa", &k, "https://bpa.example", "276", "--url", "http://n:1"]);
    assert_eq!(acts[0].2, json!({"producer": "bpa", "producer_key": k, "url": "https://bpa.example", "location": 276}));
    let acts = system(&["regproducer", "bpa", &k]);
    assert_eq!(acts[0].2, json!({"producer": "bpa", "producer_key": k, "url": "", "location": 0}));
}

#[test]
fn system_argument_rules() {
    let k = PrivateKey::from_seed("k").public_key().to_string();
    let WalletCommand::System(s) = parse(&["system", "newaccount", "a", "b", &k, "--transfer"]).unwrap() else {
        panic!()
    };
    let e = actions(s.command, &[]).err().unwrap().to_string();
    assert_eq!(e, "--transfer: needs --stake-net or --stake-cpu");
    let WalletCommand::System(s) = parse(&["system", "buyram", "a", "b", "1.5", "--kbytes"]).unwrap() else { panic!() };
    assert!(matches!(actions(s.command, &[]), Err(WalletError::Arg { field, .. }) if field == "AMOUNT"));
    let WalletCommand::System(s) = parse(&["system", "buyram", "a", "b", "12"]).unwrap() else { panic!() };
    assert!(matches!(actions(s.command, &[]), Err(WalletError::Arg { field, .. }) if field == "AMOUNT"));
    assert!(parse(&["system", "newaccount", "a", "b", &k, "--buy-ram-kbytes", "8", "--buy-ram", "1.0000 CIV"]).is_err());
    let many: Vec<String> =
        (0..31u8).map(|i| format!("p{}{}", (b'a' + i / 26) as char, (b'a' + i % 26) as char)).collect();
    let mut args = vec!["system", "voteproducer", "prods", "v"];
    args.extend(many.iter().map(String::as_str));
    let WalletCommand::System(s) = parse(&args).unwrap() else { panic!() };
    assert!(matches!(actions(s.command, &[]), Err(WalletError::Arg { field, .. }) if field == "PRODUCERS"));
    let long_url = SystemCommand::Regproducer {
        producer: "bp".parse().unwrap(),
        producer_key: k.parse().unwrap(),
        website: "x".repeat(512),
        location: 0,
    };
    assert!(matches!(actions(long_url, &[]), Err(WalletError::Arg { field, .. }) if field == "URL"));
}

struct Wallet {
    _dir: tempfile::TempDir,
    path: PathBuf,
    password_file: PathBuf,
}

impl Wallet {
    fn new() -> Wallet {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.json");
        let password_file = dir.path().join("pw");
        std::fs::write(&password_file, "hunter2\n").unwrap();
        Wallet { _dir: dir, path, password_file }
    }

    /// A wallet file made with light KDF parameters (the CLI always uses the defaults).
    fn with_key(key: &PrivateKey) -> Wallet {
        let w = Wallet::new();
        Keystore::create(&w.path, "hunter2", KdfParams::INSECURE_FAST).unwrap().import(key.clone(), None).unwrap();
        w
    }

    fn args<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut v = args.to_vec();
        v.extend(["--wallet", self.path.to_str().unwrap(), "--password-file", self.password_file.to_str().unwrap()]);
        v
    }
}

#[test]
fn key_create_import_list() {
    let w = Wallet::new();
    let (r, out, err) = run(&w.args(&["key", "create", "--label", "main"]), "");
    r.unwrap();
    assert!(err.contains("created wallet"), "{err}");
    let created = out.trim().to_string();
    assert!(created.starts_with("PUB_K1_"), "{out}");

    let dev = PrivateKey::from_seed("dev");
    let (r, out, err) = run(&w.args(&["key", "import", "--json"]), &format!("{}\n", dev.to_wif()));
    r.unwrap();
    assert!(err.is_empty(), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["public_key"], dev.public_key().to_string());
    assert_eq!(v["status"], "imported");
    assert_eq!(v["created_wallet"], false);

    // Again, with --key: deduplicated, and warned about.
    let (r, out, err) = run(&w.args(&["key", "import", "--key", &dev.to_string()]), "");
    r.unwrap();
    assert!(err.contains("warning: a key given with --key is visible"), "{err}");
    assert!(err.contains("already present"), "{err}");
    assert_eq!(out.trim(), dev.public_key().to_string());

    let (r, out, _) = run(&["key", "list", "--wallet", w.path.to_str().unwrap()], "");
    r.unwrap();
    assert_eq!(out, format!("{created}\n{}\n", dev.public_key()));
    let (r, out, _) = run(&w.args(&["key", "list", "--labels", "--json"]), "");
    r.unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["keys"][0]["label"], "main");
    assert_eq!(v["keys"][1]["label"], Value::Null);
    assert_eq!(v["keys"][1]["legacy_public_key"], dev.public_key().to_legacy_string());
}

#[test]
fn key_errors_are_clear() {
    let w = Wallet::new();
    let (r, _, _) = run(&["key", "list", "--wallet", w.path.to_str().unwrap()], "");
    assert!(r.unwrap_err().to_string().contains("no wallet at"));
    // No password source and no terminal.
    let (r, _, _) = run(&["key", "create", "--wallet", w.path.to_str().unwrap()], "");
    let e = r.unwrap_err().to_string();
    assert!(e.contains("--password-file") && e.contains("CIVITAS_WALLET_PASSWORD"), "{e}");
    // A bad key on stdin is named and not echoed.
    let (r, _, _) = run(&w.args(&["key", "import"]), "5Knotakey\n");
    let e = r.unwrap_err().to_string();
    assert!(e.starts_with("PRIVATE_KEY: expected a private key") && !e.contains("5Knot"), "{e}");
    let (r, _, _) = run(&w.args(&["key", "import"]), "\n\n");
    assert!(r.unwrap_err().to_string().contains("nothing on standard input"));
    // Wrong password.
    let w2 = Wallet::with_key(&PrivateKey::from_seed("x"));
    std::fs::write(&w2.password_file, "wrong").unwrap();
    let (r, _, _) = run(&w2.args(&["key", "list", "--labels"]), "");
    assert!(r.unwrap_err().to_string().contains("wrong password"));
}

const CHAIN_ID: &str = "cf057bbfb72640471fd910bcb67639c22df9f92470936cddc1ade0e2f2e7dc4f";
const LIB_ID: &str = "0000000a1b2c3d4e5f60718293a4b5c6d7e8f901122334455667788990aabbcc";

fn token_node(signer: PrivateKey) -> FakeNode {
    let abi: Value = serde_json::from_str(include_str!("../../chain/abi/eosio.token.abi.json")).unwrap();
    FakeNode::start(Box::new(move |path, body| match path {
        "/v1/chain/get_info" => (
            200,
            json!({"chain_id": CHAIN_ID, "head_block_num": 12, "last_irreversible_block_num": 10,
                   "last_irreversible_block_id": LIB_ID, "head_block_time": "2027-01-15T08:00:02.500"}),
        ),
        "/v1/chain/get_abi" if body["account_name"] == "eosio.token" => {
            (200, json!({"account_name": "eosio.token", "abi": abi}))
        }
        "/v1/chain/get_abi" => antelope_error(400, 3060002, "account_query_exception", "account nobody not found"),
        "/v1/chain/get_required_keys" => {
            let wanted = signer.public_key().to_string();
            if body["available_keys"].as_array().unwrap().iter().any(|k| k == wanted.as_str()) {
                (200, json!({"required_keys": [wanted]}))
            } else {
                antelope_error(401, 3090003, "unsatisfied_authorization", "transaction declares authority alice@active")
            }
        }
        "/v1/chain/push_transaction" => {
            let packed: PackedTransaction = serde_json::from_value(body.clone()).unwrap();
            let v = VerifiedTransaction::verify(&CHAIN_ID.parse().unwrap(), packed, 1 << 20).unwrap();
            if v.signers != vec![signer.public_key()] {
                return antelope_error(401, 3090003, "unsatisfied_authorization", "bad signer");
            }
            (
                202,
                json!({"transaction_id": v.id.to_string(), "processed": {"block_num": 13, "except": null,
                          "action_traces": []}}),
            )
        }
        "/v1/chain/get_transaction_status" => {
            (200, json!({"state": "IN_BLOCK", "block_number": 13, "block_id": "0000000d00"}))
        }
        _ => antelope_error(404, 0, "exception", "Unknown Endpoint"),
    }))
}

#[test]
fn transfer_is_encoded_signed_pushed_and_reported() {
    let alice = PrivateKey::from_seed("alice");
    let node = token_node(alice.clone());
    let w = Wallet::with_key(&alice);
    let (r, out, _) = run(&w.args(&["transfer", "alice", "bob", "1.5000 CIV", "rent", "--url", &node.url]), "");
    r.unwrap();
    let body = node.last_body("/v1/chain/push_transaction").unwrap();
    assert_eq!(body["compression"], 0);
    assert_eq!(body["packed_context_free_data"], "");
    let packed: PackedTransaction = serde_json::from_value(body).unwrap();
    let v = VerifiedTransaction::verify(&CHAIN_ID.parse().unwrap(), packed, 1 << 20).unwrap();
    // TAPOS from the LIB, expiration = head time (rounded down) + 60 s.
    assert_eq!(v.trx.ref_block_num, 10);
    assert_eq!(v.trx.expiration.to_string(), "2027-01-15T08:01:02");
    assert_eq!(v.trx.actions[0].authorization[0].to_string(), "alice@active");
    assert_eq!(
        hex::encode(&v.trx.actions[0].data.0),
        // alice, bob, 15000 units of 4,CIV, "rent"
        "0000000000855c340000000000000e3d983a0000000000000443495600000000047265 6e74".replace(' ', "")
    );
    assert_eq!(
        out,
        format!(
            "transaction {}\nin block 13\n  eosio.token::transfer alice@active {}\n",
            v.id,
            hex::encode(&v.trx.actions[0].data.0)
        )
    );
    assert_eq!(
        node.paths(),
        ["get_info", "get_abi", "get_required_keys", "push_transaction", "get_transaction_status"]
            .map(|p| format!("/v1/chain/{p}"))
    );
}

#[test]
fn transaction_json_output_and_dont_broadcast() {
    let alice = PrivateKey::from_seed("alice");
    let node = token_node(alice.clone());
    let w = Wallet::with_key(&alice);
    let (r, out, _) = run(&w.args(&["transfer", "alice", "bob", "1.0000 CIV", "--json", "--url", &node.url]), "");
    r.unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "IN_BLOCK");
    assert_eq!(v["block_num"], 13);
    assert_eq!(v["transaction_id"].as_str().unwrap().len(), 64);

    let (r, out, _) =
        run(&w.args(&["transfer", "alice", "bob", "1.0000 CIV", "--dont-broadcast", "--url", &node.url]), "");
    r.unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["transaction"]["actions"][0]["name"], "transfer");
    assert_eq!(v["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(node.paths().iter().filter(|p| p.ends_with("push_transaction")).count(), 1);
}

#[test]
fn transaction_errors_name_the_problem() {
    let alice = PrivateKey::from_seed("alice");
    let node = token_node(alice.clone());
    // The wallet holds another key: the node's 3090003 becomes a message about the authority.
    let w = Wallet::with_key(&PrivateKey::from_seed("mallory"));
    let (r, _, _) = run(&w.args(&["transfer", "alice", "bob", "1.0000 CIV", "--url", &node.url]), "");
    let e = r.unwrap_err().to_string();
    assert!(e.starts_with("the wallet holds no key that can sign for alice@active"), "{e}");
    let w = Wallet::with_key(&alice);
    let (r, _, _) = run(
        &w.args(&[
            "push",
            "action",
            "eosio.token",
            "transfer",
            "{\"from\":\"alice\"}",
            "-p",
            "alice",
            "--url",
            &node.url,
        ]),
        "",
    );
    let e = r.unwrap_err().to_string();
    assert!(e.starts_with("JSON: ") && e.contains("to"), "{e}");
    let (r, _, _) =
        run(&w.args(&["push", "action", "eosio.token", "nosuch", "{}", "-p", "alice", "--url", &node.url]), "");
    let e = r.unwrap_err().to_string();
    assert!(e.starts_with("ACTION: contract eosio.token has no action nosuch (it has: "), "{e}");
    let (r, _, _) = run(&w.args(&["push", "action", "nobody", "x", "{}", "-p", "alice", "--url", &node.url]), "");
    let e = r.unwrap_err().to_string();
    assert_eq!(e, "get_abi: account nobody not found (account_query_exception, HTTP 400)");
    let (r, _, _) =
        run(&w.args(&["push", "action", "eosio.token", "x", "{nope", "-p", "alice", "--url", &node.url]), "");
    assert!(r.unwrap_err().to_string().starts_with("JSON: not JSON"));
    let (r, _, _) = run(&w.args(&["transfer", "alice", "bob", "1.0000 CIV", "--url", "http://127.0.0.1:1"]), "");
    assert!(r.unwrap_err().to_string().starts_with("cannot reach the node at http://127.0.0.1:1/v1/chain/get_info"));
}

#[test]
fn reads_pass_json_through() {
    let node = FakeNode::start(Box::new(|path, body| match path {
        "/v1/chain/get_currency_balance" => (200, json!(["12.3400 CIV"])),
        "/v1/chain/get_table_rows" => (
            200,
            json!({"rows": [{"owner": "bob", "n": 1}], "more": false, "next_key": "",
                                                   "echo": body}),
        ),
        _ => antelope_error(
            400,
            3060002,
            "account_query_exception",
            "unknown key (eosio::chain::name): account x not found",
        ),
    }));
    let (r, out, _) = run(&["get", "currency", "balance", "eosio.token", "bob", "--url", &node.url], "");
    r.unwrap();
    assert_eq!(out, "12.3400 CIV\n");
    let (r, out, _) =
        run(&["get", "currency", "balance", "eosio.token", "bob", "CIV", "--json", "--url", &node.url], "");
    r.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!(["12.3400 CIV"]));
    assert_eq!(node.last_body("/v1/chain/get_currency_balance").unwrap()["symbol"], "CIV");
    let (r, out, _) = run(
        &[
            "get",
            "table",
            "eosio",
            "eosio",
            "voters",
            "--lower",
            "bob",
            "--limit",
            "5",
            "--reverse",
            "--url",
            &node.url,
        ],
        "",
    );
    r.unwrap();
    assert_eq!(out, "owner  n\nbob    1\n");
    let sent = node.last_body("/v1/chain/get_table_rows").unwrap();
    assert_eq!(
        sent,
        json!({"json": true, "code": "eosio", "scope": "eosio", "table": "voters", "lower_bound": "bob",
                            "upper_bound": "", "limit": 5, "reverse": true})
    );
    let (r, _, _) = run(&["get", "account", "x", "--url", &node.url], "");
    let e = r.unwrap_err().to_string();
    assert_eq!(
        e,
        "get_account: unknown key (eosio::chain::name): account x not found (account_query_exception, HTTP 400)"
    );
}
