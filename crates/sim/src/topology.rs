//! Who talks to whom: the simulated network's links. Real networks are not full meshes —
//! producers sit behind sentries, nodes join through a few seeds — so blocks, approvals and
//! transactions must cross several hops, relayed by nodes that validated them.

use std::collections::BTreeSet;

use crate::rng::Rng;

/// The shape of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Topology {
    /// Every node linked to every other.
    #[default]
    Mesh,
    /// Node `i` linked to `i ± 1` (mod n).
    Ring,
    /// Node `i` linked to `i − 1` and `i + 1`; the ends have one link.
    Line,
    /// Each node dials `k` random others (links are both ways), plus a path through all nodes
    /// so the graph is connected.
    Random(usize),
    /// Every producer (and twin) has one link, to its sentry; the observers are the sentries,
    /// linked to each other in a mesh. Producer `i` uses sentry `i mod observers`.
    Sentries,
}

impl std::str::FromStr for Topology {
    type Err = String;

    /// `mesh`, `ring`, `line`, `random:K` or `sentries`.
    fn from_str(s: &str) -> Result<Topology, String> {
        match s {
            "mesh" => Ok(Topology::Mesh),
            "ring" => Ok(Topology::Ring),
            "line" => Ok(Topology::Line),
            "sentries" => Ok(Topology::Sentries),
            _ => match s.strip_prefix("random:").map(str::parse::<usize>) {
                Some(Ok(k)) if k >= 1 => Ok(Topology::Random(k)),
                _ => Err(format!("unknown topology {s:?}: expected mesh, ring, line, random:K (K ≥ 1) or sentries")),
            },
        }
    }
}

impl std::fmt::Display for Topology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Topology::Mesh => write!(f, "mesh"),
            Topology::Ring => write!(f, "ring"),
            Topology::Line => write!(f, "line"),
            Topology::Random(k) => write!(f, "random:{k}"),
            Topology::Sentries => write!(f, "sentries"),
        }
    }
}

/// The neighbour lists of `n` nodes, of which the first `producers` produce and the next
/// `observers` observe (the rest are twins of producers, linked as their originals are:
/// `twin_of[t]` is the original of node `producers + observers + t`).
pub fn links(
    topology: Topology,
    n: usize,
    producers: usize,
    observers: usize,
    twin_of: &[usize],
    rng: &mut Rng,
) -> Vec<Vec<usize>> {
    let mut sets: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    let link = |a: usize, b: usize, sets: &mut Vec<BTreeSet<usize>>| {
        if a != b && a < n && b < n {
            sets[a].insert(b);
            sets[b].insert(a);
        }
    };
    let base = producers + observers;
    match topology {
        Topology::Mesh => {
            for a in 0..n {
                for b in a + 1..n {
                    link(a, b, &mut sets);
                }
            }
        }
        Topology::Ring | Topology::Line => {
            for a in 0..base.saturating_sub(1) {
                link(a, a + 1, &mut sets);
            }
            if topology == Topology::Ring && base > 2 {
                link(base - 1, 0, &mut sets);
            }
        }
        Topology::Random(k) => {
            for a in 0..base.saturating_sub(1) {
                link(a, a + 1, &mut sets);
            }
            for a in 0..base {
                for _ in 0..k {
                    let b = rng.below(base as u64) as usize;
                    link(a, b, &mut sets);
                }
            }
        }
        Topology::Sentries => {
            let sentries: Vec<usize> = (producers..base).collect();
            for (i, &a) in sentries.iter().enumerate() {
                for &b in &sentries[i + 1..] {
                    link(a, b, &mut sets);
                }
            }
            for p in 0..producers {
                if let Some(&s) = sentries.get(p % sentries.len().max(1)) {
                    link(p, s, &mut sets);
                } else {
                    // No observers to be sentries: fall back to a ring of producers.
                    link(p, (p + 1) % producers.max(1), &mut sets);
                }
            }
        }
    }
    // A twin is wired as its original is, so it can reach the same part of the network.
    for (t, &orig) in twin_of.iter().enumerate() {
        let twin = base + t;
        let peers: Vec<usize> = sets.get(orig).map(|s| s.iter().copied().collect()).unwrap_or_default();
        for p in peers {
            link(twin, p, &mut sets);
        }
        if peers_empty(&sets, twin) {
            link(twin, orig, &mut sets);
        }
    }
    sets.into_iter().map(|s| s.into_iter().collect()).collect()
}

fn peers_empty(sets: &[BTreeSet<usize>], i: usize) -> bool {
    sets.get(i).is_none_or(|s| s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connected(l: &[Vec<usize>]) -> bool {
        let mut seen = vec![false; l.len()];
        let mut stack = vec![0];
        while let Some(a) = stack.pop() {
            if !std::mem::replace(&mut seen[a], true) {
                stack.extend(l[a].iter().copied());
            }
        }
        seen.iter().all(|&s| s)
    }

    #[test]
    fn shapes() {
        let mut rng = Rng::new(1);
        let ring = links(Topology::Ring, 21, 21, 0, &[], &mut rng);
        assert!(ring.iter().all(|p| p.len() == 2) && connected(&ring));
        let line = links(Topology::Line, 7, 6, 1, &[], &mut rng);
        assert_eq!(line[0], vec![1]);
        assert_eq!(line[6], vec![5]);
        assert!(connected(&line));
        let random = links(Topology::Random(3), 23, 21, 2, &[], &mut rng);
        assert!(connected(&random));
        assert!(random.iter().all(|p| !p.is_empty() && p.len() < 22));
        let sentries = links(Topology::Sentries, 24, 21, 3, &[], &mut rng);
        assert!(connected(&sentries));
        assert!((0..21).all(|p| sentries[p].len() == 1 && sentries[p][0] >= 21));
        // A twin (node 25) sits where its original (producer 4) sits.
        let with_twin = links(Topology::Sentries, 25, 21, 3, &[4], &mut rng);
        assert_eq!(with_twin[24], with_twin[4]);
        let mesh = links(Topology::Mesh, 5, 5, 0, &[], &mut rng);
        assert!(mesh.iter().all(|p| p.len() == 4));
    }

    #[test]
    fn names_parse_back() {
        for t in [Topology::Mesh, Topology::Ring, Topology::Line, Topology::Random(3), Topology::Sentries] {
            assert_eq!(t.to_string().parse::<Topology>(), Ok(t));
        }
        assert!("random:0".parse::<Topology>().is_err());
        assert!("star".parse::<Topology>().is_err());
    }
}
