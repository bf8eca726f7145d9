//! The fork database: every valid block above the last irreversible block, with the header
//! state each one implies (schedule, votes, justification, chain-local LIB).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use civitas_protocol::{Approval, Checksum256, Name, ProducerSchedule, SignedBlock, TimePoint, Vote};

use crate::finality::{self, ChainVote, Finality, Segment};

/// A block in the fork database with its header state.
#[derive(Debug, Clone)]
pub struct BlockEntry {
    /// The block.
    pub block: Arc<SignedBlock>,
    /// Its id.
    pub id: Checksum256,
    /// Its height.
    pub num: u32,
    /// Its slot.
    pub slot: u64,
    /// Its slot time.
    pub time: TimePoint,
    /// Its producer.
    pub producer: Name,
    /// Its round.
    pub round: u64,
    /// The schedule of its round.
    pub schedule: Arc<ProducerSchedule>,
    /// The schedule of the round before.
    pub prev_schedule: Arc<ProducerSchedule>,
    /// Justification and LIB of the chain ending here.
    pub finality: Finality,
    /// Each producer's last vote along this chain: (source slot, top slot).
    pub last_votes: Arc<BTreeMap<Name, (u64, u64)>>,
}

/// The header state of a block: what the fork database keeps beside the block itself.
pub(crate) struct HeaderState {
    pub round: u64,
    pub schedule: Arc<ProducerSchedule>,
    pub prev_schedule: Arc<ProducerSchedule>,
    pub finality: Finality,
    pub last_votes: Arc<BTreeMap<Name, (u64, u64)>>,
}

impl BlockEntry {
    /// An entry for `block` with its header state; the rest is read off the header.
    pub(crate) fn new(block: Arc<SignedBlock>, state: HeaderState, params: &crate::Params) -> BlockEntry {
        let h = &block.header;
        BlockEntry {
            id: block.id(),
            num: h.block_num,
            slot: h.slot,
            time: params.slot_time(h.slot),
            producer: h.producer,
            round: state.round,
            schedule: state.schedule,
            prev_schedule: state.prev_schedule,
            finality: state.finality,
            last_votes: state.last_votes,
            block,
        }
    }

    /// The parent's id.
    pub fn previous(&self) -> Checksum256 {
        self.block.header.previous
    }

    /// The votes carried by this block.
    pub fn votes(&self) -> &[Vote] {
        &self.block.header.votes
    }

    /// The fork-choice key: higher is better (justified, LIB, height, then the lower id).
    pub fn rank(&self) -> (u64, u32, u32, std::cmp::Reverse<Checksum256>) {
        (self.finality.justified_top(), self.finality.lib, self.num, std::cmp::Reverse(self.id))
    }
}

/// What finality evaluation needs of an irreversible block that left the fork database.
#[derive(Debug, Clone)]
pub(crate) struct Archived {
    id: Checksum256,
    num: u32,
    slot: u64,
    producer: Name,
    votes: Vec<Vote>,
    approvals: Vec<Approval>,
    schedule: Arc<ProducerSchedule>,
    prev_schedule: Arc<ProducerSchedule>,
}

impl Archived {
    pub(crate) fn pack(&self, out: &mut Vec<u8>) {
        use civitas_protocol::codec::Pack;
        self.id.pack(out);
        self.num.pack(out);
        self.slot.pack(out);
        self.producer.pack(out);
        self.votes.pack(out);
        self.approvals.pack(out);
        (*self.schedule).pack(out);
        (*self.prev_schedule).pack(out);
    }

    pub(crate) fn unpack(r: &mut civitas_protocol::Reader<'_>) -> Result<Archived, civitas_protocol::CodecError> {
        use civitas_protocol::codec::Unpack;
        Ok(Archived {
            id: Unpack::unpack(r)?,
            num: Unpack::unpack(r)?,
            slot: Unpack::unpack(r)?,
            producer: Unpack::unpack(r)?,
            votes: Unpack::unpack(r)?,
            approvals: Unpack::unpack(r)?,
            schedule: Arc::new(Unpack::unpack(r)?),
            prev_schedule: Arc::new(Unpack::unpack(r)?),
        })
    }
}

/// The fork database.
#[derive(Debug, Default)]
pub struct ForkDb {
    entries: BTreeMap<Checksum256, Arc<BlockEntry>>,
    children: BTreeMap<Checksum256, Vec<Checksum256>>,
    root: Option<Checksum256>,
    archive: VecDeque<Archived>,
    window: u32,
    /// Slots per round (to tell which round an empty slot belongs to).
    round_len: u64,
}

/// Something that can be walked as a chain of ancestors.
struct Step<'a> {
    num: u32,
    slot: u64,
    producer: Name,
    votes: &'a [Vote],
    approvals: &'a [Approval],
    schedule: &'a ProducerSchedule,
    prev_schedule: &'a ProducerSchedule,
}

impl ForkDb {
    /// A fork database rooted at `root` (the last irreversible block). `window` bounds how many
    /// slots finality looks back (see docs/consensus.md); `round_len` is the slots per round.
    pub fn new(root: BlockEntry, window: u32, round_len: u64) -> ForkDb {
        let mut db = ForkDb { window: window.max(8), round_len: round_len.max(1), ..Default::default() };
        db.root = Some(root.id);
        db.entries.insert(root.id, Arc::new(root));
        db
    }

    /// How many slots finality looks back.
    pub fn window(&self) -> u32 {
        self.window
    }

    /// Slots per round.
    pub fn round_len(&self) -> u64 {
        self.round_len
    }

    /// The archive of recent irreversible headers (for checkpoints).
    pub(crate) fn archive(&self) -> impl ExactSizeIterator<Item = &Archived> {
        self.archive.iter()
    }

    /// Restores the archive (from a checkpoint).
    pub(crate) fn set_archive(&mut self, archive: Vec<Archived>) {
        self.archive = archive.into();
    }

    /// The root (last irreversible block).
    pub fn root(&self) -> &Arc<BlockEntry> {
        let id = self.root.as_ref().expect("fork database without a root");
        &self.entries[id]
    }

    /// Looks up a block.
    pub fn get(&self, id: &Checksum256) -> Option<&Arc<BlockEntry>> {
        self.entries.get(id)
    }

    /// True if the block is known.
    pub fn contains(&self, id: &Checksum256) -> bool {
        self.entries.contains_key(id)
    }

    /// Number of blocks held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when only the root is held.
    pub fn is_empty(&self) -> bool {
        self.entries.len() <= 1
    }

    /// All entries.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<BlockEntry>> {
        self.entries.values()
    }

    /// Adds a block whose parent is present.
    pub fn insert(&mut self, e: BlockEntry) -> Arc<BlockEntry> {
        let e = Arc::new(e);
        self.children.entry(e.previous()).or_default().push(e.id);
        self.entries.insert(e.id, e.clone());
        e
    }

    /// Removes a block and all its descendants; returns the removed ids.
    pub fn remove_subtree(&mut self, id: &Checksum256) -> Vec<Checksum256> {
        let mut removed = vec![];
        let mut stack = vec![*id];
        while let Some(x) = stack.pop() {
            if let Some(e) = self.entries.remove(&x) {
                if let Some(sib) = self.children.get_mut(&e.previous()) {
                    sib.retain(|c| *c != x);
                }
                removed.push(x);
            }
            if let Some(kids) = self.children.remove(&x) {
                stack.extend(kids);
            }
        }
        removed
    }

    /// The best block by fork choice. Every held block descends from the root (the node's last
    /// irreversible block), so every candidate keeps the node's LIB, whatever its chain has
    /// finalized by its own votes so far.
    pub fn best(&self) -> Arc<BlockEntry> {
        self.entries.values().max_by_key(|e| e.rank()).cloned().unwrap_or_else(|| self.root().clone())
    }

    /// The ids from `id` back to (excluding) the ancestor at height `stop_num`, newest first.
    pub fn branch(&self, id: &Checksum256, stop_num: u32) -> Vec<Arc<BlockEntry>> {
        let mut out = vec![];
        let mut cur = self.entries.get(id).cloned();
        while let Some(e) = cur {
            if e.num <= stop_num {
                break;
            }
            cur = self.entries.get(&e.previous()).cloned();
            out.push(e);
        }
        out
    }

    /// The common ancestor of two blocks.
    pub fn common_ancestor(&self, a: &Checksum256, b: &Checksum256) -> Option<Arc<BlockEntry>> {
        let mut x = self.entries.get(a)?.clone();
        let mut y = self.entries.get(b)?.clone();
        while x.id != y.id {
            if x.num >= y.num {
                x = self.entries.get(&x.previous())?.clone();
            } else {
                y = self.entries.get(&y.previous())?.clone();
            }
        }
        Some(x)
    }

    /// True if `ancestor` is `id` or one of its ancestors.
    /// The slot of `id` if it is `of` or one of its ancestors, held or archived. Archived
    /// blocks are final, so every one of them is an ancestor of every held block.
    pub fn ancestor_slot(&self, id: &Checksum256, of: &Checksum256) -> Option<u64> {
        if let Some(e) = self.entries.get(id) {
            return self.is_ancestor(id, of).then_some(e.slot);
        }
        // Block ids begin with the height (big-endian), and the archive is consecutive.
        let num = civitas_protocol::block::num_from_id(id);
        let front = self.archive.front()?;
        let a = self.archive.get(num.checked_sub(front.num)? as usize)?;
        (a.id == *id).then_some(a.slot)
    }

    /// True if `ancestor` is `id` or one of its ancestors (both held).
    pub fn is_ancestor(&self, ancestor: &Checksum256, id: &Checksum256) -> bool {
        let Some(anc) = self.entries.get(ancestor) else {
            return false;
        };
        let mut cur = self.entries.get(id).cloned();
        while let Some(e) = cur {
            if e.id == *ancestor {
                return true;
            }
            if e.num <= anc.num {
                return false;
            }
            cur = self.entries.get(&e.previous()).cloned();
        }
        false
    }

    /// Evaluates finality for a new block (`num`, `slot`) on top of `parent` (held).
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate(
        &self,
        parent: &BlockEntry,
        num: u32,
        slot: u64,
        producer: Name,
        votes: &[Vote],
        approvals: &[Approval],
        schedule: &ProducerSchedule,
        prev: &ProducerSchedule,
    ) -> Finality {
        let lib = (parent.finality.lib_slot, parent.finality.lib);
        let base = lib.0.max(slot.saturating_sub(u64::from(self.window)));
        let mut steps: Vec<Step<'_>> =
            vec![Step { num, slot, producer, votes, approvals, schedule, prev_schedule: prev }];
        let mut cur: Option<&BlockEntry> = Some(parent);
        let mut archive_from: Option<(u32, Checksum256)> = None;
        // The block just below the evaluated range: the empty slots after it take its round's
        // schedules while they are in its round.
        let mut below: Option<(u64, &ProducerSchedule, &ProducerSchedule)> = None;
        while let Some(e) = cur {
            if e.slot <= base {
                below = Some((e.slot, &*e.schedule, &*e.prev_schedule));
                break;
            }
            steps.push(Step {
                num: e.num,
                slot: e.slot,
                producer: e.producer,
                votes: e.votes(),
                approvals: &e.block.approvals,
                schedule: &e.schedule,
                prev_schedule: &e.prev_schedule,
            });
            match self.entries.get(&e.previous()) {
                Some(p) => cur = Some(p),
                None => {
                    archive_from = Some((e.num - 1, e.previous()));
                    cur = None;
                }
            }
        }
        // Below the fork database the chain continues in the archive, which holds the final
        // chain contiguously by height.
        if let (Some((want_num, want_id)), Some(front)) = (archive_from, self.archive.front()) {
            if want_num >= front.num {
                let mut i = (want_num - front.num) as usize;
                if self.archive.get(i).is_some_and(|a| a.id == want_id) {
                    loop {
                        let a = &self.archive[i];
                        if a.slot <= base {
                            below = Some((a.slot, &*a.schedule, &*a.prev_schedule));
                            break;
                        }
                        steps.push(Step {
                            num: a.num,
                            slot: a.slot,
                            producer: a.producer,
                            votes: &a.votes,
                            approvals: &a.approvals,
                            schedule: &a.schedule,
                            prev_schedule: &a.prev_schedule,
                        });
                        if i == 0 {
                            break;
                        }
                        i -= 1;
                    }
                }
            }
        }
        steps.reverse();
        let segments =
            slot_segments(base, below, steps.iter().map(|s| (s.slot, s.schedule, s.prev_schedule)), self.round_len);
        let mut chain_votes = vec![];
        let mut blocks = Vec::with_capacity(steps.len());
        for s in &steps {
            blocks.push((s.slot, s.num));
            let approved = s.approvals.iter().map(|a| (a.producer, a.vote));
            for (producer, v) in approved.chain(s.votes.iter().map(|v| (s.producer, *v))) {
                chain_votes.push(ChainVote { producer, source: v.source_slot, first: v.first_slot, top: v.last_slot });
            }
        }
        let mut fin = finality::evaluate(lib, base, &blocks, &segments, &chain_votes);
        // Justification is monotone along a chain: blocks justified on the parent's chain stay
        // justified (the window only limits which slots are evaluated anew).
        if parent.finality.justified.iter().any(|j| j.0 <= base && j.0 > fin.lib_slot) {
            let mut merged: Vec<(u64, u32)> =
                parent.finality.justified.iter().filter(|j| j.0 <= base && j.0 > fin.lib_slot).copied().collect();
            merged.extend(fin.justified.iter().copied());
            fin.justified = merged;
        }
        fin
    }

    /// The producers of the blocks at heights `lo+1..=hi` on the chain ending at `tip`,
    /// ascending (from the fork database, then the archive of irreversible blocks).
    pub fn producers_between(&self, tip: &BlockEntry, lo: u32, hi: u32) -> Vec<(u32, Name)> {
        let mut out: Vec<(u32, Name)> = self
            .chain_above(tip, lo)
            .into_iter()
            .filter(|b| b.0 <= hi)
            .map(|(num, _, producer)| (num, producer))
            .collect();
        out.reverse();
        out
    }

    /// The blocks at heights above `lo` on the chain ending at `tip` (`tip` included) as
    /// (height, slot, producer), newest first: from the fork database, then from the archive
    /// of irreversible blocks as far as it reaches.
    pub fn chain_above(&self, tip: &BlockEntry, lo: u32) -> Vec<(u32, u64, Name)> {
        let mut out = vec![];
        let mut next = (tip.id, tip.num);
        let mut cur = Some(tip);
        while let Some(e) = cur {
            if e.num <= lo {
                return out;
            }
            out.push((e.num, e.slot, e.producer));
            next = (e.previous(), e.num - 1);
            cur = self.entries.get(&next.0).map(|x| &**x);
        }
        let (next_id, next_num) = next;
        let Some(front) = self.archive.front() else { return out };
        if next_num <= lo || next_num < front.num {
            return out;
        }
        let mut i = (next_num - front.num) as usize;
        if self.archive.get(i).is_none_or(|a| a.id != next_id) {
            return out;
        }
        loop {
            let a = &self.archive[i];
            if a.num <= lo {
                break;
            }
            out.push((a.num, a.slot, a.producer));
            if i == 0 {
                break;
            }
            i -= 1;
        }
        out
    }

    /// Makes `new_root` (a held block) the root: drops every block not descending from it and
    /// archives the irreversible blocks that leave.
    pub fn set_root(&mut self, new_root: &Checksum256) {
        let Some(nr) = self.entries.get(new_root).cloned() else {
            return;
        };
        // Archive the final chain from the old root up to (excluding) the new root.
        let mut chain = vec![];
        let mut cur = self.entries.get(&nr.previous()).cloned();
        while let Some(e) = cur {
            chain.push(e.clone());
            cur = self.entries.get(&e.previous()).cloned();
        }
        for e in chain.iter().rev() {
            self.archive.push_back(Archived {
                id: e.id,
                num: e.num,
                slot: e.slot,
                producer: e.producer,
                votes: e.votes().to_vec(),
                approvals: e.block.approvals.clone(),
                schedule: e.schedule.clone(),
                prev_schedule: e.prev_schedule.clone(),
            });
        }
        while self.archive.len() > self.window as usize {
            self.archive.pop_front();
        }
        let keep: BTreeSet<Checksum256> = {
            let mut keep = BTreeSet::new();
            let mut stack = vec![*new_root];
            while let Some(x) = stack.pop() {
                keep.insert(x);
                if let Some(k) = self.children.get(&x) {
                    stack.extend(k.iter().copied());
                }
            }
            keep
        };
        self.entries.retain(|id, _| keep.contains(id));
        self.children.retain(|id, _| keep.contains(id));
        self.root = Some(*new_root);
    }
}

/// The schedules every slot above `base` counts with, for blocks at `(slot, schedule, previous
/// schedule)` ascending, `below` being the block at or under the base. Each block stands for
/// the slots since the block before it; those slots count with the schedules of the round they
/// belong to on this chain: the ones still in the previous block's round take its schedules;
/// the rest (this block's round, and any round without a block of its own) take this block's.
/// So the quorum of a slot depends only on its round (docs/consensus.md, "Quorum").
pub(crate) fn slot_segments<'a>(
    base: u64,
    mut below: Option<(u64, &'a ProducerSchedule, &'a ProducerSchedule)>,
    blocks: impl Iterator<Item = (u64, &'a ProducerSchedule, &'a ProducerSchedule)>,
    round_len: u64,
) -> Vec<Segment<'a>> {
    let mut segments = vec![];
    let mut last = base;
    for (slot, cur, prev) in blocks {
        let mut start = last + 1;
        if let Some((below_slot, bcur, bprev)) = below {
            let boundary = (below_slot / round_len + 1) * round_len;
            if start < boundary && boundary <= slot {
                push_segment(&mut segments, start, boundary - 1, bcur, bprev);
                start = boundary;
            }
        }
        push_segment(&mut segments, start, slot, cur, prev);
        below = Some((slot, cur, prev));
        last = slot;
    }
    segments
}

/// Appends slots `start..=end` with these schedules, extending the last segment when it has
/// the same ones.
fn push_segment<'a>(
    segments: &mut Vec<Segment<'a>>,
    start: u64,
    end: u64,
    cur: &'a ProducerSchedule,
    prev: &'a ProducerSchedule,
) {
    if start > end {
        return;
    }
    match segments.last_mut() {
        Some(g) if std::ptr::eq(g.cur, cur) && std::ptr::eq(g.prev, prev) && g.end + 1 == start => g.end = end,
        _ => segments.push(Segment { start, end, cur, prev }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use civitas_protocol::{PrivateKey, ProducerKey};

    fn sched(version: u32, names: &[u64]) -> ProducerSchedule {
        ProducerSchedule {
            version,
            producers: names
                .iter()
                .map(|&n| ProducerKey {
                    producer_name: Name(n),
                    block_signing_key: PrivateKey::from_seed(&n.to_string()).public_key(),
                })
                .collect(),
        }
    }

    /// Rounds of 4 slots. Round 1's last block is at slot 5; slots 6 and 7 are empty; round 2's
    /// first block is at slot 9 (8 is empty too). The empty slots 6 and 7 belong to round 1 and
    /// count with round 1's schedules; slots 8 to 11 with round 2's (and round 1's as the one
    /// before). Round 3 (slots 12–15) has no block of its own before the block at 17 in round 4:
    /// its slots take that block's schedules.
    #[test]
    fn empty_slots_count_with_their_own_rounds_schedules() {
        let (r0, r1, r2, r4) = (sched(0, &[1, 2]), sched(1, &[3, 4]), sched(2, &[5, 6]), sched(4, &[7, 8]));
        let blocks = [(4u64, &r1, &r0), (5, &r1, &r0), (9, &r2, &r1), (17, &r4, &r2)];
        let segs = slot_segments(3, Some((3, &r0, &r0)), blocks.iter().map(|&(s, c, p)| (s, c, p)), 4);
        let at = |slot: u64| {
            let g = segs.iter().find(|g| g.start <= slot && slot <= g.end).expect("every slot has a segment");
            (g.cur.version, g.prev.version)
        };
        assert_eq!((at(4), at(5), at(6), at(7)), ((1, 0), (1, 0), (1, 0), (1, 0)), "round 1, empty tail included");
        assert_eq!((at(8), at(9), at(10), at(11)), ((2, 1), (2, 1), (2, 1), (2, 1)), "round 2, empty tail included");
        assert_eq!((at(12), at(15)), ((4, 2), (4, 2)), "round 3 has no block: the next block's schedules");
        assert_eq!((at(16), at(17)), ((4, 2), (4, 2)), "round 4");
        // Contiguous, no gaps, from base+1 to the last block.
        assert_eq!(segs.first().unwrap().start, 4);
        assert_eq!(segs.last().unwrap().end, 17);
        assert!(segs.windows(2).all(|w| w[0].end + 1 == w[1].start));
    }
}
