//! Workload generators shared by the benches (see `docs/performance.md`).
//!
//! [`Workload::generate`] builds, from a fixed seed, `n` rules in the three
//! families of issue 6 and 10,000 declarations (origin, importer, items with
//! a 10-digit HS code, customs value and net weight), in three forms: the
//! rule-language source, plain Rust values for the hand-written baselines,
//! and JSONLogic rules for the general engine.
//!
//! Matches are controlled, so the match rate is the same at every `n`:
//! ordinary declarations satisfy no rule (their values are below every
//! threshold, their unit prices above every reference price, and their
//! importers are not on any list), and 2.5% of the declarations are
//! *planted*: built to satisfy one randomly chosen rule. The rule index
//! still has real work to do, because ordinary declarations share HS
//! chapters and origins with the rules.

use std::fmt::Write as _;

/// The 60 origin countries declarations and rules draw from.
pub const COUNTRIES: [&str; 60] = [
    "CN", "HK", "VN", "BD", "PK", "IN", "TH", "MY", "ID", "PH", "KR", "JP", "TW", "SG", "US", "CA",
    "MX", "GT", "SV", "HN", "NI", "CR", "PA", "DO", "CO", "EC", "PE", "BR", "AR", "CL", "UY", "PY",
    "BO", "VE", "DE", "FR", "IT", "ES", "PT", "NL", "BE", "GB", "IE", "PL", "CZ", "AT", "CH", "SE",
    "NO", "DK", "FI", "TR", "AE", "SA", "IL", "EG", "ZA", "NG", "KE", "MA",
];

/// How many declarations a workload has.
pub const DECLARATIONS: usize = 10_000;

/// One in `PLANT_EVERY` declarations is planted to match a rule (2.5%).
pub const PLANT_EVERY: usize = 40;

/// A small deterministic generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// An index below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// What a rule tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// `origin in [countries] and any(it in items: it.hs starts with prefix
    /// and it.value > threshold)`.
    OriginHs {
        /// Indexes into [`COUNTRIES`].
        countries: Vec<usize>,
        /// 2 to 6 digits.
        prefix: String,
        /// Whole currency units.
        threshold: u64,
    },
    /// `importer in [importers]`.
    Importer {
        /// 50 importer ids.
        importers: Vec<String>,
    },
    /// `any(it in items: it.hs starts with prefix and it.value / it.net_kg
    /// < reference * 0.5)`.
    UnitPrice {
        /// 6 digits.
        prefix: String,
        /// The reference price per kg (even, so half of it is whole).
        reference: u64,
    },
}

/// One generated rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// What it tests.
    pub kind: RuleKind,
    /// Its score.
    pub score: i64,
}

/// One item of a declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// 10-digit HS code.
    pub hs: String,
    /// Customs value, whole units.
    pub value: u64,
    /// Net weight, whole kg (at least 1).
    pub net_kg: u64,
}

/// One declaration, pre-parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decl {
    /// The key.
    pub id: String,
    /// Index into [`COUNTRIES`].
    pub origin: usize,
    /// The importer's id.
    pub importer: String,
    /// Items (at least one).
    pub items: Vec<Item>,
}

/// Rules and declarations of one benchmark.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The rules, in ruleset order.
    pub rules: Vec<Rule>,
    /// The declarations.
    pub decls: Vec<Decl>,
}

/// A 10-digit HS code: a chapter 01..97, then eight digits.
fn hs_code(rng: &mut Rng) -> String {
    format!("{:02}{:08}", rng.range(1, 97), rng.range(0, 99_999_999))
}

/// `prefix` completed to 10 digits.
fn hs_with_prefix(rng: &mut Rng, prefix: &str) -> String {
    let mut s = prefix.to_string();
    while s.len() < 10 {
        s.push(char::from(b'0' + rng.range(0, 9) as u8));
    }
    s
}

/// An ordinary item: value 1,000..9,999 (below every threshold, which are
/// 10,000 or more), weight 1..100 kg (unit price 10 or more, above every
/// half reference price, which are 9 or less).
fn ordinary_item(rng: &mut Rng) -> Item {
    Item {
        hs: hs_code(rng),
        value: rng.range(1_000, 9_999),
        net_kg: rng.range(1, 100),
    }
}

impl Workload {
    /// `n` rules and [`DECLARATIONS`] declarations of `min_items..=max_items`
    /// items, from a fixed seed.
    pub fn generate(n: usize, min_items: usize, max_items: usize) -> Workload {
        let mut rng = Rng::new(0x5e3a_f0e0 ^ n as u64);
        let mut rules = Vec::with_capacity(n);
        for i in 0..n {
            let score = rng.range(5, 50) as i64;
            // 60% / 20% / 20%, interleaved.
            let kind = match i % 5 {
                0..=2 => {
                    let k = rng.range(5, 20) as usize;
                    let mut countries = Vec::with_capacity(k);
                    while countries.len() < k {
                        let c = rng.below(COUNTRIES.len());
                        if !countries.contains(&c) {
                            countries.push(c);
                        }
                    }
                    let len = rng.range(2, 6) as usize;
                    let prefix = hs_code(&mut rng).get(..len).unwrap_or("").to_string();
                    RuleKind::OriginHs {
                        countries,
                        prefix,
                        threshold: rng.range(10_000, 100_000),
                    }
                }
                3 => RuleKind::Importer {
                    importers: (0..50)
                        .map(|_| format!("W-{:07}", rng.range(0, 9_999_999)))
                        .collect(),
                },
                _ => RuleKind::UnitPrice {
                    prefix: hs_code(&mut rng).get(..6).unwrap_or("").to_string(),
                    reference: rng.range(2, 9) * 2,
                },
            };
            rules.push(Rule { kind, score });
        }
        let mut decls = Vec::with_capacity(DECLARATIONS);
        for d in 0..DECLARATIONS {
            let count = rng.range(min_items as u64, max_items as u64) as usize;
            let mut items: Vec<Item> = (0..count).map(|_| ordinary_item(&mut rng)).collect();
            let mut origin = rng.below(COUNTRIES.len());
            let mut importer = format!("I-{:07}", rng.range(0, 9_999_999));
            if d % PLANT_EVERY == PLANT_EVERY / 2 && !rules.is_empty() {
                let at = rng.below(items.len());
                let rule = rules.get(rng.below(rules.len()));
                match (rule.map(|r| &r.kind), items.get_mut(at)) {
                    (
                        Some(RuleKind::OriginHs {
                            countries,
                            prefix,
                            threshold,
                        }),
                        Some(item),
                    ) => {
                        origin = countries
                            .get(rng.below(countries.len()))
                            .copied()
                            .unwrap_or(0);
                        item.hs = hs_with_prefix(&mut rng, prefix);
                        item.value = threshold + rng.range(1, 5_000);
                    }
                    (Some(RuleKind::Importer { importers }), _) => {
                        importer = importers
                            .get(rng.below(importers.len()))
                            .cloned()
                            .unwrap_or_default();
                    }
                    (Some(RuleKind::UnitPrice { prefix, reference }), Some(item)) => {
                        item.hs = hs_with_prefix(&mut rng, prefix);
                        item.net_kg = rng.range(1_000, 5_000);
                        // Unit price below half the reference.
                        item.value = item.net_kg * (reference / 2) - rng.range(1, 500);
                    }
                    _ => {}
                }
            }
            decls.push(Decl {
                id: format!("D{d:06}"),
                origin,
                importer,
                items,
            });
        }
        Workload { rules, decls }
    }

    /// The ruleset in the rule language.
    pub fn source(&self) -> String {
        let mut s = String::from(
            "ruleset \"bench\" version \"1\"\n\
             schema declaration {\n  key id: text\n  origin: text\n  importer: text\n  items: [item]\n}\n\
             record item {\n  hs: text\n  value: number\n  net_kg: number\n}\n",
        );
        for (i, r) in self.rules.iter().enumerate() {
            let when = match &r.kind {
                RuleKind::OriginHs {
                    countries,
                    prefix,
                    threshold,
                } => {
                    let list: Vec<String> = countries
                        .iter()
                        .map(|&c| format!("\"{}\"", COUNTRIES.get(c).unwrap_or(&"")))
                        .collect();
                    format!(
                        "origin in [{}] and any(it in items: it.hs starts with \"{prefix}\" and it.value > {threshold})",
                        list.join(", ")
                    )
                }
                RuleKind::Importer { importers } => {
                    let list: Vec<String> = importers.iter().map(|m| format!("\"{m}\"")).collect();
                    format!("importer in [{}]", list.join(", "))
                }
                RuleKind::UnitPrice { prefix, reference } => format!(
                    "any(it in items: it.hs starts with \"{prefix}\" and it.value / it.net_kg < {reference} * 0.5)"
                ),
            };
            let _ = writeln!(
                s,
                "rule R{i} \"generated\" {{\n  when {when}\n  then score {}\n}}",
                r.score
            );
        }
        s
    }

    /// The same rules on a flat schema: the item's fields (`hs`, `value`,
    /// `net_kg`) are top-level fields of the declaration, as a host whose
    /// declarations have one item would model them. Only for workloads of
    /// one item per declaration (`Workload::generate(n, 1, 1)`), where it
    /// fires exactly the rules [`Workload::source`] fires.
    pub fn source_flat(&self) -> String {
        let mut s = String::from(
            "ruleset \"bench-flat\" version \"1\"\n\
             schema declaration {\n  key id: text\n  origin: text\n  importer: text\n  hs: text\n  value: number\n  net_kg: number\n}\n",
        );
        for (i, r) in self.rules.iter().enumerate() {
            let when = match &r.kind {
                RuleKind::OriginHs {
                    countries,
                    prefix,
                    threshold,
                } => {
                    let list: Vec<String> = countries
                        .iter()
                        .map(|&c| format!("\"{}\"", COUNTRIES.get(c).unwrap_or(&"")))
                        .collect();
                    format!(
                        "origin in [{}] and hs starts with \"{prefix}\" and value > {threshold}",
                        list.join(", ")
                    )
                }
                RuleKind::Importer { importers } => {
                    let list: Vec<String> = importers.iter().map(|m| format!("\"{m}\"")).collect();
                    format!("importer in [{}]", list.join(", "))
                }
                RuleKind::UnitPrice { prefix, reference } => {
                    format!("hs starts with \"{prefix}\" and value / net_kg < {reference} * 0.5")
                }
            };
            let _ = writeln!(
                s,
                "rule R{i} \"generated\" {{\n  when {when}\n  then score {}\n}}",
                r.score
            );
        }
        s
    }

    /// Each rule as a JSONLogic rule for the general engine (with the
    /// `ext-string` operator `starts_with`).
    pub fn jsonlogic(&self) -> Vec<String> {
        self.rules
            .iter()
            .map(|r| match &r.kind {
                RuleKind::OriginHs {
                    countries,
                    prefix,
                    threshold,
                } => {
                    let list: Vec<String> = countries
                        .iter()
                        .map(|&c| format!("\"{}\"", COUNTRIES.get(c).unwrap_or(&"")))
                        .collect();
                    format!(
                        r#"{{"and":[{{"in":[{{"var":"origin"}},[{}]]}},{{"some":[{{"var":"items"}},{{"and":[{{"starts_with":[{{"var":"hs"}},"{prefix}"]}},{{">":[{{"var":"value"}},{threshold}]}}]}}]}}]}}"#,
                        list.join(",")
                    )
                }
                RuleKind::Importer { importers } => {
                    let list: Vec<String> = importers.iter().map(|m| format!("\"{m}\"")).collect();
                    format!(r#"{{"in":[{{"var":"importer"}},[{}]]}}"#, list.join(","))
                }
                RuleKind::UnitPrice { prefix, reference } => format!(
                    r#"{{"some":[{{"var":"items"}},{{"and":[{{"starts_with":[{{"var":"hs"}},"{prefix}"]}},{{"<":[{{"/":[{{"var":"value"}},{{"var":"net_kg"}}]}},{{"*":[{reference},0.5]}}]}}]}}]}}"#
                ),
            })
            .collect()
    }
}

impl Decl {
    /// The declaration as a JSON object.
    pub fn json(&self) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|it| {
                format!(
                    r#"{{"hs":"{}","value":{},"net_kg":{}}}"#,
                    it.hs, it.value, it.net_kg
                )
            })
            .collect();
        format!(
            r#"{{"id":"{}","origin":"{}","importer":"{}","items":[{}]}}"#,
            self.id,
            COUNTRIES.get(self.origin).unwrap_or(&""),
            self.importer,
            items.join(",")
        )
    }
}

/// A ruleset over the regional example's schema whose rules are each
/// guarded only inside a quantifier, by the two forms the rule index
/// learnt in session 8: `n / 2` rules
/// `any(it in items: key(it.origin, it.hs) in [..])` (three origin and
/// code pairs that the declarations carry, two that none does) and
/// `n - n / 2` rules `any(it in items: it.value > V)` with `V` between
/// half and three times the largest item value of `declarations`. The
/// header (schema, lanes, lists) is `regional_source`'s, up to its first
/// rule.
///
/// `declarations` is JSON Lines as in `examples/regional/`; a line that
/// is not an object with `items` is skipped (the example's file has none).
pub fn element_guard_source(regional_source: &str, declarations: &str, n: usize) -> String {
    let header = regional_header(regional_source);
    let mut pairs: Vec<String> = Vec::new();
    let mut top = 0.0f64;
    for line in declarations.lines() {
        let Ok(d) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let items = d.get("items").and_then(|v| v.as_array());
        for it in items.map_or(&[][..], |v| v) {
            let text = |k: &str| it.get(k).and_then(|v| v.as_str());
            if let (Some(o), Some(h)) = (text("origin"), text("hs")) {
                pairs.push(format!("{o}|{h}"));
            }
            let value = it.get("value").and_then(|v| v.as_f64());
            top = top.max(value.unwrap_or(0.0));
        }
    }
    pairs.sort();
    pairs.dedup();
    let mut rng = Rng::new(0x9a7d_5e11);
    let mut s = String::from(header);
    for i in 0..n / 2 {
        let mut keys: Vec<String> = (0..3)
            .filter_map(|_| pairs.get(rng.below(pairs.len().max(1))))
            .map(|p| format!("\"{p}\""))
            .collect();
        keys.extend((0..2).map(|_| format!("\"XX|{}\"", rng.range(1_000_000_000, 9_999_999_999))));
        let _ = writeln!(
            s,
            "rule KEY-{i:04} \"pair {i}\" {{\n  when any(it in items: key(it.origin, it.hs) in [{}])\n  then score 5\n}}",
            keys.join(", ")
        );
    }
    let top = top.max(1.0) as u64;
    for i in 0..n - n / 2 {
        let _ = writeln!(
            s,
            "rule VALUE-{i:04} \"value {i}\" {{\n  when any(it in items: it.value > {})\n  then score 5\n}}",
            rng.range(top / 2, top * 3)
        );
    }
    s
}

/// The header of the regional example's source (package, lanes,
/// thresholds, schema, lists), up to its first rule.
pub fn regional_header(regional_source: &str) -> &str {
    regional_source
        .find("\nrule ")
        .and_then(|at| regional_source.get(..=at))
        .unwrap_or(regional_source)
}

/// One rule form whose cost per declaration the `forms` group of the
/// `regional` bench (and `profile form NAME K`) measures:
/// a rule over the regional header, evaluated alone on the regional
/// declarations.
#[derive(Clone, Copy, Debug)]
pub struct Form {
    /// The bench's name for it.
    pub name: &'static str,
    /// The rule's actions and conditions, between its braces.
    pub body: &'static str,
    /// A shadow rule (`monitor`).
    pub monitor: bool,
}

const fn form(name: &'static str, body: &'static str) -> Form {
    Form {
        name,
        body,
        monitor: false,
    }
}

/// The forms of `docs/performance.md` ("Session 12: what each form
/// costs"), from the
/// cheapest kinds of test to the costliest: top-level tests, tests of
/// each item, aggregates, and the actions that draw or score. `none` is
/// the header alone (binding and an evaluation without rules), which the
/// others are read against.
pub const FORMS: &[Form] = &[
    form("none", ""),
    form("eq", r#"when regime == "IM5" then score 1"#),
    form("in_list", "when importer in watched_importers then score 1"),
    form(
        "in_inline",
        r#"when origin in ["CN", "HK", "VN"] then score 1"#,
    ),
    form("starts_with", r#"when regime starts with "T" then score 1"#),
    form("not_bool", "when not aeo then score 1"),
    form("is_missing", "when freight is missing then score 1"),
    form("arith", "when freight / exchange_rate > 1000 then score 1"),
    form("date_diff", "when today - declared_on > 30 then score 1"),
    form(
        "any_cmp",
        "when any(it in items: it.value > 1000000) then score 1",
    ),
    form(
        "any_fields",
        "when any(it in items: it.gross_kg < it.net_kg) then score 1",
    ),
    form(
        "any_len",
        "when any(it in items: len(it.description) < 6) then score 1",
    ),
    form(
        "any_in_list",
        "when any(it in items: it.origin in high_risk_origins) then score 1",
    ),
    form(
        "any_starts_with_list",
        "when any(it in items: it.hs starts with footwear) then score 1",
    ),
    form(
        "any_contains_list",
        "when any(it in items: it.description contains used_words) then score 1",
    ),
    form(
        "any_contains_text",
        r#"when any(it in items: it.description contains "usado") then score 1"#,
    ),
    form(
        "any_contains_field",
        "when any(it in items: it.description contains it.origin) then score 1",
    ),
    form(
        "any_key_in",
        r#"when any(it in items: key(it.origin, it.hs) in ["CN|9401710000", "VN|6402000000"]) then score 1"#,
    ),
    form(
        "any_unit_price",
        "when any(it in items: it.value / it.net_kg < 0.5) then score 1",
    ),
    form(
        "any_reference_price",
        "when any(it in items: lookup_prefix(reference_price, it.hs) is present
    and it.value / it.net_kg < lookup_prefix(reference_price, it.hs) * 0.1) then score 1",
    ),
    form(
        "any_or",
        r#"when any(it in items: it.origin == "CN" or it.value > 1000000) then score 1"#,
    ),
    form(
        "sum",
        "when sum(it in items: it.value) > 250000 then score 1",
    ),
    form(
        "max_min",
        "when max(it in items: it.value / it.net_kg) > min(it in items: it.value / it.net_kg) * 200 then score 1",
    ),
    form("sample", r#"when regime == "IM4" sample 2% then score 1"#),
    form("lane_split", "when not aeo then lane red 50%, yellow 50%"),
    form(
        "score_table",
        "then score sum(it in items: lookup_prefix(reference_price, it.hs))",
    ),
    Form {
        name: "monitor",
        body: "when any(it in items: it.origin != origin) then score 25",
        monitor: true,
    },
];

/// The regional header and `form` as its one rule (`none`: no rule).
pub fn form_source(regional_source: &str, form: &Form) -> String {
    let mut s = String::from(regional_header(regional_source));
    if !form.body.is_empty() {
        let monitor = if form.monitor { " monitor" } else { "" };
        let _ = writeln!(
            s,
            "rule FORM \"{}\"{monitor} {{\n  {}\n}}",
            form.name, form.body
        );
    }
    s
}

/// The text of `path` under `examples/regional/`.
///
/// # Panics
/// If the file cannot be read (the benches run from a checkout).
#[allow(clippy::panic)]
pub fn regional_file(path: &str) -> String {
    let full = format!("{}/../examples/regional/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// `source` (the regional rules, or others over their header) compiled
/// with the example's lists and table.
///
/// # Panics
/// If it does not compile.
#[allow(clippy::panic)]
pub fn regional_ruleset(source: String) -> semaforo::Ruleset {
    let mut c = semaforo::Compiler::new();
    c.add_source("regional.sem", source);
    for l in ["watched_importers", "watched_declarants"] {
        let path = format!("lists/{l}.txt");
        c.add_list_file(l, path.clone(), regional_file(&path));
    }
    let path = "tables/reference_price.csv";
    c.add_table_file("reference_price", path, regional_file(path));
    c.compile().unwrap_or_else(|e| panic!("{e}"))
}

/// The non-blank lines of JSON Lines text, as bytes.
pub fn jsonl_lines(jsonl: &str) -> Vec<&[u8]> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::as_bytes)
        .collect()
}
