//! Evidence of misbehaviour a producer cannot deny: two things it signed that no honest
//! producer ever signs together. Blocks carry evidence in their body; applying it records it in
//! the chain state, so every node holds the same record (docs/consensus.md, "Evidence").

use serde::{Deserialize, Serialize};

use crate::block::{Approval, BlockHeader, Vote};
use crate::checksum::Checksum256;
use crate::codec::{Pack, Reader, Unpack};
use crate::crypto::Signature;
use crate::error::CodecError;
use crate::name::Name;

/// Two different block headers signed by the same producer for the same slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoubleSignEvidence {
    /// One header.
    pub first: BlockHeader,
    /// Its signature.
    pub first_signature: Signature,
    /// The other header.
    pub second: BlockHeader,
    /// Its signature.
    pub second_signature: Signature,
}

crate::packable_struct!(DoubleSignEvidence { first, first_signature, second, second_signature });

/// A finality vote as its producer signed it: an approval, or one of the votes in the header
/// of a block it produced (the block signature covers the header, hence the vote).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SignedVote {
    /// An approval (signed on its own).
    Approval(Approval),
    /// Vote `index` of a block header, with the block's signature.
    Block {
        /// The header.
        header: BlockHeader,
        /// The producer's signature over the header.
        signature: Signature,
        /// Which of the header's votes.
        index: u8,
    },
}

impl SignedVote {
    /// The producer that signed it.
    pub fn producer(&self) -> Name {
        match self {
            SignedVote::Approval(a) => a.producer,
            SignedVote::Block { header, .. } => header.producer,
        }
    }

    /// The vote (`None` if a block variant names a vote its header does not have).
    pub fn vote(&self) -> Option<Vote> {
        match self {
            SignedVote::Approval(a) => Some(a.vote),
            SignedVote::Block { header, index, .. } => header.votes.get(usize::from(*index)).copied(),
        }
    }

    /// The digest the producer signed.
    pub fn digest(&self, chain_id: &Checksum256) -> Checksum256 {
        match self {
            SignedVote::Approval(a) => a.digest(chain_id),
            SignedVote::Block { header, .. } => header.signing_digest(chain_id),
        }
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        match self {
            SignedVote::Approval(a) => &a.signature,
            SignedVote::Block { signature, .. } => signature,
        }
    }

    /// The schedule version the signed message names (blocks only; approvals name none).
    pub fn schedule_version(&self) -> Option<u32> {
        match self {
            SignedVote::Approval(_) => None,
            SignedVote::Block { header, .. } => Some(header.schedule_version),
        }
    }

    /// True if both are the same signed message (the same approval, or the same header).
    pub fn same_message(&self, other: &SignedVote) -> bool {
        match (self, other) {
            (SignedVote::Approval(a), SignedVote::Approval(b)) => a == b,
            (SignedVote::Block { header: a, .. }, SignedVote::Block { header: b, .. }) => a.id() == b.id(),
            _ => false,
        }
    }
}

impl Pack for SignedVote {
    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            SignedVote::Approval(a) => {
                0u8.pack(out);
                a.pack(out);
            }
            SignedVote::Block { header, signature, index } => {
                1u8.pack(out);
                header.pack(out);
                signature.pack(out);
                index.pack(out);
            }
        }
    }
}

impl Unpack for SignedVote {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        match r.u8()? {
            0 => Ok(SignedVote::Approval(Approval::unpack(r)?)),
            1 => Ok(SignedVote::Block {
                header: BlockHeader::unpack(r)?,
                signature: Signature::unpack(r)?,
                index: u8::unpack(r)?,
            }),
            b => Err(CodecError::UnknownVariant(u32::from(b))),
        }
    }
}

/// Two signed votes of one producer that break the honest voting rules (docs/consensus.md):
/// overlapping slot ranges (R1, each slot once), or a later range with a lower source (R2,
/// sources never go back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteEvidence {
    /// The vote with the lower first slot (ties: the lower last slot).
    pub first: SignedVote,
    /// The other vote.
    pub second: SignedVote,
}

crate::packable_struct!(VoteEvidence { first, second });

impl VoteEvidence {
    /// The slot the record is filed under: the first slot of the later vote.
    pub fn slot(&self) -> u64 {
        self.second.vote().map_or(0, |v| v.first_slot)
    }
}

/// One piece of evidence carried in a block body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// Two blocks for one slot.
    DoubleProduction(DoubleSignEvidence),
    /// Two votes no honest producer signs together.
    ConflictingVotes(VoteEvidence),
}

impl Evidence {
    /// The producer it is about.
    pub fn producer(&self) -> Name {
        match self {
            Evidence::DoubleProduction(e) => e.first.producer,
            Evidence::ConflictingVotes(e) => e.first.producer(),
        }
    }

    /// The slot it is filed under (one record per producer, kind and slot).
    pub fn slot(&self) -> u64 {
        match self {
            Evidence::DoubleProduction(e) => e.first.slot,
            Evidence::ConflictingVotes(e) => e.slot(),
        }
    }
}

impl Pack for Evidence {
    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            Evidence::DoubleProduction(e) => {
                0u8.pack(out);
                e.pack(out);
            }
            Evidence::ConflictingVotes(e) => {
                1u8.pack(out);
                e.pack(out);
            }
        }
    }
}

impl Unpack for Evidence {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        match r.u8()? {
            0 => Ok(Evidence::DoubleProduction(DoubleSignEvidence::unpack(r)?)),
            1 => Ok(Evidence::ConflictingVotes(VoteEvidence::unpack(r)?)),
            b => Err(CodecError::UnknownVariant(u32::from(b))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::sha256;
    use crate::crypto::PrivateKey;

    fn header(slot: u64, votes: Vec<Vote>) -> BlockHeader {
        BlockHeader {
            previous: Checksum256::ZERO,
            block_num: 5,
            slot,
            producer: Name::constant("bpa"),
            schedule_version: 2,
            votes,
            new_schedule: None,
            transaction_mroot: Checksum256::ZERO,
            state_root: Checksum256::ZERO,
            evidence_root: Checksum256::ZERO,
            approvals_root: Checksum256::ZERO,
            header_extensions: vec![],
        }
    }

    #[test]
    fn evidence_round_trips_and_rejects_unknown_variants() {
        let key = PrivateKey::from_seed("bpa");
        let chain = sha256(b"c");
        let v = Vote { source_slot: 1, first_slot: 2, last_slot: 4 };
        let a = Approval::sign(&chain, Name::constant("bpa"), v, sha256(b"t"), &key);
        let h = header(4, vec![v]);
        let sig = key.sign_internal(&h.signing_digest(&chain));
        let e = Evidence::ConflictingVotes(VoteEvidence {
            first: SignedVote::Approval(a.clone()),
            second: SignedVote::Block { header: h.clone(), signature: sig, index: 0 },
        });
        let packed = e.packed();
        assert_eq!(Evidence::unpack_exact(&packed).unwrap(), e);
        assert_eq!(e.producer(), Name::constant("bpa"));
        assert_eq!(e.slot(), 2);
        let mut bad = packed.clone();
        bad[0] = 7;
        assert_eq!(Evidence::unpack_exact(&bad), Err(CodecError::UnknownVariant(7)));
        let mut bad_vote = packed;
        bad_vote[1] = 9;
        assert!(Evidence::unpack_exact(&bad_vote).is_err());
        // A block variant naming a vote its header lacks has no vote.
        let missing = SignedVote::Block { header: h, signature: sig, index: 3 };
        assert_eq!(missing.vote(), None);
        assert!(SignedVote::Approval(a.clone()).same_message(&SignedVote::Approval(a)));
    }
}
