//! What the network reports to the node, and the handle the node answers block requests with.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use civitas_protocol::{Checksum256, PackedTransaction, PublicKey, SignedBlock};

use crate::error::DisconnectReason;
use crate::identity::PeerId;
use crate::message::{encode_blocks_response, ChainStatus, Hello, Message, RequestId};
use crate::shared::Link;

/// Who opened the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The peer dialled us.
    Inbound,
    /// We dialled the peer.
    Outbound,
}

/// An event for the node. Per peer, events arrive in order: `PeerConnected`, then that
/// peer's messages, then `PeerDisconnected` (which also cancels its outstanding requests: no
/// response or timeout follows for them).
#[derive(Debug)]
pub enum NetEvent {
    /// A peer completed the handshake and `Hello`.
    PeerConnected {
        /// Its id.
        peer: PeerId,
        /// Its socket address.
        addr: SocketAddr,
        /// Who dialled.
        direction: Direction,
        /// Its `Hello` (head and LIB at connect time).
        hello: Box<Hello>,
    },
    /// A connection that was reported connected ended.
    PeerDisconnected {
        /// Its id.
        peer: PeerId,
        /// Why.
        reason: DisconnectReason,
    },
    /// A peer announced a new head or LIB.
    PeerStatus {
        /// Its id.
        peer: PeerId,
        /// The new status.
        status: ChainStatus,
    },
    /// A block gossiped by a peer, the first time it was seen. Validate it, then relay it
    /// with [`crate::NetHandle::broadcast_block`] (it will not go back to its sender).
    Block {
        /// The sender.
        peer: PeerId,
        /// The block.
        block: Box<SignedBlock>,
    },
    /// A peer has applied a block we have not been told of before and serves it: ask it with
    /// [`crate::NetHandle::request_block`] if the block is missing.
    BlockNotice {
        /// The peer.
        peer: PeerId,
        /// The block id.
        id: Checksum256,
        /// Its height.
        num: u32,
    },
    /// A transaction gossiped by a peer, the first time it was seen.
    Transaction {
        /// The sender.
        peer: PeerId,
        /// The transaction.
        trx: Box<PackedTransaction>,
    },
    /// An approval gossiped by a peer, the first time it was seen.
    Approval {
        /// The sender.
        peer: PeerId,
        /// Opaque bytes defined by the consensus layer.
        bytes: Vec<u8>,
    },
    /// A peer asks for blocks of our best chain from `from_num`; answer through `reply`.
    GetBlocks {
        /// The requester.
        peer: PeerId,
        /// First height.
        from_num: u32,
        /// How many (already capped at `max_blocks_per_request`).
        count: u32,
        /// Where the answer goes.
        reply: BlockReply,
    },
    /// A peer asks for one block by id; answer through `reply`.
    GetBlock {
        /// The requester.
        peer: PeerId,
        /// The block id.
        id: Checksum256,
        /// Where the answer goes.
        reply: BlockReply,
    },
    /// The response to our request.
    Blocks {
        /// The responder.
        peer: PeerId,
        /// The request it answers.
        request: RequestId,
        /// Possibly fewer blocks than asked (frame limit, shorter chain); never more.
        blocks: Vec<SignedBlock>,
    },
    /// The peer has nothing for our request.
    NotFound {
        /// The responder.
        peer: PeerId,
        /// The request it answers.
        request: RequestId,
    },
    /// No answer to our request within `request_timeout`; ask someone else.
    RequestTimeout {
        /// The peer asked.
        peer: PeerId,
        /// The request.
        request: RequestId,
    },
}

/// The answer channel for a peer's `GetBlocks`/`GetBlock`. Dropping it unanswered sends
/// `NotFound`, so a requester is never left waiting because the node forgot to reply.
pub struct BlockReply {
    link: Arc<Link>,
    request: RequestId,
    max_blocks: u32,
    max_frame: usize,
    answered: bool,
}

impl BlockReply {
    pub(crate) fn new(link: Arc<Link>, request: RequestId, max_blocks: u32, max_frame: usize) -> BlockReply {
        BlockReply { link, request, max_blocks, max_frame, answered: false }
    }

    /// The peer that asked.
    pub fn peer(&self) -> PeerId {
        self.link.peer
    }

    /// Most blocks the answer may hold.
    pub fn max_blocks(&self) -> u32 {
        self.max_blocks
    }

    /// Sends the leading blocks that fit in one frame (at most `max_blocks`); returns how many
    /// were sent. An empty slice answers `NotFound`.
    pub fn send(mut self, blocks: &[SignedBlock]) -> usize {
        self.answered = true;
        let take = blocks.len().min(self.max_blocks as usize);
        if take == 0 {
            self.link.send_message(&Message::NotFound { request: self.request });
            return 0;
        }
        let (bytes, n) = encode_blocks_response(self.request, &blocks[..take], self.max_frame);
        if n == 0 {
            // A single block larger than a frame cannot be served.
            self.link.send_message(&Message::NotFound { request: self.request });
            return 0;
        }
        self.link.send_frame(bytes.into(), false);
        n
    }

    /// Answers that we have nothing for the request.
    pub fn not_found(mut self) {
        self.answered = true;
        self.link.send_message(&Message::NotFound { request: self.request });
    }
}

impl Drop for BlockReply {
    fn drop(&mut self) {
        if !self.answered {
            self.link.send_message(&Message::NotFound { request: self.request });
        }
        self.link.finish_inbound_request();
    }
}

impl fmt::Debug for BlockReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockReply").field("peer", &self.link.peer).field("request", &self.request).finish()
    }
}

/// A connected peer, as listed by [`crate::NetHandle::peers`].
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    /// Its id.
    pub peer: PeerId,
    /// Its socket address.
    pub addr: SocketAddr,
    /// Who dialled.
    pub direction: Direction,
    /// Name from its `Hello`.
    pub node_name: String,
    /// The address it accepts connections on, if it told us.
    pub listen_addr: Option<String>,
    /// Its protocol version.
    pub protocol_version: u16,
    /// Its feature bits.
    pub features: u64,
    /// The K1 key it bound to the session, if any (verified).
    pub identity: Option<PublicKey>,
    /// Its latest head/LIB (from `Hello`, `Status` and the blocks it sent).
    pub status: ChainStatus,
    /// Time since the connection became ready.
    pub connected_for: Duration,
    /// Current penalty score.
    pub score: f64,
    /// Last measured round-trip time.
    pub rtt: Option<Duration>,
    /// Frames received from it.
    pub messages_in: u64,
    /// Frames sent to it.
    pub messages_out: u64,
    /// Bytes received from it.
    pub bytes_in: u64,
    /// Bytes sent to it.
    pub bytes_out: u64,
}
