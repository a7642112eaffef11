//! SMS: a durable outbox, the providers that deliver it, and their delivery reports.
//!
//! Every message is first a row in `sms_outbox` (`queued`), so nothing is lost when a
//! provider is down or the process restarts. The worker role drains the outbox
//! ([`drain::drain_once`]): it claims due rows atomically (`sending`), hands each to the
//! configured [`SmsProvider`], and records the outcome — `sent`, a retry with backoff
//! after a retryable error, or `failed` with the provider's code and message. Delivery
//! reports (webhooks, or polling the provider) move `sent` to `delivered` or `failed`.
//!
//! ```text
//! queued ──claim──► sending ──accepted──► sent ──report──► delivered
//!   ▲                  │                    └────report──► failed
//!   └──retryable error─┤ (5 s, 30 s, 2 min, 10 min; 5 attempts)
//!                      └──permanent error / out of attempts──► failed
//! ```
//!
//! One-time codes: [`send_otp`] wakes the in-process drainer at once (no poll interval
//! in the way), and once the code has left for the provider — or can never leave — its
//! body and parameters are replaced by `***`: codes do not stay in the database. An OTP
//! that could not be sent within [`OTP_MAX_AGE`] is given up (the guest asks again).
//!
//! See docs/sms.md for the providers, their documented APIs and the error mapping.

pub mod console;
pub mod drain;
mod http;
pub mod kavenegar;
pub mod provider;
pub mod smsir;
pub mod wallet;
pub mod webhooks;

use std::fmt;
use std::sync::LazyLock;

use sqlx::Row;
use sqlx::any::AnyRow;
use tokio::sync::Notify;

use crate::clock;
use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::Tenant;

pub use drain::{drain_once, poll_deliveries};
pub use provider::{
    Delivery, DeliveryState, OutboundSms, Provider, ProviderConfig, ProviderError,
    ProviderErrorKind, ProviderKind, ProviderReceipt, SmsProvider,
};

/// What stands in an OTP's body and parameters once the code has left.
pub const REDACTED: &str = "***";

/// An OTP older than this is not sent any more: the portal's code has expired by then.
pub const OTP_MAX_AGE: i64 = 180;

/// Longest text body accepted (Kavenegar's documented limit for `sms/send`).
pub const MAX_BODY_CHARS: usize = 900;

/// Whether a message carries a one-time code (template send, redacted after sending)
/// or plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Otp,
    Text,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Otp => "otp",
            Kind::Text => "text",
        }
    }

    fn parse(s: &str) -> Result<Kind, sqlx::Error> {
        match s {
            "otp" => Ok(Kind::Otp),
            "text" => Ok(Kind::Text),
            other => Err(sqlx::Error::Decode(
                format!("unknown sms kind {other:?}").into(),
            )),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a message is in its life (see the module docs for the transitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Sending,
    Sent,
    Delivered,
    Failed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Queued,
        Status::Sending,
        Status::Sent,
        Status::Delivered,
        Status::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Status> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "unknown SMS status {s:?}: expected queued, sending, sent, delivered or failed"
                ))
            })
    }
}

/// The drainer's wake-up call: queuing a message notifies it so it does not wait for
/// its next poll. Process-wide; a drainer in another process polls (about every second).
pub fn wakeup() -> &'static Notify {
    static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);
    &WAKE
}

/// Queues a one-time code for `phone` and wakes the drainer; returns the outbox id.
///
/// The text is Persian and names the tenant; the code stays in ASCII digits so phones
/// offer to fill it in. Providers with a configured template send the code through it.
pub async fn send_otp(store: &Store, tenant: &Tenant, phone: &Phone, code: &str) -> Result<i64> {
    if !(4..=10).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Invalid(
            "a one-time code must be 4 to 10 ASCII digits".into(),
        ));
    }
    let body = otp_text(&tenant.name, code);
    let params = format!("{{\"code\":\"{code}\"}}");
    let id = insert(store, tenant, phone, Kind::Otp, "otp", &body, Some(&params)).await?;
    wakeup().notify_one();
    Ok(id)
}

/// The Persian OTP text: "Your code for the {tenant} Wi-Fi: {code}".
pub fn otp_text(tenant_name: &str, code: &str) -> String {
    format!("کد ورود شما به وای‌فای {tenant_name}: {code}")
}

/// Queues a text message (`purpose` labels what it is for, e.g. `survey`) and wakes the
/// drainer; returns the outbox id.
pub async fn enqueue_text(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    body: &str,
    purpose: &str,
) -> Result<i64> {
    let body = check_text(body)?;
    check_purpose(purpose)?;
    let id = insert(store, tenant, phone, Kind::Text, purpose, body, None).await?;
    wakeup().notify_one();
    Ok(id)
}

/// The trimmed text if it may be sent: not empty, not too long, no control characters.
fn check_text(body: &str) -> Result<&str> {
    let body = body.trim();
    if body.is_empty() {
        return Err(Error::Invalid("the SMS text is empty".into()));
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(Error::Invalid(format!(
            "the SMS text has {chars} characters; at most {MAX_BODY_CHARS} are allowed"
        )));
    }
    if body.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::Invalid(
            "the SMS text contains control characters (only line breaks are allowed)".into(),
        ));
    }
    Ok(body)
}

fn check_purpose(purpose: &str) -> Result<()> {
    let ok = !purpose.is_empty()
        && purpose.len() <= 50
        && purpose
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "SMS purpose {purpose:?} must be 1 to 50 of a-z, 0-9, _ and -"
        )))
    }
}

async fn insert(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    kind: Kind,
    purpose: &str,
    body: &str,
    params: Option<&str>,
) -> Result<i64> {
    let mut conn = store.pool().acquire().await?;
    insert_in(&mut conn, tenant, phone, kind, purpose, body, params).await
}

/// Queues a text inside the caller's transaction (it leaves only if that commits):
/// the wallet-paid member SMS use it. Checks the text like [`enqueue_text`].
pub(crate) async fn enqueue_text_in(
    conn: &mut sqlx::AnyConnection,
    tenant: &Tenant,
    phone: &Phone,
    body: &str,
    purpose: &str,
) -> Result<i64> {
    let body = check_text(body)?;
    check_purpose(purpose)?;
    insert_in(conn, tenant, phone, Kind::Text, purpose, body, None).await
}

async fn insert_in(
    conn: &mut sqlx::AnyConnection,
    tenant: &Tenant,
    phone: &Phone,
    kind: Kind,
    purpose: &str,
    body: &str,
    params: Option<&str>,
) -> Result<i64> {
    let now = clock::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sms_outbox (tenant_id, phone, kind, purpose, body, params, status, \
         attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7, $7) RETURNING id",
    )
    .bind(tenant.id)
    .bind(phone.e164())
    .bind(kind.as_str())
    .bind(purpose)
    .bind(body)
    .bind(params)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    tracing::debug!(outbox = id, tenant = tenant.id, kind = %kind, purpose, "sms queued");
    Ok(id)
}

/// One outbox row as stored (an OTP's body reads `***` once it has left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub tenant_id: i64,
    /// `+989XXXXXXXXX`.
    pub phone: String,
    pub kind: Kind,
    pub purpose: String,
    pub body: String,
    pub params: Option<String>,
    pub status: Status,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub provider_status: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
    pub delivered_at: Option<i64>,
}

macro_rules! outbox_columns {
    () => {
        "id, tenant_id, phone, kind, purpose, body, params, status, attempts, next_attempt_at, \
         provider, provider_message_id, provider_status, last_error, created_at, updated_at, \
         sent_at, delivered_at"
    };
}

impl OutboxMessage {
    pub(crate) fn from_row(row: &AnyRow) -> Result<OutboxMessage, sqlx::Error> {
        let status: String = row.try_get("status")?;
        let status = status
            .parse()
            .map_err(|e: Error| sqlx::Error::Decode(e.to_string().into()))?;
        Ok(OutboxMessage {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            phone: row.try_get("phone")?,
            kind: Kind::parse(&row.try_get::<String, _>("kind")?)?,
            purpose: row.try_get("purpose")?,
            body: row.try_get("body")?,
            params: row.try_get("params")?,
            status,
            attempts: row.try_get("attempts")?,
            next_attempt_at: row.try_get("next_attempt_at")?,
            provider: row.try_get("provider")?,
            provider_message_id: row.try_get("provider_message_id")?,
            provider_status: row.try_get("provider_status")?,
            last_error: row.try_get("last_error")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            sent_at: row.try_get("sent_at")?,
            delivered_at: row.try_get("delivered_at")?,
        })
    }

    /// The body as it may be shown to an operator: an OTP is always `***`, even while
    /// it still waits in the queue.
    pub fn display_body(&self) -> &str {
        match self.kind {
            Kind::Otp => REDACTED,
            Kind::Text => &self.body,
        }
    }
}

/// One message by outbox id.
pub async fn get(store: &Store, id: i64) -> Result<OutboxMessage> {
    let sql = concat!(
        "SELECT ",
        outbox_columns!(),
        " FROM sms_outbox WHERE id = $1"
    );
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("SMS #{id}")))?;
    Ok(OutboxMessage::from_row(&row)?)
}

/// A tenant's outbox, newest first, optionally only one status.
pub async fn outbox(
    store: &Store,
    tenant: &Tenant,
    status: Option<Status>,
    limit: i64,
) -> Result<Vec<OutboxMessage>> {
    let limit = limit.clamp(1, 10_000);
    let rows = match status {
        Some(status) => {
            let sql = concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM sms_outbox WHERE tenant_id = $1 AND status = $2 ORDER BY id DESC LIMIT $3"
            );
            sqlx::query(sql)
                .bind(tenant.id)
                .bind(status.as_str())
                .bind(limit)
                .fetch_all(store.pool())
                .await?
        }
        None => {
            let sql = concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM sms_outbox WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2"
            );
            sqlx::query(sql)
                .bind(tenant.id)
                .bind(limit)
                .fetch_all(store.pool())
                .await?
        }
    };
    Ok(rows
        .iter()
        .map(OutboxMessage::from_row)
        .collect::<Result<_, _>>()?)
}

/// A message the console provider "delivered": the development phone inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleMessage {
    pub id: i64,
    pub tenant_id: i64,
    pub outbox_id: Option<i64>,
    /// `+989XXXXXXXXX`.
    pub phone: String,
    pub body: String,
    pub created_at: i64,
}

/// What the console provider delivered to `phone` (from every tenant), newest first.
pub async fn console_inbox(
    store: &Store,
    phone: &Phone,
    limit: i64,
) -> Result<Vec<ConsoleMessage>> {
    let rows = sqlx::query(
        "SELECT id, tenant_id, outbox_id, phone, body, created_at FROM sms_console \
         WHERE phone = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(phone.e164())
    .bind(limit.clamp(1, 10_000))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ConsoleMessage {
                id: row.try_get("id")?,
                tenant_id: row.try_get("tenant_id")?,
                outbox_id: row.try_get("outbox_id")?,
                phone: row.try_get("phone")?,
                body: row.try_get("body")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Error::from)
}

/// Deletes console inbox entries older than `max_age` seconds (they hold codes in
/// clear; a development inbox needs only the recent ones). Returns how many went.
pub async fn purge_console(store: &Store, max_age: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sms_console WHERE created_at < $1")
        .bind(clock::now() - max_age)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}
