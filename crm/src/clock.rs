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

/// A tenant's calendar: the time zone local days are counted in, and where its months
/// (monthly quotas) start.
#[derive(Debug, Clone)]
pub struct Zone(jiff::tz::TimeZone, MonthStart);

/// Whether a tenant's months start on the Gregorian or the Jalali first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MonthStart {
    #[default]
    Gregorian,
    Jalali,
}

impl MonthStart {
    pub fn as_str(self) -> &'static str {
        match self {
            MonthStart::Gregorian => "gregorian",
            MonthStart::Jalali => "jalali",
        }
    }

    pub fn parse(s: &str) -> crate::Result<MonthStart> {
        match s.trim() {
            "gregorian" => Ok(MonthStart::Gregorian),
            "jalali" => Ok(MonthStart::Jalali),
            other => Err(crate::Error::Invalid(format!(
                "month start {other:?} is not gregorian or jalali"
            ))),
        }
    }

    /// The day key of the first day of the month `day_key` falls in.
    pub fn first_day(self, day_key: i64) -> i64 {
        let gregorian = day_key / 100 * 100 + 1;
        match self {
            MonthStart::Gregorian => gregorian,
            MonthStart::Jalali => crate::jalali::month_start(day_key).unwrap_or(gregorian),
        }
    }
}

impl Zone {
    /// An IANA zone name such as `Asia/Tehran` (bundled database: no system tzdata
    /// needed), with Gregorian months.
    pub fn named(name: &str) -> crate::Result<Zone> {
        jiff::tz::TimeZone::get(name)
            .map(|tz| Zone(tz, MonthStart::Gregorian))
            .map_err(|_| crate::Error::Invalid(format!("unknown time zone {name:?}")))
    }

    /// A tenant's zone and month start.
    pub fn of(tenant: &crate::tenants::Tenant) -> crate::Result<Zone> {
        Ok(Zone(Zone::named(&tenant.time_zone)?.0, tenant.month_start))
    }

    /// The first day (day key) of the tenant's month `day_key` falls in.
    pub fn month_start(&self, day_key: i64) -> i64 {
        self.1.first_day(day_key)
    }

    /// The local date of `unix` as a `YYYYMMDD` number (how `usage_daily.day` is keyed).
    pub fn day_key(&self, unix: i64) -> i64 {
        let Ok(ts) = jiff::Timestamp::from_second(unix) else {
            return 0;
        };
        let date = ts.to_zoned(self.0.clone()).date();
        i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
    }

    /// Seconds east of UTC at `unix` (Tehran: 12 600), for bucketing by local day in SQL.
    pub fn offset_seconds(&self, unix: i64) -> i64 {
        jiff::Timestamp::from_second(unix)
            .map(|ts| i64::from(self.0.to_offset(ts).seconds()))
            .unwrap_or(0)
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

impl Zone {
    /// The zone's IANA name (`Asia/Tehran`), as bookings store it beside UTC times.
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// The first second of a local date given as a day key (`YYYYMMDD`); local midnight
    /// (or the first existing local time after it, on a DST jump).
    pub fn start_of_day(&self, day_key: i64) -> crate::Result<i64> {
        let date = date_of_key(day_key)?;
        let start = date
            .to_zoned(self.0.clone())
            .map_err(|_| crate::Error::Invalid(format!("{day_key} is not a date")))?;
        Ok(start.timestamp().as_second())
    }

    /// Local date (`YYYYMMDD`) and time `HH:MM` as unix seconds.
    pub fn at(&self, day_key: i64, hh_mm: &str) -> crate::Result<i64> {
        let bad = || crate::Error::Invalid(format!("{hh_mm:?} is not a time (HH:MM)"));
        let (h, m) = hh_mm.trim().split_once(':').ok_or_else(bad)?;
        let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        let time = jiff::civil::Time::new(h, m, 0, 0).map_err(|_| bad())?;
        let local = date_of_key(day_key)?
            .to_datetime(time)
            .to_zoned(self.0.clone())
            .map_err(|_| bad())?;
        Ok(local.timestamp().as_second())
    }

    /// `HH:MM` local time of `unix`.
    pub fn hh_mm(&self, unix: i64) -> String {
        let (_, minute) = self.weekday_minute(unix);
        format!("{:02}:{:02}", minute / 60, minute % 60)
    }
}

/// A Gregorian date (`YYYY-MM-DD`) as a day key (`YYYYMMDD`).
pub fn parse_day(text: &str) -> crate::Result<i64> {
    let day: jiff::civil::Date = text
        .trim()
        .parse()
        .map_err(|_| crate::Error::Invalid(format!("{text:?} is not a date (YYYY-MM-DD)")))?;
    Ok(i64::from(day.year()) * 10_000 + i64::from(day.month()) * 100 + i64::from(day.day()))
}

/// The day key `days` after `day_key` (negative: before).
pub fn add_days(day_key: i64, days: i64) -> crate::Result<i64> {
    let date = date_of_key(day_key)?
        .checked_add(jiff::Span::new().days(days))
        .map_err(|_| crate::Error::Invalid(format!("{day_key} + {days} days is out of range")))?;
    Ok(i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day()))
}

fn date_of_key(day_key: i64) -> crate::Result<jiff::civil::Date> {
    let bad = || crate::Error::Invalid(format!("{day_key} is not a date (YYYYMMDD)"));
    let y = i16::try_from(day_key / 10_000).map_err(|_| bad())?;
    let m = i8::try_from(day_key / 100 % 100).map_err(|_| bad())?;
    let d = i8::try_from(day_key % 100).map_err(|_| bad())?;
    jiff::civil::Date::new(y, m, d).map_err(|_| bad())
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
        assert_eq!(MonthStart::Gregorian.first_day(20261205), 20261201);
        assert_eq!(MonthStart::Jalali.first_day(20261205), 20261122);
        assert!(Zone::named("Mars/Olympus").is_err());
        // 2026-12-04 23:59:59 Tehran = 20:29:59 UTC.
        assert_eq!(tehran.end_of_day("2026-12-04").unwrap(), before);
        assert!(tehran.end_of_day("2026-13-40").is_err());
        assert_eq!(tehran.day_start(before), before + 1 - 86_400);
        assert_eq!(tehran.day_start(before + 1), before + 1);
        // Friday 2026-12-04 23:59 in Tehran, then Saturday 00:00 (day 0 of the Persian week).
        assert_eq!(tehran.weekday_minute(before), (6, 23 * 60 + 59));
        assert_eq!(tehran.weekday_minute(before + 1), (0, 0));
        assert_eq!(tehran.start_of_day(20261205).unwrap(), before + 1);
        assert_eq!(tehran.hh_mm(before), "23:59");
        assert_eq!(tehran.at(20261204, "23:59").unwrap(), before - 59);
        assert!(tehran.at(20261204, "24:30").is_err());
        assert_eq!(tehran.name(), "Asia/Tehran");
        assert_eq!(parse_day("2026-12-04").unwrap(), 20261204);
        assert_eq!(add_days(20261231, 1).unwrap(), 20270101);
        assert_eq!(add_days(20260301, -1).unwrap(), 20260228);
        assert!(tehran.start_of_day(20261340).is_err());
    }
}
