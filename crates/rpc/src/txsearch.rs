//! Finding a transaction by id without a history index: the pending pool, then the head's
//! chain in the fork database, then older blocks from the node's block store, at most
//! [`SEARCH_BLOCKS`] blocks below the head. Ids are hashed from the packed transactions on a
//! blocking thread.

use std::sync::Arc;

use civitas_consensus::Consensus;
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{sha256, Checksum256, SignedBlock, Transaction, Unpack};
use serde_json::{json, Value};

use crate::abis::RawAbis;
use crate::error::{ApiError, ApiResult};
use crate::render;
use crate::server::Shared;

/// How far below the head a lookup searches.
pub(crate) const SEARCH_BLOCKS: u32 = 600;

/// Where a transaction is.
pub(crate) enum Location {
    /// Admitted, waiting for a block.
    Pending(Arc<VerifiedTransaction>),
    /// In a block of the head's chain.
    InBlock {
        /// The block.
        block: Arc<SignedBlock>,
        /// Position in the block.
        index: usize,
        /// The decoded transaction.
        trx: Transaction,
        /// True if the block is irreversible.
        irreversible: bool,
    },
    /// Not found in the pool nor in blocks `searched_from..=head`.
    Unknown {
        /// The lowest block searched.
        searched_from: u32,
    },
}

/// The position and decoded form of `id` in `block`, if it is there.
fn scan(block: &SignedBlock, id: &Checksum256, max_size: usize) -> Option<(usize, Transaction)> {
    block.transactions.iter().enumerate().find_map(|(i, p)| {
        let raw = p.raw_trx(max_size).ok()?;
        if sha256(&raw) != *id {
            return None;
        }
        Transaction::unpack_exact(&raw).ok().map(|t| (i, t))
    })
}

/// The blocks of the head's branch held in memory, head first: down to the LIB (inclusive) and
/// at most [`SEARCH_BLOCKS`] below the head; and the lowest number searched.
fn reversible_blocks(c: &Consensus) -> (Vec<Arc<SignedBlock>>, u32) {
    let head = c.head();
    let lowest = head.num.saturating_sub(SEARCH_BLOCKS).max(1);
    let mut recent = Vec::new();
    let mut cur = Some(head.clone());
    while let Some(e) = cur {
        if e.num < lowest {
            break;
        }
        recent.push(e.block.clone());
        cur = if e.num > c.lib().num { c.forkdb().get(&e.previous()).cloned() } else { None };
    }
    (recent, lowest)
}

/// The lowest block a lookup searches (nodeos's `earliest_tracked_block`): [`SEARCH_BLOCKS`]
/// below the head, or the lowest block of the head's branch the node holds when its block store
/// does not reach that far.
pub(crate) async fn earliest_tracked(s: &Arc<Shared>) -> (u32, Checksum256) {
    let (lowest, held) = s.read(|c| {
        let (recent, lowest) = reversible_blocks(c);
        (lowest, recent.last().map(|b| (b.block_num(), b.id())))
    });
    let held = held.unwrap_or((lowest, Checksum256::ZERO));
    if held.0 <= lowest {
        return held;
    }
    let shared = s.clone();
    let stored = tokio::task::spawn_blocking(move || shared.state.blocks.by_num(lowest).map(|b| (lowest, b.id())));
    stored.await.ok().flatten().unwrap_or(held)
}

/// Looks `id` up.
pub(crate) async fn locate(s: &Arc<Shared>, id: Checksum256) -> ApiResult<Location> {
    let (pending, recent, lib, lowest) = s.read(|c| {
        let pending = if c.pool().contains(&id) { c.pool().iter().find(|vt| vt.id == id).cloned() } else { None };
        let (recent, lowest) = reversible_blocks(c);
        (pending, recent, c.lib().num, lowest)
    });
    if let Some(vt) = pending {
        return Ok(Location::Pending(vt));
    }
    let shared = s.clone();
    tokio::task::spawn_blocking(move || {
        let max = shared.max_trx_size;
        let found = |block: Arc<SignedBlock>| {
            scan(&block, &id, max).map(|(index, trx)| Location::InBlock {
                irreversible: block.block_num() <= lib,
                block,
                index,
                trx,
            })
        };
        let mut next = recent.last().map_or(0, |b| b.block_num().saturating_sub(1));
        for b in recent {
            if let Some(loc) = found(b) {
                return loc;
            }
        }
        while next >= lowest && next >= 1 {
            let Some(b) = shared.state.blocks.by_num(next) else { break };
            if let Some(loc) = found(b) {
                return loc;
            }
            next -= 1;
        }
        Location::Unknown { searched_from: lowest }
    })
    .await
    .map_err(|e| ApiError::internal(format!("transaction search failed: {e}")))
}

/// The JSON of a found transaction.
pub(crate) fn describe(s: &Shared, id: Checksum256, loc: &Location) -> Value {
    let (trx, signatures) = match loc {
        Location::Pending(vt) => (&vt.trx, &vt.packed.signatures),
        Location::InBlock { block, index, trx, .. } => (trx, &block.transactions[*index].signatures),
        Location::Unknown { .. } => return json!({"id": id, "status": "unknown"}),
    };
    let raw = s.read(|c| RawAbis::collect(c.chain(), render::contracts_of(trx)));
    let abis = raw.resolve(&s.abis);
    let mut v = json!({
        "id": id,
        "status": "pending",
        "signatures": signatures,
        "transaction": render::transaction(trx, &abis),
    });
    if let Location::InBlock { block, index, irreversible, .. } = loc {
        v["status"] = json!(if *irreversible { "irreversible" } else { "reversible" });
        v["block_num"] = json!(block.block_num());
        v["block_id"] = json!(block.id());
        v["block_time"] = json!(s.params.slot_time(block.header.slot));
        v["index"] = json!(index);
    }
    v
}

/// The latest `limit` transactions on the head's chain, newest first (within a block, last
/// first), from at most [`SEARCH_BLOCKS`] blocks below the head, each with its block and its
/// actions decoded. The blocks are collected under the lock; unpacking and hashing happen on a
/// blocking thread, with stored blocks read there too.
pub(crate) async fn recent(s: &Arc<Shared>, limit: usize) -> ApiResult<Vec<Value>> {
    let (recent, lib, lowest) = s.read(|c| {
        let (recent, lowest) = reversible_blocks(c);
        (recent, c.lib().num, lowest)
    });
    let shared = s.clone();
    let found = tokio::task::spawn_blocking(move || {
        let max = shared.max_trx_size;
        let mut out: Vec<(Arc<SignedBlock>, usize, Checksum256, Transaction)> = Vec::new();
        let take = |block: &Arc<SignedBlock>, out: &mut Vec<_>| {
            for (i, p) in block.transactions.iter().enumerate().rev() {
                if out.len() == limit {
                    return;
                }
                // A block holds only valid transactions; one that does not unpack is skipped
                // rather than failing the whole list.
                let Ok(raw) = p.raw_trx(max) else { continue };
                let Ok(trx) = Transaction::unpack_exact(&raw) else { continue };
                out.push((block.clone(), i, sha256(&raw), trx));
            }
        };
        let mut next = recent.last().map_or(0, |b| b.block_num().saturating_sub(1));
        for b in &recent {
            take(b, &mut out);
        }
        while out.len() < limit && next >= lowest && next >= 1 {
            let Some(b) = shared.state.blocks.by_num(next) else { break };
            take(&b, &mut out);
            next -= 1;
        }
        out
    })
    .await
    .map_err(|e| ApiError::internal(format!("transaction listing failed: {e}")))?;
    let raw = s.read(|c| RawAbis::collect(c.chain(), found.iter().flat_map(|f| render::contracts_of(&f.3))));
    let abis = raw.resolve(&s.abis);
    Ok(found
        .iter()
        .map(|(block, index, id, trx)| {
            json!({
                "id": id,
                "block_num": block.block_num(),
                "block_id": block.id(),
                "block_time": s.params.slot_time(block.header.slot),
                "index": index,
                "irreversible": block.block_num() <= lib,
                "signatures": block.transactions[*index].signatures.len(),
                "actions": trx.actions.iter().map(|a| render::action(a, &abis)).collect::<Vec<_>>(),
            })
        })
        .collect())
}
