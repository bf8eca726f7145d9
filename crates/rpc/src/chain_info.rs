//! `get_info`: the chain's head, last irreversible block and limits (client-surface.md §2.1).
//! Wharfkit decodes it into a typed struct, so every field it requires is always present.

use std::sync::Arc;

use civitas_chain::resources;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::server::{Reply, Shared};

/// `POST|GET /v1/chain/get_info`.
pub(crate) async fn get_info(s: Arc<Shared>, _body: Value) -> ApiResult<Reply> {
    let (head, lib, fork_head, rs, cfg) = s.read(|c| {
        let rs = resources::resource_state(c.chain().kv());
        (c.head().clone(), c.lib().clone(), c.forkdb().best(), rs, c.chain().config().resources)
    });
    let info = &s.state.info;
    Reply::ok(json!({
        "server_version": info.server_version,
        "chain_id": s.chain_id,
        "head_block_num": head.num,
        "last_irreversible_block_num": lib.num,
        "last_irreversible_block_id": lib.id,
        "head_block_id": head.id,
        "head_block_time": head.time,
        "head_block_producer": head.producer,
        // The elastic limits accounts share, and a block's real limits (µs of the billing
        // schedule, bytes).
        "virtual_block_cpu_limit": rs.virtual_cpu_limit,
        "virtual_block_net_limit": rs.virtual_net_limit,
        "block_cpu_limit": cfg.cpu.max,
        "block_net_limit": cfg.net.max,
        "server_version_string": info.server_version_string,
        "fork_db_head_block_num": fork_head.num,
        "fork_db_head_block_id": fork_head.id,
        "server_full_version_string": info.server_full_version_string,
        "total_cpu_weight": rs.total_cpu_weight.to_string(),
        "total_net_weight": rs.total_net_weight.to_string(),
        "earliest_available_block_num": s.state.blocks.earliest_num(),
        "last_irreversible_block_time": lib.time,
    }))
}

/// `get_activated_protocol_features`: Civitas has activated none yet (protocol features are
/// named rule changes of SPEC §6.2). nodeos's `more` is an optional that fc leaves out when
/// there is nothing more, so it is absent here.
pub(crate) async fn get_activated_protocol_features(_s: Arc<Shared>, _body: Value) -> ApiResult<Reply> {
    Reply::ok(json!({"activated_protocol_features": []}))
}
