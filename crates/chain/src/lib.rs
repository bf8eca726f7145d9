//! The Civitas chain state machine: pure and deterministic. Given the same genesis and the same
//! blocks, every node computes the same state and the same state commitment.
//!
//! * [`state`] — the row store with nested undo sessions and the change-set commitment.
//! * [`records`] — the chain's own records: accounts, permissions, TAPOS, recent ids.
//! * [`auth`] — authority checking with weights, thresholds and nested permissions.
//! * [`contracts`] — native `eosio` and `eosio.token`.
//! * [`chain`] — blocks and transactions: validation, application, undo.
//! * [`genesis`] — the genesis file, chain id and initial state.
//! * [`election`], [`hooks`] — elections at round boundaries; production statistics and pay.
//! * [`abis`], [`query`] — the native contracts' ABIs and table reads for the API.
//! * [`resources`] — CPU and NET by stake: usage, elastic limits, the billing schedule.
//! * [`transient`] — dry-run and read-only transactions (executed, then forgotten).

pub mod abis;
pub mod auth;
pub mod chain;
pub mod contracts;
pub mod election;
pub mod error;
pub mod genesis;
pub mod genesis_state;
pub mod hooks;
pub mod names;
pub mod query;
pub mod records;
pub mod resources;
pub mod state;
pub mod transient;

pub use chain::{Chain, ChainConfig, TransactionTrace};
pub use contracts::BlockInfo;
pub use error::ChainError;
pub use genesis::{Genesis, GenesisAccount, GenesisError, GenesisProducer, GovernanceParams};
pub use query::TableRows;
pub use transient::Transient;
