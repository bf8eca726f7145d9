//! Reads over contract tables for the API (`get_table_rows`, `get_producers`).

use civitas_protocol::Name;

use crate::chain::Chain;
use crate::state::RowKey;

/// A page of table rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows<'a> {
    /// `(primary key, row bytes)`, in key order (descending when `reverse`).
    pub rows: Vec<(u64, &'a [u8])>,
    /// The primary key of the next row after this page, if there is one (`more` /
    /// `next_key` of `get_table_rows`).
    pub next_key: Option<u64>,
}

impl Chain {
    /// Rows of contract table `code`/`scope`/`table` with primary keys in `[lower, upper]`, at
    /// most `limit` of them, ascending (or descending when `reverse`).
    #[allow(clippy::too_many_arguments)]
    pub fn table_rows(
        &self,
        code: Name,
        scope: u64,
        table: Name,
        lower: u64,
        upper: u64,
        limit: usize,
        reverse: bool,
    ) -> TableRows<'_> {
        if lower > upper {
            return TableRows { rows: vec![], next_key: None };
        }
        let lo = RowKey::contract(code.value(), scope, table.value(), lower);
        let hi = RowKey::contract(code.value(), scope, table.value(), upper);
        let range = self.kv().range(lo, hi);
        let mut iter: Box<dyn Iterator<Item = (&RowKey, &[u8])>> =
            if reverse { Box::new(range.rev()) } else { Box::new(range) };
        let rows: Vec<(u64, &[u8])> = iter.by_ref().take(limit).map(|(k, v)| (k.pk, v)).collect();
        let next_key = iter.next().map(|(k, _)| k.pk);
        TableRows { rows, next_key }
    }

    /// The scopes of a contract table that hold at least one row, ascending, at most `limit`
    /// (`get_table_by_scope`).
    pub fn table_scopes(&self, code: Name, table: Name, limit: usize) -> Vec<u64> {
        let lo = RowKey::contract(code.value(), 0, 0, 0);
        let hi = RowKey::contract(code.value(), u64::MAX, u64::MAX, u64::MAX);
        let mut scopes: Vec<u64> = Vec::new();
        for (k, _) in self.kv().range(lo, hi) {
            if k.table == table.value() && scopes.last() != Some(&k.scope) {
                scopes.push(k.scope);
                if scopes.len() >= limit {
                    break;
                }
            }
        }
        scopes
    }
}
