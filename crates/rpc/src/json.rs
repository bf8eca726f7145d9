//! Request parameters as the clients send them, and JSON answers.
//!
//! Clients disagree on types (client-surface.md §1.10): eosjs sends numbers, Wharfkit sends
//! numbers or decimal strings, booleans come as `true`/`false` or `1`/`0`. Every reader here
//! accepts all of those, ignores unknown fields, treats `null` like an absent field, and names
//! the field in its error.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use civitas_protocol::{Name, SymbolCode};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// Serializes `value` as the response body with a JSON content type.
pub(crate) fn response(status: StatusCode, value: &Value) -> Response {
    // Serializing a `Value` cannot fail (its map keys are strings).
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    json_response(status, body)
}

/// `json` (serialized JSON) as the response body with a JSON content type.
pub(crate) fn json_response(status: StatusCode, json: Vec<u8>) -> Response {
    let mut r = (status, json).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Parses a request body: an empty (or all-whitespace) body is `{}`.
pub(crate) fn parse_body(bytes: &[u8]) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::parse(format!("request body is not valid JSON: {e}")))
}

/// A short description of a JSON value for error messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("bool {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) if s.chars().count() > 40 => format!("string {:?}…", s.chars().take(40).collect::<String>()),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The fields of a request object.
pub(crate) struct Params {
    obj: Map<String, Value>,
}

impl Params {
    /// The request must be a JSON object (`{}` when the body was empty).
    pub(crate) fn new(v: Value) -> ApiResult<Params> {
        match v {
            Value::Object(obj) => Ok(Params { obj }),
            other => Err(ApiError::invalid(format!("request body must be a JSON object, found {}", describe(&other)))),
        }
    }

    /// A field, with `null` treated as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    /// Removes and returns a field (to hand a sub-object to serde without copying).
    pub(crate) fn take(&mut self, key: &str) -> Option<Value> {
        self.obj.remove(key).filter(|v| !v.is_null())
    }

    /// A required field.
    pub(crate) fn require(&self, key: &str) -> ApiResult<&Value> {
        self.get(key).ok_or_else(|| ApiError::invalid(format!("missing field \"{key}\"")))
    }

    /// An optional string (numbers are accepted and written in decimal, since Wharfkit may send
    /// typed bounds as numbers).
    pub(crate) fn string(&self, key: &str) -> ApiResult<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(v) => Err(ApiError::invalid(format!("field \"{key}\": expected a string, found {}", describe(v)))),
        }
    }

    /// An optional account, action or table name.
    pub(crate) fn name(&self, key: &str) -> ApiResult<Option<Name>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => {
                s.parse().map(Some).map_err(|e| ApiError::invalid(format!("field \"{key}\": {e}")))
            }
            Some(v) => {
                Err(ApiError::invalid(format!("field \"{key}\": expected a name string, found {}", describe(v))))
            }
        }
    }

    /// A required name.
    pub(crate) fn req_name(&self, key: &str) -> ApiResult<Name> {
        self.require(key)?;
        self.name(key)?.ok_or_else(|| ApiError::invalid(format!("missing field \"{key}\"")))
    }

    /// An optional unsigned integer, as a JSON number or a decimal string.
    pub(crate) fn u64(&self, key: &str) -> ApiResult<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => to_u64(v).map(Some).ok_or_else(|| {
                ApiError::invalid(format!("field \"{key}\": expected an unsigned integer, found {}", describe(v)))
            }),
        }
    }

    /// An optional boolean: `true`/`false`, `1`/`0` or those as strings.
    pub(crate) fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => to_bool(v).map(Some).ok_or_else(|| {
                ApiError::invalid(format!("field \"{key}\": expected true/false or 1/0, found {}", describe(v)))
            }),
        }
    }
}

/// A JSON number or decimal string as `u64`.
pub(crate) fn to_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let t = s.trim();
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse().ok()
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A JSON boolean, `1`/`0`, or those as strings.
pub(crate) fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A token symbol given as a code (`"CIV"`) or with its precision (`"4,CIV"`).
pub(crate) fn parse_symbol_code(key: &str, s: &str) -> ApiResult<SymbolCode> {
    let code = match s.split_once(',') {
        Some((_, code)) => code.trim(),
        None => s.trim(),
    };
    code.parse().map_err(|e| ApiError::invalid(format!("field \"{key}\": {e}")))
}

/// An `f64` as nodeos prints doubles: a string with 17 decimals.
pub(crate) fn double_string(v: f64) -> String {
    format!("{v:.17}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_bodies_are_empty_objects_and_bad_json_is_a_parse_error() {
        assert_eq!(parse_body(b"").unwrap(), json!({}));
        assert_eq!(parse_body(b" \n").unwrap(), json!({}));
        let e = parse_body(b"{\"a\":").unwrap_err();
        assert_eq!(e.code, 4);
        assert!(Params::new(json!([1])).is_err());
    }

    #[test]
    fn flexible_numbers_and_booleans() {
        let p = Params::new(json!({"a": 5, "b": "6", "c": "x", "d": 1, "e": "false", "f": null, "g": -1})).unwrap();
        assert_eq!(p.u64("a").unwrap(), Some(5));
        assert_eq!(p.u64("b").unwrap(), Some(6));
        assert!(p.u64("c").is_err());
        assert!(p.u64("g").is_err());
        assert_eq!(p.u64("f").unwrap(), None);
        assert_eq!(p.bool("d").unwrap(), Some(true));
        assert_eq!(p.bool("e").unwrap(), Some(false));
        assert!(p.bool("c").unwrap_err().detail.contains("\"c\""));
    }

    #[test]
    fn names_and_symbols() {
        let p = Params::new(json!({"n": "alice", "bad": "Alice", "num": 5})).unwrap();
        assert_eq!(p.req_name("n").unwrap(), Name::constant("alice"));
        assert!(p.req_name("bad").unwrap_err().detail.contains("bad"));
        assert!(p.req_name("num").is_err());
        assert!(p.req_name("missing").unwrap_err().detail.contains("missing field"));
        assert_eq!(parse_symbol_code("s", "4,CIV").unwrap(), parse_symbol_code("s", "CIV").unwrap());
        assert!(parse_symbol_code("s", "civ").is_err());
        assert_eq!(double_string(1.0), "1.00000000000000000");
    }
}
