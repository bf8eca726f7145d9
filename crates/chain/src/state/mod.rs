//! The chain state: a row store with undo and commitment, plus typed access helpers.

mod kv;

pub use kv::{Kv, RowKey, Space};

use civitas_protocol::codec::{Pack, Unpack};

/// Reads and decodes a row. Rows are written only by this crate, so a row that does not decode
/// is a broken invariant, not bad input.
pub fn get<T: Unpack>(kv: &Kv, key: &RowKey) -> Option<T> {
    kv.get(key).map(|b| T::unpack_exact(b).unwrap_or_else(|e| panic!("corrupt state row {key:?}: {e}")))
}

/// Encodes and writes a row.
pub fn put<T: Pack>(kv: &mut Kv, key: RowKey, value: &T) {
    kv.put(key, value.packed());
}
