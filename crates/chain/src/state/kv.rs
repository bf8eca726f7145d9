//! The state store: one ordered map of rows with an undo journal.
//!
//! Every piece of chain state — contract table rows and the chain's own records (accounts,
//! permissions, recent block ids, recent transaction ids) — is a row under a [`RowKey`]. One
//! store gives one mechanism for undo, commitment, snapshots and table queries.
//!
//! Undo is a journal of `(key, previous value)` entries split into segments, one per block.
//! Nested sessions (a transaction inside a block, an action inside a transaction) are marks
//! into the current segment: committing a nested session drops its mark (its entries now belong
//! to the enclosing session), rolling it back replays its entries in reverse. Both are O(changes).

use std::collections::{BTreeSet, HashMap, VecDeque};

// foldhash is fast on these 33-byte keys (SipHash cost a quarter of a transfer) and seeds itself
// randomly per map, which resists crafted collisions; no result depends on its iteration order.
type RowMap = HashMap<RowKey, Row, foldhash::fast::RandomState>;

use civitas_protocol::checksum::{sha256_concat, Checksum256};
use sha2::{Digest, Sha256};

/// The chain table whose rows are read by exact key only (`records::trxid_key`).
const POINT_ONLY_TABLE: u64 = civitas_protocol::Name::constant("trxid").value();

/// Which part of the state a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Space {
    /// Records of the chain itself (accounts, permissions, TAPOS, transaction ids).
    Chain = 0,
    /// Contract tables, queryable through `get_table_rows`.
    Contract = 1,
}

/// The address of a row: space, contract, scope, table and primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowKey {
    /// Chain records or contract tables.
    pub space: Space,
    /// The owning contract account (or a chain record kind).
    pub code: u64,
    /// The scope.
    pub scope: u64,
    /// The table name.
    pub table: u64,
    /// The primary key.
    pub pk: u64,
}

impl RowKey {
    /// A contract table row.
    pub fn contract(code: u64, scope: u64, table: u64, pk: u64) -> RowKey {
        RowKey { space: Space::Contract, code, scope, table, pk }
    }

    /// A chain record. The table doubles as the code so that each record kind is one
    /// contiguous key range.
    pub fn chain(table: u64, scope: u64, pk: u64) -> RowKey {
        RowKey { space: Space::Chain, code: table, scope, table, pk }
    }

    /// True for rows only ever read by exact key (recent transaction ids): they stay out of the
    /// ordered index, which is the costliest part of inserting a row, and range queries never
    /// see them. Snapshots and the full-state hash still include them.
    pub fn is_point_only(&self) -> bool {
        self.space == Space::Chain && self.table == POINT_ONLY_TABLE
    }

    /// The canonical bytes of the key, used in commitments and snapshots.
    pub fn to_bytes(&self) -> [u8; 33] {
        let mut b = [0u8; 33];
        b[0] = self.space as u8;
        b[1..9].copy_from_slice(&self.code.to_be_bytes());
        b[9..17].copy_from_slice(&self.scope.to_be_bytes());
        b[17..25].copy_from_slice(&self.table.to_be_bytes());
        b[25..33].copy_from_slice(&self.pk.to_be_bytes());
        b
    }

    /// Parses [`RowKey::to_bytes`] output.
    pub fn from_bytes(b: &[u8; 33]) -> Option<RowKey> {
        let space = match b[0] {
            0 => Space::Chain,
            1 => Space::Contract,
            _ => return None,
        };
        let u = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        Some(RowKey { space, code: u(1), scope: u(9), table: u(17), pk: u(25) })
    }
}

type Row = Vec<u8>;

struct Entry {
    key: RowKey,
    old: Option<Row>,
}

/// One block's worth of undo: its journal and the commitment before the block.
struct Segment {
    entries: Vec<Entry>,
    root_before: Checksum256,
}

/// The rows: a hash map for point reads and writes, which dominate (two balances per transfer),
/// and an ordered key set, touched only when a key appears or disappears, for range queries,
/// commitments and snapshots. The hasher's random seed protects against crafted collisions; it
/// never affects results, because nothing iterates the hash map.
#[derive(Default)]
struct Rows {
    map: RowMap,
    order: BTreeSet<RowKey>,
}

impl Rows {
    fn get(&self, k: &RowKey) -> Option<&Row> {
        self.map.get(k)
    }

    fn contains_key(&self, k: &RowKey) -> bool {
        self.map.contains_key(k)
    }

    fn insert(&mut self, k: RowKey, v: Row) -> Option<Row> {
        let old = self.map.insert(k, v);
        if old.is_none() && !k.is_point_only() {
            self.order.insert(k);
        }
        old
    }

    fn remove(&mut self, k: &RowKey) -> Option<Row> {
        let old = self.map.remove(k);
        if old.is_some() && !k.is_point_only() {
            self.order.remove(k);
        }
        old
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn range(&self, lo: RowKey, hi: RowKey) -> impl DoubleEndedIterator<Item = (&RowKey, &Row)> {
        self.order.range(lo..=hi).map(move |k| (k, &self.map[k]))
    }

    /// Every row in key order, point-only rows included (sorted on demand: snapshots and full
    /// hashes are rare).
    fn iter(&self) -> impl Iterator<Item = (&RowKey, &Row)> {
        let mut keys: Vec<&RowKey> = self.map.keys().collect();
        keys.sort_unstable();
        keys.into_iter().map(move |k| (k, &self.map[k]))
    }
}

/// The state store.
pub struct Kv {
    rows: Rows,
    segments: VecDeque<Segment>,
    /// Start offsets of open nested sessions within the last segment.
    marks: Vec<usize>,
    root: Checksum256,
}

/// The most nested sessions open at once (block → transaction → action → inline).
const MAX_NESTING: usize = 64;

impl Default for Kv {
    fn default() -> Self {
        Kv::new()
    }
}

impl Kv {
    /// An empty store.
    pub fn new() -> Kv {
        Kv { rows: Rows::default(), segments: VecDeque::new(), marks: Vec::new(), root: Checksum256::ZERO }
    }

    /// Reads a row.
    pub fn get(&self, key: &RowKey) -> Option<&[u8]> {
        self.rows.get(key).map(Vec::as_slice)
    }

    /// True if the row exists.
    pub fn contains(&self, key: &RowKey) -> bool {
        self.rows.contains_key(key)
    }

    fn journal(&mut self, key: RowKey, old: Option<Row>) {
        if let Some(seg) = self.segments.back_mut() {
            seg.entries.push(Entry { key, old });
        }
    }

    /// Writes a row, creating or replacing it.
    pub fn put(&mut self, key: RowKey, value: Row) {
        let old = self.rows.insert(key, value);
        if !self.segments.is_empty() {
            self.journal(key, old);
        }
    }

    /// Removes a row, returning its value.
    pub fn remove(&mut self, key: &RowKey) -> Option<Row> {
        let old = self.rows.remove(key);
        if old.is_some() && !self.segments.is_empty() {
            self.journal(*key, old.clone());
        }
        old
    }

    /// Rows with keys in `[lo, hi]`, in key order.
    pub fn range(&self, lo: RowKey, hi: RowKey) -> impl DoubleEndedIterator<Item = (&RowKey, &[u8])> {
        self.rows.range(lo, hi).map(|(k, v)| (k, v.as_slice()))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The current state commitment.
    pub fn root(&self) -> Checksum256 {
        self.root
    }

    /// Sets the commitment (genesis, snapshots).
    pub fn set_root(&mut self, root: Checksum256) {
        self.root = root;
    }

    /// Opens the undo segment of a new block.
    pub fn begin_block(&mut self) {
        assert!(self.marks.is_empty(), "begin_block inside an open nested session");
        self.segments.push_back(Segment { entries: Vec::new(), root_before: self.root });
    }

    /// Number of blocks that can still be undone.
    pub fn undo_depth(&self) -> usize {
        self.segments.len()
    }

    /// Number of writes journaled in the open block so far (a write that changes nothing
    /// still counts: it shows that something tried to write).
    pub fn block_changes(&self) -> usize {
        self.segments.back().map_or(0, |seg| seg.entries.len())
    }

    /// Opens a nested session inside the current block.
    pub fn begin_nested(&mut self) {
        let seg = self.segments.back().expect("nested session outside a block");
        assert!(self.marks.len() < MAX_NESTING, "session nesting too deep");
        self.marks.push(seg.entries.len());
    }

    /// The writes of the innermost nested session so far, oldest first: each key with the value
    /// it had before that write (`None`: the row did not exist). A key written twice appears
    /// twice; its first entry holds the value from before the session.
    pub fn session_changes(&self) -> impl Iterator<Item = (&RowKey, Option<&[u8]>)> {
        let entries = self.segments.back().map_or(&[][..], |seg| {
            let start = self.marks.last().copied().unwrap_or(0).min(seg.entries.len());
            &seg.entries[start..]
        });
        entries.iter().map(|e| (&e.key, e.old.as_deref()))
    }

    /// Keeps the changes of the innermost nested session.
    pub fn commit_nested(&mut self) {
        self.marks.pop().expect("no nested session to commit");
    }

    /// Reverts the changes of the innermost nested session.
    pub fn rollback_nested(&mut self) {
        let mark = self.marks.pop().expect("no nested session to roll back");
        let seg = self.segments.back_mut().expect("nested session outside a block");
        let tail = seg.entries.split_off(mark);
        for e in tail.into_iter().rev() {
            restore(&mut self.rows, e);
        }
    }

    /// Seals the current block: folds its changes into the commitment and returns the new root.
    ///
    /// `root = sha256(previous root ‖ sha256(changes))`, where the changes are the block's
    /// writes in the order they happened (rolled-back ones excluded), each with the key's final
    /// value or a deletion marker. Every node applies the same transactions in the same order,
    /// so the order is canonical without sorting, and the cost is proportional to the block's
    /// writes, not to the size of the state.
    pub fn seal_block(&mut self) -> Checksum256 {
        assert!(self.marks.is_empty(), "seal_block with an open nested session");
        let seg = self.segments.back().expect("seal_block outside a block");
        let mut h = Sha256::new();
        for e in &seg.entries {
            h.update(e.key.to_bytes());
            match self.rows.get(&e.key) {
                Some(v) => {
                    h.update([1]);
                    h.update((v.len() as u64).to_le_bytes());
                    h.update(v);
                }
                None => h.update([0]),
            }
        }
        let changes = Checksum256(h.finalize().into());
        self.root = sha256_concat(&[&self.root.0, &changes.0]);
        self.root
    }

    /// Reverts the newest block entirely, including its commitment.
    pub fn undo_block(&mut self) {
        assert!(self.marks.is_empty(), "undo_block with an open nested session");
        let seg = self.segments.pop_back().expect("no block to undo");
        for e in seg.entries.into_iter().rev() {
            restore(&mut self.rows, e);
        }
        self.root = seg.root_before;
    }

    /// Forgets the undo data of the oldest block (it became irreversible).
    pub fn commit_oldest_block(&mut self) {
        // The newest segment may hold open nested sessions; it is never the one committed
        // while those are open.
        assert!(self.segments.len() > 1 || self.marks.is_empty(), "commit of a block with open sessions");
        self.segments.pop_front();
    }

    /// A hash of the entire state (every row in key order). O(state); used to compare nodes,
    /// to check snapshots and in tests, not on the block path.
    pub fn full_hash(&self) -> Checksum256 {
        let mut h = Sha256::new();
        for (k, v) in self.rows.iter() {
            h.update(k.to_bytes());
            h.update((v.len() as u64).to_le_bytes());
            h.update(v);
        }
        Checksum256(h.finalize().into())
    }

    /// Iterates over every row in key order (snapshots).
    pub fn iter(&self) -> impl Iterator<Item = (&RowKey, &[u8])> {
        self.rows.iter().map(|(k, v)| (k, v.as_slice()))
    }

    /// The state as it was before the oldest block that can still be undone (at the LIB, when
    /// the caller commits blocks as they become irreversible): every row in key order and the
    /// commitment. Costs one pass over the state; the live state is untouched.
    pub fn export_base(&self) -> (Vec<(RowKey, Vec<u8>)>, Checksum256) {
        let mut changed: std::collections::BTreeMap<RowKey, Option<&Row>> = std::collections::BTreeMap::new();
        // Newest to oldest, so the oldest journal entry's value wins for each key.
        for seg in self.segments.iter().rev() {
            for e in seg.entries.iter().rev() {
                changed.insert(e.key, e.old.as_ref());
            }
        }
        let mut rows: Vec<(RowKey, Vec<u8>)> = Vec::with_capacity(self.rows.len());
        for (k, v) in self.rows.iter() {
            if !changed.contains_key(k) {
                rows.push((*k, v.clone()));
            }
        }
        for (k, old) in changed {
            if let Some(v) = old {
                rows.push((k, v.clone()));
            }
        }
        rows.sort_unstable_by_key(|a| a.0);
        let root = self.segments.front().map_or(self.root, |s| s.root_before);
        (rows, root)
    }

    /// Loads a row without journaling (snapshot restore into an empty store).
    pub fn load(&mut self, key: RowKey, value: Row) {
        assert!(self.segments.is_empty(), "load into a store with open blocks");
        self.rows.insert(key, value);
    }
}

fn restore(rows: &mut Rows, e: Entry) {
    match e.old {
        Some(v) => {
            rows.insert(e.key, v);
        }
        None => {
            rows.remove(&e.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn k(pk: u64) -> RowKey {
        RowKey::contract(1, 2, 3, pk)
    }

    #[test]
    fn nested_rollback_restores_rows() {
        let mut kv = Kv::new();
        kv.begin_block();
        kv.put(k(1), vec![1]);
        kv.begin_nested();
        kv.put(k(1), vec![2]);
        kv.put(k(2), vec![3]);
        kv.remove(&k(1));
        kv.rollback_nested();
        assert_eq!(kv.get(&k(1)), Some(&[1u8][..]));
        assert_eq!(kv.get(&k(2)), None);
        kv.begin_nested();
        kv.put(k(3), vec![4]);
        kv.commit_nested();
        let root = kv.seal_block();
        assert_ne!(root, Checksum256::ZERO);
        kv.undo_block();
        assert!(kv.is_empty());
        assert_eq!(kv.root(), Checksum256::ZERO);
    }

    #[test]
    fn commitment_covers_writes_and_final_values() {
        // Same writes in the same order: same root.
        let mut a = Kv::new();
        let mut b = Kv::new();
        for kv in [&mut a, &mut b] {
            kv.begin_block();
            kv.put(k(1), vec![1]);
            kv.put(k(2), vec![2]);
        }
        assert_eq!(a.seal_block(), b.seal_block());
        // Different final values: different roots.
        let mut c = Kv::new();
        c.begin_block();
        c.put(k(1), vec![1]);
        c.put(k(2), vec![3]);
        assert_ne!(c.seal_block(), a.root());
        // A rolled-back write leaves no trace in the commitment.
        let mut d = Kv::new();
        d.begin_block();
        d.put(k(1), vec![1]);
        d.begin_nested();
        d.put(k(9), vec![9]);
        d.rollback_nested();
        d.put(k(2), vec![2]);
        assert_eq!(d.seal_block(), a.root());
        assert_eq!(d.full_hash(), a.full_hash());
    }

    #[test]
    fn export_base_reverts_open_blocks() {
        let mut kv = Kv::new();
        kv.begin_block();
        kv.put(k(1), vec![1]);
        kv.put(k(2), vec![2]);
        kv.seal_block();
        kv.commit_oldest_block();
        let (base_rows, base_root) = (kv.iter().map(|(k, v)| (*k, v.to_vec())).collect::<Vec<_>>(), kv.root());
        kv.begin_block();
        kv.put(k(1), vec![9]);
        kv.remove(&k(2));
        kv.put(k(3), vec![3]);
        kv.seal_block();
        kv.begin_block();
        kv.put(k(1), vec![8]);
        kv.seal_block();
        assert_eq!(kv.export_base(), (base_rows, base_root));
    }

    #[test]
    fn key_bytes_round_trip() {
        let key = RowKey::chain(5, 6, 7);
        assert_eq!(RowKey::from_bytes(&key.to_bytes()), Some(key));
    }

    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Put(u64, u8),
        Remove(u64),
        Nested(Vec<(u64, Option<u8>)>, bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..20, any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
            (0u64..20).prop_map(Op::Remove),
            (proptest::collection::vec((0u64..20, proptest::option::of(any::<u8>())), 0..8), any::<bool>())
                .prop_map(|(ops, keep)| Op::Nested(ops, keep)),
        ]
    }

    fn run(kv: &mut Kv, ops: &[Op]) {
        for o in ops {
            match o {
                Op::Put(k, v) => kv.put(super::tests::k(*k), vec![*v]),
                Op::Remove(k) => {
                    kv.remove(&super::tests::k(*k));
                }
                Op::Nested(inner, keep) => {
                    let before = kv.full_hash();
                    kv.begin_nested();
                    for (k, v) in inner {
                        match v {
                            Some(v) => kv.put(super::tests::k(*k), vec![*v]),
                            None => {
                                kv.remove(&super::tests::k(*k));
                            }
                        }
                    }
                    if *keep {
                        kv.commit_nested();
                    } else {
                        kv.rollback_nested();
                        assert_eq!(kv.full_hash(), before);
                    }
                }
            }
        }
    }

    proptest! {
        /// Undoing blocks restores the exact state hash and commitment, block by block.
        #[test]
        fn undo_restores_exact_state(blocks in proptest::collection::vec(proptest::collection::vec(op(), 0..12), 1..6)) {
            let mut kv = Kv::new();
            let mut history = vec![(kv.full_hash(), kv.root())];
            for b in &blocks {
                kv.begin_block();
                run(&mut kv, b);
                kv.seal_block();
                history.push((kv.full_hash(), kv.root()));
            }
            history.pop();
            while let Some((hash, root)) = history.pop() {
                kv.undo_block();
                prop_assert_eq!(kv.full_hash(), hash);
                prop_assert_eq!(kv.root(), root);
            }
        }

        /// Two stores that apply the same blocks agree on the commitment.
        #[test]
        fn same_blocks_same_root(blocks in proptest::collection::vec(proptest::collection::vec(op(), 0..12), 1..4)) {
            let mut a = Kv::new();
            let mut b = Kv::new();
            for blk in &blocks {
                a.begin_block();
                b.begin_block();
                run(&mut a, blk);
                run(&mut b, blk);
                prop_assert_eq!(a.seal_block(), b.seal_block());
                b.commit_oldest_block();
            }
            prop_assert_eq!(a.full_hash(), b.full_hash());
        }
    }
}
