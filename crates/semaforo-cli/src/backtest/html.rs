//! The backtest report as one self-contained HTML file: inline CSS and SVG
//! charts, no scripts, nothing loaded from the network, so it can be mailed
//! or archived next to the ruleset it describes.

use super::report::{Report, RuleStats, ScoreBin, SplitCount, split_text};
use crate::html::{esc, lane_colour};
use std::fmt::Write as _;

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |v| format!("{:.1}%", v * 100.0))
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:76em;padding:0 1em;color:#222}p,dl{max-width:64em}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:right}\
td:first-child,th:first-child{text-align:left}.t{text-align:left}\
svg{display:block;margin:1em 0}svg text{font-size:12px;fill:#222}.muted{color:#666}\
td:not(.t),td code{white-space:nowrap}td.title{min-width:12em}dl.glossary dt{font-weight:bold;margin-top:.4em}dl.glossary dd{margin-left:1.5em}";

/// Renders the report.
pub(crate) fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Backtest of {} {}</title><style>{CSS}</style></head><body>\n",
        esc(&r.ruleset.name),
        esc(&r.ruleset.version)
    );
    let _ = writeln!(
        s,
        "<h1>Backtest of <code>{}</code> version <code>{}</code></h1>",
        esc(&r.ruleset.name),
        esc(&r.ruleset.version)
    );
    let d = r.declarations;
    let _ = writeln!(
        s,
        "<p>Input <code>{}</code> ({}), evaluated on {}. {}{} declarations read, {} rejected, {} evaluated{}.</p>",
        esc(&r.input),
        r.input_format,
        esc(&r.today),
        match (r.rows, r.rows_rejected) {
            (Some(n), Some(bad)) => format!("{n} rows ({} read, {bad} rejected), ", n - bad),
            (Some(n), None) => format!("{n} rows, "),
            _ => String::new(),
        },
        d.read,
        d.rejected,
        d.evaluated,
        if r.stopped_early {
            " (stopped early at <code>--max-errors</code>)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        s,
        "<p class=\"muted\">Ruleset fingerprint <code>{}</code>, engine <code>{}</code>.</p>",
        esc(&r.ruleset.fingerprint),
        esc(&r.ruleset.engine)
    );
    if let Some(o) = &r.outcome {
        let _ = writeln!(
            s,
            "<p>Inspection result <code>{}</code>: {} declarations labelled, {} with a finding; base rate {}.</p>",
            esc(&o.field),
            o.labelled,
            o.positives,
            pct(o.base_rate)
        );
    }
    lanes(&mut s, r);
    rules(&mut s, r);
    scores(&mut s, r);
    top(&mut s, r);
    s.push_str("</body></html>\n");
    s
}

fn lanes(s: &mut String, r: &Report) {
    s.push_str("<h2>Lane distribution</h2>\n");
    let w = 640.0;
    let bar_h = 26.0;
    let h = bar_h * r.lanes.len() as f64 + 10.0;
    let _ = writeln!(
        s,
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"lane distribution\">"
    );
    for (i, l) in r.lanes.iter().enumerate() {
        let y = i as f64 * bar_h + 5.0;
        let bw = (l.share * 420.0).max(0.0);
        let _ = writeln!(
            s,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"90\" y=\"{y}\" width=\"{bw:.1}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect><text x=\"{:.1}\" y=\"{}\">{} ({})</text>",
            y + 16.0,
            esc(&l.lane),
            bar_h - 6.0,
            lane_colour(&l.lane),
            esc(&l.lane),
            l.count,
            95.0 + bw,
            y + 16.0,
            l.count,
            pct(Some(l.share))
        );
    }
    s.push_str("</svg>\n<table><tr><th>lane</th><th>count</th><th>share</th>");
    let has = r.outcome.is_some();
    if has {
        s.push_str("<th>hits</th><th>hit rate</th>");
    }
    s.push_str("</tr>\n");
    for l in &r.lanes {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            esc(&l.lane),
            l.count,
            pct(Some(l.share))
        );
        if has {
            let _ = write!(
                s,
                "<td>{}</td><td>{}</td>",
                l.hits.unwrap_or(0),
                pct(l.hit_rate)
            );
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
}

fn rules(s: &mut String, r: &Report) {
    let has = r.outcome.is_some();
    s.push_str(if has {
        "<h2>Rules: declarations selected and hit rate</h2>\n<p class=\"muted\">Grey bar: declarations the rule fired on (left axis scale); dark bar: its hit rate (0–100%); the dashed line is the base rate.</p>\n"
    } else {
        "<h2>Rules: declarations selected</h2>\n"
    });
    let max_fired = r
        .rules
        .iter()
        .map(|x| x.stats.fired)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    // Wide enough for the longest id on one line (about 7 px a character
    // at 12 px), so ids never run into the bars.
    let longest = r
        .rules
        .iter()
        .map(|x| x.id.chars().count())
        .max()
        .unwrap_or(0);
    let idw = (longest as f64 * 7.5 + 12.0).max(110.0);
    let row = 22.0;
    // Without an outcome there is no hit-rate column to leave room for.
    let w = idw + if has { 650.0 } else { 380.0 };
    let h = row * r.rules.len() as f64 + 46.0;
    let _ = writeln!(
        s,
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"rule hits and hit rates\">"
    );
    let fired_w = 300.0;
    let rate_x = idw + fired_w + 70.0;
    let rate_w = 200.0;
    let _ = writeln!(
        s,
        "<text x=\"{idw}\" y=\"12\">fired (max {max_fired})</text>"
    );
    if has {
        let _ = writeln!(s, "<text x=\"{rate_x}\" y=\"12\">hit rate</text>");
    }
    for (i, x) in r.rules.iter().enumerate() {
        let y = 20.0 + i as f64 * row;
        let fw = x.stats.fired as f64 / max_fired * fired_w;
        let _ = writeln!(
            s,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"{idw}\" y=\"{y}\" width=\"{fw:.1}\" height=\"{}\" fill=\"#9e9e9e\"><title>{}: fired {}</title></rect><text x=\"{:.1}\" y=\"{}\">{}</text>",
            y + 14.0,
            esc(&x.id),
            row - 6.0,
            esc(&x.id),
            x.stats.fired,
            idw + fw + 4.0,
            y + 14.0,
            x.stats.fired
        );
        if has {
            let hr = x.stats.hit_rate.unwrap_or(0.0);
            let _ = writeln!(
                s,
                "<rect x=\"{rate_x}\" y=\"{y}\" width=\"{rate_w}\" height=\"{}\" fill=\"#eeeeee\"/><rect x=\"{rate_x}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" fill=\"#37474f\"><title>{}: hit rate {}</title></rect><text x=\"{:.1}\" y=\"{}\">{}</text>",
                row - 6.0,
                hr * rate_w,
                row - 6.0,
                esc(&x.id),
                pct(x.stats.hit_rate),
                rate_x + rate_w + 4.0,
                y + 14.0,
                pct(x.stats.hit_rate)
            );
        }
    }
    if let Some(b) = r.outcome.as_ref().and_then(|o| o.base_rate) {
        let bx = rate_x + b * rate_w;
        let _ = writeln!(
            s,
            "<line x1=\"{bx:.1}\" y1=\"16\" x2=\"{bx:.1}\" y2=\"{:.1}\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"><title>base rate {}</title></line><text x=\"{bx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" style=\"fill:#c62828\">base rate {}</text>",
            h - 20.0,
            pct(Some(b)),
            h - 6.0,
            pct(Some(b))
        );
    }
    s.push_str("</svg>\n");
    let any_split = r.rules.iter().any(|x| x.split.is_some());
    s.push_str("<table><tr><th>rule</th><th class=\"t\">title</th><th>fired</th><th>share</th><th>undetermined</th><th>forced</th>");
    stats_heading(s, has, any_split);
    for x in &r.rules {
        let _ = write!(
            s,
            "<tr><td class=\"id\"><code>{}</code></td><td class=\"t title\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&x.id),
            esc(&x.title),
            governance(x.governance.as_ref()),
            x.stats.fired,
            pct(Some(x.stats.share)),
            x.undetermined,
            x.forced
        );
        stats_row(s, &x.stats, has, any_split.then_some(x.split.as_deref()));
    }
    s.push_str("</table>\n");
    glossary(s, has, any_split);
    shadow(s, r);
}

/// A rule's profile and override under its title, muted.
fn governance(g: Option<&super::report::Governance>) -> String {
    g.map(|g| format!("<br><span class=\"muted\">{}</span>", esc(&g.line())))
        .unwrap_or_default()
}

/// The points, outcome, lanes and split headings of a rules table.
fn stats_heading(s: &mut String, has: bool, split: bool) {
    s.push_str("<th>points</th><th>mean points</th>");
    if has {
        s.push_str("<th>hits</th><th>hit rate</th><th>recall</th><th>lift</th>");
    }
    s.push_str("<th class=\"t\">lanes</th>");
    if split {
        s.push_str("<th class=\"t\">lane split</th>");
    }
    s.push_str("</tr>\n");
}

/// The cells under [`stats_heading`]; `split` is `Some` when the table has
/// the split column.
fn stats_row(s: &mut String, x: &RuleStats, has: bool, split: Option<Option<&[SplitCount]>>) {
    let _ = write!(
        s,
        "<td>{}</td><td>{}</td>",
        x.points,
        x.mean_points
            .map_or_else(|| "–".to_string(), |m| format!("{m:.1}"))
    );
    if has {
        let _ = write!(
            s,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            x.hits.unwrap_or(0),
            pct(x.hit_rate),
            pct(x.recall),
            x.lift
                .map_or_else(|| "–".to_string(), |l| format!("{l:.2}"))
        );
    }
    let lanes: Vec<String> = x
        .lanes
        .iter()
        // A lane and its count stay on one line; the list may wrap.
        .map(|l| format!("{}&nbsp;{}", esc(&l.lane), l.count))
        .collect();
    let _ = write!(s, "<td class=\"t\">{}</td>", lanes.join(", "));
    if let Some(v) = split {
        let _ = write!(
            s,
            "<td class=\"t\">{}</td>",
            v.map(|v| esc(&split_text(v))).unwrap_or_default()
        );
    }
    s.push_str("</tr>\n");
}

/// The shadow rules (`monitor`), apart: what they would have done.
fn shadow(s: &mut String, r: &Report) {
    if r.shadow_rules.is_empty() {
        return;
    }
    let has = r.outcome.is_some();
    let any_split = r.shadow_rules.iter().any(|x| x.split.is_some());
    s.push_str("<h2>Shadow rules (<code>monitor</code>)</h2>\n<p class=\"muted\">Evaluated on every declaration but deciding nothing: the counts say what each would have selected. Lanes are the declarations' final lanes, set by the other rules.</p>\n");
    s.push_str("<table><tr><th>shadow rule</th><th class=\"t\">title</th><th>would fire</th><th>share</th><th>raises lane</th>");
    stats_heading(s, has, any_split);
    for x in &r.shadow_rules {
        let _ = write!(
            s,
            "<tr><td class=\"id\"><code>{}</code></td><td class=\"t title\">{}{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&x.id),
            esc(&x.title),
            governance(x.governance.as_ref()),
            x.stats.fired,
            pct(Some(x.stats.share)),
            x.raises_lane
        );
        stats_row(s, &x.stats, has, any_split.then_some(x.split.as_deref()));
    }
    s.push_str("</table>\n<dl class=\"glossary\">\n<dt>raises lane</dt><dd>Declarations whose final lane is less severe than the shadow rule's own <code>lane</code> action: activating it would have sent them to a more severe lane (its points aside, which could raise others past a threshold).</dd>\n</dl>\n");
}

/// The terms of the rules table that are not everyday words.
fn glossary(s: &mut String, has_outcome: bool, split: bool) {
    s.push_str("<dl class=\"glossary\">\n");
    s.push_str(
        "<dt>undetermined</dt><dd>The rule was active but its condition could not be decided \
         (<em>unknown</em>) because data it needs was missing; it did not fire. Many undetermined \
         declarations point to a field the input does not fill.</dd>\n",
    );
    s.push_str(
        "<dt>forced</dt><dd>Declarations the rule fired on whose final lane is the rule's own \
         <code>lane</code> action: the rule alone was enough to send them to that lane, \
         whatever their score.</dd>\n",
    );
    s.push_str(
        "<dt>points</dt><dd>The sum of the rule's points over the declarations it fired on \
         (its <code>score</code>, rounded and clamped; 0 without one, or when a score \
         expression had no value); mean points is that sum per declaration.</dd>\n",
    );
    if split {
        s.push_str(
            "<dt>lane split</dt><dd>For a rule whose lane is split between lanes by a draw, \
             how often the draw chose each lane, and how often it fell past the split \
             (the rule fired without a lane).</dd>\n",
        );
    }
    if has_outcome {
        s.push_str(
            "<dt>lift</dt><dd>The rule's hit rate divided by the base rate: how many times \
             more often its selections had a finding than a random selection would. 1 is \
             no better than random; below 1 is worse.</dd>\n",
        );
    }
    s.push_str("</dl>\n");
}

fn scores(s: &mut String, r: &Report) {
    s.push_str("<h2>Score distribution</h2>\n");
    let has = r.outcome.is_some();
    // On a scale when one fits: every step between the lowest and highest
    // score gets a slot, empty where no declaration fell. Otherwise the
    // bars that occur stand side by side, the axis says it is not to
    // scale, and a break mark shows where scores are left out.
    let scaled = on_scale(&r.scores.histogram);
    let bins: &[ScoreBin] = scaled.as_deref().unwrap_or(&r.scores.histogram);
    let (ranges, _) = histogram_shape(bins);
    let step = single_step(bins);
    let _ = write!(
        s,
        "<p class=\"muted\">{}",
        match (ranges, scaled.is_some()) {
            (true, false) => "One bar per score range that occurs, in increasing order; ranges no declaration fell in are left out (marked // on the axis), so the horizontal axis is not to scale.".to_string(),
            (false, false) => "One bar per score that occurs, in increasing order; scores no declaration got are left out (marked // on the axis), so the horizontal axis lists scores, it is not to scale (equal gaps are not equal score differences).".to_string(),
            (true, true) => "Score ranges of equal width (the last may be narrower), an empty slot for each range no declaration fell in: the horizontal axis is to scale.".to_string(),
            (false, true) if step > 1 => format!("Scores in steps of {step} (every score given differs from the others by a multiple of {step}), an empty slot for each such score no declaration got: the horizontal axis is to scale."),
            (false, true) => "One slot per score, an empty slot for each score no declaration got: the horizontal axis is to scale.".to_string(),
        }
    );
    s.push_str(" Bar height: declarations (linear, from 0).");
    if has {
        s.push_str(" Dark part of each bar: declarations with a finding.");
    }
    s.push_str("</p>\n");
    let max = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let n = bins.len().max(1) as f64;
    let w = 720.0;
    let ch = 200.0;
    let label_of = |b: &ScoreBin| {
        if b.from == b.to {
            b.from.to_string()
        } else {
            format!("{}–{}", b.from, b.to)
        }
    };
    let widest = bins
        .iter()
        .map(|b| label_of(b).chars().count())
        .max()
        .unwrap_or(1) as f64;
    // On a scale of single scores, labels may skip slots as on any linear
    // axis (every 1, 2, 5, 10, ... slots); otherwise every bar is labelled
    // (skipping some would invite interpolating), slanted when they would
    // not fit.
    let need = widest * 7.0 + 6.0;
    let every = if scaled.is_some() && !ranges {
        label_stride(need / ((w - 40.0) / n))
    } else {
        1
    };
    let slant = every == 1 && need - 2.0 > (w - 40.0) / n;
    // A slanted label reaches left of its bar by about its length times
    // cos 45°: the first one needs that room, or it is cut off.
    let left = if slant {
        (widest * 5.2 - (w - 40.0) / n / 2.0).max(35.0)
    } else {
        35.0
    };
    let bw = (w - left - 5.0) / n;
    let h = ch + if slant { 30.0 + widest * 5.5 } else { 44.0 };
    let _ = writeln!(
        s,
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"score distribution\">"
    );
    let _ = writeln!(
        s,
        "<line x1=\"{:.1}\" y1=\"{ch}\" x2=\"{w}\" y2=\"{ch}\" stroke=\"#999\"/><text x=\"0\" y=\"12\">{max} declarations</text><text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        left - 5.0,
        w / 2.0,
        h - 4.0,
        match (ranges, scaled.is_some()) {
            (true, false) => "score ranges that occur (not to scale)".to_string(),
            (false, false) => "scores that occur (not to scale)".to_string(),
            (true, true) => "score ranges".to_string(),
            (false, true) if step > 1 => format!("score (steps of {step})"),
            (false, true) => "score".to_string(),
        }
    );
    for (i, b) in bins.iter().enumerate() {
        let x = left + i as f64 * bw;
        // Where bars that are not neighbours on the scale meet, a break.
        let gap = i > 0
            && bins
                .get(i - 1)
                .is_some_and(|p| p.to.checked_add(step.max(1)) != Some(b.from));
        if scaled.is_none() && gap {
            let _ = writeln!(
                s,
                "<path d=\"M{:.1} {:.1}l4 -8M{:.1} {:.1}l4 -8\" stroke=\"#555\" fill=\"none\"><title>scores left out</title></path>",
                x - 5.0,
                ch + 4.0,
                x - 1.0,
                ch + 4.0
            );
        }
        // A bin that holds declarations stays visible, however few.
        let bh = if b.count > 0 {
            (b.count as f64 / max * (ch - 20.0)).max(1.0)
        } else {
            0.0
        };
        let label = label_of(b);
        if b.count > 0 {
            let _ = writeln!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#90a4ae\"><title>score {}: {}</title></rect>",
                ch - bh,
                (bw - 2.0).max(1.0),
                esc(&label),
                b.count
            );
        }
        if let Some(hits) = b.hits.filter(|&h| h > 0) {
            let hh = hits as f64 / max * (ch - 20.0);
            let _ = writeln!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{hh:.1}\" fill=\"#37474f\"><title>score {}: {} with a finding</title></rect>",
                ch - hh,
                (bw - 2.0).max(1.0),
                esc(&label),
                hits
            );
        }
        if i % every != 0 {
            continue;
        }
        if slant {
            let (lx, ly) = (x + bw / 2.0 + 4.0, ch + 12.0);
            let _ = writeln!(
                s,
                "<text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"end\" transform=\"rotate(-45 {lx:.1} {ly:.1})\">{}</text>",
                esc(&label)
            );
        } else {
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + (bw - 2.0) / 2.0,
                ch + 16.0,
                esc(&label)
            );
        }
    }
    s.push_str("</svg>\n");
}

/// The most slots a histogram on a scale may have; with more, the bars
/// would be too thin to see, and they stand side by side instead.
const MAX_SLOTS: i128 = 60;

/// The common step of single-score bins: the greatest common divisor of
/// the differences between consecutive scores (1 for ranges, or fewer than
/// two bins).
fn single_step(bins: &[ScoreBin]) -> i64 {
    if bins.iter().any(|b| b.from != b.to) {
        return 1;
    }
    let gcd = |mut a: i128, mut b: i128| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let g = bins.windows(2).fold(0_i128, |g, p| match p {
        [a, b] => gcd(g, i128::from(b.from) - i128::from(a.from)),
        _ => g,
    });
    i64::try_from(g).ok().filter(|&g| g > 0).unwrap_or(1)
}

/// The bins on a scale: single scores at every multiple of their common
/// step, or ranges of one width (the last may be narrower) at every width,
/// with an empty bin for each slot no declaration fell in. `None` when the
/// bins are not of that shape or would need more than [`MAX_SLOTS`].
fn on_scale(bins: &[ScoreBin]) -> Option<Vec<ScoreBin>> {
    let (first, last) = (bins.first()?, bins.last()?);
    let ranges = bins.iter().any(|b| b.from != b.to);
    let width = if ranges {
        i128::from(first.to) - i128::from(first.from) + 1
    } else {
        i128::from(single_step(bins))
    };
    let start = i128::from(first.from);
    let slots = (i128::from(last.from) - start) / width + 1;
    let aligned = bins.iter().enumerate().all(|(i, b)| {
        let off = i128::from(b.from) - start;
        let full = i128::from(b.to) - i128::from(b.from) + 1 == if ranges { width } else { 1 };
        off % width == 0 && (full || (ranges && i + 1 == bins.len()))
    });
    if !aligned || slots > MAX_SLOTS {
        return None;
    }
    let mut out = Vec::new();
    let mut next = bins.iter().peekable();
    for k in 0..slots {
        let from = i64::try_from(start + k * width).ok()?;
        match next.peek() {
            Some(b) if b.from == from => out.push(next.next()?.clone()),
            _ => out.push(ScoreBin {
                from,
                to: if ranges {
                    i64::try_from(i128::from(from) + width - 1).ok()?
                } else {
                    from
                },
                count: 0,
                hits: first.hits.map(|_| 0),
            }),
        }
    }
    Some(out)
}

/// Every how many slots a label goes so labels `ratio` slots wide fit:
/// 1, 2, 5, 10, 20, 50, ...
fn label_stride(ratio: f64) -> usize {
    let mut base = 1_usize;
    while base < 1_000_000 {
        for m in [1, 2, 5] {
            if (base * m) as f64 >= ratio {
                return base * m;
            }
        }
        base *= 10;
    }
    base
}

fn top(s: &mut String, r: &Report) {
    let Some(o) = &r.outcome else {
        return;
    };
    s.push_str("<h2>Precision when inspecting the top k% by score</h2>\n<p class=\"muted\">Declarations ranked by score, highest first; the hits among those tied at the cut score are the expected hits of a random pick among them. Bar height: precision, on the scale at the left. The dashed line is the base rate (random selection).</p>\n");
    // The axis ends just above the highest bar or base rate, so bars of a
    // few per cent are not flattened under an axis that reaches 100%.
    let highest = o
        .top
        .iter()
        .filter_map(|t| t.precision)
        .chain(o.base_rate)
        .fold(0.0_f64, f64::max);
    let (axis_max, step) = precision_axis(highest);
    let left = 50.0;
    let w = 580.0;
    let plot_w = w - left - 130.0;
    let ch = 200.0;
    let top_y = 20.0;
    let h = ch + 40.0;
    let y_of = |p: f64| ch - p / axis_max * (ch - top_y);
    let _ = writeln!(
        s,
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"precision at k percent\">"
    );
    let ticks = (axis_max / step).round() as u32;
    for i in 0..=ticks {
        let p = f64::from(i) * step;
        let y = y_of(p);
        let _ = writeln!(
            s,
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.0}%</text>",
            left - 4.0,
            left + plot_w,
            if i == 0 { "#999" } else { "#e4e4e4" },
            left - 6.0,
            y + 4.0,
            p * 100.0
        );
    }
    let bw = plot_w / o.top.len().max(1) as f64;
    for (i, t) in o.top.iter().enumerate() {
        let x = left + 6.0 + i as f64 * bw;
        let p = t.precision.unwrap_or(0.0);
        let y = y_of(p);
        let _ = writeln!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#2f6fbf\"><title>top {}%: precision {}</title></rect><text x=\"{x:.1}\" y=\"{:.1}\">{}</text><text x=\"{x:.1}\" y=\"{}\">top {}%</text>",
            (bw - 12.0).max(1.0),
            ch - y,
            t.k_percent,
            pct(t.precision),
            y - 4.0,
            pct(t.precision),
            ch + 16.0,
            t.k_percent
        );
    }
    if let Some(b) = o.base_rate {
        let y = y_of(b);
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"><title>base rate {}</title></line><text x=\"{:.1}\" y=\"{:.1}\" style=\"fill:#c62828\">base rate {}</text>",
            left + plot_w,
            pct(Some(b)),
            left + plot_w + 4.0,
            y + 4.0,
            pct(Some(b))
        );
    }
    s.push_str("</svg>\n<table><tr><th>top k%</th><th>inspected</th><th>hits</th><th>precision</th><th>recall</th><th>lowest score inspected</th></tr>\n");
    for t in &o.top {
        let _ = writeln!(
            s,
            "<tr><td>{}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            t.k_percent,
            t.inspected,
            t.hits,
            pct(t.precision),
            pct(t.recall),
            t.min_score
                .map_or_else(|| "–".to_string(), |m| m.to_string())
        );
    }
    s.push_str("</table>\n");
}

/// Whether the histogram's bins are ranges (rather than single scores),
/// and whether they are gapless: only when no score or range in between
/// is left out is the horizontal axis a scale.
fn histogram_shape(bins: &[ScoreBin]) -> (bool, bool) {
    let ranges = bins.iter().any(|b| b.from != b.to);
    let gapless = bins
        .windows(2)
        .all(|p| matches!(p, [a, b] if a.to.checked_add(1) == Some(b.from)));
    (ranges, gapless)
}

/// The top of the precision axis and its tick step, both fractions: the
/// next multiple of the step at or above `highest` (at least one step, at
/// most 100%), with steps of 5% up to 30%, 10% up to 60%, else 20%.
fn precision_axis(highest: f64) -> (f64, f64) {
    let h = if highest.is_finite() {
        highest.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let step = if h <= 0.3 {
        0.05
    } else if h <= 0.6 {
        0.1
    } else {
        0.2
    };
    let top = ((h / step - 1e-9).ceil() * step).clamp(step, 1.0);
    (top, step)
}

#[cfg(test)]
mod tests {
    use super::{ScoreBin, esc, histogram_shape, label_stride, on_scale, precision_axis};

    fn bins(b: &[(i64, i64)]) -> Vec<ScoreBin> {
        b.iter()
            .map(|&(from, to)| ScoreBin {
                from,
                to,
                count: 1,
                hits: None,
            })
            .collect()
    }

    #[test]
    fn histogram_axis_is_a_scale_only_without_gaps() {
        assert_eq!(
            histogram_shape(&bins(&[(0, 0), (5, 5), (10, 10)])),
            (false, false)
        );
        assert_eq!(
            histogram_shape(&bins(&[(0, 0), (1, 1), (2, 2)])),
            (false, true)
        );
        assert_eq!(
            histogram_shape(&bins(&[(0, 9), (10, 19), (20, 25)])),
            (true, true)
        );
        assert_eq!(histogram_shape(&bins(&[(0, 9), (20, 29)])), (true, false));
        assert_eq!(
            histogram_shape(&bins(&[(i64::MAX, i64::MAX)])),
            (false, true)
        );
        assert_eq!(histogram_shape(&[]), (false, true));
    }

    fn slots(b: Option<Vec<ScoreBin>>) -> Vec<(i64, i64, u64)> {
        b.unwrap().iter().map(|b| (b.from, b.to, b.count)).collect()
    }

    #[test]
    fn histogram_on_a_scale_gets_an_empty_slot_for_every_step_left_out() {
        // Scores 0, 5, 15: steps of 5, 10 gets an empty slot.
        assert_eq!(
            slots(on_scale(&bins(&[(0, 0), (5, 5), (15, 15)]))),
            [(0, 0, 1), (5, 5, 1), (10, 10, 0), (15, 15, 1)]
        );
        // Negative scores and an odd common step.
        assert_eq!(
            slots(on_scale(&bins(&[(-20, -20), (-5, -5), (10, 10)]))),
            [(-20, -20, 1), (-5, -5, 1), (10, 10, 1)]
        );
        // Ranges of one width, the last narrower; the missing one is added.
        assert_eq!(
            slots(on_scale(&bins(&[(0, 9), (20, 25)]))),
            [(0, 9, 1), (10, 19, 0), (20, 25, 1)]
        );
        // Too many slots for bars to be seen: left side by side.
        assert!(on_scale(&bins(&[(0, 0), (1, 1), (1000, 1000)])).is_none());
        assert!(on_scale(&bins(&[(i64::MIN, i64::MIN), (i64::MAX, i64::MAX)])).is_none());
        // Ranges that are not of one width are not a scale.
        assert!(on_scale(&bins(&[(0, 9), (10, 14), (15, 24)])).is_none());
        assert!(on_scale(&[]).is_none());
    }

    #[test]
    fn labels_skip_slots_in_steps_of_1_2_5() {
        assert_eq!(label_stride(0.5), 1);
        assert_eq!(label_stride(1.0), 1);
        assert_eq!(label_stride(1.3), 2);
        assert_eq!(label_stride(3.0), 5);
        assert_eq!(label_stride(7.0), 10);
        assert_eq!(label_stride(11.0), 20);
    }

    #[test]
    fn precision_axis_ends_just_above_the_highest_value() {
        let close = |(a, b): (f64, f64), (c, d): (f64, f64)| {
            assert!((a - c).abs() < 1e-9 && (b - d).abs() < 1e-9, "{a} {b}")
        };
        close(precision_axis(0.275), (0.3, 0.05));
        close(precision_axis(0.3), (0.3, 0.05));
        close(precision_axis(0.21), (0.25, 0.05));
        close(precision_axis(0.0), (0.05, 0.05));
        close(precision_axis(0.45), (0.5, 0.1));
        close(precision_axis(0.762), (0.8, 0.2));
        close(precision_axis(1.0), (1.0, 0.2));
        close(precision_axis(f64::NAN), (1.0, 0.2));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
