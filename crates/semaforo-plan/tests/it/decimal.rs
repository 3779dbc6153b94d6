//! Exact decimals (SPEC §3.8), checked against an independent 256-bit model.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use proptest::prelude::*;
use semaforo_plan::Decimal;
use semaforo_plan::decimal::{DecimalError, MAX_RAW, SCALE};

fn d(s: &str) -> Decimal {
    Decimal::parse(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .value
}

// ---------------------------------------------------------------------------
// A tiny unsigned 256-bit integer, little-endian 64-bit limbs: enough to
// compute products and quotients exactly, with no shared code with the
// implementation under test.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct U256([u64; 4]);

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &U256) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for U256 {
    /// Most significant limb first (the array is little-endian).
    fn cmp(&self, other: &U256) -> std::cmp::Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

impl U256 {
    fn from_u128(v: u128) -> U256 {
        U256([v as u64, (v >> 64) as u64, 0, 0])
    }

    fn to_u128(self) -> Option<u128> {
        (self.0[2] == 0 && self.0[3] == 0)
            .then(|| u128::from(self.0[0]) | (u128::from(self.0[1]) << 64))
    }

    fn mul(a: u128, b: u128) -> U256 {
        let (a0, a1) = (a as u64, (a >> 64) as u64);
        let (b0, b1) = (b as u64, (b >> 64) as u64);
        let mut out = [0u64; 4];
        for (i, x) in [a0, a1].into_iter().enumerate() {
            let mut carry = 0u128;
            for (j, y) in [b0, b1].into_iter().enumerate() {
                let t = u128::from(x) * u128::from(y) + u128::from(out[i + j]) + carry;
                out[i + j] = t as u64;
                carry = t >> 64;
            }
            let mut k = i + 2;
            while carry != 0 {
                let t = u128::from(out[k]) + carry;
                out[k] = t as u64;
                carry = t >> 64;
                k += 1;
            }
        }
        U256(out)
    }

    fn bit(self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }

    fn shl1(self) -> U256 {
        let mut out = [0u64; 4];
        let mut carry = 0;
        for (i, limb) in self.0.into_iter().enumerate() {
            out[i] = (limb << 1) | carry;
            carry = limb >> 63;
        }
        U256(out)
    }

    fn sub(self, o: U256) -> U256 {
        let mut out = [0u64; 4];
        let mut borrow = 0u64;
        for (i, slot) in out.iter_mut().enumerate() {
            let (x, b1) = self.0[i].overflowing_sub(o.0[i]);
            let (x, b2) = x.overflowing_sub(borrow);
            *slot = x;
            borrow = u64::from(b1 || b2);
        }
        U256(out)
    }

    /// Bitwise long division.
    fn div_rem(self, d: u128) -> (U256, u128) {
        let dd = U256::from_u128(d);
        let mut q = U256([0; 4]);
        let mut r = U256([0; 4]);
        for i in (0..256).rev() {
            r = r.shl1();
            if self.bit(i) {
                r.0[0] |= 1;
            }
            if r >= dd {
                r = r.sub(dd);
                q.0[i / 64] |= 1 << (i % 64);
            }
        }
        (q, r.to_u128().unwrap())
    }
}

/// `n / d` for `n >= 0`, rounded half to even; `None` if above `MAX_RAW`.
fn model_round(n: U256, d: u128) -> Option<i128> {
    let (q, r) = n.div_rem(d);
    let mut q = q.to_u128()?;
    let twice = U256::mul(r, 2);
    let dd = U256::from_u128(d);
    if twice > dd || (twice == dd && q % 2 == 1) {
        q += 1;
    }
    let q = i128::try_from(q).ok()?;
    (q <= MAX_RAW).then_some(q)
}

fn model_mul(a: i128, b: i128) -> Option<i128> {
    let m = model_round(U256::mul(a.unsigned_abs(), b.unsigned_abs()), SCALE as u128)?;
    Some(if (a < 0) != (b < 0) { -m } else { m })
}

fn model_div(a: i128, b: i128) -> Option<i128> {
    if b == 0 {
        return None;
    }
    let m = model_round(U256::mul(a.unsigned_abs(), SCALE as u128), b.unsigned_abs())?;
    Some(if (a < 0) != (b < 0) { -m } else { m })
}

fn raw_strategy() -> impl Strategy<Value = i128> {
    prop_oneof![
        -1_000_000i128..=1_000_000,
        -1_000_000_000_000_000i128..=1_000_000_000_000_000,
        -MAX_RAW..=MAX_RAW,
        // Near the bound and near whole numbers.
        (0i128..1000).prop_map(|k| MAX_RAW - k),
        (0i128..1000).prop_map(|k| -MAX_RAW + k),
        (-1000i128..1000, -3i128..=3).prop_map(|(k, e)| k * SCALE + e),
    ]
}

fn dec(raw: i128) -> Decimal {
    Decimal::from_raw(raw).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn add_and_sub_are_exact(a in raw_strategy(), b in raw_strategy()) {
        let want = |r: i128| (-MAX_RAW..=MAX_RAW).contains(&r).then(|| dec(r));
        prop_assert_eq!(dec(a).checked_add(dec(b)), want(a + b));
        prop_assert_eq!(dec(a).checked_sub(dec(b)), want(a - b));
    }

    #[test]
    fn mul_matches_the_model(a in raw_strategy(), b in raw_strategy()) {
        prop_assert_eq!(dec(a).checked_mul(dec(b)).map(Decimal::raw), model_mul(a, b));
        // Commutative, and symmetric in sign.
        prop_assert_eq!(dec(a).checked_mul(dec(b)), dec(b).checked_mul(dec(a)));
        prop_assert_eq!(dec(a).neg().checked_mul(dec(b)), dec(a).checked_mul(dec(b)).map(Decimal::neg));
    }

    #[test]
    fn div_matches_the_model(a in raw_strategy(), b in raw_strategy()) {
        prop_assert_eq!(dec(a).checked_div(dec(b)).map(Decimal::raw), model_div(a, b));
        prop_assert_eq!(dec(a).neg().checked_div(dec(b)), dec(a).checked_div(dec(b)).map(Decimal::neg));
    }

    #[test]
    fn display_parse_round_trip(a in raw_strategy()) {
        let text = dec(a).to_string();
        let back = Decimal::parse(&text).unwrap();
        prop_assert_eq!(back.value, dec(a));
        prop_assert!(!back.rounded);
        // Canonical form: no trailing fractional zeros, no `+`, no exponent.
        prop_assert!(!(text.contains('.') && text.ends_with('0')), "{}", text);
        prop_assert!(!text.contains('e') && !text.ends_with('.'));
    }

    #[test]
    fn parse_agrees_across_exponent_forms(a in raw_strategy(), shift in 0u32..20) {
        // raw e-6 is the value itself; with `shift` extra zeros on the
        // mantissa and `shift` more on the negative exponent, too.
        let plain = format!("{a}e-6");
        prop_assert_eq!(Decimal::parse(&plain).unwrap().value, dec(a));
        // Zero takes no extra zeros: `00` is not a JSON number (leading zero).
        let zeros = if a == 0 { String::new() } else { "0".repeat(shift as usize) };
        let shifted = format!("{a}{zeros}E-{}", 6 + shift);
        prop_assert_eq!(Decimal::parse(&shifted).unwrap().value, dec(a));
    }

    #[test]
    fn parse_rounds_extra_digits_like_the_model(a in -1_000_000_000_000i128..1_000_000_000_000, extra in 1u32..6) {
        // `a` units of 10^-(6+extra), rounded half to even to millionths.
        let text = format!("{a}e-{}", 6 + extra);
        let want = model_div(a, 10i128.pow(extra) * SCALE).unwrap();
        let parsed = Decimal::parse(&text).unwrap();
        prop_assert_eq!(parsed.value.raw(), want);
        prop_assert_eq!(parsed.rounded, a % 10i128.pow(extra) != 0);
    }

    #[test]
    fn ordering_is_numeric(a in raw_strategy(), b in raw_strategy()) {
        prop_assert_eq!(dec(a).cmp(&dec(b)), a.cmp(&b));
    }
}

#[test]
fn model_self_check() {
    // The model itself, on values small enough for plain i128.
    assert_eq!(model_mul(1_500_000, 2_500_000), Some(3_750_000));
    assert_eq!(model_mul(500_000, 1), Some(0)); // 0.5 * 0.000001 = 0.0000005 -> 0
    assert_eq!(model_mul(1_500_000, 1), Some(2)); // 0.0000015 -> 0.000002
    assert_eq!(model_div(2_000_000, 3_000_000), Some(666_667));
    let (q, r) = U256::mul(u128::MAX, u128::MAX).div_rem(u128::MAX);
    assert_eq!((q.to_u128(), r), (Some(u128::MAX), 0));
}

#[test]
fn textbook_results() {
    assert_eq!(d("0.1").checked_add(d("0.2")), Some(d("0.3")));
    assert_eq!(d("100.10").checked_add(d("399.90")), Some(d("500")));
    let third = d("1").checked_div(d("3")).unwrap();
    assert_eq!(third.to_string(), "0.333333");
    assert_eq!(third.checked_mul(d("3")).unwrap().to_string(), "0.999999");
    assert_eq!(d("2").checked_div(d("3")).unwrap().to_string(), "0.666667");
    assert_eq!(
        d("-2").checked_div(d("3")).unwrap().to_string(),
        "-0.666667"
    );
    assert_eq!(d("1").checked_div(d("-8")).unwrap().to_string(), "-0.125");
    assert_eq!(d("-1.5").checked_mul(d("-2")).unwrap().to_string(), "3");
    assert_eq!(d("-1.5").checked_mul(d("2")).unwrap().to_string(), "-3");
    assert_eq!(d("1.5").checked_sub(d("2")).unwrap().to_string(), "-0.5");
    assert_eq!(d("12.5").checked_div(d("0.5")).unwrap().to_string(), "25");
}

#[test]
fn multiplication_rounds_half_to_even() {
    // 0.001 * 0.0005 = 0.0000005 -> 0 (tie, even); 0.001 * 0.0015 -> 0.000002.
    assert_eq!(d("0.001").checked_mul(d("0.0005")).unwrap(), Decimal::ZERO);
    assert_eq!(
        d("0.001").checked_mul(d("0.0015")).unwrap().to_string(),
        "0.000002"
    );
    assert_eq!(
        d("0.001").checked_mul(d("0.0025")).unwrap().to_string(),
        "0.000002"
    );
    assert_eq!(
        d("0.001").checked_mul(d("0.0035")).unwrap().to_string(),
        "0.000004"
    );
    assert_eq!(d("-0.001").checked_mul(d("0.0005")).unwrap(), Decimal::ZERO);
    assert_eq!(
        d("-0.001").checked_mul(d("0.0015")).unwrap().to_string(),
        "-0.000002"
    );
    // Just above and below a tie.
    assert_eq!(
        d("0.000501").checked_mul(d("0.001")).unwrap().to_string(),
        "0.000001"
    );
    assert_eq!(
        d("0.000499").checked_mul(d("0.001")).unwrap(),
        Decimal::ZERO
    );
}

#[test]
fn division_rounds_half_to_even() {
    // 0.000001 / 2 = 0.0000005 -> 0; 0.000003 / 2 = 0.0000015 -> 0.000002.
    assert_eq!(d("0.000001").checked_div(d("2")).unwrap(), Decimal::ZERO);
    assert_eq!(
        d("0.000003").checked_div(d("2")).unwrap().to_string(),
        "0.000002"
    );
    assert_eq!(
        d("0.000005").checked_div(d("2")).unwrap().to_string(),
        "0.000002"
    );
    assert_eq!(
        d("-0.000003").checked_div(d("2")).unwrap().to_string(),
        "-0.000002"
    );
    assert_eq!(d("-0.000001").checked_div(d("2")).unwrap(), Decimal::ZERO);
}

#[test]
fn parse_rounds_half_to_even() {
    for (input, want, rounded) in [
        ("0.0000005", "0", true),
        ("0.0000015", "0.000002", true),
        ("0.0000025", "0.000002", true),
        ("0.00000250001", "0.000003", true),
        ("-0.0000005", "0", true),
        ("-0.0000015", "-0.000002", true),
        ("0.1234565", "0.123456", true),
        ("0.1234575", "0.123458", true),
        ("0.12345650", "0.123456", true),
        ("1.0000000", "1", false),
        ("1e-7", "0", true),
        ("5e-7", "0", true),
        ("6e-7", "0.000001", true),
        ("1.5e-6", "0.000002", true),
        ("0.999999999", "1", true),
        ("-0", "0", false),
        ("0e5", "0", false),
        ("1E+2", "100", false),
        ("1.25e3", "1250", false),
    ] {
        let p = Decimal::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(p.value.to_string(), want, "{input}");
        assert_eq!(p.rounded, rounded, "{input}");
    }
}

#[test]
fn parse_rejects_non_json_numbers() {
    for bad in [
        "", "-", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "1e-", "1.5.2", "1,5", " 1", "1 ",
        "0x10", "NaN", "inf", "1_000", "١", "--1", "1e5.5",
    ] {
        assert_eq!(Decimal::parse(bad), Err(DecimalError::Syntax), "{bad:?}");
    }
}

#[test]
fn overflow_at_the_bound() {
    let max = Decimal::from_raw(MAX_RAW).unwrap();
    let min = Decimal::from_raw(-MAX_RAW).unwrap();
    assert_eq!(Decimal::from_raw(MAX_RAW + 1), None);
    assert_eq!(Decimal::from_raw(-MAX_RAW - 1), None);
    let tiny = Decimal::from_raw(1).unwrap();
    assert_eq!(max.checked_add(tiny), None);
    assert_eq!(min.checked_sub(tiny), None);
    assert_eq!(max.checked_sub(tiny).unwrap().raw(), MAX_RAW - 1);
    assert_eq!(max.checked_add(min), Some(Decimal::ZERO));
    assert_eq!(max.checked_mul(d("1")), Some(max));
    assert_eq!(max.checked_mul(d("1.000001")), None);
    assert_eq!(max.checked_mul(max), None);
    assert_eq!(min.checked_mul(max), None);
    assert_eq!(max.checked_div(d("0.5")), None);
    assert_eq!(max.checked_div(d("-1")), Some(min));
    assert_eq!(max.checked_div(tiny), None);
    assert_eq!(max.to_string(), "999999999999999999999999999999.999999");
    assert_eq!(Decimal::parse("1e30"), Err(DecimalError::OutOfRange));
    assert_eq!(Decimal::parse("-1e30"), Err(DecimalError::OutOfRange));
    assert_eq!(
        Decimal::parse("999999999999999999999999999999.9999995"),
        Err(DecimalError::OutOfRange)
    );
    assert_eq!(
        Decimal::parse("999999999999999999999999999999.9999994")
            .unwrap()
            .value,
        max
    );
    assert_eq!(
        Decimal::parse("1e999999999999999999999"),
        Err(DecimalError::OutOfRange)
    );
    assert_eq!(
        Decimal::parse("1e-999999999999999999999").unwrap().value,
        Decimal::ZERO
    );
    // A long mantissa that a huge negative exponent brings back into range.
    let long = format!("1{}e-100", "0".repeat(100));
    assert_eq!(Decimal::parse(&long).unwrap().value, d("1"));
}

#[test]
fn division_by_zero_is_none() {
    assert_eq!(d("1").checked_div(Decimal::ZERO), None);
    assert_eq!(Decimal::ZERO.checked_div(Decimal::ZERO), None);
    assert_eq!(d("-5").checked_div(d("0.0000")), None);
}

#[test]
fn integers_and_units() {
    assert_eq!(
        Decimal::from_i64(i64::MIN).to_string(),
        i64::MIN.to_string()
    );
    assert_eq!(Decimal::from_i64(i64::MAX).to_i64(), Some(i64::MAX));
    assert_eq!(d("2.5").to_i64(), None);
    assert_eq!(d("-3").to_i64(), Some(-3));
    assert!(d("-3").is_integer());
    assert!(!d("-3.000001").is_integer());
    assert_eq!(Decimal::from_units(1234, 2), Some(d("12.34")));
    assert_eq!(Decimal::from_units(-5, 6), Some(d("-0.000005")));
    assert_eq!(Decimal::from_units(1, 7), None);
    assert_eq!(d("1e25").to_i64(), None);
}

#[test]
fn display_forms() {
    for (raw, text) in [
        (0, "0"),
        (1, "0.000001"),
        (-1, "-0.000001"),
        (500_000, "0.5"),
        (-500_000, "-0.5"),
        (12_000_000, "12"),
        (12_340_000, "12.34"),
        (-1_000_001, "-1.000001"),
    ] {
        assert_eq!(dec(raw).to_string(), text);
        assert_eq!(format!("{:?}", dec(raw)), text);
    }
}

#[test]
fn zero_with_leading_zeros_is_not_a_json_number() {
    // The case that made the exponent-forms property fail: `00E-7`.
    assert!(Decimal::parse("00E-7").is_err());
    assert_eq!(Decimal::parse("0E-7").unwrap().value, Decimal::ZERO);
}
