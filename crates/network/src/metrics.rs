//! Counters, read as a [`NetMetrics`] snapshot that the node exports to Prometheus.

use std::sync::atomic::{AtomicU64, Ordering};

/// A point-in-time copy of the network counters. Totals are monotonic since start; `peers_*`
/// and `bans_active` are current values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetMetrics {
    /// Ready inbound connections.
    pub peers_inbound: u64,
    /// Ready outbound connections.
    pub peers_outbound: u64,
    /// Connections that completed the handshake and `Hello`.
    pub connections_established: u64,
    /// Connections refused or dropped before becoming ready (bans, limits, duplicates,
    /// failed handshakes).
    pub connections_rejected: u64,
    /// Noise handshakes that failed.
    pub handshakes_failed: u64,
    /// Frames received.
    pub messages_in: u64,
    /// Frames sent.
    pub messages_out: u64,
    /// Payload bytes received (frame contents).
    pub bytes_in: u64,
    /// Payload bytes sent.
    pub bytes_out: u64,
    /// Gossip messages received again and not delivered.
    pub duplicates: u64,
    /// Low-priority messages dropped because a peer's queue was full.
    pub dropped_low_priority: u64,
    /// Messages dropped for exceeding a peer's rate limit.
    pub rate_limited: u64,
    /// Penalties applied.
    pub penalties: u64,
    /// Bans issued.
    pub bans_total: u64,
    /// Bans in force.
    pub bans_active: u64,
    /// Request timeouts.
    pub request_timeouts: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) connections_established: AtomicU64,
    pub(crate) connections_rejected: AtomicU64,
    pub(crate) handshakes_failed: AtomicU64,
    pub(crate) messages_in: AtomicU64,
    pub(crate) messages_out: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) dropped_low_priority: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) penalties: AtomicU64,
    pub(crate) bans_total: AtomicU64,
    pub(crate) request_timeouts: AtomicU64,
}

/// Adds one.
pub(crate) fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Adds `n`.
pub(crate) fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    pub(crate) fn snapshot(&self, peers_inbound: u64, peers_outbound: u64, bans_active: u64) -> NetMetrics {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        NetMetrics {
            peers_inbound,
            peers_outbound,
            connections_established: g(&self.connections_established),
            connections_rejected: g(&self.connections_rejected),
            handshakes_failed: g(&self.handshakes_failed),
            messages_in: g(&self.messages_in),
            messages_out: g(&self.messages_out),
            bytes_in: g(&self.bytes_in),
            bytes_out: g(&self.bytes_out),
            duplicates: g(&self.duplicates),
            dropped_low_priority: g(&self.dropped_low_priority),
            rate_limited: g(&self.rate_limited),
            penalties: g(&self.penalties),
            bans_total: g(&self.bans_total),
            bans_active,
            request_timeouts: g(&self.request_timeouts),
        }
    }
}
