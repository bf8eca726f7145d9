//! Test helpers: blocks without real signatures (the log never verifies them) and file surgery.

use std::fs;
use std::path::{Path, PathBuf};

use civitas_protocol::{Bytes, Checksum256, Compression, PackedTransaction, Reader, Signature, SignedBlock, Unpack};
use civitas_storage::{BlockLog, Record, BLOCK_LOG_FILE};

/// A block with `payload` bytes of transaction data; `nonce` makes otherwise equal blocks differ.
///
/// Built by decoding zero bytes (every protocol field has a valid all-zero encoding) and then
/// setting the fields the log cares about, so the helper keeps compiling when the protocol crate
/// adds header or body fields.
pub fn block(num: u32, previous: Checksum256, nonce: u64, payload: usize) -> SignedBlock {
    let zeros = [0u8; 4096];
    let mut b = SignedBlock::unpack(&mut Reader::new(&zeros)).expect("all-zero block decodes");
    b.header.previous = previous;
    b.header.block_num = num;
    b.header.slot = nonce;
    b.producer_signature = Signature([1u8; 65]);
    if payload > 0 {
        b.transactions = vec![PackedTransaction {
            signatures: vec![Signature([3u8; 65])],
            compression: Compression::None,
            packed_context_free_data: Bytes(vec![]),
            packed_trx: Bytes(if payload <= 1 << 16 {
                (0..payload).map(|i| (i as u64 ^ nonce) as u8).collect()
            } else {
                vec![nonce as u8; payload]
            }),
        }];
    }
    b
}

/// `n` blocks extending `parent` (or starting at genesis), with distinct nonces from `nonce`.
pub fn chain(parent: Option<&SignedBlock>, n: u32, nonce: u64, payload: usize) -> Vec<SignedBlock> {
    let (mut num, mut prev) = match parent {
        Some(p) => (p.block_num() + 1, p.id()),
        None => (1, Checksum256::ZERO),
    };
    let mut out = Vec::new();
    for i in 0..n {
        let b = block(num, prev, nonce + u64::from(i), payload);
        prev = b.id();
        num += 1;
        out.push(b);
    }
    out
}

pub fn log_path(dir: &Path) -> PathBuf {
    dir.join(BLOCK_LOG_FILE)
}

pub fn read_log(dir: &Path) -> Vec<u8> {
    fs::read(log_path(dir)).unwrap()
}

pub fn write_log(dir: &Path, bytes: &[u8]) {
    fs::write(log_path(dir), bytes).unwrap();
}

pub fn truncate_log(dir: &Path, len: u64) {
    let f = fs::OpenOptions::new().write(true).open(log_path(dir)).unwrap();
    f.set_len(len).unwrap();
}

/// All records of an open log, from the start.
pub fn all_records(log: &BlockLog) -> Vec<(u64, Record)> {
    log.records_from(0).unwrap().collect::<Result<Vec<_>, _>>().unwrap()
}
