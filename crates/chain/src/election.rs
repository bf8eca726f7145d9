//! The ranked candidates the consensus core takes at each round boundary (SPEC §3.2).
//!
//! The size rule (docs/governance.md, "Election"): a round never has fewer producers than
//! the configured count while that many registered candidates exist, and never fewer than the
//! round before (Antelope's rule). Without it, one early holder of the activation stake voting
//! for a single candidate would get a one-key chain (quorum of one).

use civitas_protocol::ProducerKey;

use crate::chain::Chain;
use crate::contracts::system::tables;

impl Chain {
    /// The producers for the next round, best first, at most `n` (the consensus layer shuffles
    /// them). `current` is the schedule of the round that ends.
    ///
    /// Until elections activate (`activation_threshold` of the supply staked and voting), the
    /// genesis producers keep producing. After activation: the registered, active candidates
    /// by total votes descending, then by name ascending — candidates without votes included,
    /// ranked after every voted one, so the set only falls short of `n` when fewer candidates
    /// are registered. If that set would be smaller than `current`, the current producers
    /// stay (the set never shrinks); if nobody is registered, the genesis producers produce,
    /// so the list is never empty.
    pub fn elect(&self, n: usize, current: &[ProducerKey]) -> Vec<ProducerKey> {
        if !tables::global(self.kv()).activated {
            return self.genesis_producers(n);
        }
        let elected = self.ranked_candidates(n);
        if elected.len() < current.len().min(n) {
            return current.to_vec();
        }
        if elected.is_empty() {
            return self.genesis_producers(n);
        }
        elected
    }

    /// The genesis producers, in genesis order, at most `n`.
    pub fn genesis_producers(&self, n: usize) -> Vec<ProducerKey> {
        self.config()
            .genesis
            .producers
            .iter()
            .take(n)
            .map(|p| ProducerKey { producer_name: p.name, block_signing_key: p.signing_key })
            .collect()
    }

    /// The top `n` registered, active candidates, ranked as [`Chain::elect`] ranks them
    /// (votes descending, then name), whether or not elections are active.
    pub fn ranked_candidates(&self, n: usize) -> Vec<ProducerKey> {
        tables::ranked_producers(self.kv())
            .take(n)
            .map(|p| ProducerKey { producer_name: p.owner, block_signing_key: p.producer_key })
            .collect()
    }

    /// True once elections have replaced the genesis producers.
    pub fn elections_active(&self) -> bool {
        tables::global(self.kv()).activated
    }
}
