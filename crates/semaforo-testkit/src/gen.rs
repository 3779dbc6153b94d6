//! Random layouts, well-typed programs, external data and declarations.
//!
//! Everything is generated from a [`Rng`] seeded by one `u64`, so a failing
//! case is reproduced by its seed alone; the proptest strategies at the end
//! ([`case_strategy`], [`program_strategy`]) draw the seeds. Values come
//! from small pools ([`TEXTS`], [`number_pool`], [`date_pool`]) so that
//! equality, membership, prefixes and lookups actually hit.
//!
//! Every generated expression is well typed by construction (the generator
//! is driven by the type it must produce), uses only the forms the checker
//! accepts (ordering comparisons only on numbers and dates), and every
//! [`ExprKind`] occurs (see the coverage test).

use proptest::prelude::{Strategy, any};
use semaforo_compile::hir::{
    Actions, Adjustment, Arith, Base, Cmp, Const, Expr, ExprKind, LaneAction, LaneId, ListDef,
    ListId, Overlay, Pattern, Profile, Program, Quant, RuleDef, Scalar, Score, Status, TableDef,
    TableId, TableShape, ThresholdGroups, Type, VarId,
};
use semaforo_plan::decl::DeclError;
use semaforo_plan::{
    Date, Decimal, Declaration, Field, FieldId, FieldType, Layout, Node, Record, RecordId,
    SamplingKey,
};
use semaforo_syntax::Span;

use crate::Externals;
use semaforo_compile::lower::TableRows;

/// A small, fast, seedable random number generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.saturating_sub(lo).saturating_add(1).max(1) as u64;
        lo.saturating_add((self.next_u64() % span) as i64)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// A random element of a non-empty slice (`None` if empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = self.below(items.len());
        items.get(i)
    }
}

/// Texts that make equality, membership, prefixes, lookups and
/// case-insensitive containment hit, including Unicode case traps.
pub const TEXTS: &[&str] = &[
    "CN",
    "cn",
    "HK",
    "VN",
    "IM4",
    "6402.99",
    "6402",
    "64",
    "6",
    "6403",
    "ΣΑΣ",
    "σας",
    "Σ",
    "İstanbul",
    "istanbul",
    "i̇",
    "Straße",
    "STRASSE",
    "ǅ",
    "",
    "a",
    "A",
    "abc",
    // Composite keys (`key(a, b)` joins with `|`), so keys meet entries.
    "CN|VN",
    "6402|CN",
    "A|a",
    "|",
    "CN|",
];

fn number(raw: i128) -> Decimal {
    Decimal::from_raw(raw).unwrap_or(Decimal::ZERO)
}

/// Numbers at decimal boundaries: zero, the smallest unit, the largest
/// value, halves that round, and the spec's `0.1 + 0.2` and `100.10 + 399.90`.
pub fn number_pool() -> Vec<Decimal> {
    let max = semaforo_plan::decimal::MAX_RAW;
    let big = 999_999_999_999_999_999_999_999_999_999i128; // 24 integer digits + 6.
    [
        0,
        1,
        -1,
        2,
        500_000,
        1_000_000,
        -1_000_000,
        2_000_000,
        3_000_000,
        333_333,
        666_667,
        1_500_000,
        2_500_000,
        100_000,
        200_000,
        300_000,
        100_100_000,
        399_900_000,
        500_000_000,
        40_000_000,
        70_000_000,
        big,
        -big,
        max,
        -max,
        1_000_000_000_000_000_000_000_000_000_000,
    ]
    .into_iter()
    .map(number)
    .collect()
}

#[expect(
    clippy::expect_used,
    reason = "INVARIANT (valid-constant): 2026-01-01 is a valid date"
)]
fn base_date() -> Date {
    Date::from_ymd(2026, 1, 1).expect("2026-01-01 is a valid date")
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap_or_else(base_date)
}

/// Dates around the generated active windows, plus the calendar's ends.
pub fn date_pool() -> Vec<Date> {
    vec![
        date(2025, 12, 31),
        date(2026, 1, 1),
        date(2026, 1, 2),
        date(2026, 6, 1),
        date(2026, 6, 2),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2024, 2, 29),
        date(0, 1, 1),
        date(9999, 12, 31),
    ]
}

const SCALARS: [Scalar; 4] = [Scalar::Text, Scalar::Number, Scalar::Bool, Scalar::Date];

fn field_type(s: Scalar) -> FieldType {
    match s {
        Scalar::Text => FieldType::Text,
        Scalar::Number => FieldType::Number,
        Scalar::Bool => FieldType::Bool,
        Scalar::Date => FieldType::Date,
    }
}

fn scalar_of(ty: FieldType) -> Option<Scalar> {
    match ty {
        FieldType::Text => Some(Scalar::Text),
        FieldType::Number => Some(Scalar::Number),
        FieldType::Bool => Some(Scalar::Bool),
        FieldType::Date => Some(Scalar::Date),
        FieldType::List(_) => None,
    }
}

/// A random constant of a scalar type, from the pools.
pub fn random_const(rng: &mut Rng, s: Scalar) -> Const {
    match s {
        Scalar::Text => Const::Text(rng.pick(TEXTS).copied().unwrap_or("").into()),
        Scalar::Number => Const::Number(random_number(rng)),
        Scalar::Bool => Const::Bool(rng.chance(50)),
        Scalar::Date => Const::Date(random_date(rng)),
    }
}

fn random_number(rng: &mut Rng) -> Decimal {
    if rng.chance(70) {
        rng.pick(&number_pool()).copied().unwrap_or(Decimal::ZERO)
    } else {
        number(i128::from(rng.range(-5, 5)) * 1_000_000 + i128::from(rng.range(-3, 3)) * 250_000)
    }
}

fn random_date(rng: &mut Rng) -> Date {
    let base = rng.pick(&date_pool()).copied().unwrap_or_else(base_date);
    if rng.chance(70) {
        base
    } else {
        Date::from_days(base.days() + rng.range(-3, 3) as i32).unwrap_or(base)
    }
}

/// Builds a random layout: a root record with a text key, scalar fields of
/// every type (some optional), one or two record list fields, and records
/// nested up to `depth` levels below the root (2 or 3).
pub fn random_layout(rng: &mut Rng) -> Layout {
    let depth = rng.range(1, 2) as usize;
    let mut records = Vec::new();
    let key = random_record(rng, &mut records, 0, depth);
    Layout::new(records, FieldId(key as u32)).unwrap_or_else(|_| fallback_layout())
}

#[expect(
    clippy::expect_used,
    reason = "INVARIANT (valid-constant): a root with one required text key is a valid layout"
)]
fn fallback_layout() -> Layout {
    let root = Record {
        name: "declaration".into(),
        fields: vec![Field {
            name: "id".into(),
            ty: FieldType::Text,
            optional: false,
        }]
        .into_boxed_slice(),
    };
    Layout::new(vec![root], FieldId(0)).expect("a minimal layout is valid")
}

/// Adds a record type (and its nested record types) to `records`; returns
/// the position of the key field for the root, 0 otherwise.
fn random_record(rng: &mut Rng, records: &mut Vec<Record>, level: usize, depth: usize) -> usize {
    let index = records.len();
    records.push(Record {
        name: if level == 0 {
            "declaration".into()
        } else {
            format!("rec{index}").into()
        },
        fields: Box::new([]),
    });
    let mut fields = Vec::new();
    for s in SCALARS {
        let n = rng.range(1, 2);
        for _ in 0..n {
            fields.push(Field {
                name: format!("f{}", fields.len()).into(),
                ty: field_type(s),
                optional: rng.chance(40),
            });
        }
    }
    if level < depth {
        let lists = if level == 0 {
            rng.range(1, 2)
        } else {
            rng.range(0, 1)
        };
        for _ in 0..lists {
            let child = records.len();
            random_record(rng, records, level + 1, depth);
            fields.push(Field {
                name: format!("f{}", fields.len()).into(),
                ty: FieldType::List(RecordId(child as u32)),
                optional: rng.chance(40),
            });
        }
    } else if level > 0 && rng.chance(30) {
        // A recursive record type (a list of itself), which declarations
        // allow; data depth is bounded by the recipe generator.
        fields.push(Field {
            name: format!("f{}", fields.len()).into(),
            ty: FieldType::List(RecordId(index as u32)),
            optional: true,
        });
    }
    // Shuffle so no evaluator can assume an order of types.
    for i in (1..fields.len()).rev() {
        let j = rng.below(i + 1);
        fields.swap(i, j);
    }
    let mut key = 0;
    if level == 0 {
        key = rng.below(fields.len() + 1);
        fields.insert(
            key,
            Field {
                name: "id".into(),
                ty: FieldType::Text,
                optional: false,
            },
        );
    }
    for (i, f) in fields.iter_mut().enumerate() {
        if &*f.name != "id" {
            f.name = format!("f{i}").into();
        }
    }
    if let Some(r) = records.get_mut(index) {
        r.fields = fields.into_boxed_slice();
    }
    key
}

/// Sizes and depths for [`random_program`].
#[derive(Clone, Copy, Debug)]
pub struct ProgramConfig {
    /// Fewest rules.
    pub min_rules: usize,
    /// Most rules.
    pub max_rules: usize,
    /// Maximum expression depth (operators nested).
    pub max_depth: usize,
}

impl Default for ProgramConfig {
    fn default() -> ProgramConfig {
        ProgramConfig {
            min_rules: 1,
            max_rules: 10,
            max_depth: 5,
        }
    }
}

impl ProgramConfig {
    /// Large rulesets (200 to 2,000 rules) of shallower conditions, for the
    /// differential test at scale and for benchmarks.
    pub fn large() -> ProgramConfig {
        ProgramConfig {
            min_rules: 200,
            max_rules: 2_000,
            max_depth: 3,
        }
    }
}

/// Everything one differential case needs besides declarations.
#[derive(Debug)]
pub struct GeneratedProgram {
    /// The checked program.
    pub program: Program,
    /// Its external lists and tables.
    pub externals: Externals,
    /// The seed it was generated from.
    pub seed: u64,
}

fn expr(kind: ExprKind, ty: Scalar) -> Expr {
    Expr {
        kind,
        ty: Type::Scalar(ty),
        span: Span::default(),
    }
}

/// A random well-typed program on a random layout, with its externals.
pub fn random_program(seed: u64, config: &ProgramConfig) -> GeneratedProgram {
    let mut rng = Rng::new(seed);
    let layout = random_layout(&mut rng);
    let lane_count = rng.range(2, 4) as usize;
    let lanes: Vec<String> = ["green", "yellow", "red", "black"]
        .iter()
        .take(lane_count)
        .map(|s| (*s).to_string())
        .collect();
    let mut thresholds = Vec::new();
    let mut minimum = rng.range(-20, 30);
    for lane in 1..lane_count {
        if rng.chance(70) {
            thresholds.push((LaneId(lane as u16), minimum));
            minimum += rng.range(1, 50);
        }
    }
    // Thresholds per group of a top-level text field, now and then.
    let text_fields: Vec<FieldId> = layout
        .record(RecordId(0))
        .map(|r| {
            r.fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.ty == FieldType::Text)
                .map(|(i, _)| FieldId(i as u32))
                .collect()
        })
        .unwrap_or_default();
    let threshold_groups = match rng.pick(&text_fields).copied() {
        Some(field) if rng.chance(40) => {
            let mut groups: Vec<(String, Vec<(LaneId, i64)>)> = Vec::new();
            for _ in 0..rng.range(1, 3) {
                let value = rng.pick(TEXTS).copied().unwrap_or("").to_string();
                if groups.iter().any(|(v, _)| *v == value) {
                    continue;
                }
                let mut list = Vec::new();
                let mut minimum = rng.range(-20, 30);
                for lane in 1..lane_count {
                    if rng.chance(70) {
                        list.push((LaneId(lane as u16), minimum));
                        minimum += rng.range(1, 50);
                    }
                }
                groups.push((value, list));
            }
            Some(ThresholdGroups { field, groups })
        }
        _ => None,
    };
    let mut externals = Externals::default();
    let mut lists = Vec::new();
    for s in SCALARS {
        for _ in 0..rng.range(1, 2) {
            let n = rng.range(0, 5);
            let values: Vec<Const> = (0..n).map(|_| random_const(&mut rng, s)).collect();
            let name = format!("list{}", lists.len());
            let inline = rng.chance(50);
            if !inline {
                externals.lists.insert(name.clone(), values.clone());
            }
            lists.push(ListDef {
                name,
                elem: s,
                values: inline.then_some(values),
                span: Span::default(),
            });
        }
    }
    let mut tables = Vec::new();
    for s in SCALARS {
        let name = format!("table{}", tables.len());
        let mut entries: Vec<(String, Const)> = Vec::new();
        for _ in 0..rng.range(0, 6) {
            let k = rng.pick(TEXTS).copied().unwrap_or("").to_string();
            if entries.iter().all(|(e, _)| *e != k) {
                entries.push((k, random_const(&mut rng, s)));
            }
        }
        externals
            .tables
            .insert(name.clone(), TableRows::values(entries));
        tables.push(TableDef {
            name,
            shape: TableShape::Value(s),
            span: Span::default(),
        });
    }
    // Multi-column tables, with empty cells.
    for _ in 0..rng.range(0, 2) {
        let name = format!("table{}", tables.len());
        let columns: Vec<(String, Scalar)> = (0..rng.range(1, 3))
            .map(|c| {
                let s = rng.pick(&SCALARS).copied().unwrap_or(Scalar::Number);
                (format!("c{c}"), s)
            })
            .collect();
        let mut rows = TableRows {
            columns: columns.len(),
            ..TableRows::default()
        };
        for _ in 0..rng.range(0, 6) {
            let k = rng.pick(TEXTS).copied().unwrap_or("").to_string();
            if rows.keys.contains(&k) {
                continue;
            }
            rows.keys.push(k);
            for (_, s) in &columns {
                let cell = (!rng.chance(25)).then(|| random_const(&mut rng, *s));
                rows.cells.push(cell);
            }
        }
        externals.tables.insert(name.clone(), rows);
        tables.push(TableDef {
            name,
            shape: TableShape::Columns(columns),
            span: Span::default(),
        });
    }
    let rule_count = rng.range(config.min_rules as i64, config.max_rules as i64) as usize;
    let mut rules = Vec::with_capacity(rule_count);
    {
        let mut g = ExprGen {
            rng: &mut rng,
            layout: &layout,
            lists: &lists,
            tables: &tables,
            vars: Vec::new(),
            shared: Vec::new(),
        };
        for i in 0..rule_count {
            rules.push(random_rule(&mut g, i, lane_count, config.max_depth));
        }
    }
    GeneratedProgram {
        program: Program {
            name: format!("gen-{seed}"),
            version: "1".to_string(),
            lanes,
            thresholds,
            threshold_groups,
            layout,
            lists,
            tables,
            rules,
            tests: Vec::new(),
            packages: Vec::new(),
        },
        externals,
        seed,
    }
}

fn random_rule(g: &mut ExprGen<'_>, index: usize, lanes: usize, max_depth: usize) -> RuleDef {
    let ids = ["R", "VAL.001-", "X-9.", "rnd_"];
    let id = format!("{}{index}", g.rng.pick(&ids).copied().unwrap_or("R"));
    let window = |rng: &mut Rng| rng.chance(50).then(|| random_date(rng));
    let active_from = window(g.rng);
    let active_to = window(g.rng);
    let when = if g.rng.chance(8) {
        None
    } else {
        let depth = g.rng.range(1, max_depth as i64) as usize;
        Some(g.expr_of(Scalar::Bool, depth))
    };
    let sample = match g.rng.below(10) {
        0 => Some(0),
        1 => Some(1_000_000),
        2 => Some(500_000),
        3 | 4 => Some(g.rng.range(0, 1_000_000) as u32),
        _ => None,
    };
    let mut score = match g.rng.below(10) {
        0..=3 => Some(Score::Points(g.rng.range(-20, 60))),
        // Clamped literals, as the checker folds them.
        4 => Some(Score::Points(if g.rng.chance(50) {
            1_000_000
        } else {
            -1_000_000
        })),
        5 | 6 => Some(Score::Expr(g.expr_of(Scalar::Number, max_depth.min(3)))),
        _ => None,
    };
    let lane = match g.rng.below(10) {
        0..=2 => Some(LaneAction::Lane(LaneId(g.rng.below(lanes) as u16))),
        3 => {
            // A split: distinct lanes, shares in (0, 100%], at most 100%.
            let mut cut = 0u32;
            let mut shares = Vec::new();
            for l in 0..lanes {
                if g.rng.chance(50) {
                    continue;
                }
                let share = match g.rng.below(4) {
                    0 => 1,
                    1 => 1_000_000,
                    _ => g.rng.range(1, 600_000) as u32,
                };
                if cut + share > 1_000_000 {
                    break;
                }
                cut += share;
                shares.push((LaneId(l as u16), cut));
            }
            (!shares.is_empty()).then_some(LaneAction::Split(shares))
        }
        _ => None,
    };
    let monitor = g.rng.chance(15);
    let notes: Vec<String> = (0..g.rng.below(3))
        .map(|k| format!("note {index}.{k}"))
        .collect();
    if score.is_none() && lane.is_none() && notes.is_empty() {
        score = Some(Score::Points(1));
    }
    let status = match g.rng.below(40) {
        0 => Status::Draft,
        1 => Status::Suspended,
        2 => Status::Retired,
        _ => Status::Active,
    };
    let overlay = g
        .rng
        .chance(15)
        .then(|| random_overlay(g, lanes, max_depth));
    RuleDef {
        id,
        title: format!("rule {index}"),
        tags: Vec::new(),
        active_from,
        active_to,
        when,
        sample,
        score,
        lane,
        monitor,
        notes,
        package: None,
        profile: Profile {
            status,
            ..Profile::default()
        },
        overlay,
        span: Span::default(),
    }
}

/// An `override`: disabled, or a new window and/or new actions, with or
/// without a last day (the evaluation dates straddle the random dates).
fn random_overlay(g: &mut ExprGen<'_>, lanes: usize, max_depth: usize) -> Overlay {
    let until = g.rng.chance(50).then(|| random_date(g.rng));
    let adjust = if g.rng.chance(30) {
        None
    } else {
        let window = g.rng.chance(50).then(|| {
            let from = g.rng.chance(50).then(|| random_date(g.rng));
            let to = g.rng.chance(50).then(|| random_date(g.rng));
            (from, to)
        });
        let actions = (window.is_none() || g.rng.chance(50)).then(|| Actions {
            score: match g.rng.below(3) {
                0 => Some(Score::Points(g.rng.range(-20, 60))),
                1 => Some(Score::Expr(g.expr_of(Scalar::Number, max_depth.min(3)))),
                _ => None,
            },
            lane: g
                .rng
                .chance(50)
                .then(|| LaneAction::Lane(LaneId(g.rng.below(lanes) as u16))),
            notes: vec!["override note".to_string()],
        });
        Some(Adjustment { window, actions })
    };
    Overlay {
        reason: "generated".to_string(),
        until,
        adjust,
        span: Span::default(),
    }
}

/// The typed expression generator: `vars[i]` is the record type bound to
/// `VarId(i)`.
struct ExprGen<'a> {
    rng: &'a mut Rng,
    layout: &'a Layout,
    lists: &'a [ListDef],
    tables: &'a [TableDef],
    vars: Vec<RecordId>,
    // Root-scope expressions generated so far, reused now and then so rules
    // share predicates as real rulesets do (and hash-consing is exercised).
    shared: Vec<Expr>,
}

const MAX_VARS: usize = 3;

impl ExprGen<'_> {
    /// Fields of type `want` readable here: `(base, record, field)`.
    fn fields(
        &self,
        want: Option<Scalar>,
        list: bool,
    ) -> Vec<(Base, RecordId, FieldId, FieldType)> {
        let mut out = Vec::new();
        let bases = std::iter::once((Base::Root, RecordId(0))).chain(
            self.vars
                .iter()
                .enumerate()
                .map(|(i, r)| (Base::Var(VarId(i as u32)), *r)),
        );
        for (base, record) in bases {
            let Some(r) = self.layout.record(record) else {
                continue;
            };
            for (i, f) in r.fields.iter().enumerate() {
                let ok = match f.ty {
                    FieldType::List(_) => list,
                    ty => !list && scalar_of(ty) == want,
                };
                if ok {
                    out.push((base, record, FieldId(i as u32), f.ty));
                }
            }
        }
        out
    }

    fn field(&mut self, s: Scalar) -> Option<Expr> {
        let fields = self.fields(Some(s), false);
        let (base, record, field, _) = *self.rng.pick(&fields)?;
        Some(expr(
            ExprKind::Field {
                base,
                record,
                field,
            },
            s,
        ))
    }

    fn leaf(&mut self, s: Scalar) -> Expr {
        if self.rng.chance(60)
            && let Some(f) = self.field(s)
        {
            return f;
        }
        if s == Scalar::Date && self.rng.chance(30) {
            return expr(ExprKind::Today, s);
        }
        expr(ExprKind::Const(random_const(self.rng, s)), s)
    }

    fn b(&mut self, s: Scalar, depth: usize) -> Box<Expr> {
        Box::new(self.expr_of(s, depth))
    }

    /// A random expression of type `s`, at most `depth` operators deep.
    fn expr_of(&mut self, s: Scalar, depth: usize) -> Expr {
        // Only expressions with no free variable are shared, and only at the
        // root scope, so a reused quantifier keeps `VarId` = depth.
        if self.vars.is_empty() && self.rng.chance(10) {
            let same: Vec<&Expr> = self
                .shared
                .iter()
                .filter(|e| e.ty == Type::Scalar(s))
                .collect();
            if let Some(e) = self.rng.pick(&same) {
                return (*e).clone();
            }
        }
        let e = self.fresh(s, depth);
        if self.vars.is_empty() && self.shared.len() < 64 && depth > 0 {
            self.shared.push(e.clone());
        }
        e
    }

    fn fresh(&mut self, s: Scalar, depth: usize) -> Expr {
        if depth == 0 || self.rng.chance(15) {
            return self.leaf(s);
        }
        let d = depth - 1;
        match s {
            Scalar::Bool => self.gen_bool(d),
            Scalar::Number => self.gen_number(d),
            Scalar::Text => match self.rng.below(5) {
                0 => self.lookup(Scalar::Text, d),
                1 => self.composite_key(d),
                _ => self.leaf(s),
            },
            Scalar::Date => match self.rng.below(4) {
                0 => self.lookup(Scalar::Date, d),
                _ => self.leaf(s),
            },
        }
    }

    fn random_scalar(&mut self) -> Scalar {
        self.rng.pick(&SCALARS).copied().unwrap_or(Scalar::Number)
    }

    fn pattern(&mut self, s: Scalar, allow_expr: bool, d: usize) -> Pattern {
        let lists: Vec<usize> = self
            .lists
            .iter()
            .enumerate()
            .filter(|(_, l)| l.elem == s)
            .map(|(i, _)| i)
            .collect();
        match self.rng.below(3) {
            0 if allow_expr => Pattern::Expr(self.b(Scalar::Text, d)),
            1 if !lists.is_empty() => {
                Pattern::List(ListId(self.rng.pick(&lists).copied().unwrap_or(0) as u32))
            }
            _ => {
                let n = self.rng.below(4);
                Pattern::Inline((0..n).map(|_| random_const(self.rng, s)).collect())
            }
        }
    }

    fn gen_bool(&mut self, d: usize) -> Expr {
        let kind = match self.rng.below(13) {
            0 => return self.leaf(Scalar::Bool),
            1 => ExprKind::Not(self.b(Scalar::Bool, d)),
            2 => ExprKind::And(self.b(Scalar::Bool, d), self.b(Scalar::Bool, d)),
            3 => ExprKind::Or(self.b(Scalar::Bool, d), self.b(Scalar::Bool, d)),
            4 | 5 => {
                let s = self.random_scalar();
                let ops: &[Cmp] = match s {
                    Scalar::Number | Scalar::Date => {
                        &[Cmp::Eq, Cmp::Ne, Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge]
                    }
                    Scalar::Text | Scalar::Bool => &[Cmp::Eq, Cmp::Ne],
                };
                let op = self.rng.pick(ops).copied().unwrap_or(Cmp::Eq);
                ExprKind::Cmp(op, self.b(s, d), self.b(s, d))
            }
            6 => {
                let s = self.random_scalar();
                ExprKind::In {
                    value: self.b(s, d),
                    list: self.pattern(s, false, d),
                    negated: self.rng.chance(30),
                }
            }
            7 => ExprKind::StartsWith(self.b(Scalar::Text, d), self.pattern(Scalar::Text, true, d)),
            8 => ExprKind::Contains(self.b(Scalar::Text, d), self.pattern(Scalar::Text, true, d)),
            9 => {
                let s = self.random_scalar();
                ExprKind::Is {
                    value: self.b(s, d),
                    present: self.rng.chance(50),
                }
            }
            10 | 11 => {
                let kind = if self.rng.chance(50) {
                    Quant::Any
                } else {
                    Quant::All
                };
                match self.quant(kind, Scalar::Bool, d) {
                    Some(k) => k,
                    None => return self.leaf(Scalar::Bool),
                }
            }
            _ => return self.lookup(Scalar::Bool, d),
        };
        expr(kind, Scalar::Bool)
    }

    fn gen_number(&mut self, d: usize) -> Expr {
        let kind = match self.rng.below(9) {
            0 | 1 => {
                let op = self
                    .rng
                    .pick(&[Arith::Add, Arith::Sub, Arith::Mul, Arith::Div])
                    .copied()
                    .unwrap_or(Arith::Add);
                ExprKind::Arith(op, self.b(Scalar::Number, d), self.b(Scalar::Number, d))
            }
            2 => ExprKind::DateDiff(self.b(Scalar::Date, d), self.b(Scalar::Date, d)),
            3 => ExprKind::Neg(self.b(Scalar::Number, d)),
            4 => ExprKind::Len(self.b(Scalar::Text, d)),
            5 | 6 => {
                let (kind, body) = match self.rng.below(4) {
                    0 => (Quant::Count, Scalar::Bool),
                    1 => (Quant::Sum, Scalar::Number),
                    2 => (Quant::Min, Scalar::Number),
                    _ => (Quant::Max, Scalar::Number),
                };
                match self.quant(kind, body, d) {
                    Some(k) => k,
                    None => return self.leaf(Scalar::Number),
                }
            }
            7 => return self.lookup(Scalar::Number, d),
            _ => return self.leaf(Scalar::Number),
        };
        expr(kind, Scalar::Number)
    }

    fn lookup(&mut self, s: Scalar, d: usize) -> Expr {
        // (table, column) pairs holding values of type `s`.
        let mut cells: Vec<(usize, u32)> = Vec::new();
        for (i, t) in self.tables.iter().enumerate() {
            for (c, ty) in t.shape.column_types().into_iter().enumerate() {
                if ty == s {
                    cells.push((i, c as u32));
                }
            }
        }
        let Some((table, column)) = self.rng.pick(&cells).copied() else {
            return self.leaf(s);
        };
        let kind = ExprKind::Lookup {
            table: TableId(table as u32),
            key: self.b(Scalar::Text, d),
            prefix: self.rng.chance(50),
            column,
        };
        expr(kind, s)
    }

    /// `key(a, b, ...)` of two or three text parts, flattened as the
    /// checker does.
    fn composite_key(&mut self, d: usize) -> Expr {
        let mut parts = Vec::new();
        for _ in 0..self.rng.range(2, 3) {
            let p = *self.b(Scalar::Text, d);
            match p.kind {
                ExprKind::Key(inner) => parts.extend(inner),
                _ => parts.push(p),
            }
        }
        expr(ExprKind::Key(parts), Scalar::Text)
    }

    fn quant(&mut self, kind: Quant, body: Scalar, d: usize) -> Option<ExprKind> {
        if self.vars.len() >= MAX_VARS {
            return None;
        }
        let lists = self.fields(None, true);
        let (base, record, field, ty) = *self.rng.pick(&lists)?;
        let FieldType::List(elem) = ty else {
            return None;
        };
        let var = VarId(self.vars.len() as u32);
        let list = Box::new(Expr {
            kind: ExprKind::Field {
                base,
                record,
                field,
            },
            ty: Type::Records(elem),
            span: Span::default(),
        });
        self.vars.push(elem);
        // Bodies get at least one level so they tend to read the element.
        let body = Box::new(self.expr_of(body, d.max(1)));
        self.vars.pop();
        Some(ExprKind::Quant {
            kind,
            var,
            record: elem,
            list,
            body,
        })
    }
}

/// One field's value in a [`Recipe`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecipeValue {
    /// Not set (for a list field: the list is absent).
    Missing,
    /// Text.
    Text(String),
    /// A number.
    Number(Decimal),
    /// A boolean.
    Bool(bool),
    /// A date.
    Date(Date),
    /// A present record list.
    List(Vec<Recipe>),
}

/// A declaration's values independent of any [`Declaration`] buffer, so the
/// same values can be bound to several structurally equal layouts (the
/// reference's and the plan's, whose stamps differ).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipe {
    /// One value per field, in the record's field order.
    pub values: Vec<RecipeValue>,
}

impl Recipe {
    /// Binds the recipe into `decl` (cleared first), which must have been made
    /// for `layout`.
    pub fn apply(&self, layout: &Layout, decl: &mut Declaration) -> Result<(), DeclError> {
        decl.clear();
        self.apply_node(layout, decl, Node::ROOT)
    }

    fn apply_node(
        &self,
        layout: &Layout,
        decl: &mut Declaration,
        node: Node,
    ) -> Result<(), DeclError> {
        for (i, v) in self.values.iter().enumerate() {
            let field = FieldId(i as u32);
            match v {
                RecipeValue::Missing => decl.set_missing(layout, node, field)?,
                RecipeValue::Text(t) => decl.set_text(layout, node, field, t)?,
                RecipeValue::Number(n) => decl.set_number(layout, node, field, *n)?,
                RecipeValue::Bool(b) => decl.set_bool(layout, node, field, *b)?,
                RecipeValue::Date(d) => decl.set_date(layout, node, field, *d)?,
                RecipeValue::List(elements) => {
                    decl.start_list(layout, node, field)?;
                    for e in elements {
                        let child = decl.push_element(layout, node, field)?;
                        e.apply_node(layout, decl, child)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A declaration for `layout` with these values.
    pub fn build(&self, layout: &Layout) -> Result<Declaration, DeclError> {
        let mut d = Declaration::new(layout);
        self.apply(layout, &mut d)?;
        Ok(d)
    }
}

/// Random declaration values for `layout`: pool values, optional fields
/// missing about 20% of the time, lists of 0 to 5 elements.
pub fn random_recipe(rng: &mut Rng, layout: &Layout) -> Recipe {
    random_record_recipe(rng, layout, RecordId(0), 0)
}

fn random_record_recipe(rng: &mut Rng, layout: &Layout, record: RecordId, level: usize) -> Recipe {
    let fields: Vec<Field> = layout
        .record(record)
        .map(|r| r.fields.to_vec())
        .unwrap_or_default();
    let values = fields
        .iter()
        .map(|f| {
            if f.optional && rng.chance(20) {
                return RecipeValue::Missing;
            }
            match f.ty {
                FieldType::List(elem) => {
                    // Bound the data depth even for recursive record types.
                    let n = if level >= 4 { 0 } else { rng.below(6) };
                    RecipeValue::List(
                        (0..n)
                            .map(|_| random_record_recipe(rng, layout, elem, level + 1))
                            .collect(),
                    )
                }
                ty => match random_const(rng, scalar_of(ty).unwrap_or(Scalar::Text)) {
                    Const::Text(t) => RecipeValue::Text(t.to_string()),
                    Const::Number(n) => RecipeValue::Number(n),
                    Const::Bool(b) => RecipeValue::Bool(b),
                    Const::Date(d) => RecipeValue::Date(d),
                },
            }
        })
        .collect();
    Recipe { values }
}

/// A random evaluation date around the active windows.
pub fn random_today(rng: &mut Rng) -> Date {
    random_date(rng)
}

/// A random sampling key (sometimes all zeros).
pub fn random_key(rng: &mut Rng) -> SamplingKey {
    if rng.chance(10) {
        return SamplingKey([0; 16]);
    }
    let mut k = [0u8; 16];
    for b in &mut k {
        *b = rng.next_u64() as u8;
    }
    SamplingKey(k)
}

/// One evaluation input: declaration values, date and sampling key.
#[derive(Clone, Debug)]
pub struct Input {
    /// The declaration's values.
    pub recipe: Recipe,
    /// The evaluation date.
    pub today: Date,
    /// The sampling key.
    pub key: SamplingKey,
}

/// `count` random inputs for `layout`, from `seed`.
pub fn random_inputs(seed: u64, layout: &Layout, count: usize) -> Vec<Input> {
    let mut rng = Rng::new(seed ^ 0x5EED_0F1A_9E00);
    (0..count)
        .map(|_| Input {
            recipe: random_recipe(&mut rng, layout),
            today: random_today(&mut rng),
            key: random_key(&mut rng),
        })
        .collect()
}

/// Seeds of programs of the default size (proptest shrinks the seed, not the
/// program; see the differential test's minimiser for program shrinking).
pub fn program_strategy(config: ProgramConfig) -> impl Strategy<Value = GeneratedProgram> {
    any::<u64>().prop_map(move |seed| random_program(seed, &config))
}

/// A program with `inputs` random inputs for it.
pub fn case_strategy(
    config: ProgramConfig,
    inputs: usize,
) -> impl Strategy<Value = (GeneratedProgram, Vec<Input>)> {
    any::<u64>().prop_map(move |seed| {
        let p = random_program(seed, &config);
        let inputs = random_inputs(seed, &p.program.layout, inputs);
        (p, inputs)
    })
}

/// A copy of a layout with a fresh stamp (layouts are not `Clone` because
/// each has a process-unique identity).
pub fn copy_layout(layout: &Layout) -> Layout {
    Layout::new(layout.records().to_vec(), layout.key()).unwrap_or_else(|_| fallback_layout())
}

/// A copy of a rule.
pub fn clone_rule(r: &RuleDef) -> RuleDef {
    r.clone()
}

/// A copy of `p` (with a fresh layout stamp) whose rules are `rules`; tests
/// are dropped.
pub fn program_with_rules(p: &Program, rules: Vec<RuleDef>) -> Program {
    Program {
        name: p.name.clone(),
        version: p.version.clone(),
        lanes: p.lanes.clone(),
        thresholds: p.thresholds.clone(),
        threshold_groups: p.threshold_groups.clone(),
        layout: copy_layout(&p.layout),
        lists: p
            .lists
            .iter()
            .map(|l| ListDef {
                name: l.name.clone(),
                elem: l.elem,
                values: l.values.clone(),
                span: l.span,
            })
            .collect(),
        tables: p
            .tables
            .iter()
            .map(|t| TableDef {
                name: t.name.clone(),
                shape: t.shape.clone(),
                span: t.span,
            })
            .collect(),
        rules,
        tests: Vec::new(),
        packages: p.packages.clone(),
    }
}
