//! pest's parse tree -> AST: the [`Builder`] walks the pairs of a
//! successful parse of `grammar/semaforo.pest` and builds the
//! [`SourceFile`](crate::ast::SourceFile) items with their spans, reporting
//! bad escapes (`E0004`), integers out of range (`E0005`), chained
//! comparisons (`E0008`) and expressions deeper than [`MAX_EXPR_DEPTH`]
//! (`E0003`). A tree that does not have the shape the grammar promises is an
//! internal error (`E0009`), never a panic. The pest tree goes no further.

use pest::iterators::{Pair, Pairs};

use crate::ast::{
    Action, Active, BinOp, DateLit, Expect, Expr, ExprKind, FieldDecl, Ident, IntLit, Item,
    JsonText, LaneShare, Lanes, ListBody, ListDecl, Literal, NumLit, Override, OverrideChange,
    PercentLit, ProfileEntry, ProfileValue, RecordDecl, Rule, RuleId, RulesetHeader, ScalarType,
    StrLit, TableBody, TableColumn, TableDecl, Test, Threshold, ThresholdGroup, TypeExpr, UnOp,
};
use crate::keywords::quantifier;
use crate::span::{Diagnostic, FileId, Span};

use super::escape::decode_escape;
use super::grammar::Rule as R;
use super::{E_BAD_ESCAPE, E_CHAINED, E_INT_RANGE, E_INTERNAL, E_TOO_DEEP, MAX_EXPR_DEPTH, off};

/// Builds the items of a file from pest's `pairs`, or returns every
/// diagnostic found on the way (at least one).
pub(super) fn build(pairs: Pairs<'_, R>, file: FileId) -> Result<Vec<Item>, Vec<Diagnostic>> {
    let mut b = Builder {
        file,
        diags: Vec::new(),
    };
    match b.file(pairs) {
        Ok(items) if b.diags.is_empty() => Ok(items),
        _ => {
            if b.diags.is_empty() {
                b.diags.push(Diagnostic::error(
                    E_INTERNAL,
                    Span::new(file, 0, 0),
                    "internal parser error",
                ));
            }
            Err(b.diags)
        }
    }
}

/// Raised when building must stop; the reason is already in `diags`.
struct Stop;

type Res<T> = Result<T, Stop>;

struct Builder {
    file: FileId,
    diags: Vec<Diagnostic>,
}

/// True for punctuation rules, which carry no information for the AST.
fn is_punct(rule: R) -> bool {
    matches!(
        rule,
        R::lbrace
            | R::rbrace
            | R::lparen
            | R::rparen
            | R::lbracket
            | R::rbracket
            | R::comma
            | R::colon
            | R::equals
    )
}

/// The meaningful children of a pair (punctuation skipped).
struct Kids<'i> {
    inner: Pairs<'i, R>,
}

impl<'i> Kids<'i> {
    fn peek(&self) -> Option<Pair<'i, R>> {
        self.inner.clone().find(|p| !is_punct(p.as_rule()))
    }

    fn next_pair(&mut self) -> Option<Pair<'i, R>> {
        self.inner.by_ref().find(|p| !is_punct(p.as_rule()))
    }

    /// The next child, which must be `rule`.
    /// An internal inconsistency is reported by [`parse`] as `E0009`.
    fn want(&mut self, rule: R) -> Res<Pair<'i, R>> {
        match self.next_pair() {
            Some(p) if p.as_rule() == rule => Ok(p),
            _ => Err(Stop),
        }
    }

    /// The next child if it is `rule`.
    fn eat(&mut self, rule: R) -> Option<Pair<'i, R>> {
        match self.peek() {
            Some(p) if p.as_rule() == rule => self.next_pair(),
            _ => None,
        }
    }
}

impl Builder {
    fn span(&self, p: &Pair<'_, R>) -> Span {
        let s = p.as_span();
        Span::new(self.file, off(s.start()), off(s.end()))
    }

    fn kids<'i>(&self, p: Pair<'i, R>) -> Kids<'i> {
        Kids {
            inner: p.into_inner(),
        }
    }

    fn internal(&mut self, span: Span, rule: R) -> Stop {
        self.diags.push(Diagnostic::error(
            E_INTERNAL,
            span,
            format!("internal parser error: expected rule `{rule:?}` here"),
        ));
        Stop
    }

    fn file(&mut self, mut pairs: Pairs<'_, R>) -> Res<Vec<Item>> {
        let Some(top) = pairs.next() else {
            return Err(self.internal(Span::new(self.file, 0, 0), R::file));
        };
        let mut items = Vec::new();
        for p in top.into_inner() {
            match p.as_rule() {
                R::EOI => {}
                _ => items.push(self.item(p)?),
            }
        }
        Ok(items)
    }

    fn item(&mut self, p: Pair<'_, R>) -> Res<Item> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut k = self.kids(p);
        Ok(match rule {
            R::ruleset_item => {
                k.want(R::kw_ruleset)?;
                let name = self.string(k.want(R::string)?)?;
                k.want(R::kw_version)?;
                let version = self.string(k.want(R::string)?)?;
                Item::Ruleset(RulesetHeader {
                    name,
                    version,
                    span,
                })
            }
            R::lanes_item => {
                k.want(R::kw_lanes)?;
                let mut lanes = Vec::new();
                while let Some(i) = k.eat(R::ident) {
                    lanes.push(self.ident(&i));
                }
                // pest's `a ~ (b ~ c)*` keeps the white space and comments
                // it skipped before a repetition that matched nothing; the
                // item ends with its last lane, so a comment after it is
                // not inside it (the formatter places comments by span).
                let span = match lanes.last() {
                    Some(l) => Span::new(span.file, span.start, l.span.end),
                    None => span,
                };
                Item::Lanes(Lanes { lanes, span })
            }
            R::threshold_item => {
                k.want(R::kw_threshold)?;
                let lane = self.ident(&k.want(R::ident)?);
                let score = self.int(&k.want(R::int)?);
                let group = match k.eat(R::threshold_for) {
                    Some(g) => {
                        let mut gk = self.kids(g);
                        gk.want(R::kw_for)?;
                        let field = self.ident(&gk.want(R::ident)?);
                        let value = self.string(gk.want(R::string)?)?;
                        Some(ThresholdGroup { field, value })
                    }
                    None => None,
                };
                // End at the last token, not at white space pest skipped
                // looking for `for`.
                let end = group.as_ref().map_or(score.span.end, |g| g.value.span.end);
                let span = Span::new(self.file, span.start, end);
                Item::Threshold(Threshold {
                    lane,
                    score,
                    group,
                    span,
                })
            }
            R::schema_item | R::record_item => {
                k.next_pair();
                let name = self.ident(&k.want(R::ident)?);
                let mut fields = Vec::new();
                while let Some(f) = k.eat(R::field) {
                    fields.push(self.field(f)?);
                }
                let decl = RecordDecl { name, fields, span };
                if rule == R::schema_item {
                    Item::Schema(decl)
                } else {
                    Item::Record(decl)
                }
            }
            R::list_item => {
                k.want(R::kw_list)?;
                let name = self.ident(&k.want(R::ident)?);
                let body = match k.next_pair() {
                    Some(b) if b.as_rule() == R::list_inline => {
                        let bspan = self.span(&b);
                        // The span covers the brackets, not the `=`.
                        let mut inner = b.into_inner();
                        let open = inner
                            .clone()
                            .find(|x| x.as_rule() == R::lbracket)
                            .map_or(bspan.start, |x| off(x.as_span().start()));
                        let mut lits = Vec::new();
                        for l in inner.by_ref().filter(|x| !is_punct(x.as_rule())) {
                            lits.push(self.literal(l)?);
                        }
                        ListBody::Inline(lits, Span::new(self.file, open, bspan.end))
                    }
                    Some(b) if b.as_rule() == R::list_external => {
                        let mut bk = self.kids(b);
                        let t = bk.want(R::scalar_type)?;
                        let (ty, tspan) = self.scalar(&t)?;
                        ListBody::External(ty, tspan)
                    }
                    _ => return Err(self.internal(span, R::list_inline)),
                };
                Item::List(ListDecl { name, body, span })
            }
            R::table_item => {
                k.want(R::kw_table)?;
                let name = self.ident(&k.want(R::ident)?);
                let body = match k.next_pair() {
                    Some(t) if t.as_rule() == R::scalar_type => {
                        let (ty, ty_span) = self.scalar(&t)?;
                        TableBody::Value(ty, ty_span)
                    }
                    Some(c) if c.as_rule() == R::table_columns => {
                        let cspan = self.span(&c);
                        let mut cols = Vec::new();
                        let columns = c.into_inner().filter(|x| x.as_rule() == R::table_column);
                        for col in columns {
                            let colspan = self.span(&col);
                            let mut ck = self.kids(col);
                            let name = self.ident(&ck.want(R::ident)?);
                            let (ty, _) = self.scalar(&ck.want(R::scalar_type)?)?;
                            cols.push(TableColumn {
                                name,
                                ty,
                                span: colspan,
                            });
                        }
                        TableBody::Columns(cols, cspan)
                    }
                    _ => return Err(self.internal(span, R::table_item)),
                };
                Item::Table(TableDecl { name, body, span })
            }
            R::rule_item => Item::Rule(self.rule(k, span)?),
            R::package_item | R::uses_item => {
                k.next_pair();
                let name = self.string(k.want(R::string)?)?;
                k.want(R::kw_version)?;
                let version = self.string(k.want(R::string)?)?;
                let h = RulesetHeader {
                    name,
                    version,
                    span,
                };
                if rule == R::package_item {
                    Item::Package(h)
                } else {
                    Item::Uses(h)
                }
            }
            R::override_item => Item::Override(self.override_item(k, span)?),
            R::test_item => Item::Test(self.test(k, span)?),
            other => return Err(self.internal(span, other)),
        })
    }

    fn field(&mut self, p: Pair<'_, R>) -> Res<FieldDecl> {
        // The pair's own span may run on over the whitespace and comment
        // that pest skipped while trying the optional `?`: end the field at
        // its last token instead.
        let mut span = self.span(&p);
        if let Some(last) = p.clone().into_inner().last() {
            span.end = off(last.as_span().end());
        }
        let mut k = self.kids(p);
        let key = k.eat(R::key_marker).is_some();
        let name = self.ident(&k.want(R::ident)?);
        let ty = match k.next_pair() {
            Some(t) if t.as_rule() == R::scalar_type => {
                let (s, sp) = self.scalar(&t)?;
                TypeExpr::Scalar(s, sp)
            }
            Some(t) if t.as_rule() == R::list_type => {
                let tspan = self.span(&t);
                let mut tk = self.kids(t);
                let rec = self.ident(&tk.want(R::ident)?);
                TypeExpr::List(rec, tspan)
            }
            _ => return Err(self.internal(span, R::field_type)),
        };
        let optional = k.eat(R::optional_mark).is_some();
        Ok(FieldDecl {
            key,
            name,
            ty,
            optional,
            span,
        })
    }

    fn scalar(&mut self, p: &Pair<'_, R>) -> Res<(ScalarType, Span)> {
        let span = self.span(p);
        let ty = match p.as_str() {
            "text" => ScalarType::Text,
            "number" => ScalarType::Number,
            "bool" => ScalarType::Bool,
            "date" => ScalarType::Date,
            _ => return Err(self.internal(span, R::scalar_type)),
        };
        Ok((ty, span))
    }

    fn literal(&mut self, p: Pair<'_, R>) -> Res<Literal> {
        let span = self.span(&p);
        Ok(match p.as_rule() {
            R::string => Literal::Str(self.string(p)?),
            R::date => Literal::Date(self.date(&p)?),
            R::signed_number => {
                let mut k = self.kids(p);
                let negative = k.eat(R::neg_sign).is_some();
                let n = k.want(R::number)?;
                Literal::Number {
                    negative,
                    lit: self.number(&n),
                    span,
                }
            }
            R::kw_true => Literal::Bool(true, span),
            R::kw_false => Literal::Bool(false, span),
            other => return Err(self.internal(span, other)),
        })
    }

    fn rule(&mut self, mut k: Kids<'_>, span: Span) -> Res<Rule> {
        k.want(R::kw_rule)?;
        let id = self.rule_id(&k.want(R::rule_id)?);
        let title = self.string(k.want(R::string)?)?;
        let monitor = k.eat(R::monitor_mark).map(|m| self.span(&m));
        let mut rule = Rule {
            id,
            title,
            monitor,
            profile: Vec::new(),
            active: None,
            tags: Vec::new(),
            when: None,
            sample: None,
            actions: Vec::new(),
            span,
        };
        while let Some(c) = k.next_pair() {
            let cspan = self.span(&c);
            let crule = c.as_rule();
            let mut ck = self.kids(c);
            match crule {
                R::profile_clause => {
                    ck.want(R::kw_profile)?;
                    while let Some(e) = ck.eat(R::profile_entry) {
                        rule.profile.push(self.profile_entry(e)?);
                    }
                }
                R::active_clause => rule.active = Some(self.active(ck, cspan)?),
                R::tags_clause => {
                    ck.want(R::kw_tags)?;
                    while let Some(i) = ck.eat(R::ident) {
                        rule.tags.push(self.ident(&i));
                    }
                }
                R::when_clause => {
                    ck.want(R::kw_when)?;
                    let (e, _) = self.expr(ck.want(R::expr)?)?;
                    rule.when = Some(e);
                }
                R::sample_clause => {
                    ck.want(R::kw_sample)?;
                    let p = ck.want(R::percent)?;
                    let pspan = self.span(&p);
                    let text = p.as_str().trim_end_matches('%').to_owned();
                    rule.sample = Some(PercentLit { text, span: pspan });
                }
                R::then_clause => {
                    ck.want(R::kw_then)?;
                    while let Some(a) = ck.next_pair() {
                        rule.actions.push(self.action(a)?);
                    }
                }
                other => return Err(self.internal(cspan, other)),
            }
        }
        Ok(rule)
    }

    /// `active DATE to DATE`, `active from DATE` or `active to DATE`.
    fn active(&mut self, mut ck: Kids<'_>, cspan: Span) -> Res<Active> {
        ck.want(R::kw_active)?;
        let mut from = None;
        let mut to = None;
        match ck.next_pair() {
            Some(x) if x.as_rule() == R::kw_from => {
                from = Some(self.date(&ck.want(R::date)?)?);
            }
            Some(x) if x.as_rule() == R::kw_to => {
                to = Some(self.date(&ck.want(R::date)?)?);
            }
            Some(x) if x.as_rule() == R::date => {
                from = Some(self.date(&x)?);
                ck.want(R::kw_to)?;
                to = Some(self.date(&ck.want(R::date)?)?);
            }
            _ => return Err(self.internal(cspan, R::active_clause)),
        }
        Ok(Active {
            from,
            to,
            span: cspan,
        })
    }

    /// `KEY VALUE` of a profile clause.
    fn profile_entry(&mut self, p: Pair<'_, R>) -> Res<ProfileEntry> {
        let span = self.span(&p);
        let mut k = self.kids(p);
        let key = self.ident(&k.want(R::ident)?);
        let value = match k.next_pair() {
            Some(v) if v.as_rule() == R::string => ProfileValue::Str(self.string(v)?),
            Some(v) if v.as_rule() == R::date => ProfileValue::Date(self.date(&v)?),
            Some(v) if v.as_rule() == R::ident => ProfileValue::Word(self.ident(&v)),
            _ => return Err(self.internal(span, R::profile_entry)),
        };
        Ok(ProfileEntry { key, value, span })
    }

    /// `override PKG/ID { ... }`.
    fn override_item(&mut self, mut k: Kids<'_>, span: Span) -> Res<Override> {
        k.want(R::kw_override)?;
        let target = self.rule_id(&k.want(R::rule_ref)?);
        let mut active = None;
        let mut actions = Vec::new();
        let mut disable = None;
        let mut reason = None;
        let mut until = None;
        while let Some(c) = k.next_pair() {
            let cspan = self.span(&c);
            let crule = c.as_rule();
            let mut ck = self.kids(c);
            match crule {
                R::disable_mark => disable = Some(cspan),
                R::active_clause => active = Some(self.active(ck, cspan)?),
                R::then_clause => {
                    ck.want(R::kw_then)?;
                    while let Some(a) = ck.next_pair() {
                        actions.push(self.action(a)?);
                    }
                }
                R::reason_clause => {
                    ck.want(R::kw_reason)?;
                    reason = Some(self.string(ck.want(R::string)?)?);
                }
                R::until_clause => {
                    ck.want(R::kw_until)?;
                    until = Some(self.date(&ck.want(R::date)?)?);
                }
                other => return Err(self.internal(cspan, other)),
            }
        }
        let Some(reason) = reason else {
            return Err(self.internal(span, R::override_item));
        };
        let change = match disable {
            Some(d) => OverrideChange::Disable(d),
            None => OverrideChange::Adjust { active, actions },
        };
        Ok(Override {
            target,
            change,
            reason,
            until,
            span,
        })
    }

    fn action(&mut self, p: Pair<'_, R>) -> Res<Action> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut k = self.kids(p);
        k.next_pair();
        Ok(match rule {
            R::score_action => {
                // The pair's span may run on over the white space pest
                // skipped looking for more of the expression: end the
                // action at the expression.
                let (e, _) = self.expr(k.want(R::expr)?)?;
                let span = Span::new(self.file, span.start, e.span.end);
                Action::Score(e, span)
            }
            R::lane_action => match k.next_pair() {
                Some(i) if i.as_rule() == R::ident => Action::Lane(self.ident(&i), span),
                Some(first) if first.as_rule() == R::lane_share => {
                    let mut shares = vec![self.lane_share(first)?];
                    while let Some(p) = k.next_pair() {
                        if p.as_rule() == R::lane_share {
                            shares.push(self.lane_share(p)?);
                        }
                    }
                    // End at the last share, not at the white space after it.
                    let end = shares.last().map_or(span.end, |s| s.percent.span.end);
                    Action::LaneSplit(shares, Span::new(self.file, span.start, end))
                }
                _ => return Err(self.internal(span, R::lane_action)),
            },
            R::note_action => Action::Note(self.string(k.want(R::string)?)?, span),
            other => return Err(self.internal(span, other)),
        })
    }

    /// One `LANE PERCENT` of a lane split.
    fn lane_share(&mut self, p: Pair<'_, R>) -> Res<LaneShare> {
        let mut k = self.kids(p);
        let lane = self.ident(&k.want(R::ident)?);
        let pc = k.want(R::percent)?;
        let percent = PercentLit {
            text: pc.as_str().trim_end_matches('%').to_owned(),
            span: self.span(&pc),
        };
        Ok(LaneShare { lane, percent })
    }

    fn test(&mut self, mut k: Kids<'_>, span: Span) -> Res<Test> {
        k.want(R::kw_test)?;
        let name = self.string(k.want(R::string)?)?;
        let mut today = None;
        if let Some(t) = k.eat(R::today_clause) {
            let mut tk = self.kids(t);
            tk.want(R::kw_today)?;
            today = Some(self.date(&tk.want(R::date)?)?);
        }
        k.want(R::kw_given)?;
        let j = k.want(R::json)?;
        let given = JsonText {
            text: j.as_str().to_owned(),
            span: self.span(&j),
        };
        let mut expects = Vec::new();
        while let Some(e) = k.eat(R::expect_line) {
            let espan = self.span(&e);
            let mut ek = self.kids(e);
            ek.want(R::kw_expect)?;
            let Some(body) = ek.next_pair() else {
                return Err(self.internal(espan, R::expect_line));
            };
            let brule = body.as_rule();
            let mut bk = self.kids(body);
            let x = match brule {
                R::expect_lane => {
                    bk.want(R::kw_lane)?;
                    Expect::Lane(self.ident(&bk.want(R::ident)?), espan)
                }
                R::expect_score => {
                    bk.want(R::kw_score)?;
                    Expect::Score(self.int(&bk.want(R::int)?), espan)
                }
                R::expect_fired => {
                    bk.want(R::kw_fired)?;
                    Expect::Fired(self.rule_id(&bk.want(R::rule_ref)?), espan)
                }
                R::expect_not_fired => {
                    bk.want(R::kw_not)?;
                    bk.want(R::kw_fired)?;
                    Expect::NotFired(self.rule_id(&bk.want(R::rule_ref)?), espan)
                }
                R::expect_undetermined => {
                    bk.want(R::kw_undetermined)?;
                    Expect::Undetermined(self.rule_id(&bk.want(R::rule_ref)?), espan)
                }
                R::expect_monitored => {
                    bk.want(R::kw_monitored)?;
                    Expect::Monitored(self.rule_id(&bk.want(R::rule_ref)?), espan)
                }
                R::expect_note => {
                    bk.want(R::kw_note)?;
                    Expect::Note(self.string(bk.want(R::string)?)?, espan)
                }
                other => return Err(self.internal(espan, other)),
            };
            expects.push(x);
        }
        Ok(Test {
            name,
            today,
            given,
            expects,
            span,
        })
    }

    // -------------------------------------------------------------- leaves

    fn ident(&self, p: &Pair<'_, R>) -> Ident {
        Ident {
            name: p.as_str().into(),
            span: self.span(p),
        }
    }

    fn rule_id(&self, p: &Pair<'_, R>) -> RuleId {
        RuleId {
            name: p.as_str().into(),
            span: self.span(p),
        }
    }

    fn number(&self, p: &Pair<'_, R>) -> NumLit {
        NumLit {
            text: p.as_str().into(),
            span: self.span(p),
        }
    }

    fn int(&mut self, p: &Pair<'_, R>) -> IntLit {
        let span = self.span(p);
        let value = match p.as_str().parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                self.diags.push(
                    Diagnostic::error(
                        E_INT_RANGE,
                        span,
                        format!("integer literal `{}` is out of range", p.as_str()),
                    )
                    .with_help(format!(
                        "scores and thresholds must lie between {} and {}",
                        i64::MIN,
                        i64::MAX
                    )),
                );
                0
            }
        };
        IntLit { value, span }
    }

    fn date(&mut self, p: &Pair<'_, R>) -> Res<DateLit> {
        let span = self.span(p);
        let t = p.as_str();
        let part = |r: std::ops::Range<usize>| t.get(r).and_then(|s| s.parse::<u16>().ok());
        match (part(0..4), part(5..7), part(8..10)) {
            (Some(year), Some(month), Some(day)) => Ok(DateLit {
                year,
                month: u8::try_from(month).unwrap_or(u8::MAX),
                day: u8::try_from(day).unwrap_or(u8::MAX),
                span,
            }),
            _ => Err(self.internal(span, R::date)),
        }
    }

    /// Decodes a string literal, reporting every bad escape at the escape.
    fn string(&mut self, p: Pair<'_, R>) -> Res<StrLit> {
        let span = self.span(&p);
        let mut value = String::new();
        for part in p.into_inner() {
            let text = part.as_str();
            match part.as_rule() {
                R::str_raw => value.push_str(text),
                R::str_esc => {
                    let espan = self.span(&part);
                    match decode_escape(text) {
                        Ok(c) => value.push(c),
                        Err((message, help)) => {
                            self.diags.push(
                                Diagnostic::error(E_BAD_ESCAPE, espan, message).with_help(help),
                            );
                        }
                    }
                }
                other => return Err(self.internal(span, other)),
            }
        }
        Ok(StrLit {
            value: value.into(),
            span,
        })
    }

    // --------------------------------------------------------- expressions

    /// Builds an expression and returns it with its depth. Levels that
    /// hold a single child are walked through in a loop, so the builder's
    /// recursion grows by a few frames per bracket only; bracket depth is
    /// bounded by the pre-scan.
    fn expr(&mut self, p: Pair<'_, R>) -> Res<(Expr, u32)> {
        let mut p = p;
        loop {
            match p.as_rule() {
                R::expr
                | R::or_expr
                | R::and_expr
                | R::not_expr
                | R::cmp_expr
                | R::add_expr
                | R::mul_expr
                | R::neg_expr
                | R::postfix_expr => {
                    let mut inner = p.clone().into_inner();
                    match (inner.next(), inner.next()) {
                        (Some(only), None) => p = only,
                        _ => return self.level(p),
                    }
                }
                _ => return self.primary(p),
            }
        }
    }

    /// Makes a node of depth `child_depth + 1`, or stops when too deep.
    fn node(&mut self, kind: ExprKind, span: Span, child_depth: u32) -> Res<(Expr, u32)> {
        let depth = child_depth.saturating_add(1);
        if depth > MAX_EXPR_DEPTH {
            self.diags.push(
                Diagnostic::error(
                    E_TOO_DEEP,
                    span,
                    format!("expression is nested more than {MAX_EXPR_DEPTH} deep"),
                )
                .with_help("split the condition over several rules or use a list with `in`"),
            );
            return Err(Stop);
        }
        Ok((Expr { kind, span }, depth))
    }

    /// A precedence level with at least one operator.
    fn level(&mut self, p: Pair<'_, R>) -> Res<(Expr, u32)> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut k = self.kids(p);
        match rule {
            R::or_expr | R::and_expr | R::add_expr | R::mul_expr => {
                let Some(first) = k.next_pair() else {
                    return Err(self.internal(span, rule));
                };
                let (mut acc, mut depth) = self.expr(first)?;
                while let Some(op) = k.next_pair() {
                    let bin = match (op.as_rule(), op.as_str()) {
                        (R::kw_or, _) => BinOp::Or,
                        (R::kw_and, _) => BinOp::And,
                        (R::add_op, "+") => BinOp::Add,
                        (R::add_op, _) => BinOp::Sub,
                        (R::mul_op, "*") => BinOp::Mul,
                        (R::mul_op, _) => BinOp::Div,
                        (other, _) => return Err(self.internal(span, other)),
                    };
                    let Some(rhs) = k.next_pair() else {
                        return Err(self.internal(span, rule));
                    };
                    let (r, rd) = self.expr(rhs)?;
                    let s = acc.span.to(r.span);
                    (acc, depth) = self.node(
                        ExprKind::Binary(bin, Box::new(acc), Box::new(r)),
                        s,
                        depth.max(rd),
                    )?;
                }
                Ok((acc, depth))
            }
            R::not_expr | R::neg_expr => {
                let mut ops = Vec::new();
                let mut operand = None;
                while let Some(x) = k.next_pair() {
                    match x.as_rule() {
                        R::kw_not | R::neg_op => ops.push(self.span(&x)),
                        _ => operand = Some(x),
                    }
                }
                let Some(operand) = operand else {
                    return Err(self.internal(span, rule));
                };
                let op = if rule == R::not_expr {
                    UnOp::Not
                } else {
                    UnOp::Neg
                };
                let (mut acc, mut depth) = self.expr(operand)?;
                for s in ops.into_iter().rev() {
                    let whole = s.to(acc.span);
                    (acc, depth) = self.node(ExprKind::Unary(op, Box::new(acc)), whole, depth)?;
                }
                Ok((acc, depth))
            }
            R::postfix_expr => {
                let Some(first) = k.next_pair() else {
                    return Err(self.internal(span, rule));
                };
                let (mut acc, mut depth) = self.expr(first)?;
                while let Some(f) = k.next_pair() {
                    let fspan = self.span(&f);
                    let mut fk = self.kids(f);
                    let name = self.ident(&fk.want(R::ident)?);
                    let whole = acc.span.to(fspan);
                    (acc, depth) = self.node(ExprKind::Field(Box::new(acc), name), whole, depth)?;
                }
                Ok((acc, depth))
            }
            R::cmp_expr => self.comparison(k, span),
            other => Err(self.internal(span, other)),
        }
    }

    fn comparison(&mut self, mut k: Kids<'_>, span: Span) -> Res<(Expr, u32)> {
        let Some(first) = k.next_pair() else {
            return Err(self.internal(span, R::cmp_expr));
        };
        let (lhs, ld) = self.expr(first)?;
        let Some(op) = k.next_pair() else {
            return Err(self.internal(span, R::cmp_expr));
        };
        let op_rule = op.as_rule();
        let op_text = op.as_str().to_owned();
        // Tests without a right operand.
        if matches!(op_rule, R::is_missing_op | R::is_present_op) {
            let whole = lhs.span.to(self.span(&op));
            let present = op_rule == R::is_present_op;
            let res = self.node(
                ExprKind::Is {
                    value: Box::new(lhs),
                    present,
                },
                whole,
                ld,
            )?;
            self.no_chain(&mut k)?;
            return Ok(res);
        }
        let Some(rhs) = k.next_pair() else {
            return Err(self.internal(span, R::cmp_expr));
        };
        let (rhs, rd) = self.expr(rhs)?;
        let whole = lhs.span.to(rhs.span);
        let (l, r) = (Box::new(lhs), Box::new(rhs));
        let kind = match op_rule {
            R::cmp_op => {
                let bin = match op_text.as_str() {
                    "==" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    _ => BinOp::Ge,
                };
                ExprKind::Binary(bin, l, r)
            }
            R::kw_in | R::not_in_op => ExprKind::In {
                value: l,
                list: r,
                negated: op_rule == R::not_in_op,
            },
            R::starts_with_op => ExprKind::StartsWith(l, r),
            R::kw_contains => ExprKind::Contains(l, r),
            other => return Err(self.internal(span, other)),
        };
        let res = self.node(kind, whole, ld.max(rd))?;
        self.no_chain(&mut k)?;
        Ok(res)
    }

    /// Reports `a < b < c`: comparisons and tests do not associate.
    fn no_chain(&mut self, k: &mut Kids<'_>) -> Res<()> {
        if let Some(c) = k.eat(R::chained) {
            let span = self.span(&c);
            let op = c.into_inner().next().map_or_else(String::new, |o| {
                o.as_str().split_whitespace().collect::<Vec<_>>().join(" ")
            });
            self.diags.push(
                Diagnostic::error(
                    E_CHAINED,
                    span,
                    format!("comparisons and tests cannot be chained: `{op}` follows another one"),
                )
                .with_help("combine the conditions with `and`, or add parentheses"),
            );
            return Err(Stop);
        }
        Ok(())
    }

    fn primary(&mut self, p: Pair<'_, R>) -> Res<(Expr, u32)> {
        let span = self.span(&p);
        let rule = p.as_rule();
        match rule {
            R::number => {
                let n = self.number(&p);
                self.node(ExprKind::Number(n), span, 0)
            }
            R::string => {
                let s = self.string(p)?;
                self.node(ExprKind::Str(s), span, 0)
            }
            R::date => {
                let d = self.date(&p)?;
                self.node(ExprKind::Date(d), span, 0)
            }
            R::kw_true => self.node(ExprKind::Bool(true), span, 0),
            R::kw_false => self.node(ExprKind::Bool(false), span, 0),
            R::kw_today => self.node(ExprKind::Today, span, 0),
            R::name => {
                let i = self.ident(&p);
                self.node(ExprKind::Name(i), span, 0)
            }
            R::paren => {
                let mut k = self.kids(p);
                let (inner, d) = self.expr(k.want(R::expr)?)?;
                self.node(ExprKind::Paren(Box::new(inner)), span, d)
            }
            R::inline_list => {
                let mut items = Vec::new();
                let mut depth = 0;
                for x in self.kids(p).inner.filter(|x| !is_punct(x.as_rule())) {
                    let (e, d) = self.expr(x)?;
                    depth = depth.max(d);
                    items.push(e);
                }
                self.node(ExprKind::List(items), span, depth)
            }
            R::call => {
                let mut k = self.kids(p);
                let func = self.ident(&k.want(R::func_name)?);
                let mut args = Vec::new();
                let mut depth = 0;
                while let Some(x) = k.next_pair() {
                    let (e, d) = self.expr(x)?;
                    depth = depth.max(d);
                    args.push(e);
                }
                self.node(ExprKind::Call { func, args }, span, depth)
            }
            R::quantifier => {
                let mut k = self.kids(p);
                let kw = k.want(R::quant_kw)?;
                let Some(kind) = quantifier(kw.as_str()) else {
                    return Err(self.internal(span, R::quant_kw));
                };
                let var = self.ident(&k.want(R::ident)?);
                k.want(R::kw_in)?;
                let (list, ld) = self.expr(k.want(R::expr)?)?;
                let (body, bd) = self.expr(k.want(R::expr)?)?;
                self.node(
                    ExprKind::Quant {
                        kind,
                        var,
                        list: Box::new(list),
                        body: Box::new(body),
                    },
                    span,
                    ld.max(bd),
                )
            }
            other => Err(self.internal(span, other)),
        }
    }
}
