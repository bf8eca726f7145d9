//! Errors of the codec and the text parsers.

use thiserror::Error;

/// A binary decoding failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The input ended before a value was complete.
    #[error("unexpected end of input: needed {needed} bytes, {remaining} remain")]
    UnexpectedEnd {
        /// Bytes the value needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A length prefix announced more elements than the input can hold.
    #[error("declared length {declared} exceeds the {remaining} bytes that remain")]
    LengthTooLarge {
        /// The declared element count.
        declared: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A `varuint32` was longer than 5 bytes or did not fit 32 bits.
    #[error("varuint32 overflow")]
    VarintOverflow,
    /// A `varuint32` padded with redundant zero groups.
    #[error("non-minimal varuint32 encoding")]
    NonCanonicalVarint,
    /// Input remained after the value.
    #[error("{0} trailing bytes after the value")]
    TrailingBytes(usize),
    /// A `bool` byte other than 0 or 1.
    #[error("invalid bool byte {0}")]
    InvalidBool(u8),
    /// An optional flag other than 0 or 1.
    #[error("invalid optional flag {0}")]
    InvalidOptionFlag(u8),
    /// A string that is not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A variant index with no matching alternative.
    #[error("unknown variant index {0}")]
    UnknownVariant(u32),
    /// A value that decoded but is not valid for its type.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The type being decoded.
        what: &'static str,
        /// Why it is invalid.
        reason: String,
    },
}

impl CodecError {
    /// An invalid-value error.
    pub fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        CodecError::Invalid { what, reason: reason.into() }
    }
}

/// A failure to parse a text form (name, asset, key, time...).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {what} {input:?}: {reason}")]
pub struct ParseError {
    /// The kind of value.
    pub what: &'static str,
    /// The offending input (truncated to 80 characters).
    pub input: String,
    /// Why it was rejected.
    pub reason: String,
}

impl ParseError {
    /// A parse error for `input`.
    pub fn new(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        ParseError { what, input: input.chars().take(80).collect(), reason: reason.into() }
    }
}
