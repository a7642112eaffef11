//! A tenant's survey knobs: on/off, delay after the invoice, quiet hours, frequency cap,
//! reminders, per-item ratings, the "precision" add-on.

use sqlx::{AnyConnection, Row};

use crate::audit::{self, Actor};
use crate::clock::{self, Zone};
use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::store::{Store, flag};
use crate::tenants::Tenant;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SurveySettings {
    pub enabled: bool,
    /// Minutes after the invoice the first SMS is due.
    pub delay_minutes: i64,
    /// Local minutes of the day `[start, end)` no SMS leaves in; may wrap midnight;
    /// equal means no quiet hours.
    pub quiet_start: i64,
    pub quiet_end: i64,
    /// At most one invitation per customer per this many days (0 = every invoice).
    pub cap_days: i64,
    /// Reminders after the first SMS while unanswered, a day apart.
    pub max_reminders: i64,
    /// Ask for a rating of every item on the invoice too.
    pub per_item: bool,
    /// An overall rating at or below this opens a case and alerts (0 = never).
    pub alert_below: i64,
    /// `+989…` phones texted about every low score (at most 10).
    pub alert_phones: Vec<String>,
    /// Canned replies to the customer: `reply_happy` for a rating at or above
    /// `happy_from`, `reply_unhappy` for one at or below `alert_below`; `{tenant}` is
    /// replaced by the tenant's name.
    pub happy_from: i64,
    pub reply_happy: Option<String>,
    pub reply_unhappy: Option<String>,
    /// The "precision" add-on (switched by the operator): the tenant's own questions
    /// (`questions`) are asked after the overall rating.
    pub precision: bool,
    /// Local start minutes of morning, afternoon, evening and night for the report by
    /// shift (`reports::Shift::of`); night 1440 = none after the evening, and the night
    /// also covers midnight to the morning.
    pub shift_starts: [i64; 4],
}

/// Morning 06:00, afternoon 12:00, evening 17:00, night 22:00.
pub const DEFAULT_SHIFTS: [i64; 4] = [6 * 60, 12 * 60, 17 * 60, 22 * 60];

impl Default for SurveySettings {
    /// Off; when turned on: two hours after the invoice, never 22:00–09:00, once a week,
    /// no reminder.
    fn default() -> Self {
        SurveySettings {
            enabled: false,
            delay_minutes: 120,
            quiet_start: 22 * 60,
            quiet_end: 9 * 60,
            cap_days: 7,
            max_reminders: 0,
            per_item: true,
            alert_below: 2,
            alert_phones: Vec::new(),
            happy_from: 4,
            reply_happy: None,
            reply_unhappy: None,
            precision: false,
            shift_starts: DEFAULT_SHIFTS,
        }
    }
}

/// Seconds between reminders.
pub const REMINDER_GAP: i64 = 86_400;

impl SurveySettings {
    /// Checks every knob; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        match self.problems().into_iter().next() {
            Some((_, message)) => Err(Error::invalid(message)),
            None => Ok(()),
        }
    }

    /// Every bad knob as (field, reason), so a form can put each next to its field.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        let mut bad = |field, message: &str| out.push((field, message.to_string()));
        if !(0..=7 * 24 * 60).contains(&self.delay_minutes) {
            bad("delay_minutes", "the delay must be 0 to 10080 minutes");
        }
        if [self.quiet_start, self.quiet_end]
            .iter()
            .any(|m| !(0..24 * 60).contains(m))
        {
            bad(
                "quiet_hours",
                "quiet hours must be minutes of the day, 0 to 1439",
            );
        }
        if !(0..=365).contains(&self.cap_days) {
            bad("cap_days", "the frequency cap must be 0 to 365 days");
        }
        if !(0..=5).contains(&self.max_reminders) {
            bad("max_reminders", "at most 5 reminders");
        }
        if !(0..=5).contains(&self.alert_below) {
            bad("alert_below", "the alert threshold must be 0 to 5 stars");
        }
        if self.alert_phones.len() > MAX_ALERT_PHONES {
            bad("alert_phones", "at most 10 survey alert phones");
        } else if let Some(e) = self.alert_phones.iter().find_map(|p| Phone::parse(p).err()) {
            bad("alert_phones", &e.to_string());
        }
        let [m, a, e, n] = self.shift_starts;
        if !(0 <= m && m < a && a < e && e <= n && n <= 24 * 60) {
            bad(
                "shifts",
                "shifts must start in order within the day, e.g. 06:00 12:00 17:00 22:00",
            );
        }
        if !(1..=5).contains(&self.happy_from) || self.happy_from <= self.alert_below {
            bad(
                "happy_from",
                "the happy threshold must be 1 to 5 stars and above the alert threshold",
            );
        }
        for (field, text) in [
            ("reply_happy", &self.reply_happy),
            ("reply_unhappy", &self.reply_unhappy),
        ] {
            let Some(text) = text else { continue };
            let n = text.trim().chars().count();
            if n == 0 || n > 300 || text.chars().any(|c| c.is_control() && c != '\n') {
                bad(
                    field,
                    "canned replies must be 1 to 300 characters without control characters",
                );
            }
        }
        out
    }

    /// `unix`, or the end of the quiet hours if it falls inside them (tenant's local time).
    pub fn out_of_quiet_hours(&self, zone: &Zone, unix: i64) -> i64 {
        let (start, end) = (self.quiet_start, self.quiet_end);
        if start == end {
            return unix;
        }
        let (_, minute) = zone.weekday_minute(unix);
        let minute = i64::from(minute);
        let quiet = if start < end {
            (start..end).contains(&minute)
        } else {
            minute >= start || minute < end
        };
        if !quiet {
            return unix;
        }
        let wait = (end - minute).rem_euclid(24 * 60);
        unix - unix.rem_euclid(60) + wait * 60
    }
}

/// `07:00 12:00 17:00 24:00` (spaces or commas) → the starts of morning, afternoon,
/// evening and night in minutes; `-` or nothing → the defaults.
pub fn parse_shifts(text: &str) -> Result<[i64; 4]> {
    let text = text.trim();
    if text == "-" || text.is_empty() {
        return Ok(DEFAULT_SHIFTS);
    }
    let bad = || {
        Error::invalid(format!(
            "shifts {text:?}: expected four start times HH:MM, e.g. 06:00 12:00 17:00 22:00"
        ))
    };
    let minute = |t: &str| -> Option<i64> {
        let (h, m) = t.split_once(':')?;
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        ((0..60).contains(&m) && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
    };
    let starts: Vec<i64> = text
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(|t| minute(t).ok_or_else(bad))
        .collect::<Result<_>>()?;
    starts.try_into().map_err(|_| bad())
}

/// The shift starts as `parse_shifts` reads them: `06:00 12:00 17:00 22:00`.
pub fn shifts_text(s: &SurveySettings) -> String {
    s.shift_starts
        .iter()
        .map(|m| format!("{:02}:{:02}", m / 60, m % 60))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `22:00-09:00` → (1320, 540); `-` or nothing → no quiet hours (0, 0).
pub fn parse_quiet_hours(text: &str) -> Result<(i64, i64)> {
    let text = text.trim();
    if text == "-" || text.is_empty() {
        return Ok((0, 0));
    }
    let bad = || {
        Error::invalid(format!(
            "quiet hours {text:?}: expected HH:MM-HH:MM, e.g. 22:00-09:00"
        ))
    };
    let minute = |t: &str| -> Option<i64> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
    };
    let (from, to) = text.split_once('-').ok_or_else(bad)?;
    Ok((minute(from).ok_or_else(bad)?, minute(to).ok_or_else(bad)?))
}

/// The quiet hours as `parse_quiet_hours` reads them: `22:00-09:00`, or `-` for none.
pub fn quiet_hours_text(s: &SurveySettings) -> String {
    let hhmm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    if s.quiet_start == s.quiet_end {
        "-".to_string()
    } else {
        format!("{}-{}", hhmm(s.quiet_start), hhmm(s.quiet_end))
    }
}

pub async fn get(store: &Store, tenant: &Tenant) -> Result<SurveySettings> {
    let mut conn = store.pool().acquire().await?;
    get_in(&mut conn, tenant.id).await
}

pub(crate) async fn get_in(conn: &mut AnyConnection, tenant_id: i64) -> Result<SurveySettings> {
    let row = sqlx::query(
        "SELECT enabled, delay_minutes, quiet_start, quiet_end, cap_days, max_reminders, per_item, \
                alert_below, alert_phones, happy_from, reply_happy, reply_unhappy, precision_addon, \
                shifts \
         FROM survey_settings WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Ok(SurveySettings::default());
    };
    Ok(SurveySettings {
        enabled: flag(&r, "enabled")?,
        delay_minutes: r.try_get("delay_minutes")?,
        quiet_start: r.try_get("quiet_start")?,
        quiet_end: r.try_get("quiet_end")?,
        cap_days: r.try_get("cap_days")?,
        max_reminders: r.try_get("max_reminders")?,
        per_item: flag(&r, "per_item")?,
        alert_below: r.try_get("alert_below")?,
        alert_phones: r
            .try_get::<String, _>("alert_phones")?
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        happy_from: r.try_get("happy_from")?,
        reply_happy: r.try_get("reply_happy")?,
        reply_unhappy: r.try_get("reply_unhappy")?,
        precision: flag(&r, "precision_addon")?,
        shift_starts: stored_shifts(&r.try_get::<String, _>("shifts")?),
    })
}

/// The `shifts` column: four comma-separated minutes, or the defaults.
fn stored_shifts(text: &str) -> [i64; 4] {
    let starts: Vec<i64> = text
        .split(',')
        .filter_map(|m| m.trim().parse().ok())
        .collect();
    starts.try_into().unwrap_or(DEFAULT_SHIFTS)
}

pub async fn set(store: &Store, tenant: &Tenant, s: &SurveySettings) -> Result<()> {
    let mut conn = store.pool().acquire().await?;
    set_in(&mut conn, tenant, s).await
}

/// Saves the settings from the panel with an audit entry (`survey.settings`, the changed
/// values before and after) in one transaction.
pub async fn save(store: &Store, tenant: &Tenant, s: &SurveySettings, actor: Actor) -> Result<()> {
    let mut tx = store.begin().await?;
    write_lock_in(&mut tx, tenant.id).await?;
    let before = get_in(&mut tx, tenant.id).await?;
    set_in(&mut tx, tenant, s).await?;
    let json =
        |v: &SurveySettings| serde_json::to_value(v).map_err(|e| Error::invalid(e.to_string()));
    let (before, after) = audit::changed(&json(&before)?, &json(s)?);
    if !after.as_object().is_some_and(|m| m.is_empty()) {
        let change = audit::Change {
            tenant_id: Some(tenant.id),
            action: "survey.settings",
            entity: "tenant",
            entity_id: Some(tenant.id),
            before: Some(before),
            after: Some(after),
        };
        audit::record(&mut *tx, actor, &change).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// At most this many phones outside the panel get low-score SMS.
pub const MAX_ALERT_PHONES: usize = 10;

/// What adding or removing a survey alert phone did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneChange {
    Added,
    Removed,
    /// Adding a phone already on the list: nothing changed.
    AlreadyThere,
    /// Adding an eleventh phone: refused.
    Full,
    /// Removing a phone not on the list: nothing changed.
    NotThere,
}

/// Adds (`add`) or removes `phone` from the phones texted about every low score, in one
/// transaction with its audit entry (`survey.alert_phone_add` / `_remove`).
pub async fn change_alert_phone(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    add: bool,
    actor: Actor,
) -> Result<PhoneChange> {
    let mut tx = store.begin().await?;
    write_lock_in(&mut tx, tenant.id).await?;
    let mut s = get_in(&mut tx, tenant.id).await?;
    let at = s.alert_phones.iter().position(|p| p == phone.e164());
    let change = match (add, at) {
        (true, Some(_)) => return Ok(PhoneChange::AlreadyThere),
        (true, None) if s.alert_phones.len() >= MAX_ALERT_PHONES => return Ok(PhoneChange::Full),
        (true, None) => {
            s.alert_phones.push(phone.e164().to_string());
            PhoneChange::Added
        }
        (false, None) => return Ok(PhoneChange::NotThere),
        (false, Some(i)) => {
            s.alert_phones.remove(i);
            PhoneChange::Removed
        }
    };
    set_in(&mut tx, tenant, &s).await?;
    let entry = audit::Change {
        tenant_id: Some(tenant.id),
        action: if add {
            "survey.alert_phone_add"
        } else {
            "survey.alert_phone_remove"
        },
        entity: "tenant",
        entity_id: Some(tenant.id),
        before: None,
        after: Some(serde_json::json!({ "phone": phone.e164() })),
    };
    audit::record(&mut *tx, actor, &entry).await?;
    tx.commit().await?;
    Ok(change)
}

/// Starts a transaction that reads before it writes with a write: SQLite then takes the
/// write lock at once (waiting its turn) instead of failing to upgrade a read snapshot
/// when the worker writes meanwhile; on PostgreSQL it orders editors of one tenant.
pub(crate) async fn write_lock_in(conn: &mut AnyConnection, tenant_id: i64) -> Result<()> {
    sqlx::query("UPDATE survey_settings SET updated_at = updated_at WHERE tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn set_in(conn: &mut AnyConnection, tenant: &Tenant, s: &SurveySettings) -> Result<()> {
    s.validate()?;
    let alert_phones = s
        .alert_phones
        .iter()
        .map(|p| Phone::parse(p).map(|p| p.e164().to_string()))
        .collect::<Result<Vec<_>, _>>()?
        .join(",");
    sqlx::query(
        "INSERT INTO survey_settings (tenant_id, enabled, delay_minutes, quiet_start, quiet_end, \
             cap_days, max_reminders, per_item, alert_below, alert_phones, happy_from, \
             reply_happy, reply_unhappy, updated_at, precision_addon, shifts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, \
             delay_minutes = excluded.delay_minutes, quiet_start = excluded.quiet_start, \
             quiet_end = excluded.quiet_end, cap_days = excluded.cap_days, \
             max_reminders = excluded.max_reminders, per_item = excluded.per_item, \
             alert_below = excluded.alert_below, alert_phones = excluded.alert_phones, \
             happy_from = excluded.happy_from, reply_happy = excluded.reply_happy, \
             reply_unhappy = excluded.reply_unhappy, \
             precision_addon = excluded.precision_addon, updated_at = excluded.updated_at, \
             shifts = excluded.shifts",
    )
    .bind(tenant.id)
    .bind(s.enabled)
    .bind(s.delay_minutes)
    .bind(s.quiet_start)
    .bind(s.quiet_end)
    .bind(s.cap_days)
    .bind(s.max_reminders)
    .bind(s.per_item)
    .bind(s.alert_below)
    .bind(alert_phones)
    .bind(s.happy_from)
    .bind(s.reply_happy.as_deref().map(str::trim))
    .bind(s.reply_unhappy.as_deref().map(str::trim))
    .bind(clock::now())
    .bind(s.precision)
    .bind(
        s.shift_starts
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_push_the_time_to_their_end() {
        let utc = Zone::named("UTC").unwrap();
        let s = SurveySettings::default(); // 22:00–09:00
        let day = 1_800_000_000 - 1_800_000_000 % 86_400;
        let at = |h: i64, m: i64| day + h * 3600 + m * 60;
        assert_eq!(s.out_of_quiet_hours(&utc, at(12, 0)), at(12, 0));
        assert_eq!(s.out_of_quiet_hours(&utc, at(21, 59)), at(21, 59));
        assert_eq!(s.out_of_quiet_hours(&utc, at(22, 0)), at(33, 0));
        assert_eq!(s.out_of_quiet_hours(&utc, at(23, 30) + 17), at(33, 0));
        assert_eq!(s.out_of_quiet_hours(&utc, at(3, 0)), at(9, 0));
        assert_eq!(s.out_of_quiet_hours(&utc, at(9, 0)), at(9, 0));
        let lunch = SurveySettings {
            quiet_start: 12 * 60,
            quiet_end: 14 * 60,
            ..s.clone()
        };
        assert_eq!(lunch.out_of_quiet_hours(&utc, at(13, 0)), at(14, 0));
        assert_eq!(lunch.out_of_quiet_hours(&utc, at(22, 0)), at(22, 0));
        let none = SurveySettings {
            quiet_start: 0,
            quiet_end: 0,
            ..s
        };
        assert_eq!(none.out_of_quiet_hours(&utc, at(3, 0)), at(3, 0));
        // Tehran is UTC+3:30: 20:00 UTC is 23:30 local, quiet until 09:00 local = 05:30 UTC.
        let tehran = Zone::named("Asia/Tehran").unwrap();
        let d = SurveySettings::default();
        assert_eq!(d.out_of_quiet_hours(&tehran, at(20, 0)), at(29, 30));
    }

    #[test]
    fn quiet_hours_parse() {
        assert_eq!(parse_quiet_hours("22:00-09:30").unwrap(), (1320, 570));
        assert_eq!(parse_quiet_hours("-").unwrap(), (0, 0));
        assert!(parse_quiet_hours("25:00-09:00").is_err());
        assert!(parse_quiet_hours("22-09").is_err());
        let s = SurveySettings::default();
        assert_eq!(quiet_hours_text(&s), "22:00-09:00");
    }

    #[test]
    fn knobs_are_checked() {
        assert!(SurveySettings::default().validate().is_ok());
        let bad = |f: fn(&mut SurveySettings)| {
            let mut s = SurveySettings::default();
            f(&mut s);
            s.validate().is_err()
        };
        assert!(bad(|s| s.delay_minutes = -1));
        assert!(bad(|s| s.quiet_end = 1440));
        assert!(bad(|s| s.cap_days = 366));
        assert!(bad(|s| s.max_reminders = 6));
        assert!(bad(|s| s.alert_below = 6));
        assert!(bad(|s| s.alert_phones = vec!["12345".into()]));
        assert!(bad(|s| s.happy_from = 2));
        assert!(bad(|s| s.reply_happy = Some(" ".into())));
        assert!(bad(|s| s.shift_starts = [720, 420, 1020, 1440]));
        assert!(bad(|s| s.shift_starts = [420, 720, 1020, 1441]));
    }

    #[test]
    fn shifts_parse() {
        assert_eq!(
            parse_shifts("07:00 12:00, 17:00 24:00").unwrap(),
            [420, 720, 1020, 1440]
        );
        assert_eq!(parse_shifts("-").unwrap(), DEFAULT_SHIFTS);
        assert!(parse_shifts("07:00 12:00 17:00").is_err());
        assert!(parse_shifts("7 12 17 24").is_err());
        assert!(parse_shifts("07:00 12:00 17:00 24:30").is_err());
        assert_eq!(
            shifts_text(&SurveySettings::default()),
            "06:00 12:00 17:00 22:00"
        );
        assert_eq!(stored_shifts(""), DEFAULT_SHIFTS);
        assert_eq!(stored_shifts("420,720,1020,1440"), [420, 720, 1020, 1440]);
    }
}
