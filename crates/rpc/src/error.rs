//! Errors in Antelope's JSON shape (client-surface.md §1.4):
//!
//! ```json
//! {"code":500,"message":"Internal Service Error",
//!  "error":{"code":3050003,"name":"eosio_assert_message_exception","what":"eosio_assert_message assertion failure",
//!           "details":[{"message":"assertion failure with message: overdrawn balance","file":"chain","line_number":1,"method":"push_transaction"}]}}
//! ```
//!
//! eosjs shows `details[0].message`, Wharfkit shows `what` (or `details[0].message` when `what`
//! is `"unspecified"`), so every error carries both a precise `what` and a detail message that
//! names the problem. HTTP statuses follow nodeos's `http_plugin`: 400 for bad requests, unknown
//! blocks and account lookups, 401 for unsatisfied authorization, 409 for duplicates, 500 for
//! everything a contract or the chain rejects.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use civitas_chain::ChainError;
use civitas_protocol::transaction::{UnpackError, VerifyError};
use civitas_protocol::TimePoint;
use serde_json::{json, Value};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The top-level `message` (nodeos's words for the status, e.g. `"Invalid Request"`).
    pub message: &'static str,
    /// The Antelope (fc) error code.
    pub code: u64,
    /// The exception name, e.g. `tx_duplicate`.
    pub name: &'static str,
    /// The exception's short description.
    pub what: &'static str,
    /// What exactly went wrong (`details[0].message`).
    pub detail: String,
    /// `details[0].file`.
    pub file: &'static str,
    /// `details[0].method`: the endpoint, filled in by the router when empty.
    pub method: &'static str,
}

/// The result of an endpoint.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with every field given.
    pub fn new(
        status: StatusCode,
        message: &'static str,
        code: u64,
        name: &'static str,
        what: &'static str,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError { status, message, code, name, what, detail: detail.into(), file: "rpc", method: "" }
    }

    /// The body is not JSON.
    pub fn parse(detail: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, "Invalid Request", 4, "parse_error_exception", "Parse Error", detail)
    }

    /// A parameter is missing or has the wrong type or value.
    pub fn invalid(detail: impl Into<String>) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            3_200_006,
            "invalid_http_request",
            "invalid http request",
            detail,
        )
    }

    /// No such block.
    pub fn unknown_block(detail: impl Into<String>) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Unknown Block",
            3_100_002,
            "unknown_block_exception",
            "Unknown block",
            detail,
        )
    }

    /// No such account. The shape (`what: "unspecified"`, file `http_plugin.cpp`, a message
    /// starting `unknown key`) is the one Wharfkit turns into "Account not found"; eosjs shows
    /// the message, which names the account.
    pub fn account_not_found(account: impl std::fmt::Display) -> ApiError {
        ApiError {
            file: "http_plugin.cpp",
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "Account lookup",
                3_060_002,
                "account_query_exception",
                "unspecified",
                format!("unknown key (eosio::chain::name): account {account} not found"),
            )
        }
    }

    /// A contract table query that cannot be answered (unknown table, bad index, bad bound).
    pub fn table_query(detail: impl Into<String>) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            3_060_003,
            "contract_table_query_exception",
            "Contract Table Query Exception",
            detail,
        )
    }

    /// An ABI is missing or does not describe what was asked.
    pub fn abi(detail: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, "Invalid Request", 3_015_000, "abi_exception", "ABI exception", detail)
    }

    /// A packed transaction that cannot be read.
    pub fn packed_transaction(detail: impl Into<String>) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            3_010_010,
            "packed_transaction_type_exception",
            "Invalid packed transaction",
            detail,
        )
    }

    /// A transaction in JSON form that cannot be read (`get_required_keys`).
    pub fn transaction_json(detail: impl Into<String>) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            3_010_006,
            "transaction_type_exception",
            "Invalid transaction",
            detail,
        )
    }

    /// A public key that cannot be read.
    pub fn public_key(detail: impl Into<String>) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            3_010_002,
            "public_key_type_exception",
            "Invalid public key",
            detail,
        )
    }

    /// Unknown `compression`.
    pub fn unknown_compression(detail: impl Into<String>) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            3_040_014,
            "unknown_transaction_compression",
            "Unknown transaction compression",
            detail,
        )
    }

    /// The request body exceeds the configured limit.
    pub fn too_large(limit: usize) -> ApiError {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
            3_200_006,
            "invalid_http_request",
            "invalid http request",
            format!("request body exceeds the limit of {limit} bytes"),
        )
    }

    /// A request refused before any handler ran (the request-head guard): nodeos's
    /// `invalid_http_request` with HTTP's status for the problem (400, 414, 431, 505).
    pub fn http_request(status: StatusCode, message: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            method: "http",
            ..Self::new(status, message, 3_200_006, "invalid_http_request", "invalid http request", detail)
        }
    }

    /// The request took longer than the configured timeout.
    pub fn timeout(after: std::time::Duration) -> ApiError {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            2,
            "timeout_exception",
            "Timeout",
            format!("the request was not answered within {} ms", after.as_millis()),
        )
    }

    /// The node cannot take the request now (shutting down, overloaded).
    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", 0, "exception", "unspecified", detail)
    }

    /// A bug: a handler panicked or a worker thread failed.
    pub fn internal(detail: impl Into<String>) -> ApiError {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Service Error", 0, "exception", "unspecified", detail)
    }

    /// No such endpoint.
    pub fn not_found(path: &str) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, "Not Found", 0, "exception", "unspecified", format!("Unknown Endpoint {path}"))
    }

    /// No such transaction among the recent blocks and the pending pool.
    pub fn tx_not_found(detail: impl Into<String>) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            3_040_011,
            "tx_not_found",
            "Transaction not found",
            detail,
        )
    }

    /// More transactions at once than allowed.
    pub fn too_many_transactions(n: usize, max: usize) -> ApiError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            3_040_012,
            "too_many_tx_at_once",
            "Pushing too many transactions at once",
            format!("{n} transactions pushed at once; at most {max} are allowed"),
        )
    }

    /// A chain error, with nodeos's code, name and `what`, and the error's own message.
    pub fn chain(e: &ChainError) -> ApiError {
        let (status, message) = match e {
            ChainError::Unsatisfied(_) => (StatusCode::UNAUTHORIZED, "UnAuthorized"),
            ChainError::Duplicate(_) => (StatusCode::CONFLICT, "Conflict"),
            ChainError::Expired { .. }
            | ChainError::ExpirationTooFar { .. }
            | ChainError::InvalidRefBlock { .. }
            | ChainError::InvalidTransaction(_)
            | ChainError::TooBig { .. } => (StatusCode::BAD_REQUEST, "Invalid Request"),
            ChainError::ResourceExhausted(_) => (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Service Error"),
        };
        ApiError { file: "chain", ..Self::new(status, message, e.code(), e.name(), e.what(), e.to_string()) }
    }

    /// A transaction whose packed form or signatures do not verify.
    pub fn verify(e: &VerifyError) -> ApiError {
        match e {
            VerifyError::Unpack(UnpackError::Decompression(_)) => Self::new(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                3_040_001,
                "tx_decompression_error",
                "Error decompressing transaction",
                e.to_string(),
            ),
            VerifyError::Unpack(UnpackError::TooLarge(_)) => Self::new(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                3_040_013,
                "tx_too_big",
                "Transaction is too big",
                e.to_string(),
            ),
            VerifyError::Unpack(UnpackError::Codec(_)) | VerifyError::Signature { .. } => {
                Self::packed_transaction(e.to_string())
            }
            VerifyError::DuplicateSignature(_) => Self::new(
                StatusCode::UNAUTHORIZED,
                "UnAuthorized",
                3_090_001,
                "tx_duplicate_sig",
                "Duplicate signature included",
                e.to_string(),
            ),
            VerifyError::TooManySignatures(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                3_040_000,
                "transaction_exception",
                "Transaction exception",
                e.to_string(),
            ),
        }
    }

    /// Sets the endpoint reported in `details[0].method` unless one is set.
    pub fn in_method(mut self, method: &'static str) -> ApiError {
        if self.method.is_empty() {
            self.method = method;
        }
        self
    }

    /// The `error` object.
    pub fn error_object(&self) -> Value {
        json!({
            "code": self.code,
            "name": self.name,
            "what": self.what,
            "details": [{
                "message": self.detail,
                "file": self.file,
                "line_number": 1,
                "method": self.method,
            }],
        })
    }

    /// The whole body.
    pub fn body(&self) -> Value {
        json!({"code": self.status.as_u16(), "message": self.message, "error": self.error_object()})
    }

    /// The `except` object of a failure trace (`send_transaction2`, `push_transactions`), in
    /// fc's exception layout; eosjs reads `except.message`.
    pub fn except(&self, now: TimePoint) -> Value {
        json!({
            "code": self.code,
            "name": self.name,
            "message": self.what,
            "stack": [{
                "context": {
                    "level": "error",
                    "file": self.file,
                    "line": 1,
                    "method": self.method,
                    "hostname": "",
                    "thread_name": "http",
                    "timestamp": now.to_string(),
                },
                "format": self.detail,
                "data": {},
            }],
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.name, self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        crate::json::response(self.status, &self.body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use civitas_protocol::Name;

    #[test]
    fn chain_errors_keep_nodeos_codes_and_messages() {
        let e = ApiError::chain(&ChainError::Assert("overdrawn balance".into())).in_method("push_transaction");
        let b = e.body();
        assert_eq!(b["code"], 500);
        assert_eq!(b["error"]["code"], 3_050_003);
        assert_eq!(b["error"]["name"], "eosio_assert_message_exception");
        assert_eq!(b["error"]["details"][0]["message"], "assertion failure with message: overdrawn balance");
        assert_eq!(b["error"]["details"][0]["method"], "push_transaction");
        let dup = ApiError::chain(&ChainError::Duplicate(civitas_protocol::Checksum256::ZERO));
        assert_eq!(dup.status, StatusCode::CONFLICT);
        let auth = ApiError::chain(&ChainError::Unsatisfied(civitas_protocol::PermissionLevel::new(
            Name::constant("alice"),
            Name::constant("active"),
        )));
        assert_eq!(auth.status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn account_not_found_matches_wharfkits_special_case() {
        let b = ApiError::account_not_found("nobody").body();
        assert_eq!(b["error"]["what"], "unspecified");
        assert_eq!(b["error"]["details"][0]["file"], "http_plugin.cpp");
        assert!(b["error"]["details"][0]["message"].as_str().unwrap().starts_with("unknown key"));
        assert!(b["error"]["details"][0]["message"].as_str().unwrap().contains("nobody"));
    }
}
