//! [`BlockLog`]: the append-only, checksummed log of accepted blocks and LIB advances.
//!
//! Appends go to an in-memory buffer and reach the file on [`BlockLog::sync`] (or when the buffer
//! grows large), so the node pays one `write` + one `fdatasync` per step, not per block. Reads
//! take `&self` and use positioned reads, so a reader never disturbs the append position.

use std::fmt;
use std::fs::{File, OpenOptions as FsOpenOptions, TryLockError};
use std::io::Write;
use std::ops::RangeInclusive;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use civitas_protocol::{Checksum256, PublicKey, SignedBlock, Unpack};

use crate::error::{Result, StorageError};
use crate::fsutil::{ensure_dir, fsync_dir};
use crate::index::{Index, LibStep};
use crate::record::{
    decode_record, encode_block, encode_lib, encode_signers, log_file_header, record_crc, BlockInfo, Record,
    RecordHeader, LOG_FILE_HEADER_LEN, LOG_MAGIC, LOG_VERSION, RECORD_HEADER_LEN,
};
use crate::scan::{count_records, scan, BadKind};

/// File name of the log inside the data directory.
pub const BLOCK_LOG_FILE: &str = "blocks.log";

/// Buffered appends are written to the file once they reach this size even without a sync, so
/// memory stays bounded when a caller appends many blocks between syncs.
const FLUSH_THRESHOLD: usize = 8 << 20;

/// Options for [`BlockLog::open_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Truncate the log at the first bad record even when it is not an unsynced tail (valid
    /// records follow it). Everything after that point is lost, including valid records; only an
    /// operator who has decided to re-fetch those blocks from peers should set this.
    pub repair: bool,
}

/// A truncation performed by [`BlockLog::open_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The log file.
    pub path: PathBuf,
    /// Where the log now ends (the offset of the first bad record).
    pub offset: u64,
    /// Bytes removed.
    pub dropped_bytes: u64,
    /// Records removed (counted by following length fields; a torn record counts as one).
    pub dropped_records: u64,
    /// What was wrong with the first removed record.
    pub reason: String,
    /// False for an unsynced tail (repaired automatically); true when `repair` was needed
    /// because the damage was in the middle of the log.
    pub forced: bool,
}

impl fmt::Display for Truncation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.forced {
            write!(
                f,
                "repair: truncated {} at corrupt offset {}: dropped {} bytes ({} records, including valid records \
                 after the damage): {}",
                self.path.display(),
                self.offset,
                self.dropped_bytes,
                self.dropped_records,
                self.reason
            )
        } else {
            write!(
                f,
                "repaired unsynced tail of {}: dropped {} bytes ({} records) at offset {}: {}",
                self.path.display(),
                self.dropped_bytes,
                self.dropped_records,
                self.offset,
                self.reason
            )
        }
    }
}

/// What [`BlockLog::open_with`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// The log was created (or had only a torn file header) and is empty.
    pub created: bool,
    /// Valid records kept.
    pub records: u64,
    /// Valid Block records kept.
    pub block_records: u64,
    /// Valid Lib records kept.
    pub lib_records: u64,
    /// Log length after the scan.
    pub len_bytes: u64,
    /// The LIB recorded in the log.
    pub lib: Option<(u32, Checksum256)>,
    /// The truncation performed, if any. Log it: the node should print its `Display` form.
    pub truncation: Option<Truncation>,
}

/// The append-only block log. See the module and `docs/storage.md`.
///
/// **Errors on the write path are fatal.** When [`append_block`](Self::append_block),
/// [`append_lib`](Self::append_lib) or [`sync`](Self::sync) returns an I/O error, the log marks
/// itself poisoned and refuses further writes: the caller must stop the node, never continue on
/// an unknown on-disk state. The next open re-scans the file and repairs a torn tail.
#[derive(Debug)]
pub struct BlockLog {
    path: PathBuf,
    /// Opened read + append; holds the exclusive lock on the data directory's log.
    file: File,
    index: Index,
    /// Bytes handed to the operating system (the file's length).
    file_len: u64,
    /// Records appended but not yet written; they start at offset `file_len`.
    pending: Vec<u8>,
    /// Length known to be durable.
    synced_len: u64,
    poisoned: bool,
}

impl BlockLog {
    /// Opens (or creates) `dir/blocks.log` with default options: a torn tail is repaired,
    /// corruption in the middle is an error.
    pub fn open(dir: impl AsRef<Path>) -> Result<(BlockLog, OpenReport)> {
        Self::open_with(dir, OpenOptions::default())
    }

    /// Opens (or creates) `dir/blocks.log`, verifying every record and rebuilding the indexes.
    ///
    /// A bad record with no valid record after it is an unsynced tail from a crash: it is
    /// truncated away and reported in [`OpenReport::truncation`]. A bad record followed by valid
    /// ones, or a record that passes its CRC but cannot be applied, is
    /// [`StorageError::Corrupt`] unless `options.repair` is set, in which case the log is
    /// truncated at that record.
    pub fn open_with(dir: impl AsRef<Path>, options: OpenOptions) -> Result<(BlockLog, OpenReport)> {
        let dir = dir.as_ref();
        ensure_dir(dir)?;
        let path = dir.join(BLOCK_LOG_FILE);
        let file = FsOpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| StorageError::io("open", &path, e))?;
        // Two processes appending to one log would interleave records; the lock makes a second
        // node on the same directory fail at start instead.
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StorageError::Locked { path }),
            Err(TryLockError::Error(e)) => return Err(StorageError::io("lock", &path, e)),
        }
        let mut file_len = file.metadata().map_err(|e| StorageError::io("stat", &path, e))?.len();
        let created = check_file_header(&file, &path, file_len, dir)?;
        if created {
            file_len = LOG_FILE_HEADER_LEN as u64;
        }

        let mut index = Index::default();
        let outcome = scan(&file, &path, file_len, &mut index)?;
        let mut truncation = None;
        if let Some(bad) = outcome.bad {
            let (forced, dropped_records) = match bad.kind {
                BadKind::Tail => (false, count_records(&file, bad.offset, file_len)),
                BadKind::Middle { next_valid } if options.repair => {
                    (true, 1 + count_records(&file, next_valid, file_len))
                }
                BadKind::Invalid | BadKind::Undetermined if options.repair => {
                    (true, count_records(&file, bad.offset, file_len))
                }
                BadKind::Middle { next_valid } => {
                    return Err(StorageError::corrupt(
                        &path,
                        bad.offset,
                        format!(
                            "{}; a valid record follows at offset {next_valid}, so this is damage to written data, \
                             not an unsynced tail. Refusing to start. Restore the data directory, or open with \
                             repair to truncate the log at offset {} (losing {} bytes, which peers must resend)",
                            bad.reason,
                            bad.offset,
                            file_len - bad.offset
                        ),
                    ))
                }
                BadKind::Undetermined => {
                    return Err(StorageError::corrupt(
                        &path,
                        bad.offset,
                        format!(
                            "{}; the search for valid records after it gave up (the data after it is full of \
                             record-like headers), so it cannot be shown to be an unsynced tail. Refusing to start; \
                             opening with repair truncates the log here (losing {} bytes)",
                            bad.reason,
                            file_len - bad.offset
                        ),
                    ))
                }
                BadKind::Invalid => {
                    return Err(StorageError::corrupt(
                        &path,
                        bad.offset,
                        format!(
                            "{}; the record passes its CRC, so it was written this way (a bug or an incompatible \
                             writer), not torn by a crash. Refusing to start; opening with repair truncates the log \
                             here (losing {} bytes)",
                            bad.reason,
                            file_len - bad.offset
                        ),
                    ))
                }
            };
            file.set_len(bad.offset).map_err(|e| StorageError::io("truncate", &path, e))?;
            truncation = Some(Truncation {
                path: path.clone(),
                offset: bad.offset,
                dropped_bytes: file_len - bad.offset,
                dropped_records,
                reason: bad.reason,
                forced,
            });
            file_len = bad.offset;
        }
        // What we scanned may still be only in the page cache (the previous process may have died
        // before its sync); make it durable before the node builds on it. This also persists a
        // truncation.
        file.sync_all().map_err(|e| StorageError::io("fsync", &path, e))?;

        let report = OpenReport {
            created,
            records: outcome.records,
            block_records: outcome.block_records,
            lib_records: outcome.lib_records,
            len_bytes: file_len,
            lib: index.lib(),
            truncation,
        };
        let log = BlockLog { path, file, index, file_len, pending: Vec::new(), synced_len: file_len, poisoned: false };
        Ok((log, report))
    }

    /// Appends a block (any fork) and returns the offset of its record. A block already in the
    /// log is not written again; its existing offset is returned. The record is durable only
    /// after the next [`sync`](Self::sync).
    pub fn append_block(&mut self, block: &SignedBlock) -> Result<u64> {
        self.check_writable()?;
        let id = block.id();
        if let Some(loc) = self.index.get(&id) {
            return Ok(loc.offset);
        }
        let offset = self.len_bytes();
        let start = self.pending.len();
        encode_block(&mut self.pending, block)?;
        let len = (self.pending.len() - start - RECORD_HEADER_LEN) as u32;
        let info = BlockInfo { id, num: block.block_num(), previous: block.header.previous };
        self.index.insert_block(&info, offset, len);
        if self.pending.len() >= FLUSH_THRESHOLD {
            self.flush()?;
        }
        Ok(offset)
    }

    /// Appends a block with the keys this node recovered from its transactions' signatures
    /// (see [`Record::Signers`]); a block already in the log is not written again.
    pub fn append_block_with_signers(&mut self, block: &SignedBlock, signers: &[Vec<PublicKey>]) -> Result<u64> {
        if let Some(loc) = self.index.get(&block.id()) {
            return Ok(loc.offset);
        }
        let offset = self.append_block(block)?;
        if !block.transactions.is_empty() {
            encode_signers(&mut self.pending, &block.id(), signers)?;
        }
        Ok(offset)
    }

    /// Records that the LIB advanced to block `(num, id)`, which must be in the log, descend
    /// from the current LIB and be higher than it. Recording the current LIB again is a no-op.
    /// Durable after the next [`sync`](Self::sync).
    pub fn append_lib(&mut self, num: u32, id: Checksum256) -> Result<()> {
        self.check_writable()?;
        let step = self.index.check_lib(num, id).map_err(|reason| StorageError::InvalidLib { num, id, reason })?;
        if step == LibStep::Same {
            return Ok(());
        }
        encode_lib(&mut self.pending, num, &id)?;
        self.index.apply_lib(step);
        Ok(())
    }

    /// Writes buffered records to the file and makes everything appended so far durable
    /// (`fdatasync`, which also persists the file length).
    pub fn sync(&mut self) -> Result<()> {
        self.check_writable()?;
        self.flush()?;
        if self.synced_len == self.file_len {
            return Ok(());
        }
        if let Err(e) = self.file.sync_data() {
            self.poisoned = true;
            return Err(StorageError::io("fsync", &self.path, e));
        }
        self.synced_len = self.file_len;
        Ok(())
    }

    /// Appends the blocks in order and syncs once; returns their offsets.
    pub fn append_blocks_and_sync(&mut self, blocks: &[SignedBlock]) -> Result<Vec<u64>> {
        let offsets = blocks.iter().map(|b| self.append_block(b)).collect::<Result<Vec<_>>>()?;
        self.sync()?;
        Ok(offsets)
    }

    /// Hands buffered records to the operating system (not durable until [`sync`](Self::sync)).
    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.file.write_all(&self.pending) {
            // Part of the buffer may be in the file: the length is unknown from here on.
            self.poisoned = true;
            return Err(StorageError::io("append to", &self.path, e));
        }
        self.file_len += self.pending.len() as u64;
        self.pending.clear();
        if self.pending.capacity() > 2 * FLUSH_THRESHOLD {
            self.pending.shrink_to(FLUSH_THRESHOLD);
        }
        Ok(())
    }

    fn check_writable(&self) -> Result<()> {
        if self.poisoned {
            Err(StorageError::Poisoned { path: self.path.clone() })
        } else {
            Ok(())
        }
    }

    /// The block with this id, from any fork.
    pub fn block(&self, id: &Checksum256) -> Result<Option<SignedBlock>> {
        let Some(loc) = self.index.get(id).copied() else { return Ok(None) };
        let payload = self.read_block_payload(loc.offset, loc.len)?;
        SignedBlock::unpack_exact(&payload)
            .map(Some)
            .map_err(|e| StorageError::corrupt(&self.path, loc.offset, format!("block record does not decode: {e}")))
    }

    /// The packed bytes of the block with this id (what a peer or `get_block` serves), verified
    /// against the record's CRC but not decoded.
    pub fn block_bytes(&self, id: &Checksum256) -> Result<Option<Vec<u8>>> {
        let Some(loc) = self.index.get(id).copied() else { return Ok(None) };
        self.read_block_payload(loc.offset, loc.len).map(Some)
    }

    /// The final-chain block at `num` (at or below the LIB).
    pub fn block_by_num(&self, num: u32) -> Result<Option<SignedBlock>> {
        match self.index.final_id(num) {
            Some(id) => self.block(&id),
            None => Ok(None),
        }
    }

    /// The id of the final-chain block at `num`.
    pub fn final_block_id(&self, num: u32) -> Option<Checksum256> {
        self.index.final_id(num)
    }

    /// Block numbers for which [`block_by_num`](Self::block_by_num) answers: from the oldest
    /// logged ancestor of the LIB (the genesis block, or the first block after a snapshot) to
    /// the LIB.
    pub fn final_range(&self) -> Option<RangeInclusive<u32>> {
        self.index.final_range()
    }

    /// The ids of the final chain, oldest first, starting at `final_range().start()`.
    pub fn final_chain_ids(&self) -> Vec<Checksum256> {
        self.final_range().into_iter().flatten().filter_map(|n| self.index.final_id(n)).collect()
    }

    /// Offset of the record of the block with this id. Every descendant of a block was
    /// accepted after it, so replaying from the offset of the LIB block's record rebuilds every
    /// reversible block above it.
    pub fn offset_of(&self, id: &Checksum256) -> Option<u64> {
        self.index.get(id).map(|loc| loc.offset)
    }

    /// True when the block is in the log.
    pub fn contains(&self, id: &Checksum256) -> bool {
        self.index.get(id).is_some()
    }

    /// Number of distinct blocks in the log.
    pub fn block_count(&self) -> usize {
        self.index.block_count()
    }

    /// The latest recorded LIB.
    pub fn lib(&self) -> Option<(u32, Checksum256)> {
        self.index.lib()
    }

    /// Length of the log including buffered, unsynced records.
    pub fn len_bytes(&self) -> u64 {
        self.file_len + self.pending.len() as u64
    }

    /// Length known to be durable. A checkpoint may refer to log offsets up to this only.
    pub fn synced_len(&self) -> u64 {
        self.synced_len
    }

    /// Offset of the first record (just after the file header).
    pub fn first_record_offset(&self) -> u64 {
        LOG_FILE_HEADER_LEN as u64
    }

    /// Path of the log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Iterates over the records from `offset` (a record boundary, such as a checkpoint's log
    /// offset; 0 means the first record) to the current end, verifying each. Used to replay the
    /// log after a checkpoint.
    pub fn records_from(&self, offset: u64) -> Result<RecordIter<'_>> {
        let len = self.len_bytes();
        if offset > len {
            return Err(StorageError::OffsetOutOfRange { offset, len });
        }
        Ok(RecordIter { log: self, pos: offset.max(LOG_FILE_HEADER_LEN as u64), end: len, failed: false })
    }

    /// Reads `buf.len()` bytes at `offset`, from the file and/or the append buffer.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let end = offset.checked_add(buf.len() as u64).filter(|&e| e <= self.len_bytes());
        if end.is_none() {
            return Err(StorageError::corrupt(&self.path, offset, "read past the end of the log"));
        }
        let in_file = self.file_len.saturating_sub(offset).min(buf.len() as u64) as usize;
        if in_file > 0 {
            self.file
                .read_exact_at(&mut buf[..in_file], offset)
                .map_err(|e| StorageError::io("read", &self.path, e))?;
        }
        if in_file < buf.len() {
            let from = (offset + in_file as u64 - self.file_len) as usize;
            let n = buf.len() - in_file;
            buf[in_file..].copy_from_slice(&self.pending[from..from + n]);
        }
        Ok(())
    }

    /// Reads and verifies the record at `offset`, returning its header and payload.
    fn read_record(&self, offset: u64, end: u64) -> Result<(RecordHeader, Vec<u8>)> {
        let mut hb = [0u8; RECORD_HEADER_LEN];
        self.read_at(offset, &mut hb)?;
        let header = RecordHeader::parse(&hb);
        header.plausible(offset, end).map_err(|reason| StorageError::corrupt(&self.path, offset, reason))?;
        let mut payload = vec![0u8; header.len as usize];
        self.read_at(offset + RECORD_HEADER_LEN as u64, &mut payload)?;
        if record_crc(header.kind, &payload) != header.crc {
            return Err(StorageError::corrupt(&self.path, offset, "record fails its CRC check on read"));
        }
        Ok((header, payload))
    }

    fn read_block_payload(&self, offset: u64, len: u32) -> Result<Vec<u8>> {
        let (header, payload) = self.read_record(offset, self.len_bytes())?;
        // The index said a block of this length is here; anything else means the file changed
        // under us.
        if header.len != len || header.kind != crate::record::RecordKind::Block as u8 {
            return Err(StorageError::corrupt(&self.path, offset, "indexed block record changed on disk"));
        }
        Ok(payload)
    }
}

impl Drop for BlockLog {
    /// Hands buffered records to the operating system (without fsync), as `BufWriter` does, so a
    /// clean exit without a final sync still keeps them unless the machine crashes.
    fn drop(&mut self) {
        if !self.poisoned && !self.pending.is_empty() {
            let _ = self.file.write_all(&self.pending);
        }
    }
}

/// Checks (or writes, for a new file) the file header. Returns true when the log was created.
fn check_file_header(file: &File, path: &Path, file_len: u64, dir: &Path) -> Result<bool> {
    let expected = log_file_header();
    let mut head = vec![0u8; file_len.min(LOG_FILE_HEADER_LEN as u64) as usize];
    file.read_exact_at(&mut head, 0).map_err(|e| StorageError::io("read", path, e))?;
    if file_len < LOG_FILE_HEADER_LEN as u64 {
        // Empty, or a crash tore the header of a log that never held a record.
        if head[..] != expected[..head.len()] {
            return Err(StorageError::corrupt(path, 0, "not a Civitas block log (bad file header)"));
        }
        file.set_len(0).map_err(|e| StorageError::io("truncate", path, e))?;
        let mut w = file;
        w.write_all(&expected).map_err(|e| StorageError::io("write", path, e))?;
        w.sync_all().map_err(|e| StorageError::io("fsync", path, e))?;
        // The new directory entry must survive a crash too.
        fsync_dir(dir)?;
        return Ok(true);
    }
    if head[..8] != LOG_MAGIC {
        return Err(StorageError::corrupt(path, 0, "not a Civitas block log (bad magic)"));
    }
    let version = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
    if version != LOG_VERSION {
        return Err(StorageError::corrupt(
            path,
            8,
            format!("block log format version {version} is not supported (this build reads version {LOG_VERSION})"),
        ));
    }
    Ok(false)
}

/// Iterator returned by [`BlockLog::records_from`]: `(offset, record)` pairs; stops after the
/// first error.
#[derive(Debug)]
pub struct RecordIter<'a> {
    log: &'a BlockLog,
    pos: u64,
    end: u64,
    failed: bool,
}

impl Iterator for RecordIter<'_> {
    type Item = Result<(u64, Record)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.end {
            return None;
        }
        let offset = self.pos;
        let item = self.log.read_record(offset, self.end).and_then(|(header, payload)| {
            let kind = crate::record::RecordKind::from_u8(header.kind)
                .ok_or_else(|| StorageError::corrupt(&self.log.path, offset, "unknown record kind"))?;
            let record = decode_record(kind, &payload).map_err(|r| StorageError::corrupt(&self.log.path, offset, r))?;
            Ok((header.record_len(), record))
        });
        match item {
            Ok((len, record)) => {
                self.pos += len;
                Some(Ok((offset, record)))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
