//! Checkpoints: the node's state at its last irreversible block, as bytes the storage layer
//! writes atomically. A restart loads the latest checkpoint and replays only the blocks above
//! it from the block log, never the chain from genesis.
//!
//! Contents: the chain state's rows at the LIB (reversible blocks reverted) and its commitment,
//! the LIB block with its header state (schedules, finality, vote marks) and the archive of
//! recent irreversible headers that finality evaluation looks back into, then a SHA-256 of all
//! of it. The state commitment chains per-block change sets, so it cannot vouch for a set of
//! rows by itself; the digest is what catches a damaged or altered checkpoint.

use std::collections::BTreeMap;
use std::sync::Arc;

use civitas_chain::state::{Kv, RowKey};
use civitas_chain::{Chain, Genesis};
use civitas_protocol::codec::{Pack, Reader, Unpack};
use civitas_protocol::{Checksum256, CodecError, Name, ProducerSchedule, SignedBlock};

use crate::core::{Consensus, CoreConfig};
use crate::finality::Finality;
use crate::forkdb::{Archived, BlockEntry, ForkDb, HeaderState};

const MAGIC: &[u8; 8] = b"CIVCKPT1";

/// Why a checkpoint cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Not a checkpoint, or a damaged one.
    #[error("invalid checkpoint: {0}")]
    Invalid(String),
    /// A checkpoint of another chain.
    #[error("checkpoint belongs to chain {found}, this node runs {expected}")]
    WrongChain {
        /// The chain of this node.
        expected: Checksum256,
        /// The chain of the checkpoint.
        found: Checksum256,
    },
}

impl From<CodecError> for CheckpointError {
    fn from(e: CodecError) -> Self {
        CheckpointError::Invalid(e.to_string())
    }
}

fn pack_entry(e: &BlockEntry, out: &mut Vec<u8>) {
    e.block.pack(out);
    e.round.pack(out);
    (*e.schedule).pack(out);
    (*e.prev_schedule).pack(out);
    e.finality.lib.pack(out);
    e.finality.lib_slot.pack(out);
    e.finality.justified.pack(out);
    let marks: Vec<(Name, (u64, u64))> = e.last_votes.iter().map(|(k, v)| (*k, *v)).collect();
    marks.pack(out);
}

fn unpack_entry(r: &mut Reader<'_>, params: &crate::Params) -> Result<BlockEntry, CodecError> {
    let block = SignedBlock::unpack(r)?;
    let round = u64::unpack(r)?;
    let schedule = Arc::new(ProducerSchedule::unpack(r)?);
    let prev_schedule = Arc::new(ProducerSchedule::unpack(r)?);
    let finality =
        Finality { lib: u32::unpack(r)?, lib_slot: u64::unpack(r)?, justified: Vec::<(u64, u32)>::unpack(r)? };
    let marks = Vec::<(Name, (u64, u64))>::unpack(r)?;
    let last_votes = Arc::new(marks.into_iter().collect::<BTreeMap<_, _>>());
    Ok(BlockEntry::new(Arc::new(block), HeaderState { round, schedule, prev_schedule, finality, last_votes }, params))
}

impl Consensus {
    /// The node's state at its LIB, as bytes (see the module docs). Costs one pass over the
    /// state; call it periodically, not per block.
    pub fn checkpoint(&self) -> Vec<u8> {
        let (rows, root) = self.chain.kv().export_base();
        let mut out = Vec::with_capacity(64 + rows.iter().map(|r| r.1.len() + 40).sum::<usize>());
        out.extend_from_slice(MAGIC);
        self.chain.config().chain_id.pack(&mut out);
        pack_entry(self.forkdb.root(), &mut out);
        let archive = self.forkdb.archive();
        (archive.len() as u32).pack(&mut out);
        for a in archive {
            a.pack(&mut out);
        }
        root.pack(&mut out);
        (rows.len() as u64).pack(&mut out);
        for (k, v) in &rows {
            out.extend_from_slice(&k.to_bytes());
            civitas_protocol::codec::write_bytes(&mut out, v);
        }
        let digest = civitas_protocol::sha256(&out);
        digest.pack(&mut out);
        out
    }

    /// A node restored from a checkpoint of `genesis`'s chain. Its head is the checkpoint's
    /// LIB; the caller then feeds it the blocks above it from the block log.
    pub fn from_checkpoint(genesis: &Genesis, config: CoreConfig, bytes: &[u8]) -> Result<Consensus, CheckpointError> {
        let Some(body_len) = bytes.len().checked_sub(32) else {
            return Err(CheckpointError::Invalid("too short".into()));
        };
        let (body, digest) = bytes.split_at(body_len);
        let mut r = Reader::new(body);
        if r.take(MAGIC.len())? != MAGIC {
            return Err(CheckpointError::Invalid("bad magic".into()));
        }
        let chain_id = Checksum256::unpack(&mut r)?;
        if chain_id != genesis.chain_id() {
            return Err(CheckpointError::WrongChain { expected: genesis.chain_id(), found: chain_id });
        }
        if civitas_protocol::sha256(body).0[..] != digest[..] {
            return Err(CheckpointError::Invalid("digest mismatch: the checkpoint is damaged".into()));
        }
        let mut fresh = Consensus::new(genesis, config).map_err(|e| CheckpointError::Invalid(e.to_string()))?;
        let params = fresh.params;
        let root = unpack_entry(&mut r, &params)?;
        let n_archive = u32::unpack(&mut r)? as usize;
        let mut archive = Vec::with_capacity(n_archive.min(4096));
        for _ in 0..n_archive {
            archive.push(Archived::unpack(&mut r)?);
        }
        let state_root = Checksum256::unpack(&mut r)?;
        let n_rows = u64::unpack(&mut r)?;
        let mut kv = Kv::new();
        for _ in 0..n_rows {
            let kb: [u8; 33] = r.array()?;
            let key = RowKey::from_bytes(&kb).ok_or_else(|| CheckpointError::Invalid("bad row key".into()))?;
            kv.load(key, r.bytes()?.to_vec());
        }
        r.finish()?;
        kv.set_root(state_root);
        if root.block.header.state_root != state_root {
            return Err(CheckpointError::Invalid("the state does not match the LIB block's state root".into()));
        }
        fresh.chain = Chain::from_state(genesis, kv);
        let mut forkdb = ForkDb::new(root, fresh.forkdb.window(), fresh.params.round_len());
        forkdb.set_archive(archive);
        fresh.head = forkdb.root().clone();
        fresh.forkdb = forkdb;
        Ok(fresh)
    }
}
