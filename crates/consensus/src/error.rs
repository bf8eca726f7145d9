//! Why a block is rejected.

use civitas_chain::ChainError;
use civitas_protocol::{Checksum256, Name};
use thiserror::Error;

/// A block that failed validation. Every variant is the sender's fault except `Unlinkable`
/// (we may simply lack its parent) and `Known`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BlockError {
    /// We already have it.
    #[error("block {0} is already known")]
    Known(Checksum256),
    /// Its parent is unknown (sync needed).
    #[error("block's parent {0} is unknown")]
    Unlinkable(Checksum256),
    /// At or below the last irreversible block, on another branch.
    #[error("block {num} is at or below the last irreversible block {lib}")]
    BelowLib {
        /// Its height.
        num: u32,
        /// Our LIB.
        lib: u32,
    },
    /// A header field is wrong.
    #[error("invalid block header: {0}")]
    Header(String),
    /// Not produced by the producer scheduled for its slot.
    #[error("wrong producer {got} for slot {slot}: expected {expected}")]
    WrongProducer {
        /// The slot.
        slot: u64,
        /// Who signed.
        got: Name,
        /// Who was scheduled.
        expected: Name,
    },
    /// The signature does not match the scheduled producer's key.
    #[error("block is not signed with the key of producer {0}")]
    WrongSigningKey(Name),
    /// The finality vote breaks a rule.
    #[error("invalid vote: {0}")]
    Vote(String),
    /// The block is too far in the future.
    #[error("block slot {slot} is in the future (now slot {now})")]
    Future {
        /// Its slot.
        slot: u64,
        /// Our current slot.
        now: u64,
    },
    /// A transaction failed.
    #[error("transaction {index} failed: {error}")]
    Transaction {
        /// Position in the block.
        index: usize,
        /// Why.
        error: String,
    },
    /// The state commitment does not match.
    #[error("state root mismatch: header {header}, computed {computed}")]
    StateRoot {
        /// What the producer claimed.
        header: Checksum256,
        /// What we computed.
        computed: Checksum256,
    },
    /// The schedule it carries is not the one the chain elects.
    #[error("new_schedule does not match the election")]
    Schedule,
    /// Invalid double-production evidence.
    #[error("invalid evidence: {0}")]
    Evidence(String),
    /// The body does not match the header (transactions or evidence root).
    #[error("block body does not match its header: {0}")]
    BodyMismatch(String),
    /// A descendant of a block known to be invalid.
    #[error("block descends from invalid block {0}")]
    InvalidAncestor(Checksum256),
    /// Over a block limit (bytes, transactions, approvals, evidence): invalid for everyone.
    #[error("block over a limit: {0}")]
    Limit(String),
    /// The fork database holds as many reversible blocks as it may (docs/consensus.md,
    /// "Limits"); the block may be taken again once the LIB advances.
    #[error("block {num} is too far above the last irreversible block {lib} (at most {max} reversible blocks)")]
    TooFarAhead {
        /// Its height.
        num: u32,
        /// Our LIB.
        lib: u32,
        /// The bound.
        max: u32,
    },
    /// A further block of a producer for a slot it already signed two blocks for: the evidence
    /// is in hand, more copies only cost memory.
    #[error("producer {producer} already signed two blocks for slot {slot}")]
    Equivocation {
        /// The producer.
        producer: Name,
        /// The slot.
        slot: u64,
    },
}

impl From<ChainError> for BlockError {
    fn from(e: ChainError) -> Self {
        BlockError::Transaction { index: 0, error: e.to_string() }
    }
}

impl BlockError {
    /// True if the fault is a property of the block id itself (the header and, through its
    /// roots, the body). A bad signature or a body that does not match the header is not: the
    /// same id may arrive again with a good signature and the right body, so such blocks must
    /// not poison the id.
    pub fn is_intrinsic(&self) -> bool {
        self.is_fault() && !matches!(self, BlockError::WrongSigningKey(_) | BlockError::BodyMismatch(_))
    }

    /// True if a peer that sent this block misbehaved (as opposed to being behind or racing).
    pub fn is_fault(&self) -> bool {
        !matches!(
            self,
            BlockError::Known(_)
                | BlockError::Unlinkable(_)
                | BlockError::BelowLib { .. }
                | BlockError::Future { .. }
                | BlockError::TooFarAhead { .. }
                | BlockError::Equivocation { .. }
        )
    }
}
