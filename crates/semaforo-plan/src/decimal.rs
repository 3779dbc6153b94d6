//! Exact decimal numbers (SPEC §3.8).
//!
//! A [`Decimal`] is an integer count of millionths held in an `i128`: six
//! fractional digits (the WCO Data Model's finest format, n..16,6) and 30
//! integer digits (the spec asks for at least 24). `+` and `-` are exact;
//! `*` and `/` round half to even to six fractional digits; any result whose
//! magnitude would reach 10^30 is an overflow (`None`, which the evaluator
//! turns into *missing*). Every intermediate product stays below 2^127, so no
//! wider integer type is needed (see `checked_mul` and `checked_div`).

use std::cmp::Ordering;
use std::fmt;
use std::num::NonZeroU64;

/// Units per whole number: six fractional digits.
pub const SCALE: i128 = 1_000_000;

/// The largest raw magnitude: 10^36 - 1 millionths, i.e. 30 integer digits.
pub const MAX_RAW: i128 = 1_000_000_000_000_000_000_000_000_000_000_000_000 - 1;

/// An exact decimal with six fractional digits.
///
/// Ordering and equality are exact: `100.10 + 399.90 == 500`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal {
    // INVARIANT (range): -MAX_RAW <= raw <= MAX_RAW; kept by every
    // constructor and checked arithmetic below.
    raw: i128,
}

/// Why text could not be read as a [`Decimal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not a number in JSON syntax (`-?digits(.digits)?([eE][+-]?digits)?`).
    #[error("not a valid number")]
    Syntax,
    /// The magnitude is 10^30 or more.
    #[error("number out of range (at most 30 integer digits)")]
    OutOfRange,
}

/// The result of [`Decimal::parse`]: the value, and whether digits beyond the
/// sixth fractional place were rounded away (a lint for literals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The value, rounded half to even to six fractional digits.
    pub value: Decimal,
    /// True if a non-zero digit was dropped by rounding.
    pub rounded: bool,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal { raw: 0 };

    /// The value `raw / 10^6`, if in range.
    pub const fn from_raw(raw: i128) -> Option<Decimal> {
        if raw > MAX_RAW || raw < -MAX_RAW {
            None
        } else {
            Some(Decimal { raw })
        }
    }

    /// `m` millionths, negated if `negative`, for a magnitude `m` of at
    /// most 2^64 (always in range).
    #[inline(always)]
    const fn signed(m: i128, negative: bool) -> Decimal {
        Decimal {
            raw: if negative { -m } else { m },
        }
    }

    /// The count of millionths.
    pub const fn raw(self) -> i128 {
        self.raw
    }

    /// An integer value (always in range).
    pub const fn from_i64(v: i64) -> Decimal {
        Decimal {
            raw: v as i128 * SCALE,
        }
    }

    /// The value as `int64` units at the given scale (number of fractional
    /// digits, 0..=6) when it is exactly representable there.
    pub fn from_units(units: i64, scale: u32) -> Option<Decimal> {
        if scale > 6 {
            return None;
        }
        let mul = 10i128.pow(6 - scale);
        Decimal::from_raw(i128::from(units) * mul)
    }

    /// True if the value has no fractional part.
    pub const fn is_integer(self) -> bool {
        self.raw % SCALE == 0
    }

    /// The points of a `score` (SPEC §3.9): the value rounded half to even
    /// to an integer, clamped to -1,000,000..=1,000,000.
    ///
    /// ```
    /// use semaforo_plan::Decimal;
    /// let p = |s: &str| Decimal::parse(s).unwrap().value.to_points();
    /// assert_eq!((p("2.5"), p("3.5"), p("-2.5"), p("2.500001")), (2, 4, -2, 3));
    /// assert_eq!((p("1000000.5"), p("-7000000")), (1_000_000, -1_000_000));
    /// ```
    pub fn to_points(self) -> i64 {
        const LIMIT: i128 = 1_000_000;
        let (q, r) = (self.raw / SCALE, self.raw % SCALE);
        // `q` rounds towards zero; move away from zero above one half, and
        // at exactly one half when that makes `q` even.
        let half = SCALE / 2;
        let away = r.abs() > half || (r.abs() == half && q % 2 != 0);
        let n = if away { q + r.signum() } else { q };
        // Within ±LIMIT, so the cast is exact.
        n.clamp(-LIMIT, LIMIT) as i64
    }

    /// The integer value if the decimal is an integer that fits in `i64`.
    pub fn to_i64(self) -> Option<i64> {
        if self.is_integer() {
            i64::try_from(self.raw / SCALE).ok()
        } else {
            None
        }
    }

    /// Reads a number in JSON syntax, exactly: `12`, `-0.5`, `1.25e3`.
    /// Digits past the sixth fractional place are rounded half to even.
    pub fn parse(text: &str) -> Result<Parsed, DecimalError> {
        let bytes = text.as_bytes();
        let mut pos = 0usize;
        let negative = bytes.first() == Some(&b'-');
        if negative {
            pos += 1;
        }
        let int_start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        let int_digits = bytes.get(int_start..pos).unwrap_or_default();
        if int_digits.is_empty() {
            return Err(DecimalError::Syntax);
        }
        // JSON forbids leading zeros such as `012`.
        if int_digits.len() > 1 && int_digits.first() == Some(&b'0') {
            return Err(DecimalError::Syntax);
        }
        let mut frac_digits: &[u8] = &[];
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            frac_digits = bytes.get(start..pos).unwrap_or_default();
            if frac_digits.is_empty() {
                return Err(DecimalError::Syntax);
            }
        }
        let mut exp: i64 = 0;
        if matches!(bytes.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            let exp_negative = match bytes.get(pos) {
                Some(b'-') => {
                    pos += 1;
                    true
                }
                Some(b'+') => {
                    pos += 1;
                    false
                }
                _ => false,
            };
            let start = pos;
            while let Some(d) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
                // Saturate: any exponent beyond a billion is out of range or
                // rounds to zero anyway.
                exp = (exp * 10 + i64::from(d - b'0')).min(1_000_000_000);
                pos += 1;
            }
            if pos == start {
                return Err(DecimalError::Syntax);
            }
            if exp_negative {
                exp = -exp;
            }
        }
        if pos != bytes.len() {
            return Err(DecimalError::Syntax);
        }

        // Fast path for the common forms (`12`, `-0.5`, `250.25`): no
        // exponent, at most six fractional digits, and few enough integer
        // digits that the value is in range without checks (24 + 6 digits
        // stay below 10^30 < MAX_RAW).
        if exp == 0 && int_digits.len() <= 24 && frac_digits.len() <= 6 {
            let mut acc: u128 = 0;
            for &b in int_digits.iter().chain(frac_digits) {
                acc = acc * 10 + u128::from(b - b'0');
            }
            for _ in frac_digits.len()..6 {
                acc *= 10;
            }
            let acc = acc as i128;
            return Ok(Parsed {
                value: Decimal {
                    raw: if negative { -acc } else { acc },
                },
                rounded: false,
            });
        }

        let len = int_digits.len() + frac_digits.len();
        let digit = |i: usize| -> i128 {
            let b = if i < int_digits.len() {
                int_digits.get(i)
            } else {
                frac_digits.get(i - int_digits.len())
            };
            b.map_or(0, |b| i128::from(b - b'0'))
        };
        // `keep` is how many leading mantissa digits form the integer count of
        // millionths: the integer digits, shifted by the exponent, plus six.
        let keep: i64 = int_digits.len() as i64 + exp + 6;
        let mut acc: i128 = 0;
        let kept = keep.clamp(0, len as i64) as usize;
        for i in 0..kept {
            acc = acc * 10 + digit(i);
            if acc > MAX_RAW {
                return Err(DecimalError::OutOfRange);
            }
        }
        if keep > len as i64 && acc != 0 {
            let zeros = keep - len as i64;
            for _ in 0..zeros {
                acc *= 10;
                if acc > MAX_RAW {
                    return Err(DecimalError::OutOfRange);
                }
            }
        }
        let mut rounded = false;
        if keep < len as i64 {
            let dropped_from = keep.max(0) as usize;
            rounded = (dropped_from..len).any(|i| digit(i) != 0);
            if keep >= 0 {
                let first = digit(dropped_from);
                let rest = (dropped_from + 1..len).any(|i| digit(i) != 0);
                if first > 5 || (first == 5 && (rest || acc % 2 == 1)) {
                    acc += 1;
                }
            }
            // keep < 0: the value is below half a millionth, so it rounds to 0.
        }
        if acc > MAX_RAW {
            return Err(DecimalError::OutOfRange);
        }
        let raw = if negative { -acc } else { acc };
        Ok(Parsed {
            value: Decimal { raw },
            rounded,
        })
    }

    /// `self + rhs`, exact; `None` on overflow.
    pub fn checked_add(self, rhs: Decimal) -> Option<Decimal> {
        // Both magnitudes are below 2^120, so the sum cannot overflow i128.
        Decimal::from_raw(self.raw + rhs.raw)
    }

    /// `self - rhs`, exact; `None` on overflow.
    pub fn checked_sub(self, rhs: Decimal) -> Option<Decimal> {
        Decimal::from_raw(self.raw - rhs.raw)
    }

    /// `-self` (the range is symmetric, so this never overflows).
    #[must_use]
    pub const fn neg(self) -> Decimal {
        Decimal { raw: -self.raw }
    }

    /// `self * rhs`, rounded half to even to six fractional digits; `None`
    /// on overflow.
    pub fn checked_mul(self, rhs: Decimal) -> Option<Decimal> {
        let negative = (self.raw < 0) != (rhs.raw < 0);
        // Fast path: the exact product in millionths squared fits in 64
        // bits (values such as 8603.57 * 24.7), so one machine division
        // gives the same quotient and remainder as the long form below.
        if let (Ok(a64), Ok(b64)) = (
            u64::try_from(self.raw.unsigned_abs()),
            u64::try_from(rhs.raw.unsigned_abs()),
        ) && let Some(p) = a64.checked_mul(b64)
        {
            const S: u64 = 1_000_000; // SCALE
            return Some(Decimal::signed(
                round_half_even_u64(p / S, p % S, S),
                negative,
            ));
        }
        let (a, b) = (self.raw.abs(), rhs.raw.abs());
        let (a1, a0) = (a / SCALE, a % SCALE);
        let (b1, b0) = (b / SCALE, b % SCALE);
        // a*b/S = a1*b1*S + a1*b0 + a0*b1 + a0*b0/S. Each term is checked;
        // a1*b0 and a0*b1 are below 10^30 * 10^6 and a0*b0 below 10^12.
        let whole = a1.checked_mul(b1)?.checked_mul(SCALE)?;
        let int_part = whole
            .checked_add(a1 * b0)?
            .checked_add(a0 * b1)?
            .checked_add(a0 * b0 / SCALE)?;
        let rem = a0 * b0 % SCALE;
        let result = round_half_even(int_part, rem, SCALE)?;
        Decimal::from_raw(if negative { -result } else { result })
    }

    /// `self / rhs`, rounded half to even to six fractional digits; `None`
    /// on division by zero or overflow.
    pub fn checked_div(self, rhs: Decimal) -> Option<Decimal> {
        if rhs.raw == 0 {
            return None;
        }
        let negative = (self.raw < 0) != (rhs.raw < 0);
        // The quotient in millionths is a*S/b with remainder r. When a*S
        // and b fit in 64 bits (a up to about 18 million), one machine
        // division gives both exactly, and the rounding stays in 64 bits;
        // otherwise long division, one decimal digit at a time, keeps
        // every intermediate below 10*b <= 10^37. Both give floor(a*S/b)
        // and the same remainder.
        if let Some((n, d)) = self.quotient_words(rhs) {
            let m = round_half_even_u64(n / d, n % d, d.get());
            return Some(Decimal::signed(m, negative));
        }
        let (a, b) = (self.raw.abs(), rhs.raw.abs());
        let mut q = a / b;
        let mut r = a % b;
        for _ in 0..6 {
            r *= 10;
            q = q.checked_mul(10)?.checked_add(r / b)?;
            r %= b;
        }
        let result = round_half_even(q, r, b)?;
        Decimal::from_raw(if negative { -result } else { result })
    }
}

impl Decimal {
    /// The operands of `self / rhs` in 64 bits, `|self| * 10^6` and
    /// `|rhs|` (not zero), where both fit: the range in which
    /// [`Decimal::checked_div`] divides with one machine division and
    /// [`Decimal::cmp_quotient`] multiplies instead.
    #[inline(always)]
    fn quotient_words(self, rhs: Decimal) -> Option<(u64, NonZeroU64)> {
        let n = u64::try_from(self.raw.unsigned_abs())
            .ok()?
            .checked_mul(1_000_000)?;
        let d = NonZeroU64::new(u64::try_from(rhs.raw.unsigned_abs()).ok()?)?;
        Some((n, d))
    }

    /// How `self.checked_div(rhs)` orders against `y`, without dividing
    /// where that can be decided by multiplying: `None` exactly where the
    /// division gives `None` (division by zero, overflow).
    ///
    /// A rule that compares a unit value with a reference (`it.value /
    /// it.net_kg < lookup_prefix(reference_price, it.hs) * 0.5`) needs the
    /// quotient only to order it. A machine division takes tens of cycles
    /// before the comparison's branch can resolve; two multiplications
    /// take a few.
    ///
    /// Where both operands are in the division's 64-bit range (see
    /// [`Decimal::checked_div`]: `n = |self| * 10^6` and `d = |rhs|` fit
    /// in `u64`), the quotient in millionths is `q = n / d` rounded half to
    /// even, with the sign of the operands. `q` is compared with a
    /// non-negative `t` below 2^63 by where `n / d` falls against the
    /// midpoints `t - 1/2` and `t + 1/2`, in 128 bits: `2n` against
    /// `(2t - 1) d` and `(2t + 1) d`. On a midpoint the tie goes to the
    /// even neighbour, as the division's rounding sends it. Anything else
    /// divides.
    #[inline]
    pub fn cmp_quotient(self, rhs: Decimal, y: Decimal) -> Option<Ordering> {
        // Out of the range, or a zero divisor: the division answers.
        let Some((n, d)) = self.quotient_words(rhs) else {
            return self.checked_div(rhs).map(|q| q.cmp(&y));
        };
        let d = d.get();
        // The quotient's sign; a zero quotient is zero either way, and
        // `|q| cmp t` below treats `q = 0` alike for both signs.
        let negative = (self.raw < 0) != (rhs.raw < 0);
        // `Q cmp y` is `|q| cmp y` for a non-negative quotient, and
        // `-|q| cmp y`, which is `y.neg() cmp |q|`, i.e. the reverse of
        // `|q| cmp -y`, for a negative one.
        let t = if negative { -y.raw } else { y.raw };
        let ord = if t < 0 {
            // `|q| >= 0 > t`.
            Ordering::Greater
        } else if let Ok(t) = u64::try_from(t)
            && t < 1 << 63
        {
            let (n2, d) = (u128::from(n) * 2, u128::from(d));
            let t = u128::from(t);
            // `2t + 1 < 2^64`, so each product is below 2^128.
            let above = (2 * t + 1) * d;
            // `t - 1/2` is only a midpoint above 0 for `t >= 1`.
            let below = (2 * t).checked_sub(1).map(|m| m * d);
            let odd = t & 1 == 1;
            if below.is_some_and(|b| n2 < b || (n2 == b && odd)) {
                Ordering::Less
            } else if n2 > above || (n2 == above && odd) {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        } else {
            return self.checked_div(rhs).map(|q| q.cmp(&y));
        };
        Some(if negative { ord.reverse() } else { ord })
    }
}

/// Rounds `q + r/d` (with `r < d`) half to even, in 64 bits: the
/// result is at most 2^64, well inside the range (INVARIANT (range)).
#[inline(always)]
fn round_half_even_u64(q: u64, r: u64, d: u64) -> i128 {
    // `r > d - r` is `2r > d` without overflow (`r < d`). Without
    // short-circuits: whether to round up is a coin toss from one value to
    // the next, and as a branch it waited for the division to resolve.
    let half = d - r;
    let up = (r > half) | ((r == half) & (q & 1 == 1));
    i128::from(q) + i128::from(up)
}

/// Rounds `q + r/d` (with `0 <= r < d`) half to even.
fn round_half_even(q: i128, r: i128, d: i128) -> Option<i128> {
    let twice = r * 2;
    let up = match twice.cmp(&d) {
        Ordering::Greater => true,
        Ordering::Equal => q % 2 == 1,
        Ordering::Less => false,
    };
    if up { q.checked_add(1) } else { Some(q) }
}

impl fmt::Display for Decimal {
    /// Canonical text: no exponent, no trailing fractional zeros, no `.` for
    /// integers: `12`, `-0.5`, `0.000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.raw < 0 { "-" } else { "" };
        let a = self.raw.unsigned_abs();
        let int = a / SCALE as u128;
        let frac = a % SCALE as u128;
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            let digits = format!("{frac:06}");
            write!(f, "{sign}{int}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::{Decimal, MAX_RAW};
    use proptest::prelude::*;

    /// Raw values around the edges the comparison turns on: zero, the
    /// 64-bit range of the division's fast path, and the whole range.
    fn raw() -> impl Strategy<Value = i128> {
        prop_oneof![
            -20i128..20,
            -10_000_000_000i128..10_000_000_000,
            -(1i128 << 64)..(1i128 << 64),
            (18_446_744_073_709i128..18_446_744_073_710).prop_map(|a| a),
            -MAX_RAW..=MAX_RAW,
        ]
    }

    proptest! {
        /// The ordering without division is the ordering of the rounded
        /// quotient, and `None` where the division is.
        #[test]
        fn cmp_quotient_orders_as_the_division_does(a in raw(), b in raw(), y in raw()) {
            let (a, b, y) = (
                Decimal::from_raw(a).unwrap(),
                Decimal::from_raw(b).unwrap(),
                Decimal::from_raw(y).unwrap(),
            );
            prop_assert_eq!(a.cmp_quotient(b, y), a.checked_div(b).map(|q| q.cmp(&y)));
        }

        /// On and next to the quotient, and on the midpoints where the
        /// rounding breaks ties to even: `a = q * b + r` for `r` at and
        /// around `b / 2`, compared with `q` and its neighbours.
        #[test]
        fn cmp_quotient_breaks_ties_as_the_division_rounds(
            (q, b) in prop_oneof![
                // Within the 64-bit fast path, and beyond it.
                (-5_000_000i128..5_000_000, 1i128..4_000),
                (-5_000_000_000i128..5_000_000_000, 1i128..4_000_000),
            ],
            r in prop_oneof![Just(0i128), Just(-1), Just(1)],
            negative_b in any::<bool>(),
            step in -2i128..=2,
        ) {
            // `a / b` in millionths is `(a * 10^6) / b`: to land on the
            // midpoint `q + 1/2`, take `a * 10^6 = q * b + b / 2 + r` for
            // an even `b`, a multiple of 10^6 apart.
            let b = b * 2_000_000;
            let n = q * b + b / 2 + r * 1_000_000;
            let a = n / 1_000_000;
            let b = if negative_b { -b } else { b };
            let (a, b) = (Decimal::from_raw(a).unwrap(), Decimal::from_raw(b).unwrap());
            let quotient = a.checked_div(b).unwrap();
            let y = Decimal::from_raw(quotient.raw() + step).unwrap();
            prop_assert_eq!(a.cmp_quotient(b, y), Some(quotient.cmp(&y)));
        }
    }

    #[test]
    fn cmp_quotient_on_customs_unit_values() {
        let d = |s: &str| Decimal::parse(s).unwrap().value;
        // 8603.57 / 1183.45 = 7.269906 (rounded from 7.2699057..).
        let (v, kg) = (d("8603.57"), d("1183.45"));
        assert_eq!(v.checked_div(kg), Some(d("7.269906")));
        for (y, want) in [
            ("7.269906", std::cmp::Ordering::Equal),
            ("7.269907", std::cmp::Ordering::Less),
            ("7.269905", std::cmp::Ordering::Greater),
            ("-1", std::cmp::Ordering::Greater),
            ("0", std::cmp::Ordering::Greater),
        ] {
            assert_eq!(v.cmp_quotient(kg, d(y)), Some(want), "{y}");
        }
        // 0.0000005 / 1 is a tie between 0 and 0.000001: to 0 (even).
        assert_eq!(d("0.000001").checked_div(d("2")), Some(d("0")));
        assert_eq!(
            d("0.000001").cmp_quotient(d("2"), d("0")),
            Some(std::cmp::Ordering::Equal)
        );
        // 0.000003 / 2 = 0.0000015: to 0.000002 (even).
        assert_eq!(
            d("0.000003").cmp_quotient(d("2"), d("0.000002")),
            Some(std::cmp::Ordering::Equal)
        );
        assert_eq!(
            d("-0.000003").cmp_quotient(d("2"), d("-0.000002")),
            Some(std::cmp::Ordering::Equal)
        );
        assert_eq!(v.cmp_quotient(Decimal::ZERO, Decimal::ZERO), None);
    }
}
