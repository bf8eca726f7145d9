//! [`Checkpoints`]: atomic, verified snapshots of the node's in-memory state as opaque bytes, and
//! exported state snapshots in the same format.
//!
//! ```text
//! header (64 bytes):
//!   0..8    magic "CIVSTATE"
//!   8..12   u32 LE format version (1)
//!   12..16  u32 LE lib_num
//!   16..24  u64 LE log_offset (0 in an exported snapshot)
//!   24..32  u64 LE payload length
//!   32..64  sha256(header[0..32] ‖ payload)
//! payload
//! ```
//!
//! The digest covers the header fields too, so a flipped offset or number is caught like a
//! flipped payload byte.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use civitas_protocol::checksum::sha256_concat;

use crate::error::{Result, StorageError};
use crate::fsutil::{atomic_write, ensure_dir};

/// Magic bytes of a checkpoint or snapshot file.
pub const STATE_MAGIC: [u8; 8] = *b"CIVSTATE";

/// Current checkpoint format version.
pub const STATE_VERSION: u32 = 1;

/// Length of the checkpoint header.
pub const STATE_HEADER_LEN: usize = 64;

/// How many verified checkpoints are kept; the older one is the fallback when the newest turns
/// out to be damaged.
pub const CHECKPOINTS_KEPT: usize = 2;

const PREFIX: &str = "checkpoint-";
const SUFFIX: &str = ".bin";
const TMP_SUFFIX: &str = ".tmp";

/// A verified checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Block-log offset the state corresponds to: replay records from here.
    pub log_offset: u64,
    /// The LIB number when the checkpoint was taken.
    pub lib_num: u32,
    /// The opaque state.
    pub bytes: Vec<u8>,
    /// The file it came from.
    pub path: PathBuf,
}

/// A checkpoint file that was passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedCheckpoint {
    /// The file.
    pub path: PathBuf,
    /// Why it was not used. Log it as a warning.
    pub reason: String,
    /// True when the file was deleted (it refers to log data that no longer exists).
    pub deleted: bool,
}

/// Result of [`Checkpoints::latest`]: the newest checkpoint that verifies, and the newer ones
/// that did not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LatestCheckpoint {
    /// The checkpoint to start from, if any verifies.
    pub checkpoint: Option<Checkpoint>,
    /// Newer files passed over.
    pub skipped: Vec<SkippedCheckpoint>,
}

/// An imported state snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The LIB number of the exported state.
    pub lib_num: u32,
    /// The opaque state.
    pub bytes: Vec<u8>,
}

/// The checkpoint directory.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
}

impl Checkpoints {
    /// Opens (creating if needed) the checkpoint directory and removes temporary files left by
    /// writes that a crash interrupted: they were never renamed, so no reader relies on them.
    pub fn open(dir: impl AsRef<Path>) -> Result<Checkpoints> {
        let dir = dir.as_ref().to_path_buf();
        ensure_dir(&dir)?;
        for entry in read_dir(&dir)? {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(PREFIX) && name.ends_with(TMP_SUFFIX) {
                let p = entry.path();
                fs::remove_file(&p).map_err(|e| StorageError::io("remove", &p, e))?;
            }
        }
        Ok(Checkpoints { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a checkpoint atomically: `checkpoint-<lib_num>.tmp`, fsync, rename to
    /// `checkpoint-<lib_num>.bin`, fsync the directory; then deletes all but the newest
    /// [`CHECKPOINTS_KEPT`]. Returns the new file's path.
    ///
    /// `log_offset` must not exceed the block log's [`synced_len`](crate::BlockLog::synced_len):
    /// a checkpoint that includes blocks the log could still lose in a crash would describe a
    /// state the log cannot reproduce.
    pub fn write(&self, log_offset: u64, lib_num: u32, bytes: &[u8]) -> Result<PathBuf> {
        let name = file_name(lib_num);
        let header = encode_header(lib_num, log_offset, bytes);
        atomic_write(&self.dir, &format!("{PREFIX}{lib_num:010}{TMP_SUFFIX}"), &name, &[&header, bytes])?;
        for (_, old) in self.list()?.into_iter().skip(CHECKPOINTS_KEPT) {
            // A crash before this delete only leaves an extra old file behind.
            fs::remove_file(&old).map_err(|e| StorageError::io("remove", &old, e))?;
        }
        Ok(self.dir.join(name))
    }

    /// Checkpoint files by LIB number, newest first.
    pub fn list(&self) -> Result<Vec<(u32, PathBuf)>> {
        let mut out = Vec::new();
        for entry in read_dir(&self.dir)? {
            let name = entry.file_name();
            let Some(num) = name.to_str().and_then(parse_file_name) else { continue };
            out.push((num, entry.path()));
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.0));
        Ok(out)
    }

    /// The newest checkpoint that verifies. Damaged newer files are skipped and reported.
    pub fn latest(&self) -> Result<LatestCheckpoint> {
        self.select(None)
    }

    /// Like [`latest`](Self::latest), but also passes over (and deletes) checkpoints whose log
    /// offset lies beyond `log_len`, the length of the block log as opened. Such a checkpoint
    /// saw records that were lost from the log's unsynced tail; it is deleted because once the
    /// log grows past that offset again the offset would point into different records.
    pub fn latest_within(&self, log_len: u64) -> Result<LatestCheckpoint> {
        self.select(Some(log_len))
    }

    fn select(&self, log_len: Option<u64>) -> Result<LatestCheckpoint> {
        let mut out = LatestCheckpoint::default();
        for (num, path) in self.list()? {
            match read_verified(&path) {
                Ok((lib_num, _, _)) if lib_num != num => out.skipped.push(SkippedCheckpoint {
                    reason: format!("header says LIB {lib_num} but the file name says {num}"),
                    path,
                    deleted: false,
                }),
                Ok((_, log_offset, _)) if log_len.is_some_and(|len| log_offset > len) => {
                    fs::remove_file(&path).map_err(|e| StorageError::io("remove", &path, e))?;
                    out.skipped.push(SkippedCheckpoint {
                        reason: format!(
                            "refers to block-log offset {log_offset}, beyond the log's end {} (the log lost an \
                             unsynced tail)",
                            log_len.unwrap_or_default()
                        ),
                        path,
                        deleted: true,
                    });
                }
                Ok((lib_num, log_offset, bytes)) => {
                    out.checkpoint = Some(Checkpoint { log_offset, lib_num, bytes, path });
                    return Ok(out);
                }
                Err(reason) => out.skipped.push(SkippedCheckpoint { path, reason, deleted: false }),
            }
        }
        Ok(out)
    }
}

/// Exports a state snapshot to `path` (atomically, in the checkpoint format with log offset 0),
/// for starting another node from it.
pub fn export_snapshot(path: impl AsRef<Path>, lib_num: u32, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| {
            StorageError::io("export snapshot to", path, std::io::Error::other("the path has no file name"))
        })?
        .to_string_lossy()
        .into_owned();
    ensure_dir(&dir)?;
    let header = encode_header(lib_num, 0, bytes);
    atomic_write(&dir, &format!("{name}{TMP_SUFFIX}"), &name, &[&header, bytes])
}

/// Reads and verifies a snapshot written by [`export_snapshot`] (or a checkpoint file).
pub fn import_snapshot(path: impl AsRef<Path>) -> Result<Snapshot> {
    let path = path.as_ref();
    // Distinguish "cannot read" (an I/O error with its own message) from "read but wrong".
    File::open(path).map_err(|e| StorageError::io("open", path, e))?;
    read_verified(path)
        .map(|(lib_num, _, bytes)| Snapshot { lib_num, bytes })
        .map_err(|reason| StorageError::corrupt(path, 0, reason))
}

fn file_name(lib_num: u32) -> String {
    // Zero-padded so a directory listing sorts in LIB order.
    format!("{PREFIX}{lib_num:010}{SUFFIX}")
}

fn parse_file_name(name: &str) -> Option<u32> {
    let digits = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    fs::read_dir(dir)
        .and_then(|it| it.collect::<std::io::Result<Vec<_>>>())
        .map_err(|e| StorageError::io("list directory", dir, e))
}

fn encode_header(lib_num: u32, log_offset: u64, payload: &[u8]) -> [u8; STATE_HEADER_LEN] {
    let mut h = [0u8; STATE_HEADER_LEN];
    h[..8].copy_from_slice(&STATE_MAGIC);
    h[8..12].copy_from_slice(&STATE_VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&lib_num.to_le_bytes());
    h[16..24].copy_from_slice(&log_offset.to_le_bytes());
    h[24..32].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    let digest = sha256_concat(&[&h[..32], payload]);
    h[32..].copy_from_slice(&digest.0);
    h
}

/// Reads and verifies a checkpoint file: `(lib_num, log_offset, payload)`, or why it is unusable.
fn read_verified(path: &Path) -> Result<(u32, u64, Vec<u8>), String> {
    let mut f = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let len = f.metadata().map_err(|e| format!("cannot stat: {e}"))?.len();
    if len < STATE_HEADER_LEN as u64 {
        return Err(format!("truncated: {len} bytes, shorter than the {STATE_HEADER_LEN}-byte header"));
    }
    let mut h = [0u8; STATE_HEADER_LEN];
    f.read_exact(&mut h).map_err(|e| format!("cannot read the header: {e}"))?;
    if h[..8] != STATE_MAGIC {
        return Err("not a Civitas state file (bad magic)".into());
    }
    let version = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
    if version != STATE_VERSION {
        return Err(format!("format version {version} is not supported (this build reads {STATE_VERSION})"));
    }
    let lib_num = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
    let mut b8 = [0u8; 8];
    b8.copy_from_slice(&h[16..24]);
    let log_offset = u64::from_le_bytes(b8);
    b8.copy_from_slice(&h[24..32]);
    let payload_len = u64::from_le_bytes(b8);
    let actual = len - STATE_HEADER_LEN as u64;
    if payload_len != actual {
        return Err(format!(
            "truncated or extended: the header announces {payload_len} payload bytes, the file holds {actual}"
        ));
    }
    // The allocation is bounded by the file's real size, not by a header field.
    let mut payload = Vec::with_capacity(actual as usize);
    f.read_to_end(&mut payload).map_err(|e| format!("cannot read the payload: {e}"))?;
    if payload.len() as u64 != actual {
        return Err("the file changed size while being read".into());
    }
    if sha256_concat(&[&h[..32], &payload]).0[..] != h[32..] {
        return Err("SHA-256 mismatch: the header or payload is damaged".into());
    }
    Ok((lib_num, log_offset, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_roundtrip_and_reject_others() {
        assert_eq!(parse_file_name(&file_name(42)), Some(42));
        assert_eq!(parse_file_name("checkpoint-42.bin"), Some(42));
        assert_eq!(parse_file_name("checkpoint-.bin"), None);
        assert_eq!(parse_file_name("checkpoint-+4.bin"), None);
        assert_eq!(parse_file_name("checkpoint-0000000042.tmp"), None);
        assert_eq!(parse_file_name("checkpoint-99999999999.bin"), None);
    }
}
