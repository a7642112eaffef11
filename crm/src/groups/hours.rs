//! Allowed hours: when a group may be online, in the tenant's local time.
//!
//! Text form: windows separated by `;`, each `[days ]HH:MM-HH:MM`, where days are
//! `sat sun mon tue wed thu fri`, lists (`sat,mon`) or ranges in the Persian week
//! order starting Saturday (`sat-wed`). No days means every day. A window whose end is
//! before its start runs past midnight into the next day (`22:00-02:00`).

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

const DAYS: [&str; 7] = ["sat", "sun", "mon", "tue", "wed", "thu", "fri"];

/// Day of the week counted from Saturday (0) to Friday (6), as the Persian week runs.
pub type Weekday = u8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHours {
    windows: Vec<Window>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    /// Bit i set = window starts on weekday i.
    days: u8,
    start: u16,
    end: u16,
}

impl AllowedHours {
    /// Whether `minute` (0..1440) of `weekday` falls inside a window.
    pub fn contains(&self, weekday: Weekday, minute: u16) -> bool {
        let yesterday = (weekday + 6) % 7;
        self.windows.iter().any(|w| {
            let today = w.days & (1 << weekday) != 0;
            if w.start < w.end {
                today && (w.start..w.end).contains(&minute)
            } else {
                (today && minute >= w.start) || (w.days & (1 << yesterday) != 0 && minute < w.end)
            }
        })
    }
}

impl FromStr for AllowedHours {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let windows = s
            .split(';')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(parse_window)
            .collect::<Result<Vec<_>, _>>()?;
        if windows.is_empty() {
            return Err(Error::invalid("allowed hours are empty"));
        }
        Ok(AllowedHours { windows })
    }
}

fn parse_window(text: &str) -> Result<Window, Error> {
    let bad = |why: &str| {
        Error::invalid(format!(
            "allowed hours {text:?}: {why} (expected e.g. \"sat-wed 08:00-23:00\")"
        ))
    };
    let (days, span) = match text.rsplit_once(char::is_whitespace) {
        Some((days, span)) => (
            parse_days(days.trim()).ok_or_else(|| bad("unknown day"))?,
            span,
        ),
        None => (0x7f, text),
    };
    let (start, end) = span.split_once('-').ok_or_else(|| bad("missing '-'"))?;
    let start = parse_time(start).ok_or_else(|| bad("bad start time"))?;
    let end = parse_time(end).ok_or_else(|| bad("bad end time"))?;
    if start == end || start == 1440 {
        return Err(bad("empty window"));
    }
    Ok(Window {
        days,
        start,
        end: if end == 1440 && start > 0 { 1440 } else { end },
    })
}

fn parse_days(text: &str) -> Option<u8> {
    let mut mask = 0u8;
    for part in text.split(',').map(str::trim) {
        let day = |d: &str| DAYS.iter().position(|n| n.eq_ignore_ascii_case(d.trim()));
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut d = a;
                loop {
                    mask |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => mask |= 1 << day(part)?,
        }
    }
    Some(mask)
}

fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) || h.to_string().len() > 2 {
        return None;
    }
    Some(h * 60 + m)
}

impl fmt::Display for AllowedHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, w) in self.windows.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if w.days != 0x7f {
                let names: Vec<&str> = (0..7)
                    .filter(|d| w.days & (1 << d) != 0)
                    .map(|d| DAYS[d])
                    .collect();
                write!(f, "{} ", names.join(","))?;
            }
            write!(
                f,
                "{:02}:{:02}-{:02}:{:02}",
                w.start / 60,
                w.start % 60,
                w.end / 60,
                w.end % 60
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_windows() {
        let h: AllowedHours = "sat-wed 08:00-23:00; thu 10:00-02:00".parse().unwrap();
        assert_eq!(
            h.to_string(),
            "sat,sun,mon,tue,wed 08:00-23:00; thu 10:00-02:00"
        );
        assert!(h.contains(0, 8 * 60));
        assert!(!h.contains(0, 23 * 60));
        assert!(!h.contains(6, 9 * 60)); // Friday
        assert!(h.contains(5, 23 * 60 + 30)); // Thursday night
        assert!(h.contains(6, 60)); // …continues past midnight into Friday
        assert!(!h.contains(6, 3 * 60));
        let every_day: AllowedHours = "07:00-24:00".parse().unwrap();
        assert!(every_day.contains(3, 23 * 60 + 59));
        assert!(!every_day.contains(3, 6 * 60));
        let reparsed: AllowedHours = h.to_string().parse().unwrap();
        assert_eq!(reparsed, h);
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "8-9",
            "25:00-26:00",
            "funday 08:00-09:00",
            "08:00-08:00",
            "08:60-09:00",
        ] {
            assert!(bad.parse::<AllowedHours>().is_err(), "{bad}");
        }
    }
}
