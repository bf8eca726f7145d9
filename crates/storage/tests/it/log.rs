//! Block-log behaviour without crashes: appends, indexes, LIB rules, replay, locking.

use civitas_storage::{BlockLog, Record, StorageError, LOG_FILE_HEADER_LEN};

use crate::common::{all_records, block, chain};

#[test]
fn append_sync_reopen_preserves_everything() {
    let dir = tempfile::tempdir().unwrap();
    let main = chain(None, 10, 0, 100);
    let fork = chain(Some(&main[4]), 3, 1000, 50);
    let (expected_records, len) = {
        let (mut log, report) = BlockLog::open(dir.path()).unwrap();
        assert!(report.created);
        assert_eq!(report.records, 0);
        log.append_blocks_and_sync(&main[..6]).unwrap();
        log.append_blocks_and_sync(&fork).unwrap();
        log.append_lib(3, main[2].id()).unwrap();
        log.append_blocks_and_sync(&main[6..]).unwrap();
        log.append_lib(8, main[7].id()).unwrap();
        log.sync().unwrap();
        assert_eq!(log.synced_len(), log.len_bytes());
        (all_records(&log), log.len_bytes())
    };
    assert_eq!(expected_records.len(), 15);

    let (log, report) = BlockLog::open(dir.path()).unwrap();
    assert!(!report.created);
    assert_eq!(report.truncation, None);
    assert_eq!((report.records, report.block_records, report.lib_records), (15, 13, 2));
    assert_eq!(report.len_bytes, len);
    assert_eq!(log.len_bytes(), len);
    assert_eq!(log.lib(), Some((8, main[7].id())));
    assert_eq!(log.block_count(), 13);
    for b in main.iter().chain(&fork) {
        assert_eq!(log.block(&b.id()).unwrap().as_ref(), Some(b));
        assert!(log.contains(&b.id()));
    }
    assert_eq!(log.final_range(), Some(1..=8));
    for b in &main[..8] {
        assert_eq!(log.block_by_num(b.block_num()).unwrap().as_ref(), Some(b));
        assert_eq!(log.final_block_id(b.block_num()), Some(b.id()));
    }
    assert_eq!(log.block_by_num(9).unwrap(), None);
    assert_eq!(log.final_chain_ids(), main[..8].iter().map(|b| b.id()).collect::<Vec<_>>());
    assert_eq!(all_records(&log), expected_records);
    assert_eq!(expected_records[0].0, LOG_FILE_HEADER_LEN as u64);
}

#[test]
fn unsynced_appends_are_readable_and_replayable() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = BlockLog::open(dir.path()).unwrap();
    let blocks = chain(None, 3, 0, 10);
    log.append_blocks_and_sync(&blocks[..1]).unwrap();
    let synced = log.len_bytes();
    log.append_block(&blocks[1]).unwrap();
    log.append_block(&blocks[2]).unwrap();
    log.append_lib(2, blocks[1].id()).unwrap();
    assert_eq!(log.synced_len(), synced);
    assert!(log.len_bytes() > synced);
    assert_eq!(log.block(&blocks[2].id()).unwrap().as_ref(), Some(&blocks[2]));
    assert_eq!(log.block_by_num(2).unwrap().as_ref(), Some(&blocks[1]));
    let replay: Vec<_> = log.records_from(synced).unwrap().map(|r| r.unwrap().1).collect();
    assert_eq!(
        replay,
        vec![
            Record::Block(Box::new(blocks[1].clone())),
            Record::Block(Box::new(blocks[2].clone())),
            Record::Lib { num: 2, id: blocks[1].id() }
        ]
    );
}

/// A block appended with its transactions' signers is followed by a Signers record that
/// survives a reopen; the index and every reader skip it; a block already logged is not
/// written again, signers or not.
#[test]
fn signers_records_follow_their_block() {
    let dir = tempfile::tempdir().unwrap();
    let blocks = chain(None, 3, 0, 10);
    let keys = vec![vec![civitas_protocol::PrivateKey::from_seed("k").public_key()]];
    {
        let (mut log, _) = BlockLog::open(dir.path()).unwrap();
        log.append_block_with_signers(&blocks[0], &keys).unwrap();
        log.append_block_with_signers(&blocks[1], &keys).unwrap();
        let len = log.len_bytes();
        log.append_block_with_signers(&blocks[1], &keys).unwrap();
        assert_eq!(log.len_bytes(), len, "a logged block is not written again");
        log.append_block(&blocks[2]).unwrap();
        log.sync().unwrap();
    }
    let (log, report) = BlockLog::open(dir.path()).unwrap();
    assert_eq!((report.records, report.block_records), (5, 3));
    assert_eq!(log.block(&blocks[1].id()).unwrap().as_ref(), Some(&blocks[1]));
    let replay: Vec<_> = log.records_from(0).unwrap().map(|r| r.unwrap().1).collect();
    assert_eq!(
        replay,
        vec![
            Record::Block(Box::new(blocks[0].clone())),
            Record::Signers { id: blocks[0].id(), signers: keys.clone() },
            Record::Block(Box::new(blocks[1].clone())),
            Record::Signers { id: blocks[1].id(), signers: keys.clone() },
            Record::Block(Box::new(blocks[2].clone())),
        ]
    );
}

#[test]
fn large_batches_flush_without_sync_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let blocks = chain(None, 20, 0, 1 << 20);
    {
        let (mut log, _) = BlockLog::open(dir.path()).unwrap();
        for b in &blocks {
            log.append_block(b).unwrap();
        }
        // Past the flush threshold some records are in the file, the rest in the buffer.
        for b in &blocks {
            assert_eq!(log.block(&b.id()).unwrap().as_ref(), Some(b));
        }
        assert_eq!(all_records(&log).len(), 20);
        log.sync().unwrap();
    }
    let (log, report) = BlockLog::open(dir.path()).unwrap();
    assert_eq!(report.records, 20);
    assert_eq!(log.block(&blocks[19].id()).unwrap().as_ref(), Some(&blocks[19]));
}

#[test]
fn duplicate_blocks_are_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = BlockLog::open(dir.path()).unwrap();
    let b = block(1, Default::default(), 0, 10);
    let off = log.append_block(&b).unwrap();
    let len = log.len_bytes();
    assert_eq!(log.append_block(&b).unwrap(), off);
    assert_eq!(log.len_bytes(), len);
}

#[test]
fn invalid_lib_advances_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = BlockLog::open(dir.path()).unwrap();
    let main = chain(None, 5, 0, 0);
    let fork = chain(Some(&main[1]), 3, 100, 0);
    log.append_blocks_and_sync(&main).unwrap();
    log.append_blocks_and_sync(&fork).unwrap();
    log.append_lib(3, main[2].id()).unwrap();
    let len = log.len_bytes();
    let refused = |r: Result<(), StorageError>| matches!(r, Err(StorageError::InvalidLib { .. }));
    // Unknown block.
    assert!(refused(log.append_lib(9, chain(Some(&main[4]), 4, 7, 0)[3].id())));
    // Backwards.
    assert!(refused(log.append_lib(2, main[1].id())));
    // Sideways at the same number.
    assert!(refused(log.append_lib(3, fork[0].id())));
    // A fork that does not contain the current LIB.
    assert!(refused(log.append_lib(4, fork[1].id())));
    assert_eq!(log.len_bytes(), len);
    // The same LIB again is a no-op.
    log.append_lib(3, main[2].id()).unwrap();
    assert_eq!(log.len_bytes(), len);
    log.append_lib(5, main[4].id()).unwrap();
    assert_eq!(log.lib(), Some((5, main[4].id())));
}

#[test]
fn lib_after_a_snapshot_start_indexes_from_the_first_logged_block() {
    let dir = tempfile::tempdir().unwrap();
    let before = chain(None, 10, 0, 0);
    let after = chain(Some(&before[9]), 5, 100, 0);
    {
        let (mut log, _) = BlockLog::open(dir.path()).unwrap();
        log.append_blocks_and_sync(&after).unwrap();
        log.append_lib(13, after[2].id()).unwrap();
        log.sync().unwrap();
    }
    let (log, _) = BlockLog::open(dir.path()).unwrap();
    assert_eq!(log.final_range(), Some(11..=13));
    assert_eq!(log.block_by_num(11).unwrap().as_ref(), Some(&after[0]));
    assert_eq!(log.block_by_num(10).unwrap(), None);
}

#[test]
fn records_from_rejects_offsets_outside_or_between_records() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = BlockLog::open(dir.path()).unwrap();
    let blocks = chain(None, 3, 0, 40);
    let offsets = log.append_blocks_and_sync(&blocks).unwrap();
    let len = log.len_bytes();
    assert!(matches!(log.records_from(len + 1), Err(StorageError::OffsetOutOfRange { .. })));
    assert_eq!(log.records_from(len).unwrap().count(), 0);
    assert_eq!(log.records_from(offsets[1]).unwrap().count(), 2);
    let mut it = log.records_from(offsets[1] + 3).unwrap();
    assert!(matches!(it.next(), Some(Err(StorageError::Corrupt { .. }))));
    assert!(it.next().is_none());
}

#[test]
fn a_second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = BlockLog::open(dir.path()).unwrap();
    assert!(matches!(BlockLog::open(dir.path()), Err(StorageError::Locked { .. })));
    drop(log);
    BlockLog::open(dir.path()).unwrap();
}

#[test]
fn oversized_records_are_refused_before_touching_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = BlockLog::open(dir.path()).unwrap();
    let big = block(1, Default::default(), 0, civitas_storage::MAX_PAYLOAD_LEN + 1);
    assert!(matches!(log.append_block(&big), Err(StorageError::TooLarge { .. })));
    assert_eq!(log.len_bytes(), LOG_FILE_HEADER_LEN as u64);
    assert!(!log.contains(&big.id()));
    // Not poisoned: a normal append still works.
    log.append_block(&block(1, Default::default(), 1, 1)).unwrap();
    log.sync().unwrap();
}
