//! Errors of the network API and the reasons a connection ends.

use std::fmt;

use civitas_protocol::Checksum256;
use thiserror::Error;

use crate::identity::PeerId;

/// An error returned by [`crate::Network::start`] or a [`crate::NetHandle`] call.
#[derive(Debug, Error)]
pub enum NetError {
    /// The configuration is unusable.
    #[error("invalid network configuration: {0}")]
    Config(String),
    /// A socket operation failed (binding the listener).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The Noise library failed locally (key generation).
    #[error("noise error: {0}")]
    Noise(String),
    /// No ready connection to that peer.
    #[error("peer {0:?} is not connected")]
    NotConnected(PeerId),
    /// The peer already has the maximum number of our requests in flight.
    #[error("too many outstanding requests to peer {0:?}")]
    TooManyRequests(PeerId),
    /// The request parameters are out of range.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The encoded message is larger than the frame limit.
    #[error("message of {len} bytes exceeds the {max}-byte frame limit")]
    MessageTooLarge {
        /// Encoded size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The peer's send queue is full and the connection is being dropped.
    #[error("send queue to peer {0:?} is full")]
    QueueFull(PeerId),
}

/// Why a connection ended or was refused. Reported in [`crate::NetEvent::PeerDisconnected`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The network is shutting down.
    Shutdown,
    /// The remote side closed the connection.
    Closed,
    /// Nothing arrived within the idle timeout (or the handshake timed out).
    Timeout,
    /// A socket error.
    Io(String),
    /// We banned the peer: its penalty score crossed the threshold or the node reported a fatal
    /// offence (for example an invalid block).
    Banned(String),
    /// The peer broke the wire protocol (oversized frame, failed decryption, bad framing,
    /// undecodable message, message out of order); it is banned.
    Misbehaviour(String),
    /// The peer is on another chain (short ban).
    WrongChain(Checksum256),
    /// The peer's protocol version is too old (short ban).
    IncompatibleVersion(u16),
    /// Another connection to the same peer was kept instead of this one.
    Duplicate,
    /// The inbound or outbound peer limit is reached.
    TooManyPeers,
    /// We dialled ourselves.
    SelfConnection,
    /// The peer is on the ban list.
    PeerBanned,
    /// The peer did not drain its send queue fast enough.
    SendQueueFull,
}

impl DisconnectReason {
    /// Whether the peer was banned because of this.
    pub fn is_ban(&self) -> bool {
        matches!(
            self,
            DisconnectReason::Banned(_)
                | DisconnectReason::Misbehaviour(_)
                | DisconnectReason::WrongChain(_)
                | DisconnectReason::IncompatibleVersion(_)
        )
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::Shutdown => f.write_str("shutdown"),
            DisconnectReason::Closed => f.write_str("closed by peer"),
            DisconnectReason::Timeout => f.write_str("timeout"),
            DisconnectReason::Io(e) => write!(f, "i/o error: {e}"),
            DisconnectReason::Banned(r) => write!(f, "banned: {r}"),
            DisconnectReason::Misbehaviour(r) => write!(f, "misbehaviour: {r}"),
            DisconnectReason::WrongChain(c) => write!(f, "wrong chain {c}"),
            DisconnectReason::IncompatibleVersion(v) => write!(f, "incompatible protocol version {v}"),
            DisconnectReason::Duplicate => f.write_str("duplicate connection"),
            DisconnectReason::TooManyPeers => f.write_str("too many peers"),
            DisconnectReason::SelfConnection => f.write_str("connection to self"),
            DisconnectReason::PeerBanned => f.write_str("peer is banned"),
            DisconnectReason::SendQueueFull => f.write_str("send queue full"),
        }
    }
}
