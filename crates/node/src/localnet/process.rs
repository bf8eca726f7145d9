//! Starting, finding and stopping node processes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

use super::NodePlan;

/// File holding a running node's process id, in its data directory.
pub const PID_FILE: &str = "node.pid";
/// Log file of a node, in its data directory.
pub const LOG_FILE: &str = "node.log";

/// Signals sent to nodes.
#[derive(Debug, Clone, Copy)]
pub enum Signal {
    /// Ask to stop (a clean shutdown with a final checkpoint).
    Term,
    /// Stop now.
    Kill,
}

/// Sends a signal.
pub fn signal(pid: u32, s: Signal) {
    let sig = match s {
        Signal::Term => libc::SIGTERM,
        Signal::Kill => libc::SIGKILL,
    };
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// True if the process exists (and is not a zombie we could reap).
pub fn alive(pid: u32) -> bool {
    // Reap it if it is our exited child, so it does not linger as a zombie.
    // SAFETY: waitpid with WNOHANG on a pid has no memory-safety preconditions.
    unsafe {
        let mut status = 0;
        libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG);
    }
    // SAFETY: kill with signal 0 only checks for existence.
    let exists = unsafe { libc::kill(pid as libc::pid_t, 0) == 0 };
    if !exists {
        return false;
    }
    // A zombie (exited, not reaped by its parent) counts as stopped.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// The pid of the node running in `dir`, if it is running.
pub fn running_pid(dir: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(dir.join(PID_FILE)).ok()?.trim().parse().ok()?;
    if !alive(pid) {
        return None;
    }
    // The pid may have been reused by another program: check it is a civitas node of `dir`.
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let dir_str = dir.to_string_lossy();
    let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    args.iter().any(|a| a == dir_str.as_ref()).then_some(pid)
}

/// The first port of `nodes` (name, HTTP port, P2P port) that cannot be bound now, said as
/// "port 9889 (P2P of node bravo) is already in use".
pub fn taken_port<'a>(nodes: impl IntoIterator<Item = (&'a str, u16, u16)>) -> Option<String> {
    nodes.into_iter().find_map(|(name, http, p2p)| {
        [(http, "HTTP"), (p2p, "P2P")]
            .into_iter()
            .find(|(port, _)| !crate::ports::bindable(*port))
            .map(|(port, what)| format!("port {port} ({what} of node {name}) is already in use"))
    })
}

/// Starts `civitas node run` for a node, in the background, logging to its data directory.
pub fn start(exe: &PathBuf, n: &NodePlan) -> anyhow::Result<u32> {
    use std::os::unix::process::CommandExt;
    let log_path = n.dir.join(LOG_FILE);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let child = Command::new(exe)
        .arg("node")
        .arg("run")
        .arg("--dir")
        .arg(&n.dir)
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: Ctrl-C in the terminal that ran `localnet up` must not stop it.
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let pid = child.id();
    std::fs::write(n.dir.join(PID_FILE), format!("{pid}\n"))?;
    Ok(pid)
}
