//! Pushing transactions: `push_transaction` / `send_transaction`, `send_transaction2` and
//! `push_transactions` (client-surface.md §2.9).
//!
//! A push is parsed, then its signatures are verified on blocking threads (VerifiedTransaction
//! recovers each signer once, ~38 µs a signature; never on the async threads, never under the
//! core lock), then the verified transactions go to the node's core task as one
//! [`Submission`]. Success is HTTP 202 with the trace in nodeos's layout; failure is the
//! Antelope error JSON, or for `send_transaction2` (with `return_failure_trace`) and
//! `push_transactions` a 202 whose `processed.except` says what failed.

use std::sync::Arc;
use std::time::Instant;

use civitas_chain::{ChainError, TransactionTrace};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Checksum256, PackedTransaction, TimePoint};
use serde_json::{json, Value};

use crate::abis::{Abis, RawAbis};
use crate::error::{ApiError, ApiResult};
use crate::json::{describe, Params};
use crate::render;
use crate::server::{Reply, Shared};
use crate::Submission;

/// Transactions verified per blocking task (batches spread over the cores).
const VERIFY_CHUNK: usize = 16;

/// Reads a packed transaction (`{signatures, compression, packed_context_free_data, packed_trx}`);
/// `compression` may be 0/1 or "none"/"zlib", hex in either case.
fn packed_from_json(v: Value) -> ApiResult<PackedTransaction> {
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

/// Verifies signatures off the async threads, in chunks across the blocking pool.
async fn verify_all(s: &Shared, packed: Vec<PackedTransaction>) -> ApiResult<Vec<ApiResult<VerifiedTransaction>>> {
    let (chain_id, limit) = (s.chain_id, s.max_trx_size);
    let mut tasks = Vec::new();
    let mut rest = packed;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(VERIFY_CHUNK));
        let chunk = std::mem::replace(&mut rest, tail);
        tasks.push(tokio::task::spawn_blocking(move || {
            chunk
                .into_iter()
                .map(|p| VerifiedTransaction::verify(&chain_id, p, limit).map_err(|e| ApiError::verify(&e)))
                .collect::<Vec<_>>()
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.extend(t.await.map_err(|e| ApiError::internal(format!("signature verification failed: {e}")))?);
    }
    Ok(out)
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
fn abis_for(s: &Shared, traces: &[&TransactionTrace]) -> Abis {
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
    let vt = verify_all(s, vec![packed])
        .await
        .map_err(|e| (None, e))?
        .pop()
        .unwrap_or_else(|| Err(ApiError::internal("no verification result")))
        .map_err(|e| (None, e))?;
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
    let (id, trace, elapsed) = push_one(&s, body).await.map_err(|(_, e)| e)?;
    let abis = abis_for(&s, &[&trace]);
    Reply::accepted(json!({"transaction_id": id, "processed": render::processed(&trace, elapsed, &abis)}))
}

/// `send_transaction2` `{return_failure_trace, retry_trx, retry_trx_num_blocks, transaction}`.
/// With `return_failure_trace` (the default), a transaction the chain rejects comes back as 202
/// with `processed.except`, as nodeos does; malformed requests are still errors.
pub(crate) async fn send_transaction2(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let mut p = Params::new(body)?;
    let failure_trace_wanted = p.bool("return_failure_trace")?.unwrap_or(true);
    let trx = p.take("transaction").ok_or_else(|| ApiError::invalid("missing field \"transaction\""))?;
    match push_one(&s, trx).await {
        Ok((id, trace, elapsed)) => {
            let abis = abis_for(&s, &[&trace]);
            Reply::accepted(json!({"transaction_id": id, "processed": render::processed(&trace, elapsed, &abis)}))
        }
        Err((Some(id), e)) if failure_trace_wanted => {
            let now = s.read(|c| c.now());
            let e = e.in_method("send_transaction2");
            Reply::accepted(json!({"transaction_id": id, "processed": failure_trace(Some(id), &e, now)}))
        }
        Err((_, e)) => Err(e),
    }
}

/// `push_transactions`: an array of packed transactions, admitted in order (each sees the
/// effects of those before it). Always 202 with one `{transaction_id, processed}` per
/// transaction; a failed one has `processed.except` set.
pub(crate) async fn push_transactions(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let Value::Array(items) = body else {
        return Err(ApiError::invalid(format!(
            "push_transactions expects an array of packed transactions, found {}",
            describe(&body)
        )));
    };
    let max = s.state.config.max_push_transactions;
    if items.len() > max {
        return Err(ApiError::too_many_transactions(items.len(), max));
    }
    // Parse everything, verify what parsed (in parallel), submit what verified (in one batch).
    let parsed: Vec<ApiResult<PackedTransaction>> = items.into_iter().map(packed_from_json).collect();
    let to_verify: Vec<PackedTransaction> = parsed.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
    let mut verified = verify_all(&s, to_verify).await?.into_iter();
    let mut slots: Vec<Result<Checksum256, (Option<Checksum256>, ApiError)>> = Vec::with_capacity(parsed.len());
    let mut batch = Vec::new();
    for r in parsed {
        slots.push(match r {
            Err(e) => Err((None, e)),
            Ok(_) => match verified.next() {
                Some(Ok(vt)) => {
                    let id = vt.id;
                    batch.push(vt);
                    Ok(id)
                }
                Some(Err(e)) => Err((None, e)),
                None => Err((None, ApiError::internal("missing verification result"))),
            },
        });
    }
    let start = Instant::now();
    let results = if batch.is_empty() { Vec::new() } else { submit(&s, batch).await? };
    let elapsed = start.elapsed().as_micros() as u64;
    let traces: Vec<&TransactionTrace> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let abis = abis_for(&s, &traces);
    let now = s.read(|c| c.now());
    let mut results = results.into_iter();
    let out: Vec<Value> = slots
        .into_iter()
        .map(|slot| {
            let outcome = match slot {
                Ok(id) => match results.next() {
                    Some(Ok(trace)) => Ok((id, trace)),
                    Some(Err(e)) => Err((Some(id), ApiError::chain(&e))),
                    None => Err((Some(id), ApiError::internal("missing result"))),
                },
                Err(e) => Err(e),
            };
            match outcome {
                Ok((id, trace)) => {
                    json!({"transaction_id": id, "processed": render::processed(&trace, elapsed, &abis)})
                }
                Err((id, e)) => {
                    let e = e.in_method("push_transactions");
                    json!({
                        "transaction_id": id.map(|i| i.to_string()).unwrap_or_default(),
                        "processed": failure_trace(id, &e, now),
                    })
                }
            }
        })
        .collect();
    Reply::accepted(Value::Array(out))
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
}
