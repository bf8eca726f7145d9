//! State shared by the connection tasks, the manager and the node's handle: the peer table,
//! the de-duplication set, the ban list and the counters.
//!
//! Everything here is behind short, synchronous `std` mutexes that are never held across an
//! `.await` or while another of them is taken, so the node's calls never wait on the network
//! and cannot deadlock with it. Sends to peers use `try_send` on bounded queues.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use civitas_protocol::{sha256, Checksum256};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::bans::{BanInfo, BanList, BanTarget};
use crate::config::NetConfig;
use crate::error::{DisconnectReason, NetError};
use crate::events::{Direction, NetEvent, PeerInfo};
use crate::identity::PeerId;
use crate::manager::ManagerMsg;
use crate::message::{ChainStatus, Hello, Message, RequestId, PROTOCOL_VERSION};
use crate::metrics::{add, inc, Metrics, NetMetrics};
use crate::ratelimit::{Score, Severity};
use crate::seen::{ConnId, SeenSet};

/// An encoded message, shared between the queues of all peers it is sent to.
pub(crate) type Frame = Arc<[u8]>;

/// Locks a mutex; a poisoned lock (a panic elsewhere) still yields the data, which stays
/// consistent because no critical section here can panic halfway through an update.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One of our requests waiting for an answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outstanding {
    pub(crate) max_blocks: u32,
    pub(crate) deadline: Instant,
}

/// Per-connection state changed by its tasks.
#[derive(Debug, Default)]
pub(crate) struct LinkState {
    pub(crate) status: ChainStatus,
    pub(crate) outstanding: HashMap<RequestId, Outstanding>,
    pub(crate) inbound_requests: usize,
    pub(crate) ping: Option<(u64, Instant)>,
    pub(crate) rtt: Option<Duration>,
    /// When the peer's last accepted `Peers` message arrived.
    pub(crate) last_peers: Option<Instant>,
}

/// One connection: its queues, its close signal and its state. Shared by the reader, the
/// writer, the peer table and outstanding reply handles.
#[derive(Debug)]
pub(crate) struct Link {
    pub(crate) conn: ConnId,
    pub(crate) peer: PeerId,
    high: mpsc::Sender<Frame>,
    low: mpsc::Sender<Frame>,
    close: CancellationToken,
    reason: Mutex<Option<DisconnectReason>>,
    /// Fired once the connection has left the peer table.
    pub(crate) done: CancellationToken,
    pub(crate) state: Mutex<LinkState>,
    pub(crate) messages_in: AtomicU64,
    pub(crate) messages_out: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) dropped_low: AtomicU64,
}

impl Link {
    pub(crate) fn new(
        conn: ConnId,
        peer: PeerId,
        high: mpsc::Sender<Frame>,
        low: mpsc::Sender<Frame>,
        close: CancellationToken,
    ) -> Link {
        Link {
            conn,
            peer,
            high,
            low,
            close,
            reason: Mutex::new(None),
            done: CancellationToken::new(),
            state: Mutex::new(LinkState::default()),
            messages_in: AtomicU64::new(0),
            messages_out: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            dropped_low: AtomicU64::new(0),
        }
    }

    /// Asks the connection's tasks to stop; the first reason given is the one reported.
    pub(crate) fn close(&self, reason: DisconnectReason) {
        let mut r = lock(&self.reason);
        if r.is_none() {
            *r = Some(reason);
        }
        drop(r);
        self.close.cancel();
    }

    pub(crate) fn close_token(&self) -> &CancellationToken {
        &self.close
    }

    pub(crate) fn close_reason(&self) -> Option<DisconnectReason> {
        lock(&self.reason).clone()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.close.is_cancelled()
    }

    /// Queues a frame. Low-priority frames are dropped when their queue is full; a full
    /// high-priority queue means the peer cannot keep up, and the connection is closed.
    /// Returns whether the frame was queued.
    pub(crate) fn send_frame(&self, frame: Frame, low_priority: bool) -> bool {
        let q = if low_priority { &self.low } else { &self.high };
        match q.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) if low_priority => {
                self.dropped_low.fetch_add(1, Ordering::Relaxed);
                false
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                if !self.is_closed() {
                    warn!(target: "net", peer = %self.peer.short(), "send queue full, disconnecting");
                    self.close(DisconnectReason::SendQueueFull);
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Encodes and queues a message with its natural priority.
    pub(crate) fn send_message(&self, msg: &Message) -> bool {
        self.send_frame(msg.encode().into(), msg.is_low_priority())
    }

    pub(crate) fn finish_inbound_request(&self) {
        let mut st = lock(&self.state);
        st.inbound_requests = st.inbound_requests.saturating_sub(1);
    }
}

struct PeerEntry {
    link: Arc<Link>,
    addr: SocketAddr,
    direction: Direction,
    /// Who dialled: decides which of two simultaneous connections survives.
    initiator: PeerId,
    /// Set when the connection is ready (after `Hello`).
    hello: Option<Hello>,
    /// The peer's dialable address for peer exchange.
    listen: Option<String>,
    score: Score,
    ready_at: Instant,
}

/// The outcome of [`Shared::admit`].
pub(crate) enum Admission {
    Accepted,
    /// An older connection to the same peer is being replaced: wait for it to leave, then
    /// try again.
    Wait(CancellationToken),
    Rejected(DisconnectReason),
}

/// See the module documentation.
pub(crate) struct Shared {
    pub(crate) cfg: NetConfig,
    pub(crate) local: PeerId,
    pub(crate) local_addr: Option<SocketAddr>,
    /// Our dialable address as sent in `Hello`.
    pub(crate) advertise: Option<String>,
    peers: Mutex<HashMap<ConnId, PeerEntry>>,
    seen: Mutex<SeenSet>,
    /// Which connections have each recent block (sent it or a notice of it, or were sent it),
    /// by block id: who needs a notice.
    blocks_seen: Mutex<SeenSet>,
    bans: Mutex<BanList>,
    status: Mutex<ChainStatus>,
    pub(crate) metrics: Metrics,
    pub(crate) events: mpsc::Sender<NetEvent>,
    pub(crate) cancel: CancellationToken,
    pub(crate) tracker: TaskTracker,
    pub(crate) manager: mpsc::Sender<ManagerMsg>,
    next_conn: AtomicU64,
    next_request: AtomicU32,
    next_nonce: AtomicU64,
}

impl Shared {
    pub(crate) fn new(
        cfg: NetConfig,
        local_addr: Option<SocketAddr>,
        events: mpsc::Sender<NetEvent>,
        cancel: CancellationToken,
        manager: mpsc::Sender<ManagerMsg>,
    ) -> Shared {
        let advertise = cfg.advertise_addr.clone().or_else(|| local_addr.map(|a| a.to_string()));
        Shared {
            local: cfg.node_key.peer_id(),
            local_addr,
            advertise,
            peers: Mutex::new(HashMap::new()),
            seen: Mutex::new(SeenSet::new(cfg.seen_capacity)),
            blocks_seen: Mutex::new(SeenSet::new(cfg.seen_capacity)),
            bans: Mutex::new(BanList::default()),
            status: Mutex::new(cfg.status),
            metrics: Metrics::default(),
            events,
            cancel,
            tracker: TaskTracker::new(),
            manager,
            next_conn: AtomicU64::new(1),
            next_request: AtomicU32::new(1),
            next_nonce: AtomicU64::new(1),
            cfg,
        }
    }

    pub(crate) fn new_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn new_nonce(&self) -> u64 {
        self.next_nonce.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends an event to the node, waiting for room (back-pressure onto the peer's socket).
    /// Returns false when shutting down; a dropped receiver shuts the network down.
    pub(crate) async fn emit(&self, ev: NetEvent) -> bool {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => false,
            r = self.events.send(ev) => {
                if r.is_err() {
                    info!(target: "net", "event receiver dropped, shutting the network down");
                    self.cancel.cancel();
                }
                r.is_ok()
            }
        }
    }

    // ---- status and hello ----

    pub(crate) fn status(&self) -> ChainStatus {
        *lock(&self.status)
    }

    pub(crate) fn set_status(&self, s: ChainStatus) {
        *lock(&self.status) = s;
        self.broadcast_raw(&Message::Status(s));
    }

    pub(crate) fn hello(&self, identity: Option<crate::identity::PeerIdentity>) -> Hello {
        Hello {
            chain_id: self.cfg.chain_id,
            protocol_version: PROTOCOL_VERSION,
            features: self.cfg.features,
            status: self.status(),
            listen_addr: self.advertise.clone(),
            node_name: self.cfg.node_name.clone(),
            identity,
        }
    }

    // ---- bans ----

    pub(crate) fn is_banned(&self, t: &BanTarget) -> bool {
        lock(&self.bans).is_banned(t, Instant::now())
    }

    pub(crate) fn is_ip_banned(&self, ip: IpAddr) -> bool {
        self.cfg.ip_bans && self.is_banned(&BanTarget::Ip(ip))
    }

    pub(crate) fn ban(&self, target: BanTarget, duration: Duration, reason: &str) {
        if matches!(target, BanTarget::Ip(_)) && !self.cfg.ip_bans {
            return;
        }
        if lock(&self.bans).ban(target, duration, reason, Instant::now()) {
            inc(&self.metrics.bans_total);
            info!(target: "net", ?target, reason, secs = duration.as_secs(), "ban");
        }
    }

    /// Bans a peer (and its IP when enabled) and closes its connection.
    pub(crate) fn ban_peer(&self, peer: PeerId, ip: Option<IpAddr>, duration: Duration, reason: &str) {
        self.ban(BanTarget::Peer(peer), duration, reason);
        if let Some(ip) = ip {
            self.ban(BanTarget::Ip(ip), duration, reason);
        }
        if let Some(link) = self.link_of(&peer) {
            link.close(DisconnectReason::Banned(reason.to_string()));
        }
    }

    pub(crate) fn unban(&self, target: &BanTarget) -> bool {
        lock(&self.bans).unban(target)
    }

    pub(crate) fn bans(&self) -> Vec<BanInfo> {
        lock(&self.bans).list(Instant::now())
    }

    pub(crate) fn purge_bans(&self) {
        lock(&self.bans).purge(Instant::now());
    }

    // ---- peer table ----

    /// Reserves a place for an authenticated connection, applying bans, the one-connection-
    /// per-peer rule and the limits. Of two connections between the same pair, both sides keep
    /// the one dialled by the smaller peer id, so simultaneous dials settle on one link.
    pub(crate) fn admit(&self, link: &Arc<Link>, addr: SocketAddr, direction: Direction) -> Admission {
        let peer = link.peer;
        if peer == self.local {
            return Admission::Rejected(DisconnectReason::SelfConnection);
        }
        if self.is_banned(&BanTarget::Peer(peer)) || self.is_ip_banned(addr.ip()) {
            return Admission::Rejected(DisconnectReason::PeerBanned);
        }
        let initiator = if direction == Direction::Outbound { self.local } else { peer };
        let mut peers = lock(&self.peers);
        if let Some(existing) = peers.values().find(|e| e.link.peer == peer) {
            // An old connection on its way out (the peer restarted) is waited for, not fought.
            return if existing.link.is_closed() {
                Admission::Wait(existing.link.done.clone())
            } else if initiator < existing.initiator {
                existing.link.close(DisconnectReason::Duplicate);
                Admission::Wait(existing.link.done.clone())
            } else {
                Admission::Rejected(DisconnectReason::Duplicate)
            };
        }
        let count = peers.values().filter(|e| e.direction == direction).count();
        let max = if direction == Direction::Inbound { self.cfg.max_inbound } else { self.cfg.max_outbound };
        if count >= max {
            return Admission::Rejected(DisconnectReason::TooManyPeers);
        }
        let now = Instant::now();
        peers.insert(
            link.conn,
            PeerEntry {
                link: link.clone(),
                addr,
                direction,
                initiator,
                hello: None,
                listen: None,
                score: Score::new(self.cfg.penalty_decay_per_sec, now),
                ready_at: now,
            },
        );
        Admission::Accepted
    }

    /// Marks a connection ready after a valid `Hello`. False if it was closed meanwhile.
    pub(crate) fn mark_ready(&self, conn: ConnId, hello: &Hello) -> bool {
        let mut peers = lock(&self.peers);
        let Some(e) = peers.get_mut(&conn) else { return false };
        if e.link.is_closed() {
            return false;
        }
        // An unspecified host (0.0.0.0:port) is replaced by the address the peer came from.
        e.listen = hello.listen_addr.as_ref().map(|a| match a.parse::<SocketAddr>() {
            Ok(sa) if sa.ip().is_unspecified() => SocketAddr::new(e.addr.ip(), sa.port()).to_string(),
            _ => a.clone(),
        });
        e.hello = Some(hello.clone());
        e.ready_at = Instant::now();
        lock(&e.link.state).status = hello.status;
        inc(&self.metrics.connections_established);
        true
    }

    pub(crate) fn unregister(&self, conn: ConnId) {
        let link = lock(&self.peers).remove(&conn).map(|e| e.link);
        if let Some(link) = link {
            add(&self.metrics.dropped_low_priority, link.dropped_low.load(Ordering::Relaxed));
            link.done.cancel();
        }
    }

    fn ready_links(&self) -> Vec<Arc<Link>> {
        lock(&self.peers).values().filter(|e| e.hello.is_some()).map(|e| e.link.clone()).collect()
    }

    pub(crate) fn link_of(&self, peer: &PeerId) -> Option<Arc<Link>> {
        lock(&self.peers).values().find(|e| e.link.peer == *peer && e.hello.is_some()).map(|e| e.link.clone())
    }

    /// Whether a connected peer advertised `addr` as its dialable address.
    pub(crate) fn is_connected_addr(&self, addr: &str) -> bool {
        lock(&self.peers).values().any(|e| e.listen.as_deref() == Some(addr))
    }

    pub(crate) fn is_connected(&self, peer: &PeerId) -> bool {
        lock(&self.peers).values().any(|e| e.link.peer == *peer)
    }

    /// Dialable addresses of ready peers other than `except`, for a `Peers` message.
    pub(crate) fn peer_addresses(&self, except: ConnId) -> Vec<String> {
        lock(&self.peers)
            .values()
            .filter(|e| e.link.conn != except && e.hello.is_some())
            .filter_map(|e| e.listen.clone())
            .take(crate::message::MAX_PEER_ADDRS)
            .collect()
    }

    pub(crate) fn peer_infos(&self) -> Vec<PeerInfo> {
        let now = Instant::now();
        let mut peers = lock(&self.peers);
        peers
            .values_mut()
            .filter_map(|e| {
                let hello = e.hello.as_ref()?;
                let st = lock(&e.link.state);
                let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
                Some(PeerInfo {
                    peer: e.link.peer,
                    addr: e.addr,
                    direction: e.direction,
                    node_name: hello.node_name.clone(),
                    listen_addr: e.listen.clone(),
                    protocol_version: hello.protocol_version,
                    features: hello.features,
                    identity: hello.identity.as_ref().map(|i| i.key),
                    status: st.status,
                    connected_for: now.saturating_duration_since(e.ready_at),
                    score: e.score.value(now),
                    rtt: st.rtt,
                    messages_in: g(&e.link.messages_in),
                    messages_out: g(&e.link.messages_out),
                    bytes_in: g(&e.link.bytes_in),
                    bytes_out: g(&e.link.bytes_out),
                })
            })
            .collect()
    }

    pub(crate) fn metrics(&self) -> NetMetrics {
        let (mut inbound, mut outbound, mut dropped) = (0, 0, 0);
        for e in lock(&self.peers).values() {
            dropped += e.link.dropped_low.load(Ordering::Relaxed);
            if e.hello.is_none() {
                continue;
            }
            match e.direction {
                Direction::Inbound => inbound += 1,
                Direction::Outbound => outbound += 1,
            }
        }
        let active = lock(&self.bans).active(Instant::now()) as u64;
        let mut m = self.metrics.snapshot(inbound, outbound, active);
        m.dropped_low_priority += dropped;
        m
    }

    // ---- penalties ----

    /// Adds a penalty to a connection; bans and disconnects it at the threshold. Returns
    /// whether it was banned.
    pub(crate) fn penalize_conn(&self, conn: ConnId, severity: Severity, reason: &str) -> bool {
        inc(&self.metrics.penalties);
        let hit = {
            let mut peers = lock(&self.peers);
            let Some(e) = peers.get_mut(&conn) else { return false };
            let score = e.score.add(severity.points(), Instant::now());
            debug!(target: "net", peer = %e.link.peer.short(), reason, ?severity, score, "penalty");
            (score >= self.cfg.penalty_threshold).then(|| (e.link.peer, e.addr.ip()))
        };
        match hit {
            Some((peer, ip)) => {
                self.ban_peer(peer, Some(ip), self.cfg.ban_duration, reason);
                true
            }
            None => false,
        }
    }

    pub(crate) fn penalize_peer(&self, peer: &PeerId, severity: Severity, reason: &str) -> bool {
        let conn = lock(&self.peers).values().find(|e| e.link.peer == *peer).map(|e| e.link.conn);
        match conn {
            Some(c) => self.penalize_conn(c, severity, reason),
            // Not connected: a fatal offence still earns a ban for the next attempt.
            None if severity == Severity::Fatal => {
                self.ban(BanTarget::Peer(*peer), self.cfg.ban_duration, reason);
                true
            }
            None => false,
        }
    }

    // ---- sending ----

    /// Records `from` as a holder of the gossip frame; true when it is new (deliver it).
    pub(crate) fn observe(&self, frame: &[u8], from: ConnId) -> bool {
        lock(&self.seen).observe(sha256(frame), from)
    }

    /// Gossips `msg` to every ready peer that does not have it yet.
    pub(crate) fn broadcast(&self, msg: &Message) -> usize {
        let links = self.ready_links();
        if links.is_empty() {
            // Nobody to tell (a lone producer): no encoding, hashing or seen-set entry.
            return 0;
        }
        let bytes = msg.encode();
        if bytes.len() > self.cfg.max_frame_size {
            warn!(target: "net", kind = msg.kind(), len = bytes.len(), "not broadcasting an oversized message");
            return 0;
        }
        let hash: Checksum256 = sha256(&bytes);
        let ids: Vec<ConnId> = links.iter().map(|l| l.conn).collect();
        let targets = lock(&self.seen).select_targets(hash, &ids);
        if let Message::Block(b) = msg {
            let mut seen = lock(&self.blocks_seen);
            let id = b.id();
            for c in &targets {
                seen.observe(id, *c);
            }
        }
        let frame: Frame = bytes.into();
        let low = msg.is_low_priority();
        links.iter().filter(|l| targets.contains(&l.conn)).filter(|l| l.send_frame(frame.clone(), low)).count()
    }

    /// Relays `msg` to at most `relay_fanout` ready peers that do not have it yet.
    pub(crate) fn relay(&self, msg: &Message) -> usize {
        let links = self.ready_links();
        if links.is_empty() {
            return 0;
        }
        let bytes = msg.encode();
        if bytes.len() > self.cfg.max_frame_size {
            return 0;
        }
        let hash: Checksum256 = sha256(&bytes);
        let ids: Vec<ConnId> = links.iter().map(|l| l.conn).collect();
        let targets = lock(&self.seen).select_some_targets(hash, &ids, self.cfg.relay_fanout);
        let frame: Frame = bytes.into();
        let low = msg.is_low_priority();
        links.iter().filter(|l| targets.contains(&l.conn)).filter(|l| l.send_frame(frame.clone(), low)).count()
    }

    /// Records that `conn` has block `id` (sent it, a notice of it, or was sent it); true when
    /// nobody had told us of the block before.
    pub(crate) fn observe_block(&self, id: &Checksum256, conn: ConnId) -> bool {
        lock(&self.blocks_seen).observe(*id, conn)
    }

    /// Sends a notice of block `id` to every ready peer not known to have it.
    pub(crate) fn announce_block(&self, id: Checksum256, num: u32) -> usize {
        let links = self.ready_links();
        if links.is_empty() {
            return 0;
        }
        let ids: Vec<ConnId> = links.iter().map(|l| l.conn).collect();
        let targets = lock(&self.blocks_seen).select_targets(id, &ids);
        let frame: Frame = Message::BlockNotice { id, num }.encode().into();
        links.iter().filter(|l| targets.contains(&l.conn)).filter(|l| l.send_frame(frame.clone(), false)).count()
    }

    /// Sends `msg` to every ready peer, without de-duplication (status, peer lists).
    pub(crate) fn broadcast_raw(&self, msg: &Message) -> usize {
        let frame: Frame = msg.encode().into();
        let low = msg.is_low_priority();
        self.ready_links().iter().filter(|l| l.send_frame(frame.clone(), low)).count()
    }

    pub(crate) fn send_to(&self, peer: &PeerId, msg: &Message) -> Result<(), NetError> {
        let bytes = msg.encode();
        if bytes.len() > self.cfg.max_frame_size {
            return Err(NetError::MessageTooLarge { len: bytes.len(), max: self.cfg.max_frame_size });
        }
        let link = self.link_of(peer).ok_or(NetError::NotConnected(*peer))?;
        if link.send_frame(bytes.into(), msg.is_low_priority()) || msg.is_low_priority() {
            Ok(())
        } else {
            Err(NetError::QueueFull(*peer))
        }
    }

    /// Sends a request built around a fresh id, tracking it for the response and timeout.
    pub(crate) fn request(
        &self,
        peer: &PeerId,
        max_blocks: u32,
        build: impl FnOnce(RequestId) -> Message,
    ) -> Result<RequestId, NetError> {
        let link = self.link_of(peer).ok_or(NetError::NotConnected(*peer))?;
        let request = self.next_request.fetch_add(1, Ordering::Relaxed);
        {
            let mut st = lock(&link.state);
            if st.outstanding.len() >= self.cfg.max_outstanding_requests {
                return Err(NetError::TooManyRequests(*peer));
            }
            let deadline = Instant::now() + self.cfg.request_timeout;
            st.outstanding.insert(request, Outstanding { max_blocks, deadline });
        }
        if link.send_message(&build(request)) {
            Ok(request)
        } else {
            lock(&link.state).outstanding.remove(&request);
            Err(NetError::QueueFull(*peer))
        }
    }
}
