//! Chain errors, each with the nodeos error code and name clients expect.

use civitas_protocol::{Checksum256, Name, PermissionLevel, TimePoint, TimePointSec};
use thiserror::Error;

/// Why a transaction or action was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChainError {
    /// A contract assertion failed (`eosio_assert_message_exception`).
    #[error("assertion failure with message: {0}")]
    Assert(String),
    /// The action data does not decode as the action's arguments.
    #[error("invalid action arguments for {action}: {reason}")]
    InvalidArgs {
        /// `contract::action`.
        action: String,
        /// The decoding problem.
        reason: String,
    },
    /// No such action on the contract.
    #[error("action {action} not found on contract {contract}")]
    ActionNotFound {
        /// The contract.
        contract: Name,
        /// The action.
        action: Name,
    },
    /// The receiving account has no contract.
    #[error("account {0} has no contract")]
    NoContract(Name),
    /// An account that does not exist.
    #[error("account {0} does not exist")]
    UnknownAccount(Name),
    /// The account already exists.
    #[error("account name {0} already exists")]
    AccountExists(Name),
    /// The transaction has expired.
    #[error("expired transaction: expiration {expiration} is before block time {now}")]
    Expired {
        /// The transaction's expiration.
        expiration: TimePointSec,
        /// The pending block's time.
        now: TimePoint,
    },
    /// Expiration too far in the future.
    #[error("transaction expiration {expiration} is too far in the future (more than {max_secs} s after {now})")]
    ExpirationTooFar {
        /// The transaction's expiration.
        expiration: TimePointSec,
        /// The pending block's time.
        now: TimePoint,
        /// The allowed lifetime.
        max_secs: u32,
    },
    /// TAPOS does not match a recent block of this chain.
    #[error("transaction's reference block did not match (ref_block_num {ref_block_num}, ref_block_prefix {ref_block_prefix}). Is this transaction from a different fork?")]
    InvalidRefBlock {
        /// The referenced block number (low 16 bits).
        ref_block_num: u16,
        /// The referenced id prefix.
        ref_block_prefix: u32,
    },
    /// The transaction id was already seen and has not expired.
    #[error("duplicate transaction {0}")]
    Duplicate(Checksum256),
    /// A malformed transaction.
    #[error("invalid transaction: {0}")]
    InvalidTransaction(String),
    /// The transaction is larger than allowed.
    #[error("transaction is {size} bytes, more than the {max} allowed")]
    TooBig {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Declared authorization is not satisfied by the signatures.
    #[error("transaction declares authority '{0}', but does not have signatures for it")]
    Unsatisfied(PermissionLevel),
    /// A contract required an authority the action does not declare.
    #[error("missing authority of {0}")]
    MissingAuth(Name),
    /// The declared permission is not allowed for this action.
    #[error("action declares irrelevant authority '{declared}'; minimum authority is {minimum}")]
    IrrelevantAuth {
        /// What was declared.
        declared: PermissionLevel,
        /// What the action needs.
        minimum: PermissionLevel,
    },
    /// A signature was not needed.
    #[error("transaction bears irrelevant signatures from these keys: {0}")]
    IrrelevantSignature(String),
    /// Permission lookup failed.
    #[error("permission {0} does not exist")]
    UnknownPermission(PermissionLevel),
    /// The transaction or block exceeded a resource limit.
    #[error("resource limit exceeded: {0}")]
    ResourceExhausted(String),
    /// An authorizer has spent its CPU allowance (µs over the 24 h window).
    #[error("authorizing account '{account}' has insufficient cpu resources for this transaction (used in window {used} us, allowance {max} us)")]
    TxCpuUsageExceeded {
        /// The account billed.
        account: Name,
        /// Its usage in the window, this transaction included.
        used: u64,
        /// Its allowance.
        max: u64,
    },
    /// An authorizer has spent its NET allowance (bytes over the 24 h window).
    #[error("authorizing account '{account}' has insufficient net resources for this transaction (used in window {used} bytes, allowance {max} bytes)")]
    TxNetUsageExceeded {
        /// The account billed.
        account: Name,
        /// Its usage in the window, this transaction included.
        used: u64,
        /// Its allowance.
        max: u64,
    },
    /// The block has no CPU left for this transaction.
    #[error("transaction CPU usage ({needed} us) is too much for the remaining allowable usage of the current block ({left} us)")]
    BlockCpuUsageExceeded {
        /// What the transaction costs.
        needed: u64,
        /// What the block has left.
        left: u64,
    },
    /// The block has no NET left for this transaction.
    #[error("transaction network usage ({needed} bytes) is too much for the remaining allowable usage of the current block ({left} bytes)")]
    BlockNetUsageExceeded {
        /// What the transaction takes.
        needed: u64,
        /// What the block has left.
        left: u64,
    },
    /// An account's state bytes grew beyond its RAM quota.
    #[error("account {account} has insufficient ram; needs {needs} bytes has {has} bytes")]
    RamUsageExceeded {
        /// The account billed.
        account: Name,
        /// Its usage after the transaction.
        needs: i64,
        /// Its quota.
        has: i64,
    },
    /// A read-only transaction's action (`contract::action`) changed the state.
    #[error("cannot store a db record when executing a readonly transaction ({0})")]
    ReadOnlyWrite(String),
}

impl ChainError {
    /// The nodeos error code.
    pub fn code(&self) -> u64 {
        match self {
            ChainError::Assert(_) => 3_050_003,
            ChainError::InvalidArgs { .. } => 3_050_002,
            ChainError::ActionNotFound { .. } | ChainError::NoContract(_) => 3_050_005,
            ChainError::UnknownAccount(_) => 3_060_002,
            ChainError::AccountExists(_) => 3_050_001,
            ChainError::Expired { .. } => 3_040_005,
            ChainError::ExpirationTooFar { .. } => 3_040_006,
            ChainError::InvalidRefBlock { .. } => 3_040_007,
            ChainError::Duplicate(_) => 3_040_008,
            ChainError::InvalidTransaction(_) => 3_040_000,
            ChainError::TooBig { .. } => 3_040_013,
            ChainError::Unsatisfied(_) => 3_090_003,
            ChainError::MissingAuth(_) => 3_090_004,
            ChainError::IrrelevantAuth { .. } => 3_090_005,
            ChainError::IrrelevantSignature(_) => 3_090_002,
            ChainError::UnknownPermission(_) => 3_060_001,
            ChainError::ResourceExhausted(_) => 3_080_000,
            ChainError::RamUsageExceeded { .. } => 3_080_001,
            ChainError::TxNetUsageExceeded { .. } => 3_080_002,
            ChainError::BlockNetUsageExceeded { .. } => 3_080_003,
            ChainError::TxCpuUsageExceeded { .. } => 3_080_004,
            ChainError::BlockCpuUsageExceeded { .. } => 3_080_005,
            ChainError::ReadOnlyWrite(_) => 3_160_005,
        }
    }

    /// The nodeos exception name.
    pub fn name(&self) -> &'static str {
        match self {
            ChainError::Assert(_) => "eosio_assert_message_exception",
            ChainError::InvalidArgs { .. } => "invalid_action_args_exception",
            ChainError::ActionNotFound { .. } | ChainError::NoContract(_) => "action_not_found_exception",
            ChainError::UnknownAccount(_) => "account_query_exception",
            ChainError::AccountExists(_) => "account_name_exists_exception",
            ChainError::Expired { .. } => "expired_tx_exception",
            ChainError::ExpirationTooFar { .. } => "tx_exp_too_far_exception",
            ChainError::InvalidRefBlock { .. } => "invalid_ref_block_exception",
            ChainError::Duplicate(_) => "tx_duplicate",
            ChainError::InvalidTransaction(_) => "transaction_exception",
            ChainError::TooBig { .. } => "tx_too_big",
            ChainError::Unsatisfied(_) => "unsatisfied_authorization",
            ChainError::MissingAuth(_) => "missing_auth_exception",
            ChainError::IrrelevantAuth { .. } => "irrelevant_auth_exception",
            ChainError::IrrelevantSignature(_) => "tx_irrelevant_sig",
            ChainError::UnknownPermission(_) => "permission_query_exception",
            ChainError::ResourceExhausted(_) => "resource_exhausted_exception",
            ChainError::RamUsageExceeded { .. } => "ram_usage_exceeded",
            ChainError::TxNetUsageExceeded { .. } => "tx_net_usage_exceeded",
            ChainError::BlockNetUsageExceeded { .. } => "block_net_usage_exceeded",
            ChainError::TxCpuUsageExceeded { .. } => "tx_cpu_usage_exceeded",
            ChainError::BlockCpuUsageExceeded { .. } => "block_cpu_usage_exceeded",
            ChainError::ReadOnlyWrite(_) => "table_operation_not_permitted",
        }
    }

    /// The nodeos exception's short description (`what`).
    pub fn what(&self) -> &'static str {
        match self {
            ChainError::Assert(_) => "eosio_assert_message assertion failure",
            ChainError::InvalidArgs { .. } => "Invalid Action Arguments",
            ChainError::ActionNotFound { .. } | ChainError::NoContract(_) => "Action can not be found",
            ChainError::UnknownAccount(_) => "Account Query Exception",
            ChainError::AccountExists(_) => "Account name already exists",
            ChainError::Expired { .. } => "Expired Transaction",
            ChainError::ExpirationTooFar { .. } => "Transaction Expiration Too Far",
            ChainError::InvalidRefBlock { .. } => "Invalid Reference Block",
            ChainError::Duplicate(_) => "Duplicate transaction",
            ChainError::InvalidTransaction(_) => "Transaction exception",
            ChainError::TooBig { .. } => "Transaction is too big",
            ChainError::Unsatisfied(_) => "Unsatisfied authorization",
            ChainError::MissingAuth(_) => "Missing required authority",
            ChainError::IrrelevantAuth { .. } => "Irrelevant authority included",
            ChainError::IrrelevantSignature(_) => "Irrelevant signature included",
            ChainError::UnknownPermission(_) => "Permission Query Exception",
            ChainError::ResourceExhausted(_) => "Resource exhausted exception",
            ChainError::RamUsageExceeded { .. } => "Account using more than allotted RAM usage",
            ChainError::TxNetUsageExceeded { .. } => {
                "Transaction exceeded the current network usage limit imposed on the transaction"
            }
            ChainError::BlockNetUsageExceeded { .. } => {
                "Transaction network usage is too much for the remaining allowable usage of the current block"
            }
            ChainError::TxCpuUsageExceeded { .. } => {
                "Transaction exceeded the current CPU usage limit imposed on the transaction"
            }
            ChainError::BlockCpuUsageExceeded { .. } => {
                "Transaction CPU usage is too much for the remaining allowable usage of the current block"
            }
            ChainError::ReadOnlyWrite(_) => "The table operation is not allowed",
        }
    }
}

impl ChainError {
    /// True when the open block, not the transaction, ran out of room: the transaction may
    /// fit the next block.
    pub fn is_block_full(&self) -> bool {
        matches!(self, ChainError::BlockCpuUsageExceeded { .. } | ChainError::BlockNetUsageExceeded { .. })
    }
}

/// Shorthand for a contract assertion: `check(cond, msg)`.
pub fn check(cond: bool, msg: &str) -> Result<(), ChainError> {
    if cond {
        Ok(())
    } else {
        Err(ChainError::Assert(msg.to_string()))
    }
}
