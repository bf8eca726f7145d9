//! The deterministic simulator: whole Civitas networks — honest and byzantine producers,
//! observers — running the real consensus core on a virtual clock over a simulated network
//! with latency, jitter, loss, partitions, crashes and restarts. Every run is reproducible
//! from its seed, and invariant checkers run after every step.

mod byzantine;
pub mod checker;
pub mod net;
pub mod node;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod topology;

pub use checker::Violation;
pub use net::LinkModel;
pub use node::{Behavior, InvalidKind};
pub use sim::{Fault, Sim, SimConfig};
pub use topology::Topology;
