//! Values seen during evaluation.

use crate::date::Date;
use crate::decimal::Decimal;

/// A scalar value, or *missing*. Text borrows from the declaration buffer or
/// from the plan's constants, so producing a value never allocates.
///
/// For conditions, `Bool(true)`, `Bool(false)` and `Missing` are Kleene's
/// *true*, *false* and *unknown*.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// Missing data, or *unknown* as a truth value.
    Missing,
    /// A boolean.
    Bool(bool),
    /// An exact decimal.
    Number(Decimal),
    /// A date.
    Date(Date),
    /// Text.
    Text(&'a str),
}
