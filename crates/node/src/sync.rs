//! Catching up with peers: which peers are ahead, which block ranges are being fetched from
//! whom. Ranges are requested from several peers at once (the network runs requests to
//! different peers in parallel); blocks that arrive out of order wait in the core's orphan pool
//! for their parents.

use std::collections::BTreeMap;

use civitas_network::{NetHandle, PeerId as NetPeer, RequestId};
use civitas_protocol::Checksum256;
use tracing::debug;

/// Blocks asked for per request.
const RANGE: u32 = 128;
/// Range requests in flight at once (over all peers).
const MAX_RANGES: usize = 4;
/// Single-block requests (missing parents) in flight at once.
const MAX_SINGLES: usize = 8;

#[derive(Debug, Clone, Copy)]
struct Peer {
    index: u64,
    head: u32,
    lib: u32,
    in_flight: usize,
}

/// Peers and outstanding requests.
#[derive(Debug, Default)]
pub struct SyncState {
    peers: BTreeMap<NetPeer, Peer>,
    by_index: BTreeMap<u64, NetPeer>,
    next_index: u64,
    ranges: BTreeMap<RequestId, (NetPeer, u32)>,
    singles: BTreeMap<RequestId, (NetPeer, Checksum256)>,
    /// The next height to ask for.
    next: u32,
    rotate: usize,
}

impl SyncState {
    /// The core's small id for a network peer (the core only needs to tell peers apart).
    pub fn index_of(&mut self, peer: NetPeer) -> u64 {
        if let Some(p) = self.peers.get(&peer) {
            return p.index;
        }
        if let Some((i, _)) = self.by_index.iter().find(|(_, p)| **p == peer) {
            return *i;
        }
        self.next_index += 1;
        self.by_index.insert(self.next_index, peer);
        self.next_index
    }

    /// The network peer behind a core peer id.
    pub fn peer_of(&self, index: u64) -> Option<NetPeer> {
        self.by_index.get(&index).copied()
    }

    /// Connected peers.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// The highest head any peer announced.
    pub fn best_peer_head(&self) -> u32 {
        self.peers.values().map(|p| p.head).max().unwrap_or(0)
    }

    /// A peer completed its handshake.
    pub fn connected(&mut self, peer: NetPeer, head: u32, lib: u32) {
        let index = self.index_of(peer);
        self.peers.insert(peer, Peer { index, head, lib, in_flight: 0 });
    }

    /// A peer left; its requests are gone with it.
    pub fn disconnected(&mut self, peer: NetPeer) {
        if let Some(p) = self.peers.remove(&peer) {
            self.by_index.remove(&p.index);
        }
        self.ranges.retain(|_, (p, _)| *p != peer);
        self.singles.retain(|_, (p, _)| *p != peer);
        if self.ranges.is_empty() {
            self.next = 0;
        }
    }

    /// A peer announced a new head or LIB.
    pub fn status(&mut self, peer: NetPeer, head: u32, lib: u32) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.head = head;
            p.lib = lib;
        }
    }

    /// A response arrived and its blocks were handed to the core.
    pub fn done(&mut self, request: RequestId, peer: NetPeer, count: usize) {
        self.finish(request, peer);
        if count == 0 && self.ranges.is_empty() {
            self.next = 0;
        }
    }

    /// A request was answered `NotFound` or timed out.
    pub fn failed(&mut self, request: RequestId, peer: NetPeer) {
        self.finish(request, peer);
        if self.ranges.is_empty() {
            self.next = 0;
        }
    }

    fn finish(&mut self, request: RequestId, peer: NetPeer) {
        let was = self.ranges.remove(&request).is_some() || self.singles.remove(&request).is_some();
        if was {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.in_flight = p.in_flight.saturating_sub(1);
            }
        }
    }

    /// Asks `peer` for one block (a missing parent).
    pub fn fetch_block(&mut self, net: &NetHandle, peer: NetPeer, id: Checksum256) {
        if self.singles.len() >= MAX_SINGLES || self.singles.values().any(|(_, i)| *i == id) {
            return;
        }
        if let Ok(r) = net.request_block(&peer, id) {
            self.singles.insert(r, (peer, id));
            if let Some(p) = self.peers.get_mut(&peer) {
                p.in_flight += 1;
            }
        }
    }

    /// Requests the next ranges while some peer is ahead of `head`.
    pub fn pump(&mut self, net: &NetHandle, head: u32) {
        let target = self.best_peer_head();
        if head >= target {
            self.next = 0;
            return;
        }
        if self.next <= head {
            self.next = head + 1;
        }
        while self.ranges.len() < MAX_RANGES && self.next <= target {
            let from = self.next;
            let mut ahead: Vec<NetPeer> =
                self.peers.iter().filter(|(_, p)| p.head >= from && p.in_flight < 2).map(|(k, _)| *k).collect();
            if ahead.is_empty() {
                break;
            }
            self.rotate = self.rotate.wrapping_add(1);
            let peer = ahead.swap_remove(self.rotate % ahead.len());
            match net.request_blocks(&peer, from, RANGE) {
                Ok(r) => {
                    debug!(peer = %peer.short(), from, "requesting blocks");
                    self.ranges.insert(r, (peer, from));
                    if let Some(p) = self.peers.get_mut(&peer) {
                        p.in_flight += 1;
                    }
                    self.next = from + RANGE;
                }
                Err(_) => break,
            }
        }
    }
}
