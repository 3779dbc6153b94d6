//! Reload under load: eight workers evaluate while a reloader compiles and
//! swaps in a new ruleset 1,000 times, following the recipe of
//! `docs/embedding.md` ("Share across threads, swap on reload").
//!
//! Checked for every single evaluation: it succeeded (no outcome lost);
//! the outcome names the fingerprint, version and engine of exactly the
//! ruleset the worker took, and its score is that ruleset's (never a mix of
//! two); and that ruleset was not older than the one already published
//! when the evaluation began (no stale ruleset after a swap).

use semaforo::{Compiler, Context, Date, Ruleset};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

const SWAPS: u64 = 1_000;
const WORKERS: usize = 8;

/// The slot of `docs/embedding.md`: readers clone, the reloader replaces.
/// The generation rides with the ruleset so a reader knows which it got.
#[derive(Clone, Default)]
struct Current(Arc<RwLock<Option<(u64, Ruleset)>>>);

impl Current {
    fn get(&self) -> Option<(u64, Ruleset)> {
        self.0.read().ok().and_then(|g| g.clone())
    }
    fn swap(&self, generation: u64, new: Ruleset) {
        if let Ok(mut g) = self.0.write() {
            *g = Some((generation, new));
        }
    }
}

/// Generation `g` scores `g` on every declaration from `origin` "CN".
fn compile(g: u64) -> Ruleset {
    let mut c = Compiler::new();
    c.add_source(
        "reload.sem",
        format!(
            r#"ruleset "reload" version "{g}"
schema declaration {{ key id: text
  origin: text }}
list watched: text
rule G "generation" {{ when origin == "CN" then score {g} }}
rule W "watched" {{ when id in watched then lane red }}
"#
        ),
    );
    c.add_list("watched", [format!("D{g}")]);
    c.compile().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn eight_workers_evaluate_while_the_ruleset_is_swapped_1000_times() {
    let current = Current::default();
    current.swap(0, compile(0));
    // The fingerprint of every generation, filled in by the reloader
    // before it publishes that generation.
    let fingerprints = Arc::new(Mutex::new(vec![compile(0).fingerprint_hex().to_string()]));
    let published = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (current, published, done) = (current.clone(), published.clone(), done.clone());
            std::thread::spawn(move || {
                let ctx = Context::new(Date::parse("2026-06-01").unwrap(), Default::default(), "k");
                // (generation taken, generation published before, outcome line)
                let mut seen = Vec::new();
                let mut attempts = 0u64;
                let mut held: Option<(u64, semaforo::Evaluator)> = None;
                let mut n = 0u64;
                loop {
                    let finished = done.load(Ordering::Acquire);
                    let before = published.load(Ordering::Acquire);
                    let (g, rs) = current.get().unwrap();
                    // Per-thread buffers belong to one ruleset: rebuild them
                    // when the generation changes.
                    if held.as_ref().is_none_or(|(hg, _)| *hg != g) {
                        held = Some((g, rs.evaluator()));
                    }
                    let (_, ev) = held.as_mut().unwrap();
                    n += 1;
                    attempts += 1;
                    let input = format!(r#"{{"id": "D{}", "origin": "CN"}}"#, n % 7);
                    let out = ev.eval_json(input.as_bytes(), &ctx).unwrap_or_else(|e| {
                        panic!("worker {w}: evaluation failed on generation {g}: {e}")
                    });
                    let mut line = String::new();
                    out.write_json(&mut line);
                    seen.push((g, before, line));
                    if finished {
                        break;
                    }
                }
                (attempts, seen)
            })
        })
        .collect();

    for g in 1..=SWAPS {
        let rs = compile(g);
        fingerprints
            .lock()
            .unwrap()
            .push(rs.fingerprint_hex().to_string());
        current.swap(g, rs);
        published.store(g, Ordering::Release);
    }
    done.store(true, Ordering::Release);

    let fingerprints = fingerprints.lock().unwrap().clone();
    let mut total = 0u64;
    let mut generations_seen = std::collections::BTreeSet::new();
    for h in workers {
        let (attempts, seen) = h.join().unwrap();
        assert_eq!(attempts, seen.len() as u64, "an outcome was lost");
        total += attempts;
        for (g, before, line) in seen {
            let o: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert!(
                g >= before,
                "generation {g} used after {before} was published"
            );
            assert_eq!(o["ruleset"]["version"], g.to_string(), "{line}");
            assert_eq!(
                o["ruleset"]["fingerprint"], fingerprints[g as usize],
                "{line}"
            );
            assert_eq!(o["ruleset"]["engine"], semaforo::ENGINE_VERSION, "{line}");
            assert_eq!(o["score"], g, "{line}");
            let watched = o["id"] == format!("D{g}");
            assert_eq!(o["lane"], if watched { "red" } else { "green" }, "{line}");
            generations_seen.insert(g);
        }
    }
    // The last generation is always seen: every worker evaluates once more
    // after the reloader finished.
    assert!(generations_seen.contains(&SWAPS));
    assert!(total >= WORKERS as u64);
}
