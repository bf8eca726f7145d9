//! Invariant checks run after every step of a simulation.

use std::collections::{BTreeMap, BTreeSet};

use civitas_protocol::{Checksum256, Name};

use crate::node::SimNode;

/// A broken invariant: what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

/// Global knowledge accumulated across the run.
#[derive(Debug, Default)]
pub struct Checker {
    /// Irreversible block id per height, as reported by any honest node.
    pub finalized: BTreeMap<u32, Checksum256>,
    /// Last LIB reported per node.
    pub lib: BTreeMap<usize, u32>,
    /// Blocks forged invalid by byzantine nodes.
    pub invalid: BTreeSet<Checksum256>,
    /// Blocks produced by honest producers: (producer, slot) → id.
    pub honest_slots: BTreeMap<(Name, u64), Checksum256>,
    /// The first violation found.
    pub violation: Option<Violation>,
}

impl Checker {
    fn fail(&mut self, msg: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation(msg));
        }
    }

    /// An honest node reported new irreversible blocks.
    pub fn on_irreversible(&mut self, node: usize, blocks: &[std::sync::Arc<civitas_protocol::SignedBlock>]) {
        for b in blocks {
            let (num, id) = (b.block_num(), b.id());
            match self.finalized.get(&num) {
                Some(other) if *other != id => {
                    self.fail(format!(
                        "SAFETY: node {node} finalized block {num} {id}, another honest node finalized {other}"
                    ));
                }
                _ => {
                    self.finalized.insert(num, id);
                }
            }
            let last = self.lib.get(&node).copied().unwrap_or(0);
            if num < last {
                self.fail(format!("LIB of node {node} moved back from {last} to {num}"));
            }
            self.lib.insert(node, num.max(last));
        }
    }

    /// A node restarted: its LIB must come back at least where it was.
    pub fn on_restarted(&mut self, node: usize, lib: u32) {
        if let Some(&before) = self.lib.get(&node) {
            if lib < before {
                self.fail(format!("node {node} restarted with LIB {lib} below its persisted LIB {before}"));
            }
        }
        self.lib.insert(node, lib);
    }

    /// An honest producer produced a block.
    pub fn on_honest_block(&mut self, node: usize, b: &civitas_protocol::SignedBlock) {
        let h = &b.header;
        if self.invalid.contains(&h.previous) {
            self.fail(format!("honest node {node} built block {} on invalid block {}", h.block_num, h.previous));
        }
        if let Some(other) = self.honest_slots.insert((h.producer, h.slot), b.id()) {
            if other != b.id() {
                self.fail(format!("honest producer {} signed two blocks for slot {}", h.producer, h.slot));
            }
        }
    }

    /// At the end: every honest node has been credited for exactly the irreversible blocks of
    /// its own chain (never for a forked-out block).
    pub fn check_pay(&mut self, nodes: &[SimNode]) {
        for (i, n) in nodes.iter().enumerate() {
            if !n.behavior.is_honest() {
                continue;
            }
            let Some(core) = &n.core else { continue };
            let head = core.head().clone();
            let lib = head.finality.lib;
            // Count the producers of heights 2..=lib along the head's chain (from disk).
            let mut counts: BTreeMap<Name, u64> = BTreeMap::new();
            let mut id = head.id;
            let mut ok = true;
            loop {
                let Some(b) = n.disk.by_id.get(&id) else {
                    ok = false;
                    break;
                };
                if b.block_num() <= lib && b.block_num() >= 2 {
                    *counts.entry(b.header.producer).or_default() += 1;
                }
                if b.block_num() <= 2 {
                    break;
                }
                id = b.header.previous;
            }
            if !ok {
                self.fail(format!("node {i}: its head chain is not on disk"));
                continue;
            }
            for (p, st) in core.chain().all_producer_stats() {
                let expected = counts.get(&p).copied().unwrap_or(0);
                if st.irreversible != expected {
                    self.fail(format!(
                        "PAY: node {i} counts {} irreversible blocks of {p}, its chain has {expected}",
                        st.irreversible
                    ));
                }
                // Pay is credited for exactly those blocks (registered producers have a pay row).
                if let Some(info) = civitas_chain::contracts::system::tables::prodinfo(core.chain().kv(), p) {
                    if info.paid_blocks != expected {
                        self.fail(format!(
                            "PAY: node {i} paid {p} for {} blocks, its chain has {expected} irreversible",
                            info.paid_blocks
                        ));
                    }
                }
            }
        }
    }
}
