//! The panel users an owner picked to hear about every low score: each gets an SMS and a
//! panel notification when a case opens, in the answer's transaction.

use sqlx::{AnyConnection, AssertSqlSafe};

use super::cases;
use crate::audit::Actor;
use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::Tenant;

/// At most this many people are alerted (each costs an SMS per low score).
pub const MAX_USERS: usize = 10;

/// The chosen users who are still members of the tenant.
const CHOSEN: &str = "SELECT u.id, u.phone FROM survey_alert_users a \
     JOIN panel_users u ON u.id = a.user_id \
     JOIN panel_memberships m ON m.user_id = a.user_id AND m.tenant_id = a.tenant_id \
     WHERE a.tenant_id = $1";

/// `(user id, +989…)` of the chosen users who may see branch `branch_id`: a person
/// limited to other branches would be told about a case they cannot open.
pub(crate) async fn users_for_branch_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    branch_id: i64,
) -> Result<Vec<(i64, String)>> {
    let sql = format!(
        "{CHOSEN} AND (NOT EXISTS (SELECT 1 FROM panel_membership_branches b \
             WHERE b.membership_id = m.id) \
         OR EXISTS (SELECT 1 FROM panel_membership_branches b \
             WHERE b.membership_id = m.id AND b.branch_id = $2)) ORDER BY u.id"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(branch_id)
        .fetch_all(&mut *conn)
        .await?)
}

/// The ids of the users alerted about low scores (those limited to some branches hear
/// about those branches only).
pub async fn users(store: &Store, tenant: &Tenant) -> Result<Vec<i64>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(AssertSqlSafe(format!("{CHOSEN} ORDER BY u.id")))
        .bind(tenant.id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.into_iter().map(|(id, _)| id).collect())
}

/// Replaces the alerted users; each must be a member of the tenant. Audited.
pub async fn set_users(store: &Store, tenant: &Tenant, ids: &[i64], actor: Actor) -> Result<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_USERS {
        return Err(Error::invalid(format!(
            "at most {MAX_USERS} people can be alerted"
        )));
    }
    let mut tx = store.begin().await?;
    // Written first: SQLite takes the write lock at once (see `cases::lock_in`).
    let mut before: Vec<i64> =
        sqlx::query_scalar("DELETE FROM survey_alert_users WHERE tenant_id = $1 RETURNING user_id")
            .bind(tenant.id)
            .fetch_all(&mut *tx)
            .await?;
    before.sort_unstable();
    for id in &ids {
        let member: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM panel_memberships WHERE tenant_id = $1 AND user_id = $2",
        )
        .bind(tenant.id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if member.is_none() {
            return Err(Error::invalid(format!("user #{id} is not a member here")));
        }
        sqlx::query("INSERT INTO survey_alert_users (tenant_id, user_id) VALUES ($1, $2)")
            .bind(tenant.id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    crate::audit::record(
        &mut *tx,
        actor,
        &crate::audit::Change {
            tenant_id: Some(tenant.id),
            action: "survey.alert_users",
            entity: "tenant",
            entity_id: Some(tenant.id),
            before: Some(serde_json::json!({ "users": before })),
            after: Some(serde_json::json!({ "users": ids })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Texts `text` to each chosen user and leaves them a notification about the case.
pub(crate) async fn notify_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    case_id: i64,
    users: &[(i64, String)],
    text: &str,
    now: i64,
) -> Result<()> {
    for (user_id, phone) in users {
        let phone = Phone::parse(phone)?;
        let sms = crate::sms::enqueue_text_in(conn, tenant, &phone, text, "survey_alert").await?;
        cases::record_in(conn, case_id, "alert", Some(sms), Some(phone.e164()), now).await?;
        crate::notifications::add_in(
            conn,
            tenant.id,
            *user_id,
            crate::notifications::Target::Case(case_id),
            text,
            now,
        )
        .await?;
    }
    Ok(())
}
