//! Signature recovery throughput on one and on all cores.

use std::time::Instant;

use civitas_protocol::{sha256, PrivateKey, Signature};

/// Recoveries per second on `threads` threads (each recovers `per_thread` signatures).
pub fn recoveries_per_second(threads: usize, per_thread: usize) -> f64 {
    // 256 distinct keys and digests, cycled, as in research/perf.md.
    let sigs: Vec<(civitas_protocol::Checksum256, Signature)> = (0..256u32)
        .map(|i| {
            let k = PrivateKey::from_seed(&format!("bench-{i}"));
            let d = sha256(&i.to_le_bytes());
            (d, k.sign(&d))
        })
        .collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let sigs = &sigs;
            s.spawn(move || {
                let mut ok = 0usize;
                for i in 0..per_thread {
                    let (d, sig) = &sigs[(i + t * 7) % sigs.len()];
                    ok += usize::from(sig.recover(d).is_ok());
                }
                assert_eq!(ok, per_thread, "every benchmark signature recovers");
            });
        }
    });
    crate::rate((threads * per_thread) as u64, start.elapsed())
}
