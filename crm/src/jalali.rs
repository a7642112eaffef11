//! The Jalali (Solar Hijri) calendar: what Iranian users read dates in.
//!
//! Storage keeps Gregorian day keys (`YYYYMMDD`) and UTC seconds; this module converts
//! for display ("۱۴ آذر ۱۴۰۵") and for tenants whose months start on the Jalali first
//! (monthly quotas, reports). The arithmetic is `icu_calendar`'s Persian calendar,
//! so there is one conversion in the code base and it is the one ICU ships.

use icu_calendar::Date;
use icu_calendar::cal::{Iso, Persian};

/// A Jalali date: year (e.g. 1405), month 1–12 (Farvardin = 1), day 1–31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct JalaliDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// Persian month names, Farvardin first.
pub const MONTHS_FA: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];

/// The same names transliterated, for the English interface.
pub const MONTHS_EN: [&str; 12] = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
];

impl JalaliDate {
    /// The Jalali date of a Gregorian day key (`YYYYMMDD`); `None` if the key is not a date.
    pub fn from_day_key(day_key: i64) -> Option<JalaliDate> {
        let (y, m, d) = split_key(day_key)?;
        let iso = Date::try_new_iso(y, m, d).ok()?;
        let persian = Date::new_from_iso(iso, Persian);
        Some(JalaliDate {
            year: persian.extended_year(),
            month: persian.month().ordinal,
            day: persian.day_of_month().0,
        })
    }

    /// The Gregorian day key (`YYYYMMDD`) of this date; `None` if it does not exist
    /// (e.g. Esfand 30 in a common year).
    pub fn day_key(self) -> Option<i64> {
        let persian = Date::try_new_persian(self.year, self.month, self.day).ok()?;
        let iso: Date<Iso> = persian.to_iso();
        Some(
            i64::from(iso.extended_year()) * 10_000
                + i64::from(iso.month().ordinal) * 100
                + i64::from(iso.day_of_month().0),
        )
    }

    /// `1405-09-13`, the sortable numeric form.
    pub fn iso_like(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `13 آذر 1405` / `13 Azar 1405` (digits are left to the caller's locale formatting).
    pub fn long(self, persian: bool) -> String {
        let names = if persian { &MONTHS_FA } else { &MONTHS_EN };
        let name = names[usize::from(self.month.clamp(1, 12)) - 1];
        format!("{} {} {}", self.day, name, self.year)
    }
}

/// The Gregorian day key of the first day of the Jalali month a day key falls in:
/// where a monthly quota counted "by Jalali month" starts.
pub fn month_start(day_key: i64) -> Option<i64> {
    let date = JalaliDate::from_day_key(day_key)?;
    JalaliDate { day: 1, ..date }.day_key()
}

fn split_key(day_key: i64) -> Option<(i32, u8, u8)> {
    let y = i32::try_from(day_key / 10_000).ok()?;
    let m = u8::try_from(day_key / 100 % 100).ok()?;
    let d = u8::try_from(day_key % 100).ok()?;
    Some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates_convert_both_ways() {
        // Nowruz 1403 fell on 20 March 2024; 1 Dey 1405 is 22 December 2026.
        let cases = [
            (20240320, (1403, 1, 1)),
            (20261204, (1405, 9, 13)),
            (20261222, (1405, 10, 1)),
            (20250320, (1403, 12, 30)),
        ];
        for (key, (y, m, d)) in cases {
            let j = JalaliDate::from_day_key(key).unwrap();
            assert_eq!((j.year, j.month, j.day), (y, m, d), "{key}");
            assert_eq!(j.day_key(), Some(key));
        }
    }

    #[test]
    fn month_start_is_the_first_of_the_jalali_month() {
        assert_eq!(month_start(20261204), Some(20261122)); // 1 Azar 1405
        assert_eq!(month_start(20261222), Some(20261222));
        assert_eq!(month_start(20261301), None);
    }

    #[test]
    fn invalid_dates_are_refused() {
        assert_eq!(JalaliDate::from_day_key(20260230), None);
        assert_eq!(
            JalaliDate {
                year: 1405,
                month: 12,
                day: 30
            }
            .day_key(),
            None
        );
        assert_eq!(
            JalaliDate::from_day_key(20261204).unwrap().long(true),
            "13 آذر 1405"
        );
    }
}
