//! Invariant checks run after every step of a simulation: safety (no two honest nodes
//! finalize different blocks at one height, LIBs never move back), validity (no honest node
//! ever applies a forged or invalid block, never builds on one, never double-signs), evidence
//! (never against an honest producer) and pay (every honest node has credited exactly the
//! pay of the finalized blocks of its chain, amounts included, as the run goes).

use std::collections::{BTreeMap, BTreeSet};

use civitas_chain::contracts::system::{pay, tables};
use civitas_chain::contracts::token;
use civitas_chain::Genesis;
use civitas_consensus::Consensus;
use civitas_protocol::{Checksum256, Evidence, Name};

use crate::node::SimNode;

/// A broken invariant: what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

/// The reference model of pay: what the finalized chain owes, height by height, computed
/// from the genesis parameters with the chain's own formula in the order the chain pays.
#[derive(Debug, Default)]
struct PayModel {
    /// Supply before the first paid block, maximum supply and the pay parameters, read from
    /// the first honest node's state when the model starts.
    start: Option<PayStart>,
    /// Cumulative (minted, kept, to fund) through each paid height; index 0 is height 2.
    cumulative: Vec<(i64, i64, i64)>,
    /// Per producer: (height, cumulative kept, cumulative blocks) at each of its blocks.
    by_producer: BTreeMap<Name, Vec<(u32, i64, u64)>>,
    supply: i64,
}

#[derive(Debug, Clone, Copy)]
struct PayStart {
    max_supply: i64,
    inflation_rate: u16,
    producer_share: u16,
    blocks_per_year: i64,
}

impl PayModel {
    /// Extends the model with the next finalized block (height `cumulative.len() + 2`).
    fn push(&mut self, num: u32, producer: Name, keep_rate: u16) {
        let Some(p) = self.start else { return };
        let room = (p.max_supply - self.supply).max(0);
        let minted = pay::block_inflation(self.supply, p.inflation_rate, p.blocks_per_year).min(room);
        let bp = pay::divide_minted(minted, p.producer_share, keep_rate);
        self.supply += minted;
        let (m, k, f) = self.cumulative.last().copied().unwrap_or((0, 0, 0));
        self.cumulative.push((m + bp.minted, k + bp.kept, f + bp.to_fund));
        let mine = self.by_producer.entry(producer).or_default();
        let (kept, blocks) = mine.last().map_or((0, 0), |x| (x.1, x.2));
        mine.push((num, kept + bp.kept, blocks + 1));
    }

    /// Totals through height `h` (heights 2..=h paid).
    fn through(&self, h: u32) -> Option<(i64, i64, i64)> {
        if h < 2 {
            return Some((0, 0, 0));
        }
        self.cumulative.get((h - 2) as usize).copied()
    }

    /// A producer's kept pay and block count through height `h`.
    fn producer_through(&self, p: Name, h: u32) -> (i64, u64) {
        let Some(list) = self.by_producer.get(&p) else { return (0, 0) };
        let i = list.partition_point(|x| x.0 <= h);
        if i == 0 {
            (0, 0)
        } else {
            (list[i - 1].1, list[i - 1].2)
        }
    }
}

/// Global knowledge accumulated across the run.
#[derive(Debug, Default)]
pub struct Checker {
    /// Irreversible block id and producer per height, as reported by any honest node.
    pub finalized: BTreeMap<u32, (Checksum256, Name)>,
    /// Last LIB reported per node.
    pub lib: BTreeMap<usize, u32>,
    /// Blocks forged or made invalid by byzantine nodes: no honest node may apply one.
    pub invalid: BTreeSet<Checksum256>,
    /// Blocks forged by key-less forgers (counted for reports).
    pub forged: u64,
    /// Blocks produced by honest producers: (producer, slot) → id.
    pub honest_slots: BTreeMap<(Name, u64), Checksum256>,
    /// The honest producers: no evidence may ever name one.
    pub honest_producers: BTreeSet<Name>,
    /// Pay checks run.
    pub pay_checks: u64,
    /// The first violation found.
    pub violation: Option<Violation>,
    pay: PayModel,
    pay_advances: u64,
    keep_rates: BTreeMap<Name, u16>,
}

impl Checker {
    /// A checker for a run of `genesis` in which `honest_producers` follow the protocol.
    pub fn new(genesis: &Genesis, honest_producers: BTreeSet<Name>) -> Checker {
        let mut pay = PayModel::default();
        if let Ok(chain) = civitas_chain::Chain::from_genesis(genesis) {
            let g = tables::global(chain.kv());
            if let Some(stats) = token::stats(chain.kv(), g.core_symbol) {
                pay.start = Some(PayStart {
                    max_supply: stats.max_supply.amount(),
                    inflation_rate: g.inflation_rate,
                    producer_share: g.producer_share,
                    blocks_per_year: pay::blocks_per_year(genesis.block_interval_ms),
                });
                pay.supply = stats.supply.amount();
            }
        }
        Checker { honest_producers, pay, ..Default::default() }
    }

    fn fail(&mut self, msg: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation(msg));
        }
    }

    /// An honest node reported new irreversible blocks.
    pub fn on_irreversible(&mut self, node: usize, blocks: &[std::sync::Arc<civitas_protocol::SignedBlock>]) {
        self.check_irreversible(node, blocks, true);
    }

    /// A restarted node finalized blocks again while replaying its disk: each must be the
    /// block the network finalized at its height (its LIB is checked by `on_restarted`).
    pub fn on_replayed(&mut self, node: usize, blocks: &[std::sync::Arc<civitas_protocol::SignedBlock>]) {
        self.check_irreversible(node, blocks, false);
    }

    fn check_irreversible(
        &mut self,
        node: usize,
        blocks: &[std::sync::Arc<civitas_protocol::SignedBlock>],
        live: bool,
    ) {
        for b in blocks {
            let (num, id) = (b.block_num(), b.id());
            match self.finalized.get(&num) {
                Some(other) if other.0 != id => {
                    self.fail(format!(
                        "SAFETY: node {node} finalized block {num} {id}, another honest node finalized {}",
                        other.0
                    ));
                }
                _ => {
                    self.finalized.insert(num, (id, b.header.producer));
                }
            }
            if live {
                let last = self.lib.get(&node).copied().unwrap_or(0);
                if num < last {
                    self.fail(format!("LIB of node {node} moved back from {last} to {num}"));
                }
                self.lib.insert(node, num.max(last));
            }
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

    /// An honest node applied a block (and so may log and relay it).
    pub fn on_applied(&mut self, node: usize, b: &civitas_protocol::SignedBlock) {
        if self.invalid.contains(&b.id()) {
            self.fail(format!(
                "VALIDITY: honest node {node} applied forged or invalid block {} {}",
                b.block_num(),
                b.id()
            ));
        }
    }

    /// An honest node found evidence: it must be against a byzantine producer.
    pub fn on_evidence(&mut self, node: usize, evidence: &[Evidence]) {
        for e in evidence {
            if self.honest_producers.contains(&e.producer()) {
                self.fail(format!(
                    "EVIDENCE: honest node {node} holds evidence against honest producer {} at slot {}",
                    e.producer(),
                    e.slot()
                ));
            }
        }
    }

    /// Checks the pay an honest node has credited against the model of the finalized chain:
    /// totals minted, kept and sent to the fund and the number of paid blocks on every call,
    /// and each producer's kept pay and blocks every 16th call (`full` forces it).
    pub fn check_pay(&mut self, node: usize, core: &Consensus, full: bool) {
        let kv = core.chain().kv();
        // Extend the model over the contiguous finalized heights.
        loop {
            let next = self.pay.cumulative.len() as u32 + 2;
            let Some(&(_, producer)) = self.finalized.get(&next) else { break };
            let keep = *self
                .keep_rates
                .entry(producer)
                .or_insert_with(|| tables::prodinfo(kv, producer).map_or(0, |i| i.keep_rate));
            self.pay.push(next, producer, keep);
        }
        // Pay is credited through the head's chain-local LIB.
        let head = core.head();
        let lib = head.finality.lib;
        let Some((minted, kept, to_fund)) = self.pay.through(lib) else {
            self.fail(format!("PAY: node {node} paid through block {lib}, beyond the finalized chain"));
            return;
        };
        self.pay_checks += 1;
        let g = tables::global(kv);
        let got = (g.total_minted, g.total_kept, g.total_to_fund, g.paid_blocks);
        let want = (minted, kept, to_fund, u64::from(lib.saturating_sub(1)));
        if got != want {
            self.fail(format!(
                "PAY: node {node} at LIB {lib} has (minted, kept, to fund, paid blocks) {got:?}, the finalized chain owes {want:?}"
            ));
            return;
        }
        self.pay_advances += 1;
        if !full && !self.pay_advances.is_multiple_of(16) {
            return;
        }
        for (p, st) in core.chain().all_producer_stats() {
            let (kept, blocks) = self.pay.producer_through(p, lib);
            if st.irreversible != blocks {
                self.fail(format!(
                    "PAY: node {node} counts {} irreversible blocks of {p}, the finalized chain has {blocks}",
                    st.irreversible
                ));
            }
            if let Some(info) = tables::prodinfo(kv, p) {
                if info.paid_blocks != blocks || info.kept_total.amount() != kept {
                    self.fail(format!(
                        "PAY: node {node} paid {p} for {} blocks, {} kept; the finalized chain owes {blocks} blocks, {kept}",
                        info.paid_blocks,
                        info.kept_total.amount()
                    ));
                }
            }
        }
    }

    /// At the end: every honest node's pay against the finalized chain, in full, and no
    /// recorded evidence against an honest producer.
    pub fn check_end(&mut self, nodes: &[SimNode]) {
        for (i, n) in nodes.iter().enumerate() {
            if !n.behavior.is_honest() {
                continue;
            }
            let Some(core) = &n.core else { continue };
            self.check_pay(i, core, true);
            let recorded = civitas_consensus::records::all_evidence(core.chain().kv());
            self.on_evidence(i, &recorded);
        }
    }
}
