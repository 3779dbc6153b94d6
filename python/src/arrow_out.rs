//! Outcomes as Arrow columns: one row per input row, in input order.
//!
//! `id`, `lane`, `score`, `fired` and `monitored` (lists of
//! `{id, points, draw, lane_draw, lane}`), `overridden` (lists of
//! `{id, change, original, applied, reason}`: the package rules a national
//! `override` changed, empty for a ruleset without overrides), `notes`,
//! `undetermined` and `error`. A row whose declaration could not be bound or evaluated has a
//! null lane, score and lists and its message in `error`: it is never a
//! green row. Draws are `int64` (not `uint32`) so that engines without
//! unsigned types (Spark) read the table as it is.

use arrow_array::builder::{BooleanBuilder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, ListArray, RecordBatch, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use semaforo::{FiredRule, OutcomeView, OverriddenRule};
use std::collections::HashMap;
use std::sync::Arc;

/// The fields of a fired (or monitored) entry.
fn entry_fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("points", DataType::Int64, false),
        Field::new("draw", DataType::Int64, true),
        Field::new("lane_draw", DataType::Int64, true),
        Field::new("lane", DataType::Utf8, true),
    ])
}

/// A list of structs of `fields` (the `fired`, `monitored` and
/// `overridden` columns).
fn struct_list_type(fields: Fields) -> DataType {
    DataType::List(Arc::new(struct_item(fields)))
}

/// The item field of such a list.
fn struct_item(fields: Fields) -> Field {
    Field::new("item", DataType::Struct(fields), true)
}

/// The fields of an `overridden` entry.
fn override_fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("change", DataType::Utf8, false),
        Field::new("original", DataType::Boolean, false),
        Field::new("applied", DataType::Boolean, false),
        Field::new("reason", DataType::Utf8, false),
    ])
}

fn text_list_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// The output schema, with the ruleset and context in its metadata.
pub(crate) fn schema(metadata: HashMap<String, String>) -> SchemaRef {
    Arc::new(
        Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("lane", DataType::Utf8, true),
            Field::new("score", DataType::Int64, true),
            Field::new("fired", struct_list_type(entry_fields()), true),
            Field::new("monitored", struct_list_type(entry_fields()), true),
            Field::new("overridden", struct_list_type(override_fields()), true),
            Field::new("notes", text_list_type(), true),
            Field::new("undetermined", text_list_type(), true),
            Field::new("error", DataType::Utf8, true),
        ])
        .with_metadata(metadata),
    )
}

/// The offsets and validity of a list-of-structs column being built, one
/// row at a time: what the `fired`/`monitored` and `overridden` columns
/// share.
#[derive(Debug)]
struct Rows {
    offsets: Vec<i32>,
    valid: Vec<bool>,
    len: i32,
    /// Names the column in the error for a batch too large.
    what: &'static str,
}

impl Rows {
    fn new(what: &'static str) -> Rows {
        Rows {
            offsets: vec![0],
            valid: Vec::new(),
            len: 0,
            what,
        }
    }

    /// Counts one more struct of the current row.
    fn one_more(&mut self) -> Result<(), String> {
        self.len = self
            .len
            .checked_add(1)
            .ok_or_else(|| format!("too many {} entries in one batch", self.what))?;
        Ok(())
    }

    /// Ends the current row (valid: a list, possibly empty).
    fn end_row(&mut self) {
        self.offsets.push(self.len);
        self.valid.push(true);
    }

    /// A null row (a declaration with no outcome).
    fn push_null(&mut self) {
        self.offsets.push(self.len);
        self.valid.push(false);
    }

    /// The list column over `columns`, structs of `fields`.
    fn finish(self, fields: Fields, columns: Vec<ArrayRef>) -> Result<ArrayRef, String> {
        let st = StructArray::try_new(fields.clone(), columns, None).map_err(|e| e.to_string())?;
        let list = ListArray::try_new(
            Arc::new(struct_item(fields)),
            OffsetBuffer::new(ScalarBuffer::from(self.offsets)),
            Arc::new(st),
            Some(NullBuffer::from(self.valid)),
        )
        .map_err(|e| e.to_string())?;
        Ok(Arc::new(list))
    }
}

/// A list of fired (or monitored) entries being built.
struct Entries {
    rows: Rows,
    id: StringBuilder,
    points: Int64Builder,
    draw: Int64Builder,
    lane_draw: Int64Builder,
    lane: StringBuilder,
}

impl Entries {
    fn new(what: &'static str) -> Entries {
        Entries {
            rows: Rows::new(what),
            id: StringBuilder::new(),
            points: Int64Builder::new(),
            draw: Int64Builder::new(),
            lane_draw: Int64Builder::new(),
            lane: StringBuilder::new(),
        }
    }

    fn push<'a>(&mut self, entries: impl Iterator<Item = FiredRule<'a>>) -> Result<(), String> {
        for f in entries {
            self.id.append_value(f.id);
            self.points.append_value(f.points);
            self.draw.append_option(f.draw.map(i64::from));
            self.lane_draw.append_option(f.lane_draw.map(i64::from));
            self.lane.append_option(f.lane);
            self.rows.one_more()?;
        }
        self.rows.end_row();
        Ok(())
    }

    fn push_null(&mut self) {
        self.rows.push_null();
    }

    fn finish(mut self) -> Result<ArrayRef, String> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.points.finish()),
            Arc::new(self.draw.finish()),
            Arc::new(self.lane_draw.finish()),
            Arc::new(self.lane.finish()),
        ];
        self.rows.finish(entry_fields(), columns)
    }
}

/// A list of `overridden` entries being built.
struct Overrides {
    rows: Rows,
    id: StringBuilder,
    change: StringBuilder,
    original: BooleanBuilder,
    applied: BooleanBuilder,
    reason: StringBuilder,
}

impl Overrides {
    fn new() -> Overrides {
        Overrides {
            rows: Rows::new("overridden"),
            id: StringBuilder::new(),
            change: StringBuilder::new(),
            original: BooleanBuilder::new(),
            applied: BooleanBuilder::new(),
            reason: StringBuilder::new(),
        }
    }

    fn push<'a>(
        &mut self,
        entries: impl Iterator<Item = OverriddenRule<'a>>,
    ) -> Result<(), String> {
        for o in entries {
            self.id.append_value(o.id);
            self.change
                .append_value(if o.disabled { "disabled" } else { "adjusted" });
            self.original.append_value(o.original);
            self.applied.append_value(o.applied);
            self.reason.append_value(o.reason);
            self.rows.one_more()?;
        }
        self.rows.end_row();
        Ok(())
    }

    fn push_null(&mut self) {
        self.rows.push_null();
    }

    fn finish(mut self) -> Result<ArrayRef, String> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.change.finish()),
            Arc::new(self.original.finish()),
            Arc::new(self.applied.finish()),
            Arc::new(self.reason.finish()),
        ];
        self.rows.finish(override_fields(), columns)
    }
}

/// The columns of one output batch, row by row.
pub(crate) struct Outcomes {
    id: StringBuilder,
    lane: StringBuilder,
    score: Int64Builder,
    fired: Entries,
    monitored: Entries,
    overridden: Overrides,
    notes: ListBuilder<StringBuilder>,
    undetermined: ListBuilder<StringBuilder>,
    error: StringBuilder,
}

impl Outcomes {
    pub(crate) fn new() -> Outcomes {
        Outcomes {
            id: StringBuilder::new(),
            lane: StringBuilder::new(),
            score: Int64Builder::new(),
            fired: Entries::new("fired"),
            monitored: Entries::new("monitored"),
            overridden: Overrides::new(),
            notes: ListBuilder::new(StringBuilder::new()),
            undetermined: ListBuilder::new(StringBuilder::new()),
            error: StringBuilder::new(),
        }
    }

    /// Appends an evaluated row.
    pub(crate) fn push(&mut self, v: &OutcomeView<'_>) -> Result<(), String> {
        self.id.append_value(v.id());
        self.lane.append_value(v.lane());
        self.score.append_value(v.score());
        self.fired.push(v.fired())?;
        self.monitored.push(v.monitored())?;
        self.overridden.push(v.overridden())?;
        for n in v.notes() {
            self.notes.values().append_value(n);
        }
        self.notes.append(true);
        for u in v.undetermined() {
            self.undetermined.values().append_value(u);
        }
        self.undetermined.append(true);
        self.error.append_null();
        Ok(())
    }

    /// Appends a row whose declaration could not be read or evaluated.
    pub(crate) fn push_error(&mut self, id: Option<&str>, message: &str) {
        self.id.append_option(id);
        self.lane.append_null();
        self.score.append_null();
        self.fired.push_null();
        self.monitored.push_null();
        self.overridden.push_null();
        self.notes.append_null();
        self.undetermined.append_null();
        self.error.append_value(message);
    }

    pub(crate) fn finish(mut self, schema: SchemaRef) -> Result<RecordBatch, String> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.lane.finish()),
            Arc::new(self.score.finish()),
            self.fired.finish()?,
            self.monitored.finish()?,
            self.overridden.finish()?,
            Arc::new(self.notes.finish()),
            Arc::new(self.undetermined.finish()),
            Arc::new(self.error.finish()),
        ];
        RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())
    }
}
