//! Issue 10, with a real node process (a one-producer chain, so every block opens a round and
//! carries its schedule):
//!
//! 1. A key-less peer answers each of the producer's blocks with a forged sibling: the same
//!    parent, slot and producer, under a schedule whose key is the peer's own. Taking the
//!    schedule from the block made that a valid second block of the producer for its slot —
//!    double-production "evidence" against it, a missed next slot, and the forgery in the block
//!    log. Now the header is checked against the schedule the node derived itself: the forger
//!    is banned for an invalid block, no evidence names the producer, nothing forged is served
//!    or logged.
//! 2. One funded account floods transactions carrying 900 KiB of context-free data each (which
//!    once made blocks of 17–49 MB, larger than a P2P frame, and froze finality). Every byte of
//!    a transaction now counts against its size limit and context-free data is refused: every
//!    push is refused with a clear error, no block carries them, and the LIB keeps advancing.
//!    A plain transfer's receipt bills every byte it takes in a block, signature included.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;
mod support;

use std::net::Ipv4Addr;
use std::time::Duration;

use civitas_network::NodeKey;
use civitas_protocol::block::transaction_mroot;
use civitas_protocol::{sha256, Bytes, Checksum256, PrivateKey, ProducerKey, ProducerSchedule, SignedBlock};
use common::{push_transfer_with_cfd, signed_transfer};
use support::hostile::{Mallory, Target, DEADLINE};
use support::{wait_for, TestNode};

/// A sibling of `b` under a schedule that gives every producer `key`, signed with it.
fn forged_sibling(b: &SignedBlock, chain_id: &Checksum256, key: &PrivateKey) -> Option<SignedBlock> {
    let mut h = b.header.clone();
    let real = h.new_schedule.clone()?;
    let producers = real
        .producers
        .iter()
        .map(|p| ProducerKey { producer_name: p.producer_name, block_signing_key: key.public_key() })
        .collect();
    h.new_schedule = Some(ProducerSchedule { version: real.version, producers });
    h.votes.clear();
    h.state_root = sha256(b"forged");
    h.transaction_mroot = transaction_mroot(&[]);
    h.approvals_root = Checksum256::ZERO;
    h.evidence_root = Checksum256::ZERO;
    Some(SignedBlock::sign(h, vec![], chain_id, key))
}

/// The producer's own key, from the node's keystore (the test knows the password).
fn producer_key(node: &TestNode) -> PrivateKey {
    let ks = civitas_keystore::Keystore::open(&node.dir.join("keystore.json"), "e2e test password").unwrap();
    let (_, k) = ks.keys().next().expect("civitas init put the producer key in the keystore");
    k.clone()
}

#[test]
fn forged_schedules_and_context_free_floods_cost_the_chain_nothing() {
    let mut node = TestNode::init("hostile_blocks");
    node.start(&[]);
    let target = Target::of(&node);
    let url = node.url();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    // 1. Forged siblings under a made-up schedule.
    let forger = NodeKey::generate().unwrap();
    let signing = PrivateKey::from_seed("mallory's schedule key");
    let forged: Vec<Checksum256> = rt.block_on(async {
        let mut m = Mallory::connect(Ipv4Addr::new(127, 0, 0, 21), &target, &forger).await.unwrap();
        m.hello(target.chain_id).await;
        let mut ids = vec![];
        let dropped = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let b = match m.next_block().await {
                    Ok(b) => b,
                    Err(dropped) => return dropped,
                };
                let Some(sibling) = forged_sibling(&b, &target.chain_id, &signing) else { continue };
                ids.push(sibling.id());
                if !m.send_block(sibling).await {
                    return true;
                }
            }
        })
        .await;
        assert_eq!(dropped, Ok(true), "the node did not drop the peer that sent {} forged siblings", ids.len());
        ids
    });
    assert!(!forged.is_empty());
    let line = node.wait_log_line("the forger's ban", DEADLINE, |l| {
        l.contains("banning a peer for an invalid block") && l.contains(&format!("peer={}", forger.peer_id().short()))
    });
    assert!(line.contains("new_schedule does not match the election"), "{line}");
    let head = node.info().unwrap().head;
    node.wait_head_beyond(head + 2, DEADLINE);
    let (_, ev) = common::post(&url, "/v1/civitas/evidence", "").unwrap();
    assert_eq!(ev, serde_json::json!({"recorded": [], "pending": []}), "no evidence names the honest producer");
    for id in &forged {
        let (status, v) =
            common::post(&url, "/v1/chain/get_block", &format!("{{\"block_num_or_id\":\"{id}\"}}")).unwrap();
        assert_eq!(status, 400, "the forged block {id} is not served: {v}");
        assert_eq!(v["error"]["name"], "unknown_block_exception", "{v}");
    }

    // 2. Context-free data: refused whatever its size, and billed in the size limit.
    let key = producer_key(&node);
    let big = vec![Bytes(vec![0x5a; 900 * 1024])];
    let (status, v) = push_transfer_with_cfd(&url, "producer1", &key, "eosio.wps", 1, "big cfd", &big).unwrap();
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["name"], "tx_too_big", "900 KiB of context-free data is over the 128 KiB limit: {v}");
    let small = vec![Bytes(vec![0x5a; 100])];
    let (status, v) = push_transfer_with_cfd(&url, "producer1", &key, "eosio.wps", 1, "small cfd", &small).unwrap();
    assert_eq!(status, 400, "{v}");
    let what = v["error"]["details"][0]["message"].as_str().unwrap_or_default().to_string();
    assert!(what.contains("context-free data is not supported"), "{v}");

    let before = node.info().unwrap();
    for i in 0..48 {
        let (status, v) =
            push_transfer_with_cfd(&url, "producer1", &key, "eosio.wps", 1, &format!("flood {i}"), &big).unwrap();
        assert_eq!(status, 400, "flood push {i} was accepted: {v}");
    }
    let after =
        wait_for(DEADLINE, "the LIB to advance past the flood", || node.info().filter(|i| i.lib >= before.head + 4));
    let (_, blocks) = common::post(&url, "/v1/civitas/blocks?limit=500", "").unwrap();
    let carried: u64 = blocks["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["num"].as_u64().unwrap() > u64::from(before.head))
        .map(|b| b["transactions"].as_u64().unwrap())
        .sum();
    assert_eq!(carried, 0, "no block carries a flood transaction");

    // A plain transfer is billed every byte it takes in a block: its packed form with its
    // signature (Antelope's net_usage_words, 8-byte words rounded up).
    let packed = signed_transfer(&url, "producer1", &key, "eosio.wps", 1, "billed", &[]).unwrap();
    let (status, v) =
        common::post(&url, "/v1/chain/push_transaction", &serde_json::to_string(&packed).unwrap()).unwrap();
    assert_eq!(status, 202, "{v}");
    let words = v["processed"]["receipt"]["net_usage_words"].as_u64().unwrap();
    assert_eq!(words as usize, packed.wire_size().div_ceil(8), "billed: the packed transaction with its signature");
    assert!(words as usize * 8 > packed.packed_trx.0.len() + 65, "more than the transaction alone");
    println!(
        "forged siblings sent: {}; LIB {} → {} during the flood; a transfer bills {words} words",
        forged.len(),
        before.lib,
        after.lib
    );

    let status = node.term();
    assert!(status.success(), "the node did not stop cleanly: {status}");
    // Nothing forged reached the block log.
    let (log, _) = civitas_storage::BlockLog::open(&node.dir).unwrap();
    for id in &forged {
        assert!(!log.contains(id), "the forged block {id} is in the block log");
    }
}
