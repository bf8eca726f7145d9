//! Explicit approvals (SPEC §3.5): votes signed outside blocks. A producer approves each new
//! head it adopts with the same vote it would carry in a block of its own (same watermark,
//! same rules R1 and R2), gossips it, and the next producer includes the approvals it holds
//! in its block, where finality counts them like any vote. With every producer voting for every
//! block within a network round trip, a block is justified by the next one and final about two
//! blocks later, instead of after 15 and 30 produced blocks.
//!
//! What arrives from peers is checked in order of cost — shape, slot window, membership,
//! duplicates, conflicts already proven — before its signature is recovered, and kept in a
//! pool bounded per producer (`approval_pool.rs`); valid new approvals are relayed once.

use std::sync::Arc;

use civitas_protocol::limits::MAX_BLOCK_APPROVALS;
use civitas_protocol::{Approval, Checksum256, Evidence, ProducerSchedule, SignedVote};

use crate::approval_pool::HeldApproval;
use crate::core::{Consensus, Output, PeerId};
use crate::forkdb::BlockEntry;
use crate::produce::honest_votes;
use crate::rules::{approval_key, check_approval, vote_is_well_formed};
use crate::schedule::key_of;

/// How far ahead of the local clock an approval may be (the same as for blocks).
const FUTURE_SLOTS: u64 = 2;

impl Consensus {
    /// An approval from a peer: kept for inclusion and relayed if it is new, signed by a
    /// producer of the head's round or the one before, and for a slot above the LIB and not
    /// in the future. An approval that conflicts with one its producer signed before becomes
    /// evidence instead.
    pub(crate) fn on_approval(&mut self, a: Arc<Approval>, from: Option<PeerId>, out: &mut Output) {
        let v = a.vote;
        if !vote_is_well_formed(&v) {
            if let Some(p) = from {
                out.penalties.push((p, format!("malformed approval from {}", a.producer)));
            }
            return;
        }
        let now_slot = self.params.slot_at(self.now).unwrap_or(0);
        if v.last_slot <= self.lib().slot || v.last_slot > now_slot + FUTURE_SLOTS {
            return;
        }
        let Some(key) = approval_key(&self.head.schedule, &self.head.prev_schedule, a.producer) else {
            return;
        };
        if let Some(held) = self.approvals.get(a.producer, v.first_slot) {
            if *held.approval == *a {
                return;
            }
        }
        // Conflicts are found before the signature is checked, so that a producer flooding
        // variations of its votes costs one recovery per conflict proven, not one per message.
        let signed = SignedVote::Approval((*a).clone());
        let conflict = self.find_conflict(&signed, &v);
        if let Some(e) = &conflict {
            if self.evidence_known(&Evidence::ConflictingVotes(e.clone())) {
                return;
            }
        }
        let chain_id = self.chain.config().chain_id;
        if self.config.verifier.recover(&a.digest(&chain_id), &a.signature) != Ok(key) {
            if let Some(p) = from {
                out.penalties.push((p, format!("approval not signed by {}", a.producer)));
            }
            return;
        }
        if let Some(e) = conflict {
            self.add_evidence(Evidence::ConflictingVotes(e), out);
            return;
        }
        if self.approvals.insert(HeldApproval { approval: a.clone(), signer: key }) {
            out.relay_approvals.push(a);
        }
    }

    /// Approves the head for every local producer of its round (or the round before), unless
    /// the head is that producer's own block or the node is still catching up.
    pub(crate) fn approve_head(&mut self, out: &mut Output) {
        let head = self.head.clone();
        let now_slot = self.params.slot_at(self.now).unwrap_or(0);
        if head.num <= 1 || head.slot + 2 < now_slot {
            return;
        }
        let chain_id = self.chain.config().chain_id;
        for local in self.config.producers.clone() {
            let pk = local.public;
            let member =
                key_of(&head.schedule, local.name) == Some(pk) || key_of(&head.prev_schedule, local.name) == Some(pk);
            if !member || head.producer == local.name {
                continue;
            }
            let mut wm = self.watermark(local.name);
            let votes = honest_votes(&head, head.slot, &wm, local.name);
            if votes.is_empty() {
                continue;
            }
            for v in &votes {
                let target =
                    if v.last_slot == head.slot { Some(head.id) } else { self.block_at_slot(&head, v.last_slot) };
                let Some(target) = target else { continue };
                let a = Arc::new(Approval::sign(&chain_id, local.name, *v, target, &local.key));
                // Our own share of the pool holds only what we sign: nobody else can push it out.
                self.approvals.insert(HeldApproval { approval: a.clone(), signer: pk });
                out.approvals.push(a);
            }
            if let Some(v) = votes.last() {
                wm.vote_top = v.last_slot;
                wm.vote_source = v.source_slot;
            }
            self.watermarks.insert(local.name, wm);
            out.watermarks.push((local.name, wm));
        }
    }

    /// The id of the block at `slot` on the chain ending at `tip`.
    fn block_at_slot(&self, tip: &BlockEntry, slot: u64) -> Option<Checksum256> {
        let mut cur = Some(tip.id);
        while let Some(id) = cur {
            let e = self.forkdb.get(&id)?;
            if e.slot == slot {
                return Some(e.id);
            }
            if e.slot < slot {
                return None;
            }
            cur = Some(e.previous());
        }
        None
    }

    /// The approvals a block on `head` with these schedules can carry, in inclusion order.
    pub(crate) fn select_approvals(
        &self,
        head: &BlockEntry,
        schedule: &ProducerSchedule,
        prev: &ProducerSchedule,
    ) -> Vec<Approval> {
        let chain_id = self.chain.config().chain_id;
        let mut last = (*head.last_votes).clone();
        let mut out = vec![];
        for h in self.approvals.iter() {
            if out.len() >= MAX_BLOCK_APPROVALS {
                break;
            }
            let a = &h.approval;
            // Pool entries were checked against the head's schedules; a block that opens a new
            // round needs them against its own.
            if approval_key(schedule, prev, a.producer) != Some(h.signer) {
                continue;
            }
            let ok = check_approval(
                &self.forkdb,
                head,
                schedule,
                prev,
                a,
                Some(h.signer),
                &mut last,
                &chain_id,
                self.config.verifier.as_ref(),
            );
            if ok.is_ok() {
                out.push((**a).clone());
            }
        }
        out
    }

    /// Forgets approvals and header votes that can no longer matter (at or below the LIB).
    pub(crate) fn prune_approvals(&mut self) {
        let lib_slot = self.lib().slot;
        self.approvals.prune(lib_slot);
        self.header_votes.prune(lib_slot);
    }
}
