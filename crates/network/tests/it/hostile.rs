//! Hostile peers: raw TCP garbage, Noise peers that send garbage, oversized frames,
//! undecodable or out-of-order messages, forged identities. Each is disconnected and banned,
//! and the node keeps serving its honest peer.

use std::time::Duration;

use civitas_network::transport::{self, FrameReader, FrameWriter};
use civitas_network::{
    BanTarget, ChainStatus, DisconnectReason, Hello, Message, NetConfig, NetEvent, NodeKey, PeerId, PeerIdentity,
    PROTOCOL_VERSION,
};
use civitas_protocol::PrivateKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::common::*;

/// A server and an honest peer connected to it.
async fn setup(server: NetConfig) -> (Node, Node) {
    let (honest, server) = pair(config("honest"), server).await;
    (server, honest)
}

/// The server still gossips to its honest peer.
async fn still_serves(server: &Node, honest: &mut Node) {
    assert_eq!(server.net.broadcast_approval(b"still-alive"), 1);
    honest.wait_for(|ev| matches!(ev, NetEvent::Approval { .. }).then_some(())).await;
}

struct Mallory {
    id: PeerId,
    reader: FrameReader<OwnedReadHalf>,
    writer: FrameWriter<OwnedWriteHalf>,
}

/// A Noise peer that completed the handshake (and, if `hello`, the Hello exchange).
async fn mallory(server: &Node, hello: bool) -> Mallory {
    let mut m = noise_peer(server, &NodeKey::generate().unwrap()).await;
    if hello {
        m.writer.write_frame(&hello_msg(None).encode()).await.unwrap();
        m.writer.flush().await.unwrap();
        let first = Message::decode(&m.reader.read_frame().await.unwrap()).unwrap();
        assert!(matches!(first, Message::Hello(_)));
    }
    m
}

async fn noise_peer(server: &Node, key: &NodeKey) -> Mallory {
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    let session = transport::handshake(&mut s, key, true).await.unwrap();
    assert_eq!(session.remote(), server.id());
    let (r, w) = s.into_split();
    let (reader, writer) = transport::split(session, r, w, 1 << 20, DEADLINE);
    Mallory { id: key.peer_id(), reader, writer }
}

fn hello_msg(identity: Option<PeerIdentity>) -> Message {
    Message::Hello(Box::new(Hello {
        chain_id: chain(),
        protocol_version: PROTOCOL_VERSION,
        features: 0,
        status: ChainStatus::default(),
        listen_addr: None,
        node_name: "mallory".into(),
        identity,
    }))
}

impl Mallory {
    /// Reads until the server closes the connection; frames before that are ignored.
    async fn expect_closed(&mut self) {
        let r = tokio::time::timeout(DEADLINE, async {
            loop {
                if self.reader.read_frame().await.is_err() {
                    return;
                }
            }
        })
        .await;
        assert!(r.is_ok(), "server did not close the connection");
    }
}

async fn expect_banned(server: &mut Node, id: PeerId) {
    let reason = server.disconnected_from(id).await;
    assert!(matches!(reason, DisconnectReason::Misbehaviour(_)), "{reason:?}");
    assert!(server.net.bans().iter().any(|b| b.target == BanTarget::Peer(id)));
}

#[tokio::test]
async fn raw_tcp_garbage_is_dropped_and_its_ip_banned() {
    let mut cfg = config("server");
    cfg.ip_bans = true;
    let (server, mut honest) = setup(cfg).await;
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: civitas\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(DEADLINE, s.read(&mut buf)).await.unwrap().unwrap_or(0);
    assert_eq!(n, 0, "closed without an answer");
    eventually("ip ban", || async {
        server.net.bans().iter().any(|b| b.target == BanTarget::Ip("127.0.0.1".parse().unwrap()))
    })
    .await;
    assert_eq!(server.net.metrics().handshakes_failed, 1);
    // A banned address is closed before any handshake.
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    let n = tokio::time::timeout(DEADLINE, s.read(&mut buf)).await.unwrap().unwrap_or(0);
    assert_eq!(n, 0);
    // The established honest connection is unaffected.
    still_serves(&server, &mut honest).await;
    server.net.shutdown().await;
    honest.net.shutdown().await;
}

#[tokio::test]
async fn silent_tcp_peer_times_out_without_a_ban() {
    let mut cfg = config("server");
    cfg.handshake_timeout = Duration::from_millis(200);
    let (server, mut honest) = setup(cfg).await;
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(DEADLINE, s.read(&mut buf)).await.unwrap().unwrap_or(0);
    assert_eq!(n, 0);
    assert!(server.net.bans().is_empty(), "a timeout is not proof of malice");
    still_serves(&server, &mut honest).await;
    server.net.shutdown().await;
    honest.net.shutdown().await;
}

#[tokio::test]
async fn undecryptable_chunk_is_banned() {
    let (mut server, mut honest) = setup(config("server")).await;
    let mut m = mallory(&server, true).await;
    server.connected_to(m.id).await;
    let raw = m.writer.get_mut();
    raw.write_all(&[0, 40]).await.unwrap();
    raw.write_all(&[0x55; 40]).await.unwrap();
    m.expect_closed().await;
    expect_banned(&mut server, m.id).await;
    still_serves(&server, &mut honest).await;
    server.net.shutdown().await;
    honest.net.shutdown().await;
}

#[tokio::test]
async fn oversized_frame_is_banned() {
    let cfg = config("server");
    let max = cfg.max_frame_size as u32;
    let (mut server, mut honest) = setup(cfg).await;
    let mut m = mallory(&server, true).await;
    server.connected_to(m.id).await;
    // Only the header: the server must refuse before reading the body.
    m.writer.write_chunk(&(max + 1).to_be_bytes()).await.unwrap();
    m.writer.flush().await.unwrap();
    m.expect_closed().await;
    expect_banned(&mut server, m.id).await;
    still_serves(&server, &mut honest).await;
    server.net.shutdown().await;
    honest.net.shutdown().await;
}

#[tokio::test]
async fn undecodable_message_is_banned_and_stays_banned() {
    let (mut server, mut honest) = setup(config("server")).await;
    let key = NodeKey::generate().unwrap();
    let mut m = noise_peer(&server, &key).await;
    m.writer.write_frame(&hello_msg(None).encode()).await.unwrap();
    m.writer.write_frame(&[0x7f, 1, 2, 3]).await.unwrap();
    m.writer.flush().await.unwrap();
    m.expect_closed().await;
    expect_banned(&mut server, m.id).await;
    // The same identity is refused right after the handshake when it comes back.
    let mut again = noise_peer(&server, &key).await;
    assert!(again.reader.read_frame().await.is_err(), "no Hello for a banned peer");
    still_serves(&server, &mut honest).await;
    server.net.shutdown().await;
    honest.net.shutdown().await;
}

#[tokio::test]
async fn message_before_hello_is_banned() {
    let (server, mut honest) = setup(config("server")).await;
    let mut m = mallory(&server, false).await;
    m.writer.write_frame(&Message::Ping { nonce: 1 }.encode()).await.unwrap();
    m.writer.flush().await.unwrap();
    m.expect_closed().await;
    eventually("ban", || async { server.net.bans().iter().any(|b| b.target == BanTarget::Peer(m.id)) }).await;
    still_serves(&server, &mut honest).await;
    server.net.shutdown().await;
    honest.net.shutdown().await;
}

#[tokio::test]
async fn forged_identity_is_banned() {
    let (server, mut honest) = setup(config("server")).await;
    let key = NodeKey::generate().unwrap();
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    let session = transport::handshake(&mut s, &key, true).await.unwrap();
    // Signed over another session's hash: a replayed identity.
    let forged = PeerIdentity::sign(&PrivateKey::from_seed("bp"), &[0u8; 32], &key.peer_id());
    let (r, w) = s.into_split();
    let (mut reader, mut writer) = transport::split(session, r, w, 1 << 20, DEADLINE);
    writer.write_frame(&hello_msg(Some(forged)).encode()).await.unwrap();
    writer.flush().await.unwrap();
    let mut m = Mallory {
        id: key.peer_id(),
        reader: {
            let _ = reader.read_frame().await;
            reader
        },
        writer,
    };
    m.expect_closed().await;
    eventually("ban", || async { server.net.bans().iter().any(|b| b.target == BanTarget::Peer(m.id)) }).await;
    assert!(server.net.peers().iter().all(|p| p.peer != m.id));
    still_serves(&server, &mut honest).await;
    server.net.shutdown().await;
    honest.net.shutdown().await;
}
