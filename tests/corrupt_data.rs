//! Issue 5 acceptance, with a real node process: "a corrupt or truncated tail of the data files
//! is detected on start with a clear message (and repaired when it is only the unsynced tail)".
//!
//! One single-producer node is crashed (SIGKILL) or stopped (SIGTERM) between phases, and its
//! files are damaged the way a crash, a bad disk or an operator could:
//!
//! (a) a torn record at the end of `blocks.log` → repaired on start with a warning; no
//!     irreversible block is lost and the LIB continues;
//! (c) a damaged newest checkpoint → skipped with a warning; the state comes from the previous one;
//! (d) a damaged `watermark.bin` → the node refuses to start (a producer must never sign without
//!     knowing what it signed);
//! (b) a flipped byte in a record well before the end of `blocks.log` → refuses to start, naming
//!     the file, the offset and `--repair-block-log`; with that flag it truncates there and runs.
//!
//! (b) goes last because the repair it ends with drops blocks on purpose.

#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // end-to-end tests drive real processes in real time

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use civitas_storage::{LOG_FILE_HEADER_LEN, RECORD_HEADER_LEN};
use support::{wait_for, TestNode};

const DEADLINE: Duration = Duration::from_secs(20);

/// The block log's records: (offset, kind, payload length).
fn records(log: &[u8]) -> Vec<(usize, u8, usize)> {
    let mut out = vec![];
    let mut at = LOG_FILE_HEADER_LEN;
    while at + RECORD_HEADER_LEN <= log.len() {
        let len = u32::from_le_bytes(log[at..at + 4].try_into().unwrap()) as usize;
        if at + RECORD_HEADER_LEN + len > log.len() {
            break;
        }
        out.push((at, log[at + 8], len));
        at += RECORD_HEADER_LEN + len;
    }
    out
}

/// The checkpoint files, oldest first, with their LIB numbers.
fn checkpoints(dir: &Path) -> Vec<(u32, PathBuf)> {
    let mut out: Vec<(u32, PathBuf)> = std::fs::read_dir(dir.join("checkpoints"))
        .map(|rd| {
            rd.filter_map(|e| {
                let path = e.ok()?.path();
                let name = path.file_name()?.to_str()?;
                let num = name.strip_prefix("checkpoint-")?.strip_suffix(".bin")?.parse().ok()?;
                Some((num, path))
            })
            .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn flip_byte(path: &Path, offset: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset] ^= 0x5a;
    std::fs::write(path, bytes).unwrap();
}

/// The number after `key` in a log line (`... at offset 1234: ...`).
fn number_after(line: &str, key: &str) -> u64 {
    let rest = &line[line.find(key).unwrap_or_else(|| panic!("no `{key}` in: {line}")) + key.len()..];
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

#[test]
fn damaged_data_files_are_detected_and_the_unsynced_tail_repaired() {
    let t0 = Instant::now();
    let mut node = TestNode::init("corrupt_data");
    // Frequent checkpoints, so a few seconds of blocks leave two of them.
    node.set_config("checkpoint_interval", "8");
    let log_path = node.dir.join("blocks.log");
    node.start(&[]);
    let before = wait_for(DEADLINE, "a LIB of 12 and two checkpoints", || {
        node.info().filter(|i| i.lib >= 12 && checkpoints(&node.dir).len() >= 2)
    });
    assert_eq!(node.block_id(before.lib).as_deref(), Some(before.lib_id.as_str()));
    node.kill9();

    // (a) A torn record after the last one: a header announcing a 300-byte block, and only 40
    // bytes of it, as a crash in the middle of an append leaves.
    let synced_len = std::fs::metadata(&log_path).unwrap().len();
    let mut torn = 300u32.to_le_bytes().to_vec();
    torn.extend_from_slice(&0xdead_beefu32.to_le_bytes());
    torn.push(1); // the Block kind
    torn.extend_from_slice(&[0x42; 40]);
    let mut log = std::fs::read(&log_path).unwrap();
    log.extend_from_slice(&torn);
    std::fs::write(&log_path, &log).unwrap();

    let restarted = node.start(&[]);
    let line = node.wait_log_line("the tail repair", DEADLINE, |l| l.contains("repaired unsynced tail"));
    assert!(line.contains("WARN") && line.contains(&log_path.display().to_string()), "{line}");
    // The repair dropped the torn bytes and nothing the node had written before them.
    let (offset, dropped) = (number_after(&line, "at offset "), number_after(&line, "dropped "));
    assert!(offset <= synced_len, "the repair cut into the written log: {line}");
    assert_eq!(offset + dropped, synced_len + torn.len() as u64, "{line}");
    assert!(restarted.lib >= before.lib, "the LIB went back from {} to {}", before.lib, restarted.lib);
    assert_eq!(node.block_id(before.lib), Some(before.lib_id.clone()), "the irreversible block changed");
    let after_a = wait_for(DEADLINE, "the LIB to advance after the repair", || {
        node.info().filter(|i| i.lib > before.lib + 3 && i.head > before.head)
    });
    let status = node.term();
    assert!(status.success(), "a clean stop failed: {status}; log:\n{}", node.log());

    // (c) The newest checkpoint (the one the clean stop just wrote) is damaged in its state.
    let cps = checkpoints(&node.dir);
    assert!(cps.len() >= 2, "expected two checkpoints, found {cps:?}");
    let (newest, previous) = (cps[cps.len() - 1].clone(), cps[cps.len() - 2].clone());
    let len = std::fs::metadata(&newest.1).unwrap().len() as usize;
    flip_byte(&newest.1, 64 + (len - 64) / 2);

    let restarted = node.start(&[]);
    let line = node.wait_log_line("the skipped checkpoint", DEADLINE, |l| {
        l.contains("skipped checkpoint") && l.contains(&newest.1.display().to_string())
    });
    assert!(line.contains("WARN"), "{line}");
    let restored = node.wait_log_line("the restore", DEADLINE, |l| l.contains("state restored"));
    assert!(
        restored.contains(&format!("checkpoint=Some({})", previous.0)),
        "not from the previous checkpoint: {restored}"
    );
    assert!(restarted.lib >= after_a.lib, "the LIB went back from {} to {}", after_a.lib, restarted.lib);
    assert_eq!(node.block_id(before.lib), Some(before.lib_id.clone()), "the irreversible block changed");
    assert_eq!(node.block_id(after_a.lib), Some(after_a.lib_id.clone()), "the irreversible block changed");
    let after_c = wait_for(DEADLINE, "the LIB to advance", || node.info().filter(|i| i.lib > after_a.lib + 3));
    node.kill9();

    // (d) A damaged producer watermark: the node must not guess what it signed.
    let watermark = node.dir.join("watermark.bin");
    let good = std::fs::read(&watermark).unwrap();
    flip_byte(&watermark, good.len() - 1);
    let (status, out) = node.run_expecting_failure(&[]);
    assert!(!status.success());
    let wm = watermark.display().to_string();
    assert!(out.contains(&wm) && out.contains("corrupt") && out.contains("refusing to produce"), "{out}");
    std::fs::write(&watermark, &good).unwrap();

    // (b) One flipped byte in a block record a third of the way into the log: written (and
    // synced, irreversible) data, not a torn tail. Valid records follow, so a truncation would
    // drop irreversible blocks; only the operator may decide that.
    let log = std::fs::read(&log_path).unwrap();
    let recs = records(&log);
    let &(bad_at, _, bad_len) = recs[recs.len() / 3..].iter().find(|r| r.1 == 1).expect("a block record");
    let after = recs.iter().filter(|r| r.0 > bad_at).count();
    assert!(after >= 10, "the damaged record at {bad_at} is not well before the end: {after} records follow");
    flip_byte(&log_path, bad_at + RECORD_HEADER_LEN + bad_len / 2);
    let (status, out) = node.run_expecting_failure(&[]);
    assert!(!status.success());
    let expected = format!("{} is corrupt at byte {bad_at}", log_path.display());
    assert!(out.contains(&expected), "the message does not name the file and offset ({expected}):\n{out}");
    assert!(out.contains("--repair-block-log"), "the message does not tell about --repair-block-log:\n{out}");

    let repaired = node.start(&["--repair-block-log"]);
    let line = node.wait_log_line("the forced repair", DEADLINE, |l| l.contains("repair: truncated"));
    assert!(line.contains(&format!("at corrupt offset {bad_at}")), "{line}");
    assert!(std::fs::metadata(&log_path).unwrap().len() >= bad_at as u64);
    // It produces again. Its LIB is not checked: the producer's vote watermark refuses vote
    // sources below those it already used (rule R2 in crates/consensus/src/produce.rs), so a
    // lone producer whose finalized blocks were dropped stops finalizing. On a network the
    // dropped blocks come back from peers.
    node.wait_head_beyond(repaired.head + 2, DEADLINE);
    let status = node.term();
    assert!(status.success(), "a clean stop failed: {status}; log:\n{}", node.log());

    // The repaired log is whole again: a plain start needs no repair.
    node.start(&[]);
    let log = node.log();
    let damage = ["repaired unsynced tail", "repair: truncated", "is corrupt at"];
    assert!(!damage.iter().any(|d| log.contains(d)), "the repaired log is still damaged:\n{log}");
    let status = node.term();
    assert!(status.success(), "a clean stop failed: {status}; log:\n{}", node.log());
    println!(
        "corrupt_data: LIB {} → {} → {}; done in {:.1} s",
        before.lib,
        after_a.lib,
        after_c.lib,
        t0.elapsed().as_secs_f64()
    );
}
