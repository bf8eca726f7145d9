//! The tasks between the network and the state thread. Signature recovery is the expensive part
//! of admitting a block or a transaction, so it happens here, on all cores, before the state
//! thread sees the input; the core then reuses the recovered keys (each signature is recovered
//! once per node).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use civitas_consensus::Params;
use civitas_network::{NetEvent, NetHandle, PeerId as NetPeer, RequestId, Severity};
use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Checksum256, PackedTransaction, SignedBlock};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::metrics::NodeMetrics;
use crate::state::CoreMsg;

/// Largest packed transaction accepted (also the inflate limit).
pub const MAX_TRX_BYTES: usize = 512 * 1024;

/// Blocks to verify, in arrival order.
pub struct BlockJob {
    peer: NetPeer,
    blocks: Vec<SignedBlock>,
    request: Option<RequestId>,
}

/// Verifies transactions on every core; `None` where a signature does not verify (the core
/// then reports the block or drops the transaction).
pub fn verify_all(chain_id: &Checksum256, txs: Vec<PackedTransaction>) -> Vec<Option<VerifiedTransaction>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if txs.len() < 32 || threads == 1 {
        return txs.into_iter().map(|t| VerifiedTransaction::verify(chain_id, t, MAX_TRX_BYTES).ok()).collect();
    }
    let chunk = txs.len().div_ceil(threads);
    let mut parts: Vec<Vec<PackedTransaction>> = Vec::new();
    let mut it = txs.into_iter().peekable();
    while it.peek().is_some() {
        parts.push(it.by_ref().take(chunk).collect());
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    part.into_iter()
                        .map(|t| VerifiedTransaction::verify(chain_id, t, MAX_TRX_BYTES).ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// Sends network events to where they belong: blocks to the block verifier, transactions to
/// the transaction verifier, the rest to the state thread.
pub async fn route(
    mut events: mpsc::Receiver<NetEvent>,
    core: mpsc::Sender<CoreMsg>,
    blocks: mpsc::Sender<BlockJob>,
    txs: mpsc::Sender<(NetPeer, PackedTransaction)>,
) {
    while let Some(ev) = events.recv().await {
        let sent = match ev {
            NetEvent::Block { peer, block } => {
                blocks.send(BlockJob { peer, blocks: vec![*block], request: None }).await.is_ok()
            }
            NetEvent::Blocks { peer, request, blocks: bs } => {
                blocks.send(BlockJob { peer, blocks: bs, request: Some(request) }).await.is_ok()
            }
            NetEvent::Transaction { peer, trx } => {
                // Transactions are droppable: never stall blocks behind them.
                let _ = txs.try_send((peer, *trx));
                true
            }
            other => core.send(CoreMsg::Net(other)).await.is_ok(),
        };
        if !sent {
            break;
        }
    }
}

/// Verifies blocks' transactions, one job at a time (order matters: parents first).
pub async fn verify_blocks(
    mut jobs: mpsc::Receiver<BlockJob>,
    core: mpsc::Sender<CoreMsg>,
    chain_id: Checksum256,
    metrics: Arc<NodeMetrics>,
) {
    while let Some(job) = jobs.recv().await {
        let packed: Vec<PackedTransaction> = job.blocks.iter().flat_map(|b| b.transactions.iter().cloned()).collect();
        let n = packed.len();
        let verified = if n == 0 {
            vec![]
        } else {
            tokio::task::spawn_blocking(move || verify_all(&chain_id, packed)).await.unwrap_or_default()
        };
        metrics.txs_verified.fetch_add(n as u64, Ordering::Relaxed);
        let mut verified = verified.into_iter();
        let count = job.blocks.len();
        for b in job.blocks {
            let mine: Vec<Arc<VerifiedTransaction>> =
                verified.by_ref().take(b.transactions.len()).flatten().map(Arc::new).collect();
            let msg = CoreMsg::Block { block: Arc::new(b), peer: Some(job.peer), verified: mine };
            if core.send(msg).await.is_err() {
                return;
            }
        }
        if let Some(request) = job.request {
            if core.send(CoreMsg::SyncDone { peer: job.peer, request, count }).await.is_err() {
                return;
            }
        }
    }
}

/// Verifies gossiped transactions in batches and hands the good ones to the state thread; a
/// peer sending transactions with bad signatures is penalized.
pub async fn verify_transactions(
    mut rx: mpsc::Receiver<(NetPeer, PackedTransaction)>,
    core: mpsc::Sender<CoreMsg>,
    chain_id: Checksum256,
    net: NetHandle,
    metrics: Arc<NodeMetrics>,
) {
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        // Gather what is already queued: one verification pass and one state-thread message
        // per batch instead of per transaction.
        while batch.len() < 4096 {
            match rx.try_recv() {
                Ok(x) => batch.push(x),
                Err(_) => break,
            }
        }
        let (peers, packed): (Vec<NetPeer>, Vec<PackedTransaction>) = batch.drain(..).unzip();
        metrics.txs_verified.fetch_add(packed.len() as u64, Ordering::Relaxed);
        let verified = tokio::task::spawn_blocking(move || verify_all(&chain_id, packed)).await.unwrap_or_default();
        let mut good = Vec::with_capacity(verified.len());
        for (peer, v) in peers.into_iter().zip(verified) {
            match v {
                Some(v) => good.push(v),
                None => {
                    net.penalize(&peer, "transaction with an invalid signature or encoding", Severity::Minor);
                }
            }
        }
        if !good.is_empty() && core.send(CoreMsg::Transactions(good)).await.is_err() {
            return;
        }
    }
}

/// Ticks the state thread at every slot boundary: a producer makes its block as its slot begins.
pub async fn ticks(params: Params, core: mpsc::Sender<CoreMsg>, cancel: CancellationToken) {
    let interval = i64::from(params.interval_ms);
    loop {
        let now = crate::clock::now().millis();
        let since = (now - params.genesis_ms).rem_euclid(interval);
        let wait = Duration::from_millis((interval - since) as u64);
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        if core.send(CoreMsg::Tick).await.is_err() {
            return;
        }
    }
}
