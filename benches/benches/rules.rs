//! Rule-count scaling (issue 6, and the generated-workload part of issue 3):
//! Semáforo against two hand-written Rust baselines and a general
//! expression engine (datalogic-rs, JSONLogic), on the workload of
//! `semaforo_benches::Workload`. See `docs/performance.md`.
//!
//! Semáforo is timed on the host path of `docs/embedding.md` (issue 14):
//! field handles, `clear`, setters, `validate`, `evaluate` into a reused
//! outcome; on the nested schema (`items: [item]`) and on a flat one (the
//! item's fields at top level, `Workload::source_flat`). After the timings
//! the bench prints criterion's medians and the ratios to the hand-written
//! baselines of the same run (lines starting `[issue14]`).
//!
//! Before timing, the setup checks that every engine fires the same rules
//! with the same score on every declaration, counts heap allocations per
//! evaluation with a counting allocator, and prints compile time, plan
//! memory and match rates.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    missing_docs
)]

use std::alloc::System;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use semaforo::{Compiler, Context, Date, Decimal, Declaration, FieldHandle, Outcome, Ruleset};
use semaforo_benches::{COUNTRIES, Decl, RuleKind, Workload};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

// ---------------------------------------------------------------------------
// Semáforo, direct binding path.

struct Handles {
    id: FieldHandle,
    origin: FieldHandle,
    importer: FieldHandle,
    items: FieldHandle,
    hs: FieldHandle,
    value: FieldHandle,
    net_kg: FieldHandle,
}

/// A declaration with its numbers already converted (pre-parsed input).
struct Bound<'a> {
    decl: &'a Decl,
    items: Vec<(Decimal, Decimal)>,
}

struct Engine {
    ruleset: Ruleset,
    h: Handles,
    decl: Declaration,
    scratch: semaforo::Scratch,
    out: Outcome,
    ctx: Context,
}

fn compile(w: &Workload) -> Ruleset {
    let mut c = Compiler::new();
    c.add_source("bench.sem", w.source());
    c.compile().unwrap_or_else(|e| panic!("{e}"))
}

impl Engine {
    fn new(ruleset: Ruleset) -> Engine {
        let f = |p: &str| ruleset.field(p).unwrap();
        let h = Handles {
            id: f("id"),
            origin: f("origin"),
            importer: f("importer"),
            items: f("items"),
            hs: f("items.hs"),
            value: f("items.value"),
            net_kg: f("items.net_kg"),
        };
        Engine {
            decl: ruleset.new_declaration(),
            scratch: ruleset.new_scratch(),
            out: Outcome::default(),
            ctx: Context::new(Date::parse("2026-06-01").unwrap(), Default::default(), "k0"),
            h,
            ruleset,
        }
    }

    /// Binds through field handles and evaluates; returns (fired id sum, score).
    #[inline]
    fn run(&mut self, b: &Bound<'_>) -> (u64, i64) {
        let h = &self.h;
        let d = &mut self.decl;
        d.clear();
        let root = d.root();
        d.set_text(root, h.id, &b.decl.id).unwrap();
        d.set_text(root, h.origin, COUNTRIES[b.decl.origin])
            .unwrap();
        d.set_text(root, h.importer, &b.decl.importer).unwrap();
        for (it, &(value, net)) in b.decl.items.iter().zip(&b.items) {
            let e = d.push(root, h.items).unwrap();
            d.set_text(e, h.hs, &it.hs).unwrap();
            d.set_number(e, h.value, value).unwrap();
            d.set_number(e, h.net_kg, net).unwrap();
        }
        d.validate().unwrap();
        self.ruleset
            .evaluate(d, &self.ctx, &mut self.scratch, &mut self.out)
            .unwrap();
        let ids = self.out.fired.iter().map(|f| u64::from(f.rule)).sum();
        (ids, self.out.score)
    }
}

// ---------------------------------------------------------------------------
// Semáforo on the flat schema (`hs`, `value`, `net_kg` top-level fields;
// one item per declaration), the same host path.

struct FlatHandles {
    id: FieldHandle,
    origin: FieldHandle,
    importer: FieldHandle,
    hs: FieldHandle,
    value: FieldHandle,
    net_kg: FieldHandle,
}

struct FlatEngine {
    ruleset: Ruleset,
    h: FlatHandles,
    decl: Declaration,
    scratch: semaforo::Scratch,
    out: Outcome,
    ctx: Context,
}

fn compile_flat(w: &Workload) -> Ruleset {
    let mut c = Compiler::new();
    c.add_source("bench-flat.sem", w.source_flat());
    c.compile().unwrap_or_else(|e| panic!("{e}"))
}

impl FlatEngine {
    fn new(ruleset: Ruleset) -> FlatEngine {
        let f = |p: &str| ruleset.field(p).unwrap();
        let h = FlatHandles {
            id: f("id"),
            origin: f("origin"),
            importer: f("importer"),
            hs: f("hs"),
            value: f("value"),
            net_kg: f("net_kg"),
        };
        FlatEngine {
            decl: ruleset.new_declaration(),
            scratch: ruleset.new_scratch(),
            out: Outcome::default(),
            ctx: Context::new(Date::parse("2026-06-01").unwrap(), Default::default(), "k0"),
            h,
            ruleset,
        }
    }

    /// Binds the declaration's one item as top-level fields, validates and
    /// evaluates; returns (fired id sum, score).
    #[inline]
    fn run(&mut self, b: &Bound<'_>) -> (u64, i64) {
        let h = &self.h;
        let d = &mut self.decl;
        d.clear();
        let root = d.root();
        d.set_text(root, h.id, &b.decl.id).unwrap();
        d.set_text(root, h.origin, COUNTRIES[b.decl.origin])
            .unwrap();
        d.set_text(root, h.importer, &b.decl.importer).unwrap();
        let (value, net) = b.items[0];
        d.set_text(root, h.hs, &b.decl.items[0].hs).unwrap();
        d.set_number(root, h.value, value).unwrap();
        d.set_number(root, h.net_kg, net).unwrap();
        d.validate().unwrap();
        self.ruleset
            .evaluate(d, &self.ctx, &mut self.scratch, &mut self.out)
            .unwrap();
        let ids = self.out.fired.iter().map(|f| u64::from(f.rule)).sum();
        (ids, self.out.score)
    }
}

fn bind_all(w: &Workload) -> Vec<Bound<'_>> {
    w.decls
        .iter()
        .map(|d| Bound {
            decl: d,
            items: d
                .items
                .iter()
                .map(|it| {
                    (
                        Decimal::from_i64(it.value as i64),
                        Decimal::from_i64(it.net_kg as i64),
                    )
                })
                .collect(),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Baselines: hand-written Rust.

/// rustc's Fx hash, so the baselines' hash sets are as fast as they get.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = BuildHasherDefault<Fx>;

/// One precompiled rule of the baselines.
enum Flat {
    OriginHs {
        countries: u64,
        prefix: Box<[u8]>,
        threshold: u64,
    },
    Importer(HashSet<Box<str>, FxBuild>),
    /// `value / net < half`, as `value < half * net` (exact on integers).
    UnitPrice {
        prefix: Box<[u8]>,
        half: u64,
    },
}

struct Baseline {
    rules: Vec<(Flat, i64)>,
    fired: Vec<u32>,
}

impl Baseline {
    fn new(w: &Workload) -> Baseline {
        let rules = w
            .rules
            .iter()
            .map(|r| {
                let f = match &r.kind {
                    RuleKind::OriginHs {
                        countries,
                        prefix,
                        threshold,
                    } => Flat::OriginHs {
                        countries: countries.iter().fold(0, |m, &c| m | 1 << c),
                        prefix: prefix.as_bytes().into(),
                        threshold: *threshold,
                    },
                    RuleKind::Importer { importers } => {
                        Flat::Importer(importers.iter().map(|s| s.as_str().into()).collect())
                    }
                    RuleKind::UnitPrice { prefix, reference } => Flat::UnitPrice {
                        prefix: prefix.as_bytes().into(),
                        half: reference / 2,
                    },
                };
                (f, r.score)
            })
            .collect();
        Baseline {
            rules,
            fired: Vec::with_capacity(1024),
        }
    }

    #[inline]
    fn matches(rule: &Flat, d: &Decl) -> bool {
        match rule {
            Flat::OriginHs {
                countries,
                prefix,
                threshold,
            } => {
                countries & (1 << d.origin) != 0
                    && d.items
                        .iter()
                        .any(|it| it.hs.as_bytes().starts_with(prefix) && it.value > *threshold)
            }
            Flat::Importer(set) => set.contains(d.importer.as_str()),
            Flat::UnitPrice { prefix, half } => d
                .items
                .iter()
                .any(|it| it.hs.as_bytes().starts_with(prefix) && it.value < half * it.net_kg),
        }
    }

    /// One pass over every rule.
    #[inline]
    fn run_flat(&mut self, d: &Decl) -> (u64, i64) {
        self.fired.clear();
        let mut score = 0;
        for (i, (rule, s)) in self.rules.iter().enumerate() {
            if Self::matches(rule, d) {
                self.fired.push(i as u32);
                score += s;
            }
        }
        (self.fired.iter().map(|&i| u64::from(i)).sum(), score)
    }
}

/// The indexed baseline: importer and HS prefixes looked up in hash maps,
/// then only the candidate rules checked.
struct Indexed {
    base: Baseline,
    importers: HashMap<Box<str>, Vec<u32>, FxBuild>,
    /// Index `len - 2` holds the prefixes of `len` digits.
    prefixes: Vec<HashMap<Box<[u8]>, Vec<u32>, FxBuild>>,
    candidates: Vec<u32>,
}

impl Indexed {
    fn new(w: &Workload) -> Indexed {
        let base = Baseline::new(w);
        let mut importers: HashMap<Box<str>, Vec<u32>, FxBuild> = HashMap::default();
        let mut prefixes: Vec<HashMap<Box<[u8]>, Vec<u32>, FxBuild>> =
            (2..=6).map(|_| HashMap::default()).collect();
        for (i, (rule, _)) in base.rules.iter().enumerate() {
            match rule {
                Flat::Importer(set) => {
                    for m in set {
                        importers.entry(m.clone()).or_default().push(i as u32);
                    }
                }
                Flat::OriginHs { prefix, .. } | Flat::UnitPrice { prefix, .. } => {
                    prefixes[prefix.len() - 2]
                        .entry(prefix.clone())
                        .or_default()
                        .push(i as u32);
                }
            }
        }
        Indexed {
            base,
            importers,
            prefixes,
            candidates: Vec::with_capacity(1 << 16),
        }
    }

    #[inline]
    fn run(&mut self, d: &Decl) -> (u64, i64) {
        self.candidates.clear();
        if let Some(rs) = self.importers.get(d.importer.as_str()) {
            self.candidates.extend_from_slice(rs);
        }
        for it in &d.items {
            let hs = it.hs.as_bytes();
            for (k, map) in self.prefixes.iter().enumerate() {
                if let Some(rs) = hs.get(..k + 2).and_then(|p| map.get(p)) {
                    self.candidates.extend_from_slice(rs);
                }
            }
        }
        self.candidates.sort_unstable();
        self.candidates.dedup();
        self.base.fired.clear();
        let mut score = 0;
        for &i in &self.candidates {
            let (rule, s) = &self.base.rules[i as usize];
            if Baseline::matches(rule, d) {
                self.base.fired.push(i);
                score += s;
            }
        }
        (self.base.fired.iter().map(|&i| u64::from(i)).sum(), score)
    }
}

// ---------------------------------------------------------------------------
// The general engine: datalogic-rs (JSONLogic), rules compiled once, each
// declaration parsed once before timing.

struct Logic {
    session_engine: datalogic_rs::Engine,
    rules: Vec<(datalogic_rs::Logic, i64)>,
    data: Vec<datalogic_rs::ParsedData>,
}

impl Logic {
    fn new(w: &Workload) -> Logic {
        let engine = datalogic_rs::Engine::new();
        let rules = w
            .jsonlogic()
            .iter()
            .zip(&w.rules)
            .map(|(j, r)| (engine.compile(j.as_str()).unwrap(), r.score))
            .collect();
        let data = w
            .decls
            .iter()
            .map(|d| datalogic_rs::ParsedData::from_json(&d.json()).unwrap())
            .collect();
        Logic {
            session_engine: engine,
            rules,
            data,
        }
    }

    fn run(&self, session: &mut datalogic_rs::Session<'_>, at: usize) -> (u64, i64) {
        let data = &self.data[at];
        let (mut ids, mut score) = (0u64, 0i64);
        for (i, (logic, s)) in self.rules.iter().enumerate() {
            let v = session.eval_borrowed(logic, data).unwrap();
            if v.as_bool() == Some(true) {
                ids += i as u64;
                score += s;
            }
        }
        session.reset();
        (ids, score)
    }
}

// ---------------------------------------------------------------------------

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args()
}

/// Compile time split into parsing, checking and lowering, in ms.
fn phases(w: &Workload) -> (f64, f64, f64) {
    let source = w.source();
    let t = Instant::now();
    let file = semaforo_syntax::parse(&source, semaforo_syntax::FileId(0)).unwrap();
    let parse = t.elapsed();
    let t = Instant::now();
    let program = semaforo_compile::check::check(std::slice::from_ref(&file))
        .program
        .unwrap();
    let check = t.elapsed();
    let t = Instant::now();
    let plan = semaforo_compile::lower::lower(&program, &Default::default()).unwrap();
    let lower = t.elapsed();
    black_box(plan);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(parse), ms(check), ms(lower))
}

/// Agreement, allocations, compile time and memory, printed before timing.
fn report(n: usize, w: &Workload, logic: Option<&Logic>) {
    let t = Instant::now();
    let ruleset = compile(w);
    let compile_ms = t.elapsed().as_secs_f64() * 1e3;
    let (parse, check, lower) = phases(w);
    eprintln!(
        "[issue6] N={n}: compile {compile_ms:.1} ms (again, by phase: parse {parse:.1} ms, check {check:.1} ms, lower {lower:.1} ms)"
    );
    let stats = ruleset.stats();
    let flat_ruleset = compile_flat(w);
    let flat_stats = flat_ruleset.stats();
    let mut flat_engine = FlatEngine::new(flat_ruleset);
    let mut engine = Engine::new(ruleset.clone());
    let mut flat = Baseline::new(w);
    let mut indexed = Indexed::new(w);
    let bound = bind_all(w);
    let mut matched = 0;
    let mut session = logic.map(|l| l.session_engine.session());
    for (k, b) in bound.iter().enumerate() {
        let ours = engine.run(b);
        assert_eq!(
            ours,
            flat.run_flat(b.decl),
            "flat disagrees on {}",
            b.decl.id
        );
        assert_eq!(
            ours,
            indexed.run(b.decl),
            "indexed disagrees on {}",
            b.decl.id
        );
        assert_eq!(
            ours,
            flat_engine.run(b),
            "the flat schema disagrees on {}",
            b.decl.id
        );
        if let (Some(l), Some(s)) = (logic, session.as_mut())
            && k % 50 == 0
        {
            assert_eq!(ours, l.run(s, k), "datalogic disagrees on {}", b.decl.id);
        }
        if !engine.out.fired.is_empty() {
            matched += 1;
        }
    }
    // Allocations: a second pass over every declaration, buffers warm.
    let region = Region::new(GLOBAL);
    for b in &bound {
        black_box(engine.run(b));
    }
    let allocs = region.change();
    let region = Region::new(GLOBAL);
    for b in &bound {
        black_box(flat_engine.run(b));
    }
    let flat_allocs = region.change();
    eprintln!(
        "[issue6] N={n}: plan {} bytes ({:.0} B/rule), {} of {n} rules indexed, \
         matched {matched}/{} declarations ({:.2}%), heap allocations in {} bind+validate+evaluate calls: {} (reallocs {})",
        stats.heap_bytes,
        stats.heap_bytes as f64 / n as f64,
        stats.indexed_rules,
        bound.len(),
        100.0 * matched as f64 / bound.len() as f64,
        bound.len(),
        allocs.allocations,
        allocs.reallocations,
    );
    eprintln!(
        "[issue14] N={n}: flat schema: {} of {n} rules indexed, heap allocations in {} bind+validate+evaluate calls: {} (reallocs {})",
        flat_stats.indexed_rules,
        bound.len(),
        flat_allocs.allocations,
        flat_allocs.reallocations,
    );
}

fn issue6(c: &mut Criterion) {
    for n in SIZES {
        let w = Workload::generate(n, 1, 1);
        // The general engine is too slow to time at 10,000 rules in a
        // bounded run (about a millisecond per declaration per 1,000 rules).
        let logic = (n <= 1_000).then(|| Logic::new(&w));
        report(n, &w, logic.as_ref());
        let bound = bind_all(&w);
        let mut g = c.benchmark_group("issue6");
        g.throughput(Throughput::Elements(1));
        let mut engine = Engine::new(compile(&w));
        let mut k = 0usize;
        g.bench_function(BenchmarkId::new("semaforo", n), |b| {
            b.iter(|| {
                k = (k + 1) % bound.len();
                black_box(engine.run(&bound[k]))
            })
        });
        let mut flat_engine = FlatEngine::new(compile_flat(&w));
        g.bench_function(BenchmarkId::new("semaforo_flat_schema", n), |b| {
            b.iter(|| {
                k = (k + 1) % bound.len();
                black_box(flat_engine.run(&bound[k]))
            })
        });
        let mut flat = Baseline::new(&w);
        g.bench_function(BenchmarkId::new("flat", n), |b| {
            b.iter(|| {
                k = (k + 1) % bound.len();
                black_box(flat.run_flat(bound[k].decl))
            })
        });
        let mut indexed = Indexed::new(&w);
        g.bench_function(BenchmarkId::new("indexed", n), |b| {
            b.iter(|| {
                k = (k + 1) % bound.len();
                black_box(indexed.run(bound[k].decl))
            })
        });
        if let Some(l) = &logic {
            let mut session = l.session_engine.session();
            g.bench_function(BenchmarkId::new("datalogic", n), |b| {
                b.iter(|| {
                    k = (k + 1) % bound.len();
                    black_box(l.run(&mut session, k))
                })
            });
        }
        g.finish();
    }
}

/// Issue 3's baseline: declarations of 1 to 50 items.
fn issue3(c: &mut Criterion) {
    let mut g = c.benchmark_group("issue3_items_1_50");
    g.throughput(Throughput::Elements(1));
    for n in SIZES {
        let w = Workload::generate(n, 1, 50);
        let bound = bind_all(&w);
        let mut engine = Engine::new(compile(&w));
        let mut k = 0usize;
        g.bench_function(BenchmarkId::new("semaforo", n), |b| {
            b.iter(|| {
                k = (k + 1) % bound.len();
                black_box(engine.run(&bound[k]))
            })
        });
    }
    g.finish();
}

fn compile_time(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    for n in [1_000, 10_000] {
        let w = Workload::generate(n, 1, 1);
        let source = w.source();
        // Freeing the ruleset (its plan and the checked program kept for
        // `explain`) is not compiling: `iter_with_large_drop` leaves it
        // out of the timing.
        g.bench_function(BenchmarkId::new("rules", n), |b| {
            b.iter_with_large_drop(|| {
                let mut c = Compiler::new();
                c.add_source("bench.sem", source.clone());
                c.compile().unwrap()
            })
        });
    }
    g.finish();
}

/// Criterion's median for `issue6/<id>/<n>` in this run, in ns (read from
/// the estimates it just wrote; `None` if that benchmark did not run).
fn median(id: &str, n: usize) -> Option<f64> {
    let dir = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR").map(|t| PathBuf::from(t).join("criterion"))
        })
        .or_else(|| {
            // target/<profile>/deps/rules-<hash>
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.join("criterion"))
        })?;
    let path = dir.join(format!("issue6/{id}/{n}/new/estimates.json"));
    // Only estimates written by this process count.
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < *STARTED.get()? {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

static STARTED: std::sync::OnceLock<std::time::SystemTime> = std::sync::OnceLock::new();

/// The host-path medians of this run and their ratios to the hand-written
/// baselines (flat at N = 10, indexed from N = 100), as issue 14 asks.
fn ratios() {
    eprintln!(
        "[issue14] criterion medians of this run, ns per declaration (Semáforo: bind + validate + evaluate)"
    );
    eprintln!(
        "[issue14] | N | nested | flat schema | hand-written flat | hand-written indexed | nested / baseline | flat schema / baseline |"
    );
    for n in SIZES {
        let get = |id| median(id, n);
        let (Some(ours), Some(flat), Some(indexed)) =
            (get("semaforo"), get("flat"), get("indexed"))
        else {
            continue;
        };
        let ours_flat = get("semaforo_flat_schema");
        let (base, name) = if n <= 10 {
            (flat, "flat")
        } else {
            (indexed, "indexed")
        };
        let f = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.1}"));
        let r = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.2}x {name}", x / base));
        eprintln!(
            "[issue14] | {n} | {ours:.1} | {} | {flat:.1} | {indexed:.1} | {} | {} |",
            f(ours_flat),
            r(Some(ours)),
            r(ours_flat)
        );
    }
}

fn main() {
    STARTED.get_or_init(std::time::SystemTime::now);
    let mut c = criterion();
    issue6(&mut c);
    ratios();
    issue3(&mut c);
    compile_time(&mut c);
    c.final_summary();
}
