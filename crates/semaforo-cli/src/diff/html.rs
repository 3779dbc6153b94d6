//! The diff report as one self-contained HTML file: inline CSS and SVG,
//! no scripts, nothing loaded from the network, so it can be attached to
//! the rule change request it supports.

use super::report::{BreakdownReport, OutcomeDiff, Report, pct, pp};
use crate::html::{esc, lane_colour};
use std::fmt::Write as _;

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:76em;padding:0 1em;color:#222}p,dl{max-width:64em}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:right}\
td:first-child,th:first-child{text-align:left}.t{text-align:left}.up{color:#b71c1c}.down{color:#1b5e20}\
.fail{color:#b71c1c;font-weight:bold}.pass{color:#1b5e20}\
svg{display:block;margin:1em 0}svg text{font-size:12px;fill:#222}.muted{color:#666}dl.glossary dt{font-weight:bold;margin-top:.4em}dl.glossary dd{margin-left:1.5em}\
td:not(.t),td code{white-space:nowrap}";

/// Renders the report.
pub(crate) fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Diff of {} {} and {} {}</title><style>{CSS}</style></head><body>\n",
        esc(&r.old.name),
        esc(&r.old.version),
        esc(&r.new.name),
        esc(&r.new.version)
    );
    header(&mut s, r);
    gates(&mut s, r);
    lanes(&mut s, r);
    transitions(&mut s, r);
    rules(&mut s, r);
    for b in &r.breakdowns {
        breakdown(&mut s, b);
    }
    if let Some(o) = &r.outcome {
        outcome(&mut s, o);
    }
    s.push_str("</body></html>\n");
    s
}

fn header(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "<h1>What changes from <code>{}</code> {} to <code>{}</code> {}</h1>",
        esc(&r.old.name),
        esc(&r.old.version),
        esc(&r.new.name),
        esc(&r.new.version)
    );
    for (side, info) in [("Old (live)", &r.old), ("New (candidate)", &r.new)] {
        let _ = writeln!(
            s,
            "<p class=\"muted\">{side}: {} — fingerprint <code>{}</code>, engine <code>{}</code>.</p>",
            esc(&info.files.join(", ")),
            esc(&info.fingerprint),
            esc(&info.engine)
        );
    }
    let d = r.declarations;
    let _ = writeln!(
        s,
        "<p>Input <code>{}</code> ({}), evaluated on {}: {} declarations read, {} rejected ({} by the old ruleset, {} by the new), {} compared. <strong>{} declarations changed lane ({})</strong>.</p>",
        esc(&r.input),
        r.input_format,
        esc(&r.today),
        d.read,
        d.rejected,
        d.rejected_old,
        d.rejected_new,
        d.compared,
        r.moved,
        pct(r.moved_share)
    );
}

fn gates(s: &mut String, r: &Report) {
    if r.gates.is_empty() {
        return;
    }
    s.push_str("<h2>Gates</h2>\n<table><tr><th>gate</th><th class=\"t\">result</th></tr>\n");
    for g in &r.gates {
        let result = if g.failed {
            let lines: Vec<String> = g.failures.iter().map(|f| esc(&f.message)).collect();
            format!("<span class=\"fail\">failed</span>: {}", lines.join("<br>"))
        } else {
            "<span class=\"pass\">passed</span>".to_string()
        };
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td class=\"t\">{result}</td></tr>",
            esc(&g.gate)
        );
    }
    s.push_str("</table>\n");
}

/// A change in percentage points, coloured by direction.
fn change(x: Option<f64>) -> String {
    let class = match x {
        Some(v) if v > 0.0 => " class=\"up\"",
        Some(v) if v < 0.0 => " class=\"down\"",
        _ => "",
    };
    format!("<td{class}>{}</td>", pp(x))
}

fn lanes(s: &mut String, r: &Report) {
    s.push_str("<h2>Lane load</h2>\n<p class=\"muted\">For each lane, the upper bar is the old ruleset's share, the lower the new one's.</p>\n");
    let row = 40.0;
    let (w, h) = (640.0, row * r.lanes.len() as f64 + 10.0);
    let _ = writeln!(
        s,
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"lane load, old and new\">"
    );
    for (i, l) in r.lanes.iter().enumerate() {
        let y = i as f64 * row + 5.0;
        let colour = lane_colour(&l.lane);
        let _ = writeln!(
            s,
            "<text x=\"0\" y=\"{}\">{}</text>",
            y + 20.0,
            esc(&l.lane)
        );
        for (j, (label, share, n)) in [("old", l.old_share, l.old), ("new", l.new_share, l.new)]
            .into_iter()
            .enumerate()
        {
            let by = y + j as f64 * 16.0;
            let bw = share.unwrap_or(0.0) * 420.0;
            let opacity = if j == 0 { "0.45" } else { "1" };
            let _ = writeln!(
                s,
                "<rect x=\"90\" y=\"{by}\" width=\"{bw:.1}\" height=\"14\" fill=\"{colour}\" fill-opacity=\"{opacity}\"><title>{} {label}: {n}</title></rect><text x=\"{:.1}\" y=\"{}\">{label} {n} ({})</text>",
                esc(&l.lane),
                95.0 + bw,
                by + 12.0,
                pct(share)
            );
        }
    }
    s.push_str("</svg>\n<table><tr><th>lane</th><th>old</th><th>share</th><th>new</th><th>share</th><th>change</th></tr>\n");
    for l in &r.lanes {
        let only = match (l.in_old, l.in_new) {
            (true, false) => " <span class=\"muted\">(old only)</span>",
            (false, true) => " <span class=\"muted\">(new only)</span>",
            _ => "",
        };
        let _ = writeln!(
            s,
            "<tr><td>{}{only}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
            esc(&l.lane),
            l.old,
            pct(l.old_share),
            l.new,
            pct(l.new_share),
            change(l.change_pp)
        );
    }
    s.push_str("</table>\n");
}

fn transitions(s: &mut String, r: &Report) {
    let t = &r.transitions;
    s.push_str("<h2>Lane transitions</h2>\n<p class=\"muted\">Rows: lane under the old ruleset; columns: under the new. Off-diagonal cells moved; darker cells hold more declarations.</p>\n<table><tr><th>old \\ new</th>");
    for n in &t.new_lanes {
        let _ = write!(s, "<th>{}</th>", esc(n));
    }
    s.push_str("</tr>\n");
    let max = t.counts.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    for (o, row) in t.old_lanes.iter().zip(&t.counts) {
        let _ = write!(s, "<tr><th>{}</th>", esc(o));
        for (n, c) in t.new_lanes.iter().zip(row) {
            let alpha = (*c as f64 / max * 0.6).max(if *c > 0 { 0.05 } else { 0.0 });
            let weight = if n != o && *c > 0 {
                ";font-weight:bold"
            } else {
                ""
            };
            let _ = write!(
                s,
                "<td style=\"background:rgba(55,71,79,{alpha:.2}){weight}\">{c}</td>"
            );
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
}

fn rules(s: &mut String, r: &Report) {
    let shadow = r
        .rules
        .iter()
        .any(|x| x.old_monitor == Some(true) || x.new_monitor == Some(true));
    let overridden = r
        .rules
        .iter()
        .any(|x| x.old_overridden.is_some() || x.new_overridden.is_some());
    s.push_str("<h2>Rules</h2>\n<table><tr><th>rule</th><th class=\"t\">title</th><th class=\"t\">status</th><th>old fired</th><th>new fired</th><th>change</th><th>old undetermined</th><th>new undetermined</th>");
    if overridden {
        s.push_str("<th>old overridden</th><th>new overridden</th>");
    }
    if shadow {
        s.push_str(
            "<th>old shadow</th><th>new shadow</th><th>change</th><th class=\"t\">kind</th>",
        );
    }
    s.push_str("</tr>\n");
    let num = |x: Option<u64>| x.map_or_else(|| "–".to_string(), |v| v.to_string());
    for x in &r.rules {
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&x.id),
            esc(&x.title),
            x.status,
            num(x.old_fired),
            num(x.new_fired),
            super::report::delta(x.old_fired, x.new_fired),
            num(x.old_undetermined),
            num(x.new_undetermined)
        );
        if overridden {
            let _ = write!(
                s,
                "<td>{}</td><td>{}</td>",
                num(x.old_overridden),
                num(x.new_overridden)
            );
        }
        if shadow {
            let _ = write!(
                s,
                "<td>{}</td><td>{}</td><td>{}</td><td class=\"t\">{}</td>",
                num(x.old_monitored),
                num(x.new_monitored),
                super::report::delta(x.old_monitored, x.new_monitored),
                esc(&x.kind())
            );
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n<dl class=\"glossary\">\n<dt>status</dt><dd>Rules are matched by id: <em>kept</em> (in both rulesets), <em>removed</em> (old only), <em>added</em> (new only); the side without the rule shows –.</dd>\n<dt>undetermined</dt><dd>The rule was active but its condition could not be decided (<em>unknown</em>) because data it needs was missing; it did not fire. Many undetermined declarations point to a field the input does not fill.</dd>\n</dl>\n");
    if shadow {
        s.push_str("<p class=\"muted\">Shadow rules (<code>monitor</code>) decide nothing: <em>shadow</em> counts the declarations they would have fired on.</p>\n");
    }
    if overridden {
        s.push_str("<p class=\"muted\"><em>overridden</em> counts the declarations where a national <code>override</code> of a package rule applied and the rule fired as the package defines it, as overridden, or both (the <code>overridden</code> entries of their outcomes); – where that ruleset does not override the rule.</p>\n");
    }
}

fn breakdown(s: &mut String, b: &BreakdownReport) {
    let _ = writeln!(
        s,
        "<h2>Lane load by <code>{}</code></h2>\n<p class=\"muted\">Share of each lane in the group, old → new, and the change in percentage points.</p>",
        esc(&b.by)
    );
    s.push_str("<table><tr><th>group</th><th>count</th><th>moved</th>");
    if let Some(g) = b.groups.first() {
        for l in &g.lanes {
            let _ = write!(s, "<th>{0} old → new</th><th>{0} change</th>", esc(&l.lane));
        }
    }
    s.push_str("</tr>\n");
    for g in &b.groups {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            esc(&g.key.join(", ")),
            g.count,
            g.moved
        );
        for l in &g.lanes {
            let _ = write!(
                s,
                "<td>{} → {}</td>{}",
                pct(l.old_share),
                pct(l.new_share),
                change(l.change_pp)
            );
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    if b.overflow > 0 {
        let _ = writeln!(
            s,
            "<p class=\"muted\">{} declarations counted in <code>(other)</code>: <code>--max-groups</code> was reached.</p>",
            b.overflow
        );
    }
}

fn outcome(s: &mut String, o: &OutcomeDiff) {
    let _ = writeln!(
        s,
        "<h2>Precision and recall</h2>\n<p>Inspection result <code>{}</code>: {} declarations labelled, {} with a finding. At each lane, the declarations at that lane or a more severe one count as selected.</p>",
        esc(&o.field),
        o.labelled,
        o.positives
    );
    s.push_str("<table><tr><th>lane</th><th>old selected</th><th>old precision</th><th>old recall</th><th>new selected</th><th>new precision</th><th>new recall</th></tr>\n");
    for l in &o.lanes {
        let _ = write!(s, "<tr><td>{}</td>", esc(&l.lane));
        for side in [&l.old, &l.new] {
            match side {
                Some(v) => {
                    let _ = write!(
                        s,
                        "<td>{}</td><td>{}</td><td>{}</td>",
                        v.selected,
                        pct(v.precision),
                        pct(v.recall)
                    );
                }
                None => s.push_str("<td>–</td><td>–</td><td>–</td>"),
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }
}
