//! The open-time scan of `blocks.log`: verifies every record, rebuilds the indexes, and finds the
//! first bad record, classifying it as an unsynced tail (safe to drop) or as corruption in the
//! middle (the node must not start).
//!
//! Why the classification rests on "is any valid record after it": an append-only log written by
//! one process and synced in batches can only lose or tear its last, unsynced bytes in a crash.
//! A bad record with nothing valid after it is therefore the torn tail of the last batch. A bad
//! record followed by a valid one cannot come from a crash: something damaged data that had been
//! written (and perhaps synced and made irreversible), and silently truncating there could drop
//! irreversible blocks, so we refuse and leave the decision to the operator.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{Result, StorageError};
use crate::index::Index;
use crate::record::{
    block_info, decode_lib, decode_signers, record_crc, RecordHeader, RecordKind, LOG_FILE_HEADER_LEN,
    RECORD_HEADER_LEN,
};

/// Read buffer for the sequential scan.
const SCAN_BUF: usize = 1 << 20;

/// Window for the byte-by-byte search for a valid record after a bad one.
const RESYNC_WINDOW: usize = 1 << 20;

/// Payload bytes the search may run through the CRC: this plus four times the searched region.
const RESYNC_CRC_BUDGET_BASE: u64 = 64 << 20;

/// How the first bad record relates to the rest of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BadKind {
    /// Incomplete or failing its CRC, and no valid record follows: a torn, unsynced tail.
    Tail,
    /// Incomplete or failing its CRC, and a valid record starts at the given offset.
    Middle { next_valid: u64 },
    /// Passes its CRC but its content is invalid (does not decode, or an impossible LIB). A
    /// crash cannot produce this, so it is treated as corruption wherever it is.
    Invalid,
    /// Incomplete or failing its CRC, and the search for a valid record after it ran out of its
    /// work budget (only crafted data makes it that expensive). Treated as corruption, because
    /// calling it a tail could drop valid records.
    Undetermined,
}

/// The first bad record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRecord {
    pub offset: u64,
    pub reason: String,
    pub kind: BadKind,
}

/// What the scan found.
#[derive(Debug)]
pub(crate) struct ScanOutcome {
    /// End of the valid prefix.
    pub end: u64,
    /// Valid records in the prefix.
    pub records: u64,
    /// Valid Block records in the prefix.
    pub block_records: u64,
    /// Valid Lib records in the prefix.
    pub lib_records: u64,
    /// The first bad record, if any.
    pub bad: Option<BadRecord>,
}

/// Scans records from the end of the file header to `file_len`, filling `index` with every valid
/// record before the first bad one.
pub(crate) fn scan(file: &File, path: &Path, file_len: u64, index: &mut Index) -> Result<ScanOutcome> {
    let io = |e| StorageError::io("read", path, e);
    let mut reader = BufReader::with_capacity(SCAN_BUF, file);
    reader.seek(SeekFrom::Start(LOG_FILE_HEADER_LEN as u64)).map_err(io)?;
    let mut out =
        ScanOutcome { end: LOG_FILE_HEADER_LEN as u64, records: 0, block_records: 0, lib_records: 0, bad: None };
    let mut payload = Vec::new();
    loop {
        let offset = out.end;
        if offset == file_len {
            return Ok(out);
        }
        let remaining = file_len - offset;
        if remaining < RECORD_HEADER_LEN as u64 {
            let reason = format!("incomplete record header ({remaining} of {RECORD_HEADER_LEN} bytes)");
            out.bad = Some(classify(file, path, offset, None, reason, file_len)?);
            return Ok(out);
        }
        let mut hb = [0u8; RECORD_HEADER_LEN];
        reader.read_exact(&mut hb).map_err(io)?;
        let header = RecordHeader::parse(&hb);
        let kind = match header.plausible(offset, file_len) {
            Ok(k) => k,
            Err(reason) => {
                out.bad = Some(classify(file, path, offset, Some(header), reason, file_len)?);
                return Ok(out);
            }
        };
        payload.resize(header.len as usize, 0);
        reader.read_exact(&mut payload).map_err(io)?;
        if record_crc(header.kind, &payload) != header.crc {
            let reason = format!("{kind:?} record of {} bytes fails its CRC check", header.len);
            out.bad = Some(classify(file, path, offset, Some(header), reason, file_len)?);
            return Ok(out);
        }
        let applied = match kind {
            RecordKind::Block => block_info(&payload).map(|info| {
                index.insert_block(&info, offset, header.len);
                out.block_records += 1;
            }),
            RecordKind::Lib => decode_lib(&payload)
                .and_then(|(num, id)| index.check_lib(num, id).map_err(|e| format!("Lib record {num} ({id}): {e}")))
                .map(|step| {
                    index.apply_lib(step);
                    out.lib_records += 1;
                }),
            // Signers records only serve replay; the index has nothing to learn from them.
            RecordKind::Signers => decode_signers(&payload).map(|_| ()),
        };
        if let Err(reason) = applied {
            out.bad = Some(BadRecord { offset, reason, kind: BadKind::Invalid });
            return Ok(out);
        }
        out.records += 1;
        out.end = offset + header.record_len();
    }
}

/// Decides whether the bad record at `offset` is a torn tail or mid-file corruption.
fn classify(
    file: &File,
    path: &Path,
    offset: u64,
    header: Option<RecordHeader>,
    reason: String,
    end: u64,
) -> Result<BadRecord> {
    let kind = match find_valid_record(file, path, offset, header, end)? {
        Search::Found(next_valid) => BadKind::Middle { next_valid },
        Search::NotFound => BadKind::Tail,
        Search::GaveUp => BadKind::Undetermined,
    };
    Ok(BadRecord { offset, reason, kind })
}

/// Outcome of the search for a valid record after a bad one.
enum Search {
    Found(u64),
    NotFound,
    GaveUp,
}

/// Looks for any record after `bad_offset` that passes the plausibility and CRC checks. The
/// position right after the bad record (by its own length field) is tried first, because a flip
/// inside a payload leaves the length intact and the next record exactly there; then every byte
/// position is tried, because the length itself may be what was damaged.
///
/// Ordinary data rarely yields a plausible header, so the CRC work is small; but crafted block
/// content could hold a plausible header every few bytes, each claiming a long payload, making the
/// search quadratic. The CRC work is therefore capped, and running out is reported, not guessed.
fn find_valid_record(
    file: &File,
    path: &Path,
    bad_offset: u64,
    header: Option<RecordHeader>,
    end: u64,
) -> Result<Search> {
    if let Some(h) = header {
        let next = bad_offset.saturating_add(h.record_len());
        if (h.len as usize) <= crate::record::MAX_PAYLOAD_LEN
            && next > bad_offset
            && is_valid_at(file, path, next, end)?
        {
            return Ok(Search::Found(next));
        }
    }
    let mut budget = RESYNC_CRC_BUDGET_BASE.saturating_add(end.saturating_sub(bad_offset).saturating_mul(4));
    let mut window = vec![0u8; RESYNC_WINDOW + RECORD_HEADER_LEN - 1];
    let mut q = bad_offset + 1;
    while end.saturating_sub(q) >= RECORD_HEADER_LEN as u64 {
        let n = (end - q).min(window.len() as u64) as usize;
        file.read_exact_at(&mut window[..n], q).map_err(|e| StorageError::io("read", path, e))?;
        for i in 0..=n - RECORD_HEADER_LEN {
            let mut hb = [0u8; RECORD_HEADER_LEN];
            hb.copy_from_slice(&window[i..i + RECORD_HEADER_LEN]);
            let h = RecordHeader::parse(&hb);
            let pos = q + i as u64;
            if h.plausible(pos, end).is_ok() {
                if budget < u64::from(h.len) {
                    return Ok(Search::GaveUp);
                }
                budget -= u64::from(h.len);
                if crc_matches(file, path, pos, &h)? {
                    return Ok(Search::Found(pos));
                }
            }
        }
        q += (n - (RECORD_HEADER_LEN - 1)) as u64;
    }
    Ok(Search::NotFound)
}

/// True when a plausible record with a matching CRC starts at `pos`.
fn is_valid_at(file: &File, path: &Path, pos: u64, end: u64) -> Result<bool> {
    if end.saturating_sub(pos) < RECORD_HEADER_LEN as u64 {
        return Ok(false);
    }
    let mut hb = [0u8; RECORD_HEADER_LEN];
    file.read_exact_at(&mut hb, pos).map_err(|e| StorageError::io("read", path, e))?;
    let h = RecordHeader::parse(&hb);
    Ok(h.plausible(pos, end).is_ok() && crc_matches(file, path, pos, &h)?)
}

/// Streams the payload of the record at `pos` through the CRC in bounded chunks, so a corrupt
/// but plausible length cannot make us allocate much.
fn crc_matches(file: &File, path: &Path, pos: u64, h: &RecordHeader) -> Result<bool> {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&[h.kind]);
    let mut buf = vec![0u8; (h.len as usize).min(1 << 16)];
    let mut at = pos + RECORD_HEADER_LEN as u64;
    let mut left = h.len as usize;
    while left > 0 {
        let n = left.min(buf.len());
        file.read_exact_at(&mut buf[..n], at).map_err(|e| StorageError::io("read", path, e))?;
        hasher.update(&buf[..n]);
        at += n as u64;
        left -= n;
    }
    Ok(hasher.finalize() == h.crc)
}

/// Counts the records in `[from, end)` by following length fields (without CRC checks), for
/// reporting how much a truncation drops. A record cut off by `end` counts as one.
pub(crate) fn count_records(file: &File, from: u64, end: u64) -> u64 {
    let mut n = 0;
    let mut pos = from;
    while pos < end {
        n += 1;
        let mut hb = [0u8; RECORD_HEADER_LEN];
        if end - pos < RECORD_HEADER_LEN as u64 || file.read_exact_at(&mut hb, pos).is_err() {
            break;
        }
        let h = RecordHeader::parse(&hb);
        if RecordKind::from_u8(h.kind).is_none() || h.len as usize > crate::record::MAX_PAYLOAD_LEN {
            break;
        }
        pos += h.record_len();
    }
    n
}
