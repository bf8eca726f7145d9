//! Issue 10 item 14: client shapes as nodeos returns them — `compression` as a boolean or
//! number, `get_block_header_state`, `get_transaction_status`, dry runs, accounts by
//! authorizers, the producers' vote index, protocol features.

use axum::http::StatusCode;
use civitas_chain::contracts::system::{DelegateBw, RegProducer, UnregProd, VoteProducer};
use civitas_chain::names::{EOSIO_PRODS, SYSTEM_ACCOUNTS};
use civitas_protocol::{sha256, Action, Bytes, Name, Pack, PermissionLevel, PrivateKey};
use serde_json::{json, Value};

use crate::harness::*;

fn keys_of(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Signs `actions` with `signers`, pushes them and waits until they are in a block.
async fn push_included(node: &Node, actions: Vec<Action>, signers: &[&PrivateKey]) -> Value {
    let trx = node.trx(actions, 300);
    let (status, r) = node.post("/v1/chain/push_transaction", node.sign(&trx, signers, false)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r}");
    node.wait_until_included(r["transaction_id"].as_str().unwrap()).await;
    r
}

fn system(name: &str, actor: &str, data: &impl Pack) -> Action {
    Action {
        account: n("eosio"),
        name: n(name),
        authorization: vec![PermissionLevel::new(n(actor), n("active"))],
        data: Bytes(data.packed()),
    }
}

fn unauthorized(mut a: Action) -> Action {
    a.authorization.clear();
    a
}

/// A Python client sends `"compression": false`; nodeos reads the enum through fc's
/// `as_int64`, so booleans, numbers and decimal strings all work, on every push endpoint.
#[tokio::test]
async fn compression_as_boolean_number_or_string_on_every_push_endpoint() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    let alice = key("alice");
    // (compression as sent, zlib body?, endpoint)
    let cases = [
        (json!(false), false, "/v1/chain/push_transaction"),
        (json!(true), true, "/v1/chain/send_transaction"),
        (json!("0"), false, "/v1/chain/push_transaction"),
        (json!(1.0), true, "/v1/chain/push_transaction"),
        (json!(null), false, "/v1/chain/send_transaction"),
    ];
    for (i, (compression, zlib, path)) in cases.into_iter().enumerate() {
        let (trx, _) = node.transfer("alice", "bob", "0.0001 CIV", &format!("c{i}"), &alice);
        let mut body = node.sign(&trx, &[&alice], zlib);
        body["compression"] = compression.clone();
        let (status, r) = node.post(path, body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{compression} on {path}: {r}");
        assert_eq!(r["transaction_id"], json!(trx.id()));
    }
    // send_transaction2 and compute_transaction wrap the packed transaction.
    let (trx, _) = node.transfer("alice", "bob", "0.0001 CIV", "send2", &alice);
    let mut packed = node.sign(&trx, &[&alice], false);
    packed["compression"] = json!(false);
    let (status, r) = node.post("/v1/chain/send_transaction2", json!({"transaction": packed.clone()})).await;
    assert_eq!((status, &r["transaction_id"]), (StatusCode::ACCEPTED, &json!(trx.id())), "{r}");
    let (trx, _) = node.transfer("alice", "bob", "0.0001 CIV", "compute", &alice);
    let mut packed = node.sign(&trx, &[&alice], true);
    packed["compression"] = json!(true);
    let (status, r) = node.post("/v1/chain/compute_transaction", json!({"transaction": packed})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    // push_transactions: one with false, one with true.
    let (t1, _) = node.transfer("alice", "bob", "0.0001 CIV", "batch1", &alice);
    let (t2, _) = node.transfer("alice", "bob", "0.0001 CIV", "batch2", &alice);
    let mut b1 = node.sign(&t1, &[&alice], false);
    b1["compression"] = json!(false);
    let mut b2 = node.sign(&t2, &[&alice], true);
    b2["compression"] = json!(true);
    let (status, r) = node.post("/v1/chain/push_transactions", json!([b1, b2])).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r}");
    for (i, t) in [t1, t2].iter().enumerate() {
        assert_eq!(r[i]["transaction_id"], json!(t.id()));
        assert!(r[i]["processed"]["except"].is_null(), "{r}");
    }
    // Anything that is not 0 or 1 is still unknown compression.
    for bad in [json!(2), json!("gzip"), json!([false])] {
        let (trx, _) = node.transfer("alice", "bob", "0.0001 CIV", "bad", &alice);
        let mut body = node.sign(&trx, &[&alice], false);
        body["compression"] = bad.clone();
        let (status, v) = node.post("/v1/chain/push_transaction", body).await;
        assert_eq!(assert_error(status, &v, "bad compression"), 3_040_014, "{bad}");
    }
}

#[tokio::test]
async fn block_header_state_has_nodeos_fields() {
    let node = Node::start().await;
    node.wait_for_lib(6).await;
    let (head_num, head_id, schedule, lib) = {
        let c = node.core.read().unwrap();
        (c.head().num, c.head().id, c.head().schedule.clone(), c.lib().num)
    };
    let (status, v) = node.post("/v1/chain/get_block_header_state", json!({"block_num_or_id": head_id})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // nodeos's fields in fc's order, then Civitas's own.
    assert_eq!(
        keys_of(&v),
        [
            "block_num",
            "dpos_proposed_irreversible_blocknum",
            "dpos_irreversible_blocknum",
            "active_schedule",
            "blockroot_merkle",
            "producer_to_last_produced",
            "producer_to_last_implied_irb",
            "valid_block_signing_authority",
            "confirm_count",
            "id",
            "header",
            "pending_schedule",
            "activated_protocol_features",
            "additional_signatures",
            "irreversible",
            "bft_irreversible_blocknum",
            "round",
            "slot",
            "justified",
        ]
    );
    assert_eq!(v["block_num"], head_num);
    assert_eq!(v["id"], json!(head_id));
    let dpos_lib = v["dpos_irreversible_blocknum"].as_u64().unwrap();
    assert!(dpos_lib >= u64::from(lib) && dpos_lib < u64::from(head_num), "{v}");
    assert!(v["dpos_proposed_irreversible_blocknum"].as_u64().unwrap() >= dpos_lib, "{v}");
    let bp1_key = key("bp1").public_key().to_string();
    let authority = json!([0, {"threshold": 1, "keys": [{"key": bp1_key, "weight": 1}]}]);
    assert_eq!(v["valid_block_signing_authority"], authority);
    assert_eq!(v["active_schedule"]["producers"][0], json!({"producer_name": "bp1", "authority": authority}));
    assert_eq!(v["producer_to_last_produced"], json!([["bp1", head_num]]));
    let implied = &v["producer_to_last_implied_irb"][0];
    assert_eq!(implied[0], "bp1", "{v}");
    assert!(implied[1].as_u64().unwrap() < u64::from(head_num), "{v}");
    assert_eq!(v["blockroot_merkle"], json!({"_active_nodes": [], "_node_count": 0}));
    assert_eq!(v["confirm_count"], json!([]));
    assert_eq!(v["activated_protocol_features"], json!({"protocol_features": []}));
    assert_eq!(v["additional_signatures"], json!([]));
    // One producer, one slot per round: every block starts a round and carries its schedule.
    assert_eq!(
        v["pending_schedule"],
        json!({"schedule_lib_num": head_num, "schedule_hash": sha256(&schedule.packed()),
               "schedule": {"version": schedule.version, "producers": []}})
    );
    assert_eq!(v["header"]["producer"], "bp1");
    assert!(v["header"]["producer_signature"].as_str().unwrap().starts_with("SIG_K1_"), "{v}");
    // Below the fork database: the short answer (nodeos answers none).
    let (status, old) = node.post("/v1/chain/get_block_header_state", json!({"block_num_or_id": 2})).await;
    assert_eq!(status, StatusCode::OK, "{old}");
    assert_eq!(keys_of(&old), ["block_num", "id", "header", "irreversible"]);
    assert_eq!(old["irreversible"], true);
}

#[tokio::test]
async fn transaction_status_in_nodeos_order_with_earliest_tracked_block() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    let (_, unknown) = node.post("/v1/chain/get_transaction_status", json!({"id": "ab".repeat(32)})).await;
    assert_eq!(unknown["state"], "UNKNOWN");
    let chain_fields = [
        "head_number",
        "head_id",
        "head_timestamp",
        "irreversible_number",
        "irreversible_id",
        "irreversible_timestamp",
        "earliest_tracked_block_id",
        "earliest_tracked_block_number",
    ];
    assert_eq!(keys_of(&unknown)[1..], chain_fields);
    // The chain is younger than the search window: tracking starts at block 1.
    assert_eq!(unknown["earliest_tracked_block_number"], 1);
    let (_, genesis) = node.post("/v1/chain/get_block", json!({"block_num_or_id": 1})).await;
    assert_eq!(unknown["earliest_tracked_block_id"], genesis["id"]);

    let (trx, body) = node.transfer("alice", "bob", "1.0000 CIV", "status", &key("alice"));
    let (status, r) = node.post("/v1/chain/push_transaction", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r}");
    node.wait_until_included(r["transaction_id"].as_str().unwrap()).await;
    let head = node.core.read().unwrap().head().num;
    node.wait_for_lib(head + 1).await;
    let (_, st) = node.post("/v1/chain/get_transaction_status", json!({"id": trx.id()})).await;
    assert_eq!(st["state"], "IRREVERSIBLE", "{st}");
    let mut expected = vec!["state", "block_number", "block_id", "block_timestamp", "expiration"];
    expected.extend(chain_fields);
    assert_eq!(keys_of(&st), expected);
    // An fc::time_point: milliseconds, no zone.
    assert_eq!(st["expiration"], json!(trx.expiration.to_time_point()));
    assert!(st["expiration"].as_str().unwrap().ends_with(".000"), "{st}");
}

#[tokio::test]
async fn compute_transaction_runs_on_the_head_and_keeps_nothing() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    let balance = |who: &'static str| {
        let node = &node;
        async move {
            let (_, b) =
                node.post("/v1/chain/get_currency_balance", json!({"code": "eosio.token", "account": who})).await;
            b
        }
    };
    let before = (balance("alice").await, balance("bob").await);
    let (trx, _) = node.transfer("alice", "bob", "7.0000 CIV", "dry", &key("alice"));
    // Unsigned: nodeos's dry run does not ask the signatures to satisfy the authority.
    let unsigned = node.sign(&trx, &[], false);
    let (status, r) = node.post("/v1/chain/compute_transaction", json!({"transaction": unsigned})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["transaction_id"], json!(trx.id()));
    let p = &r["processed"];
    assert_eq!(p["receipt"]["status"], "executed");
    assert!(p["except"].is_null());
    assert_eq!(p["action_traces"][0]["act"]["data"]["quantity"], "7.0000 CIV", "{r}");
    // A wrong key is no error either.
    let wrong = node.sign(&trx, &[&key("bob")], false);
    let (status, _) = node.post("/v1/chain/compute_transaction", json!({"transaction": wrong})).await;
    assert_eq!(status, StatusCode::OK);
    // Nothing was kept: balances, the pending pool and the set of seen ids.
    assert_eq!((balance("alice").await, balance("bob").await), before);
    assert!(!node.core.read().unwrap().pool().contains(&trx.id()));
    let (status, pushed) = node.post("/v1/chain/push_transaction", node.sign(&trx, &[&key("alice")], false)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "the dry runs left the id unseen: {pushed}");
    // Now it is pending (or in a block): a dry run of it is a duplicate, as its push would be.
    let (status, v) =
        node.post("/v1/chain/compute_transaction", json!({"transaction": node.sign(&trx, &[], false)})).await;
    assert_eq!((assert_error(status, &v, "dup"), status), (3_040_008, StatusCode::CONFLICT));
    // Everything else is checked as for a push.
    let (overdrawn, _) = node.transfer("alice", "bob", "5000.0000 CIV", "", &key("alice"));
    let (status, v) =
        node.post("/v1/chain/compute_transaction", json!({"transaction": node.sign(&overdrawn, &[], false)})).await;
    assert_eq!(assert_error(status, &v, "overdrawn"), 3_050_003);
    let mut nosuch = overdrawn.clone();
    nosuch.actions[0].authorization = vec![PermissionLevel::new(n("alice"), n("nosuch"))];
    let (status, v) =
        node.post("/v1/chain/compute_transaction", json!({"transaction": node.sign(&nosuch, &[], false)})).await;
    assert!(detail(&assert_error_value(status, &v)).contains("nosuch"), "{v}");
    let expired = node.trx(overdrawn.actions.clone(), -60);
    let (status, v) =
        node.post("/v1/chain/compute_transaction", json!({"transaction": node.sign(&expired, &[], false)})).await;
    assert_eq!(assert_error(status, &v, "expired"), 3_040_005);
    let (status, v) = node.post("/v1/chain/compute_transaction", json!({})).await;
    assert_eq!(assert_error(status, &v, "missing"), 3_200_006);
}

/// `assert_error`, returning the body for further checks.
fn assert_error_value(status: StatusCode, v: &Value) -> Value {
    assert_error(status, v, "error");
    v.clone()
}

/// nodeos's read-only transactions declare no authority and may not write; every native Civitas
/// action needs an authority and writes, so each fails as nodeos would fail it.
#[tokio::test]
async fn read_only_transactions_fail_as_nodeos_fails_them() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    let (trx, _) = node.transfer("alice", "bob", "1.0000 CIV", "ro", &key("alice"));
    let (status, v) =
        node.post("/v1/chain/send_read_only_transaction", json!({"transaction": node.sign(&trx, &[], false)})).await;
    assert_eq!((assert_error(status, &v, "with auth"), status), (3_040_000, StatusCode::BAD_REQUEST));
    assert!(detail(&v).ends_with("read-only action 'transfer' cannot have authorizations"), "{v}");
    // Without the authority the contract refuses; expiration and TAPOS are not checked.
    let mut bare = node.trx(trx.actions.iter().cloned().map(unauthorized).collect(), -600);
    bare.ref_block_prefix ^= 1;
    let (status, v) =
        node.post("/v1/chain/send_read_only_transaction", json!({"transaction": node.sign(&bare, &[], false)})).await;
    assert_eq!(assert_error(status, &v, "no auth"), 3_090_004);
    assert_eq!(detail(&v), "missing authority of alice");
    let mut unknown = bare.clone();
    unknown.actions[0].account = n("nobody");
    let (status, v) = node
        .post("/v1/chain/send_read_only_transaction", json!({"transaction": node.sign(&unknown, &[], false)}))
        .await;
    assert_eq!(assert_error(status, &v, "unknown contract"), 3_040_000);
    assert!(detail(&v).contains("'nobody' does not exist"), "{v}");
}

#[tokio::test]
async fn accounts_by_authorizers_from_permission_records() {
    let node = Node::start().await;
    let alice_key = key("alice").public_key().to_string();
    let alice_owner = key("alice-owner").public_key().to_string();
    let post = |body: Value| node.post("/v1/chain/get_accounts_by_authorizers", body);
    let (status, v) = post(json!({"keys": [alice_owner, alice_key]})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // Per requested key in key order; fields in nodeos's order, the unset authorizer left out.
    let row = |perm: &str, k: &str| json!({"account_name": "alice", "permission_name": perm, "authorizing_key": k, "weight": 1, "threshold": 1});
    let mut expected = vec![(key("alice").public_key(), row("active", &alice_key))];
    expected.push((key("alice-owner").public_key(), row("owner", &alice_owner)));
    expected.sort_by_key(|e| e.0);
    assert_eq!(v, json!({"accounts": expected.into_iter().map(|e| e.1).collect::<Vec<_>>()}));
    let first = &v["accounts"][0];
    assert_eq!(keys_of(first), ["account_name", "permission_name", "authorizing_key", "weight", "threshold"]);

    // bp1@active is in eosio.prods@active; a name alone matches any of its permissions.
    let prods = json!({"account_name": EOSIO_PRODS, "permission_name": "active",
                       "authorizing_account": {"actor": "bp1", "permission": "active"}, "weight": 1, "threshold": 1});
    let (_, v) = post(json!({"accounts": [{"actor": "bp1", "permission": "active"}]})).await;
    assert_eq!(v, json!({"accounts": [prods.clone()]}));
    let (_, v) = post(json!({"accounts": ["bp1", {"actor": "bp1"}, {"actor": "bp1", "permission": "active"}]})).await;
    assert_eq!(v, json!({"accounts": [prods.clone(), prods]}), "one row per distinct request, as nodeos");
    let (_, v) = post(json!({"accounts": [{"actor": "bp1", "permission": "owner"}]})).await;
    assert_eq!(v, json!({"accounts": []}));
    // eosio@active holds the other system accounts, owner and active.
    let (_, v) = post(json!({"accounts": ["eosio"]})).await;
    let rows = v["accounts"].as_array().unwrap();
    let held: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r["account_name"].as_str().unwrap().to_string(), r["permission_name"].as_str().unwrap().to_string()))
        .collect();
    let mut want: Vec<(String, String)> = SYSTEM_ACCOUNTS
        .iter()
        .filter(|a| **a != n("eosio") && **a != EOSIO_PRODS)
        .flat_map(|a| [(a.to_string(), "active".to_string()), (a.to_string(), "owner".to_string())])
        .collect();
    want.sort_by_key(|(a, p)| (a.parse::<Name>().unwrap(), p.parse::<Name>().unwrap()));
    assert_eq!(held, want);
    assert!(rows.iter().all(|r| r["authorizing_account"] == json!({"actor": "eosio", "permission": "active"})));
    // Empty requests, bad requests, too many at once.
    assert_eq!(post(json!({})).await.1, json!({"accounts": []}));
    let bad = StatusCode::BAD_REQUEST;
    for (body, code, needle) in [
        (json!({"accounts": [{"permission": "active"}]}), 3_200_006, "Missing Actor"),
        (json!({"accounts": [{"actor": "bp1", "extra": 1}]}), 3_200_006, "Unrecognized fields"),
        (json!({"accounts": "bp1"}), 3_200_006, "accounts"),
        (json!({"keys": ["EOSnope"]}), 3_010_002, "keys[0]"),
        (json!({"keys": vec![alice_key.clone(); 1001]}), 3_200_006, "at most 1000"),
    ] {
        let (status, v) = post(body).await;
        assert_eq!((assert_error(status, &v, needle), status), (code, bad), "{v}");
        assert!(detail(&v).contains(needle), "{v}");
    }
}

/// `producers` by eosio.system's `prototalvote` index: `-total_votes` for active producers and
/// `total_votes` for inactive ones, ascending, ties by owner; `next_key` is the float64 key.
#[tokio::test]
async fn producers_through_the_prototalvote_index() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    let stake = |from: &str, q: &str| {
        system(
            "delegatebw",
            from,
            &DelegateBw {
                from: n(from),
                receiver: n(from),
                stake_net_quantity: asset(q),
                stake_cpu_quantity: asset(q),
                transfer: false,
            },
        )
    };
    let reg = |who: &str| {
        system(
            "regproducer",
            who,
            &RegProducer { producer: n(who), producer_key: key(who).public_key(), url: String::new(), location: 0 },
        )
    };
    let vote = |who: &str, ps: &[&str]| {
        system(
            "voteproducer",
            who,
            &VoteProducer { voter: n(who), proxy: Name::EMPTY, producers: ps.iter().map(|p| n(p)).collect() },
        )
    };
    push_included(
        &node,
        vec![reg("carol"), stake("carol", "10.0000 CIV"), vote("carol", &["carol"])],
        &[&key("carol")],
    )
    .await;
    push_included(&node, vec![reg("bob"), stake("bob", "5.0000 CIV"), vote("bob", &["bob", "carol"])], &[&key("bob")])
        .await;
    push_included(&node, vec![system("unregprod", "bob", &UnregProd { producer: n("bob") })], &[&key("bob")]).await;
    // bp1: alice's 100 CIV; carol: 20 + 30 CIV (bob's 10 at genesis and 10 staked, her own 10
    // and 20); bob: 20 CIV, inactive.
    let rows = |extra: Value| {
        let node = &node;
        async move {
            let mut q = json!({"code": "eosio", "table": "producers", "json": true, "index_position": 2, "key_type": "float64"});
            q.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            let (status, v) = node.post("/v1/chain/get_table_rows", q).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            v
        }
    };
    let owners = |v: &Value| v["rows"].as_array().unwrap().iter().map(|r| r["owner"].clone()).collect::<Vec<_>>();
    let all = rows(json!({})).await;
    assert_eq!(owners(&all), [json!("bp1"), json!("carol"), json!("bob")], "{all}");
    assert_eq!(all["rows"][2]["is_active"], false);
    assert_eq!((&all["more"], &all["next_key"]), (&json!(false), &json!("")));
    let rev = rows(json!({"reverse": true, "index_position": "secondary"})).await;
    assert_eq!(owners(&rev), [json!("bob"), json!("carol"), json!("bp1")]);
    // Paging: next_key is the key of the next row, as nodeos prints a double.
    let page = rows(json!({"limit": 1})).await;
    assert_eq!(owners(&page), [json!("bp1")]);
    assert_eq!(page["more"], true);
    assert_eq!(page["next_key"], "-500000.00000000000000000");
    let next = rows(json!({"lower_bound": page["next_key"]})).await;
    assert_eq!(owners(&next), [json!("carol"), json!("bob")]);
    // Active producers only (negative keys), and an exact key.
    assert_eq!(owners(&rows(json!({"upper_bound": "-0.5"})).await), [json!("bp1"), json!("carol")]);
    assert_eq!(owners(&rows(json!({"lower_bound": "200000", "upper_bound": "200000"})).await), [json!("bob")]);
    assert_eq!(rows(json!({"lower_bound": "1", "upper_bound": "-1"})).await["rows"], json!([]));
    // Hex rows are the same rows.
    let hex = rows(json!({"json": false, "limit": 1})).await;
    assert!(hex["rows"][0].as_str().unwrap().starts_with(&hex::encode(n("bp1").value().to_le_bytes())), "{hex}");
}

#[tokio::test]
async fn activated_protocol_features_leave_out_more() {
    let node = Node::start().await;
    let (status, v) = node.post("/v1/chain/get_activated_protocol_features", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v, json!({"activated_protocol_features": []}));
}

/// On a node that does not produce (so nothing else changes the core), a dry run of each kind
/// leaves the state, its commitment, the pending pool and the head exactly as they were.
#[tokio::test]
async fn dry_runs_leave_the_core_as_they_found_it() {
    let node = Node::with(Options { produce: false, ..Options::default() }).await;
    let snapshot = || {
        let c = node.core.read().unwrap();
        (c.chain().kv().full_hash(), c.chain().state_root(), c.pool().len(), c.head().id)
    };
    let before = snapshot();
    let (trx, body) = node.transfer("alice", "bob", "3.0000 CIV", "dry", &key("alice"));
    let (status, r) = node.post("/v1/chain/compute_transaction", json!({"transaction": body.clone()})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let bare = node.trx(trx.actions.iter().cloned().map(unauthorized).collect(), 300);
    let (status, _) =
        node.post("/v1/chain/send_read_only_transaction", json!({"transaction": node.sign(&bare, &[], false)})).await;
    assert!(status.is_client_error() || status.is_server_error());
    assert_eq!(snapshot(), before);
    // And the real push of the same transaction is still new.
    let (status, r) = node.post("/v1/chain/push_transaction", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r}");
    assert_ne!(snapshot().2, before.2);
}
