//! Antelope's usage accumulator: an exponential moving average over a window of ordinals
//! (block numbers for the chain's averages, slots for an account's usage), in integers so that
//! every node computes the same value.

/// Fixed-point precision of accumulated values (Antelope's `rate_limiting_precision`).
pub const PRECISION: u64 = 1_000_000;

/// `num / den` rounded up.
pub(crate) fn divide_ceil(num: u128, den: u128) -> u128 {
    num.div_ceil(den)
}

/// A moving average of usage (`exponential_moving_average_accumulator`): each `add` first
/// decays the value by `(window − elapsed) / window` for the ordinals passed since the last
/// one (to nothing after a whole window), then adds `units / window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UsageAccumulator {
    /// The ordinal of the last contribution.
    pub last_ordinal: u32,
    /// The average, multiplied by [`PRECISION`].
    pub value_ex: u64,
    /// The last average plus what the current ordinal added so far.
    pub consumed: u64,
}
civitas_protocol::packable_struct!(UsageAccumulator { last_ordinal, value_ex, consumed });

impl UsageAccumulator {
    /// The average, rounded up.
    pub fn average(&self) -> u64 {
        divide_ceil(u128::from(self.value_ex), u128::from(PRECISION)) as u64
    }

    /// `value_ex` decayed to `ordinal` (unchanged for an ordinal not after the last).
    pub fn value_ex_at(&self, ordinal: u32, window: u32) -> u64 {
        if ordinal <= self.last_ordinal {
            return self.value_ex;
        }
        let elapsed = u64::from(ordinal - self.last_ordinal);
        let window = u64::from(window.max(1));
        if elapsed >= window {
            return 0;
        }
        (u128::from(self.value_ex) * u128::from(window - elapsed) / u128::from(window)) as u64
    }

    /// Adds `units` at `ordinal` over a window of `window` ordinals. Ordinals never go back
    /// (an earlier one counts as the last); values saturate instead of overflowing, which no
    /// real usage reaches (a block's limits are far below `u64::MAX / PRECISION`).
    pub fn add(&mut self, units: u64, ordinal: u32, window: u32) {
        let window = window.max(1);
        let contribution = divide_ceil(u128::from(units) * u128::from(PRECISION), u128::from(window));
        let contribution = u64::try_from(contribution).unwrap_or(u64::MAX);
        if ordinal > self.last_ordinal {
            self.value_ex = self.value_ex_at(ordinal, window);
            self.last_ordinal = ordinal;
            self.consumed = self.average();
        }
        self.consumed = self.consumed.saturating_add(units);
        self.value_ex = self.value_ex.saturating_add(contribution);
    }

    /// The usage counted in the window as of the last contribution: `value_ex × window`
    /// scaled back, rounded up (what Antelope compares with an account's allowance).
    pub fn used_in_window(&self, window: u32) -> u64 {
        let v = divide_ceil(u128::from(self.value_ex) * u128::from(window), u128::from(PRECISION));
        u64::try_from(v).unwrap_or(u64::MAX)
    }

    /// The usage counted in the window as of `ordinal` (decayed since the last contribution).
    pub fn used_in_window_at(&self, ordinal: u32, window: u32) -> u64 {
        let decayed = UsageAccumulator { value_ex: self.value_ex_at(ordinal, window), ..*self };
        decayed.used_in_window(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn one_contribution_counts_whole_then_decays_linearly_to_nothing() {
        let mut a = UsageAccumulator::default();
        a.add(1_000, 10, 100);
        assert_eq!(a.used_in_window(100), 1_000);
        assert_eq!(a.used_in_window_at(60, 100), 500);
        assert_eq!(a.used_in_window_at(110, 100), 0);
        assert_eq!(a.used_in_window_at(5, 100), 1_000, "an earlier ordinal does not decay");
    }

    #[test]
    fn contributions_in_one_ordinal_add_up() {
        let mut a = UsageAccumulator::default();
        for _ in 0..10 {
            a.add(7, 3, 1_000);
        }
        assert_eq!(a.used_in_window(1_000), 70);
        assert_eq!(a.consumed, 70);
    }

    #[test]
    fn steady_usage_converges_to_the_rate_times_the_window() {
        // 10 units every ordinal over a window of 50: the windowed usage tends to 10 × 50.
        let mut a = UsageAccumulator::default();
        for ord in 1..2_000 {
            a.add(10, ord, 50);
        }
        let used = a.used_in_window(50);
        assert!((480..=520).contains(&used), "{used}");
        assert!((9..=11).contains(&a.average()), "{}", a.average());
    }

    proptest! {
        #[test]
        fn decay_never_increases_and_window_empties(
            adds in proptest::collection::vec((0u64..1_000_000, 0u32..500), 1..40),
            window in 1u32..10_000,
            later in 0u32..20_000,
        ) {
            let mut a = UsageAccumulator::default();
            let mut ord = 0u32;
            let mut total = 0u64;
            for (units, step) in adds {
                ord += step;
                a.add(units, ord, window);
                total += units;
            }
            let now = a.used_in_window(window);
            // Nothing is created: the windowed usage is at most what was added (plus rounding
            // up of each contribution).
            prop_assert!(now <= total + 40);
            let mut prev = now;
            for d in [later / 4, later / 2, later] {
                let v = a.used_in_window_at(ord.saturating_add(d), window);
                prop_assert!(v <= prev);
                prev = v;
            }
            prop_assert_eq!(a.used_in_window_at(ord.saturating_add(window), window), 0);
        }

        #[test]
        fn the_same_inputs_give_the_same_state(
            adds in proptest::collection::vec((0u64..10_000_000, 0u32..50), 1..40),
            window in 1u32..200_000,
        ) {
            let run = || {
                let mut a = UsageAccumulator::default();
                let mut ord = 1u32;
                for &(units, step) in &adds {
                    ord += step;
                    a.add(units, ord, window);
                }
                a
            };
            prop_assert_eq!(run(), run());
        }
    }
}
