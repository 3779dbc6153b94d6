//! The results report as one self-contained HTML file: inline CSS, no
//! scripts, nothing loaded from the network, so it can go to an auditor
//! as it is.

use super::report::{Report, RulesetReport, Stats, kind, pct, reasons, times};
use super::tally::short;
use crate::html::esc;
use std::fmt::Write as _;

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:76em;padding:0 1em;color:#222}p,dl{max-width:64em}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}h3{font-size:1em}\
table{border-collapse:collapse;margin:1em 0}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:right}\
.t{text-align:left}.stale{color:#b71c1c;font-weight:bold}.shadow{color:#555;font-style:italic}\
table{font-size:.95em}.track{display:inline-block;width:80px;height:.7em;background:#eee;vertical-align:middle;text-align:left;margin-left:.3em}\
.bar{display:inline-block;height:.7em;background:#2f6fbf;vertical-align:top}.muted{color:#666}dl.glossary dt{font-weight:bold;margin-top:.4em}dl.glossary dd{margin-left:1.5em}\
td:not(.t),td code,td.d{white-space:nowrap}";

/// Renders the report.
pub(crate) fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Control results</title><style>{CSS}</style></head><body>\n<h1>Control results fed back to the rules</h1>\n"
    );
    let o = &r.outcomes;
    let x = &r.results;
    let _ = writeln!(
        s,
        "<p>Outcomes: {} ({}); results: {} ({}).</p>",
        esc(&r.outcome_files.join(", ")),
        o.lines,
        esc(&r.result_files.join(", ")),
        x.lines
    );
    let _ = writeln!(
        s,
        "<table><tr><th class=\"t\">count</th><th>outcomes</th><th>results</th></tr>\
<tr><td class=\"t\">unreadable lines</td><td>{}</td><td>{}</td></tr>\
<tr><td class=\"t\">duplicates</td><td>{}</td><td>{}</td></tr>\
<tr><td class=\"t\">eval error records</td><td>{}</td><td>-</td></tr>\
<tr><td class=\"t\">of other rulesets (not counted)</td><td>{}</td><td>{}</td></tr>\
<tr><td class=\"t\">joined</td><td>{}</td><td>{}</td></tr>\
<tr><td class=\"t\">results without an outcome</td><td>-</td><td>{}</td></tr>\
<tr><td class=\"t\">fingerprint conflicts</td><td>-</td><td>{}</td></tr></table>",
        o.rejected,
        x.rejected,
        o.duplicates,
        x.duplicates,
        o.eval_errors,
        o.other_fingerprint,
        x.other_fingerprint,
        x.joined,
        x.joined,
        x.without_outcome,
        x.fingerprint_conflicts
    );
    for g in &r.rulesets {
        group(&mut s, g, r);
    }
    s.push_str("</body></html>\n");
    s
}

fn stats_cells(s: &mut String, st: &Stats, lift: Option<f64>) {
    let width = st.hit_rate.map_or(0.0, |h| (h * 80.0).clamp(0.0, 80.0));
    let _ = write!(
        s,
        "<td>{}</td><td>{}</td><td>{}</td><td>{}<span class=\"track\"><span class=\"bar\" style=\"width:{width:.0}px\"></span></span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"t\">{}</td>",
        st.selections,
        st.controls,
        st.hits,
        pct(st.hit_rate),
        times(lift),
        esc(&st.revenue),
        esc(st.revenue_per_control.as_deref().unwrap_or("-")),
        st.overrides,
        esc(&reasons(&st.overrides_by_reason))
    );
}

const STATS_HEAD: &str = "<th>selected</th><th>controls</th><th>hits</th><th>hit rate</th><th>lift</th><th>revenue</th><th>revenue per control</th><th>overrides</th><th class=\"t\">by reason</th>";

fn group(s: &mut String, g: &RulesetReport, r: &Report) {
    let _ = writeln!(
        s,
        "<h2>Ruleset <code>{}</code> {} <span class=\"muted\">(fingerprint {})</span></h2>\n<p>{} outcomes, {} with a result, {} without.</p>",
        esc(g.name.as_deref().unwrap_or("?")),
        esc(g.version.as_deref().unwrap_or("?")),
        esc(short(&g.fingerprint)),
        g.outcomes,
        g.with_result,
        g.without_result
    );
    let b = &g.base_rate;
    let _ = writeln!(
        s,
        "<h3>Unbiased base rate</h3><p>Declarations selected by a sampled rule ({}): {} selected, {} controlled, {} hits, hit rate {}. Rules select declarations because they look risky, so their hit rates cannot say how often an unselected declaration would have had a finding; a random sample can.</p>",
        esc(&b.rules.join(", ")),
        b.stats.selections,
        b.stats.controls,
        b.stats.hits,
        pct(b.stats.hit_rate)
    );
    let _ = writeln!(
        s,
        "<h3>Rules</h3><table><tr><th class=\"t\">rule</th><th class=\"t\">kind</th>{STATS_HEAD}<th class=\"t\">last hit</th></tr>"
    );
    for rr in &g.rules {
        let class = if rr.stale { " class=\"stale\"" } else { "" };
        let _ = write!(
            s,
            "<tr><td class=\"t\"><code{class}>{}</code>{}</td><td class=\"t {}\">{}</td>",
            esc(&rr.rule),
            rr.governance
                .as_ref()
                .map(|g| format!("<br><span class=\"shadow\">{}</span>", esc(&g.line())))
                .unwrap_or_default(),
            kind(rr.shadow),
            kind(rr.shadow)
        );
        stats_cells(s, &rr.stats, rr.lift);
        let _ = writeln!(
            s,
            "<td class=\"t d\">{}{}</td></tr>",
            esc(rr.last_hit.as_deref().unwrap_or("never")),
            if rr.stale { " (stale)" } else { "" }
        );
    }
    s.push_str("</table>\n");
    s.push_str("<dl class=\"glossary\">\n<dt>controls</dt><dd>Selected declarations whose control result has a finding (yes or no); the hit rate is hits per control.</dd>\n<dt>lift</dt><dd>The rule's hit rate divided by the unbiased base rate above: how many times more often its selections had a finding than a random selection would. 1x is no better than random; below 1x is worse.</dd>\n<dt>overrides</dt><dd>Selected declarations an officer sent to another lane, by the reason recorded.</dd>\n<dt>stale</dt><dd>No hit in the months before the date below: a candidate for review or retirement.</dd>\n</dl>\n");
    let _ = writeln!(
        s,
        "<p>Stale: no hit since {} ({} months before {}): <span class=\"stale\">{}</span></p>",
        esc(r.stale_before.as_deref().unwrap_or("-")),
        r.stale_months,
        esc(r.as_of.as_deref().unwrap_or("-")),
        esc(&if g.stale.is_empty() {
            "none".to_string()
        } else {
            g.stale.join(", ")
        })
    );
    let _ = write!(
        s,
        "<h3>By {}</h3><table><tr><th class=\"t\">rule</th>",
        esc(&r.by.join(", "))
    );
    if r.by.contains(&"office") {
        s.push_str("<th class=\"t\">office</th>");
    }
    if r.by.contains(&"month") {
        s.push_str("<th class=\"t\">month</th>");
    }
    let _ = writeln!(s, "{STATS_HEAD}</tr>");
    for row in &g.rows {
        let _ = write!(
            s,
            "<tr><td class=\"t {}\"><code>{}</code></td>",
            kind(row.shadow),
            esc(&row.rule)
        );
        if let Some(o) = &row.office {
            let _ = write!(
                s,
                "<td class=\"t d\">{}</td>",
                esc(o.as_deref().unwrap_or("-"))
            );
        }
        if let Some(m) = &row.month {
            let _ = write!(s, "<td class=\"t d\">{}</td>", esc(m));
        }
        stats_cells(s, &row.stats, row.lift);
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
}
