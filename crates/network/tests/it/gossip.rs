//! Flood gossip with de-duplication: each node delivers a message once, nothing goes back to
//! its sender, and a message is never sent twice to the same peer.

use civitas_network::NetEvent;
use civitas_protocol::{Checksum256, PackedTransaction, SignedBlock};

use crate::common::*;

/// Three nodes in a triangle.
async fn triangle() -> (Node, Node, Node) {
    let mut a = start(config("a")).await;
    let mut b = start(config("b")).await;
    let mut c = start(config("c")).await;
    link(&mut a, &mut b).await;
    link(&mut b, &mut c).await;
    link(&mut a, &mut c).await;
    (a, b, c)
}

#[derive(Debug, Default)]
struct Seen {
    blocks: Vec<Checksum256>,
    trxs: Vec<PackedTransaction>,
    approvals: Vec<Vec<u8>>,
}

impl Seen {
    fn record(&mut self, ev: &NetEvent) {
        match ev {
            NetEvent::Block { block, .. } => self.blocks.push(block.id()),
            NetEvent::Transaction { trx, .. } => self.trxs.push((**trx).clone()),
            NetEvent::Approval { bytes, .. } => self.approvals.push(bytes.clone()),
            _ => {}
        }
    }
}

/// Waits until `node` has received the marker approval `marker`, recording gossip on the way.
async fn until_marker(node: &mut Node, seen: &mut Seen, marker: &[u8]) {
    node.wait_for(|ev| {
        seen.record(&ev);
        matches!(&ev, NetEvent::Approval { bytes, .. } if bytes == marker).then_some(())
    })
    .await
}

/// Relays like a node would: every gossip event is re-broadcast.
fn relay(node: &Node, ev: &NetEvent) -> usize {
    match ev {
        NetEvent::Block { block, .. } => node.net.broadcast_block(block),
        NetEvent::Transaction { trx, .. } => node.net.broadcast_transaction(trx),
        NetEvent::Approval { bytes, .. } => node.net.broadcast_approval(bytes),
        _ => 0,
    }
}

#[tokio::test]
async fn three_nodes_deliver_each_message_exactly_once() {
    let (mut a, mut b, mut c) = triangle().await;
    let blk: SignedBlock = block(7);
    let t = trx(1);
    assert_eq!(a.net.broadcast_block(&blk), 2);
    assert_eq!(a.net.broadcast_transaction(&t), 2);
    assert_eq!(a.net.broadcast_approval(b"approval-1"), 2);
    // Broadcasting again sends nothing: both peers already have them.
    assert_eq!(a.net.broadcast_block(&blk), 0);
    assert_eq!(a.net.broadcast_transaction(&t), 0);

    // B and C relay everything they receive (as valid).
    let mut seen_b = Seen::default();
    let mut seen_c = Seen::default();
    for (node, seen) in [(&mut b, &mut seen_b), (&mut c, &mut seen_c)] {
        while seen.blocks.len() + seen.trxs.len() + seen.approvals.len() < 3 {
            let ev = node.next().await;
            seen.record(&ev);
            relay(node, &ev);
        }
    }
    // Barrier: markers sent after the relays travel behind any relayed copy on each link.
    b.net.broadcast_approval(b"marker-b");
    c.net.broadcast_approval(b"marker-c");
    let mut seen_a = Seen::default();
    until_marker(&mut a, &mut seen_a, b"marker-b").await;
    until_marker(&mut a, &mut seen_a, b"marker-c").await;
    until_marker(&mut b, &mut seen_b, b"marker-c").await;
    until_marker(&mut c, &mut seen_c, b"marker-b").await;

    // The origin never gets its own messages back; the others got each exactly once.
    assert!(seen_a.blocks.is_empty() && seen_a.trxs.is_empty(), "{seen_a:?}");
    assert_eq!(seen_a.approvals, vec![b"marker-b".to_vec(), b"marker-c".to_vec()]);
    for seen in [&seen_b, &seen_c] {
        assert_eq!(seen.blocks, vec![blk.id()]);
        assert_eq!(seen.trxs, vec![t.clone()]);
        assert_eq!(seen.approvals.iter().filter(|x| x.as_slice() == b"approval-1").count(), 1);
    }
    // Nothing is re-sent to a peer that sent it to us.
    let m = a.net.metrics();
    assert_eq!(m.duplicates, 0, "A was never sent its own messages");
    for n in [&a, &b, &c] {
        n.net.shutdown().await;
    }
}

#[tokio::test]
async fn relay_does_not_echo_to_the_sender() {
    let (mut a, mut b) = pair(config("a"), config("b")).await;
    let blk = block(9);
    assert_eq!(a.net.broadcast_block(&blk), 1);
    let got = b.wait_for(|ev| matches!(ev, NetEvent::Block { .. }).then_some(ev)).await;
    assert!(matches!(&got, NetEvent::Block { peer, .. } if *peer == a.id()));
    assert_eq!(relay(&b, &got), 0, "the only peer is the sender");
    // A round trip on the same link proves no block frame is still in flight towards A; an
    // echoed block would have been counted as a duplicate by A's seen-set.
    b.net.broadcast_approval(b"barrier");
    a.wait_for(|ev| matches!(ev, NetEvent::Approval { .. }).then_some(())).await;
    assert_eq!(a.net.metrics().duplicates, 0);
    a.net.shutdown().await;
    b.net.shutdown().await;
}
