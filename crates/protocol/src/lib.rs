//! Civitas protocol types: the Antelope binary codec, names, assets, time, digests, K1 keys and
//! signatures, authorities, actions, transactions and blocks.
//!
//! This crate is pure: no clocks, threads, sockets or randomness (see `clippy.toml`).

pub mod asset;
pub mod checksum;
pub mod codec;
pub mod crypto;
pub mod error;
pub mod name;
pub mod time;

pub use asset::{Asset, ExtendedAsset, Symbol, SymbolCode};
pub use checksum::{sha256, Bytes, Checksum160, Checksum256, Checksum512};
pub use codec::{Pack, Reader, Unpack, VarUint32};
pub use crypto::{PrivateKey, PublicKey, Signature};
pub use error::{CodecError, ParseError};
pub use name::Name;
pub use time::{BlockTimestamp, TimePoint, TimePointSec};
pub mod action;
pub mod authority;
pub mod transaction;

pub use action::{Action, Extension};
pub use authority::{Authority, KeyWeight, PermissionLevel, PermissionLevelWeight, WaitWeight};
pub use transaction::{Compression, PackedTransaction, Transaction, VerifiedTransaction};
pub mod block;
pub mod evidence;
pub mod limits;

pub use block::{Approval, BlockHeader, ProducerKey, ProducerSchedule, SignedBlock, Vote};
pub use evidence::{DoubleSignEvidence, Evidence, SignedVote, VoteEvidence};
