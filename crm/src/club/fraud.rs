//! The fraud detector: explainable rules over invoices and manual credit.
//!
//! A rule that fires **flags** its subject — a customer, or a staff member's right to add
//! manual credit — for managers, and the operation goes ahead. The same subject firing a
//! rule again while flagged is **blocked** until a manager clears it: a blocked
//! customer's invoices are still recorded but earn nothing and credit cannot be paid
//! with; a blocked staff member cannot add manual credit. Every decision (flag, block,
//! refuse, clear) is logged with its reason in `fraud_decisions`. Thresholds are per
//! tenant (`ClubSettings::fraud`; 0 turns a rule off).
//!
//! Rules:
//! - `invoices`: more than `max_invoices` invoices for one phone within `window_seconds`;
//! - `manual_repeat`: more than `max_manual` manual credits for one phone in the window;
//! - `staff_daily`: one staff member adding more than `staff_daily` manual credits a day;
//! - `manual_amount`: one manual credit above `manual_amount` (far above what purchases
//!   earn by the formula);
//! - `device_cycling`: one device (MAC) signing in to the WiFi with more than
//!   `device_phones` different phones within `window_seconds` — someone cycling through
//!   numbers to collect sign-up gifts or spread purchases; the newest phone is flagged.

use sqlx::{AnyConnection, Row};

use crate::error::{Error, Result};
use crate::ledger::Actor;
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::Tenant;

/// Thresholds; 0 turns a rule off.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FraudRules {
    pub window_seconds: i64,
    pub max_invoices: i64,
    pub max_manual: i64,
    pub staff_daily: i64,
    pub manual_amount: i64,
    /// Different phones one device may sign in with within the window.
    pub device_phones: i64,
    /// Managers' phones (`+989…`) texted on every flag and block.
    pub alert_phones: Vec<String>,
}

impl Default for FraudRules {
    fn default() -> Self {
        FraudRules {
            window_seconds: 3_600,
            max_invoices: 0,
            max_manual: 0,
            staff_daily: 0,
            manual_amount: 0,
            device_phones: 0,
            alert_phones: Vec::new(),
        }
    }
}

impl FraudRules {
    pub fn validate(&self) -> Result<()> {
        match self.problems().into_iter().next() {
            Some(p) => Err(Error::invalid(p.message)),
            None => Ok(()),
        }
    }

    /// Every broken threshold, keyed by setting (see `settings::Problem`).
    pub fn problems(&self) -> Vec<super::settings::Problem> {
        use super::settings::Problem;
        let mut out = Vec::new();
        if !(60..=30 * 86_400).contains(&self.window_seconds) {
            out.push(Problem {
                field: "fraud_window",
                message: "the fraud window must be 60 s to 30 days".into(),
            });
        }
        for (field, v, what) in [
            ("fraud_max_invoices", self.max_invoices, "invoices"),
            ("fraud_max_manual", self.max_manual, "manual credits"),
            (
                "fraud_staff_daily",
                self.staff_daily,
                "manual credits per staff member",
            ),
            (
                "fraud_device_phones",
                self.device_phones,
                "phones per device",
            ),
        ] {
            if !(0..=100_000).contains(&v) {
                out.push(Problem {
                    field,
                    message: format!("the fraud threshold for {what} must be 0 to 100000"),
                });
            }
        }
        if self.alert_phones.len() > 10 {
            out.push(Problem {
                field: "fraud_alert_phones",
                message: "at most 10 fraud alert phones".into(),
            });
        }
        for p in &self.alert_phones {
            if let Err(e) = Phone::parse(p) {
                out.push(Problem {
                    field: "fraud_alert_phones",
                    message: format!("{p:?}: {e}"),
                });
            }
        }
        out
    }
}

/// Tells managers about a flag or block inside the deciding transaction: a panel
/// notification (linking to the club page's flags) for everyone here who may clear flags
/// and sees `branch_id` (when the operation had a branch), and a service SMS (not
/// debited) to the tenant's alert phones.
async fn alert_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    rules: &FraudRules,
    subject: Subject,
    branch_id: Option<i64>,
    why: &str,
    now: i64,
) -> Result<()> {
    let managers = crate::staff::holders_in(
        conn,
        tenant_id,
        crate::roles::Permission::ClearFraudFlags,
        branch_id,
    )
    .await?;
    if rules.alert_phones.is_empty() && managers.is_empty() {
        return Ok(());
    }
    let tenant = crate::tenants::by_id_in(conn, tenant_id).await?;
    let who = match subject {
        Subject::Customer(id) => format!("مشتری #{id}"),
        Subject::Staff(id) => format!("کارمند #{id}"),
    };
    let text = format!("هشدار تقلب در باشگاه {}: {who} — {why}", tenant.name);
    for user_id in managers {
        crate::notifications::add_in(
            conn,
            tenant_id,
            user_id,
            crate::notifications::Target::Link(FLAGS_PAGE),
            &text,
            now,
        )
        .await?;
    }
    for phone in &rules.alert_phones {
        let phone = Phone::parse(phone)?;
        crate::sms::enqueue_text_in(conn, &tenant, &phone, &text, "fraud_alert").await?;
    }
    Ok(())
}

/// Where a fraud notification leads: the club page's open flags.
pub const FLAGS_PAGE: &str = "/club#flags";

/// Who a flag is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Customer(i64),
    /// A staff member's right to add manual credit.
    Staff(i64),
}

impl Subject {
    fn kind(self) -> &'static str {
        match self {
            Subject::Customer(_) => "customer",
            Subject::Staff(_) => "staff",
        }
    }

    fn id(self) -> i64 {
        match self {
            Subject::Customer(id) | Subject::Staff(id) => id,
        }
    }
}

/// What the detector decided about one suspicious operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Reported to managers; the operation goes ahead.
    Flagged(String),
    /// A repeat while flagged: the subject is blocked.
    Blocked(String),
}

/// A flag as managers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub id: i64,
    /// `customer` or `staff`.
    pub subject_kind: String,
    pub subject_id: i64,
    pub rule: String,
    /// `flagged`, `blocked` or `cleared`.
    pub state: String,
    pub reason: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub cleared_by: Option<String>,
}

/// One logged decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub id: i64,
    pub flag_id: Option<i64>,
    pub subject_kind: String,
    pub subject_id: i64,
    /// `flag`, `block`, `refuse` or `clear`.
    pub decision: String,
    pub reason: String,
    pub actor: String,
    pub created_at: i64,
}

/// The subject's open flag (flagged or blocked), if any: (id, state).
async fn open_flag(
    conn: &mut AnyConnection,
    tenant_id: i64,
    subject: Subject,
) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, state FROM fraud_flags WHERE tenant_id = $1 AND subject_kind = $2 AND subject_id = $3 \
         AND state <> 'cleared' ORDER BY id DESC LIMIT 1",
    )
    .bind(tenant_id)
    .bind(subject.kind())
    .bind(subject.id())
    .fetch_optional(&mut *conn)
    .await?)
}

/// Whether the subject is blocked now.
pub(crate) async fn blocked_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    subject: Subject,
) -> Result<bool> {
    Ok(open_flag(conn, tenant_id, subject)
        .await?
        .is_some_and(|(_, state)| state == "blocked"))
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn log_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    flag_id: Option<i64>,
    subject: Subject,
    decision: &str,
    reason: &str,
    actor: Actor,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO fraud_decisions (tenant_id, flag_id, subject_kind, subject_id, decision, reason, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(flag_id)
    .bind(subject.kind())
    .bind(subject.id())
    .bind(decision)
    .bind(reason)
    .bind(actor.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    tracing::warn!(
        tenant = tenant_id,
        subject = subject.kind(),
        id = subject.id(),
        decision,
        reason,
        "fraud detector"
    );
    Ok(())
}

/// A rule fired for `subject`: flags it, or blocks it if it was already flagged.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn suspicious_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    rules: &FraudRules,
    subject: Subject,
    branch_id: Option<i64>,
    rule: &str,
    reason: &str,
    actor: Actor,
    now: i64,
) -> Result<Verdict> {
    match open_flag(conn, tenant_id, subject).await? {
        Some((id, _)) => {
            sqlx::query("UPDATE fraud_flags SET state = 'blocked', reason = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(reason)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            let why = format!("{rule}: {reason} (again while flagged)");
            log_in(
                conn,
                tenant_id,
                Some(id),
                subject,
                "block",
                &why,
                actor,
                now,
            )
            .await?;
            alert_in(conn, tenant_id, rules, subject, branch_id, &why, now).await?;
            Ok(Verdict::Blocked(why))
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO fraud_flags (tenant_id, subject_kind, subject_id, rule, state, reason, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'flagged', $5, $6, $6) RETURNING id",
            )
            .bind(tenant_id)
            .bind(subject.kind())
            .bind(subject.id())
            .bind(rule)
            .bind(reason)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            let why = format!("{rule}: {reason}");
            log_in(conn, tenant_id, Some(id), subject, "flag", &why, actor, now).await?;
            alert_in(conn, tenant_id, rules, subject, branch_id, &why, now).await?;
            Ok(Verdict::Flagged(why))
        }
    }
}

/// Screens an invoice about to be recorded for `customer_id` (inside its transaction).
/// `Some(reason)` when the customer is blocked and the invoice must earn nothing.
pub(crate) async fn screen_invoice_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    branch_id: i64,
    rules: &FraudRules,
    actor: Actor,
    now: i64,
) -> Result<Option<String>> {
    let subject = Subject::Customer(customer_id);
    if blocked_in(conn, tenant_id, subject).await? {
        let why = "customer is blocked by the fraud detector: no credit until a manager clears it";
        log_in(conn, tenant_id, None, subject, "refuse", why, actor, now).await?;
        return Ok(Some(why.into()));
    }
    if rules.max_invoices == 0 {
        return Ok(None);
    }
    let (recent,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM invoices WHERE tenant_id = $1 AND customer_id = $2 AND created_at > $3",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .bind(now - rules.window_seconds)
    .fetch_one(&mut *conn)
    .await?;
    if recent < rules.max_invoices {
        return Ok(None);
    }
    let reason = format!(
        "{} invoices within {} s (threshold {})",
        recent + 1,
        rules.window_seconds,
        rules.max_invoices
    );
    Ok(
        match suspicious_in(
            conn,
            tenant_id,
            rules,
            subject,
            Some(branch_id),
            "invoices",
            &reason,
            actor,
            now,
        )
        .await?
        {
            Verdict::Flagged(_) => None,
            Verdict::Blocked(why) => Some(why),
        },
    )
}

/// Screens a manual credit (inside its transaction): `Err(reason)` when it must be
/// refused — the caller commits the logged decision and then refuses.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn screen_manual_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: Option<i64>,
    amount: i64,
    rules: &FraudRules,
    actor: Actor,
    day_start: i64,
    now: i64,
) -> Result<Result<(), String>> {
    let customer = customer_id.map(Subject::Customer);
    let staff = match actor {
        Actor::Staff(id) => Some(Subject::Staff(id)),
        _ => None,
    };
    for subject in staff.into_iter().chain(customer) {
        if blocked_in(conn, tenant_id, subject).await? {
            let why = format!(
                "{} is blocked by the fraud detector until a manager clears it",
                match subject {
                    Subject::Staff(id) => format!("staff member {id}'s manual credit"),
                    Subject::Customer(_) => "this customer".into(),
                }
            );
            log_in(conn, tenant_id, None, subject, "refuse", &why, actor, now).await?;
            return Ok(Err(why));
        }
    }
    let mut findings: Vec<(Subject, &str, String)> = Vec::new();
    if let Some(customer_id) = customer_id.filter(|_| rules.max_manual > 0) {
        let (recent,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM credit_entries \
             WHERE tenant_id = $1 AND customer_id = $2 AND kind = 'manual' AND created_at > $3",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(now - rules.window_seconds)
        .fetch_one(&mut *conn)
        .await?;
        if recent >= rules.max_manual {
            findings.push((
                Subject::Customer(customer_id),
                "manual_repeat",
                format!(
                    "{} manual credits within {} s (threshold {})",
                    recent + 1,
                    rules.window_seconds,
                    rules.max_manual
                ),
            ));
        }
    }
    if let Some(staff) = staff {
        if rules.staff_daily > 0 {
            let (today,): (i64,) = sqlx::query_as(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM credit_entries \
                 WHERE tenant_id = $1 AND kind = 'manual' AND actor = $2 AND created_at >= $3",
            )
            .bind(tenant_id)
            .bind(actor.to_string())
            .bind(day_start)
            .fetch_one(&mut *conn)
            .await?;
            if today >= rules.staff_daily {
                findings.push((
                    staff,
                    "staff_daily",
                    format!(
                        "{} manual credits today (threshold {})",
                        today + 1,
                        rules.staff_daily
                    ),
                ));
            }
        }
        if rules.manual_amount > 0 && amount > rules.manual_amount {
            findings.push((
                staff,
                "manual_amount",
                format!(
                    "manual credit of {amount} rials above {} (far above the formula)",
                    rules.manual_amount
                ),
            ));
        }
    }
    let mut flagged = std::collections::HashSet::new();
    for (subject, rule, reason) in findings {
        // One verdict per subject and operation: two rules firing at once flag, not block.
        if !flagged.insert(subject.kind().to_string() + &subject.id().to_string()) {
            continue;
        }
        if let Verdict::Blocked(why) = suspicious_in(
            conn, tenant_id, rules, subject, None, rule, &reason, actor, now,
        )
        .await?
        {
            return Ok(Err(why));
        }
    }
    Ok(Ok(()))
}

/// How long device logins are kept: the longest fraud window.
const DEVICE_LOGINS_KEPT: i64 = 30 * 86_400;

/// Records that `customer_id` signed in on `mac` (normalised) and screens the device
/// (inside the login's transaction): more than `device_phones` different phones on it
/// within the window flag the newest one, or block it if already flagged. The login
/// itself goes ahead either way; a blocked customer earns and pays no credit.
pub(crate) async fn screen_device_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    customer_id: i64,
    mac: &str,
    now: i64,
) -> Result<Option<Verdict>> {
    sqlx::query("DELETE FROM device_logins WHERE tenant_id = $1 AND mac = $2 AND at < $3")
        .bind(tenant_id)
        .bind(mac)
        .bind(now - DEVICE_LOGINS_KEPT)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO device_logins (tenant_id, mac, customer_id, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(tenant_id)
    .bind(mac)
    .bind(customer_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let rules = super::settings::get_in(conn, tenant_id, None).await?.fraud;
    if rules.device_phones == 0 {
        return Ok(None);
    }
    let (phones,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(DISTINCT customer_id) AS BIGINT) FROM device_logins \
         WHERE tenant_id = $1 AND mac = $2 AND at > $3",
    )
    .bind(tenant_id)
    .bind(mac)
    .bind(now - rules.window_seconds)
    .fetch_one(&mut *conn)
    .await?;
    if phones <= rules.device_phones {
        return Ok(None);
    }
    let reason = format!(
        "device {mac} signed in with {phones} phones within {} s (threshold {})",
        rules.window_seconds, rules.device_phones
    );
    suspicious_in(
        conn,
        tenant_id,
        &rules,
        Subject::Customer(customer_id),
        None,
        "device_cycling",
        &reason,
        Actor::System,
        now,
    )
    .await
    .map(Some)
}

fn flag_from_row(r: &sqlx::any::AnyRow) -> Result<Flag, sqlx::Error> {
    Ok(Flag {
        id: r.try_get("id")?,
        subject_kind: r.try_get("subject_kind")?,
        subject_id: r.try_get("subject_id")?,
        rule: r.try_get("rule")?,
        state: r.try_get("state")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        cleared_by: r.try_get("cleared_by")?,
    })
}

/// Refuses (and logs the refusal of) paying with credit for a blocked customer.
pub async fn refuse_if_blocked(
    store: &Store,
    tenant_id: i64,
    customer_id: i64,
    actor: Actor,
    now: i64,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let subject = Subject::Customer(customer_id);
    if !blocked_in(&mut tx, tenant_id, subject).await? {
        return Ok(());
    }
    let why = "the customer is blocked by the fraud detector until a manager clears it";
    log_in(&mut tx, tenant_id, None, subject, "refuse", why, actor, now).await?;
    tx.commit().await?;
    Err(Error::Conflict(why.into()))
}

/// The tenant's flags, newest first; `open_only` leaves out cleared ones.
pub async fn flags(store: &Store, tenant: &Tenant, open_only: bool) -> Result<Vec<Flag>> {
    let rows = sqlx::query(
        "SELECT id, subject_kind, subject_id, rule, state, reason, created_at, updated_at, cleared_by \
         FROM fraud_flags WHERE tenant_id = $1 AND ($2 = 0 OR state <> 'cleared') ORDER BY id DESC LIMIT 1000",
    )
    .bind(tenant.id)
    .bind(i64::from(open_only))
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(flag_from_row).collect::<Result<_, _>>()?)
}

/// The decision log, newest first.
pub async fn decisions(store: &Store, tenant: &Tenant, limit: i64) -> Result<Vec<Decision>> {
    let rows = sqlx::query(
        "SELECT id, flag_id, subject_kind, subject_id, decision, reason, actor, created_at \
         FROM fraud_decisions WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(tenant.id)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Decision {
                id: r.try_get("id")?,
                flag_id: r.try_get("flag_id")?,
                subject_kind: r.try_get("subject_kind")?,
                subject_id: r.try_get("subject_id")?,
                decision: r.try_get("decision")?,
                reason: r.try_get("reason")?,
                actor: r.try_get("actor")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Error::from)
}

/// A manager clears a flag (and the block, if any), with a reason.
pub async fn clear(
    store: &Store,
    tenant: &Tenant,
    flag_id: i64,
    manager: Actor,
    reason: &str,
    now: i64,
) -> Result<()> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(Error::invalid(
            "clearing a flag needs a reason of 1 to 200 characters",
        ));
    }
    let mut tx = store.begin().await?;
    let row = sqlx::query(
        "SELECT subject_kind, subject_id, rule, state, reason FROM fraud_flags \
         WHERE tenant_id = $1 AND id = $2 AND state <> 'cleared'",
    )
    .bind(tenant.id)
    .bind(flag_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("open fraud flag #{flag_id}")))?;
    let done = sqlx::query(
        "UPDATE fraud_flags SET state = 'cleared', cleared_by = $3, updated_at = $4 \
         WHERE tenant_id = $1 AND id = $2 AND state <> 'cleared'",
    )
    .bind(tenant.id)
    .bind(flag_id)
    .bind(manager.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        // Cleared by someone else between the two statements.
        return Err(Error::NotFound(format!("open fraud flag #{flag_id}")));
    }
    let id: i64 = row.try_get("subject_id")?;
    let kind: String = row.try_get("subject_kind")?;
    let subject = match kind.as_str() {
        "staff" => Subject::Staff(id),
        _ => Subject::Customer(id),
    };
    let change = crate::audit::Change {
        tenant_id: Some(tenant.id),
        action: "fraud.clear",
        entity: "fraud_flag",
        entity_id: Some(flag_id),
        before: Some(serde_json::json!({
            "subject": format!("{kind}:{id}"),
            "rule": row.try_get::<String, _>("rule")?,
            "state": row.try_get::<String, _>("state")?,
            "reason": row.try_get::<String, _>("reason")?,
        })),
        after: Some(serde_json::json!({ "state": "cleared", "reason": reason })),
    };
    super::audit_in(&mut tx, manager, &change).await?;
    log_in(
        &mut tx,
        tenant.id,
        Some(flag_id),
        subject,
        "clear",
        reason,
        manager,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
