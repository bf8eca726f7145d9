//! A one-process stand-in for a local network, to develop and test the dashboard without the
//! multi-process localnet: a 21-producer genesis (plus three standby candidates) whose
//! producers are all signed for by one consensus core, ticked in real time, with the HTTP API
//! and the dashboard served on `127.0.0.1:8888`.
//!
//! ```text
//! cargo run -p civitas-rpc --example dashboard_dev -- [--addr 127.0.0.1:8888]
//!     [--accounts out/dashboard-dev/accounts.json] [--interval-ms 500] [--miss-percent 3]
//!     [--churn-rounds 3]
//! ```
//!
//! What makes the page interesting to look at is set up on purpose: voters with different
//! stakes and approval lists (so ranks differ and elections are active from the first round),
//! producers that publish diversity metadata (two do not, so `unknown` shows) and keep rates
//! between 20% and 100%, and a few slots deliberately left empty (`--miss-percent`) so missed
//! slots appear on the ring, and a voter (`trent`) who changes its vote every `--churn-rounds`
//! rounds (0: never), so that standby candidates enter and leave the ring. Every genesis account's key is written to `--accounts` in the
//! same form as `civitas localnet up` writes `accounts.json`, for the browser test's vote.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeMap;
use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use civitas_chain::contracts::system::{SetPayRate, SetProdMeta, VoteProducer};
use civitas_chain::{Genesis, GenesisAccount, GenesisProducer, GovernanceParams};
use civitas_consensus::{Consensus, CoreConfig, Input, LocalProducer, Output};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{
    sha256, Action, Asset, Bytes, Checksum256, Name, Pack, PermissionLevel, PrivateKey, SignedBlock, TimePoint,
    TimePointSec, Transaction,
};
use civitas_rpc::{BlockSource, NoMetrics, NodeInfo, RpcConfig, RpcState, StreamEvent, Submission};
use serde_json::json;

/// The candidates: the first 21 are elected at genesis by the votes below, the last three wait
/// as standby (their votes are the lowest).
const PRODUCERS: [&str; 24] = [
    "aurora", "basalt", "cobalt", "delta", "ember", "fjord", "granite", "harbor", "iris", "juniper", "kestrel",
    "lumen", "meridian", "nimbus", "onyx", "prairie", "quartz", "raven", "sierra", "tundra", "umber", "vesper",
    "willow", "zephyr",
];

/// Voters: name, staked whole tokens, and which candidates (by index into `PRODUCERS`) they
/// approve. alice, bob and carol are the test users of `civitas localnet up`. The stakes are
/// large so that the block pay (a share of the supply per block) shows in whole tokens.
const VOTERS: [(&str, i64, &[usize]); 8] = [
    ("alice", 30_000_000_000, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]),
    ("bob", 20_000_000_000, &[4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]),
    ("carol", 10_000_000_000, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 19, 20, 22]),
    ("dave", 7_000_000_000, &[10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]),
    ("erin", 6_000_000_000, &[0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]),
    ("frank", 5_000_000_000, &[1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23]),
    ("grace", 4_000_000_000, &[0, 1, 2, 3, 4, 5, 18]),
    ("heidi", 3_000_000_000, &[15, 16, 17, 18, 19, 20, 21, 22, 23]),
];

/// A voter who changes its mind every few rounds (`--churn-rounds`), so that a standby
/// candidate enters the ring and another leaves: its stake lifts either standby above the
/// lowest-ranked producer.
const CHURN_VOTER: (&str, i64) = ("trent", 35_000_000_000);
/// What the churn voter approves in turn: willow, then zephyr, then nobody.
const CHURN_VOTES: [&[usize]; 3] = [&[22], &[23], &[]];

/// Diversity metadata (country, jurisdiction, network, hardware) by candidate index; the last
/// two entries are `None`: those producers publish nothing.
const META: [Option<(&str, &str, &str, &str)>; 24] = [
    Some(("DE", "EU", "AS24940", "x86_64")),
    Some(("DE", "EU", "AS24940", "x86_64")),
    Some(("DE", "EU", "AS16276", "x86_64")),
    Some(("US", "US-DE", "AS16509", "x86_64")),
    Some(("US", "US-NY", "AS14061", "aarch64")),
    Some(("FI", "EU", "AS24940", "x86_64")),
    Some(("CA", "CA-QC", "AS16276", "x86_64")),
    Some(("JP", "JP", "AS2516", "aarch64")),
    Some(("SG", "SG", "AS16509", "x86_64")),
    Some(("BR", "BR", "AS28573", "x86_64")),
    Some(("FR", "EU", "AS16276", "x86_64")),
    Some(("NL", "EU", "AS60781", "x86_64")),
    Some(("CH", "CH", "AS13030", "aarch64")),
    Some(("KR", "KR", "AS4766", "x86_64")),
    Some(("AU", "AU", "AS1221", "x86_64")),
    Some(("US", "US-CA", "AS15169", "x86_64")),
    Some(("DE", "EU", "AS3320", "riscv64")),
    Some(("IS", "IS", "AS44735", "x86_64")),
    Some(("KE", "KE", "AS33771", "aarch64")),
    Some(("IN", "IN", "AS55836", "x86_64")),
    Some(("ZA", "ZA", "AS37100", "x86_64")),
    Some(("AR", "AR", "AS7303", "x86_64")),
    None,
    None,
];

/// Each candidate's keep rate in basis points: a spread from 20% to 100%.
fn keep_rate(i: usize) -> u16 {
    [10_000, 9_000, 8_000, 7_500, 6_000, 5_000, 4_000, 2_000][i % 8]
}

fn name(s: &str) -> Name {
    s.parse().expect("a valid account name")
}

fn key(account: &str) -> PrivateKey {
    PrivateKey::from_seed(&format!("dashboard-dev-{account}"))
}

fn tokens(whole: i64) -> Asset {
    Asset::new(whole * 10_000, "4,CIV".parse().expect("a valid symbol")).expect("in range")
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn genesis(start_ms: i64, interval_ms: u32) -> Genesis {
    let mut accounts: Vec<GenesisAccount> = PRODUCERS
        .iter()
        .map(|p| GenesisAccount {
            name: name(p),
            owner_key: key(p).public_key(),
            active_key: None,
            balance: Some(tokens(1_000_000)),
            stake: None,
            votes: vec![],
        })
        .collect();
    let churn = (CHURN_VOTER.0, CHURN_VOTER.1, &[][..]);
    for (voter, stake, approvals) in VOTERS.into_iter().chain([churn]) {
        let mut votes: Vec<Name> = approvals.iter().map(|&i| name(PRODUCERS[i])).collect();
        // Antelope's rule: producer lists are strictly ascending by name value.
        votes.sort();
        accounts.push(GenesisAccount {
            name: name(voter),
            owner_key: key(voter).public_key(),
            active_key: None,
            balance: Some(tokens(10_000_000)),
            stake: Some(tokens(stake)),
            votes,
        });
    }
    Genesis {
        chain_name: "dashboard-dev".into(),
        initial_timestamp: TimePoint::from_millis(start_ms),
        core_symbol: "4,CIV".parse().expect("a valid symbol"),
        // At most 2^53 units (docs/governance.md); 500 billion tokens at 4 decimals is below.
        max_supply: tokens(500_000_000_000),
        block_interval_ms: interval_ms,
        blocks_per_turn: 1,
        active_producers: 21,
        max_transaction_lifetime_sec: 3600,
        accounts,
        producers: PRODUCERS
            .iter()
            .map(|p| GenesisProducer {
                name: name(p),
                signing_key: key(p).public_key(),
                url: format!("https://{p}.example"),
                location: 0,
            })
            .collect(),
        // The highest inflation the constitution allows, so that pay grows visibly.
        governance: GovernanceParams { inflation_rate: 500, ..Default::default() },
    }
}

/// Every block the node has produced, by number and id (a node's block store in memory).
#[derive(Default)]
struct MemBlocks {
    by_num: RwLock<BTreeMap<u32, Arc<SignedBlock>>>,
    by_id: RwLock<BTreeMap<Checksum256, Arc<SignedBlock>>>,
}

impl MemBlocks {
    fn insert(&self, b: Arc<SignedBlock>) {
        self.by_num.write().expect("not poisoned").insert(b.block_num(), b.clone());
        self.by_id.write().expect("not poisoned").insert(b.id(), b);
    }
}

impl BlockSource for MemBlocks {
    fn by_num(&self, num: u32) -> Option<Arc<SignedBlock>> {
        self.by_num.read().expect("not poisoned").get(&num).cloned()
    }
    fn by_id(&self, id: &Checksum256) -> Option<Arc<SignedBlock>> {
        self.by_id.read().expect("not poisoned").get(id).cloned()
    }
}

struct Args {
    addr: SocketAddr,
    accounts: PathBuf,
    interval_ms: u32,
    miss_percent: u8,
    churn_rounds: u64,
}

fn args() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        addr: "127.0.0.1:8888".parse()?,
        accounts: PathBuf::from("out/dashboard-dev/accounts.json"),
        interval_ms: 500,
        miss_percent: 3,
        churn_rounds: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => a.addr = value()?.parse()?,
            "--accounts" => a.accounts = PathBuf::from(value()?),
            "--interval-ms" => a.interval_ms = value()?.parse()?,
            "--miss-percent" => a.miss_percent = value()?.parse()?,
            "--churn-rounds" => a.churn_rounds = value()?.parse()?,
            "-h" | "--help" => {
                println!(
                    "dashboard_dev [--addr 127.0.0.1:8888] [--accounts PATH] [--interval-ms 500] [--miss-percent 3] \
                     [--churn-rounds 3]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if a.interval_ms < 100 {
        return Err("--interval-ms must be at least 100 (SPEC §3.1)".into());
    }
    Ok(a)
}

/// Whether the producer of `slot` "misses" it: a hash of the slot, so misses are spread
/// evenly and the same on every run.
fn skipped(slot: u64, percent: u8) -> bool {
    slot > 4 && u64::from(sha256(&slot.to_le_bytes()).0[0]) * 100 < u64::from(percent) * 256
}

/// `accounts.json`: every genesis account with its key, in the layout `civitas localnet up`
/// writes (an array of `{name, role, public_key, private_key}`).
fn write_accounts(path: &PathBuf, g: &Genesis) -> Result<(), Box<dyn Error>> {
    let accounts: Vec<_> = g
        .accounts
        .iter()
        .map(|a| {
            let k = key(&a.name.to_string());
            let role = if g.producers.iter().any(|p| p.name == a.name) { "producer" } else { "user" };
            json!({"name": a.name, "role": role, "public_key": k.public_key(), "private_key": k.to_string()})
        })
        .collect();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_vec_pretty(&accounts)?)?;
    Ok(())
}

/// Each producer publishes its diversity metadata and keep rate, as operators would after
/// registering; one transaction per producer, signed with its key.
fn setup_transactions(core: &Consensus) -> Vec<VerifiedTransaction> {
    let chain_id = core.chain().config().chain_id;
    let (head_id, head_time) = (core.head().id, core.head().time);
    let limit = core.chain().config().max_transaction_size;
    PRODUCERS
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let producer = name(p);
            let auth = vec![PermissionLevel::new(producer, name("active"))];
            let mut actions = vec![Action {
                account: name("eosio"),
                name: name("setpayrate"),
                authorization: auth.clone(),
                data: Bytes(SetPayRate { producer, keep_rate: keep_rate(i) }.packed()),
            }];
            if let Some((country, jurisdiction, network, hardware)) = META[i] {
                let meta = SetProdMeta {
                    producer,
                    country: country.into(),
                    jurisdiction: jurisdiction.into(),
                    network: network.into(),
                    hardware: hardware.into(),
                    software: format!("civitas v{}", env!("CARGO_PKG_VERSION")),
                };
                actions.push(Action {
                    account: name("eosio"),
                    name: name("setprodmeta"),
                    authorization: auth,
                    data: Bytes(meta.packed()),
                });
            }
            let trx = Transaction::new(TimePointSec((head_time.secs() + 600) as u32), &head_id, actions);
            let packed = trx.sign(&chain_id, &[&key(p)]);
            VerifiedTransaction::verify(&chain_id, packed, limit).ok()
        })
        .collect()
}

/// The churn voter's vote for round `round`, signed on the head.
fn churn_transaction(core: &Consensus, round: u64, every: u64) -> Option<VerifiedTransaction> {
    let chain_id = core.chain().config().chain_id;
    let voter = name(CHURN_VOTER.0);
    let mut producers: Vec<Name> =
        CHURN_VOTES[(round / every) as usize % CHURN_VOTES.len()].iter().map(|&i| name(PRODUCERS[i])).collect();
    producers.sort();
    let action = Action {
        account: name("eosio"),
        name: name("voteproducer"),
        authorization: vec![PermissionLevel::new(voter, name("active"))],
        data: Bytes(VoteProducer { voter, proxy: Name(0), producers }.packed()),
    };
    let head = core.head();
    let trx = Transaction::new(TimePointSec((head.time.secs() + 600) as u32), &head.id, vec![action]);
    let packed = trx.sign(&chain_id, &[&key(CHURN_VOTER.0)]);
    VerifiedTransaction::verify(&chain_id, packed, core.chain().config().max_transaction_size).ok()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = args()?;
    let interval = i64::from(args.interval_ms);
    // Genesis a few slots ago, on a slot boundary, so blocks start at once.
    let start = (now_ms() / interval - 2) * interval;
    let g = genesis(start, args.interval_ms);
    write_accounts(&args.accounts, &g)?;
    let producers = PRODUCERS.iter().map(|p| LocalProducer::new(name(p), key(p))).collect();
    let consensus = Consensus::new(&g, CoreConfig { producers, ..Default::default() })?;
    let mem = Arc::new(MemBlocks::default());
    mem.insert(consensus.lib().block.clone());
    let core = Arc::new(RwLock::new(consensus));
    let (submit, mut rx) = tokio::sync::mpsc::channel::<Submission>(256);
    let (events, _) = tokio::sync::broadcast::channel(1024);

    // The core task: admits submissions and ticks the clock, as a node's core task does.
    {
        let (core, mem, events) = (core.clone(), mem.clone(), events.clone());
        let (miss, churn) = (args.miss_percent, args.churn_rounds);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_millis(50));
            let mut set_up = false;
            let mut last_round = 0;
            loop {
                tokio::select! {
                    sub = rx.recv() => {
                        let Some(sub) = sub else { break };
                        let results = core.write().expect("not poisoned").push_transactions(sub.txs);
                        let _ = sub.reply.send(results);
                    }
                    _ = ticker.tick() => {
                        let t = TimePoint::from_millis(now_ms());
                        let mut out = Output::default();
                        let (head, lib) = {
                            let mut c = core.write().expect("not poisoned");
                            let slot = c.params().slot_at(t).unwrap_or(0);
                            if skipped(slot, miss) {
                                // The clock moves on but nobody produces: a missed slot.
                                c.set_time(t);
                            } else {
                                c.handle(Input::Tick(t), &mut out);
                            }
                            if !set_up && c.head().num >= 2 {
                                set_up = true;
                                let txs = setup_transactions(&c);
                                let failed = c.push_transactions(txs).into_iter().filter(Result::is_err).count();
                                if failed > 0 {
                                    eprintln!("dashboard_dev: {failed} setup transactions failed");
                                }
                            }
                            // Votes count from the next election, so voting early in a
                            // round changes the ring at the next round boundary.
                            let round = c.params().round_of(slot);
                            if churn > 0 && round != last_round && round % churn == 0 {
                                if let Some(tx) = churn_transaction(&c, round, churn) {
                                    let _ = c.push_transactions(vec![tx]);
                                }
                            }
                            last_round = round;
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
        });
    }

    let state = RpcState {
        core,
        submit,
        blocks: mem,
        info: NodeInfo { node_name: "dashboard-dev".into(), ..NodeInfo::default() },
        events,
        metrics: Arc::new(NoMetrics),
        config: RpcConfig::default(),
    };
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    println!("dashboard: http://{}/", listener.local_addr()?);
    println!("accounts:  {}", args.accounts.display());
    civitas_rpc::serve(listener, state, std::future::pending()).await?;
    Ok(())
}
