//! Slot and round arithmetic.

use civitas_chain::Genesis;
use civitas_protocol::TimePoint;

/// Timing parameters every node derives from genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Time of slot 0 in milliseconds since the Unix epoch.
    pub genesis_ms: i64,
    /// Slot length in milliseconds.
    pub interval_ms: u32,
    /// Consecutive slots per producer turn.
    pub per_turn: u32,
    /// Producers per round.
    pub producers: u32,
}

impl Params {
    /// The parameters of a genesis.
    pub fn from_genesis(g: &Genesis) -> Params {
        Params {
            genesis_ms: g.initial_timestamp.millis(),
            interval_ms: g.block_interval_ms,
            per_turn: g.blocks_per_turn,
            producers: g.active_producers,
        }
    }

    /// The slot containing `t` (`None` before genesis).
    pub fn slot_at(&self, t: TimePoint) -> Option<u64> {
        let d = t.millis() - self.genesis_ms;
        (d >= 0).then(|| d as u64 / u64::from(self.interval_ms))
    }

    /// The start time of a slot.
    pub fn slot_time(&self, slot: u64) -> TimePoint {
        let ms = i64::try_from(slot.saturating_mul(u64::from(self.interval_ms))).unwrap_or(i64::MAX / 2);
        TimePoint::from_millis(self.genesis_ms.saturating_add(ms))
    }

    /// Slots per round.
    pub fn round_len(&self) -> u64 {
        u64::from(self.producers) * u64::from(self.per_turn)
    }

    /// The round a slot belongs to.
    pub fn round_of(&self, slot: u64) -> u64 {
        slot / self.round_len()
    }

    /// First slot of a round.
    pub fn round_start(&self, round: u64) -> u64 {
        round.saturating_mul(self.round_len())
    }

    /// Index in a schedule of `len` producers of the producer of `slot`.
    pub fn producer_index(&self, slot: u64, len: usize) -> usize {
        let pos = (slot % self.round_len()) / u64::from(self.per_turn);
        (pos % len.max(1) as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_rounds_and_turns() {
        let p = Params { genesis_ms: 1000, interval_ms: 500, per_turn: 2, producers: 3 };
        assert_eq!(p.slot_at(TimePoint::from_millis(999)), None);
        assert_eq!(p.slot_at(TimePoint::from_millis(1000)), Some(0));
        assert_eq!(p.slot_at(TimePoint::from_millis(1499)), Some(0));
        assert_eq!(p.slot_at(TimePoint::from_millis(1500)), Some(1));
        assert_eq!(p.slot_time(3), TimePoint::from_millis(2500));
        assert_eq!(p.round_len(), 6);
        assert_eq!(
            (0..12).map(|s| p.producer_index(s, 3)).collect::<Vec<_>>(),
            vec![0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]
        );
        assert_eq!(p.round_of(5), 0);
        assert_eq!(p.round_of(6), 1);
        // A short schedule repeats within the round.
        assert_eq!((0..6).map(|s| p.producer_index(s, 2)).collect::<Vec<_>>(), vec![0, 0, 1, 1, 0, 0]);
    }
}
