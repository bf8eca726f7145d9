//! The threads that recover transaction signatures for the API: one per core, started on first
//! use, fed through one queue. Recovery is the bulk of a push's CPU (~35 µs a signature), so it
//! must leave the async threads; tokio's blocking pool would start a thread for every chunk in
//! flight (hundreds under a few concurrent `push_transactions` batches), each with its own
//! allocator heap of fresh pages to fault in, where a fixed set of threads reuses its memory.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Items per job: small enough that one batch spreads over every thread (and concurrent
/// batches interleave), large enough that queueing costs nothing next to the recoveries.
const CHUNK: usize = 32;

type Job = Box<dyn FnOnce() + Send>;

/// The queue of the verification threads (started with it).
fn queue() -> &'static Sender<Job> {
    static QUEUE: OnceLock<Sender<Job>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let rx = rx.clone();
            let started = std::thread::Builder::new().name(format!("verify-{i}")).spawn(move || work(&rx));
            if let Err(e) = started {
                // With no thread at all, jobs are dropped and callers get an error, not a hang.
                tracing::error!("could not start a signature verification thread: {e}");
            }
        }
        tx
    })
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        // A panicking job drops its result channel, which its caller reports; the thread lives on.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

/// `items` mapped through `f` on the verification threads, in order; `None` if a job was lost
/// (it panicked, or no thread could be started).
pub(crate) async fn map<T, R, F>(items: Vec<T>, f: F) -> Option<Vec<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> R + Send + Sync + 'static,
{
    let n = items.len();
    let f = Arc::new(f);
    let mut pending = Vec::with_capacity(n.div_ceil(CHUNK));
    let mut items = items.into_iter();
    loop {
        let chunk: Vec<T> = items.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let f = f.clone();
        let job: Job = Box::new(move || {
            let _ = tx.send(chunk.into_iter().map(|x| f(x)).collect::<Vec<R>>());
        });
        // A send fails only if every thread is gone; the dropped job then reports it below.
        let _ = queue().send(job);
        pending.push(rx);
    }
    let mut out = Vec::with_capacity(n);
    for rx in pending {
        out.extend(rx.await.ok()?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn maps_in_order_across_chunks_and_reports_panics() {
        let out = map((0..1000u32).collect(), |x| x * 2).await.unwrap();
        assert_eq!(out, (0..1000u32).map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(map(Vec::<u32>::new(), |x| x).await.unwrap(), Vec::<u32>::new());
        assert!(map(vec![1u32, 2, 3], |x| if x == 2 { panic!("boom") } else { x }).await.is_none());
        // The threads survive a panicking job.
        assert_eq!(map(vec![5u32], |x| x + 1).await.unwrap(), vec![6]);
    }
}
