//! Justification and finality from the votes carried by a chain's blocks (docs/consensus.md).
//!
//! Votes live in slot space: a vote covers a range of slots of its chain, empty slots
//! included, so a slot's content (a block, or nothing) is what is voted for. Everything here is
//! a function of the blocks above a base (the chain's last irreversible block, or a window
//! below the head): their slots, the schedules of their rounds and their votes.

use civitas_protocol::{Name, ProducerSchedule};

use crate::schedule::quorum;

/// Slots `start..=end` that share a schedule (and a previous schedule).
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// First slot.
    pub start: u64,
    /// Last slot.
    pub end: u64,
    /// The schedule of the round these slots belong to (as the chain knows it).
    pub cur: &'a ProducerSchedule,
    /// The schedule of the round before it.
    pub prev: &'a ProducerSchedule,
}

/// One vote on the chain: `producer` voted for slots `first..=top` from source slot `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainVote {
    /// The voter.
    pub producer: Name,
    /// Slot of the justified source block.
    pub source: u64,
    /// Lowest slot voted for.
    pub first: u64,
    /// Highest slot voted for.
    pub top: u64,
}

/// The outcome for a chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Finality {
    /// Height of the last irreversible block.
    pub lib: u32,
    /// Its slot.
    pub lib_slot: u64,
    /// Justified blocks above the LIB as (slot, height), ascending.
    pub justified: Vec<(u64, u32)>,
}

impl Finality {
    /// The slot of the highest justified block (the LIB's when nothing above it is justified).
    pub fn justified_top(&self) -> u64 {
        self.justified.last().map_or(self.lib_slot, |j| j.0)
    }

    /// True if the block at `slot` may be used as a vote source: the LIB or a justified block.
    pub fn is_justified(&self, slot: u64) -> bool {
        slot == self.lib_slot || self.justified.binary_search_by_key(&slot, |j| j.0).is_ok()
    }

    /// Justified block slots below `slot` (candidates for a bridge vote's source), the LIB
    /// included.
    pub fn justified_below(&self, slot: u64) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(self.lib_slot).chain(self.justified.iter().map(|j| j.0)).filter(move |&s| s < slot)
    }
}

fn index_in(s: &ProducerSchedule, p: Name) -> Option<usize> {
    s.producers.iter().position(|k| k.producer_name == p)
}

fn count(mask: u128) -> usize {
    mask.count_ones() as usize
}

/// Marks, for every slot of every vote in `[lo_of(v), hi_of(v)]`, the voter's bit in the
/// slot's current and previous schedule.
fn mark(
    base: u64,
    segments: &[Segment<'_>],
    votes: &[ChainVote],
    range: impl Fn(&ChainVote) -> Option<(u64, u64)>,
    cur: &mut [u128],
    prev: &mut [u128],
) {
    for v in votes {
        let Some((lo, hi)) = range(v) else { continue };
        for s in segments {
            let (a, b) = (s.start.max(lo), s.end.min(hi));
            if a > b {
                continue;
            }
            let ci = index_in(s.cur, v.producer);
            let pi = index_in(s.prev, v.producer);
            for slot in a..=b {
                let i = (slot - base - 1) as usize;
                if let Some(x) = ci {
                    cur[i] |= 1u128 << x;
                }
                if let Some(x) = pi {
                    prev[i] |= 1u128 << x;
                }
            }
        }
    }
}

/// Evaluates a chain above `base_slot` (the LIB's slot or a window limit), given the LIB, the
/// blocks above the base as (slot, height) ascending, the segments covering slots
/// `base_slot+1..=head_slot`, and the votes of those blocks.
pub fn evaluate(
    lib: (u64, u32),
    base_slot: u64,
    blocks: &[(u64, u32)],
    segments: &[Segment<'_>],
    votes: &[ChainVote],
) -> Finality {
    let head_slot = segments.last().map_or(base_slot, |s| s.end);
    let keep = |lib: (u64, u32), justified: Vec<(u64, u32)>| Finality { lib: lib.1, lib_slot: lib.0, justified };
    if head_slot <= base_slot {
        return keep(lib, vec![]);
    }
    let len = (head_slot - base_slot) as usize;
    let seg_of = {
        let mut v = vec![0usize; len];
        for (i, s) in segments.iter().enumerate() {
            for slot in s.start.max(base_slot + 1)..=s.end {
                v[(slot - base_slot - 1) as usize] = i;
            }
        }
        v
    };
    let joint = |i: usize, c: u128, p: u128| {
        let s = &segments[seg_of[i]];
        count(c) >= quorum(s.cur.producers.len()) && count(p) >= quorum(s.prev.producers.len())
    };
    // Who voted for each slot.
    let (mut cur, mut prev) = (vec![0u128; len], vec![0u128; len]);
    mark(base_slot, segments, votes, |v| Some((v.first.max(base_slot + 1), v.top.min(head_slot))), &mut cur, &mut prev);
    let justified: Vec<bool> = (0..len).map(|i| joint(i, cur[i], prev[i])).collect();
    // run_start[i]: lowest slot of the justified run ending at slot i (runs stop at the base).
    let mut run_start = vec![u64::MAX; len];
    for i in 0..len {
        if justified[i] {
            run_start[i] = if i > 0 && justified[i - 1] { run_start[i - 1] } else { base_slot + 1 + i as u64 };
        }
    }
    // A vote finalizes any slot `a` with `a ≤ source` and `[a, first]` all justified.
    let (mut cur_f, mut prev_f) = (vec![0u128; len], vec![0u128; len]);
    mark(
        base_slot,
        segments,
        votes,
        |v| {
            if v.first <= base_slot || v.first > head_slot || v.source <= base_slot {
                return None;
            }
            let rs = run_start[(v.first - base_slot - 1) as usize];
            (rs != u64::MAX && rs <= v.source).then(|| (rs, v.source.min(head_slot)))
        },
        &mut cur_f,
        &mut prev_f,
    );
    let mut new_lib = lib;
    for &(slot, num) in blocks.iter().rev() {
        if slot <= base_slot || slot <= lib.0 {
            break;
        }
        let i = (slot - base_slot - 1) as usize;
        if justified[i] && joint(i, cur_f[i], prev_f[i]) {
            new_lib = (slot, num);
            break;
        }
    }
    let just = blocks
        .iter()
        .filter(|&&(slot, _)| slot > new_lib.0 && slot > base_slot && justified[(slot - base_slot - 1) as usize])
        .copied()
        .collect();
    keep(new_lib, just)
}

#[cfg(test)]
mod tests {
    use super::*;
    use civitas_protocol::{PrivateKey, ProducerKey};

    fn sched(n: usize) -> ProducerSchedule {
        ProducerSchedule {
            version: 1,
            producers: (0..n)
                .map(|i| ProducerKey {
                    producer_name: Name(i as u64 + 1),
                    block_signing_key: PrivateKey::from_seed(&format!("p{i}")).public_key(),
                })
                .collect(),
        }
    }

    /// Round-robin production where every producer votes from the highest justified block
    /// for the slots after its previous vote: justification lags 14 blocks and finality
    /// about 29 for 21 producers; LIB never moves back.
    #[test]
    fn steady_state_lags() {
        let s = sched(21);
        let mut votes: Vec<ChainVote> = vec![];
        let mut fin = Finality { lib: 1, lib_slot: 0, justified: vec![] };
        let mut blocks: Vec<(u64, u32)> = vec![];
        let mut last_top = [0u64; 21];
        let mut history = vec![];
        for n in 2..400u32 {
            let slot = u64::from(n) - 1;
            let p = ((n - 2) % 21) as usize;
            let source = fin.justified_top();
            let first = (last_top[p] + 1).max(source + 1);
            last_top[p] = slot;
            votes.push(ChainVote { producer: Name(p as u64 + 1), source, first, top: slot });
            blocks.push((slot, n));
            votes.retain(|v| v.top > fin.lib_slot);
            blocks.retain(|b| b.0 > fin.lib_slot);
            let segs = [Segment { start: fin.lib_slot + 1, end: slot, cur: &s, prev: &s }];
            fin = evaluate((fin.lib_slot, fin.lib), fin.lib_slot, &blocks, &segs, &votes);
            history.push((n, fin.justified.last().map_or(fin.lib, |j| j.1), fin.lib));
        }
        let (n, jt, lib) = *history.last().unwrap();
        assert_eq!(n - jt, 14, "justified lag");
        assert!(n - lib <= 30, "lib lag {}", n - lib);
        assert!(history.windows(2).all(|w| w[1].2 >= w[0].2));
    }

    #[test]
    fn fourteen_voters_justify_nothing_fifteen_do() {
        let s = sched(21);
        let blocks: Vec<(u64, u32)> = (1..=40u64).map(|x| (x, x as u32 + 1)).collect();
        let mut votes: Vec<ChainVote> =
            (0..14u64).map(|p| ChainVote { producer: Name(p + 1), source: 0, first: 1, top: 40 }).collect();
        let segs = [Segment { start: 1, end: 40, cur: &s, prev: &s }];
        let f = evaluate((0, 1), 0, &blocks, &segs, &votes);
        assert!(f.justified.is_empty());
        assert_eq!(f.lib, 1);
        votes.push(ChainVote { producer: Name(15), source: 0, first: 1, top: 40 });
        let f = evaluate((0, 1), 0, &blocks, &segs, &votes);
        assert_eq!(f.justified.len(), 40);
    }

    #[test]
    fn empty_slots_are_covered_by_ranges() {
        let s = sched(21);
        // Blocks only at even slots; votes span the odd ones too.
        let blocks: Vec<(u64, u32)> = (1..=20u64).map(|x| (2 * x, x as u32 + 1)).collect();
        let votes: Vec<ChainVote> =
            (0..15u64).map(|p| ChainVote { producer: Name(p + 1), source: 0, first: 1, top: 40 }).collect();
        let segs = [Segment { start: 1, end: 40, cur: &s, prev: &s }];
        let f = evaluate((0, 1), 0, &blocks, &segs, &votes);
        assert_eq!(f.justified.len(), 20);
    }

    #[test]
    fn outsiders_do_not_count() {
        let s = sched(21);
        let blocks = vec![(5u64, 2u32)];
        let votes: Vec<ChainVote> =
            (100..130u64).map(|p| ChainVote { producer: Name(p), source: 0, first: 1, top: 5 }).collect();
        let segs = [Segment { start: 1, end: 5, cur: &s, prev: &s }];
        assert!(evaluate((0, 1), 0, &blocks, &segs, &votes).justified.is_empty());
    }
}
