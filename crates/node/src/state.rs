//! The state thread: the one place where the consensus core runs. Everything that changes the
//! chain arrives here as a [`CoreMsg`] — slot ticks, verified blocks and transactions, API
//! submissions, peer events — in batches; each batch's durable outputs are written and synced
//! once (group commit) before anything it produced leaves the node.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use civitas_consensus::{Consensus, Input, Output};
use civitas_network::{BlockReply, ChainStatus, NetEvent, NetHandle, PeerId as NetPeer, RequestId, Severity};
use civitas_protocol::codec::{Pack, Unpack};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Approval, Checksum256, SignedBlock};
use civitas_rpc::{StreamEvent, Submission};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, error, info, warn};

use crate::metrics::NodeMetrics;
use crate::store::Store;
use crate::sync::SyncState;

/// Most messages handled between two syncs of the block log.
const MAX_BATCH: usize = 512;

/// An input of the state thread.
#[derive(Debug)]
pub enum CoreMsg {
    /// The clock reached a slot boundary: produce if it is ours.
    Tick,
    /// A block whose transactions were verified (in parallel, off this thread).
    Block {
        /// The block.
        block: Arc<SignedBlock>,
        /// Its sender (`None`: our own).
        peer: Option<NetPeer>,
        /// Its transactions with recovered signers.
        verified: Vec<Arc<VerifiedTransaction>>,
    },
    /// A sync response was fully delivered (its blocks came just before, in order).
    SyncDone {
        /// The responder.
        peer: NetPeer,
        /// The request.
        request: RequestId,
        /// Blocks it held.
        count: usize,
    },
    /// Gossiped transactions with recovered signers.
    Transactions(Vec<VerifiedTransaction>),
    /// Transactions from the API.
    Submit(Submission),
    /// Any other network event.
    Net(NetEvent),
    /// Stop: write a final checkpoint and return.
    Shutdown,
}

/// The state thread's world.
pub struct StateLoop {
    /// The core, shared with the API (which only reads).
    pub core: Arc<RwLock<Consensus>>,
    /// Durable state.
    pub store: Store,
    /// The network, if the node has peers.
    pub net: Option<NetHandle>,
    /// New heads and LIBs for the API's stream.
    pub events: broadcast::Sender<StreamEvent>,
    /// Counters for `/metrics`.
    pub metrics: Arc<NodeMetrics>,
    /// Irreversible blocks between checkpoints.
    pub checkpoint_interval: u32,
    /// Peers and block requests.
    pub sync: SyncState,
}

impl StateLoop {
    /// Runs until [`CoreMsg::Shutdown`] or a storage error (which must stop the node).
    pub fn run(mut self, mut rx: mpsc::Receiver<CoreMsg>) -> anyhow::Result<()> {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            let Some(first) = rx.blocking_recv() else { break };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(m) => batch.push(m),
                    Err(_) => break,
                }
            }
            let shutdown = batch.iter().any(|m| matches!(m, CoreMsg::Shutdown));
            self.step(&mut batch)?;
            if shutdown {
                break;
            }
        }
        let core = self.core.read().expect("core lock");
        self.store.maybe_checkpoint(&core, self.checkpoint_interval, true)?;
        info!(head = core.head().num, lib = core.lib().num, "state thread stopped");
        Ok(())
    }

    fn step(&mut self, batch: &mut Vec<CoreMsg>) -> anyhow::Result<()> {
        let mut out = Output::default();
        let mut replies = vec![];
        let mut relay_txs = vec![];
        let mut own_txs = vec![];
        let mut sync_done = vec![];
        let mut net_events = vec![];
        let (head_before, lib_before) = {
            let mut core = self.core.write().expect("core lock");
            let head_before = core.head().clone();
            let lib_before = core.lib().num;
            core.set_time(crate::clock::now());
            for msg in batch.drain(..) {
                match msg {
                    CoreMsg::Tick => core.handle(Input::Tick(crate::clock::now()), &mut out),
                    CoreMsg::Block { block, peer, verified } => {
                        let from = peer.map(|p| self.sync.index_of(p));
                        core.provide_verified(verified);
                        let t = Instant::now();
                        core.handle(Input::Block { block, from }, &mut out);
                        self.metrics.observe_apply(t.elapsed());
                    }
                    CoreMsg::SyncDone { peer, request, count } => sync_done.push((peer, request, count)),
                    CoreMsg::Transactions(txs) => {
                        let packed: Vec<_> = txs.iter().map(|t| t.packed.clone()).collect();
                        for (r, p) in core.push_transactions(txs).into_iter().zip(packed) {
                            if r.is_ok() {
                                relay_txs.push(p);
                            }
                        }
                    }
                    CoreMsg::Submit(s) => {
                        let packed: Vec<_> = s.txs.iter().map(|t| t.packed.clone()).collect();
                        let results = core.push_transactions(s.txs);
                        for (r, p) in results.iter().zip(packed) {
                            if r.is_ok() {
                                own_txs.push(p);
                            }
                        }
                        replies.push((s.reply, results));
                    }
                    CoreMsg::Net(ev) => match ev {
                        NetEvent::Approval { peer, bytes } => match Approval::unpack_exact(&bytes) {
                            Ok(a) => {
                                let from = Some(self.sync.index_of(peer));
                                core.handle(Input::Approval { approval: Arc::new(a), from }, &mut out);
                            }
                            Err(e) => {
                                if let Some(net) = &self.net {
                                    net.penalize(&peer, &format!("undecodable approval: {e}"), Severity::Major);
                                }
                            }
                        },
                        other => net_events.push(other),
                    },
                    CoreMsg::Shutdown => {}
                }
            }
            // Durable before visible: watermarks, blocks, LIB and one sync happen before the
            // lock is released, so the API never shows a head or LIB a crash could take back.
            self.store.persist(&core, &out)?;
            (head_before, lib_before)
        };
        for (reply, results) in replies {
            let _ = reply.send(results);
        }
        self.effects(&out, &head_before, lib_before, own_txs, relay_txs);
        for ev in net_events {
            self.on_net(ev);
        }
        for (peer, request, count) in sync_done {
            self.sync.done(request, peer, count);
        }
        let core = self.core.read().expect("core lock");
        for (peer, _lib, id) in &out.need_blocks {
            if let (Some(net), Some(p)) = (&self.net, self.sync.peer_of(*peer)) {
                self.sync.fetch_block(net, p, *id);
            }
        }
        if let Some(net) = &self.net {
            self.sync.pump(net, core.head().num);
        }
        self.store.maybe_checkpoint(&core, self.checkpoint_interval, false)?;
        self.metrics.pool.store(core.pool().len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Sends what the step produced: blocks, approvals, transactions (the API's `own_txs`,
    /// gossiped ones in `relay_txs`), stream events, status.
    fn effects(
        &mut self,
        out: &Output,
        head_before: &Arc<civitas_consensus::BlockEntry>,
        lib_before: u32,
        own_txs: Vec<civitas_protocol::PackedTransaction>,
        relay_txs: Vec<civitas_protocol::PackedTransaction>,
    ) {
        let core = self.core.read().expect("core lock");
        if let Some(net) = &self.net {
            // Our blocks go to every peer whole; others' blocks this node applied (validated in
            // full) are relayed as notices, which a peer lacking the block answers by asking for
            // it, so a block crosses each link about once however dense the network.
            for b in &out.broadcast {
                net.broadcast_block(b);
            }
            for b in &out.relay {
                net.announce_block(b);
            }
            // Our approvals and transactions to every peer; others' to a few peers lacking them,
            // each of which relays on.
            for a in &out.approvals {
                net.broadcast_approval(&a.packed());
            }
            for a in &out.relay_approvals {
                net.relay_approval(&a.packed());
            }
            for t in &own_txs {
                net.broadcast_transaction(t);
            }
            for t in &relay_txs {
                net.relay_transaction(t);
            }
            for (p, reason) in &out.penalties {
                if let Some(peer) = self.sync.peer_of(*p) {
                    warn!(peer = %peer.short(), %reason, "banning a peer for an invalid block");
                    net.penalize(&peer, reason, Severity::Fatal);
                }
            }
        }
        for (id, e) in out.rejected.iter().take(3) {
            debug!(%id, error = %e, "block rejected");
        }
        let head = core.head();
        let lib = core.lib();
        if head.id != head_before.id {
            if head.previous() == head_before.id && head.slot > head_before.slot + 1 {
                self.metrics.missed_slots.fetch_add(head.slot - head_before.slot - 1, Ordering::Relaxed);
            }
            let _ = self.events.send(StreamEvent::Head {
                num: head.num,
                id: head.id,
                producer: head.producer,
                time: head.time,
                slot: head.slot,
            });
        }
        if lib.num != lib_before {
            let _ = self.events.send(StreamEvent::Lib { num: lib.num, id: lib.id });
        }
        if head.id != head_before.id || lib.num != lib_before {
            if let Some(net) = &self.net {
                net.update_status(ChainStatus {
                    head_num: head.num,
                    head_id: head.id,
                    lib_num: lib.num,
                    lib_id: lib.id,
                });
            }
        }
        self.metrics.head.store(u64::from(head.num), Ordering::Relaxed);
        self.metrics.lib.store(u64::from(lib.num), Ordering::Relaxed);
    }

    fn on_net(&mut self, ev: NetEvent) {
        match ev {
            NetEvent::PeerConnected { peer, addr, hello, .. } => {
                info!(peer = %peer.short(), %addr, name = %hello.node_name, head = hello.status.head_num, "peer connected");
                self.sync.connected(peer, hello.status.head_num, hello.status.lib_num);
                self.metrics.peers.store(self.sync.peer_count() as u64, Ordering::Relaxed);
            }
            NetEvent::PeerDisconnected { peer, reason } => {
                info!(peer = %peer.short(), %reason, "peer disconnected");
                self.sync.disconnected(peer);
                self.metrics.peers.store(self.sync.peer_count() as u64, Ordering::Relaxed);
            }
            NetEvent::PeerStatus { peer, status } => self.sync.status(peer, status.head_num, status.lib_num),
            NetEvent::GetBlocks { from_num, count, reply, .. } => self.serve_range(from_num, count, reply),
            NetEvent::GetBlock { id, reply, .. } => self.serve_one(id, reply),
            NetEvent::NotFound { peer, request } | NetEvent::RequestTimeout { peer, request } => {
                self.sync.failed(request, peer)
            }
            // Blocks, transactions and approvals are routed before they reach here.
            NetEvent::Block { .. } | NetEvent::Blocks { .. } | NetEvent::Transaction { .. } => {
                error!("a block or transaction event reached the state thread unverified")
            }
            NetEvent::Approval { .. } => {}
            NetEvent::BlockNotice { peer, id, num } => {
                let lacking = {
                    let core = self.core.read().expect("core lock");
                    num > core.lib().num && core.forkdb().get(&id).is_none()
                };
                if let (true, Some(net)) = (lacking, &self.net) {
                    self.sync.fetch_block(net, peer, id);
                }
            }
        }
    }

    /// Blocks of our best chain from `from`: the log below the LIB, the fork database above.
    fn serve_range(&self, from: u32, count: u32, reply: BlockReply) {
        let core = self.core.read().expect("core lock");
        let lib = core.lib().num;
        let last = from.saturating_add(count.min(reply.max_blocks()).saturating_sub(1)).min(core.head().num);
        if from == 0 || from > last {
            reply.not_found();
            return;
        }
        let mut reversible = BTreeMap::new();
        if last > lib {
            let mut cur = Some(core.head().clone());
            while let Some(e) = cur {
                if e.num <= lib.max(from.saturating_sub(1)) {
                    break;
                }
                if e.num <= last {
                    reversible.insert(e.num, e.block.clone());
                }
                cur = core.forkdb().get(&e.previous()).cloned();
            }
        }
        let log = self.store.log.read().expect("log lock");
        let mut blocks: Vec<SignedBlock> = Vec::new();
        for n in from..=last {
            let b = if n > lib {
                reversible.get(&n).map(|b| (**b).clone())
            } else if n == lib {
                Some((*core.lib().block).clone())
            } else {
                log.block_by_num(n).ok().flatten()
            };
            match b {
                Some(b) => blocks.push(b),
                None => break,
            }
        }
        drop(log);
        drop(core);
        reply.send(&blocks);
    }

    fn serve_one(&self, id: Checksum256, reply: BlockReply) {
        let core = self.core.read().expect("core lock");
        if let Some(e) = core.forkdb().get(&id) {
            let b = (*e.block).clone();
            drop(core);
            reply.send(&[b]);
            return;
        }
        drop(core);
        match self.store.log.read().expect("log lock").block(&id) {
            Ok(Some(b)) => {
                reply.send(&[b]);
            }
            _ => reply.not_found(),
        }
    }
}
