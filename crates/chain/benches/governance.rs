//! Governance benchmark: `delegatebw` and `voteproducer` applied per second, and the cost of
//! `Chain::elect(21)`, on a chain with 100,000 staked voters (each approving 30 of 100
//! candidates).
//!
//! Run: `cargo bench -p civitas-chain --bench governance` (sizes: `GOV_BENCH_VOTERS`,
//! `GOV_BENCH_TRX`). A plain `main` rather than criterion: the interesting figures are
//! throughputs over thousands of distinct transactions, each of which can be applied once.

// A benchmark measures wall-clock time, which the deterministic core itself never reads.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
// Token amounts are written as whole tokens then four decimals: `1_000_0000` is 1000.0000 CIV.
#![allow(clippy::inconsistent_digit_grouping)]

use std::time::Instant;

use civitas_chain::contracts::system::{DelegateBw, VoteProducer};
use civitas_chain::{BlockInfo, Chain, Genesis, GenesisAccount, GenesisProducer, GovernanceParams};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{
    Action, Asset, Bytes, Checksum256, Name, Pack, PermissionLevel, PrivateKey, Symbol, TimePoint, TimePointSec,
    Transaction,
};

const CANDIDATES: usize = 100;
const VOTES_EACH: usize = 30;
const T0_MS: i64 = 1_800_000_000_000;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A valid account name for index `i` with a prefix (letters only, base 26).
fn name(prefix: &str, mut i: usize, digits: usize) -> Name {
    let mut s = String::from(prefix);
    let mut tail = vec![b'a'; digits];
    for d in tail.iter_mut().rev() {
        *d = b'a' + (i % 26) as u8;
        i /= 26;
    }
    s.push_str(std::str::from_utf8(&tail).expect("ascii"));
    s.parse().expect("valid name")
}

fn candidate(i: usize) -> Name {
    name("cand", i, 2)
}

fn voter(i: usize) -> Name {
    name("voter", i, 4)
}

/// Voter `i`'s 30 candidates (a window over the 100, rotated by `shift`), ascending.
fn ballot(i: usize, shift: usize) -> Vec<Name> {
    let mut v: Vec<Name> = (0..VOTES_EACH).map(|k| candidate((i * 7 + shift + k) % CANDIDATES)).collect();
    v.sort();
    v
}

struct Bench {
    chain: Chain,
    key: PrivateKey,
    block_num: u32,
    time_ms: i64,
    ref_id: Checksum256,
    last_id: Checksum256,
}

impl Bench {
    fn open(&mut self) {
        self.block_num += 1;
        self.time_ms += 500;
        let info =
            BlockInfo { block_num: self.block_num, time: TimePoint::from_millis(self.time_ms), producer: candidate(0) };
        self.chain.start_block(info, self.last_id);
    }

    fn seal(&mut self) {
        let root = self.chain.finish_block();
        self.last_id = civitas_protocol::sha256(&root.0);
        self.last_id.0[..4].copy_from_slice(&self.block_num.to_be_bytes());
    }

    fn sign(&self, action: Action) -> VerifiedTransaction {
        let trx = Transaction::new(TimePointSec((self.time_ms / 1000 + 3000) as u32), &self.ref_id, vec![action]);
        let chain_id = self.chain.config().chain_id;
        VerifiedTransaction::verify(&chain_id, trx.sign(&chain_id, &[&self.key]), 1 << 20).expect("valid")
    }

    /// Applies `trxs` in blocks of 1,000 and returns the seconds taken (sealing included).
    fn apply_all(&mut self, trxs: &[VerifiedTransaction]) -> f64 {
        let start = Instant::now();
        for chunk in trxs.chunks(1000) {
            self.open();
            for vt in chunk {
                self.chain.apply_transaction(vt).expect("applies");
            }
            self.seal();
        }
        start.elapsed().as_secs_f64()
    }
}

fn action(actor: Name, act: &str, data: Vec<u8>) -> Action {
    Action {
        account: "eosio".parse().expect("name"),
        name: act.parse().expect("name"),
        authorization: vec![PermissionLevel::new(actor, "active".parse().expect("name"))],
        data: Bytes(data),
    }
}

fn main() {
    let voters = env("GOV_BENCH_VOTERS", 100_000);
    let ntrx = env("GOV_BENCH_TRX", 20_000).min(voters);
    let sym: Symbol = "4,CIV".parse().expect("symbol");
    let civ = |units: i64| Asset::new(units, sym).expect("amount");
    let key = PrivateKey::from_seed("governance-bench");
    let pk = key.public_key();
    let account = |n: Name, votes: Vec<Name>| GenesisAccount {
        name: n,
        owner_key: pk,
        active_key: None,
        balance: Some(civ(1_000_0000)),
        stake: Some(civ(1_000_0000)),
        votes,
    };
    let mut accounts: Vec<GenesisAccount> = (0..CANDIDATES).map(|i| account(candidate(i), vec![])).collect();
    accounts.extend((0..voters).map(|i| account(voter(i), ballot(i, 0))));
    let genesis = Genesis {
        chain_name: "bench".into(),
        initial_timestamp: TimePoint::from_millis(T0_MS),
        core_symbol: sym,
        max_supply: civ(10_000_000_000_0000),
        block_interval_ms: 500,
        blocks_per_turn: 1,
        active_producers: 21,
        max_transaction_lifetime_sec: 3600,
        accounts,
        producers: (0..CANDIDATES)
            .map(|i| GenesisProducer { name: candidate(i), signing_key: pk, url: String::new(), location: 0 })
            .collect(),
        governance: GovernanceParams { activation_threshold: 100, ..GovernanceParams::default() },
    };
    println!(
        "governance bench: {voters} voters, {CANDIDATES} candidates, {VOTES_EACH} votes each, {ntrx} trx per test"
    );

    let start = Instant::now();
    let chain = Chain::from_genesis(&genesis).expect("genesis");
    let genesis_s = start.elapsed().as_secs_f64();
    println!(
        "  genesis (accounts, {voters} stakes and votes): {genesis_s:.2} s, {} rows, elections active: {}",
        chain.kv().len(),
        chain.elections_active()
    );
    let ref_id = {
        let mut id = civitas_protocol::sha256(b"genesis");
        id.0[..4].copy_from_slice(&1u32.to_be_bytes());
        id
    };
    let mut b = Bench { chain, key, block_num: 1, time_ms: T0_MS, ref_id, last_id: ref_id };

    // elect(21) over 100 candidates with 100k voters in the state.
    let rounds = 2000;
    let start = Instant::now();
    let mut total = 0;
    for _ in 0..rounds {
        total += b.chain.elect(21, &[]).len();
    }
    let elect_us = start.elapsed().as_secs_f64() * 1e6 / rounds as f64;
    assert_eq!(total, 21 * rounds);
    println!("  Chain::elect(21): {elect_us:.1} µs per call (average of {rounds})");

    // delegatebw: each voter (who approves 30 producers) adds 1 CIV of stake.
    let start = Instant::now();
    let trxs: Vec<VerifiedTransaction> = (0..ntrx)
        .map(|i| {
            let v = voter(i);
            let a = DelegateBw {
                from: v,
                receiver: v,
                stake_net_quantity: civ(1_0000),
                stake_cpu_quantity: civ(0),
                transfer: false,
            };
            b.sign(action(v, "delegatebw", a.packed()))
        })
        .collect();
    let sign_s = start.elapsed().as_secs_f64();
    println!("  (signing + verifying {ntrx} trx outside the timings: {:.0} trx/s)", ntrx as f64 / sign_s);
    let secs = b.apply_all(&trxs);
    println!(
        "  delegatebw (re-weights 30 producers each): {:.0} trx/s ({:.1} µs each)",
        ntrx as f64 / secs,
        secs * 1e6 / ntrx as f64
    );

    // voteproducer: each voter moves its 30 votes to another window of candidates.
    let trxs: Vec<VerifiedTransaction> = (0..ntrx)
        .map(|i| {
            let v = voter(i);
            let a = VoteProducer { voter: v, proxy: Name::EMPTY, producers: ballot(i, 13) };
            b.sign(action(v, "voteproducer", a.packed()))
        })
        .collect();
    let secs = b.apply_all(&trxs);
    println!(
        "  voteproducer (30 producers): {:.0} trx/s ({:.1} µs each)",
        ntrx as f64 / secs,
        secs * 1e6 / ntrx as f64
    );

    let start = Instant::now();
    for _ in 0..rounds {
        total += b.chain.elect(21, &[]).len();
    }
    let elect_us = start.elapsed().as_secs_f64() * 1e6 / rounds as f64;
    println!("  Chain::elect(21) after the votes moved: {elect_us:.1} µs per call");
    assert!(total > 0);
}
