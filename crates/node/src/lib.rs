//! The Civitas node (SPEC §10): the deterministic consensus core wired to durable storage, the
//! P2P network, the HTTP API and the wall clock, plus `civitas localnet`, which runs a whole
//! producer network on one machine.
//!
//! Data flow: network events → verification on all cores ([`pipeline`]) → the state thread
//! ([`state`]), the only place the core runs → group-committed storage ([`store`]) → blocks,
//! approvals and transactions to peers, events to the API's stream.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
#![warn(missing_docs)]

pub mod clock;
pub mod config;
pub mod datadir;
pub mod init;
pub mod localnet;
pub mod metrics;
pub mod pipeline;
pub mod ports;
pub mod run;
pub mod state;
pub mod store;
pub mod sync;

pub use config::NodeConfig;
pub use init::{init, InitOptions};
pub use run::{run, RunOptions};
