//! Birthday and anniversary gifts: on a member's birthday (a Jalali month-day, as
//! Iranians celebrate it) and on each Jalali anniversary of joining the club, the
//! tenant's `birthday_credit` / `anniversary_credit` is added to their credit — once per
//! member, kind and year (`club_rewards`), whichever worker runs first. Local days are
//! the tenant's time zone.

use sqlx::{AnyConnection, Row};

use super::settings;
use crate::error::{Error, Result};
use crate::jalali::JalaliDate;
use crate::ledger::{self, Actor, Award, EntryKind};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::Tenant;
use crate::{clock, tenants};

/// A typed date with Western digits and `-` between its parts (`۰۹/۱۳` → `09-13`).
pub(crate) fn latin_date(input: &str) -> String {
    input
        .trim()
        .chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '/' | '.' => '-',
            other => other,
        })
        .collect()
}

/// `MM-DD` (Jalali) from `9-13`, `09/13`, `۰۹-۱۳`…
pub fn parse_birthday(input: &str) -> Result<String> {
    let digits = latin_date(input);
    let bad = || {
        Error::invalid(format!(
            "birthday {input:?}: expected a Jalali month-day such as 09-13"
        ))
    };
    let (m, d) = digits.split_once('-').ok_or_else(bad)?;
    let (m, d): (u8, u8) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    let days = match m {
        1..=6 => 31,
        7..=12 => 30,
        _ => return Err(bad()),
    };
    if !(1..=days).contains(&d) {
        return Err(bad());
    }
    Ok(format!("{m:02}-{d:02}"))
}

/// Sets (or with `None` clears) a member's birthday. `NotFound` if not a member.
pub async fn set_birthday(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    birthday: Option<&str>,
) -> Result<()> {
    let birthday = birthday.map(parse_birthday).transpose()?;
    let done = sqlx::query(
        "UPDATE club_members SET birthday = $3 WHERE tenant_id = $1 \
         AND customer_id = (SELECT id FROM customers WHERE tenant_id = $1 AND phone = $2)",
    )
    .bind(tenant.id)
    .bind(phone.e164())
    .bind(birthday)
    .execute(store.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("club member {phone}")));
    }
    Ok(())
}

/// Gives the gift unless this member already had it this year; `true` if given.
#[allow(clippy::too_many_arguments)]
async fn give(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    kind: &str,
    year: i32,
    amount: i64,
    reason: String,
    expiry_days: i64,
    now: i64,
) -> Result<bool> {
    let claimed = sqlx::query(
        "INSERT INTO club_rewards (tenant_id, customer_id, kind, year, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tenant_id, customer_id, kind, year) DO NOTHING",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(kind)
    .bind(i64::from(year))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(false);
    }
    ledger::lock(conn, tenant_id, customer_id).await?;
    let award = Award {
        kind: EntryKind::Manual,
        amount,
        reason,
        actor: Actor::System,
        invoice_id: None,
        spendable_at: now,
        expires_at: now + expiry_days * 86_400,
    };
    ledger::award_in(conn, tenant_id, customer_id, &award, now).await?;
    Ok(true)
}

/// Gives today's birthday and anniversary gifts of every tenant that has them on.
/// Returns how many were given.
pub async fn due(store: &Store, now: i64) -> Result<u64> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT tenant_id FROM club_settings WHERE branch_id = 0 AND (birthday_credit > 0 OR anniversary_credit > 0)",
    )
    .fetch_all(store.pool())
    .await?;
    let mut given = 0;
    for id in ids {
        let tenant = tenants::by_id(store, id).await?;
        given += due_for(store, &tenant, now).await?;
    }
    Ok(given)
}

async fn due_for(store: &Store, tenant: &Tenant, now: i64) -> Result<u64> {
    let s = settings::get(store, tenant, None).await?;
    let zone = clock::Zone::named(&tenant.time_zone)?;
    let Some(today) = JalaliDate::from_day_key(zone.day_key(now)) else {
        return Ok(0);
    };
    // (customer, kind, amount, reason)
    let mut gifts: Vec<(i64, &str, i64, String)> = Vec::new();
    if s.birthday_credit > 0 {
        let md = format!("{:02}-{:02}", today.month, today.day);
        let members: Vec<i64> = sqlx::query_scalar(
            "SELECT customer_id FROM club_members WHERE tenant_id = $1 AND birthday = $2",
        )
        .bind(tenant.id)
        .bind(&md)
        .fetch_all(store.pool())
        .await?;
        for m in members {
            gifts.push((
                m,
                "birthday",
                s.birthday_credit,
                format!("birthday gift {}", today.year),
            ));
        }
    }
    if s.anniversary_credit > 0 {
        // The same Jalali day in each earlier year: members who joined then.
        for years in 1..=30 {
            let then = JalaliDate {
                year: today.year - years,
                ..today
            };
            let Some(key) = then.day_key() else { continue };
            let date = format!("{}-{:02}-{:02}", key / 10_000, key / 100 % 100, key % 100);
            let end = zone.end_of_day(&date)?;
            let start = zone.day_start(end);
            let rows = sqlx::query(
                "SELECT customer_id FROM club_members WHERE tenant_id = $1 AND joined_at BETWEEN $2 AND $3",
            )
            .bind(tenant.id)
            .bind(start)
            .bind(end)
            .fetch_all(store.pool())
            .await?;
            for r in rows {
                gifts.push((
                    r.try_get("customer_id")?,
                    "anniversary",
                    s.anniversary_credit,
                    format!("{years} year(s) in the club"),
                ));
            }
        }
    }
    let mut given = 0;
    for (customer, kind, amount, reason) in gifts {
        let mut tx = store.begin().await?;
        if give(
            &mut tx,
            tenant.id,
            customer,
            kind,
            today.year,
            amount,
            reason,
            s.expiry_days,
            now,
        )
        .await?
        {
            given += 1;
        }
        tx.commit().await?;
    }
    Ok(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays_are_jalali_month_days() {
        assert_eq!(parse_birthday("9-13").unwrap(), "09-13");
        assert_eq!(parse_birthday("۰۱/۳۱").unwrap(), "01-31");
        assert_eq!(parse_birthday("12-30").unwrap(), "12-30");
        assert!(parse_birthday("07-31").is_err(), "Mehr has 30 days");
        assert!(parse_birthday("13-01").is_err());
        assert!(parse_birthday("0913").is_err());
    }
}
