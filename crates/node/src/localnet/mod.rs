//! `civitas localnet`: a whole producer network on this machine (SPEC §10.5). `up` writes a
//! genesis in which N producers are elected by staked votes, one data directory per producer,
//! and `accounts.json` with every genesis account's private key (test networks only), then
//! starts one `civitas node run` process per producer and waits until blocks are irreversible.
//! `status` shows each node; `down` stops them. `up` on an existing directory restarts the same
//! network.

mod http;
mod meta;
mod plan;
mod process;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

pub use plan::{create, LocalnetPlan, NodePlan};

/// File describing the network, in the localnet directory.
pub const PLAN_FILE: &str = "localnet.json";

/// What `localnet up` was asked.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// The localnet directory.
    pub dir: PathBuf,
    /// Number of producers (and nodes).
    pub producers: u32,
    /// Slot length.
    pub block_interval_ms: u32,
    /// First HTTP port; node i serves HTTP on `base_port + i` and P2P on `base_port + 100 + i`.
    pub base_port: u16,
    /// How long to wait for irreversible blocks (`None`: start the nodes and return).
    pub wait: Option<Duration>,
}

/// One node as `localnet status` shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeStatus {
    /// Producer name.
    pub name: String,
    /// Process id, if running.
    pub pid: Option<u32>,
    /// Whether the process is alive.
    pub running: bool,
    /// HTTP API URL.
    pub http: String,
    /// Head block number (if the API answered).
    pub head: Option<u64>,
    /// LIB number.
    pub lib: Option<u64>,
    /// Connected peers.
    pub peers: Option<u64>,
    /// Slots this node saw without a block.
    pub missed_slots: Option<u64>,
}

/// `civitas localnet up`.
pub fn up(opts: &UpOptions) -> anyhow::Result<()> {
    let mut created = false;
    let plan = match LocalnetPlan::load(&opts.dir)? {
        Some(p) => {
            if p.nodes.len() as u32 != opts.producers || p.base_port != opts.base_port {
                println!(
                    "{} already holds a network of {} producers on ports from {}; restarting it as it is \
                     (run `civitas localnet down --dir {0}` and delete the directory for a new one)",
                    opts.dir.display(),
                    p.nodes.len(),
                    p.base_port
                );
            } else {
                println!("restarting the network in {}", opts.dir.display());
            }
            p
        }
        None => {
            let p = create(&opts.dir, opts.producers, opts.block_interval_ms, opts.base_port)?;
            created = true;
            println!(
                "created a network of {} producers in {} ({} ms blocks)",
                p.nodes.len(),
                opts.dir.display(),
                p.block_interval_ms
            );
            p
        }
    };
    let exe = std::env::current_exe().context("locating the civitas binary")?;
    let mut started = 0;
    for n in &plan.nodes {
        if process::running_pid(&n.dir).is_some() {
            continue;
        }
        process::check_ports_free(n)?;
        process::start(&exe, n)?;
        started += 1;
    }
    let Some(wait) = opts.wait else {
        println!("started {started} node(s)");
        return Ok(());
    };
    println!("started {started} node(s); waiting for irreversible blocks…");
    let url = plan.nodes[0].http_url();
    let t0 = Instant::now();
    let mut first_lib = None;
    loop {
        if t0.elapsed() > wait {
            bail!(
                "no irreversible blocks after {} s; see the logs in {}/nodes/*/node.log",
                wait.as_secs(),
                opts.dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
        let dead: Vec<&str> =
            plan.nodes.iter().filter(|n| process::running_pid(&n.dir).is_none()).map(|n| n.name.as_str()).collect();
        if !dead.is_empty() {
            bail!("node(s) {} exited; see {}/nodes/<name>/node.log", dead.join(", "), opts.dir.display());
        }
        let Ok(info) = http::post_json(&url, "/v1/chain/get_info", "{}") else { continue };
        let lib = info["last_irreversible_block_num"].as_u64().unwrap_or(0);
        match first_lib {
            None => first_lib = Some(lib),
            Some(f) if lib > f && lib >= 3 => {
                println!(
                    "irreversible block {lib} (head {}) after {:.1} s",
                    info["head_block_num"].as_u64().unwrap_or(0),
                    t0.elapsed().as_secs_f64()
                );
                break;
            }
            Some(_) => {}
        }
    }
    if created {
        let keys = plan::producer_keys(&opts.dir)?;
        match meta::publish(&url, &keys) {
            Ok(n) => println!("{n} producers published their location, network and keep rate"),
            Err(e) => println!("the producers' metadata could not be published: {e:#}"),
        }
    }
    print_summary(&opts.dir, &plan);
    Ok(())
}

fn print_summary(dir: &Path, plan: &LocalnetPlan) {
    let first = plan.nodes[0].http_url();
    let last = plan.nodes[plan.nodes.len() - 1].http_url();
    println!();
    println!("  Dashboard   {first}/");
    println!("  HTTP API    {first}  (every node serves it: {first} … {last})");
    println!(
        "  Accounts    {}  (alice, bob, carol and the producers, with private keys)",
        dir.join("accounts.json").display()
    );
    println!("  Logs        {}/nodes/<producer>/node.log", dir.display());
    println!();
    println!("  civitas localnet status --dir {}", dir.display());
    println!("  civitas localnet down --dir {}", dir.display());
}

/// `civitas localnet status`.
pub fn status(dir: &Path) -> anyhow::Result<Vec<NodeStatus>> {
    let Some(plan) = LocalnetPlan::load(dir)? else {
        bail!("{} holds no local network (run `civitas localnet up --dir {0}`)", dir.display())
    };
    Ok(plan.nodes.iter().map(node_status).collect())
}

fn node_status(n: &NodePlan) -> NodeStatus {
    let pid = process::running_pid(&n.dir);
    let url = n.http_url();
    let mut s = NodeStatus {
        name: n.name.clone(),
        pid,
        running: pid.is_some(),
        http: url.clone(),
        head: None,
        lib: None,
        peers: None,
        missed_slots: None,
    };
    if pid.is_none() {
        return s;
    }
    if let Ok(info) = http::post_json(&url, "/v1/chain/get_info", "{}") {
        s.head = info["head_block_num"].as_u64();
        s.lib = info["last_irreversible_block_num"].as_u64();
    }
    if let Ok(text) = http::get_text(&url, "/metrics") {
        s.peers = http::metric(&text, "civitas_peers");
        s.missed_slots = http::metric(&text, "civitas_missed_slots_total");
    }
    s
}

/// Prints a status table.
pub fn print_status(rows: &[NodeStatus]) {
    println!("{:<12} {:>8} {:<24} {:>8} {:>8} {:>6} {:>7}", "NODE", "PID", "HTTP", "HEAD", "LIB", "PEERS", "MISSED");
    let opt = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    for r in rows {
        let pid = r.pid.map_or("stopped".to_string(), |p| p.to_string());
        println!(
            "{:<12} {:>8} {:<24} {:>8} {:>8} {:>6} {:>7}",
            r.name,
            pid,
            r.http,
            opt(r.head),
            opt(r.lib),
            opt(r.peers),
            opt(r.missed_slots)
        );
    }
}

/// `civitas localnet down`: SIGTERM to every node, SIGKILL to any still alive after 20 s.
pub fn down(dir: &Path) -> anyhow::Result<usize> {
    let Some(plan) = LocalnetPlan::load(dir)? else { bail!("{} holds no local network", dir.display()) };
    let mut stopped = 0;
    let pids: Vec<(String, u32)> =
        plan.nodes.iter().filter_map(|n| process::running_pid(&n.dir).map(|p| (n.name.clone(), p))).collect();
    for (_, pid) in &pids {
        process::signal(*pid, process::Signal::Term);
    }
    let t0 = Instant::now();
    for (name, pid) in &pids {
        while process::alive(*pid) && t0.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if process::alive(*pid) {
            eprintln!("{name} (pid {pid}) did not stop within 20 s; killing it");
            process::signal(*pid, process::Signal::Kill);
        }
        stopped += 1;
    }
    for n in &plan.nodes {
        let _ = std::fs::remove_file(n.dir.join(process::PID_FILE));
    }
    Ok(stopped)
}
