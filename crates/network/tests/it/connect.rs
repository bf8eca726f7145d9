//! Handshake, Hello, chain and version checks, identity binding, limits, shutdown.

use std::time::Duration;

use civitas_network::{BanTarget, ChainStatus, Direction, DisconnectReason, NetEvent};
use civitas_protocol::{Checksum256, PrivateKey};

use crate::common::*;

#[tokio::test]
async fn two_nodes_exchange_hello() {
    let mut b_cfg = config("bob");
    b_cfg.status =
        ChainStatus { head_num: 42, head_id: Checksum256([4; 32]), lib_num: 40, lib_id: Checksum256([5; 32]) };
    let producer = PrivateKey::from_seed("bp.bob");
    b_cfg.identity_key = Some(producer.clone());
    let mut b = start(b_cfg).await;
    let mut a_cfg = config("alice");
    a_cfg.peers = vec![b.addr()];
    let mut a = start(a_cfg).await;

    let (peer, hello, direction) = a
        .wait_for(|ev| match ev {
            NetEvent::PeerConnected { peer, hello, direction, .. } => Some((peer, hello, direction)),
            _ => None,
        })
        .await;
    assert_eq!(peer, b.id());
    assert_eq!(direction, Direction::Outbound);
    assert_eq!(hello.node_name, "bob");
    assert_eq!(hello.chain_id, chain());
    assert_eq!(hello.status.head_num, 42);
    assert_eq!(hello.status.lib_num, 40);
    assert_eq!(hello.listen_addr.as_deref(), Some(b.addr().as_str()));

    let (peer, direction) = b
        .wait_for(|ev| match ev {
            NetEvent::PeerConnected { peer, direction, .. } => Some((peer, direction)),
            _ => None,
        })
        .await;
    assert_eq!(peer, a.id());
    assert_eq!(direction, Direction::Inbound);

    let infos = a.net.peers();
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].peer, b.id());
    assert_eq!(infos[0].identity, Some(producer.public_key()), "verified producer identity");
    assert_eq!(b.net.peers()[0].identity, None);
    let m = a.net.metrics();
    assert_eq!((m.peers_outbound, m.peers_inbound), (1, 0));
    assert_eq!(b.net.metrics().peers_inbound, 1);

    // Status updates reach the peer.
    let s = ChainStatus { head_num: 43, head_id: Checksum256([6; 32]), lib_num: 41, lib_id: Checksum256([7; 32]) };
    b.net.update_status(s);
    let got = a.wait_for(|ev| matches!(ev, NetEvent::PeerStatus { .. }).then_some(ev)).await;
    assert!(matches!(got, NetEvent::PeerStatus { status, .. } if status == s));
    assert_eq!(a.net.peers()[0].status, s);

    a.net.shutdown().await;
    assert_eq!(b.disconnected_from(a.id()).await, DisconnectReason::Closed);
    b.net.shutdown().await;
}

#[tokio::test]
async fn wrong_chain_is_refused_and_briefly_banned() {
    let mut a = start(config("a")).await;
    let mut other = config("other-chain");
    other.chain_id = Checksum256([0xEE; 32]);
    other.peers = vec![a.addr()];
    let mut b = start(other).await;
    let bid = b.id();
    eventually("a bans the wrong-chain peer", || async {
        a.net.bans().iter().any(|x| x.target == BanTarget::Peer(bid))
    })
    .await;
    let ban = a.net.bans().into_iter().find(|x| x.target == BanTarget::Peer(bid)).unwrap();
    assert!(ban.remaining <= Duration::from_secs(60), "short ban: {ban:?}");
    assert!(a.net.peers().is_empty() && b.net.peers().is_empty());
    assert!(!a.drain().iter().any(|e| matches!(e, NetEvent::PeerConnected { .. })));
    assert!(!b.drain().iter().any(|e| matches!(e, NetEvent::PeerConnected { .. })));
    a.net.shutdown().await;
    b.net.shutdown().await;
}

#[tokio::test]
async fn inbound_limit_is_enforced() {
    let mut hub_cfg = config("hub");
    hub_cfg.max_inbound = 1;
    let mut hub = start(hub_cfg).await;
    let mut a_cfg = config("a");
    a_cfg.peers = vec![hub.addr()];
    let mut a = start(a_cfg).await;
    hub.connected_to(a.id()).await;
    a.connected_to(hub.id()).await;
    let mut c_cfg = config("c");
    c_cfg.peers = vec![hub.addr()];
    let c = start(c_cfg).await;
    eventually("c is refused", || async { hub.net.metrics().connections_rejected >= 1 }).await;
    assert_eq!(hub.net.peers().len(), 1);
    assert!(c.net.peers().is_empty());
    for n in [&hub, &a, &c] {
        n.net.shutdown().await;
    }
}

#[tokio::test]
async fn simultaneous_dials_settle_on_one_connection() {
    let mut a = start(config("a")).await;
    let mut b = start(config("b")).await;
    a.net.add_peer(&b.addr());
    b.net.add_peer(&a.addr());
    let (ida, idb) = (a.id(), b.id());
    a.connected_to(idb).await;
    b.connected_to(ida).await;
    eventually("one link each way", || async {
        a.net.peers().len() == 1 && b.net.peers().len() == 1 && a.net.peers()[0].direction != b.net.peers()[0].direction
    })
    .await;
    // Stays settled: the dialler skips peers it is already connected to.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.net.peers().len(), 1);
    assert_eq!(b.net.peers().len(), 1);
    a.net.shutdown().await;
    b.net.shutdown().await;
}

#[tokio::test]
async fn self_dial_is_detected() {
    let mut cfg = config("narcissus");
    cfg.listen_addr = Some("127.0.0.1:0".parse().unwrap());
    let mut a = start(cfg).await;
    a.net.add_peer(&a.addr());
    eventually("self connection refused", || async { a.net.metrics().connections_rejected >= 1 }).await;
    assert!(a.net.peers().is_empty());
    assert!(a.drain().is_empty());
    a.net.shutdown().await;
}

#[tokio::test]
async fn shutdown_is_prompt() {
    let (a, mut b) = pair(config("a"), config("b")).await;
    let started = tokio::time::Instant::now();
    a.net.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    assert!(a.net.is_shut_down());
    assert!(a.net.peers().is_empty());
    b.disconnected_from(a.id()).await;
    b.net.shutdown().await;
}
