//! Every bad input gets a well-formed Antelope error that names the problem.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use civitas_protocol::{Action, Bytes, Checksum256, PermissionLevel, SignedBlock};
use civitas_rpc::{BlockSource, RpcConfig};
use serde_json::json;

use crate::harness::*;

async fn expect(node: &Node, path: &str, body: serde_json::Value, status: StatusCode, code: u64, needle: &str) {
    let (s, v) = node.post(path, body.clone()).await;
    let got = assert_error(s, &v, path);
    assert_eq!((s, got), (status, code), "{path} {body}: {v}");
    assert!(detail(&v).contains(needle), "{path}: detail {:?} should mention {needle:?}", detail(&v));
}

#[tokio::test]
async fn malformed_requests() {
    let node = Node::start().await;
    let bad = StatusCode::BAD_REQUEST;
    // Not JSON at all, truncated JSON, JSON that is not an object.
    for body in [&b"{\"account_name\":"[..], b"not json", b"\xff\xfe", b"{}}"] {
        let (s, v) = node.call_raw("POST", "/v1/chain/get_account", body.to_vec(), Some("text/plain")).await;
        assert_eq!(assert_error(s, &v, "bad json"), 4, "{v}");
        assert!(detail(&v).contains("not valid JSON"), "{v}");
    }
    expect(&node, "/v1/chain/get_account", json!([1, 2]), bad, 3_200_006, "JSON object").await;
    // Wrong types and missing fields name the field.
    expect(&node, "/v1/chain/get_account", json!({"account_name": 5}), bad, 3_200_006, "account_name").await;
    expect(&node, "/v1/chain/get_account", json!({}), bad, 3_200_006, "missing field \"account_name\"").await;
    expect(&node, "/v1/chain/get_account", json!({"account_name": "Not.Valid"}), bad, 3_200_006, "account_name").await;
    expect(&node, "/v1/chain/get_block", json!({"block_num_or_id": true}), bad, 3_200_006, "block_num_or_id").await;
    expect(&node, "/v1/chain/get_block", json!({"block_num_or_id": "12ab"}), bad, 3_200_006, "block_num_or_id").await;
    expect(&node, "/v1/chain/get_block_info", json!({"block_num": -4}), bad, 3_200_006, "block_num").await;
    let rows = json!({"code": "eosio", "table": "producers", "limit": "ten"});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_200_006, "limit").await;
    let rows = json!({"code": "eosio", "table": "producers", "reverse": "maybe"});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_200_006, "reverse").await;
    let bal = json!({"code": "eosio.token", "account": "alice", "symbol": "civ"});
    expect(&node, "/v1/chain/get_currency_balance", bal, bad, 3_200_006, "symbol").await;
    expect(&node, "/v1/chain/get_currency_stats", json!({"code": "eosio.token"}), bad, 3_200_006, "symbol").await;
    expect(&node, "/v1/chain/push_transactions", json!({"a": 1}), bad, 3_200_006, "array").await;
    expect(&node, "/v1/chain/send_transaction2", json!({}), bad, 3_200_006, "transaction").await;
    expect(&node, "/v1/chain/get_required_keys", json!({"available_keys": []}), bad, 3_200_006, "transaction").await;
    let rk = json!({"transaction": {}, "available_keys": ["EOSnotakey"]});
    expect(&node, "/v1/chain/get_required_keys", rk, bad, 3_010_002, "available_keys[0]").await;
    let rk = json!({"transaction": {"expiration": "soon"}, "available_keys": []});
    expect(&node, "/v1/chain/get_required_keys", rk, bad, 3_010_006, "transaction.expiration").await;
    // Unknown endpoints answer 404 in the same shape.
    let (s, v) = node.post("/v1/chain/get_nothing", json!({})).await;
    assert_eq!((assert_error(s, &v, "404"), s), (0, StatusCode::NOT_FOUND));
    let (s, v) = node.get("/nowhere").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn unknown_accounts_contracts_tables_and_blocks() {
    let node = Node::start().await;
    node.wait_for_head(2).await;
    let bad = StatusCode::BAD_REQUEST;
    // The shape both clients report as "account not found".
    let (s, v) = node.post("/v1/chain/get_account", json!({"account_name": "nobody"})).await;
    assert_eq!(assert_error(s, &v, "get_account"), 3_060_002);
    assert_eq!(v["error"]["what"], "unspecified");
    assert_eq!(v["error"]["details"][0]["file"], "http_plugin.cpp");
    assert!(detail(&v).starts_with("unknown key") && detail(&v).contains("nobody"), "{v}");
    for path in ["/v1/chain/get_abi", "/v1/chain/get_raw_abi", "/v1/chain/get_raw_code_and_abi", "/v1/chain/get_code"] {
        expect(&node, path, json!({"account_name": "nobody"}), bad, 3_060_002, "nobody").await;
    }
    let rows = json!({"code": "nobody", "table": "accounts", "json": true});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_060_002, "nobody").await;
    let rows = json!({"code": "alice", "table": "accounts", "json": true});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_060_003, "alice has no ABI").await;
    let rows = json!({"code": "eosio", "table": "nosuch", "json": true});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_060_003, "Table nosuch").await;
    // producers' one secondary index is keyed by float64; other indexes and tables have none.
    let rows = json!({"code": "eosio", "table": "producers", "index_position": 2});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_060_003, "keyed by float64").await;
    let rows = json!({"code": "eosio", "table": "producers", "index_position": "tertiary", "key_type": "i64"});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_060_003, "no such secondary index").await;
    let rows = json!({"code": "eosio", "table": "voters", "index_position": "secondary", "key_type": "float64"});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_060_003, "no such secondary index").await;
    let rows = json!({"code": "eosio", "table": "producers", "index_position": "eleventh"});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_060_003, "Invalid index_position").await;
    let rows =
        json!({"code": "eosio", "table": "producers", "index_position": 2, "key_type": "float64", "lower_bound": "x"});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_060_003, "lower_bound").await;
    let rows = json!({"code": "eosio", "table": "producers", "lower_bound": "abc", "key_type": "sha256"});
    expect(&node, "/v1/chain/get_table_rows", rows, bad, 3_060_003, "sha256").await;
    let bal = json!({"code": "nobody", "account": "alice"});
    expect(&node, "/v1/chain/get_currency_balance", bal, bad, 3_060_002, "nobody").await;
    let args = json!({"code": "eosio.token", "action": "nosuchact", "args": {}});
    expect(&node, "/v1/chain/abi_json_to_bin", args, bad, 3_015_000, "nosuchact").await;
    let args = json!({"code": "eosio.token", "action": "transfer", "args": {"from": "alice"}});
    expect(&node, "/v1/chain/abi_json_to_bin", args, bad, 3_015_000, "transfer.to").await;
    // Blocks beyond the head or never seen.
    for path in ["/v1/chain/get_block", "/v1/chain/get_block_header_state"] {
        expect(&node, path, json!({"block_num_or_id": 99_999_999}), bad, 3_100_002, "99999999").await;
        let id = "00000005".to_string() + &"ab".repeat(28);
        expect(&node, path, json!({"block_num_or_id": id}), bad, 3_100_002, "000000").await;
    }
    expect(&node, "/v1/chain/get_block_info", json!({"block_num": 99_999_999}), bad, 3_100_002, "99999999").await;
    // Unknown transactions.
    let (s, v) = node.get(&format!("/v1/civitas/transaction/{}", "ab".repeat(32))).await;
    assert_eq!(assert_error(s, &v, "tx lookup"), 3_040_011);
    let (s, v) = node.get("/v1/civitas/transaction/xyz").await;
    assert_eq!(assert_error(s, &v, "tx lookup"), 3_200_006);
    let (_, st) = node.post("/v1/chain/get_transaction_status", json!({"id": "ab".repeat(32)})).await;
    assert_eq!(st["state"], "UNKNOWN");
}

#[tokio::test]
async fn rejected_transactions() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    let push = "/v1/chain/push_transaction";

    // Overdrawn: the contract's assertion message.
    let (_, body) = node.transfer("alice", "bob", "5000.0000 CIV", "", &key("alice"));
    let (s, v) = node.post(push, body).await;
    assert_eq!((assert_error(s, &v, "overdrawn"), s), (3_050_003, StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(detail(&v), "assertion failure with message: overdrawn balance");
    assert_eq!(v["error"]["name"], "eosio_assert_message_exception");

    // Signed by the wrong key: unsatisfied authorization (401).
    let (_, body) = node.transfer("alice", "bob", "1.0000 CIV", "", &key("bob"));
    let (s, v) = node.post(push, body).await;
    assert_eq!((assert_error(s, &v, "wrong key"), s), (3_090_003, StatusCode::UNAUTHORIZED));
    assert!(detail(&v).contains("alice@active"), "{v}");

    // Missing authority: bob authorizes a transfer of alice's tokens.
    let (trx, _) = node.transfer("alice", "bob", "1.0000 CIV", "", &key("bob"));
    let mut action = trx.actions[0].clone();
    action.authorization = vec![PermissionLevel::new(n("bob"), n("active"))];
    let t = node.trx(vec![action], 300);
    let (s, v) = node.post(push, node.sign(&t, &[&key("bob")], false)).await;
    assert_eq!(assert_error(s, &v, "missing auth"), 3_090_004);
    assert!(detail(&v).contains("missing authority of alice"), "{v}");

    // A corrupted signature.
    let (_, mut body) = node.transfer("alice", "bob", "1.0000 CIV", "", &key("alice"));
    let sig: civitas_protocol::Signature = body["signatures"][0].as_str().unwrap().parse().unwrap();
    let mut bytes = sig.0;
    bytes[0] = 99;
    body["signatures"][0] = json!(civitas_protocol::Signature(bytes).to_string());
    let (s, v) = node.post(push, body).await;
    assert_eq!(assert_error(s, &v, "bad signature"), 3_010_010);
    assert!(detail(&v).contains("signature 0"), "{v}");
    // A signature string that does not parse.
    let (_, mut body) = node.transfer("alice", "bob", "1.0000 CIV", "", &key("alice"));
    body["signatures"][0] = json!("SIG_K1_garbage");
    let (s, v) = node.post(push, body).await;
    assert_eq!(assert_error(s, &v, "unparsable signature"), 3_010_010);
    assert!(detail(&v).contains("signatures[0]"), "{v}");

    // Expired (against block time) and too far in the future.
    let (trx, _) = node.transfer("alice", "bob", "1.0000 CIV", "late", &key("alice"));
    let mut t = node.trx(trx.actions.clone(), -10);
    let (s, v) = node.post(push, node.sign(&t, &[&key("alice")], false)).await;
    assert_eq!((assert_error(s, &v, "expired"), s), (3_040_005, StatusCode::BAD_REQUEST));
    t = node.trx(trx.actions.clone(), 7200);
    let (s, v) = node.post(push, node.sign(&t, &[&key("alice")], false)).await;
    assert_eq!(assert_error(s, &v, "too far"), 3_040_006);
    // Bad TAPOS.
    t = node.trx(trx.actions.clone(), 60);
    t.ref_block_prefix ^= 1;
    let (s, v) = node.post(push, node.sign(&t, &[&key("alice")], false)).await;
    assert_eq!(assert_error(s, &v, "tapos"), 3_040_007);

    // Duplicate: the same signed transaction twice (409).
    let (once, body) = node.transfer("alice", "bob", "1.0000 CIV", "once", &key("alice"));
    let (s, v) = node.post(push, body.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let (s, v) = node.post(push, body.clone()).await;
    assert_eq!((assert_error(s, &v, "duplicate"), s), (3_040_008, StatusCode::CONFLICT));
    node.wait_until_included(&once.id().to_string()).await;
    let (s, v) = node.post(push, body).await;
    assert_eq!(assert_error(s, &v, "duplicate in block"), 3_040_008);

    // Unknown action and unknown contract.
    let t = node.trx(
        vec![Action {
            account: n("eosio.token"),
            name: n("nosuchact"),
            authorization: vec![PermissionLevel::new(n("alice"), n("active"))],
            data: Bytes(vec![]),
        }],
        60,
    );
    let (s, v) = node.post(push, node.sign(&t, &[&key("alice")], false)).await;
    assert_eq!(assert_error(s, &v, "unknown action"), 3_050_005);
    assert!(detail(&v).contains("nosuchact"), "{v}");
    let t = node.trx(
        vec![Action {
            account: n("carol"),
            name: n("hello"),
            authorization: vec![PermissionLevel::new(n("alice"), n("active"))],
            data: Bytes(vec![]),
        }],
        60,
    );
    let (s, v) = node.post(push, node.sign(&t, &[&key("alice")], false)).await;
    assert_eq!(assert_error(s, &v, "no contract"), 3_050_005);
    assert!(detail(&v).contains("carol"), "{v}");

    // Compression and packing problems.
    let (_, mut body) = node.transfer("alice", "bob", "1.0000 CIV", "", &key("alice"));
    body["compression"] = json!(2);
    let (s, v) = node.post(push, body.clone()).await;
    assert_eq!(assert_error(s, &v, "compression"), 3_040_014);
    body["compression"] = json!("zlib");
    let (s, v) = node.post(push, body.clone()).await;
    assert_eq!(assert_error(s, &v, "not zlib"), 3_040_001);
    body["compression"] = json!("none");
    body["packed_trx"] = json!("00ff");
    let (s, v) = node.post(push, body.clone()).await;
    assert_eq!(assert_error(s, &v, "garbage trx"), 3_010_010);
    body["packed_trx"] = json!("0g");
    let (s, v) = node.post(push, body).await;
    assert_eq!(assert_error(s, &v, "bad hex"), 3_010_010);
    assert!(detail(&v).contains("packed_trx"), "{v}");
    // A zlib bomb is cut off at the transaction size limit.
    let bomb = civitas_protocol::transaction::deflate(&vec![0u8; 4 << 20]);
    let body =
        json!({"signatures": [], "compression": 1, "packed_context_free_data": "", "packed_trx": hex::encode(bomb)});
    let (s, v) = node.post(push, body).await;
    assert_eq!(assert_error(s, &v, "bomb"), 3_040_013);

    // get_required_keys for an authority the keys cannot satisfy.
    let (trx, _) = node.transfer("alice", "bob", "1.0000 CIV", "", &key("alice"));
    let rk = json!({"transaction": trx, "available_keys": [key("bob").public_key()]});
    let (s, v) = node.post("/v1/chain/get_required_keys", rk).await;
    assert_eq!((assert_error(s, &v, "required keys"), s), (3_090_003, StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn oversized_bodies_and_batches() {
    let config = RpcConfig { max_body_bytes: 1024, max_push_transactions: 2, ..RpcConfig::default() };
    let node = Node::with(Options { config, ..Options::default() }).await;
    let big = format!("{{\"account_name\": \"alice\", \"pad\": \"{}\"}}", "x".repeat(4096));
    // Streamed (no Content-Length) and declared.
    let (s, v) = node.call_raw("POST", "/v1/chain/get_account", big.clone().into_bytes(), None).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(detail(&v).contains("1024"), "{v}");
    let req = Request::builder()
        .method("POST")
        .uri("/v1/chain/get_account")
        .header("content-length", big.len())
        .body(Body::from(big))
        .unwrap();
    let (s, _, bytes) = node.request(req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_error(s, &v, "declared");
    let (s, v) = node.post("/v1/chain/push_transactions", json!([{}, {}, {}])).await;
    assert_eq!(assert_error(s, &v, "batch"), 3_040_012);
}

/// A block store that panics: the handler's panic becomes a 500 error JSON.
struct PanicBlocks;
impl BlockSource for PanicBlocks {
    fn by_num(&self, _: u32) -> Option<Arc<SignedBlock>> {
        panic!("disk on fire")
    }
    fn by_id(&self, _: &Checksum256) -> Option<Arc<SignedBlock>> {
        panic!("disk on fire")
    }
}

/// A block store that takes its time.
struct SlowBlocks;
impl BlockSource for SlowBlocks {
    fn by_num(&self, _: u32) -> Option<Arc<SignedBlock>> {
        std::thread::sleep(Duration::from_secs(2));
        None
    }
    fn by_id(&self, _: &Checksum256) -> Option<Arc<SignedBlock>> {
        None
    }
}

#[tokio::test]
async fn panics_and_timeouts_are_answered() {
    let node = Node::with(Options { blocks: Some(Arc::new(PanicBlocks)), ..Options::default() }).await;
    let id = "00000001".to_string() + &"cd".repeat(28);
    let (s, v) = node.post("/v1/chain/get_block", json!({"block_num_or_id": id})).await;
    assert_eq!((assert_error(s, &v, "panic"), s), (0, StatusCode::INTERNAL_SERVER_ERROR));
    assert!(detail(&v).contains("disk on fire"), "{v}");
    // The node keeps serving.
    let (s, _) = node.get("/v1/chain/get_info").await;
    assert_eq!(s, StatusCode::OK);

    let config = RpcConfig { request_timeout: Duration::from_millis(200), ..RpcConfig::default() };
    let node = Node::with(Options { config, blocks: Some(Arc::new(SlowBlocks)), ..Options::default() }).await;
    node.wait_for_lib(3).await;
    let (s, v) = node.get(&format!("/v1/civitas/transaction/{}", "ab".repeat(32))).await;
    assert_eq!((assert_error(s, &v, "timeout"), s), (2, StatusCode::SERVICE_UNAVAILABLE));
}
