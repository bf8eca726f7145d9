//! Untrusted bytes as a packed (signed) transaction, as a node receives them from peers and from
//! `push_transaction`: decode, open (inflating at most 64 KiB), read the context-free data and
//! verify the signatures. Nothing may panic, and whatever decodes must re-encode to the same
//! bytes.
#![no_main]

use civitas_protocol::{Checksum256, Pack, PackedTransaction, Unpack, VerifiedTransaction};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(packed) = PackedTransaction::unpack_exact(data) else {
        return;
    };
    assert_eq!(packed.packed(), data, "decoding is canonical");
    if let Ok((trx, raw)) = packed.unpack_trx(LIMIT) {
        assert_eq!(trx.packed(), raw, "a decoded transaction re-encodes to its bytes");
        let _ = trx.id();
    }
    let _ = packed.context_free_data(LIMIT);
    let _ = VerifiedTransaction::verify(&Checksum256([7; 32]), packed, LIMIT);
});
