//! The block-log record format (see `docs/storage.md`).
//!
//! ```text
//! file   = file_header record*
//! file_header (16 bytes) = "CIVBLKLG" | u32 LE version (1) | u32 LE 0 (reserved)
//! record = u32 LE payload_len | u32 LE crc32(kind ‖ payload) | u8 kind | payload
//! kind 1 = Block:   payload = packed SignedBlock
//! kind 2 = Lib:     payload = u32 LE block num | 32-byte block id
//! kind 3 = Signers: payload = 32-byte block id | packed vector<vector<public_key>>
//!                   (the keys recovered from each transaction's signatures, in block order)
//! ```
//!
//! A Signers record follows the Block record it belongs to (in the same synced batch). Replay
//! uses it to skip signature recovery — never the authority checks those keys must pass.
//!
//! The CRC covers the kind byte as well as the payload so that a flipped kind cannot turn one
//! valid record into another. The length is not covered: a wrong length makes the CRC run over
//! the wrong bytes, which fails the check just the same.

use civitas_protocol::block::num_from_id;
use civitas_protocol::{BlockHeader, Checksum256, Pack, PublicKey, Reader, SignedBlock, Unpack};

use crate::error::{Result, StorageError};

/// Bytes before each record's payload: length, CRC and kind.
pub const RECORD_HEADER_LEN: usize = 9;

/// Largest payload a record may carry. Far above any block the protocol accepts; it bounds what a
/// corrupt length field can make the scanner consider.
pub const MAX_PAYLOAD_LEN: usize = 256 << 20;

/// Magic bytes at the start of `blocks.log`.
pub const LOG_MAGIC: [u8; 8] = *b"CIVBLKLG";

/// Current format version of `blocks.log`.
pub const LOG_VERSION: u32 = 1;

/// Length of the file header.
pub const LOG_FILE_HEADER_LEN: usize = 16;

/// Size of a Lib record's payload.
pub(crate) const LIB_PAYLOAD_LEN: usize = 4 + 32;

/// The file header every `blocks.log` starts with.
pub(crate) fn log_file_header() -> [u8; LOG_FILE_HEADER_LEN] {
    let mut h = [0u8; LOG_FILE_HEADER_LEN];
    h[..8].copy_from_slice(&LOG_MAGIC);
    h[8..12].copy_from_slice(&LOG_VERSION.to_le_bytes());
    h
}

/// The record kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordKind {
    /// An accepted block (any fork).
    Block = 1,
    /// A last-irreversible-block advance.
    Lib = 2,
    /// The recovered signers of a block's transactions.
    Signers = 3,
}

impl RecordKind {
    /// The kind for a byte, if it names one.
    pub fn from_u8(b: u8) -> Option<RecordKind> {
        match b {
            1 => Some(RecordKind::Block),
            2 => Some(RecordKind::Lib),
            3 => Some(RecordKind::Signers),
            _ => None,
        }
    }
}

/// A decoded log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An accepted block. Boxed because a block header is much larger than a Lib record.
    Block(Box<SignedBlock>),
    /// The LIB advanced to this block.
    Lib {
        /// Block number.
        num: u32,
        /// Block id.
        id: Checksum256,
    },
    /// The keys this node recovered from the signatures of a block's transactions.
    Signers {
        /// The block.
        id: Checksum256,
        /// Per transaction, in block order, the keys in signature order.
        signers: Vec<Vec<PublicKey>>,
    },
}

/// A parsed record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    pub len: u32,
    pub crc: u32,
    pub kind: u8,
}

impl RecordHeader {
    pub fn parse(b: &[u8; RECORD_HEADER_LEN]) -> RecordHeader {
        RecordHeader {
            len: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            crc: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            kind: b[8],
        }
    }

    /// Total record size including the header.
    pub fn record_len(&self) -> u64 {
        RECORD_HEADER_LEN as u64 + u64::from(self.len)
    }

    /// Checks what can be checked without reading the payload: a known kind, a length within
    /// the limit, and a record that ends at or before `end`. Returns why not.
    pub fn plausible(&self, offset: u64, end: u64) -> Result<RecordKind, String> {
        let kind = RecordKind::from_u8(self.kind).ok_or_else(|| format!("unknown record kind {}", self.kind))?;
        if self.len as usize > MAX_PAYLOAD_LEN {
            return Err(format!("record length {} exceeds the limit of {MAX_PAYLOAD_LEN}", self.len));
        }
        if kind == RecordKind::Lib && self.len as usize != LIB_PAYLOAD_LEN {
            return Err(format!("Lib record has length {} instead of {LIB_PAYLOAD_LEN}", self.len));
        }
        if offset.saturating_add(self.record_len()) > end {
            return Err(format!(
                "record of {} bytes runs past the end of the file ({} bytes remain)",
                self.record_len(),
                end.saturating_sub(offset)
            ));
        }
        Ok(kind)
    }
}

/// CRC32 (IEEE) of the kind byte followed by the payload.
pub(crate) fn record_crc(kind: u8, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(payload);
    h.finalize()
}

/// Appends a complete record whose payload is produced by `fill` (which appends to the vector).
/// On `TooLarge` the vector is restored to its previous length.
fn encode_with(out: &mut Vec<u8>, kind: RecordKind, fill: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
    let start = out.len();
    out.extend_from_slice(&[0u8; RECORD_HEADER_LEN]);
    fill(out);
    let payload_len = out.len() - start - RECORD_HEADER_LEN;
    if payload_len > MAX_PAYLOAD_LEN {
        out.truncate(start);
        return Err(StorageError::TooLarge { len: payload_len, max: MAX_PAYLOAD_LEN });
    }
    let crc = record_crc(kind as u8, &out[start + RECORD_HEADER_LEN..]);
    out[start..start + 4].copy_from_slice(&(payload_len as u32).to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    out[start + 8] = kind as u8;
    Ok(())
}

/// Appends a Block record for `block` to `out`.
pub(crate) fn encode_block(out: &mut Vec<u8>, block: &SignedBlock) -> Result<()> {
    // Packing straight into the output buffer avoids a copy of what may be a megabyte.
    encode_with(out, RecordKind::Block, |o| block.pack(o))
}

/// Appends a Signers record for block `id` to `out`.
pub(crate) fn encode_signers(out: &mut Vec<u8>, id: &Checksum256, signers: &[Vec<PublicKey>]) -> Result<()> {
    encode_with(out, RecordKind::Signers, |o| {
        o.extend_from_slice(&id.0);
        signers.to_vec().pack(o);
    })
}

/// Appends a Lib record to `out`.
pub(crate) fn encode_lib(out: &mut Vec<u8>, num: u32, id: &Checksum256) -> Result<()> {
    encode_with(out, RecordKind::Lib, |o| {
        o.extend_from_slice(&num.to_le_bytes());
        o.extend_from_slice(&id.0);
    })
}

/// What the index needs from a block record: its id, number and parent. Only the header is
/// decoded, which keeps the open-time scan fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockInfo {
    pub id: Checksum256,
    pub num: u32,
    pub previous: Checksum256,
}

/// Decodes the header of a Block payload.
pub(crate) fn block_info(payload: &[u8]) -> Result<BlockInfo, String> {
    let header = BlockHeader::unpack(&mut Reader::new(payload))
        .map_err(|e| format!("block record does not decode as a block header: {e}"))?;
    Ok(BlockInfo { id: header.id(), num: header.block_num, previous: header.previous })
}

/// Decodes a Lib payload, checking that the number matches the one embedded in the id.
pub(crate) fn decode_lib(payload: &[u8]) -> Result<(u32, Checksum256), String> {
    if payload.len() != LIB_PAYLOAD_LEN {
        return Err(format!("Lib record has length {} instead of {LIB_PAYLOAD_LEN}", payload.len()));
    }
    let num = u32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]);
    let mut id = [0u8; 32];
    id.copy_from_slice(&payload[4..]);
    let id = Checksum256(id);
    if num_from_id(&id) != num {
        return Err(format!("Lib record number {num} does not match its id {id}"));
    }
    Ok((num, id))
}

/// Decodes a Signers payload.
pub(crate) fn decode_signers(payload: &[u8]) -> Result<(Checksum256, Vec<Vec<PublicKey>>), String> {
    let mut r = Reader::new(payload);
    let id = Checksum256::unpack(&mut r).map_err(|e| format!("Signers record: {e}"))?;
    let signers = Vec::<Vec<PublicKey>>::unpack(&mut r).map_err(|e| format!("Signers record: {e}"))?;
    r.finish().map_err(|e| format!("Signers record: {e}"))?;
    Ok((id, signers))
}

/// Decodes a verified payload of the given kind.
pub(crate) fn decode_record(kind: RecordKind, payload: &[u8]) -> Result<Record, String> {
    match kind {
        RecordKind::Block => SignedBlock::unpack_exact(payload)
            .map(|b| Record::Block(Box::new(b)))
            .map_err(|e| format!("block record does not decode: {e}")),
        RecordKind::Lib => decode_lib(payload).map(|(num, id)| Record::Lib { num, id }),
        RecordKind::Signers => decode_signers(payload).map(|(id, signers)| Record::Signers { id, signers }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lib_record_roundtrip_and_crc_covers_kind() {
        let mut id = Checksum256([7u8; 32]);
        id.0[..4].copy_from_slice(&9u32.to_be_bytes());
        let mut out = Vec::new();
        encode_lib(&mut out, 9, &id).unwrap();
        assert_eq!(out.len(), RECORD_HEADER_LEN + LIB_PAYLOAD_LEN);
        let h = RecordHeader::parse(out[..RECORD_HEADER_LEN].try_into().unwrap());
        assert_eq!(h.plausible(0, out.len() as u64), Ok(RecordKind::Lib));
        assert_eq!(h.crc, record_crc(h.kind, &out[RECORD_HEADER_LEN..]));
        assert_ne!(h.crc, record_crc(RecordKind::Block as u8, &out[RECORD_HEADER_LEN..]));
        assert_eq!(decode_record(RecordKind::Lib, &out[RECORD_HEADER_LEN..]), Ok(Record::Lib { num: 9, id }));
    }

    #[test]
    fn lib_number_must_match_id() {
        let mut payload = vec![0u8; LIB_PAYLOAD_LEN];
        payload[..4].copy_from_slice(&5u32.to_le_bytes());
        assert!(decode_lib(&payload).is_err());
    }

    #[test]
    fn implausible_headers_are_rejected() {
        let h = RecordHeader { len: 10, crc: 0, kind: 0 };
        assert!(h.plausible(0, 100).is_err());
        let h = RecordHeader { len: 100, crc: 0, kind: 1 };
        assert!(h.plausible(0, 50).is_err());
        let h = RecordHeader { len: u32::MAX, crc: 0, kind: 1 };
        assert!(h.plausible(0, u64::MAX).is_err());
        let h = RecordHeader { len: 10, crc: 0, kind: 2 };
        assert!(h.plausible(0, 100).is_err());
    }
}
