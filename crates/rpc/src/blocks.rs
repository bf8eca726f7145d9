//! Blocks: `get_block` and `get_block_info` (client-surface.md §2.7), and the lookup that
//! `get_block_header_state` and the Civitas views share.
//!
//! Blocks above the last irreversible block come from the fork database along the head's
//! chain; older ones from the node's [`crate::BlockSource`] (called outside the core lock).

use std::sync::Arc;

use civitas_consensus::BlockEntry;
use civitas_protocol::transaction::tapos_of;
use civitas_protocol::{Checksum256, SignedBlock};
use serde_json::{json, Value};

use crate::abis::RawAbis;
use crate::error::{ApiError, ApiResult};
use crate::json::{describe, Params};
use crate::render;
use crate::server::{Reply, Shared};

/// A block number or id as clients send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockRef {
    /// By height.
    Num(u32),
    /// By id.
    Id(Checksum256),
}

/// Reads `key` as a number, a decimal string or a 64-hex block id.
pub(crate) fn block_ref(p: &Params, key: &str) -> ApiResult<BlockRef> {
    let v = p.require(key)?;
    let bad = || {
        ApiError::invalid(format!(
            "field \"{key}\": expected a block number or a 64-hex block id, found {}",
            describe(v)
        ))
    };
    if let Some(n) = crate::json::to_u64(v) {
        return u32::try_from(n).map(BlockRef::Num).map_err(|_| bad());
    }
    match v {
        Value::String(s) if s.len() == 64 => s.parse().map(BlockRef::Id).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// A block found by [`find`], with its fork-database entry when it is reversible or the LIB.
pub(crate) struct Found {
    /// The block.
    pub block: Arc<SignedBlock>,
    /// Its entry in the fork database, if held there.
    pub entry: Option<Arc<BlockEntry>>,
    /// True if at or below the last irreversible block.
    pub irreversible: bool,
}

/// The entry at height `num` on the head's chain, walking down from the head.
pub(crate) fn on_head_chain(c: &civitas_consensus::Consensus, num: u32) -> Option<Arc<BlockEntry>> {
    let mut cur = c.head().clone();
    while cur.num > num {
        cur = c.forkdb().get(&cur.previous())?.clone();
    }
    (cur.num == num).then_some(cur)
}

/// Looks a block up: the fork database first (under the lock), then the block source.
pub(crate) fn find(s: &Shared, r: BlockRef) -> Option<Found> {
    let (entry, lib) = s.read(|c| {
        let lib = c.lib().num;
        let entry = match r {
            BlockRef::Num(n) if n >= lib => on_head_chain(c, n),
            BlockRef::Num(_) => None,
            BlockRef::Id(id) => c.forkdb().get(&id).cloned(),
        };
        (entry, lib)
    });
    if let Some(e) = entry {
        return Some(Found { block: e.block.clone(), irreversible: e.num <= lib, entry: Some(e) });
    }
    let block = match r {
        BlockRef::Num(n) if n < lib => s.state.blocks.by_num(n),
        BlockRef::Num(_) => None,
        BlockRef::Id(id) => s.state.blocks.by_id(&id).filter(|b| b.id() == id),
    }?;
    let irreversible = block.block_num() <= lib;
    Some(Found { block, entry: None, irreversible })
}

/// The error for a block the node does not hold.
pub(crate) fn not_found(r: BlockRef) -> ApiError {
    match r {
        BlockRef::Num(n) => ApiError::unknown_block(format!("Could not find block: {n}")),
        BlockRef::Id(id) => ApiError::unknown_block(format!("Could not find block: {id}")),
    }
}

/// The header fields every block view shares, in nodeos's names. `action_mroot` carries the
/// state root (Civitas commits to state, not to action receipts); `confirmed` is 0 because
/// finality comes from votes, not from confirmation counts.
pub(crate) fn header_json(s: &Shared, b: &SignedBlock) -> Value {
    let h = &b.header;
    json!({
        "timestamp": s.params.slot_time(h.slot),
        "producer": h.producer,
        "confirmed": 0,
        "previous": h.previous,
        "transaction_mroot": h.transaction_mroot,
        "action_mroot": h.state_root,
        "schedule_version": h.schedule_version,
        "new_producers": null,
        "header_extensions": h.header_extensions,
    })
}

/// `get_block`: the header, every transaction decoded, the id, and Civitas extras (slot,
/// votes, approval and evidence counts).
pub(crate) async fn get_block(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let r = block_ref(&p, "block_num_or_id")?;
    let found = find(&s, r).ok_or_else(|| not_found(r))?;
    let b = &found.block;
    let trxs: Vec<_> = b.transactions.iter().filter_map(|t| t.unpack_trx(s.max_trx_size).ok()).collect();
    let raw = s.read(|c| RawAbis::collect(c.chain(), trxs.iter().flat_map(|(t, _)| render::contracts_of(t))));
    let abis = raw.resolve(&s.abis);
    let mut v = header_json(&s, b);
    let (_, prefix) = tapos_of(&b.id());
    let obj = v.as_object_mut().ok_or_else(|| ApiError::internal("header is not an object"))?;
    obj.insert("producer_signature".into(), json!(b.producer_signature));
    obj.insert(
        "transactions".into(),
        Value::Array(b.transactions.iter().map(|t| render::block_transaction(t, s.max_trx_size, &abis)).collect()),
    );
    obj.insert("block_extensions".into(), json!(b.block_extensions));
    obj.insert("id".into(), json!(b.id()));
    obj.insert("block_num".into(), json!(b.block_num()));
    obj.insert("ref_block_prefix".into(), json!(prefix));
    obj.insert("slot".into(), json!(b.header.slot));
    obj.insert("votes".into(), json!(b.header.votes));
    obj.insert("approvals".into(), json!(b.approvals.len()));
    obj.insert("evidence".into(), json!(b.evidence.len()));
    obj.insert("irreversible".into(), json!(found.irreversible));
    Reply::ok(v)
}

/// `get_block_info` `{block_num}`: exactly what Wharfkit's typed decoder requires.
pub(crate) async fn get_block_info(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let num = p.u64("block_num")?.ok_or_else(|| ApiError::invalid("missing field \"block_num\""))?;
    let num = u32::try_from(num).map_err(|_| ApiError::invalid(format!("field \"block_num\": {num} is too large")))?;
    let found = find(&s, BlockRef::Num(num)).ok_or_else(|| not_found(BlockRef::Num(num)))?;
    let b = &found.block;
    let id = b.id();
    let (ref_block_num, ref_block_prefix) = tapos_of(&id);
    let h = &b.header;
    Reply::ok(json!({
        "block_num": b.block_num(),
        "ref_block_num": ref_block_num,
        "id": id,
        "timestamp": s.params.slot_time(h.slot),
        "producer": h.producer,
        "confirmed": 0,
        "previous": h.previous,
        "transaction_mroot": h.transaction_mroot,
        "action_mroot": h.state_root,
        "schedule_version": h.schedule_version,
        "producer_signature": b.producer_signature,
        "ref_block_prefix": ref_block_prefix,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_refs_accept_numbers_strings_and_ids() {
        let id = "0000000a".to_string() + &"ab".repeat(28);
        let p = Params::new(json!({"a": 5, "b": "6", "c": id, "d": "xyz", "e": -1, "f": 1u64 << 40})).unwrap();
        assert_eq!(block_ref(&p, "a").unwrap(), BlockRef::Num(5));
        assert_eq!(block_ref(&p, "b").unwrap(), BlockRef::Num(6));
        assert!(matches!(block_ref(&p, "c").unwrap(), BlockRef::Id(_)));
        for k in ["d", "e", "f", "missing"] {
            assert!(block_ref(&p, k).is_err(), "{k}");
        }
    }
}
