//! The declaration schema as the evaluator sees it: record types with
//! fields resolved to slot numbers. Names are kept only for binding and
//! messages; evaluation addresses fields by [`FieldId`].

use std::sync::atomic::{AtomicU64, Ordering};

/// Index of a record type in a [`Layout`]. `RecordId(0)` is the schema root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub u32);

/// Index of a field within its record type (its slot number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);

/// The type of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// `text`
    Text,
    /// `number`
    Number,
    /// `bool`
    Bool,
    /// `date`
    Date,
    /// `[record]`
    List(RecordId),
}

/// One field of a record type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The field's name.
    pub name: Box<str>,
    /// The field's type.
    pub ty: FieldType,
    /// Marked `?`: may be missing or null.
    pub optional: bool,
}

/// One record type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The record's name (`declaration`, `item`).
    pub name: Box<str>,
    /// Fields in declaration order; a field's index is its [`FieldId`].
    pub fields: Box<[Field]>,
}

/// Why a [`Layout`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// No records were given.
    #[error("a layout needs at least the schema record")]
    Empty,
    /// A list field names a record type that does not exist.
    #[error("field `{field}` refers to record #{record}, which does not exist")]
    UnknownRecord {
        /// The field.
        field: String,
        /// The missing record index.
        record: u32,
    },
    /// The key field is not a required text field of the root record.
    #[error("the key field must be a required `text` field of the schema")]
    BadKey,
    /// More fields or records than `u32` can address.
    #[error("too many records or fields")]
    TooLarge,
}

static NEXT_STAMP: AtomicU64 = AtomicU64::new(1);

/// The schema: the root record, nested record types, and the key field.
#[derive(Debug)]
pub struct Layout {
    // INVARIANT (resolved): `records` is non-empty, every `FieldType::List`
    // names an index of `records`, and `key` is a required text field of
    // `records[0]`; kept by `Layout::new`.
    records: Box<[Record]>,
    key: FieldId,
    // A process-unique number, so a declaration buffer can tell whether it
    // was made for this layout.
    stamp: u64,
}

impl Layout {
    /// Builds a layout; `records[0]` is the schema root.
    pub fn new(records: Vec<Record>, key: FieldId) -> Result<Layout, LayoutError> {
        let root = records.first().ok_or(LayoutError::Empty)?;
        if records.len() > u32::MAX as usize / 2 {
            return Err(LayoutError::TooLarge);
        }
        match root.fields.get(key.0 as usize) {
            Some(f) if f.ty == FieldType::Text && !f.optional => {}
            _ => return Err(LayoutError::BadKey),
        }
        for r in &records {
            if r.fields.len() > u32::MAX as usize / 2 {
                return Err(LayoutError::TooLarge);
            }
            for f in r.fields.iter() {
                if let FieldType::List(id) = f.ty
                    && id.0 as usize >= records.len()
                {
                    return Err(LayoutError::UnknownRecord {
                        field: f.name.to_string(),
                        record: id.0,
                    });
                }
            }
        }
        Ok(Layout {
            records: records.into_boxed_slice(),
            key,
            stamp: NEXT_STAMP.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// All record types; index 0 is the root.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// One record type.
    pub fn record(&self, id: RecordId) -> Option<&Record> {
        self.records.get(id.0 as usize)
    }

    /// One field.
    pub fn field(&self, record: RecordId, field: FieldId) -> Option<&Field> {
        self.record(record)?.fields.get(field.0 as usize)
    }

    /// The field of `record` named `name`.
    pub fn field_by_name(&self, record: RecordId, name: &str) -> Option<(FieldId, &Field)> {
        let r = self.record(record)?;
        r.fields
            .iter()
            .enumerate()
            .find(|(_, f)| &*f.name == name)
            .map(|(i, f)| (FieldId(i as u32), f))
    }

    /// The root record's key field.
    pub fn key(&self) -> FieldId {
        self.key
    }

    /// A process-unique identity of this layout.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }
}

/// A test field: `(name, type, optional)`.
#[cfg(test)]
pub(crate) type TestField<'a> = (&'a str, FieldType, bool);

/// A layout for unit tests: records by name with their fields, the first
/// record the root and its first field the key.
#[cfg(test)]
pub(crate) fn test_layout(records: &[(&str, &[TestField<'_>])]) -> Layout {
    let records = records
        .iter()
        .map(|&(name, fields)| Record {
            name: name.into(),
            fields: fields
                .iter()
                .map(|&(name, ty, optional)| Field {
                    name: name.into(),
                    ty,
                    optional,
                })
                .collect(),
        })
        .collect();
    Layout::new(records, FieldId(0)).unwrap()
}
