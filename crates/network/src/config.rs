//! Network configuration. Defaults suit a producer or full node on the public network; tests
//! shrink the timers.

use std::net::SocketAddr;
use std::time::Duration;

use civitas_protocol::{Checksum256, PrivateKey};

use crate::error::NetError;
use crate::identity::NodeKey;
use crate::message::{ChainStatus, MAX_ADDR_LEN, MAX_BLOCKS_PER_MESSAGE, MAX_NODE_NAME_LEN, MAX_PEER_ADDRS};

/// The default frame bound: a block of the protocol's largest size, with its envelope, always
/// fits one frame (the node runs with this default).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;
const _: () = assert!(DEFAULT_MAX_FRAME_SIZE >= civitas_protocol::limits::MAX_BLOCK_MESSAGE_BYTES);

/// Per-peer token buckets on inbound traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    /// Sustained messages per second.
    pub messages_per_sec: f64,
    /// Message burst (bucket size).
    pub message_burst: f64,
    /// Sustained bytes per second of unsolicited traffic (responses to our own requests are
    /// not charged: we decide how many we ask for).
    pub bytes_per_sec: f64,
    /// Byte burst; raised to at least the frame limit so one maximal block always fits.
    pub byte_burst: f64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            messages_per_sec: 1_000.0,
            message_burst: 2_000.0,
            bytes_per_sec: 32.0 * 1024.0 * 1024.0,
            byte_burst: 64.0 * 1024.0 * 1024.0,
        }
    }
}

/// Everything [`crate::Network::start`] needs.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// The chain this node follows; peers on another chain are refused.
    pub chain_id: Checksum256,
    /// The static Noise key (the node's [`crate::PeerId`]).
    pub node_key: NodeKey,
    /// An optional K1 key (a producer's signing key) bound to each session in `Hello`, so peers
    /// can tell which producer they talk to.
    pub identity_key: Option<PrivateKey>,
    /// Where to listen; `None` for an outbound-only node. Port 0 picks a free port.
    pub listen_addr: Option<SocketAddr>,
    /// The `HOST:PORT` other nodes should dial, sent in `Hello` and shared in peer lists.
    /// Defaults to the bound listen address.
    pub advertise_addr: Option<String>,
    /// Peers to keep connected (`--peer HOST:PORT`): dialled forever with backoff.
    pub peers: Vec<String>,
    /// A human-readable name sent in `Hello` (at most 64 bytes).
    pub node_name: String,
    /// Head and LIB at start; later changes come from [`crate::NetHandle::update_status`].
    pub status: ChainStatus,
    /// Feature bits advertised in `Hello`.
    pub features: u64,
    /// Largest frame (encoded message) accepted or sent.
    pub max_frame_size: usize,
    /// Inbound connection limit.
    pub max_inbound: usize,
    /// Outbound connection limit.
    pub max_outbound: usize,
    /// Inbound connections still in the handshake at once.
    pub max_pending_handshakes: usize,
    /// Addresses learned from peers' `Peers` messages that are kept for dialling.
    pub max_learned_addrs: usize,
    /// Time allowed for the Noise handshake plus the `Hello` exchange.
    pub handshake_timeout: Duration,
    /// A connection on which nothing arrives for this long is dropped.
    pub idle_timeout: Duration,
    /// How often we ping an otherwise quiet peer (keep below `idle_timeout`).
    pub ping_interval: Duration,
    /// A request without an answer for this long is reported as timed out.
    pub request_timeout: Duration,
    /// Requests in flight per peer, in each direction.
    pub max_outstanding_requests: usize,
    /// Most blocks one `GetBlocks` may ask for.
    pub max_blocks_per_request: u32,
    /// First reconnect delay; doubles per failed attempt.
    pub reconnect_min: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// Ban for misbehaviour and crossed penalty thresholds.
    pub ban_duration: Duration,
    /// Ban for a wrong chain or an incompatible version (an honest misconfiguration).
    pub short_ban_duration: Duration,
    /// Also ban the IP address of a misbehaving peer (and of failed handshakes). Turn off when
    /// many honest nodes share an address (tests on one host, NAT).
    pub ip_bans: bool,
    /// Penalty score at which a peer is banned.
    pub penalty_threshold: f64,
    /// Penalty points forgiven per second.
    pub penalty_decay_per_sec: f64,
    /// Inbound rate limits.
    pub rate_limit: RateLimitConfig,
    /// Per-peer queue of must-deliver messages (blocks, approvals, responses); a peer that
    /// lets it fill up is disconnected.
    pub send_queue: usize,
    /// Per-peer queue of droppable messages (transactions, peer lists, status); when full,
    /// new messages are dropped.
    pub low_priority_queue: usize,
    /// Capacity of the event channel to the node.
    pub event_queue: usize,
    /// Message hashes remembered for de-duplication.
    pub seen_capacity: usize,
    /// How many peers a relayed approval or transaction is sent to (those lacking it; own
    /// messages go to every peer). Each receiver relays on, so a connected network still gets
    /// every message, but a full mesh no longer sends each one n² times.
    pub relay_fanout: usize,
    /// How often peer lists are exchanged.
    pub peer_exchange_interval: Duration,
}

impl NetConfig {
    /// A configuration with the defaults, listening on nothing and dialling nobody.
    pub fn new(chain_id: Checksum256, node_key: NodeKey) -> NetConfig {
        NetConfig {
            chain_id,
            node_key,
            identity_key: None,
            listen_addr: None,
            advertise_addr: None,
            peers: Vec::new(),
            node_name: "civitas".into(),
            status: ChainStatus::default(),
            features: 0,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_inbound: 64,
            max_outbound: 32,
            max_pending_handshakes: 32,
            max_learned_addrs: 256,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(10),
            request_timeout: Duration::from_secs(15),
            max_outstanding_requests: 16,
            max_blocks_per_request: 256,
            reconnect_min: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(60),
            ban_duration: Duration::from_secs(600),
            short_ban_duration: Duration::from_secs(60),
            ip_bans: true,
            penalty_threshold: 100.0,
            penalty_decay_per_sec: 1.0,
            rate_limit: RateLimitConfig::default(),
            send_queue: 256,
            low_priority_queue: 1024,
            event_queue: 4096,
            seen_capacity: 100_000,
            relay_fanout: 8,
            peer_exchange_interval: Duration::from_secs(120),
        }
    }

    /// Checks that the values can work together.
    pub fn validate(&self) -> Result<(), NetError> {
        let bad = |m: &str| Err(NetError::Config(m.to_string()));
        if self.node_name.len() > MAX_NODE_NAME_LEN {
            return bad("node_name is longer than 64 bytes");
        }
        if self.advertise_addr.as_ref().is_some_and(|a| a.len() > MAX_ADDR_LEN) {
            return bad("advertise_addr is longer than 256 bytes");
        }
        // The frame header is a u32, and a frame must hold at least a Hello and one block.
        if self.max_frame_size < 64 * 1024 || self.max_frame_size > u32::MAX as usize {
            return bad("max_frame_size must be between 64 KiB and 4 GiB");
        }
        if self.relay_fanout == 0 {
            return bad("relay_fanout must be at least 1");
        }
        if self.max_blocks_per_request == 0 || self.max_blocks_per_request as usize > MAX_BLOCKS_PER_MESSAGE {
            return bad("max_blocks_per_request must be between 1 and 1024");
        }
        for (name, v) in [
            ("send_queue", self.send_queue),
            ("low_priority_queue", self.low_priority_queue),
            ("event_queue", self.event_queue),
            ("seen_capacity", self.seen_capacity),
            ("max_outstanding_requests", self.max_outstanding_requests),
            ("max_pending_handshakes", self.max_pending_handshakes),
        ] {
            if v == 0 {
                return Err(NetError::Config(format!("{name} must be positive")));
            }
        }
        for (name, d) in [
            ("handshake_timeout", self.handshake_timeout),
            ("idle_timeout", self.idle_timeout),
            ("ping_interval", self.ping_interval),
            ("request_timeout", self.request_timeout),
            ("reconnect_min", self.reconnect_min),
        ] {
            if d.is_zero() {
                return Err(NetError::Config(format!("{name} must be positive")));
            }
        }
        if self.ping_interval >= self.idle_timeout {
            return bad("ping_interval must be shorter than idle_timeout");
        }
        if self.reconnect_max < self.reconnect_min {
            return bad("reconnect_max must not be below reconnect_min");
        }
        let rl = &self.rate_limit;
        if !(rl.messages_per_sec > 0.0 && rl.message_burst >= 1.0 && rl.bytes_per_sec > 0.0 && rl.byte_burst > 0.0) {
            return bad("rate limits must be positive");
        }
        if !(self.penalty_threshold > 0.0 && self.penalty_decay_per_sec >= 0.0) {
            return bad("penalty_threshold must be positive and penalty_decay_per_sec non-negative");
        }
        if self.max_learned_addrs > 64 * MAX_PEER_ADDRS {
            return bad("max_learned_addrs is unreasonably large");
        }
        Ok(())
    }
}
