//! A branch's booking rules as values: what availability is computed from. No storage.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::clock::Zone;
use crate::error::{Error, Result};
use crate::groups::AllowedHours;

/// Every duration is a whole number of these; a slot row covers one.
pub const UNIT: i64 = 300;

/// How long a party stays: a default, with overrides by party size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StayRules {
    /// Minutes.
    pub default: i64,
    /// `(smallest party, largest party, minutes)`, first match wins.
    pub by_party: Vec<(i64, i64, i64)>,
}

impl StayRules {
    /// Minutes a party of `party` stays.
    pub fn minutes(&self, party: i64) -> i64 {
        self.by_party
            .iter()
            .find(|(lo, hi, _)| (*lo..=*hi).contains(&party))
            .map(|&(_, _, m)| m)
            .unwrap_or(self.default)
    }

    /// Parses the overrides text `1-2=60, 7-=150` (empty: none) under `default` minutes.
    pub fn parse(default: i64, overrides: &str) -> Result<StayRules> {
        check_minutes("stay", default, 5)?;
        let by_party = overrides
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(parse_override)
            .collect::<Result<Vec<_>>>()?;
        Ok(StayRules { default, by_party })
    }

    /// The overrides in the text form `parse` reads.
    pub fn overrides_text(&self) -> String {
        self.by_party
            .iter()
            .map(|&(lo, hi, m)| {
                if hi == i64::MAX {
                    format!("{lo}-={m}")
                } else {
                    format!("{lo}-{hi}={m}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn parse_override(text: &str) -> Result<(i64, i64, i64)> {
    let bad = || {
        Error::invalid(format!(
            "stay by party {text:?}: expected e.g. \"1-2=60\" or \"7-=150\" (party sizes = minutes)"
        ))
    };
    let (sizes, minutes) = text.split_once('=').ok_or_else(bad)?;
    let minutes: i64 = minutes.trim().parse().map_err(|_| bad())?;
    check_minutes("stay", minutes, 5)?;
    let (lo, hi) = match sizes.split_once('-') {
        Some((lo, hi)) => (
            lo.trim().parse().map_err(|_| bad())?,
            match hi.trim() {
                "" => i64::MAX,
                hi => hi.parse().map_err(|_| bad())?,
            },
        ),
        None => {
            let n: i64 = sizes.trim().parse().map_err(|_| bad())?;
            (n, n)
        }
    };
    if lo < 1 || hi < lo {
        return Err(bad());
    }
    Ok((lo, hi, minutes))
}

/// A duration in minutes that must be a positive (or, with `min` 0, non-negative)
/// multiple of five, at most a day.
fn check_minutes(what: &str, minutes: i64, min: i64) -> Result<()> {
    if minutes < min || minutes > 1440 || minutes % (UNIT / 60) != 0 {
        return Err(Error::invalid(format!(
            "{what} must be a multiple of 5 minutes between {min} and 1440, not {minutes}"
        )));
    }
    Ok(())
}

/// Everything availability needs to know about a branch, besides its tables.
#[derive(Debug, Clone)]
pub struct BookingRules {
    pub zone: Zone,
    /// Minutes between offered start times (e.g. 15).
    pub slot_interval: i64,
    pub stay: StayRules,
    /// Minutes a table stays blocked after a stay (clearing, resetting).
    pub buffer: i64,
    /// Minutes between now and the earliest bookable start.
    pub min_notice: i64,
    /// How many local days ahead (today = 0) can be booked.
    pub max_days_ahead: i64,
    pub opening_hours: AllowedHours,
    /// Local dates (`YYYYMMDD`) without bookings.
    pub closed: BTreeSet<i64>,
}

impl BookingRules {
    /// Checks the numbers are usable (the settings store calls this before saving).
    pub fn validate(&self) -> Result<()> {
        check_minutes("slot interval", self.slot_interval, 5)?;
        check_minutes("buffer", self.buffer, 0)?;
        if !(0..=60 * 24 * 30).contains(&self.min_notice) {
            return Err(Error::invalid(
                "minimum notice must be between 0 and 43200 minutes (30 days)",
            ));
        }
        if !(0..=365).contains(&self.max_days_ahead) {
            return Err(Error::invalid(
                "days ahead must be between 0 and 365".to_string(),
            ));
        }
        Ok(())
    }

    /// Seconds a party of `party` holds a table: the stay, then the buffer.
    pub fn hold_secs(&self, party: i64) -> (i64, i64) {
        (self.stay.minutes(party) * 60, self.buffer * 60)
    }
}

/// Where a booking is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Booked,
    Confirmed,
    Seated,
    Finished,
    Cancelled,
    NoShow,
    Waitlisted,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Booked,
        Status::Confirmed,
        Status::Seated,
        Status::Finished,
        Status::Cancelled,
        Status::NoShow,
        Status::Waitlisted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Confirmed => "confirmed",
            Status::Seated => "seated",
            Status::Finished => "finished",
            Status::Cancelled => "cancelled",
            Status::NoShow => "no_show",
            Status::Waitlisted => "waitlisted",
        }
    }

    /// Whether the booking holds its tables (and the guest's time).
    pub fn holds(self) -> bool {
        matches!(self, Status::Booked | Status::Confirmed | Status::Seated)
    }

    /// The lifecycle: booked → confirmed → seated → finished; cancelled and no-show
    /// before seating; a waitlisted request can only be cancelled (or re-booked by
    /// modifying it into a free time).
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Booked, Confirmed)
                | (Booked | Confirmed, Seated)
                | (Seated, Finished)
                | (Booked | Confirmed | Waitlisted, Cancelled)
                | (Booked | Confirmed, NoShow)
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Status> {
        let s = s.trim().replace('-', "_");
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| Error::invalid(format!("unknown booking status {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stay_by_party_size() {
        let stay = StayRules::parse(90, "1-2=60, 7-=150, 5=100").unwrap();
        assert_eq!(stay.minutes(1), 60);
        assert_eq!(stay.minutes(2), 60);
        assert_eq!(stay.minutes(3), 90);
        assert_eq!(stay.minutes(5), 100);
        assert_eq!(stay.minutes(40), 150);
        assert_eq!(stay.overrides_text(), "1-2=60, 7-=150, 5-5=100");
        let again = StayRules::parse(90, &stay.overrides_text()).unwrap();
        assert_eq!(again, stay);
        for bad in ["1-2", "2-1=60", "0-2=60", "1-2=61", "x=60", "1-2=0"] {
            assert!(StayRules::parse(90, bad).is_err(), "{bad}");
        }
        assert!(StayRules::parse(92, "").is_err());
    }

    #[test]
    fn lifecycle() {
        use Status::*;
        assert!(Booked.can_become(Confirmed));
        assert!(Confirmed.can_become(Seated));
        assert!(Seated.can_become(Finished));
        assert!(Booked.can_become(NoShow));
        assert!(Waitlisted.can_become(Cancelled));
        assert!(!Seated.can_become(Cancelled));
        assert!(!Finished.can_become(Seated));
        assert!(!Cancelled.can_become(Booked));
        assert!(!Waitlisted.can_become(Seated));
        assert_eq!("no-show".parse::<Status>().unwrap(), NoShow);
        assert!(Seated.holds() && !Waitlisted.holds() && !Finished.holds());
    }
}
