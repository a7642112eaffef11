//! The SMS around a booking — which are sent, when, and their text — all editable per
//! tenant; the worker queues what is due on the SMS outbox once a minute.
//!
//! Kinds and when they are due: `confirmation` `offset` minutes after the booking is
//! made; `reminder` `offset` minutes before the start (not for bookings made after that
//! moment, nor once the start has passed); `thank_you` after the guest left
//! (`finished`); `no_show` after the booking is marked no-show. A tenant may have
//! several of a kind (two reminders: a day and two hours before). Each message goes out
//! once per booking: a `booking_messages_sent` row is claimed before queuing, so two
//! workers never send it twice.

use std::fmt;
use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::bookings::{self, Booking};
use crate::clock::Zone;
use crate::error::{Error, Result};
use crate::jalali::JalaliDate;
use crate::phone::Phone;
use crate::store::{Store, flag};
use crate::tenants::{self, Tenant};
use crate::ui::Locale;
use crate::{branches, sms};

/// Messages due longer ago than this are skipped, not sent late (a worker that was down
/// for a day does not thank yesterday's guests at midnight).
pub const STALE_AFTER: i64 = 86_400;

/// Wakes the in-process worker's booking-SMS job (a new booking's confirmation need not
/// wait for the next minute); another process's worker finds it within the minute.
pub fn wakeup() -> &'static tokio::sync::Notify {
    static WAKE: std::sync::LazyLock<tokio::sync::Notify> =
        std::sync::LazyLock::new(tokio::sync::Notify::new);
    &WAKE
}

/// The variables a template may use.
pub const VARIABLES: [&str; 6] = ["name", "date", "time", "party", "branch", "link"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Confirmation,
    Reminder,
    ThankYou,
    NoShow,
}

impl MessageKind {
    pub const ALL: [MessageKind; 4] = [
        MessageKind::Confirmation,
        MessageKind::Reminder,
        MessageKind::ThankYou,
        MessageKind::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Confirmation => "confirmation",
            MessageKind::Reminder => "reminder",
            MessageKind::ThankYou => "thank_you",
            MessageKind::NoShow => "no_show",
        }
    }

    /// The outbox `purpose` of this kind's messages.
    fn purpose(self) -> &'static str {
        match self {
            MessageKind::Confirmation => "booking_confirmation",
            MessageKind::Reminder => "booking_reminder",
            MessageKind::ThankYou => "booking_thank_you",
            MessageKind::NoShow => "booking_no_show",
        }
    }

    /// Bookings this message is due for at `$3`: `$1` tenant, `$2` offset (seconds),
    /// `$4` message id (not yet sent); confirmations also `$5`, when the message was
    /// created (bookings made before a new confirmation existed do not get it).
    fn due_sql(self) -> &'static str {
        match self {
            MessageKind::Confirmation => concat!(
                "SELECT b.id FROM bookings b WHERE b.tenant_id = $1 ",
                "AND b.status IN ('booked', 'confirmed', 'seated') ",
                "AND b.created_at + $2 <= $3 AND b.created_at + $2 > $3 - 86400 AND b.created_at >= $5 ",
                "AND NOT EXISTS (SELECT 1 FROM booking_messages_sent s WHERE s.booking_id = b.id AND s.message_id = $4) ",
                "ORDER BY b.id LIMIT 500"
            ),
            MessageKind::Reminder => concat!(
                "SELECT b.id FROM bookings b WHERE b.tenant_id = $1 ",
                "AND b.status IN ('booked', 'confirmed') ",
                "AND b.starts_at - $2 <= $3 AND b.starts_at - $2 > $3 - 86400 AND b.starts_at > $3 ",
                "AND b.created_at <= b.starts_at - $2 ",
                "AND NOT EXISTS (SELECT 1 FROM booking_messages_sent s WHERE s.booking_id = b.id AND s.message_id = $4) ",
                "ORDER BY b.id LIMIT 500"
            ),
            MessageKind::ThankYou => concat!(
                "SELECT b.id FROM bookings b WHERE b.tenant_id = $1 AND b.status = 'finished' ",
                "AND b.updated_at + $2 <= $3 AND b.updated_at + $2 > $3 - 86400 ",
                "AND NOT EXISTS (SELECT 1 FROM booking_messages_sent s WHERE s.booking_id = b.id AND s.message_id = $4) ",
                "ORDER BY b.id LIMIT 500"
            ),
            MessageKind::NoShow => concat!(
                "SELECT b.id FROM bookings b WHERE b.tenant_id = $1 AND b.status = 'no_show' ",
                "AND b.updated_at + $2 <= $3 AND b.updated_at + $2 > $3 - 86400 ",
                "AND NOT EXISTS (SELECT 1 FROM booking_messages_sent s WHERE s.booking_id = b.id AND s.message_id = $4) ",
                "ORDER BY b.id LIMIT 500"
            ),
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<MessageKind> {
        let s = s.trim().replace('-', "_");
        MessageKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown message kind {s:?}: expected confirmation, reminder, thank_you or no_show"
                ))
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub kind: MessageKind,
    /// Minutes after (confirmation, thank-you, no-show) or before (reminder).
    pub offset_minutes: i64,
    pub template: String,
    pub active: bool,
    pub created_at: i64,
}

impl Message {
    fn from_row(row: &AnyRow) -> Result<Message, sqlx::Error> {
        let kind: String = row.try_get("kind")?;
        Ok(Message {
            id: row.try_get("id")?,
            kind: kind
                .parse()
                .map_err(|e: Error| sqlx::Error::Decode(e.to_string().into()))?,
            offset_minutes: row.try_get("offset_minutes")?,
            template: row.try_get("template")?,
            active: flag(row, "active")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// Refuses a template the outbox would refuse or that names an unknown `{variable}`.
pub fn check_template(template: &str) -> Result<()> {
    let text = template.trim();
    if text.is_empty() || text.chars().count() > sms::MAX_BODY_CHARS {
        return Err(Error::invalid(format!(
            "a message text must be 1 to {} characters",
            sms::MAX_BODY_CHARS
        )));
    }
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| Error::invalid("a `{` in the message text is never closed"))?;
        let name = &after[..close];
        if !VARIABLES.contains(&name) {
            return Err(Error::invalid(format!(
                "unknown variable {{{name}}}: use {}",
                VARIABLES.map(|v| format!("{{{v}}}")).join(" ")
            )));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

fn check_offset(minutes: i64) -> Result<()> {
    if (0..=60 * 24 * 14).contains(&minutes) {
        Ok(())
    } else {
        Err(Error::invalid(
            "the offset must be between 0 and 20160 minutes (14 days)",
        ))
    }
}

/// What the variables stand for in one message.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub name: String,
    pub date: String,
    pub time: String,
    pub party: String,
    pub branch: String,
    pub link: String,
}

/// The template with its variables filled in.
pub fn render(template: &str, v: &Vars) -> String {
    let mut out = template.trim().to_string();
    for (name, value) in [
        ("name", &v.name),
        ("date", &v.date),
        ("time", &v.time),
        ("party", &v.party),
        ("branch", &v.branch),
        ("link", &v.link),
    ] {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A booking's variables, in the tenant's language (Jalali date, its digits).
pub fn vars_of(booking: &Booking, branch: &str, locale: Locale, public_url: Option<&str>) -> Vars {
    let zone = Zone::named(&booking.time_zone).ok();
    let day = zone.as_ref().map(|z| z.day_key(booking.starts_at));
    let date = day
        .and_then(JalaliDate::from_day_key)
        .map(|j| j.long(locale == Locale::Fa))
        .unwrap_or_default();
    let time = zone
        .as_ref()
        .map(|z| z.hh_mm(booking.starts_at))
        .unwrap_or_default();
    let name = booking.name.clone().unwrap_or_else(|| match locale {
        Locale::Fa => "مهمان".into(),
        Locale::En => "guest".into(),
    });
    Vars {
        name,
        date: locale.digits(&date),
        time: locale.digits(&time),
        party: locale.digits(&booking.party.to_string()),
        branch: branch.to_string(),
        link: public_url
            .map(|base| {
                format!(
                    "{}/book/manage/{}",
                    base.trim_end_matches('/'),
                    booking.token
                )
            })
            .unwrap_or_default(),
    }
}

/// What a tenant starts with: a confirmation at once, a reminder two hours before, a
/// thank-you an hour after; a no-show follow-up written but switched off.
const DEFAULTS: [(MessageKind, i64, &str, bool); 4] = [
    (
        MessageKind::Confirmation,
        0,
        "رزرو شما در {branch} برای {party} نفر، {date} ساعت {time} ثبت شد. تأیید یا لغو: {link}",
        true,
    ),
    (
        MessageKind::Reminder,
        120,
        "یادآوری: رزرو شما در {branch}، {date} ساعت {time} برای {party} نفر. برای تأیید «تایید» و برای لغو «انصراف» را پاسخ دهید، یا: {link}",
        true,
    ),
    (
        MessageKind::ThankYou,
        60,
        "{name} عزیز، از آمدنتان به {branch} سپاسگزاریم. امیدواریم دوباره ببینیمتان.",
        true,
    ),
    (
        MessageKind::NoShow,
        60,
        "{name} عزیز، امروز جای شما در {branch} خالی بود. هر وقت خواستید دوباره رزرو کنید.",
        false,
    ),
];

/// Gives a tenant that never had booking messages the defaults (switch one off
/// instead of deleting it, or the defaults come back).
pub async fn ensure_defaults(store: &Store, tenant: &Tenant, now: i64) -> Result<()> {
    let have: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM booking_messages WHERE tenant_id = $1")
            .bind(tenant.id)
            .fetch_one(store.pool())
            .await?;
    if have > 0 {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    for (kind, offset, template, active) in DEFAULTS {
        sqlx::query(
            "INSERT INTO booking_messages (tenant_id, kind, offset_minutes, template, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant.id)
        .bind(kind.as_str())
        .bind(offset)
        .bind(template)
        .bind(active)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<Message>> {
    let rows = sqlx::query(
        "SELECT id, kind, offset_minutes, template, active, created_at FROM booking_messages \
         WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant.id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .iter()
        .map(Message::from_row)
        .collect::<Result<_, _>>()?)
}

/// Adds a message (another reminder, say).
pub async fn add(
    store: &Store,
    tenant: &Tenant,
    kind: MessageKind,
    offset_minutes: i64,
    template: &str,
    now: i64,
) -> Result<Message> {
    check_offset(offset_minutes)?;
    check_template(template)?;
    ensure_defaults(store, tenant, now).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO booking_messages (tenant_id, kind, offset_minutes, template, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(tenant.id)
    .bind(kind.as_str())
    .bind(offset_minutes)
    .bind(template.trim())
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    by_id(store, tenant, id).await
}

pub async fn by_id(store: &Store, tenant: &Tenant, id: i64) -> Result<Message> {
    list(store, tenant)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| Error::NotFound(format!("booking message #{id}")))
}

/// What to change of a message; `None` keeps it.
#[derive(Debug, Clone, Default)]
pub struct MessageChange {
    pub offset_minutes: Option<i64>,
    pub template: Option<String>,
    pub active: Option<bool>,
}

pub async fn update(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    change: &MessageChange,
) -> Result<Message> {
    let old = by_id(store, tenant, id).await?;
    let offset = change.offset_minutes.unwrap_or(old.offset_minutes);
    check_offset(offset)?;
    let template = change
        .template
        .as_deref()
        .map(str::trim)
        .unwrap_or(&old.template)
        .to_string();
    check_template(&template)?;
    sqlx::query(
        "UPDATE booking_messages SET offset_minutes = $3, template = $4, active = $5 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(offset)
    .bind(&template)
    .bind(change.active.unwrap_or(old.active))
    .execute(store.pool())
    .await?;
    by_id(store, tenant, id).await
}

/// Queues every booking message due at `now` (all tenants) on the SMS outbox; returns
/// how many were queued. `public_url` (e.g. `https://book.example.com`) makes `{link}`.
pub async fn queue_due(store: &Store, now: i64, public_url: Option<&str>) -> Result<usize> {
    let rows = sqlx::query(
        "SELECT id, tenant_id, kind, offset_minutes, template, active, created_at \
         FROM booking_messages WHERE active = TRUE ORDER BY tenant_id, id",
    )
    .fetch_all(store.pool())
    .await?;
    let mut queued = 0;
    let mut tenant: Option<Tenant> = None;
    for row in &rows {
        let message = Message::from_row(row)?;
        let tenant_id: i64 = row.try_get("tenant_id")?;
        if tenant.as_ref().is_none_or(|t| t.id != tenant_id) {
            tenant = Some(tenants::by_id(store, tenant_id).await?);
        }
        let Some(t) = tenant.as_ref() else { continue };
        let mut q = sqlx::query_scalar::<_, i64>(message.kind.due_sql())
            .bind(t.id)
            .bind(message.offset_minutes * 60)
            .bind(now)
            .bind(message.id);
        if message.kind == MessageKind::Confirmation {
            q = q.bind(message.created_at);
        }
        for booking_id in q.fetch_all(store.pool()).await? {
            if send(store, t, &message, booking_id, now, public_url).await? {
                queued += 1;
            }
        }
    }
    Ok(queued)
}

/// Claims and queues one message for one booking; `false` if another worker had it.
async fn send(
    store: &Store,
    tenant: &Tenant,
    message: &Message,
    booking_id: i64,
    now: i64,
    public_url: Option<&str>,
) -> Result<bool> {
    let claimed = sqlx::query(
        "INSERT INTO booking_messages_sent (booking_id, message_id, queued_at) VALUES ($1, $2, $3) \
         ON CONFLICT (booking_id, message_id) DO NOTHING",
    )
    .bind(booking_id)
    .bind(message.id)
    .bind(now)
    .execute(store.pool())
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(false);
    }
    let booking = bookings::get(store, tenant, booking_id).await?;
    let branch = branches::by_id(store, tenant, booking.branch_id).await?;
    let locale = Locale::from_tag(&tenant.locale).unwrap_or_default();
    let body = render(
        &message.template,
        &vars_of(&booking, &branch.name, locale, public_url),
    );
    let phone = Phone::parse(&booking.phone)?;
    // Paid from the SMS wallet; an unpaid text stays claimed (counted, not retried).
    let mut tx = store.begin().await?;
    match sms::wallet::send_paid_in(&mut tx, tenant, &phone, &body, message.kind.purpose()).await {
        Ok(Some(outbox_id)) => {
            sqlx::query(
                "UPDATE booking_messages_sent SET outbox_id = $3 WHERE booking_id = $1 AND message_id = $2",
            )
            .bind(booking_id)
            .bind(message.id)
            .bind(outbox_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            sms::wakeup().notify_one();
            Ok(true)
        }
        Ok(None) => {
            tx.commit().await?;
            Ok(false)
        }
        // A text the outbox refuses (too long once filled in) stays claimed: it would
        // be refused again every minute. Nothing was debited (the transaction is dropped).
        Err(Error::Invalid(why)) => {
            tracing::warn!(booking = booking_id, message = message.id, %why, "booking SMS not queued");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_only_known_variables() {
        assert!(check_template("{name}: {date} {time}, {party} @ {branch} {link}").is_ok());
        assert!(check_template("See you at {time} {oops}").is_err());
        assert!(check_template("open { never closed").is_err());
        assert!(check_template("  ").is_err());
        assert!(check_template(&"x".repeat(901)).is_err());
        for (_, _, text, _) in DEFAULTS {
            check_template(text).unwrap();
        }
    }

    #[test]
    fn render_fills_variables() {
        let v = Vars {
            name: "Sara".into(),
            date: "15 Azar 1405".into(),
            time: "19:30".into(),
            party: "4".into(),
            branch: "Vali-Asr".into(),
            link: "https://x/book/manage/abc".into(),
        };
        assert_eq!(
            render(
                "{name}, {party} at {branch} {date} {time}: {link} {name}",
                &v
            ),
            "Sara, 4 at Vali-Asr 15 Azar 1405 19:30: https://x/book/manage/abc Sara"
        );
        assert_eq!(
            "thank-you".parse::<MessageKind>().unwrap(),
            MessageKind::ThankYou
        );
    }
}
