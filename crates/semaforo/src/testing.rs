//! Running a ruleset's `test` blocks (SPEC §3.7).

use crate::ruleset::{Context, InputError, Ruleset};
use semaforo_compile::hir::TestExpect;
use semaforo_plan::Date;
use semaforo_syntax::Span;

/// One unmet expectation (or a `given` object that could not be bound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestFailure {
    /// The `expect` line, or the `given` object.
    pub span: Span,
    /// What was expected and what happened.
    pub message: String,
}

/// The result of one test block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// The test's name.
    pub name: String,
    /// The whole test block.
    pub span: Span,
    /// The date it ran on.
    pub today: Date,
    /// Empty when the test passed.
    pub failures: Vec<TestFailure>,
}

impl TestResult {
    /// True if every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Ruleset {
    /// The tests of the packages this ruleset uses, which
    /// [`Ruleset::run_tests`] does not run (0 for a package compiled on its
    /// own or a ruleset without packages).
    pub fn package_tests_not_run(&self) -> usize {
        if self.program().has_root {
            self.tests().iter().filter(|t| t.package.is_some()).count()
        } else {
            0
        }
    }

    /// Runs every test block. `ctx` supplies the sampling key and the date
    /// used by tests without `today`.
    ///
    /// The tests of a package test the package as published: they run when
    /// the package is compiled on its own, and not in a ruleset that uses
    /// it (where its overrides may change what they expect);
    /// [`Ruleset::package_tests_not_run`] counts them.
    pub fn run_tests(&self, ctx: &Context) -> Vec<TestResult> {
        let mut ev = self.evaluator();
        let mut results = Vec::new();
        let has_root = self.program().has_root;
        for t in self
            .tests()
            .iter()
            .filter(|t| !(has_root && t.package.is_some()))
        {
            let mut c = ctx.clone();
            if let Some(d) = t.today {
                c.today = d;
            }
            let mut failures = Vec::new();
            match ev.eval_json(t.given.as_bytes(), &c) {
                Err(e) => {
                    let span = match &e {
                        InputError::Json(j) => {
                            let at = t.given_span.start.saturating_add(j.offset as u32);
                            Span::new(
                                t.given_span.file,
                                at,
                                at.saturating_add(1).min(t.given_span.end),
                            )
                        }
                        _ => t.given_span,
                    };
                    failures.push(TestFailure {
                        span,
                        message: format!("the `given` declaration cannot be bound: {e}"),
                    });
                }
                Ok(out) => {
                    let fired: Vec<&str> = out.fired().map(|f| f.id).collect();
                    let monitored: Vec<&str> = out.monitored().map(|f| f.id).collect();
                    let undetermined: Vec<&str> = out.undetermined().collect();
                    let notes: Vec<&str> = out.notes().collect();
                    let rule_id =
                        |i: u32| self.plan().rules().get(i as usize).map_or("?", |r| &*r.id);
                    for e in &t.expects {
                        let failure = match e {
                            TestExpect::Lane(l, _) => {
                                let want = self.lanes().get(l.0 as usize).map_or("?", |s| s);
                                (out.lane() != want).then(|| {
                                    format!(
                                        "expected lane `{want}`, found `{}` (score {}, fired: {})",
                                        out.lane(),
                                        out.score(),
                                        list(&fired)
                                    )
                                })
                            }
                            TestExpect::Score(s, _) => (out.score() != *s).then(|| {
                                format!(
                                    "expected score {s}, found {} (fired: {})",
                                    out.score(),
                                    list(&fired)
                                )
                            }),
                            TestExpect::Fired(r, _) => {
                                let id = rule_id(*r);
                                (!fired.contains(&id)).then(|| {
                                    let why = if undetermined.contains(&id) {
                                        " (it was undetermined: data it needs is missing)"
                                    } else {
                                        ""
                                    };
                                    format!("expected `{id}` to fire{why}; fired: {}", list(&fired))
                                })
                            }
                            TestExpect::NotFired(r, _) => {
                                let id = rule_id(*r);
                                fired
                                    .contains(&id)
                                    .then(|| format!("expected `{id}` not to fire, but it fired"))
                            }
                            TestExpect::Undetermined(r, _) => {
                                let id = rule_id(*r);
                                (!undetermined.contains(&id)).then(|| {
                                    format!(
                                        "expected `{id}` to be undetermined; undetermined: {}",
                                        list(&undetermined)
                                    )
                                })
                            }
                            TestExpect::Monitored(r, _) => {
                                let id = rule_id(*r);
                                (!monitored.contains(&id)).then(|| {
                                    format!(
                                        "expected shadow rule `{id}` to be monitored (it would have fired); monitored: {}",
                                        list(&monitored)
                                    )
                                })
                            }
                            TestExpect::Note(n, _) => (!notes.contains(&n.as_str()))
                                .then(|| format!("expected note `{n}`; notes: {}", list(&notes))),
                        };
                        if let Some(message) = failure {
                            failures.push(TestFailure {
                                span: expect_span(e),
                                message,
                            });
                        }
                    }
                }
            }
            results.push(TestResult {
                name: t.name.clone(),
                span: t.span,
                today: c.today,
                failures,
            });
        }
        results
    }
}

fn expect_span(e: &TestExpect) -> Span {
    match e {
        TestExpect::Lane(_, s)
        | TestExpect::Score(_, s)
        | TestExpect::Fired(_, s)
        | TestExpect::NotFired(_, s)
        | TestExpect::Undetermined(_, s)
        | TestExpect::Monitored(_, s)
        | TestExpect::Note(_, s) => *s,
    }
}
