//! Property tests: random appends, syncs and crashes; garbage and mutated files never panic.

use civitas_protocol::Checksum256;
use civitas_storage::{BlockLog, Checkpoints, OpenOptions, Record, StorageError, WatermarkFile};
use proptest::prelude::*;

use crate::common::{all_records, block, log_path, read_log, truncate_log, write_log};

#[derive(Debug, Clone)]
enum Op {
    /// Append a block whose parent is the `parent`-th most recent known block (or genesis).
    Block {
        parent: u8,
        payload: u16,
    },
    /// Try to advance the LIB to the `pick`-th most recent known block.
    Lib {
        pick: u8,
    },
    Sync,
    /// Crash: the file keeps everything synced plus `keep` (a fraction of 2^16) of the rest.
    Crash {
        keep: u16,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<u8>(), 0u16..600).prop_map(|(parent, payload)| Op::Block { parent: parent % 4, payload }),
        2 => any::<u8>().prop_map(|pick| Op::Lib { pick: pick % 6 }),
        2 => Just(Op::Sync),
        1 => any::<u16>().prop_map(|keep| Op::Crash { keep }),
    ]
}

/// What the model expects in the log: each record with its end offset.
struct Model {
    records: Vec<(u64, Record)>,
    ends: Vec<u64>,
    synced_len: u64,
}

fn lib_of(records: &[(u64, Record)]) -> Option<(u32, Checksum256)> {
    records.iter().rev().find_map(|(_, r)| match r {
        Record::Lib { num, id } => Some((*num, *id)),
        Record::Block(_) | Record::Signers { .. } => None,
    })
}

fn known_blocks(records: &[(u64, Record)]) -> Vec<(u32, Checksum256)> {
    records
        .iter()
        .filter_map(|(_, r)| match r {
            Record::Block(b) => Some((b.block_num(), b.id())),
            Record::Lib { .. } | Record::Signers { .. } => None,
        })
        .collect()
}

fn run_crash_model(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = BlockLog::open(dir.path()).unwrap();
    let mut model = Model { records: Vec::new(), ends: Vec::new(), synced_len: log.len_bytes() };
    let mut nonce = 0u64;
    for op in ops {
        match op {
            Op::Block { parent, payload } => {
                let known = known_blocks(&model.records);
                let (num, prev) = match known.len().checked_sub(1 + parent as usize) {
                    Some(i) => (known[i].0 + 1, known[i].1),
                    None => (1, Checksum256::ZERO),
                };
                nonce += 1;
                let b = block(num, prev, nonce, payload as usize);
                let offset = log.append_block(&b).unwrap();
                prop_assert_eq!(offset, model.ends.last().copied().unwrap_or(log.first_record_offset()));
                model.records.push((offset, Record::Block(Box::new(b))));
                model.ends.push(log.len_bytes());
            }
            Op::Lib { pick } => {
                let known = known_blocks(&model.records);
                let Some(i) = known.len().checked_sub(1 + pick as usize) else { continue };
                let (num, id) = known[i];
                let before = log.len_bytes();
                match log.append_lib(num, id) {
                    Ok(()) if log.len_bytes() > before => {
                        model.records.push((before, Record::Lib { num, id }));
                        model.ends.push(log.len_bytes());
                    }
                    Ok(()) => prop_assert_eq!(log.lib(), Some((num, id))),
                    Err(StorageError::InvalidLib { .. }) => prop_assert_eq!(log.len_bytes(), before),
                    Err(e) => return Err(TestCaseError::fail(e.to_string())),
                }
                prop_assert_eq!(log.lib(), lib_of(&model.records));
            }
            Op::Sync => {
                log.sync().unwrap();
                model.synced_len = log.len_bytes();
            }
            Op::Crash { keep } => {
                let full = log.len_bytes();
                drop(log);
                prop_assert_eq!(std::fs::metadata(log_path(dir.path())).unwrap().len(), full);
                let cut = model.synced_len + (full - model.synced_len) * u64::from(keep) / u64::from(u16::MAX);
                truncate_log(dir.path(), cut);
                let (reopened, report) = BlockLog::open(dir.path()).unwrap();
                log = reopened;
                // Exactly the records that fit below the cut survive: every synced record plus a
                // prefix of the unsynced ones.
                let survivors = model.ends.iter().take_while(|&&e| e <= cut).count();
                prop_assert!(model.ends[..survivors].last().copied().unwrap_or(0) <= cut);
                prop_assert!(model.ends.iter().filter(|&&e| e <= model.synced_len).count() <= survivors);
                model.records.truncate(survivors);
                model.ends.truncate(survivors);
                let end = model.ends.last().copied().unwrap_or(log.first_record_offset());
                prop_assert_eq!(log.len_bytes(), end);
                prop_assert_eq!(report.records as usize, survivors);
                prop_assert_eq!(report.truncation.as_ref().map(|t| t.dropped_bytes).unwrap_or(0), cut - end);
                prop_assert!(report.truncation.as_ref().is_none_or(|t| !t.forced));
                model.synced_len = end;
            }
        }
    }
    // Whatever happened, a final sync and reopen must give back exactly the model.
    log.sync().unwrap();
    drop(log);
    let (log, report) = BlockLog::open(dir.path()).unwrap();
    prop_assert_eq!(report.truncation, None);
    prop_assert_eq!(&all_records(&log), &model.records);
    prop_assert_eq!(log.lib(), lib_of(&model.records));
    for (_, r) in &model.records {
        if let Record::Block(b) = r {
            let read = log.block(&b.id()).unwrap();
            prop_assert_eq!(read.as_ref(), Some(&**b));
        }
    }
    if let Some((lib_num, lib_id)) = log.lib() {
        prop_assert_eq!(log.final_block_id(lib_num), Some(lib_id));
        let range = log.final_range().unwrap();
        let ids = log.final_chain_ids();
        prop_assert_eq!(ids.len() as u32, range.end() - range.start() + 1);
        for (i, id) in ids.iter().enumerate() {
            let b = log.block(id).unwrap().unwrap();
            prop_assert_eq!(b.block_num(), range.start() + i as u32);
            if i > 0 {
                prop_assert_eq!(b.header.previous, ids[i - 1]);
            }
        }
    }
    Ok(())
}

/// Opens whatever is in the directory and, if that succeeds, reads everything; must not panic.
fn open_and_read_everything(dir: &std::path::Path, repair: bool) {
    if let Ok((log, _)) = BlockLog::open_with(dir, OpenOptions { repair }) {
        for item in log.records_from(0).unwrap() {
            if let Ok((_, Record::Block(b))) = item {
                let _ = log.block(&b.id());
            }
        }
        if let Some(range) = log.final_range() {
            for n in range {
                let _ = log.block_by_num(n);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn crashes_keep_the_synced_prefix_and_a_valid_prefix_of_the_rest(ops in prop::collection::vec(op(), 1..60)) {
        run_crash_model(ops)?;
    }

    #[test]
    fn garbage_files_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..2000),
        with_header in any::<bool>(),
        repair in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = if with_header { b"CIVBLKLG\x01\0\0\0\0\0\0\0".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&body);
        write_log(dir.path(), &bytes);
        open_and_read_everything(dir.path(), repair);
        std::fs::write(dir.path().join("checkpoint-0000000001.bin"), &body).unwrap();
        let _ = Checkpoints::open(dir.path()).unwrap().latest();
        std::fs::write(dir.path().join("watermark.bin"), &body).unwrap();
        let _ = WatermarkFile::open(dir.path()).unwrap().load();
    }

    #[test]
    fn mutated_logs_never_panic_and_tail_damage_is_repaired(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        repair in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut log, _) = BlockLog::open(dir.path()).unwrap();
            let blocks = crate::common::chain(None, 6, 0, 64);
            log.append_blocks_and_sync(&blocks).unwrap();
            log.append_lib(4, blocks[3].id()).unwrap();
            log.sync().unwrap();
        }
        let mut bytes = read_log(dir.path());
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let cut = cut.index(bytes.len() + 1);
        write_log(dir.path(), &bytes[..cut]);
        open_and_read_everything(dir.path(), repair);
        // With repair every damaged log opens, and opens cleanly a second time.
        if repair {
            let result = BlockLog::open_with(dir.path(), OpenOptions { repair: true });
            if let Ok((log, _)) = result {
                drop(log);
                let (_, report) = BlockLog::open(dir.path()).unwrap();
                prop_assert_eq!(report.truncation, None);
            } else if let Err(e) = result {
                // Only a damaged file header is beyond repair.
                prop_assert!(e.to_string().contains("not a Civitas block log") || e.to_string().contains("version"), "{}", e);
            }
        }
    }
}
