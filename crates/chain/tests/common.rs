//! Shared test harness: a small genesis and helpers to build signed transactions.
#![allow(dead_code)]

use civitas_chain::{BlockInfo, Chain, Genesis, GenesisAccount, GenesisProducer};
use civitas_protocol::transaction::{tapos_of, VerifiedTransaction};
use civitas_protocol::{
    Action, Asset, Checksum256, Name, Pack, PermissionLevel, PrivateKey, TimePoint, TimePointSec, Transaction,
    VarUint32,
};

pub fn key(name: &str) -> PrivateKey {
    PrivateKey::from_seed(name)
}

pub fn n(s: &str) -> Name {
    s.parse().unwrap()
}

pub fn asset(s: &str) -> Asset {
    s.parse().unwrap()
}

pub const T0: i64 = 1_800_000_000_000; // ms

pub fn genesis() -> Genesis {
    let accounts = ["alice", "bob", "carol", "bp1"]
        .iter()
        .map(|a| GenesisAccount {
            name: n(a),
            owner_key: key(&format!("{a}-owner")).public_key(),
            active_key: Some(key(a).public_key()),
            balance: Some(asset("1000.0000 CIV")),
        })
        .collect();
    Genesis {
        chain_name: "test".into(),
        initial_timestamp: TimePoint::from_millis(T0),
        core_symbol: "4,CIV".parse().unwrap(),
        max_supply: asset("10000000000.0000 CIV"),
        block_interval_ms: 500,
        blocks_per_turn: 1,
        active_producers: 21,
        max_transaction_lifetime_sec: 3600,
        accounts,
        producers: vec![GenesisProducer { name: n("bp1"), signing_key: key("bp1").public_key() }],
    }
}

/// A chain with one sealed block (so TAPOS can reference block 1's id) and block 2 open.
pub struct Harness {
    pub chain: Chain,
    pub block_num: u32,
    pub last_id: Checksum256,
    pub time_ms: i64,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Harness {
        let chain = Chain::from_genesis(&genesis()).unwrap();
        let mut last_id = civitas_protocol::sha256(b"block1");
        last_id.0[..4].copy_from_slice(&1u32.to_be_bytes());
        let mut h = Harness { chain, block_num: 1, last_id, time_ms: T0 };
        h.open();
        h
    }

    pub fn open(&mut self) {
        self.time_ms += 500;
        let info =
            BlockInfo { block_num: self.block_num + 1, time: TimePoint::from_millis(self.time_ms), producer: n("bp1") };
        self.chain.start_block(info, self.last_id);
    }

    /// Seals the open block and opens the next one.
    pub fn next_block(&mut self) -> Checksum256 {
        let root = self.chain.finish_block();
        self.block_num += 1;
        self.last_id = civitas_protocol::sha256(&root.0);
        self.last_id.0[..4].copy_from_slice(&self.block_num.to_be_bytes());
        self.open();
        root
    }

    pub fn trx(&self, actions: Vec<Action>) -> Transaction {
        let (ref_block_num, ref_block_prefix) = tapos_of(&self.last_id);
        Transaction {
            expiration: TimePointSec((self.time_ms / 1000 + 60) as u32),
            ref_block_num,
            ref_block_prefix,
            max_net_usage_words: VarUint32(0),
            max_cpu_usage_ms: 0,
            delay_sec: VarUint32(0),
            context_free_actions: vec![],
            actions,
            transaction_extensions: vec![],
        }
    }

    pub fn sign(&self, trx: &Transaction, keys: &[&PrivateKey]) -> VerifiedTransaction {
        let packed = trx.sign(&self.chain.config().chain_id, keys);
        VerifiedTransaction::verify(&self.chain.config().chain_id, packed, 1 << 20).unwrap()
    }

    pub fn push(
        &mut self,
        actions: Vec<Action>,
        keys: &[&PrivateKey],
    ) -> Result<civitas_chain::TransactionTrace, civitas_chain::ChainError> {
        let trx = self.trx(actions);
        let vt = self.sign(&trx, keys);
        self.chain.apply_transaction(&vt)
    }
}

pub fn transfer(from: &str, to: &str, qty: &str, memo: &str) -> Action {
    let args =
        civitas_chain::contracts::token::Transfer { from: n(from), to: n(to), quantity: asset(qty), memo: memo.into() };
    Action {
        account: n("eosio.token"),
        name: n("transfer"),
        authorization: vec![PermissionLevel::new(n(from), n("active"))],
        data: civitas_protocol::Bytes(args.packed()),
    }
}

pub fn balance(chain: &Chain, who: &str) -> Asset {
    civitas_chain::contracts::token::balance(chain.kv(), n(who), "4,CIV".parse().unwrap())
}
