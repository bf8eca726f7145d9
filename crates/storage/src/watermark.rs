//! [`WatermarkFile`]: the producer's record of what it has signed, replaced atomically.
//!
//! The node stores the watermark **before** a signed block leaves it. After a crash the file holds
//! either the old or the new watermark, never a mix, because the new content is written to a
//! temporary file, fsynced, and renamed over the old one (then the directory is fsynced so the
//! rename itself survives).
//!
//! ```text
//! "CIVWMARK" | u32 LE version (1) | u32 LE payload length | u32 LE crc32(payload) | payload
//! ```
//!
//! A damaged watermark is an error, not an empty watermark: producing without knowing what was
//! already signed could sign two blocks for one slot.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};
use crate::fsutil::{atomic_write, ensure_dir};

/// File name of the watermark inside its directory.
pub const WATERMARK_FILE: &str = "watermark.bin";
const WATERMARK_TMP: &str = "watermark.tmp";
const MAGIC: [u8; 8] = *b"CIVWMARK";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 20;

/// The producer watermark file in a directory.
#[derive(Debug, Clone)]
pub struct WatermarkFile {
    dir: PathBuf,
}

impl WatermarkFile {
    /// The watermark file in `dir` (created on the first store).
    pub fn open(dir: impl AsRef<Path>) -> Result<WatermarkFile> {
        let dir = dir.as_ref().to_path_buf();
        ensure_dir(&dir)?;
        Ok(WatermarkFile { dir })
    }

    /// Path of the watermark file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(WATERMARK_FILE)
    }

    /// The stored watermark; empty when none was ever stored. A damaged file is
    /// [`StorageError::Corrupt`].
    pub fn load(&self) -> Result<Vec<u8>> {
        let path = self.path();
        let data = match fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StorageError::io("read", &path, e)),
        };
        decode(&data).map_err(|reason| {
            StorageError::corrupt(
                &path,
                0,
                format!(
                    "{reason}; refusing to produce without knowing what was signed (restore the watermark or \
                     reset it deliberately)"
                ),
            )
        })
    }

    /// Replaces the watermark atomically and durably. Returns only after the new content is on
    /// disk; an error means the block it guards must not be released.
    pub fn store(&self, bytes: &[u8]) -> Result<()> {
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(&MAGIC);
        header[8..12].copy_from_slice(&VERSION.to_le_bytes());
        let len = u32::try_from(bytes.len())
            .map_err(|_| StorageError::TooLarge { len: bytes.len(), max: u32::MAX as usize })?;
        header[12..16].copy_from_slice(&len.to_le_bytes());
        header[16..20].copy_from_slice(&crc32fast::hash(bytes).to_le_bytes());
        atomic_write(&self.dir, WATERMARK_TMP, WATERMARK_FILE, &[&header, bytes])
    }
}

fn decode(data: &[u8]) -> Result<Vec<u8>, String> {
    if data.len() < HEADER_LEN {
        return Err(format!("watermark file is truncated ({} bytes)", data.len()));
    }
    if data[..8] != MAGIC {
        return Err("not a Civitas watermark file (bad magic)".into());
    }
    let version = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
    if version != VERSION {
        return Err(format!("watermark format version {version} is not supported"));
    }
    let len = u32::from_le_bytes([data[12], data[13], data[14], data[15]]) as usize;
    let crc = u32::from_le_bytes([data[16], data[17], data[18], data[19]]);
    let payload = &data[HEADER_LEN..];
    if payload.len() != len {
        return Err(format!("watermark length mismatch: header says {len} bytes, file holds {}", payload.len()));
    }
    if crc32fast::hash(payload) != crc {
        return Err("watermark fails its CRC check".into());
    }
    Ok(payload.to_vec())
}
