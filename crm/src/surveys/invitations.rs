//! Invitations: queued with an invoice, sent (and reminded) by SMS when due, opened
//! through their link.

use rand::Rng;
use sqlx::{AnyConnection, Row};

use super::settings::{self, REMINDER_GAP};
use crate::clock::Zone;
use crate::club;
use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::{self, Tenant};

/// URL-safe alphabet of the link tokens: 64 symbols, 6 bits each.
const TOKEN_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// 22 symbols × 6 bits = 132 bits: not guessable, still short in an SMS.
pub const TOKEN_LEN: usize = 22;
/// Invitations one `send_due` pass handles; the next pass takes the rest.
const SEND_BATCH: i64 = 200;

fn new_token() -> String {
    // ThreadRng is a CSPRNG (ChaCha, reseeded from the OS).
    let mut rng = rand::rng();
    (0..TOKEN_LEN)
        .map(|_| TOKEN_ALPHABET[rng.random_range(0..TOKEN_ALPHABET.len())] as char)
        .collect()
}

/// Whether `token` could be one of ours (checked before it reaches SQL).
pub fn token_shape_ok(token: &str) -> bool {
    token.len() == TOKEN_LEN && token.bytes().all(|b| TOKEN_ALPHABET.contains(&b))
}

/// Queues the invitation for a new invoice, inside the invoice's transaction. `None` when
/// surveys are off, the member opted out of marketing, or they were invited within the
/// frequency cap.
pub(crate) async fn on_invoice_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    customer_id: i64,
    invoice_id: i64,
    now: i64,
) -> Result<Option<i64>> {
    let s = settings::get_in(conn, tenant.id).await?;
    if !s.enabled || club::opted_out_in(conn, tenant.id, customer_id).await? {
        return Ok(None);
    }
    if s.cap_days > 0 {
        let recent: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM survey_invitations \
             WHERE tenant_id = $1 AND customer_id = $2 AND created_at > $3",
        )
        .bind(tenant.id)
        .bind(customer_id)
        .bind(now - s.cap_days * 86_400)
        .fetch_one(&mut *conn)
        .await?;
        if recent > 0 {
            return Ok(None);
        }
    }
    let zone = Zone::named(&tenant.time_zone)?;
    let due = s.out_of_quiet_hours(&zone, now + s.delay_minutes * 60);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO survey_invitations (tenant_id, invoice_id, customer_id, token, next_send_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(tenant.id)
    .bind(invoice_id)
    .bind(customer_id)
    .bind(new_token())
    .bind(due)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(id))
}

/// The SMS text: a thank-you and the link, or a reminder with it.
pub fn invitation_text(tenant_name: &str, link: &str, reminder: bool) -> String {
    if reminder {
        format!("{tenant_name}: هنوز منتظر نظر شما درباره خریدتان هستیم.\n{link}")
    } else {
        format!("{tenant_name}: از خرید شما سپاسگزاریم. نظرتان درباره آنچه گرفتید چه بود؟\n{link}")
    }
}

/// `https://host/base` without a trailing slash; refused unless http(s).
fn base_url(public_url: &str) -> Result<&str> {
    let base = public_url.trim().trim_end_matches('/');
    let ok = (base.starts_with("https://") || base.starts_with("http://"))
        && base.len() > "https://".len()
        && !base.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(base)
    } else {
        Err(Error::invalid(format!(
            "the public URL {public_url:?} must start with http:// or https://"
        )))
    }
}

/// Sends every invitation (or reminder) due at `now` through the SMS outbox (purpose
/// `survey`) with the link `{public_url}/s/{token}`; returns how many were queued.
/// Safe to run from several workers: each send is claimed by a conditional update.
pub async fn send_due(store: &Store, public_url: &str, now: i64) -> Result<usize> {
    let base = base_url(public_url)?;
    let due = sqlx::query(
        "SELECT i.id, i.tenant_id, i.customer_id, i.token, i.sends, i.next_send_at, c.phone \
         FROM survey_invitations i JOIN customers c ON c.id = i.customer_id \
         WHERE i.next_send_at <= $1 ORDER BY i.next_send_at LIMIT $2",
    )
    .bind(now)
    .bind(SEND_BATCH)
    .fetch_all(store.pool())
    .await?;
    let mut sent = 0;
    for row in due {
        // One bad invitation must not hold up the others: it is logged and retried.
        match send_one(store, base, &row, now).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "sending a survey invitation failed"),
        }
    }
    if sent > 0 {
        crate::sms::wakeup().notify_one();
    }
    Ok(sent)
}

/// Claims and sends one due invitation (or reminder); `false` if another worker took it
/// or the customer may no longer be texted (then it is not due any more).
async fn send_one(store: &Store, base: &str, row: &sqlx::any::AnyRow, now: i64) -> Result<bool> {
    let id: i64 = row.try_get("id")?;
    let tenant = tenants::by_id(store, row.try_get("tenant_id")?).await?;
    let customer_id: i64 = row.try_get("customer_id")?;
    let sends: i64 = row.try_get("sends")?;
    let was_due: i64 = row.try_get("next_send_at")?;
    let phone = Phone::parse(&row.try_get::<String, _>("phone")?)?;
    let token: String = row.try_get("token")?;
    let mut tx = store.begin().await?;
    let s = settings::get_in(&mut tx, tenant.id).await?;
    let stop = !s.enabled || club::opted_out_in(&mut tx, tenant.id, customer_id).await?;
    let next = (!stop && sends < s.max_reminders).then(|| {
        let zone = Zone::named(&tenant.time_zone).ok();
        zone.map_or(now + REMINDER_GAP, |z| {
            s.out_of_quiet_hours(&z, now + REMINDER_GAP)
        })
    });
    let claimed = sqlx::query(
        "UPDATE survey_invitations SET sends = sends + $2, sent_at = COALESCE(sent_at, $3), \
             next_send_at = $4 \
         WHERE id = $1 AND next_send_at = $5 AND answered_at IS NULL",
    )
    .bind(id)
    .bind(if stop { 0i64 } else { 1 })
    .bind(if stop { None } else { Some(now) })
    .bind(next)
    .bind(was_due)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let send = claimed && !stop;
    if send {
        let link = format!("{base}/s/{token}");
        let body = invitation_text(&tenant.name, &link, sends > 0);
        let paid =
            crate::sms::wallet::send_paid_in(&mut tx, &tenant, &phone, &body, "survey").await?;
        // Kept so the case page can show what the customer was sent.
        if let Some(sms) = paid {
            sqlx::query(
                "INSERT INTO survey_invitation_sms (invitation_id, sms_id) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(sms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        return Ok(paid.is_some());
    }
    tx.commit().await?;
    Ok(send)
}

/// One invoice line as the survey page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyItem {
    /// `invoice_items.id`: what a per-item rating names.
    pub id: i64,
    pub name: String,
    pub qty: i64,
}

/// What the survey page needs for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyPage {
    pub invitation_id: i64,
    pub tenant: Tenant,
    pub invoice_id: i64,
    pub invoice_at: i64,
    /// Empty unless the tenant asks for per-item ratings.
    pub items: Vec<SurveyItem>,
    /// Already answered: the page says so instead of showing the form.
    pub answered: bool,
    /// With the "precision" add-on: the tenant's questions, and the categories of the
    /// invoice's items (what a categories question rates); empty without it.
    pub questions: Vec<super::questions::Question>,
    pub categories: Vec<String>,
}

/// The survey behind a link; marks it opened (the first time). `NotFound` for a token
/// that is not ours.
pub async fn open(store: &Store, token: &str, now: i64) -> Result<SurveyPage> {
    let mut conn = store.pool().acquire().await?;
    let page = page_in(&mut conn, token).await?;
    if !page.answered {
        sqlx::query(
            "UPDATE survey_invitations SET opened_at = $2 WHERE id = $1 AND opened_at IS NULL",
        )
        .bind(page.invitation_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(page)
}

/// The refusal once a survey has its answer.
pub(crate) const ANSWERED: &str = "this survey was already answered";

/// The survey behind `token` for a write (an answer, an attachment) in the caller's
/// transaction: marked opened, `Conflict` if already answered, `NotFound` if unknown.
pub(crate) async fn unanswered_in(
    conn: &mut AnyConnection,
    token: &str,
    now: i64,
) -> Result<SurveyPage> {
    if !token_shape_ok(token) {
        return Err(Error::NotFound("survey".into()));
    }
    // Write first: SQLite then takes the write lock at once (waiting its turn) instead of
    // failing to upgrade a read snapshot when two answers race.
    sqlx::query(
        "UPDATE survey_invitations SET opened_at = COALESCE(opened_at, $2) WHERE token = $1",
    )
    .bind(token)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let page = page_in(conn, token).await?;
    if page.answered {
        return Err(Error::Conflict(ANSWERED.into()));
    }
    Ok(page)
}

pub(crate) async fn page_in(conn: &mut AnyConnection, token: &str) -> Result<SurveyPage> {
    let not_found = || Error::NotFound("survey".into());
    if !token_shape_ok(token) {
        return Err(not_found());
    }
    let row = sqlx::query(
        "SELECT i.id, i.tenant_id, i.invoice_id, i.answered_at, v.created_at AS invoice_at \
         FROM survey_invitations i JOIN invoices v ON v.id = i.invoice_id WHERE i.token = $1",
    )
    .bind(token)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(not_found)?;
    let tenant = tenants::by_id_in(conn, row.try_get("tenant_id")?).await?;
    let invoice_id: i64 = row.try_get("invoice_id")?;
    let s = settings::get_in(conn, tenant.id).await?;
    let (questions, categories) = if s.precision {
        let categories: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT category FROM invoice_items \
             WHERE invoice_id = $1 AND category IS NOT NULL AND category <> '' ORDER BY category",
        )
        .bind(invoice_id)
        .fetch_all(&mut *conn)
        .await?;
        (
            super::questions::list_in(conn, tenant.id).await?,
            categories,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let items = if s.per_item {
        sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT id, name, qty FROM invoice_items WHERE invoice_id = $1 ORDER BY id",
        )
        .bind(invoice_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(id, name, qty)| SurveyItem { id, name, qty })
        .collect()
    } else {
        Vec::new()
    };
    Ok(SurveyPage {
        invitation_id: row.try_get("id")?,
        tenant,
        invoice_id,
        invoice_at: row.try_get("invoice_at")?,
        items,
        answered: row.try_get::<Option<i64>, _>("answered_at")?.is_some(),
        questions,
        categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_url_safe_and_distinct() {
        let a = new_token();
        assert!(token_shape_ok(&a), "{a}");
        assert_ne!(a, new_token());
        assert!(!token_shape_ok("short"));
        assert!(!token_shape_ok(&format!("{}/", &a[..TOKEN_LEN - 1])));
    }

    #[test]
    fn public_url_must_be_http() {
        assert_eq!(base_url("https://x.ir/").unwrap(), "https://x.ir");
        assert!(base_url("ftp://x.ir").is_err());
        assert!(base_url("https://").is_err());
        assert!(base_url("https://a b").is_err());
    }
}
