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
mod topology;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

pub use plan::{create, node_ports, LocalnetPlan, NetSpec, NodePlan};
pub use topology::Topology;

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
    /// Who connects to whom.
    pub topology: Topology,
    /// The seed of a `random:K` graph (default: derived from the directory's path).
    pub seed: Option<u64>,
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
    /// Peers the topology links it to (`None` in a mesh, where nodes learn their peers).
    pub planned_peers: Option<u64>,
    /// Slots this node saw without a block.
    pub missed_slots: Option<u64>,
}

/// `civitas localnet up`.
pub fn up(opts: &UpOptions) -> anyhow::Result<()> {
    let mut created = false;
    let plan = match LocalnetPlan::load(&opts.dir)? {
        Some(p) => {
            if p.nodes.len() as u32 != opts.producers || p.base_port != opts.base_port || p.topology != opts.topology {
                println!(
                    "{} already holds a network of {} producers ({}) on ports from {}; restarting it as it is \
                     (run `civitas localnet down --dir {0}` and delete the directory for a new one)",
                    opts.dir.display(),
                    p.nodes.len(),
                    p.topology,
                    p.base_port
                );
            } else {
                println!("restarting the network in {}", opts.dir.display());
            }
            let stopped: Vec<&NodePlan> = p.nodes.iter().filter(|n| process::running_pid(&n.dir).is_none()).collect();
            if let Some(taken) = process::taken_port(stopped.iter().map(|n| (n.name.as_str(), n.http_port, n.p2p_port)))
            {
                bail!("{taken}; stop whatever holds it (the ports of the network in {} are fixed)", opts.dir.display());
            }
            p
        }
        None => {
            let spec = NetSpec {
                producers: opts.producers,
                block_interval_ms: opts.block_interval_ms,
                base_port: opts.base_port,
                topology: opts.topology,
                seed: opts.seed,
            };
            plan::check_spec(&spec)?;
            // Before anything is written, so that a rerun with another --base-port makes a new
            // network instead of restarting this one.
            let names: Vec<String> = (0..opts.producers as usize).map(|i| plan::producer_name(i).to_string()).collect();
            let planned = names.iter().enumerate().map(|(i, name)| {
                let (http, p2p) = node_ports(opts.base_port, i);
                (name.as_str(), http, p2p)
            });
            if let Some(taken) = process::taken_port(planned) {
                bail!("{taken}; pick another --base-port");
            }
            let p = create(&opts.dir, &spec)?;
            created = true;
            println!(
                "created a network of {} producers in {} ({} ms blocks, {} topology)",
                p.nodes.len(),
                opts.dir.display(),
                p.block_interval_ms,
                p.topology
            );
            p
        }
    };
    warn_ephemeral(&plan);
    let exe = std::env::current_exe().context("locating the civitas binary")?;
    let mut started = 0;
    for n in &plan.nodes {
        if process::running_pid(&n.dir).is_some() {
            continue;
        }
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

/// Outgoing connections (the nodes' own among them) take their local port from the kernel's
/// ephemeral range; a node whose port lies there may find it taken when it restarts.
fn warn_ephemeral(plan: &LocalnetPlan) {
    let eph = crate::ports::ephemeral_range();
    let ports = plan.nodes.iter().flat_map(|n| [n.http_port, n.p2p_port]);
    if let Some(p) = ports.filter(|p| eph.contains(p)).min() {
        println!(
            "note: port {p} and others of this network lie in the kernel's ephemeral range ({}–{}), from which \
             outgoing connections take their ports; a --base-port below {} avoids collisions",
            eph.start(),
            eph.end(),
            eph.start()
        );
    }
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
    let fixed = !plan.topology.learns_peers();
    Ok(plan.nodes.iter().map(|n| node_status(n, fixed.then_some(n.links.len() as u64))).collect())
}

fn node_status(n: &NodePlan, planned_peers: Option<u64>) -> NodeStatus {
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
        planned_peers,
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

/// Prints a status table. PEERS is `connected/linked` where the topology fixes the links.
pub fn print_status(rows: &[NodeStatus]) {
    println!("{:<12} {:>8} {:<24} {:>8} {:>8} {:>6} {:>7}", "NODE", "PID", "HTTP", "HEAD", "LIB", "PEERS", "MISSED");
    let opt = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    for r in rows {
        let pid = r.pid.map_or("stopped".to_string(), |p| p.to_string());
        let peers = match r.planned_peers {
            Some(p) => format!("{}/{p}", opt(r.peers)),
            None => opt(r.peers),
        };
        println!(
            "{:<12} {:>8} {:<24} {:>8} {:>8} {:>6} {:>7}",
            r.name,
            pid,
            r.http,
            opt(r.head),
            opt(r.lib),
            peers,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn options(dir: &Path, base_port: u16, topology: Topology) -> UpOptions {
        UpOptions { dir: dir.into(), producers: 3, block_interval_ms: 500, base_port, topology, seed: None, wait: None }
    }

    #[test]
    fn a_taken_port_is_named_before_anything_is_written() {
        let ports = crate::ports::reserve().unwrap();
        let (_, p2p) = node_ports(ports.base(), 1);
        let _busy = TcpListener::bind(("127.0.0.1", p2p)).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let opts = options(&tmp.path().join("net"), ports.base(), Topology::Mesh);
        let e = up(&opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("port {p2p} (P2P of node bravo) is already in use; pick another --base-port")
        );
        assert!(!opts.dir.exists(), "nothing is written, so a rerun with another --base-port makes a new network");
    }

    #[test]
    fn a_restart_names_a_taken_port_before_starting_any_node() {
        let ports = crate::ports::reserve().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let opts = options(tmp.path(), ports.base(), Topology::Line);
        create(
            tmp.path(),
            &NetSpec {
                producers: 3,
                block_interval_ms: 500,
                base_port: ports.base(),
                topology: Topology::Line,
                seed: None,
            },
        )
        .unwrap();
        let (http, _) = node_ports(ports.base(), 2);
        let _busy = TcpListener::bind(("127.0.0.1", http)).unwrap();
        let e = up(&opts).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("port {http} (HTTP of node charlie) is already in use; stop whatever holds it")),
            "{e}"
        );
        let plan = LocalnetPlan::load(tmp.path()).unwrap().unwrap();
        assert!(plan.nodes.iter().all(|n| process::running_pid(&n.dir).is_none()), "no node was started");
    }

    #[test]
    fn the_topology_is_written_into_the_configs_and_the_plan() {
        let tmp = tempfile::tempdir().unwrap();
        let base = 8888;
        let spec =
            NetSpec { producers: 5, block_interval_ms: 500, base_port: base, topology: Topology::Ring, seed: None };
        create(tmp.path(), &spec).unwrap();
        // Read back as a restart does.
        let plan = LocalnetPlan::load(tmp.path()).unwrap().unwrap();
        assert_eq!(plan.topology, Topology::Ring);
        let links: Vec<Vec<String>> = plan.nodes.iter().map(|n| n.links.clone()).collect();
        assert_eq!(links[0], ["bravo", "echo"]);
        assert_eq!(links[2], ["bravo", "delta"]);
        for (i, n) in plan.nodes.iter().enumerate() {
            let config = crate::NodeConfig::load(&n.dir).unwrap();
            assert!(!config.learn_peers, "a ring must not grow into a mesh");
            // Each node dials its successor only.
            assert_eq!(config.peers, [format!("127.0.0.1:{}", node_ports(base, (i + 1) % 5).1)]);
        }

        // random:K: the same directory gives the same graph, which the plan records.
        let random = |dir: &Path, seed| {
            let _ = std::fs::remove_dir_all(dir);
            let spec = NetSpec { topology: Topology::Random { k: 2 }, seed, producers: 9, ..spec.clone() };
            create(dir, &spec).unwrap().nodes.iter().map(|n| n.links.clone()).collect::<Vec<_>>()
        };
        let dir = tmp.path().join("random");
        let first = random(&dir, None);
        assert_eq!(random(&dir, None), first, "a new network in the same directory");
        assert_eq!(LocalnetPlan::load(&dir).unwrap().unwrap().seed, plan::dir_seed(&dir.canonicalize().unwrap()));
        assert!(first.iter().all(|l| l.len() >= 2));
        let seeded = random(&tmp.path().join("seeded"), Some(7));
        assert_eq!(random(&tmp.path().join("other"), Some(7)), seeded, "--seed fixes the graph whatever the directory");
    }

    #[test]
    fn bad_options_are_refused_before_anything_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("net");
        let mut opts = options(&dir, 8888, Topology::Random { k: 3 });
        assert_eq!(up(&opts).unwrap_err().to_string(), "--topology random:3 needs more than 3 producers (got 3)");
        opts.producers = 0;
        assert_eq!(up(&opts).unwrap_err().to_string(), "--producers must be 1 to 100 (got 0)");
        assert!(!dir.exists());
    }
}
