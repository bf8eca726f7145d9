//! The client flows of client-surface.md §3, request by request.

use axum::http::StatusCode;
use civitas_abi::{Abi, AbiDef};
use civitas_protocol::transaction::tapos_of;
use civitas_protocol::{Action, Bytes, Checksum256, PermissionLevel, PublicKey};
use serde_json::{json, Value};

use crate::harness::*;

fn is_hex64(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_time(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.ends_with('Z') && s.parse::<civitas_protocol::TimePoint>().is_ok())
}

/// Every field Wharfkit's `GetInfoResponse` requires, typed; eosjs's LIB fields too.
#[tokio::test]
async fn get_info_has_every_required_field() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    // Wharfkit: GET, no body.
    let (status, info) = node.get("/v1/chain/get_info").await;
    assert_eq!(status, StatusCode::OK);
    assert!(info["server_version"].as_str().is_some_and(|s| s.len() == 8), "{info}");
    assert_eq!(info["chain_id"], json!(node.chain_id));
    for f in ["head_block_num", "last_irreversible_block_num", "fork_db_head_block_num", "earliest_available_block_num"]
    {
        assert!(info[f].is_u64(), "{f}: {info}");
    }
    for f in ["virtual_block_cpu_limit", "virtual_block_net_limit", "block_cpu_limit", "block_net_limit"] {
        assert!(info[f].as_u64().is_some_and(|x| x > 0), "{f}: {info}");
    }
    for f in ["head_block_id", "last_irreversible_block_id", "fork_db_head_block_id"] {
        assert!(is_hex64(&info[f]), "{f}: {info}");
    }
    for f in ["head_block_time", "last_irreversible_block_time"] {
        assert!(is_time(&info[f]), "{f}: {info}");
    }
    assert_eq!(info["head_block_producer"], "bp1");
    assert!(info["server_version_string"].is_string());
    // The id's first four bytes are the block number.
    let id: Checksum256 = info["head_block_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(u64::from(civitas_protocol::block::num_from_id(&id)), info["head_block_num"].as_u64().unwrap());
    // eosjs: POST `{}` as text/plain, and an empty POST, and a POST with an unknown field.
    for body in [&b"{}"[..], b"", b"{\"whatever\": [1, 2]}"] {
        let (status, v) =
            node.call_raw("POST", "/v1/chain/get_info", body.to_vec(), Some("text/plain;charset=UTF-8")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["chain_id"], info["chain_id"]);
    }
}

/// eosjs `api.transact({blocksBehind: 3, expireSeconds: 30})` and Wharfkit's compressed push,
/// then the reads that show the result.
#[tokio::test]
async fn eosjs_and_wharfkit_transfer_flow() {
    let node = Node::start().await;
    node.wait_for_lib(6).await;

    // 1. get_info.
    let (_, info) = node.post("/v1/chain/get_info", json!({})).await;
    let head = info["head_block_num"].as_u64().unwrap();
    let lib = info["last_irreversible_block_num"].as_u64().unwrap();

    // 2. TAPOS block: get_block_header_state for head-3, get_block_info for the LIB.
    let (status, bhs) = node.post("/v1/chain/get_block_header_state", json!({"block_num_or_id": head - 3})).await;
    assert_eq!(status, StatusCode::OK, "{bhs}");
    assert_eq!(bhs["block_num"].as_u64(), Some(head - 3));
    assert!(is_hex64(&bhs["id"]) && is_time(&bhs["header"]["timestamp"]), "{bhs}");
    let (status, bi) = node.post("/v1/chain/get_block_info", json!({"block_num": lib})).await;
    assert_eq!(status, StatusCode::OK, "{bi}");
    for f in ["block_num", "ref_block_num", "ref_block_prefix", "schedule_version", "confirmed"] {
        assert!(bi[f].is_u64(), "{f}: {bi}");
    }
    for f in ["id", "previous", "transaction_mroot", "action_mroot"] {
        assert!(is_hex64(&bi[f]), "{f}: {bi}");
    }
    assert!(is_time(&bi["timestamp"]) && bi["producer"].is_string(), "{bi}");
    assert!(bi["producer_signature"].as_str().unwrap().parse::<civitas_protocol::Signature>().is_ok(), "{bi}");
    let id: Checksum256 = bi["id"].as_str().unwrap().parse().unwrap();
    assert_eq!((bi["ref_block_num"].as_u64().unwrap(), bi["ref_block_prefix"].as_u64().unwrap()), {
        let (n, p) = tapos_of(&id);
        (u64::from(n), u64::from(p))
    });
    // The string form of the number works too (Wharfkit).
    let (status, _) = node.post("/v1/chain/get_block_info", json!({"block_num": lib.to_string()})).await;
    assert_eq!(status, StatusCode::OK);

    // 3. get_raw_abi: padded standard base64 that decodes to an eosio::abi/1.x ABI.
    let (status, raw) = node.post("/v1/chain/get_raw_abi", json!({"account_name": "eosio.token"})).await;
    assert_eq!(status, StatusCode::OK, "{raw}");
    let b64 = raw["abi"].as_str().unwrap();
    assert_eq!(b64.len() % 4, 0, "padded");
    assert!(!b64.contains('-') && !b64.contains('_'));
    let def = AbiDef::from_base64(b64).unwrap();
    assert!(def.version.starts_with("eosio::abi/1."));
    assert!(is_hex64(&raw["code_hash"]));
    assert_eq!(raw["abi_hash"], json!(civitas_protocol::sha256(&def.to_bytes())));
    let abi = Abi::new(def).unwrap();

    // 4. Build the transfer the way eosjs does: data serialized by the ABI, TAPOS from the
    // header state of head-3.
    let data = abi
        .json_to_binary("transfer", &json!({"from": "alice", "to": "bob", "quantity": "1.0000 CIV", "memo": "hi"}))
        .unwrap();
    let action = Action {
        account: n("eosio.token"),
        name: n("transfer"),
        authorization: vec![PermissionLevel::new(n("alice"), n("active"))],
        data: Bytes(data.clone()),
    };
    let mut trx = node.trx(vec![action], 300);
    let ref_id: Checksum256 = bhs["id"].as_str().unwrap().parse().unwrap();
    (trx.ref_block_num, trx.ref_block_prefix) = tapos_of(&ref_id);

    // 5. get_required_keys with eosjs's body: upper-case hex, no header defaults, PUB_K1 keys.
    let alice = key("alice").public_key();
    let decoy = key("bob").public_key();
    let body = json!({
        "transaction": {
            "expiration": trx.expiration, "ref_block_num": trx.ref_block_num, "ref_block_prefix": trx.ref_block_prefix,
            "actions": [{"account": "eosio.token", "name": "transfer",
                         "authorization": [{"actor": "alice", "permission": "active"}],
                         "data": hex::encode_upper(&data)}],
            "transaction_extensions": [], "context_free_actions": []
        },
        "available_keys": [decoy.to_string(), alice.to_legacy_string(), alice.to_string()],
    });
    let (status, rk) = node.post("/v1/chain/get_required_keys", body).await;
    assert_eq!(status, StatusCode::OK, "{rk}");
    // Exactly one key, spelled as the client spelled it first.
    assert_eq!(rk["required_keys"], json!([alice.to_legacy_string()]));

    // 6. push_transaction, eosjs's uncompressed form → 202 with processed.except null.
    let push = node.sign(&trx, &[&key("alice")], false);
    let (status, r) = node.post("/v1/chain/push_transaction", push).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r}");
    assert_eq!(r["transaction_id"], json!(trx.id()));
    let p = &r["processed"];
    assert!(p["except"].is_null() && p["error_code"].is_null(), "{r}");
    assert_eq!(p["id"], r["transaction_id"]);
    assert_eq!(p["receipt"]["status"], "executed");
    assert!(p["block_num"].is_u64() && is_time(&p["block_time"]) && p["producer_block_id"].is_null(), "{r}");
    let at = &p["action_traces"][0];
    assert_eq!(at["act"]["data"], json!({"from": "alice", "to": "bob", "quantity": "1.0000 CIV", "memo": "hi"}));
    assert_eq!(at["act"]["hex_data"], json!(hex::encode(&data)));
    assert_eq!(at["receiver"], "eosio.token");
    assert!(at["except"].is_null() && at["trx_id"] == r["transaction_id"], "{at}");

    // 7. Wharfkit: compressed push (zlib packed_trx, cfd "789c63000000010001"), TAPOS on the LIB.
    let (_, info) = node.get("/v1/chain/get_info").await;
    let action = Action {
        account: n("eosio.token"),
        name: n("transfer"),
        authorization: vec![PermissionLevel::new(n("alice"), n("active"))],
        data: Bytes(
            abi.json_to_binary(
                "transfer",
                &json!({"from": "alice", "to": "carol", "quantity": "2.5000 CIV", "memo": ""}),
            )
            .unwrap(),
        ),
    };
    let mut trx2 = node.trx(vec![action], 120);
    let lib_id: Checksum256 = info["last_irreversible_block_id"].as_str().unwrap().parse().unwrap();
    (trx2.ref_block_num, trx2.ref_block_prefix) = tapos_of(&lib_id);
    let push = node.sign(&trx2, &[&key("alice")], true);
    assert!(push["packed_trx"].as_str().unwrap().starts_with("789c"));
    assert_eq!(push["packed_context_free_data"], "789c63000000010001");
    let (status, r2) = node.post("/v1/chain/send_transaction", push).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r2}");
    assert_eq!(r2["transaction_id"], json!(trx2.id()));
    assert!(r2["processed"]["except"].is_null());

    // 8. Reads once both are in blocks.
    node.wait_until_included(r["transaction_id"].as_str().unwrap()).await;
    node.wait_until_included(r2["transaction_id"].as_str().unwrap()).await;
    let (status, bal) = node
        .post("/v1/chain/get_currency_balance", json!({"code": "eosio.token", "account": "alice", "symbol": "CIV"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bal, json!(["996.5000 CIV"]));
    let (_, bal) = node
        .post("/v1/chain/get_currency_balance", json!({"code": "eosio.token", "account": "bob", "symbol": null}))
        .await;
    assert_eq!(bal, json!(["1001.0000 CIV"]));
    let (_, bal) =
        node.post("/v1/chain/get_currency_balance", json!({"account": "carol", "code": "eosio.token"})).await;
    assert_eq!(bal, json!(["1002.5000 CIV"]));
    let (_, bal) = node
        .post("/v1/chain/get_currency_balance", json!({"code": "eosio.token", "account": "carol", "symbol": "XYZ"}))
        .await;
    assert_eq!(bal, json!([]));

    // eosjs's get_table_rows with every field.
    let (status, rows) = node
        .post(
            "/v1/chain/get_table_rows",
            json!({"json": true, "code": "eosio.token", "scope": "alice", "table": "accounts", "lower_bound": "",
                   "upper_bound": "", "index_position": 1, "key_type": "", "limit": 10, "reverse": false, "show_payer": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert_eq!(rows, json!({"rows": [{"balance": "996.5000 CIV"}], "more": false, "next_key": ""}));

    // The transaction is found in its block, decoded.
    let (status, block) = node.post("/v1/chain/get_block", json!({"block_num_or_id": p["block_num"]})).await;
    assert_eq!(status, StatusCode::OK, "{block}");
    let (_, found) = node.get(&format!("/v1/civitas/transaction/{}", r["transaction_id"].as_str().unwrap())).await;
    assert!(found["status"] == "reversible" || found["status"] == "irreversible", "{found}");
    let num = found["block_num"].as_u64().unwrap();
    let (_, block) = node.post("/v1/chain/get_block", json!({"block_num_or_id": num})).await;
    let t = block["transactions"].as_array().unwrap().iter().find(|t| t["trx"]["id"] == r["transaction_id"]).unwrap();
    assert_eq!(t["status"], "executed");
    assert_eq!(t["trx"]["transaction"]["actions"][0]["data"]["memo"], "hi");
    assert_eq!(block["block_num"].as_u64(), Some(num));
    let (status, by_id) = node.post("/v1/chain/get_block", json!({"block_num_or_id": block["id"]})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_id["id"], block["id"]);
    let (_, st) = node.post("/v1/chain/get_transaction_status", json!({"id": r["transaction_id"]})).await;
    assert!(st["state"] == "IN_BLOCK" || st["state"] == "IRREVERSIBLE", "{st}");
}

/// Wharfkit's `get_table_rows` (scope defaults, name bounds, `next_key` as decimal u64) and the
/// governance tables decoded by the `eosio` ABI.
#[tokio::test]
async fn table_rows_paging_and_governance_tables() {
    let node = Node::start().await;
    node.wait_for_head(2).await;
    let (status, v) = node
        .post("/v1/chain/get_table_rows", json!({"code": "eosio", "table": "producers", "limit": 2, "scope": "eosio", "key_type": "name", "json": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["rows"][0]["owner"], "bp1");
    assert!(v["rows"][0]["total_votes"].is_string(), "{v}");
    assert_eq!(v["more"], false);
    // Scope defaults to code, json to false (hex rows), show_payer wraps rows.
    let (_, v) = node.post("/v1/chain/get_table_rows", json!({"code": "eosio", "table": "voters"})).await;
    assert!(v["rows"][0].is_string(), "{v}");
    let (_, v) = node
        .post("/v1/chain/get_table_rows", json!({"code": "eosio", "table": "voters", "json": true, "show_payer": true}))
        .await;
    assert_eq!(v["rows"][0]["payer"], "eosio");
    assert_eq!(v["rows"][0]["data"]["owner"], "alice");
    assert_eq!(v["rows"][0]["data"]["producers"], json!(["bp1"]));
    // Paging by one over the prodstats table, by name and by the decimal next_key.
    let (_, all) = node
        .post("/v1/chain/get_table_rows", json!({"code": "eosio.token", "table": "stat", "scope": "CIV", "json": true}))
        .await;
    assert_eq!(all["rows"][0]["issuer"], "eosio", "{all}");
    let scope_num = n("alice").value().to_string();
    let (_, a) = node
        .post(
            "/v1/chain/get_table_rows",
            json!({"code": "eosio.token", "table": "accounts", "scope": scope_num, "json": true}),
        )
        .await;
    assert_eq!(a["rows"][0]["balance"], "1000.0000 CIV", "{a}");
    // Name-keyed paging: voters has one row; delband holds alice's self stake under scope alice.
    let (_, d) = node
        .post(
            "/v1/chain/get_table_rows",
            json!({"code": "eosio", "table": "delband", "scope": "alice", "json": true, "limit": "1"}),
        )
        .await;
    assert_eq!(d["rows"][0]["to"], "alice", "{d}");
    // next_key is the decimal u64 of the next name, and it works as the next lower bound.
    let (_, p1) = node
        .post("/v1/chain/get_table_rows", json!({"code": "eosio", "table": "prodstats", "json": true, "limit": 0}))
        .await;
    assert_eq!(p1["more"], true, "{p1}");
    assert_eq!(p1["next_key"], json!(n("bp1").value().to_string()));
    let (_, p2) = node
        .post(
            "/v1/chain/get_table_rows",
            json!({"code": "eosio", "table": "prodstats", "json": true, "lower_bound": p1["next_key"], "key_type": "name", "limit": 1}),
        )
        .await;
    assert_eq!(p2["rows"][0]["owner"], "bp1", "{p2}");
    let (_, p3) = node
        .post(
            "/v1/chain/get_table_rows",
            json!({"code": "eosio", "table": "prodstats", "json": true, "lower_bound": "bp1", "upper_bound": "bp1", "index_position": "primary", "reverse": true}),
        )
        .await;
    assert_eq!(p3["rows"].as_array().unwrap().len(), 1, "{p3}");
    let (_, none) = node
        .post(
            "/v1/chain/get_table_rows",
            json!({"code": "eosio", "table": "prodstats", "lower_bound": "zzz", "json": true}),
        )
        .await;
    assert_eq!(none, json!({"rows": [], "more": false, "next_key": ""}));
}

/// `get_account` carries every field Wharfkit's `AccountObject` requires; voter info and the
/// stake come from the governance tables.
#[tokio::test]
async fn get_account_shape() {
    let node = Node::start().await;
    node.wait_for_head(2).await;
    let (status, a) = node.post("/v1/chain/get_account", json!({"account_name": "alice"})).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["account_name"], "alice");
    assert!(a["head_block_num"].is_u64() && is_time(&a["head_block_time"]) && a["privileged"].is_boolean(), "{a}");
    assert!(is_time(&a["last_code_update"]) && is_time(&a["created"]), "{a}");
    for f in ["ram_quota", "net_weight", "cpu_weight"] {
        assert!(a[f].is_i64(), "{f}: {a}");
    }
    assert_eq!(a["net_weight"], 500_000);
    assert_eq!(a["cpu_weight"], 500_000);
    // alice's share of the staked weight (100 of 130 CIV) of the virtual limits over 24 h.
    let (_, info) = node.get("/v1/chain/get_info").await;
    let total_cpu: u128 = info["total_cpu_weight"].as_str().unwrap().parse().unwrap();
    let virtual_cpu = info["virtual_block_cpu_limit"].as_u64().unwrap() as u128;
    assert_eq!(total_cpu, 65_0000);
    let expected = virtual_cpu * 172_800 * 50_0000 / total_cpu;
    for f in ["net_limit", "cpu_limit"] {
        for g in ["used", "available", "max", "current_used"] {
            assert!(a[f][g].as_i64().is_some_and(|v| v >= 0), "{f}.{g}: {a}");
        }
        assert!(is_time(&a[f]["last_usage_update_time"]), "{a}");
        let (used, available, max) = (a[f]["used"].as_i64(), a[f]["available"].as_i64(), a[f]["max"].as_i64());
        assert_eq!(available.unwrap(), max.unwrap() - used.unwrap(), "{f}: {a}");
    }
    // The virtual limit grows 0.1% per idle block between the two reads.
    let max = a["cpu_limit"]["max"].as_u64().unwrap() as u128;
    assert!(max <= expected && max * 1_010 >= expected * 1_000, "{max} vs {expected}");
    assert!(a["ram_usage"].is_u64(), "{a}");
    assert_eq!(a["core_liquid_balance"], "1000.0000 CIV");
    let perms = a["permissions"].as_array().unwrap();
    let active = perms.iter().find(|p| p["perm_name"] == "active").unwrap();
    assert_eq!(active["parent"], "owner");
    let owner = perms.iter().find(|p| p["perm_name"] == "owner").unwrap();
    assert_eq!(owner["parent"], "");
    let k = &active["required_auth"];
    assert_eq!(k["threshold"], 1);
    assert_eq!(k["keys"][0]["key"].as_str().unwrap().parse::<PublicKey>().unwrap(), key("alice").public_key());
    assert_eq!(k["keys"][0]["weight"], 1);
    assert!(k["accounts"].is_array() && k["waits"].is_array());
    let vi = &a["voter_info"];
    for f in
        ["owner", "proxy", "producers", "last_vote_weight", "proxied_vote_weight", "is_proxy", "reserved2", "reserved3"]
    {
        assert!(!vi[f].is_null(), "voter_info.{f}: {a}");
    }
    assert_eq!(vi["producers"], json!(["bp1"]));
    assert_eq!(a["total_resources"]["net_weight"], "50.0000 CIV");
    assert_eq!(a["self_delegated_bandwidth"]["from"], "alice");
    assert!(a["refund_request"].is_null());
    // bob staked 10 CIV and votes for nobody; after a transfer his usage is what it was billed.
    let (_, b) = node.post("/v1/chain/get_account", json!({"account_name": "bob"})).await;
    assert_eq!(b["net_weight"], 5_0000, "{b}");
    assert_eq!(b["cpu_limit"]["used"], 0, "{b}");
    assert!(b["voter_info"]["producers"] == json!([]), "{b}");
    let (_, body) = node.transfer("bob", "carol", "1.0000 CIV", "", &key("bob"));
    let (status, pushed) = node.post("/v1/chain/push_transaction", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pushed}");
    let billed = pushed["processed"]["receipt"]["cpu_usage_us"].as_i64().unwrap();
    assert_eq!(billed, 39, "4 per transaction, 30 per signature, 3 per transfer, 2 for its bytes");
    // Usage is recorded when a block includes the transaction.
    let head = b["head_block_num"].as_u64().unwrap();
    node.wait_for_head(head as u32 + 3).await;
    let (_, b) = node.post("/v1/chain/get_account", json!({"account_name": "bob"})).await;
    let used = b["cpu_limit"]["used"].as_i64().unwrap();
    assert!((billed..=billed + 1).contains(&used), "{b}");
    // The system accounts are unlimited, as `eosio` is on nodeos.
    let (_, e) = node.post("/v1/chain/get_account", json!({"account_name": "eosio"})).await;
    assert_eq!((&e["cpu_weight"], &e["cpu_limit"]["max"]), (&json!(-1), &json!(-1)), "{e}");
}

/// ABIs in every form, currency stats, producers and the schedule.
#[tokio::test]
async fn abis_producers_and_stats() {
    let node = Node::start().await;
    node.wait_for_head(2).await;
    let (_, abi) = node.post("/v1/chain/get_abi", json!({"account_name": "eosio.token"})).await;
    assert_eq!(abi["account_name"], "eosio.token");
    assert!(abi["abi"]["version"].as_str().unwrap().starts_with("eosio::abi/1."));
    assert!(abi["abi"]["structs"].as_array().unwrap().iter().any(|s| s["name"] == "transfer"));
    let (_, none) = node.post("/v1/chain/get_abi", json!({"account_name": "alice"})).await;
    assert_eq!(none, json!({"account_name": "alice"}));
    let (_, raw) = node.post("/v1/chain/get_raw_abi", json!({"account_name": "alice"})).await;
    assert_eq!(raw["abi"], "");
    let (_, rca) = node.post("/v1/chain/get_raw_code_and_abi", json!({"account_name": "eosio"})).await;
    assert_eq!(rca["wasm"], "");
    assert!(AbiDef::from_base64(rca["abi"].as_str().unwrap()).is_ok());
    let (_, raw) = node.post("/v1/chain/get_raw_abi", json!({"account_name": "eosio"})).await;
    let (_, same) =
        node.post("/v1/chain/get_raw_abi", json!({"account_name": "eosio", "abi_hash": raw["abi_hash"]})).await;
    assert!(same.get("abi").is_none(), "{same}");
    let (_, code) = node.post("/v1/chain/get_code", json!({"account_name": "eosio"})).await;
    assert_eq!(code["wasm"], "");
    let (_, bin) = node
        .post(
            "/v1/chain/abi_json_to_bin",
            json!({"code": "eosio.token", "action": "transfer", "args": {"from": "alice", "to": "bob", "quantity": "1.0000 CIV", "memo": "hi"}}),
        )
        .await;
    let (_, args) = node
        .post(
            "/v1/chain/abi_bin_to_json",
            json!({"code": "eosio.token", "action": "transfer", "binargs": bin["binargs"]}),
        )
        .await;
    assert_eq!(args["args"]["memo"], "hi");

    let (_, stats) = node.post("/v1/chain/get_currency_stats", json!({"code": "eosio.token", "symbol": "CIV"})).await;
    assert_eq!(stats["CIV"]["max_supply"], "10000000000.0000 CIV");
    assert_eq!(stats["CIV"]["issuer"], "eosio");
    assert!(stats["CIV"]["supply"].is_string());
    let (_, none) = node.post("/v1/chain/get_currency_stats", json!({"code": "eosio.token", "symbol": "XYZ"})).await;
    assert_eq!(none, json!({}));

    let (status, prods) =
        node.post("/v1/chain/get_producers", json!({"json": true, "lower_bound": "", "limit": 50})).await;
    assert_eq!(status, StatusCode::OK, "{prods}");
    assert_eq!(prods["rows"][0]["owner"], "bp1");
    assert!(prods["total_producer_vote_weight"].as_str().unwrap().parse::<f64>().unwrap() > 0.0, "{prods}");
    assert_eq!(prods["more"], "");
    let (_, page) = node.post("/v1/chain/get_producers", json!({"json": true, "limit": 0})).await;
    assert_eq!(page["more"], "bp1");

    let (_, sched) = node.post("/v1/chain/get_producer_schedule", json!({})).await;
    assert_eq!(sched["active"]["producers"][0]["producer_name"], "bp1");
    assert_eq!(sched["active"]["producers"][0]["authority"][0], 0);
    assert_eq!(sched["active"]["producers"][0]["authority"][1]["threshold"], 1);
    assert!(sched["pending"].is_null() && sched["proposed"].is_null());

    let (_, feats) = node.get("/v1/chain/get_activated_protocol_features").await;
    assert!(feats["activated_protocol_features"].is_array());
    let (_, scopes) =
        node.post("/v1/chain/get_table_by_scope", json!({"code": "eosio.token", "table": "accounts"})).await;
    assert!(scopes["rows"].as_array().unwrap().iter().any(|r| r["scope"] == "alice" && r["count"] == 1), "{scopes}");
    let trx = node.trx(vec![], 60);
    let (_, tid) = node.post("/v1/chain/get_transaction_id", json!({"transaction": trx})).await;
    assert_eq!(tid, json!(trx.id()));
}

/// `push_transactions` admits a batch in order; `send_transaction2` returns failure traces.
#[tokio::test]
async fn batches_and_failure_traces() {
    let node = Node::start().await;
    node.wait_for_head(2).await;
    let (_, a) = node.transfer("bob", "carol", "1.0000 CIV", "one", &key("bob"));
    let (_, b) = node.transfer("bob", "carol", "2.0000 CIV", "two", &key("bob"));
    let (_, bad) = node.transfer("bob", "carol", "5000.0000 CIV", "too much", &key("bob"));
    let (status, v) = node.post("/v1/chain/push_transactions", json!([a, bad, b, {"nonsense": 1}])).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert!(list[0]["processed"]["except"].is_null());
    assert_eq!(list[1]["processed"]["except"]["code"], 3_050_003);
    assert!(list[1]["processed"]["except"]["stack"][0]["format"].as_str().unwrap().contains("overdrawn balance"));
    assert!(list[2]["processed"]["except"].is_null());
    assert_eq!(list[3]["processed"]["except"]["code"], 3_010_010);

    // A batch of well-formed packed transactions (decoded without a Value tree): failures
    // of the chain, of the signature and duplicates all come back as failure traces.
    let (_, e) = node.transfer("bob", "carol", "3.0000 CIV", "three", &key("bob"));
    let (_, too_much) = node.transfer("bob", "carol", "7000.0000 CIV", "too much", &key("bob"));
    let (_, wrong_key) = node.transfer("bob", "carol", "1.0000 CIV", "wrong key", &key("carol"));
    let (status, v) = node.post("/v1/chain/push_transactions", json!([e, too_much, e, wrong_key])).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 4);
    let p = &list[0]["processed"];
    assert!(p["except"].is_null());
    assert_eq!(p["id"], list[0]["transaction_id"]);
    assert_eq!(p["action_traces"][0]["act"]["data"]["quantity"], "3.0000 CIV");
    assert_eq!(p["action_traces"][0]["act"]["data"]["memo"], "three");
    assert_eq!(list[1]["processed"]["except"]["code"], 3_050_003);
    assert_eq!(list[2]["transaction_id"], list[0]["transaction_id"]);
    assert!(!list[2]["processed"]["except"].is_null(), "{}", list[2]);
    assert!(!list[3]["processed"]["except"].is_null(), "{}", list[3]);
    assert!(list.iter().skip(1).all(|r| r["processed"]["except"]["stack"].is_array()));

    let (_, c) = node.transfer("bob", "carol", "9999.0000 CIV", "fails", &key("bob"));
    let (status, v) = node
        .post(
            "/v1/chain/send_transaction2",
            json!({"return_failure_trace": true, "retry_trx": false, "retry_trx_num_blocks": 0, "transaction": c}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["processed"]["except"]["name"], "eosio_assert_message_exception");
    let (status, v) =
        node.post("/v1/chain/send_transaction2", json!({"return_failure_trace": false, "transaction": c})).await;
    assert_eq!(crate::harness::assert_error(status, &v, "send_transaction2"), 3_050_003);
    let (_, d) = node.transfer("bob", "carol", "0.5000 CIV", "ok", &key("bob"));
    let (status, v) = node.post("/v1/chain/send_transaction2", json!({"transaction": d})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert!(v["processed"]["except"].is_null());

    // Structured action data in get_required_keys is encoded with the ABI.
    let trx = node.trx(vec![], 60);
    let mut t = serde_json::to_value(&trx).unwrap();
    t["actions"] = json!([{"account": "eosio.token", "name": "transfer", "authorization": [{"actor": "bob", "permission": "active"}],
                           "data": {"from": "bob", "to": "alice", "quantity": "1.0000 CIV", "memo": ""}}]);
    let (status, rk) = node
        .post("/v1/chain/get_required_keys", json!({"transaction": t, "available_keys": [key("bob").public_key()]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{rk}");
    assert_eq!(rk["required_keys"], json!([key("bob").public_key()]));
}

/// The bodies real eosjs produced (crates/protocol/tests/vectors/eosjs.json): the JSON
/// transaction of `get_required_keys` gives the same id, and both push forms (plain and pako
/// zlib) parse, inflate and verify; the chain then rejects them only for their expiration
/// (signed for 2024, or for a date too far ahead) or for context-free data.
#[tokio::test]
async fn eosjs_vectors_parse_and_verify() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol/tests/vectors/eosjs.json");
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let node = Node::start().await;
    node.wait_for_head(2).await;
    for t in vectors["transactions"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let (status, id) =
            node.post("/v1/chain/get_transaction_id", t["get_required_keys_body"]["transaction"].clone()).await;
        assert_eq!(status, StatusCode::OK, "{name}: {id}");
        assert_eq!(id, t["id"], "{name}");
        for form in ["push_body", "push_body_zlib"] {
            let (status, v) = node.post("/v1/chain/push_transaction", t[form].clone()).await;
            let code = crate::harness::assert_error(status, &v, name);
            // Rejected by the chain's checks of a well-formed, verified transaction.
            assert!([3_040_000, 3_040_005, 3_040_006].contains(&code), "{name} {form}: {v}");
        }
    }
}
