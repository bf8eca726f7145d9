//! A simulated node: the consensus core plus what its shell would keep on disk.

use std::collections::BTreeMap;
use std::sync::Arc;

use civitas_chain::Genesis;
use civitas_consensus::{Consensus, CoreConfig, Input, LocalProducer, Output, SigVerifier, Watermark};
use civitas_protocol::{Checksum256, Name, SignedBlock};

/// How a node behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    /// Follows the protocol.
    Honest,
    /// One of two nodes holding the same producer key (equivocation: both produce and vote,
    /// on whatever branch each sees).
    Twin,
    /// Produces a second, different block in each of its slots and sends each half the network.
    DoubleProducer,
    /// Sends an invalid block in each of its slots (in addition to nothing else).
    Invalid(InvalidKind),
    /// Shows its blocks only to other byzantine nodes until the release time, then to everyone.
    Withholder {
        /// When the private blocks are released (ms since genesis).
        release_ms: u64,
    },
    /// Sends its blocks late.
    Late {
        /// Extra delay.
        delay_ms: u64,
    },
    /// Produces honestly, and at the start of every round forges blocks for the slots ahead
    /// under a schedule it made up (the scheduled producers' names with keys it holds), with
    /// votes and approvals of those made-up keys, and sends them to its neighbours.
    Forger,
    /// Produces honestly, and every slot sends its neighbours `per_slot` junk approvals:
    /// validly signed ones for random targets and overlapping ranges, future and stale slots,
    /// and approvals in other producers' names signed with the wrong key.
    ApprovalFlooder {
        /// Junk approvals per slot.
        per_slot: u32,
    },
    /// Produces honestly, and signs a second, conflicting approval (another target for the
    /// same slots, or a lower source) for every approval it makes.
    ConflictingApprover,
}

/// Ways to make a block invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// A corrupted signature.
    BadSignature,
    /// Signed for a slot that is not its own.
    WrongProducer,
    /// A transaction that does not apply.
    BadTransaction,
    /// A wrong state commitment.
    BadStateRoot,
}

impl Behavior {
    /// True for the honest behaviour.
    pub fn is_honest(&self) -> bool {
        *self == Behavior::Honest
    }
}

/// What survives a crash.
#[derive(Debug, Default, Clone)]
pub struct Disk {
    /// Applied (hence valid) blocks in the order they were persisted (parents first).
    pub blocks: Vec<Arc<SignedBlock>>,
    /// The same, by id.
    pub by_id: BTreeMap<Checksum256, Arc<SignedBlock>>,
    /// Producer watermarks (persisted before any signed block leaves).
    pub watermarks: BTreeMap<Name, Watermark>,
    /// The highest LIB ever reported.
    pub lib: u32,
    /// The latest state checkpoint and the LIB it was taken at.
    pub checkpoint: Option<(u32, Vec<u8>)>,
}

/// How many irreversible blocks pass between checkpoints: small, so that crashes in a short
/// simulation restart from a checkpoint rather than from genesis (a run of 30 rounds finalizes
/// about 600 blocks), but not so small that writing checkpoints (the state and the archive of
/// finality headers, about 0.7 MB) dominates the run.
const CHECKPOINT_EVERY: u32 = 48;

/// One node of the simulation.
pub struct SimNode {
    /// Its producer account, if it produces.
    pub producer: Option<LocalProducer>,
    /// Its behaviour.
    pub behavior: Behavior,
    /// The running core (`None` while crashed).
    pub core: Option<Consensus>,
    /// Its persisted state.
    pub disk: Disk,
    /// Blocks a withholder has not released yet.
    pub withheld: Vec<Arc<SignedBlock>>,
    verifier: Arc<dyn SigVerifier>,
}

impl SimNode {
    /// A fresh node at genesis. Every node of a simulation shares one signature cache: each
    /// signature is recovered once, as if every node's shell had verified it in parallel.
    pub fn new(
        genesis: &Genesis,
        producer: Option<LocalProducer>,
        behavior: Behavior,
        verifier: Arc<dyn SigVerifier>,
    ) -> SimNode {
        let core = Some(Self::boot(genesis, &producer, &verifier));
        SimNode { producer, behavior, core, disk: Disk::default(), withheld: vec![], verifier }
    }

    fn config(producer: &Option<LocalProducer>, verifier: &Arc<dyn SigVerifier>) -> CoreConfig {
        CoreConfig { producers: producer.iter().cloned().collect(), verifier: verifier.clone(), ..Default::default() }
    }

    fn boot(genesis: &Genesis, producer: &Option<LocalProducer>, verifier: &Arc<dyn SigVerifier>) -> Consensus {
        Consensus::new(genesis, Self::config(producer, verifier)).expect("simulation genesis is valid")
    }

    /// True while running.
    pub fn is_up(&self) -> bool {
        self.core.is_some()
    }

    /// Writes an output's durable parts to disk (watermarks first, then blocks, then the LIB).
    pub fn persist(&mut self, out: &Output) {
        for (p, w) in &out.watermarks {
            self.disk.watermarks.insert(*p, *w);
        }
        for a in &out.applied {
            let b = &a.block;
            if self.disk.by_id.insert(b.id(), b.clone()).is_none() {
                self.disk.blocks.push(b.clone());
            }
        }
        if let Some(b) = out.irreversible.last() {
            self.disk.lib = self.disk.lib.max(b.block_num());
        }
        let last = self.disk.checkpoint.as_ref().map_or(0, |c| c.0);
        if let Some(core) = &self.core {
            let lib = core.lib().num;
            if lib >= last + CHECKPOINT_EVERY {
                self.disk.checkpoint = Some((lib, core.checkpoint()));
            }
        }
    }

    /// Loses everything in memory.
    pub fn crash(&mut self) {
        self.core = None;
        self.withheld.clear();
    }

    /// Starts again from disk: the latest checkpoint (else genesis), watermarks, then every
    /// persisted block above the checkpoint in order.
    pub fn restart(&mut self, genesis: &Genesis, now: civitas_protocol::TimePoint) -> Output {
        let (mut core, from) = match &self.disk.checkpoint {
            Some((lib, bytes)) => {
                let core = Consensus::from_checkpoint(genesis, Self::config(&self.producer, &self.verifier), bytes)
                    .expect("the simulator's own checkpoint loads");
                (core, *lib)
            }
            None => (Self::boot(genesis, &self.producer, &self.verifier), 0),
        };
        core.set_time(now);
        for (p, w) in &self.disk.watermarks {
            core.set_watermark(*p, *w);
        }
        let mut out = Output::default();
        for b in self.disk.blocks.clone() {
            if b.block_num() <= from {
                continue;
            }
            core.handle(Input::Block { block: b, from: None }, &mut out);
        }
        self.core = Some(core);
        out
    }
}
