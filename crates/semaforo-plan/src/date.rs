//! Calendar dates: proleptic Gregorian, years 0000 to 9999.

use std::fmt;

/// A calendar date, stored as days since 1970-01-01.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // INVARIANT (valid): the day number of a date between 0000-01-01 and
    // 9999-12-31; kept by `from_ymd`, the only constructor.
    days: i32,
}

impl Date {
    /// 1970-01-01 (day number 0).
    pub const EPOCH: Date = Date { days: 0 };

    /// The date, if `year-month-day` is a real date in years 0..=9999.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(0..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date {
            days: days_from_civil(year, month, day),
        })
    }

    /// Reads exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let s = b.get(r)?;
            s.iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let year = num(0..4)?;
        Date::from_ymd(year as i32, num(5..7)?, num(8..10)?)
    }

    /// Days since 1970-01-01 (negative before).
    pub const fn days(self) -> i32 {
        self.days
    }

    /// The date `days` after 1970-01-01, if within years 0..=9999.
    pub fn from_days(days: i32) -> Option<Date> {
        // Check the range before converting: `civil_from_days` overflows
        // `i32` for day numbers near its limits.
        (MIN_DAYS..=MAX_DAYS)
            .contains(&days)
            .then_some(Date { days })
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }
}

/// The day number of 0000-01-01.
const MIN_DAYS: i32 = -719_528;
/// The day number of 9999-12-31.
const MAX_DAYS: i32 = 2_932_896;

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's `days_from_civil` and `civil_from_days`.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A text that is not a date `YYYY-MM-DD` of the proleptic Gregorian
/// calendar ([`Date`]'s [`FromStr`](std::str::FromStr)).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a date `YYYY-MM-DD`")]
pub struct DateError {
    /// The text (at most its first 40 characters).
    pub text: String,
}

impl std::str::FromStr for Date {
    type Err = DateError;

    /// [`Date::parse`] with an error for `?`.
    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s).ok_or_else(|| DateError {
            text: s.chars().take(40).collect(),
        })
    }
}
