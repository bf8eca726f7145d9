//! `GET /metrics`: Prometheus text format — head and LIB heights, the LIB lag in blocks and
//! seconds, the pending pool and fork database sizes, the current slot and round — followed by
//! whatever the node's [`crate::MetricsSource`] adds (peers, apply times, …).

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::server::Shared;

/// The Prometheus text exposition content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

/// The metrics page.
pub(crate) async fn metrics(State(s): State<Arc<Shared>>) -> Response {
    let (head_num, head_time, head_slot, lib_num, lib_time, pool, forkdb, now, producers) = s.read(|c| {
        let (h, l) = (c.head(), c.lib());
        (h.num, h.time, h.slot, l.num, l.time, c.pool().len(), c.forkdb().len(), c.now(), h.schedule.producers.len())
    });
    let slot = s.params.slot_at(now).unwrap_or(0).max(head_slot);
    let mut out = String::with_capacity(2048);
    gauge(&mut out, "civitas_head_block_num", "Height of the head block.", head_num);
    gauge(&mut out, "civitas_lib_block_num", "Height of the last irreversible block.", lib_num);
    gauge(
        &mut out,
        "civitas_lib_lag_blocks",
        "Blocks between the head and the last irreversible block.",
        head_num - lib_num.min(head_num),
    );
    gauge(
        &mut out,
        "civitas_lib_lag_seconds",
        "Seconds between the head's and the last irreversible block's slot times.",
        (head_time.0 - lib_time.0) as f64 / 1e6,
    );
    gauge(&mut out, "civitas_head_slot", "Slot of the head block.", head_slot);
    gauge(&mut out, "civitas_current_slot", "The slot the node's clock is in.", slot);
    gauge(&mut out, "civitas_round", "The round the node's clock is in.", s.params.round_of(slot));
    gauge(&mut out, "civitas_active_producers", "Producers in the head's schedule.", producers);
    gauge(&mut out, "civitas_pending_transactions", "Transactions waiting in the pending pool.", pool);
    gauge(&mut out, "civitas_forkdb_blocks", "Blocks held in the fork database.", forkdb);
    s.state.metrics.render(&mut out);
    let mut r = out.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    r
}
