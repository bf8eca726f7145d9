//! File reads and atomic writes (temporary file, fsync, rename, fsync of the directory), with
//! mode 0600 on Unix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::{random_fill, KeystoreError};

/// Largest keystore file read: far above any real one (a key is ~150 bytes), and it keeps a
/// stray large file from being loaded into memory whole.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

fn io_err(path: &Path, source: io::Error) -> KeystoreError {
    KeystoreError::Io { path: path.to_path_buf(), source }
}

/// Reads a keystore file.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, KeystoreError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => KeystoreError::NotFound(path.to_path_buf()),
        _ => io_err(path, e),
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| io_err(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(KeystoreError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("larger than {MAX_FILE_BYTES} bytes"),
        });
    }
    Ok(bytes)
}

/// Writes `bytes` to a new file at `path`; fails with `AlreadyExists` if there is one.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<(), KeystoreError> {
    if path.exists() {
        return Err(KeystoreError::AlreadyExists(path.to_path_buf()));
    }
    let dir = parent_dir(path);
    fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    let tmp = write_temp(path, &dir, bytes)?;
    // A hard link never replaces an existing file, so two concurrent creators cannot overwrite
    // each other's keys (a rename would).
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(KeystoreError::AlreadyExists(path.to_path_buf()))
        }
        Err(e) => return Err(io_err(path, e)),
    }
    sync_dir(&dir)
}

/// Atomically replaces the file at `path` with `bytes`.
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> Result<(), KeystoreError> {
    let dir = parent_dir(path);
    let tmp = write_temp(path, &dir, bytes)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    sync_dir(&dir)
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes and fsyncs a uniquely named temporary file next to `path` (same file system, so the
/// rename or link is atomic).
fn write_temp(path: &Path, dir: &Path, bytes: &[u8]) -> Result<PathBuf, KeystoreError> {
    let mut suffix = [0u8; 8];
    random_fill(&mut suffix)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "keystore".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(suffix)));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Created 0600 from the start: the secrets are never readable by others, not even
            // for a moment.
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(&tmp, e));
    }
    Ok(tmp)
}

fn sync_dir(dir: &Path) -> Result<(), KeystoreError> {
    // Makes the rename durable. Directories cannot be opened for syncing on every platform.
    #[cfg(unix)]
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_err(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
