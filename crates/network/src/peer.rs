//! One connection: handshake, `Hello`, then a reader (this task) and a writer (its own task).
//!
//! The reader decodes, rate-limits and dispatches inbound frames; it never races a frame read
//! against a timer (a partial read would be lost), so pings and request timeouts live in the
//! writer task.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use civitas_protocol::SignedBlock;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio::time::{timeout, Instant};
use tracing::{debug, info, warn};

use crate::bans::BanTarget;
use crate::error::DisconnectReason;
use crate::events::{BlockReply, Direction, NetEvent};
use crate::identity::{PeerId, PeerIdentity};
use crate::manager::ManagerMsg;
use crate::message::{Hello, Message, MIN_PROTOCOL_VERSION};
use crate::metrics::{add, inc};
use crate::ratelimit::{PeerLimiter, Severity};
use crate::shared::{lock, Admission, Frame, Link, Shared};
use crate::transport::{self, FrameReader, FrameWriter, TransportError};

/// How a connection ended, for the dialler's backoff.
#[derive(Debug, Clone)]
pub(crate) struct ConnOutcome {
    pub(crate) peer: Option<PeerId>,
    pub(crate) ready: bool,
    pub(crate) reason: DisconnectReason,
}

fn transport_reason(e: &TransportError) -> DisconnectReason {
    match e {
        TransportError::Closed => DisconnectReason::Closed,
        TransportError::Timeout => DisconnectReason::Timeout,
        TransportError::Io(e) => DisconnectReason::Io(e.to_string()),
        e if e.is_misbehaviour() => DisconnectReason::Misbehaviour(e.to_string()),
        e => DisconnectReason::Io(e.to_string()),
    }
}

/// Runs a connection from the TCP stream to its end. `permit` (inbound only) counts the
/// connection against the pending-handshake limit until it is ready.
pub(crate) async fn run(
    shared: Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    direction: Direction,
    permit: Option<OwnedSemaphorePermit>,
) -> ConnOutcome {
    let mut outcome = ConnOutcome { peer: None, ready: false, reason: DisconnectReason::Closed };
    let _ = stream.set_nodelay(true);
    let mut stream = stream;
    let hs = tokio::select! {
        _ = shared.cancel.cancelled() => {
            outcome.reason = DisconnectReason::Shutdown;
            return outcome;
        }
        r = timeout(
            shared.cfg.handshake_timeout,
            transport::handshake(&mut stream, &shared.cfg.node_key, direction == Direction::Outbound),
        ) => r.unwrap_or(Err(TransportError::Timeout)),
    };
    let session = match hs {
        Ok(s) => s,
        Err(e) => {
            inc(&shared.metrics.handshakes_failed);
            inc(&shared.metrics.connections_rejected);
            debug!(target: "net", %addr, error = %e, "noise handshake failed");
            if e.is_misbehaviour() {
                // Before authentication only the address is known.
                shared.ban(BanTarget::Ip(addr.ip()), shared.cfg.ban_duration, &format!("handshake: {e}"));
            }
            outcome.reason = transport_reason(&e);
            return outcome;
        }
    };
    let remote = session.remote();
    outcome.peer = Some(remote);
    let handshake_hash = *session.handshake_hash();

    let (high_tx, high_rx) = mpsc::channel::<Frame>(shared.cfg.send_queue);
    let (low_tx, low_rx) = mpsc::channel::<Frame>(shared.cfg.low_priority_queue);
    let link = Arc::new(Link::new(shared.new_conn_id(), remote, high_tx, low_tx, shared.cancel.child_token()));
    // Admission, waiting at most once for a replaced duplicate to leave.
    let mut waited = false;
    loop {
        match shared.admit(&link, addr, direction) {
            Admission::Accepted => break,
            Admission::Wait(done) if !waited => {
                waited = true;
                tokio::select! {
                    _ = shared.cancel.cancelled() => {
                        outcome.reason = DisconnectReason::Shutdown;
                        return outcome;
                    }
                    _ = timeout(shared.cfg.handshake_timeout, done.cancelled()) => {}
                }
            }
            Admission::Wait(_) => {
                outcome.reason = DisconnectReason::Duplicate;
                inc(&shared.metrics.connections_rejected);
                return outcome;
            }
            Admission::Rejected(reason) => {
                debug!(target: "net", peer = %remote.short(), %addr, %reason, "connection refused");
                inc(&shared.metrics.connections_rejected);
                outcome.reason = reason;
                return outcome;
            }
        }
    }

    let (read, write) = stream.into_split();
    let (mut reader, mut writer) =
        transport::split(session, read, write, shared.cfg.max_frame_size, shared.cfg.idle_timeout);
    // Our Hello is written and flushed before we read theirs, so a peer we are about to refuse
    // (wrong chain, old version) still gets our Hello and can say why it refuses us, whichever
    // side reads first.
    let identity = shared.cfg.identity_key.as_ref().map(|k| PeerIdentity::sign(k, &handshake_hash, &shared.local));
    let hello_frame: Frame = Message::Hello(Box::new(shared.hello(identity))).encode().into();
    let sent = timeout(shared.cfg.handshake_timeout, async {
        write_one(&shared, &link, &mut writer, &hello_frame).await?;
        writer.flush().await
    })
    .await;
    let hello_sent = match sent {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(transport_reason(&e)),
        Err(_) => Err(DisconnectReason::Timeout),
    };
    let writer_task = shared.tracker.spawn(write_loop(shared.clone(), link.clone(), writer, high_rx, low_rx));

    let received = match hello_sent {
        Ok(()) => receive_hello(&shared, &link, &mut reader, &handshake_hash).await,
        Err(reason) => Err(reason),
    };
    let reason = match received {
        Err(reason) => reason,
        Ok(hello) if !shared.mark_ready(link.conn, &hello) => link.close_reason().unwrap_or(DisconnectReason::Shutdown),
        Ok(hello) => {
            drop(permit);
            outcome.ready = true;
            info!(target: "net", peer = %remote.short(), %addr, ?direction, name = %hello.node_name,
                head = hello.status.head_num, lib = hello.status.lib_num, "peer connected");
            let ev = NetEvent::PeerConnected { peer: remote, addr, direction, hello: Box::new(hello) };
            if shared.emit(ev).await {
                let addrs = shared.peer_addresses(link.conn);
                if !addrs.is_empty() {
                    link.send_message(&Message::Peers(addrs));
                }
                let mut conn = Connection { shared: &shared, link: &link, limiter: limiter(&shared) };
                conn.read_loop(&mut reader).await
            } else {
                DisconnectReason::Shutdown
            }
        }
    };
    // The first recorded reason wins (a ban or duplicate closed us from outside).
    link.close(reason);
    let reason = link.close_reason().unwrap_or(DisconnectReason::Closed);
    match &reason {
        DisconnectReason::Misbehaviour(r) => {
            warn!(target: "net", peer = %remote.short(), %addr, reason = %r, "peer misbehaved");
            shared.ban_peer(remote, Some(addr.ip()), shared.cfg.ban_duration, r);
        }
        DisconnectReason::WrongChain(_) | DisconnectReason::IncompatibleVersion(_) => {
            shared.ban(BanTarget::Peer(remote), shared.cfg.short_ban_duration, &reason.to_string());
        }
        _ => {}
    }
    let _ = writer_task.await;
    drop(reader);
    if outcome.ready {
        info!(target: "net", peer = %remote.short(), %addr, %reason, "peer disconnected");
        let ev = NetEvent::PeerDisconnected { peer: remote, reason: reason.clone() };
        if shared.cancel.is_cancelled() {
            let _ = shared.events.try_send(ev);
        } else {
            shared.emit(ev).await;
        }
    } else {
        inc(&shared.metrics.connections_rejected);
    }
    shared.unregister(link.conn);
    outcome.reason = reason;
    outcome
}

fn limiter(shared: &Shared) -> PeerLimiter {
    PeerLimiter::new(&shared.cfg.rate_limit, shared.cfg.max_frame_size, Instant::now())
}

/// Reads and checks the peer's `Hello` (its first frame).
async fn receive_hello(
    shared: &Shared,
    link: &Link,
    reader: &mut FrameReader<OwnedReadHalf>,
    handshake_hash: &[u8; 32],
) -> Result<Hello, DisconnectReason> {
    let frame = tokio::select! {
        _ = link.close_token().cancelled() => return Err(link.close_reason().unwrap_or(DisconnectReason::Shutdown)),
        r = timeout(shared.cfg.handshake_timeout, reader.read_frame()) => match r {
            Err(_) => return Err(DisconnectReason::Timeout),
            Ok(Err(e)) => return Err(transport_reason(&e)),
            Ok(Ok(f)) => f,
        },
    };
    count_in(shared, link, frame.len());
    let hello = match Message::decode(&frame) {
        Ok(Message::Hello(h)) => *h,
        Ok(other) => {
            return Err(DisconnectReason::Misbehaviour(format!("first message was {}, not hello", other.kind())))
        }
        Err(e) => return Err(DisconnectReason::Misbehaviour(format!("undecodable hello: {e}"))),
    };
    if hello.chain_id != shared.cfg.chain_id {
        return Err(DisconnectReason::WrongChain(hello.chain_id));
    }
    if hello.protocol_version < MIN_PROTOCOL_VERSION {
        return Err(DisconnectReason::IncompatibleVersion(hello.protocol_version));
    }
    if let Some(id) = &hello.identity {
        if !id.verify(handshake_hash, &link.peer) {
            return Err(DisconnectReason::Misbehaviour("identity signature does not match the session".into()));
        }
    }
    Ok(hello)
}

fn count_in(shared: &Shared, link: &Link, len: usize) {
    inc(&shared.metrics.messages_in);
    add(&shared.metrics.bytes_in, len as u64);
    link.messages_in.fetch_add(1, Ordering::Relaxed);
    link.bytes_in.fetch_add(len as u64, Ordering::Relaxed);
}

/// The reader side of a ready connection.
struct Connection<'a> {
    shared: &'a Arc<Shared>,
    link: &'a Arc<Link>,
    limiter: PeerLimiter,
}

impl Connection<'_> {
    async fn read_loop(&mut self, reader: &mut FrameReader<OwnedReadHalf>) -> DisconnectReason {
        loop {
            let frame = tokio::select! {
                biased;
                _ = self.link.close_token().cancelled() => {
                    return self.link.close_reason().unwrap_or(DisconnectReason::Shutdown);
                }
                r = reader.read_frame() => match r {
                    Ok(f) => f,
                    Err(e) => return transport_reason(&e),
                },
            };
            count_in(self.shared, self.link, frame.len());
            if let Err(reason) = self.on_frame(&frame).await {
                return reason;
            }
        }
    }

    fn penalize(&self, severity: Severity, reason: &str) {
        self.shared.penalize_conn(self.link.conn, severity, reason);
    }

    async fn emit(&self, ev: NetEvent) -> Result<(), DisconnectReason> {
        if self.shared.emit(ev).await {
            Ok(())
        } else {
            Err(DisconnectReason::Shutdown)
        }
    }

    async fn on_frame(&mut self, frame: &[u8]) -> Result<(), DisconnectReason> {
        let msg =
            Message::decode(frame).map_err(|e| DisconnectReason::Misbehaviour(format!("undecodable message: {e}")))?;
        let peer = self.link.peer;
        // Responses to our own requests are not charged bytes: we chose how much to ask for.
        let solicited = match &msg {
            Message::Blocks { request, .. } | Message::NotFound { request } => {
                lock(&self.link.state).outstanding.contains_key(request)
            }
            _ => false,
        };
        if !self.limiter.check(frame.len(), !solicited, Instant::now()) {
            inc(&self.shared.metrics.rate_limited);
            self.penalize(Severity::Minor, "rate limit exceeded");
            return Ok(());
        }
        match msg {
            Message::Hello(_) => self.penalize(Severity::Major, "repeated hello"),
            Message::Block(block) => {
                self.shared.observe_block(&block.id(), self.link.conn);
                if self.fresh(frame) {
                    self.note_block(&block);
                    self.emit(NetEvent::Block { peer, block }).await?;
                }
            }
            Message::BlockNotice { id, num } => {
                // The peer has the block. The first word of it goes to the node, which asks for
                // the block if it lacks it; later notices only tell us who else has it.
                if self.shared.observe_block(&id, self.link.conn) {
                    self.emit(NetEvent::BlockNotice { peer, id, num }).await?;
                }
            }
            Message::Transaction(trx) => {
                if self.fresh(frame) {
                    self.emit(NetEvent::Transaction { peer, trx }).await?;
                }
            }
            Message::Approval(bytes) => {
                if self.fresh(frame) {
                    self.emit(NetEvent::Approval { peer, bytes }).await?;
                }
            }
            Message::GetBlocks { request, from_num, count } => {
                let count = count.min(self.shared.cfg.max_blocks_per_request);
                if let Some(reply) = self.inbound_request(request, count) {
                    self.emit(NetEvent::GetBlocks { peer, from_num, count, reply }).await?;
                }
            }
            Message::GetBlock { request, id } => {
                if let Some(reply) = self.inbound_request(request, 1) {
                    self.emit(NetEvent::GetBlock { peer, id, reply }).await?;
                }
            }
            Message::Blocks { request, blocks } => {
                let asked = lock(&self.link.state).outstanding.remove(&request);
                match asked {
                    None => self.penalize(Severity::Major, "unsolicited blocks"),
                    Some(o) if blocks.len() > o.max_blocks as usize => {
                        self.penalize(Severity::Major, "more blocks than requested")
                    }
                    Some(_) => {
                        for b in &blocks {
                            self.shared.observe_block(&b.id(), self.link.conn);
                        }
                        if let Some(last) = blocks.last() {
                            self.note_block(last);
                        }
                        self.emit(NetEvent::Blocks { peer, request, blocks }).await?;
                    }
                }
            }
            Message::NotFound { request } => {
                if lock(&self.link.state).outstanding.remove(&request).is_some() {
                    self.emit(NetEvent::NotFound { peer, request }).await?;
                } else {
                    self.penalize(Severity::Minor, "unsolicited not-found");
                }
            }
            Message::Peers(addrs) => {
                // At most one list per half exchange interval (after the first) is taken, so a
                // peer cannot keep pushing addresses for us to dial.
                let now = Instant::now();
                let accept = {
                    let mut st = lock(&self.link.state);
                    let ok = st.last_peers.is_none_or(|t| now - t >= self.shared.cfg.peer_exchange_interval / 2);
                    if ok {
                        st.last_peers = Some(now);
                    }
                    ok
                };
                if accept {
                    // Dropped when the manager is busy: peer lists are refreshed periodically.
                    let from = self.link.peer;
                    let _ = self.shared.manager.try_send(ManagerMsg::Learned { addrs, from });
                }
            }
            Message::Ping { nonce } => {
                self.link.send_message(&Message::Pong { nonce });
            }
            Message::Pong { nonce } => {
                let mut st = lock(&self.link.state);
                if let Some((n, sent)) = st.ping {
                    if n == nonce {
                        st.rtt = Some(sent.elapsed());
                        st.ping = None;
                    }
                }
            }
            Message::Status(status) => {
                lock(&self.link.state).status = status;
                self.emit(NetEvent::PeerStatus { peer, status }).await?;
            }
        }
        Ok(())
    }

    /// Records the frame in the seen-set; true if it is new.
    fn fresh(&self, frame: &[u8]) -> bool {
        let new = self.shared.observe(frame, self.link.conn);
        if !new {
            inc(&self.shared.metrics.duplicates);
        }
        new
    }

    /// A block from the peer tells us its chain reaches at least that height.
    fn note_block(&self, block: &SignedBlock) {
        let mut st = self.link.state.lock().unwrap_or_else(|e| e.into_inner());
        if block.block_num() > st.status.head_num {
            st.status.head_num = block.block_num();
            st.status.head_id = block.id();
        }
    }

    /// Admits an inbound request within the per-peer limit; otherwise answers `NotFound`.
    fn inbound_request(&self, request: u32, max_blocks: u32) -> Option<BlockReply> {
        let over = {
            let mut st = lock(&self.link.state);
            let over = st.inbound_requests >= self.shared.cfg.max_outstanding_requests || max_blocks == 0;
            if !over {
                st.inbound_requests += 1;
            }
            over
        };
        if over {
            self.penalize(Severity::Minor, "too many requests in flight");
            self.link.send_message(&Message::NotFound { request });
            return None;
        }
        Some(BlockReply::new(self.link.clone(), request, max_blocks, self.shared.cfg.max_frame_size))
    }
}

/// The writer task: drains the queues (high priority first), pings, and expires our requests.
async fn write_loop(
    shared: Arc<Shared>,
    link: Arc<Link>,
    mut writer: FrameWriter<OwnedWriteHalf>,
    mut high: mpsc::Receiver<Frame>,
    mut low: mpsc::Receiver<Frame>,
) {
    let tick_every = (shared.cfg.ping_interval.min(shared.cfg.request_timeout) / 4)
        .clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut tick = tokio::time::interval(tick_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_ping = Instant::now();
    loop {
        let first = tokio::select! {
            biased;
            _ = link.close_token().cancelled() => break,
            Some(f) = high.recv() => f,
            Some(f) = low.recv() => f,
            _ = tick.tick() => {
                let now = Instant::now();
                if now.duration_since(last_ping) >= shared.cfg.ping_interval {
                    last_ping = now;
                    let nonce = shared.new_nonce();
                    lock(&link.state).ping = Some((nonce, now));
                    link.send_message(&Message::Ping { nonce });
                }
                expire_requests(&shared, &link, now).await;
                continue;
            }
        };
        // Write this frame and whatever else is queued, then flush once; bounded by the idle
        // timeout so a peer that stops reading cannot hold the task forever.
        let res = tokio::select! {
            biased;
            _ = link.close_token().cancelled() => break,
            r = timeout(shared.cfg.idle_timeout, write_batch(&shared, &link, &mut writer, first, &mut high, &mut low)) => r,
        };
        match res {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                link.close(transport_reason(&e));
                break;
            }
            Err(_) => {
                link.close(DisconnectReason::Timeout);
                break;
            }
        }
    }
    let _ = timeout(Duration::from_millis(100), writer.shutdown()).await;
}

async fn write_batch(
    shared: &Shared,
    link: &Link,
    writer: &mut FrameWriter<OwnedWriteHalf>,
    first: Frame,
    high: &mut mpsc::Receiver<Frame>,
    low: &mut mpsc::Receiver<Frame>,
) -> Result<(), TransportError> {
    write_one(shared, link, writer, &first).await?;
    // At most 64 frames between flushes, so a long queue still reaches the socket steadily.
    for _ in 1..64 {
        let Some(frame) = high.try_recv().ok().or_else(|| low.try_recv().ok()) else { break };
        write_one(shared, link, writer, &frame).await?;
    }
    writer.flush().await?;
    Ok(())
}

async fn write_one(
    shared: &Shared,
    link: &Link,
    writer: &mut FrameWriter<OwnedWriteHalf>,
    frame: &Frame,
) -> Result<(), TransportError> {
    writer.write_frame(frame).await?;
    inc(&shared.metrics.messages_out);
    add(&shared.metrics.bytes_out, frame.len() as u64);
    link.messages_out.fetch_add(1, Ordering::Relaxed);
    link.bytes_out.fetch_add(frame.len() as u64, Ordering::Relaxed);
    Ok(())
}

async fn expire_requests(shared: &Shared, link: &Link, now: Instant) {
    let expired: Vec<u32> = {
        let mut st = lock(&link.state);
        let ids: Vec<u32> = st.outstanding.iter().filter(|(_, o)| o.deadline <= now).map(|(id, _)| *id).collect();
        for id in &ids {
            st.outstanding.remove(id);
        }
        ids
    };
    for request in expired {
        inc(&shared.metrics.request_timeouts);
        debug!(target: "net", peer = %link.peer.short(), request, "request timed out");
        if !shared.emit(NetEvent::RequestTimeout { peer: link.peer, request }).await {
            return;
        }
    }
}
