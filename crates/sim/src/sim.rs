//! The simulation runner.

use std::collections::BTreeMap;
use std::sync::Arc;

use civitas_chain::{Genesis, GenesisAccount, GenesisProducer};
use civitas_consensus::{Input, LocalProducer, Output};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{
    Action, Asset, Bytes, Checksum256, Name, Pack, PermissionLevel, PrivateKey, SignedBlock, TimePoint, TimePointSec,
    Transaction, VarUint32,
};

use crate::byzantine;
use crate::checker::{Checker, Violation};
use crate::net::{Event, LinkModel, Msg, Net};
use crate::node::{Behavior, SimNode};
use crate::rng::Rng;
use crate::topology::{self, Topology};

/// Milliseconds from the Unix epoch to the simulated genesis (2026-01-01).
pub const GENESIS_MS: i64 = 1_767_225_600_000;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The seed: every random choice derives from it.
    pub seed: u64,
    /// Producer accounts in the genesis schedule.
    pub producers: usize,
    /// Honest nodes that do not produce.
    pub observers: usize,
    /// Slot length.
    pub block_interval_ms: u32,
    /// Links.
    pub link: LinkModel,
    /// Transfers submitted per slot.
    pub tx_per_slot: u32,
    /// Byzantine producers by producer index, with their behaviour. A `Twin` gets a second
    /// node holding the same key.
    pub byzantine: Vec<(usize, Behavior)>,
    /// Funded user accounts for the workload.
    pub accounts: usize,
    /// Registered producer candidates, each with a node (at least `producers`; the first
    /// `producers` form the genesis schedule).
    pub candidates: usize,
    /// Genesis stake per user account, in token units (at least [`BANDWIDTH_STAKE`]).
    pub user_stake: i64,
    /// Per-user genesis stakes that replace `user_stake` (any amount, dust included).
    pub user_stakes: Vec<(usize, i64)>,
    /// Genesis votes: (user index, candidate indices).
    pub genesis_votes: Vec<(usize, Vec<usize>)>,
    /// The shape of the network.
    pub topology: Topology,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            producers: 21,
            observers: 1,
            block_interval_ms: 500,
            link: LinkModel::default(),
            tx_per_slot: 1,
            byzantine: vec![],
            accounts: 20,
            candidates: 21,
            user_stake: 0,
            user_stakes: vec![],
            genesis_votes: vec![],
            topology: Topology::Mesh,
        }
    }
}

/// A scheduled change to the world.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Split nodes into groups (index = node, value = group).
    Partition(Vec<usize>),
    /// Reconnect everyone.
    Heal,
    /// Crash a node.
    Crash(usize),
    /// Restart a crashed node.
    Restart(usize),
    /// Change the loss rate.
    SetLoss(f64),
}

/// Producer account name for index `i` (`bpa`, `bpb`, …, `bpba`, …).
pub fn producer_name(i: usize) -> Name {
    letters_name("bp", i)
}

/// User account name for index `i`.
pub fn user_name(i: usize) -> Name {
    letters_name("user", i)
}

fn letters_name(prefix: &str, mut i: usize) -> Name {
    let mut s = String::new();
    loop {
        s.insert(0, (b'a' + (i % 26) as u8) as char);
        i /= 26;
        if i == 0 {
            break;
        }
    }
    format!("{prefix}{s}").parse().expect("generated names are valid")
}

/// The key of a simulated account.
pub fn account_key(name: Name) -> PrivateKey {
    PrivateKey::from_seed(&format!("sim-{name}"))
}

/// The least any simulated account stakes at genesis (1 CIV): the CPU and NET its
/// transactions need (SPEC §10.3), a thousandth of its balance.
pub const BANDWIDTH_STAKE: i64 = 10_000;

/// The genesis of a simulation.
pub fn sim_genesis(cfg: &SimConfig) -> Genesis {
    let sym = "4,CIV".parse().expect("valid symbol");
    let mut accounts = vec![];
    let mut producers = vec![];
    for i in 0..cfg.candidates.max(cfg.producers) {
        let name = producer_name(i);
        let key = account_key(name).public_key();
        accounts.push(GenesisAccount {
            name,
            owner_key: key,
            active_key: None,
            balance: Some(Asset::new(10_000_000, sym).expect("valid")),
            stake: Some(Asset::new(BANDWIDTH_STAKE, sym).expect("valid")),
            votes: vec![],
        });
        producers.push(GenesisProducer { name, signing_key: key, url: String::new(), location: 0 });
    }
    for i in 0..cfg.accounts {
        let name = user_name(i);
        let key = account_key(name).public_key();
        let mut votes: Vec<Name> = cfg
            .genesis_votes
            .iter()
            .filter(|(u, _)| *u == i)
            .flat_map(|(_, ps)| ps.iter().map(|&p| producer_name(p)))
            .collect();
        votes.sort();
        votes.dedup();
        accounts.push(GenesisAccount {
            name,
            owner_key: key,
            active_key: None,
            balance: Some(Asset::new(10_000_000, sym).expect("valid")),
            stake: Some({
                let own = cfg.user_stakes.iter().find(|(u, _)| *u == i).map(|&(_, s)| s);
                Asset::new(own.unwrap_or(cfg.user_stake.max(BANDWIDTH_STAKE)), sym).expect("valid")
            }),
            votes,
        });
    }
    Genesis {
        chain_name: format!("sim-{}", cfg.seed),
        initial_timestamp: TimePoint::from_millis(GENESIS_MS),
        core_symbol: sym,
        max_supply: Asset::new(100_000_000_000_000, sym).expect("valid"),
        block_interval_ms: cfg.block_interval_ms,
        blocks_per_turn: 1,
        active_producers: cfg.producers as u32,
        max_transaction_lifetime_sec: 3600,
        accounts,
        producers,
        governance: Default::default(),
    }
}

/// A running simulation.
pub struct Sim {
    /// Its configuration.
    pub cfg: SimConfig,
    /// The genesis.
    pub genesis: Genesis,
    /// Randomness.
    pub rng: Rng,
    /// Clock, queue and links.
    pub net: Net,
    /// The nodes.
    pub nodes: Vec<SimNode>,
    /// Invariants.
    pub checker: Checker,
    /// Scheduled faults.
    pub faults: Vec<Fault>,
    /// Transactions verified once and shared by every node's shell.
    verified: BTreeMap<Checksum256, Arc<VerifiedTransaction>>,
    tx_counter: u64,
    /// Slots simulated so far.
    pub slots: u64,
    /// LIB lag samples (head − LIB) of honest nodes at each slot.
    pub lag_samples: Vec<u32>,
    /// Blocks honest nodes rejected, with the reason (for diagnostics).
    pub rejections: Vec<(usize, String)>,
    /// Junk approvals sent by flooders.
    pub flooded: u64,
}

impl Sim {
    /// Builds the network at genesis.
    pub fn new(cfg: SimConfig) -> Sim {
        let genesis = sim_genesis(&cfg);
        let mut nodes = vec![];
        let verifier: Arc<dyn civitas_consensus::SigVerifier> = Arc::new(civitas_consensus::MemoVerifier::new(1 << 20));
        let behavior_of =
            |i: usize| cfg.byzantine.iter().find(|(p, _)| *p == i).map(|(_, b)| b.clone()).unwrap_or(Behavior::Honest);
        let local = |i: usize| {
            let name = producer_name(i);
            LocalProducer::new(name, account_key(name))
        };
        for i in 0..cfg.candidates.max(cfg.producers) {
            nodes.push(SimNode::new(&genesis, Some(local(i)), behavior_of(i), verifier.clone()));
        }
        for _ in 0..cfg.observers {
            nodes.push(SimNode::new(&genesis, None, Behavior::Honest, verifier.clone()));
        }
        for (i, b) in &cfg.byzantine {
            if *b == Behavior::Twin {
                nodes.push(SimNode::new(&genesis, Some(local(*i)), Behavior::Twin, verifier.clone()));
            }
        }
        let mut net = Net::new(cfg.link);
        let producer_nodes = cfg.candidates.max(cfg.producers);
        let twin_of: Vec<usize> = cfg.byzantine.iter().filter(|(_, b)| *b == Behavior::Twin).map(|(i, _)| *i).collect();
        let mut rng = Rng::new(cfg.seed);
        net.set_links(topology::links(cfg.topology, nodes.len(), producer_nodes, cfg.observers, &twin_of, &mut rng));
        net.schedule(u64::from(cfg.block_interval_ms), Event::Slot(1));
        let honest_producers =
            (0..producer_nodes).filter(|i| !cfg.byzantine.iter().any(|(b, _)| b == i)).map(producer_name).collect();
        let checker = Checker::new(&genesis, honest_producers);
        Sim {
            rng,
            genesis,
            net,
            nodes,
            checker,
            faults: vec![],
            verified: BTreeMap::new(),
            tx_counter: 0,
            slots: 0,
            lag_samples: vec![],
            rejections: vec![],
            flooded: 0,
            cfg,
        }
    }

    /// Schedules a fault at `at_ms`.
    pub fn schedule_fault(&mut self, at_ms: u64, f: Fault) {
        self.faults.push(f);
        let idx = self.faults.len() - 1;
        self.net.schedule(at_ms, Event::Fault(idx));
    }

    /// The node indices of the twin copies (in the order of `cfg.byzantine`).
    pub fn twin_nodes(&self) -> Vec<usize> {
        (self.cfg.candidates.max(self.cfg.producers) + self.cfg.observers..self.nodes.len()).collect()
    }

    /// Signs an action of `contract` by user `user` (its `active` permission) and submits it to
    /// an honest node, which gossips it. Returns false if no node accepted it.
    pub fn submit_action(&mut self, user: usize, contract: Name, action: Name, data: Vec<u8>) -> bool {
        let actor = user_name(user);
        let act = Action {
            account: contract,
            name: action,
            authorization: vec![PermissionLevel::new(actor, civitas_chain::names::ACTIVE)],
            data: Bytes(data),
        };
        self.push_signed(actor, act)
    }

    fn push_signed(&mut self, actor: Name, action: Action) -> bool {
        let honest_up: Vec<usize> =
            (0..self.nodes.len()).filter(|&i| self.nodes[i].is_up() && self.nodes[i].behavior.is_honest()).collect();
        if honest_up.is_empty() {
            return false;
        }
        let at = honest_up[self.rng.below(honest_up.len() as u64) as usize];
        let core = self.nodes[at].core.as_ref().expect("up");
        let lib_id = core.lib().id;
        let chain_id = core.chain().config().chain_id;
        self.tx_counter += 1;
        let mut trx = Transaction::new(TimePointSec((self.now().secs() + 60) as u32), &lib_id, vec![action]);
        // Varies the id of otherwise identical transactions.
        trx.max_net_usage_words = VarUint32(self.tx_counter as u32);
        let packed = trx.sign(&chain_id, &[&account_key(actor)]);
        let Ok(vt) = VerifiedTransaction::verify(&chain_id, packed, 1 << 20) else { return false };
        let vt = Arc::new(vt);
        self.verified.insert(vt.id, vt.clone());
        let core = self.nodes[at].core.as_mut().expect("up");
        if core.push_transaction((*vt).clone()).is_ok() {
            self.gossip(at, None, Msg::Tx(vt), 0);
            true
        } else {
            false
        }
    }

    /// Transactions the simulation has created and signed so far.
    pub fn transactions_created(&self) -> u64 {
        self.tx_counter
    }

    /// Runs until virtual time `until_ms`, stopping early at the first violation.
    pub fn run_until(&mut self, until_ms: u64) -> Result<(), Violation> {
        while let Some(t) = self.net.peek_time() {
            if t > until_ms {
                break;
            }
            let Some((_, ev)) = self.net.pop() else { break };
            self.step(ev);
            if let Some(v) = &self.checker.violation {
                return Err(v.clone());
            }
        }
        self.net.now_ms = self.net.now_ms.max(until_ms);
        Ok(())
    }

    /// Current virtual time.
    pub fn now(&self) -> TimePoint {
        TimePoint::from_millis(GENESIS_MS + self.net.now_ms as i64)
    }

    /// Processes one event (used by scenario helpers).
    pub fn step_public(&mut self, ev: Event) {
        self.step(ev);
    }

    fn step(&mut self, ev: Event) {
        match ev {
            Event::Slot(slot) => {
                self.slots = slot;
                byzantine::on_slot(self, slot);
                let now = self.now();
                for i in 0..self.nodes.len() {
                    let Some(core) = self.nodes[i].core.as_mut() else {
                        continue;
                    };
                    let mut out = Output::default();
                    core.handle(Input::Tick(now), &mut out);
                    self.process(i, out);
                }
                byzantine::release_withheld(self);
                self.workload();
                self.sample_lag();
                self.net.schedule((slot + 1) * u64::from(self.cfg.block_interval_ms), Event::Slot(slot + 1));
            }
            Event::Deliver { to, from, msg } => self.deliver(to, from, msg),
            Event::Fault(idx) => {
                let f = self.faults[idx].clone();
                self.apply_fault(f);
            }
        }
    }

    fn apply_fault(&mut self, f: Fault) {
        match f {
            Fault::Partition(groups) => self.net.groups = Some(groups),
            Fault::Heal => self.net.groups = None,
            Fault::SetLoss(p) => self.net.link.loss = p,
            Fault::Crash(i) => {
                self.nodes[i].crash();
                self.net.forget(i);
            }
            Fault::Restart(i) => {
                if self.nodes[i].is_up() {
                    return;
                }
                let now = self.now();
                let out = self.nodes[i].restart(&self.genesis, now);
                let lib = self.nodes[i].core.as_ref().map_or(0, |c| c.lib().num);
                self.nodes[i].persist(&out);
                if self.nodes[i].behavior.is_honest() {
                    // Blocks the replay finalizes are checked like any others.
                    self.checker.on_replayed(i, &out.irreversible);
                    self.checker.on_restarted(i, lib);
                    if let Some(core) = self.nodes[i].core.as_ref() {
                        self.checker.check_pay(i, core, true);
                    }
                }
            }
        }
    }

    fn deliver(&mut self, to: usize, from: usize, msg: Msg) {
        if !self.nodes[to].is_up() {
            return;
        }
        match msg {
            Msg::Block(b) => {
                let cached: Vec<_> = b
                    .transactions
                    .iter()
                    .filter_map(|t| {
                        t.raw_trx(1 << 20)
                            .ok()
                            .and_then(|raw| self.verified.get(&civitas_protocol::sha256(&raw)).cloned())
                    })
                    .collect();
                let core = self.nodes[to].core.as_mut().expect("checked up");
                core.provide_verified(cached);
                let mut out = Output::default();
                core.handle(Input::Block { block: b, from: Some(from as u64) }, &mut out);
                self.process(to, out);
            }
            Msg::Tx(vt) => {
                let core = self.nodes[to].core.as_mut().expect("checked up");
                if core.pool().contains(&vt.id) {
                    return;
                }
                if core.push_transaction((*vt).clone()).is_ok() {
                    self.gossip(to, Some(from), Msg::Tx(vt), 0);
                }
            }
            Msg::Approval(a) => {
                let core = self.nodes[to].core.as_mut().expect("checked up");
                let mut out = Output::default();
                core.handle(Input::Approval { approval: a, from: Some(from as u64) }, &mut out);
                self.process(to, out);
            }
            Msg::Request { lib, want } => {
                let disk = &self.nodes[to].disk;
                let mut chain = vec![];
                let mut id = want;
                while let Some(b) = disk.by_id.get(&id) {
                    if b.block_num() <= lib || chain.len() >= 500 {
                        break;
                    }
                    chain.push(b.clone());
                    id = b.header.previous;
                }
                for b in chain.into_iter().rev() {
                    let key = Msg::Block(b.clone()).key().unwrap_or(0);
                    if self.net.send(&mut self.rng, to, from, Msg::Block(b), 0) {
                        self.net.mark_held(from, key);
                    }
                }
            }
        }
    }

    /// Persists, checks and sends what a node's core asked for.
    pub(crate) fn process(&mut self, i: usize, out: Output) {
        self.nodes[i].persist(&out);
        let honest = self.nodes[i].behavior.is_honest();
        if honest {
            for (id, e) in &out.rejected {
                if self.rejections.len() < 1000 {
                    let invalid = self.checker.invalid.contains(id);
                    self.rejections.push((i, format!("{} forged={invalid} {e}", id)));
                }
            }
            self.checker.on_irreversible(i, &out.irreversible);
            for b in &out.broadcast {
                self.checker.on_honest_block(i, b);
            }
            for a in &out.applied {
                self.checker.on_applied(i, &a.block);
            }
            self.checker.on_evidence(i, &out.evidence);
            if !out.irreversible.is_empty() {
                if let Some(core) = self.nodes[i].core.as_ref() {
                    self.checker.check_pay(i, core, false);
                }
            }
        }
        for (peer, lib, want) in &out.need_blocks {
            self.net.send(&mut self.rng, i, *peer as usize, Msg::Request { lib: *lib, want: *want }, 0);
        }
        // Approvals: ours and valid new ones from peers, relayed hop by hop.
        for a in out.approvals.iter().chain(&out.relay_approvals) {
            self.gossip(i, None, Msg::Approval(a.clone()), 0);
        }
        byzantine::after_approvals(self, i, &out.approvals);
        byzantine::after_applied(self, i, &out.applied);
        // Our own blocks go out according to our behaviour.
        for b in &out.broadcast {
            let key = Msg::Block(b.clone()).key().unwrap_or(0);
            self.net.mark_held(i, key);
            byzantine::send_own_block(self, i, b.clone());
        }
        // Blocks of others that this node applied (validated in full) are relayed; invalid
        // ones never are (the same rule as the node's).
        for b in &out.relay {
            self.gossip(i, None, Msg::Block(b.clone()), 0);
        }
    }

    /// Sends a gossip message to every neighbour except `except` that does not hold it yet.
    pub(crate) fn gossip(&mut self, i: usize, except: Option<usize>, msg: Msg, extra_ms: u64) {
        let Some(key) = msg.key() else { return };
        self.net.mark_held(i, key);
        for j in self.net.neighbours(i) {
            if Some(j) != except {
                self.net.gossip(&mut self.rng, i, j, msg.clone(), key, extra_ms);
            }
        }
    }

    /// Sends to every neighbour except `except`, whether it holds the message or not (what
    /// a byzantine node does with the blocks it makes).
    pub(crate) fn broadcast(&mut self, i: usize, except: Option<usize>, msg: Msg, extra_ms: u64) {
        let key = msg.key();
        for j in self.net.neighbours(i) {
            if Some(j) != except && self.net.send(&mut self.rng, i, j, msg.clone(), extra_ms) {
                if let Some(k) = key {
                    self.net.mark_held(j, k);
                }
            }
        }
    }

    fn workload(&mut self) {
        if self.cfg.accounts < 2 {
            return;
        }
        for _ in 0..self.cfg.tx_per_slot {
            let honest_up: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].is_up() && self.nodes[i].behavior.is_honest())
                .collect();
            if honest_up.is_empty() {
                return;
            }
            let at = honest_up[self.rng.below(honest_up.len() as u64) as usize];
            let from = self.rng.below(self.cfg.accounts as u64) as usize;
            let mut to = self.rng.below(self.cfg.accounts as u64 - 1) as usize;
            if to >= from {
                to += 1;
            }
            let core = self.nodes[at].core.as_ref().expect("up");
            let lib_id = core.lib().id;
            let chain_id = core.chain().config().chain_id;
            self.tx_counter += 1;
            let (from, to) = (user_name(from), user_name(to));
            let sym = "4,CIV".parse().expect("valid");
            let args = civitas_chain::contracts::token::Transfer {
                from,
                to,
                quantity: Asset::new(1, sym).expect("valid"),
                memo: format!("t{}", self.tx_counter),
            };
            let action = Action {
                account: civitas_chain::names::EOSIO_TOKEN,
                name: Name::constant("transfer"),
                authorization: vec![PermissionLevel::new(from, civitas_chain::names::ACTIVE)],
                data: Bytes(args.packed()),
            };
            let trx = Transaction::new(TimePointSec((self.now().secs() + 60) as u32), &lib_id, vec![action]);
            let packed = trx.sign(&chain_id, &[&account_key(from)]);
            let Ok(vt) = VerifiedTransaction::verify(&chain_id, packed, 1 << 20) else {
                continue;
            };
            let vt = Arc::new(vt);
            self.verified.insert(vt.id, vt.clone());
            let core = self.nodes[at].core.as_mut().expect("up");
            if core.push_transaction((*vt).clone()).is_ok() {
                self.gossip(at, None, Msg::Tx(vt), 0);
            }
        }
    }

    fn sample_lag(&mut self) {
        for n in &self.nodes {
            if let (Some(core), true) = (&n.core, n.behavior.is_honest()) {
                self.lag_samples.push(core.head().num - core.lib().num);
            }
        }
    }

    /// Ids of the honest nodes.
    pub fn honest(&self) -> Vec<usize> {
        (0..self.nodes.len()).filter(|&i| self.nodes[i].behavior.is_honest()).collect()
    }

    /// A digest of every honest node's state (head, LIB, state root), for determinism checks.
    pub fn fingerprint(&self) -> Checksum256 {
        let mut bytes = vec![];
        for n in &self.nodes {
            if let Some(core) = &n.core {
                bytes.extend_from_slice(&core.head().id.0);
                bytes.extend_from_slice(&core.lib().id.0);
                bytes.extend_from_slice(&core.chain().state_root().0);
            }
        }
        civitas_protocol::sha256(&bytes)
    }

    /// A block some node holds on disk.
    pub fn find_block(&self, id: &Checksum256) -> Option<Arc<SignedBlock>> {
        self.nodes.iter().find_map(|n| n.disk.by_id.get(id).cloned())
    }

    /// Node `i`'s chain from its head back to block 2, newest first, as far as some node holds
    /// the blocks on disk.
    pub fn chain_of(&self, i: usize) -> impl Iterator<Item = Arc<SignedBlock>> + '_ {
        let head = self.nodes[i].core.as_ref().map(|c| c.head().id);
        let mut next = head.and_then(|id| self.find_block(&id));
        std::iter::from_fn(move || {
            let b = next.take()?;
            if b.block_num() > 2 {
                next = self.find_block(&b.header.previous);
            }
            Some(b)
        })
    }
}
