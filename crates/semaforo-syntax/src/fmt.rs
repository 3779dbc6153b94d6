//! The canonical formatter: [`SourceFile`] -> source text.
//!
//! The layout is the one of SPEC §3.1:
//!
//! - Items are separated by one blank line, except that consecutive `lanes`
//!   and `threshold` items stay together, and so do consecutive `list` and
//!   `table` items. The author's blank lines (between items, after a comment
//!   block, between fields and clauses) are kept, a run of them collapsed to
//!   one; there is never a blank line right after `{` or before `}`.
//! - Blocks (`schema`, `record`, `rule`, `test`) indent their lines by two
//!   spaces; a rule has one clause per line, `then a, b` on one line.
//! - Binary operators have one space on each side; the author's parentheses
//!   are kept and none are added. A `when` condition that fits in 90 columns
//!   stays on one line; a longer one is broken at its top-level `and`/`or`
//!   operators, one operand per line, each continuation line led by its
//!   operator with a hanging indent, and a quantifier body still too long is
//!   broken the same way. The breaks depend only on the tree, so formatting
//!   stays idempotent.
//! - Strings are re-escaped canonically (`\"`, `\\`, `\n`, `\t`, and
//!   `\u{HEX}` for other control characters); numbers, dates, percentages and
//!   rule ids are printed as written; the `given` JSON is printed verbatim.
//!
//! Comments are kept. Each printed line remembers the source range it came
//! from; a comment that precedes that range (or falls inside it, e.g. within
//! a multi-line `when`) is printed on its own line just before it, and a
//! comment that trailed code on its source line is printed at the end of the
//! last line printed before the next one, aligned at column 35 when the code
//! is short enough. A comment before a block's `}` stays inside the block.

use std::fmt::Write as _;

use crate::ast::{
    Action, BinOp, Comment, Expect, Expr, ExprKind, Item, ListBody, Literal, RecordDecl, Rule,
    ScalarType, SourceFile, TableBody, TableColumn, Test, TypeExpr, UnOp,
};

/// The column (0-based) at which trailing comments start when the code
/// before them is short enough.
const COMMENT_COLUMN: usize = 34;

/// Prints `file` in canonical layout. The result parses back to `file` (up to
/// spans and comment placement) and formatting it again changes nothing.
///
/// ```
/// use semaforo_syntax::{FileId, format, parse};
/// let file = parse("lanes  green,red # sev\nthreshold red 70", FileId(0)).unwrap();
/// assert_eq!(
///     format(&file),
///     "lanes green, red                  # sev\nthreshold red 70\n"
/// );
/// ```
pub fn format(file: &SourceFile) -> String {
    let mut lines = Vec::new();
    let mut prev: Option<&Item> = None;
    for item in &file.items {
        if let Some(p) = prev
            && !same_group(p, item)
        {
            lines.push(Line::Blank);
        }
        item_lines(item, &mut lines);
        prev = Some(item);
    }
    render(&lines, file)
}

/// A printed line and the source range it stands for.
enum Line {
    Blank,
    Code {
        indent: usize,
        text: String,
        start: u32,
        end: u32,
        /// Indent of own-line comments printed before this line (deeper for
        /// a block's closing `}`).
        comment_indent: usize,
        /// False for the continuation lines of a broken `when`, before which
        /// no blank line is printed.
        blank_before: bool,
    },
}

fn code(indent: usize, text: String, start: u32, end: u32) -> Line {
    Line::Code {
        indent,
        text,
        start,
        end,
        comment_indent: indent,
        blank_before: true,
    }
}

fn close(block_end: u32) -> Line {
    let at = block_end.saturating_sub(1);
    Line::Code {
        indent: 0,
        text: "}".to_owned(),
        start: at,
        end: at,
        comment_indent: 1,
        blank_before: true,
    }
}

fn same_group(a: &Item, b: &Item) -> bool {
    let group = |i: &Item| match i {
        Item::Lanes(_) | Item::Threshold(_) => 1,
        Item::List(_) | Item::Table(_) => 2,
        Item::Ruleset(_) | Item::Package(_) | Item::Uses(_) => 3,
        _ => 0,
    };
    let (ga, gb) = (group(a), group(b));
    ga != 0 && ga == gb
}

/// The byte offset of every line that holds only spaces, tabs or `\r` and
/// ends with a line feed. Called by the parser to fill
/// [`SourceFile::blank_lines`].
pub(crate) fn blank_lines(source: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut line_start = 0usize;
    let mut blank = true;
    for (i, b) in source.bytes().enumerate() {
        match b {
            b'\n' => {
                if blank {
                    out.push(u32::try_from(line_start).unwrap_or(u32::MAX));
                }
                line_start = i + 1;
                blank = true;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => blank = false,
        }
    }
    out
}

/// Whether the source has a blank line starting in `from..to`.
fn blank_between(blanks: &[u32], from: u32, to: u32) -> bool {
    let i = blanks.partition_point(|&b| b < from);
    blanks.get(i).is_some_and(|&b| b < to)
}

/// The state of [`render`]: where the last printed line came from, and
/// whether a blank line is due before the next one.
struct Printer<'a> {
    out: String,
    blanks: &'a [u32],
    /// The end of the source range of the last printed line, if any.
    last_end: Option<u32>,
    /// A blank line is due (between items, or the author wrote one).
    pending: bool,
    /// The last printed line opened a block.
    after_open: bool,
}

impl Printer<'_> {
    /// Prints the blank line that is due before a line standing for source
    /// from `start` to `end`: one if the author wrote one or the layout asks
    /// for one, never at the top of the file, right after a `{`, or where
    /// `allowed` is false (before a `}` or inside a broken `when`).
    fn before(&mut self, start: u32, end: u32, allowed: bool) {
        if let Some(last) = self.last_end
            && blank_between(self.blanks, last, start)
        {
            self.pending = true;
        }
        if self.pending && allowed && !self.out.is_empty() && !self.after_open {
            self.out.push('\n');
        }
        self.pending = false;
        self.last_end = Some(self.last_end.map_or(end, |l| l.max(end)));
    }

    fn comment(&mut self, c: &Comment, indent: usize, allowed: bool) {
        self.before(c.span.start, c.span.end, allowed);
        push_indent(&mut self.out, indent);
        self.out.push('#');
        self.out.push_str(&c.text);
        self.out.push('\n');
        self.after_open = false;
    }
}

fn render(lines: &[Line], file: &SourceFile) -> String {
    let comments = &file.comments;
    let mut p = Printer {
        out: String::new(),
        blanks: &file.blank_lines,
        last_end: None,
        pending: false,
        after_open: false,
    };
    let mut ci = 0usize;
    for (i, line) in lines.iter().enumerate() {
        let Line::Code {
            indent,
            text,
            start,
            end,
            comment_indent,
            blank_before,
        } = line
        else {
            p.pending = true;
            continue;
        };
        let limit = (*end).max(*start);
        while let Some(c) = comments.get(ci) {
            if c.span.start >= limit {
                break;
            }
            p.comment(c, *comment_indent, *blank_before);
            ci += 1;
        }
        let allowed = *blank_before && text != "}";
        p.before(*start, *end, allowed);
        let mut this = String::new();
        push_indent(&mut this, *indent);
        this.push_str(text);
        let next_start = lines
            .get(i + 1..)
            .and_then(|rest| {
                rest.iter().find_map(|l| match l {
                    Line::Code { start, .. } => Some(*start),
                    Line::Blank => None,
                })
            })
            .unwrap_or(u32::MAX);
        if let Some(c) = comments.get(ci)
            && c.trailing
            && c.span.start < next_start
        {
            let width = this.chars().count();
            let pad = if width < COMMENT_COLUMN - 1 {
                COMMENT_COLUMN - width
            } else {
                2
            };
            this.extend(std::iter::repeat_n(' ', pad));
            this.push('#');
            this.push_str(&c.text);
            p.last_end = Some(p.last_end.map_or(c.span.end, |l| l.max(c.span.end)));
            ci += 1;
        }
        p.out.push_str(&this);
        p.out.push('\n');
        p.after_open = text.ends_with('{');
    }
    for c in comments.get(ci..).unwrap_or(&[]) {
        p.comment(c, 0, true);
    }
    p.out
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent * 2));
}

fn item_lines(item: &Item, lines: &mut Vec<Line>) {
    match item {
        Item::Ruleset(h) => lines.push(code(
            0,
            format!(
                "ruleset {} version {}",
                quote(&h.name.value),
                quote(&h.version.value)
            ),
            h.span.start,
            h.span.end,
        )),
        Item::Lanes(l) => lines.push(code(
            0,
            format!("lanes {}", join(l.lanes.iter().map(|i| i.name.as_str()))),
            l.span.start,
            l.span.end,
        )),
        Item::Threshold(t) => lines.push(code(
            0,
            match &t.group {
                None => format!("threshold {} {}", t.lane.name, t.score.value),
                Some(g) => format!(
                    "threshold {} {} for {} {}",
                    t.lane.name,
                    t.score.value,
                    g.field.name,
                    quote(&g.value.value)
                ),
            },
            t.span.start,
            t.span.end,
        )),
        Item::Schema(r) => record_lines("schema", r, lines),
        Item::Record(r) => record_lines("record", r, lines),
        Item::List(l) => {
            let text = match &l.body {
                ListBody::Inline(lits, _) => {
                    let mut s = format!("list {} = [", l.name.name);
                    for (i, lit) in lits.iter().enumerate() {
                        if i > 0 {
                            s.push_str(", ");
                        }
                        literal(&mut s, lit);
                    }
                    s.push(']');
                    s
                }
                ListBody::External(ty, _) => format!("list {}: {}", l.name.name, scalar(*ty)),
            };
            lines.push(code(0, text, l.span.start, l.span.end));
        }
        Item::Table(t) => match &t.body {
            TableBody::Value(ty, _) => lines.push(code(
                0,
                format!("table {}: {}", t.name.name, scalar(*ty)),
                t.span.start,
                t.span.end,
            )),
            TableBody::Columns(cols, _) => {
                let col = |c: &TableColumn| format!("{}: {}", c.name.name, scalar(c.ty));
                let one = format!(
                    "table {}: {{ {} }}",
                    t.name.name,
                    cols.iter().map(col).collect::<Vec<_>>().join(", ")
                );
                if one.len() <= TABLE_LINE {
                    lines.push(code(0, one, t.span.start, t.span.end));
                } else {
                    // One column a line, like a record.
                    let head = cols.first().map_or(t.span.end, |c| c.span.start);
                    lines.push(code(
                        0,
                        format!("table {}: {{", t.name.name),
                        t.span.start,
                        head,
                    ));
                    for c in cols {
                        lines.push(code(1, col(c), c.span.start, c.span.end));
                    }
                    lines.push(close(t.span.end));
                }
            }
        },
        Item::Rule(r) => rule_lines(r, lines),
        Item::Override(o) => override_lines(o, lines),
        Item::Package(h) | Item::Uses(h) => lines.push(code(
            0,
            format!(
                "{} {} version {}",
                if matches!(item, Item::Package(_)) {
                    "package"
                } else {
                    "uses"
                },
                quote(&h.name.value),
                quote(&h.version.value)
            ),
            h.span.start,
            h.span.end,
        )),
        Item::Test(t) => test_lines(t, lines),
    }
}

/// The longest one-line `table NAME: { ... }`; a longer one is written
/// one column a line.
const TABLE_LINE: usize = 100;

fn record_lines(keyword: &str, r: &RecordDecl, lines: &mut Vec<Line>) {
    lines.push(code(
        0,
        format!("{keyword} {} {{", r.name.name),
        r.span.start,
        r.name.span.end,
    ));
    for f in &r.fields {
        let mut s = String::new();
        if f.key {
            s.push_str("key ");
        }
        s.push_str(&f.name.name);
        s.push_str(": ");
        match &f.ty {
            TypeExpr::Scalar(t, _) => s.push_str(scalar(*t)),
            TypeExpr::List(rec, _) => {
                s.push('[');
                s.push_str(&rec.name);
                s.push(']');
            }
        }
        if f.optional {
            s.push('?');
        }
        lines.push(code(1, s, f.span.start, f.span.end));
    }
    lines.push(close(r.span.end));
}

fn rule_lines(r: &Rule, lines: &mut Vec<Line>) {
    lines.push(code(
        0,
        format!(
            "rule {} {}{} {{",
            r.id.name,
            quote(&r.title.value),
            if r.monitor.is_some() { " monitor" } else { "" }
        ),
        r.span.start,
        r.monitor.map_or(r.title.span.end, |m| m.end),
    ));
    profile_lines(&r.profile, lines);
    if let Some(a) = &r.active {
        lines.extend(active_line(a));
    }
    if let (Some(first), Some(last)) = (r.tags.first(), r.tags.last()) {
        lines.push(code(
            1,
            format!("tags {}", join(r.tags.iter().map(|t| t.name.as_str()))),
            first.span.start,
            last.span.end,
        ));
    }
    if let Some(w) = &r.when {
        let pieces = layout(w, 2 + "when ".len(), 1);
        for (i, piece) in pieces.into_iter().enumerate() {
            if i == 0 {
                lines.push(code(
                    1,
                    format!("when {}", piece.text),
                    piece.start,
                    piece.end,
                ));
            } else {
                lines.push(Line::Code {
                    indent: piece.indent,
                    text: piece.text,
                    start: piece.start,
                    end: piece.end,
                    comment_indent: piece.indent,
                    blank_before: false,
                });
            }
        }
    }
    if let Some(p) = &r.sample {
        lines.push(code(
            1,
            format!("sample {}%", p.text),
            p.span.start,
            p.span.end,
        ));
    }
    lines.extend(then_line(&r.actions));
    lines.push(close(r.span.end));
}

/// `active ...` as a line of a block.
fn active_line(a: &crate::ast::Active) -> Option<Line> {
    let text = match (&a.from, &a.to) {
        (Some(f), Some(t)) => format!("active {} to {}", date(f), date(t)),
        (Some(f), None) => format!("active from {}", date(f)),
        (None, Some(t)) => format!("active to {}", date(t)),
        (None, None) => return None,
    };
    Some(code(1, text, a.span.start, a.span.end))
}

/// `then ACTION, ...` as a line of a block.
fn then_line(actions: &[Action]) -> Option<Line> {
    let (Some(first), Some(last)) = (actions.first(), actions.last()) else {
        return None;
    };
    {
        let mut s = "then ".to_owned();
        for (i, a) in actions.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            match a {
                Action::Score(e, _) => {
                    s.push_str("score ");
                    expr(&mut s, e);
                }
                Action::LaneSplit(shares, _) => {
                    s.push_str("lane ");
                    for (j, sh) in shares.iter().enumerate() {
                        if j > 0 {
                            s.push_str(", ");
                        }
                        let _ = write!(s, "{} {}%", sh.lane.name, sh.percent.text);
                    }
                }
                Action::Lane(l, _) => {
                    let _ = write!(s, "lane {}", l.name);
                }
                Action::Note(n, _) => {
                    let _ = write!(s, "note {}", quote(&n.value));
                }
            }
        }
        Some(code(1, s, first.span().start, last.span().end))
    }
}

/// `profile KEY VALUE, ...`: one line when it fits in 100 columns,
/// otherwise one entry a line, aligned after `profile `.
fn profile_lines(profile: &[crate::ast::ProfileEntry], lines: &mut Vec<Line>) {
    use crate::ast::ProfileValue;
    let texts: Vec<String> = profile
        .iter()
        .map(|e| match &e.value {
            ProfileValue::Str(v) => format!("{} {}", e.key.name, quote(&v.value)),
            ProfileValue::Date(d) => format!("{} {}", e.key.name, date(d)),
            ProfileValue::Word(w) => format!("{} {}", e.key.name, w.name),
        })
        .collect();
    let (Some(first), Some(last)) = (profile.first(), profile.last()) else {
        return;
    };
    let one = format!("profile {}", texts.join(", "));
    if one.len() + 2 <= 100 {
        lines.push(code(1, one, first.span.start, last.span.end));
        return;
    }
    let n = texts.len();
    for (i, (t, e)) in texts.into_iter().zip(profile).enumerate() {
        let comma = if i + 1 < n { "," } else { "" };
        if i == 0 {
            lines.push(code(
                1,
                format!("profile {t}{comma}"),
                e.span.start,
                e.span.end,
            ));
        } else {
            lines.push(Line::Code {
                indent: 5,
                text: format!("{t}{comma}"),
                start: e.span.start,
                end: e.span.end,
                comment_indent: 5,
                blank_before: false,
            });
        }
    }
}

fn override_lines(o: &crate::ast::Override, lines: &mut Vec<Line>) {
    use crate::ast::OverrideChange;
    lines.push(code(
        0,
        format!("override {} {{", o.target.name),
        o.span.start,
        o.target.span.end,
    ));
    match &o.change {
        OverrideChange::Disable(s) => lines.push(code(1, "disable".to_owned(), s.start, s.end)),
        OverrideChange::Adjust { active, actions } => {
            if let Some(a) = active {
                lines.extend(active_line(a));
            }
            lines.extend(then_line(actions));
        }
    }
    lines.push(code(
        1,
        format!("reason {}", quote(&o.reason.value)),
        o.reason.span.start,
        o.reason.span.end,
    ));
    if let Some(d) = &o.until {
        lines.push(code(
            1,
            format!("until {}", date(d)),
            d.span.start,
            d.span.end,
        ));
    }
    lines.push(close(o.span.end));
}

fn test_lines(t: &Test, lines: &mut Vec<Line>) {
    lines.push(code(
        0,
        format!("test {} {{", quote(&t.name.value)),
        t.span.start,
        t.name.span.end,
    ));
    if let Some(d) = &t.today {
        lines.push(code(
            1,
            format!("today {}", date(d)),
            d.span.start,
            d.span.end,
        ));
    }
    lines.push(code(
        1,
        format!("given {}", t.given.text),
        t.given.span.start,
        t.given.span.end,
    ));
    for e in &t.expects {
        let text = match e {
            Expect::Lane(l, _) => format!("expect lane {}", l.name),
            Expect::Score(n, _) => format!("expect score {}", n.value),
            Expect::Fired(id, _) => format!("expect fired {}", id.name),
            Expect::NotFired(id, _) => format!("expect not fired {}", id.name),
            Expect::Undetermined(id, _) => format!("expect undetermined {}", id.name),
            Expect::Monitored(id, _) => format!("expect monitored {}", id.name),
            Expect::Note(n, _) => format!("expect note {}", quote(&n.value)),
        };
        let s = e.span();
        lines.push(code(1, text, s.start, s.end));
    }
    lines.push(close(t.span.end));
}

fn join<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

fn scalar(t: ScalarType) -> &'static str {
    match t {
        ScalarType::Text => "text",
        ScalarType::Number => "number",
        ScalarType::Bool => "bool",
        ScalarType::Date => "date",
    }
}

fn date(d: &crate::ast::DateLit) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

fn literal(out: &mut String, lit: &Literal) {
    match lit {
        Literal::Str(s) => out.push_str(&quote(&s.value)),
        Literal::Number { negative, lit, .. } => {
            if *negative {
                out.push('-');
            }
            out.push_str(&lit.text);
        }
        Literal::Bool(b, _) => out.push_str(if *b { "true" } else { "false" }),
        Literal::Date(d) => out.push_str(&date(d)),
    }
}

/// A string literal with canonical escapes.
pub(crate) fn quote(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('"');
    for c in value.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(s, "\\u{{{:X}}}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Prints an expression on one line. Recursion follows the tree, whose depth
/// the parser bounds by [`crate::MAX_EXPR_DEPTH`].
fn expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Number(n) => out.push_str(&n.text),
        ExprKind::Str(s) => out.push_str(&quote(&s.value)),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Date(d) => out.push_str(&date(d)),
        ExprKind::Today => out.push_str("today"),
        ExprKind::Name(i) => out.push_str(&i.name),
        ExprKind::Field(base, f) => {
            expr(out, base);
            out.push('.');
            out.push_str(&f.name);
        }
        ExprKind::List(items) => {
            out.push('[');
            list(out, items);
            out.push(']');
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            expr(out, inner);
            out.push(')');
        }
        ExprKind::Unary(UnOp::Not, inner) => {
            out.push_str("not ");
            expr(out, inner);
        }
        ExprKind::Unary(UnOp::Neg, inner) => {
            out.push('-');
            expr(out, inner);
        }
        ExprKind::Binary(op, a, b) => infix(out, a, op.as_str(), b),
        ExprKind::In {
            value,
            list,
            negated,
        } => infix(out, value, if *negated { "not in" } else { "in" }, list),
        ExprKind::StartsWith(a, b) => infix(out, a, "starts with", b),
        ExprKind::Contains(a, b) => infix(out, a, "contains", b),
        ExprKind::Is { value, present } => {
            expr(out, value);
            out.push_str(if *present {
                " is present"
            } else {
                " is missing"
            });
        }
        ExprKind::Quant {
            kind,
            var,
            list,
            body,
        } => {
            out.push_str(kind.as_str());
            out.push('(');
            out.push_str(&var.name);
            out.push_str(" in ");
            expr(out, list);
            out.push_str(": ");
            expr(out, body);
            out.push(')');
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            list(out, args);
            out.push(')');
        }
    }
}

fn infix(out: &mut String, a: &Expr, op: &str, b: &Expr) {
    expr(out, a);
    out.push(' ');
    out.push_str(op);
    out.push(' ');
    expr(out, b);
}

fn list(out: &mut String, items: &[Expr]) {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(out, e);
    }
}

/// The widest line (in characters, indent included) that a `when` condition
/// may take before it is broken at its top-level `and`/`or` operators.
const MAX_WIDTH: usize = 90;

/// One printed line of a broken expression. The first piece continues the
/// line on which the expression starts, so its `indent` is not used.
struct Piece {
    indent: usize,
    text: String,
    start: u32,
    end: u32,
}

/// Lays out `e`, which starts at column `col` of a line indented by `indent`
/// levels. An expression that fits within [`MAX_WIDTH`] stays on one line.
/// A longer chain of one `and`/`or` operator (the author's parentheses are
/// never looked into) gets one operand per line, the operator leading each
/// continuation line at `indent + 1`; a longer quantifier whose body is such
/// a chain breaks its body the same way. Operands are laid out again, so a
/// long quantifier or sub-chain among them is broken too.
///
/// The result depends only on the tree, so formatting is idempotent; the
/// recursion follows the tree, whose depth the parser bounds.
fn layout(e: &Expr, col: usize, indent: usize) -> Vec<Piece> {
    let mut one = String::new();
    expr(&mut one, e);
    if col + one.chars().count() <= MAX_WIDTH {
        return vec![Piece {
            indent,
            text: one,
            start: e.span.start,
            end: e.span.end,
        }];
    }
    if let Some((op, operands)) = chain(e) {
        let cont = indent + 1;
        let mut pieces = Vec::new();
        for (i, operand) in operands.into_iter().enumerate() {
            if i == 0 {
                pieces.extend(layout(operand, col, cont));
                continue;
            }
            let prefix = format!("{} ", op.as_str());
            let mut sub = layout(operand, cont * 2 + prefix.len(), cont);
            if let Some(first) = sub.first_mut() {
                first.indent = cont;
                first.text.insert_str(0, &prefix);
            }
            pieces.extend(sub);
        }
        return pieces;
    }
    if let ExprKind::Quant {
        kind,
        var,
        list,
        body,
    } = &e.kind
        && chain(body).is_some()
    {
        let mut head = format!("{}({} in ", kind.as_str(), var.name);
        expr(&mut head, list);
        head.push_str(": ");
        let mut pieces = layout(body, col + head.chars().count(), indent);
        if let Some(first) = pieces.first_mut() {
            first.text.insert_str(0, &head);
            first.start = e.span.start;
        }
        if let Some(last) = pieces.last_mut() {
            last.text.push(')');
            last.end = e.span.end;
        }
        return pieces;
    }
    vec![Piece {
        indent,
        text: one,
        start: e.span.start,
        end: e.span.end,
    }]
}

/// The operands of a chain of one `and` or `or` operator, left to right
/// (the parser nests chains to the left), or `None` if `e` is not such an
/// operator.
fn chain(e: &Expr) -> Option<(BinOp, Vec<&Expr>)> {
    let ExprKind::Binary(op @ (BinOp::And | BinOp::Or), _, _) = &e.kind else {
        return None;
    };
    let mut operands = Vec::new();
    let mut cur = e;
    while let ExprKind::Binary(o, a, b) = &cur.kind
        && o == op
    {
        operands.push(&**b);
        cur = a;
    }
    operands.push(cur);
    operands.reverse();
    Some((*op, operands))
}
