//! The ruleset fingerprint: SHA-256 over a canonical form of everything that
//! decides an outcome.
//!
//! The canonical form (version 1) is the byte string
//!
//! ```text
//! "semaforo-fingerprint-v1"
//! for each rule source, in the order given:      'S' len(text) text
//! for each external list, by name (byte order):  'L' len(name) name count
//!                                                   then for each entry: len(v) v
//! for each table, by name (byte order):          'T' len(name) name count
//!                                                   then for each entry, by key: len(k) k len(v) v
//!   or, for a table with several columns or an empty cell:
//!                                                'R' len(name) name columns count
//!                                                   then for each row, by key: len(k) k
//!                                                   and for each cell: 0x00 (empty) or 0x01 len(v) v
//! ```
//!
//! where `len` and `count` are unsigned 64-bit little-endian integers and
//! values are written canonically (numbers as `Decimal`'s canonical text,
//! dates `YYYY-MM-DD`, bools `true`/`false`). File names are not included:
//! the same rules compiled from another directory have the same fingerprint.
//! List entries keep their order (duplicates included); table entries are
//! sorted by key.

use semaforo_compile::hir::Const;
use semaforo_compile::lower::TableRows;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

fn put(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// The canonical text of a constant.
pub(crate) fn const_text(c: &Const) -> String {
    match c {
        Const::Text(t) => t.to_string(),
        Const::Number(n) => n.to_string(),
        Const::Bool(b) => b.to_string(),
        Const::Date(d) => d.to_string(),
    }
}

/// Hashes a constant's canonical text (text as is, without a copy).
fn put_const(h: &mut Sha256, c: &Const) {
    match c {
        Const::Text(t) => put(h, t.as_bytes()),
        other => put(h, const_text(other).as_bytes()),
    }
}

/// Computes the fingerprint; lists and tables are taken in name order
/// whatever the map's.
pub(crate) fn fingerprint<'a>(
    sources: impl Iterator<Item = &'a str>,
    lists: &HashMap<String, Vec<Const>>,
    tables: &HashMap<String, TableRows>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"semaforo-fingerprint-v1");
    for s in sources {
        h.update(b"S");
        put(&mut h, s.as_bytes());
    }
    let lists: BTreeMap<&String, &Vec<Const>> = lists.iter().collect();
    let tables: BTreeMap<&String, &TableRows> = tables.iter().collect();
    for (name, values) in lists {
        h.update(b"L");
        put(&mut h, name.as_bytes());
        h.update((values.len() as u64).to_le_bytes());
        for v in values {
            put_const(&mut h, v);
        }
    }
    for (name, rows) in tables {
        let mut sorted: Vec<(&str, &[Option<Const>])> = rows.rows().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        // One value per key: the form of version 1, so that the
        // fingerprints of one-value tables did not change.
        let one_value = rows.columns == 1 && rows.cells.iter().all(Option::is_some);
        h.update(if one_value { b"T" } else { b"R" });
        put(&mut h, name.as_bytes());
        if !one_value {
            h.update((rows.columns as u64).to_le_bytes());
        }
        h.update((rows.len() as u64).to_le_bytes());
        for (k, cells) in sorted {
            put(&mut h, k.as_bytes());
            for c in cells {
                match (c, one_value) {
                    (Some(v), true) => put_const(&mut h, v),
                    (Some(v), false) => {
                        h.update([1u8]);
                        put_const(&mut h, v);
                    }
                    (None, _) => h.update([0u8]),
                }
            }
        }
    }
    h.finalize().into()
}

/// Lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
