//! Where a round's schedule comes from: the state this node itself validated. The schedule of
//! round `r+1` on a branch is elected from the state after that branch's last block before
//! the round (its parent), and shuffled with a seed from the ids of the parent's round. A
//! header is checked only against that derived schedule, never against the one it carries
//! (`new_schedule`, kept for light clients), so no peer can make this node accept a block
//! signed under a schedule it made up (docs/consensus.md, "Schedule derivation").
//!
//! The inputs of that derivation — the elected set and the round accumulator — are read from
//! the state after a block the first time a first-of-round child of it arrives: at once when
//! the block is the head (the usual case: the next round's first block builds on the head),
//! otherwise by applying the block's branch for a moment and returning to the head. The
//! result is kept per block while the block is in the fork database.

use std::sync::Arc;

use civitas_protocol::checksum::{sha256_concat, Checksum256};
use civitas_protocol::{ProducerKey, ProducerSchedule};

use crate::core::Consensus;
use crate::error::BlockError;
use crate::forkdb::BlockEntry;
use crate::records;
use crate::schedule::{next_schedule, shuffle};

/// What the schedule of a round that follows a block depends on, read from the state after
/// that block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundBasis {
    /// The elected producers, best first (before the shuffle).
    pub elected: Vec<ProducerKey>,
    /// The accumulator over the ids of the block's round, the block's own id included.
    pub round_acc: Checksum256,
}

impl RoundBasis {
    /// The schedule of `round` on top of `parent`, whose basis this is.
    pub fn schedule(&self, parent: &BlockEntry, round: u64) -> ProducerSchedule {
        let seed = sha256_concat(&[&self.round_acc.0, &round.to_le_bytes()]);
        next_schedule(&parent.schedule, shuffle(self.elected.clone(), &seed))
    }
}

impl Consensus {
    /// The schedule of `round` for a block whose parent is `parent`, derived from the state
    /// after `parent` (applied by this node: at once if it is the head, else by a brief visit
    /// of its branch). Fails if the parent's branch turns out not to apply.
    pub(crate) fn schedule_after(
        &mut self,
        parent: &Arc<BlockEntry>,
        round: u64,
    ) -> Result<ProducerSchedule, BlockError> {
        Ok(self.basis(parent)?.schedule(parent, round))
    }

    /// The basis of the state after the head (read now; the chain state is the head's).
    fn read_basis(&self) -> RoundBasis {
        let head = &self.head;
        RoundBasis {
            elected: self.chain.elect(self.params.producers as usize, &head.schedule.producers),
            round_acc: records::round_acc_after(self.chain.kv(), &head.id, head.round),
        }
    }

    fn basis(&mut self, parent: &Arc<BlockEntry>) -> Result<Arc<RoundBasis>, BlockError> {
        if let Some(b) = self.bases.get(&parent.id) {
            return Ok(b.clone());
        }
        if self.head.id != parent.id {
            // Apply the parent's branch for a moment. Its headers were validated against
            // derived schedules, so only byzantine producers' forks can make us do this, once
            // per block they sign.
            let back = self.head.clone();
            if let Err((bad, err)) = self.switch_to(parent) {
                for id in self.forkdb.remove_subtree(&bad) {
                    self.mark_invalid(id);
                    self.senders.remove(&id);
                }
                return Err(if bad == parent.id { err } else { BlockError::InvalidAncestor(bad) });
            }
            let basis = Arc::new(self.read_basis());
            self.bases.insert(parent.id, basis.clone());
            self.switch_to(&back).unwrap_or_else(|_| panic!("the head {} applies again", back.id));
            return Ok(basis);
        }
        let basis = Arc::new(self.read_basis());
        self.bases.insert(parent.id, basis.clone());
        Ok(basis)
    }
}
