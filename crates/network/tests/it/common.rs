//! Helpers: nodes on 127.0.0.1 with random ports, short timers, and waiting on events with a
//! generous deadline instead of sleeping.

use std::future::Future;
use std::time::Duration;

use civitas_network::{NetConfig, NetEvent, NetHandle, Network, NodeKey, PeerId};
use civitas_protocol::block::BlockHeader;
use civitas_protocol::{sha256, Bytes, Checksum256, Name, PackedTransaction, PrivateKey, SignedBlock};
use tokio::sync::mpsc;

/// Long enough for a loaded 2-core machine; tests normally finish far sooner.
pub const DEADLINE: Duration = Duration::from_secs(5);

pub fn chain() -> Checksum256 {
    sha256(b"civitas-network-tests")
}

/// A config listening on a random local port, with short timers and no IP bans (every test
/// node shares 127.0.0.1).
pub fn config(name: &str) -> NetConfig {
    let mut c = NetConfig::new(chain(), NodeKey::generate().unwrap());
    c.node_name = name.into();
    c.listen_addr = Some("127.0.0.1:0".parse().unwrap());
    c.ip_bans = false;
    c.handshake_timeout = Duration::from_secs(2);
    c.idle_timeout = Duration::from_secs(5);
    c.ping_interval = Duration::from_secs(1);
    c.request_timeout = Duration::from_secs(2);
    c.reconnect_min = Duration::from_millis(20);
    c.reconnect_max = Duration::from_millis(200);
    c.max_frame_size = 1 << 20;
    c
}

pub struct Node {
    pub net: NetHandle,
    pub events: mpsc::Receiver<NetEvent>,
}

pub async fn start(cfg: NetConfig) -> Node {
    let (net, events) = Network::start(cfg).await.unwrap();
    Node { net, events }
}

impl Node {
    pub fn id(&self) -> PeerId {
        self.net.local_peer_id()
    }

    pub fn addr(&self) -> String {
        self.net.local_addr().unwrap().to_string()
    }

    /// The next event, failing the test after [`DEADLINE`].
    pub async fn next(&mut self) -> NetEvent {
        match tokio::time::timeout(DEADLINE, self.events.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => panic!("event channel closed"),
            Err(_) => panic!("no event within {DEADLINE:?}"),
        }
    }

    /// Skips events until `f` picks one.
    pub async fn wait_for<T>(&mut self, mut f: impl FnMut(NetEvent) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let ev = match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(ev)) => ev,
                Ok(None) => panic!("event channel closed"),
                Err(_) => panic!("expected event did not arrive within {DEADLINE:?}"),
            };
            if let Some(t) = f(ev) {
                return t;
            }
        }
    }

    pub async fn connected_to(&mut self, peer: PeerId) {
        self.wait_for(|ev| matches!(ev, NetEvent::PeerConnected { peer: p, .. } if p == peer).then_some(())).await
    }

    pub async fn disconnected_from(&mut self, peer: PeerId) -> civitas_network::DisconnectReason {
        self.wait_for(|ev| match ev {
            NetEvent::PeerDisconnected { peer: p, reason } if p == peer => Some(reason),
            _ => None,
        })
        .await
    }

    /// Drains what has arrived so far without waiting.
    pub fn drain(&mut self) -> Vec<NetEvent> {
        let mut out = Vec::new();
        while let Ok(ev) = self.events.try_recv() {
            out.push(ev);
        }
        out
    }
}

/// Polls `cond` until it holds, failing after [`DEADLINE`].
pub async fn eventually<F: Future<Output = bool>>(what: &str, mut cond: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !cond().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Starts `a` and `b` with `a` dialling `b`, and waits until both see the connection.
pub async fn pair(a: NetConfig, b: NetConfig) -> (Node, Node) {
    let mut b = start(b).await;
    let mut a_cfg = a;
    a_cfg.peers = vec![b.addr()];
    let mut a = start(a_cfg).await;
    let (ida, idb) = (a.id(), b.id());
    a.connected_to(idb).await;
    b.connected_to(ida).await;
    (a, b)
}

/// Makes `a` dial `b` and waits for both sides.
pub async fn link(a: &mut Node, b: &mut Node) {
    a.net.add_peer(&b.addr());
    let (ida, idb) = (a.id(), b.id());
    a.connected_to(idb).await;
    b.connected_to(ida).await;
}

pub fn block(num: u32) -> SignedBlock {
    let header = BlockHeader {
        previous: Checksum256([num as u8; 32]),
        block_num: num,
        slot: u64::from(num),
        producer: Name::constant("producer"),
        schedule_version: 1,
        votes: vec![],
        new_schedule: None,
        transaction_mroot: Checksum256::ZERO,
        state_root: Checksum256::ZERO,
        evidence_root: Checksum256::ZERO,
        approvals_root: Checksum256::ZERO,
        header_extensions: vec![],
    };
    SignedBlock::sign(header, vec![], &chain(), &PrivateKey::from_seed("producer"))
}

pub fn trx(i: u32) -> PackedTransaction {
    PackedTransaction {
        signatures: vec![],
        compression: Default::default(),
        packed_context_free_data: Bytes(vec![]),
        packed_trx: Bytes(i.to_le_bytes().to_vec()),
    }
}
