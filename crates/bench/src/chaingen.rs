//! A real chain of blocks full of signed transfers, made by the consensus core itself (one
//! producer), for the replay and sync benchmarks, written as a node data directory.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use civitas_chain::Genesis;
use civitas_consensus::{BlockLimits, Consensus, CoreConfig, Input, LocalProducer, Output};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Checksum256, Name, PackedTransaction, PrivateKey, SignedBlock, Transaction};

use crate::transfers::{genesis, transfer_trx};

/// A generated chain.
pub struct GenChain {
    /// Its genesis (one producer, `benchprod`).
    pub genesis: Genesis,
    /// Blocks 2.., in order.
    pub blocks: Vec<Arc<SignedBlock>>,
    /// Transfers in them.
    pub transfers: usize,
    /// The producer's key (also every account's key).
    pub key: PrivateKey,
    /// The last irreversible block.
    pub lib: (u32, Checksum256),
}

/// Signs `count` transfers among `n` accounts referencing `ref_id`, on all cores, keeping the
/// decoded transaction beside each signed one.
pub fn sign_transfers(
    n: usize,
    count: usize,
    chain_id: &Checksum256,
    ref_id: &Checksum256,
    key: &PrivateKey,
    expiration: u32,
    salt: u64,
) -> Vec<(Transaction, PackedTransaction)> {
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get());
    let make = |i: usize| {
        let mut x = (i as u64 ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        x ^= x >> 29;
        let from = (x % n as u64) as usize;
        let to = (from + 1 + (x >> 32) as usize % (n - 1)) % n;
        let trx = transfer_trx(from, to, format!("{salt}-{i}"), expiration, ref_id);
        let packed = trx.sign(chain_id, &[key]);
        (trx, packed)
    };
    let chunk = count.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|start| {
                let make = &make;
                s.spawn(move || (start..(start + chunk).min(count)).map(make).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("signing thread")).collect()
    })
}

/// Produces a chain of `transfers` transfers among `accounts` accounts, `per_block` per block.
pub fn generate(accounts: usize, transfers: usize, per_block: usize) -> GenChain {
    let key = PrivateKey::from_seed("bench-key");
    let g = genesis(accounts, &key);
    let producer = LocalProducer::new(Name::constant("benchprod"), key.clone());
    let config = CoreConfig {
        producers: vec![producer],
        pool_size: transfers + 1,
        limits: BlockLimits { max_transactions: per_block, max_bytes: 64 << 20 },
        ..Default::default()
    };
    let mut core = Consensus::new(&g, config).expect("valid genesis");
    let chain_id = g.chain_id();
    let genesis_id = core.head().id;
    let exp = (g.initial_timestamp.secs() + 3000) as u32;
    let pk = key.public_key();
    let txs: Vec<VerifiedTransaction> = sign_transfers(accounts, transfers, &chain_id, &genesis_id, &key, exp, 0)
        .into_iter()
        .map(|(trx, packed)| VerifiedTransaction::trusted(trx, packed, vec![pk]))
        .collect();
    let params = civitas_consensus::Params::from_genesis(&g);
    let mut blocks = vec![];
    let mut slot = 1;
    for batch in txs.chunks(per_block) {
        for r in core.push_transactions(batch.to_vec()) {
            r.expect("generated transfers apply");
        }
        let mut out = Output::default();
        core.handle(Input::Tick(params.slot_time(slot)), &mut out);
        slot += 1;
        blocks.extend(out.broadcast);
    }
    // Two more blocks so the last transfers are irreversible too.
    for _ in 0..2 {
        let mut out = Output::default();
        core.handle(Input::Tick(params.slot_time(slot)), &mut out);
        slot += 1;
        blocks.extend(out.broadcast);
    }
    let lib = (core.lib().num, core.lib().id);
    GenChain { genesis: g, blocks, transfers, key, lib }
}

/// Writes the chain as a non-producing node's data directory: genesis, configuration, block log
/// (with Signers records, as a node writes them).
pub fn write_datadir(
    chain: &GenChain,
    dir: &Path,
    p2p: Option<std::net::SocketAddr>,
    http: Option<std::net::SocketAddr>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    civitas_node::init::write_genesis(&dir.join(civitas_node::datadir::GENESIS_FILE), &chain.genesis)?;
    let config = civitas_node::NodeConfig {
        name: "bench".into(),
        p2p_listen: p2p,
        http_listen: http,
        ip_bans: false,
        ..Default::default()
    };
    config.save(dir)?;
    let (mut log, _) = civitas_storage::BlockLog::open(dir).context("creating the block log")?;
    // As a node logs what it applied: each block with its transactions' signers (every
    // generated transfer is signed by the one bench key).
    let signer = chain.key.public_key();
    for b in &chain.blocks {
        log.append_block_with_signers(b, &vec![vec![signer]; b.transactions.len()])?;
    }
    if chain.lib.0 > 1 {
        log.append_lib(chain.lib.0, chain.lib.1)?;
    }
    log.sync()?;
    Ok(())
}
