//! Errors of ABI validation and of ABI-driven conversion.
//!
//! Conversion errors carry the path of the failing value (`transfer.quantity`,
//! `voteproducer.producers[2]`) because the API shows them to users who only see their JSON.

use civitas_protocol::CodecError;
use thiserror::Error;

/// A failure to load an ABI or to convert a value with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AbiError {
    /// The ABI (or a caller) names a type that is neither builtin nor defined in the ABI.
    #[error("unknown type \"{ty}\" (used by {used_by})")]
    UnknownType {
        /// The type name that did not resolve.
        ty: String,
        /// Where it was referenced, e.g. `struct transfer field quantity`.
        used_by: String,
    },
    /// A name is defined twice (among builtins, typedefs, structs and variants, or among actions,
    /// tables, action results or error codes).
    #[error("duplicate definition of {0}")]
    Duplicate(String),
    /// A typedef or struct refers back to itself without an array, optional or extension in
    /// between, so no finite value of it exists.
    #[error("circular type definition: {0}")]
    Cycle(String),
    /// The ABI breaks another rule (version, misplaced `$`, a base that is not a struct...).
    #[error("invalid ABI: {0}")]
    Invalid(String),
    /// The binary form of an `abi_def` (as in `setabi` or `get_raw_abi`) did not decode.
    #[error("invalid ABI binary: {0}")]
    Codec(#[from] CodecError),
    /// Binary data did not decode as the requested type.
    #[error("{path}: {reason}")]
    Binary {
        /// Path of the value being decoded.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A JSON value did not encode as the requested type.
    #[error("{path}: {reason}")]
    Json {
        /// Path of the offending value.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl AbiError {
    /// The value path of a conversion error (`None` for definition errors).
    pub fn path(&self) -> Option<&str> {
        match self {
            AbiError::Binary { path, .. } | AbiError::Json { path, .. } => Some(path),
            _ => None,
        }
    }
}
