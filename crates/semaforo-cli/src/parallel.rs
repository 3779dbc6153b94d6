//! Running a batch of declarations on several evaluators at once, for the
//! commands that read a whole history (`diff`, `calibrate`).

use std::ops::Range;

/// Below this many declarations a batch runs on the calling thread: a
/// thread costs more than it saves.
const SMALL_BATCH: usize = 256;

/// Splits `batch` into one contiguous range per worker state in `workers`
/// and runs `job` on each, on scoped threads (on the calling thread alone
/// for one worker or a small batch); the results come in range order, so
/// the caller can merge them in input order. A job that panics gives
/// `lost(range)` instead, so no declaration is dropped from the counts.
pub(crate) fn split_batch<W: Send, T: Send>(
    workers: &mut [W],
    batch: Range<usize>,
    job: &(impl Fn(Range<usize>, &mut W) -> T + Sync),
    lost: &(impl Fn(Range<usize>) -> T + Sync),
) -> Vec<T> {
    let (start, end) = (batch.start, batch.end);
    if workers.len() <= 1 || end.saturating_sub(start) < SMALL_BATCH {
        return workers
            .first_mut()
            .map(|w| job(start..end, w))
            .into_iter()
            .collect();
    }
    let per = (end - start).div_ceil(workers.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = workers
            .iter_mut()
            .enumerate()
            .map(|(i, w)| {
                let a = (start + i * per).min(end);
                let b = (a + per).min(end);
                (a..b, s.spawn(move || job(a..b, w)))
            })
            .collect();
        handles
            .into_iter()
            .map(|(r, h)| h.join().unwrap_or_else(|_| lost(r)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_batch_in_order_and_a_panic_is_counted() {
        let mut workers = vec![0usize; 3];
        let job = |r: Range<usize>, w: &mut usize| {
            *w += 1;
            assert!(!r.contains(&700), "a worker fails");
            r
        };
        let lost = |r: Range<usize>| r;
        let out = split_batch(&mut workers, 0..1000, &job, &lost);
        assert_eq!(out, vec![0..334, 334..668, 668..1000]);
        let small = split_batch(&mut workers, 5..20, &job, &lost);
        assert_eq!(small, vec![5..20]);
    }
}
