//! How a clearance system embeds Semáforo (see `docs/embedding.md`).
//!
//! Compiles the ruleset once, shares it across worker threads, swaps it on
//! reload, and evaluates declarations filled directly by field handle with
//! per-thread buffers. Run with `cargo run -p semaforo --example embed`.

use semaforo::{
    Compiler, Context, Date, Decimal, FieldHandle, InputError, Outcome, Ruleset, SamplingKey,
};
use std::sync::{Arc, RwLock};

const RULES: &str = r#"
ruleset "embed-demo" version "2026.1"
threshold yellow 40
threshold red 70
schema declaration {
  key id: text
  importer: text
  origin: text
  items: [item]
}
record item {
  hs: text
  value: number
}
list watched_importers: text
rule WATCH-001 "Importer on the watch list" {
  when importer in watched_importers
  then lane red, note "Physical examination"
}
rule ORIG-001 "High-risk origin" { when origin in ["CN", "VN"] then score 45 }
rule RND-001 "Random control" { sample 5% then lane yellow }
"#;

/// The shared, swappable ruleset: readers clone the `Ruleset` (an `Arc`
/// inside) and evaluate without holding the lock.
#[derive(Clone, Default)]
struct Current(Arc<RwLock<Option<Ruleset>>>);

impl Current {
    fn get(&self) -> Option<Ruleset> {
        self.0.read().ok().and_then(|g| g.clone())
    }
    fn swap(&self, new: Ruleset) {
        if let Ok(mut g) = self.0.write() {
            *g = Some(new);
        }
    }
}

/// Compiles the rules with the current watch list. Compile errors carry
/// every diagnostic; a clearance system logs them and keeps the old ruleset.
fn compile(watched: &[&str]) -> Result<Ruleset, semaforo::CompileError> {
    let mut c = Compiler::new();
    c.add_source("embed-demo.sem", RULES);
    c.add_list("watched_importers", watched.iter().copied());
    c.compile()
}

/// Field handles, resolved once per ruleset (they are only valid for the
/// ruleset that made them).
struct Fields {
    id: FieldHandle,
    importer: FieldHandle,
    origin: FieldHandle,
    items: FieldHandle,
    hs: FieldHandle,
    value: FieldHandle,
}

impl Fields {
    fn resolve(r: &Ruleset) -> Result<Fields, InputError> {
        Ok(Fields {
            id: r.field("id")?,
            importer: r.field("importer")?,
            origin: r.field("origin")?,
            items: r.field("items")?,
            hs: r.field("items.hs")?,
            value: r.field("items.value")?,
        })
    }
}

/// A declaration as the host system holds it.
struct Duca<'a> {
    id: &'a str,
    importer: &'a str,
    origin: &'a str,
    lines: &'a [(&'a str, i64)],
}

/// One worker: per-thread buffers, reused for every declaration.
fn worker(current: &Current, ctx: &Context, batch: &[Duca<'_>]) -> Result<Vec<String>, InputError> {
    let Some(ruleset) = current.get() else {
        return Ok(Vec::new());
    };
    let f = Fields::resolve(&ruleset)?;
    let mut decl = ruleset.new_declaration();
    let mut scratch = ruleset.new_scratch();
    let mut out = Outcome::default();
    let mut log = Vec::new();
    for d in batch {
        decl.clear();
        let root = decl.root();
        decl.set_text(root, f.id, d.id)?;
        decl.set_text(root, f.importer, d.importer)?;
        decl.set_text(root, f.origin, d.origin)?;
        decl.start_list(root, f.items)?;
        for (hs, value) in d.lines {
            let it = decl.push(root, f.items)?;
            decl.set_text(it, f.hs, hs)?;
            decl.set_number(it, f.value, Decimal::from_i64(*value))?;
        }
        decl.validate()?;
        ruleset.evaluate(&decl, ctx, &mut scratch, &mut out)?;
        let view = ruleset.view(&decl, ctx, &out);
        // The audit record: the decision, why, and which rules and key made it.
        let mut line = String::new();
        view.write_json(&mut line);
        log.push(line);
    }
    Ok(log)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let current = Current::default();
    current.swap(compile(&["IMP-7"])?);

    // The sampling key comes from the host's secret store; the outcome only
    // records its label.
    let key = SamplingKey(*b"0123456789abcdef");
    let today = Date::parse("2026-06-01").ok_or("bad date")?;
    let ctx = Context::new(today, key, "sampling-2026-06");

    let batch = [
        Duca {
            id: "GT01-1",
            importer: "IMP-7",
            origin: "US",
            lines: &[("6402", 100)],
        },
        Duca {
            id: "GT01-2",
            importer: "IMP-1",
            origin: "CN",
            lines: &[("8471", 900)],
        },
    ];
    let logs: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| worker(&current, &ctx, &batch)))
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .collect::<Result<_, _>>()
    })?;
    let first = &logs.first().ok_or("no worker")?;
    assert!(
        first
            .first()
            .is_some_and(|l| l.contains("\"lane\":\"red\""))
    );

    // Reload: compile the new rules, then swap. Evaluations in flight keep
    // the ruleset they started with; a failed compile keeps the old one.
    match compile(&["IMP-1"]) {
        Ok(new) => current.swap(new),
        Err(e) => return Err(e.into()),
    }
    let after = worker(&current, &ctx, &batch)?;
    assert!(after.get(1).is_some_and(|l| l.contains("WATCH-001")));
    for line in after {
        // A real system writes this to its audit log.
        let _ = line;
    }
    Ok(())
}
