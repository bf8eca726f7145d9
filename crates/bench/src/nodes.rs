//! Benchmarks of real nodes: replay of a block log, sync of a fresh node from a peer, restart
//! after `kill -9`. The nodes are `civitas node run` processes of the running binary.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use civitas_node::store::{StartFrom, Store};

use crate::chaingen::{write_datadir, GenChain};

/// Figures of a replay.
#[derive(Debug, Clone)]
pub struct ReplayFigures {
    /// Blocks replayed.
    pub blocks: u64,
    /// Transfers in them.
    pub transfers: u64,
    /// Seconds.
    pub secs: f64,
}

/// Replays `chain` from a fresh data directory in `dir` (as `civitas node replay` does).
pub fn replay(chain: &GenChain, dir: &Path) -> anyhow::Result<ReplayFigures> {
    write_datadir(chain, dir, None, None)?;
    let t0 = Instant::now();
    let (_store, core, report) =
        Store::open(dir, &chain.genesis, Default::default(), false, StartFrom::Genesis, civitas_node::clock::now())?;
    let secs = t0.elapsed().as_secs_f64();
    if core.lib().num < chain.lib.0 || !report.notes.is_empty() {
        bail!("replay did not reach the chain's LIB: {:?}", report.notes);
    }
    Ok(ReplayFigures { blocks: report.replayed_blocks, transfers: report.replayed_transactions, secs })
}

/// Ports for the benchmark's nodes, reserved across processes until dropped (a port found by
/// binding port 0 is an ephemeral one that any outgoing connection may take before the node
/// binds it).
pub fn reserve_ports() -> anyhow::Result<civitas_node::ports::PortBlock> {
    civitas_node::ports::reserve().context("reserving ports for the benchmark's nodes")
}

/// A node process, killed when dropped.
pub struct NodeProcess {
    child: Child,
    /// Its API.
    pub url: String,
}

impl NodeProcess {
    /// Starts `civitas node run --dir DIR`.
    pub fn start(exe: &Path, dir: &Path, url: String) -> anyhow::Result<NodeProcess> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("node.log"))?;
        let child = Command::new(exe)
            .args(["node", "run", "--dir"])
            .arg(dir)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting a node")?;
        Ok(NodeProcess { child, url })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and wait for it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// `get_info`'s head and LIB, if the node answers.
pub fn head_and_lib(url: &str) -> Option<(u32, u32)> {
    let v = crate::http::post_json(url, "/v1/chain/get_info", "{}").ok()?;
    Some((v["head_block_num"].as_u64()? as u32, v["last_irreversible_block_num"].as_u64()? as u32))
}

/// Waits until `f` holds, polling every 20 ms.
pub fn wait(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) -> anyhow::Result<Duration> {
    let t0 = Instant::now();
    while !f() {
        if t0.elapsed() > timeout {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(t0.elapsed())
}

/// Figures of a sync and a restart.
#[derive(Debug, Clone)]
pub struct SyncFigures {
    /// Blocks synced.
    pub blocks: u32,
    /// Transfers in them.
    pub transfers: usize,
    /// Seconds to sync.
    pub sync_secs: f64,
    /// Seconds from starting the killed node again until its API answered at the head.
    pub restart_secs: f64,
    /// Blocks it replayed on that restart.
    pub restart_replayed: String,
}

/// A serving node holding `chain`, and a fresh node that syncs it from genesis over P2P; then
/// the fresh node is killed with SIGKILL and started again.
pub fn sync(chain: &GenChain, dir: &Path, exe: &Path) -> anyhow::Result<SyncFigures> {
    let (a_dir, b_dir): (PathBuf, PathBuf) = (dir.join("serving"), dir.join("fresh"));
    let ports = reserve_ports()?;
    let (a_p2p, a_http, b_http) = (ports.port(0), ports.port(1), ports.port(2));
    let addr = |p: u16| -> SocketAddr { SocketAddr::from(([127, 0, 0, 1], p)) };
    write_datadir(chain, &a_dir, Some(addr(a_p2p)), Some(addr(a_http)))?;
    let head = chain.blocks.last().map_or(1, |b| b.block_num());
    let _a = NodeProcess::start(exe, &a_dir, format!("http://127.0.0.1:{a_http}"))?;
    wait(Duration::from_secs(600), "the serving node", || head_and_lib(&_a.url).is_some_and(|(h, _)| h >= head))?;

    std::fs::create_dir_all(&b_dir)?;
    civitas_node::init::write_genesis(&b_dir.join(civitas_node::datadir::GENESIS_FILE), &chain.genesis)?;
    civitas_node::NodeConfig {
        name: "fresh".into(),
        p2p_listen: None,
        peers: vec![format!("127.0.0.1:{a_p2p}")],
        http_listen: Some(addr(b_http)),
        ip_bans: false,
        ..Default::default()
    }
    .save(&b_dir)?;
    let t0 = Instant::now();
    let mut b = NodeProcess::start(exe, &b_dir, format!("http://127.0.0.1:{b_http}"))?;
    wait(Duration::from_secs(1800), "the fresh node to sync", || head_and_lib(&b.url).is_some_and(|(h, _)| h >= head))?;
    let sync_secs = t0.elapsed().as_secs_f64();

    // Let it checkpoint (at the first LIB, then every 30 s), then crash it.
    std::thread::sleep(Duration::from_secs(1));
    b.kill9();
    let t1 = Instant::now();
    let b2 = NodeProcess::start(exe, &b_dir, b.url.clone())?;
    wait(Duration::from_secs(120), "the restarted node", || head_and_lib(&b2.url).is_some_and(|(h, _)| h >= head))?;
    let restart_secs = t1.elapsed().as_secs_f64();
    let log = std::fs::read_to_string(b_dir.join("node.log")).unwrap_or_default();
    let restart_replayed = log.lines().rev().find(|l| l.contains("state restored")).unwrap_or("").to_string();
    Ok(SyncFigures { blocks: head - 1, transfers: chain.transfers, sync_secs, restart_secs, restart_replayed })
}
