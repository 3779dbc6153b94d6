//! The reusable declaration buffer that bound input lives in.
//!
//! Every record type has a pool of instances; an instance is `stride` slots,
//! one per field. Record lists are chains through the pool's `next` array,
//! so elements can be appended in any order (and record types may nest
//! recursively) while the common case, a list appended in one go, stays
//! contiguous in memory. All text lives in one `String`. [`Declaration::clear`]
//! keeps every allocation, so binding the next declaration of similar size
//! allocates nothing.

use crate::date::Date;
use crate::decimal::Decimal;
use crate::layout::{FieldId, FieldType, Layout, RecordId};

/// A record instance in a [`Declaration`]: which record type, which instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    /// The record type.
    pub record: RecordId,
    /// The instance's index in its record type's pool.
    pub index: u32,
}

impl Node {
    /// The declaration itself (the root record's only instance).
    pub const ROOT: Node = Node {
        record: RecordId(0),
        index: 0,
    };
}

/// One field's value in a bound declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Slot {
    /// Not given, or given as `null`.
    #[default]
    Missing,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Decimal),
    /// A date.
    Date(Date),
    /// Text at `start..start + len` of the declaration's text buffer.
    Text {
        /// First byte.
        start: u32,
        /// Length in bytes.
        len: u32,
    },
    /// A record list: `len` elements, the first at `first`, the last at
    /// `last`, linked through the element pool's `next` array.
    List {
        /// The first element's index (meaningless when `len == 0`).
        first: u32,
        /// The last element's index (meaningless when `len == 0`).
        last: u32,
        /// How many elements.
        len: u32,
    },
}

/// Why a value could not be stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeclError {
    /// The node or field does not exist in this layout.
    #[error("no such field")]
    NoSuchField,
    /// The value's type is not the field's type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// The field's type.
        expected: &'static str,
        /// What was given.
        found: &'static str,
    },
    /// A required field was never set.
    #[error("{path}: required field is missing")]
    MissingRequired {
        /// Where, as `items[3].net_kg`.
        path: String,
    },
    /// The buffer would exceed its limits (4 GiB of text or 2^32 records).
    #[error("declaration too large")]
    TooLarge,
}

#[derive(Clone, Debug, Default)]
struct Pool {
    // INVARIANT (stride): slots.len() == next.len() * stride.
    stride: usize,
    slots: Vec<Slot>,
    next: Vec<u32>,
    /// The record type's required fields (each below `stride`), checked
    /// by the tree walk of [`Declaration::validate`].
    required: Box<[u32]>,
    /// The same fields as a bitset (bit `f % 64` of word `f / 64`), read
    /// by every slot write; `required_low` is its first word.
    required_bits: Box<[u64]>,
    required_low: u64,
    // INVARIANT (filled): `filled` is the number of (instance, required
    // field) pairs whose slot is not `Missing`. Every slot write goes
    // through `Pool::store` (or appends `Missing` slots, which count
    // nothing), and `clear` resets it with the slots.
    filled: u64,
}

impl Pool {
    /// Whether field `field` of this record type is required.
    #[inline(always)]
    fn is_required(&self, field: usize) -> bool {
        if field < 64 {
            (self.required_low >> field) & 1 != 0
        } else {
            self.is_required_high(field)
        }
    }

    #[cold]
    fn is_required_high(&self, field: usize) -> bool {
        self.required_bits
            .get(field / 64)
            .is_some_and(|w| (w >> (field % 64)) & 1 != 0)
    }

    /// Writes `value` into slot `at`, which is field `field` of an
    /// instance, keeping the count of required slots filled. A setter's
    /// value is never `Missing`, so after inlining this is one test of the
    /// old slot (`Missing` after `clear`) and one of the field's bit.
    #[inline(always)]
    fn store(&mut self, at: usize, field: usize, value: Slot) -> Result<(), DeclError> {
        let slot = self.slots.get_mut(at).ok_or(DeclError::NoSuchField)?;
        let was = !matches!(*slot, Slot::Missing);
        let now = !matches!(value, Slot::Missing);
        *slot = value;
        if was != now && self.is_required(field) {
            if now {
                self.filled += 1;
            } else {
                self.filled -= 1;
            }
        }
        Ok(())
    }

    /// Whether every instance has every required field (O(1), from the
    /// `filled` count).
    #[inline]
    fn all_required_set(&self) -> bool {
        self.filled == self.next.len() as u64 * self.required.len() as u64
    }
}

/// The slots of one instance in its pool: see [`Declaration::instance`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Instance {
    pool: usize,
    base: usize,
    stride: usize,
}

/// A declaration bound to a [`Layout`], reused from one declaration to the
/// next.
#[derive(Clone, Debug)]
pub struct Declaration {
    stamp: u64,
    pools: Vec<Pool>,
    text: String,
    /// Whether the layout's records can nest deeper than
    /// [`MAX_VALIDATE_DEPTH`] (a record type reachable from itself, or
    /// more record types than that): validation then walks the tree,
    /// which reports such nesting, instead of the pools.
    deep: bool,
}

/// The `Slot::Text` span of a text of `len` bytes appended to a text
/// buffer of `at` bytes: both, and their sum, fit in a `u32`, or the
/// buffer would pass 4 GiB ([`DeclError::TooLarge`]). One test of the
/// end, since the start and the length are at most the end.
#[inline(always)]
fn text_span(at: usize, len: usize) -> Result<(u32, u32), DeclError> {
    // Lengths of allocations are below 2^63, so the sum cannot wrap.
    if (at as u64).wrapping_add(len as u64) <= u64::from(u32::MAX) {
        Ok((at as u32, len as u32))
    } else {
        Err(DeclError::TooLarge)
    }
}

/// Name of a field type for messages.
pub(crate) fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Text => "text",
        FieldType::Number => "number",
        FieldType::Bool => "bool",
        FieldType::Date => "date",
        FieldType::List(_) => "list",
    }
}

fn slot_type_name(slot: &Slot) -> &'static str {
    match slot {
        Slot::Missing => "missing",
        Slot::Bool(_) => "bool",
        Slot::Number(_) => "number",
        Slot::Date(_) => "date",
        Slot::Text { .. } => "text",
        Slot::List { .. } => "list",
    }
}

impl Declaration {
    /// An empty declaration for `layout` (the root instance exists, every
    /// field missing).
    pub fn new(layout: &Layout) -> Declaration {
        let pools = layout
            .records()
            .iter()
            .map(|r| Pool {
                stride: r.fields.len(),
                slots: Vec::new(),
                next: Vec::new(),
                required: r
                    .fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| !f.optional)
                    .filter_map(|(i, _)| u32::try_from(i).ok())
                    .collect(),
                required_bits: {
                    let mut bits = vec![0u64; r.fields.len().div_ceil(64)];
                    for (i, f) in r.fields.iter().enumerate() {
                        if !f.optional
                            && let Some(w) = bits.get_mut(i / 64)
                        {
                            *w |= 1 << (i % 64);
                        }
                    }
                    bits.into_boxed_slice()
                },
                required_low: r
                    .fields
                    .iter()
                    .take(64)
                    .enumerate()
                    .filter(|(_, f)| !f.optional)
                    .fold(0, |m, (i, _)| m | 1 << i),
                filled: 0,
            })
            .collect();
        let mut d = Declaration {
            stamp: layout.stamp(),
            pools,
            text: String::new(),
            deep: may_nest_deep(layout),
        };
        d.clear();
        d
    }

    /// The [`Layout::stamp`] this buffer was made for.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }

    /// Forgets the bound declaration, keeping every allocation.
    #[inline]
    pub fn clear(&mut self) {
        self.text.clear();
        let Some((root, rest)) = self.pools.split_first_mut() else {
            return;
        };
        for p in rest {
            p.slots.clear();
            p.next.clear();
            p.filled = 0;
        }
        root.filled = 0;
        // The root instance stays: its slots are set back to missing in
        // place (the common case, one instance of the root record type).
        if root.slots.len() == root.stride && root.next.len() == 1 {
            root.slots.fill(Slot::Missing);
        } else {
            root.slots.clear();
            root.slots.resize(root.stride, Slot::Missing);
            root.next.clear();
            root.next.push(u32::MAX);
        }
    }

    /// The value of a field of a node; `Missing` if it does not exist.
    #[inline]
    pub fn slot(&self, node: Node, field: FieldId) -> Slot {
        self.pools
            .get(node.record.0 as usize)
            .and_then(|p| {
                p.slots
                    .get(node.index as usize * p.stride + field.0 as usize)
                    .copied()
            })
            .unwrap_or(Slot::Missing)
    }

    /// The text a `Slot::Text` refers to (empty if out of range).
    #[inline]
    pub fn text(&self, start: u32, len: u32) -> &str {
        self.text
            .get(start as usize..start as usize + len as usize)
            .unwrap_or("")
    }

    /// The bytes of the text a `Slot::Text` refers to (empty if out of
    /// range): [`Declaration::text`] without the character boundary
    /// checks, for callers that compare or hash bytes.
    #[inline]
    pub fn text_bytes(&self, start: u32, len: u32) -> &[u8] {
        self.text
            .as_bytes()
            .get(start as usize..start as usize + len as usize)
            .unwrap_or(&[])
    }

    /// The elements of a `Slot::List` of record type `record`.
    #[inline]
    pub fn elements(&self, record: RecordId, list: Slot) -> Elements<'_> {
        let (first, len) = match list {
            Slot::List { first, len, .. } => (first, len),
            _ => (0, 0),
        };
        Elements {
            next: self
                .pools
                .get(record.0 as usize)
                .map_or(&[][..], |p| &p.next[..]),
            record,
            at: first,
            remaining: len,
        }
    }

    /// Where a field of a node lives: its pool, its slot's index in that
    /// pool, and its type (looked up once per call on the binding path).
    #[inline]
    fn locate(
        &self,
        layout: &Layout,
        node: Node,
        field: FieldId,
    ) -> Result<(usize, usize, FieldType), DeclError> {
        let ty = layout
            .field(node.record, field)
            .ok_or(DeclError::NoSuchField)?
            .ty;
        let p = node.record.0 as usize;
        let pool = self.pools.get(p).ok_or(DeclError::NoSuchField)?;
        let at = node.index as usize * pool.stride + field.0 as usize;
        if at >= pool.slots.len() {
            return Err(DeclError::NoSuchField);
        }
        Ok((p, at, ty))
    }

    /// Where the slots of `node` are, for a caller that writes several of
    /// its fields (the JSON binder, member after member): its pool and
    /// first slot, looked up once rather than at every write.
    ///
    /// The answer stays right until the next [`Declaration::clear`]:
    /// instances are only ever appended to their pools, so no slot moves.
    ///
    /// # Errors
    /// [`DeclError::NoSuchField`] if `node` does not exist.
    #[inline]
    pub(crate) fn instance(&self, node: Node) -> Result<Instance, DeclError> {
        let pool = self
            .pools
            .get(node.record.0 as usize)
            .ok_or(DeclError::NoSuchField)?;
        let base = node.index as usize * pool.stride;
        if base + pool.stride > pool.slots.len() {
            return Err(DeclError::NoSuchField);
        }
        Ok(Instance {
            pool: node.record.0 as usize,
            base,
            stride: pool.stride,
        })
    }

    /// [`Declaration::put_known`] for an instance found by
    /// [`Declaration::instance`]. The slot's existence is still checked,
    /// so a stale `at` fails; it never writes out of range.
    #[inline(always)]
    pub(crate) fn put_at(
        &mut self,
        at: Instance,
        field: FieldId,
        value: Slot,
    ) -> Result<(), DeclError> {
        let f = field.0 as usize;
        if f >= at.stride {
            return Err(DeclError::NoSuchField);
        }
        let pool = self.pools.get_mut(at.pool).ok_or(DeclError::NoSuchField)?;
        pool.store(at.base + f, f, value)
    }

    /// [`Declaration::set_text_known_span`] for an instance found by
    /// [`Declaration::instance`], for a caller that knows `start` and
    /// `end` to be character boundaries of the buffer: the JSON binder,
    /// whose spans start after and end at an ASCII quote of a text it
    /// pushed with [`Declaration::push_source`]. That push also checked
    /// that the buffer stays within `u32` offsets.
    ///
    /// # Errors
    /// [`DeclError::NoSuchField`] if the field does not exist or
    /// `start..end` is not a range of the buffer.
    #[inline(always)]
    pub(crate) fn put_span_at(
        &mut self,
        at: Instance,
        field: FieldId,
        start: usize,
        end: usize,
    ) -> Result<(), DeclError> {
        if start > end || end > self.text.len() {
            return Err(DeclError::NoSuchField);
        }
        debug_assert!(self.text.is_char_boundary(start) && self.text.is_char_boundary(end));
        let (start, len) = text_span(start, end - start)?;
        self.put_at(at, field, Slot::Text { start, len })
    }

    /// Writes `value` into field `field` of `node` without looking the
    /// field up in the layout: for a caller that resolved the field, and
    /// checked `value` against its type, in a layout whose stamp is this
    /// buffer's (a field handle). Only the slot's existence is checked, so
    /// a wrong claim stores a value of another type, never out of range.
    #[inline(always)]
    fn put_known(&mut self, node: Node, field: FieldId, value: Slot) -> Result<(), DeclError> {
        let pool = self
            .pools
            .get_mut(node.record.0 as usize)
            .ok_or(DeclError::NoSuchField)?;
        let f = field.0 as usize;
        if f >= pool.stride {
            return Err(DeclError::NoSuchField);
        }
        pool.store(node.index as usize * pool.stride + f, f, value)
    }

    /// Sets a text field known to be text in this buffer's layout (see
    /// `put_known`): the direct-binding fast path of a field handle whose
    /// layout stamp is [`Declaration::stamp`].
    ///
    /// # Errors
    /// [`DeclError::NoSuchField`] if `node` has no slot `field`,
    /// [`DeclError::TooLarge`] past 4 GiB of text.
    #[inline(always)]
    pub fn set_text_known(
        &mut self,
        node: Node,
        field: FieldId,
        value: &str,
    ) -> Result<(), DeclError> {
        let (start, len) = text_span(self.text.len(), value.len())?;
        // Claim the slot first, so a failure leaves the text untouched.
        self.put_known(node, field, Slot::Text { start, len })?;
        self.text.push_str(value);
        Ok(())
    }

    /// Appends `source` to the text buffer, so that ranges of it can be
    /// set as text values without being copied again
    /// ([`Declaration::set_text_known_span`]); returns the offset where it
    /// starts. The JSON binder appends its input, so each plain string is
    /// a span of it.
    ///
    /// # Errors
    /// [`DeclError::TooLarge`] past 4 GiB of text.
    pub fn push_source(&mut self, source: &str) -> Result<usize, DeclError> {
        let at = self.text.len();
        text_span(at, source.len())?;
        self.text.push_str(source);
        Ok(at)
    }

    /// Sets a text field known to be text in this buffer's layout (see
    /// [`Declaration::set_text_known`]) to the text already in the buffer
    /// at `start..end` (appended by [`Declaration::push_source`]).
    ///
    /// # Errors
    /// [`DeclError::NoSuchField`] if `node` has no slot `field`, or
    /// `start..end` is not a range of the buffer on character boundaries
    /// (no such text).
    #[inline(always)]
    pub fn set_text_known_span(
        &mut self,
        node: Node,
        field: FieldId,
        start: usize,
        end: usize,
    ) -> Result<(), DeclError> {
        // What `self.text.get(start..end)` checks, in line: that call
        // was not inlined, and the binder makes one per text member.
        let t = &self.text;
        if start > end || end > t.len() || !t.is_char_boundary(start) || !t.is_char_boundary(end) {
            return Err(DeclError::NoSuchField);
        }
        let (start, len) = text_span(start, end - start)?;
        self.put_known(node, field, Slot::Text { start, len })
    }

    /// Sets a number field known to be a number in this buffer's layout
    /// (see [`Declaration::set_text_known`]).
    ///
    /// # Errors
    /// [`DeclError::NoSuchField`] if `node` has no slot `field`.
    #[inline(always)]
    pub fn set_number_known(
        &mut self,
        node: Node,
        field: FieldId,
        value: Decimal,
    ) -> Result<(), DeclError> {
        self.put_known(node, field, Slot::Number(value))
    }

    /// Sets a bool field known to be a bool in this buffer's layout (see
    /// [`Declaration::set_text_known`]).
    ///
    /// # Errors
    /// [`DeclError::NoSuchField`] if `node` has no slot `field`.
    #[inline]
    pub fn set_bool_known(
        &mut self,
        node: Node,
        field: FieldId,
        value: bool,
    ) -> Result<(), DeclError> {
        self.put_known(node, field, Slot::Bool(value))
    }

    /// Sets a date field known to be a date in this buffer's layout (see
    /// [`Declaration::set_text_known`]).
    ///
    /// # Errors
    /// [`DeclError::NoSuchField`] if `node` has no slot `field`.
    #[inline]
    pub fn set_date_known(
        &mut self,
        node: Node,
        field: FieldId,
        value: Date,
    ) -> Result<(), DeclError> {
        self.put_known(node, field, Slot::Date(value))
    }

    /// Writes field `field`'s slot found by [`Declaration::locate`].
    #[inline]
    fn write(&mut self, p: usize, at: usize, field: FieldId, value: Slot) -> Result<(), DeclError> {
        self.pools
            .get_mut(p)
            .ok_or(DeclError::NoSuchField)?
            .store(at, field.0 as usize, value)
    }

    /// Stores a non-text value after checking it against the field's type.
    #[inline]
    fn set(
        &mut self,
        layout: &Layout,
        node: Node,
        field: FieldId,
        value: Slot,
    ) -> Result<(), DeclError> {
        let (p, at, ty) = self.locate(layout, node, field)?;
        let ok = matches!(
            (ty, &value),
            (FieldType::Text, Slot::Text { .. })
                | (FieldType::Number, Slot::Number(_))
                | (FieldType::Bool, Slot::Bool(_))
                | (FieldType::Date, Slot::Date(_))
                | (_, Slot::Missing)
        );
        if !ok {
            return Err(DeclError::WrongType {
                expected: type_name(ty),
                found: slot_type_name(&value),
            });
        }
        self.write(p, at, field, value)
    }

    /// Sets a text field.
    #[inline]
    pub fn set_text(
        &mut self,
        layout: &Layout,
        node: Node,
        field: FieldId,
        value: &str,
    ) -> Result<(), DeclError> {
        let (start, len) = text_span(self.text.len(), value.len())?;
        // Check the field and its type (once) before copying the text in.
        let (p, at, ty) = self.locate(layout, node, field)?;
        if ty != FieldType::Text {
            return Err(DeclError::WrongType {
                expected: type_name(ty),
                found: "text",
            });
        }
        self.text.push_str(value);
        self.write(p, at, field, Slot::Text { start, len })
    }

    /// Sets a number field.
    #[inline]
    pub fn set_number(
        &mut self,
        layout: &Layout,
        node: Node,
        field: FieldId,
        value: Decimal,
    ) -> Result<(), DeclError> {
        self.set(layout, node, field, Slot::Number(value))
    }

    /// Sets a bool field.
    #[inline]
    pub fn set_bool(
        &mut self,
        layout: &Layout,
        node: Node,
        field: FieldId,
        value: bool,
    ) -> Result<(), DeclError> {
        self.set(layout, node, field, Slot::Bool(value))
    }

    /// Sets a date field.
    #[inline]
    pub fn set_date(
        &mut self,
        layout: &Layout,
        node: Node,
        field: FieldId,
        value: Date,
    ) -> Result<(), DeclError> {
        self.set(layout, node, field, Slot::Date(value))
    }

    /// Marks a field missing (for lists: absent, not empty).
    pub fn set_missing(
        &mut self,
        layout: &Layout,
        node: Node,
        field: FieldId,
    ) -> Result<(), DeclError> {
        self.set(layout, node, field, Slot::Missing)
    }

    /// The list field `field` of `node`: its pool, slot index and element
    /// record type.
    #[inline]
    fn locate_list(
        &self,
        layout: &Layout,
        node: Node,
        field: FieldId,
    ) -> Result<(usize, usize, RecordId), DeclError> {
        let (p, at, ty) = self.locate(layout, node, field)?;
        let FieldType::List(elem) = ty else {
            return Err(DeclError::WrongType {
                expected: type_name(ty),
                found: "list",
            });
        };
        Ok((p, at, elem))
    }

    /// Makes a list field present and empty (if it was missing); returns the
    /// element record type.
    pub fn start_list(
        &mut self,
        layout: &Layout,
        node: Node,
        field: FieldId,
    ) -> Result<RecordId, DeclError> {
        let (p, at, elem) = self.locate_list(layout, node, field)?;
        let pool = self.pools.get_mut(p).ok_or(DeclError::NoSuchField)?;
        if matches!(pool.slots.get(at), Some(Slot::Missing)) {
            let empty = Slot::List {
                first: 0,
                last: 0,
                len: 0,
            };
            pool.store(at, field.0 as usize, empty)?;
        }
        Ok(elem)
    }

    /// Makes a list field known to be a list in this buffer's layout (see
    /// `put_known`) present and empty, if it was missing: the binding
    /// fast path of [`Declaration::start_list`].
    ///
    /// # Errors
    /// [`DeclError::NoSuchField`] if `node` has no slot `field`.
    #[inline]
    pub fn start_list_known(&mut self, node: Node, field: FieldId) -> Result<(), DeclError> {
        let pool = self
            .pools
            .get_mut(node.record.0 as usize)
            .ok_or(DeclError::NoSuchField)?;
        let f = field.0 as usize;
        if f >= pool.stride {
            return Err(DeclError::NoSuchField);
        }
        let at = node.index as usize * pool.stride + f;
        match pool.slots.get(at) {
            Some(Slot::Missing) => {
                let empty = Slot::List {
                    first: 0,
                    last: 0,
                    len: 0,
                };
                pool.store(at, f, empty)
            }
            Some(_) => Ok(()),
            None => Err(DeclError::NoSuchField),
        }
    }

    /// Appends a new element (every field missing) to the list field `field`
    /// of `node`, making the list present if it was missing.
    #[inline]
    pub fn push_element(
        &mut self,
        layout: &Layout,
        node: Node,
        field: FieldId,
    ) -> Result<Node, DeclError> {
        let (p, at, elem) = self.locate_list(layout, node, field)?;
        self.append(p, at, field, elem)
    }

    /// Appends a new element to the list field `field` of `node`, known
    /// to be a list of `elem` records in this buffer's layout (see
    /// `put_known`): the direct-binding fast path of a list handle.
    ///
    /// # Errors
    /// [`DeclError::NoSuchField`] if `node` has no slot `field` or there
    /// is no record type `elem`, [`DeclError::TooLarge`] past 2^32 - 1
    /// elements.
    #[inline(always)]
    pub fn push_element_known(
        &mut self,
        node: Node,
        field: FieldId,
        elem: RecordId,
    ) -> Result<Node, DeclError> {
        let p = node.record.0 as usize;
        let pool = self.pools.get(p).ok_or(DeclError::NoSuchField)?;
        let f = field.0 as usize;
        let at = node.index as usize * pool.stride + f;
        if f >= pool.stride || at >= pool.slots.len() {
            return Err(DeclError::NoSuchField);
        }
        self.append(p, at, field, elem)
    }

    /// Appends an element of record type `elem` to the list whose slot is
    /// `at` in pool `p` (field `field`).
    #[inline(always)]
    fn append(
        &mut self,
        p: usize,
        at: usize,
        field: FieldId,
        elem: RecordId,
    ) -> Result<Node, DeclError> {
        let pool = self
            .pools
            .get_mut(elem.0 as usize)
            .ok_or(DeclError::NoSuchField)?;
        let index = u32::try_from(pool.next.len()).map_err(|_| DeclError::TooLarge)?;
        if index == u32::MAX {
            return Err(DeclError::TooLarge);
        }
        let stride = pool.stride;
        pool.slots.resize(pool.slots.len() + stride, Slot::Missing);
        pool.next.push(u32::MAX);
        // The list's own slot (in the parent's pool, which may be the same
        // pool when a record type nests itself: it was only appended to,
        // so `at` still addresses the list).
        let pool = self.pools.get_mut(p).ok_or(DeclError::NoSuchField)?;
        let (value, prev_last) = match pool.slots.get(at) {
            Some(&Slot::List { first, last, len }) if len > 0 => (
                Slot::List {
                    first,
                    last: index,
                    len: len + 1,
                },
                Some(last),
            ),
            _ => (
                Slot::List {
                    first: index,
                    last: index,
                    len: 1,
                },
                None,
            ),
        };
        pool.store(at, field.0 as usize, value)?;
        if let Some(prev) = prev_last
            && let Some(n) = self
                .pools
                .get_mut(elem.0 as usize)
                .and_then(|p| p.next.get_mut(prev as usize))
        {
            *n = index;
        }
        Ok(Node {
            record: elem,
            index,
        })
    }

    /// Checks that every required field of every instance reachable from the
    /// root is present; the error names the first one missing by path.
    ///
    /// Cost: one comparison per record type. Every slot write keeps a
    /// count of the required slots filled in its record type's pool, so
    /// validation compares that count with instances × required fields;
    /// only when a required field is missing somewhere, or the layout's
    /// records may nest deeper than [`MAX_VALIDATE_DEPTH`], does it walk
    /// the tree from the root to name the field by its path.
    #[inline]
    pub fn validate(&self, layout: &Layout) -> Result<(), DeclError> {
        if !self.deep && self.required_all_set() {
            return Ok(());
        }
        self.validate_tree(layout)
    }

    /// The walk from the root (out of line: rare, and its frame would
    /// slow the common case down).
    #[cold]
    #[inline(never)]
    fn validate_tree(&self, layout: &Layout) -> Result<(), DeclError> {
        self.validate_node(layout, Node::ROOT, None, 0)
    }

    /// Whether every instance in every pool has all its record type's
    /// required fields. Every instance reachable from the root is in a
    /// pool, so `true` means the tree walk would find nothing missing
    /// (an instance cut off by `set_missing` on its list is counted too,
    /// and then the tree walk decides). O(record types): see
    /// `Pool::filled`.
    #[inline]
    fn required_all_set(&self) -> bool {
        self.pools.iter().all(Pool::all_required_set)
    }

    /// Checks one instance. The path to it is a chain of stack frames, turned
    /// into text only when a field is missing, so validating a complete
    /// declaration does not allocate.
    fn validate_node(
        &self,
        layout: &Layout,
        node: Node,
        parent: Option<&PathFrame<'_>>,
        depth: usize,
    ) -> Result<(), DeclError> {
        let record = layout.record(node.record).ok_or(DeclError::NoSuchField)?;
        // Record types may nest recursively, so depth follows the data; it
        // is capped like JSON nesting, which keeps this recursion bounded.
        if depth > MAX_VALIDATE_DEPTH {
            return Err(DeclError::TooLarge);
        }
        for (i, f) in record.fields.iter().enumerate() {
            let slot = self.slot(node, FieldId(i as u32));
            if slot == Slot::Missing && !f.optional {
                let frame = PathFrame {
                    parent,
                    name: &f.name,
                    index: None,
                };
                return Err(DeclError::MissingRequired {
                    path: frame.render(),
                });
            }
            if let FieldType::List(elem) = f.ty {
                for (k, child) in self.elements(elem, slot).enumerate() {
                    let frame = PathFrame {
                        parent,
                        name: &f.name,
                        index: Some(k),
                    };
                    self.validate_node(layout, child, Some(&frame), depth + 1)?;
                }
            }
        }
        Ok(())
    }
}

/// The deepest nesting of records [`Declaration::validate`] follows (the
/// same as the JSON binder's nesting limit).
pub const MAX_VALIDATE_DEPTH: usize = 256;

/// Whether instances of `layout`'s records can nest more than
/// [`MAX_VALIDATE_DEPTH`] levels below the root: some record type reaches
/// itself through list fields, or there are more record types than that.
fn may_nest_deep(layout: &Layout) -> bool {
    let records = layout.records();
    if records.len() > MAX_VALIDATE_DEPTH {
        return true;
    }
    // Kahn's algorithm on "record -> element record of one of its lists":
    // records left over lie on or behind a cycle.
    let edges = |r: &crate::layout::Record| {
        r.fields
            .iter()
            .filter_map(|f| match f.ty {
                FieldType::List(e) => Some(e.0 as usize),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let mut incoming = vec![0usize; records.len()];
    for r in records {
        for e in edges(r) {
            if let Some(c) = incoming.get_mut(e) {
                *c += 1;
            }
        }
    }
    let mut ready: Vec<usize> = (0..records.len())
        .filter(|&i| incoming.get(i) == Some(&0))
        .collect();
    let mut done = 0;
    while let Some(i) = ready.pop() {
        done += 1;
        for e in records.get(i).map(edges).unwrap_or_default() {
            if let Some(c) = incoming.get_mut(e) {
                *c -= 1;
                if *c == 0 {
                    ready.push(e);
                }
            }
        }
    }
    done < records.len()
}

/// One step of a path such as `items[3].net_kg`, kept on the stack.
struct PathFrame<'a> {
    parent: Option<&'a PathFrame<'a>>,
    name: &'a str,
    index: Option<usize>,
}

impl PathFrame<'_> {
    fn render(&self) -> String {
        let mut parts = Vec::new();
        let mut at = Some(self);
        while let Some(f) = at {
            parts.push(f);
            at = f.parent;
        }
        let mut out = String::new();
        for f in parts.iter().rev() {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(f.name);
            if let Some(k) = f.index {
                out.push_str(&format!("[{k}]"));
            }
        }
        out
    }
}

/// Iterator over the elements of a record list.
#[derive(Clone, Debug)]
pub struct Elements<'a> {
    next: &'a [u32],
    record: RecordId,
    at: u32,
    remaining: u32,
}

impl Iterator for Elements<'_> {
    type Item = Node;

    #[inline]
    fn next(&mut self) -> Option<Node> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let node = Node {
            record: self.record,
            index: self.at,
        };
        self.at = self.next.get(self.at as usize).copied().unwrap_or(u32::MAX);
        Some(node)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining as usize, Some(self.remaining as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Field, Record};

    fn layout() -> Layout {
        let text = |name: &str, optional| Field {
            name: name.into(),
            ty: FieldType::Text,
            optional,
        };
        Layout::new(
            vec![
                Record {
                    name: "declaration".into(),
                    fields: vec![
                        text("id", false),
                        Field {
                            name: "items".into(),
                            ty: FieldType::List(RecordId(1)),
                            optional: false,
                        },
                    ]
                    .into(),
                },
                Record {
                    name: "item".into(),
                    fields: vec![text("hs", false), text("note", true)].into(),
                },
            ],
            FieldId(0),
        )
        .unwrap()
    }

    #[test]
    fn known_list_operations_agree_with_the_checked_ones() {
        let l = layout();
        let (mut a, mut b) = (Declaration::new(&l), Declaration::new(&l));
        let items = FieldId(1);
        a.start_list(&l, Node::ROOT, items).unwrap();
        b.start_list_known(Node::ROOT, items).unwrap();
        assert_eq!(a.slot(Node::ROOT, items), b.slot(Node::ROOT, items));
        let ea = a.push_element(&l, Node::ROOT, items).unwrap();
        let eb = b
            .push_element_known(Node::ROOT, items, RecordId(1))
            .unwrap();
        assert_eq!(ea, eb);
        // Starting a list that has elements leaves it as it is.
        a.start_list(&l, Node::ROOT, items).unwrap();
        b.start_list_known(Node::ROOT, items).unwrap();
        assert_eq!(a.slot(Node::ROOT, items), b.slot(Node::ROOT, items));
        assert!(matches!(
            b.slot(Node::ROOT, items),
            Slot::List { len: 1, .. }
        ));
        for bad in [
            (Node::ROOT, FieldId(2)),
            (
                Node {
                    record: RecordId(2),
                    index: 0,
                },
                FieldId(0),
            ),
            (
                Node {
                    record: RecordId(0),
                    index: 1,
                },
                FieldId(1),
            ),
        ] {
            assert_eq!(
                b.start_list_known(bad.0, bad.1),
                Err(DeclError::NoSuchField)
            );
        }
    }

    #[test]
    fn known_setters_agree_with_the_checked_ones() {
        let l = crate::layout::test_layout(&[(
            "declaration",
            &[
                ("id", FieldType::Text, false),
                ("aeo", FieldType::Bool, false),
                ("on", FieldType::Date, false),
                ("n", FieldType::Number, false),
            ],
        )]);
        let date = Date::parse("2026-11-20").unwrap();
        let n = Decimal::from_i64(7);
        let (mut a, mut b) = (Declaration::new(&l), Declaration::new(&l));
        a.set_text(&l, Node::ROOT, FieldId(0), "D1").unwrap();
        a.set_bool(&l, Node::ROOT, FieldId(1), true).unwrap();
        a.set_date(&l, Node::ROOT, FieldId(2), date).unwrap();
        a.set_number(&l, Node::ROOT, FieldId(3), n).unwrap();
        b.set_text_known(Node::ROOT, FieldId(0), "D1").unwrap();
        b.set_bool_known(Node::ROOT, FieldId(1), true).unwrap();
        b.set_date_known(Node::ROOT, FieldId(2), date).unwrap();
        b.set_number_known(Node::ROOT, FieldId(3), n).unwrap();
        for f in 0..4 {
            assert_eq!(
                a.slot(Node::ROOT, FieldId(f)),
                b.slot(Node::ROOT, FieldId(f))
            );
        }
        assert_eq!(b.validate(&l), Ok(()));
        assert_eq!(
            b.set_bool_known(Node::ROOT, FieldId(4), true),
            Err(DeclError::NoSuchField)
        );
        assert_eq!(
            b.set_date_known(
                Node {
                    record: RecordId(0),
                    index: 1
                },
                FieldId(2),
                date
            ),
            Err(DeclError::NoSuchField)
        );
    }

    #[test]
    fn writes_to_a_located_instance_agree_with_the_known_setters() {
        let l = layout();
        let (mut a, mut b) = (Declaration::new(&l), Declaration::new(&l));
        // Appends an element to `items`.
        let item = |d: &mut Declaration| {
            d.push_element_known(Node::ROOT, FieldId(1), RecordId(1))
                .unwrap()
        };
        let at = b.push_source("{\"id\": \"D1\", \"hs\": \"6403\"}").unwrap();
        a.set_text_known(Node::ROOT, FieldId(0), "D1").unwrap();
        let root = b.instance(Node::ROOT).unwrap();
        b.put_span_at(root, FieldId(0), at + 8, at + 10).unwrap();
        let (ea, eb) = (item(&mut a), item(&mut b));
        // A second element appended after the first was located does not
        // move the first's slots.
        let first = b.instance(eb).unwrap();
        let (ea2, eb2) = (item(&mut a), item(&mut b));
        a.set_text_known(ea, FieldId(0), "6403").unwrap();
        b.put_span_at(first, FieldId(0), at + 20, at + 24).unwrap();
        a.set_text_known(ea2, FieldId(0), "6403").unwrap();
        let second = b.instance(eb2).unwrap();
        b.put_at(second, FieldId(0), Slot::Text { start: 0, len: 0 })
            .unwrap();
        b.put_span_at(second, FieldId(0), at + 20, at + 24).unwrap();
        for (na, nb) in [(Node::ROOT, Node::ROOT), (ea, eb), (ea2, eb2)] {
            for f in 0..2 {
                let (x, y) = (a.slot(na, FieldId(f)), b.slot(nb, FieldId(f)));
                let text = |d: &Declaration, s: Slot| match s {
                    Slot::Text { start, len } => Some(d.text(start, len).to_owned()),
                    _ => None,
                };
                assert_eq!(text(&a, x), text(&b, y));
                assert_eq!(matches!(x, Slot::Missing), matches!(y, Slot::Missing));
            }
        }
        // The count of required slots filled was kept: both validate, and
        // a required field left out is still found.
        assert_eq!(a.validate(&l), Ok(()));
        assert_eq!(b.validate(&l), Ok(()));
        let eb3 = item(&mut b);
        assert!(b.validate(&l).is_err());
        let third = b.instance(eb3).unwrap();
        b.put_span_at(third, FieldId(0), at + 20, at + 24).unwrap();
        assert_eq!(b.validate(&l), Ok(()));
        // Fields, nodes and spans that do not exist are refused.
        assert_eq!(
            b.put_at(third, FieldId(2), Slot::Bool(true)),
            Err(DeclError::NoSuchField)
        );
        assert_eq!(
            b.put_span_at(third, FieldId(0), at + 24, at + 20),
            Err(DeclError::NoSuchField)
        );
        assert_eq!(
            b.put_span_at(third, FieldId(0), at, at + 1000),
            Err(DeclError::NoSuchField)
        );
        for node in [
            Node {
                record: RecordId(2),
                index: 0,
            },
            Node {
                record: RecordId(1),
                index: 3,
            },
        ] {
            assert!(b.instance(node).is_err());
        }
    }

    #[test]
    fn spans_of_a_pushed_source_read_back_and_bad_spans_are_refused() {
        let l = layout();
        let mut d = Declaration::new(&l);
        d.set_text(&l, Node::ROOT, FieldId(0), "first").unwrap();
        let at = d.push_source("{\"id\": \"réplica\"}").unwrap();
        assert_eq!(at, 5);
        d.set_text_known_span(Node::ROOT, FieldId(0), at + 8, at + 16)
            .unwrap();
        assert_eq!(
            d.slot(Node::ROOT, FieldId(0)),
            Slot::Text { start: 13, len: 8 }
        );
        assert_eq!(d.text(13, 8), "réplica");
        for (start, end) in [
            (at + 10, at + 12),
            (at + 8, at + 10),
            (at + 12, at + 10),
            (at, at + 100),
        ] {
            assert_eq!(
                d.set_text_known_span(Node::ROOT, FieldId(0), start, end),
                Err(DeclError::NoSuchField),
                "{start}..{end}"
            );
        }
        assert_eq!(
            d.set_text_known_span(Node::ROOT, FieldId(5), at, at + 1),
            Err(DeclError::NoSuchField)
        );
    }

    #[test]
    fn text_spans_fit_in_u32_or_are_too_large() {
        let max = u32::MAX as usize;
        assert_eq!(text_span(0, 0), Ok((0, 0)));
        assert_eq!(text_span(7, 5), Ok((7, 5)));
        assert_eq!(text_span(max, 0), Ok((u32::MAX, 0)));
        assert_eq!(text_span(0, max), Ok((0, u32::MAX)));
        assert_eq!(text_span(max - 3, 3), Ok((u32::MAX - 3, 3)));
        for (at, len) in [
            (max, 1),
            (1, max),
            (0, max + 1),
            (max + 1, 0),
            (1 << 40, 0),
            (0, 1 << 40),
            (max, max),
        ] {
            assert_eq!(text_span(at, len), Err(DeclError::TooLarge), "{at} {len}");
        }
    }

    #[test]
    fn validate_names_the_missing_field_by_path() {
        let l = layout();
        let mut d = Declaration::new(&l);
        assert_eq!(
            d.validate(&l),
            Err(DeclError::MissingRequired { path: "id".into() })
        );
        d.set_text(&l, Node::ROOT, FieldId(0), "D1").unwrap();
        assert_eq!(
            d.validate(&l),
            Err(DeclError::MissingRequired {
                path: "items".into()
            })
        );
        let a = d.push_element(&l, Node::ROOT, FieldId(1)).unwrap();
        d.set_text(&l, a, FieldId(0), "6403").unwrap();
        let _b = d.push_element(&l, Node::ROOT, FieldId(1)).unwrap();
        assert_eq!(
            d.validate(&l),
            Err(DeclError::MissingRequired {
                path: "items[1].hs".into()
            })
        );
    }

    #[test]
    fn validate_checks_elements_cut_off_their_list_by_path() {
        // An element whose list was then marked missing is still in its
        // pool with a required field unset: the pool pass sees it, and the
        // walk from the root reports what is really missing (the list).
        let l = layout();
        let mut d = Declaration::new(&l);
        d.set_text(&l, Node::ROOT, FieldId(0), "D1").unwrap();
        let _orphan = d.push_element(&l, Node::ROOT, FieldId(1)).unwrap();
        d.set_missing(&l, Node::ROOT, FieldId(1)).unwrap();
        assert_eq!(
            d.validate(&l),
            Err(DeclError::MissingRequired {
                path: "items".into()
            })
        );
        d.start_list(&l, Node::ROOT, FieldId(1)).unwrap();
        assert_eq!(d.validate(&l), Ok(()));
        // After `clear`, the pools are empty again.
        d.clear();
        d.set_text(&l, Node::ROOT, FieldId(0), "D2").unwrap();
        d.start_list(&l, Node::ROOT, FieldId(1)).unwrap();
        assert_eq!(d.validate(&l), Ok(()));
    }

    #[test]
    fn recursive_layouts_are_validated_by_the_tree_walk() {
        let l = Layout::new(
            vec![
                Record {
                    name: "declaration".into(),
                    fields: vec![
                        Field {
                            name: "id".into(),
                            ty: FieldType::Text,
                            optional: false,
                        },
                        Field {
                            name: "parts".into(),
                            ty: FieldType::List(RecordId(1)),
                            optional: true,
                        },
                    ]
                    .into(),
                },
                Record {
                    name: "part".into(),
                    fields: vec![Field {
                        name: "parts".into(),
                        ty: FieldType::List(RecordId(1)),
                        optional: true,
                    }]
                    .into(),
                },
            ],
            FieldId(0),
        )
        .unwrap();
        assert!(may_nest_deep(&l));
        assert!(!may_nest_deep(&layout()));
        let mut d = Declaration::new(&l);
        d.set_text(&l, Node::ROOT, FieldId(0), "D1").unwrap();
        let mut at = d.push_element(&l, Node::ROOT, FieldId(1)).unwrap();
        assert_eq!(d.validate(&l), Ok(()));
        for _ in 0..MAX_VALIDATE_DEPTH + 1 {
            at = d.push_element(&l, at, FieldId(0)).unwrap();
        }
        assert_eq!(d.validate(&l), Err(DeclError::TooLarge));
    }

    /// `clear` sets the root's slots back to missing in place when the
    /// root record has one instance, and rebuilds the pool when elements
    /// of the root's own type were appended to it (a schema whose
    /// declaration lists declarations): either way the next declaration
    /// starts from nothing.
    #[test]
    fn clear_forgets_the_declaration_in_place_or_when_the_root_nests() {
        let nested = crate::layout::test_layout(&[(
            "declaration",
            &[
                ("id", FieldType::Text, false),
                ("subs", FieldType::List(RecordId(0)), true),
            ],
        )]);
        for l in [layout(), nested] {
            let list = FieldId(1);
            let mut d = Declaration::new(&l);
            for round in 0..3 {
                for f in 0..2 {
                    assert_eq!(
                        d.slot(Node::ROOT, FieldId(f)),
                        Slot::Missing,
                        "round {round}"
                    );
                }
                assert!(d.text.is_empty());
                assert_eq!(
                    d.validate(&l),
                    Err(DeclError::MissingRequired { path: "id".into() })
                );
                d.set_text(&l, Node::ROOT, FieldId(0), "D1").unwrap();
                let e = d.push_element(&l, Node::ROOT, list).unwrap();
                d.set_text(&l, e, FieldId(0), "x").unwrap();
                let n = d.elements(e.record, d.slot(Node::ROOT, list)).count();
                assert_eq!(n, 1, "round {round}: one element, none left from before");
                assert_eq!(d.validate(&l), Ok(()));
                d.clear();
            }
        }
    }

    #[test]
    fn elements_appended_out_of_order_keep_their_list() {
        let l = layout();
        let mut d = Declaration::new(&l);
        d.set_text(&l, Node::ROOT, FieldId(0), "D1").unwrap();
        d.start_list(&l, Node::ROOT, FieldId(1)).unwrap();
        assert_eq!(d.validate(&l), Ok(()));
        for hs in ["1", "2", "3"] {
            let e = d.push_element(&l, Node::ROOT, FieldId(1)).unwrap();
            d.set_text(&l, e, FieldId(0), hs).unwrap();
        }
        let list = d.slot(Node::ROOT, FieldId(1));
        let got: Vec<&str> = d
            .elements(RecordId(1), list)
            .map(|n| match d.slot(n, FieldId(0)) {
                Slot::Text { start, len } => d.text(start, len),
                _ => "?",
            })
            .collect();
        assert_eq!(got, ["1", "2", "3"]);
        assert_eq!(d.validate(&l), Ok(()));
    }

    /// The pass the `filled` counts replace: every required slot of every
    /// instance, read.
    fn scan_required(d: &Declaration) -> bool {
        d.pools.iter().all(|p| {
            p.required.is_empty()
                || p.slots.chunks_exact(p.stride).all(|inst| {
                    p.required
                        .iter()
                        .all(|&f| !matches!(inst.get(f as usize), None | Some(Slot::Missing)))
                })
        })
    }

    proptest::proptest! {
        /// After any sequence of writes (values, `null`s, lists started,
        /// elements appended to the root's list or cut off by marking it
        /// missing, `clear`), the O(1) count agrees with reading every
        /// required slot.
        #[test]
        fn filled_counts_agree_with_a_scan_of_the_slots(
            ops in proptest::collection::vec((0u8..8, 0u8..4), 0..40),
        ) {
            let l = layout();
            let mut d = Declaration::new(&l);
            let mut elements: Vec<Node> = Vec::new();
            for (op, arg) in ops {
                let elem = elements.get(arg as usize % elements.len().max(1)).copied();
                match (op, elem) {
                    (0, _) => d.set_text(&l, Node::ROOT, FieldId(0), "D1").unwrap(),
                    (1, _) => d.set_missing(&l, Node::ROOT, FieldId(0)).unwrap(),
                    (2, _) => {
                        d.start_list(&l, Node::ROOT, FieldId(1)).unwrap();
                    }
                    (3, _) => elements.push(d.push_element(&l, Node::ROOT, FieldId(1)).unwrap()),
                    (4, _) => d.set_missing(&l, Node::ROOT, FieldId(1)).unwrap(),
                    (5, Some(e)) => d.set_text(&l, e, FieldId(arg as u32 % 2), "x").unwrap(),
                    (6, Some(e)) => d.set_missing(&l, e, FieldId(arg as u32 % 2)).unwrap(),
                    (7, _) => {
                        d.clear();
                        elements.clear();
                    }
                    _ => {}
                }
                proptest::prop_assert_eq!(d.required_all_set(), scan_required(&d));
            }
        }
    }
}
