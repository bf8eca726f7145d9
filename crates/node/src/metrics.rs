//! The node's own Prometheus metrics (the API adds head, LIB, pool and fork-database gauges
//! read from the core).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counters updated by the node's tasks.
#[derive(Debug, Default)]
pub struct NodeMetrics {
    /// Head block number.
    pub head: AtomicU64,
    /// LIB number.
    pub lib: AtomicU64,
    /// Connected peers.
    pub peers: AtomicU64,
    /// Slots without a block on our chain, counted as the head advances.
    pub missed_slots: AtomicU64,
    /// Pending transactions.
    pub pool: AtomicU64,
    /// Blocks handled from peers or storage.
    pub blocks_applied: AtomicU64,
    /// Time spent handling them, in microseconds.
    pub apply_us_total: AtomicU64,
    /// The last one's handling time, in microseconds.
    pub apply_us_last: AtomicU64,
    /// Transactions whose signatures were verified off the state thread.
    pub txs_verified: AtomicU64,
}

impl NodeMetrics {
    /// Records the handling time of one block.
    pub fn observe_apply(&self, d: Duration) {
        let us = d.as_micros() as u64;
        self.blocks_applied.fetch_add(1, Ordering::Relaxed);
        self.apply_us_total.fetch_add(us, Ordering::Relaxed);
        self.apply_us_last.store(us, Ordering::Relaxed);
    }
}

fn line(out: &mut String, name: &str, kind: &str, help: &str, v: u64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
}

impl civitas_rpc::MetricsSource for NodeMetrics {
    fn render(&self, out: &mut String) {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        line(out, "civitas_peers", "gauge", "Connected peers.", g(&self.peers));
        line(
            out,
            "civitas_missed_slots_total",
            "counter",
            "Slots without a block on this node's chain.",
            g(&self.missed_slots),
        );
        line(
            out,
            "civitas_blocks_applied_total",
            "counter",
            "Blocks from peers or storage handled.",
            g(&self.blocks_applied),
        );
        line(
            out,
            "civitas_block_apply_microseconds_total",
            "counter",
            "Time spent handling blocks from peers or storage.",
            g(&self.apply_us_total),
        );
        line(
            out,
            "civitas_block_apply_microseconds_last",
            "gauge",
            "Handling time of the last block from a peer or storage.",
            g(&self.apply_us_last),
        );
        line(
            out,
            "civitas_transactions_verified_total",
            "counter",
            "Transaction signatures verified.",
            g(&self.txs_verified),
        );
    }
}
