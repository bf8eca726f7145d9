//! `get_block_header_state` in nodeos's shape: the fields of `block_header_state_legacy`
//! (Leap `block_header_state_legacy.hpp`, serialized by fc reflection), each filled with the
//! closest true value Civitas has. docs/api.md lists what each field means here.
//!
//! nodeos answers only for blocks in its fork database; so does the full shape here (the
//! reversible blocks and the last irreversible block). Older blocks, which nodeos refuses, get
//! `{block_num, id, header, irreversible}`: enough for eosjs's TAPOS lookup.

use std::collections::BTreeMap;
use std::sync::Arc;

use civitas_consensus::BlockEntry;
use civitas_protocol::{sha256, Name, Pack};
use serde_json::{json, Map, Value};

use crate::blocks::{block_ref, find, header_json, not_found};
use crate::error::ApiResult;
use crate::json::Params;
use crate::producers::schedule_json;
use crate::server::{Reply, Shared};

/// `get_block_header_state` `{block_num_or_id}`.
pub(crate) async fn get_block_header_state(s: Arc<Shared>, body: Value) -> ApiResult<Reply> {
    let p = Params::new(body)?;
    let r = block_ref(&p, "block_num_or_id")?;
    let found = find(&s, r).ok_or_else(|| not_found(r))?;
    let b = &found.block;
    let mut header = header_json(&s, b);
    if let Some(obj) = header.as_object_mut() {
        obj.insert("producer_signature".into(), json!(b.producer_signature));
    }
    let mut v = Map::new();
    let mut put = |k: &str, val: Value| {
        v.insert(k.to_string(), val);
    };
    put("block_num", json!(b.block_num()));
    let Some(e) = &found.entry else {
        put("id", json!(b.id()));
        put("header", header);
        put("irreversible", json!(found.irreversible));
        return Reply::ok(Value::Object(v));
    };
    // Everything the fork database and the archive of irreversible headers still hold below
    // this block, newest first: in memory, a few rounds at most.
    let below = s.read(|c| c.forkdb().chain_above(e, e.num.saturating_sub(c.forkdb().window())));
    let lib = e.finality.lib;
    put("dpos_proposed_irreversible_blocknum", json!(e.finality.justified.last().map_or(lib, |j| j.1)));
    put("dpos_irreversible_blocknum", json!(lib));
    put("active_schedule", schedule_json(&e.schedule));
    // Civitas keeps no merkle tree of block ids (the state root in `action_mroot` is what it
    // commits to), so the tree is the empty one.
    put("blockroot_merkle", json!({"_active_nodes": [], "_node_count": 0}));
    put("producer_to_last_produced", pairs(last_produced(e, &below)));
    put("producer_to_last_implied_irb", pairs(last_implied_irb(e, &below)));
    put("valid_block_signing_authority", signing_authority(e));
    // Finality comes from votes, not from per-block confirmation counts.
    put("confirm_count", json!([]));
    put("id", json!(e.id));
    put("header", header);
    put("pending_schedule", pending_schedule(&s, e, &below));
    put("activated_protocol_features", json!({"protocol_features": []}));
    put("additional_signatures", json!([]));
    // Civitas's own finality view of the block.
    put("irreversible", json!(found.irreversible));
    put("bft_irreversible_blocknum", json!(lib));
    put("round", json!(e.round));
    put("slot", json!(e.slot));
    let justified: Vec<Value> =
        e.finality.justified.iter().map(|(slot, num)| json!({"slot": slot, "block_num": num})).collect();
    put("justified", Value::Array(justified));
    Reply::ok(Value::Object(v))
}

/// An fc `flat_map<name, uint32_t>`: `[[name, n], …]` ordered by the names' u64 values.
fn pairs(m: BTreeMap<Name, u32>) -> Value {
    Value::Array(m.into_iter().map(|(k, n)| json!([k, n])).collect())
}

/// For each producer of the block's schedule, its latest block at or below this one on this
/// chain; producers without a block in the held headers are left out.
fn last_produced(e: &BlockEntry, below: &[(u32, u64, Name)]) -> BTreeMap<Name, u32> {
    let mut out = BTreeMap::new();
    for p in &e.schedule.producers {
        if let Some((num, _, _)) = below.iter().find(|b| b.2 == p.producer_name) {
            out.insert(p.producer_name, *num);
        }
    }
    out
}

/// For each producer of the block's schedule, the block its latest finality vote on this chain
/// builds on (the vote's source: a block the producer saw justified, which is what nodeos's
/// implied irreversible block stands for). Producers without a vote, or whose source is below
/// the held headers, are left out.
fn last_implied_irb(e: &BlockEntry, below: &[(u32, u64, Name)]) -> BTreeMap<Name, u32> {
    let mut out = BTreeMap::new();
    for p in &e.schedule.producers {
        let Some((source, _)) = e.last_votes.get(&p.producer_name) else { continue };
        // The newest block at or below the source slot; `below` is newest first.
        let lowest_held = below.last().map_or(u64::MAX, |b| b.1);
        if *source < lowest_held {
            continue;
        }
        if let Some((num, _, _)) = below.iter().find(|b| b.1 <= *source) {
            out.insert(p.producer_name, *num);
        }
    }
    out
}

/// The block producer's signing authority as the fc variant `[0, block_signing_authority_v0]`.
/// The genesis block has no producer in the schedule and no signature: an authority nothing
/// needs to satisfy (threshold 0, no keys).
fn signing_authority(e: &BlockEntry) -> Value {
    match e.schedule.producers.iter().find(|p| p.producer_name == e.producer) {
        Some(p) => json!([0, {"threshold": 1, "keys": [{"key": p.block_signing_key, "weight": 1}]}]),
        None => json!([0, {"threshold": 0, "keys": []}]),
    }
}

/// nodeos's `pending_schedule` when nothing is pending (what it keeps after promoting a
/// schedule): the active version with no producers, the hash of the schedule that was last
/// proposed, and the block that proposed it. In Civitas every round's schedule is carried by the
/// round's first block and takes effect there, so that block is the one reported.
fn pending_schedule(s: &Shared, e: &BlockEntry, below: &[(u32, u64, Name)]) -> Value {
    let round_start = below.iter().take_while(|b| s.params.round_of(b.1) == e.round).last().map_or(e.num, |b| b.0);
    json!({
        "schedule_lib_num": round_start,
        "schedule_hash": sha256(&e.schedule.packed()),
        "schedule": {"version": e.schedule.version, "producers": []},
    })
}
