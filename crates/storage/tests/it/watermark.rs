//! The producer watermark file.

use std::fs;

use civitas_storage::{StorageError, WatermarkFile};

#[test]
fn store_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let wm = WatermarkFile::open(dir.path().join("producer")).unwrap();
    assert_eq!(wm.load().unwrap(), Vec::<u8>::new());
    wm.store(b"slot 17").unwrap();
    assert_eq!(wm.load().unwrap(), b"slot 17");
    wm.store(b"slot 18, longer content").unwrap();
    wm.store(b"").unwrap();
    assert_eq!(wm.load().unwrap(), b"");
    wm.store(b"slot 19").unwrap();
    assert_eq!(WatermarkFile::open(dir.path().join("producer")).unwrap().load().unwrap(), b"slot 19");
}

#[test]
fn a_crash_before_the_rename_keeps_the_old_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let wm = WatermarkFile::open(dir.path()).unwrap();
    wm.store(b"old").unwrap();
    // An interrupted store leaves only the temporary file, possibly torn.
    fs::write(dir.path().join("watermark.tmp"), b"CIVWMA").unwrap();
    assert_eq!(wm.load().unwrap(), b"old");
    wm.store(b"new").unwrap();
    assert_eq!(wm.load().unwrap(), b"new");
    assert!(!dir.path().join("watermark.tmp").exists());
}

#[test]
fn a_damaged_watermark_is_an_error_not_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let wm = WatermarkFile::open(dir.path()).unwrap();
    wm.store(b"slot 1234").unwrap();
    let good = fs::read(wm.path()).unwrap();
    for i in 0..good.len() {
        let mut bytes = good.clone();
        bytes[i] ^= 0x01;
        fs::write(wm.path(), &bytes).unwrap();
        assert!(matches!(wm.load(), Err(StorageError::Corrupt { .. })), "flip at {i}");
    }
    for cut in 0..good.len() {
        fs::write(wm.path(), &good[..cut]).unwrap();
        let err = wm.load().unwrap_err();
        assert!(err.to_string().contains("refusing to produce"), "{err}");
    }
}
