//! Sampling draws (SPEC §3.4) checked against an independent SipHash-2-4
//! written from the paper (Aumasson & Bernstein, "SipHash: a fast
//! short-input PRF", 2012), itself checked on the reference vectors.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use proptest::prelude::*;
use semaforo_plan::SamplingKey;
use semaforo_plan::sample::{DRAW_MODULUS, draw};

/// SipHash-2-4 of `msg` under the 128-bit key `key` (k0 = first 8 bytes
/// little-endian, k1 = last 8), as in the paper.
fn siphash24(key: &[u8; 16], msg: &[u8]) -> u64 {
    let k0 = u64::from_le_bytes(key[..8].try_into().unwrap());
    let k1 = u64::from_le_bytes(key[8..].try_into().unwrap());
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13);
        v[1] ^= v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16);
        v[3] ^= v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21);
        v[3] ^= v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17);
        v[1] ^= v[2];
        v[2] = v[2].rotate_left(32);
    }
    let mut compress = |m: u64| {
        v[3] ^= m;
        round(&mut v);
        round(&mut v);
        v[0] ^= m;
    };
    let mut chunks = msg.chunks_exact(8);
    for c in &mut chunks {
        compress(u64::from_le_bytes(c.try_into().unwrap()));
    }
    // The last block: the remaining bytes, and the length mod 256 in the
    // top byte.
    let mut last = [0u8; 8];
    let rest = chunks.remainder();
    last[..rest.len()].copy_from_slice(rest);
    last[7] = msg.len() as u8;
    compress(u64::from_le_bytes(last));
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// The draw as SPEC §3.4 defines it, from the independent SipHash.
fn model_draw(key: &[u8; 16], rule: &str, value: &str) -> u32 {
    let mut msg = rule.as_bytes().to_vec();
    msg.push(0x1F);
    msg.extend_from_slice(value.as_bytes());
    (siphash24(key, &msg) % 1_000_000) as u32
}

const REFERENCE_KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// The first 16 outputs of the reference implementation's `vectors.h`
/// (message `i` is the bytes `00 01 .. i-1`), as little-endian bytes.
const REFERENCE_VECTORS: [[u8; 8]; 16] = [
    [0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72],
    [0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74],
    [0x5a, 0x4f, 0xa9, 0xd9, 0x09, 0x80, 0x6c, 0x0d],
    [0x2d, 0x7e, 0xfb, 0xd7, 0x96, 0x66, 0x67, 0x85],
    [0xb7, 0x87, 0x71, 0x27, 0xe0, 0x94, 0x27, 0xcf],
    [0x8d, 0xa6, 0x99, 0xcd, 0x64, 0x55, 0x76, 0x18],
    [0xce, 0xe3, 0xfe, 0x58, 0x6e, 0x46, 0xc9, 0xcb],
    [0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab],
    [0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93],
    [0xb0, 0xe4, 0xa9, 0x0b, 0xdf, 0x82, 0x00, 0x9e],
    [0xf3, 0xb9, 0xdd, 0x94, 0xc5, 0xbb, 0x5d, 0x7a],
    [0xa7, 0xad, 0x6b, 0x22, 0x46, 0x2f, 0xb3, 0xf4],
    [0xfb, 0xe5, 0x0e, 0x86, 0xbc, 0x8f, 0x1e, 0x75],
    [0x90, 0x3d, 0x84, 0xc0, 0x27, 0x56, 0xea, 0x14],
    [0xee, 0xf2, 0x7a, 0x8e, 0x90, 0xca, 0x23, 0xf7],
    [0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1],
];

#[test]
fn independent_siphash_matches_the_reference_vectors() {
    let msg: Vec<u8> = (0u8..16).collect();
    for (len, want) in REFERENCE_VECTORS.iter().enumerate() {
        assert_eq!(
            siphash24(&REFERENCE_KEY, &msg[..len]),
            u64::from_le_bytes(*want),
            "length {len}"
        );
    }
    // The paper's own example: the 15-byte message.
    assert_eq!(siphash24(&REFERENCE_KEY, &msg[..15]), 0xa129_ca61_49be_45e5);
}

#[test]
fn draw_matches_the_model_on_the_reference_key() {
    let key = SamplingKey(REFERENCE_KEY);
    for (rule, value) in [
        ("RND-001", "GT-2026-000123"),
        ("RND-001", ""),
        ("", ""),
        ("A", "é😀"),
        (
            "RULE.WITH-LONG_ID.0123456789",
            "0123456789012345678901234567890123456789",
        ),
    ] {
        assert_eq!(
            draw(&key, rule, value),
            model_draw(&REFERENCE_KEY, rule, value),
            "{rule} {value}"
        );
    }
}

#[test]
fn draw_matches_the_model_below_at_and_above_the_stack_buffer() {
    // Messages of 2 to 302 bytes: hashed from the stack up to 128 bytes,
    // fed in three parts past it; every block alignment of both parts.
    let key = SamplingKey(REFERENCE_KEY);
    for rule in ["R", "RND-001"] {
        for n in 0..300 {
            let value: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            assert_eq!(
                draw(&key, rule, &value),
                model_draw(&REFERENCE_KEY, rule, &value),
                "{rule} and a value of {n} bytes"
            );
        }
    }
}

#[test]
fn the_separator_keeps_rule_and_value_apart() {
    let key = SamplingKey(REFERENCE_KEY);
    // Same concatenation without the separator, different messages with it.
    assert_ne!(draw(&key, "AB", "C"), draw(&key, "A", "BC"));
}

/// `tests/data/sampling_vectors.txt`: documented vectors other
/// implementations can check themselves against.
#[test]
fn documented_vectors() {
    let text = include_str!("../data/sampling_vectors.txt");
    let mut checked = 0;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 5, "{line}");
        let key_bytes: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&cols[0][2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let key: [u8; 16] = key_bytes.try_into().unwrap();
        let (rule, value) = (cols[1], cols[2]);
        let hash = u64::from_str_radix(cols[3], 16).unwrap();
        let want: u32 = cols[4].parse().unwrap();
        let mut msg = rule.as_bytes().to_vec();
        msg.push(0x1F);
        msg.extend_from_slice(value.as_bytes());
        assert_eq!(siphash24(&key, &msg), hash, "{line}");
        assert_eq!(u64::from(want), hash % DRAW_MODULUS, "{line}");
        assert_eq!(draw(&SamplingKey(key), rule, value), want, "{line}");
        checked += 1;
    }
    assert!(checked >= 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn draw_matches_the_model(key in any::<[u8; 16]>(), rule in "[A-Za-z0-9][A-Za-z0-9_.-]{0,30}", value in any::<String>()) {
        let got = draw(&SamplingKey(key), &rule, &value);
        prop_assert_eq!(got, model_draw(&key, &rule, &value));
        prop_assert!(u64::from(got) < DRAW_MODULUS);
    }
}

#[test]
fn draws_are_roughly_uniform() {
    // 100,000 declarations at 2.5%: the selected share is within 0.3 points.
    let key = SamplingKey(*b"semaforo-test-k!");
    let threshold = 25_000; // round(2.5 * 10_000)
    let n = 100_000;
    let selected = (0..n)
        .filter(|i| draw(&key, "RND-001", &format!("GT-2026-{i:06}")) < threshold)
        .count();
    let share = selected as f64 / f64::from(n);
    assert!((share - 0.025).abs() < 0.003, "{share}");
}

#[test]
fn the_key_is_never_printed() {
    let key = SamplingKey(*b"super secret key");
    assert!(!format!("{key:?}").contains("secret"));
}

#[test]
#[ignore = "prints the vectors of tests/data/sampling_vectors.txt"]
fn print_vectors() {
    for (key, rule, value) in vector_inputs() {
        let mut msg = rule.as_bytes().to_vec();
        msg.push(0x1F);
        msg.extend_from_slice(value.as_bytes());
        let h = siphash24(&key, &msg);
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        println!("{hex}\t{rule}\t{value}\t{h:016x}\t{}", h % 1_000_000);
    }
}

fn vector_inputs() -> Vec<([u8; 16], &'static str, &'static str)> {
    vec![
        (REFERENCE_KEY, "RND-001", "GT-2026-000123"),
        (REFERENCE_KEY, "RND-001", "GT-2026-000124"),
        (REFERENCE_KEY, "RND-002", "GT-2026-000123"),
        (REFERENCE_KEY, "RND-001", ""),
        (REFERENCE_KEY, "VAL.001", "SV-2026-Ñandú-7"),
        (*b"semaforo-key-002", "RND-001", "GT-2026-000123"),
    ]
}

#[test]
fn a_key_is_wiped_and_never_shown() {
    let mut k = semaforo_plan::SamplingKey(*b"0123456789abcdef");
    assert_eq!(format!("{k:?}"), "SamplingKey(..)");
    k.wipe();
    assert_eq!(k.0, [0; 16]);
}
