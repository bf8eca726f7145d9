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
    /// is cut or the message is lost.
    pub fn send(&mut self, rng: &mut Rng, from: usize, to: usize, msg: Msg, extra_ms: u64) {
        self.sent += 1;
        if !self.connected(from, to) || rng.chance(self.link.loss) {
            self.dropped += 1;
            return;
        }
        let delay = self.link.latency_ms + rng.range(0, self.link.jitter_ms) + extra_ms;
        self.schedule(self.now_ms + delay, Event::Deliver { to, from, msg });
    }
}
