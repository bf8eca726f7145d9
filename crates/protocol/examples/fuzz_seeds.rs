//! Writes the seed corpus for the cargo-fuzz targets in `fuzz/`:
//!
//! ```sh
//! cargo run -p civitas-protocol --example fuzz_seeds
//! ```
//!
//! Seeds are valid encodings made with the current types, so they stay in step with the block
//! layout: the eosjs-signed packed transactions from `tests/vectors/eosjs.json` (plain and
//! zlib) and signed blocks carrying them. The corpus folders are git-ignored.

use std::path::PathBuf;

use civitas_protocol::block::transaction_mroot;
use civitas_protocol::checksum::sha256;
use civitas_protocol::{
    BlockHeader, Checksum256, Name, Pack, PackedTransaction, PrivateKey, ProducerKey, ProducerSchedule, SignedBlock,
    Vote,
};

fn eosjs_packed_transactions() -> Vec<PackedTransaction> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/eosjs.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for t in v["transactions"].as_array().unwrap() {
        for body in ["push_body", "push_body_zlib"] {
            out.push(serde_json::from_value(t[body].clone()).unwrap());
        }
    }
    out
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let trx_dir = root.join("decode_transaction");
    let block_dir = root.join("decode_block");
    std::fs::create_dir_all(&trx_dir).unwrap();
    std::fs::create_dir_all(&block_dir).unwrap();

    let trxs = eosjs_packed_transactions();
    for (i, p) in trxs.iter().enumerate() {
        std::fs::write(trx_dir.join(format!("seed-eosjs-{i}")), p.packed()).unwrap();
    }

    let key = PrivateKey::from_seed("fuzz-producer");
    let chain = Checksum256([7; 32]);
    let blocks = [(0usize, false, false), (1, true, false), (trxs.len(), true, true)];
    for (i, (n, vote, schedule)) in blocks.into_iter().enumerate() {
        let transactions: Vec<PackedTransaction> = trxs[..n].to_vec();
        let header = BlockHeader {
            previous: sha256(b"previous"),
            block_num: 100 + i as u32,
            slot: 1000 + i as u64,
            producer: Name::constant("bp1"),
            schedule_version: 1,
            votes: if vote {
                vec![Vote { source_slot: 998, first_slot: 999, last_slot: 1000 + i as u64 }]
            } else {
                vec![]
            },
            new_schedule: schedule.then(|| ProducerSchedule {
                version: 2,
                producers: vec![ProducerKey {
                    producer_name: Name::constant("bp1"),
                    block_signing_key: key.public_key(),
                }],
            }),
            transaction_mroot: transaction_mroot(&transactions),
            state_root: sha256(b"state"),
            evidence_root: Checksum256::ZERO,
            approvals_root: Checksum256::ZERO,
            header_extensions: vec![],
        };
        let block = SignedBlock::sign(header, transactions, &chain, &key);
        std::fs::write(block_dir.join(format!("seed-block-{i}")), block.packed()).unwrap();
    }
}
