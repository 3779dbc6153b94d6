//! Packages, overrides and rule profiles (`docs/language.md`, "Packages and
//! overrides" and "Rule profiles").
//!
//! - A file whose first header is `package "sica" version "2026.4"` belongs
//!   to that package; its rules' ids are qualified (`sica/VAL-001`), and so
//!   are the rule ids its tests name without a qualifier.
//! - The ruleset (`ruleset ...`, in files without a `package` header) says
//!   which packages it builds on with `uses "sica" version "2026.4"`: every
//!   package given must be used, at exactly the version used.
//! - `override sica/VAL-001 { ... }` in the ruleset's own files disables a
//!   package's rule or replaces its window or its actions, with a reason
//!   and an optional last day.
//! - `profile owner "...", level ..., status ..., approved "...",
//!   basis "...", review DATE` on a rule: its owner and lifecycle; only an
//!   `active` rule (the default) is evaluated.

use std::borrow::Cow;

use semaforo_plan::Date;
use semaforo_syntax::ast::{self, ProfileValue};
use semaforo_syntax::{Diagnostic, FileId, Span};

use super::Checker;
use crate::hir::{Adjustment, Level, Overlay, Package, Profile, Status};

/// Letters, digits, `_`, `.` and `-`, starting with a letter or digit: the
/// characters of a rule id, so `sica/VAL-001` reads as one reference.
fn valid_package_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && bytes.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

impl<'a> Checker<'a> {
    /// Reads the `package` headers (one package per file, E0124 for a file
    /// with two, a bad name or a package given at two versions) and the
    /// `uses` items (E0125 for a package used but not given, at another
    /// version, or given but not used).
    pub(super) fn check_packages(
        &mut self,
        packages: &[&'a ast::RulesetHeader],
        uses: &[&'a ast::RulesetHeader],
        headers: &[&'a ast::RulesetHeader],
    ) {
        for h in packages {
            let file = h.span.file;
            let name = &*h.name.value;
            if !valid_package_name(name) {
                self.diags.push(
                    Diagnostic::error(
                        "E0124",
                        h.name.span,
                        format!("`{name}` is not a valid package name"),
                    )
                    .with_help(
                        "a package name is letters, digits, `_`, `.` and `-`, starting with a letter or digit, such as \"sica\"",
                    ),
                );
                continue;
            }
            if let Some(ruleset) = headers.iter().find(|r| r.span.file == file) {
                self.diags.push(
                    Diagnostic::error(
                        "E0124",
                        h.span,
                        "a file is either part of a package or of the ruleset, not both",
                    )
                    .with_label(ruleset.span, "the ruleset's header")
                    .with_help("put the package's items and the ruleset's in separate files"),
                );
                continue;
            }
            if let Some(&(p, first)) = self.file_package.get(&file) {
                let same = self
                    .packages
                    .get(p as usize)
                    .is_some_and(|k| k.name == name);
                if !same {
                    self.diags.push(
                        Diagnostic::error("E0124", h.span, "a file belongs to one package")
                            .with_label(first, "the file's package")
                            .with_help("put each package's items in its own files"),
                    );
                }
                continue;
            }
            let index = match self.packages.iter().position(|k| k.name == name) {
                Some(i) => {
                    let given = self.packages.get(i).map_or("", |k| k.version.as_str());
                    if given != &*h.version.value {
                        let msg = format!(
                            "package `{name}` is given at two versions, {given:?} and {:?}",
                            &*h.version.value
                        );
                        let first = self.package_spans.get(i).copied().unwrap_or(h.span);
                        self.diags.push(
                            Diagnostic::error("E0124", h.version.span, msg)
                                .with_label(first, "first given here")
                                .with_help("compile every file of a package from the same version"),
                        );
                    }
                    i
                }
                None => {
                    self.packages.push(Package {
                        name: name.to_owned(),
                        version: h.version.value.to_string(),
                    });
                    self.package_spans.push(h.span);
                    self.packages.len() - 1
                }
            };
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            self.file_package.insert(file, (index, h.span));
        }

        let mut used = vec![false; self.packages.len()];
        for u in uses {
            if let Some(&(_, pkg)) = self.file_package.get(&u.span.file) {
                self.diags.push(
                    Diagnostic::error("E0125", u.span, "a package cannot use another package")
                        .with_label(pkg, "this file is part of a package")
                        .with_help("write `uses` in the ruleset that builds on the packages"),
                );
                continue;
            }
            let name = &*u.name.value;
            match self.packages.iter().position(|k| k.name == name) {
                None => {
                    let mut d = Diagnostic::error(
                        "E0125",
                        u.name.span,
                        format!("package `{name}` is used but none of the files given is part of it"),
                    )
                    .with_help(format!(
                        "give the package's files first, each starting with `package \"{name}\" version \"{}\"`",
                        &*u.version.value
                    ));
                    if let Some(s) =
                        super::lit::suggest(name, self.packages.iter().map(|k| k.name.as_str()))
                    {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(d);
                }
                Some(i) => {
                    if let Some(flag) = used.get_mut(i) {
                        *flag = true;
                    }
                    let given = self.packages.get(i).map_or("", |k| k.version.as_str());
                    if given != &*u.version.value {
                        let msg = format!(
                            "the ruleset uses `{name}` version {:?}, but version {given:?} was given",
                            &*u.version.value
                        );
                        let at = self.package_spans.get(i).copied().unwrap_or(u.span);
                        self.diags.push(
                            Diagnostic::error("E0125", u.version.span, msg)
                                .with_label(at, "the package given")
                                .with_help(
                                    "review the overrides against the new version, then change the version in `uses`",
                                ),
                        );
                    }
                }
            }
        }
        if !headers.is_empty() {
            for (i, flag) in used.iter().enumerate() {
                if !flag
                    && let (Some(p), Some(&at)) = (self.packages.get(i), self.package_spans.get(i))
                {
                    self.diags.push(
                        Diagnostic::error(
                            "E0125",
                            at,
                            format!("package `{}` is given but the ruleset does not use it", p.name),
                        )
                        .with_help(format!(
                            "add `uses \"{}\" version \"{}\"` to the ruleset, or do not give the package",
                            p.name, p.version
                        )),
                    );
                }
            }
        } else if self.packages.len() > 1 {
            let at = self.package_spans.get(1).copied().unwrap_or_default();
            self.diags.push(
                Diagnostic::error(
                    "E0125",
                    at,
                    "several packages are given but no ruleset uses them",
                )
                .with_help("add a file with a `ruleset` header and a `uses` item for each package"),
            );
        }
    }

    /// The package of the file `file`, if it is part of one.
    pub(super) fn package_of(&self, file: FileId) -> Option<u32> {
        self.file_package.get(&file).map(|&(p, _)| p)
    }

    /// The id a rule defined in `file` as `id` is known by: qualified by
    /// its package (`sica/VAL-001`) in a package's file.
    pub(super) fn qualified(&self, file: FileId, id: &'a str) -> Cow<'a, str> {
        match self
            .package_of(file)
            .and_then(|p| self.packages.get(p as usize))
        {
            Some(p) => Cow::Owned(format!("{}/{id}", p.name)),
            None => Cow::Borrowed(id),
        }
    }

    /// A rule's `profile` clause; E0421 for an unknown key, a key given
    /// twice, or a value of the wrong kind.
    pub(super) fn profile(&mut self, entries: &[ast::ProfileEntry]) -> Profile {
        let mut p = Profile::default();
        let mut seen: Vec<(&str, Span)> = Vec::new();
        for e in entries {
            let key = e.key.name.as_str();
            if let Some(&(_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.diags.push(
                    Diagnostic::error("E0421", e.key.span, format!("`{key}` is given twice"))
                        .with_label(first, "first given here")
                        .with_help("give each profile entry once"),
                );
                continue;
            }
            seen.push((&e.key.name, e.key.span));
            let bad =
                |what: &str| Diagnostic::error("E0421", e.span, format!("`{key}` takes {what}"));
            match (key, &e.value) {
                ("owner", ProfileValue::Str(s)) => p.owner = Some(s.value.to_string()),
                ("approved", ProfileValue::Str(s)) => p.approved = Some(s.value.to_string()),
                ("basis", ProfileValue::Str(s)) => p.basis = Some(s.value.to_string()),
                ("owner" | "approved" | "basis", _) => self.diags.push(
                    bad("a string").with_help(format!("write `{key} \"...\"`")),
                ),
                ("review", ProfileValue::Date(d)) => p.review = self.date(d),
                ("review", _) => self.diags.push(
                    bad("a date").with_help("write `review 2027-06-30`: the day by which the rule must be reviewed"),
                ),
                ("level", ProfileValue::Word(w)) => match w.name.as_str() {
                    "regional" => p.level = Some(Level::Regional),
                    "national" => p.level = Some(Level::National),
                    "office" => p.level = Some(Level::Office),
                    _ => self.diags.push(
                        bad("`regional`, `national` or `office`")
                            .with_help("write the level of the administration that owns the rule"),
                    ),
                },
                ("status", ProfileValue::Word(w)) => match w.name.as_str() {
                    "draft" => p.status = Status::Draft,
                    "active" => p.status = Status::Active,
                    "suspended" => p.status = Status::Suspended,
                    "retired" => p.status = Status::Retired,
                    _ => self.diags.push(
                        bad("`draft`, `active`, `suspended` or `retired`")
                            .with_help("only an `active` rule is evaluated"),
                    ),
                },
                ("level", _) => self.diags.push(bad("`regional`, `national` or `office`")),
                ("status", _) => {
                    self.diags.push(bad("`draft`, `active`, `suspended` or `retired`"));
                }
                _ => self.diags.push(
                    Diagnostic::error("E0421", e.key.span, format!("unknown profile entry `{key}`"))
                        .with_help("the entries are `owner`, `level`, `status`, `approved`, `basis` and `review`"),
                ),
            }
        }
        p
    }

    /// Checks the `override` items and attaches each to its rule: E0418 for
    /// an override in a package's file or of a rule that is not a
    /// package's, E0206 for an unknown rule, E0419 for a second override
    /// of a rule, E0420 for an override that changes nothing.
    pub(super) fn check_overrides(&mut self, overrides: &[&'a ast::Override]) {
        for o in overrides {
            if let Some(&(_, pkg)) = self.file_package.get(&o.span.file) {
                self.diags.push(
                    Diagnostic::error(
                        "E0418",
                        o.target.span,
                        "a package cannot override rules",
                    )
                    .with_label(pkg, "this file is part of a package")
                    .with_help("write overrides in the ruleset that uses the package; change a package's own rules directly"),
                );
                continue;
            }
            if !o.target.name.contains('/') {
                self.diags.push(
                    Diagnostic::error(
                        "E0418",
                        o.target.span,
                        format!("`{}` is not a package's rule", o.target.name),
                    )
                    .with_help("only a package's rules are overridden, named with their package: `sica/VAL-001`; change the ruleset's own rules directly"),
                );
                continue;
            }
            let Some(index) = self.rule_ref(&o.target) else {
                continue;
            };
            let until = o.until.as_ref().and_then(|d| self.date(d));
            let adjust = match &o.change {
                ast::OverrideChange::Disable(_) => None,
                ast::OverrideChange::Adjust { active, actions } => {
                    if active.is_none() && actions.is_empty() {
                        self.diags.push(
                            Diagnostic::error(
                                "E0420",
                                o.target.span,
                                format!("the override of `{}` changes nothing", o.target.name),
                            )
                            .with_help("write `disable`, or an `active` window or `then` actions that replace the rule's"),
                        );
                        continue;
                    }
                    let window = active.as_ref().map(|a| self.window(a));
                    let actions = if actions.is_empty() {
                        None
                    } else {
                        Some(self.actions(actions))
                    };
                    Some(Adjustment { window, actions })
                }
            };
            let Some(rule) = self.rules.get_mut(index as usize) else {
                continue;
            };
            if let Some(first) = &rule.overlay {
                let first = first.span;
                self.diags.push(
                    Diagnostic::error(
                        "E0419",
                        o.target.span,
                        format!("rule `{}` is overridden twice", o.target.name),
                    )
                    .with_label(first, "first override here")
                    .with_help("combine the changes into one override"),
                );
                continue;
            }
            rule.overlay = Some(Overlay {
                reason: o.reason.value.to_string(),
                until,
                adjust,
                span: o.span,
            });
        }
    }

    /// An `active` clause as `(from, to)`; E0405 if it ends before it
    /// starts.
    pub(super) fn window(&mut self, active: &ast::Active) -> (Option<Date>, Option<Date>) {
        let from = active.from.as_ref().and_then(|d| self.date(d));
        let to = active.to.as_ref().and_then(|d| self.date(d));
        if let (Some(f), Some(t), Some(from_lit), Some(to_lit)) =
            (from, to, &active.from, &active.to)
            && t < f
        {
            self.diags.push(
                Diagnostic::error(
                    "E0405",
                    to_lit.span,
                    format!("the active period ends ({t}) before it starts ({f})"),
                )
                .with_label(from_lit.span, "start")
                .with_help("swap the dates"),
            );
        }
        (from, to)
    }
}
