//! Limits that are rules of the protocol: a block or a message over one of them is invalid for
//! every node, whatever its configuration. They are constants here, in the crate every layer
//! depends on, so that the codec, the consensus core and the P2P layer agree on them (a block
//! must always fit one P2P frame, see `docs/consensus.md`, "Limits").

/// Largest packed block in bytes: header, signature, transactions, approvals and evidence.
/// Far enough below the P2P layer's smallest allowed frame bound that a block always fits one
/// frame with its message envelope ([`MAX_BLOCK_MESSAGE_BYTES`]).
pub const MAX_BLOCK_BYTES: usize = 12 * 1024 * 1024;

/// Room for the message envelope around a block (message tag, request id, count).
pub const BLOCK_MESSAGE_OVERHEAD: usize = 64 * 1024;

/// The smallest P2P frame bound a node may be configured with: one block of
/// [`MAX_BLOCK_BYTES`] and its envelope.
pub const MAX_BLOCK_MESSAGE_BYTES: usize = MAX_BLOCK_BYTES + BLOCK_MESSAGE_OVERHEAD;

/// Most transactions in one block (bounds the work of applying a block besides its bytes).
pub const MAX_BLOCK_TRANSACTIONS: usize = 50_000;

/// Most approvals one block may carry.
pub const MAX_BLOCK_APPROVALS: usize = 256;

/// Most evidence entries one block may carry.
pub const MAX_BLOCK_EVIDENCE: usize = 16;

/// Most finality votes in one block header (a bridge vote and the main vote).
pub const MAX_HEADER_VOTES: usize = 2;

/// Most producers a schedule may list (votes are tracked in 128-bit masks).
pub const MAX_SCHEDULE_PRODUCERS: usize = 125;

/// Largest packed transaction in bytes as carried in a block: the transaction, its
/// signatures and its context-free data, compressed or not. Also the most a compressed field
/// may inflate to.
pub const MAX_TRANSACTION_BYTES: usize = 128 * 1024;

// A block of every limit fits the smallest frame a node accepts, and one transaction can never
// fill a block by itself.
const _: () = assert!(MAX_BLOCK_MESSAGE_BYTES <= 16 * 1024 * 1024);
const _: () = assert!(MAX_TRANSACTION_BYTES < MAX_BLOCK_BYTES);
const _: () = assert!(MAX_SCHEDULE_PRODUCERS <= 128);
