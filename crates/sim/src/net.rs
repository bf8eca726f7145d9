//! The simulated network: a virtual clock, an event queue, links with latency, jitter and
//! loss, and partitions.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Checksum256, SignedBlock};

use crate::rng::Rng;

/// A message between nodes.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A block.
    Block(Arc<SignedBlock>),
    /// A transaction (already verified by the sending shell).
    Tx(Arc<VerifiedTransaction>),
    /// An approval (explicit finality vote).
    Approval(Arc<civitas_protocol::Approval>),
    /// "Send me the blocks leading to `want`, above height `lib`."
    Request {
        /// The requester's LIB.
        lib: u32,
        /// The block it lacks.
        want: Checksum256,
    },
}

/// Something that happens at a virtual time.
#[derive(Debug, Clone)]
pub enum Event {
    /// A message arrives.
    Deliver {
        /// Receiver.
        to: usize,
        /// Sender.
        from: usize,
        /// The message.
        msg: Msg,
    },
    /// A slot begins: every node ticks, the workload submits transactions.
    Slot(u64),
    /// A scheduled fault or phase change (index into the scenario's list).
    Fault(usize),
}

/// Link behaviour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkModel {
    /// Base one-way latency.
    pub latency_ms: u64,
    /// Extra uniform random delay.
    pub jitter_ms: u64,
    /// Probability that a message is lost.
    pub loss: f64,
}

impl Default for LinkModel {
    fn default() -> Self {
        LinkModel { latency_ms: 50, jitter_ms: 20, loss: 0.0 }
    }
}

/// The event queue and the network topology.
pub struct Net {
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    events: std::collections::BTreeMap<u64, Event>,
    seq: u64,
    /// Current virtual time in milliseconds since genesis.
    pub now_ms: u64,
    /// Link behaviour.
    pub link: LinkModel,
    /// Partition group of each node; nodes talk only within a group. `None` = all connected.
    pub groups: Option<Vec<usize>>,
    /// Messages sent and dropped, for reports.
    pub sent: u64,
    /// Messages lost to loss or partitions.
    pub dropped: u64,
    /// Each node's neighbours (see `topology.rs`).
    pub links: Vec<Vec<usize>>,
    /// Gossip each node has received or has in flight, by message key: a relay to a node
    /// that already has the message is not sent. Real peers learn this from the seen set and
    /// announcements; here it keeps a mesh from costing n² deliveries per message without
    /// changing what any node learns (a copy that arrives second is ignored anyway).
    has: Vec<std::collections::HashSet<u64, foldhash::fast::FixedState>>,
}

impl Net {
    /// An empty network.
    pub fn new(link: LinkModel) -> Net {
        Net {
            queue: BinaryHeap::new(),
            events: Default::default(),
            seq: 0,
            now_ms: 0,
            link,
            groups: None,
            sent: 0,
            dropped: 0,
            links: vec![],
            has: vec![],
        }
    }

    /// Sets the links (one neighbour list per node).
    pub fn set_links(&mut self, links: Vec<Vec<usize>>) {
        self.has = vec![Default::default(); links.len()];
        self.links = links;
    }

    /// The neighbours of `i`.
    pub fn neighbours(&self, i: usize) -> Vec<usize> {
        self.links.get(i).cloned().unwrap_or_default()
    }

    /// Marks a message as held by `node` (it produced or received it).
    pub fn mark_held(&mut self, node: usize, key: u64) {
        if let Some(h) = self.has.get_mut(node) {
            h.insert(key);
        }
    }

    /// A crashed node forgets what it held.
    pub fn forget(&mut self, node: usize) {
        if let Some(h) = self.has.get_mut(node) {
            h.clear();
        }
    }

    /// Gossips `msg` (identified by `key`) from `from` to `to` unless `to` already holds it.
    pub fn gossip(&mut self, rng: &mut Rng, from: usize, to: usize, msg: Msg, key: u64, extra_ms: u64) {
        if self.has.get(to).is_some_and(|h| h.contains(&key)) {
            return;
        }
        if self.send(rng, from, to, msg, extra_ms) {
            self.mark_held(to, key);
        }
    }

    /// Schedules an event at `at_ms`.
    pub fn schedule(&mut self, at_ms: u64, e: Event) {
        // A message storm is a bug in the protocol or the simulator; stop before memory runs out.
        assert!(self.events.len() < 5_000_000, "event queue exploded ({} events pending)", self.events.len());
        self.seq += 1;
        self.queue.push(Reverse((at_ms, self.seq)));
        self.events.insert(self.seq, e);
    }

    /// The next event, advancing the clock.
    pub fn pop(&mut self) -> Option<(u64, Event)> {
        let Reverse((t, seq)) = self.queue.pop()?;
        self.now_ms = self.now_ms.max(t);
        let e = self.events.remove(&seq)?;
        Some((t, e))
    }

    /// Time of the next event.
    pub fn peek_time(&self) -> Option<u64> {
        self.queue.peek().map(|Reverse((t, _))| *t)
    }

    /// True if `a` and `b` can currently talk.
    pub fn connected(&self, a: usize, b: usize) -> bool {
        match &self.groups {
            None => true,
            Some(g) => g.get(a) == g.get(b),
        }
    }

    /// Sends `msg` from `from` to `to` after the link delay plus `extra_ms`, unless the link
    /// is cut or the message is lost. Returns true if it is on its way.
    pub fn send(&mut self, rng: &mut Rng, from: usize, to: usize, msg: Msg, extra_ms: u64) -> bool {
        self.sent += 1;
        if !self.connected(from, to) || rng.chance(self.link.loss) {
            self.dropped += 1;
            return false;
        }
        let delay = self.link.latency_ms + rng.range(0, self.link.jitter_ms) + extra_ms;
        self.schedule(self.now_ms + delay, Event::Deliver { to, from, msg });
        true
    }
}

impl Msg {
    /// The gossip key of a message (requests have none: they are never relayed).
    pub fn key(&self) -> Option<u64> {
        let first8 = |c: &Checksum256| u64::from_le_bytes(c.0[..8].try_into().unwrap_or_default());
        match self {
            // Block ids begin with the height; the rest of the id tells blocks apart.
            Msg::Block(b) => Some(u64::from_le_bytes(b.id().0[8..16].try_into().unwrap_or_default())),
            Msg::Tx(t) => Some(first8(&t.id)),
            Msg::Approval(a) => {
                use civitas_protocol::Pack;
                Some(first8(&civitas_protocol::sha256(&a.packed())))
            }
            Msg::Request { .. } => None,
        }
    }
}
