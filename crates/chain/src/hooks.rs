//! What the consensus layer tells the chain about production, at fixed points of each block:
//! who produced it, which slots were missed, and which blocks became irreversible (where the
//! producer's pay is credited, SPEC §3.6). All of it is chain state: undone with forks and
//! covered by the state commitment.
//!
//! The statistics are the `eosio` table `prodstats` (scope `eosio`, one row per producer that
//! was ever scheduled), so clients read them with `get_table_rows`.

use civitas_protocol::codec::{Pack, Reader, Unpack};
use civitas_protocol::{CodecError, Name};

use crate::chain::Chain;
use crate::contracts::system::{names, pay, tables};
use crate::state;

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

/// A `prodstats` row: the owner, then its [`ProducerStats`] (ABI type `producer_stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerStatsRow {
    /// The producer.
    pub owner: Name,
    /// Its statistics.
    pub stats: ProducerStats,
}

impl Pack for ProducerStatsRow {
    fn pack(&self, out: &mut Vec<u8>) {
        self.owner.pack(out);
        self.stats.pack(out);
    }
}

impl Unpack for ProducerStatsRow {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(ProducerStatsRow { owner: Unpack::unpack(r)?, stats: Unpack::unpack(r)? })
    }
}

impl Chain {
    /// A producer's statistics.
    pub fn producer_stats(&self, p: Name) -> ProducerStats {
        state::get::<ProducerStatsRow>(self.kv(), &tables::prodstats_key(p)).map(|r| r.stats).unwrap_or_default()
    }

    /// Every producer's statistics, by name.
    pub fn all_producer_stats(&self) -> Vec<(Name, ProducerStats)> {
        self.kv()
            .range(tables::prodstats_key(Name(0)), tables::prodstats_key(Name(u64::MAX)))
            .map(|(k, v)| (Name(k.pk), ProducerStatsRow::unpack_exact(v).map(|r| r.stats).unwrap_or_default()))
            .collect()
    }

    fn update_stats(&mut self, p: Name, f: impl FnOnce(&mut ProducerStats)) {
        let mut stats = self.producer_stats(p);
        f(&mut stats);
        state::put(self.kv_mut(), tables::prodstats_key(p), &ProducerStatsRow { owner: p, stats });
    }

    /// The open block was produced by `producer` (called first thing in every block). The
    /// day's name auction closes here too, when one is due.
    pub fn on_block_produced(&mut self, producer: Name, block_num: u32) {
        self.update_stats(producer, |st| {
            st.produced += 1;
            st.missed_in_row = 0;
            st.last_produced = block_num;
        });
        if let Some(block) = self.pending() {
            let _ = self.with_nested(|kv| {
                names::close_auction(kv, block.time);
                Ok(())
            });
        }
    }

    /// `producer` missed its slot just before the open block.
    pub fn on_slot_missed(&mut self, producer: Name) {
        self.update_stats(producer, |st| {
            st.missed += 1;
            st.missed_in_row += 1;
        });
    }

    /// The block at `block_num`, produced by `producer`, became irreversible on this chain.
    /// Called exactly once per block, in height order, inside the block that finalized it:
    /// this is where the block's inflation is minted and its pay credited (SPEC §3.6, §5).
    pub fn on_block_irreversible(&mut self, producer: Name, _block_num: u32) {
        self.update_stats(producer, |st| st.irreversible += 1);
        let interval = self.config().genesis.block_interval_ms;
        // Pay only fails on a broken invariant (a missing token, an amount out of range); a
        // block must still be applicable then, so the block simply goes unpaid.
        let _ = self.with_nested(|kv| pay::pay_block(kv, producer, interval));
    }
}
