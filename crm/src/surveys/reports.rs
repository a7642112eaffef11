//! Satisfaction over time (by day, week or month) and by shift: both need the invoice's
//! local time in the tenant's zone, which portable SQL cannot compute, so the window's
//! answers are read once and bucketed here (`score` does the arithmetic). `csv` writes
//! the whole report as one spreadsheet.

use std::collections::BTreeMap;

use sqlx::AssertSqlSafe;

use super::responses::{Breakdown, GroupScore, answers_in, breakdown};
use crate::branches::Scope;
use crate::clock::Zone;
use crate::error::Result;
use crate::store::Store;
use crate::tenants::Tenant;

/// How long one step of the trend is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    Day,
    /// Saturday to Friday, the Iranian week.
    #[default]
    Week,
    /// The tenant's month (Jalali or Gregorian, `Zone::month_start`).
    Month,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::Month];

    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// `day`, `week` or `month`; anything else is the default (week).
    pub fn parse(text: &str) -> Period {
        Period::ALL
            .into_iter()
            .find(|p| p.name() == text.trim())
            .unwrap_or_default()
    }

    /// The first day (day key) of the local period `unix` falls in.
    fn start(self, zone: &Zone, unix: i64) -> i64 {
        match self {
            Period::Day => zone.day_key(unix),
            Period::Week => week_of(zone, unix),
            Period::Month => zone.month_start(zone.day_key(unix)),
        }
    }

    /// About how many seconds one period lasts: the step that visits every period of a
    /// window (a day for months, so none is skipped).
    fn step(self) -> i64 {
        match self {
            Period::Week => 7 * 86_400,
            Period::Day | Period::Month => 86_400,
        }
    }
}

/// One day, week or month of answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// Day key (`YYYYMMDD`) of its first day, local time.
    pub start_day: i64,
    pub answers: i64,
    /// The mean rating in tenths.
    pub average: Option<i64>,
    /// Answers rating 4 or 5.
    pub satisfied: i64,
    pub csat: Option<i64>,
    pub nps: Option<i64>,
}

/// Part of the day an invoice was made in, local time: the tenant's windows
/// (`SurveySettings::shift_starts`), by default 06–12, 12–17, 17–22 and 22–06.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shift {
    Morning,
    Afternoon,
    Evening,
    Night,
}

impl Shift {
    pub const ALL: [Shift; 4] = [
        Shift::Morning,
        Shift::Afternoon,
        Shift::Evening,
        Shift::Night,
    ];

    /// The shift of a local minute of the day with the default windows.
    pub fn of_minute(minute: u16) -> Shift {
        Shift::of(minute, &super::settings::DEFAULT_SHIFTS)
    }

    /// The shift of a local minute of the day, given the starts of morning, afternoon,
    /// evening and night; before the morning is night.
    pub fn of(minute: u16, starts: &[i64; 4]) -> Shift {
        let minute = i64::from(minute);
        let [morning, afternoon, evening, night] = *starts;
        if minute < morning || minute >= night {
            Shift::Night
        } else if minute < afternoon {
            Shift::Morning
        } else if minute < evening {
            Shift::Afternoon
        } else {
            Shift::Evening
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

/// The trend (every period of the window, empty ones too) and satisfaction by shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverTime {
    pub periods: Vec<Week>,
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
/// invoice's local period and shift.
pub async fn over_time(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    zone: &Zone,
    period: Period,
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
    let mut periods = BTreeMap::<i64, Bucket>::new();
    let mut at = since;
    while at < until {
        periods.entry(period.start(zone, at)).or_default();
        at += period.step();
    }
    periods.entry(period.start(zone, until - 1)).or_default();
    let starts = super::settings::get(store, tenant).await?.shift_starts;
    let mut shifts = BTreeMap::<Shift, Bucket>::new();
    for (when, rating, nps) in rows {
        periods
            .entry(period.start(zone, when))
            .or_default()
            .add(rating, nps);
        let (_, minute) = zone.weekday_minute(when);
        shifts
            .entry(Shift::of(minute, &starts))
            .or_default()
            .add(rating, nps);
    }
    Ok(OverTime {
        periods: periods
            .into_iter()
            .map(|(start_day, b)| {
                let g = b.scores(String::new());
                Week {
                    start_day,
                    answers: g.ratings,
                    average: g.average,
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

/// What a CSV export covers: the invoices of `scope` in `[since, until)`, the trend in
/// `period`s of the `zone`'s calendar.
pub struct Window<'a> {
    pub scope: &'a Scope,
    pub zone: &'a Zone,
    pub period: Period,
    pub since: i64,
    pub until: i64,
}

/// The CSV's header; `section` says which part of the report a line belongs to.
pub const CSV_HEADER: [&str; 7] = [
    "section", "key", "jalali", "answers", "average", "csat", "nps",
];

/// The satisfaction report as one CSV (BOM first, so Excel reads Persian names):
/// the trend (`section` = `day`/`week`/`month`, `key` = its first day, ISO, and `jalali`
/// the same day in the Jalali calendar), then satisfaction by `branch` (only when
/// `with_branches`: comparing branches is a permission of its own), `item`, `category`,
/// `staff` and `shift`. Cells go through `customers_csv::line`, which defuses formulas.
pub async fn csv(
    store: &Store,
    tenant: &Tenant,
    w: &Window<'_>,
    with_branches: bool,
) -> Result<String> {
    use crate::customers_csv::{BOM, line};
    let time = over_time(store, tenant, w.scope, w.zone, w.period, w.since, w.until).await?;
    let tenths = |v: Option<i64>| v.map_or_else(String::new, |v| format!("{}.{}", v / 10, v % 10));
    let num = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
    let mut out = String::from(BOM);
    out.push_str(&line(&CSV_HEADER));
    for p in &time.periods {
        let jalali = crate::jalali::JalaliDate::from_day_key(p.start_day)
            .map(crate::jalali::JalaliDate::iso_like)
            .unwrap_or_default();
        let iso = format!(
            "{:04}-{:02}-{:02}",
            p.start_day / 10_000,
            p.start_day / 100 % 100,
            p.start_day % 100
        );
        out.push_str(&line(&[
            w.period.name(),
            &iso,
            &jalali,
            &p.answers.to_string(),
            &tenths(p.average),
            &num(p.csat),
            &num(p.nps),
        ]));
    }
    let mut sections: Vec<(&str, Vec<GroupScore>)> = Vec::new();
    let mut by = [Breakdown::Item, Breakdown::Category, Breakdown::Staff].to_vec();
    if with_branches {
        by.insert(0, Breakdown::Branch);
    }
    for b in by {
        let groups = breakdown(store, tenant, w.scope, b, w.since, w.until).await?;
        sections.push((b.name(), groups));
    }
    sections.push(("shift", time.shifts.into_iter().map(|(_, g)| g).collect()));
    for (section, groups) in sections {
        for g in groups {
            out.push_str(&line(&[
                section,
                &g.key,
                "",
                &g.ratings.to_string(),
                &tenths(g.average),
                &num(g.csat),
                &num(g.nps),
            ]));
        }
    }
    Ok(out)
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
        // Morning 07–12, noon 12–17, evening 17–24: no night after the evening.
        let mine = [420, 720, 1020, 1440];
        assert_eq!(Shift::of(6 * 60 + 59, &mine), Shift::Night);
        assert_eq!(Shift::of(7 * 60, &mine), Shift::Morning);
        assert_eq!(Shift::of(23 * 60 + 59, &mine), Shift::Evening);
        let tehran = Zone::named("Asia/Tehran").unwrap();
        // Friday 2026-12-04 10:30 UTC; its week began on Saturday 2026-11-28.
        assert_eq!(week_of(&tehran, 1_796_380_200), 20261128);
        // Saturday 2026-12-05 00:30 Tehran (21:00 UTC Friday) starts a new week.
        assert_eq!(week_of(&tehran, 1_796_418_000), 20261205);
    }
}
