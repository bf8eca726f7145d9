//! A scripted hostile peer for end-to-end tests: it speaks the wire protocol through
//! `civitas_network::transport` from a chosen loopback address, so each case can be banned on
//! its own (all of 127.0.0.0/8 reaches the node on Linux).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use civitas_chain::Genesis;
use civitas_network::transport::{self, FrameReader, FrameWriter, TransportError};
use civitas_network::{ChainStatus, Hello, Message, NodeKey, PeerId, PROTOCOL_VERSION};
use civitas_protocol::Checksum256;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};

use super::TestNode;

/// Generous for a loaded 2-core machine; each step normally takes milliseconds.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// What the node's data directory says about it.
pub struct Target {
    pub addr: SocketAddr,
    pub chain_id: Checksum256,
    pub peer_id: PeerId,
}

impl Target {
    pub fn of(node: &TestNode) -> Target {
        let genesis = Genesis::from_json(&std::fs::read_to_string(node.dir.join("genesis.json")).unwrap()).unwrap();
        let hex = std::fs::read_to_string(node.dir.join("node.key")).unwrap();
        let secret = hex.trim().parse::<Checksum256>().expect("node.key holds 64 hex digits").0;
        Target {
            addr: node.p2p_addr().parse().unwrap(),
            chain_id: genesis.chain_id(),
            peer_id: NodeKey::from_secret(secret).peer_id(),
        }
    }
}

/// A TCP connection to the node from the loopback address `src`.
pub async fn connect_from(src: Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((src, 0)))?;
    socket.connect(to).await
}

/// A hostile peer that completed the Noise handshake.
pub struct Mallory {
    pub reader: FrameReader<OwnedReadHalf>,
    pub writer: FrameWriter<OwnedWriteHalf>,
}

impl Mallory {
    /// Connects from `src` with the static key `key` and runs the Noise handshake. An error means
    /// the node closed the connection before or during the handshake.
    pub async fn connect(src: Ipv4Addr, target: &Target, key: &NodeKey) -> Result<Mallory, TransportError> {
        let mut s = connect_from(src, target.addr).await?;
        let session = tokio::time::timeout(DEADLINE, transport::handshake(&mut s, key, true))
            .await
            .map_err(|_| TransportError::Timeout)??;
        assert_eq!(session.remote(), target.peer_id, "the node speaks with the key in its node.key");
        let (r, w) = s.into_split();
        let (reader, writer) = transport::split(session, r, w, 1 << 24, DEADLINE);
        Ok(Mallory { reader, writer })
    }

    /// Sends a Hello for `chain_id` and reads the node's: both sides then hold a ready session.
    pub async fn hello(&mut self, chain_id: Checksum256) {
        self.send(&hello(chain_id, "mallory").encode()).await;
        let frame = self.reader.read_frame().await.expect("the node answers with its Hello");
        assert!(matches!(Message::decode(&frame), Ok(Message::Hello(_))), "the node's first message is its Hello");
    }

    /// The next block the node gossips to us. `Err(true)`: the node dropped the connection;
    /// `Err(false)`: nothing arrived within the read timeout.
    pub async fn next_block(&mut self) -> Result<civitas_protocol::SignedBlock, bool> {
        loop {
            let frame = match self.reader.read_frame().await {
                Ok(f) => f,
                Err(TransportError::Timeout) => return Err(false),
                Err(_) => return Err(true),
            };
            if let Ok(Message::Block(b)) = Message::decode(&frame) {
                return Ok(*b);
            }
        }
    }

    /// Sends a block; false if the node has closed the connection.
    pub async fn send_block(&mut self, block: civitas_protocol::SignedBlock) -> bool {
        self.writer.write_frame(&Message::Block(Box::new(block)).encode()).await.is_ok()
            && self.writer.flush().await.is_ok()
    }

    pub async fn send(&mut self, frame: &[u8]) {
        self.writer.write_frame(frame).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// Reads until the node drops the connection (frames before that are ignored).
    pub async fn expect_dropped(&mut self, what: &str) {
        let r = tokio::time::timeout(DEADLINE, async {
            loop {
                match self.reader.read_frame().await {
                    Ok(_) => {}
                    Err(TransportError::Timeout) => return false,
                    Err(_) => return true,
                }
            }
        })
        .await;
        assert_eq!(r, Ok(true), "the node did not drop the peer that sent {what}");
    }

    /// The node must close this freshly handshaken session without sending its Hello: the key
    /// is banned.
    pub async fn expect_refused(mut self, what: &str) {
        let r = tokio::time::timeout(DEADLINE, self.reader.read_frame()).await;
        match r {
            Ok(Err(TransportError::Timeout)) | Err(_) => panic!("the node neither served nor closed {what}"),
            Ok(Ok(f)) => panic!("the node accepted {what}: it sent {:?}", Message::decode(&f).map(|m| m.kind())),
            Ok(Err(_)) => {}
        }
    }
}

pub fn hello(chain_id: Checksum256, name: &str) -> Message {
    Message::Hello(Box::new(Hello {
        chain_id,
        protocol_version: PROTOCOL_VERSION,
        features: 0,
        status: ChainStatus::default(),
        listen_addr: None,
        node_name: name.into(),
        identity: None,
    }))
}

/// The handshake from a banned address must fail: the node closes such connections at once.
pub async fn expect_ip_banned(src: Ipv4Addr, target: &Target) {
    let r = Mallory::connect(src, target, &NodeKey::generate().unwrap()).await;
    match r {
        Ok(_) => panic!("a new key from the banned address {src} completed the handshake"),
        Err(TransportError::Timeout) => panic!("the node neither served nor closed the banned address {src}"),
        Err(_) => {}
    }
}
