//! Issue 10 item 13: answers to requests that fail before any handler runs, over real TCP
//! connections to `civitas_rpc::serve`. Every answer is Antelope error JSON with
//! `Content-Type: application/json`; hyper alone answers these with empty bodies.

use std::net::SocketAddr;
use std::time::Duration;

use civitas_rpc::RpcConfig;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::*;

/// One HTTP answer read off a connection.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON, checking the content type.
    pub fn json(&self) -> Value {
        assert_eq!(self.header("content-type"), Some("application/json"), "{self:?}");
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends `request` on a new connection (while reading, so a server that answers early cannot
/// block the write) and reads until the server closes the connection; returns every answer.
pub async fn exchange(addr: SocketAddr, request: Vec<u8>) -> Vec<Answer> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        // The server may stop reading once it has refused the request.
        let _ = wr.write_all(&request).await;
        wr
    });
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), rd.read_to_end(&mut out))
        .await
        .expect("the server closes the connection within 10 s")
        .expect("the connection is read to its end without a reset");
    drop(writer.await);
    parse_answers(&out)
}

fn parse_answers(mut buf: &[u8]) -> Vec<Answer> {
    let mut answers = Vec::new();
    while !buf.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        let len = match resp.parse(buf).unwrap() {
            httparse::Status::Complete(len) => len,
            httparse::Status::Partial => panic!("a partial answer: {}", String::from_utf8_lossy(buf)),
        };
        let headers: Vec<(String, String)> = resp
            .headers
            .iter()
            .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).to_string()))
            .collect();
        let status = resp.code.unwrap();
        let body_len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or_else(|| panic!("every answer has a Content-Length: {headers:?}"));
        answers.push(Answer { status, headers, body: buf[len..len + body_len].to_vec() });
        buf = &buf[len + body_len..];
    }
    answers
}

/// The single answer to `request`, which must be an Antelope error with `status`.
async fn refused(addr: SocketAddr, request: Vec<u8>, status: u16) -> Value {
    let answers = exchange(addr, request).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    let a = &answers[0];
    assert_eq!(a.status, status, "{a:?}");
    let v = a.json();
    let code = assert_error(axum::http::StatusCode::from_u16(status).unwrap(), &v, "refused request");
    assert_eq!(code, 3_200_006, "{v}");
    assert_eq!(v["error"]["name"], "invalid_http_request");
    v
}

#[tokio::test]
async fn a_100_kib_query_string_gets_414_json() {
    let node = Node::start().await;
    let (addr, server) = node.serve_tcp().await;
    let query = "x".repeat(100 * 1024);
    let req = format!("GET /v1/chain/get_info?q={query} HTTP/1.1\r\nHost: x\r\n\r\n");
    let v = refused(addr, req.into_bytes(), 414).await;
    assert_eq!(v["message"], "URI Too Long");
    assert!(detail(&v).contains("16384"), "{v}");
    // Just over the limit is refused too; at the limit it is served.
    let limit = RpcConfig::default().max_target_bytes;
    let path = "/v1/chain/get_info?q=";
    let at = format!("GET {path}{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "y".repeat(limit - path.len()));
    let answers = exchange(addr, at.into_bytes()).await;
    assert_eq!(answers[0].status, 200, "{:?}", answers[0]);
    assert!(answers[0].json()["chain_id"].is_string());
    let over = format!("GET {path}{} HTTP/1.1\r\nHost: x\r\n\r\n", "y".repeat(limit + 1 - path.len()));
    refused(addr, over.into_bytes(), 414).await;
    server.abort();
}

#[tokio::test]
async fn five_hundred_headers_get_431_json() {
    let node = Node::start().await;
    let (addr, server) = node.serve_tcp().await;
    let mut req = String::from("POST /v1/chain/get_info HTTP/1.1\r\nHost: x\r\n");
    for i in 0..500 {
        req.push_str(&format!("X-Header-{i}: {i}\r\n"));
    }
    req.push_str("Content-Length: 2\r\n\r\n{}");
    let v = refused(addr, req.into_bytes(), 431).await;
    assert_eq!(v["message"], "Request Header Fields Too Large");
    assert!(detail(&v).contains("more than 100 header fields"), "{v}");
    // One header field bigger than the whole head may be.
    let big = format!("GET /v1/chain/get_info HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\r\n", "c".repeat(70 * 1024));
    let v = refused(addr, big.into_bytes(), 431).await;
    assert!(detail(&v).contains("65536"), "{v}");
    // 100 header fields are fine.
    let mut ok = String::from("GET /v1/chain/get_info HTTP/1.1\r\nConnection: close\r\n");
    for i in 0..99 {
        ok.push_str(&format!("X-Header-{i}: {i}\r\n"));
    }
    ok.push_str("\r\n");
    assert_eq!(exchange(addr, ok.into_bytes()).await[0].status, 200);
    server.abort();
}

/// nodeos's message for a target it refuses.
const ILLEGAL: &str = "Illegal request-target";

#[tokio::test]
async fn malformed_heads_get_400_or_505_json() {
    let node = Node::start().await;
    let (addr, server) = node.serve_tcp().await;
    let cases: Vec<(&[u8], u16, &str)> = vec![
        (b"GARBAGE\r\n\r\n", 400, "malformed request"),
        (b"G@T /v1/chain/get_info HTTP/1.1\r\n\r\n", 400, "the method"),
        (b"GET /v1/chain/get_info\x01 HTTP/1.1\r\n\r\n", 400, "the request target"),
        (b"GET /v1/chain/get_info\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request target"),
        (b"GET /v1/chain/get_info HTTP/1.1\r\nBad Header: x\r\n\r\n", 400, "header name"),
        (b"GET /v1/chain/get_info HTTP/1.1\r\nX: a\x01b\r\n\r\n", 400, "header value"),
        (b"GET /v1/chain/get_info HTTP/2.0\r\n\r\n", 505, "HTTP version not supported"),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "HTTP version not supported"),
        (b"POST /v1/chain/get_info HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"),
        (
            b"POST /v1/chain/get_info HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
            400,
            "Content-Length",
        ),
        (b"POST /v1/chain/get_info HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "chunked"),
        (b"POST /v1/chain/get_info HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "HTTP/1.0"),
        // nodeos refuses a target that does not start with `/` or contains `..` with 400
        // "Illegal request-target" (Leap `beast_http_session.hpp`).
        (b"GET /v1/../chain/get_info HTTP/1.1\r\n\r\n", 400, ILLEGAL),
        (b"GET http://x/v1/chain/get_info HTTP/1.1\r\n\r\n", 400, ILLEGAL),
        (b"OPTIONS * HTTP/1.1\r\n\r\n", 400, ILLEGAL),
        (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 400, ILLEGAL),
    ];
    for (req, status, needle) in cases {
        let v = refused(addr, req.to_vec(), status).await;
        assert!(detail(&v).contains(needle), "{:?}: {v}", String::from_utf8_lossy(req));
        if needle == ILLEGAL {
            assert_eq!(v["message"], ILLEGAL, "nodeos's message: {v}");
        }
    }
    server.abort();
}

#[tokio::test]
async fn options_any_method_and_http_1_0_are_answered_with_json() {
    let node = Node::start().await;
    let (addr, server) = node.serve_tcp().await;
    // nodeos answers every OPTIONS with 200 `{}`; a preflight for a method CORS does not list
    // gets the same (the browser decides from the headers).
    for req in [
        "OPTIONS /v1/chain/get_info HTTP/1.1\r\nOrigin: https://wallet.example\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n",
        "OPTIONS /v1/chain/push_transaction HTTP/1.1\r\nOrigin: https://wallet.example\r\nAccess-Control-Request-Method: DELETE\r\nConnection: close\r\n\r\n",
        "OPTIONS /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n",
    ] {
        let answers = exchange(addr, req.as_bytes().to_vec()).await;
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].status, 200, "{req}");
        assert_eq!(answers[0].json(), serde_json::json!({}), "{req}");
        assert_eq!(answers[0].header("access-control-allow-origin"), Some("*"), "{req}");
    }
    // Methods are ignored, as nodeos ignores them.
    let answers = exchange(addr, b"FOO /v1/chain/get_info HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec()).await;
    assert_eq!(answers[0].status, 200);
    assert!(answers[0].json()["head_block_num"].is_u64());
    // HTTP/1.0 (closes after the answer, as 1.0 does by default).
    let answers = exchange(addr, b"POST /v1/chain/get_info HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}".to_vec()).await;
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].status, 200);
    assert!(answers[0].json()["chain_id"].is_string());
    // Unknown paths: 404 in the error shape.
    let answers = exchange(addr, b"GET /v1/chain/nothing HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec()).await;
    assert_eq!(answers[0].status, 404);
    assert_eq!(answers[0].json()["error"]["details"][0]["message"], "Unknown Endpoint /v1/chain/nothing");
    server.abort();
}

#[tokio::test]
async fn chunked_bodies_over_the_limit_or_malformed_get_json() {
    let node = Node::with(Options {
        config: RpcConfig { max_body_bytes: 1024, ..RpcConfig::default() },
        ..Options::default()
    })
    .await;
    let (addr, server) = node.serve_tcp().await;
    // 4 KiB in 512-byte chunks against a 1 KiB limit.
    let mut req = b"POST /v1/chain/get_info HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..8 {
        req.extend_from_slice(b"200\r\n");
        req.extend_from_slice(&[b' '; 512]);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let answers = exchange(addr, req).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].status, 413);
    let v = answers[0].json();
    assert_eq!(assert_error(axum::http::StatusCode::PAYLOAD_TOO_LARGE, &v, "413"), 3_200_006);
    // A chunked body within the limit is read (with a chunk extension and a trailer).
    let ok = b"POST /v1/chain/get_info HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1;ext=1\r\n{\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n";
    let answers = exchange(addr, ok.to_vec()).await;
    assert_eq!(answers[0].status, 200, "{answers:?}");
    // A chunk size that is not hex: the body cannot be read, which is a 400 in the error shape.
    let bad = b"POST /v1/chain/get_info HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
    let answers = exchange(addr, bad.to_vec()).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].status, 400);
    assert_eq!(assert_error(axum::http::StatusCode::BAD_REQUEST, &answers[0].json(), "bad chunk"), 3_200_006);
    server.abort();
}

/// Requests before a refused one on the same connection are answered first, in order; the
/// refusal ends the connection.
#[tokio::test]
async fn a_refused_request_is_answered_in_order_after_the_ones_before_it() {
    let node = Node::start().await;
    let (addr, server) = node.serve_tcp().await;
    let mut req = b"POST /v1/chain/get_info HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}".to_vec();
    req.extend_from_slice(
        b"GET /v1/chain/get_account?ignored HTTP/1.1\r\nContent-Length: 24\r\n\r\n{\"account_name\":\"alice\"}",
    );
    req.extend_from_slice(format!("GET /v1/chain/get_info?{} HTTP/1.1\r\n\r\n", "z".repeat(20_000)).as_bytes());
    req.extend_from_slice(b"GET /v1/chain/get_info HTTP/1.1\r\n\r\n");
    let answers = exchange(addr, req).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![200, 200, 414], "{answers:?}");
    assert!(answers[0].json()["chain_id"].is_string());
    assert_eq!(answers[1].json()["account_name"], "alice");
    assert_eq!(answers[2].header("connection"), Some("close"));
    assert_eq!(answers[2].json()["error"]["code"], 3_200_006);
    server.abort();
}

/// A client that sends part of a head and closes its side: a part that is already wrong is
/// answered; a part that is only unfinished gets no answer (as on nodeos).
#[tokio::test]
async fn a_head_cut_short_is_answered_only_when_it_is_already_wrong() {
    let node = Node::start().await;
    let (addr, server) = node.serve_tcp().await;
    let half_closed = |sent: &'static [u8]| async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(sent).await.unwrap();
        s.shutdown().await.unwrap();
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await.unwrap().unwrap();
        parse_answers(&out)
    };
    let answers = half_closed(b"G\x01T /v1/chain/get_info HTTP/1.1\r\nHost").await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].status, 400);
    assert_eq!(answers[0].json()["error"]["code"], 3_200_006);
    assert!(half_closed(b"GET /v1/chain/get_info HTTP/1.1\r\nHost").await.is_empty());
    server.abort();
}
