//! HTTP helpers for the node benchmarks, and the push benchmark: transfers signed before the
//! clock starts, pushed with `push_transactions` by concurrent clients into a single-producer
//! node, counted once they are in irreversible blocks.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use civitas_keystore::{KdfParams, Keystore};
use civitas_protocol::{Checksum256, Name, TimePoint};

use crate::nodes::{head_and_lib, reserve_ports, wait, NodeProcess};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// POSTs `body` and parses the JSON answer.
pub fn post_json(url: &str, path: &str, body: &str) -> anyhow::Result<serde_json::Value> {
    let mut r = agent().post(format!("{url}{path}")).send(body)?;
    let text = r.body_mut().with_config().limit(1 << 30).read_to_string()?;
    serde_json::from_str(&text).with_context(|| format!("{path} did not answer JSON"))
}

/// One `push_transactions` call; the number of transactions accepted (no `except` in their
/// trace). The answer is read into typed structs that skip the traces' contents, so the client
/// spends little of the machine's CPU, which the node shares.
fn push_batch(url: &str, body: &str) -> anyhow::Result<u64> {
    use serde::de::IgnoredAny;
    #[derive(serde::Deserialize)]
    struct Result {
        processed: Processed,
    }
    #[derive(serde::Deserialize)]
    struct Processed {
        except: Option<IgnoredAny>,
    }
    let mut r = agent().post(format!("{url}/v1/chain/push_transactions")).send(body)?;
    let text = r.body_mut().with_config().limit(1 << 30).read_to_string()?;
    match serde_json::from_str::<Vec<Result>>(&text) {
        Ok(results) => Ok(results.iter().filter(|r| r.processed.except.is_none()).count() as u64),
        Err(_) => bail!("{}", text.chars().take(300).collect::<String>()),
    }
}

/// Figures of the push benchmark.
#[derive(Debug, Clone)]
pub struct PushFigures {
    /// Transfers pushed.
    pub pushed: usize,
    /// Transfers the node accepted.
    pub accepted: u64,
    /// Transfers found in irreversible blocks.
    pub included: u64,
    /// Seconds from the first push until the last of them was irreversible.
    pub secs: f64,
    /// Seconds the clients spent pushing.
    pub push_secs: f64,
    /// Blocks that held them.
    pub blocks: u32,
    /// CPU seconds the node used from the first push until the last transfer was irreversible.
    pub node_cpu_secs: f64,
    /// CPU seconds this process (the clients) used while pushing.
    pub client_cpu_secs: f64,
}

/// User + system CPU seconds of a process (Linux `/proc/PID/stat`).
pub fn cpu_secs(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After the command name: state is field 0, utime 11, stime 12 (in clock ticks of 1/100 s).
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs the push benchmark in `dir` with the binary `exe`.
pub fn push(
    exe: &Path,
    dir: &Path,
    accounts: usize,
    transfers: usize,
    clients: usize,
    batch: usize,
) -> anyhow::Result<PushFigures> {
    let key = civitas_protocol::PrivateKey::from_seed("bench-key");
    let mut g = crate::transfers::genesis(accounts, &key);
    let now = civitas_node::clock::now().millis();
    g.initial_timestamp = TimePoint::from_millis(now - now.rem_euclid(1000));
    g.active_producers = 1;
    let node_dir = dir.join("producer");
    std::fs::create_dir_all(&node_dir)?;
    civitas_node::init::write_genesis(&node_dir.join(civitas_node::datadir::GENESIS_FILE), &g)?;
    let pw = node_dir.join("password");
    std::fs::write(&pw, "bench")?;
    let mut ks =
        Keystore::create(&node_dir.join(civitas_node::datadir::KEYSTORE_FILE), "bench", KdfParams::INSECURE_FAST)?;
    ks.import(key.clone(), None)?;
    let ports = reserve_ports()?;
    let http = ports.port(0);
    civitas_node::NodeConfig {
        name: "bench".into(),
        producers: vec![Name::constant("benchprod")],
        p2p_listen: None,
        http_listen: Some(([127, 0, 0, 1], http).into()),
        password_file: Some(pw),
        pool_size: transfers + 10_000,
        ..Default::default()
    }
    .save(&node_dir)?;
    let node = NodeProcess::start(exe, &node_dir, format!("http://127.0.0.1:{http}"))?;
    wait(Duration::from_secs(60), "the node to produce", || {
        head_and_lib(&node.url).is_some_and(|(h, l)| l >= 2 && h >= 3)
    })?;

    // Sign everything before the clock starts.
    let info = post_json(&node.url, "/v1/chain/get_info", "{}")?;
    let lib_id: Checksum256 = info["last_irreversible_block_id"].as_str().unwrap_or("").parse().context("LIB id")?;
    let start_num = info["head_block_num"].as_u64().unwrap_or(0) as u32;
    let exp = (civitas_node::clock::now().secs() + 3000) as u32;
    let chain_id = g.chain_id();
    println!("signing {transfers} transfers…");
    let signed = crate::chaingen::sign_transfers(accounts, transfers, &chain_id, &lib_id, &key, exp, now as u64);
    let bodies: Vec<String> = signed
        .chunks(batch)
        .map(|c| serde_json::to_string(&c.iter().map(|(_, p)| p).collect::<Vec<_>>()).expect("json"))
        .collect();
    drop(signed);
    println!("pushing {} batches of {batch} with {clients} clients…", bodies.len());

    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicU64::new(0));
    let bodies = Arc::new(bodies);
    let node_pid = node.pid().to_string();
    let node_cpu0 = cpu_secs(&node_pid);
    let client_cpu0 = cpu_secs("self");
    let t0 = Instant::now();
    // LIB is watched by its own thread: walking the (large) blocks below takes the node real
    // time, which must not count as time to irreversibility.
    let watcher = LibWatcher::start(node.url.clone(), node_pid.clone(), t0);
    std::thread::scope(|s| {
        for _ in 0..clients {
            let (next, accepted, bodies, url) = (next.clone(), accepted.clone(), bodies.clone(), node.url.clone());
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                match push_batch(&url, body) {
                    Ok(ok) => {
                        accepted.fetch_add(ok, Ordering::Relaxed);
                    }
                    Err(e) => eprintln!("push failed: {e:#}"),
                }
            });
        }
    });
    let push_secs = t0.elapsed().as_secs_f64();
    let client_cpu_secs = cpu_secs("self") - client_cpu0;
    let accepted = accepted.load(Ordering::Relaxed);
    if accepted == 0 {
        bail!("the node accepted none of the transfers");
    }

    // Walk the irreversible blocks until every accepted transfer is found.
    let mut included = 0u64;
    let mut num = start_num + 1;
    let deadline = Instant::now() + Duration::from_secs(600);
    while included < accepted {
        if Instant::now() > deadline {
            bail!("only {included} of {accepted} transfers became irreversible");
        }
        let (_, lib) = head_and_lib(&node.url).unwrap_or((0, 0));
        if num > lib {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        while num <= lib && included < accepted {
            let b = post_json(&node.url, "/v1/chain/get_block", &format!("{{\"block_num_or_id\":{num}}}"))?;
            let n = b["transactions"].as_array().map_or(0, |t| t.len()) as u64;
            included += n;
            num += 1;
        }
    }
    let last_block = num - 1;
    let samples = watcher.stop();
    let Some(&(_, at, node_cpu)) = samples.iter().find(|(lib, _, _)| *lib >= last_block) else {
        bail!("the LIB watcher never saw block {last_block} irreversible");
    };
    Ok(PushFigures {
        node_cpu_secs: node_cpu - node_cpu0,
        client_cpu_secs,
        pushed: transfers,
        accepted,
        included,
        secs: at.as_secs_f64(),
        push_secs,
        blocks: num - start_num - 1,
    })
}

/// A thread polling `get_info` every 10 ms, recording when each new LIB was first seen and the
/// node's CPU seconds then.
struct LibWatcher {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(u32, Duration, f64)>>,
}

impl LibWatcher {
    fn start(url: String, pid: String, t0: Instant) -> LibWatcher {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut samples: Vec<(u32, Duration, f64)> = vec![];
            while !flag.load(Ordering::Relaxed) {
                if let Some((_, lib)) = head_and_lib(&url) {
                    if samples.last().is_none_or(|s| s.0 < lib) {
                        samples.push((lib, t0.elapsed(), cpu_secs(&pid)));
                    }
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            samples
        });
        LibWatcher { stop, thread }
    }

    fn stop(self) -> Vec<(u32, Duration, f64)> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}
