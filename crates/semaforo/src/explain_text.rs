//! An [`Explanation`] as text and as JSON: what `semaforo explain` prints
//! (`--format human` and `--format json`), so every host shows the same
//! explanation (the command, the Python package, a clearance system's own
//! screens). The form is documented in `docs/cli.md`, "Explaining a
//! decision".

use crate::{Decimal, ElementStep, Explanation, RuleExplanation, SampleDraw, Step, Truth};
use serde_json::{Value, json};
use std::fmt::Write as _;

impl Explanation {
    /// The explanation as `semaforo explain` prints it: the verdict (lane,
    /// score, thresholds, fired, shadow, undetermined and overridden
    /// rules), then the condition tree of each rule that decided, every
    /// sub-expression with the value it had; with `all`, of every rule.
    pub fn render_text(&self, all: bool) -> String {
        human(self, all)
    }

    /// The explanation as one JSON object (`semaforo explain --format
    /// json`), without a trailing line break.
    pub fn render_json(&self) -> String {
        to_json(self).to_string()
    }
}

/// Source text on one line: runs of whitespace (and comments' line breaks)
/// become one space.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `2.5%` from a cut-off in millionths.
fn percent(cutoff: u32) -> String {
    Decimal::from_units(i64::from(cutoff), 4).map_or_else(|| cutoff.to_string(), |d| d.to_string())
        + "%"
}

fn window(r: &RuleExplanation) -> String {
    match (r.active_from, r.active_to) {
        (None, None) => "always".to_string(),
        (Some(f), Some(t)) => format!("{f} to {t}"),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("to {t}"),
    }
}

/// A rule's status in its heading.
fn status(r: &RuleExplanation) -> &'static str {
    match (r.monitor, r.fired, r.active, r.condition) {
        (true, true, ..) => "SHADOW, would have fired (changes nothing)",
        (false, true, ..) => "FIRED",
        (true, false, false, _) => "shadow rule, inactive",
        (false, false, false, _) => "inactive",
        (true, false, true, Some(Truth::Unknown)) => {
            "shadow rule, condition unknown (listed nowhere)"
        }
        (false, false, true, Some(Truth::Unknown)) => "UNDETERMINED",
        (true, false, true, Some(Truth::True)) => "shadow rule, not selected by the sample",
        (false, false, true, Some(Truth::True)) => "not selected by the sample",
        (true, false, true, _) => "shadow rule, not fired",
        (false, false, true, _) => "not fired",
    }
}

/// `+40`, `0`, `-5`.
fn signed(n: i64) -> String {
    if n == 0 {
        "0".to_string()
    } else {
        format!("{n:+}")
    }
}

/// A lane split as written: `red 50%, yellow 30%` (each lane's own share).
fn split_text(split: &[(String, u32)]) -> String {
    let mut prev = 0u32;
    split
        .iter()
        .map(|(lane, cut)| {
            let share = cut.saturating_sub(prev);
            prev = *cut;
            format!("{lane} {}", percent(share))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The actions as written: `score +40, lane red 50%, yellow 30%, note "..."`.
fn actions(r: &RuleExplanation) -> String {
    let mut parts = Vec::new();
    if let Some(s) = r.score {
        parts.push(format!("score {s:+}"));
    }
    if let Some(t) = &r.score_text {
        parts.push(format!("score {}", one_line(t)));
    }
    if !r.lane_split.is_empty() {
        parts.push(format!("lane {}", split_text(&r.lane_split)));
    } else if let Some(l) = &r.lane {
        parts.push(format!("lane {l}"));
    }
    for n in &r.notes {
        parts.push(format!("note {}", json!(n)));
    }
    parts.join(", ")
}

/// A fired (or monitored) rule's part in the verdict on one line:
/// `+40 points`, `0 points, draw 107287 (sample 50%), lane yellow`,
/// `0 points, lane draw 510928 -> yellow (split red 50%, yellow 30%)`.
fn entry(r: &RuleExplanation) -> String {
    let mut s = format!("{} points", signed(r.points.unwrap_or(0)));
    if let Some(d) = r.sample {
        let _ = write!(s, ", draw {} (sample {})", d.draw, percent(d.cutoff));
    }
    if r.lane_split.is_empty() {
        if let Some(l) = &r.lane {
            let _ = write!(s, ", lane {l}");
        }
    } else {
        let chosen = r.lane.as_deref().unwrap_or("no lane");
        match r.lane_draw {
            Some(d) => {
                let _ = write!(s, ", lane draw {d} -> {chosen}");
            }
            None => {
                let _ = write!(s, ", {chosen}");
            }
        }
        let _ = write!(s, " (split {})", split_text(&r.lane_split));
    }
    s
}

/// One line per rule of a verdict list, or `(none)`.
fn verdict_list<'e>(
    out: &mut String,
    heading: &str,
    rules: impl Iterator<Item = &'e RuleExplanation>,
    line: impl Fn(&RuleExplanation) -> Option<String>,
) {
    let rules: Vec<&RuleExplanation> = rules.collect();
    if rules.is_empty() {
        let _ = writeln!(out, "{heading}: (none)");
        return;
    }
    let _ = writeln!(out, "{heading}:");
    let idw = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for r in rules {
        let _ = write!(out, "  {:<idw$} {}", r.id, json!(r.title));
        match line(r) {
            Some(l) => {
                let _ = writeln!(out, ": {l}");
            }
            None => out.push('\n'),
        }
    }
}

/// The readable explanation: the verdict first (lane, score, the fired,
/// monitored and undetermined rules), then the conditions of those rules;
/// with `all`, of every rule.
fn human(e: &Explanation, all: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "declaration {}\nruleset {} {} ({}, engine {}), today {}, sampling key {}",
        json!(e.id),
        json!(e.ruleset_name),
        json!(e.ruleset_version),
        e.fingerprint.get(..16).unwrap_or(&e.fingerprint),
        crate::ENGINE_VERSION,
        e.today,
        e.sampling_key_id
    );
    let _ = writeln!(out, "\nlane {}, score {}", e.lane, e.score);
    for t in &e.thresholds {
        let _ = writeln!(
            out,
            "  threshold {} {}: {}",
            t.lane,
            t.minimum,
            if t.reached { "reached" } else { "not reached" }
        );
    }
    verdict_list(&mut out, "fired", e.fired(), |r| Some(entry(r)));
    // Only a ruleset with shadow rules says which would have fired.
    if e.rules.iter().any(|r| r.monitor) {
        verdict_list(
            &mut out,
            "monitored (shadow rules: would have fired, change nothing)",
            e.monitored(),
            |r| Some(entry(r)),
        );
    }
    verdict_list(
        &mut out,
        "undetermined (condition unknown: data missing)",
        e.undetermined(),
        |_| None,
    );
    // Only a ruleset with overrides says which changed this decision.
    if !e.overridden.is_empty() {
        let _ = writeln!(out, "\noverridden (national overrides of package rules):");
        for o in &e.overridden {
            let _ = writeln!(out, "  {}: {}", o.id, override_effect(o));
        }
    }
    let shown = |r: &RuleExplanation| {
        all || r.fired || r.undetermined() || e.overridden.iter().any(|o| o.index == r.index)
    };
    for r in e.rules.iter().filter(|r| shown(r)) {
        rule(&mut out, e, r);
    }
    if !all {
        let rest: Vec<&str> = e
            .rules
            .iter()
            .filter(|r| !shown(r))
            .map(|r| r.id.as_str())
            .collect();
        if !rest.is_empty() {
            let _ = writeln!(
                out,
                "\nnot fired: {} (`--all` shows their conditions)",
                rest.join(", ")
            );
        }
    }
    out
}

/// What an override did to one declaration, in words.
fn override_effect(o: &crate::ExplainedOverride) -> String {
    let what = match (o.disabled, o.original, o.applied) {
        (true, _, _) => "disabled; it would have fired as the package defines it",
        (false, true, true) => {
            "adjusted; fired as adjusted (it would have fired as the package defines it too)"
        }
        (false, false, true) => {
            "adjusted; fired as adjusted only (the package's rule would not have)"
        }
        (false, _, false) => {
            "adjusted; did not fire as adjusted, but would have as the package defines it"
        }
    };
    format!("{what} (reason: {})", json!(o.reason))
}

/// One rule's block: status, window, condition tree, draws, points.
fn rule(out: &mut String, e: &Explanation, r: &RuleExplanation) {
    let _ = writeln!(out, "\n{} {}: {}", r.id, json!(r.title), status(r));
    // The profile, when it says more than the default status.
    if r.profile.len() > 1
        || r.profile
            .iter()
            .any(|(k, v)| *k == "status" && v != "active")
    {
        let entries: Vec<String> = r
            .profile
            .iter()
            .map(|(k, v)| match *k {
                "level" | "status" | "review" => format!("{k} {v}"),
                _ => format!("{k} {}", json!(v)),
            })
            .collect();
        let _ = writeln!(out, "  profile {}", entries.join(", "));
    }
    if let Some(o) = e.overridden.iter().find(|o| o.index == r.index) {
        let _ = writeln!(out, "  override: {}", override_effect(o));
    }
    if r.active {
        let _ = writeln!(out, "  active {}", window(r));
    } else {
        let _ = writeln!(out, "  not active on {} (active {})", e.today, window(r));
    }
    match (&r.when, r.active) {
        (Some(w), _) => {
            out.push_str("  when ");
            step(out, w, 2);
        }
        (None, true) => out.push_str("  when (none) -> true\n"),
        (None, false) => {}
    }
    if let Some(s) = r.sample {
        sample(out, s);
    }
    if let Some(s) = &r.score_expr {
        score(out, s, r.points.unwrap_or(0));
    }
    if !r.lane_split.is_empty() {
        split(out, r);
    }
    let _ = writeln!(out, "  then {}", actions(r));
}

fn sample(out: &mut String, s: SampleDraw) {
    let _ = writeln!(
        out,
        "  sample {}: draw {} {} cut-off {} -> {}",
        percent(s.cutoff),
        s.draw,
        if s.selected { "<" } else { ">=" },
        s.cutoff,
        if s.selected {
            "selected"
        } else {
            "not selected"
        }
    );
}

/// `score EXPR = VALUE -> N points` with how the value became the points,
/// and the expression's operands below it.
fn score(out: &mut String, s: &Step, points: i64) {
    use crate::ExplainedValue as V;
    // Past ±1,000,000.5 rounding alone gives more than the limit (at
    // exactly .5 it rounds to the even limit itself).
    let limit = Decimal::from_units(10_000_005, 1).unwrap_or(Decimal::from_i64(1_000_000));
    let how = match &s.value {
        V::Missing => Some("missing scores 0"),
        V::Number(n) if *n > limit || *n < limit.neg() => Some("clamped to -1000000..1000000"),
        V::Number(n) if !n.is_integer() => Some("rounded half to even"),
        _ => None,
    };
    let _ = write!(
        out,
        "  score {} = {} -> {} points",
        one_line(&s.text),
        s.shown(),
        signed(points)
    );
    let notes: Vec<&str> = s.detail.as_deref().into_iter().chain(how).collect();
    if !notes.is_empty() {
        let _ = write!(out, "  ({})", notes.join("; "));
    }
    out.push('\n');
    for o in s.operands.iter().filter(|o| !o.constant) {
        out.push_str("    ");
        step(out, o, 4);
    }
    elements(out, s, 4);
}

/// The split's cut-offs and where the lane draw fell.
fn split(out: &mut String, r: &RuleExplanation) {
    let cuts: Vec<String> = r
        .lane_split
        .iter()
        .map(|(lane, cut)| format!("{lane} below {cut}"))
        .collect();
    let _ = write!(
        out,
        "  lane split {}: cut-offs {}",
        split_text(&r.lane_split),
        cuts.join(", ")
    );
    let Some(d) = r.lane_draw else {
        out.push_str("; drawn only when the rule fires\n");
        return;
    };
    // The first cut-off above the draw chooses; the one before it (or 0)
    // is where that lane's range starts.
    let mut low = 0u32;
    for (lane, cut) in &r.lane_split {
        if d < *cut {
            let _ = writeln!(out, "; lane draw {d}, {low} <= {d} < {cut} -> {lane}");
            return;
        }
        low = *cut;
    }
    let _ = writeln!(out, "; lane draw {d} >= {low} -> no lane");
}

/// Writes one step's line (the caller wrote the indentation and any prefix)
/// and its operands below it, `indent` spaces deeper than the caller's.
fn step(out: &mut String, s: &Step, indent: usize) {
    let arrow = if s.condition { "->" } else { "=" };
    let _ = write!(out, "{} {arrow} {}", one_line(&s.text), s.shown());
    if let Some(d) = &s.detail {
        let _ = write!(out, "  ({d})");
    }
    out.push('\n');
    let pad = " ".repeat(indent + 2);
    for o in s.operands.iter().filter(|o| !o.constant) {
        out.push_str(&pad);
        step(out, o, indent + 2);
    }
    elements(out, s, indent + 2);
}

/// How many element bodies are expanded under a quantifier.
const EXPANDED: usize = 5;

/// Per-element results of a quantifier, and the bodies of the elements that
/// decided it. The explanation holds the traces of at most
/// `Step::ELEMENT_DETAIL` elements of each result, and the count of each.
fn elements(out: &mut String, s: &Step, indent: usize) {
    if s.elements.is_empty() {
        return;
    }
    let pad = " ".repeat(indent);
    if conditions(s) {
        for t in [Truth::True, Truth::Unknown, Truth::False] {
            let labels: Vec<&str> = s
                .elements
                .iter()
                .filter(|e| e.body.truth() == t)
                .map(|e| e.label.as_str())
                .collect();
            if labels.is_empty() {
                continue;
            }
            let n = s.elements_with(t);
            let _ = write!(out, "{pad}{t} for {}", labels.join(", "));
            if n > labels.len() {
                let _ = write!(out, ", ... ({n} elements in all)");
            }
            out.push('\n');
        }
    }
    let (decisive, in_all) = decisive(s);
    for e in decisive.iter().take(EXPANDED) {
        let _ = write!(out, "{pad}{}: ", e.label);
        step(out, &e.body, indent);
    }
    if in_all > EXPANDED.min(decisive.len()) {
        let _ = writeln!(
            out,
            "{pad}... and {} more elements",
            in_all - EXPANDED.min(decisive.len())
        );
    }
}

/// Whether a quantifier's body is a condition (`any`, `all`, `count`).
fn conditions(s: &Step) -> bool {
    s.elements.iter().all(|e| e.body.condition)
}

/// The elements worth expanding: those whose result gave the quantifier its
/// value (the true ones of an `any` that is true, ...), else all of them;
/// and how many elements of the list are of that kind.
fn decisive(s: &Step) -> (Vec<&ElementStep>, usize) {
    let others = |t: Truth| {
        [Truth::True, Truth::False, Truth::Unknown]
            .into_iter()
            .filter(|o| *o != t)
            .map(|o| s.elements_with(o))
            .sum::<usize>()
    };
    let want = if conditions(s) && s.condition {
        // `any` or `all`: the result itself names the deciding elements,
        // except `any` false / `all` true, where every element counts.
        match s.truth() {
            Truth::True if others(Truth::True) > 0 => Some(Truth::True),
            Truth::False if others(Truth::False) > 0 => Some(Truth::False),
            Truth::Unknown => Some(Truth::Unknown),
            _ => None,
        }
    } else if conditions(s) {
        // `count`: the elements counted.
        Some(Truth::True)
    } else {
        None
    };
    match want {
        Some(t) => {
            let v: Vec<&ElementStep> = s.elements.iter().filter(|e| e.body.truth() == t).collect();
            if v.is_empty() {
                (s.elements.iter().collect(), s.element_total)
            } else {
                (v, s.elements_with(t))
            }
        }
        None => {
            // `sum`, `min`, `max`: the element that gave a `min` or `max`
            // its value first.
            let (mut v, rest): (Vec<&ElementStep>, Vec<&ElementStep>) =
                s.elements.iter().partition(|e| e.body.value == s.value);
            v.truncate(1);
            v.extend(rest);
            (v, s.element_total)
        }
    }
}

fn value_json(s: &Step) -> Value {
    use crate::ExplainedValue as V;
    if s.condition {
        return json!(s.truth().as_str());
    }
    match &s.value {
        V::Missing => Value::Null,
        V::Bool(b) => json!(b),
        // Numbers as strings, so exact decimals survive every JSON reader.
        V::Number(n) => json!(n.to_string()),
        V::Date(d) => json!(d.to_string()),
        V::Text(t) => json!(t),
        V::Records(n) => json!({ "elements": n }),
    }
}

fn step_json(s: &Step) -> Value {
    let mut o = json!({
        "text": one_line(&s.text),
        "value": value_json(s),
    });
    if let Some(map) = o.as_object_mut() {
        if s.condition {
            map.insert("condition".into(), json!(true));
        }
        if s.constant {
            map.insert("constant".into(), json!(true));
        }
        if let Some(d) = &s.detail {
            map.insert("detail".into(), json!(d));
        }
        if !s.operands.is_empty() {
            map.insert(
                "operands".into(),
                Value::Array(s.operands.iter().map(step_json).collect()),
            );
        }
        if s.element_total > 0 {
            let counts = if s.elements.iter().all(|e| e.body.condition) {
                json!({
                    "total": s.element_total,
                    "true": s.elements_with(Truth::True),
                    "false": s.elements_with(Truth::False),
                    "unknown": s.elements_with(Truth::Unknown),
                })
            } else {
                json!({
                    "total": s.element_total,
                    "missing": s.elements_with(Truth::Unknown),
                })
            };
            map.insert("element_counts".into(), counts);
        }
        if !s.elements.is_empty() {
            map.insert(
                "elements".into(),
                Value::Array(
                    s.elements
                        .iter()
                        .map(|e| {
                            json!({
                                "index": e.index,
                                "label": e.label,
                                "body": step_json(&e.body),
                            })
                        })
                        .collect(),
                ),
            );
        }
    }
    o
}

fn rule_json(r: &RuleExplanation) -> Value {
    json!({
        "id": r.id,
        "title": r.title,
        "monitor": r.monitor,
        "profile": r.profile.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "active": r.active,
        "active_from": r.active_from.map(|d| d.to_string()),
        "active_to": r.active_to.map(|d| d.to_string()),
        "condition": r.condition.map(Truth::as_str),
        "when": r.when.as_ref().map(step_json),
        "sample": r.sample.map(|s| json!({
            "percent": percent(s.cutoff).trim_end_matches('%'),
            "cutoff": s.cutoff,
            "draw": s.draw,
            "selected": s.selected,
        })),
        "fired": r.fired,
        "undetermined": r.undetermined(),
        "score": r.score,
        "score_expr": r.score_expr.as_ref().map(step_json),
        "score_text": r.score_text.as_deref().map(one_line),
        "points": r.points,
        "lane": r.lane,
        "lane_split": split_json(&r.lane_split),
        "lane_draw": r.lane_draw,
        "notes": r.notes,
    })
}

/// A lane split: per lane, its own `percent` and cumulative `cutoff`;
/// `null` without a split.
fn split_json(split: &[(String, u32)]) -> Value {
    if split.is_empty() {
        return Value::Null;
    }
    let mut prev = 0u32;
    Value::Array(
        split
            .iter()
            .map(|(lane, cut)| {
                let share = cut.saturating_sub(prev);
                prev = *cut;
                json!({
                    "lane": lane,
                    "percent": percent(share).trim_end_matches('%'),
                    "cutoff": cut,
                })
            })
            .collect(),
    )
}

/// A fired or monitored entry as `eval` writes it: `id`, `points`, and
/// `draw`, `lane_draw`, `lane` when they apply.
fn entry_json(r: &RuleExplanation) -> Value {
    let mut o = json!({ "id": r.id, "points": r.points.unwrap_or(0) });
    if let Some(map) = o.as_object_mut() {
        if let Some(s) = r.sample {
            map.insert("draw".into(), json!(s.draw));
        }
        if let Some(d) = r.lane_draw {
            map.insert("lane_draw".into(), json!(d));
        }
        if let Some(l) = &r.lane {
            map.insert("lane".into(), json!(l));
        }
    }
    o
}

/// The explanation as one JSON object.
fn to_json(e: &Explanation) -> Value {
    json!({
        "id": e.id,
        "today": e.today.to_string(),
        "sampling_key_id": e.sampling_key_id,
        "ruleset": {
            "name": e.ruleset_name,
            "version": e.ruleset_version,
            "fingerprint": e.fingerprint,
            "engine": crate::ENGINE_VERSION,
        },
        "lane": e.lane,
        "score": e.score,
        "thresholds": e.thresholds.iter().map(|t| json!({
            "lane": t.lane, "minimum": t.minimum, "reached": t.reached,
        })).collect::<Vec<_>>(),
        "fired": e.fired().map(entry_json).collect::<Vec<_>>(),
        "monitored": e.monitored().map(entry_json).collect::<Vec<_>>(),
        "undetermined": e.undetermined().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        "overridden": e.overridden.iter().map(|o| json!({
            "id": o.id,
            "change": if o.disabled { "disabled" } else { "adjusted" },
            "original": o.original,
            "applied": o.applied,
            "reason": o.reason,
        })).collect::<Vec<_>>(),
        "rules": e.rules.iter().map(rule_json).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "tests unwrap: a failure is the test's report"
    )]

    /// The score line of `score v * 1` for a declaration with `v`.
    fn score_line(v: &str) -> String {
        let mut c = crate::Compiler::new();
        c.add_source(
            "r.sem",
            "ruleset \"c\" version \"1\"\nschema d { key id: text\n v: number? }\n\
             rule BIG \"big\" { then score v * 1 }\n",
        );
        let ruleset = c.compile().map_err(|e| format!("{e:?}")).unwrap();
        let ctx = crate::Context::new(
            crate::Date::parse("2026-06-01").unwrap(),
            crate::SamplingKey::default(),
            "k0",
        );
        let mut ev = ruleset.evaluator();
        ev.eval_json(format!(r#"{{"id": "D1", "v": {v}}}"#).as_bytes(), &ctx)
            .unwrap();
        let text = ruleset.explain(ev.declaration(), &ctx).render_text(false);
        text.lines()
            .find(|l| l.starts_with("  score "))
            .unwrap()
            .to_string()
    }

    #[test]
    fn score_lines_say_how_the_value_became_points() {
        assert_eq!(score_line("7"), "  score v * 1 = 7 -> +7 points");
        assert_eq!(
            score_line("2.5"),
            "  score v * 1 = 2.5 -> +2 points  (rounded half to even)"
        );
        // At exactly half past the limit, rounding alone gives the limit.
        assert_eq!(
            score_line("1000000.5"),
            "  score v * 1 = 1000000.5 -> +1000000 points  (rounded half to even)"
        );
        assert_eq!(
            score_line("1000000.6"),
            "  score v * 1 = 1000000.6 -> +1000000 points  (clamped to -1000000..1000000)"
        );
        assert_eq!(
            score_line("-2000000"),
            "  score v * 1 = -2000000 -> -1000000 points  (clamped to -1000000..1000000)"
        );
        assert_eq!(
            score_line("null"),
            "  score v * 1 = missing -> 0 points  (missing scores 0)"
        );
    }
}
