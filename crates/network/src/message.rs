//! The wire messages, encoded with the protocol crate's Antelope codec: a `varuint32` tag, then
//! the variant's fields in order. See `docs/network.md` for the table of tags.
//!
//! Every variable-length field has a hard bound checked while decoding, and nothing is
//! allocated ahead of the bytes that back it, so a hostile frame costs at most its own size.

use civitas_protocol::codec::write_varuint32;
use civitas_protocol::{Checksum256, CodecError, Pack, PackedTransaction, Reader, SignedBlock, Unpack};

use crate::identity::PeerIdentity;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u16 = 1;
/// The oldest peer version this build talks to.
pub const MIN_PROTOCOL_VERSION: u16 = 1;
/// Longest `Hello::node_name`.
pub const MAX_NODE_NAME_LEN: usize = 64;
/// Longest address string (`Hello::listen_addr`, entries of `Peers`).
pub const MAX_ADDR_LEN: usize = 256;
/// Most addresses in one `Peers` message.
pub const MAX_PEER_ADDRS: usize = 64;
/// Most blocks in one `Blocks` response.
pub const MAX_BLOCKS_PER_MESSAGE: usize = 1024;

/// A request id chosen by the requester and echoed in the response.
pub type RequestId = u32;

/// A node's view of its chain: head and last irreversible block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChainStatus {
    /// Head block number.
    pub head_num: u32,
    /// Head block id.
    pub head_id: Checksum256,
    /// Last irreversible block number.
    pub lib_num: u32,
    /// Last irreversible block id.
    pub lib_id: Checksum256,
}

civitas_protocol::packable_struct!(ChainStatus { head_num, head_id, lib_num, lib_id });

/// The first message each side sends on a new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The chain the sender follows.
    pub chain_id: Checksum256,
    /// The sender's [`PROTOCOL_VERSION`].
    pub protocol_version: u16,
    /// Feature bits.
    pub features: u64,
    /// The sender's head and LIB.
    pub status: ChainStatus,
    /// Where the sender accepts connections (`HOST:PORT`), if anywhere.
    pub listen_addr: Option<String>,
    /// A human-readable name.
    pub node_name: String,
    /// An optional K1 key bound to this session (see [`PeerIdentity`]).
    pub identity: Option<PeerIdentity>,
}

impl Pack for Hello {
    fn pack(&self, out: &mut Vec<u8>) {
        self.chain_id.pack(out);
        self.protocol_version.pack(out);
        self.features.pack(out);
        self.status.pack(out);
        self.listen_addr.pack(out);
        self.node_name.pack(out);
        self.identity.pack(out);
    }
}

impl Unpack for Hello {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Hello {
            chain_id: Unpack::unpack(r)?,
            protocol_version: Unpack::unpack(r)?,
            features: Unpack::unpack(r)?,
            status: Unpack::unpack(r)?,
            listen_addr: match r.u8()? {
                0 => None,
                1 => Some(bounded_string(r, MAX_ADDR_LEN, "listen address")?),
                b => return Err(CodecError::InvalidOptionFlag(b)),
            },
            node_name: bounded_string(r, MAX_NODE_NAME_LEN, "node name")?,
            identity: Unpack::unpack(r)?,
        })
    }
}

/// A P2P message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Tag 0: session opening; must be the first message and only once.
    Hello(Box<Hello>),
    /// Tag 1: a gossiped block.
    Block(Box<SignedBlock>),
    /// Tag 2: a gossiped transaction.
    Transaction(Box<PackedTransaction>),
    /// Tag 3: a gossiped finality approval (opaque bytes defined by consensus).
    Approval(Vec<u8>),
    /// Tag 4: asks for `count` blocks of the receiver's best chain from height `from_num`.
    GetBlocks {
        /// Echoed in the response.
        request: RequestId,
        /// First height.
        from_num: u32,
        /// How many (1..=1024; nodes set a lower limit).
        count: u32,
    },
    /// Tag 5: asks for one block by id.
    GetBlock {
        /// Echoed in the response.
        request: RequestId,
        /// The block id.
        id: Checksum256,
    },
    /// Tag 6: response to `GetBlocks`/`GetBlock`; may hold fewer blocks than asked (frame
    /// limit, or the responder's chain is shorter).
    Blocks {
        /// The request answered.
        request: RequestId,
        /// Ascending blocks.
        blocks: Vec<SignedBlock>,
    },
    /// Tag 7: the responder has nothing for the request.
    NotFound {
        /// The request answered.
        request: RequestId,
    },
    /// Tag 8: addresses of other nodes (`HOST:PORT`), at most 64.
    Peers(Vec<String>),
    /// Tag 9: liveness probe.
    Ping {
        /// Echoed in the `Pong`.
        nonce: u64,
    },
    /// Tag 10: answer to `Ping`.
    Pong {
        /// The ping's nonce.
        nonce: u64,
    },
    /// Tag 11: the sender's head or LIB moved.
    Status(ChainStatus),
    /// Tag 12: the sender has applied this block and serves it (`GetBlock`). Blocks are
    /// relayed as notices: a peer that already has the block ignores it, one that lacks it asks
    /// for it, so a full block crosses each link about once instead of once per relay.
    BlockNotice {
        /// The block id.
        id: Checksum256,
        /// Its height (also in the id's first four bytes).
        num: u32,
    },
}

const TAG_HELLO: u32 = 0;
const TAG_BLOCK: u32 = 1;
const TAG_TRANSACTION: u32 = 2;
const TAG_APPROVAL: u32 = 3;
const TAG_GET_BLOCKS: u32 = 4;
const TAG_GET_BLOCK: u32 = 5;
const TAG_BLOCKS: u32 = 6;
const TAG_NOT_FOUND: u32 = 7;
const TAG_PEERS: u32 = 8;
const TAG_PING: u32 = 9;
const TAG_PONG: u32 = 10;
const TAG_STATUS: u32 = 11;
const TAG_BLOCK_NOTICE: u32 = 12;

/// A lower bound on the encoding of a `SignedBlock` (previous id, number, slot, producer and
/// signature alone take 118 bytes): bounds the element count of a `Blocks` response by the
/// bytes actually present. Deliberately loose so that header changes cannot make it too high.
const MIN_SIGNED_BLOCK_LEN: usize = 118;

impl Message {
    /// The variant name, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Hello(_) => "hello",
            Message::Block(_) => "block",
            Message::Transaction(_) => "transaction",
            Message::Approval(_) => "approval",
            Message::GetBlocks { .. } => "get_blocks",
            Message::GetBlock { .. } => "get_block",
            Message::Blocks { .. } => "blocks",
            Message::NotFound { .. } => "not_found",
            Message::Peers(_) => "peers",
            Message::Ping { .. } => "ping",
            Message::Pong { .. } => "pong",
            Message::Status(_) => "status",
            Message::BlockNotice { .. } => "block_notice",
        }
    }

    /// Whether the message may be dropped when the peer's queue is full (the node can live
    /// without it: transactions are re-gossiped, peer lists and status are refreshed).
    pub fn is_low_priority(&self) -> bool {
        matches!(self, Message::Transaction(_) | Message::Peers(_) | Message::Status(_))
    }

    /// The encoding (tag + fields).
    pub fn encode(&self) -> Vec<u8> {
        self.packed()
    }

    /// Decodes one message that must use all of `bytes`; never panics.
    pub fn decode(bytes: &[u8]) -> Result<Message, CodecError> {
        Message::unpack_exact(bytes)
    }
}

impl Pack for Message {
    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            Message::Hello(h) => {
                write_varuint32(out, TAG_HELLO);
                h.pack(out);
            }
            Message::Block(b) => {
                write_varuint32(out, TAG_BLOCK);
                b.pack(out);
            }
            Message::Transaction(t) => {
                write_varuint32(out, TAG_TRANSACTION);
                t.pack(out);
            }
            Message::Approval(bytes) => {
                write_varuint32(out, TAG_APPROVAL);
                civitas_protocol::codec::write_bytes(out, bytes);
            }
            Message::GetBlocks { request, from_num, count } => {
                write_varuint32(out, TAG_GET_BLOCKS);
                request.pack(out);
                from_num.pack(out);
                count.pack(out);
            }
            Message::GetBlock { request, id } => {
                write_varuint32(out, TAG_GET_BLOCK);
                request.pack(out);
                id.pack(out);
            }
            Message::Blocks { request, blocks } => {
                write_varuint32(out, TAG_BLOCKS);
                request.pack(out);
                blocks.pack(out);
            }
            Message::NotFound { request } => {
                write_varuint32(out, TAG_NOT_FOUND);
                request.pack(out);
            }
            Message::Peers(addrs) => {
                write_varuint32(out, TAG_PEERS);
                addrs.pack(out);
            }
            Message::Ping { nonce } => {
                write_varuint32(out, TAG_PING);
                nonce.pack(out);
            }
            Message::Pong { nonce } => {
                write_varuint32(out, TAG_PONG);
                nonce.pack(out);
            }
            Message::Status(s) => {
                write_varuint32(out, TAG_STATUS);
                s.pack(out);
            }
            Message::BlockNotice { id, num } => {
                write_varuint32(out, TAG_BLOCK_NOTICE);
                id.pack(out);
                num.pack(out);
            }
        }
    }
}

impl Unpack for Message {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(match r.varuint32()? {
            TAG_HELLO => Message::Hello(Box::new(Hello::unpack(r)?)),
            TAG_BLOCK => Message::Block(Box::new(SignedBlock::unpack(r)?)),
            TAG_TRANSACTION => Message::Transaction(Box::new(PackedTransaction::unpack(r)?)),
            TAG_APPROVAL => Message::Approval(r.bytes()?.to_vec()),
            TAG_GET_BLOCKS => {
                Message::GetBlocks { request: u32::unpack(r)?, from_num: u32::unpack(r)?, count: u32::unpack(r)? }
            }
            TAG_GET_BLOCK => Message::GetBlock { request: u32::unpack(r)?, id: Checksum256::unpack(r)? },
            TAG_BLOCKS => {
                let request = u32::unpack(r)?;
                let n = r.length(MIN_SIGNED_BLOCK_LEN)?;
                if n > MAX_BLOCKS_PER_MESSAGE {
                    return Err(CodecError::invalid("blocks", format!("{n} blocks exceed {MAX_BLOCKS_PER_MESSAGE}")));
                }
                // No `with_capacity(n)`: memory grows only with blocks actually decoded.
                let mut blocks = Vec::new();
                for _ in 0..n {
                    blocks.push(SignedBlock::unpack(r)?);
                }
                Message::Blocks { request, blocks }
            }
            TAG_NOT_FOUND => Message::NotFound { request: u32::unpack(r)? },
            TAG_PEERS => {
                let n = r.length(1)?;
                if n > MAX_PEER_ADDRS {
                    return Err(CodecError::invalid("peers", format!("{n} addresses exceed {MAX_PEER_ADDRS}")));
                }
                let mut addrs = Vec::with_capacity(n);
                for _ in 0..n {
                    addrs.push(bounded_string(r, MAX_ADDR_LEN, "peer address")?);
                }
                Message::Peers(addrs)
            }
            TAG_PING => Message::Ping { nonce: u64::unpack(r)? },
            TAG_PONG => Message::Pong { nonce: u64::unpack(r)? },
            TAG_STATUS => Message::Status(ChainStatus::unpack(r)?),
            TAG_BLOCK_NOTICE => {
                let id = Checksum256::unpack(r)?;
                let num = u32::unpack(r)?;
                if civitas_protocol::block::num_from_id(&id) != num {
                    return Err(CodecError::invalid(
                        "block notice",
                        format!("height {num} does not match the id {id}"),
                    ));
                }
                Message::BlockNotice { id, num }
            }
            tag => return Err(CodecError::UnknownVariant(tag)),
        })
    }
}

fn bounded_string(r: &mut Reader<'_>, max: usize, what: &'static str) -> Result<String, CodecError> {
    let s = String::unpack(r)?;
    if s.len() > max {
        return Err(CodecError::invalid(what, format!("{} bytes exceed {max}", s.len())));
    }
    Ok(s)
}

/// Encodes a `Blocks` response holding as many leading `blocks` as fit in `max_len` bytes;
/// returns the encoding and how many blocks it holds. Packs each block once.
pub(crate) fn encode_blocks_response(request: RequestId, blocks: &[SignedBlock], max_len: usize) -> (Vec<u8>, usize) {
    // Tag (1) + request (4) + count (at most 2 bytes for 1024): the rest is for blocks.
    let budget = max_len.saturating_sub(1 + 4 + 5);
    let mut body = Vec::new();
    let mut n = 0usize;
    let mut scratch = Vec::new();
    for b in blocks.iter().take(MAX_BLOCKS_PER_MESSAGE) {
        scratch.clear();
        b.pack(&mut scratch);
        if body.len() + scratch.len() > budget {
            break;
        }
        body.extend_from_slice(&scratch);
        n += 1;
    }
    let mut out = Vec::with_capacity(body.len() + 10);
    write_varuint32(&mut out, TAG_BLOCKS);
    request.pack(&mut out);
    // `n` is at most MAX_BLOCKS_PER_MESSAGE, so it fits a u32.
    write_varuint32(&mut out, n as u32);
    out.extend_from_slice(&body);
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use civitas_protocol::block::BlockHeader;
    use civitas_protocol::{Name, PrivateKey};

    pub(crate) fn block(num: u32) -> SignedBlock {
        let header = BlockHeader {
            previous: Checksum256::ZERO,
            block_num: num,
            slot: u64::from(num),
            producer: Name::constant("bp"),
            schedule_version: 0,
            votes: vec![],
            new_schedule: None,
            transaction_mroot: Checksum256::ZERO,
            state_root: Checksum256::ZERO,
            evidence_root: Checksum256::ZERO,
            approvals_root: Checksum256::ZERO,
            header_extensions: vec![],
        };
        SignedBlock::sign(header, vec![], &Checksum256::ZERO, &PrivateKey::from_seed("bp"))
    }

    #[test]
    fn min_block_len_is_a_lower_bound() {
        assert!(block(1).packed().len() >= MIN_SIGNED_BLOCK_LEN);
    }

    #[test]
    fn round_trip_every_variant() {
        let hello = Hello {
            chain_id: Checksum256([9; 32]),
            protocol_version: PROTOCOL_VERSION,
            features: 5,
            status: ChainStatus {
                head_num: 3,
                head_id: Checksum256([1; 32]),
                lib_num: 2,
                lib_id: Checksum256([2; 32]),
            },
            listen_addr: Some("127.0.0.1:9876".into()),
            node_name: "bp1".into(),
            identity: None,
        };
        let msgs = vec![
            Message::Hello(Box::new(hello)),
            Message::Block(Box::new(block(7))),
            Message::Transaction(Box::new(PackedTransaction {
                signatures: vec![],
                compression: Default::default(),
                packed_context_free_data: Default::default(),
                packed_trx: civitas_protocol::Bytes(vec![1, 2, 3]),
            })),
            Message::Approval(vec![1, 2, 3]),
            Message::GetBlocks { request: 1, from_num: 10, count: 20 },
            Message::GetBlock { request: 2, id: Checksum256([3; 32]) },
            Message::Blocks { request: 3, blocks: vec![block(1), block(2)] },
            Message::NotFound { request: 4 },
            Message::Peers(vec!["a:1".into(), "b:2".into()]),
            Message::Ping { nonce: 42 },
            Message::Pong { nonce: 42 },
            Message::Status(ChainStatus::default()),
            Message::BlockNotice { id: block(7).id(), num: 7 },
        ];
        for m in msgs {
            let enc = m.encode();
            assert_eq!(Message::decode(&enc).unwrap(), m, "{}", m.kind());
            // Decode-then-encode is the identity, so hashes of received frames are canonical.
            assert_eq!(Message::decode(&enc).unwrap().encode(), enc);
        }
    }

    #[test]
    fn bounds_are_enforced() {
        let long = Message::Peers(vec!["x".repeat(MAX_ADDR_LEN + 1)]);
        assert!(Message::decode(&long.encode()).is_err());
        let many = Message::Peers(vec!["a:1".into(); MAX_PEER_ADDRS + 1]);
        assert!(Message::decode(&many.encode()).is_err());
        assert!(matches!(Message::decode(&[99]), Err(CodecError::UnknownVariant(99))));
        // A notice whose height is not the one its id embeds.
        let lying = Message::BlockNotice { id: block(7).id(), num: 8 };
        assert!(Message::decode(&lying.encode()).is_err());
        assert!(Message::decode(&[]).is_err());
        // A Blocks response declaring 2^32-1 blocks over a few bytes fails before allocating.
        let mut hostile = vec![6, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f];
        hostile.extend_from_slice(&[0; 64]);
        assert!(matches!(Message::decode(&hostile), Err(CodecError::LengthTooLarge { .. })));
    }

    #[test]
    fn blocks_response_truncates_to_the_frame() {
        let blocks: Vec<_> = (1..=10).map(block).collect();
        let one = block(1).packed().len();
        let (enc, n) = encode_blocks_response(9, &blocks, 1 + 4 + 5 + 3 * one + 10);
        assert_eq!(n, 3);
        assert_eq!(Message::decode(&enc).unwrap(), Message::Blocks { request: 9, blocks: blocks[..3].to_vec() });
        let (enc, n) = encode_blocks_response(9, &blocks, 1 << 20);
        assert_eq!(n, 10);
        assert_eq!(enc, Message::Blocks { request: 9, blocks }.encode());
    }
}
