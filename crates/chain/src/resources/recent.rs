//! What the last blocks used, and who used it: for operators (the dashboard's resource panel),
//! not part of the state. Kept in memory for the last [`RECENT_BLOCKS`] sealed blocks; a block
//! sealed again at a height (after a fork switch) replaces what was kept from that height on.

use std::collections::{BTreeMap, VecDeque};

use civitas_protocol::Name;

/// How many sealed blocks are kept (a minute of 500 ms blocks).
pub const RECENT_BLOCKS: usize = 120;

/// One sealed block's usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockBill {
    /// Its height.
    pub block_num: u32,
    /// CPU billed, µs.
    pub cpu_us: u64,
    /// NET billed, bytes.
    pub net_bytes: u64,
    /// The virtual CPU limit accounts shared while it was open.
    pub virtual_cpu_limit: u64,
    /// The virtual NET limit.
    pub virtual_net_limit: u64,
    /// Each payer's (CPU µs, NET bytes), by name.
    pub by_account: Vec<(Name, u64, u64)>,
}

/// The last blocks' bills, and the open block's so far.
#[derive(Debug, Clone, Default)]
pub struct RecentUsage {
    open: BTreeMap<Name, (u64, u64)>,
    sealed: VecDeque<BlockBill>,
    /// Each account's sums over `sealed`, kept as blocks come and go, so that ranking the users
    /// (an RPC read, under the node's lock) is one pass over the accounts, not over every bill.
    totals: BTreeMap<Name, (u64, u64)>,
}

impl RecentUsage {
    /// Notes what a transaction in the open block billed each payer.
    pub fn bill(&mut self, payers: &[Name], cpu_us: u64, net_bytes: u64) {
        for p in payers {
            let e = self.open.entry(*p).or_default();
            e.0 += cpu_us;
            e.1 += net_bytes;
        }
    }

    /// Forgets the open block (aborted).
    pub fn abort(&mut self) {
        self.open.clear();
    }

    /// Seals the open block's bills.
    pub fn seal(&mut self, block_num: u32, cpu_us: u64, net_bytes: u64, virtual_limits: (u64, u64)) {
        while self.sealed.back().is_some_and(|b| b.block_num >= block_num) {
            if let Some(b) = self.sealed.pop_back() {
                self.forget(&b);
            }
        }
        if self.sealed.len() == RECENT_BLOCKS {
            if let Some(b) = self.sealed.pop_front() {
                self.forget(&b);
            }
        }
        let by_account: Vec<(Name, u64, u64)> =
            std::mem::take(&mut self.open).into_iter().map(|(n, (c, b))| (n, c, b)).collect();
        for &(a, c, b) in &by_account {
            let e = self.totals.entry(a).or_default();
            e.0 += c;
            e.1 += b;
        }
        self.sealed.push_back(BlockBill {
            block_num,
            cpu_us,
            net_bytes,
            virtual_cpu_limit: virtual_limits.0,
            virtual_net_limit: virtual_limits.1,
            by_account,
        });
    }

    /// Takes a block that leaves the window out of the sums.
    fn forget(&mut self, b: &BlockBill) {
        for &(a, c, net) in &b.by_account {
            if let Some(e) = self.totals.get_mut(&a) {
                e.0 = e.0.saturating_sub(c);
                e.1 = e.1.saturating_sub(net);
                if *e == (0, 0) {
                    self.totals.remove(&a);
                }
            }
        }
    }

    /// The kept blocks, oldest first.
    pub fn blocks(&self) -> impl DoubleEndedIterator<Item = &BlockBill> {
        self.sealed.iter()
    }

    /// The accounts that used the most CPU over the kept blocks: (name, CPU µs, NET bytes),
    /// most first (then by name), at most `n`.
    pub fn top_users(&self, n: usize) -> Vec<(Name, u64, u64)> {
        let mut list: Vec<(Name, u64, u64)> = self.totals.iter().map(|(a, &(c, b))| (*a, c, b)).collect();
        let order = |x: &(Name, u64, u64), y: &(Name, u64, u64)| y.1.cmp(&x.1).then(x.0.cmp(&y.0));
        if n < list.len() {
            list.select_nth_unstable_by(n, order);
            list.truncate(n);
        }
        list.sort_by(order);
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        s.parse().unwrap()
    }

    #[test]
    fn keeps_the_last_blocks_replaces_forks_and_ranks_users() {
        let mut r = RecentUsage::default();
        for num in 1..=(RECENT_BLOCKS as u32 + 5) {
            r.bill(&[n("alice")], 10, 100);
            r.bill(&[n("bob"), n("alice")], 1, 10);
            r.seal(num, 11, 110, (1000, 2000));
        }
        assert_eq!(r.blocks().count(), RECENT_BLOCKS);
        assert_eq!(r.blocks().next().map(|b| b.block_num), Some(6));
        assert_eq!(r.top_users(1), vec![(n("alice"), 11 * RECENT_BLOCKS as u64, 110 * RECENT_BLOCKS as u64)]);
        // A fork switch seals height 100 again: heights 100.. are replaced.
        r.bill(&[n("carol")], 5, 5);
        r.seal(100, 5, 5, (1000, 2000));
        assert_eq!(r.blocks().last().map(|b| (b.block_num, b.cpu_us)), Some((100, 5)));
        assert!(r.top_users(3).iter().any(|u| u.0 == n("carol")));
        // The kept sums equal the bills of the blocks kept.
        let mut recount: BTreeMap<Name, (u64, u64)> = BTreeMap::new();
        for b in r.blocks() {
            for &(a, c, net) in &b.by_account {
                let e = recount.entry(a).or_default();
                e.0 += c;
                e.1 += net;
            }
        }
        assert_eq!(r.totals, recount);
        assert_eq!(r.top_users(10).len(), 3);
        r.bill(&[n("dave")], 1, 1);
        r.abort();
        r.seal(101, 0, 0, (1000, 2000));
        assert!(r.blocks().last().is_some_and(|b| b.by_account.is_empty()));
    }
}
