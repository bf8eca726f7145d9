//! The Civitas node's HTTP API (SPEC §11): the Antelope-compatible `/v1/chain/*` endpoints that
//! eosjs 22 and `@wharfkit/antelope` use unmodified, the Civitas views under `/v1/civitas/*`
//! that the dashboard reads, a live stream of new heads and irreversible blocks (Server-Sent
//! Events), Prometheus metrics, and the dashboard itself at `/` (`docs/dashboard.md`). See
//! `docs/api.md` for every endpoint and error.
//!
//! The crate is I/O glue around the node: it reads the consensus core under a short read lock,
//! verifies transaction signatures on blocking threads (never under the lock), and hands
//! verified transactions to the node's core task through a channel ([`Submission`]).
//!
//! Wire rules that every client depends on (see `shared/research/client-surface.md` §1):
//! bodies are JSON whatever the `Content-Type` (eosjs sends `text/plain`), an empty body means
//! `{}`, GET and POST are both served, every answer (errors included) is a JSON body, errors
//! use Antelope's `{code, message, error{code, name, what, details[]}}` shape, and times carry
//! no zone suffix.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
#![warn(missing_docs)]

mod abis;
mod accounts;
mod authorizers;
mod blocks;
mod chain_info;
mod civitas;
mod dashboard;
mod diversity;
mod dry_run;
pub mod error;
mod evidence;
mod guard;
mod header_state;
mod json;
mod keys;
mod metrics;
mod producers;
mod push;
mod render;
mod resources;
mod serve;
mod server;
mod stream;
mod table_index;
mod tables;
mod trx_status;
mod txsearch;
mod verify_pool;

use std::sync::Arc;
use std::time::Duration;

use civitas_chain::{ChainError, TransactionTrace};
use civitas_consensus::Consensus;
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Checksum256, Name, SignedBlock, TimePoint};
use serde::{Deserialize, Serialize};

pub use error::ApiError;
pub use serve::serve;
pub use server::router;

/// Everything the API needs from the node.
#[derive(Clone)]
pub struct RpcState {
    /// The node's consensus core. The API takes short read locks and copies out what it
    /// needs (decoding and rendering happen after the lock is released); only a dry run
    /// (`compute_transaction`, `send_read_only_transaction`) takes a short write lock, and
    /// leaves the core exactly as it found it.
    pub core: Arc<std::sync::RwLock<Consensus>>,
    /// Where pushed transactions go: the node's core task admits them and answers on the
    /// submission's `reply` channel.
    pub submit: tokio::sync::mpsc::Sender<Submission>,
    /// Irreversible (and, if the node keeps them, reversible) blocks by number and id.
    pub blocks: Arc<dyn BlockSource>,
    /// Version strings and the node's name.
    pub info: NodeInfo,
    /// New heads and new irreversible blocks, for `/v1/civitas/stream`.
    pub events: tokio::sync::broadcast::Sender<StreamEvent>,
    /// Extra Prometheus lines from the node (peers, apply time, …).
    pub metrics: Arc<dyn MetricsSource>,
    /// Limits and CORS.
    pub config: RpcConfig,
}

/// Transactions whose signatures the API has verified, for the node's core task to admit with
/// [`Consensus::push_transactions`]. The core answers with one result per transaction, in order.
#[derive(Debug)]
pub struct Submission {
    /// The verified transactions, in the order the client sent them.
    pub txs: Vec<VerifiedTransaction>,
    /// Where the core sends the results.
    pub reply: tokio::sync::oneshot::Sender<Vec<Result<TransactionTrace, ChainError>>>,
}

/// Blocks the node has stored.
pub trait BlockSource: Send + Sync {
    /// The block at `num` on the node's chain (irreversible blocks at least).
    fn by_num(&self, num: u32) -> Option<Arc<SignedBlock>>;
    /// The block with this id.
    fn by_id(&self, id: &Checksum256) -> Option<Arc<SignedBlock>>;
    /// The lowest block number the node can serve (`earliest_available_block_num`).
    fn earliest_num(&self) -> u32 {
        1
    }
}

/// A [`BlockSource`] with no stored blocks: only the fork database (reversible blocks and the
/// last irreversible block) is served.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoBlocks;

impl BlockSource for NoBlocks {
    fn by_num(&self, _num: u32) -> Option<Arc<SignedBlock>> {
        None
    }
    fn by_id(&self, _id: &Checksum256) -> Option<Arc<SignedBlock>> {
        None
    }
}

/// Extra metrics the node contributes to `/metrics`.
pub trait MetricsSource: Send + Sync {
    /// Appends lines in the Prometheus text format (with their `# HELP` / `# TYPE` lines).
    fn render(&self, out: &mut String);
}

/// A [`MetricsSource`] with nothing to add.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMetrics;

impl MetricsSource for NoMetrics {
    fn render(&self, _out: &mut String) {}
}

/// An event of the live stream (`/v1/civitas/stream`), sent by the node as it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The node adopted a new head block.
    Head {
        /// Its height.
        num: u32,
        /// Its id.
        id: Checksum256,
        /// Its producer.
        producer: Name,
        /// Its slot time.
        time: TimePoint,
        /// Its slot.
        slot: u64,
    },
    /// A new last irreversible block.
    Lib {
        /// Its height.
        num: u32,
        /// Its id.
        id: Checksum256,
    },
}

impl StreamEvent {
    /// The SSE event name (`head` or `lib`).
    pub fn kind(&self) -> &'static str {
        match self {
            StreamEvent::Head { .. } => "head",
            StreamEvent::Lib { .. } => "lib",
        }
    }
}

/// What the node says about itself in `get_info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// Eight hex digits identifying the build (`server_version`; Wharfkit requires a string).
    pub server_version: String,
    /// A human version (`server_version_string`, e.g. `v0.1.0`).
    pub server_version_string: String,
    /// The full version (`server_full_version_string`).
    pub server_full_version_string: String,
    /// The node's name (shown by the Civitas views).
    pub node_name: String,
}

impl Default for NodeInfo {
    fn default() -> Self {
        let version = env!("CARGO_PKG_VERSION");
        let hash = civitas_protocol::sha256(format!("civitas-{version}").as_bytes());
        NodeInfo {
            server_version: hash.to_string()[..8].to_string(),
            server_version_string: format!("v{version}"),
            server_full_version_string: format!("v{version}-civitas"),
            node_name: "civitas".into(),
        }
    }
}

/// Limits of the HTTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcConfig {
    /// Largest request body in bytes (default 2 MiB); larger bodies get 413.
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered with a timeout error (default 30 s).
    pub request_timeout: Duration,
    /// Allowed CORS origins; `"*"` (the default) allows any.
    pub cors_origins: Vec<String>,
    /// Most transactions in one `push_transactions` call (default 1000).
    pub max_push_transactions: usize,
    /// Most rows one `get_table_rows` / `get_producers` page returns (default 1000).
    pub max_table_rows: usize,
    /// Interval of SSE keep-alive comments (default 15 s).
    pub stream_keep_alive: Duration,
    /// Longest request target (path and query) in bytes (default 16 KiB, at most 65 534);
    /// longer gets 414. Enforced by [`serve`].
    pub max_target_bytes: usize,
    /// Largest request head (request line and header fields) in bytes (default 64 KiB); larger
    /// gets 431. Enforced by [`serve`].
    pub max_head_bytes: usize,
    /// Most header fields in a request (default 100); more gets 431. Enforced by [`serve`].
    pub max_headers: usize,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            max_body_bytes: 2 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            cors_origins: vec!["*".into()],
            max_push_transactions: 1000,
            max_table_rows: 1000,
            stream_keep_alive: Duration::from_secs(15),
            max_target_bytes: 16 * 1024,
            max_head_bytes: 64 * 1024,
            max_headers: 100,
        }
    }
}
