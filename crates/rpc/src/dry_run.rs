//! `compute_transaction` and `send_read_only_transaction`: a packed transaction executed on top
//! of the head and forgotten ([`civitas_consensus::Consensus::dry_run_transactions`]), answered
//! with the trace `push_transaction` would give (HTTP 200, as nodeos's read-only API answers).
//! Which checks apply is nodeos's (see [`civitas_chain::transient`]): a dry run does not need
//! signatures that satisfy the authority; a read-only transaction declares no authority and may
//! not change the state, which every native Civitas action does, so on Civitas it always fails
//! the way nodeos would fail it.
//!
//! The core is borrowed under a short write lock on a blocking thread: the dry run opens a
//! block, applies the one transaction and aborts the block, leaving the core exactly as it found
//! it (nothing goes through the node's core task, which would admit and relay what it gets).

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use civitas_chain::Transient;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::json::Params;
use crate::push::{abis_for, packed_from_json, pushed_json, verify_one};
use crate::server::{Reply, Shared};

/// `compute_transaction` `{transaction}`.
pub(crate) async fn compute_transaction(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    dry_run(s, body, Transient::DryRun).await
}

/// `send_read_only_transaction` `{transaction}`.
pub(crate) async fn send_read_only_transaction(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    dry_run(s, body, Transient::ReadOnly).await
}

async fn dry_run(s: Arc<Shared>, body: Value, kind: Transient) -> ApiResult<Reply> {
    let mut p = Params::new(body)?;
    let trx = p.take("transaction").ok_or_else(|| ApiError::invalid("missing field \"transaction\""))?;
    let vt = verify_one(&s, packed_from_json(trx)?).await?;
    let core = s.state.core.clone();
    let start = Instant::now();
    let result = tokio::task::spawn_blocking(move || {
        // A poisoned lock means the core task panicked mid-change: reads may still show the
        // last state, but nothing is run on top of it.
        let mut c = core.write().map_err(|_: PoisonError<_>| ApiError::unavailable("the node's core has failed"))?;
        c.dry_run_transactions(std::slice::from_ref(&vt), kind)
            .pop()
            .ok_or_else(|| ApiError::internal("the dry run gave no result"))
    })
    .await
    .map_err(|e| ApiError::internal(format!("the dry run failed: {e}")))??;
    let elapsed = start.elapsed().as_micros() as u64;
    let trace = result.map_err(|e| ApiError::chain(&e))?;
    let abis = abis_for(&s, &[&trace]);
    Reply::ok_raw(pushed_json(&trace, elapsed, &abis)?)
}
