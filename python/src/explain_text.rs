//! An explanation as text for a notebook or a log: the verdict first, then
//! the conditions of the rules that decided, each sub-expression with the
//! value it had.
//!
//! A shorter form of what `semaforo explain` prints; that renderer lives in
//! the command-line crate, which a host cannot depend on (see
//! `docs/python.md`, "What the facade could offer").

use semaforo::{Explanation, RuleExplanation, Step, Truth};
use std::fmt::Write as _;

/// The readable explanation; with `all`, every rule's conditions, not
/// only those of the fired and undetermined rules.
pub(crate) fn render(e: &Explanation, all: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "declaration {}\nruleset {} {} ({}, engine {}), today {}, sampling key {}",
        quote(&e.id),
        quote(&e.ruleset_name),
        quote(&e.ruleset_version),
        e.fingerprint.get(..16).unwrap_or(&e.fingerprint),
        semaforo::ENGINE_VERSION,
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
    list(&mut out, "fired", e.fired(), true);
    if e.rules.iter().any(|r| r.monitor) {
        list(
            &mut out,
            "monitored (shadow rules: would have fired, change nothing)",
            e.monitored(),
            true,
        );
    }
    list(
        &mut out,
        "undetermined (condition unknown: data missing)",
        e.undetermined(),
        false,
    );
    let shown = |r: &RuleExplanation| all || r.fired || r.undetermined();
    for r in e.rules.iter().filter(|r| shown(r)) {
        rule(&mut out, e, r);
    }
    let rest: Vec<&str> = e
        .rules
        .iter()
        .filter(|r| !shown(r))
        .map(|r| r.id.as_str())
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "\nnot fired: {} (`all=True` shows their conditions)",
            rest.join(", ")
        );
    }
    out
}

fn list<'e>(
    out: &mut String,
    heading: &str,
    rules: impl Iterator<Item = &'e RuleExplanation>,
    points: bool,
) {
    let rules: Vec<&RuleExplanation> = rules.collect();
    if rules.is_empty() {
        let _ = writeln!(out, "{heading}: (none)");
        return;
    }
    let _ = writeln!(out, "{heading}:");
    for r in rules {
        let _ = write!(out, "  {} {}", r.id, quote(&r.title));
        if points {
            let _ = write!(out, ": {:+} points", r.points.unwrap_or(0));
            if let Some(d) = r.sample {
                let _ = write!(out, ", draw {}", d.draw);
            }
            if let Some(l) = &r.lane {
                let _ = write!(out, ", lane {l}");
            }
        }
        out.push('\n');
    }
}

fn status(r: &RuleExplanation) -> &'static str {
    match (r.monitor, r.fired, r.active, r.condition) {
        (true, true, ..) => "SHADOW, would have fired (changes nothing)",
        (false, true, ..) => "FIRED",
        (_, false, false, _) => "inactive",
        (false, false, true, Some(Truth::Unknown)) => "UNDETERMINED",
        (_, false, true, Some(Truth::True)) => "not selected by the sample",
        _ => "not fired",
    }
}

fn rule(out: &mut String, e: &Explanation, r: &RuleExplanation) {
    let _ = writeln!(out, "\n{} {}: {}", r.id, quote(&r.title), status(r));
    if !r.active {
        let _ = writeln!(out, "  not active on {}", e.today);
    }
    match &r.when {
        Some(w) => {
            out.push_str("  when ");
            step(out, w, 2);
        }
        None if r.active => out.push_str("  when (none) -> true\n"),
        None => {}
    }
    if let Some(s) = r.sample {
        let _ = writeln!(
            out,
            "  sample: draw {} {} cut-off {} -> {}",
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
    if let Some(s) = &r.score_expr {
        let _ = write!(out, "  score {} = {}", one_line(&s.text), s.shown());
        let _ = writeln!(out, " -> {:+} points", r.points.unwrap_or(0));
    } else if let Some(p) = r.score {
        let _ = writeln!(out, "  score {p:+}");
    }
    if let Some(l) = &r.lane {
        let _ = writeln!(out, "  lane {l}");
    }
    for n in &r.notes {
        let _ = writeln!(out, "  note {}", quote(n));
    }
}

/// A sub-expression, its value, and below it its operands that are not
/// literals, and some of a quantifier's elements.
fn step(out: &mut String, s: &Step, indent: usize) {
    let _ = write!(out, "{} -> {}", one_line(&s.text), s.shown());
    if let Some(d) = &s.detail {
        let _ = write!(out, "  ({d})");
    }
    out.push('\n');
    let pad = " ".repeat(indent + 2);
    for o in s.operands.iter().filter(|o| !o.constant) {
        out.push_str(&pad);
        step(out, o, indent + 2);
    }
    if s.element_total > 0 {
        if s.elements.first().is_some_and(|e| e.body.condition) {
            let _ = writeln!(
                out,
                "{pad}over {} element{}: {} true, {} false, {} unknown",
                s.element_total,
                if s.element_total == 1 { "" } else { "s" },
                s.elements_with(Truth::True),
                s.elements_with(Truth::False),
                s.elements_with(Truth::Unknown)
            );
        }
        for el in &s.elements {
            let _ = write!(out, "{pad}  {}: ", el.label);
            step(out, &el.body, indent + 4);
        }
    }
}

/// A source text on one line (newlines and runs of spaces become one).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
