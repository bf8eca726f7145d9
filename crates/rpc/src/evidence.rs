//! `/v1/civitas/evidence`: the misbehaviour the chain has on record — double production and
//! conflicting votes — and what this node found that no block has recorded yet
//! (docs/api.md, docs/consensus.md "Evidence").

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use civitas_consensus::records::all_evidence;
use civitas_protocol::{BlockHeader, Evidence, SignedVote, Vote};
use serde_json::{json, Value};

use crate::json::response;
use crate::server::Shared;

fn vote(v: &Vote) -> Value {
    json!({"source_slot": v.source_slot, "first_slot": v.first_slot, "last_slot": v.last_slot})
}

fn header(h: &BlockHeader) -> Value {
    json!({
        "id": h.id(),
        "block_num": h.block_num,
        "slot": h.slot,
        "previous": h.previous,
        "schedule_version": h.schedule_version,
    })
}

fn signed_vote(s: &SignedVote) -> Value {
    match s {
        SignedVote::Approval(a) => json!({"type": "approval", "vote": vote(&a.vote), "target": a.target}),
        SignedVote::Block { header: h, index, .. } => json!({
            "type": "block_vote",
            "vote": h.votes.get(usize::from(*index)).map_or(Value::Null, vote),
            "block": header(h),
        }),
    }
}

/// One piece of evidence as JSON.
pub(crate) fn evidence_json(e: &Evidence, round_len: u64) -> Value {
    match e {
        Evidence::DoubleProduction(d) => json!({
            "kind": "double_production",
            "producer": d.first.producer,
            "slot": d.first.slot,
            "round": d.first.slot / round_len.max(1),
            "first": header(&d.first),
            "second": header(&d.second),
        }),
        Evidence::ConflictingVotes(v) => json!({
            "kind": "conflicting_votes",
            "producer": v.first.producer(),
            "slot": v.slot(),
            "round": v.slot() / round_len.max(1),
            "first": signed_vote(&v.first),
            "second": signed_vote(&v.second),
        }),
    }
}

/// `GET /v1/civitas/evidence`: `recorded` is the evidence in the chain state at the head (what
/// every node holds once the recording block is final), `pending` what this node found and
/// will include in a block it produces.
pub(crate) async fn evidence(State(s): State<Arc<Shared>>) -> Response {
    let round_len = s.params.round_len();
    let (recorded, pending) = s.read(|c| (all_evidence(c.chain().kv()), c.pending_evidence().to_vec()));
    let list = |v: &[Evidence]| v.iter().map(|e| evidence_json(e, round_len)).collect::<Vec<_>>();
    response(StatusCode::OK, &json!({"recorded": list(&recorded), "pending": list(&pending)}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use civitas_protocol::{sha256, Approval, Checksum256, PrivateKey, VoteEvidence};

    #[test]
    fn conflicting_votes_render_both_signed_votes() {
        let key = PrivateKey::from_seed("bpa");
        let chain = sha256(b"c");
        let v = Vote { source_slot: 3, first_slot: 4, last_slot: 6 };
        let a = Approval::sign(&chain, "bpa".parse().unwrap(), v, sha256(b"t"), &key);
        let h = BlockHeader {
            previous: Checksum256::ZERO,
            block_num: 9,
            slot: 5,
            producer: "bpa".parse().unwrap(),
            schedule_version: 1,
            votes: vec![v],
            new_schedule: None,
            transaction_mroot: Checksum256::ZERO,
            state_root: Checksum256::ZERO,
            evidence_root: Checksum256::ZERO,
            approvals_root: Checksum256::ZERO,
            header_extensions: vec![],
        };
        let sig = key.sign_internal(&h.signing_digest(&chain));
        let e = Evidence::ConflictingVotes(VoteEvidence {
            first: SignedVote::Approval(a),
            second: SignedVote::Block { header: h.clone(), signature: sig, index: 0 },
        });
        let j = evidence_json(&e, 21);
        assert_eq!(j["kind"], "conflicting_votes");
        assert_eq!(j["producer"], "bpa");
        assert_eq!(j["round"], 0);
        assert_eq!(j["first"]["type"], "approval");
        assert_eq!(j["second"]["type"], "block_vote");
        assert_eq!(j["second"]["block"]["block_num"], 9);
        assert_eq!(j["second"]["vote"]["first_slot"], 4);
    }
}
