//! Block requests: ranges, single blocks, not-found, timeouts, parallel requests, and
//! responses that do not match a request.

use std::time::Duration;

use civitas_network::{BlockReply, Message, NetError, NetEvent, PeerId};
use civitas_protocol::SignedBlock;

use crate::common::*;

/// Serves `GetBlocks` from a chain of `len` blocks, like a node answering from storage.
fn serve(ev: NetEvent, chain_len: u32) -> Option<(PeerId, u32, u32)> {
    match ev {
        NetEvent::GetBlocks { peer, from_num, count, reply } => {
            let blocks: Vec<SignedBlock> =
                (from_num..from_num.saturating_add(count)).take_while(|n| *n <= chain_len).map(block).collect();
            reply.send(&blocks);
            Some((peer, from_num, count))
        }
        _ => None,
    }
}

#[tokio::test]
async fn get_blocks_round_trip() {
    let (mut a, mut b) = pair(config("syncer"), config("server")).await;
    let r1 = a.net.request_blocks(&b.id(), 1, 10).unwrap();
    let r2 = a.net.request_blocks(&b.id(), 95, 10).unwrap();
    assert_ne!(r1, r2);
    for _ in 0..2 {
        let (peer, _, count) = b.wait_for(|ev| serve(ev, 100)).await;
        assert_eq!(peer, a.id());
        assert_eq!(count, 10);
    }
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(
            a.wait_for(|ev| match ev {
                NetEvent::Blocks { peer, request, blocks } => Some((peer, request, blocks)),
                _ => None,
            })
            .await,
        );
    }
    got.sort_by_key(|g| g.1);
    assert_eq!(got[0].0, b.id());
    assert_eq!(got[0].1, r1);
    assert_eq!(got[0].2.iter().map(|b| b.block_num()).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>());
    assert_eq!(got[1].1, r2);
    assert_eq!(got[1].2.len(), 6, "the server's chain ends at 100");
    assert_eq!(a.net.peers()[0].status.head_num, 100, "blocks received raise the peer's known head");
    a.net.shutdown().await;
    b.net.shutdown().await;
}

#[tokio::test]
async fn get_block_by_id_and_not_found() {
    let (mut a, mut b) = pair(config("a"), config("b")).await;
    let want = block(5);
    let found = a.net.request_block(&b.id(), want.id()).unwrap();
    let missing = a.net.request_block(&b.id(), block(6).id()).unwrap();
    for _ in 0..2 {
        let (id, reply) = b
            .wait_for(|ev| match ev {
                NetEvent::GetBlock { id, reply, .. } => Some((id, reply)),
                _ => None,
            })
            .await;
        if id == want.id() {
            assert_eq!(reply.send(std::slice::from_ref(&want)), 1);
        } else {
            // Dropping the reply unanswered sends NotFound.
            drop::<BlockReply>(reply);
        }
    }
    let mut answers = Vec::new();
    for _ in 0..2 {
        answers.push(
            a.wait_for(|ev| match ev {
                NetEvent::Blocks { request, blocks, .. } => Some((request, blocks.len())),
                NetEvent::NotFound { request, .. } => Some((request, 0)),
                _ => None,
            })
            .await,
        );
    }
    answers.sort();
    let mut expect = vec![(found, 1), (missing, 0)];
    expect.sort();
    assert_eq!(answers, expect);
    a.net.shutdown().await;
    b.net.shutdown().await;
}

#[tokio::test]
async fn unanswered_request_times_out() {
    let mut a_cfg = config("a");
    a_cfg.request_timeout = Duration::from_millis(200);
    let (mut a, mut b) = pair(a_cfg, config("b")).await;
    let r = a.net.request_blocks(&b.id(), 1, 5).unwrap();
    // B holds the reply without answering.
    let reply = b
        .wait_for(|ev| match ev {
            NetEvent::GetBlocks { reply, .. } => Some(reply),
            _ => None,
        })
        .await;
    let timed_out = a
        .wait_for(|ev| match ev {
            NetEvent::RequestTimeout { request, .. } => Some(request),
            _ => None,
        })
        .await;
    assert_eq!(timed_out, r);
    assert_eq!(a.net.metrics().request_timeouts, 1);
    // A late answer to a timed-out request is unsolicited: it is not delivered.
    reply.send(&[block(1)]);
    b.net.broadcast_approval(b"barrier");
    a.wait_for(|ev| match ev {
        NetEvent::Blocks { .. } => panic!("late response delivered"),
        NetEvent::Approval { .. } => Some(()),
        _ => None,
    })
    .await;
    assert!(a.net.metrics().penalties >= 1);
    a.net.shutdown().await;
    b.net.shutdown().await;
}

#[tokio::test]
async fn request_limits_and_errors() {
    let mut a_cfg = config("a");
    a_cfg.max_outstanding_requests = 2;
    let (a, b) = pair(a_cfg, config("b")).await;
    assert!(matches!(a.net.request_blocks(&b.id(), 1, 0), Err(NetError::InvalidRequest(_))));
    assert!(matches!(a.net.request_blocks(&b.id(), 1, 10_000), Err(NetError::InvalidRequest(_))));
    let stranger = civitas_network::NodeKey::generate().unwrap().peer_id();
    assert!(matches!(a.net.request_blocks(&stranger, 1, 1), Err(NetError::NotConnected(_))));
    assert!(matches!(a.net.send(&stranger, &Message::Ping { nonce: 1 }), Err(NetError::NotConnected(_))));
    a.net.request_blocks(&b.id(), 1, 1).unwrap();
    a.net.request_blocks(&b.id(), 2, 1).unwrap();
    assert!(matches!(a.net.request_blocks(&b.id(), 3, 1), Err(NetError::TooManyRequests(_))));
    a.net.shutdown().await;
    b.net.shutdown().await;
}

#[tokio::test]
async fn sync_from_several_peers_in_parallel() {
    let mut a = start(config("syncer")).await;
    let mut servers = Vec::new();
    for i in 0..3 {
        let mut s = start(config(&format!("server{i}"))).await;
        link(&mut a, &mut s).await;
        servers.push(s);
    }
    // Ten-block ranges from three peers at once.
    let mut reqs = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        reqs.push(a.net.request_blocks(&s.id(), 1 + 10 * i as u32, 10).unwrap());
    }
    for s in servers.iter_mut() {
        s.wait_for(|ev| serve(ev, 30)).await;
    }
    let mut nums = Vec::new();
    for _ in 0..3 {
        let blocks = a
            .wait_for(|ev| match ev {
                NetEvent::Blocks { blocks, .. } => Some(blocks),
                _ => None,
            })
            .await;
        nums.extend(blocks.iter().map(|b| b.block_num()));
    }
    nums.sort();
    assert_eq!(nums, (1..=30).collect::<Vec<_>>());
    a.net.shutdown().await;
    for s in servers {
        s.net.shutdown().await;
    }
}
