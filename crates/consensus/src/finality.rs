//! Justification and finality from the votes carried by a chain's blocks (docs/consensus.md).
//!
//! Everything here is a function of the blocks above the chain's last irreversible block: their
//! heights, the schedules of their rounds and their votes. The fork database calls it for each
//! new block with the chain of its ancestors.

use civitas_protocol::{Name, ProducerSchedule};

use crate::schedule::quorum;

/// Heights `start..=end` that share a schedule (and a previous schedule).
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// First height.
    pub start: u32,
    /// Last height.
    pub end: u32,
    /// The schedule of the round these heights were produced in.
    pub cur: &'a ProducerSchedule,
    /// The schedule of the round before it.
    pub prev: &'a ProducerSchedule,
}

/// One vote on the chain: `producer` voted for heights `first..=top` from source `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainVote {
    /// The voter.
    pub producer: Name,
    /// Height of the justified source.
    pub source: u32,
    /// Lowest height voted for.
    pub first: u32,
    /// Highest height voted for (the height of the block carrying the vote).
    pub top: u32,
}

/// The outcome for a chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Finality {
    /// The last irreversible height.
    pub lib: u32,
    /// Justified heights above `lib`, ascending.
    pub justified: Vec<u32>,
}

impl Finality {
    /// The highest justified height (the LIB when nothing above it is justified).
    pub fn justified_top(&self) -> u32 {
        self.justified.last().copied().unwrap_or(self.lib)
    }

    /// True if `h` may be used as a vote source: the LIB or a justified height above it.
    pub fn is_justified(&self, h: u32) -> bool {
        h == self.lib || self.justified.binary_search(&h).is_ok()
    }
}

fn index_in(s: &ProducerSchedule, p: Name) -> Option<usize> {
    s.producers.iter().position(|k| k.producer_name == p)
}

fn count(mask: u128) -> usize {
    mask.count_ones() as usize
}

/// Evaluates a chain whose irreversible height is `lib`, given the segments covering heights
/// `lib+1..=head` in order and the votes of its blocks above `lib`.
pub fn evaluate(lib: u32, segments: &[Segment<'_>], votes: &[ChainVote]) -> Finality {
    let head = segments.last().map_or(lib, |s| s.end);
    if head <= lib {
        return Finality { lib, justified: vec![] };
    }
    let len = (head - lib) as usize;
    let at = |h: u32| (h - lib - 1) as usize;
    let seg_of = {
        let mut v = vec![0usize; len];
        for (i, s) in segments.iter().enumerate() {
            for h in s.start.max(lib + 1)..=s.end {
                v[at(h)] = i;
            }
        }
        v
    };
    // Who voted for each height, as bitmasks over the height's current and previous schedule.
    let mut cur = vec![0u128; len];
    let mut prev = vec![0u128; len];
    for v in votes {
        let lo = v.first.max(lib + 1);
        if v.top < lo {
            continue;
        }
        for s in segments {
            let (a, b) = (s.start.max(lo), s.end.min(v.top));
            if a > b {
                continue;
            }
            let ci = index_in(s.cur, v.producer);
            let pi = index_in(s.prev, v.producer);
            for h in a..=b {
                if let Some(i) = ci {
                    cur[at(h)] |= 1u128 << i;
                }
                if let Some(i) = pi {
                    prev[at(h)] |= 1u128 << i;
                }
            }
        }
    }
    let joint = |i: usize, c: u128, p: u128| {
        let s = &segments[seg_of[i]];
        count(c) >= quorum(s.cur.producers.len()) && count(p) >= quorum(s.prev.producers.len())
    };
    let justified_flags: Vec<bool> = (0..len).map(|i| joint(i, cur[i], prev[i])).collect();
    // run_start[i]: lowest height of the justified run ending at height i (the LIB counts as
    // justified, so a run may reach down to lib+1).
    let mut run_start = vec![0u32; len];
    for i in 0..len {
        let h = lib + 1 + i as u32;
        run_start[i] = if !justified_flags[i] {
            u32::MAX
        } else if i > 0 && justified_flags[i - 1] {
            run_start[i - 1]
        } else {
            h
        };
    }
    // Each vote supports finalizing any height in [run_start(first), source] above lib.
    let mut cur_f = vec![0u128; len];
    let mut prev_f = vec![0u128; len];
    for v in votes {
        if v.first <= lib || v.first > head {
            continue;
        }
        let rs = run_start[at(v.first)];
        if rs == u32::MAX || rs > v.source || v.source <= lib {
            continue;
        }
        let (a, b) = (rs.max(lib + 1), v.source.min(head));
        for s in segments {
            let (x, y) = (s.start.max(a), s.end.min(b));
            if x > y {
                continue;
            }
            let ci = index_in(s.cur, v.producer);
            let pi = index_in(s.prev, v.producer);
            for h in x..=y {
                if let Some(i) = ci {
                    cur_f[at(h)] |= 1u128 << i;
                }
                if let Some(i) = pi {
                    prev_f[at(h)] |= 1u128 << i;
                }
            }
        }
    }
    let mut new_lib = lib;
    for i in (0..len).rev() {
        if justified_flags[i] && joint(i, cur_f[i], prev_f[i]) {
            new_lib = lib + 1 + i as u32;
            break;
        }
    }
    let justified = (0..len).filter(|&i| justified_flags[i]).map(|i| lib + 1 + i as u32).filter(|&h| h > new_lib).collect();
    Finality { lib: new_lib, justified }
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

    /// Round-robin production where every producer votes from the highest justified height
    /// with a range starting after its previous vote: justification lags 14 blocks and
    /// finality 29 for 21 producers.
    #[test]
    fn steady_state_lags() {
        let s = sched(21);
        let mut votes: Vec<ChainVote> = vec![];
        let mut fin = Finality { lib: 1, justified: vec![] };
        let mut last_top = vec![1u32; 21];
        let mut history = vec![];
        for n in 2..400u32 {
            let p = ((n - 2) % 21) as usize;
            let source = fin.justified_top();
            let first = (last_top[p] + 1).max(source + 1);
            last_top[p] = n;
            votes.push(ChainVote { producer: Name(p as u64 + 1), source, first, top: n });
            votes.retain(|v| v.top > fin.lib);
            let segs = [Segment { start: fin.lib + 1, end: n, cur: &s, prev: &s }];
            fin = evaluate(fin.lib, &segs, &votes);
            history.push((n, fin.justified_top(), fin.lib));
        }
        let (n, jt, lib) = *history.last().unwrap();
        assert_eq!(n - jt, 14, "justified lag");
        assert!(n - lib <= 30, "lib lag {}", n - lib);
        // LIB never moves back.
        assert!(history.windows(2).all(|w| w[1].2 >= w[0].2));
    }

    #[test]
    fn fourteen_voters_justify_nothing() {
        let s = sched(21);
        let mut votes = vec![];
        for p in 0..14u64 {
            votes.push(ChainVote { producer: Name(p + 1), source: 1, first: 2, top: 40 });
        }
        let segs = [Segment { start: 2, end: 40, cur: &s, prev: &s }];
        let f = evaluate(1, &segs, &votes);
        assert!(f.justified.is_empty());
        assert_eq!(f.lib, 1);
        votes.push(ChainVote { producer: Name(15), source: 1, first: 2, top: 40 });
        let f = evaluate(1, &segs, &votes);
        assert_eq!(f.justified.len(), 39);
    }

    #[test]
    fn outsiders_do_not_count() {
        let s = sched(21);
        let votes: Vec<ChainVote> = (100..130u64).map(|p| ChainVote { producer: Name(p), source: 1, first: 2, top: 10 }).collect();
        let segs = [Segment { start: 2, end: 10, cur: &s, prev: &s }];
        assert!(evaluate(1, &segs, &votes).justified.is_empty());
    }
}
