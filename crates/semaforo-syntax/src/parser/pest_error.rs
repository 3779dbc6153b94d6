//! A pest parse error -> one [`Diagnostic`]: "expected ..., found ..." in
//! the words users know (grammar rules named by [`human`]), with a help
//! line when a reserved word stands where a name is expected, and labels
//! on the brackets open there that are never closed ([`bracket_labels`]).

use pest::error::{ErrorVariant, InputLocation};

use crate::keywords::is_reserved;
use crate::span::{Diagnostic, FileId, Span};

use super::grammar::Rule as R;
use super::prescan::{Fate, Unclosed, item_name, unclosed_at};
use super::{E_PARSER_LIMIT, E_SYNTAX, off};

/// A human name for what a grammar rule stands for, as used in "expected
/// ..." messages. Rules that users never see return `None`.
fn human(rule: R) -> Option<&'static str> {
    Some(match rule {
        R::EOI => "end of file",
        R::ident => "a name",
        R::name => "a name",
        R::rule_id | R::rule_ref => "a rule id",
        R::date => "a date (`YYYY-MM-DD`)",
        R::number | R::signed_number | R::neg_sign => "a number",
        R::int => "an integer",
        R::percent => "a percentage such as `2.5%`",
        R::string | R::str_raw | R::str_esc => "a string",
        R::kw_ruleset => "`ruleset`",
        R::kw_version => "`version`",
        R::kw_lanes => "`lanes`",
        R::kw_threshold => "`threshold`",
        R::kw_schema => "`schema`",
        R::kw_record => "`record`",
        R::kw_key | R::key_marker => "`key`",
        R::kw_list => "`list`",
        R::kw_table => "`table`",
        R::kw_rule => "`rule`",
        R::kw_active | R::active_clause => "`active`",
        R::kw_from => "`from`",
        R::kw_to => "`to`",
        R::kw_tags | R::tags_clause => "`tags`",
        R::kw_when | R::when_clause => "`when`",
        R::kw_sample | R::sample_clause => "`sample`",
        R::kw_then | R::then_clause => "`then`",
        R::kw_score => "`score`",
        R::kw_lane => "`lane`",
        R::kw_note => "`note`",
        R::kw_test => "`test`",
        R::kw_given => "`given`",
        R::kw_expect | R::expect_line => "`expect`",
        R::kw_fired => "`fired`",
        R::kw_undetermined => "`undetermined`",
        R::kw_monitor | R::monitor_mark => "`monitor`",
        R::kw_for | R::threshold_for => "`for`",
        R::kw_monitored => "`monitored`",
        R::kw_package => "`package`",
        R::kw_uses => "`uses`",
        R::kw_override => "`override`",
        R::kw_disable | R::disable_mark => "`disable`",
        R::kw_reason | R::reason_clause => "`reason`",
        R::kw_until | R::until_clause => "`until`",
        R::kw_profile | R::profile_clause => "`profile`",
        R::profile_entry => "a profile entry such as `owner \"Unidad de Riesgo\"`",
        R::kw_today | R::today_clause => "`today`",
        R::kw_or
        | R::kw_and
        | R::kw_is
        | R::kw_in
        | R::kw_contains
        | R::cmp_op
        | R::not_in_op
        | R::starts_with_op
        | R::is_missing_op
        | R::is_present_op
        | R::add_op
        | R::mul_op
        | R::chained
        | R::field_access => "an operator",
        R::kw_not => "`not`",
        R::kw_missing => "`missing`",
        R::kw_present => "`present`",
        R::kw_starts => "`starts`",
        R::kw_with => "`with`",
        R::kw_true | R::kw_false => "`true` or `false`",
        R::quant_kw | R::quantifier => "a quantifier",
        R::lbrace => "`{`",
        R::rbrace => "`}`",
        R::lparen => "`(`",
        R::rparen => "`)`",
        R::lbracket => "`[`",
        R::rbracket => "`]`",
        R::comma => "`,`",
        R::colon => "`:`",
        R::equals => "`=`",
        R::file => "an item",
        R::ruleset_item
        | R::lanes_item
        | R::threshold_item
        | R::schema_item
        | R::record_item
        | R::list_item
        | R::table_item
        | R::rule_item
        | R::test_item
        | R::package_item
        | R::uses_item
        | R::override_item => {
            "an item (`ruleset`, `package`, `uses`, `lanes`, `threshold`, `schema`, `record`, `list`, `table`, `rule`, `override` or `test`)"
        }
        R::fields | R::field => "a field (`name: type`)",
        R::optional_mark => "`?`",
        R::scalar_type | R::field_type => "a type (`text`, `number`, `bool`, `date` or `[record]`)",
        R::list_type => "a list type such as `[item]`",
        R::list_inline | R::list_external => "`= [...]` or `: type`",
        R::literal => "a literal",
        R::action | R::action_kw | R::score_action | R::lane_action | R::note_action => {
            "an action (`score`, `lane` or `note`)"
        }
        R::lane_share => "a lane and its share, such as `red 50%`",
        R::table_columns | R::table_column => "a column (`name: type`)",
        R::expect_lane
        | R::expect_score
        | R::expect_fired
        | R::expect_not_fired
        | R::expect_undetermined
        | R::expect_monitored
        | R::expect_note => {
            "an expectation (`lane`, `score`, `fired`, `not fired`, `undetermined`, `monitored` or `note`)"
        }
        R::json => "a JSON object",
        R::json_member => "a JSON member (`\"name\": value`)",
        R::json_value
        | R::json_object
        | R::json_array
        | R::json_string
        | R::json_number
        | R::json_word
        | R::json_char
        | R::json_escape => "a JSON value",
        R::json_ws => return None,
        R::expr
        | R::or_expr
        | R::and_expr
        | R::not_expr
        | R::cmp_expr
        | R::cmp_tail
        | R::add_expr
        | R::mul_expr
        | R::neg_expr
        | R::neg_op
        | R::postfix_expr
        | R::primary
        | R::call
        | R::func_name
        | R::paren
        | R::inline_list => "an expression",
        R::reserved | R::non_function | R::item => return None,
        R::WHITESPACE | R::COMMENT | R::ident_start | R::ident_char => return None,
    })
}

/// What the text at `pos` looks like, for "found ..." in messages, and the
/// byte length to underline.
fn found_at(source: &str, pos: usize) -> (String, usize) {
    let rest = source.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return ("end of file".to_owned(), 0);
    };
    if c.is_ascii_alphanumeric() || c == '_' {
        let len = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len());
        let word = rest.get(..len).unwrap_or("");
        return (format!("`{word}`"), len);
    }
    match c {
        '\n' | '\r' => ("end of line".to_owned(), 0),
        '"' => ("a string".to_owned(), 1),
        ' ' | '\t' => ("whitespace".to_owned(), 1),
        '`' => ("a backtick".to_owned(), 1),
        c if c.is_control() => (format!("`{}`", c.escape_unicode()), c.len_utf8()),
        c => (format!("`{c}`"), c.len_utf8()),
    }
}

fn join_alternatives(names: &[&str]) -> String {
    match names {
        [] => "something else".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The diagnostic for pest's error `e` from a parse of `source[base..]`,
/// the byte offset (in `source`) where pest stopped, and the brackets
/// (`(`, `[`, `{`) open there whose closers are probably missing before a
/// later item (their closers may turn up later, out of place), and whether
/// an item was expected there (pest was between items). A syntax
/// error also labels the brackets open there that are never closed (see
/// [`bracket_labels`]).
pub(super) fn pest_error(
    source: &str,
    file: FileId,
    base: usize,
    e: pest::error::Error<R>,
) -> (Diagnostic, usize, Vec<u8>, bool) {
    let pos = base
        + match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let (found, len) = found_at(source, pos);
    let span = Span::new(file, off(pos), off(pos + len));
    let mut expects_item = false;
    let (d, left_open) = match e.variant {
        ErrorVariant::CustomError { message } => (
            Diagnostic::error(
                E_PARSER_LIMIT,
                span,
                format!("the parser gave up here ({message})"),
            )
            .with_help("the file is too complex to parse; split it or simplify its expressions"),
            Vec::new(),
        ),
        ErrorVariant::ParsingError { positives, .. } => {
            expects_item = positives
                .iter()
                .any(|r| matches!(r, R::kw_ruleset | R::ruleset_item | R::file));
            let mut names: Vec<&str> = Vec::new();
            for r in positives {
                if let Some(n) = human(r)
                    && !names.contains(&n)
                {
                    names.push(n);
                }
            }
            // "End of file" is only worth saying when nothing else fits, and
            // `[` is already named by "a type (... `[record]`)".
            if names.len() > 1 {
                names.retain(|n| *n != "end of file");
            }
            if names.iter().any(|n| n.starts_with("a type")) {
                names.retain(|n| *n != "`[`");
            }
            let mut d = Diagnostic::error(
                E_SYNTAX,
                span,
                format!("expected {}, found {found}", join_alternatives(&names)),
            );
            let word = found.trim_matches('`');
            if is_reserved(word)
                && names
                    .iter()
                    .any(|n| *n == "a name" || *n == "an expression")
            {
                d = d.with_help(format!(
                    "`{word}` is a reserved word and cannot be used as a name in an expression"
                ));
            }
            bracket_labels(d, source, file, base, pos)
        }
    };
    (d, pos, left_open, expects_item)
}

/// The most unclosed brackets labelled on one error (the outermost, the
/// item's brace, and the innermost ones).
const MAX_BRACKET_LABELS: usize = 3;

fn opener_of_closer(closer: u8) -> char {
    match closer {
        b')' => '(',
        b']' => '[',
        _ => '{',
    }
}

fn closer_of(opener: u8) -> char {
    match opener {
        b'(' => ')',
        b'[' => ']',
        _ => '}',
    }
}

/// Adds to `d`, a syntax error at `pos` of a parse that began at `base`,
/// what the brackets say, the way rustc does: a label on each bracket open
/// at `pos` that is never closed ("unclosed `{` of rule `R1`", "this `(`
/// is never closed"), on the closer of an outer bracket that ends it while
/// it is open, and on the item head at column 1 before which its closer is
/// probably missing (as a help line when the error is at that head).
fn bracket_labels(
    mut d: Diagnostic,
    source: &str,
    file: FileId,
    base: usize,
    pos: usize,
) -> (Diagnostic, Vec<u8>) {
    let unclosed = unclosed_at(source, base, pos);
    let left_open = unclosed
        .iter()
        .filter(|u| matches!(u.fate, Fate::ItemHead(_)))
        .map(|u| u.byte)
        .collect();
    let mut shown: Vec<&Unclosed> = unclosed.iter().collect();
    if shown.len() > MAX_BRACKET_LABELS {
        // The outermost (often an item's brace) and the innermost ones.
        let inner = shown.split_off(shown.len() - (MAX_BRACKET_LABELS - 1));
        shown.truncate(1);
        shown.extend(inner);
    }
    let span = |at: usize, len: usize| Span::new(file, off(at), off(at + len));
    for u in &shown {
        let message = match u.item.and_then(|k| item_name(source, k)) {
            Some((kw, name)) if u.byte == b'{' => {
                if name.starts_with('"') {
                    format!("unclosed `{{` of {kw} {name}")
                } else {
                    format!("unclosed `{{` of {kw} `{name}`")
                }
            }
            _ => format!("this `{}` is never closed", char::from(u.byte)),
        };
        d = d.with_label(span(u.at, 1), message);
    }
    let at_closer = matches!(source.as_bytes().get(pos), Some(b')' | b']' | b'}'));
    if let (Some(inner), Some(&c)) = (unclosed.last(), source.as_bytes().get(pos))
        && at_closer
        && opener_of_closer(c) != char::from(inner.byte)
        && d.help.is_none()
    {
        d = d.with_help(format!(
            "`{}` closes `{}`, not `{}`",
            char::from(c),
            opener_of_closer(c),
            char::from(inner.byte)
        ));
    }
    // Where the closers were probably meant to be: before an item head
    // (all the brackets it ends, innermost first), or at an outer closer.
    let mut heads: Vec<(usize, String)> = Vec::new();
    for u in unclosed.iter().rev() {
        match u.fate {
            Fate::ItemHead(k) => match heads.iter_mut().find(|(h, _)| *h == k) {
                Some((_, closers)) => closers.push(closer_of(u.byte)),
                None => heads.push((k, closer_of(u.byte).to_string())),
            },
            // Not when pest stopped at a closer: the primary label is on
            // the mismatched closer already.
            Fate::OuterClose(q)
                if q != pos && !at_closer && !d.labels.iter().any(|l| l.span.start == off(q)) =>
            {
                let c = source.get(q..q + 1).unwrap_or("}");
                d = d.with_label(
                    span(q, 1),
                    format!("the `{}` is still open at this `{c}`", char::from(u.byte)),
                );
            }
            _ => {}
        }
    }
    for (k, closers) in heads {
        let kw = item_name(source, k).map_or("item", |(kw, _)| kw);
        if k == pos {
            if d.help.is_none() {
                d = d.with_help(format!("add the missing `{closers}` before this `{kw}`"));
            }
        } else {
            d = d.with_label(
                span(k, kw.len()),
                format!("`{closers}` is probably missing before this `{kw}`"),
            );
        }
    }
    (d, left_open)
}
