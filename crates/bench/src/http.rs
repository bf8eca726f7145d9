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

use crate::nodes::{free_port, head_and_lib, wait, NodeProcess};

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
    let http = free_port()?;
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
    std::thread::scope(|s| {
        for _ in 0..clients {
            let (next, accepted, bodies, url) = (next.clone(), accepted.clone(), bodies.clone(), node.url.clone());
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                match post_json(&url, "/v1/chain/push_transactions", body) {
                    Ok(serde_json::Value::Array(results)) => {
                        let ok = results.iter().filter(|r| r["processed"]["except"].is_null()).count();
                        accepted.fetch_add(ok as u64, Ordering::Relaxed);
                    }
                    Ok(other) => eprintln!("push failed: {}", other.to_string().chars().take(300).collect::<String>()),
                    Err(e) => eprintln!("push failed: {e}"),
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
    let mut last_time = t0.elapsed();
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
        let seen = t0.elapsed();
        while num <= lib && included < accepted {
            let b = post_json(&node.url, "/v1/chain/get_block", &format!("{{\"block_num_or_id\":{num}}}"))?;
            let n = b["transactions"].as_array().map_or(0, |t| t.len()) as u64;
            included += n;
            num += 1;
        }
        last_time = seen;
    }
    let node_cpu_secs = cpu_secs(&node_pid) - node_cpu0;
    Ok(PushFigures {
        node_cpu_secs,
        client_cpu_secs,
        pushed: transfers,
        accepted,
        included,
        secs: last_time.as_secs_f64(),
        push_secs,
        blocks: num - start_num - 1,
    })
}
