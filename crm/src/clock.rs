//! Wall-clock time as stored: UTC unix seconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// Current UTC time in unix seconds, the unit every timestamp column uses.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `2026-12-04 15:48:53` for a stored timestamp (UTC), for operator output.
pub fn format_utc(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => unix.to_string(),
    }
}

/// A tenant's time zone, for the local days and months quotas are counted in.
#[derive(Debug, Clone)]
pub struct Zone(jiff::tz::TimeZone);

impl Zone {
    /// An IANA zone name such as `Asia/Tehran` (bundled database: no system tzdata needed).
    pub fn named(name: &str) -> crate::Result<Zone> {
        jiff::tz::TimeZone::get(name)
            .map(Zone)
            .map_err(|_| crate::Error::Invalid(format!("unknown time zone {name:?}")))
    }

    /// The local date of `unix` as a `YYYYMMDD` number (how `usage_daily.day` is keyed).
    pub fn day_key(&self, unix: i64) -> i64 {
        let Ok(ts) = jiff::Timestamp::from_second(unix) else {
            return 0;
        };
        let date = ts.to_zoned(self.0.clone()).date();
        i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
    }
}

impl Zone {
    /// Local weekday counted from Saturday (0) to Friday (6), and minute of the day:
    /// what `AllowedHours::contains` takes.
    pub fn weekday_minute(&self, unix: i64) -> (u8, u16) {
        let Ok(ts) = jiff::Timestamp::from_second(unix) else {
            return (0, 0);
        };
        let local = ts.to_zoned(self.0.clone());
        let weekday = (local.weekday().to_sunday_zero_offset() + 1) % 7;
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        (weekday as u8, minute)
    }
}

impl Zone {
    /// The first second of the local day `unix` falls in (daily caps count from it).
    pub fn day_start(&self, unix: i64) -> i64 {
        jiff::Timestamp::from_second(unix)
            .ok()
            .and_then(|ts| ts.to_zoned(self.0.clone()).start_of_day().ok())
            .map_or(unix, |z| z.timestamp().as_second())
    }

    /// The last second of a local date (`YYYY-MM-DD`) as unix seconds: "valid until".
    pub fn end_of_day(&self, date: &str) -> crate::Result<i64> {
        let bad = || crate::Error::Invalid(format!("{date:?} is not a date (YYYY-MM-DD)"));
        let day: jiff::civil::Date = date.trim().parse().map_err(|_| bad())?;
        let end = day
            .at(23, 59, 59, 0)
            .to_zoned(self.0.clone())
            .map_err(|_| bad())?;
        Ok(end.timestamp().as_second())
    }
}

/// The first day (`YYYYMM01`) of the Gregorian month a day key falls in.
pub fn month_start(day_key: i64) -> i64 {
    day_key / 100 * 100 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tehran_days_turn_at_local_midnight() {
        let tehran = Zone::named("Asia/Tehran").unwrap();
        // 2026-12-04 20:29:59 UTC = 23:59:59 in Tehran (UTC+03:30).
        let before = 1_796_416_199;
        assert_eq!(format_utc(before), "2026-12-04 20:29:59");
        assert_eq!(tehran.day_key(before), 20261204);
        assert_eq!(tehran.day_key(before + 1), 20261205);
        assert_eq!(Zone::named("UTC").unwrap().day_key(before + 1), 20261204);
        assert_eq!(month_start(20261205), 20261201);
        assert!(Zone::named("Mars/Olympus").is_err());
        // 2026-12-04 23:59:59 Tehran = 20:29:59 UTC.
        assert_eq!(tehran.end_of_day("2026-12-04").unwrap(), before);
        assert!(tehran.end_of_day("2026-13-40").is_err());
        assert_eq!(tehran.day_start(before), before + 1 - 86_400);
        assert_eq!(tehran.day_start(before + 1), before + 1);
        // Friday 2026-12-04 23:59 in Tehran, then Saturday 00:00 (day 0 of the Persian week).
        assert_eq!(tehran.weekday_minute(before), (6, 23 * 60 + 59));
        assert_eq!(tehran.weekday_minute(before + 1), (0, 0));
    }
}
