//! The ranked candidates the consensus core takes at each round boundary (SPEC §3.2).

use civitas_protocol::ProducerKey;

use crate::chain::Chain;
use crate::contracts::system::tables::{self, ProducerInfo};

impl Chain {
    /// The producers for the next round, best first, at most `n` (the consensus layer shuffles
    /// them).
    ///
    /// Until elections activate (`activation_threshold` of the supply staked and voting), the
    /// genesis producers keep producing. After activation: the registered, active producers
    /// with more than zero votes, by total votes descending and then by name ascending. If
    /// fewer than `n` qualify, the round is smaller; if none does, the genesis producers
    /// produce, so the list is never empty.
    pub fn elect(&self, n: usize) -> Vec<ProducerKey> {
        if tables::global(self.kv()).activated {
            let elected = self.ranked_candidates(n);
            if !elected.is_empty() {
                return elected;
            }
        }
        self.genesis_producers(n)
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

    /// The top `n` electable producers (active, votes > 0), ranked as [`Chain::elect`] ranks
    /// them, whether or not elections are active.
    pub fn ranked_candidates(&self, n: usize) -> Vec<ProducerKey> {
        let mut candidates: Vec<ProducerInfo> =
            tables::all_producers(self.kv()).filter(|p| p.is_active && p.votes() > 0).collect();
        candidates.sort_by(|a, b| b.votes().cmp(&a.votes()).then(a.owner.cmp(&b.owner)));
        candidates
            .into_iter()
            .take(n)
            .map(|p| ProducerKey { producer_name: p.owner, block_signing_key: p.producer_key })
            .collect()
    }

    /// True once elections have replaced the genesis producers.
    pub fn elections_active(&self) -> bool {
        tables::global(self.kv()).activated
    }
}
