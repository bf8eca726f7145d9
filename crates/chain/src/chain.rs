//! The chain state machine: blocks are opened, transactions applied, blocks sealed with a
//! state commitment, and whole blocks undone when the node switches forks.

use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Action, Checksum256, Name, PermissionLevel, PublicKey, TimePoint, Transaction};

use crate::auth::{is_ancestor_or_self, AuthorityChecker};
use crate::contracts::{self, ApplyContext, BlockInfo};
use crate::error::ChainError;
use crate::genesis::{Genesis, GenesisError};
use crate::names::{ACTIVE, OWNER};
use crate::records;
use crate::resources::recent::RecentUsage;
use crate::resources::{self, BlockUsage, ResourceConfig, UsageBuffer};
use crate::state::Kv;

/// Parameters every node agrees on, fixed by genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainConfig {
    /// The chain id.
    pub chain_id: Checksum256,
    /// The genesis it came from.
    pub genesis: Genesis,
    /// Largest uncompressed transaction in bytes.
    pub max_transaction_size: usize,
    /// CPU and NET limits.
    pub resources: ResourceConfig,
}

/// The largest transaction: 128 KiB as carried in a block (signatures and context-free data
/// included) and uncompressed, ample for any native action. A protocol limit, the same on
/// every node.
pub const DEFAULT_MAX_TRANSACTION_SIZE: usize = civitas_protocol::limits::MAX_TRANSACTION_BYTES;

impl ChainConfig {
    /// The configuration of a genesis.
    pub fn new(genesis: Genesis) -> ChainConfig {
        let resources = ResourceConfig::for_interval(genesis.block_interval_ms);
        ChainConfig {
            chain_id: genesis.chain_id(),
            genesis,
            max_transaction_size: DEFAULT_MAX_TRANSACTION_SIZE,
            resources,
        }
    }
}

/// What a successful transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionTrace {
    /// The transaction id.
    pub id: Checksum256,
    /// The block it went into.
    pub block_num: u32,
    /// That block's time.
    pub block_time: TimePoint,
    /// That block's producer.
    pub producer: Name,
    /// The actions, in execution order.
    pub actions: Vec<Action>,
    /// Bytes it takes in a block (signatures and context-free data included): what is billed
    /// as NET and reported as `net_usage_words`.
    pub net_bytes: usize,
    /// The CPU billed by the cost schedule, reported as `cpu_usage_us`.
    pub cpu_usage_us: u64,
}

/// The chain state machine.
pub struct Chain {
    kv: Kv,
    config: ChainConfig,
    pending: Option<BlockInfo>,
    /// CPU and NET the open block used so far.
    block_usage: BlockUsage,
    /// Account usage the open block wrote, flushed when it is sealed.
    usage_buffer: UsageBuffer,
    /// What the last blocks billed and to whom (not state: the dashboard's resource panel).
    recent_usage: RecentUsage,
}

impl Chain {
    /// The state at genesis.
    pub fn from_genesis(genesis: &Genesis) -> Result<Chain, GenesisError> {
        genesis.validate()?;
        let config = ChainConfig::new(genesis.clone());
        let kv = crate::genesis_state::build(genesis)?;
        Ok(Chain {
            kv,
            config,
            pending: None,
            block_usage: BlockUsage::default(),
            usage_buffer: UsageBuffer::new(),
            recent_usage: RecentUsage::default(),
        })
    }

    /// A chain over an existing state (snapshots, checkpoints).
    pub fn from_state(genesis: &Genesis, kv: Kv) -> Chain {
        Chain {
            kv,
            config: ChainConfig::new(genesis.clone()),
            pending: None,
            block_usage: BlockUsage::default(),
            usage_buffer: UsageBuffer::new(),
            recent_usage: RecentUsage::default(),
        }
    }

    /// Chain parameters.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The state (read-only).
    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    /// The state, for the system hooks of higher layers (block production pay, elections).
    pub fn kv_mut(&mut self) -> &mut Kv {
        &mut self.kv
    }

    /// The usage the open block has written so far (flushed to the state when it is sealed).
    pub fn usage_buffer(&self) -> &UsageBuffer {
        &self.usage_buffer
    }

    /// What the last sealed blocks billed, and to whom.
    pub fn recent_usage(&self) -> &RecentUsage {
        &self.recent_usage
    }

    /// The current state commitment.
    pub fn state_root(&self) -> Checksum256 {
        self.kv.root()
    }

    /// The block being built or applied, if any.
    pub fn pending(&self) -> Option<BlockInfo> {
        self.pending
    }

    /// Opens a block on top of the current state. `previous` is the parent's id, recorded for
    /// TAPOS before any transaction of this block runs.
    pub fn start_block(&mut self, info: BlockInfo, previous: Checksum256) {
        assert!(self.pending.is_none(), "start_block while a block is open");
        self.kv.begin_block();
        if info.block_num >= 2 {
            self.kv.put(records::blocksum_key(info.block_num - 1), previous.0.to_vec());
        }
        records::expire_trxs(&mut self.kv, info.time.to_sec().0);
        self.pending = Some(info);
        self.block_usage = BlockUsage::default();
        self.usage_buffer.clear();
    }

    /// Seals the open block and returns the state commitment after it.
    pub fn finish_block(&mut self) -> Checksum256 {
        let info = self.pending.take().expect("finish_block without an open block");
        let usage = std::mem::take(&mut self.block_usage);
        resources::flush_usage(&mut self.kv, &mut self.usage_buffer);
        let rs = resources::resource_state(&self.kv);
        self.recent_usage.seal(info.block_num, usage.cpu, usage.net, (rs.virtual_cpu_limit, rs.virtual_net_limit));
        resources::end_block(&mut self.kv, &self.config.resources, info.block_num, usage);
        crate::contracts::system::global::sync(&mut self.kv);
        self.kv.seal_block()
    }

    /// Abandons the open block.
    pub fn abort_block(&mut self) {
        self.pending.take().expect("abort_block without an open block");
        self.block_usage = BlockUsage::default();
        self.recent_usage.abort();
        self.usage_buffer.clear();
        self.kv.undo_block();
    }

    /// Reverts the newest sealed block.
    pub fn undo_block(&mut self) {
        assert!(self.pending.is_none(), "undo_block while a block is open");
        self.kv.undo_block();
    }

    /// Runs `f` on the state as one unit: its changes are kept if it succeeds and rolled back
    /// if it fails (system hooks that write several rows).
    pub(crate) fn with_nested<T>(&mut self, f: impl FnOnce(&mut Kv) -> Result<T, ChainError>) -> Result<T, ChainError> {
        if self.kv.undo_depth() == 0 {
            // Outside any block (nothing can be undone anyway).
            return f(&mut self.kv);
        }
        self.kv.begin_nested();
        let result = f(&mut self.kv);
        if result.is_ok() {
            // The chain's own writes are charged like any other (a pay row is its producer's),
            // but never refused: a block must stay applicable.
            resources::ram::charge(&mut self.kv);
            self.kv.commit_nested();
        } else {
            self.kv.rollback_nested();
        }
        result
    }

    /// Drops undo data of the oldest reversible block (it became irreversible).
    pub fn commit_oldest_block(&mut self) {
        self.kv.commit_oldest_block();
    }

    /// Sealed blocks that can still be undone.
    pub fn undo_depth(&self) -> usize {
        self.kv.undo_depth() - usize::from(self.pending.is_some())
    }

    /// Checks a transaction's shape (no state needed). `size` is the larger of its
    /// uncompressed size and the bytes it takes in a block (signatures and context-free data
    /// included), so nothing a transaction carries escapes the limit.
    pub fn check_shape(&self, trx: &Transaction, size: usize) -> Result<(), ChainError> {
        self.check_form(trx, size)?;
        if trx.actions.iter().any(|a| a.authorization.is_empty()) {
            return Err(ChainError::InvalidTransaction("every action needs at least one authorization".into()));
        }
        Ok(())
    }

    /// The shape rules every transaction obeys, read-only ones included (which declare no
    /// authorizations at all).
    pub(crate) fn check_form(&self, trx: &Transaction, size: usize) -> Result<(), ChainError> {
        if size > self.config.max_transaction_size {
            return Err(ChainError::TooBig { size, max: self.config.max_transaction_size });
        }
        if trx.delay_sec.0 != 0 {
            return Err(ChainError::InvalidTransaction(
                "delay_sec must be 0: delayed transactions are not supported".into(),
            ));
        }
        if !trx.context_free_actions.is_empty() {
            return Err(ChainError::InvalidTransaction("context-free actions are not supported".into()));
        }
        if !trx.transaction_extensions.is_empty() {
            return Err(ChainError::InvalidTransaction("transaction extensions are not supported".into()));
        }
        if trx.actions.is_empty() {
            return Err(ChainError::InvalidTransaction("transaction should have at least one normal action".into()));
        }
        Ok(())
    }

    /// Applies a verified transaction to the open block: all of it or nothing.
    pub fn apply_transaction(&mut self, vt: &VerifiedTransaction) -> Result<TransactionTrace, ChainError> {
        let block = self.pending.expect("apply_transaction without an open block");
        self.check_input(vt, block)?;
        self.check_authorization(&vt.trx.actions, &vt.signers)?;
        self.execute(vt, block, false)
    }

    /// The checks of an input transaction before its authority: shape, expiration (against
    /// block time), TAPOS and duplicates.
    pub(crate) fn check_input(&self, vt: &VerifiedTransaction, block: BlockInfo) -> Result<(), ChainError> {
        let trx = &vt.trx;
        self.check_shape(trx, vt.size.max(vt.wire_bytes))?;
        if vt.context_free_entries > 0 {
            // Context-free data only serves context-free actions, which Civitas does not run;
            // accepting it would let any account fill blocks with bytes nothing reads.
            return Err(ChainError::InvalidTransaction(
                "context-free data is not supported: the chain has no context-free actions".into(),
            ));
        }
        let now_secs = block.time.secs();
        let exp = i64::from(trx.expiration.0);
        if exp < now_secs {
            return Err(ChainError::Expired { expiration: trx.expiration, now: block.time });
        }
        let max = self.config.genesis.max_transaction_lifetime_sec;
        if exp > now_secs + i64::from(max) {
            return Err(ChainError::ExpirationTooFar { expiration: trx.expiration, now: block.time, max_secs: max });
        }
        let tapos_ok = records::blocksum(&self.kv, trx.ref_block_num)
            .is_some_and(|id| civitas_protocol::transaction::tapos_of(&id).1 == trx.ref_block_prefix);
        if !tapos_ok {
            return Err(ChainError::InvalidRefBlock {
                ref_block_num: trx.ref_block_num,
                ref_block_prefix: trx.ref_block_prefix,
            });
        }
        if records::trx_seen(&self.kv, &vt.id) {
            return Err(ChainError::Duplicate(vt.id));
        }
        Ok(())
    }

    /// Runs the actions in one nested session: all of them or nothing. An ordinary transaction
    /// is remembered until it expires (duplicate detection); a read-only one is not, and fails
    /// as soon as an action changes the state.
    pub(crate) fn execute(
        &mut self,
        vt: &VerifiedTransaction,
        block: BlockInfo,
        read_only: bool,
    ) -> Result<TransactionTrace, ChainError> {
        let trx = &vt.trx;
        self.kv.begin_nested();
        if !read_only {
            records::remember_trx(&mut self.kv, &vt.id, trx.expiration.0);
        }
        for action in &trx.actions {
            let before = self.kv.block_changes();
            let mut ctx = ApplyContext { kv: &mut self.kv, action, block, config: &self.config };
            let mut result = contracts::dispatch(&mut ctx);
            if result.is_ok() && read_only && self.kv.block_changes() != before {
                result = Err(ChainError::ReadOnlyWrite(format!("{}::{}", action.account, action.name)));
            }
            if let Err(e) = result {
                self.kv.rollback_nested();
                return Err(e);
            }
        }
        if !read_only {
            if let Err(e) = resources::ram::settle(&mut self.kv) {
                self.kv.rollback_nested();
                return Err(e);
            }
        }
        let cpu_usage_us =
            resources::billing::cpu_usage_us(trx, vt.packed.signatures.len(), vt.size.max(vt.wire_bytes));
        if !read_only {
            // Billed after the actions ran, against the weights before them (the cost does not
            // depend on what the actions did, so a producer could refuse it up front as well).
            let net = resources::billing::net_usage_words(vt.wire_bytes) * 8;
            let payers = resources::payers(trx);
            let ordinal = self.config.resources.ordinal(block.time);
            let billed = resources::bill(
                &self.kv,
                &self.config.resources,
                &payers,
                cpu_usage_us,
                net,
                ordinal,
                &mut self.block_usage,
                &mut self.usage_buffer,
            );
            if let Err(e) = billed {
                self.kv.rollback_nested();
                return Err(e);
            }
            self.recent_usage.bill(&payers, cpu_usage_us, net);
        }
        self.kv.commit_nested();
        Ok(TransactionTrace {
            id: vt.id,
            block_num: block.block_num,
            block_time: block.time,
            producer: block.producer,
            actions: trx.actions.clone(),
            net_bytes: vt.wire_bytes,
            cpu_usage_us,
        })
    }

    /// Checks every declared authorization against the signing keys; every key must be needed.
    pub fn check_authorization(&self, actions: &[Action], keys: &[PublicKey]) -> Result<(), ChainError> {
        let mut checker = AuthorityChecker::new(&self.kv, keys);
        // Declared authorizations are few; a linear scan avoids an allocation per transaction.
        let mut checked: Vec<PermissionLevel> = Vec::new();
        for action in actions {
            for level in &action.authorization {
                self.check_minimum_permission(action, level)?;
                if !checked.contains(level) {
                    checked.push(*level);
                    if !checker.satisfied(*level) {
                        return Err(ChainError::Unsatisfied(*level));
                    }
                }
            }
        }
        let unused = checker.unused_keys();
        if !unused.is_empty() {
            let list: Vec<String> = unused.iter().map(|k| k.to_string()).collect();
            return Err(ChainError::IrrelevantSignature(list.join(", ")));
        }
        Ok(())
    }

    /// The keys among `candidates` that would be needed to authorize `trx` (`get_required_keys`).
    pub fn required_keys(&self, trx: &Transaction, candidates: &[PublicKey]) -> Result<Vec<PublicKey>, ChainError> {
        let mut checker = AuthorityChecker::new(&self.kv, candidates);
        for action in &trx.actions {
            for level in &action.authorization {
                self.check_minimum_permission(action, level)?;
                if !checker.satisfied(*level) {
                    return Err(ChainError::Unsatisfied(*level));
                }
            }
        }
        Ok(checker.used_keys())
    }

    /// A declared permission must exist and be the action's minimum permission (`active`, or
    /// the affected permission for `updateauth`/`deleteauth`) or an ancestor of it.
    pub(crate) fn check_minimum_permission(&self, action: &Action, level: &PermissionLevel) -> Result<(), ChainError> {
        if !self.kv.contains(&records::permission_key(level.actor, level.permission)) {
            if !records::account_exists(&self.kv, level.actor) {
                return Err(ChainError::UnknownAccount(level.actor));
            }
            return Err(ChainError::UnknownPermission(*level));
        }
        let minimum =
            match contracts::system::auth_action_minimum(&self.kv, action.account, action.name, &action.data.0) {
                Some(m) => {
                    if level.actor != m.actor || action.authorization.len() != 1 {
                        return Err(ChainError::IrrelevantAuth { declared: *level, minimum: m });
                    }
                    m
                }
                None => PermissionLevel::new(level.actor, ACTIVE),
            };
        let ok = level.permission == OWNER
            || is_ancestor_or_self(&self.kv, level.actor, level.permission, minimum.permission);
        if !ok {
            return Err(ChainError::IrrelevantAuth { declared: *level, minimum });
        }
        Ok(())
    }
}
