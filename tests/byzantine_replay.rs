//! Issue 10 item 2, with real node processes: a byzantine producer's block carrying a transfer
//! its owner never signed is rejected when it arrives, and stays rejected after the node is
//! killed with SIGKILL and replays its block log.
//!
//! A 4-producer localnet runs; the test stops one producer's node and takes its key. It follows
//! the chain from node 0 over P2P with a consensus core of its own, puts into that core's pool
//! a transfer from `alice` signed with the byzantine producer's key but claiming alice's key as
//! its signer, and in the producer's slot sends node 0 the block that core produces: header
//! valid, signed by the scheduled producer, with the state root the transfer would give if
//! nobody checked alice's authority. Node 0 recovers the real signer, refuses the block and
//! bans the sender. Then node 0 is killed and restarted: its log holds only blocks it applied,
//! each with the keys it recovered, and replay checks every authority again — alice keeps her
//! tokens. (Before: the block was logged when its header passed, and replay skipped authority
//! checks for logged blocks, so after a restart the transfer went through.)

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use civitas_chain::contracts::token::Transfer;
use civitas_chain::Genesis;
use civitas_consensus::{Consensus, CoreConfig, Input, LocalProducer, Output};
use civitas_network::{NetConfig, NetEvent, Network, NodeKey};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{
    Action, Asset, Bytes, Name, Pack, PermissionLevel, SignedBlock, TimePoint, TimePointSec, Transaction,
};
use common::*;

const DEADLINE: Duration = Duration::from_secs(30);

fn now() -> TimePoint {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    TimePoint::from_millis(ms as i64)
}

fn balance(url: &str, account: &str) -> String {
    let (status, v) = post(
        url,
        "/v1/chain/get_currency_balance",
        &format!(r#"{{"code":"eosio.token","account":"{account}","symbol":"CIV"}}"#),
    )
    .expect("the API answers");
    assert_eq!(status, 200, "{v}");
    v[0].as_str().unwrap_or_default().to_string()
}

/// The block the byzantine producer sends: produced by a core following node 0 whose pool holds
/// the unsigned transfer.
fn byzantine_block(net: &Localnet, byz: &str, rt: &tokio::runtime::Runtime) -> Arc<SignedBlock> {
    let genesis = Genesis::from_json(&std::fs::read_to_string(net.genesis_path()).unwrap()).unwrap();
    let chain_id = genesis.chain_id();
    let key = net.key(byz);
    let config =
        CoreConfig { producers: vec![LocalProducer::new(byz.parse().unwrap(), key.clone())], ..Default::default() };
    let mut core = Consensus::new(&genesis, config).unwrap();
    rt.block_on(async {
        let mut cfg = NetConfig::new(chain_id, NodeKey::generate().unwrap());
        cfg.node_name = "byzantine".into();
        cfg.peers = vec![format!("127.0.0.1:{}", net.base + 100)];
        let (handle, mut events) = Network::start(cfg).await.unwrap();
        let t0 = Instant::now();
        let mut peer = None;
        let mut planted = false;
        let block = loop {
            assert!(t0.elapsed() < DEADLINE, "the byzantine core never got to produce");
            core.set_time(now());
            let ev = tokio::time::timeout(Duration::from_millis(20), events.recv()).await;
            let mut out = Output::default();
            match ev {
                Ok(Some(NetEvent::PeerConnected { peer: p, .. })) => {
                    peer = Some(p);
                    handle.request_blocks(&p, 2, 256).unwrap();
                }
                Ok(Some(NetEvent::Blocks { blocks, peer: p, .. })) => {
                    let n = blocks.len() as u32;
                    let next = blocks.last().map(|b| b.block_num() + 1);
                    for b in blocks {
                        core.handle(Input::Block { block: Arc::new(b), from: None }, &mut out);
                    }
                    if let (Some(next), 256) = (next, n) {
                        handle.request_blocks(&p, next, 256).unwrap();
                    }
                }
                Ok(Some(NetEvent::Block { block, .. })) => {
                    core.handle(Input::Block { block: Arc::new(*block), from: None }, &mut out)
                }
                Ok(Some(NetEvent::GetBlocks { reply, .. })) | Ok(Some(NetEvent::GetBlock { reply, .. })) => {
                    reply.not_found()
                }
                Ok(Some(_)) | Err(_) => {}
                Ok(None) => panic!("the network stopped"),
            }
            // Once caught up with node 0's head, plant the transfer alice never signed.
            let head = core.head().clone();
            if !planted && peer.is_some() && net.info(0).is_some_and(|i| i.head <= head.num + 1) {
                let args = Transfer {
                    from: Name::constant("alice"),
                    to: Name::constant("bob"),
                    quantity: Asset::new(10_000_000, "4,CIV".parse().unwrap()).unwrap(), // 1000.0000 CIV
                    memo: "never signed by alice".into(),
                };
                let action = Action {
                    account: Name::constant("eosio.token"),
                    name: Name::constant("transfer"),
                    authorization: vec![PermissionLevel::new(Name::constant("alice"), Name::constant("active"))],
                    data: Bytes(args.packed()),
                };
                let trx = Transaction::new(TimePointSec((now().secs() + 120) as u32), &head.id, vec![action]);
                let packed = trx.sign(&chain_id, &[&key]);
                let claimed = VerifiedTransaction::trusted(trx, packed, vec![net.key("alice").public_key()]);
                core.push_transaction(claimed).expect("the core takes the claimed signer at its word");
                planted = true;
            }
            core.handle(Input::Tick(now()), &mut out);
            if planted {
                if let Some(b) = out.broadcast.iter().find(|b| !b.transactions.is_empty()) {
                    break b.clone();
                }
            }
        };
        handle.broadcast_block(&block);
        tokio::time::sleep(Duration::from_millis(500)).await;
        handle.shutdown().await;
        block
    })
}

#[test]
fn an_unauthorized_transfer_in_a_producers_block_is_refused_live_and_after_replay() {
    let net = Localnet::up("byzantine_replay", 4);
    let url = net.url(0);
    let before = balance(&url, "alice");
    // The fourth producer turns byzantine: its node goes, the test signs for it.
    let byz = net.names[3].clone();
    net.kill9(3);

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let block = byzantine_block(&net, &byz, &rt);
    let id = block.id().to_string();

    // Live: refused (the signer is not alice) and the sender banned.
    let line = wait_for(DEADLINE, "node 0 to refuse the block", || {
        net.log(0).lines().find(|l| l.contains("banning a peer for an invalid block")).map(str::to_string)
    });
    assert!(line.contains("transaction 0 failed"), "{line}");
    let unknown = |url: &str| {
        let (status, v) = post(url, "/v1/chain/get_block", &format!(r#"{{"block_num_or_id":"{id}"}}"#)).unwrap();
        status == 400 && v["error"]["name"] == "unknown_block_exception"
    };
    assert!(unknown(&url), "node 0 serves the byzantine block");
    assert_eq!(balance(&url, "alice"), before);

    // kill -9, restart, replay: still refused, nothing logged.
    let head = net.info(0).unwrap().head;
    net.kill9(0);
    net.start_stopped();
    wait_for(DEADLINE, "node 0 to come back and move on", || net.info(0).filter(|i| i.head > head));
    assert!(unknown(&url), "node 0 serves the byzantine block after replay");
    assert_eq!(balance(&url, "alice"), before, "alice's tokens moved after the replay");
    let restored = net.log(0);
    assert!(restored.contains("state restored"), "node 0 restored from its files");
    assert!(!restored.contains("a logged block was rejected on replay"), "only applied blocks are in the log");
    println!("byzantine block {id} refused live and after replay; alice keeps {before}");
}
