//! Civitas peer-to-peer layer.
//!
//! A thin transport of our own: TCP, a Noise XX handshake (`snow`,
//! `Noise_XX_25519_ChaChaPoly_BLAKE2s`), length-delimited frames carried in Noise transport
//! messages, messages in the Antelope codec of `civitas-protocol`, flood gossip with a bounded
//! seen-set, block requests for sync, and a peer manager with bans, penalties and rate
//! limits. `docs/network.md` describes the wire format and the limits.
//!
//! The node starts it with [`Network::start`], receives [`NetEvent`]s, and drives it with the
//! [`NetHandle`]. The network delivers and sends; deciding what is valid and what to relay is
//! the node's job.
//!
//! ```no_run
//! # async fn example(chain_id: civitas_protocol::Checksum256) -> Result<(), civitas_network::NetError> {
//! use civitas_network::{NetConfig, NetEvent, Network, NodeKey, Severity};
//!
//! let mut cfg = NetConfig::new(chain_id, NodeKey::generate()?);
//! cfg.listen_addr = Some("0.0.0.0:9876".parse().unwrap());
//! cfg.peers = vec!["peer.example:9876".into()];
//! let (net, mut events) = Network::start(cfg).await?;
//! while let Some(ev) = events.recv().await {
//!     match ev {
//!         NetEvent::Block { peer, block } => {
//!             let valid = true; // the chain decides
//!             if valid {
//!                 net.broadcast_block(&block);
//!             } else {
//!                 net.penalize(&peer, "invalid block", Severity::Fatal);
//!             }
//!         }
//!         NetEvent::GetBlocks { from_num, count, reply, .. } => {
//!             let blocks = vec![]; // read `count` blocks from `from_num` out of storage
//!             let _ = (from_num, count);
//!             reply.send(&blocks);
//!         }
//!         _ => {}
//!     }
//! }
//! net.shutdown().await;
//! # Ok(()) }
//! ```

// This crate does I/O and reads clocks; the deterministic-core rules of clippy.toml do not
// apply to it.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
#![warn(missing_docs)]

mod bans;
mod config;
mod error;
mod events;
mod handle;
mod identity;
mod manager;
mod message;
mod metrics;
mod peer;
mod ratelimit;
mod seen;
mod shared;
pub mod transport;

pub use bans::{BanInfo, BanTarget};
pub use config::{NetConfig, RateLimitConfig};
pub use error::{DisconnectReason, NetError};
pub use events::{BlockReply, Direction, NetEvent, PeerInfo};
pub use handle::{NetHandle, Network};
pub use identity::{identity_digest, NodeKey, PeerId, PeerIdentity};
pub use message::{
    ChainStatus, Hello, Message, RequestId, MAX_ADDR_LEN, MAX_BLOCKS_PER_MESSAGE, MAX_NODE_NAME_LEN, MAX_PEER_ADDRS,
    MIN_PROTOCOL_VERSION, PROTOCOL_VERSION,
};
pub use metrics::NetMetrics;
pub use ratelimit::Severity;
pub use tokio_util::sync::CancellationToken;
