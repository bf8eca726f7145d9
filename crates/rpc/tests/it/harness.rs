//! A node in a test: a real `Consensus` from a small genesis (one local producer, bp1, whose
//! key the test holds; alice, bob and carol with balances), a core task that admits
//! submissions and ticks a virtual clock so blocks are produced, and the router, driven with
//! `tower::ServiceExt::oneshot` (no socket).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use civitas_chain::{Genesis, GenesisAccount, GenesisProducer};
use civitas_consensus::{Consensus, CoreConfig, Input, LocalProducer, Output};
use civitas_protocol::transaction::deflate;
use civitas_protocol::{
    Action, Asset, Bytes as HexBytes, Checksum256, Name, Pack, PermissionLevel, PrivateKey, SignedBlock, TimePoint,
    TimePointSec, Transaction,
};
use civitas_rpc::{router, BlockSource, NoMetrics, NodeInfo, RpcConfig, RpcState, StreamEvent, Submission};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// Genesis time (ms since the epoch).
pub const T0: i64 = 1_800_000_000_000;
/// Slot length (ms of virtual time).
pub const INTERVAL_MS: i64 = 500;
/// Real time between ticks; each tick advances the virtual clock by one slot.
pub const TICK: Duration = Duration::from_millis(20);

pub fn key(name: &str) -> PrivateKey {
    PrivateKey::from_seed(&format!("rpc-test-{name}"))
}

pub fn n(s: &str) -> Name {
    s.parse().unwrap()
}

pub fn asset(s: &str) -> Asset {
    s.parse().unwrap()
}

/// alice (100 CIV staked, voting for bp1), bob, carol and the producer bp1 (10 CIV staked each
/// for their CPU and NET, voting for nobody).
pub fn genesis() -> Genesis {
    let accounts = ["alice", "bob", "carol", "bp1"]
        .iter()
        .map(|a| GenesisAccount {
            name: n(a),
            owner_key: key(&format!("{a}-owner")).public_key(),
            active_key: Some(key(a).public_key()),
            balance: Some(asset("1000.0000 CIV")),
            stake: Some(asset(if *a == "alice" { "100.0000 CIV" } else { "10.0000 CIV" })),
            votes: if *a == "alice" { vec![n("bp1")] } else { vec![] },
        })
        .collect();
    Genesis {
        chain_name: "rpc-test".into(),
        initial_timestamp: TimePoint::from_millis(T0),
        core_symbol: "4,CIV".parse().unwrap(),
        max_supply: asset("10000000000.0000 CIV"),
        block_interval_ms: INTERVAL_MS as u32,
        blocks_per_turn: 1,
        active_producers: 1,
        max_transaction_lifetime_sec: 3600,
        accounts,
        producers: vec![GenesisProducer {
            name: n("bp1"),
            signing_key: key("bp1").public_key(),
            url: "https://bp1.example".into(),
            location: 0,
        }],
        governance: Default::default(),
    }
}

/// Blocks as a node's store would hold them.
#[derive(Default)]
pub struct MemBlocks {
    by_num: RwLock<BTreeMap<u32, Arc<SignedBlock>>>,
    by_id: RwLock<BTreeMap<Checksum256, Arc<SignedBlock>>>,
}

impl MemBlocks {
    pub fn insert(&self, b: Arc<SignedBlock>) {
        self.by_num.write().unwrap().insert(b.block_num(), b.clone());
        self.by_id.write().unwrap().insert(b.id(), b);
    }
}

impl BlockSource for MemBlocks {
    fn by_num(&self, num: u32) -> Option<Arc<SignedBlock>> {
        self.by_num.read().unwrap().get(&num).cloned()
    }
    fn by_id(&self, id: &Checksum256) -> Option<Arc<SignedBlock>> {
        self.by_id.read().unwrap().get(id).cloned()
    }
}

/// A running test node.
pub struct Node {
    pub router: Router,
    /// What the router was built from (to serve it on a socket with [`civitas_rpc::serve`]).
    pub state: RpcState,
    pub core: Arc<RwLock<Consensus>>,
    pub chain_id: Checksum256,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub struct Options {
    pub config: RpcConfig,
    pub blocks: Option<Arc<dyn BlockSource>>,
    /// Whether the core task produces blocks.
    pub produce: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { config: RpcConfig::default(), blocks: None, produce: true }
    }
}

impl Node {
    pub async fn start() -> Node {
        Self::with(Options::default()).await
    }

    pub async fn with(opts: Options) -> Node {
        let g = genesis();
        let local = LocalProducer::new(n("bp1"), key("bp1"));
        let producers = if opts.produce { vec![local] } else { vec![] };
        let consensus = Consensus::new(&g, CoreConfig { producers, ..Default::default() }).unwrap();
        let chain_id = consensus.chain().config().chain_id;
        let mem = Arc::new(MemBlocks::default());
        mem.insert(consensus.lib().block.clone());
        let core = Arc::new(RwLock::new(consensus));
        let (submit, mut rx) = tokio::sync::mpsc::channel::<Submission>(64);
        let (events, _) = tokio::sync::broadcast::channel(256);
        let task = {
            let (core, mem, events) = (core.clone(), mem.clone(), events.clone());
            tokio::spawn(async move {
                let mut t = T0;
                let mut ticker = tokio::time::interval(TICK);
                loop {
                    tokio::select! {
                        sub = rx.recv() => {
                            let Some(sub) = sub else { break };
                            let results = core.write().unwrap().push_transactions(sub.txs);
                            let _ = sub.reply.send(results);
                        }
                        _ = ticker.tick() => {
                            t += INTERVAL_MS;
                            let mut out = Output::default();
                            let (head, lib) = {
                                let mut c = core.write().unwrap();
                                c.handle(Input::Tick(TimePoint::from_millis(t)), &mut out);
                                (c.head().clone(), c.lib().clone())
                            };
                            for a in &out.applied {
                                mem.insert(a.block.clone());
                            }
                            if out.head_changed {
                                let _ = events.send(StreamEvent::Head {
                                    num: head.num, id: head.id, producer: head.producer, time: head.time, slot: head.slot,
                                });
                            }
                            if !out.irreversible.is_empty() {
                                let _ = events.send(StreamEvent::Lib { num: lib.num, id: lib.id });
                            }
                        }
                    }
                }
            })
        };
        let blocks: Arc<dyn BlockSource> = opts.blocks.unwrap_or(mem);
        let state = RpcState {
            core: core.clone(),
            submit,
            blocks,
            info: NodeInfo::default(),
            events: events.clone(),
            metrics: Arc::new(NoMetrics),
            config: opts.config,
        };
        Node { router: router(state.clone()), state, core, chain_id, task }
    }

    /// Serves the API on a fresh local port with [`civitas_rpc::serve`] (the node's server:
    /// the request-head guard in front of hyper) until the returned task is aborted.
    pub async fn serve_tcp(&self) -> (std::net::SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(civitas_rpc::serve(listener, self.state.clone(), std::future::pending()));
        (addr, task)
    }

    /// A raw request.
    pub async fn request(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
        let resp = tokio::time::timeout(Duration::from_secs(20), self.router.clone().oneshot(req))
            .await
            .expect("the API answers within 20 s")
            .unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = tokio::time::timeout(Duration::from_secs(20), body.collect())
            .await
            .expect("the body completes within 20 s")
            .unwrap()
            .to_bytes();
        (parts.status, parts.headers, bytes)
    }

    /// A call with raw body bytes and an optional content type.
    pub async fn call_raw(&self, method: &str, path: &str, body: Vec<u8>, ctype: Option<&str>) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(ct) = ctype {
            b = b.header("content-type", ct);
        }
        let (status, headers, bytes) = self.request(b.body(Body::from(body)).unwrap()).await;
        assert!(!bytes.is_empty(), "{method} {path}: empty body with status {status}");
        let v: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
        let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(ct.starts_with("application/json"), "{method} {path}: content type {ct}");
        (status, v)
    }

    /// POST as eosjs does: `text/plain` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call_raw("POST", path, serde_json::to_vec(&body).unwrap(), Some("text/plain;charset=UTF-8")).await
    }

    /// GET with no body, as Wharfkit sends `get_info`.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call_raw("GET", path, vec![], None).await
    }

    /// Waits until the head is at least `num`.
    pub async fn wait_for_head(&self, num: u32) {
        for _ in 0..1000 {
            if self.core.read().unwrap().head().num >= num {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("head did not reach {num}");
    }

    /// Waits until the LIB is at least `num`.
    pub async fn wait_for_lib(&self, num: u32) {
        for _ in 0..1000 {
            if self.core.read().unwrap().lib().num >= num {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("LIB did not reach {num}");
    }

    /// Waits until `id` is in a block (left the pool).
    pub async fn wait_until_included(&self, id: &str) {
        let id: Checksum256 = id.parse().unwrap();
        for _ in 0..1000 {
            if !self.core.read().unwrap().pool().contains(&id) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("transaction {id} was not included");
    }

    /// A transfer signed like eosjs signs one, TAPOS on the head and expiring `expire_secs`
    /// after the head's time, as eosjs's `compression: 0` push body.
    pub fn transfer(&self, from: &str, to: &str, qty: &str, memo: &str, signer: &PrivateKey) -> (Transaction, Value) {
        let data = civitas_chain::contracts::token::Transfer {
            from: n(from),
            to: n(to),
            quantity: asset(qty),
            memo: memo.into(),
        };
        let action = Action {
            account: n("eosio.token"),
            name: n("transfer"),
            authorization: vec![PermissionLevel::new(n(from), n("active"))],
            data: HexBytes(data.packed()),
        };
        let trx = self.trx(vec![action], 300);
        let body = self.sign(&trx, &[signer], false);
        (trx, body)
    }

    /// A transaction on the head's TAPOS.
    pub fn trx(&self, actions: Vec<Action>, expire_secs: i64) -> Transaction {
        let (head_id, head_time) = {
            let c = self.core.read().unwrap();
            (c.head().id, c.head().time)
        };
        Transaction::new(TimePointSec((head_time.secs() + expire_secs) as u32), &head_id, actions)
    }

    /// The push body for `trx` signed by `keys`: eosjs's form (`compression: 0`, cfd `""`) or
    /// Wharfkit's compressed form (`compression: 1`, zlib `packed_trx` and cfd `789c…`).
    pub fn sign(&self, trx: &Transaction, keys: &[&PrivateKey], zlib: bool) -> Value {
        let packed = trx.sign(&self.chain_id, keys);
        let sigs: Vec<String> = packed.signatures.iter().map(|s| s.to_string()).collect();
        if zlib {
            json!({
                "signatures": sigs,
                "compression": 1,
                "packed_context_free_data": hex::encode(deflate(&[0])),
                "packed_trx": hex::encode(deflate(&trx.packed())),
            })
        } else {
            json!({"signatures": sigs, "compression": 0, "packed_context_free_data": "", "packed_trx": hex::encode(trx.packed())})
        }
    }
}

/// Checks the Antelope error shape and returns `error.code`.
pub fn assert_error(status: StatusCode, v: &Value, context: &str) -> u64 {
    assert!(!status.is_success(), "{context}: expected an error, got {status}: {v}");
    assert_eq!(v["code"].as_u64(), Some(u64::from(status.as_u16())), "{context}: top-level code: {v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{context}: message: {v}");
    let e = &v["error"];
    assert!(e["name"].as_str().is_some_and(|m| !m.is_empty()), "{context}: error.name: {v}");
    assert!(e["what"].as_str().is_some_and(|m| !m.is_empty()), "{context}: error.what: {v}");
    let d = &e["details"][0];
    assert!(d["message"].as_str().is_some_and(|m| !m.is_empty()), "{context}: details[0].message: {v}");
    assert!(d["file"].is_string() && d["line_number"].is_number() && d["method"].is_string(), "{context}: {v}");
    e["code"].as_u64().unwrap_or_else(|| panic!("{context}: error.code: {v}"))
}

/// The error's detail message.
pub fn detail(v: &Value) -> &str {
    v["error"]["details"][0]["message"].as_str().unwrap_or("")
}
