//! The node's durable state (docs/storage.md): the block log, state checkpoints and the
//! producer watermark, and the restart that rebuilds the consensus core from them — the latest
//! checkpoint plus the log records after it, never the chain from genesis.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use civitas_chain::Genesis;
use civitas_consensus::{Consensus, CoreConfig, Input, Output, Watermark};
use civitas_protocol::codec::{Pack, Unpack};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Checksum256, Name, PublicKey, SignedBlock, TimePoint};
use civitas_storage::{BlockLog, Checkpoints, OpenOptions, Record, StorageError, WatermarkFile, LOG_FILE_HEADER_LEN};
use tracing::{info, warn};

use crate::pipeline::MAX_TRX_BYTES;

/// Longest time between checkpoints while the LIB advances: a restart then replays at most
/// this much of the log, however slowly blocks become irreversible.
pub const CHECKPOINT_PERIOD: Duration = Duration::from_secs(30);

/// The block log, shared with the API (reads only) and the sync server.
pub type SharedLog = Arc<RwLock<BlockLog>>;

/// What the node keeps on disk.
pub struct Store {
    /// The append-only block log.
    pub log: SharedLog,
    /// State checkpoints.
    pub checkpoints: Checkpoints,
    /// What local producers have signed.
    pub watermark: WatermarkFile,
    /// LIB of the last checkpoint written or loaded.
    pub last_checkpoint: u32,
    /// When the last checkpoint was started (or the store opened).
    last_checkpoint_at: Instant,
    /// A checkpoint being written on a background thread.
    pending: Option<std::thread::JoinHandle<civitas_storage::Result<PathBuf>>>,
}

/// How a restart went, for the log and `civitas node replay`.
#[derive(Debug, Clone, Default)]
pub struct RestoreReport {
    /// LIB of the checkpoint the state was loaded from (`None`: from genesis).
    pub checkpoint_lib: Option<u32>,
    /// Block records replayed from the log.
    pub replayed_blocks: u64,
    /// Transactions in those blocks.
    pub replayed_transactions: u64,
    /// Replayed blocks whose signers were not logged, so their signatures were recovered.
    pub recovered_blocks: u64,
    /// Time to load the checkpoint.
    pub load_time: Duration,
    /// Time to replay the log.
    pub replay_time: Duration,
    /// Lines worth telling the operator (repairs, skipped checkpoints).
    pub notes: Vec<String>,
}

/// Packs the producer watermarks for [`WatermarkFile`].
pub fn pack_watermarks(w: &BTreeMap<Name, Watermark>) -> Vec<u8> {
    let v: Vec<(Name, Watermark)> = w.iter().map(|(k, v)| (*k, *v)).collect();
    v.packed()
}

fn unpack_watermarks(bytes: &[u8]) -> anyhow::Result<BTreeMap<Name, Watermark>> {
    if bytes.is_empty() {
        return Ok(BTreeMap::new());
    }
    let v = Vec::<(Name, Watermark)>::unpack_exact(bytes).context("the producer watermark file does not decode")?;
    Ok(v.into_iter().collect())
}

/// Which start the store should make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    /// The latest checkpoint, then the log after it (a normal start).
    Checkpoint,
    /// Genesis, then every block in the log (`civitas node replay`).
    Genesis,
}

impl Store {
    /// Opens the files in `dir` and rebuilds the core: watermarks, then the state, then the
    /// blocks above it. `repair` truncates a damaged log at the first bad record (the
    /// operator's decision; a torn tail is always repaired).
    pub fn open(
        dir: &Path,
        genesis: &Genesis,
        config: CoreConfig,
        repair: bool,
        from: StartFrom,
        now: TimePoint,
    ) -> anyhow::Result<(Store, Consensus, RestoreReport)> {
        let mut report = RestoreReport::default();
        let (log, open) = BlockLog::open_with(dir, OpenOptions { repair }).map_err(|e| {
            // The storage crate does not know the command line: name the flag that truncates at a
            // damaged record (damage to the file header, at offsets 0 and 8, it cannot repair).
            let what = match &e {
                StorageError::Corrupt { offset, .. } if !repair && *offset >= LOG_FILE_HEADER_LEN as u64 => format!(
                    "the block log in {} is damaged; start the node once with --repair-block-log to truncate it at \
                     the damage (the blocks after it are lost and must come again from peers)",
                    dir.display()
                ),
                _ => format!("opening the block log in {}", dir.display()),
            };
            anyhow::Error::new(e).context(what)
        })?;
        if let Some(t) = &open.truncation {
            warn!("{t}");
            report.notes.push(t.to_string());
        }
        let checkpoints = Checkpoints::open(dir.join("checkpoints")).context("opening the checkpoint directory")?;
        let watermark = WatermarkFile::open(dir).context("opening the producer watermark")?;
        let marks = unpack_watermarks(&watermark.load().context("reading the producer watermark")?)?;

        let t0 = Instant::now();
        let (mut core, offset, checkpoint_lib) = match from {
            StartFrom::Genesis => (Consensus::new(genesis, config)?, 0, None),
            StartFrom::Checkpoint => {
                let latest = checkpoints.latest_within(log.len_bytes()).context("reading checkpoints")?;
                for s in &latest.skipped {
                    // A damaged file would otherwise keep one of the two checkpoint slots for
                    // ever and be reported at every start: set it aside for inspection.
                    if !s.deleted {
                        let aside = s.path.with_extension("damaged");
                        let _ = std::fs::rename(&s.path, &aside);
                    }
                    let note = format!("skipped checkpoint {}: {}", s.path.display(), s.reason);
                    warn!("{note}");
                    report.notes.push(note);
                }
                match latest.checkpoint {
                    Some(c) => {
                        let core = Consensus::from_checkpoint(genesis, config, &c.bytes)
                            .with_context(|| format!("loading checkpoint {}", c.path.display()))?;
                        (core, c.log_offset, Some(c.lib_num))
                    }
                    None => (Consensus::new(genesis, config)?, 0, None),
                }
            }
        };
        report.load_time = t0.elapsed();
        report.checkpoint_lib = checkpoint_lib;
        core.set_time(now);
        for (p, w) in &marks {
            core.set_watermark(*p, *w);
        }

        let t1 = Instant::now();
        let base = core.lib().num;
        let chain_id = genesis.chain_id();
        let mut out = Output::default();
        let mut records = log.records_from(offset).context("replaying the block log")?.peekable();
        while let Some(item) = records.next() {
            let (_, record) = item.context("replaying the block log")?;
            let Record::Block(b) = record else { continue };
            // The keys this node recovered when it applied the block, logged right after it.
            let signers = match records.next_if(|r| matches!(r, Ok((_, Record::Signers { id, .. })) if id == &b.id())) {
                Some(Ok((_, Record::Signers { signers, .. }))) => Some(signers),
                _ => None,
            };
            if b.block_num() <= base {
                continue;
            }
            report.replayed_blocks += 1;
            report.replayed_transactions += b.transactions.len() as u64;
            core.provide_verified(replay_transactions(&chain_id, &b, signers, &mut report));
            core.handle(Input::Block { block: Arc::new(*b), from: None }, &mut out);
            // Nothing from a replay leaves the node; only the rejections matter.
            out.applied.clear();
            out.irreversible.clear();
            out.approvals.clear();
            out.relay_approvals.clear();
            out.broadcast.clear();
            out.relay.clear();
        }
        core.forget_verified();
        for (id, e) in out.rejected.iter().take(5) {
            let note = format!("a logged block was rejected on replay: {id}: {e}");
            warn!("{note}");
            report.notes.push(note);
        }
        report.replay_time = t1.elapsed();
        if let Some((num, _)) = log.lib() {
            if core.lib().num < num {
                let note = format!(
                    "the replayed LIB {} is below the logged LIB {num}; the rest will come from peers",
                    core.lib().num
                );
                warn!("{note}");
                report.notes.push(note);
            }
        }
        info!(
            checkpoint = ?checkpoint_lib,
            blocks = report.replayed_blocks,
            head = core.head().num,
            lib = core.lib().num,
            load_ms = report.load_time.as_millis() as u64,
            replay_ms = report.replay_time.as_millis() as u64,
            "state restored"
        );
        let last_checkpoint = checkpoint_lib.unwrap_or(0);
        let store = Store {
            log: Arc::new(RwLock::new(log)),
            checkpoints,
            watermark,
            last_checkpoint,
            last_checkpoint_at: Instant::now(),
            pending: None,
        };
        Ok((store, core, report))
    }

    /// Persists the durable parts of a step, in the order docs/storage.md requires: the
    /// watermarks (before anything we signed leaves), then the accepted blocks and the new LIB,
    /// then one sync. Any error means the node must stop.
    pub fn persist(&mut self, core: &Consensus, out: &Output) -> anyhow::Result<()> {
        if !out.watermarks.is_empty() {
            let marks: BTreeMap<Name, Watermark> =
                out.watermarks.iter().map(|(p, _)| (*p, core.watermark(*p))).collect();
            let mut all = unpack_watermarks(&self.watermark.load()?)?;
            all.extend(marks);
            self.watermark.store(&pack_watermarks(&all)).context("storing the producer watermark")?;
        }
        if out.applied.is_empty() && out.irreversible.is_empty() {
            return Ok(());
        }
        let mut log = self.log.write().expect("log lock");
        // Only applied blocks — validated in full — reach the log, each with the keys its
        // transactions were verified with (replay checks authorities against them).
        for a in &out.applied {
            let signers: Vec<Vec<PublicKey>> = a.transactions.iter().map(|t| t.signers.clone()).collect();
            log.append_block_with_signers(&a.block, &signers).context("appending to the block log")?;
        }
        if let Some(b) = out.irreversible.last() {
            // A block can become irreversible only once applied, hence logged above or
            // before; one we never applied (restored from a checkpoint) is not logged and
            // needs no record.
            if log.contains(&b.id()) && log.lib().is_none_or(|(n, _)| n < b.block_num()) {
                log.append_lib(b.block_num(), b.id()).context("recording the LIB in the block log")?;
            }
        }
        log.sync().context("syncing the block log")?;
        Ok(())
    }

    /// Starts writing a checkpoint of the core's LIB state on a background thread when
    /// `interval` irreversible blocks or [`CHECKPOINT_PERIOD`] passed since the last one, or
    /// when `force`d. Returns an error if the previous write failed.
    pub fn maybe_checkpoint(&mut self, core: &Consensus, interval: u32, force: bool) -> anyhow::Result<()> {
        let lib = core.lib();
        // The first irreversible block gets a checkpoint at once, so no restart ever replays
        // from genesis.
        let due = (self.last_checkpoint <= 1 && lib.num > 1)
            || lib.num >= self.last_checkpoint + interval
            || self.last_checkpoint_at.elapsed() >= CHECKPOINT_PERIOD;
        if lib.num <= self.last_checkpoint || !(force || due) {
            if force {
                // Shutdown: a checkpoint of this LIB may still be in flight. Wait for it, or the
                // process exits mid-write and its error goes unreported.
                self.finish_checkpoint()?;
            }
            return Ok(());
        }
        if let Some(h) = &self.pending {
            if !h.is_finished() && !force {
                return Ok(());
            }
        }
        self.finish_checkpoint()?;
        let log = self.log.read().expect("log lock");
        // Replay restarts at the LIB block's record: every reversible block above it was
        // accepted, hence logged, after it.
        let offset = log.offset_of(&lib.id).unwrap_or_else(|| log.first_record_offset());
        if offset >= log.synced_len() && log.contains(&lib.id) {
            return Ok(()); // not durable yet; next time
        }
        drop(log);
        let bytes = core.checkpoint();
        let num = lib.num;
        let cps = self.checkpoints.clone();
        self.last_checkpoint = num;
        self.last_checkpoint_at = Instant::now();
        self.pending = Some(std::thread::spawn(move || cps.write(offset, num, &bytes)));
        if force {
            self.finish_checkpoint()?;
        }
        Ok(())
    }

    /// Waits for a checkpoint being written.
    pub fn finish_checkpoint(&mut self) -> anyhow::Result<()> {
        if let Some(h) = self.pending.take() {
            match h.join() {
                Ok(Ok(path)) => info!(path = %path.display(), "checkpoint written"),
                Ok(Err(e)) => bail!("writing a checkpoint: {e}"),
                Err(_) => bail!("the checkpoint writer panicked"),
            }
        }
        Ok(())
    }
}

/// The transactions of a logged block, ready to apply: with the signers logged beside the
/// block when they are there (no signature is recovered, every authority is still checked),
/// else verified again in parallel (a log written before signers were logged, or a Signers
/// record lost with a torn tail). Transactions that do not verify are left to the core, which
/// rejects the block.
fn replay_transactions(
    chain_id: &Checksum256,
    block: &SignedBlock,
    signers: Option<Vec<Vec<PublicKey>>>,
    report: &mut RestoreReport,
) -> Vec<Arc<VerifiedTransaction>> {
    if let Some(signers) = signers.filter(|s| s.len() == block.transactions.len()) {
        return block
            .transactions
            .iter()
            .zip(signers)
            .filter_map(|(p, keys)| VerifiedTransaction::with_signers(p.clone(), keys, MAX_TRX_BYTES).ok())
            .map(Arc::new)
            .collect();
    }
    if block.transactions.is_empty() {
        return vec![];
    }
    report.recovered_blocks += 1;
    crate::pipeline::verify_all(chain_id, block.transactions.clone()).into_iter().flatten().map(Arc::new).collect()
}

/// Blocks for the API and for peers: the fork database above the LIB, the log below.
pub struct StoredBlocks {
    /// The log.
    pub log: SharedLog,
}

impl civitas_rpc::BlockSource for StoredBlocks {
    fn by_num(&self, num: u32) -> Option<Arc<SignedBlock>> {
        self.log.read().ok()?.block_by_num(num).ok().flatten().map(Arc::new)
    }
    fn by_id(&self, id: &Checksum256) -> Option<Arc<SignedBlock>> {
        self.log.read().ok()?.block(id).ok().flatten().map(Arc::new)
    }
    fn earliest_num(&self) -> u32 {
        self.log.read().ok().and_then(|l| l.final_range()).map_or(1, |r| *r.start())
    }
}
