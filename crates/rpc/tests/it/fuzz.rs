//! Random JSON and random bytes at every endpoint: the answer is always a JSON body, and a
//! non-2xx answer is always a well-formed Antelope error — never a panic, a hang or an empty
//! body.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};

use crate::harness::*;

const ENDPOINTS: [&str; 34] = [
    "/v1/chain/get_info",
    "/v1/chain/get_block",
    "/v1/chain/get_block_info",
    "/v1/chain/get_block_header_state",
    "/v1/chain/get_account",
    "/v1/chain/get_abi",
    "/v1/chain/get_raw_abi",
    "/v1/chain/get_raw_code_and_abi",
    "/v1/chain/get_code",
    "/v1/chain/abi_json_to_bin",
    "/v1/chain/abi_bin_to_json",
    "/v1/chain/get_required_keys",
    "/v1/chain/get_currency_balance",
    "/v1/chain/get_currency_stats",
    "/v1/chain/get_table_rows",
    "/v1/chain/get_table_by_scope",
    "/v1/chain/get_producers",
    "/v1/chain/get_producer_schedule",
    "/v1/chain/get_activated_protocol_features",
    "/v1/chain/push_transaction",
    "/v1/chain/send_transaction",
    "/v1/chain/send_transaction2",
    "/v1/chain/push_transactions",
    "/v1/chain/get_transaction_status",
    "/v1/chain/get_transaction_id",
    "/v1/civitas/schedule",
    "/v1/civitas/finality",
    "/v1/civitas/producers",
    "/v1/civitas/diversity",
    "/v1/civitas/blocks",
    "/v1/civitas/blocks?limit=3",
    "/v1/civitas/transaction/00",
    "/v1/civitas/transaction/0000000000000000000000000000000000000000000000000000000000000000",
    "/v1/chain/nope",
];

const FIELDS: [&str; 30] = [
    "account_name",
    "code",
    "scope",
    "table",
    "json",
    "lower_bound",
    "upper_bound",
    "limit",
    "index_position",
    "key_type",
    "reverse",
    "show_payer",
    "block_num_or_id",
    "block_num",
    "symbol",
    "account",
    "transaction",
    "available_keys",
    "signatures",
    "compression",
    "packed_trx",
    "packed_context_free_data",
    "id",
    "abi_hash",
    "action",
    "args",
    "binargs",
    "return_failure_trace",
    "actions",
    "data",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (0u64..20).prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "[a-z1-5.]{0,13}".prop_map(Value::String),
        ".{0,20}".prop_map(Value::String),
        prop::sample::select(vec![
            "alice",
            "eosio",
            "eosio.token",
            "accounts",
            "producers",
            "stat",
            "voters",
            "CIV",
            "4,CIV",
            "",
            "1",
            "primary",
            "secondary",
            "name",
            "i64",
            "sha256",
            "zlib",
            "none",
            "789c63000000010001",
            "00",
            "transfer",
            "3773036822876127232",
            "18446744073709551615",
            "99999999999999999999",
            "0000000100000000000000000000000000000000000000000000000000000000",
            "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63",
            "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63",
            "SIG_K1_JzF6vCctgnDMKf2knAt2cHqvoZHchQaXcyyasBnmh1MgZtF5aGh8Bq1wNMbEtvUFThHnZNKc3MGUFNcEHmUL9ycUi3vHyR",
            "2024-01-01T00:00:30.000",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 48, 6, |inner| {
        let key = prop_oneof![prop::sample::select(FIELDS.to_vec()).prop_map(str::to_string), "[a-z_]{1,8}"];
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            btree_map(key, inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

async fn check(node: &Node, method: &str, path: &str, body: Vec<u8>) {
    let (status, v) = node.call_raw(method, path, body, Some("text/plain;charset=UTF-8")).await;
    if !status.is_success() {
        assert_error(status, &v, path);
    }
}

#[test]
fn random_bodies_get_json_answers() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let node = rt.block_on(async {
        let node = Node::start().await;
        node.wait_for_lib(3).await;
        node
    });
    let mut runner = TestRunner::new(Config { cases: 40, failure_persistence: None, ..Config::default() });
    runner
        .run(&(arb_json(), vec(any::<u8>(), 0..48)), |(value, bytes)| {
            rt.block_on(async {
                let text = serde_json::to_vec(&value).unwrap();
                for path in ENDPOINTS {
                    check(&node, "POST", path, text.clone()).await;
                    check(&node, "POST", path, bytes.clone()).await;
                }
                check(&node, "GET", "/v1/chain/get_table_rows", text.clone()).await;
                check(&node, "PUT", "/v1/chain/get_account", text).await;
            });
            Ok(())
        })
        .unwrap();
    drop(node);
}

/// Structured fuzzing of the endpoints that take the most fields: random values for exactly
/// the fields they read.
#[test]
fn random_fields_of_table_and_push_requests() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let node = rt.block_on(Node::start());
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    let fields = btree_map(prop::sample::select(FIELDS.to_vec()), leaf(), 0..10);
    runner
        .run(&fields, |m| {
            let body = Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
            rt.block_on(async {
                let text = serde_json::to_vec(&body).unwrap();
                for path in [
                    "/v1/chain/get_table_rows",
                    "/v1/chain/get_table_by_scope",
                    "/v1/chain/get_producers",
                    "/v1/chain/push_transaction",
                    "/v1/chain/get_required_keys",
                    "/v1/chain/get_currency_balance",
                    "/v1/chain/get_block",
                ] {
                    check(&node, "POST", path, text.clone()).await;
                }
                let batch = serde_json::to_vec(&json!([body, body])).unwrap();
                check(&node, "POST", "/v1/chain/push_transactions", batch).await;
            });
            Ok(())
        })
        .unwrap();
    drop(node);
}
