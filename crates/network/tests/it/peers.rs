//! Peer management: rate limits and penalties, node-reported offences, reconnecting after a
//! restart, and learning peers from peer lists.

use std::time::Duration;

use civitas_network::{BanTarget, DisconnectReason, NetEvent, RateLimitConfig, Severity};

use crate::common::*;

#[tokio::test]
async fn flooding_peer_is_rate_limited_then_banned() {
    let mut strict = config("strict");
    strict.rate_limit =
        RateLimitConfig { messages_per_sec: 20.0, message_burst: 20.0, bytes_per_sec: 1e9, byte_burst: 1e9 };
    let (mut flooder, mut strict) = pair(config("flooder"), strict).await;
    // 200 distinct approvals at once: far above 20/s.
    for i in 0..200u32 {
        flooder.net.broadcast_approval(&i.to_le_bytes());
    }
    let reason = strict.disconnected_from(flooder.id()).await;
    assert!(matches!(&reason, DisconnectReason::Banned(r) if r.contains("rate limit")), "{reason:?}");
    let m = strict.net.metrics();
    assert!(m.rate_limited >= 10, "{m:?}");
    assert!(m.penalties >= 10, "{m:?}");
    assert_eq!(m.bans_total, 1);
    assert!(strict.net.bans().iter().any(|b| b.target == BanTarget::Peer(flooder.id())));
    // At most the burst plus what refilled was delivered.
    let delivered = strict.drain().iter().filter(|e| matches!(e, NetEvent::Approval { .. })).count();
    assert!(delivered < 100, "delivered {delivered}");
    flooder.disconnected_from(strict.id()).await;
    flooder.net.shutdown().await;
    strict.net.shutdown().await;
}

#[tokio::test]
async fn penalties_accumulate_and_invalid_block_bans_at_once() {
    let mut a = start(config("judge")).await;
    let mut b = start(config("b")).await;
    let mut c = start(config("c")).await;
    link(&mut b, &mut a).await;
    link(&mut c, &mut a).await;
    // Minor offences add up but stay under the threshold of 100.
    for _ in 0..6 {
        assert!(!a.net.penalize(&b.id(), "slow", Severity::Minor));
    }
    // Scores decay by 1 point per second.
    let score = a.net.peers().into_iter().find(|p| p.peer == b.id()).unwrap().score;
    assert!((55.0..=60.0).contains(&score), "score {score}");
    // A major one crosses it.
    assert!(a.net.penalize(&b.id(), "bad response", Severity::Major));
    assert!(matches!(a.disconnected_from(b.id()).await, DisconnectReason::Banned(_)));
    // An invalid block is an immediate ban.
    assert!(a.net.penalize(&c.id(), "invalid block", Severity::Fatal));
    assert_eq!(a.disconnected_from(c.id()).await, DisconnectReason::Banned("invalid block".into()));
    assert_eq!(a.net.bans().len(), 2);
    // They keep redialling, and keep being refused while the ban lasts.
    let before = a.net.metrics().connections_rejected;
    eventually("redials refused", || async { a.net.metrics().connections_rejected >= before + 2 }).await;
    assert!(a.net.peers().is_empty());
    // Lifting the ban lets them back in.
    assert!(a.net.unban(&BanTarget::Peer(c.id())));
    a.connected_to(c.id()).await;
    for n in [&a, &b, &c] {
        n.net.shutdown().await;
    }
}

#[tokio::test]
async fn reconnects_after_the_peer_restarts() {
    let server_cfg = config("server");
    let (mut client, server) = pair(config("client"), server_cfg.clone()).await;
    let server_id = server.id();
    let addr = server.net.local_addr().unwrap();
    server.net.shutdown().await;
    drop(server);
    let reason = client.disconnected_from(server_id).await;
    assert_eq!(reason, DisconnectReason::Closed);
    // Same key, same port.
    let mut cfg = server_cfg;
    cfg.listen_addr = Some(addr);
    let mut server = start(cfg).await;
    client.connected_to(server_id).await;
    server.connected_to(client.id()).await;
    // And the link works.
    assert_eq!(client.net.broadcast_block(&block(3)), 1);
    server.wait_for(|ev| matches!(ev, NetEvent::Block { .. }).then_some(())).await;
    client.net.shutdown().await;
    server.net.shutdown().await;
}

#[tokio::test]
async fn learns_peers_from_peer_lists() {
    let mut hub = start(config("hub")).await;
    let mut a = start(config("a")).await;
    link(&mut a, &mut hub).await;
    let mut c_cfg = config("c");
    c_cfg.peers = vec![hub.addr()];
    let mut c = start(c_cfg).await;
    // The hub tells c about a on connect; c dials a.
    c.connected_to(hub.id()).await;
    c.connected_to(a.id()).await;
    a.connected_to(c.id()).await;
    eventually("full mesh", || async { c.net.peers().len() == 2 && a.net.peers().len() == 2 }).await;
    for n in [&hub, &a, &c] {
        n.net.shutdown().await;
    }
}

#[tokio::test]
async fn idle_peer_is_kept_alive_by_pings() {
    let mut a_cfg = config("a");
    a_cfg.ping_interval = Duration::from_millis(50);
    a_cfg.idle_timeout = Duration::from_millis(400);
    let mut b_cfg = config("b");
    b_cfg.ping_interval = Duration::from_millis(50);
    b_cfg.idle_timeout = Duration::from_millis(400);
    let (a, b) = pair(a_cfg, b_cfg).await;
    eventually("rtt measured", || async { a.net.peers().first().is_some_and(|p| p.rtt.is_some()) }).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(a.net.peers().len(), 1, "pings keep an idle link up past the idle timeout");
    assert_eq!(b.net.peers().len(), 1);
    a.net.shutdown().await;
    b.net.shutdown().await;
}
