//! Draining the outbox: claim, send, record; retries, crash recovery, delivery polling.
//!
//! Claiming is one statement that flips due rows from `queued` to `sending` and stamps
//! them with a random claim token. On PostgreSQL the rows are picked by a materialised
//! `SELECT … LIMIT n FOR UPDATE SKIP LOCKED`, so several worker processes take disjoint
//! batches without waiting on each other, and the update re-checks `status = 'queued'`
//! on the locked row, so no message is claimed twice. SQLite serialises writers, so a
//! plain `UPDATE … WHERE id IN (SELECT … LIMIT n) AND status = 'queued'` does. Results
//! are recorded only while the claim token still matches, so a worker that was presumed
//! dead cannot overwrite what its successor did.
//!
//! Delivery is at least once: if a worker dies after the gateway accepted a message but
//! before the result was written, the message is re-queued after [`SENDING_TIMEOUT`]
//! and sent again.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use rand::Rng;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::clock;
use crate::error::Result;
use crate::phone::Phone;
use crate::store::{Backend, Store};

use super::provider::{
    Delivery, DeliveryState, OutboundSms, ProviderError, ProviderReceipt, SmsProvider,
};
use super::{Kind, OTP_MAX_AGE, REDACTED, Status};

/// How many messages one `drain_once` claims.
pub const BATCH: i64 = 16;
/// How many of them are with the gateway at the same time.
const CONCURRENCY: usize = 8;
/// Tries per message, the first included.
pub const MAX_ATTEMPTS: i64 = 5;
/// Wait before the 2nd, 3rd, 4th and 5th try, in seconds.
pub const BACKOFF: [i64; 4] = [5, 30, 120, 600];
/// A message `sending` for longer than this is presumed orphaned (its worker died).
pub const SENDING_TIMEOUT: i64 = 120;

/// How long to wait after the `attempts`-th failed try.
pub fn backoff(attempts: i64) -> i64 {
    let i = usize::try_from(attempts.max(1) - 1).unwrap_or(usize::MAX);
    BACKOFF[i.min(BACKOFF.len() - 1)]
}

/// Sends what is due: recovers orphaned claims, gives up stale OTPs, claims up to
/// [`BATCH`] messages (OTPs first) and records each outcome. Returns how many messages
/// it handled; call again at once while it returns [`BATCH`].
pub async fn drain_once<P: SmsProvider>(store: &Store, provider: &P) -> Result<usize> {
    let now = clock::now();
    recover_orphans(store, now).await?;
    expire_otps(store, now).await?;
    let token = format!("{:016x}", rand::rng().random::<u64>());
    let claimed = claim(store, &token, now).await?;
    let count = claimed.len();
    futures_util::stream::iter(claimed)
        .for_each_concurrent(CONCURRENCY, |row| {
            let token = token.as_str();
            async move {
                let id = row.id;
                if let Err(e) = deliver(store, provider, token, row).await {
                    tracing::warn!(outbox = id, error = %e, "recording an SMS result failed");
                }
            }
        })
        .await;
    Ok(count)
}

async fn recover_orphans(store: &Store, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE sms_outbox SET \
           status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END, \
           body = CASE WHEN attempts >= $2 AND kind = 'otp' THEN '***' ELSE body END, \
           params = CASE WHEN attempts >= $2 AND kind = 'otp' THEN NULL ELSE params END, \
           last_error = 'no result came back from the worker that was sending it (stopped?)', \
           claim_token = NULL, claimed_at = NULL, next_attempt_at = $1, updated_at = $1 \
         WHERE status = 'sending' AND claimed_at < $3",
    )
    .bind(now)
    .bind(MAX_ATTEMPTS)
    .bind(now - SENDING_TIMEOUT)
    .execute(store.pool())
    .await?;
    if done.rows_affected() > 0 {
        tracing::warn!(
            messages = done.rows_affected(),
            "re-queued SMS whose sending worker did not report back"
        );
    }
    Ok(())
}

async fn expire_otps(store: &Store, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE sms_outbox SET status = 'failed', body = '***', params = NULL, \
           last_error = 'the one-time code expired before it could be sent', updated_at = $1 \
         WHERE kind = 'otp' AND status = 'queued' AND created_at < $2",
    )
    .bind(now)
    .bind(now - OTP_MAX_AGE)
    .execute(store.pool())
    .await?;
    if done.rows_affected() > 0 {
        metrics::counter!("sms_send_total", "provider" => "-", "result" => "expired")
            .increment(done.rows_affected());
        tracing::warn!(
            messages = done.rows_affected(),
            "gave up one-time codes that could not be sent in time"
        );
    }
    Ok(())
}

struct Claimed {
    id: i64,
    tenant_id: i64,
    phone: String,
    kind: String,
    purpose: String,
    body: String,
    params: Option<String>,
    attempts: i64,
    created_at: i64,
}

impl Claimed {
    fn from_row(row: &AnyRow) -> Result<Claimed, sqlx::Error> {
        Ok(Claimed {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            phone: row.try_get("phone")?,
            kind: row.try_get("kind")?,
            purpose: row.try_get("purpose")?,
            body: row.try_get("body")?,
            params: row.try_get("params")?,
            attempts: row.try_get("attempts")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

async fn claim(store: &Store, token: &str, now: i64) -> Result<Vec<Claimed>> {
    let sql = match store.backend() {
        // A locking CTE runs once; `id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` may be
        // re-run by the planner and then claim more than n rows.
        Backend::Postgres => {
            "WITH picked AS MATERIALIZED ( \
               SELECT id FROM sms_outbox \
               WHERE status = 'queued' AND next_attempt_at <= $2 \
               ORDER BY CASE WHEN kind = 'otp' THEN 0 ELSE 1 END, next_attempt_at, id \
               LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE sms_outbox o SET status = 'sending', claim_token = $1, claimed_at = $2, \
               attempts = o.attempts + 1, updated_at = $2 \
             FROM picked WHERE o.id = picked.id AND o.status = 'queued' \
             RETURNING o.id, o.tenant_id, o.phone, o.kind, o.purpose, o.body, o.params, \
               o.attempts, o.created_at"
        }
        Backend::Sqlite => {
            "UPDATE sms_outbox SET status = 'sending', claim_token = $1, claimed_at = $2, \
               attempts = attempts + 1, updated_at = $2 \
             WHERE id IN (SELECT id FROM sms_outbox \
                          WHERE status = 'queued' AND next_attempt_at <= $2 \
                          ORDER BY CASE WHEN kind = 'otp' THEN 0 ELSE 1 END, next_attempt_at, id \
                          LIMIT $3) \
               AND status = 'queued' \
             RETURNING id, tenant_id, phone, kind, purpose, body, params, attempts, created_at"
        }
    };
    let rows = sqlx::query(sql)
        .bind(token)
        .bind(now)
        .bind(BATCH)
        .fetch_all(store.pool())
        .await?;
    let mut claimed = rows
        .iter()
        .map(Claimed::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    // RETURNING does not keep the subquery's order: OTPs first, then oldest.
    claimed.sort_by_key(|c| (c.kind != "otp", c.id));
    Ok(claimed)
}

/// Turns a claimed row into what the provider gets; a row that cannot be decoded fails
/// permanently instead of blocking the queue.
fn decode(row: &Claimed) -> Result<OutboundSms, String> {
    let phone = Phone::parse(&row.phone).map_err(|e| format!("stored phone is invalid: {e}"))?;
    let kind = match row.kind.as_str() {
        "otp" => Kind::Otp,
        "text" => Kind::Text,
        other => return Err(format!("unknown message kind {other:?}")),
    };
    let params: BTreeMap<String, String> = match &row.params {
        None => BTreeMap::new(),
        Some(json) => serde_json::from_str(json)
            .map_err(|e| format!("stored template parameters are not a JSON object: {e}"))?,
    };
    if kind == Kind::Otp && (row.body == REDACTED || !params.contains_key("code")) {
        return Err("the one-time code is no longer stored".into());
    }
    Ok(OutboundSms {
        id: row.id,
        tenant_id: row.tenant_id,
        phone,
        kind,
        purpose: row.purpose.clone(),
        body: row.body.clone(),
        params,
    })
}

async fn deliver<P: SmsProvider>(
    store: &Store,
    provider: &P,
    token: &str,
    row: Claimed,
) -> Result<()> {
    let name = provider.name();
    let sms = match decode(&row) {
        Ok(sms) => sms,
        Err(reason) => {
            let error = ProviderError::permanent(name, None, reason);
            return record_failure(store, name, token, &row, &error).await;
        }
    };
    match provider.send(&sms).await {
        Ok(receipt) => record_sent(store, name, token, &row, &receipt).await,
        Err(error) => record_failure(store, name, token, &row, &error).await,
    }
}

async fn record_sent(
    store: &Store,
    provider: &'static str,
    token: &str,
    row: &Claimed,
    receipt: &ProviderReceipt,
) -> Result<()> {
    let now = clock::now();
    let status = if receipt.delivered {
        Status::Delivered
    } else {
        Status::Sent
    };
    let done = sqlx::query(
        "UPDATE sms_outbox SET status = $3, provider = $4, provider_message_id = $5, \
           last_error = NULL, sent_at = $6, delivered_at = $7, claim_token = NULL, \
           updated_at = $6, \
           body = CASE WHEN kind = 'otp' THEN '***' ELSE body END, \
           params = CASE WHEN kind = 'otp' THEN NULL ELSE params END \
         WHERE id = $1 AND claim_token = $2",
    )
    .bind(row.id)
    .bind(token)
    .bind(status.as_str())
    .bind(provider)
    .bind(receipt.message_id.as_deref())
    .bind(now)
    .bind(receipt.delivered.then_some(now))
    .execute(store.pool())
    .await?;
    metrics::counter!("sms_send_total", "provider" => provider, "result" => "sent").increment(1);
    if done.rows_affected() == 0 {
        tracing::warn!(
            outbox = row.id,
            provider,
            "SMS was sent, but its claim had been taken over"
        );
    } else {
        tracing::info!(outbox = row.id, provider, kind = %row.kind, purpose = %row.purpose, "sms sent");
    }
    Ok(())
}

async fn record_failure(
    store: &Store,
    provider: &'static str,
    token: &str,
    row: &Claimed,
    error: &ProviderError,
) -> Result<()> {
    let now = clock::now();
    let next = now + backoff(row.attempts);
    let otp_too_late = row.kind == "otp" && next > row.created_at + OTP_MAX_AGE;
    let retry = error.is_retryable() && row.attempts < MAX_ATTEMPTS && !otp_too_late;
    let message = error.to_string();
    let done = if retry {
        sqlx::query(
            "UPDATE sms_outbox SET status = 'queued', next_attempt_at = $3, last_error = $4, \
               provider = $5, claim_token = NULL, claimed_at = NULL, updated_at = $6 \
             WHERE id = $1 AND claim_token = $2",
        )
        .bind(row.id)
        .bind(token)
        .bind(next)
        .bind(&message)
        .bind(provider)
        .bind(now)
        .execute(store.pool())
        .await?
    } else {
        let message = if error.is_retryable() {
            if otp_too_late {
                format!("gave up (the one-time code would expire before the next try): {message}")
            } else {
                format!("gave up after {} attempts: {message}", row.attempts)
            }
        } else {
            message
        };
        sqlx::query(
            "UPDATE sms_outbox SET status = 'failed', last_error = $3, provider = $4, \
               claim_token = NULL, claimed_at = NULL, updated_at = $5, \
               body = CASE WHEN kind = 'otp' THEN '***' ELSE body END, \
               params = CASE WHEN kind = 'otp' THEN NULL ELSE params END \
             WHERE id = $1 AND claim_token = $2",
        )
        .bind(row.id)
        .bind(token)
        .bind(&message)
        .bind(provider)
        .bind(now)
        .execute(store.pool())
        .await?
    };
    let result = if retry { "retry" } else { "failed" };
    metrics::counter!("sms_send_total", "provider" => provider, "result" => result).increment(1);
    if done.rows_affected() > 0 {
        tracing::warn!(
            outbox = row.id,
            provider,
            attempt = row.attempts,
            retry,
            error = %error,
            "sms not sent"
        );
    }
    Ok(())
}

/// Applies a delivery state the provider reported for its message `message_id`.
/// Returns the message's status afterwards, or `None` when no message has that id.
/// `delivered` is final: a later "pending" or "failed" report does not undo it.
pub async fn apply_delivery(
    store: &Store,
    provider: &str,
    message_id: &str,
    delivery: &Delivery,
) -> Result<Option<Status>> {
    let now = clock::now();
    let row = sqlx::query(
        "SELECT id, status FROM sms_outbox WHERE provider = $1 AND provider_message_id = $2 \
           AND status IN ('sent', 'delivered', 'failed') ORDER BY id DESC LIMIT 1",
    )
    .bind(provider)
    .bind(message_id)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i64 = row.try_get("id")?;
    let before: String = row.try_get("status")?;
    let before: Status = before.parse()?;
    let after = match (before, delivery.state) {
        (Status::Delivered, _) => Status::Delivered,
        (_, DeliveryState::Delivered) => Status::Delivered,
        (_, DeliveryState::Failed) => Status::Failed,
        (s, DeliveryState::Pending) => s,
    };
    let error = (after == Status::Failed && before != Status::Failed).then(|| {
        format!(
            "not delivered: {provider} reports {}",
            delivery.provider_status
        )
    });
    sqlx::query(
        "UPDATE sms_outbox SET status = $2, provider_status = $3, checked_at = $4, updated_at = $4, \
           delivered_at = CASE WHEN $5 = 1 AND delivered_at IS NULL THEN $4 ELSE delivered_at END, \
           last_error = COALESCE($6, last_error) \
         WHERE id = $1",
    )
    .bind(id)
    .bind(after.as_str())
    .bind(&delivery.provider_status)
    .bind(now)
    .bind(i64::from(after == Status::Delivered))
    .bind(error)
    .execute(store.pool())
    .await?;
    if before != after {
        tracing::info!(outbox = id, provider, from = %before, to = %after, "sms delivery report");
    }
    Ok(Some(after))
}

/// Asks the provider about messages it accepted a while ago and has not reported on
/// (sent 30 s to 24 h ago, not asked in the last 5 minutes). Returns how many it asked
/// about. Providers that cannot tell (`delivery` gives `None`) are asked once per message.
pub async fn poll_deliveries<P: SmsProvider>(
    store: &Store,
    provider: &P,
    limit: i64,
) -> Result<usize> {
    let now = clock::now();
    let rows = sqlx::query(
        "SELECT id, provider_message_id FROM sms_outbox \
         WHERE status = 'sent' AND provider = $1 AND provider_message_id IS NOT NULL \
           AND sent_at < $2 AND sent_at > $3 AND (checked_at IS NULL OR checked_at < $4) \
         ORDER BY COALESCE(checked_at, 0), id LIMIT $5",
    )
    .bind(provider.name())
    .bind(now - 30)
    .bind(now - 86_400)
    .bind(now - 300)
    .bind(limit.clamp(1, 500))
    .fetch_all(store.pool())
    .await?;
    let mut asked = 0;
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let message_id: String = row.try_get("provider_message_id")?;
        match provider.delivery(&message_id).await {
            Ok(Some(delivery)) => {
                apply_delivery(store, provider.name(), &message_id, &delivery).await?;
            }
            Ok(None) => {
                sqlx::query("UPDATE sms_outbox SET checked_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(store.pool())
                    .await?;
            }
            Err(e) => {
                tracing::warn!(outbox = id, error = %e, "asking for SMS delivery status failed");
                break;
            }
        }
        asked += 1;
    }
    Ok(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_stays() {
        assert_eq!(backoff(1), 5);
        assert_eq!(backoff(2), 30);
        assert_eq!(backoff(3), 120);
        assert_eq!(backoff(4), 600);
        assert_eq!(backoff(9), 600);
        assert_eq!(backoff(0), 5);
    }
}
