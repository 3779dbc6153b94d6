//! Literals, "did you mean" suggestions and constant folding.

use semaforo_plan::{Date, Decimal};
use semaforo_syntax::ast;
use semaforo_syntax::{Diagnostic, Span};

use super::Checker;
use crate::hir::{Cmp, Const, Expr, ExprKind, Pattern};

impl Checker<'_> {
    /// A decimal literal (`negative` when written `-digits` in a list); E0401
    /// when out of range, W0001 when it has more than 6 fractional digits.
    pub(super) fn number(
        &mut self,
        lit: &ast::NumLit,
        negative: bool,
        span: Span,
    ) -> Option<Decimal> {
        // The grammar allows leading zeros (`007`), which JSON syntax does not.
        let (int, frac) = lit.text.split_once('.').unwrap_or((lit.text.as_str(), ""));
        let trimmed = int.trim_start_matches('0');
        let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
        // The text is already in JSON syntax (the usual case) when it has
        // no sign to add, no leading zero to drop and no `.` without digits.
        let as_json = !negative
            && trimmed.len() == int.len()
            && (!frac.is_empty() || !lit.text.contains('.'));
        let parsed = if as_json {
            Decimal::parse(&lit.text)
        } else {
            let mut text = String::with_capacity(lit.text.len() + 1);
            if negative {
                text.push('-');
            }
            text.push_str(trimmed);
            if !frac.is_empty() {
                text.push('.');
                text.push_str(frac);
            }
            Decimal::parse(&text)
        };
        match parsed {
            Ok(parsed) => {
                if frac.len() > 6 {
                    self.diags.push(
                        Diagnostic::warning(
                            "W0001",
                            span,
                            format!("`{}` has more than 6 fractional digits", lit.text),
                        )
                        .with_help(format!(
                            "numbers keep 6 fractional digits; this literal is rounded to `{}`",
                            parsed.value
                        )),
                    );
                }
                Some(parsed.value)
            }
            Err(_) => {
                self.diags.push(
                    Diagnostic::error(
                        "E0401",
                        span,
                        format!("number `{}` is out of range", lit.text),
                    )
                    .with_help("numbers have at most 30 integer digits"),
                );
                None
            }
        }
    }

    /// A date literal; E0402 unless it is a real date.
    pub(super) fn date(&mut self, d: &ast::DateLit) -> Option<Date> {
        let date = Date::from_ymd(i32::from(d.year), u32::from(d.month), u32::from(d.day));
        if date.is_none() {
            self.diags.push(
                Diagnostic::error(
                    "E0402",
                    d.span,
                    format!(
                        "`{:04}-{:02}-{:02}` is not a valid date",
                        d.year, d.month, d.day
                    ),
                )
                .with_help("write a real calendar date as `YYYY-MM-DD`"),
            );
        }
        date
    }
}

/// Edit distance between two names, in characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// The closest candidate within distance `max(1, len / 3)` of `name`
/// (ties: the first such candidate in iteration order, then alphabetical).
pub(super) fn suggest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = name.chars().count();
    let limit = (len / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        // The distance is at least the difference in length, which is
        // cheap to bound (a text has at least a character per 4 bytes and
        // at most one per byte): most candidates need no table.
        if c.len() > (len + limit) * 4 || c.len() + limit < len {
            continue;
        }
        let clen = c.chars().count();
        if clen.abs_diff(len) > limit {
            continue;
        }
        let d = levenshtein(name, c);
        if d > limit {
            continue;
        }
        match best {
            Some((bd, bc)) if bd < d || (bd == d && bc <= c) => {}
            _ => best = Some((d, c)),
        }
    }
    best.map(|(_, c)| c)
}

/// The value of a condition built only from constants, `and`, `or`, `not`,
/// comparisons of constants and `in` on constants; `None` when it depends on
/// the declaration. Follows Kleene's logic: `false and x` is false.
pub(super) fn const_bool(e: &Expr) -> Option<bool> {
    match &e.kind {
        ExprKind::Const(Const::Bool(b)) => Some(*b),
        ExprKind::Not(x) => const_bool(x).map(|b| !b),
        ExprKind::And(a, b) => match (const_bool(a), const_bool(b)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        ExprKind::Or(a, b) => match (const_bool(a), const_bool(b)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        ExprKind::Cmp(op, a, b) => match (&a.kind, &b.kind) {
            (ExprKind::Const(x), ExprKind::Const(y)) => compare(*op, x, y),
            _ => None,
        },
        ExprKind::In {
            value,
            list: Pattern::Inline(values),
            negated,
        } => {
            if values.is_empty() {
                return Some(*negated);
            }
            match &value.kind {
                ExprKind::Const(c) => Some(values.contains(c) != *negated),
                _ => None,
            }
        }
        _ => None,
    }
}

fn compare(op: Cmp, x: &Const, y: &Const) -> Option<bool> {
    let ord = match (x, y) {
        (Const::Text(a), Const::Text(b)) => a.cmp(b),
        (Const::Number(a), Const::Number(b)) => a.cmp(b),
        (Const::Bool(a), Const::Bool(b)) => a.cmp(b),
        (Const::Date(a), Const::Date(b)) => a.cmp(b),
        _ => return None,
    };
    Some(match op {
        Cmp::Eq => ord.is_eq(),
        Cmp::Ne => ord.is_ne(),
        Cmp::Lt => ord.is_lt(),
        Cmp::Le => ord.is_le(),
        Cmp::Gt => ord.is_gt(),
        Cmp::Ge => ord.is_ge(),
    })
}

#[cfg(test)]
mod tests {
    use super::{levenshtein, suggest};
    use crate::check::Checker;
    use semaforo_plan::Decimal;
    use semaforo_syntax::{FileId, Span, ast};

    #[test]
    fn number_literals_read_with_and_without_a_copy_agree() {
        let span = Span::new(FileId(0), 0, 1);
        let cases = [
            ("0", false, "0"),
            ("7", false, "7"),
            ("007", false, "7"),
            ("00", false, "0"),
            ("0.5", false, "0.5"),
            ("00.50", false, "0.5"),
            ("12.25", true, "-12.25"),
            ("0", true, "0"),
            ("010.0000001", false, "10"),
        ];
        for (text, negative, want) in cases {
            let mut cx = Checker::default();
            let lit = ast::NumLit {
                text: text.into(),
                span,
            };
            let got = cx.number(&lit, negative, span);
            assert_eq!(got, Some(Decimal::parse(want).unwrap().value), "{text}");
        }
        // Out of range either way: an error, not a value.
        let mut cx = Checker::default();
        let lit = ast::NumLit {
            text: "1".repeat(31).into(),
            span,
        };
        assert_eq!(cx.number(&lit, false, span), None);
        assert_eq!(cx.diags.first().map(|d| d.code), Some("E0401"));
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(levenshtein("origin", "orign"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("año", "ano"), 1);
    }

    #[test]
    fn suggestion_respects_the_limit() {
        let names = ["origin", "office", "importer"];
        assert_eq!(suggest("orign", names.iter().copied()), Some("origin"));
        assert_eq!(suggest("xyz", names.iter().copied()), None);
        // Two edits on a 4-letter name exceed max(1, 4 / 3).
        assert_eq!(suggest("orgn", names.iter().copied()), None);
        assert_eq!(suggest("ofice", names.iter().copied()), Some("office"));
        // Lengths are compared in characters, not bytes.
        let names = ["ñandú", "x".repeat(40).leak()];
        assert_eq!(suggest("ñand", names.iter().copied()), Some("ñandú"));
        assert_eq!(suggest("nandú", names.iter().copied()), Some("ñandú"));
        assert_eq!(suggest("xxxxx", names.iter().copied()), None);
    }
}
