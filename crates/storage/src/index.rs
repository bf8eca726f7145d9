//! In-memory indexes over the block log, rebuilt by the open-time scan: where each block is, the
//! latest LIB, and the final chain (number → id for blocks at or below the LIB).
//!
//! The final chain is extended whenever a Lib record is applied by walking `previous` links from
//! the new LIB back to the old one, so a lookup by number is a vector index and the walk costs
//! only the blocks that just became final.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use civitas_protocol::Checksum256;

use crate::record::BlockInfo;

/// Where a block record lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockLoc {
    /// Offset of the record header.
    pub offset: u64,
    /// Payload length.
    pub len: u32,
    /// Block number.
    pub num: u32,
    /// Parent id, for walking back from a LIB.
    pub previous: Checksum256,
}

/// A LIB advance that has been checked against the index but not yet applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LibStep {
    /// The LIB is already exactly this block: nothing to record.
    Same,
    /// New final blocks, oldest first; `ids[0]` has number `first_num`.
    Advance { first_num: u32, ids: Vec<Checksum256>, num: u32, id: Checksum256 },
}

/// The indexes.
#[derive(Debug, Default)]
pub(crate) struct Index {
    blocks: BTreeMap<Checksum256, BlockLoc>,
    lib: Option<(u32, Checksum256)>,
    /// Number of `final_ids[0]`.
    final_base: u32,
    final_ids: Vec<Checksum256>,
}

impl Index {
    /// Records a block's location. A block already present keeps its first location (a block
    /// is written once; duplicates can only come from a log written by other software).
    pub fn insert_block(&mut self, info: &BlockInfo, offset: u64, len: u32) {
        self.blocks.entry(info.id).or_insert(BlockLoc { offset, len, num: info.num, previous: info.previous });
    }

    /// The location of a block.
    pub fn get(&self, id: &Checksum256) -> Option<&BlockLoc> {
        self.blocks.get(id)
    }

    /// Number of distinct blocks.
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// The latest LIB.
    pub fn lib(&self) -> Option<(u32, Checksum256)> {
        self.lib
    }

    /// The id of the final-chain block at `num`.
    pub fn final_id(&self, num: u32) -> Option<Checksum256> {
        let i = num.checked_sub(self.final_base)? as usize;
        self.final_ids.get(i).copied()
    }

    /// Numbers covered by the final chain (from the oldest logged ancestor of the LIB to the LIB).
    pub fn final_range(&self) -> Option<RangeInclusive<u32>> {
        let last = self.final_ids.len().checked_sub(1)?;
        Some(self.final_base..=self.final_base + last as u32)
    }

    /// Checks that the LIB may become `(num, id)`: the block is logged, the LIB does not move
    /// backwards or sideways, and the new LIB descends from the current one.
    pub fn check_lib(&self, num: u32, id: Checksum256) -> Result<LibStep, String> {
        if let Some((lib_num, lib_id)) = self.lib {
            if num < lib_num {
                return Err(format!("the LIB would move backwards from {lib_num}"));
            }
            if num == lib_num {
                return if id == lib_id {
                    Ok(LibStep::Same)
                } else {
                    Err(format!("it conflicts with the current LIB {lib_id} at the same number"))
                };
            }
        }
        let mut ids = Vec::new();
        let mut cur = id;
        let mut expect = num;
        loop {
            if let Some((lib_num, lib_id)) = self.lib {
                if expect == lib_num {
                    if cur == lib_id {
                        break;
                    }
                    return Err(format!(
                        "it does not descend from the current LIB {lib_num} ({lib_id}); its ancestor there is {cur}"
                    ));
                }
            }
            let Some(loc) = self.blocks.get(&cur) else {
                if ids.is_empty() {
                    return Err("the block is not in the log".into());
                }
                if self.lib.is_some() {
                    return Err(format!("its ancestor {cur} at {expect} is not in the log"));
                }
                // First LIB: the final chain starts at the oldest ancestor the log holds (the
                // genesis block, or the first block after the snapshot the node started from).
                break;
            };
            if loc.num != expect {
                return Err(format!("block {cur} has number {} where {expect} was expected", loc.num));
            }
            ids.push(cur);
            if expect == 0 {
                break;
            }
            cur = loc.previous;
            expect -= 1;
        }
        ids.reverse();
        // At most `num + 1` ids were collected (the walk stops at number 0), so this cannot
        // underflow; u64 keeps `num == u32::MAX` from overflowing.
        let first_num = (u64::from(num) + 1 - ids.len() as u64) as u32;
        Ok(LibStep::Advance { first_num, ids, num, id })
    }

    /// Applies a step returned by [`Index::check_lib`] on this index.
    pub fn apply_lib(&mut self, step: LibStep) {
        if let LibStep::Advance { first_num, ids, num, id } = step {
            if self.lib.is_none() {
                self.final_base = first_num;
                self.final_ids = ids;
            } else {
                debug_assert_eq!(first_num, self.final_base + self.final_ids.len() as u32);
                self.final_ids.extend(ids);
            }
            self.lib = Some((num, id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(num: u32, fork: u8) -> Checksum256 {
        let mut b = [fork; 32];
        b[..4].copy_from_slice(&num.to_be_bytes());
        Checksum256(b)
    }

    fn add(ix: &mut Index, num: u32, fork: u8, parent_fork: u8) {
        let previous = if num == 1 { Checksum256::ZERO } else { id(num - 1, parent_fork) };
        ix.insert_block(&BlockInfo { id: id(num, fork), num, previous }, u64::from(num) * 100, 10);
    }

    #[test]
    fn final_chain_follows_lib_and_rejects_bad_advances() {
        let mut ix = Index::default();
        for n in 1..=5 {
            add(&mut ix, n, 0, 0);
        }
        // A fork off block 2.
        add(&mut ix, 3, 1, 0);
        add(&mut ix, 4, 1, 1);

        let step = ix.check_lib(3, id(3, 0)).unwrap();
        ix.apply_lib(step);
        assert_eq!(ix.final_range(), Some(1..=3));
        assert_eq!(ix.final_id(2), Some(id(2, 0)));
        assert_eq!(ix.check_lib(3, id(3, 0)), Ok(LibStep::Same));
        assert!(ix.check_lib(3, id(3, 1)).is_err());
        assert!(ix.check_lib(2, id(2, 0)).is_err());
        assert!(ix.check_lib(4, id(4, 1)).unwrap_err().contains("does not descend"));
        assert!(ix.check_lib(9, id(9, 0)).unwrap_err().contains("not in the log"));

        let step = ix.check_lib(5, id(5, 0)).unwrap();
        ix.apply_lib(step);
        assert_eq!(ix.final_range(), Some(1..=5));
        assert_eq!(ix.final_id(5), Some(id(5, 0)));
        assert_eq!(ix.final_id(6), None);
        assert_eq!(ix.final_id(0), None);
    }

    #[test]
    fn first_lib_after_a_snapshot_starts_the_final_chain_at_the_oldest_logged_block() {
        let mut ix = Index::default();
        for n in 11..=14 {
            let previous = id(n - 1, 0);
            ix.insert_block(&BlockInfo { id: id(n, 0), num: n, previous }, u64::from(n), 1);
        }
        let step = ix.check_lib(13, id(13, 0)).unwrap();
        ix.apply_lib(step);
        assert_eq!(ix.final_range(), Some(11..=13));
        assert_eq!(ix.final_id(10), None);
    }
}
