//! One `civitas` node run as a real process for an end-to-end test: its data directory under
//! `out/e2e/<test>/`, ports reserved for it, its log captured to a file, HTTP probes, signals. The process
//! is killed when the [`TestNode`] is dropped, so a failing test never leaves a node behind.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod hostile;

// The HTTP probes are the ones the localnet tests use (tests/common); a test binary using this
// module declares `mod common;` too.
use crate::common::{agent, reserve_ports};
pub use crate::common::{wait_for, Info};
use civitas_node::ports::PortBlock;

/// Start-up (keystore decryption, state restore) on a loaded 2-core machine stays well within this.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A node's data directory and, while it runs, its process.
pub struct TestNode {
    /// `out/e2e/<test>`: the node's directory, logs and scratch files.
    pub root: PathBuf,
    /// The data directory.
    pub dir: PathBuf,
    pub http_port: u16,
    pub p2p_port: u16,
    /// Holds `http_port` and `p2p_port` for this node for as long as it may run.
    _ports: PortBlock,
    child: Option<Child>,
    /// Starts so far; each start logs to its own file.
    runs: u32,
}

impl TestNode {
    /// Wipes `out/e2e/<test>` and runs `civitas init` there: a new single-producer chain whose
    /// producer (`producer1`) holds the new key, with a password file.
    pub fn init(test: &str) -> TestNode {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("out").join("e2e").join(test);
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let password = root.join("password");
        std::fs::write(&password, "e2e test password\n").unwrap();
        let dir = root.join("node");
        let out = Command::new(env!("CARGO_BIN_EXE_civitas"))
            .args(["init", "--dir"])
            .arg(&dir)
            .arg("--password-file")
            .arg(&password)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "civitas init failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let ports = reserve_ports();
        let (http_port, p2p_port) = (ports.port(0), ports.port(1));
        TestNode { root, dir, http_port, p2p_port, _ports: ports, child: None, runs: 0 }
    }

    /// Sets `key = value` (TOML) in `config.toml`, replacing the line `civitas init` wrote.
    pub fn set_config(&self, key: &str, value: &str) {
        let path = self.dir.join("config.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let prefix = format!("{key} = ");
        assert!(text.lines().any(|l| l.starts_with(&prefix)), "config.toml has no `{key}` line:\n{text}");
        let lines: Vec<String> = text
            .lines()
            .map(|l| if l.starts_with(&prefix) { format!("{key} = {value}") } else { l.to_string() })
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }

    /// The API's base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// The P2P listen address.
    pub fn p2p_addr(&self) -> String {
        format!("127.0.0.1:{}", self.p2p_port)
    }

    /// The log file of the current (or last) start.
    pub fn log_path(&self) -> PathBuf {
        self.root.join(format!("node-{}.log", self.runs))
    }

    /// The current start's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts `civitas node run` with the test's ports and password, plus `extra` arguments;
    /// stdout and stderr go to a new log file.
    pub fn spawn(&mut self, extra: &[&str]) {
        assert!(self.child.is_none(), "the node is already running");
        self.runs += 1;
        let log = File::create(self.log_path()).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_civitas"))
            .args(["node", "run", "--dir"])
            .arg(&self.dir)
            .args(["--p2p", &self.p2p_addr(), "--http", &format!("127.0.0.1:{}", self.http_port)])
            .arg("--password-file")
            .arg(self.root.join("password"))
            .args(extra)
            // The assertions read info and warn lines; a RUST_LOG of the caller must not hide them.
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// Starts the node and waits until its API answers.
    pub fn start(&mut self, extra: &[&str]) -> Info {
        self.spawn(extra);
        self.wait_ready()
    }

    /// Waits until the API answers `get_info`; panics (with the log) if the process exits first.
    pub fn wait_ready(&mut self) -> Info {
        let t0 = Instant::now();
        loop {
            if let Some(i) = self.info() {
                return i;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                self.child = None;
                panic!("the node exited during start-up ({status}); {}:\n{}", self.log_path().display(), self.log());
            }
            assert!(
                t0.elapsed() < START_TIMEOUT,
                "the node's API did not answer within {START_TIMEOUT:?}; {}:\n{}",
                self.log_path().display(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs the node in the foreground, expecting it to refuse to start: returns its exit status
    /// and everything it printed. Panics if its API comes up.
    pub fn run_expecting_failure(&mut self, extra: &[&str]) -> (ExitStatus, String) {
        self.spawn(extra);
        let t0 = Instant::now();
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return (status, self.log());
            }
            assert!(self.info().is_none(), "the node started, but it had to refuse; log:\n{}", self.log());
            assert!(t0.elapsed() < START_TIMEOUT, "the node neither started nor exited; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn signal(&mut self, sig: libc::c_int) -> ExitStatus {
        let mut child = self.child.take().expect("the node is running");
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own unreaped child.
        unsafe {
            libc::kill(child.id() as libc::pid_t, sig);
        }
        let t0 = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if t0.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the node did not exit within 30 s of signal {sig}; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Simulates a crash: SIGKILL, and waits until the process is gone.
    pub fn kill9(&mut self) {
        self.signal(libc::SIGKILL);
    }

    /// A clean stop: SIGTERM; returns the exit status.
    pub fn term(&mut self) -> ExitStatus {
        self.signal(libc::SIGTERM)
    }

    /// POSTs `body` to `path` and parses the JSON answer of a 200.
    pub fn post(&self, path: &str, body: &str) -> Option<Value> {
        crate::common::post(&self.url(), path, body).filter(|(status, _)| *status == 200).map(|(_, v)| v)
    }

    /// `get_info`, or `None` while the API does not answer.
    pub fn info(&self) -> Option<Info> {
        crate::common::info(&self.url())
    }

    /// The id of block `num` on the node's chain.
    pub fn block_id(&self, num: u32) -> Option<String> {
        crate::common::block_id(&self.url(), num)
    }

    /// A Prometheus metric without labels from `/metrics`.
    pub fn metric(&self, name: &str) -> Option<u64> {
        let mut r = agent().get(format!("{}/metrics", self.url())).call().ok()?;
        let text = r.body_mut().read_to_string().ok()?;
        text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse::<f64>().ok().map(|v| v as u64))
    }

    /// Waits until the head passes `above`: the node is producing.
    pub fn wait_head_beyond(&self, above: u32, timeout: Duration) -> Info {
        wait_for(timeout, &format!("the head to pass {above}"), || self.info().filter(|i| i.head > above))
    }

    /// Waits for a line of the current log that satisfies `pred`, and returns it.
    pub fn wait_log_line(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            if let Some(l) = self.log().lines().find(|l| pred(l)) {
                return l.to_string();
            }
            assert!(
                t0.elapsed() < timeout,
                "no log line about {what} within {timeout:?}; {}:\n{}",
                self.log_path().display(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
