//! Running a `civitas localnet` from a test: real processes, real sockets, real disks.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use civitas_chain::contracts::token::Transfer;
use civitas_node::ports::PortBlock;
use civitas_protocol::{
    Action, Asset, Bytes, Checksum256, Name, Pack, PermissionLevel, PrivateKey, TimePoint, TimePointSec, Transaction,
};
use serde_json::Value;

/// The binary under test.
pub fn civitas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_civitas"))
}

/// A scratch directory under the repository's ignored `out/` folder (kept after a failure, so
/// the node logs can be read).
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("out").join("e2e").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Polls `f` until it returns `Some`, or panics after `timeout` naming `what`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let t0 = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if t0.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An HTTP client with a short timeout that reports every status as a response.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// POSTs JSON and returns (status, body).
pub fn post(url: &str, path: &str, body: &str) -> Option<(u16, Value)> {
    let mut r = agent().post(format!("{url}{path}")).send(body).ok()?;
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().ok()?;
    Some((status, serde_json::from_str(&text).ok()?))
}

/// Head and LIB of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub head: u32,
    pub lib: u32,
    pub head_id: String,
    pub lib_id: String,
    pub chain_id: String,
    pub head_time: String,
}

/// `get_info` of the node at `url`.
pub fn info(url: &str) -> Option<Info> {
    let (status, v) = post(url, "/v1/chain/get_info", "{}")?;
    if status != 200 {
        return None;
    }
    Some(Info {
        head: v["head_block_num"].as_u64()? as u32,
        lib: v["last_irreversible_block_num"].as_u64()? as u32,
        head_id: v["head_block_id"].as_str()?.to_string(),
        lib_id: v["last_irreversible_block_id"].as_str()?.to_string(),
        chain_id: v["chain_id"].as_str()?.to_string(),
        head_time: v["head_block_time"].as_str()?.to_string(),
    })
}

/// The id of block `num` as the node at `url` serves it.
pub fn block_id(url: &str, num: u32) -> Option<String> {
    let (status, v) = post(url, "/v1/chain/get_block", &format!("{{\"block_num_or_id\":{num}}}"))?;
    (status == 200).then(|| v["id"].as_str().map(str::to_string)).flatten()
}

/// A block of ports reserved for this test across processes (see `civitas_node::ports`), held
/// until dropped.
pub fn reserve_ports() -> PortBlock {
    civitas_node::ports::reserve().unwrap_or_else(|e| panic!("reserving ports for the test: {e}"))
}

/// A local network started with `civitas localnet up`, stopped when dropped.
pub struct Localnet {
    pub dir: PathBuf,
    pub base: u16,
    pub names: Vec<String>,
    /// Node i uses `base + i` (HTTP) and `base + 100 + i` (P2P); the block stays reserved until
    /// the nodes are down (fields drop after `Drop::drop` has run `localnet down`).
    ports: PortBlock,
}

impl Localnet {
    /// Starts `n` producers (mesh) and waits for irreversible blocks.
    pub fn up(test: &str, n: u16) -> Localnet {
        Self::up_with(test, n, "mesh", true)
    }

    /// Starts `n` producers linked as `topology` (`localnet up --topology`); with `wait`, waits
    /// for irreversible blocks as `localnet up` does, else returns once the processes started.
    pub fn up_with(test: &str, n: u16, topology: &str, wait: bool) -> Localnet {
        let dir = scratch(test).join("net");
        let ports = reserve_ports();
        let base = ports.base();
        let mut cmd = civitas();
        cmd.args(["localnet", "up", "--producers", &n.to_string(), "--base-port", &base.to_string()])
            .args(["--topology", topology, "--dir"])
            .arg(&dir);
        if wait {
            cmd.args(["--wait-secs", "120"]);
        } else {
            cmd.arg("--no-wait");
        }
        let out = cmd.output().unwrap();
        let plan: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("localnet.json")).unwrap_or_default())
            .unwrap_or(Value::Null);
        let names = plan["nodes"]
            .as_array()
            .map(|a| a.iter().map(|n| n["name"].as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let net = Localnet { dir, base, names, ports };
        assert!(
            out.status.success(),
            "localnet up failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        net
    }

    /// Ports for the `k`-th extra node a test runs beside the network (HTTP, P2P), from the
    /// network's reserved block, above those of its nodes.
    pub fn spare_ports(&self, k: u16) -> (u16, u16) {
        assert!(self.names.len() + usize::from(k) < 100, "no spare port {k} beside {} nodes", self.names.len());
        (self.ports.port(99 - k), self.ports.port(199 - k))
    }

    /// `localnet status --json` of the network.
    pub fn status(&self) -> Value {
        let out = civitas().args(["localnet", "status", "--json", "--dir"]).arg(&self.dir).output().unwrap();
        assert!(out.status.success(), "localnet status: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Node `i`'s API.
    pub fn url(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.base + i as u16)
    }

    /// Node `i`'s data directory.
    pub fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.join("nodes").join(&self.names[i])
    }

    /// Node `i`'s pid, if running.
    pub fn pid(&self, i: usize) -> Option<u32> {
        std::fs::read_to_string(self.node_dir(i).join("node.pid")).ok()?.trim().parse().ok()
    }

    /// Node `i`'s `get_info`.
    pub fn info(&self, i: usize) -> Option<Info> {
        info(&self.url(i))
    }

    /// Kills node `i` with SIGKILL and waits until it is gone.
    pub fn kill9(&self, i: usize) {
        let pid = self.pid(i).expect("running");
        // SAFETY: kill(2) has no memory-safety preconditions.
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
        wait_for(Duration::from_secs(10), "the killed node to exit", || {
            // SAFETY: as above; signal 0 only checks existence.
            let gone = unsafe { libc::kill(pid as i32, 0) } != 0
                || std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z"));
            gone.then_some(())
        });
    }

    /// Starts every stopped node (`localnet up --no-wait`).
    pub fn start_stopped(&self) {
        let out = civitas().args(["localnet", "up", "--no-wait", "--dir"]).arg(&self.dir).output().unwrap();
        assert!(out.status.success(), "restart failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The log of node `i`.
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.node_dir(i).join("node.log")).unwrap_or_default()
    }

    /// The private key of a genesis account, from `accounts.json`.
    pub fn key(&self, account: &str) -> PrivateKey {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(self.dir.join("accounts.json")).unwrap()).unwrap();
        let a = v.as_array().unwrap().iter().find(|a| a["name"] == account).expect("account listed");
        a["private_key"].as_str().unwrap().parse().unwrap()
    }

    /// The genesis file.
    pub fn genesis_path(&self) -> PathBuf {
        self.dir.join("genesis.json")
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let _ = civitas().args(["localnet", "down", "--dir"]).arg(&self.dir).output();
    }
}

/// Signs a transfer of `units` (4 decimals) CIV and pushes it to `url`; returns the HTTP
/// status and the answer.
pub fn push_transfer(
    url: &str,
    from: &str,
    key: &PrivateKey,
    to: &str,
    units: i64,
    memo: &str,
) -> Option<(u16, Value)> {
    push_transfer_with_cfd(url, from, key, to, units, memo, &[])
}

/// [`push_transfer`] carrying `context_free_data` (signed over, as Antelope does).
pub fn push_transfer_with_cfd(
    url: &str,
    from: &str,
    key: &PrivateKey,
    to: &str,
    units: i64,
    memo: &str,
    context_free_data: &[Bytes],
) -> Option<(u16, Value)> {
    let packed = signed_transfer(url, from, key, to, units, memo, context_free_data)?;
    post(url, "/v1/chain/push_transaction", &serde_json::to_string(&packed).ok()?)
}

/// A transfer signed by `key` over `context_free_data`, with TAPOS on the node's LIB.
pub fn signed_transfer(
    url: &str,
    from: &str,
    key: &PrivateKey,
    to: &str,
    units: i64,
    memo: &str,
    context_free_data: &[Bytes],
) -> Option<civitas_protocol::PackedTransaction> {
    let from: Name = from.parse().ok()?;
    let args = Transfer {
        from,
        to: to.parse().ok()?,
        quantity: Asset::new(units, "4,CIV".parse().ok()?).ok()?,
        memo: memo.into(),
    };
    let action = Action {
        account: Name::constant("eosio.token"),
        name: Name::constant("transfer"),
        authorization: vec![PermissionLevel::new(from, Name::constant("active"))],
        data: Bytes(args.packed()),
    };
    signed_actions(url, vec![action], &[key], context_free_data)
}

/// `actions` in one transaction signed by `keys` (over `context_free_data`), with TAPOS on the
/// node's LIB and two minutes to expire.
pub fn signed_actions(
    url: &str,
    actions: Vec<Action>,
    keys: &[&PrivateKey],
    context_free_data: &[Bytes],
) -> Option<civitas_protocol::PackedTransaction> {
    let i = info(url)?;
    let chain_id: Checksum256 = i.chain_id.parse().ok()?;
    let lib_id: Checksum256 = i.lib_id.parse().ok()?;
    let head_time: TimePoint = i.head_time.parse().ok()?;
    let trx = Transaction::new(TimePointSec((head_time.millis() / 1000 + 120) as u32), &lib_id, actions);
    Some(trx.sign_with_context_free_data(&chain_id, keys, context_free_data))
}

/// Signs `actions` with `keys` and pushes them to `url`; returns the HTTP status and answer.
pub fn push_actions(url: &str, actions: Vec<Action>, keys: &[&PrivateKey]) -> Option<(u16, Value)> {
    let packed = signed_actions(url, actions, keys, &[])?;
    post(url, "/v1/chain/push_transaction", &serde_json::to_string(&packed).ok()?)
}
