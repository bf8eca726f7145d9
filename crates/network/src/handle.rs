//! Starting the network and the handle the node drives it with.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use civitas_protocol::{Checksum256, PackedTransaction, SignedBlock};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::bans::{BanInfo, BanTarget};
use crate::config::NetConfig;
use crate::error::NetError;
use crate::events::{NetEvent, PeerInfo};
use crate::identity::PeerId;
use crate::manager::{self, ManagerMsg, MANAGER_QUEUE};
use crate::message::{ChainStatus, Message, RequestId};
use crate::metrics::NetMetrics;
use crate::ratelimit::Severity;
use crate::shared::Shared;

/// Entry point of the P2P layer.
pub struct Network;

impl Network {
    /// Binds the listener (if configured), starts dialling the peer list, and returns the
    /// handle and the event stream. The network runs until [`NetHandle::shutdown`] or until
    /// the event receiver is dropped.
    pub async fn start(config: NetConfig) -> Result<(NetHandle, mpsc::Receiver<NetEvent>), NetError> {
        Network::start_with_cancel(config, CancellationToken::new()).await
    }

    /// As [`Network::start`], stopping when `cancel` (for example the node supervisor's
    /// token, or a child of it) is cancelled.
    pub async fn start_with_cancel(
        config: NetConfig,
        cancel: CancellationToken,
    ) -> Result<(NetHandle, mpsc::Receiver<NetEvent>), NetError> {
        config.validate()?;
        let listener = match config.listen_addr {
            Some(a) => Some(TcpListener::bind(a).await?),
            None => None,
        };
        let local_addr = match &listener {
            Some(l) => Some(l.local_addr()?),
            None => None,
        };
        let (ev_tx, ev_rx) = mpsc::channel(config.event_queue);
        let (mgr_tx, mgr_rx) = mpsc::channel(MANAGER_QUEUE);
        let shared = Arc::new(Shared::new(config, local_addr, ev_tx, cancel, mgr_tx));
        info!(target: "net", peer_id = %shared.local, listen = ?local_addr, name = %shared.cfg.node_name, "network started");
        shared.tracker.spawn(manager::run(shared.clone(), listener, mgr_rx));
        Ok((NetHandle { shared }, ev_rx))
    }
}

/// The node's handle on the network. Cheap to clone; no method blocks or waits on the
/// network (sends go to bounded per-peer queues with `try_send`).
#[derive(Clone)]
pub struct NetHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for NetHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetHandle").field("peer_id", &self.shared.local).finish()
    }
}

impl NetHandle {
    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.shared.local
    }

    /// The bound listen address (with the real port when the config asked for port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.shared.local_addr
    }

    /// Gossips a block to every connected peer that has not sent or been sent it; returns how
    /// many peers it was queued for. Call it only for blocks that passed validation.
    pub fn broadcast_block(&self, block: &SignedBlock) -> usize {
        self.shared.broadcast(&Message::Block(Box::new(block.clone())))
    }

    /// Relays a block this node validated: a notice of it to every peer not known to have it,
    /// which asks for the block if it lacks it. Returns how many notices were queued.
    pub fn announce_block(&self, block: &SignedBlock) -> usize {
        self.shared.announce_block(block.id(), block.block_num())
    }

    /// Gossips a transaction (low priority: dropped for peers whose queue is full) to every
    /// peer: for the node's own (API) transactions.
    pub fn broadcast_transaction(&self, trx: &PackedTransaction) -> usize {
        self.shared.broadcast(&Message::Transaction(Box::new(trx.clone())))
    }

    /// Relays a transaction received from a peer to at most `relay_fanout` peers lacking it.
    pub fn relay_transaction(&self, trx: &PackedTransaction) -> usize {
        self.shared.relay(&Message::Transaction(Box::new(trx.clone())))
    }

    /// Gossips an approval (opaque bytes defined by the consensus layer) to every peer: for
    /// the node's own approvals.
    pub fn broadcast_approval(&self, bytes: &[u8]) -> usize {
        self.shared.broadcast(&Message::Approval(bytes.to_vec()))
    }

    /// Relays an approval received from a peer to at most `relay_fanout` peers lacking it.
    pub fn relay_approval(&self, bytes: &[u8]) -> usize {
        self.shared.relay(&Message::Approval(bytes.to_vec()))
    }

    /// Sends one message to one peer, as is (no de-duplication, no request tracking).
    pub fn send(&self, peer: &PeerId, msg: &Message) -> Result<(), NetError> {
        self.shared.send_to(peer, msg)
    }

    /// Asks `peer` for `count` blocks of its best chain starting at `from_num`. The answer is
    /// a [`NetEvent::Blocks`] or [`NetEvent::NotFound`] with the returned id, or a
    /// [`NetEvent::RequestTimeout`]. Requests to several peers may run in parallel.
    pub fn request_blocks(&self, peer: &PeerId, from_num: u32, count: u32) -> Result<RequestId, NetError> {
        let max = self.shared.cfg.max_blocks_per_request;
        if count == 0 || count > max {
            return Err(NetError::InvalidRequest(format!("count {count} is not in 1..={max}")));
        }
        self.shared.request(peer, count, |request| Message::GetBlocks { request, from_num, count })
    }

    /// Asks `peer` for one block by id; answered like [`NetHandle::request_blocks`].
    pub fn request_block(&self, peer: &PeerId, id: Checksum256) -> Result<RequestId, NetError> {
        self.shared.request(peer, 1, |request| Message::GetBlock { request, id })
    }

    /// Penalises a peer (for example `Severity::Fatal` for an invalid block). Returns true if
    /// the peer is now banned (and disconnected).
    pub fn penalize(&self, peer: &PeerId, reason: &str, severity: Severity) -> bool {
        self.shared.penalize_peer(peer, severity, reason)
    }

    /// Bans a peer for `duration` and disconnects it.
    pub fn ban(&self, peer: &PeerId, duration: Duration, reason: &str) {
        self.shared.ban_peer(*peer, None, duration, reason);
    }

    /// Lifts a ban; returns whether there was one.
    pub fn unban(&self, target: &BanTarget) -> bool {
        self.shared.unban(target)
    }

    /// The bans in force.
    pub fn bans(&self) -> Vec<BanInfo> {
        self.shared.bans()
    }

    /// Adds an address to keep connected (like `--peer`).
    pub fn add_peer(&self, addr: &str) {
        let _ = self.shared.manager.try_send(ManagerMsg::AddPeer(addr.to_string()));
    }

    /// The ready connections.
    pub fn peers(&self) -> Vec<PeerInfo> {
        self.shared.peer_infos()
    }

    /// Records our new head/LIB (sent in future `Hello`s) and tells connected peers.
    pub fn update_status(&self, status: ChainStatus) {
        self.shared.set_status(status);
    }

    /// Our head/LIB as last reported.
    pub fn status(&self) -> ChainStatus {
        self.shared.status()
    }

    /// A snapshot of the counters.
    pub fn metrics(&self) -> NetMetrics {
        self.shared.metrics()
    }

    /// The token that stops the network; cancel it, or a parent of it, to shut down.
    pub fn cancel_token(&self) -> CancellationToken {
        self.shared.cancel.clone()
    }

    /// Whether shutdown has begun.
    pub fn is_shut_down(&self) -> bool {
        self.shared.cancel.is_cancelled()
    }

    /// Stops the network: closes every connection and the listener, and waits for all of its
    /// tasks to end.
    pub async fn shutdown(&self) {
        self.shared.cancel.cancel();
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
    }
}
