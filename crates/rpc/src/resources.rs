//! `GET /v1/civitas/resources`: how full the last blocks were against the limits, who used the
//! most, and the RAM market (the dashboard's resource panel; docs/api.md).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use civitas_chain::contracts::system::{global, ram};
use civitas_chain::resources;
use civitas_protocol::Asset;
use serde_json::{json, Value};

use crate::civitas::ok;
use crate::server::Shared;

/// Blocks listed (newest first) and users ranked.
const BLOCKS: usize = 40;
const TOP_USERS: usize = 10;

/// The answer: limits and averages, the latest blocks' usage, the top users over the node's
/// window of recent blocks, and the RAM market with the price of a KiB.
pub(crate) async fn resources(State(s): State<Arc<Shared>>) -> Response {
    let core = s.core_symbol;
    let body = s.read(|c| {
        let chain = c.chain();
        let kv = chain.kv();
        let cfg = chain.config().resources;
        let rs = resources::resource_state(kv);
        let recent = chain.recent_usage();
        let blocks: Vec<Value> = recent
            .blocks()
            .rev()
            .take(BLOCKS)
            .map(|b| {
                json!({"block_num": b.block_num, "cpu_us": b.cpu_us, "net_bytes": b.net_bytes,
                       "virtual_block_cpu_limit": b.virtual_cpu_limit, "virtual_block_net_limit": b.virtual_net_limit})
            })
            .collect();
        let top: Vec<Value> = recent
            .top_users(TOP_USERS)
            .into_iter()
            .map(|(a, cpu, net)| {
                json!({"account": a, "cpu_us": cpu, "net_bytes": net,
                       "ram_usage": resources::ram::usage(kv, a), "ram_quota": resources::ram::quota(kv, a).unwrap_or(-1)})
            })
            .collect();
        let g = global::get(kv);
        let m = ram::market(kv);
        let kib = ram::cost_of_bytes(&m, 1024).and_then(|u| Asset::new(u, core).ok());
        json!({
            "block_cpu_limit": cfg.cpu.max,
            "block_net_limit": cfg.net.max,
            "virtual_block_cpu_limit": rs.virtual_cpu_limit,
            "virtual_block_net_limit": rs.virtual_net_limit,
            "average_block_cpu_usage": rs.average_block_cpu_usage.average(),
            "average_block_net_usage": rs.average_block_net_usage.average(),
            "total_cpu_weight": rs.total_cpu_weight,
            "total_net_weight": rs.total_net_weight,
            "window_blocks": recent.blocks().count(),
            "blocks": blocks,
            "top_users": top,
            "ram": {
                "max_ram_size": g.max_ram_size,
                "total_ram_bytes_reserved": g.total_ram_bytes_reserved,
                "total_ram_stake": Asset::new(g.total_ram_stake, core).ok(),
                "price_per_kib": kib,
            },
        })
    });
    ok(body)
}
