//! The elastic virtual block limit: while blocks stay under the target the limit accounts are
//! shared by grows ×1000/999 per block (up to `max_multiplier` × the real limit), and when the
//! average block is over the target it shrinks ×99/100 (down to the real limit) — so an idle
//! chain lends everyone up to 1000× their guaranteed share and a congested one gives exactly
//! the share stake pays for.

/// A rate as a ratio of integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// Numerator.
    pub numerator: u64,
    /// Denominator (never zero).
    pub denominator: u64,
}

/// The parameters of one elastic limit (Antelope's `elastic_limit_parameters`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElasticLimit {
    /// The average usage per block above which the virtual limit contracts.
    pub target: u64,
    /// The real per-block limit (the virtual limit's floor).
    pub max: u64,
    /// Blocks the average is taken over.
    pub periods: u32,
    /// The virtual limit's ceiling, as a multiple of `max`.
    pub max_multiplier: u32,
    /// Applied when the average is over the target.
    pub contract_rate: Ratio,
    /// Applied when it is not.
    pub expand_rate: Ratio,
}

/// Antelope's target: 10% of the real limit.
pub const TARGET_PERCENT: u64 = 10;
/// Antelope's `maximum_elastic_resource_multiplier`.
pub const MAX_MULTIPLIER: u32 = 1_000;
/// Antelope's averaging window for blocks: one minute.
pub const BLOCK_AVERAGE_WINDOW_MS: u32 = 60_000;

impl ElasticLimit {
    /// Antelope's defaults for a real limit of `max` per block and blocks of `interval_ms`.
    pub fn antelope(max: u64, interval_ms: u32) -> ElasticLimit {
        ElasticLimit {
            target: max * TARGET_PERCENT / 100,
            max,
            periods: (BLOCK_AVERAGE_WINDOW_MS / interval_ms.max(1)).max(1),
            max_multiplier: MAX_MULTIPLIER,
            contract_rate: Ratio { numerator: 99, denominator: 100 },
            expand_rate: Ratio { numerator: 1_000, denominator: 999 },
        }
    }

    /// The virtual limit after a block, given the average block usage.
    pub fn update(&self, current: u64, average_usage: u64) -> u64 {
        let rate = if average_usage > self.target { self.contract_rate } else { self.expand_rate };
        let next = u128::from(current) * u128::from(rate.numerator) / u128::from(rate.denominator.max(1));
        let ceiling = u128::from(self.max) * u128::from(self.max_multiplier);
        next.clamp(u128::from(self.max), ceiling) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_while_idle_up_to_the_ceiling_and_shrinks_under_load_to_the_floor() {
        let e = ElasticLimit::antelope(1_000_000, 500);
        assert_eq!(e.target, 100_000);
        assert_eq!(e.periods, 120);
        let mut v = e.max;
        v = e.update(v, 0);
        assert_eq!(v, 1_001_001);
        let mut blocks = 1;
        while v < e.max * 1_000 {
            v = e.update(v, 0);
            blocks += 1;
        }
        assert_eq!(v, e.max * 1_000);
        // ln(1000) / ln(1000/999) ≈ 6,905 blocks: under an hour of idle 500 ms blocks.
        assert!((6_800..7_000).contains(&blocks), "{blocks}");
        v = e.update(v, e.target + 1);
        assert_eq!(v, e.max * 990);
        for _ in 0..2_000 {
            v = e.update(v, e.max);
        }
        assert_eq!(v, e.max);
    }
}
