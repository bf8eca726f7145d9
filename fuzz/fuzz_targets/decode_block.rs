//! Untrusted bytes as a signed block, as a node receives them from peers: decode, compute the
//! id and recover the producer's key. Nothing may panic, and whatever decodes must re-encode
//! to the same bytes.
#![no_main]

use civitas_protocol::{Checksum256, Pack, SignedBlock, Unpack};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(block) = SignedBlock::unpack_exact(data) else {
        return;
    };
    assert_eq!(block.packed(), data, "decoding is canonical");
    let _ = block.id();
    let _ = block.signer(&Checksum256([7; 32]));
});
