//! The manager task: accepts inbound connections, dials the peer list and learned addresses
//! with exponential backoff, exchanges peer lists, and expires bans.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::time::{timeout, Instant};
use tracing::{debug, info, warn};

use crate::bans::BanTarget;
use crate::error::DisconnectReason;
use crate::events::Direction;
use crate::identity::PeerId;
use crate::message::{Message, MAX_ADDR_LEN};
use crate::metrics::inc;
use crate::peer::{self, ConnOutcome};
use crate::shared::Shared;

/// Capacity of the manager's inbox.
pub(crate) const MANAGER_QUEUE: usize = 256;
/// How often the manager checks dial times, bans and the exchange timer.
const TICK: Duration = Duration::from_millis(50);
/// Failed attempts after which a learned address is forgotten.
const MAX_LEARNED_FAILURES: u32 = 3;

/// Messages to the manager.
#[derive(Debug)]
pub(crate) enum ManagerMsg {
    /// Addresses from a peer's `Peers` message.
    Learned { addrs: Vec<String>, from: PeerId },
    /// A dialled connection ended (or never started).
    DialEnded { target: u64, outcome: ConnOutcome },
    /// The node asked to keep a peer connected.
    AddPeer(String),
}

#[derive(Debug)]
struct Target {
    id: u64,
    addr: String,
    /// Configured (`--peer`) targets are dialled forever; learned ones are dropped after
    /// repeated failures.
    persistent: bool,
    /// Learned from the first successful handshake; used to skip peers already connected.
    peer: Option<PeerId>,
    active: bool,
    next_attempt: Instant,
    backoff: Duration,
    failures: u32,
    /// Set when the address turned out to be ourselves.
    disabled: bool,
}

struct Manager {
    shared: Arc<Shared>,
    targets: Vec<Target>,
    next_target: u64,
    handshakes: Arc<Semaphore>,
    next_exchange: Instant,
}

/// Runs until shutdown.
pub(crate) async fn run(shared: Arc<Shared>, listener: Option<TcpListener>, mut inbox: mpsc::Receiver<ManagerMsg>) {
    let now = Instant::now();
    let mut m = Manager {
        handshakes: Arc::new(Semaphore::new(shared.cfg.max_pending_handshakes)),
        next_exchange: now + shared.cfg.peer_exchange_interval,
        targets: Vec::new(),
        next_target: 1,
        shared,
    };
    for addr in m.shared.cfg.peers.clone() {
        m.add_target(addr, true);
    }
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = m.shared.cancel.cancelled() => break,
            Some(msg) = inbox.recv() => m.on_message(msg),
            r = accept(&listener) => match r {
                Ok((stream, addr)) => m.on_inbound(stream, addr),
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    warn!(target: "net", error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = tick.tick() => m.on_tick(),
        }
    }
    debug!(target: "net", "manager stopped");
}

async fn accept(listener: &Option<TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Accepts `HOST:PORT` with a non-empty host and a non-zero port.
fn valid_addr(a: &str) -> bool {
    a.len() <= MAX_ADDR_LEN
        && a.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p != 0))
}

impl Manager {
    fn add_target(&mut self, addr: String, persistent: bool) {
        if let Some(t) = self.targets.iter_mut().find(|t| t.addr == addr) {
            t.persistent |= persistent;
            return;
        }
        let id = self.next_target;
        self.next_target += 1;
        self.targets.push(Target {
            id,
            addr,
            persistent,
            peer: None,
            active: false,
            next_attempt: Instant::now(),
            backoff: self.shared.cfg.reconnect_min,
            failures: 0,
            disabled: false,
        });
    }

    fn is_own_addr(&self, a: &str) -> bool {
        self.shared.advertise.as_deref() == Some(a) || self.shared.local_addr.is_some_and(|l| l.to_string() == a)
    }

    fn on_message(&mut self, msg: ManagerMsg) {
        match msg {
            ManagerMsg::Learned { addrs, from } => {
                let learned = self.targets.iter().filter(|t| !t.persistent).count();
                let mut room = self.shared.cfg.max_learned_addrs.saturating_sub(learned);
                for a in addrs {
                    if room == 0 {
                        break;
                    }
                    if valid_addr(&a)
                        && !self.is_own_addr(&a)
                        && !self.targets.iter().any(|t| t.addr == a)
                        && !self.shared.is_connected_addr(&a)
                    {
                        debug!(target: "net", addr = %a, from = %from.short(), "learned address");
                        self.add_target(a, false);
                        room -= 1;
                    }
                }
            }
            ManagerMsg::DialEnded { target, outcome } => self.on_dial_ended(target, outcome),
            ManagerMsg::AddPeer(a) => {
                if valid_addr(&a) {
                    self.add_target(a, true);
                } else {
                    warn!(target: "net", addr = %a, "ignoring invalid peer address");
                }
            }
        }
    }

    fn on_dial_ended(&mut self, id: u64, outcome: ConnOutcome) {
        let cfg = &self.shared.cfg;
        let Some(i) = self.targets.iter().position(|t| t.id == id) else { return };
        let t = &mut self.targets[i];
        t.active = false;
        if outcome.peer.is_some() {
            t.peer = outcome.peer;
        }
        let now = Instant::now();
        if outcome.ready || outcome.reason == DisconnectReason::Duplicate {
            // A session that worked: reconnect soon if it drops. A duplicate means we are
            // already connected; the target is skipped while that lasts.
            t.failures = 0;
            t.backoff = cfg.reconnect_min;
            t.next_attempt = now + cfg.reconnect_min;
        } else if outcome.reason == DisconnectReason::SelfConnection {
            info!(target: "net", addr = %t.addr, "address is this node; not dialling it again");
            t.disabled = true;
        } else {
            t.failures += 1;
            t.next_attempt = now + t.backoff;
            t.backoff = (t.backoff * 2).min(cfg.reconnect_max);
            debug!(target: "net", addr = %t.addr, reason = %outcome.reason, retry_in = ?t.next_attempt - now, "dial failed");
        }
        if (t.disabled || t.failures >= MAX_LEARNED_FAILURES) && !t.persistent {
            self.targets.remove(i);
        }
    }

    fn on_inbound(&mut self, stream: TcpStream, addr: SocketAddr) {
        let shared = &self.shared;
        if shared.is_ip_banned(addr.ip()) {
            inc(&shared.metrics.connections_rejected);
            debug!(target: "net", %addr, "refusing banned address");
            return;
        }
        let Ok(permit) = self.handshakes.clone().try_acquire_owned() else {
            inc(&shared.metrics.connections_rejected);
            debug!(target: "net", %addr, "too many pending handshakes");
            return;
        };
        let s = shared.clone();
        shared.tracker.spawn(async move {
            peer::run(s, stream, addr, Direction::Inbound, Some(permit)).await;
        });
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        self.dial_due(now);
        if now >= self.next_exchange {
            self.next_exchange = now + self.shared.cfg.peer_exchange_interval;
            self.exchange_peers();
            self.shared.purge_bans();
        }
    }

    fn dial_due(&mut self, now: Instant) {
        let mut active = self.targets.iter().filter(|t| t.active).count();
        // Configured peers first.
        let mut order: Vec<usize> = (0..self.targets.len()).collect();
        order.sort_by_key(|&i| !self.targets[i].persistent);
        for i in order {
            if active >= self.shared.cfg.max_outbound {
                break;
            }
            let t = &self.targets[i];
            if t.active || t.disabled || t.next_attempt > now {
                continue;
            }
            // A learned address of a peer that is already connected (it dialled us) would only
            // produce a duplicate connection.
            if !t.persistent && self.shared.is_connected_addr(&t.addr) {
                continue;
            }
            if let Some(p) = t.peer {
                if self.shared.is_connected(&p) || self.shared.is_banned(&BanTarget::Peer(p)) {
                    continue;
                }
            }
            let t = &mut self.targets[i];
            t.active = true;
            active += 1;
            let (id, addr, shared) = (t.id, t.addr.clone(), self.shared.clone());
            self.shared.tracker.spawn(async move {
                let outcome = dial(&shared, &addr).await;
                // The manager may be gone at shutdown; nothing to do then.
                let _ = shared.manager.send(ManagerMsg::DialEnded { target: id, outcome }).await;
            });
        }
    }

    fn exchange_peers(&self) {
        // Each peer gets the others' addresses (never its own).
        let infos = self.shared.peer_infos();
        for info in &infos {
            let addrs: Vec<String> = infos
                .iter()
                .filter(|p| p.peer != info.peer)
                .filter_map(|p| p.listen_addr.clone())
                .take(crate::message::MAX_PEER_ADDRS)
                .collect();
            if !addrs.is_empty() {
                let _ = self.shared.send_to(&info.peer, &Message::Peers(addrs));
            }
        }
    }
}

async fn dial(shared: &Arc<Shared>, addr: &str) -> ConnOutcome {
    let fail = |reason| ConnOutcome { peer: None, ready: false, reason };
    let connect = async {
        let mut last = None;
        for sa in tokio::net::lookup_host(addr).await? {
            if shared.is_ip_banned(sa.ip()) {
                continue;
            }
            match TcpStream::connect(sa).await {
                Ok(s) => return Ok((s, sa)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no usable address")))
    };
    let r = tokio::select! {
        _ = shared.cancel.cancelled() => return fail(DisconnectReason::Shutdown),
        r = timeout(shared.cfg.handshake_timeout, connect) => r,
    };
    match r {
        Err(_) => fail(DisconnectReason::Timeout),
        Ok(Err(e)) => fail(DisconnectReason::Io(e.to_string())),
        Ok(Ok((stream, sa))) => peer::run(shared.clone(), stream, sa, Direction::Outbound, None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::valid_addr;

    #[test]
    fn address_validation() {
        assert!(valid_addr("127.0.0.1:9876"));
        assert!(valid_addr("node.example:1"));
        assert!(valid_addr("[::1]:9876"));
        assert!(!valid_addr("127.0.0.1"));
        assert!(!valid_addr(":9876"));
        assert!(!valid_addr("host:0"));
        assert!(!valid_addr("host:99999"));
    }
}
