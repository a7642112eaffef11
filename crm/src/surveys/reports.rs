//! Satisfaction over time and by shift: both need the invoice's local time in the
//! tenant's zone, which portable SQL cannot compute, so the window's answers are read
//! once and bucketed here (`score` does the arithmetic).

use std::collections::BTreeMap;

use sqlx::AssertSqlSafe;

use super::responses::{GroupScore, answers_in};
use crate::branches::Scope;
use crate::clock::Zone;
use crate::error::Result;
use crate::store::Store;
use crate::tenants::Tenant;

/// One week (Saturday to Friday, the Iranian week) of answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// Day key (`YYYYMMDD`) of its Saturday, local time.
    pub start_day: i64,
    pub answers: i64,
    /// Answers rating 4 or 5.
    pub satisfied: i64,
    pub csat: Option<i64>,
    pub nps: Option<i64>,
}

/// Part of the day an invoice was made in, local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shift {
    /// 06:00–12:00
    Morning,
    /// 12:00–17:00
    Afternoon,
    /// 17:00–22:00
    Evening,
    /// 22:00–06:00
    Night,
}

impl Shift {
    pub const ALL: [Shift; 4] = [
        Shift::Morning,
        Shift::Afternoon,
        Shift::Evening,
        Shift::Night,
    ];

    pub fn of_minute(minute: u16) -> Shift {
        match minute / 60 {
            6..=11 => Shift::Morning,
            12..=16 => Shift::Afternoon,
            17..=21 => Shift::Evening,
            _ => Shift::Night,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shift::Morning => "morning",
            Shift::Afternoon => "afternoon",
            Shift::Evening => "evening",
            Shift::Night => "night",
        }
    }
}

/// Weekly trend (every week of the window, empty ones too) and satisfaction by shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverTime {
    pub weeks: Vec<Week>,
    /// Only shifts with answers, in day order.
    pub shifts: Vec<(Shift, GroupScore)>,
}

/// The Saturday (day key) of the local week `unix` falls in.
fn week_of(zone: &Zone, unix: i64) -> i64 {
    let (weekday, _) = zone.weekday_minute(unix);
    // Noon avoids a DST hour moving the day.
    zone.day_key(zone.day_start(unix) + 12 * 3600 - i64::from(weekday) * 86_400)
}

#[derive(Default)]
struct Bucket {
    ratings: BTreeMap<i64, i64>,
    nps: BTreeMap<i64, i64>,
}

impl Bucket {
    fn add(&mut self, rating: i64, nps: Option<i64>) {
        *self.ratings.entry(rating).or_default() += 1;
        if let Some(n) = nps {
            *self.nps.entry(n).or_default() += 1;
        }
    }

    fn scores(&self, key: String) -> GroupScore {
        let r: Vec<(i64, i64)> = self.ratings.iter().map(|(&k, &v)| (k, v)).collect();
        let n: Vec<(i64, i64)> = self.nps.iter().map(|(&k, &v)| (k, v)).collect();
        GroupScore::of(key, &r, &n)
    }
}

/// Answers to invitations created in `[since, until)` for invoices in `scope`, by the
/// invoice's local week and shift.
pub async fn over_time(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    zone: &Zone,
    since: i64,
    until: i64,
) -> Result<OverTime> {
    let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT v.created_at, r.rating, r.nps FROM {}",
        answers_in(scope, "")
    )))
    .bind(tenant.id)
    .bind(since)
    .bind(until)
    .fetch_all(store.pool())
    .await?;
    let mut weeks = BTreeMap::<i64, Bucket>::new();
    let mut at = since;
    while at < until {
        weeks.entry(week_of(zone, at)).or_default();
        at += 7 * 86_400;
    }
    weeks.entry(week_of(zone, until - 1)).or_default();
    let mut shifts = BTreeMap::<Shift, Bucket>::new();
    for (when, rating, nps) in rows {
        weeks
            .entry(week_of(zone, when))
            .or_default()
            .add(rating, nps);
        let (_, minute) = zone.weekday_minute(when);
        shifts
            .entry(Shift::of_minute(minute))
            .or_default()
            .add(rating, nps);
    }
    Ok(OverTime {
        weeks: weeks
            .into_iter()
            .map(|(start_day, b)| {
                let g = b.scores(String::new());
                Week {
                    start_day,
                    answers: g.ratings,
                    satisfied: b.ratings.range(4..).map(|(_, &n)| n).sum(),
                    csat: g.csat,
                    nps: g.nps,
                }
            })
            .collect(),
        shifts: shifts
            .into_iter()
            .map(|(shift, b)| (shift, b.scores(shift.name().to_string())))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_and_weeks_follow_local_time() {
        assert_eq!(Shift::of_minute(6 * 60), Shift::Morning);
        assert_eq!(Shift::of_minute(11 * 60 + 59), Shift::Morning);
        assert_eq!(Shift::of_minute(12 * 60), Shift::Afternoon);
        assert_eq!(Shift::of_minute(21 * 60 + 59), Shift::Evening);
        assert_eq!(Shift::of_minute(22 * 60), Shift::Night);
        assert_eq!(Shift::of_minute(5 * 60), Shift::Night);
        let tehran = Zone::named("Asia/Tehran").unwrap();
        // Friday 2026-12-04 10:30 UTC; its week began on Saturday 2026-11-28.
        assert_eq!(week_of(&tehran, 1_796_380_200), 20261128);
        // Saturday 2026-12-05 00:30 Tehran (21:00 UTC Friday) starts a new week.
        assert_eq!(week_of(&tehran, 1_796_418_000), 20261205);
    }
}
