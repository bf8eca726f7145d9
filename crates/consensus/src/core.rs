//! The consensus core: a deterministic state machine driven by inputs (blocks, transactions,
//! ticks) that produces outputs (blocks to broadcast and persist, watermarks to persist, new
//! irreversible blocks, peer penalties). No clocks, sockets, threads or randomness.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use civitas_chain::{Chain, Genesis, GenesisError};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{
    Approval, BlockHeader, Checksum256, Evidence, Name, PrivateKey, ProducerKey, ProducerSchedule, PublicKey,
    Signature, SignedBlock, TimePoint,
};

use crate::approval_pool::{ApprovalPool, VoteLedger};
use crate::basis::RoundBasis;
use crate::error::BlockError;
use crate::finality::Finality;
use crate::forkdb::{BlockEntry, ForkDb};
use crate::params::Params;
use crate::pool::Pool;
use crate::verifier::{DirectVerifier, SigVerifier};

/// A peer, as the shell numbers them.
pub type PeerId = u64;

/// A producer this node signs for.
#[derive(Debug, Clone)]
pub struct LocalProducer {
    /// The producer account.
    pub name: Name,
    /// Its block signing key.
    pub key: PrivateKey,
    /// The matching public key (derived once: deriving it costs a point multiplication).
    pub public: PublicKey,
}

impl LocalProducer {
    /// A producer signing with `key`.
    pub fn new(name: Name, key: PrivateKey) -> LocalProducer {
        let public = key.public_key();
        LocalProducer { name, key, public }
    }
}

/// What a producer has signed so far; persisted before any block it signs leaves the node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Watermark {
    /// Highest slot signed.
    pub last_slot: u64,
    /// Highest slot voted for.
    pub vote_top: u64,
    /// Highest vote source slot used.
    pub vote_source: u64,
}

civitas_protocol::packable_struct!(Watermark { last_slot, vote_top, vote_source });

/// How full this node makes the blocks it produces: a producer's own choice, at most the
/// protocol's limits (`civitas_protocol::limits`), which every node enforces on every block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLimits {
    /// Most transactions.
    pub max_transactions: usize,
    /// Most bytes of transactions (each counted as it is carried: signatures and
    /// context-free data included).
    pub max_bytes: usize,
}

impl Default for BlockLimits {
    fn default() -> Self {
        BlockLimits { max_transactions: 50_000, max_bytes: 8 * 1024 * 1024 }
    }
}

/// Node-local settings of the core.
#[derive(Clone)]
pub struct CoreConfig {
    /// Producers this node signs for.
    pub producers: Vec<LocalProducer>,
    /// Pending pool capacity.
    pub pool_size: usize,
    /// Block limits when producing.
    pub limits: BlockLimits,
    /// Orphan blocks kept while their parents are fetched.
    pub max_orphans: usize,
    /// How signatures of blocks and approvals are recovered.
    pub verifier: Arc<dyn SigVerifier>,
}

impl std::fmt::Debug for CoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreConfig")
            .field("producers", &self.producers)
            .field("pool_size", &self.pool_size)
            .field("limits", &self.limits)
            .field("max_orphans", &self.max_orphans)
            .finish()
    }
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            producers: vec![],
            pool_size: 100_000,
            limits: BlockLimits::default(),
            max_orphans: 1024,
            verifier: Arc::new(DirectVerifier),
        }
    }
}

/// An input.
#[derive(Debug, Clone)]
pub enum Input {
    /// The time moved on (drives production).
    Tick(TimePoint),
    /// A block arrived (from a peer, or from our own storage at restart when `from` is `None`).
    Block {
        /// The block.
        block: Arc<SignedBlock>,
        /// Who sent it.
        from: Option<PeerId>,
    },
    /// An approval arrived from a peer.
    Approval {
        /// The approval.
        approval: Arc<Approval>,
        /// Who sent it.
        from: Option<PeerId>,
    },
}

/// A block this node applied to its chain state, hence validated in full, with its
/// transactions as applied (signers recovered): what the shell writes to its block log.
#[derive(Debug, Clone)]
pub struct AppliedBlock {
    /// The block.
    pub block: Arc<SignedBlock>,
    /// Its transactions in block order, with the keys recovered from their signatures.
    pub transactions: Vec<Arc<VerifiedTransaction>>,
}

/// Outputs of one step. The shell must persist `watermarks` before sending `broadcast` or
/// `approvals`, and should log `applied` blocks before it reports a head that contains them.
#[derive(Debug, Default)]
pub struct Output {
    /// Watermarks to persist durably before broadcasting.
    pub watermarks: Vec<(Name, Watermark)>,
    /// Blocks we produced, to send to every peer.
    pub broadcast: Vec<Arc<SignedBlock>>,
    /// Blocks of others this step applied for the first time (fully validated), recent
    /// enough to matter to peers: to relay to every peer that does not have them.
    pub relay: Vec<Arc<SignedBlock>>,
    /// Blocks applied to the chain state in this step, parents first (ours included). Only
    /// these may reach the block log: nothing is persisted before it is valid.
    pub applied: Vec<AppliedBlock>,
    /// Blocks that became irreversible, ascending.
    pub irreversible: Vec<Arc<SignedBlock>>,
    /// Misbehaving peers.
    pub penalties: Vec<(PeerId, String)>,
    /// Peers to ask for missing blocks: (peer, our LIB height, the id we lack).
    pub need_blocks: Vec<(PeerId, u32, Checksum256)>,
    /// New evidence of misbehaviour (double production, conflicting votes).
    pub evidence: Vec<Evidence>,
    /// Approvals we signed, to send to every peer.
    pub approvals: Vec<Arc<Approval>>,
    /// Valid new approvals from peers, to relay once.
    pub relay_approvals: Vec<Arc<Approval>>,
    /// Blocks rejected as invalid.
    pub rejected: Vec<(Checksum256, BlockError)>,
    /// Whether the head changed.
    pub head_changed: bool,
}

/// A block waiting for its parent, with the peer that sent it.
pub(crate) type Orphan = (Arc<SignedBlock>, Option<PeerId>);

/// The headers seen for one (producer, slot): the first, for double-production evidence, and
/// how many different ones arrived.
#[derive(Debug, Clone)]
pub(crate) struct SlotSeen {
    pub first: (BlockHeader, Signature),
    pub versions: u8,
}

/// The consensus core of one node.
pub struct Consensus {
    pub(crate) params: Params,
    pub(crate) chain: Chain,
    pub(crate) forkdb: ForkDb,
    pub(crate) head: Arc<BlockEntry>,
    pub(crate) pool: Pool,
    pub(crate) config: CoreConfig,
    pub(crate) watermarks: BTreeMap<Name, Watermark>,
    pub(crate) now: TimePoint,
    /// Transactions of applied reversible blocks, to return to the pool on a fork switch.
    pub(crate) applied_txs: BTreeMap<Checksum256, Vec<Arc<VerifiedTransaction>>>,
    /// Blocks known to be invalid (bounded).
    pub(crate) invalid: BTreeSet<Checksum256>,
    /// Blocks waiting for their parent, by parent id.
    pub(crate) orphans: BTreeMap<Checksum256, Vec<Orphan>>,
    /// Valid headers seen per (producer, slot), to detect double production.
    pub(crate) seen_slots: BTreeMap<(Name, u64), SlotSeen>,
    /// Evidence waiting to be included in a block we produce (bounded).
    pub(crate) pending_evidence: Vec<Evidence>,
    /// Transactions of incoming blocks that the shell verified ahead of time.
    pub(crate) verified_cache: BTreeMap<Checksum256, Arc<VerifiedTransaction>>,
    /// Valid approvals waiting to be included (bounded per producer).
    pub(crate) approvals: ApprovalPool,
    /// Votes carried by recent valid headers, per producer, to catch conflicting votes.
    pub(crate) header_votes: VoteLedger,
    /// What the next round's schedule depends on, per applied block (see `basis.rs`).
    pub(crate) bases: BTreeMap<Checksum256, Arc<RoundBasis>>,
    /// Blocks already relayed (or produced) by this node.
    pub(crate) relayed: BTreeSet<Checksum256>,
    /// Blocks applied since the last output was filled (see [`Output::applied`]).
    pub(crate) newly_applied: Vec<AppliedBlock>,
    /// Who sent each block of the fork database, to penalize it if the block fails to apply.
    pub(crate) senders: BTreeMap<Checksum256, PeerId>,
}

/// The most pre-verified transactions held for incoming blocks.
const MAX_VERIFIED_CACHE: usize = 500_000;

const MAX_INVALID: usize = 4096;

/// The genesis block: height 1, slot 0, no transactions, no signature. Every node derives it.
pub fn genesis_block(chain: &Chain) -> SignedBlock {
    let g = &chain.config().genesis;
    let header = BlockHeader {
        previous: Checksum256::ZERO,
        block_num: 1,
        slot: 0,
        producer: civitas_chain::names::EOSIO,
        schedule_version: 0,
        votes: vec![],
        new_schedule: Some(genesis_schedule(g)),
        transaction_mroot: Checksum256::ZERO,
        state_root: chain.state_root(),
        evidence_root: Checksum256::ZERO,
        approvals_root: Checksum256::ZERO,
        header_extensions: vec![],
    };
    SignedBlock {
        header,
        producer_signature: Signature([0u8; 65]),
        transactions: vec![],
        approvals: vec![],
        evidence: vec![],
        block_extensions: vec![],
    }
}

/// The schedule of round 0: the genesis producers in genesis order.
pub fn genesis_schedule(g: &Genesis) -> ProducerSchedule {
    ProducerSchedule {
        version: 0,
        producers: g
            .producers
            .iter()
            .take(g.active_producers as usize)
            .map(|p| ProducerKey { producer_name: p.name, block_signing_key: p.signing_key })
            .collect(),
    }
}

impl Consensus {
    /// A node at genesis.
    pub fn new(genesis: &Genesis, config: CoreConfig) -> Result<Consensus, GenesisError> {
        let mut chain = Chain::from_genesis(genesis)?;
        let params = Params::from_genesis(genesis);
        let schedule = Arc::new(genesis_schedule(genesis));
        crate::records::set_active_schedule(chain.kv_mut(), &schedule);
        // The schedule record is part of the genesis state and its commitment.
        let root = chain.kv().full_hash();
        chain.kv_mut().set_root(root);
        let block = Arc::new(genesis_block(&chain));
        let root_entry = BlockEntry {
            id: block.id(),
            num: 1,
            slot: 0,
            time: params.slot_time(0),
            producer: block.header.producer,
            round: 0,
            schedule: schedule.clone(),
            prev_schedule: schedule,
            finality: Finality { lib: 1, lib_slot: 0, justified: vec![] },
            last_votes: Arc::new(BTreeMap::new()),
            block,
        };
        let window = u32::try_from(4 * params.round_len() + 64).unwrap_or(u32::MAX);
        let head = Arc::new(root_entry.clone());
        Ok(Consensus {
            forkdb: ForkDb::new(root_entry, window, params.round_len()),
            head,
            pool: Pool::new(config.pool_size),
            params,
            chain,
            config,
            watermarks: BTreeMap::new(),
            now: TimePoint(0),
            applied_txs: BTreeMap::new(),
            invalid: BTreeSet::new(),
            orphans: BTreeMap::new(),
            seen_slots: BTreeMap::new(),
            pending_evidence: vec![],
            verified_cache: BTreeMap::new(),
            approvals: ApprovalPool::default(),
            header_votes: VoteLedger::default(),
            bases: BTreeMap::new(),
            relayed: BTreeSet::new(),
            newly_applied: vec![],
            senders: BTreeMap::new(),
        })
    }

    /// Restores persisted watermarks (before any production).
    pub fn set_watermark(&mut self, producer: Name, w: Watermark) {
        let cur = self.watermarks.entry(producer).or_default();
        cur.last_slot = cur.last_slot.max(w.last_slot);
        cur.vote_top = cur.vote_top.max(w.vote_top);
        cur.vote_source = cur.vote_source.max(w.vote_source);
    }

    /// Timing parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The chain state at the head.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The head block.
    pub fn head(&self) -> &Arc<BlockEntry> {
        &self.head
    }

    /// The node's last irreversible block (the root of its fork database; a branch's own LIB,
    /// `BlockEntry::finality.lib`, may lag it).
    pub fn lib(&self) -> &Arc<BlockEntry> {
        self.forkdb.root()
    }

    /// The fork database.
    pub fn forkdb(&self) -> &ForkDb {
        &self.forkdb
    }

    /// Pending transactions.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The latest time seen.
    pub fn now(&self) -> TimePoint {
        self.now
    }

    /// A producer's watermark.
    pub fn watermark(&self, p: Name) -> Watermark {
        self.watermarks.get(&p).copied().unwrap_or_default()
    }

    /// Approvals held for inclusion.
    pub fn approvals_held(&self) -> usize {
        self.approvals.len()
    }

    /// Hands over transactions of incoming blocks whose signatures the shell already checked
    /// (in parallel, or recovered earlier and kept in its block log), so applying the blocks
    /// recovers no key twice. Authorities are still checked when they apply.
    pub fn provide_verified(&mut self, txs: impl IntoIterator<Item = Arc<VerifiedTransaction>>) {
        for vt in txs {
            if self.verified_cache.len() >= MAX_VERIFIED_CACHE {
                break;
            }
            self.verified_cache.insert(vt.id, vt);
        }
    }

    /// Evidence seen but not yet recorded on chain.
    pub fn pending_evidence(&self) -> &[Evidence] {
        &self.pending_evidence
    }

    /// Sets the current time without producing (restarts replay blocks first).
    pub fn set_time(&mut self, t: TimePoint) {
        if t > self.now {
            self.now = t;
        }
    }

    /// Drops the pre-verified transactions held for incoming blocks (after a replay of the
    /// node's own log, whose entries must not serve any other block).
    pub fn forget_verified(&mut self) {
        self.verified_cache.clear();
    }

    /// Handles one input.
    pub fn handle(&mut self, input: Input, out: &mut Output) {
        match input {
            Input::Tick(t) => {
                if t > self.now {
                    self.now = t;
                }
                self.maybe_produce(out);
            }
            Input::Block { block, from } => self.on_block(block, from, out),
            Input::Approval { approval, from } => self.on_approval(approval, from, out),
        }
        self.report_applied(out);
        debug_assert!(
            self.head.num == 1 || self.chain.state_root() == self.head.block.header.state_root,
            "the chain state is not the head's"
        );
    }

    /// Moves the blocks applied in this step to the output, and relays those of others that
    /// are recent: a node catching up does not flood peers with the chain it fetches.
    fn report_applied(&mut self, out: &mut Output) {
        let now_slot = self.params.slot_at(self.now).unwrap_or(0);
        let window = 2 * self.params.round_len();
        for ab in self.newly_applied.drain(..) {
            let id = ab.block.id();
            if self.relayed.insert(id) && ab.block.header.slot + window >= now_slot {
                out.relay.push(ab.block.clone());
            }
            out.applied.push(ab);
        }
    }

    pub(crate) fn mark_invalid(&mut self, id: Checksum256) {
        if self.invalid.len() >= MAX_INVALID {
            self.invalid.pop_first();
        }
        self.invalid.insert(id);
    }
}
