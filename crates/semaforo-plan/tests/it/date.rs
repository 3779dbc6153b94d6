//! Calendar dates: every day of years 0000 to 9999, leap years, invalid
//! dates, and the day-number bounds.
#![expect(
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` functions (which clippy.toml already \
              exempts) stop on input the test itself wrote, and a panic with its \
              message is the failed test"
)]

use semaforo_plan::Date;

/// An independent calendar: walks forward one day at a time.
fn month_len(y: i32, m: u32) -> u32 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][m as usize - 1]
}

#[test]
fn every_day_from_year_0_to_9999_round_trips() {
    let first = Date::from_ymd(0, 1, 1).unwrap();
    let mut expected_days = first.days();
    let (mut y, mut m, mut d) = (0i32, 1u32, 1u32);
    let mut count = 0u32;
    let mut prev: Option<Date> = None;
    loop {
        let date = Date::from_ymd(y, m, d).unwrap_or_else(|| panic!("{y}-{m}-{d}"));
        assert_eq!(date.days(), expected_days, "{y}-{m}-{d}");
        assert_eq!(date.ymd(), (y, m, d));
        assert_eq!(Date::from_days(expected_days), Some(date));
        let text = date.to_string();
        assert_eq!(text, format!("{y:04}-{m:02}-{d:02}"));
        assert_eq!(Date::parse(&text), Some(date));
        if let Some(p) = prev {
            assert!(p < date);
        }
        prev = Some(date);
        count += 1;
        expected_days += 1;
        d += 1;
        if d > month_len(y, m) {
            d = 1;
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
                if y > 9999 {
                    break;
                }
            }
        }
    }
    // 10,000 years of 365 days plus 2,425 leap days.
    assert_eq!(count, 10_000 * 365 + 2425);
    assert_eq!(Date::from_days(first.days() - 1), None);
    assert_eq!(Date::from_days(expected_days), None);
}

#[test]
fn the_epoch_and_known_day_numbers() {
    assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days(), 0);
    assert_eq!(Date::from_ymd(1969, 12, 31).unwrap().days(), -1);
    assert_eq!(Date::from_ymd(2000, 3, 1).unwrap().days(), 11_017);
    assert_eq!(Date::from_ymd(2026, 6, 1).unwrap().days(), 20_605);
    assert_eq!(Date::from_ymd(0, 1, 1).unwrap().days(), -719_528);
    assert_eq!(Date::from_ymd(9999, 12, 31).unwrap().days(), 2_932_896);
}

#[test]
fn leap_years() {
    assert!(Date::from_ymd(1900, 2, 29).is_none());
    assert!(Date::from_ymd(2000, 2, 29).is_some());
    assert!(Date::from_ymd(2024, 2, 29).is_some());
    assert!(Date::from_ymd(2023, 2, 29).is_none());
    assert!(Date::from_ymd(2100, 2, 29).is_none());
    assert!(Date::from_ymd(0, 2, 29).is_some());
    assert!(Date::from_ymd(400, 2, 29).is_some());
    let mar1 = Date::from_ymd(2024, 3, 1).unwrap();
    let feb28 = Date::from_ymd(2024, 2, 28).unwrap();
    assert_eq!(mar1.days() - feb28.days(), 2);
    let mar1 = Date::from_ymd(1900, 3, 1).unwrap();
    let feb28 = Date::from_ymd(1900, 2, 28).unwrap();
    assert_eq!(mar1.days() - feb28.days(), 1);
}

#[test]
fn invalid_dates() {
    for (y, m, d) in [
        (2026, 2, 30),
        (2026, 4, 31),
        (2026, 0, 1),
        (2026, 13, 1),
        (2026, 1, 0),
        (2026, 1, 32),
        (-1, 12, 31),
        (10_000, 1, 1),
        (i32::MIN, 1, 1),
        (i32::MAX, 1, 1),
        (2026, u32::MAX, 1),
        (2026, 1, u32::MAX),
    ] {
        assert!(Date::from_ymd(y, m, d).is_none(), "{y}-{m}-{d}");
    }
    for text in [
        "2026-02-30",
        "2026-2-01",
        "2026-02-1",
        "26-02-01",
        "02026-02-01",
        "2026/02/01",
        "2026-02-01 ",
        " 2026-02-01",
        "2026-02-01T00:00:00",
        "+026-02-01",
        "-001-02-01",
        "2026-+2-01",
        "20a6-02-01",
        "",
        "2026-00-10",
        "2026-1２-01",
        "１９７０-01-01",
    ] {
        assert_eq!(Date::parse(text), None, "{text:?}");
    }
}

#[test]
fn from_days_never_panics_on_extreme_values() {
    for days in [
        i32::MIN,
        i32::MIN + 1,
        -719_529,
        2_932_897,
        i32::MAX - 719_468,
        i32::MAX - 1,
        i32::MAX,
    ] {
        assert_eq!(Date::from_days(days), None, "{days}");
    }
}
