//! Who connects to whom in a local network (`localnet up --topology`). The graph is computed
//! here only; `plan.rs` writes each node's dial list into its `config.toml`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Most peers a node of a `random:K` network dials: the P2P layer's default outbound limit.
pub const MAX_RANDOM_K: u32 = 32;

/// The shape of a local network's P2P links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Topology {
    /// Every node connects to every other: each dials a few and learns the rest from its peers.
    #[default]
    Mesh,
    /// Node i links to i−1 and i+1, wrapping around.
    Ring,
    /// Node i links to i−1 and i+1; the two ends have one peer each.
    Line,
    /// Each node dials `k` distinct others chosen by a seeded generator, plus the links that
    /// make the graph connected.
    Random {
        /// Peers each node dials.
        k: u32,
    },
}

impl FromStr for Topology {
    type Err = String;

    fn from_str(s: &str) -> Result<Topology, String> {
        match s {
            "mesh" => Ok(Topology::Mesh),
            "ring" => Ok(Topology::Ring),
            "line" => Ok(Topology::Line),
            _ => {
                let Some(k) = s.strip_prefix("random:") else {
                    return Err(format!("unknown topology {s:?}: expected mesh, ring, line or random:K"));
                };
                let k: u32 = k.parse().map_err(|_| format!("random:K needs a whole number of peers K, got {k:?}"))?;
                if k == 0 || k > MAX_RANDOM_K {
                    return Err(format!("random:K needs K from 1 to {MAX_RANDOM_K} (got {k})"));
                }
                Ok(Topology::Random { k })
            }
        }
    }
}

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topology::Mesh => f.write_str("mesh"),
            Topology::Ring => f.write_str("ring"),
            Topology::Line => f.write_str("line"),
            Topology::Random { k } => write!(f, "random:{k}"),
        }
    }
}

impl From<Topology> for String {
    fn from(t: Topology) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for Topology {
    type Error = String;

    fn try_from(s: String) -> Result<Topology, String> {
        s.parse()
    }
}

impl Topology {
    /// Whether nodes also dial the addresses their peers tell them about. Only a mesh does:
    /// elsewhere that would grow every graph into a mesh within seconds.
    pub fn learns_peers(&self) -> bool {
        matches!(self, Topology::Mesh)
    }

    /// Whom each of `n` nodes dials: `dials[i]` lists the nodes node i dials, ascending. Each
    /// link is dialled from one side only, so no pair starts with two connections that the P2P
    /// layer would then have to settle. `seed` drives `random:K` (the same seed gives the same
    /// graph).
    pub fn dials(&self, n: usize, seed: u64) -> Result<Vec<Vec<usize>>, String> {
        let mut g = Graph::new(n);
        match *self {
            // The successors at distances 1, 3 and 7: about six links each and short paths,
            // from which the nodes learn the rest.
            Topology::Mesh => {
                for i in 0..n {
                    for d in [1, 3, 7] {
                        if d < n {
                            g.link(i, (i + d) % n);
                        }
                    }
                }
            }
            Topology::Ring => (0..n).for_each(|i| g.link(i, (i + 1) % n)),
            Topology::Line => (1..n).for_each(|i| g.link(i - 1, i)),
            Topology::Random { k } => {
                let k = k as usize;
                if k >= n {
                    return Err(format!("random:{k} needs more than {k} producers (got {n})"));
                }
                let mut rng = SplitMix64(seed);
                for i in 0..n {
                    let mut free: Vec<usize> = (0..n).filter(|&j| j != i && !g.linked(i, j)).collect();
                    // A partial Fisher–Yates shuffle: the first picks are uniform without repeats.
                    for c in 0..k.min(free.len()) {
                        let pick = c + (rng.next() % (free.len() - c) as u64) as usize;
                        free.swap(c, pick);
                        g.link(i, free[c]);
                    }
                }
                g.connect_components();
            }
        }
        Ok(g.dials)
    }
}

/// Neighbours of each node in a dial list (both directions), ascending.
pub fn neighbours(dials: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); dials.len()];
    for (i, ds) in dials.iter().enumerate() {
        for &j in ds {
            out[i].push(j);
            out[j].push(i);
        }
    }
    for v in &mut out {
        v.sort_unstable();
    }
    out
}

/// An undirected graph whose links remember which side dials.
struct Graph {
    dials: Vec<Vec<usize>>,
}

impl Graph {
    fn new(n: usize) -> Graph {
        Graph { dials: vec![Vec::new(); n] }
    }

    fn linked(&self, i: usize, j: usize) -> bool {
        self.dials[i].contains(&j) || self.dials[j].contains(&i)
    }

    /// `i` dials `j`, unless they are the same node or already linked.
    fn link(&mut self, i: usize, j: usize) {
        if i != j && !self.linked(i, j) {
            self.dials[i].push(j);
            self.dials[i].sort_unstable();
        }
    }

    /// Links the components in a path (the smallest node of each to the smallest of the
    /// next), so every node can reach every other.
    fn connect_components(&mut self) {
        let n = self.dials.len();
        let mut comp = vec![usize::MAX; n];
        let mut firsts = vec![];
        for start in 0..n {
            if comp[start] != usize::MAX {
                continue;
            }
            firsts.push(start);
            let mut stack = vec![start];
            while let Some(x) = stack.pop() {
                if comp[x] != usize::MAX {
                    continue;
                }
                comp[x] = start;
                stack.extend((0..n).filter(|&y| comp[y] == usize::MAX && self.linked(x, y)));
            }
        }
        for w in firsts.windows(2) {
            self.link(w[0], w[1]);
        }
    }
}

/// A small deterministic generator (SplitMix64): the graph must not change between versions
/// of an external crate, and a reviewer can check it by hand.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn degrees(t: Topology, n: usize, seed: u64) -> Vec<usize> {
        neighbours(&t.dials(n, seed).unwrap()).iter().map(Vec::len).collect()
    }

    fn connected(dials: &[Vec<usize>]) -> bool {
        let nb = neighbours(dials);
        let mut seen = vec![false; dials.len()];
        let mut stack = vec![0];
        while let Some(x) = stack.pop() {
            if !std::mem::replace(&mut seen[x], true) {
                stack.extend(&nb[x]);
            }
        }
        seen.iter().all(|s| *s)
    }

    /// No self-links, no link dialled from both sides, no link listed twice.
    fn each_link_once(dials: &[Vec<usize>]) -> bool {
        let mut links = std::collections::BTreeSet::new();
        dials.iter().enumerate().all(|(i, ds)| ds.iter().all(|&j| i != j && links.insert((i.min(j), i.max(j)))))
    }

    #[test]
    fn names_parse_and_print_back() {
        for s in ["mesh", "ring", "line", "random:1", "random:3", "random:32"] {
            assert_eq!(s.parse::<Topology>().unwrap().to_string(), s);
        }
        assert_eq!(Topology::default(), Topology::Mesh);
        let json = serde_json::to_string(&Topology::Random { k: 4 }).unwrap();
        assert_eq!(json, "\"random:4\"");
        assert_eq!(serde_json::from_str::<Topology>(&json).unwrap(), Topology::Random { k: 4 });
    }

    #[test]
    fn bad_names_say_what_is_expected() {
        let err = |s: &str| s.parse::<Topology>().unwrap_err();
        assert_eq!(err("star"), "unknown topology \"star\": expected mesh, ring, line or random:K");
        assert_eq!(err("Ring"), "unknown topology \"Ring\": expected mesh, ring, line or random:K");
        assert_eq!(err(""), "unknown topology \"\": expected mesh, ring, line or random:K");
        assert_eq!(err("random:x"), "random:K needs a whole number of peers K, got \"x\"");
        assert_eq!(err("random:"), "random:K needs a whole number of peers K, got \"\"");
        assert_eq!(err("random:-1"), "random:K needs a whole number of peers K, got \"-1\"");
        assert_eq!(err("random:0"), "random:K needs K from 1 to 32 (got 0)");
        assert_eq!(err("random:33"), "random:K needs K from 1 to 32 (got 33)");
        assert!(serde_json::from_str::<Topology>("\"star\"").is_err());
        assert_eq!(Topology::Random { k: 4 }.dials(4, 0).unwrap_err(), "random:4 needs more than 4 producers (got 4)");
    }

    #[test]
    fn ring_and_line_have_the_expected_degrees() {
        for n in [3usize, 7, 21, 100] {
            assert_eq!(degrees(Topology::Ring, n, 0), vec![2; n], "ring of {n}");
            let line = degrees(Topology::Line, n, 0);
            assert_eq!((line[0], line[n - 1]), (1, 1), "line of {n}");
            assert!(line[1..n - 1].iter().all(|d| *d == 2), "line of {n}: {line:?}");
        }
        assert_eq!(Topology::Ring.dials(4, 0).unwrap(), vec![vec![1], vec![2], vec![3], vec![0]]);
        assert_eq!(Topology::Line.dials(3, 0).unwrap(), vec![vec![1], vec![2], vec![]]);
        // Small networks: one node has no links, two have one.
        for t in [Topology::Mesh, Topology::Ring, Topology::Line] {
            assert_eq!(t.dials(1, 0).unwrap(), vec![Vec::<usize>::new()]);
            assert_eq!(degrees(t, 2, 0), vec![1, 1], "{t}");
        }
    }

    #[test]
    fn every_topology_is_connected_and_dials_each_link_once() {
        for n in [1usize, 2, 3, 4, 7, 8, 21, 50, 100] {
            let mut ts = vec![Topology::Mesh, Topology::Ring, Topology::Line];
            ts.extend((1..n.min(6) as u32).map(|k| Topology::Random { k }));
            for t in ts {
                for seed in 0..20 {
                    let d = t.dials(n, seed).unwrap();
                    assert!(connected(&d), "{t} of {n}, seed {seed}: {d:?}");
                    assert!(each_link_once(&d), "{t} of {n}, seed {seed}: {d:?}");
                }
            }
        }
    }

    #[test]
    fn random_dials_k_and_links_at_least_k() {
        for (n, k) in [(21usize, 1u32), (21, 2), (21, 3), (7, 6), (50, 5), (100, 32)] {
            for seed in 0..20 {
                let t = Topology::Random { k };
                let d = t.dials(n, seed).unwrap();
                let nb = neighbours(&d);
                assert!(nb.iter().all(|v| v.len() >= k as usize), "random:{k} of {n}: {nb:?}");
                // Each node dials K unless fewer are left unlinked to it, plus at most the
                // links that join the components.
                let dialled: usize = d.iter().map(Vec::len).sum();
                assert!(dialled < n * k as usize + n, "random:{k} of {n}: {dialled}");
                assert!(d.iter().all(|v| v.len() <= k as usize + 1), "random:{k} of {n}: {d:?}");
            }
        }
    }

    #[test]
    fn random_depends_only_on_the_seed() {
        let t = Topology::Random { k: 2 };
        assert_eq!(t.dials(21, 7).unwrap(), t.dials(21, 7).unwrap());
        let graphs: std::collections::BTreeSet<_> = (0..10).map(|s| t.dials(21, s).unwrap()).collect();
        assert!(graphs.len() >= 9, "different seeds give different graphs");
        // Pinned: a seed must give the same graph in every version, or `--seed` means nothing.
        assert_eq!(t.dials(5, 42).unwrap(), vec![vec![2, 3], vec![2, 3], vec![3, 4], vec![4], vec![0, 1]]);
    }

    #[test]
    fn mesh_keeps_todays_seed_links() {
        // Distances 1, 3 and 7 around the ring, each link dialled once.
        let d = Topology::Mesh.dials(21, 0).unwrap();
        assert_eq!(d[0], vec![1, 3, 7]);
        assert_eq!(degrees(Topology::Mesh, 21, 0), vec![6; 21]);
    }
}
