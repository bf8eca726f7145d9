//! Consensus rules that need no node state: vote and approval checks, the conflict rule behind
//! vote evidence, and block limits. Pure functions of their arguments, used by header
//! validation, production and the approval pool alike, so that every path applies the same
//! rule (docs/consensus.md).

use std::collections::BTreeMap;

use civitas_protocol::limits::{
    MAX_BLOCK_APPROVALS, MAX_BLOCK_BYTES, MAX_BLOCK_EVIDENCE, MAX_BLOCK_TRANSACTIONS, MAX_HEADER_VOTES,
};
use civitas_protocol::{Approval, Checksum256, Name, ProducerSchedule, PublicKey, SignedBlock, SignedVote, Vote};

use crate::error::BlockError;
use crate::forkdb::{BlockEntry, ForkDb};
use crate::schedule::key_of;
use crate::verifier::SigVerifier;

/// Each producer's last vote along a chain: (source slot, top slot).
pub type LastVotes = BTreeMap<Name, (u64, u64)>;

/// A vote's slots are well formed: a non-empty range strictly above its source.
pub fn vote_is_well_formed(v: &Vote) -> bool {
    v.first_slot <= v.last_slot && v.source_slot < v.first_slot
}

/// True if no honest producer casts both votes as two different signed messages: their slot
/// ranges overlap (R1, each slot once), or the later range has a lower source (R2, sources
/// never go back). The caller makes sure the two are different messages.
pub fn votes_conflict(a: &Vote, b: &Vote) -> bool {
    if a.first_slot <= b.last_slot && b.first_slot <= a.last_slot {
        return true;
    }
    let (early, late) = if a.last_slot < b.first_slot { (a, b) } else { (b, a) };
    late.source_slot < early.source_slot
}

/// Checks the votes a block carries for its producer: each slot range within the chain and
/// above its source, which must be a justified block on the parent's chain; ranges ascending
/// and disjoint, sources non-decreasing, and both above the producer's previous vote on this
/// chain (R1, R2).
pub fn check_votes(
    slot: u64,
    votes: &[Vote],
    parent: &BlockEntry,
    last: &LastVotes,
    producer: Name,
) -> Result<(), BlockError> {
    if votes.len() > MAX_HEADER_VOTES {
        return Err(BlockError::Vote(format!("{} votes, at most {MAX_HEADER_VOTES}", votes.len())));
    }
    let (mut min_first, mut min_source) = match last.get(&producer) {
        Some(&(src, top)) => (top + 1, src),
        None => (1, 0),
    };
    for v in votes {
        if v.first_slot < min_first || !vote_is_well_formed(v) || v.last_slot > slot {
            return Err(BlockError::Vote(format!(
                "slots {}..={} with source {} (must start at {min_first} or later and end by slot {slot})",
                v.first_slot, v.last_slot, v.source_slot
            )));
        }
        if v.source_slot < min_source {
            return Err(BlockError::Vote(format!(
                "source {} is below the previous source {min_source}",
                v.source_slot
            )));
        }
        if !parent.finality.is_justified(v.source_slot) {
            return Err(BlockError::Vote(format!(
                "source slot {} is not a justified block on this chain",
                v.source_slot
            )));
        }
        min_first = v.last_slot + 1;
        min_source = v.source_slot;
    }
    Ok(())
}

/// The key an approval must be signed with: its producer's key in the block's schedule or the
/// one before it.
pub fn approval_key(schedule: &ProducerSchedule, prev: &ProducerSchedule, producer: Name) -> Option<PublicKey> {
    key_of(schedule, producer).or_else(|| key_of(prev, producer))
}

/// Checks one approval for inclusion in a block on `parent` with the given schedules, and
/// advances the running per-producer vote marks `last` (R1, R2 along the chain). `signer` is
/// the key already recovered from its signature, if the caller holds it (the approval pool
/// does); otherwise it is recovered here.
#[allow(clippy::too_many_arguments)]
pub fn check_approval(
    forkdb: &ForkDb,
    parent: &BlockEntry,
    schedule: &ProducerSchedule,
    prev: &ProducerSchedule,
    a: &Approval,
    signer: Option<PublicKey>,
    last: &mut LastVotes,
    chain_id: &Checksum256,
    verifier: &dyn SigVerifier,
) -> Result<(), String> {
    let key =
        approval_key(schedule, prev, a.producer).ok_or_else(|| format!("{} is not an active producer", a.producer))?;
    let v = a.vote;
    if !vote_is_well_formed(&v) {
        return Err(format!("approval slots {}..={} with source {}", v.first_slot, v.last_slot, v.source_slot));
    }
    // A bound that depends on the chain only: the target is then held or archived by every
    // node that holds the parent, whatever its own LIB (see ForkDb::ancestor_slot).
    if v.last_slot + u64::from(forkdb.window()) < parent.slot {
        return Err(format!("approval for slot {} is too old", v.last_slot));
    }
    let target = forkdb.ancestor_slot(&a.target, &parent.id);
    if target != Some(v.last_slot) {
        return Err(format!("approval target {} is not on this chain at slot {}", a.target, v.last_slot));
    }
    let (src, top) = last.get(&a.producer).copied().unwrap_or((0, 0));
    if v.first_slot <= top || v.source_slot < src {
        return Err(format!("approval of {} repeats slots or lowers its source", a.producer));
    }
    if !parent.finality.is_justified(v.source_slot) {
        return Err(format!("approval source slot {} is not a justified block on this chain", v.source_slot));
    }
    let signer = match signer {
        Some(k) => k,
        None => verifier.recover(&a.digest(chain_id), &a.signature).map_err(|e| e.to_string())?,
    };
    if signer != key {
        return Err(format!("approval is not signed by {}", a.producer));
    }
    last.insert(a.producer, (v.source_slot, v.last_slot));
    Ok(())
}

/// The size of everything a block carries, checked before anything in it is verified: a block
/// over a limit is invalid for every node (docs/consensus.md, "Limits").
pub fn check_block_limits(block: &SignedBlock) -> Result<(), BlockError> {
    if block.transactions.len() > MAX_BLOCK_TRANSACTIONS {
        return Err(BlockError::Limit(format!(
            "{} transactions, at most {MAX_BLOCK_TRANSACTIONS}",
            block.transactions.len()
        )));
    }
    if block.approvals.len() > MAX_BLOCK_APPROVALS {
        return Err(BlockError::Limit(format!("{} approvals, at most {MAX_BLOCK_APPROVALS}", block.approvals.len())));
    }
    if block.evidence.len() > MAX_BLOCK_EVIDENCE {
        return Err(BlockError::Limit(format!(
            "{} evidence entries, at most {MAX_BLOCK_EVIDENCE}",
            block.evidence.len()
        )));
    }
    let bytes = block_bytes(block);
    if bytes > MAX_BLOCK_BYTES {
        return Err(BlockError::Limit(format!("{bytes} bytes, at most {MAX_BLOCK_BYTES}")));
    }
    Ok(())
}

/// The packed size of a block (transactions summed by their sizes rather than packed again,
/// since they are most of it).
pub fn block_bytes(block: &SignedBlock) -> usize {
    use civitas_protocol::codec::Pack;
    let txs: usize = block.transactions.iter().map(|t| t.wire_size()).sum();
    block.header.packed().len()
        + block.producer_signature.packed().len()
        + civitas_protocol::codec::varuint32_len(block.transactions.len())
        + txs
        + block.approvals.packed().len()
        + block.evidence.packed().len()
        + block.block_extensions.packed().len()
}

/// Checks that two signed votes of one producer are evidence: both name a vote, they are two
/// different messages, and the votes conflict. Signatures are checked by the caller.
pub fn check_vote_conflict(first: &SignedVote, second: &SignedVote) -> Result<(), String> {
    if first.producer() != second.producer() {
        return Err("the votes are by different producers".into());
    }
    let (Some(a), Some(b)) = (first.vote(), second.vote()) else {
        return Err("a block vote names a vote its header does not carry".into());
    };
    if first.same_message(second) {
        return Err("both are the same signed message".into());
    }
    if !votes_conflict(&a, &b) {
        return Err("the votes do not conflict".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(source: u64, first: u64, last: u64) -> Vote {
        Vote { source_slot: source, first_slot: first, last_slot: last }
    }

    #[test]
    fn conflicts_are_overlaps_and_sources_going_back() {
        // Overlapping ranges (R1), in either order.
        assert!(votes_conflict(&v(1, 2, 5), &v(1, 5, 7)));
        assert!(votes_conflict(&v(1, 5, 7), &v(1, 2, 5)));
        assert!(votes_conflict(&v(1, 2, 9), &v(4, 5, 6)), "a surrounding range overlaps");
        // Disjoint ranges: fine while the later one's source does not go back (R2).
        assert!(!votes_conflict(&v(1, 2, 5), &v(5, 6, 8)));
        assert!(!votes_conflict(&v(1, 2, 5), &v(1, 6, 8)));
        assert!(votes_conflict(&v(3, 4, 5), &v(2, 6, 8)));
        assert!(votes_conflict(&v(2, 6, 8), &v(3, 4, 5)));
        // The bridge and main votes an honest producer casts together do not conflict.
        assert!(!votes_conflict(&v(10, 11, 20), &v(20, 21, 25)));
    }

    fn block_with(txs: Vec<civitas_protocol::PackedTransaction>, approvals: usize) -> SignedBlock {
        use civitas_protocol::{sha256, BlockHeader, PrivateKey};
        let key = PrivateKey::from_seed("bp");
        let header = BlockHeader {
            previous: Checksum256::ZERO,
            block_num: 2,
            slot: 1,
            producer: Name::constant("bp"),
            schedule_version: 0,
            votes: vec![v(0, 1, 1)],
            new_schedule: None,
            transaction_mroot: Checksum256::ZERO,
            state_root: Checksum256::ZERO,
            evidence_root: Checksum256::ZERO,
            approvals_root: Checksum256::ZERO,
            header_extensions: vec![],
        };
        let a = Approval::sign(&sha256(b"c"), Name::constant("bq"), v(0, 1, 1), sha256(b"t"), &key);
        SignedBlock::sign_full(header, txs, vec![a; approvals], vec![], &sha256(b"c"), &key)
    }

    fn tx(bytes: usize) -> civitas_protocol::PackedTransaction {
        civitas_protocol::PackedTransaction {
            signatures: vec![civitas_protocol::Signature([1; 65])],
            compression: civitas_protocol::Compression::None,
            packed_context_free_data: civitas_protocol::Bytes(vec![7; bytes / 2]),
            packed_trx: civitas_protocol::Bytes(vec![9; bytes / 2]),
        }
    }

    #[test]
    fn block_limits_count_every_byte() {
        use civitas_protocol::codec::Pack;
        let b = block_with(vec![tx(1000), tx(300), tx(200_000)], 3);
        assert_eq!(block_bytes(&b), b.packed().len());
        assert!(check_block_limits(&b).is_ok());
        // Context-free data counts like any other byte: 13 MiB of it make an invalid block.
        let big = block_with(vec![tx(13 << 20)], 0);
        assert!(matches!(check_block_limits(&big), Err(BlockError::Limit(_))));
        let approvals = block_with(vec![], MAX_BLOCK_APPROVALS + 1);
        assert!(matches!(check_block_limits(&approvals), Err(BlockError::Limit(_))));
        let many = block_with(vec![tx(2); MAX_BLOCK_TRANSACTIONS + 1], 0);
        assert!(matches!(check_block_limits(&many), Err(BlockError::Limit(_))));
    }

    #[test]
    fn well_formed_votes() {
        assert!(vote_is_well_formed(&v(1, 2, 2)));
        assert!(!vote_is_well_formed(&v(2, 2, 3)));
        assert!(!vote_is_well_formed(&v(1, 4, 3)));
    }
}
