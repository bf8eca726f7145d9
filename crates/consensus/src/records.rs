//! Consensus records kept in the chain state, so that they are undone with forks, committed to
//! by the state root and agreed on by every node: the active schedule and its history, the
//! running hash of the current round's block ids and evidence of misbehaviour (double
//! production, conflicting votes).

use civitas_chain::state::{self, Kv, RowKey};
use civitas_protocol::checksum::{sha256_concat, Checksum256};
use civitas_protocol::{DoubleSignEvidence, Evidence, Name, ProducerSchedule, VoteEvidence};

const T_SCHEDULE: u64 = Name::constant("schedule").value();
const T_ROUND: u64 = Name::constant("roundacc").value();
const T_EVIDENCE: u64 = Name::constant("evidence").value();
const T_VOTE_EVIDENCE: u64 = Name::constant("voteevid").value();

/// The running hash of the current round's block ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundAcc {
    /// The round the accumulator is for.
    pub round: u64,
    /// Hash chain over the ids of the round's blocks.
    pub acc: Checksum256,
}

civitas_protocol::packable_struct!(RoundAcc { round, acc });

fn active_key() -> RowKey {
    RowKey::chain(T_SCHEDULE, 0, u64::MAX)
}

/// The active schedule.
pub fn active_schedule(kv: &Kv) -> Option<ProducerSchedule> {
    state::get(kv, &active_key())
}

/// Sets the active schedule and records it in the history by version.
pub fn set_active_schedule(kv: &mut Kv, s: &ProducerSchedule) {
    state::put(kv, active_key(), s);
    state::put(kv, RowKey::chain(T_SCHEDULE, 0, u64::from(s.version)), s);
}

/// A schedule by version.
pub fn schedule_by_version(kv: &Kv, version: u32) -> Option<ProducerSchedule> {
    state::get(kv, &RowKey::chain(T_SCHEDULE, 0, u64::from(version)))
}

fn round_key() -> RowKey {
    RowKey::chain(T_ROUND, 0, 0)
}

fn folded(kv: &Kv, parent_id: &Checksum256, parent_round: u64) -> Checksum256 {
    let cur: RoundAcc =
        state::get(kv, &round_key()).unwrap_or(RoundAcc { round: parent_round, acc: Checksum256::ZERO });
    let base = if cur.round == parent_round { cur.acc } else { Checksum256::ZERO };
    sha256_concat(&[&base.0, &parent_id.0])
}

/// The accumulator of `parent_round`'s block ids on this chain with the parent's own id folded
/// in: what the shuffle seed of the next round derives from (see `basis.rs`).
pub fn round_acc_after(kv: &Kv, parent_id: &Checksum256, parent_round: u64) -> Checksum256 {
    folded(kv, parent_id, parent_round)
}

/// Folds the parent's id into its round's accumulator, restarting it when the block opens a
/// later round.
pub fn advance_round(kv: &mut Kv, parent_id: &Checksum256, parent_round: u64, round: u64) {
    let acc = folded(kv, parent_id, parent_round);
    let next = if round > parent_round { RoundAcc { round, acc: Checksum256::ZERO } } else { RoundAcc { round, acc } };
    state::put(kv, round_key(), &next);
}

fn evidence_key(producer: Name, slot: u64) -> RowKey {
    RowKey::chain(T_EVIDENCE, producer.value(), slot)
}

/// True if evidence for this producer and slot is already recorded.
pub fn has_evidence(kv: &Kv, producer: Name, slot: u64) -> bool {
    kv.contains(&evidence_key(producer, slot))
}

/// Records evidence.
pub fn put_evidence(kv: &mut Kv, e: &DoubleSignEvidence) {
    state::put(kv, evidence_key(e.first.producer, e.first.slot), e);
}

fn vote_evidence_key(producer: Name, round: u64) -> RowKey {
    RowKey::chain(T_VOTE_EVIDENCE, producer.value(), round)
}

/// True if conflicting-vote evidence against this producer is recorded for this round (one
/// record per producer and round is enough to show it, and bounds what a persistent
/// equivocator costs the state).
pub fn has_vote_evidence(kv: &Kv, producer: Name, round: u64) -> bool {
    kv.contains(&vote_evidence_key(producer, round))
}

/// Records conflicting-vote evidence under its producer and round.
pub fn put_vote_evidence(kv: &mut Kv, round: u64, e: &VoteEvidence) {
    state::put(kv, vote_evidence_key(e.first.producer(), round), e);
}

/// All recorded evidence: double production by producer and slot, then conflicting votes by
/// producer and round.
pub fn all_evidence(kv: &Kv) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = kv
        .range(RowKey::chain(T_EVIDENCE, 0, 0), RowKey::chain(T_EVIDENCE, u64::MAX, u64::MAX))
        .filter_map(|(_, v)| civitas_protocol::Unpack::unpack_exact(v).ok())
        .map(Evidence::DoubleProduction)
        .collect();
    out.extend(
        kv.range(RowKey::chain(T_VOTE_EVIDENCE, 0, 0), RowKey::chain(T_VOTE_EVIDENCE, u64::MAX, u64::MAX))
            .filter_map(|(_, v)| civitas_protocol::Unpack::unpack_exact(v).ok())
            .map(Evidence::ConflictingVotes),
    );
    out
}
