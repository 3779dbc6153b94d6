//! A compiled ruleset, declaration buffers, evaluation and outcomes.

use crate::fingerprint::hex;
use crate::source::Sources;
use semaforo_compile::hir::{Program, TestDef};
use semaforo_compile::lower::Externals;
use semaforo_plan::decl::DeclError;
use semaforo_plan::json::{BindError, JsonBinder};
use semaforo_plan::plan::{EvalContext, EvalError, Plan, Scratch};
use semaforo_plan::{
    Date, Decimal, FieldId, FieldType, Node, Outcome, RecordId, SamplingKey, Slot,
};
use semaforo_syntax::Diagnostic;
use std::fmt::Write as _;
use std::sync::Arc;

#[derive(Debug)]
struct Inner {
    plan: Plan,
    fingerprint: [u8; 32],
    fingerprint_hex: String,
    tests: Vec<TestDef>,
    warnings: Vec<Diagnostic>,
    sources: Sources,
    /// The checked program (without its tests), for `explain`.
    program: Program,
    /// The typed external lists and tables, for `explain`.
    externals: Externals,
    /// Some rule has an `override` (outcomes then carry `overridden`).
    has_overrides: bool,
    /// The first rule in force that draws (`sample` or a lane split, its
    /// override's included), if any.
    draws: Option<String>,
}

/// A compiled, immutable ruleset: cheap to clone (an `Arc`), `Send + Sync`,
/// shared by every thread that evaluates declarations. To reload rules,
/// compile a new `Ruleset` and swap it in; evaluations in flight keep the
/// one they started with.
#[derive(Clone, Debug)]
pub struct Ruleset {
    inner: Arc<Inner>,
}

/// Figures about a compiled ruleset ([`Ruleset::stats`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanStats {
    /// Rules in the ruleset.
    pub rules: usize,
    /// Rules the rule index can skip for a declaration (the others are
    /// evaluated for every declaration).
    pub indexed_rules: usize,
    /// Bytes the compiled plan holds on the heap.
    pub heap_bytes: usize,
}

/// The host's evaluation settings for a declaration.
#[derive(Clone, Debug)]
pub struct Context {
    /// The evaluation date (`today` in rules, and the date active windows
    /// are checked against).
    pub today: Date,
    /// The secret sampling key.
    pub sampling_key: SamplingKey,
    /// A label for the key in use (never the key itself), recorded in every
    /// outcome so draws stay replayable after the key is rotated.
    pub sampling_key_id: String,
    /// False for [`Context::without_sampling`]: evaluating a ruleset that
    /// draws (a `sample` or a lane split) is then refused
    /// ([`InputError::NoSamplingKey`]) instead of drawing with a key nobody
    /// chose.
    pub sampling: bool,
}

impl Context {
    /// A context for `today` with the given key and label.
    pub fn new(
        today: Date,
        sampling_key: SamplingKey,
        sampling_key_id: impl Into<String>,
    ) -> Context {
        Context {
            today,
            sampling_key,
            sampling_key_id: sampling_key_id.into(),
            sampling: true,
        }
    }

    /// A context for `today` without a sampling key, for a host whose
    /// rulesets never draw (no `sample`, no lane split). A ruleset that
    /// does draw refuses it ([`InputError::NoSamplingKey`]): a draw is only
    /// auditable with the administration's key.
    ///
    /// ```
    /// # let mut c = semaforo::Compiler::new();
    /// # c.add_source("r.sem", "ruleset \"d\" version \"1\"\nschema d { key id: text }\nrule R \"r\" { sample 2% then lane red }\n");
    /// # let ruleset = c.compile().unwrap();
    /// let ctx = semaforo::Context::without_sampling(semaforo::Date::parse("2026-06-01").unwrap());
    /// let err = ruleset.evaluator().eval_json(br#"{"id": "D1"}"#, &ctx).unwrap_err();
    /// assert!(matches!(err, semaforo::InputError::NoSamplingKey { .. }));
    /// ```
    pub fn without_sampling(today: Date) -> Context {
        Context {
            today,
            sampling_key: SamplingKey::default(),
            sampling_key_id: "none".to_string(),
            sampling: false,
        }
    }
}

/// A field resolved once by name (`importer`, `items.net_kg`), for filling
/// declarations directly without JSON.
///
/// A handle belongs to the ruleset it was resolved on: the setters of a
/// [`Declaration`] of any other ruleset refuse it with
/// [`InputError::ForeignHandle`], even when both were compiled from the same
/// schema. After a reload, resolve handles again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldHandle {
    record: RecordId,
    field: FieldId,
    ty: FieldType,
    /// The stamp of the layout the field was resolved in (unique per
    /// compiled ruleset): setters refuse a handle whose stamp is not their
    /// declaration's, and for one that matches they know the field's type
    /// without a layout lookup.
    stamp: u64,
}

impl FieldHandle {
    /// The field's type.
    pub fn field_type(&self) -> FieldType {
        self.ty
    }

    /// True if the field belongs to the declaration itself rather than to a
    /// record in a list.
    pub fn is_top_level(&self) -> bool {
        self.record == RecordId(0)
    }
}

/// Why input could not be bound.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// JSON input did not match the schema.
    #[error(transparent)]
    Json(#[from] BindError),
    /// No field has this path.
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// A value could not be stored in a field.
    #[error("`{path}`: {source}")]
    Field {
        /// The field's path.
        path: String,
        /// What went wrong.
        source: DeclError,
    },
    /// A required field was never set (direct binding).
    #[error(transparent)]
    Incomplete(DeclError),
    /// The handle or element does not belong to the record it was used on.
    #[error("field handle used on an element of another record type")]
    WrongRecord,
    /// The declaration buffer was made by another ruleset.
    #[error("declaration buffer belongs to another ruleset")]
    WrongRuleset,
    /// The field handle was resolved on another ruleset (for instance
    /// before a reload): resolve handles again on the ruleset in use.
    #[error("field handle was resolved on another ruleset; resolve it again on this one")]
    ForeignHandle,
    /// Evaluation failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The ruleset draws (`sample`, lane splits) but the context has no
    /// sampling key ([`Context::without_sampling`]).
    #[error(
        "rule `{rule}` draws (a sample or a lane split) but the context has no sampling key: use Context::new with the administration's key"
    )]
    NoSamplingKey {
        /// The first rule that draws.
        rule: String,
    },
}

/// A reusable buffer holding one bound declaration.
#[derive(Clone, Debug)]
pub struct Declaration {
    ruleset: Ruleset,
    inner: semaforo_plan::Declaration,
}

/// An element of a declaration: the declaration itself ([`Declaration::root`])
/// or a record appended to a list ([`Declaration::push`]).
pub type Element = Node;

impl Declaration {
    /// Forgets the bound declaration, keeping its allocations.
    #[inline]
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    /// The declaration itself.
    pub fn root(&self) -> Element {
        Node::ROOT
    }

    /// Checks that `h` was resolved on this declaration's ruleset and names
    /// a field of `at`'s record type.
    #[inline(always)]
    fn check(&self, at: Element, h: FieldHandle) -> Result<(), InputError> {
        // A handle resolved on another ruleset (kept across a reload, say)
        // names a field by its index there; here that index may be another
        // field, so it is refused rather than written.
        if h.stamp != self.inner.stamp() {
            return Err(InputError::ForeignHandle);
        }
        if at.record == h.record {
            Ok(())
        } else {
            Err(InputError::WrongRecord)
        }
    }

    #[inline(always)]
    fn wrap(&self, h: FieldHandle, r: Result<(), DeclError>) -> Result<(), InputError> {
        match r {
            Ok(()) => Ok(()),
            Err(source) => Err(self.field_error(h, source)),
        }
    }

    /// The error for a value that could not be stored (kept out of line:
    /// it formats the field's path).
    #[cold]
    #[inline(never)]
    fn field_error(&self, h: FieldHandle, source: DeclError) -> InputError {
        InputError::Field {
            path: self.ruleset.field_path(h),
            source,
        }
    }

    /// Sets a text field of `at`.
    #[inline(always)]
    pub fn set_text(&mut self, at: Element, h: FieldHandle, value: &str) -> Result<(), InputError> {
        self.check(at, h)?;
        let r = if h.ty == FieldType::Text {
            self.inner.set_text_known(at, h.field, value)
        } else {
            self.inner
                .set_text(self.ruleset.inner.plan.layout(), at, h.field, value)
        };
        self.wrap(h, r)
    }

    /// Sets a number field of `at`.
    #[inline(always)]
    pub fn set_number(
        &mut self,
        at: Element,
        h: FieldHandle,
        value: Decimal,
    ) -> Result<(), InputError> {
        self.check(at, h)?;
        let r = if h.ty == FieldType::Number {
            self.inner.set_number_known(at, h.field, value)
        } else {
            self.inner
                .set_number(self.ruleset.inner.plan.layout(), at, h.field, value)
        };
        self.wrap(h, r)
    }

    /// Sets a bool field of `at`.
    #[inline]
    pub fn set_bool(&mut self, at: Element, h: FieldHandle, value: bool) -> Result<(), InputError> {
        self.check(at, h)?;
        let r = self
            .inner
            .set_bool(self.ruleset.inner.plan.layout(), at, h.field, value);
        self.wrap(h, r)
    }

    /// Sets a date field of `at`.
    #[inline]
    pub fn set_date(&mut self, at: Element, h: FieldHandle, value: Date) -> Result<(), InputError> {
        self.check(at, h)?;
        let r = self
            .inner
            .set_date(self.ruleset.inner.plan.layout(), at, h.field, value);
        self.wrap(h, r)
    }

    /// Marks a field of `at` missing.
    pub fn set_missing(&mut self, at: Element, h: FieldHandle) -> Result<(), InputError> {
        self.check(at, h)?;
        let r = self
            .inner
            .set_missing(self.ruleset.inner.plan.layout(), at, h.field);
        self.wrap(h, r)
    }

    /// Makes the list field `list` of `at` present (and empty, if it was
    /// missing).
    pub fn start_list(&mut self, at: Element, list: FieldHandle) -> Result<(), InputError> {
        self.check(at, list)?;
        let r = self
            .inner
            .start_list(self.ruleset.inner.plan.layout(), at, list.field)
            .map(|_| ());
        self.wrap(list, r)
    }

    /// Appends a new record to the list field `list` of `at` and returns it.
    #[inline(always)]
    pub fn push(&mut self, at: Element, list: FieldHandle) -> Result<Element, InputError> {
        self.check(at, list)?;
        let r = match list.ty {
            FieldType::List(elem) => self.inner.push_element_known(at, list.field, elem),
            _ => self
                .inner
                .push_element(self.ruleset.inner.plan.layout(), at, list.field),
        };
        match r {
            Ok(e) => Ok(e),
            Err(source) => Err(self.field_error(list, source)),
        }
    }

    /// Checks that every required field is present (JSON binding does this
    /// itself; after direct binding, [`Evaluator::eval`] calls it). Does not
    /// allocate unless a field is missing.
    #[inline]
    pub fn validate(&self) -> Result<(), InputError> {
        self.inner
            .validate(self.ruleset.inner.plan.layout())
            .map_err(InputError::Incomplete)
    }

    /// The declaration's key field value (empty if not bound).
    pub fn key(&self) -> &str {
        match self
            .inner
            .slot(Node::ROOT, self.ruleset.inner.plan.layout().key())
        {
            Slot::Text { start, len } => self.inner.text(start, len),
            _ => "",
        }
    }

    /// The underlying plan-level buffer.
    pub(crate) fn as_plan(&self) -> &semaforo_plan::Declaration {
        &self.inner
    }
}

impl Ruleset {
    pub(crate) fn new(
        plan: Plan,
        mut program: Program,
        externals: Externals,
        fingerprint: [u8; 32],
        warnings: Vec<Diagnostic>,
        sources: Sources,
    ) -> Ruleset {
        let tests = std::mem::take(&mut program.tests);
        let has_overrides = program.rules.iter().any(|r| r.overlay.is_some());
        let splits = |lane: &Option<semaforo_compile::hir::LaneAction>| {
            matches!(lane, Some(semaforo_compile::hir::LaneAction::Split(_)))
        };
        let draws = program
            .rules
            .iter()
            .find(|r| {
                r.in_force()
                    && (r.sample.is_some()
                        || splits(&r.lane)
                        || r.overlay
                            .as_ref()
                            .and_then(|o| o.adjust.as_ref())
                            .and_then(|a| a.actions.as_ref())
                            .is_some_and(|a| splits(&a.lane)))
            })
            .map(|r| r.id.clone());
        Ruleset {
            inner: Arc::new(Inner {
                plan,
                fingerprint,
                fingerprint_hex: hex(&fingerprint),
                tests,
                warnings,
                sources,
                program,
                externals,
                has_overrides,
                draws,
            }),
        }
    }

    /// The checked program the plan was lowered from (its tests moved out).
    pub(crate) fn program(&self) -> &Program {
        &self.inner.program
    }

    /// The typed external lists and tables.
    pub(crate) fn externals(&self) -> &Externals {
        &self.inner.externals
    }

    /// The ruleset's name (`ruleset NAME`).
    pub fn name(&self) -> &str {
        self.inner.plan.name()
    }

    /// The ruleset's version.
    pub fn version(&self) -> &str {
        self.inner.plan.version()
    }

    /// SHA-256 over the sources and external data (see `docs/fingerprint.md`
    /// in the repository).
    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.inner.fingerprint
    }

    /// The fingerprint as lowercase hexadecimal.
    pub fn fingerprint_hex(&self) -> &str {
        &self.inner.fingerprint_hex
    }

    /// True if the ruleset overrides any package rule (its outcomes then
    /// carry `overridden`).
    pub fn has_overrides(&self) -> bool {
        self.inner.has_overrides
    }

    /// Lane names, least severe first.
    pub fn lanes(&self) -> &[Box<str>] {
        self.inner.plan.lanes()
    }

    /// The compiled plan (internal: hosts see the ruleset through this
    /// type's methods, never the plan's).
    pub(crate) fn plan(&self) -> &Plan {
        &self.inner.plan
    }

    /// Figures about the compiled plan, for capacity planning and the
    /// benchmarks.
    pub fn stats(&self) -> PlanStats {
        let plan = &self.inner.plan;
        PlanStats {
            rules: plan.rules().len(),
            indexed_rules: plan.indexed_rules(),
            heap_bytes: plan.heap_bytes(),
        }
    }

    /// The ids of the rules the rule index never skips, in ruleset order:
    /// no top-level conjunct of their condition is a guard it recognises,
    /// so they are evaluated for every declaration (see
    /// `docs/performance.md`, "Writing rules the index can use"). Rules
    /// whose profile status keeps them from being evaluated are left out.
    pub fn unindexed_rules(&self) -> impl Iterator<Item = &str> + '_ {
        let plan = self.plan();
        plan.unindexed_rules()
            .filter_map(move |r| plan.rules().get(r as usize).map(|i| &*i.id))
    }

    /// The ruleset's `test` blocks.
    pub(crate) fn tests(&self) -> &[TestDef] {
        &self.inner.tests
    }

    /// Warnings found while compiling.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }

    /// The sources the ruleset was compiled from.
    pub fn sources(&self) -> &Sources {
        &self.inner.sources
    }

    /// A new, empty declaration buffer for this ruleset.
    pub fn new_declaration(&self) -> Declaration {
        Declaration {
            ruleset: self.clone(),
            inner: semaforo_plan::Declaration::new(self.inner.plan.layout()),
        }
    }

    /// A new scratch buffer for [`Ruleset::evaluate`]; one per thread.
    pub fn new_scratch(&self) -> Scratch {
        self.inner.plan.new_scratch()
    }

    /// Resolves a field by path: `importer`, or `items.net_kg` for a field
    /// of the records in the list `items` (any depth).
    pub fn field(&self, path: &str) -> Result<FieldHandle, InputError> {
        let layout = self.inner.plan.layout();
        let mut record = RecordId(0);
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let (id, f) = layout
                .field_by_name(record, part)
                .ok_or_else(|| InputError::UnknownField(path.to_string()))?;
            if parts.peek().is_none() {
                return Ok(FieldHandle {
                    record,
                    field: id,
                    ty: f.ty,
                    stamp: layout.stamp(),
                });
            }
            match f.ty {
                FieldType::List(r) => record = r,
                _ => return Err(InputError::UnknownField(path.to_string())),
            }
        }
        Err(InputError::UnknownField(path.to_string()))
    }

    /// The path of a field handle, for messages.
    fn field_path(&self, h: FieldHandle) -> String {
        let layout = self.inner.plan.layout();
        let name = layout
            .field(h.record, h.field)
            .map_or("?", |f| &f.name)
            .to_string();
        match layout.record(h.record) {
            Some(r) if h.record != RecordId(0) => format!("{}.{name}", r.name),
            _ => name,
        }
    }

    /// Binds a JSON object into `decl` (SPEC §4).
    pub fn bind_json(
        &self,
        binder: &mut JsonBinder,
        json: &[u8],
        decl: &mut Declaration,
    ) -> Result<(), InputError> {
        if decl.inner.stamp() != self.inner.plan.layout().stamp() {
            return Err(InputError::WrongRuleset);
        }
        binder.bind(self.inner.plan.layout(), json, &mut decl.inner)?;
        Ok(())
    }

    /// Evaluates a bound declaration into `out`. Performs no heap allocation
    /// once `scratch` and `out` have been used for a declaration of similar
    /// size. A declaration filled by field handle should be checked with
    /// [`Declaration::validate`] first: a required field left unset reads as
    /// missing here.
    #[inline]
    pub fn evaluate(
        &self,
        decl: &Declaration,
        ctx: &Context,
        scratch: &mut Scratch,
        out: &mut Outcome,
    ) -> Result<(), InputError> {
        if !ctx.sampling
            && let Some(rule) = &self.inner.draws
        {
            return Err(InputError::NoSamplingKey { rule: rule.clone() });
        }
        let ec = EvalContext {
            today: ctx.today,
            sampling_key: &ctx.sampling_key,
        };
        self.inner
            .plan
            .evaluate(&decl.inner, &ec, scratch, out)
            .map_err(InputError::from)
    }

    /// A readable view of an outcome produced by this ruleset.
    pub fn view<'a>(
        &'a self,
        decl: &'a Declaration,
        ctx: &'a Context,
        outcome: &'a Outcome,
    ) -> OutcomeView<'a> {
        self.view_keyed(decl.key(), ctx, outcome)
    }

    /// A readable view of an outcome whose declaration is no longer at
    /// hand: `id` is that declaration's key (as [`Declaration::key`] gave
    /// it). For hosts that keep outcomes longer than declarations, such as
    /// the C ABI.
    pub fn view_keyed<'a>(
        &'a self,
        id: &'a str,
        ctx: &'a Context,
        outcome: &'a Outcome,
    ) -> OutcomeView<'a> {
        OutcomeView {
            ruleset: self,
            id,
            ctx,
            outcome,
        }
    }

    /// An evaluator owning every buffer evaluation needs, for one thread.
    pub fn evaluator(&self) -> Evaluator {
        Evaluator {
            ruleset: self.clone(),
            decl: self.new_declaration(),
            scratch: self.new_scratch(),
            outcome: Outcome::default(),
            fresh: false,
            binder: JsonBinder::default(),
        }
    }
}

/// Everything one thread needs to evaluate declarations: a declaration
/// buffer, scratch space, an outcome and a JSON binder, all reused.
///
/// ```
/// # let mut c = semaforo::Compiler::new();
/// # c.add_source("r.sem", "ruleset \"d\" version \"1\"\nschema d { key id: text\n origin: text }\nrule R \"CN\" { when origin == \"CN\" then lane red }\n");
/// # let ruleset = c.compile().unwrap();
/// let ctx = semaforo::Context::new(semaforo::Date::parse("2026-06-01").unwrap(), Default::default(), "k0");
/// let mut ev = ruleset.evaluator();
/// let out = ev.eval_json(br#"{"id": "D1", "origin": "CN"}"#, &ctx).unwrap();
/// assert_eq!(out.lane(), "red");
/// ```
#[derive(Debug)]
pub struct Evaluator {
    ruleset: Ruleset,
    decl: Declaration,
    scratch: Scratch,
    outcome: Outcome,
    // INVARIANT (fresh): true only while `outcome` is the outcome of the
    // declaration in `decl`: set by a successful evaluation, cleared at the
    // start of every evaluation and whenever the buffer is lent out for
    // filling, so a failed evaluation never leaves the previous
    // declaration's outcome readable.
    fresh: bool,
    binder: JsonBinder,
}

impl Evaluator {
    /// Binds `json` and evaluates it.
    pub fn eval_json<'a>(
        &'a mut self,
        json: &[u8],
        ctx: &'a Context,
    ) -> Result<OutcomeView<'a>, InputError> {
        self.fresh = false;
        self.ruleset
            .bind_json(&mut self.binder, json, &mut self.decl)?;
        self.evaluate_bound(ctx)
    }

    /// The declaration buffer, to fill directly by field handle. The last
    /// outcome is no longer readable through [`Evaluator::outcome`].
    pub fn declaration_mut(&mut self) -> &mut Declaration {
        self.fresh = false;
        &mut self.decl
    }

    /// The declaration buffer.
    pub fn declaration(&self) -> &Declaration {
        &self.decl
    }

    /// Evaluates the declaration currently in the buffer, after checking
    /// that every required field was set.
    pub fn eval<'a>(&'a mut self, ctx: &'a Context) -> Result<OutcomeView<'a>, InputError> {
        self.fresh = false;
        self.decl.validate()?;
        self.evaluate_bound(ctx)
    }

    fn evaluate_bound<'a>(&'a mut self, ctx: &'a Context) -> Result<OutcomeView<'a>, InputError> {
        self.fresh = false;
        self.ruleset
            .evaluate(&self.decl, ctx, &mut self.scratch, &mut self.outcome)?;
        self.fresh = true;
        Ok(self.ruleset.view(&self.decl, ctx, &self.outcome))
    }

    /// The outcome of the last evaluation, if it succeeded; `None` before
    /// the first evaluation, after a failed one (a declaration that could
    /// not be read has no outcome), and once the buffer was lent out again
    /// by [`Evaluator::declaration_mut`].
    pub fn outcome(&self) -> Option<&Outcome> {
        self.fresh.then_some(&self.outcome)
    }
}

/// One fired rule (or a shadow rule that would have fired), by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FiredRule<'a> {
    /// The rule's id.
    pub id: &'a str,
    /// The rule's title.
    pub title: &'a str,
    /// The sample draw, for sampled rules.
    pub draw: Option<u32>,
    /// The lane draw, for rules with a lane split.
    pub lane_draw: Option<u32>,
    /// The lane action in effect (`lane L`, or the lane a split chose).
    pub lane: Option<&'a str>,
    /// The rule's points: its `score` rounded half to even and clamped to
    /// ±1,000,000; 0 without one or when the score expression is missing.
    pub points: i64,
}

/// A package's rule whose `override` applied to a declaration, and how it
/// changed the result ([`OutcomeView::overridden`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverriddenRule<'a> {
    /// The rule's (qualified) id.
    pub id: &'a str,
    /// `disable` (otherwise the override adjusted the rule).
    pub disabled: bool,
    /// The rule as its package defines it would have fired.
    pub original: bool,
    /// The rule fired as the override makes it (it is then in `fired` or
    /// `monitored`, with the override's points, lane and notes).
    pub applied: bool,
    /// The override's reason.
    pub reason: &'a str,
}

/// An outcome with names: lane, fired rule ids, notes, undetermined ids.
#[derive(Clone, Copy, Debug)]
pub struct OutcomeView<'a> {
    ruleset: &'a Ruleset,
    id: &'a str,
    ctx: &'a Context,
    outcome: &'a Outcome,
}

impl<'a> OutcomeView<'a> {
    /// The declaration's key.
    pub fn id(&self) -> &'a str {
        self.id
    }

    /// The lane's name.
    pub fn lane(&self) -> &'a str {
        self.ruleset
            .lanes()
            .get(self.outcome.lane as usize)
            .map_or("", |l| l)
    }

    /// The total score.
    pub fn score(&self) -> i64 {
        self.outcome.score
    }

    /// The raw outcome (indices).
    pub fn raw(&self) -> &'a Outcome {
        self.outcome
    }

    /// Fired rules in ruleset order.
    pub fn fired(&self) -> impl Iterator<Item = FiredRule<'a>> + 'a {
        self.named(&self.outcome.fired)
    }

    /// Shadow rules (`monitor`) that would have fired, in ruleset order.
    pub fn monitored(&self) -> impl Iterator<Item = FiredRule<'a>> + 'a {
        self.named(&self.outcome.monitored)
    }

    fn named(
        &self,
        entries: &'a [semaforo_plan::Fired],
    ) -> impl Iterator<Item = FiredRule<'a>> + 'a {
        let rules = self.ruleset.plan().rules();
        let lanes = self.ruleset.lanes();
        entries.iter().filter_map(move |f| {
            rules.get(f.rule as usize).map(|r| FiredRule {
                id: &r.id,
                title: &r.title,
                draw: f.draw,
                lane_draw: f.lane_draw,
                lane: f.lane.and_then(|l| lanes.get(usize::from(l))).map(|l| &**l),
                points: f.points,
            })
        })
    }

    /// Package rules whose override applied on the evaluation date and
    /// that fired either way (as adjusted, or as the package defines them),
    /// in ruleset order.
    pub fn overridden(&self) -> impl Iterator<Item = OverriddenRule<'a>> + 'a {
        let rules = self.ruleset.plan().rules();
        self.outcome.overridden.iter().filter_map(move |o| {
            let r = rules.get(o.rule as usize)?;
            let ov = r.overlay.as_deref()?;
            Some(OverriddenRule {
                id: &r.id,
                disabled: ov.disabled,
                original: o.original,
                applied: o.applied,
                reason: &ov.reason,
            })
        })
    }

    /// Notes of the fired rules, in order (a rule fired as its override
    /// makes it shows the override's notes).
    pub fn notes(&self) -> impl Iterator<Item = &'a str> + 'a {
        let rules = self.ruleset.plan().rules();
        let today = self.ctx.today;
        self.outcome
            .fired
            .iter()
            .filter_map(move |f| rules.get(f.rule as usize))
            .flat_map(move |r| {
                let notes = match r.overlay.as_deref() {
                    Some(ov) if ov.in_effect(today) => &ov.notes,
                    _ => &r.notes,
                };
                notes.iter().map(|n| &**n)
            })
    }

    /// Ids of the active rules whose condition was unknown.
    pub fn undetermined(&self) -> impl Iterator<Item = &'a str> + 'a {
        let rules = self.ruleset.plan().rules();
        self.outcome
            .undetermined
            .iter()
            .filter_map(move |i| rules.get(*i as usize).map(|r| &*r.id))
    }

    /// The sampling key's label.
    pub fn sampling_key_id(&self) -> &'a str {
        &self.ctx.sampling_key_id
    }

    /// The ruleset that decided.
    pub fn ruleset(&self) -> &'a Ruleset {
        self.ruleset
    }

    /// Appends the outcome as one JSON object (no newline) to `out`:
    /// `id`, `lane`, `score`, `fired` (entries with `id`, `points`, and
    /// `draw`, `lane_draw`, `lane` when they apply), `monitored` (the same
    /// entries for shadow rules), `draws`, `notes`, `undetermined`,
    /// `today`, `sampling_key_id`, `ruleset` (name, version, fingerprint,
    /// and the [`ENGINE_VERSION`](crate::ENGINE_VERSION) that decided).
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"id\":");
        json_str(out, self.id);
        out.push_str(",\"lane\":");
        json_str(out, self.lane());
        let _ = write!(out, ",\"score\":{}", self.score());
        out.push_str(",\"fired\":[");
        for (i, f) in self.fired().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_entry(out, &f);
        }
        out.push_str("],\"monitored\":[");
        for (i, f) in self.monitored().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_entry(out, &f);
        }
        if self.ruleset.has_overrides() {
            out.push_str("],\"overridden\":[");
            for (i, o) in self.overridden().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"id\":");
                json_str(out, o.id);
                let _ = write!(
                    out,
                    ",\"change\":\"{}\",\"original\":{},\"applied\":{},\"reason\":",
                    if o.disabled { "disabled" } else { "adjusted" },
                    o.original,
                    o.applied
                );
                json_str(out, o.reason);
                out.push('}');
            }
        }
        out.push_str("],\"draws\":{");
        for (i, (id, d)) in self
            .fired()
            .filter_map(|f| f.draw.map(|d| (f.id, d)))
            .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            json_str(out, id);
            let _ = write!(out, ":{d}");
        }
        out.push_str("},\"notes\":[");
        for (i, n) in self.notes().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_str(out, n);
        }
        out.push_str("],\"undetermined\":[");
        for (i, u) in self.undetermined().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_str(out, u);
        }
        let _ = write!(
            out,
            "],\"today\":\"{}\",\"sampling_key_id\":",
            self.ctx.today
        );
        json_str(out, &self.ctx.sampling_key_id);
        out.push_str(",\"ruleset\":{\"name\":");
        json_str(out, self.ruleset.name());
        out.push_str(",\"version\":");
        json_str(out, self.ruleset.version());
        out.push_str(",\"fingerprint\":\"");
        out.push_str(self.ruleset.fingerprint_hex());
        out.push_str("\",\"engine\":\"");
        out.push_str(crate::ENGINE_VERSION);
        out.push('"');
        if self.ruleset.packages().len() > 0 {
            out.push_str(",\"packages\":[");
            for (i, p) in self.ruleset.packages().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"name\":");
                json_str(out, p.name);
                out.push_str(",\"version\":");
                json_str(out, p.version);
                out.push('}');
            }
            out.push(']');
        }
        out.push_str("}}");
    }
}

/// Appends a fired (or monitored) entry as a JSON object: `id`, `points`,
/// then `draw`, `lane_draw` and `lane` when the rule has them.
fn json_entry(out: &mut String, f: &FiredRule<'_>) {
    out.push_str("{\"id\":");
    json_str(out, f.id);
    let _ = write!(out, ",\"points\":{}", f.points);
    if let Some(d) = f.draw {
        let _ = write!(out, ",\"draw\":{d}");
    }
    if let Some(d) = f.lane_draw {
        let _ = write!(out, ",\"lane_draw\":{d}");
    }
    if let Some(l) = f.lane {
        out.push_str(",\"lane\":");
        json_str(out, l);
    }
    out.push('}');
}

/// Appends `s` as a JSON string literal.
pub(crate) fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
