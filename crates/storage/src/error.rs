//! The storage error type.
//!
//! Every failure names the file it concerns, so the node can print one line that an operator can
//! act on. Write and sync failures are never retried inside this crate: after a failed `fsync`
//! Linux may already have dropped the dirty pages and a second `fsync` can report success for data
//! that is gone, so the only safe reaction is to stop the node and let the next open recover from
//! what is really on disk.

use std::io;
use std::path::PathBuf;

use civitas_protocol::Checksum256;
use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A storage failure.
#[derive(Debug, Error)]
pub enum StorageError {
    /// An operating-system I/O call failed. On a write or sync path the caller must stop the
    /// node: the on-disk state is unknown until the next open re-scans it.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done ("append to", "fsync", "rename", ...).
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
    /// A file's content failed verification.
    #[error("{path} is corrupt at byte {offset}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first bad data.
        offset: u64,
        /// What is wrong and what to do about it.
        reason: String,
    },
    /// Another process holds the data directory's lock.
    #[error("{path} is locked by another process (is another node running on this data directory?)")]
    Locked {
        /// The locked file.
        path: PathBuf,
    },
    /// An earlier write or sync of the block log failed; the log refuses all further work.
    #[error(
        "block log {path} is unusable after an earlier write or sync failure; stop the node and restart it \
         (opening the log re-scans and repairs what is really on disk)"
    )]
    Poisoned {
        /// The log file.
        path: PathBuf,
    },
    /// A record payload exceeds [`crate::MAX_PAYLOAD_LEN`]. Nothing was written.
    #[error("record payload of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Payload length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A LIB advance that the log refuses (unknown block, LIB moving backwards, or a new LIB that
    /// does not descend from the current one). Nothing was written.
    #[error("cannot record LIB {num} ({id}): {reason}")]
    InvalidLib {
        /// Requested LIB number.
        num: u32,
        /// Requested LIB id.
        id: Checksum256,
        /// Why it was refused.
        reason: String,
    },
    /// `records_from` was given an offset that is not inside the log.
    #[error("offset {offset} is beyond the end of the block log ({len} bytes)")]
    OffsetOutOfRange {
        /// Requested offset.
        offset: u64,
        /// Current log length.
        len: u64,
    },
}

impl StorageError {
    /// Wraps an I/O error with the operation and path.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StorageError::Io { op, path: path.into(), source }
    }

    /// A corruption error.
    pub(crate) fn corrupt(path: impl Into<PathBuf>, offset: u64, reason: impl Into<String>) -> Self {
        StorageError::Corrupt { path: path.into(), offset, reason: reason.into() }
    }
}
