//! Pushing transactions: `push_transaction` / `send_transaction`, `send_transaction2` and
//! `push_transactions` (client-surface.md §2.9).
//!
//! A push is parsed, then its signatures are verified on the verification threads
//! ([`crate::verify_pool`]; VerifiedTransaction recovers each signer once, ~35 µs a signature;
//! never on the async threads, never under the core lock), then the verified transactions go to
//! the node's core task as one [`Submission`]. Success is HTTP 202 with the trace in nodeos's
//! layout; failure is the Antelope error JSON, or for `send_transaction2` (with
//! `return_failure_trace`) and `push_transactions` a 202 whose `processed.except` says what
//! failed.
//!
//! `push_transactions` is the bulk path, so apart from the signatures it is kept cheap: the body
//! is decoded straight into packed transactions (no `serde_json::Value` tree) when every item is
//! a well-formed packed transaction, and the answer is serialized straight from the traces.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use civitas_chain::{ChainError, TransactionTrace};
use civitas_protocol::transaction::{Compression, VerifiedTransaction};
use civitas_protocol::{Bytes as HexBytes, Checksum256, PackedTransaction, Signature, TimePoint};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::abis::{Abis, RawAbis};
use crate::error::{ApiError, ApiResult};
use crate::json::{describe, parse_body, Params};
use crate::render::{self, TraceText};
use crate::server::{Reply, Shared};
use crate::{verify_pool, Submission};

/// Reads a packed transaction (`{signatures, compression, packed_context_free_data, packed_trx}`);
/// `compression` may be 0/1 or "none"/"zlib", hex in either case.
pub(crate) fn packed_from_json(v: Value) -> ApiResult<PackedTransaction> {
    if !v.is_object() {
        return Err(ApiError::packed_transaction(format!(
            "expected a packed transaction object, found {}",
            describe(&v)
        )));
    }
    serde_path_to_error::deserialize::<_, PackedTransaction>(v).map_err(|e| {
        let path = e.path().to_string();
        if path == "compression" {
            ApiError::unknown_compression(format!("compression: {}", e.inner()))
        } else if path == "." {
            ApiError::packed_transaction(e.inner().to_string())
        } else {
            ApiError::packed_transaction(format!("{path}: {}", e.inner()))
        }
    })
}

/// Verifies signatures off the async threads, on the verification threads.
async fn verify_all(s: &Shared, packed: Vec<PackedTransaction>) -> ApiResult<Vec<ApiResult<VerifiedTransaction>>> {
    let (chain_id, limit) = (s.chain_id, s.max_trx_size);
    let results = verify_pool::map(packed, move |p| VerifiedTransaction::verify(&chain_id, p, limit)).await;
    let results =
        results.ok_or_else(|| ApiError::internal("signature verification failed: a verification thread stopped"))?;
    Ok(results.into_iter().map(|r| r.map_err(|e| ApiError::verify(&e))).collect())
}

/// Verifies one transaction's signatures on the verification threads.
pub(crate) async fn verify_one(s: &Shared, packed: PackedTransaction) -> ApiResult<VerifiedTransaction> {
    verify_all(s, vec![packed]).await?.pop().unwrap_or_else(|| Err(ApiError::internal("no verification result")))
}

/// Hands verified transactions to the core task and waits for its verdicts.
async fn submit(s: &Shared, txs: Vec<VerifiedTransaction>) -> ApiResult<Vec<Result<TransactionTrace, ChainError>>> {
    let n = txs.len();
    let (reply, answer) = tokio::sync::oneshot::channel();
    s.state
        .submit
        .send(Submission { txs, reply })
        .await
        .map_err(|_| ApiError::unavailable("the node is not accepting transactions (it is shutting down)"))?;
    let results =
        answer.await.map_err(|_| ApiError::unavailable("the node dropped the transactions without an answer"))?;
    if results.len() != n {
        return Err(ApiError::internal(format!("the node answered {} results for {n} transactions", results.len())));
    }
    Ok(results)
}

/// The ABIs needed to decode the traces' actions.
pub(crate) fn abis_for(s: &Shared, traces: &[&TransactionTrace]) -> Abis {
    let raw = s.read(|c| RawAbis::collect(c.chain(), traces.iter().flat_map(|t| t.actions.iter().map(|a| a.account))));
    raw.resolve(&s.abis)
}

/// A trace of a transaction that failed: nodeos's layout with `except` set, which eosjs turns
/// into an error and applications display.
fn failure_trace(id: Option<Checksum256>, e: &ApiError, now: TimePoint) -> Value {
    json!({
        "id": id.map(|i| i.to_string()).unwrap_or_default(),
        "block_num": 0,
        "block_time": now,
        "producer_block_id": null,
        "receipt": null,
        "elapsed": 0,
        "net_usage": 0,
        "scheduled": false,
        "action_traces": [],
        "account_ram_delta": null,
        "except": e.except(now),
        "error_code": null,
    })
}

/// Parses, verifies and submits one transaction; returns its id and trace.
async fn push_one(
    s: &Shared,
    body: Value,
) -> Result<(Checksum256, TransactionTrace, u64), (Option<Checksum256>, ApiError)> {
    let packed = packed_from_json(body).map_err(|e| (None, e))?;
    let vt = verify_one(s, packed).await.map_err(|e| (None, e))?;
    let id = vt.id;
    let start = Instant::now();
    let trace = submit(s, vec![vt])
        .await
        .map_err(|e| (Some(id), e))?
        .pop()
        .unwrap_or_else(|| Err(ChainError::InvalidTransaction("no result".into())))
        .map_err(|e| (Some(id), ApiError::chain(&e)))?;
    Ok((id, trace, start.elapsed().as_micros() as u64))
}

/// `push_transaction` and `send_transaction`: a packed transaction → 202 `{transaction_id,
/// processed}`, or the error JSON.
pub(crate) async fn push_transaction(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let (_, trace, elapsed) = push_one(&s, body).await.map_err(|(_, e)| e)?;
    let abis = abis_for(&s, &[&trace]);
    Reply::accepted_raw(pushed_json(&trace, elapsed, &abis)?)
}

/// `{transaction_id, processed}` of a successful push.
#[derive(Serialize)]
struct Pushed<'a> {
    transaction_id: &'a str,
    processed: render::Processed<'a>,
}

/// Appends the answer for one successful push to `out`.
fn write_pushed(out: &mut Vec<u8>, trace: &TransactionTrace, elapsed: u64, abis: &Abis) -> ApiResult<()> {
    let text = TraceText::new(trace);
    let pushed = Pushed { transaction_id: &text.id, processed: render::processed(trace, &text, elapsed, abis) };
    serde_json::to_writer(out, &pushed).map_err(|e| ApiError::internal(format!("rendering a trace: {e}")))
}

/// The answer for one successful push, as JSON.
pub(crate) fn pushed_json(trace: &TransactionTrace, elapsed: u64, abis: &Abis) -> ApiResult<Vec<u8>> {
    let mut out = Vec::with_capacity(2048);
    write_pushed(&mut out, trace, elapsed, abis)?;
    Ok(out)
}

/// `send_transaction2` `{return_failure_trace, retry_trx, retry_trx_num_blocks, transaction}`.
/// With `return_failure_trace` (the default), a transaction the chain rejects comes back as 202
/// with `processed.except`, as nodeos does; malformed requests are still errors.
pub(crate) async fn send_transaction2(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let mut p = Params::new(body)?;
    let failure_trace_wanted = p.bool("return_failure_trace")?.unwrap_or(true);
    let trx = p.take("transaction").ok_or_else(|| ApiError::invalid("missing field \"transaction\""))?;
    match push_one(&s, trx).await {
        Ok((_, trace, elapsed)) => {
            let abis = abis_for(&s, &[&trace]);
            Reply::accepted_raw(pushed_json(&trace, elapsed, &abis)?)
        }
        Err((Some(id), e)) if failure_trace_wanted => {
            let now = s.read(|c| c.now());
            let e = e.in_method("send_transaction2");
            Reply::accepted(json!({"transaction_id": id, "processed": failure_trace(Some(id), &e, now)}))
        }
        Err((_, e)) => Err(e),
    }
}

/// A packed transaction exactly as eosjs and Wharfkit send it: the fields of
/// [`PackedTransaction`] and nothing else. Decoding a `push_transactions` body straight into
/// these skips the `serde_json::Value` tree of every item; anything else in an item (an unknown
/// field, a repeated one, a wrong type) sends the whole body down the `Value` path, which reports
/// errors as it always has.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WirePacked {
    signatures: Vec<Signature>,
    #[serde(default)]
    compression: Compression,
    #[serde(default)]
    packed_context_free_data: HexBytes,
    packed_trx: HexBytes,
}

/// The items of a `push_transactions` body, decoded without a `Value` tree; `None` when any
/// item is not a plain packed transaction (or the body is not a JSON array at all).
fn parse_batch_fast(body: &[u8], max: usize) -> Option<ApiResult<Vec<ApiResult<PackedTransaction>>>> {
    let items: Vec<&RawValue> = serde_json::from_slice(body).ok()?;
    if items.len() > max {
        return Some(Err(ApiError::too_many_transactions(items.len(), max)));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let w: WirePacked = serde_json::from_str(item.get()).ok()?;
        out.push(Ok(PackedTransaction {
            signatures: w.signatures,
            compression: w.compression,
            packed_context_free_data: w.packed_context_free_data,
            packed_trx: w.packed_trx,
        }));
    }
    Some(Ok(out))
}

/// The items of a `push_transactions` body through `serde_json::Value`, each item's error
/// naming its field.
fn parse_batch_value(body: &[u8], max: usize) -> ApiResult<Vec<ApiResult<PackedTransaction>>> {
    let body = parse_body(body)?;
    let Value::Array(items) = body else {
        return Err(ApiError::invalid(format!(
            "push_transactions expects an array of packed transactions, found {}",
            describe(&body)
        )));
    };
    if items.len() > max {
        return Err(ApiError::too_many_transactions(items.len(), max));
    }
    Ok(items.into_iter().map(packed_from_json).collect())
}

/// `{transaction_id, processed}` of a failed push.
#[derive(Serialize)]
struct Failed {
    transaction_id: String,
    processed: Value,
}

/// `push_transactions`: an array of packed transactions, admitted in order (each sees the
/// effects of those before it). Always 202 with one `{transaction_id, processed}` per
/// transaction; a failed one has `processed.except` set.
pub(crate) async fn push_transactions(s: Arc<Shared>, body: Bytes) -> ApiResult<Reply> {
    let max = s.state.config.max_push_transactions;
    let parsed = match parse_batch_fast(&body, max) {
        Some(r) => r?,
        None => parse_batch_value(&body, max)?,
    };
    drop(body);
    // Verify what parsed (in parallel), submit what verified (in one batch).
    let mut slots: Vec<Result<Checksum256, (Option<Checksum256>, ApiError)>> = Vec::with_capacity(parsed.len());
    let mut to_verify = Vec::with_capacity(parsed.len());
    for r in parsed {
        match r {
            Ok(p) => {
                to_verify.push(p);
                slots.push(Ok(Checksum256::ZERO));
            }
            Err(e) => slots.push(Err((None, e))),
        }
    }
    let mut verified = verify_all(&s, to_verify).await?.into_iter();
    let mut batch = Vec::with_capacity(slots.len());
    for slot in slots.iter_mut().filter(|r| r.is_ok()) {
        *slot = match verified.next() {
            Some(Ok(vt)) => {
                let id = vt.id;
                batch.push(vt);
                Ok(id)
            }
            Some(Err(e)) => Err((None, e)),
            None => Err((None, ApiError::internal("missing verification result"))),
        };
    }
    let start = Instant::now();
    let results = if batch.is_empty() { Vec::new() } else { submit(&s, batch).await? };
    let elapsed = start.elapsed().as_micros() as u64;
    let traces: Vec<&TransactionTrace> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let abis = abis_for(&s, &traces);
    let now = s.read(|c| c.now());
    let mut results = results.into_iter();
    // A transfer's answer is about 1.4 kB of JSON.
    let mut out = Vec::with_capacity(slots.len() * 1536 + 2);
    out.push(b'[');
    for (i, slot) in slots.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let outcome = match slot {
            Ok(id) => match results.next() {
                Some(Ok(trace)) => Ok(trace),
                Some(Err(e)) => Err((Some(id), ApiError::chain(&e))),
                None => Err((Some(id), ApiError::internal("missing result"))),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(trace) => write_pushed(&mut out, &trace, elapsed, &abis)?,
            Err((id, e)) => {
                let e = e.in_method("push_transactions");
                let failed = Failed {
                    transaction_id: id.map(|i| i.to_string()).unwrap_or_default(),
                    processed: failure_trace(id, &e, now),
                };
                serde_json::to_writer(&mut out, &failed)
                    .map_err(|e| ApiError::internal(format!("rendering a failure: {e}")))?;
            }
        }
    }
    out.push(b']');
    Reply::accepted_raw(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_json_errors_name_the_field() {
        let e = packed_from_json(json!({"signatures": [], "compression": 7, "packed_trx": "00"})).unwrap_err();
        assert_eq!(e.code, 3_040_014);
        let e = packed_from_json(json!({"signatures": [], "compression": "gzip", "packed_trx": "00"})).unwrap_err();
        assert_eq!(e.code, 3_040_014);
        let e = packed_from_json(json!({"signatures": ["SIG_K1_bad"], "packed_trx": "00"})).unwrap_err();
        assert_eq!(e.code, 3_010_010);
        assert!(e.detail.starts_with("signatures[0]"), "{}", e.detail);
        let e = packed_from_json(json!({"signatures": []})).unwrap_err();
        assert!(e.detail.contains("packed_trx"), "{}", e.detail);
        let e = packed_from_json(json!({"signatures": [], "packed_trx": "zz"})).unwrap_err();
        assert!(e.detail.starts_with("packed_trx"), "{}", e.detail);
        assert!(packed_from_json(json!([])).is_err());
        let ok = packed_from_json(json!({"signatures": [], "compression": "zlib", "packed_trx": "AB"})).unwrap();
        assert_eq!(ok.packed_trx.0, vec![0xab]);
    }

    /// The fast decoding of a `push_transactions` body gives what the `Value` path gives, and
    /// declines every body that is not a plain array of plain packed transactions.
    #[test]
    fn batches_decode_alike_on_both_paths() {
        let sig = civitas_protocol::PrivateKey::from_seed("push-test").sign(&civitas_protocol::sha256(b"x"));
        let body = json!([
            {"signatures": [sig.to_string()], "compression": 0, "packed_context_free_data": "", "packed_trx": "0102"},
            {"signatures": [], "compression": "zlib", "packed_trx": "AB"},
            {"signatures": [sig.to_string(), sig.to_string()], "compression": 1, "packed_context_free_data": null, "packed_trx": ""},
        ])
        .to_string();
        let body = body.replace("null", "\"\"");
        let fast = parse_batch_fast(body.as_bytes(), 10).unwrap().unwrap();
        let slow = parse_batch_value(body.as_bytes(), 10).unwrap();
        assert_eq!(fast.len(), 3);
        let ok = |v: Vec<ApiResult<PackedTransaction>>| v.into_iter().map(|r| r.unwrap()).collect::<Vec<_>>();
        assert_eq!(ok(fast), ok(slow));
        assert!(parse_batch_fast(b"[]", 10).unwrap().unwrap().is_empty());
        let e = parse_batch_fast(body.as_bytes(), 2).unwrap().unwrap_err();
        assert_eq!(e.code, parse_batch_value(body.as_bytes(), 2).unwrap_err().code);
        // Anything unusual goes down the Value path, whose errors name the problem.
        for odd in [
            "",
            "{}",
            "[1]",
            "[{\"signatures\": [], \"packed_trx\": \"00\", \"extra\": 1}]",
            "[{\"signatures\": [], \"packed_trx\": \"00\", \"packed_trx\": \"01\"}]",
            "[{\"signatures\": [], \"packed_trx\": \"zz\"}]",
            "[{\"signatures\": [], \"compression\": 1e400, \"packed_trx\": \"00\"}]",
            "[{\"signatures\": [], \"packed_trx\": \"00\"}",
            "[{\"signatures\": [\"SIG_K1_bad\"], \"packed_trx\": \"00\"}]",
        ] {
            assert!(parse_batch_fast(odd.as_bytes(), 10).is_none(), "{odd}");
        }
    }
}
