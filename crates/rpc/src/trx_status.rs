//! `get_transaction_status`, in the shape of nodeos's `trx_finality_status` plugin
//! (`chain_plugin.hpp`, `get_transaction_status_results`).
//!
//! nodeos tracks transactions in memory as blocks go by; Civitas has no such tracker and
//! searches the pending pool and the last [`txsearch::SEARCH_BLOCKS`] blocks instead, so the
//! "earliest tracked block" is the lowest block that search reaches.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::civitas::parse_id;
use crate::error::{ApiError, ApiResult};
use crate::json::Params;
use crate::server::{Reply, Shared};
use crate::txsearch::{self, Location};

/// `get_transaction_status` `{id}`: `state` is `LOCALLY_APPLIED` (pending), `IN_BLOCK`,
/// `IRREVERSIBLE` or `UNKNOWN`. Fields in nodeos's order; the block fields and `expiration` are
/// optionals that fc leaves out when unset, the chain fields are always present.
pub(crate) async fn get_transaction_status(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let text = p.string("id")?.ok_or_else(|| ApiError::invalid("missing field \"id\""))?;
    let id = parse_id(&text)?;
    let found = txsearch::locate(&s, id).await?;
    let (earliest_num, earliest_id) = txsearch::earliest_tracked(&s).await;
    let (head, lib) = s.read(|c| (c.head().clone(), c.lib().clone()));
    let mut v = Map::new();
    let mut put = |k: &str, val: Value| {
        v.insert(k.to_string(), val);
    };
    let state = match &found {
        Location::Pending(_) => "LOCALLY_APPLIED",
        Location::InBlock { irreversible: true, .. } => "IRREVERSIBLE",
        Location::InBlock { .. } => "IN_BLOCK",
        Location::Unknown { .. } => "UNKNOWN",
    };
    put("state", json!(state));
    if let Location::InBlock { block, .. } = &found {
        put("block_number", json!(block.block_num()));
        put("block_id", json!(block.id()));
        put("block_timestamp", json!(s.params.slot_time(block.header.slot)));
    }
    // nodeos keeps the expiration as an fc::time_point, printed with milliseconds.
    match &found {
        Location::Pending(vt) => put("expiration", json!(vt.trx.expiration.to_time_point())),
        Location::InBlock { trx, .. } => put("expiration", json!(trx.expiration.to_time_point())),
        Location::Unknown { .. } => {}
    }
    put("head_number", json!(head.num));
    put("head_id", json!(head.id));
    put("head_timestamp", json!(head.time));
    put("irreversible_number", json!(lib.num));
    put("irreversible_id", json!(lib.id));
    put("irreversible_timestamp", json!(lib.time));
    put("earliest_tracked_block_id", json!(earliest_id));
    put("earliest_tracked_block_number", json!(earliest_num));
    Reply::ok(Value::Object(v))
}
