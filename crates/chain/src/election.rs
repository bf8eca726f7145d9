//! The ranked candidates the consensus core takes at each round boundary (SPEC §3.2).

use civitas_protocol::ProducerKey;

use crate::chain::Chain;

impl Chain {
    /// The producers for the next round, best first, at most `n`. Until elections activate
    /// (the governance layer), the genesis producers keep producing.
    pub fn elect(&self, n: usize) -> Vec<ProducerKey> {
        self.config()
            .genesis
            .producers
            .iter()
            .take(n)
            .map(|p| ProducerKey { producer_name: p.name, block_signing_key: p.signing_key })
            .collect()
    }
}
