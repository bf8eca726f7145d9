//! The Civitas views, the live stream, metrics and CORS.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::harness::*;

#[tokio::test]
async fn schedule_finality_producers_diversity_blocks() {
    let node = Node::start().await;
    node.wait_for_lib(5).await;

    let (s, v) = node.get("/v1/civitas/schedule").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["producers"][0]["producer_name"], "bp1");
    assert_eq!(v["producers"][0]["block_signing_key"], serde_json::json!(key("bp1").public_key()));
    assert_eq!(v["current_producer"], "bp1");
    assert!(v["round"].is_u64() && v["slot"].is_u64() && v["seconds_to_next_round"].as_f64().unwrap() >= 0.0, "{v}");
    assert_eq!(v["round_length_slots"], 1);
    assert_eq!(v["block_interval_ms"], 500);

    let (_, f) = node.get("/v1/civitas/finality").await;
    assert!(f["head"]["num"].as_u64().unwrap() >= f["lib"]["num"].as_u64().unwrap(), "{f}");
    assert!(f["lag_blocks"].is_u64() && f["lag_seconds"].is_f64(), "{f}");
    assert_eq!(f["quorum"], 1);
    let p = &f["producers"][0];
    assert_eq!(p["producer"], "bp1");
    assert!(p["last_vote_top_slot"].is_u64(), "{f}");
    assert!(p["voted_block"]["block_num"].is_u64(), "{f}");

    let (_, pr) = node.get("/v1/civitas/producers").await;
    let row = &pr["rows"][0];
    assert_eq!(row["owner"], "bp1");
    assert_eq!(row["rank"], 1);
    assert_eq!(row["in_schedule"], true);
    assert!(row["produced"].as_u64().unwrap() >= 4, "{pr}");
    assert_eq!(row["keep_rate"], 100.0);
    assert!(row["vote_share"].as_f64().unwrap() > 0.99, "{pr}");
    assert!(row["kept_total"].is_string() && row["returned_total"].is_string(), "{pr}");

    // A well-behaved single producer: nothing on record, nothing pending.
    let (s, e) = node.get("/v1/civitas/evidence").await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e, serde_json::json!({"recorded": [], "pending": []}));

    let (_, d) = node.get("/v1/civitas/diversity").await;
    assert_eq!(d["active_producers"], 1);
    for dim in ["country", "jurisdiction", "network", "hardware"] {
        assert_eq!(d["dimensions"][dim]["unknown"], 1, "{d}");
        assert_eq!(d["dimensions"][dim]["min_groups_over_one_third"], 1, "{d}");
    }

    let (_, b) = node.get("/v1/civitas/blocks?limit=4").await;
    let list = b["blocks"].as_array().unwrap();
    assert_eq!(list.len(), 4, "{b}");
    let nums: Vec<u64> = list.iter().map(|x| x["num"].as_u64().unwrap()).collect();
    assert!(nums.windows(2).all(|w| w[0] == w[1] + 1), "{nums:?}");
    assert!(list.iter().all(|x| x["producer"] == "bp1" && x["transactions"].is_u64()));
    let (_, all) = node.get("/v1/civitas/blocks?limit=500").await;
    assert_eq!(all["blocks"].as_array().unwrap().last().unwrap()["num"], 1, "down to genesis");
    let (s, v) = node.get("/v1/civitas/blocks?limit=x").await;
    assert_error(s, &v, "bad limit");
    // Views answer POST too.
    let (s, _) = node.post("/v1/civitas/schedule", serde_json::json!({})).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let node = Node::start().await;
    node.wait_for_head(3).await;
    let req = Request::builder().uri("/metrics").body(Body::empty()).unwrap();
    let (s, headers, body) = node.request(req).await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = String::from_utf8(body.to_vec()).unwrap();
    for m in [
        "civitas_head_block_num",
        "civitas_lib_block_num",
        "civitas_lib_lag_blocks",
        "civitas_pending_transactions",
        "civitas_forkdb_blocks",
    ] {
        assert!(text.contains(&format!("# TYPE {m} gauge\n{m} ")), "{m} in {text}");
    }
}

#[tokio::test]
async fn stream_sends_current_state_then_live_events() {
    let node = Node::start().await;
    node.wait_for_head(2).await;
    let req = Request::builder().uri("/v1/civitas/stream").body(Body::empty()).unwrap();
    let resp = node.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut body = resp.into_body();
    let mut text = String::new();
    // The current head and LIB arrive at once; new heads follow as blocks are produced.
    while text.matches("event: head").count() < 2 || !text.contains("event: lib") {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("an event within 10 s")
            .expect("the stream stays open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    let first = text.lines().find(|l| l.starts_with("data: ")).unwrap();
    let ev: civitas_rpc::StreamEvent = serde_json::from_str(&first["data: ".len()..]).unwrap();
    assert!(matches!(ev, civitas_rpc::StreamEvent::Head { .. }), "{text}");
    assert!(text.contains("\"type\":\"lib\""), "{text}");
}

#[tokio::test]
async fn cors_allows_any_origin_by_default() {
    let node = Node::start().await;
    let req = Request::builder()
        .method("POST")
        .uri("/v1/chain/get_info")
        .header("origin", "https://wallet.example")
        .body(Body::from("{}"))
        .unwrap();
    let (s, headers, _) = node.request(req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["access-control-allow-origin"], "*");
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/v1/chain/push_transaction")
        .header("origin", "https://wallet.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap();
    let (s, headers, _) = node.request(preflight).await;
    assert!(s.is_success(), "{s}");
    assert_eq!(headers["access-control-allow-origin"], "*");
    // Errors carry the header too.
    let req = Request::builder()
        .uri("/v1/chain/get_account")
        .header("origin", "https://wallet.example")
        .body(Body::from("{"))
        .unwrap();
    let (s, headers, _) = node.request(req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(headers["access-control-allow-origin"], "*");

    let config = civitas_rpc::RpcConfig { cors_origins: vec!["https://ok.example".into()], ..Default::default() };
    let node = Node::with(Options { config, ..Options::default() }).await;
    let req = Request::builder()
        .uri("/v1/chain/get_info")
        .header("origin", "https://ok.example")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = node.request(req).await;
    assert_eq!(headers["access-control-allow-origin"], "https://ok.example");
    let req = Request::builder()
        .uri("/v1/chain/get_info")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = node.request(req).await;
    assert!(headers.get("access-control-allow-origin").is_none());
}

/// The API served on a real socket by `civitas_rpc::serve`, spoken to in raw HTTP/1.1 the way
/// node-fetch does.
#[tokio::test]
async fn serves_over_a_real_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = Node::start().await;
    let (addr, server) = node.serve_tcp().await;
    let exchange = |request: String| async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await.unwrap().unwrap();
        String::from_utf8_lossy(&out).to_string()
    };
    let body = r#"{"account_name":"alice"}"#;
    let resp = exchange(format!(
        "POST /v1/chain/get_account HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
    .await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"account_name\":\"alice\""), "{resp}");
    let resp = exchange("GET /v1/chain/get_info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into()).await;
    assert!(resp.starts_with("HTTP/1.1 200") && resp.contains("\"chain_id\""), "{resp}");
    // A declared oversized body is refused before it is read.
    let resp = exchange(
        "POST /v1/chain/get_info HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n{}".into(),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 413") && resp.contains("invalid_http_request"), "{resp}");
    server.abort();
}
