//! Checkpoints and snapshots: atomic writes, retention, fallback past damaged files.

use std::fs;

use civitas_storage::{export_snapshot, import_snapshot, Checkpoints, StorageError, CHECKPOINTS_KEPT};

fn state(n: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31) ^ n).collect()
}

#[test]
fn write_keeps_the_newest_two_and_latest_returns_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let cps = Checkpoints::open(dir.path()).unwrap();
    assert_eq!(cps.latest().unwrap().checkpoint, None);
    for (i, lib) in [10u32, 20, 30].into_iter().enumerate() {
        cps.write(1000 + i as u64, lib, &state(i as u8, 5000)).unwrap();
    }
    let list = cps.list().unwrap();
    assert_eq!(list.iter().map(|l| l.0).collect::<Vec<_>>(), vec![30, 20]);
    assert_eq!(list.len(), CHECKPOINTS_KEPT);
    let latest = cps.latest().unwrap();
    assert!(latest.skipped.is_empty());
    let c = latest.checkpoint.unwrap();
    assert_eq!((c.lib_num, c.log_offset), (30, 1002));
    assert_eq!(c.bytes, state(2, 5000));
    assert!(c.path.ends_with("checkpoint-0000000030.bin"));
    // An empty state is a valid checkpoint too.
    cps.write(1003, 31, &[]).unwrap();
    assert_eq!(cps.latest().unwrap().checkpoint.unwrap().bytes, Vec::<u8>::new());
}

#[test]
fn an_interrupted_write_leaves_the_previous_checkpoint_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let cps = Checkpoints::open(dir.path()).unwrap();
    cps.write(100, 10, &state(1, 3000)).unwrap();
    cps.write(200, 20, &state(2, 3000)).unwrap();
    let good = fs::read(dir.path().join("checkpoint-0000000020.bin")).unwrap();

    // Crash before the rename: only a temporary file for LIB 30.
    fs::write(dir.path().join("checkpoint-0000000030.tmp"), &good[..1000]).unwrap();
    let c = cps.latest().unwrap().checkpoint.unwrap();
    assert_eq!(c.lib_num, 20);
    // Reopening removes the stale temporary file.
    let cps = Checkpoints::open(dir.path()).unwrap();
    assert!(!dir.path().join("checkpoint-0000000030.tmp").exists());

    // A newest file that is truncated (for example copied by hand, or damaged on disk) at every
    // interesting length, and one with a flipped bit anywhere: the previous one is used.
    let newest = dir.path().join("checkpoint-0000000030.bin");
    for cut in [0, 10, 63, 64, 65, 2000, good.len() - 1] {
        let mut bytes = good.clone();
        bytes[12..16].copy_from_slice(&30u32.to_le_bytes());
        fs::write(&newest, &bytes[..cut]).unwrap();
        let latest = cps.latest().unwrap();
        assert_eq!(latest.checkpoint.unwrap().lib_num, 20, "cut {cut}");
        assert_eq!(latest.skipped.len(), 1);
        assert_eq!(latest.skipped[0].path, newest);
        assert!(!latest.skipped[0].deleted);
    }
    for pos in [0, 9, 13, 17, 25, 40, 64, 1500, good.len() - 1] {
        let mut bytes = good.clone();
        bytes[pos] ^= 0x04;
        fs::write(dir.path().join("checkpoint-0000000020.bin"), &bytes).unwrap();
        let latest = cps.latest().unwrap();
        assert_eq!(latest.checkpoint.unwrap().lib_num, 10, "flip at {pos}");
        assert!(latest.skipped.iter().any(|s| s.path.ends_with("checkpoint-0000000020.bin")), "flip at {pos}");
    }
}

#[test]
fn a_checkpoint_past_the_logs_end_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let cps = Checkpoints::open(dir.path()).unwrap();
    cps.write(100, 10, b"old").unwrap();
    cps.write(500, 20, b"new").unwrap();
    let latest = cps.latest_within(300).unwrap();
    assert_eq!(latest.checkpoint.unwrap().lib_num, 10);
    assert!(latest.skipped[0].deleted);
    assert!(latest.skipped[0].reason.contains("beyond the log's end"), "{}", latest.skipped[0].reason);
    assert_eq!(cps.list().unwrap().len(), 1);
    assert_eq!(cps.latest_within(100).unwrap().checkpoint.unwrap().lib_num, 10);
}

#[test]
fn snapshots_export_and_import_verified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exports/state-42.snap");
    export_snapshot(&path, 42, &state(7, 10_000)).unwrap();
    let snap = import_snapshot(&path).unwrap();
    assert_eq!(snap.lib_num, 42);
    assert_eq!(snap.bytes, state(7, 10_000));

    let mut bytes = fs::read(&path).unwrap();
    bytes[5000] ^= 1;
    fs::write(&path, &bytes).unwrap();
    let err = import_snapshot(&path).unwrap_err();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("SHA-256 mismatch"), "{err}");
    assert!(matches!(import_snapshot(dir.path().join("missing")), Err(StorageError::Io { .. })));
    fs::write(&path, b"garbage").unwrap();
    assert!(matches!(import_snapshot(&path), Err(StorageError::Corrupt { .. })));
}
