//! The Civitas DPoS consensus core (SPEC §3), sans-IO: slots and rounds, elections and the
//! shuffle, block production and validation, the fork database and fork choice, finality
//! from votes carried in blocks, double-production evidence. See `docs/consensus.md`.
//!
//! The core is driven by [`Input`]s and reports what to do in an [`Output`]; the node shell
//! wires it to the clock, the network and the disk, and the simulator to virtual ones.

mod approvals;
pub mod checkpoint;
mod core;
mod dry_run;
pub mod error;
mod exec;
pub mod finality;
pub mod forkdb;
pub mod params;
pub mod pool;
mod produce;
pub mod records;
pub mod schedule;
mod switch;
pub mod validate;
pub mod verifier;

pub use crate::core::{
    genesis_block, genesis_schedule, BlockLimits, Consensus, CoreConfig, Input, LocalProducer, Output, PeerId,
    Watermark,
};
pub use approvals::MAX_APPROVALS;
pub use error::BlockError;
pub use forkdb::BlockEntry;
pub use params::Params;
pub use verifier::{DirectVerifier, MemoVerifier, SigVerifier};
