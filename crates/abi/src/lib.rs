//! Antelope ABIs for Civitas: the `abi_def` structure (JSON as `get_abi` returns it, binary as
//! `setabi` / `get_raw_abi` carry it) and an ABI-driven serializer that converts action data and
//! table rows between nodeos-compatible JSON and the Antelope binary format.
//!
//! ```
//! use civitas_abi::{Abi, AbiDef};
//! use serde_json::json;
//!
//! let def: AbiDef = serde_json::from_value(json!({
//!     "version": "eosio::abi/1.2",
//!     "structs": [{"name": "transfer", "base": "", "fields": [
//!         {"name": "from", "type": "name"}, {"name": "to", "type": "name"},
//!         {"name": "quantity", "type": "asset"}, {"name": "memo", "type": "string"}]}],
//!     "actions": [{"name": "transfer", "type": "transfer", "ricardian_contract": ""}]
//! })).unwrap();
//! let abi = Abi::new(def).unwrap();
//! let data = json!({"from": "alice", "to": "bob", "quantity": "1.0000 EOS", "memo": "hi"});
//! let bytes = abi.json_to_binary("transfer", &data).unwrap();
//! assert_eq!(abi.binary_to_json("transfer", &bytes).unwrap(), data);
//! ```
//!
//! JSON objects are built in field order; they keep that order when `serde_json`'s
//! `preserve_order` feature is enabled anywhere in the build, and are sorted by key otherwise.
//!
//! This crate is pure: no clocks, threads or randomness.

#![warn(missing_docs)]

mod abi;
mod builtins;
pub mod def;
pub mod error;
mod from_json;
mod numbers;
mod resolve;
mod to_json;
mod types;

#[cfg(test)]
mod conversion_tests;
#[cfg(test)]
mod proptests;

pub use abi::Abi;
pub use def::{
    AbiDef, AbiExtension, ActionDef, ActionResultDef, ClausePair, ErrorMessage, FieldDef, StructDef, TableDef, TypeDef,
    VariantDef,
};
pub use error::AbiError;
pub use types::MAX_DEPTH;

/// The names of the builtin types every ABI may use without defining them.
pub fn builtin_type_names() -> impl Iterator<Item = &'static str> {
    builtins::BUILTINS.iter().map(|(_, name)| *name)
}
