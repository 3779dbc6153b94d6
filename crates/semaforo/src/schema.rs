//! What a host may read of a compiled ruleset's shape: the key field, the
//! schema's fields (names, types, optionality, the fields of list
//! elements) and the rules in the order outcomes number them.
//!
//! These are views of the compiled plan with facade types only, so a host
//! (the `semaforo` command, say) can map columns to fields or name the
//! rules an [`Outcome`](crate::Outcome) refers to by index, without the
//! plan's types.
//!
//! ```
//! let mut c = semaforo::Compiler::new();
//! c.add_source("r.sem", r#"ruleset "d" version "1"
//! record item { hs: text
//!   qty: number? }
//! schema declaration { key id: text
//!   origin: text
//!   items: [item] }
//! rule SHOE "Shoes" { when any(it in items: it.hs starts with "6403") then lane red }
//! "#);
//! let ruleset = c.compile().unwrap();
//! assert_eq!(ruleset.key_field(), "id");
//! let names: Vec<&str> = ruleset.fields().map(|f| f.name()).collect();
//! assert_eq!(names, ["id", "origin", "items"]);
//! let items = ruleset.fields().find(|f| f.name() == "items").unwrap();
//! let elems: Vec<(&str, bool)> = items.element_fields().map(|f| (f.name(), f.is_optional())).collect();
//! assert_eq!(elems, [("hs", false), ("qty", true)]);
//! let rules: Vec<&str> = ruleset.rules().map(|r| r.id).collect();
//! assert_eq!(rules, ["SHOE"]);
//! ```

use crate::ruleset::Ruleset;
use semaforo_plan::Date;
use semaforo_plan::FieldType;
use semaforo_plan::layout::{Field, Layout, RecordId};
use std::fmt;

/// The declaration record's id in every layout.
const ROOT: RecordId = RecordId(0);

/// One field of the schema, or of the records of a list field.
#[derive(Clone, Copy)]
pub struct SchemaField<'a> {
    layout: &'a Layout,
    field: &'a Field,
}

/// The field alone, not the whole layout it points into.
impl fmt::Debug for SchemaField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaField")
            .field("name", &self.name())
            .field("field_type", &self.field_type())
            .field("optional", &self.is_optional())
            .finish()
    }
}

impl<'a> SchemaField<'a> {
    /// The field's name (without the list's name for an element field).
    pub fn name(&self) -> &'a str {
        &self.field.name
    }

    /// The field's type; [`FieldType::List`] for a list of records, whose
    /// fields [`SchemaField::element_fields`] gives.
    pub fn field_type(&self) -> FieldType {
        self.field.ty
    }

    /// Whether the field is marked `?` (may be missing or null).
    pub fn is_optional(&self) -> bool {
        self.field.optional
    }

    /// The fields of a list field's records, in declaration order; none for
    /// any other field.
    pub fn element_fields(&self) -> impl Iterator<Item = SchemaField<'a>> + 'a {
        let layout = self.layout;
        let fields = match self.field.ty {
            FieldType::List(r) => layout.record(r).map(|r| &*r.fields),
            _ => None,
        };
        fields
            .unwrap_or_default()
            .iter()
            .map(move |field| SchemaField { layout, field })
    }
}

/// A rule of the ruleset, as [`Ruleset::rules`] lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleSummary<'a> {
    /// The rule's id (`WATCH-001`).
    pub id: &'a str,
    /// The rule's title.
    pub title: &'a str,
    /// The lane its `lane` action sets, as an index into
    /// [`Ruleset::lanes`] (as [`Outcome::lane`](crate::Outcome) is one).
    pub lane: Option<u16>,
    /// The points of its `score` action.
    pub score: Option<i64>,
    /// `monitor`: a shadow rule, listed in `monitored` and never in
    /// `fired` or `undetermined`.
    pub monitor: bool,
    /// A lane split: each lane (an index into [`Ruleset::lanes`]) with its
    /// cumulative cut-off in millionths; empty without one.
    pub split: &'a [(u16, u32)],
    /// The package the rule belongs to (its `id` is then qualified:
    /// `sica/VAL-001`).
    pub package: Option<&'a str>,
    /// The rule's `profile` clause.
    pub profile: RuleProfile<'a>,
    /// The ruleset's `override` of this rule.
    pub overlay: Option<RuleOverride<'a>>,
}

/// Who owns a rule and where it is in its lifecycle (its `profile`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleProfile<'a> {
    /// `owner`: the unit that owns the rule.
    pub owner: Option<&'a str>,
    /// `level`: `regional`, `national` or `office`.
    pub level: Option<&'static str>,
    /// `status`: `draft`, `active` (the default), `suspended` or
    /// `retired`; only an `active` rule is evaluated.
    pub status: &'static str,
    /// `approved`: who approved it.
    pub approved: Option<&'a str>,
    /// `basis`: its legal basis or reference.
    pub basis: Option<&'a str>,
    /// `review`: the day by which it must be reviewed.
    pub review: Option<Date>,
}

/// An `override` of a package's rule by the ruleset that uses the package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleOverride<'a> {
    /// `disable` (otherwise the override adjusts the rule).
    pub disabled: bool,
    /// `reason "..."`.
    pub reason: &'a str,
    /// `until DATE`: the last day it applies.
    pub until: Option<Date>,
}

/// A package the ruleset is built from ([`Ruleset::packages`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackageInfo<'a> {
    /// Its name, the qualifier of its rule ids.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
}

impl Ruleset {
    /// The name of the schema's `key` field (the declaration's id).
    pub fn key_field(&self) -> &str {
        let layout = self.plan().layout();
        layout.field(ROOT, layout.key()).map_or("", |f| &*f.name)
    }

    /// The schema's top-level fields, in declaration order.
    pub fn fields(&self) -> impl Iterator<Item = SchemaField<'_>> {
        let layout = self.plan().layout();
        layout
            .record(ROOT)
            .map(|r| &*r.fields)
            .unwrap_or_default()
            .iter()
            .map(move |field| SchemaField { layout, field })
    }

    /// Every rule in ruleset order: the `i`-th is the rule an
    /// [`Outcome`](crate::Outcome) calls `i` (in `fired[..].rule` and
    /// `undetermined`).
    pub fn rules(&self) -> impl ExactSizeIterator<Item = RuleSummary<'_>> {
        let program = self.program();
        self.plan()
            .rules()
            .iter()
            .zip(&program.rules)
            .map(move |(r, def)| {
                let p = &def.profile;
                RuleSummary {
                    id: &r.id,
                    title: &r.title,
                    lane: r.lane,
                    score: r.score,
                    monitor: r.monitor,
                    split: &r.split,
                    package: def
                        .package
                        .and_then(|i| program.packages.get(i as usize))
                        .map(|k| k.name.as_str()),
                    profile: RuleProfile {
                        owner: p.owner.as_deref(),
                        level: p.level.map(|l| l.as_str()),
                        status: p.status.as_str(),
                        approved: p.approved.as_deref(),
                        basis: p.basis.as_deref(),
                        review: p.review,
                    },
                    overlay: def.overlay.as_ref().map(|o| RuleOverride {
                        disabled: o.adjust.is_none(),
                        reason: &o.reason,
                        until: o.until,
                    }),
                }
            })
    }

    /// The packages the ruleset is built from, in the order given (empty
    /// for a ruleset without packages).
    pub fn packages(&self) -> impl ExactSizeIterator<Item = PackageInfo<'_>> {
        self.program().packages.iter().map(|p| PackageInfo {
            name: &p.name,
            version: &p.version,
        })
    }
}
