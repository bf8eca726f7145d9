//! Blocks. The layout is Civitas's own; what clients see of it (ids with the block number in
//! the first four bytes, TAPOS prefixes, header fields in `get_block`) is Antelope-shaped.

use serde::{Deserialize, Serialize};

use crate::action::Extension;
use crate::checksum::{merkle_root, sha256, sha256_concat, Checksum256};
use crate::codec::Pack;
use crate::crypto::{CryptoError, PrivateKey, PublicKey, Signature};
use crate::evidence::Evidence;
use crate::name::Name;
use crate::transaction::PackedTransaction;

/// A finality vote a producer casts by producing a block (see `docs/consensus.md`). Votes are
/// in slot space: it votes for its own chain's content — a block or an empty slot — at every
/// slot in `first_slot..=last_slot`, with the justified block at slot `source_slot` (an
/// ancestor, `source_slot < first_slot`) as the vote's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// Slot of the justified source block.
    pub source_slot: u64,
    /// Lowest slot voted for.
    pub first_slot: u64,
    /// Highest slot voted for (at most the block's own slot).
    pub last_slot: u64,
}

crate::packable_struct!(Vote { source_slot, first_slot, last_slot });

/// A producer and its block signing key (Antelope's legacy `producer_key`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProducerKey {
    /// The producer account.
    pub producer_name: Name,
    /// The key its blocks are signed with.
    pub block_signing_key: PublicKey,
}

crate::packable_struct!(ProducerKey { producer_name, block_signing_key });

/// An ordered producer schedule (Antelope's legacy `producer_schedule`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProducerSchedule {
    /// Increments with every change.
    pub version: u32,
    /// Producers in turn order.
    pub producers: Vec<ProducerKey>,
}

crate::packable_struct!(ProducerSchedule { version, producers });

/// An explicit finality vote (SPEC §3.5): a producer signs the same vote it would carry in a
/// block of its own, for the chain ending at `target` (whose slot is `vote.last_slot`), and
/// gossips it; a later block on that chain includes it, and finality counts it like a vote
/// carried by production.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The voting producer.
    pub producer: Name,
    /// The vote.
    pub vote: Vote,
    /// The block at `vote.last_slot` whose chain the vote is for.
    pub target: Checksum256,
    /// The producer's signature over [`Approval::signing_digest`].
    pub signature: Signature,
}

crate::packable_struct!(Approval { producer, vote, target, signature });

impl Approval {
    /// What the producer signs: `sha256(chain_id ‖ "civitas-approval" ‖ producer ‖ vote ‖ target)`.
    pub fn signing_digest(chain_id: &Checksum256, producer: Name, vote: &Vote, target: &Checksum256) -> Checksum256 {
        let mut body = Vec::with_capacity(64);
        producer.pack(&mut body);
        vote.pack(&mut body);
        target.pack(&mut body);
        sha256_concat(&[&chain_id.0, b"civitas-approval", &body])
    }

    /// Signs a vote.
    pub fn sign(chain_id: &Checksum256, producer: Name, vote: Vote, target: Checksum256, key: &PrivateKey) -> Approval {
        let signature = key.sign_internal(&Self::signing_digest(chain_id, producer, &vote, &target));
        Approval { producer, vote, target, signature }
    }

    /// The digest of this approval.
    pub fn digest(&self, chain_id: &Checksum256) -> Checksum256 {
        Self::signing_digest(chain_id, self.producer, &self.vote, &self.target)
    }
}

/// The signed part of a block header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Id of the parent block.
    pub previous: Checksum256,
    /// Height of this block (parent + 1; the genesis block is 1).
    pub block_num: u32,
    /// Slot number counted from the genesis time in block intervals.
    pub slot: u64,
    /// The producer scheduled for `slot`.
    pub producer: Name,
    /// Version of the active producer schedule this block was produced under.
    pub schedule_version: u32,
    /// The producer's finality votes (at most two, ascending), possibly none.
    pub votes: Vec<Vote>,
    /// The round's schedule, carried by the first block of each round.
    pub new_schedule: Option<ProducerSchedule>,
    /// Merkle root of the block's packed transactions.
    pub transaction_mroot: Checksum256,
    /// State commitment after applying this block.
    pub state_root: Checksum256,
    /// Hash of the block's evidence list (zero when it has none). Evidence lives in the body
    /// so that evidence about a header never embeds earlier evidence.
    pub evidence_root: Checksum256,
    /// Hash of the block's approvals (zero when it has none).
    pub approvals_root: Checksum256,
    /// Extensions (reserved: explicit approvals, protocol feature activations).
    pub header_extensions: Vec<Extension>,
}

crate::packable_struct!(BlockHeader {
    previous,
    block_num,
    slot,
    producer,
    schedule_version,
    votes,
    new_schedule,
    transaction_mroot,
    state_root,
    evidence_root,
    approvals_root,
    header_extensions
});

/// The block number carried in the first four bytes of a block id (big-endian).
pub fn num_from_id(id: &Checksum256) -> u32 {
    u32::from_be_bytes([id.0[0], id.0[1], id.0[2], id.0[3]])
}

impl BlockHeader {
    /// The block id: SHA-256 of the packed header with the first four bytes replaced by the
    /// big-endian block number, as Antelope does.
    pub fn id(&self) -> Checksum256 {
        let mut id = sha256(&self.packed());
        id.0[..4].copy_from_slice(&self.block_num.to_be_bytes());
        id
    }

    /// What the producer signs: `sha256(chain_id ‖ id)`.
    pub fn signing_digest(&self, chain_id: &Checksum256) -> Checksum256 {
        sha256_concat(&[&chain_id.0, &self.id().0])
    }
}

/// A block: header, producer signature, transactions and extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedBlock {
    /// The header.
    pub header: BlockHeader,
    /// The producer's signature over [`BlockHeader::signing_digest`].
    pub producer_signature: Signature,
    /// The transactions, applied in order.
    pub transactions: Vec<PackedTransaction>,
    /// Approvals by other producers, counted as votes of this chain.
    pub approvals: Vec<Approval>,
    /// Evidence of misbehaviour recorded by this block.
    pub evidence: Vec<Evidence>,
    /// Extensions of the body (reserved).
    pub block_extensions: Vec<Extension>,
}

crate::packable_struct!(SignedBlock {
    header,
    producer_signature,
    transactions,
    approvals,
    evidence,
    block_extensions
});

/// The header commitment to a block's approvals.
pub fn approvals_root(approvals: &[Approval]) -> Checksum256 {
    if approvals.is_empty() {
        Checksum256::ZERO
    } else {
        sha256(&approvals.to_vec().packed())
    }
}

/// The header commitment to a block's evidence list.
pub fn evidence_root(evidence: &[Evidence]) -> Checksum256 {
    if evidence.is_empty() {
        Checksum256::ZERO
    } else {
        sha256(&evidence.to_vec().packed())
    }
}

/// Merkle root of a block's transactions: leaves are SHA-256 of each packed transaction
/// (signatures included, so the producer's signature fixes them too).
pub fn transaction_mroot(trxs: &[PackedTransaction]) -> Checksum256 {
    merkle_root(trxs.iter().map(|t| sha256(&t.packed())).collect())
}

impl SignedBlock {
    /// The block id.
    pub fn id(&self) -> Checksum256 {
        self.header.id()
    }

    /// The block number.
    pub fn block_num(&self) -> u32 {
        self.header.block_num
    }

    /// Signs `header` and assembles the block.
    pub fn sign(
        header: BlockHeader,
        transactions: Vec<PackedTransaction>,
        chain_id: &Checksum256,
        key: &PrivateKey,
    ) -> SignedBlock {
        Self::sign_with_evidence(header, transactions, vec![], chain_id, key)
    }

    /// Signs `header` and assembles a block with approvals and evidence (whose roots the
    /// header must hold).
    pub fn sign_full(
        header: BlockHeader,
        transactions: Vec<PackedTransaction>,
        approvals: Vec<Approval>,
        evidence: Vec<Evidence>,
        chain_id: &Checksum256,
        key: &PrivateKey,
    ) -> SignedBlock {
        let mut b = Self::sign_with_evidence(header, transactions, evidence, chain_id, key);
        b.approvals = approvals;
        b
    }

    /// Signs `header` and assembles a block that also carries evidence (whose root the
    /// header must hold).
    pub fn sign_with_evidence(
        header: BlockHeader,
        transactions: Vec<PackedTransaction>,
        evidence: Vec<Evidence>,
        chain_id: &Checksum256,
        key: &PrivateKey,
    ) -> SignedBlock {
        let producer_signature = key.sign_internal(&header.signing_digest(chain_id));
        SignedBlock { header, producer_signature, transactions, approvals: vec![], evidence, block_extensions: vec![] }
    }

    /// The key that signed the block.
    pub fn signer(&self, chain_id: &Checksum256) -> Result<PublicKey, CryptoError> {
        self.producer_signature.recover_internal(&self.header.signing_digest(chain_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Unpack;

    #[test]
    fn id_embeds_number_and_signature_recovers() {
        let key = PrivateKey::from_seed("bp");
        let header = BlockHeader {
            previous: Checksum256::ZERO,
            block_num: 0x0102_0304,
            slot: 7,
            producer: Name::constant("bp1"),
            schedule_version: 1,
            votes: vec![Vote { source_slot: 1, first_slot: 2, last_slot: 7 }],
            new_schedule: None,
            transaction_mroot: transaction_mroot(&[]),
            state_root: Checksum256::ZERO,
            evidence_root: Checksum256::ZERO,
            approvals_root: Checksum256::ZERO,
            header_extensions: vec![],
        };
        let chain = sha256(b"c");
        let b = SignedBlock::sign(header, vec![], &chain, &key);
        assert_eq!(&b.id().0[..4], &[1, 2, 3, 4]);
        assert_eq!(num_from_id(&b.id()), 0x0102_0304);
        assert_eq!(b.signer(&chain).unwrap(), key.public_key());
        assert_eq!(SignedBlock::unpack_exact(&b.packed()).unwrap(), b);
    }
}
