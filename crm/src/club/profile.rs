//! What the panel edits about a member on the member's word: the birthday their gift
//! comes on, and whether they take marketing SMS. (The anniversary is the Jalali day they
//! joined, kept as `joined_at`; it is history, not editable.)

use sqlx::Row;

use super::rewards::{latin_date, parse_birthday};
use crate::audit::{self, Actor, Change};
use crate::error::{Error, Result};
use crate::jalali::JalaliDate;
use crate::store::{Store, flag};
use crate::tenants::Tenant;

/// A member's editable details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Jalali `MM-DD`.
    pub birthday: Option<String>,
    pub marketing_opt_out: bool,
}

/// The member's details; `None` if the customer is not a member.
pub async fn get(store: &Store, tenant: &Tenant, customer_id: i64) -> Result<Option<Profile>> {
    let row = sqlx::query(
        "SELECT birthday, marketing_opt_out FROM club_members WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| {
        Ok(Profile {
            birthday: r.try_get("birthday")?,
            marketing_opt_out: flag(&r, "marketing_opt_out")?,
        })
    })
    .transpose()
}

/// Which calendar a date typed without a year is in (one with a year says so itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendar {
    Jalali,
    Gregorian,
}

/// A birthday as typed — `09-13`, `۱۳۷۰/۰۹/۱۳`, `1991-12-04`, `12-04` — as the Jalali
/// `MM-DD` the gifts use. A four-digit year below 1700 is Jalali, above it Gregorian;
/// without a year `calendar` decides, and a Gregorian month-day is read in a common
/// Gregorian year (2025), so around Nowruz it can land a day off the member's own year.
pub fn parse_any_birthday(input: &str, calendar: Calendar) -> Result<String> {
    let latin = latin_date(input);
    let bad = || {
        Error::invalid(format!(
            "birthday {input:?}: expected a month and day such as 09-13, or a full date"
        ))
    };
    let parts: Vec<&str> = latin.split('-').collect();
    let (year, month_day) = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => (
            Some(y.parse::<i32>().map_err(|_| bad())?),
            format!("{m}-{d}"),
        ),
        [_, _] => (None, latin.clone()),
        _ => return Err(bad()),
    };
    let gregorian = match year {
        Some(y) => y >= 1700,
        None => calendar == Calendar::Gregorian,
    };
    if !gregorian {
        return parse_birthday(&month_day).map_err(|_| bad());
    }
    let (m, d) = month_day.split_once('-').ok_or_else(bad)?;
    let (m, d): (i64, i64) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let key = i64::from(year.unwrap_or(2025)) * 10_000 + m * 100 + d;
    let j = JalaliDate::from_day_key(key).ok_or_else(bad)?;
    Ok(format!("{:02}-{:02}", j.month, j.day))
}

/// The Gregorian `MM-DD` a Jalali `MM-DD` birthday falls on in `year`'s Jalali year that
/// starts in Gregorian `year` (for showing it in English); `None` if it does not exist.
pub fn gregorian_of(birthday: &str, year: i32) -> Option<String> {
    let (m, d) = birthday.split_once('-')?;
    let jalali = JalaliDate {
        year: year - 621,
        month: m.parse().ok()?,
        day: d.parse().ok()?,
    };
    let key = jalali.day_key()?;
    Some(format!("{:02}-{:02}", key / 100 % 100, key % 100))
}

/// Sets the member's birthday (already parsed, or `None` to clear it) and marketing
/// consent in one transaction, audited with before and after. `NotFound` if the
/// customer is not a member. Opting back in is on the member's word; texting the club
/// code does the same by itself.
pub async fn update(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    new: &Profile,
    actor: Actor,
    now: i64,
) -> Result<()> {
    let birthday = new.birthday.as_deref().map(parse_birthday).transpose()?;
    let mut tx = store.begin().await?;
    let row = sqlx::query(
        "SELECT birthday, marketing_opt_out, opted_out_at FROM club_members \
         WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("club member #{customer_id}")))?;
    let before = Profile {
        birthday: row.try_get("birthday")?,
        marketing_opt_out: flag(&row, "marketing_opt_out")?,
    };
    let after = Profile {
        birthday,
        marketing_opt_out: new.marketing_opt_out,
    };
    if before == after {
        return Ok(());
    }
    // Opting out keeps the first moment; opting in forgets it.
    let opted_out_at = match (before.marketing_opt_out, after.marketing_opt_out) {
        (_, false) => None,
        (true, true) => row.try_get::<Option<i64>, _>("opted_out_at")?,
        (false, true) => Some(now),
    };
    sqlx::query(
        "UPDATE club_members SET birthday = $3, marketing_opt_out = $4, opted_out_at = $5 \
         WHERE tenant_id = $1 AND customer_id = $2",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .bind(after.birthday.as_deref())
    .bind(after.marketing_opt_out)
    .bind(opted_out_at)
    .execute(&mut *tx)
    .await?;
    let json = |p: &Profile| serde_json::json!({ "birthday": p.birthday, "marketing_opt_out": p.marketing_opt_out });
    audit::record(
        &mut *tx,
        actor,
        &Change {
            tenant_id: Some(tenant.id),
            action: "club.member_profile",
            entity: "customer",
            entity_id: Some(customer_id),
            before: Some(json(&before)),
            after: Some(json(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays_parse_in_either_calendar() {
        use Calendar::*;
        assert_eq!(parse_any_birthday("09-13", Jalali).unwrap(), "09-13");
        assert_eq!(
            parse_any_birthday("۱۳۷۰/۰۹/۱۳", Gregorian).unwrap(),
            "09-13"
        );
        // 4 December is 13 Azar.
        assert_eq!(parse_any_birthday("1991-12-04", Jalali).unwrap(), "09-13");
        assert_eq!(parse_any_birthday("12-04", Gregorian).unwrap(), "09-13");
        assert_eq!(parse_any_birthday("03/21", Gregorian).unwrap(), "01-01");
        for bad in ["", "13-01", "2025-02-30", "x", "1-2-3", "07-31"] {
            let calendar = if bad == "07-31" { Jalali } else { Gregorian };
            assert!(parse_any_birthday(bad, calendar).is_err(), "{bad}");
        }
        assert_eq!(gregorian_of("09-13", 2026).as_deref(), Some("12-04"));
    }
}
