//! The Civitas DPoS consensus core (SPEC §3), sans-IO: slots and rounds, elections and the
//! shuffle, block production and validation, the fork database and fork choice, finality
//! from votes carried in blocks, double-production evidence. See `docs/consensus.md`.
//!
//! The core is driven by [`Input`]s and reports what to do in an [`Output`]; the node shell
//! wires it to the clock, the network and the disk, and the simulator to virtual ones.
//!
//! Rules that need no node state (votes, approvals, conflicts, limits) are pure functions in
//! [`rules`]; the `impl Consensus` files each hold one concern: receiving blocks (`receive`),
//! deriving schedules (`basis`), executing (`exec`), producing (`produce`), fork switching
//! (`switch`), approvals (`approvals`) and evidence (`evidence`).

pub mod admission;
pub mod approval_pool;
mod approvals;
pub mod basis;
pub mod checkpoint;
mod core;
mod dry_run;
pub mod error;
mod evidence;
mod exec;
pub mod finality;
pub mod forkdb;
pub mod params;
pub mod pool;
mod produce;
mod receive;
pub mod records;
pub mod rules;
pub mod schedule;
mod switch;
pub mod validate;
pub mod verifier;

pub use crate::core::{
    genesis_block, genesis_schedule, AppliedBlock, BlockLimits, Consensus, CoreConfig, Input, LocalProducer, Output,
    PeerId, Watermark,
};
pub use error::BlockError;
pub use evidence::MAX_PENDING_EVIDENCE;
pub use forkdb::BlockEntry;
pub use params::Params;
pub use receive::{MAX_FORKDB_BLOCKS, MAX_REVERSIBLE_BLOCKS};
pub use verifier::{DirectVerifier, MemoVerifier, SigVerifier};
