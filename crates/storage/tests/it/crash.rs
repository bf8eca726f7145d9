//! Crash and corruption handling of the block log: torn writes, bit flips, damaged headers.

use civitas_storage::{BlockLog, OpenOptions, Record, StorageError, LOG_FILE_HEADER_LEN, RECORD_HEADER_LEN};

use crate::common::{all_records, chain, read_log, truncate_log, write_log};

/// Writes `n` blocks and (optionally) a final Lib record, synced; returns the file bytes and the
/// end offset of every record.
fn build(dir: &std::path::Path, n: u32, lib_last: bool) -> (Vec<u8>, Vec<u64>) {
    let (mut log, _) = BlockLog::open(dir).unwrap();
    let blocks = chain(None, n, 0, 120);
    let mut ends = Vec::new();
    for b in &blocks {
        log.append_block(b).unwrap();
        ends.push(log.len_bytes());
    }
    if lib_last {
        log.append_lib(n - 1, blocks[n as usize - 2].id()).unwrap();
        ends.push(log.len_bytes());
    }
    log.sync().unwrap();
    drop(log);
    (read_log(dir), ends)
}

fn torn_write_at_every_byte(lib_last: bool) {
    let dir = tempfile::tempdir().unwrap();
    let (full, ends) = build(dir.path(), 4, lib_last);
    let prev_end = ends[ends.len() - 2];
    let full_len = *ends.last().unwrap();
    assert_eq!(full.len() as u64, full_len);
    for cut in prev_end..=full_len {
        write_log(dir.path(), &full[..cut as usize]);
        let (mut log, report) = BlockLog::open(dir.path()).unwrap();
        if cut == full_len {
            assert_eq!(report.truncation, None);
            assert_eq!(report.records as usize, ends.len());
            continue;
        }
        if cut == prev_end {
            // Cut exactly at a record boundary: nothing to repair.
            assert_eq!(report.truncation, None);
        } else {
            let t = report.truncation.clone().unwrap_or_else(|| panic!("cut at {cut}: no truncation reported"));
            assert!(!t.forced);
            assert_eq!(t.offset, prev_end);
            assert_eq!(t.dropped_bytes, cut - prev_end);
            assert_eq!(t.dropped_records, 1);
            assert!(t.to_string().starts_with("repaired unsynced tail of"), "{t}");
        }
        assert_eq!(report.records as usize, ends.len() - 1);
        assert_eq!(log.len_bytes(), prev_end);
        assert_eq!(all_records(&log).len(), ends.len() - 1);
        // The repaired log accepts appends and reopens cleanly.
        let extra = chain(None, 1, 99, 5);
        log.append_blocks_and_sync(&extra).unwrap();
        drop(log);
        let (log, report) = BlockLog::open(dir.path()).unwrap();
        assert_eq!(report.truncation, None, "cut at {cut}");
        assert!(log.contains(&extra[0].id()));
    }
}

#[test]
fn torn_write_of_a_last_block_record_at_every_byte_repairs_to_the_previous_record() {
    torn_write_at_every_byte(false);
}

#[test]
fn torn_write_of_a_last_lib_record_at_every_byte_repairs_to_the_previous_record() {
    torn_write_at_every_byte(true);
}

#[test]
fn bit_flip_in_the_last_record_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let (full, ends) = build(dir.path(), 4, false);
    let prev_end = ends[ends.len() - 2] as usize;
    for pos in prev_end..full.len() {
        // Every bit of the record header; one bit (varying) of each payload byte.
        let bits = if pos < prev_end + RECORD_HEADER_LEN { 0..8 } else { pos % 8..pos % 8 + 1 };
        for bit in bits {
            let mut bytes = full.clone();
            bytes[pos] ^= 1 << bit;
            write_log(dir.path(), &bytes);
            let (log, report) = BlockLog::open(dir.path()).unwrap();
            let t = report.truncation.unwrap_or_else(|| panic!("flip of bit {bit} at {pos}: not detected"));
            assert_eq!(t.offset, prev_end as u64, "flip at {pos}");
            assert_eq!(log.len_bytes(), prev_end as u64);
        }
    }
}

#[test]
fn bit_flip_in_a_middle_record_is_an_error_and_repair_truncates_there() {
    let dir = tempfile::tempdir().unwrap();
    let (full, ends) = build(dir.path(), 5, true);
    let start = ends[1] as usize; // third record
                                  // Positions in the length field, the CRC, the kind, and the payload.
    for pos in [start, start + 2, start + 5, start + 8, start + RECORD_HEADER_LEN + 7, ends[2] as usize - 1] {
        let mut bytes = full.clone();
        bytes[pos] ^= 0x10;
        write_log(dir.path(), &bytes);
        match BlockLog::open(dir.path()) {
            Err(StorageError::Corrupt { offset, reason, .. }) => {
                assert_eq!(offset, start as u64, "flip at {pos}");
                assert!(reason.contains("not an unsynced tail"), "{reason}");
            }
            other => panic!("flip at {pos}: expected Corrupt, got {other:?}"),
        }
        let msg = BlockLog::open(dir.path()).unwrap_err().to_string();
        assert!(msg.contains(&format!("corrupt at byte {start}")), "{msg}");
        // The refused open changed nothing.
        assert_eq!(read_log(dir.path()), bytes);

        let (log, report) = BlockLog::open_with(dir.path(), OpenOptions { repair: true }).unwrap();
        let t = report.truncation.unwrap();
        assert!(t.forced);
        assert_eq!(t.offset, start as u64);
        assert_eq!(t.dropped_bytes, (full.len() - start) as u64);
        assert_eq!(t.dropped_records, (ends.len() - 2) as u64);
        assert!(t.to_string().starts_with("repair: truncated"), "{t}");
        assert_eq!(log.len_bytes(), start as u64);
        assert_eq!(all_records(&log).len(), 2);
    }
}

/// Appends a record with a valid CRC but arbitrary content.
fn raw_record(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(payload);
    let mut out = Vec::new();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&h.finalize().to_le_bytes());
    out.push(kind);
    out.extend_from_slice(payload);
    out
}

#[test]
fn a_record_with_a_valid_crc_but_bad_content_is_an_error_even_at_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let (full, ends) = build(dir.path(), 3, false);
    let blocks = chain(None, 3, 0, 120);
    let mut wrong_num = vec![0u8; 36];
    wrong_num[..4].copy_from_slice(&7u32.to_le_bytes());
    let mut unknown_lib = vec![0u8; 36];
    unknown_lib[..4].copy_from_slice(&1u32.to_le_bytes());
    unknown_lib[4..8].copy_from_slice(&1u32.to_be_bytes());
    let mut backwards = Vec::new();
    backwards.extend(raw_record(2, &[&3u32.to_le_bytes()[..], &blocks[2].id().0].concat()));
    backwards.extend(raw_record(2, &[&2u32.to_le_bytes()[..], &blocks[1].id().0].concat()));
    for (what, extra) in [
        ("undecodable block", raw_record(1, b"not a block")),
        ("lib number mismatch", raw_record(2, &wrong_num)),
        ("lib of an unknown block", raw_record(2, &unknown_lib)),
        ("lib moving backwards", backwards),
    ] {
        let mut bytes = full.clone();
        bytes.extend_from_slice(&extra);
        write_log(dir.path(), &bytes);
        match BlockLog::open(dir.path()) {
            Err(StorageError::Corrupt { reason, .. }) => assert!(reason.contains("passes its CRC"), "{what}: {reason}"),
            other => panic!("{what}: expected Corrupt, got {other:?}"),
        }
        let (log, report) = BlockLog::open_with(dir.path(), OpenOptions { repair: true }).unwrap();
        assert!(report.truncation.unwrap().forced, "{what}");
        // Everything valid before the bad record is kept (the backwards case keeps its first Lib).
        assert!(log.len_bytes() >= *ends.last().unwrap(), "{what}");
        drop(log);
    }
}

#[test]
fn file_header_damage_and_torn_creation() {
    let dir = tempfile::tempdir().unwrap();
    let (full, _) = build(dir.path(), 2, false);
    // A crash while creating the file leaves a prefix of the header: start afresh.
    for cut in 0..LOG_FILE_HEADER_LEN {
        write_log(dir.path(), &full[..cut]);
        let (log, report) = BlockLog::open(dir.path()).unwrap();
        assert!(report.created, "cut {cut}");
        assert_eq!(log.len_bytes(), LOG_FILE_HEADER_LEN as u64);
    }
    // Anything else that is not our header is refused, whatever its length.
    for bytes in [b"hello".to_vec(), b"this is not a block log at all".to_vec()] {
        write_log(dir.path(), &bytes);
        let err = BlockLog::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("not a Civitas block log"), "{err}");
    }
    let mut bytes = full.clone();
    bytes[8] = 9;
    write_log(dir.path(), &bytes);
    let err = BlockLog::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("version 9"), "{err}");
}

#[test]
fn zero_filled_tail_is_truncated() {
    // Some file systems expose zeroed blocks after a crash when the size was updated but the data
    // was not written.
    let dir = tempfile::tempdir().unwrap();
    let (full, ends) = build(dir.path(), 3, false);
    let mut bytes = full[..ends[1] as usize].to_vec();
    bytes.extend(std::iter::repeat_n(0u8, 4096));
    write_log(dir.path(), &bytes);
    let (log, report) = BlockLog::open(dir.path()).unwrap();
    assert_eq!(report.truncation.unwrap().dropped_bytes, 4096);
    assert_eq!(log.len_bytes(), ends[1]);
}

#[test]
fn open_after_truncating_at_any_record_boundary_keeps_that_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (_, ends) = build(dir.path(), 6, true);
    for (i, &end) in ends.iter().enumerate().rev() {
        truncate_log(dir.path(), end);
        let (log, report) = BlockLog::open(dir.path()).unwrap();
        assert_eq!(report.truncation, None);
        assert_eq!(report.records as usize, i + 1);
        let last = all_records(&log).pop().unwrap();
        if i == ends.len() - 1 {
            assert!(matches!(last.1, Record::Lib { num: 5, .. }));
            assert_eq!(log.lib().map(|l| l.0), Some(5));
        } else {
            assert!(matches!(last.1, Record::Block(_)));
            assert_eq!(log.lib(), None);
        }
    }
}

#[test]
fn a_tail_crafted_to_make_the_resync_search_quadratic_is_refused_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let (full, _) = build(dir.path(), 2, false);
    // A torn record followed by 200 KB of record-like headers, each claiming a payload that runs
    // exactly to the end of the file (and each failing its CRC).
    let region = 200_000usize;
    let mut bytes = full.clone();
    bytes.extend_from_slice(&[0xFF; 5]);
    let base = bytes.len();
    bytes.resize(base + region, 0);
    let mut i = 0;
    while i + RECORD_HEADER_LEN <= region {
        let len = (region - i - RECORD_HEADER_LEN) as u32;
        bytes[base + i..base + i + 4].copy_from_slice(&len.to_le_bytes());
        bytes[base + i + 4..base + i + 8].copy_from_slice(&[0xEE; 4]);
        bytes[base + i + 8] = 1;
        i += RECORD_HEADER_LEN;
    }
    write_log(dir.path(), &bytes);
    let err = BlockLog::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("gave up"), "{err}");
    let (log, report) = BlockLog::open_with(dir.path(), OpenOptions { repair: true }).unwrap();
    assert!(report.truncation.unwrap().forced);
    assert_eq!(log.len_bytes(), full.len() as u64);
}
