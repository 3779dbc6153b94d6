//! The complexity harness (`semaforo_testkit::complexity`) tells a
//! quadratic loop from a linear one with the clock and ratio it uses;
//! otherwise every complexity test could pass whatever the code does.

use semaforo_testkit::complexity::assert_linear;
use std::hint::black_box;

#[test]
fn a_quadratic_loop_fails_and_a_linear_one_passes() {
    let quadratic = std::panic::catch_unwind(|| {
        // At most 2,000 elements: 4 million steps, then 400 million.
        assert_linear(
            "quadratic",
            64,
            2_000,
            |n| (0..n as u64).collect::<Vec<u64>>(),
            |v| {
                let mut acc = 0u64;
                for &a in v {
                    for &b in v {
                        acc = acc.wrapping_add(black_box(a ^ b));
                    }
                }
                black_box(acc);
            },
        );
    });
    let Err(payload) = quadratic else {
        panic!("a quadratic loop passed as linear");
    };
    let message = payload.downcast_ref::<String>().map_or("", String::as_str);
    assert!(message.starts_with("quadratic: 2000 -> 20000"), "{message}");
    // A few steps per element, up to 400,000 elements (3 MiB).
    assert_linear(
        "linear",
        1024,
        400_000,
        |n| (0..n as u64).collect::<Vec<u64>>(),
        |v| {
            let mut acc = 0u64;
            for &b in v {
                for k in 0..16u64 {
                    acc = acc.rotate_left(5) ^ black_box(b.wrapping_mul(k));
                }
            }
            black_box(acc);
        },
    );
}
