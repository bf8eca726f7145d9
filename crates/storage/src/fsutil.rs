//! Small file-system helpers shared by the checkpoint and watermark files.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::{Result, StorageError};

/// Creates `dir` (and parents) if needed.
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| StorageError::io("create directory", dir, e))
}

/// Fsyncs a directory, which makes a create, rename or unlink inside it durable. Without this a
/// crash right after a rename may bring back the old name on some file systems.
pub(crate) fn fsync_dir(dir: &Path) -> Result<()> {
    let d = File::open(dir).map_err(|e| StorageError::io("open directory", dir, e))?;
    d.sync_all().map_err(|e| StorageError::io("fsync directory", dir, e))
}

/// Atomically replaces `dir/name` with the concatenation of `parts`: writes `dir/tmp_name`,
/// fsyncs it, renames it over `name` and fsyncs the directory. A crash at any point leaves either
/// the old file or the new one under `name` (plus possibly a stale temporary file).
pub(crate) fn atomic_write(dir: &Path, tmp_name: &str, name: &str, parts: &[&[u8]]) -> Result<()> {
    let tmp = dir.join(tmp_name);
    let dst = dir.join(name);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| StorageError::io("create", &tmp, e))?;
    for p in parts {
        f.write_all(p).map_err(|e| StorageError::io("write", &tmp, e))?;
    }
    // The data must be on disk before the rename can expose it under the final name.
    f.sync_all().map_err(|e| StorageError::io("fsync", &tmp, e))?;
    drop(f);
    fs::rename(&tmp, &dst).map_err(|e| StorageError::io("rename", &tmp, e))?;
    fsync_dir(dir)
}
