//! Parse time of a large generated ruleset (issue 6: compiling 10,000 rules
//! in under 100 ms). The source has the shape of the issue-6 workload
//! (`semaforo_benches::Workload`): 60% origin-and-HS rules with 5 to 20
//! countries, 20% importer lists of 50 ids, 20% unit-price rules.
//!
//! `cargo bench -p semaforo-syntax --bench parse`; with `--profile-only N`
//! (or the environment variable `SEMAFORO_PARSE_LOOPS=N`) the bench just
//! parses the 10,000-rule source N times, for `perf` or `callgrind`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    missing_docs,
    reason = "a benchmark: it stops on input it made itself and prints its figures"
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use semaforo_syntax::{FileId, parse};

const COUNTRIES: [&str; 20] = [
    "CN", "HK", "VN", "BD", "PK", "IN", "TH", "MY", "ID", "PH", "KR", "JP", "TW", "SG", "US", "CA",
    "MX", "GT", "SV", "HN",
];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// `n` rules in the three families of the issue-6 workload.
fn source(n: usize) -> String {
    let mut rng = Rng(0x5e3a_f0e0 ^ n as u64);
    let mut s = String::from(
        "ruleset \"bench\" version \"1\"\n\
         schema declaration {\n  key id: text\n  origin: text\n  importer: text\n  items: [item]\n}\n\
         record item {\n  hs: text\n  value: number\n  net_kg: number\n}\n",
    );
    for i in 0..n {
        let hs = format!("{:010}", rng.range(100_000_000, 9_799_999_999));
        let when = match i % 5 {
            0..=2 => {
                let k = rng.range(5, 20) as usize;
                let list: Vec<String> = (0..k)
                    .map(|j| format!("\"{}\"", COUNTRIES[j % COUNTRIES.len()]))
                    .collect();
                let len = rng.range(2, 6) as usize;
                format!(
                    "origin in [{}] and any(it in items: it.hs starts with \"{}\" and it.value > {})",
                    list.join(", "),
                    &hs[..len],
                    rng.range(10_000, 100_000)
                )
            }
            3 => {
                let list: Vec<String> = (0..50)
                    .map(|_| format!("\"W-{:07}\"", rng.range(0, 9_999_999)))
                    .collect();
                format!("importer in [{}]", list.join(", "))
            }
            _ => format!(
                "any(it in items: it.hs starts with \"{}\" and it.value / it.net_kg < {} * 0.5)",
                &hs[..6],
                rng.range(2, 9) * 2
            ),
        };
        let _ = writeln!(
            s,
            "rule R{i} \"generated\" {{\n  when {when}\n  then score {}\n}}",
            rng.range(5, 50)
        );
    }
    s
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for n in [100, 1_000, 10_000] {
        let src = source(n);
        g.throughput(Throughput::Bytes(src.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &src, |b, src| {
            b.iter(|| black_box(parse(black_box(src), FileId(0)).unwrap()));
        });
    }
    g.finish();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let loops = args
        .iter()
        .position(|a| a == "--profile-only")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .or_else(|| std::env::var("SEMAFORO_PARSE_LOOPS").ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(loops) = loops {
        let src = source(10_000);
        for _ in 0..loops {
            let t = std::time::Instant::now();
            let file = parse(&src, FileId(0)).unwrap();
            let items = file.items.len();
            eprintln!(
                "parsed {items} items ({} bytes) in {:.1} ms",
                src.len(),
                t.elapsed().as_secs_f64() * 1e3
            );
            black_box(file);
        }
        return;
    }
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_parse(&mut c);
    c.final_summary();
}
