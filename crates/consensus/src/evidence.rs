//! Evidence of misbehaviour (docs/consensus.md, "Evidence"): found when valid headers and
//! approvals arrive, carried by the next blocks this node produces, checked and recorded in
//! the chain state when a block applies — so every honest node holds the same record. Only
//! headers valid under the schedule this node derived, and approvals whose signature it
//! checked, can ever become evidence.

use std::sync::Arc;

use civitas_protocol::limits::MAX_BLOCK_EVIDENCE;
use civitas_protocol::{
    DoubleSignEvidence, Evidence, Pack, ProducerSchedule, SignedBlock, SignedVote, Vote, VoteEvidence,
};

use crate::core::{Consensus, Output, SlotSeen};
use crate::error::BlockError;
use crate::records;
use crate::rules::{approval_key, check_vote_conflict, votes_conflict};
use crate::schedule::key_of;

/// Most evidence entries waiting for inclusion.
pub const MAX_PENDING_EVIDENCE: usize = 256;

/// The two signed votes in a canonical order: lower slots first, then by encoding.
fn ordered(a: SignedVote, b: SignedVote) -> VoteEvidence {
    let key = |s: &SignedVote| {
        let v = s.vote().unwrap_or(Vote { source_slot: 0, first_slot: 0, last_slot: 0 });
        (v.first_slot, v.last_slot, s.packed())
    };
    if key(&a) <= key(&b) {
        VoteEvidence { first: a, second: b }
    } else {
        VoteEvidence { first: b, second: a }
    }
}

impl Consensus {
    /// What a valid header tells about its producer: a second block for one slot (double
    /// production), and votes that conflict with others it signed.
    pub(crate) fn note_header(&mut self, block: &SignedBlock, out: &mut Output) {
        let h = &block.header;
        let key = (h.producer, h.slot);
        let id = block.id();
        let mut found = None;
        match self.seen_slots.get_mut(&key) {
            None => {
                let first = (h.clone(), block.producer_signature);
                self.seen_slots.insert(key, SlotSeen { first, versions: 1 });
            }
            Some(seen) if seen.first.0.id() != id => {
                seen.versions = seen.versions.saturating_add(1);
                let (a, b) = (seen.first.clone(), (h.clone(), block.producer_signature));
                let (first, second) = if a.0.id() < b.0.id() { (a, b) } else { (b, a) };
                found = Some(Evidence::DoubleProduction(DoubleSignEvidence {
                    first: first.0,
                    first_signature: first.1,
                    second: second.0,
                    second_signature: second.1,
                }));
            }
            Some(_) => {}
        }
        if let Some(e) = found {
            self.add_evidence(e, out);
        }
        for (i, v) in h.votes.iter().enumerate() {
            let signed = SignedVote::Block { header: h.clone(), signature: block.producer_signature, index: i as u8 };
            if let Some(e) = self.find_conflict(&signed, v) {
                self.add_evidence(Evidence::ConflictingVotes(e), out);
            }
            self.header_votes.insert(*v, signed);
        }
    }

    /// A signed vote (checked) of the same producer that conflicts with `vote`, among the
    /// approvals held and the header votes remembered.
    pub(crate) fn find_conflict(&self, signed: &SignedVote, vote: &Vote) -> Option<VoteEvidence> {
        let p = signed.producer();
        for h in self.approvals.of(p) {
            if votes_conflict(&h.approval.vote, vote) {
                let other = SignedVote::Approval((*h.approval).clone());
                if !other.same_message(signed) {
                    return Some(ordered(other, signed.clone()));
                }
            }
        }
        for other in self.header_votes.of(p) {
            if other.vote().is_some_and(|v| votes_conflict(&v, vote)) && !other.same_message(signed) {
                return Some(ordered(other.clone(), signed.clone()));
            }
        }
        None
    }

    /// True if evidence against this producer for this slot's record is pending or recorded.
    pub(crate) fn evidence_known(&self, e: &Evidence) -> bool {
        let (p, slot) = (e.producer(), e.slot());
        let round = self.params.round_of(slot);
        let same = |x: &Evidence| match (x, e) {
            (Evidence::DoubleProduction(_), Evidence::DoubleProduction(_)) => x.producer() == p && x.slot() == slot,
            (Evidence::ConflictingVotes(_), Evidence::ConflictingVotes(_)) => {
                x.producer() == p && self.params.round_of(x.slot()) == round
            }
            _ => false,
        };
        if self.pending_evidence.iter().any(same) {
            return true;
        }
        match e {
            Evidence::DoubleProduction(_) => records::has_evidence(self.chain.kv(), p, slot),
            Evidence::ConflictingVotes(_) => records::has_vote_evidence(self.chain.kv(), p, round),
        }
    }

    /// Queues new evidence for inclusion (bounded; one record per producer and slot, or per
    /// producer and round for conflicting votes) and reports it.
    pub(crate) fn add_evidence(&mut self, e: Evidence, out: &mut Output) {
        if self.evidence_known(&e) || self.pending_evidence.len() >= MAX_PENDING_EVIDENCE {
            return;
        }
        self.pending_evidence.push(e.clone());
        out.evidence.push(e);
    }

    /// Checks one piece of evidence carried by a block with these schedules and records it
    /// in the open block. Nothing is written unless every check passes.
    pub(crate) fn apply_evidence(
        &mut self,
        ev: &Evidence,
        schedule: &ProducerSchedule,
        prev: &ProducerSchedule,
    ) -> Result<(), BlockError> {
        let chain_id = self.chain.config().chain_id;
        let bad = |m: String| Err(BlockError::Evidence(m));
        match ev {
            Evidence::DoubleProduction(e) => {
                let (a, b) = (&e.first, &e.second);
                if a.producer != b.producer || a.slot != b.slot || a.id() == b.id() {
                    return bad("headers are not two blocks of one producer for one slot".into());
                }
                if records::has_evidence(self.chain.kv(), a.producer, a.slot) {
                    return bad("evidence already recorded".into());
                }
                for (h, sig) in [(a, &e.first_signature), (b, &e.second_signature)] {
                    let sched = records::schedule_by_version(self.chain.kv(), h.schedule_version).ok_or_else(|| {
                        BlockError::Evidence(format!("unknown schedule version {}", h.schedule_version))
                    })?;
                    let key = key_of(&sched, h.producer)
                        .ok_or_else(|| BlockError::Evidence("producer not in schedule".into()))?;
                    let signer = self
                        .config
                        .verifier
                        .recover(&h.signing_digest(&chain_id), sig)
                        .map_err(|e| BlockError::Evidence(e.to_string()))?;
                    if signer != key {
                        return bad("signature does not match the producer's key".into());
                    }
                }
                records::put_evidence(self.chain.kv_mut(), e);
            }
            Evidence::ConflictingVotes(e) => {
                check_vote_conflict(&e.first, &e.second).map_err(BlockError::Evidence)?;
                let producer = e.first.producer();
                let round = self.params.round_of(e.slot());
                if records::has_vote_evidence(self.chain.kv(), producer, round) {
                    return bad("evidence already recorded for this producer and round".into());
                }
                for sv in [&e.first, &e.second] {
                    let key = match sv {
                        SignedVote::Approval(a) => approval_key(schedule, prev, a.producer),
                        SignedVote::Block { header, .. } => {
                            records::schedule_by_version(self.chain.kv(), header.schedule_version)
                                .and_then(|s| key_of(&s, producer))
                        }
                    };
                    let key = key.ok_or_else(|| BlockError::Evidence(format!("no key of {producer} to check")))?;
                    let signer = self
                        .config
                        .verifier
                        .recover(&sv.digest(&chain_id), sv.signature())
                        .map_err(|e| BlockError::Evidence(e.to_string()))?;
                    if signer != key {
                        return bad("a vote is not signed with the producer's key".into());
                    }
                }
                records::put_vote_evidence(self.chain.kv_mut(), round, e);
            }
        }
        Ok(())
    }

    /// The pending evidence a block being built with these schedules can carry, recorded in
    /// the open block; entries that do not apply on this chain are dropped.
    pub(crate) fn include_evidence(
        &mut self,
        schedule: &Arc<ProducerSchedule>,
        prev: &Arc<ProducerSchedule>,
    ) -> Vec<Evidence> {
        let mut included = vec![];
        let mut dropped = vec![];
        for e in self.pending_evidence.clone() {
            if included.len() >= MAX_BLOCK_EVIDENCE {
                break;
            }
            match self.apply_evidence(&e, schedule, prev) {
                Ok(()) => included.push(e),
                Err(_) => dropped.push(e),
            }
        }
        self.pending_evidence.retain(|p| !dropped.contains(p));
        included
    }
}
