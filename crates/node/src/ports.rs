//! Blocks of TCP ports on 127.0.0.1 reserved across processes, for the node processes that
//! tests and benchmarks start.
//!
//! A port found free by binding port 0 and closing the socket is an ephemeral port: until the
//! child process binds it, any process's outgoing connection may be given it, and another test
//! may find it free too. So blocks are taken *below* the kernel's ephemeral range (read from
//! `/proc/sys/net/ipv4/ip_local_port_range`), where outgoing connections never get a port, and
//! each block is claimed with an exclusive `flock` on its own lock file under the system's
//! temporary directory. The lock lives as long as the [`PortBlock`]; a block whose lock is held
//! by any process (another test binary, a second `cargo test`) is skipped, and so is one in
//! which any port cannot be bound (a `civitas localnet up` or another program listening there).

use std::fs::{File, OpenOptions};
use std::io;
use std::ops::{Range, RangeInclusive};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Ports in one block: room for a local network of up to 100 nodes laid out as `localnet`
/// does it (HTTP on `base + i`, P2P on `base + 100 + i`).
pub const BLOCK_LEN: u16 = 200;

/// The lowest port handed out: well above the privileged ports and the usual development
/// servers (8000–9999, where `localnet up` puts its defaults).
pub const LOWEST_PORT: u16 = 10_000;

/// Linux's default ephemeral range, assumed where the kernel's cannot be read.
const DEFAULT_EPHEMERAL: RangeInclusive<u16> = 32_768..=60_999;

/// A block of consecutive ports reserved for this process until it is dropped.
#[derive(Debug)]
pub struct PortBlock {
    base: u16,
    len: u16,
    // Held open for the flock; closing it releases the block.
    _lock: File,
}

impl PortBlock {
    /// The first port.
    pub fn base(&self) -> u16 {
        self.base
    }

    /// The `i`-th port of the block. Panics if `i` is outside the block: that is a bug in the
    /// caller's port layout, not a condition of the machine.
    pub fn port(&self, i: u16) -> u16 {
        assert!(i < self.len, "port {i} of a block of {} ports", self.len);
        self.base + i
    }

    /// Every port of the block.
    pub fn ports(&self) -> Range<u16> {
        self.base..self.base + self.len
    }
}

/// Reserves a block of [`BLOCK_LEN`] ports below the ephemeral range, each of which can be
/// bound on 127.0.0.1 right now.
pub fn reserve() -> io::Result<PortBlock> {
    let eph = ephemeral_range();
    Allocator {
        lock_dir: std::env::temp_dir().join("civitas-ports"),
        range: usable_range(&eph),
        block_len: BLOCK_LEN,
        start: spread_start(),
    }
    .reserve()
    .map_err(|e| {
        io::Error::new(e.kind(), format!("{e} (the kernel's ephemeral ports are {}–{})", eph.start(), eph.end()))
    })
}

/// The kernel's ephemeral port range (where outgoing connections get their local port).
pub fn ephemeral_range() -> RangeInclusive<u16> {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| parse_port_range(&t))
        .unwrap_or(DEFAULT_EPHEMERAL)
}

/// Parses the two numbers of `ip_local_port_range` ("32768\t60999\n").
fn parse_port_range(text: &str) -> Option<RangeInclusive<u16>> {
    let mut it = text.split_whitespace().map(str::parse::<u16>);
    let (lo, hi) = (it.next()?.ok()?, it.next()?.ok()?);
    (lo <= hi && it.next().is_none()).then_some(lo..=hi)
}

/// Where blocks are taken: from [`LOWEST_PORT`] up to the ephemeral range, or above it when
/// the kernel's range starts too low to leave room for a few blocks.
fn usable_range(eph: &RangeInclusive<u16>) -> Range<u32> {
    let below = u32::from(LOWEST_PORT)..u32::from(*eph.start());
    let above = (u32::from(*eph.end()) + 1).max(u32::from(LOWEST_PORT))..65_536;
    let room = |r: &Range<u32>| r.end.saturating_sub(r.start);
    if room(&below) >= 4 * u32::from(BLOCK_LEN) || room(&below) >= room(&above) {
        below
    } else {
        above
    }
}

/// Where this process starts looking: different processes (and successive calls in one) start
/// at different blocks, so they rarely try the same lock first.
fn spread_start() -> usize {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    (std::process::id() as usize).wrapping_mul(7).wrapping_add(CALLS.fetch_add(1, Ordering::Relaxed))
}

/// Reserves blocks of `block_len` ports in `range`, with lock files in `lock_dir`.
#[derive(Debug, Clone)]
struct Allocator {
    lock_dir: PathBuf,
    range: Range<u32>,
    block_len: u16,
    /// Index of the first block tried (modulo the number of blocks).
    start: usize,
}

impl Allocator {
    fn reserve(&self) -> io::Result<PortBlock> {
        let len = u32::from(self.block_len);
        let blocks = (self.range.end.saturating_sub(self.range.start) / len.max(1)) as usize;
        if blocks == 0 || len == 0 {
            return Err(io::Error::other(format!(
                "no room for a block of {len} ports in {}–{}",
                self.range.start,
                self.range.end.saturating_sub(1)
            )));
        }
        if !self.lock_dir.is_dir() {
            std::fs::create_dir_all(&self.lock_dir)?;
            // Shared like /tmp (sticky, writable by all), so another user's tests can add
            // their lock files; failing that, they still take the existing ones read-only.
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.lock_dir, std::fs::Permissions::from_mode(0o1777));
        }
        for k in 0..blocks {
            let index = (self.start + k) % blocks;
            // Both fit in u16: the range ends at 65536 at most.
            let base = (self.range.start + index as u32 * len) as u16;
            let Some(lock) = try_lock(&self.lock_dir.join(format!("ports-{base}.lock"))) else { continue };
            if (base..=base + (self.block_len - 1)).all(bindable) {
                return Ok(PortBlock { base, len: self.block_len, _lock: lock });
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "no free block of {len} ports in {}–{}: every block is locked by another process or has a port in use \
                 (locks in {})",
                self.range.start,
                self.range.end - 1,
                self.lock_dir.display()
            ),
        ))
    }
}

/// The lock file, exclusively locked, or `None` if another open file holds its lock (or it
/// cannot be opened at all).
fn try_lock(path: &Path) -> Option<File> {
    // flock needs no write access: another user's lock file is locked through a read-only open.
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .or_else(|_| File::open(path))
        .ok()?;
    // SAFETY: flock(2) on a descriptor we own; no memory is passed.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    (r == 0).then_some(file)
}

/// True if a listener can be bound on 127.0.0.1:`port` now (with `SO_REUSEADDR`, as the
/// node's listeners are, so a port held only by connections in TIME_WAIT counts as free).
pub fn bindable(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::net::TcpListener;
    use std::sync::{Arc, Barrier};

    /// An allocator of 20-port blocks inside a block reserved for real, with its own lock
    /// directory: the test owns every port it hands out.
    fn inner(outer: &PortBlock, locks: &Path) -> Allocator {
        let r = outer.ports();
        Allocator { lock_dir: locks.into(), range: u32::from(r.start)..u32::from(r.end), block_len: 20, start: 0 }
    }

    #[test]
    fn the_kernel_range_is_parsed_and_blocks_sit_below_it() {
        assert_eq!(parse_port_range("32768\t60999\n"), Some(32768..=60999));
        assert_eq!(parse_port_range("1024 65535"), Some(1024..=65535));
        for bad in ["", "32768", "x 60999", "60999 32768", "1 2 3", "70000 80000"] {
            assert_eq!(parse_port_range(bad), None, "{bad:?}");
        }
        assert_eq!(usable_range(&(32768..=60999)), 10_000..32_768);
        // A range starting low leaves the ports above it.
        assert_eq!(usable_range(&(1024..=49151)), 49_152..65_536);
        let block = reserve().unwrap();
        let eph = ephemeral_range();
        assert!(block.ports().all(|p| p >= LOWEST_PORT && !eph.contains(&p)), "{block:?} vs {eph:?}");
        assert!(block.ports().all(bindable));
    }

    #[test]
    fn concurrent_reservations_never_overlap() {
        let outer = reserve().unwrap();
        let locks = tempfile::tempdir().unwrap();
        let alloc = inner(&outer, locks.path());
        // Ten threads (ten blocks fit) reserve at once from the same first block, and hold on
        // until all are done.
        let barrier = Arc::new(Barrier::new(10));
        let handles: Vec<_> = (0..10)
            .map(|_| {
                let (alloc, barrier) = (alloc.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let b = alloc.reserve();
                    barrier.wait();
                    b
                })
            })
            .collect();
        let held: Vec<PortBlock> = handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
        let ports: BTreeSet<u16> = held.iter().flat_map(PortBlock::ports).collect();
        assert_eq!(ports.len(), 200, "ten blocks of 20 must not share a port");
        assert!(alloc.reserve().is_err(), "every block is held");
        drop(held);
        assert!(alloc.reserve().is_ok(), "dropping a block releases it");
    }

    #[test]
    fn a_block_held_here_is_refused_to_another_process() {
        let block = reserve().unwrap();
        let lock = std::env::temp_dir().join("civitas-ports").join(format!("ports-{}.lock", block.base()));
        let path = std::ffi::CString::new(lock.to_str().unwrap()).unwrap();
        let try_in_child = || -> bool {
            let mut fds = [0; 2];
            // SAFETY: pipe(2) fills the array we pass.
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            // SAFETY: the child calls only async-signal-safe functions (open, flock, write,
            // _exit) on memory prepared before the fork.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0);
            if pid == 0 {
                // SAFETY: as above: no allocation, no locks, only system calls.
                unsafe {
                    let fd = libc::open(path.as_ptr(), libc::O_RDWR);
                    let got = u8::from(fd >= 0 && libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) == 0);
                    libc::write(fds[1], (&got as *const u8).cast(), 1);
                    libc::_exit(0);
                }
            }
            let mut got = 0u8;
            // SAFETY: reading one byte into a local; waiting for our own child.
            unsafe {
                libc::close(fds[1]);
                assert_eq!(libc::read(fds[0], (&mut got as *mut u8).cast(), 1), 1);
                libc::close(fds[0]);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            got == 1
        };
        assert!(!try_in_child(), "another process must not get the lock of a held block");
        drop(block);
        assert!(try_in_child(), "the lock is free once the block is dropped");
    }

    #[test]
    fn a_block_with_a_port_in_use_is_skipped() {
        let outer = reserve().unwrap();
        let locks = tempfile::tempdir().unwrap();
        let alloc = inner(&outer, locks.path());
        let _busy = TcpListener::bind(("127.0.0.1", outer.port(7))).unwrap();
        let b = alloc.reserve().unwrap();
        assert_eq!(b.base(), outer.port(20), "the first block has a port in use");
        // With a listener in every other block too, nothing is left.
        let _others: Vec<TcpListener> =
            (2..10).map(|k| TcpListener::bind(("127.0.0.1", outer.port(k * 20 + 3))).unwrap()).collect();
        let e = alloc.reserve().unwrap_err();
        assert!(e.to_string().starts_with("no free block of 20 ports in"), "{e}");
    }
}
