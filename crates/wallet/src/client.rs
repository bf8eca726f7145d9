//! A blocking JSON client for the node's HTTP API.
//!
//! `ureq` (blocking, no async runtime, a handful of dependencies) is enough for a command-line
//! tool that makes a few sequential calls; TLS is left out because the wallet talks to a node on
//! the same machine or network by default (plain `http://`), which keeps the build free of a TLS
//! stack.

use std::time::Duration;

use serde_json::Value;

use crate::error::{NodeError, WalletError};

/// Largest answer accepted: far above any real one (a `get_block` of a full block is a few MiB).
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

/// A client for one node.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish()
    }
}

impl Client {
    /// A client for the node at `url` (`http://host:port`, optionally with a path prefix).
    pub fn new(url: &str) -> Result<Client, WalletError> {
        let base = url.trim().trim_end_matches('/').to_string();
        if base.starts_with("https://") {
            return Err(WalletError::arg(
                "--url",
                format!("{url}: https is not supported by this build; use http:// (e.g. through a local TLS proxy)"),
            ));
        }
        let rest = base.strip_prefix("http://").ok_or_else(|| {
            WalletError::arg("--url", format!("{url:?}: expected an http:// URL such as http://127.0.0.1:8888"))
        })?;
        if rest.is_empty() || rest.starts_with('/') {
            return Err(WalletError::arg("--url", format!("{url:?}: missing host")));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            // Antelope errors come with 4xx/5xx statuses and a JSON body we want to read.
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Ok(Client { base, agent })
    }

    /// The node's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Calls `/v1/chain/{endpoint}` with a JSON body.
    pub fn chain(&self, endpoint: &str, body: &Value) -> Result<Value, WalletError> {
        self.call(&format!("/v1/chain/{endpoint}"), body)
    }

    /// Calls `/v1/civitas/{view}` (the Civitas views).
    pub fn civitas(&self, view: &str) -> Result<Value, WalletError> {
        self.call(&format!("/v1/civitas/{view}"), &Value::Object(Default::default()))
    }

    /// POSTs `body` to `path` and returns the JSON answer, or the node's Antelope error.
    pub fn call(&self, path: &str, body: &Value) -> Result<Value, WalletError> {
        let endpoint = path.rsplit('/').next().unwrap_or(path).to_string();
        let url = format!("{}{path}", self.base);
        let mut answer = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map_err(|e| WalletError::Connect { url: url.clone(), reason: e.to_string() })?;
        let status = answer.status().as_u16();
        let text = answer
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| WalletError::Connect { url: url.clone(), reason: format!("reading the answer: {e}") })?;
        decode_answer(&endpoint, status, &text)
    }
}

/// Turns an HTTP answer into JSON or the matching error.
pub(crate) fn decode_answer(endpoint: &str, status: u16, text: &str) -> Result<Value, WalletError> {
    let json: Option<Value> = serde_json::from_str(text).ok();
    if (200..300).contains(&status) {
        return json.ok_or_else(|| WalletError::bad_answer(endpoint, format!("not JSON: {}", snippet(text))));
    }
    match json {
        Some(body) if body.get("error").is_some_and(Value::is_object) => Err(antelope_error(endpoint, status, body)),
        _ => Err(WalletError::bad_answer(endpoint, format!("HTTP {status}: {}", snippet(text)))),
    }
}

/// Reads an Antelope error body. The message is what eosjs shows (`details[0].message`), falling
/// back to `what` and to the top-level `message`.
fn antelope_error(endpoint: &str, status: u16, body: Value) -> WalletError {
    let error = &body["error"];
    let detail = error["details"].get(0).and_then(|d| d["message"].as_str()).filter(|m| !m.is_empty());
    let what = error["what"].as_str().filter(|w| !w.is_empty() && *w != "unspecified");
    let message = detail.or(what).or(body["message"].as_str()).unwrap_or("unknown error").to_string();
    WalletError::Node(Box::new(NodeError {
        endpoint: endpoint.to_string(),
        status,
        code: error["code"].as_i64().unwrap_or(0),
        name: error["name"].as_str().unwrap_or("exception").to_string(),
        message,
        body,
    }))
}

fn snippet(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() {
        return "(empty body)".into();
    }
    let s: String = t.chars().take(200).collect();
    if s.len() < t.len() {
        format!("{s}…")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(Client::new("http://127.0.0.1:8888").is_ok());
        assert_eq!(Client::new("http://127.0.0.1:8888/").unwrap().url(), "http://127.0.0.1:8888");
        assert_eq!(Client::new("http://h/prefix/").unwrap().url(), "http://h/prefix");
        for bad in ["127.0.0.1:8888", "ftp://x", "http://", "http:///x", ""] {
            let e = Client::new(bad).unwrap_err().to_string();
            assert!(e.starts_with("--url: "), "{bad}: {e}");
        }
        assert!(Client::new("https://node").unwrap_err().to_string().contains("https is not supported"));
    }

    #[test]
    fn antelope_errors_show_the_detail_message() {
        let body = r#"{"code":500,"message":"Internal Service Error","error":{"code":3050003,
            "name":"eosio_assert_message_exception","what":"eosio_assert_message assertion failure",
            "details":[{"message":"assertion failure with message: overdrawn balance","file":"chain",
            "line_number":1,"method":"push_transaction"}]}}"#;
        let e = decode_answer("push_transaction", 500, body).unwrap_err();
        assert_eq!(
            e.to_string(),
            "push_transaction: assertion failure with message: overdrawn balance \
             (eosio_assert_message_exception, HTTP 500)"
        );
        match e {
            WalletError::Node(e) => assert_eq!((e.code, e.status), (3050003, 500)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn error_message_fallbacks() {
        let no_details = r#"{"code":400,"message":"Bad","error":{"code":4,"name":"parse_error_exception",
            "what":"Parse Error","details":[]}}"#;
        assert!(decode_answer("x", 400, no_details).unwrap_err().to_string().starts_with("x: Parse Error ("));
        let unspecified = r#"{"code":400,"message":"Bad request","error":{"code":1,"name":"e","what":"unspecified",
            "details":[]}}"#;
        assert!(decode_answer("x", 400, unspecified).unwrap_err().to_string().starts_with("x: Bad request ("));
    }

    #[test]
    fn non_json_answers_are_reported() {
        let e = decode_answer("get_info", 200, "<html>").unwrap_err().to_string();
        assert_eq!(e, "get_info: unexpected answer from the node: not JSON: <html>");
        let e = decode_answer("get_info", 404, "").unwrap_err().to_string();
        assert_eq!(e, "get_info: unexpected answer from the node: HTTP 404: (empty body)");
        let e = decode_answer("get_info", 502, "{\"error\":\"text\"}").unwrap_err().to_string();
        assert!(e.contains("HTTP 502"), "{e}");
        assert_eq!(decode_answer("get_info", 202, "[1]").unwrap(), serde_json::json!([1]));
    }

    #[test]
    fn connection_refused_names_the_url() {
        // Port 1 on loopback: nothing listens there.
        let c = Client::new("http://127.0.0.1:1").unwrap();
        let e = c.chain("get_info", &serde_json::json!({})).unwrap_err().to_string();
        assert!(e.starts_with("cannot reach the node at http://127.0.0.1:1/v1/chain/get_info: "), "{e}");
    }
}
