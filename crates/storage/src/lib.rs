//! Civitas durable storage (design (b) of `docs/storage.md`): the chain state lives in memory;
//! this crate makes it survive `kill -9` and power loss.
//!
//! - [`BlockLog`]: every accepted block (all forks) and every LIB advance, appended to one
//!   checksummed file and made durable by an explicit [`BlockLog::sync`] once per node step.
//! - [`Checkpoints`]: the whole in-memory state as opaque bytes, written atomically now and then;
//!   restart = newest verified checkpoint + replay of the log records after its log offset.
//!   [`export_snapshot`] / [`import_snapshot`] use the same verified format.
//! - [`WatermarkFile`]: what a producer has signed, replaced atomically and fsynced before any
//!   signed block leaves the node.
//!
//! Every file is verified on open (CRC32 per log record, SHA-256 per checkpoint, CRC32 for the
//! watermark). A torn tail of the log — what a crash does to unsynced appends — is truncated and
//! reported; damage anywhere else is a [`StorageError::Corrupt`] naming the file and offset, and
//! the node must refuse to start. Any I/O error on a write or sync path must stop the node.
//!
//! Unix only (positioned reads, directory fsync).

mod checkpoint;
mod error;
mod fsutil;
mod index;
mod log;
mod record;
mod scan;
mod watermark;

pub use checkpoint::{
    export_snapshot, import_snapshot, Checkpoint, Checkpoints, LatestCheckpoint, SkippedCheckpoint, Snapshot,
    CHECKPOINTS_KEPT, STATE_HEADER_LEN, STATE_MAGIC, STATE_VERSION,
};
pub use error::{Result, StorageError};
pub use log::{BlockLog, OpenOptions, OpenReport, RecordIter, Truncation, BLOCK_LOG_FILE};
pub use record::{Record, RecordKind, LOG_FILE_HEADER_LEN, LOG_MAGIC, LOG_VERSION, MAX_PAYLOAD_LEN, RECORD_HEADER_LEN};
pub use watermark::{WatermarkFile, WATERMARK_FILE};
