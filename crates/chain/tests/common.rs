//! Shared test harness: a small genesis and helpers to build signed transactions.
#![allow(dead_code)]

use civitas_chain::{BlockInfo, Chain, Genesis, GenesisAccount, GenesisProducer};
use civitas_protocol::transaction::VerifiedTransaction;
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
            stake: None,
            votes: vec![],
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
        producers: vec![producer("bp1")],
        governance: Default::default(),
    }
}

/// A genesis producer with `key(name)` as its signing key.
pub fn producer(name: &str) -> GenesisProducer {
    GenesisProducer { name: n(name), signing_key: key(name).public_key(), url: String::new(), location: 0 }
}

/// A chain with one sealed block (so TAPOS can reference block 1's id) and block 2 open.
pub struct Harness {
    pub chain: Chain,
    pub block_num: u32,
    pub last_id: Checksum256,
    pub time_ms: i64,
    /// Makes every transaction built by [`Harness::trx`] unique, so the same action can be
    /// pushed twice in one block.
    pub nonce: std::cell::Cell<u32>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_genesis(&genesis())
    }

    /// A harness whose genesis accounts have no CPU or NET limits (tests of other rules need
    /// not stake for bandwidth); [`Harness::metered`] keeps the limits.
    pub fn with_genesis(g: &Genesis) -> Harness {
        Harness::build(g, true)
    }

    /// A harness where every account is limited by its stake, as on a live chain.
    pub fn metered(g: &Genesis) -> Harness {
        Harness::build(g, false)
    }

    fn build(g: &Genesis, unlimited: bool) -> Harness {
        let mut chain = Chain::from_genesis(g).unwrap();
        if unlimited {
            // Part of the state before block 2, as if genesis had set them.
            for a in &g.accounts {
                civitas_chain::resources::set_unlimited(chain.kv_mut(), a.name, true);
            }
        }
        let mut last_id = civitas_protocol::sha256(b"block1");
        last_id.0[..4].copy_from_slice(&1u32.to_be_bytes());
        let mut h = Harness { chain, block_num: 1, last_id, time_ms: T0, nonce: std::cell::Cell::new(0) };
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

    /// Seals the open block and opens the next one `ms` milliseconds later.
    pub fn next_block_after(&mut self, ms: i64) -> Checksum256 {
        let root = self.chain.finish_block();
        self.block_num += 1;
        self.last_id = civitas_protocol::sha256(&root.0);
        self.last_id.0[..4].copy_from_slice(&self.block_num.to_be_bytes());
        self.time_ms += ms - 500;
        self.open();
        root
    }

    pub fn trx(&self, actions: Vec<Action>) -> Transaction {
        let nonce = self.nonce.get();
        self.nonce.set(nonce + 1);
        let mut trx = Transaction::new(TimePointSec((self.time_ms / 1000 + 60) as u32), &self.last_id, actions);
        // Varies the id of otherwise identical transactions.
        trx.max_net_usage_words = VarUint32(nonce);
        trx
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

/// An `eosio` action authorized by `actor@active`.
pub fn sys(name: &str, actor: &str, data: &impl Pack) -> Action {
    Action {
        account: n("eosio"),
        name: n(name),
        authorization: vec![PermissionLevel::new(n(actor), n("active"))],
        data: civitas_protocol::Bytes(data.packed()),
    }
}

// ---------------------------------------------------------------------------------------------
// Governance helpers.

use civitas_chain::contracts::system::tables::{self, GlobalState, ProducerInfo, ProducerPayInfo, VoterInfo};
use civitas_chain::contracts::system::{
    ClaimRewards, DelegateBw, Refund, RegProducer, RegProxy, SetPayRate, SetProdMeta, UndelegateBw, UnregProd,
    VoteProducer,
};
use civitas_chain::ChainError;

/// Accounts of the governance genesis: four voters and five producer candidates.
pub const GOV_ACCOUNTS: [&str; 9] = ["alice", "bob", "carol", "dave", "bp1", "bp2", "bp3", "bp4", "bp5"];

/// Each governance account's liquid balance at genesis.
pub const GOV_BALANCE: &str = "1000000000.0000 CIV";

/// A genesis for governance tests: nine accounts with 1e9 CIV each (supply 9e13 units, so a
/// block mints a useful amount), `bp1` the only genesis producer, default parameters.
pub fn gov_genesis() -> Genesis {
    let mut g = genesis();
    g.accounts = GOV_ACCOUNTS
        .iter()
        .map(|a| GenesisAccount {
            name: n(a),
            owner_key: key(&format!("{a}-owner")).public_key(),
            active_key: Some(key(a).public_key()),
            balance: Some(asset(GOV_BALANCE)),
            stake: None,
            votes: vec![],
        })
        .collect();
    g
}

/// The supply right after genesis: the accounts' balances and stakes, plus what their genesis
/// RAM cost (minted into `eosio.ram`).
pub fn genesis_supply(g: &Genesis) -> i64 {
    let kv = civitas_chain::genesis_state::build(g).expect("genesis");
    let listed: i64 =
        g.accounts.iter().map(|a| a.balance.map_or(0, |b| b.amount()) + a.stake.map_or(0, |s| s.amount())).sum();
    let ram = civitas_chain::contracts::token::balance(&kv, n("eosio.ram"), g.core_symbol).amount();
    assert_eq!(
        ram,
        civitas_chain::contracts::system::global::get(&kv).total_ram_stake,
        "genesis RAM is paid into eosio.ram"
    );
    listed + ram
}

/// `n` units of the core token as an asset.
pub fn civ(units: i64) -> Asset {
    Asset::new(units, "4,CIV".parse().unwrap()).unwrap()
}

pub fn delegatebw(from: &str, to: &str, net: &str, cpu: &str, transfer: bool) -> Action {
    let a = DelegateBw {
        from: n(from),
        receiver: n(to),
        stake_net_quantity: asset(net),
        stake_cpu_quantity: asset(cpu),
        transfer,
    };
    sys("delegatebw", from, &a)
}

pub fn buyram(payer: &str, receiver: &str, quant: &str) -> Action {
    use civitas_chain::contracts::system::BuyRam;
    sys("buyram", payer, &BuyRam { payer: n(payer), receiver: n(receiver), quant: asset(quant) })
}

pub fn buyrambytes(payer: &str, receiver: &str, bytes: u32) -> Action {
    use civitas_chain::contracts::system::BuyRamBytes;
    sys("buyrambytes", payer, &BuyRamBytes { payer: n(payer), receiver: n(receiver), bytes })
}

pub fn sellram(account: &str, bytes: i64) -> Action {
    use civitas_chain::contracts::system::SellRam;
    sys("sellram", account, &SellRam { account: n(account), bytes })
}

pub fn bidname(bidder: &str, newname: &str, bid: &str) -> Action {
    use civitas_chain::contracts::system::BidName;
    sys("bidname", bidder, &BidName { bidder: n(bidder), newname: n(newname), bid: asset(bid) })
}

/// `newaccount` by `creator` with `key(name)` for owner and active.
pub fn newaccount(creator: &str, name: &str) -> Action {
    use civitas_chain::contracts::system::NewAccount;
    let k = key(name).public_key();
    let auth = civitas_protocol::Authority::single_key(k);
    let a = NewAccount { creator: n(creator), name: n(name), owner: auth.clone(), active: auth };
    sys("newaccount", creator, &a)
}

pub fn undelegatebw(from: &str, to: &str, net: &str, cpu: &str) -> Action {
    let a = UndelegateBw {
        from: n(from),
        receiver: n(to),
        unstake_net_quantity: asset(net),
        unstake_cpu_quantity: asset(cpu),
    };
    sys("undelegatebw", from, &a)
}

pub fn refund(owner: &str) -> Action {
    sys("refund", owner, &Refund { owner: n(owner) })
}

/// `regproducer` with `key("<p>-sign")` as the signing key.
pub fn regproducer(p: &str) -> Action {
    let a = RegProducer {
        producer: n(p),
        producer_key: key(&format!("{p}-sign")).public_key(),
        url: format!("https://{p}.example"),
        location: 0,
    };
    sys("regproducer", p, &a)
}

pub fn unregprod(p: &str) -> Action {
    sys("unregprod", p, &UnregProd { producer: n(p) })
}

pub fn voteproducer(voter: &str, proxy: &str, producers: &[&str]) -> Action {
    let a = VoteProducer {
        voter: n(voter),
        proxy: if proxy.is_empty() { Name::EMPTY } else { n(proxy) },
        producers: producers.iter().map(|p| n(p)).collect(),
    };
    sys("voteproducer", voter, &a)
}

pub fn regproxy(proxy: &str, isproxy: bool) -> Action {
    sys("regproxy", proxy, &RegProxy { proxy: n(proxy), isproxy })
}

pub fn setpayrate(p: &str, keep_rate: u16) -> Action {
    sys("setpayrate", p, &SetPayRate { producer: n(p), keep_rate })
}

pub fn claimrewards(p: &str) -> Action {
    sys("claimrewards", p, &ClaimRewards { owner: n(p) })
}

pub fn setprodmeta(p: &str, meta: [&str; 5]) -> Action {
    let a = SetProdMeta {
        producer: n(p),
        country: meta[0].into(),
        jurisdiction: meta[1].into(),
        network: meta[2].into(),
        hardware: meta[3].into(),
        software: meta[4].into(),
    };
    sys("setprodmeta", p, &a)
}

impl Harness {
    /// Pushes one action signed with the active key of its first authorizer.
    pub fn act(&mut self, action: Action) -> Result<civitas_chain::TransactionTrace, ChainError> {
        let signer = key(&action.authorization[0].actor.to_string());
        self.push(vec![action], &[&signer])
    }

    /// Pushes one action and panics if it fails.
    pub fn ok(&mut self, action: Action) {
        let what = format!("{}::{}", action.account, action.name);
        if let Err(e) = self.act(action) {
            panic!("{what} failed: {e}");
        }
    }

    /// Pushes one action, expects the contract assertion `msg`, and checks that the state did
    /// not change.
    pub fn fails(&mut self, action: Action, msg: &str) {
        let before = self.chain.kv().full_hash();
        match self.act(action) {
            Err(ChainError::Assert(m)) => assert_eq!(m, msg),
            other => panic!("expected assertion {msg:?}, got {other:?}"),
        }
        assert_eq!(self.chain.kv().full_hash(), before, "a failed action changed the state");
    }
}

pub fn global(chain: &Chain) -> GlobalState {
    tables::global(chain.kv())
}

pub fn voter(chain: &Chain, v: &str) -> VoterInfo {
    tables::voter(chain.kv(), n(v)).unwrap_or_else(|| panic!("no voter row for {v}"))
}

pub fn prod(chain: &Chain, p: &str) -> ProducerInfo {
    tables::producer(chain.kv(), n(p)).unwrap_or_else(|| panic!("no producer row for {p}"))
}

pub fn prodinfo(chain: &Chain, p: &str) -> ProducerPayInfo {
    tables::prodinfo(chain.kv(), n(p)).unwrap_or_else(|| panic!("no prodinfo row for {p}"))
}

/// A producer's total votes as an integer.
pub fn votes(chain: &Chain, p: &str) -> i64 {
    prod(chain, p).votes()
}

/// Every row of `code`'s `table`, over all scopes: `(scope, pk, bytes)`.
pub fn all_rows(chain: &Chain, code: Name, table: Name) -> Vec<(u64, u64, Vec<u8>)> {
    use civitas_chain::state::RowKey;
    let lo = RowKey::contract(code.value(), 0, 0, 0);
    let hi = RowKey::contract(code.value(), u64::MAX, u64::MAX, u64::MAX);
    chain
        .kv()
        .range(lo, hi)
        .filter(|(k, _)| k.table == table.value())
        .map(|(k, v)| (k.scope, k.pk, v.to_vec()))
        .collect()
}

/// Checks supply conservation and the consistency of stakes, votes and pay (SPEC §5), by
/// recomputing everything from the rows.
pub fn check_invariants(chain: &Chain, genesis_supply: i64) {
    use civitas_chain::contracts::system::tables::{DelegatedBandwidth, RefundRequest, UserResources};
    use civitas_protocol::Unpack;
    use std::collections::BTreeMap;
    let g = global(chain);
    let core = g.core_symbol;
    let supply = civitas_chain::contracts::token::stats(chain.kv(), core).unwrap().supply.amount();
    assert_eq!(supply, genesis_supply + g.total_minted, "supply = genesis supply + minted");
    let balances: i64 = all_rows(chain, n("eosio.token"), n("accounts"))
        .iter()
        .map(|(_, _, v)| Asset::unpack_exact(v).unwrap().amount())
        .sum();
    assert_eq!(balances, supply, "sum of all balances = supply");

    let mut staked_by: BTreeMap<Name, i64> = BTreeMap::new();
    let mut received_by: BTreeMap<Name, (i64, i64)> = BTreeMap::new();
    let mut delband_total = 0;
    for (scope, pk, v) in all_rows(chain, n("eosio"), n("delband")) {
        let d = DelegatedBandwidth::unpack_exact(&v).unwrap();
        assert_eq!((d.from.value(), d.to.value()), (scope, pk));
        assert!(d.net_weight.amount() >= 0 && d.cpu_weight.amount() >= 0);
        assert!(d.net_weight.amount() + d.cpu_weight.amount() > 0, "empty delband rows are erased");
        *staked_by.entry(d.from).or_default() += d.net_weight.amount() + d.cpu_weight.amount();
        let r = received_by.entry(d.to).or_default();
        r.0 += d.net_weight.amount();
        r.1 += d.cpu_weight.amount();
        delband_total += d.net_weight.amount() + d.cpu_weight.amount();
    }
    // The resource totals are the sums of the `userres` weights.
    let rs = civitas_chain::resources::resource_state(chain.kv());
    let (net_total, cpu_total) = received_by.values().fold((0, 0), |(n, c), (dn, dc)| (n + dn, c + dc));
    assert_eq!((rs.total_net_weight as i64, rs.total_cpu_weight as i64), (net_total, cpu_total), "resource weights");

    // The election index holds exactly the active candidates, by votes then name.
    let mut active: Vec<_> = tables::all_producers(chain.kv()).filter(|p| p.is_active).collect();
    active.sort_by(|a, b| b.votes().cmp(&a.votes()).then(a.owner.cmp(&b.owner)));
    let ranked: Vec<_> = tables::ranked_producers(chain.kv()).collect();
    assert_eq!(ranked, active, "election index");

    let mut refunds_total = 0;
    for (_, _, v) in all_rows(chain, n("eosio"), n("refunds")) {
        let r = RefundRequest::unpack_exact(&v).unwrap();
        refunds_total += r.net_amount.amount() + r.cpu_amount.amount();
    }
    assert_eq!(balance(chain, "eosio.stake").amount(), delband_total + refunds_total, "eosio.stake = stakes + refunds");
    assert_eq!(g.total_staked, delband_total);
    let userres = all_rows(chain, n("eosio"), n("userres"));
    let mut ram_bytes = 0;
    for (_, _, v) in &userres {
        let u = UserResources::unpack_exact(v).unwrap();
        let got = received_by.get(&u.owner).copied().unwrap_or((0, 0));
        assert_eq!(got, (u.net_weight.amount(), u.cpu_weight.amount()), "userres of {}", u.owner);
        assert!(u.ram_bytes >= 0);
        ram_bytes += u.ram_bytes;
    }
    assert!(received_by.keys().all(|r| userres.iter().any(|(s, _, _)| *s == r.value())), "every receiver has userres");
    check_ram(chain, ram_bytes);

    let voters: Vec<VoterInfo> =
        all_rows(chain, n("eosio"), n("voters")).iter().map(|(_, _, v)| VoterInfo::unpack_exact(v).unwrap()).collect();
    let mut proxied: BTreeMap<Name, i64> = BTreeMap::new();
    for v in &voters {
        assert_eq!(v.staked, staked_by.get(&v.owner).copied().unwrap_or(0), "staked of {}", v.owner);
        assert!(v.proxy.is_empty() || v.producers.is_empty());
        if !v.proxy.is_empty() {
            assert_eq!(tables::votes_from_f64(v.last_vote_weight), v.staked, "proxied voter {} weight", v.owner);
            *proxied.entry(v.proxy).or_default() += v.staked;
        }
    }
    let mut expected: BTreeMap<Name, i64> = BTreeMap::new();
    let mut voted_stake = 0;
    for v in &voters {
        assert_eq!(tables::votes_from_f64(v.proxied_vote_weight), proxied.get(&v.owner).copied().unwrap_or(0));
        if v.is_voting() {
            voted_stake += v.staked;
        }
        if !v.producers.is_empty() {
            let w = v.current_weight();
            assert_eq!(tables::votes_from_f64(v.last_vote_weight), w, "weight of {}", v.owner);
            for p in &v.producers {
                *expected.entry(*p).or_default() += w;
            }
        }
    }
    assert_eq!(g.total_voted_stake, voted_stake);
    let mut total_votes = 0;
    for p in tables::all_producers(chain.kv()) {
        assert_eq!(p.votes(), expected.get(&p.owner).copied().unwrap_or(0), "votes of {}", p.owner);
        assert_eq!(p.total_votes, tables::votes_to_f64(p.votes()), "total_votes holds an integer");
        total_votes += p.votes();
    }
    assert_eq!(g.total_producer_vote_weight, total_votes);

    let infos: Vec<ProducerPayInfo> = all_rows(chain, n("eosio"), n("prodinfo"))
        .iter()
        .map(|(_, _, v)| ProducerPayInfo::unpack_exact(v).unwrap())
        .collect();
    let unclaimed: i64 = infos.iter().map(|i| i.unclaimed.amount()).sum();
    assert_eq!(balance(chain, "eosio.bpay").amount(), unclaimed, "eosio.bpay = unclaimed pay");
    assert_eq!(g.total_kept, infos.iter().map(|i| i.kept_total.amount()).sum::<i64>());
    assert_eq!(g.total_claimed, infos.iter().map(|i| i.claimed_total.amount()).sum::<i64>());
    for i in &infos {
        assert_eq!(i.kept_total.amount(), i.unclaimed.amount() + i.claimed_total.amount());
    }
    assert_eq!(g.total_minted, g.total_kept + g.total_to_fund);
}

/// RAM conservation: the bytes held plus the bytes for sale are the RAM offered; `eosio.ram`
/// holds exactly the tokens paid for the bytes held; every account's usage is what its rows
/// cost, counted from scratch.
pub fn check_ram(chain: &Chain, userres_ram_bytes: i64) {
    use civitas_chain::contracts::system::{global, ram};
    use civitas_chain::resources::ram as accounting;
    let g = global::get(chain.kv());
    let m = ram::market(chain.kv());
    assert_eq!(g.total_ram_bytes_reserved as i64, userres_ram_bytes, "reserved = sum of userres.ram_bytes");
    assert_eq!(m.base.balance.amount() as u64 + g.total_ram_bytes_reserved, g.max_ram_size, "bytes conserved");
    assert_eq!(balance(chain, "eosio.ram").amount(), g.total_ram_stake, "eosio.ram = tokens paid for RAM held");
    assert_eq!(accounting::stored_usage(chain.kv()), accounting::count_from_rows(chain.kv()), "RAM usage");
}
