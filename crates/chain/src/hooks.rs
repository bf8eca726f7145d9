//! What the consensus layer tells the chain about production, at fixed points of each block:
//! who produced it, which slots were missed, and which blocks became irreversible (where the
//! producer's pay is credited, SPEC §3.6). All of it is chain state: undone with forks and
//! covered by the state commitment.

use civitas_protocol::Name;

use crate::chain::Chain;
use crate::state::{self, RowKey};

const T_PRODSTATS: u64 = Name::constant("prodstats").value();

/// Per-producer production statistics (SPEC §4: blocks produced and missed are public).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerStats {
    /// Blocks produced on this chain.
    pub produced: u64,
    /// Slots missed in total.
    pub missed: u64,
    /// Slots missed since the last produced block.
    pub missed_in_row: u32,
    /// Height of the last produced block (0 if none).
    pub last_produced: u32,
    /// Blocks of this producer that became irreversible.
    pub irreversible: u64,
}

civitas_protocol::packable_struct!(ProducerStats { produced, missed, missed_in_row, last_produced, irreversible });

fn stats_key(p: Name) -> RowKey {
    RowKey::chain(T_PRODSTATS, 0, p.value())
}

impl Chain {
    /// A producer's statistics.
    pub fn producer_stats(&self, p: Name) -> ProducerStats {
        state::get(self.kv(), &stats_key(p)).unwrap_or_default()
    }

    /// Every producer's statistics, by name.
    pub fn all_producer_stats(&self) -> Vec<(Name, ProducerStats)> {
        self.kv()
            .range(stats_key(Name(0)), stats_key(Name(u64::MAX)))
            .map(|(k, v)| (Name(k.pk), civitas_protocol::Unpack::unpack_exact(v).unwrap_or_default()))
            .collect()
    }

    fn update_stats(&mut self, p: Name, f: impl FnOnce(&mut ProducerStats)) {
        let mut s = self.producer_stats(p);
        f(&mut s);
        state::put(self.kv_mut(), stats_key(p), &s);
    }

    /// The open block was produced by `producer` (called first thing in every block).
    pub fn on_block_produced(&mut self, producer: Name, block_num: u32) {
        self.update_stats(producer, |st| {
            st.produced += 1;
            st.missed_in_row = 0;
            st.last_produced = block_num;
        });
    }

    /// `producer` missed its slot just before the open block.
    pub fn on_slot_missed(&mut self, producer: Name) {
        self.update_stats(producer, |st| {
            st.missed += 1;
            st.missed_in_row += 1;
        });
    }

    /// The block at `block_num`, produced by `producer`, became irreversible on this chain.
    /// Called exactly once per block, in height order, inside the block that finalized it.
    pub fn on_block_irreversible(&mut self, producer: Name, _block_num: u32) {
        self.update_stats(producer, |st| st.irreversible += 1);
    }
}
