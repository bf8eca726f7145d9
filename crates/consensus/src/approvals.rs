//! Explicit approvals (SPEC §3.5): votes signed outside blocks. A producer approves each new
//! head it adopts with the same vote it would carry in a block of its own (same watermark,
//! same rules R1 and R2), gossips it, and the next producer includes the approvals it holds
//! in its block, where finality counts them like any vote. With every producer voting for every
//! block within a network round trip, a block is justified by the next one and final about two
//! blocks later, instead of after 15 and 30 produced blocks.

use std::collections::BTreeMap;
use std::sync::Arc;

use civitas_protocol::{Approval, Checksum256, Name, ProducerSchedule};

use crate::core::{Consensus, Output, PeerId};
use crate::forkdb::{BlockEntry, ForkDb};
use crate::produce::honest_votes;
use crate::schedule::key_of;
use crate::verifier::SigVerifier;

/// The most approvals one block may carry.
pub const MAX_APPROVALS: usize = 256;
/// The most approvals held while waiting for inclusion.
const MAX_POOL: usize = 8192;

/// Checks one approval for inclusion in a block on `parent` with the given schedules, and
/// advances the running per-producer vote marks `last` (R1, R2 along the chain).
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_approval(
    forkdb: &ForkDb,
    parent: &BlockEntry,
    schedule: &ProducerSchedule,
    prev: &ProducerSchedule,
    a: &Approval,
    last: &mut BTreeMap<Name, (u64, u64)>,
    chain_id: &Checksum256,
    verifier: &dyn SigVerifier,
) -> Result<(), String> {
    let key = key_of(schedule, a.producer)
        .or_else(|| key_of(prev, a.producer))
        .ok_or_else(|| format!("{} is not an active producer", a.producer))?;
    let v = a.vote;
    if v.first_slot > v.last_slot || v.source_slot >= v.first_slot {
        return Err(format!("approval slots {}..={} with source {}", v.first_slot, v.last_slot, v.source_slot));
    }
    // A bound that depends on the chain only: the target is then held or archived by every
    // node that holds the parent, whatever its own LIB (see ForkDb::ancestor_slot).
    if v.last_slot + u64::from(forkdb.window()) < parent.slot {
        return Err(format!("approval for slot {} is too old", v.last_slot));
    }
    let target = forkdb.ancestor_slot(&a.target, &parent.id);
    if target != Some(v.last_slot) {
        return Err(format!("approval target {} is not on this chain at slot {}", a.target, v.last_slot));
    }
    let (src, top) = last.get(&a.producer).copied().unwrap_or((0, 0));
    if v.first_slot <= top || v.source_slot < src {
        return Err(format!("approval of {} repeats slots or lowers its source", a.producer));
    }
    if !parent.finality.is_justified(v.source_slot) {
        return Err(format!("approval source slot {} is not a justified block on this chain", v.source_slot));
    }
    let signer = verifier.recover(&a.digest(chain_id), &a.signature).map_err(|e| e.to_string())?;
    if signer != key {
        return Err(format!("approval is not signed by {}", a.producer));
    }
    last.insert(a.producer, (v.source_slot, v.last_slot));
    Ok(())
}

impl Consensus {
    /// An approval from a peer: kept for inclusion if it is signed by an active producer.
    pub(crate) fn on_approval(&mut self, a: Arc<Approval>, _from: Option<PeerId>, _out: &mut Output) {
        let k = (a.producer, a.vote.first_slot);
        if self.approvals.contains_key(&k) || a.vote.last_slot <= self.lib().slot {
            return;
        }
        let head = &self.head;
        let Some(key) = key_of(&head.schedule, a.producer).or_else(|| key_of(&head.prev_schedule, a.producer)) else {
            return;
        };
        let chain_id = self.chain.config().chain_id;
        if self.config.verifier.recover(&a.digest(&chain_id), &a.signature) != Ok(key) {
            return;
        }
        if self.approvals.len() < MAX_POOL {
            self.approvals.insert(k, a);
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
                if self.approvals.len() < MAX_POOL {
                    self.approvals.insert((local.name, v.first_slot), a.clone());
                }
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
        for a in self.approvals.values() {
            if out.len() >= MAX_APPROVALS {
                break;
            }
            let ok = check_approval(
                &self.forkdb,
                head,
                schedule,
                prev,
                a,
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

    /// Forgets approvals that can no longer matter (at or below the LIB).
    pub(crate) fn prune_approvals(&mut self) {
        let lib_slot = self.lib().slot;
        self.approvals.retain(|_, a| a.vote.last_slot > lib_slot);
    }
}
