//! Complexity tests: fail when the cost of some work grows super-linearly
//! with the size of its input.
//!
//! [`assert_linear`] times `work` on an input of size `n` and one of size
//! `10 n` and fails when the time grows by [`MAX_RATIO`] (30) times or more
//! (linear work grows 10 to 20 times, quadratic work about 100 times).
//!
//! Time is the only measure that sees a quadratic loop, so the harness is
//! built to be robust to a busy machine: the time is the thread's CPU time
//! where Linux reports it (time spent waiting for a core does not count),
//! `n` grows until the work takes at least [`TARGET`] (whatever the build
//! profile), each size is timed more than once and the fastest run counts
//! (the big input a second time only when its first run fails),
//! and all measurements of a process run one at a time (a lock), so tests
//! do not slow each other down. Work that spawns threads is measured on the
//! calling thread only; keep such work off the measured path.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Measurements of one process run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The smallest time of the small input.
pub const TARGET: Duration = Duration::from_millis(20);

/// The largest accepted growth of the time from `n` to `10 n`. Linear code
/// grows about 10 times in theory, and up to about 19 times measured
/// (debug and release builds, on a loaded 2-core machine): the small input
/// fits in the caches and the large one does not. Once timed in exact
/// thread CPU time, checking 6,553 then 65,530 lanes grew 32 to 37 times
/// while its instruction count (callgrind) grew 9.97 times: the large
/// input's allocations miss the caches. Quadratic code grows about 100
/// times.
pub const MAX_RATIO: f64 = 50.0;

/// The CPU time this thread has run (`clock_gettime` of
/// `CLOCK_THREAD_CPUTIME_ID`): unlike wall time, it does not count the
/// time other processes of a busy machine hold the cores. (The scheduler's
/// `/proc/thread-self/schedstat`, read here before, is brought up to date
/// only at a tick or a context switch, so on an idle tickless core it
/// read 0 ns for 20 ms of work.)
fn thread_cpu_time() -> Option<Duration> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let secs = u64::try_from(t.tv_sec).ok()?;
    let nanos = u32::try_from(t.tv_nsec).ok()?;
    Some(Duration::new(secs, nanos))
}

/// The fastest of `runs` runs of `f`, in thread CPU time where available,
/// else in wall time.
pub fn fastest(runs: u32, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let (cpu, wall) = (thread_cpu_time(), Instant::now());
            f();
            match (cpu, thread_cpu_time()) {
                (Some(a), Some(b)) => b.saturating_sub(a),
                _ => wall.elapsed(),
            }
        })
        .min()
        .unwrap_or_default()
}

/// Times `work` on `make(n)` and `make(10 n)`, with `n` grown from
/// `start` (up to `max_n`) until the small input takes [`TARGET`], and
/// panics (failing the test) if the time grows [`MAX_RATIO`] times or more.
#[expect(clippy::panic, reason = "a test assertion")]
pub fn assert_linear<T>(
    what: &str,
    start: usize,
    max_n: usize,
    make: impl Fn(usize) -> T,
    work: impl Fn(&T),
) {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut n = start;
    let input = loop {
        let input = make(n);
        let t = fastest(1, || work(&input));
        if t >= TARGET || n * 2 > max_n {
            break input;
        }
        // Straight to about the target (a power of two times `start`).
        let mut factor = 2;
        while factor < 64 && t * factor < TARGET {
            factor *= 2;
        }
        n = (n * factor as usize).min(max_n);
    };
    let small = fastest(3, || work(&input));
    drop(input);
    let big_input = make(10 * n);
    let ratio_of = |big: Duration| big.as_secs_f64() / small.as_secs_f64().max(1e-9);
    // The fastest of two runs of the big input, the second only when the
    // first fails: a second run can only lower the time, so when the first
    // passes the verdict is already that of the two, for half the work.
    let mut big = fastest(1, || work(&big_input));
    if ratio_of(big) >= MAX_RATIO {
        big = big.min(fastest(1, || work(&big_input)));
    }
    let ratio = ratio_of(big);
    if ratio >= MAX_RATIO {
        panic!(
            "{what}: {n} -> {}: {small:?} -> {big:?} (x{ratio:.1}); linear time grows about x10, quadratic x100",
            10 * n
        );
    }
}
