//! `get_info`: the chain's head, last irreversible block and limits (client-surface.md §2.1).
//! Wharfkit decodes it into a typed struct, so every field it requires is always present.

use std::sync::Arc;

use civitas_chain::contracts::system::tables;
use civitas_chain::state;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::server::{Reply, Shared};

/// nodeos's default limits; Civitas bounds blocks by bytes and transaction count instead, but
/// clients (and Wharfkit's typed decoder) expect these numbers.
const VIRTUAL_BLOCK_CPU_LIMIT: u64 = 200_000_000;
const VIRTUAL_BLOCK_NET_LIMIT: u64 = 1_048_576_000;
const BLOCK_CPU_LIMIT: u64 = 200_000;
const BLOCK_NET_LIMIT: u64 = 1_048_576;

/// `POST|GET /v1/chain/get_info`.
pub(crate) async fn get_info(s: Arc<Shared>, _body: Value) -> ApiResult<Reply> {
    let (head, lib, fork_head, total_staked) = s.read(|c| {
        let staked =
            state::get::<tables::GlobalState>(c.chain().kv(), &tables::global_key()).map_or(0, |g| g.total_staked);
        (c.head().clone(), c.lib().clone(), c.forkdb().best(), staked)
    });
    let info = &s.state.info;
    // Stake is split evenly between NET and CPU (genesis and `delegatebw` both do so).
    let half = total_staked / 2;
    Reply::ok(json!({
        "server_version": info.server_version,
        "chain_id": s.chain_id,
        "head_block_num": head.num,
        "last_irreversible_block_num": lib.num,
        "last_irreversible_block_id": lib.id,
        "head_block_id": head.id,
        "head_block_time": head.time,
        "head_block_producer": head.producer,
        "virtual_block_cpu_limit": VIRTUAL_BLOCK_CPU_LIMIT,
        "virtual_block_net_limit": VIRTUAL_BLOCK_NET_LIMIT,
        "block_cpu_limit": BLOCK_CPU_LIMIT,
        "block_net_limit": BLOCK_NET_LIMIT,
        "server_version_string": info.server_version_string,
        "fork_db_head_block_num": fork_head.num,
        "fork_db_head_block_id": fork_head.id,
        "server_full_version_string": info.server_full_version_string,
        "total_cpu_weight": (total_staked - half).to_string(),
        "total_net_weight": half.to_string(),
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
