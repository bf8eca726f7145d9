//! Memory amplification probe for the message decoder, in its own test binary because it
//! installs a counting global allocator.
//!
//! A decoder reachable from the network must not allocate much more than the frame it is
//! given. A declared length is checked against the bytes that remain (one byte per element),
//! but an element's in-memory size can be hundreds of times its minimum encoding, so reserving
//! `n` elements up front let a 16 MiB `Block` frame declaring 16 Mi evidence entries ask for
//! about 11 GB at once (an allocation failure aborts the process). `Vec<T>::unpack` now caps its
//! initial reservation; this test keeps it that way.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use civitas_network::Message;
use civitas_protocol::block::BlockHeader;
use civitas_protocol::codec::write_varuint32;
use civitas_protocol::{Checksum256, Name, Pack, PrivateKey, SignedBlock};

struct PeakAlloc;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// The largest single allocation while decoding `bytes`.
fn largest_allocation(bytes: &[u8]) -> usize {
    LARGEST.store(0, Ordering::Relaxed);
    let _ = Message::decode(bytes);
    LARGEST.load(Ordering::Relaxed)
}

fn minimal_block() -> Vec<u8> {
    let header = BlockHeader {
        previous: Checksum256::ZERO,
        block_num: 1,
        slot: 1,
        producer: Name::constant("bp"),
        schedule_version: 0,
        votes: vec![],
        new_schedule: None,
        transaction_mroot: Checksum256::ZERO,
        state_root: Checksum256::ZERO,
        evidence_root: Checksum256::ZERO,
        approvals_root: Checksum256::ZERO,
        header_extensions: vec![],
    };
    SignedBlock::sign(header, vec![], &Checksum256::ZERO, &PrivateKey::from_seed("bp")).packed()
}

/// A `Block` message whose second-to-last body vector (the evidence list) declares `n`
/// elements, followed by `n` zero bytes.
fn hostile_block(n: u32) -> Vec<u8> {
    let block = minimal_block();
    let mut out = Vec::new();
    write_varuint32(&mut out, 1);
    out.extend_from_slice(&block[..block.len() - 2]);
    write_varuint32(&mut out, n);
    out.resize(out.len() + n as usize, 0);
    out
}

/// A `Transaction` message whose signature list declares `n` elements.
fn hostile_transaction(n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    write_varuint32(&mut out, 2);
    write_varuint32(&mut out, n);
    out.resize(out.len() + n as usize, 0);
    out
}

#[test]
fn decoding_allocates_at_most_a_small_multiple_of_the_frame() {
    // 1 MiB frames: small enough that an uncapped reservation (~650 MB) would still be granted,
    // so a regression fails on the assertion rather than aborting.
    for msg in [hostile_block(1 << 20), hostile_transaction(1 << 20)] {
        let peak = largest_allocation(&msg);
        assert!(peak <= 8 * msg.len() + (64 << 10), "a {}-byte frame asked for {peak} bytes at once", msg.len());
    }
}

#[test]
fn a_valid_block_message_decodes_within_the_bound() {
    let mut msg = Vec::new();
    write_varuint32(&mut msg, 1);
    msg.extend_from_slice(&minimal_block());
    assert!(Message::decode(&msg).is_ok());
    assert!(largest_allocation(&msg) <= 8 * msg.len() + (64 << 10));
}
