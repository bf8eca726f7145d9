//! The dashboard's page and assets, and the views it reads beyond the basic ones: the round's
//! slots and ring changes in `schedule`, activation and pay in `producers`, the latest
//! transactions, and `node`.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::Value;

use crate::harness::*;

async fn get_raw(node: &Node, path: &str, etag: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::builder().uri(path);
    if let Some(tag) = etag {
        req = req.header("if-none-match", tag);
    }
    let (status, headers, body) = node.request(req.body(Body::empty()).unwrap()).await;
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The asset paths the page names (`/dashboard/<hash>/<file>`).
fn asset_paths(page: &str) -> Vec<String> {
    page.match_indices("/dashboard/").map(|(i, _)| page[i..].split(['"', '\'']).next().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_types_and_caching() {
    let node = Node::start().await;
    let (status, h, page) = get_raw(&node, "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&h, "cache-control"), "no-cache", "the page is always revalidated");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    let csp = header(&h, "content-security-policy");
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), "{csp}");
    assert!(page.contains("<title>") && page.contains("id=\"ring-box\""), "{page}");
    assert!(!page.contains("{{V}}"), "the asset hash is filled in");
    // Nothing is loaded from anywhere but the node.
    assert!(!page.contains("http://") && !page.contains("https://"), "{page}");

    // Revalidation: the same ETag gets a 304 without a body.
    let tag = header(&h, "etag").to_string();
    assert!(tag.starts_with('"'), "{tag}");
    let (status, _, body) = get_raw(&node, "/", Some(&tag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());

    let assets = asset_paths(&page);
    assert!(assets.iter().any(|a| a.ends_with("/app.js")) && assets.iter().any(|a| a.ends_with("/style.css")));
    for path in &assets {
        let (status, h, body) = get_raw(&node, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&h, "cache-control"), "public, max-age=31536000, immutable", "{path}");
        let ct = header(&h, "content-type");
        let want = match path.rsplit('.').next().unwrap() {
            "js" => "text/javascript; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            "svg" => "image/svg+xml",
            other => panic!("unexpected asset type {other}"),
        };
        assert_eq!(ct, want, "{path}");
        assert!(!body.is_empty());
        // Every module a script imports is served under the same hash.
        for (i, _) in body.match_indices("from './") {
            let file = body[i + "from './".len()..].split('\'').next().unwrap();
            let dir = path.rsplit_once('/').unwrap().0;
            let (status, h, _) = get_raw(&node, &format!("{dir}/{file}"), None).await;
            assert_eq!(status, StatusCode::OK, "{file} imported by {path}");
            assert!(header(&h, "content-type").starts_with("text/javascript"), "{file}");
        }
    }
    // The same files without the hash (or with a stale one) are served but revalidated.
    let (status, h, _) = get_raw(&node, "/dashboard/app.js", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "cache-control"), "no-cache");
    let (status, h, _) = get_raw(&node, "/dashboard/000000000000/style.css", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "cache-control"), "no-cache");
    // Unknown files are the API's 404, in the error shape.
    let (status, v) = node.get("/dashboard/nope.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(status, &v, "unknown asset");
    // The API is unchanged beside the page.
    let (status, v) = node.get("/v1/chain/get_info").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = node.get("/v1/chain/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(status, &v, "unknown endpoint");
}

#[tokio::test]
async fn node_view_names_the_node_and_chain() {
    let node = Node::start().await;
    let (status, v) = node.get("/v1/civitas/node").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["chain_name"], "rpc-test");
    assert_eq!(v["chain_id"], serde_json::json!(node.chain_id));
    assert_eq!(v["node_name"], "civitas");
    assert_eq!(v["core_symbol"], "4,CIV");
    assert_eq!(v["block_interval_ms"], 500);
    assert_eq!(v["round_length_slots"], 1);
    assert!(v["genesis_time"].as_str().is_some_and(|t| !t.ends_with('Z')), "{v}");
}

#[tokio::test]
async fn schedule_lists_the_rounds_slots_and_ring_changes() {
    let node = Node::start().await;
    node.wait_for_head(4).await;
    let (_, v) = node.get("/v1/civitas/schedule").await;
    let slots = v["round_slots"].as_array().unwrap();
    assert_eq!(slots.len() as u64, v["round_length_slots"].as_u64().unwrap(), "{v}");
    let slot = v["slot"].as_u64().unwrap();
    for s in slots {
        let status = s["status"].as_str().unwrap();
        assert!(["produced", "missed", "current", "upcoming"].contains(&status), "{s}");
        assert_eq!(s["producer"], "bp1");
        assert_eq!(s["position"], 0);
        // A slot with a block names it; the head's own slot is produced, not pending.
        assert_eq!(s["block_num"].is_u64(), status == "produced", "{s}");
        if s["slot"].as_u64().unwrap() > slot {
            assert_eq!(status, "upcoming");
        }
    }
    assert_eq!(v["previous_producers"], serde_json::json!(["bp1"]));
    assert_eq!(v["joined"], serde_json::json!([]));
    assert_eq!(v["left"], serde_json::json!([]));
    assert!(v["missed_in_round"].is_u64());
    assert!(v["previous_version"].is_u64());

    // The harness ticks one slot per tick, so the head's slot is produced when the clock is on it.
    for _ in 0..50 {
        let (_, v) = node.get("/v1/civitas/schedule").await;
        let s = &v["round_slots"][0];
        if s["status"] == "produced" {
            assert_eq!(s["slot"], v["slot"]);
            assert_eq!(s["block_num"], v["head_block_num"]);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the current slot never showed as produced");
}

#[tokio::test]
async fn producers_view_reports_activation_pay_and_the_next_election() {
    let node = Node::start().await;
    node.wait_for_lib(4).await;
    let (_, v) = node.get("/v1/civitas/producers").await;
    assert_eq!(v["core_symbol"], "4,CIV");
    assert_eq!(v["max_active_producers"], 1);
    let supply = v["supply"].as_i64().unwrap();
    assert!(supply >= 40_000_000, "four accounts of 1000 CIV, plus alice's stake: {v}");
    let act = &v["activation"];
    assert_eq!(act["threshold"], 0.15);
    assert_eq!(act["threshold_stake"].as_i64().unwrap(), supply * 1500 / 10_000);
    // alice's 100 CIV vote is well under 15% of ~4100 CIV.
    assert_eq!(act["activated"], false, "{v}");
    let progress = act["progress"].as_f64().unwrap();
    assert!(progress > 0.0 && progress < 1.0, "{v}");
    let voted = act["voted_share_of_supply"].as_f64().unwrap();
    assert!((voted - 1_000_000.0 / supply as f64).abs() < 1e-9, "{v}");

    let pay = &v["pay"];
    assert_eq!(pay["inflation_rate"], 0.01);
    assert_eq!(pay["producer_share"], 1.0);
    assert!(pay["paid_blocks"].as_u64().unwrap() >= 1, "{v}");
    let amount = |x: &Value| x.as_str().unwrap().split(' ').next().unwrap().parse::<f64>().unwrap();
    // Everything minted is either kept (waiting in eosio.bpay until claimed) or in the fund.
    assert!((amount(&pay["total_minted"]) - amount(&pay["total_kept"]) - amount(&pay["total_to_fund"])).abs() < 1e-9);
    assert_eq!(amount(&pay["worker_fund"]), amount(&pay["total_to_fund"]));
    assert_eq!(amount(&pay["unclaimed"]), amount(&pay["total_kept"]));

    let row = &v["rows"][0];
    assert_eq!(row["owner"], "bp1");
    // Before activation the genesis producers are elected, so bp1 stays.
    assert_eq!(row["elected_next"], true);
    assert_eq!(row["voted_share"], 1.0, "alice, the only voter, approves bp1");
}

#[tokio::test]
async fn latest_transactions_are_listed_newest_first_and_decoded() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    let (_, empty) = node.get("/v1/civitas/transactions").await;
    assert_eq!(empty["transactions"], serde_json::json!([]), "{empty}");
    assert_eq!(empty["searched_blocks"], 600);

    let mut ids = vec![];
    for memo in ["first", "second"] {
        let (_, body) = node.transfer("alice", "bob", "1.0000 CIV", memo, &key("alice"));
        let (status, r) = node.post("/v1/chain/push_transaction", body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        let id = r["transaction_id"].as_str().unwrap().to_string();
        node.wait_until_included(&id).await;
        ids.push(id);
    }
    let (status, v) = node.get("/v1/civitas/transactions?limit=5").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let list = v["transactions"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{v}");
    assert_eq!(list[0]["id"], ids[1].as_str(), "newest first");
    assert_eq!(list[1]["id"], ids[0].as_str());
    let t = &list[0];
    assert!(t["block_num"].as_u64().unwrap() >= list[1]["block_num"].as_u64().unwrap());
    assert!(t["block_id"].as_str().is_some_and(|s| s.len() == 64) && t["irreversible"].is_boolean(), "{t}");
    assert_eq!(t["signatures"], 1);
    let a = &t["actions"][0];
    assert_eq!((a["account"].as_str(), a["name"].as_str()), (Some("eosio.token"), Some("transfer")));
    assert_eq!(a["data"]["memo"], "second", "decoded with the contract's ABI: {a}");
    assert_eq!(a["authorization"][0]["actor"], "alice");

    let (_, one) = node.get("/v1/civitas/transactions?limit=1").await;
    assert_eq!(one["transactions"].as_array().unwrap().len(), 1);
    let (status, v) = node.get("/v1/civitas/transactions?limit=many").await;
    assert_error(status, &v, "bad limit");
}

#[tokio::test]
async fn resources_view_shows_block_usage_top_users_and_the_ram_market() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    let mut last = String::new();
    for memo in ["one", "two", "three"] {
        let (_, body) = node.transfer("alice", "bob", "1.0000 CIV", memo, &key("alice"));
        let (status, r) = node.post("/v1/chain/push_transaction", body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        last = r["transaction_id"].as_str().unwrap().to_string();
    }
    node.wait_until_included(&last).await;
    let (status, v) = node.get("/v1/civitas/resources").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let max = v["block_cpu_limit"].as_u64().unwrap();
    assert!(max > 0 && v["virtual_block_cpu_limit"].as_u64().unwrap() >= max, "{v}");
    assert!(v["virtual_block_net_limit"].as_u64().unwrap() >= v["block_net_limit"].as_u64().unwrap(), "{v}");
    // The transfers were billed to alice in the blocks listed (newest first).
    let blocks = v["blocks"].as_array().unwrap();
    assert!(!blocks.is_empty() && blocks.len() <= 40, "{v}");
    assert!(blocks.windows(2).all(|w| w[0]["block_num"].as_u64() > w[1]["block_num"].as_u64()), "{v}");
    let billed: u64 = blocks.iter().map(|b| b["cpu_us"].as_u64().unwrap()).sum();
    let top = &v["top_users"][0];
    assert_eq!(top["account"], "alice", "{v}");
    assert_eq!(top["cpu_us"].as_u64().unwrap(), billed, "alice paid everything billed: {v}");
    assert!(top["net_bytes"].as_u64().unwrap() > 0 && top["ram_usage"].as_i64().unwrap() > 0, "{top}");
    // The RAM market: bytes held plus bytes for sale, and the price of a KiB.
    let ram = &v["ram"];
    assert!(ram["total_ram_bytes_reserved"].as_u64().unwrap() < ram["max_ram_size"].as_u64().unwrap(), "{ram}");
    assert!(ram["price_per_kib"].as_str().is_some_and(|p| p.ends_with(" CIV")), "{ram}");
}
