//! Panel notifications: what a person should look at in a tenant (a low score's case, a
//! fraud flag), shown as a badge until read.

use sqlx::{AnyConnection, Row};

use crate::error::Result;
use crate::store::Store;
use crate::tenants::Tenant;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub case_id: Option<i64>,
    /// A panel path under `/panel` when the notification is not about a case.
    pub link: Option<String>,
    pub body: String,
    pub created_at: i64,
    pub read: bool,
}

/// What a notification points at.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    Case(i64),
    /// A panel path under `/panel`.
    Link(&'a str),
}

pub(crate) async fn add_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    user_id: i64,
    target: Target<'_>,
    body: &str,
    now: i64,
) -> Result<()> {
    let (case_id, link) = match target {
        Target::Case(id) => (Some(id), None),
        Target::Link(path) => (None, Some(path)),
    };
    sqlx::query(
        "INSERT INTO panel_notifications (tenant_id, user_id, case_id, link, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(case_id)
    .bind(link)
    .bind(body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many unread notifications a user has in a tenant (the badge).
pub async fn unread(store: &Store, tenant_id: i64, user_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM panel_notifications \
         WHERE user_id = $1 AND tenant_id = $2 AND read_at IS NULL",
    )
    .bind(user_id)
    .bind(tenant_id)
    .fetch_one(store.pool())
    .await?)
}

/// A user's newest notifications in a tenant.
pub async fn list(
    store: &Store,
    tenant: &Tenant,
    user_id: i64,
    limit: i64,
) -> Result<Vec<Notification>> {
    let rows = sqlx::query(
        "SELECT id, case_id, link, body, created_at, read_at FROM panel_notifications \
         WHERE user_id = $1 AND tenant_id = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(user_id)
    .bind(tenant.id)
    .bind(limit.clamp(1, 500))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Notification {
                id: r.try_get("id")?,
                case_id: r.try_get("case_id")?,
                link: r.try_get("link")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
                read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
            })
        })
        .collect()
}

/// Marks a user's notifications read: all of them, or those about one case.
pub async fn mark_read(
    store: &Store,
    tenant: &Tenant,
    user_id: i64,
    case_id: Option<i64>,
    now: i64,
) -> Result<()> {
    let sql = if case_id.is_some() {
        "UPDATE panel_notifications SET read_at = $3 WHERE user_id = $1 AND tenant_id = $2 \
         AND read_at IS NULL AND case_id = $4"
    } else {
        "UPDATE panel_notifications SET read_at = $3 WHERE user_id = $1 AND tenant_id = $2 \
         AND read_at IS NULL"
    };
    let mut q = sqlx::query(sql).bind(user_id).bind(tenant.id).bind(now);
    if let Some(case_id) = case_id {
        q = q.bind(case_id);
    }
    q.execute(store.pool()).await?;
    Ok(())
}
