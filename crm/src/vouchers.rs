//! Vouchers: printed hotspot logins sold or handed out in batches. Each voucher is a
//! static hotspot account tied to its batch; it may be valid for a time counted from its
//! first login, and may expire on a date, whichever comes first.

use rand::Rng;
use sqlx::Row;

use crate::audit::{self, Actor, Change};
use crate::error::{Error, Result};
use crate::generations::{self, Generation};
use crate::hotspot::Subject;
use crate::secret::Secret;
use crate::store::Store;
use crate::usage::Usage;
use crate::{clock, groups, tenants::Tenant};

/// What a new batch is.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub name: String,
    pub group: String,
    pub count: i64,
    /// Seconds of validity from the first login.
    pub valid_for: Option<i64>,
    /// No login after this time (unix seconds).
    pub expires_at: Option<i64>,
    /// One code to type (username = password) instead of a username and a password.
    pub pin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: i64,
    pub name: String,
    pub group_name: String,
    pub count: i64,
    pub valid_for: Option<i64>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    /// Vouchers of the batch used at least once.
    pub used: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voucher {
    pub id: i64,
    pub username: String,
    pub password: Secret,
    pub first_used_at: Option<i64>,
    /// When it stops working, if it does: the earlier of the batch date and first use
    /// plus the validity.
    pub expires_at: Option<i64>,
    pub usage: Usage,
}

pub const MAX_BATCH: i64 = 1000;
const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

fn random(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// When a voucher (or any account) stops working, given what is known now.
pub fn expiry(
    expires_at: Option<i64>,
    valid_for: Option<i64>,
    first_used_at: Option<i64>,
) -> Option<i64> {
    let from_use = match (valid_for, first_used_at) {
        (Some(v), Some(first)) => Some(first.saturating_add(v)),
        _ => None,
    };
    match (expires_at, from_use) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Creates the batch and its vouchers in one transaction.
pub async fn create(
    store: &Store,
    tenant: &Tenant,
    new: &NewBatch,
) -> Result<(Batch, Vec<Voucher>)> {
    create_by(store, tenant, new, None).await
}

/// [`create`], recording in the audit log who did it.
pub async fn create_audited(
    store: &Store,
    tenant: &Tenant,
    new: &NewBatch,
    actor: Actor,
) -> Result<(Batch, Vec<Voucher>)> {
    create_by(store, tenant, new, Some(actor)).await
}

async fn create_by(
    store: &Store,
    tenant: &Tenant,
    new: &NewBatch,
    actor: Option<Actor>,
) -> Result<(Batch, Vec<Voucher>)> {
    let name = new.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::invalid("batch name must be 1 to 100 characters"));
    }
    if !(1..=MAX_BATCH).contains(&new.count) {
        return Err(Error::invalid(format!(
            "a batch has 1 to {MAX_BATCH} vouchers"
        )));
    }
    if matches!(new.valid_for, Some(v) if v <= 0) {
        return Err(Error::invalid("validity must be positive"));
    }
    let now = clock::now();
    if matches!(new.expires_at, Some(t) if t <= now) {
        return Err(Error::invalid("the expiry date is in the past"));
    }
    let group = groups::by_name(store, tenant, &new.group).await?;
    let mut tx = store.begin().await?;
    let batch_id: i64 = sqlx::query_scalar(
        "INSERT INTO voucher_batches (tenant_id, name, group_id, count, valid_for, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(tenant.id)
    .bind(name)
    .bind(group.id)
    .bind(new.count)
    .bind(new.valid_for)
    .bind(new.expires_at)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let mut vouchers = Vec::with_capacity(new.count as usize);
    while (vouchers.len() as i64) < new.count {
        let (username, password) = if new.pin {
            let pin = random(10, b"23456789");
            (pin.clone(), pin)
        } else {
            (random(8, LETTERS), random(8, LETTERS))
        };
        // A clash with an existing username just draws again.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO hotspot_accounts (tenant_id, username, password, group_id, expires_at, \
             batch_id, valid_for, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, username) DO NOTHING RETURNING id",
        )
        .bind(tenant.id)
        .bind(&username)
        .bind(&password)
        .bind(group.id)
        .bind(new.expires_at)
        .bind(batch_id)
        .bind(new.valid_for)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            vouchers.push(Voucher {
                id,
                username,
                password: Secret::new(password),
                first_used_at: None,
                expires_at: new.expires_at,
                usage: Usage::default(),
            });
        }
    }
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    if let Some(actor) = actor {
        // The codes stay out of the log.
        let change = Change {
            tenant_id: Some(tenant.id),
            action: "vouchers.create",
            entity: "voucher_batch",
            entity_id: Some(batch_id),
            before: None,
            after: Some(serde_json::json!({
                "name": name,
                "group": group.name,
                "count": new.count,
                "valid_for": new.valid_for,
                "expires_at": new.expires_at,
            })),
        };
        audit::record(&mut *tx, actor, &change).await?;
    }
    tx.commit().await?;
    let batch = Batch {
        id: batch_id,
        name: name.to_string(),
        group_name: group.name,
        count: new.count,
        valid_for: new.valid_for,
        expires_at: new.expires_at,
        created_at: now,
        used: 0,
    };
    Ok((batch, vouchers))
}

pub async fn batches(store: &Store, tenant: &Tenant) -> Result<Vec<Batch>> {
    let rows = sqlx::query(
        "SELECT b.id, b.name, g.name AS group_name, b.count, b.valid_for, b.expires_at, b.created_at, \
         (SELECT COUNT(*) FROM hotspot_accounts a WHERE a.batch_id = b.id AND a.first_used_at IS NOT NULL) AS used \
         FROM voucher_batches b JOIN groups g ON g.id = b.group_id WHERE b.tenant_id = $1 ORDER BY b.id DESC",
    )
    .bind(tenant.id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Batch {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                group_name: r.try_get("group_name")?,
                count: r.try_get("count")?,
                valid_for: r.try_get("valid_for")?,
                expires_at: r.try_get("expires_at")?,
                created_at: r.try_get("created_at")?,
                used: r.try_get("used")?,
            })
        })
        .collect()
}

pub async fn batch(store: &Store, tenant: &Tenant, id: i64) -> Result<Batch> {
    batches(store, tenant)
        .await?
        .into_iter()
        .find(|b| b.id == id)
        .ok_or_else(|| Error::NotFound(format!("voucher batch #{id}")))
}

/// The vouchers of a batch with what each has used so far.
pub async fn vouchers(store: &Store, tenant: &Tenant, batch_id: i64) -> Result<Vec<Voucher>> {
    let rows = sqlx::query(
        "SELECT a.id, a.username, a.password, a.first_used_at, a.expires_at, a.valid_for, \
         CAST(COALESCE(SUM(u.session_time), 0) AS BIGINT) AS session_time, \
         CAST(COALESCE(SUM(u.input_octets), 0) AS BIGINT) AS input_octets, \
         CAST(COALESCE(SUM(u.output_octets), 0) AS BIGINT) AS output_octets \
         FROM hotspot_accounts a LEFT JOIN usage_daily u ON u.tenant_id = a.tenant_id \
             AND u.subject_kind = $3 AND u.subject_id = a.id \
         WHERE a.tenant_id = $1 AND a.batch_id = $2 \
         GROUP BY a.id, a.username, a.password, a.first_used_at, a.expires_at, a.valid_for ORDER BY a.id",
    )
    .bind(tenant.id)
    .bind(batch_id)
    .bind(Subject::Account(0).kind())
    .fetch_all(store.pool())
    .await?;
    if rows.is_empty() {
        batch(store, tenant, batch_id).await?;
    }
    rows.iter()
        .map(|r| {
            let first_used_at: Option<i64> = r.try_get("first_used_at")?;
            Ok(Voucher {
                id: r.try_get("id")?,
                username: r.try_get("username")?,
                password: Secret::new(r.try_get::<String, _>("password")?),
                first_used_at,
                expires_at: expiry(
                    r.try_get("expires_at")?,
                    r.try_get("valid_for")?,
                    first_used_at,
                ),
                usage: Usage {
                    session_time: r.try_get("session_time")?,
                    input_octets: r.try_get("input_octets")?,
                    output_octets: r.try_get("output_octets")?,
                },
            })
        })
        .collect()
}

/// Records a voucher's first login (its validity starts now); `false` if it had one.
pub async fn mark_first_use(store: &Store, account_id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE hotspot_accounts SET first_used_at = $2 WHERE id = $1 AND first_used_at IS NULL",
    )
    .bind(account_id)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// One voucher per row: what a spreadsheet or a print shop wants.
pub fn to_csv(batch: &Batch, vouchers: &[Voucher]) -> String {
    let mut out = String::from(
        "username,password,group,valid_for_seconds,expires_at_utc,first_used_at_utc,session_seconds,octets\n",
    );
    let time = |t: Option<i64>| t.map(clock::format_utc).unwrap_or_default();
    for v in vouchers {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            v.username,
            v.password.expose(),
            batch.group_name.replace([',', '"', '\n'], " "),
            batch.valid_for.map(|s| s.to_string()).unwrap_or_default(),
            time(v.expires_at),
            time(v.first_used_at),
            v.usage.session_time,
            v.usage.octets(),
        ));
    }
    out
}

/// A page of cut-out cards, ready to print (A4, 3 × 8), in the tenant's language.
pub fn to_printable_html(tenant: &Tenant, batch: &Batch, vouchers: &[Voucher]) -> String {
    // PIN vouchers have one code for both fields.
    let pin = !vouchers.is_empty() && vouchers.iter().all(|v| v.username == v.password.expose());
    let fa = tenant.locale.starts_with("fa");
    let locale = if fa {
        crate::ui::Locale::Fa
    } else {
        crate::ui::Locale::En
    };
    let (user_label, pass_label, pin_label, valid_label) = if fa {
        ("نام کاربری", "رمز", "کد ورود", "اعتبار")
    } else {
        ("Username", "Password", "Login code", "Valid")
    };
    let validity = match batch.valid_for {
        Some(secs) => {
            let text = crate::units::format_duration(secs);
            if fa {
                format!("{valid_label}: {} از اولین ورود", locale.digits(&text))
            } else {
                format!("{valid_label}: {text} from first login")
            }
        }
        None => String::new(),
    };
    let until = batch
        .expires_at
        .map(|t| {
            let date = clock::format_utc(t);
            if fa {
                format!("تا {} (UTC)", locale.digits(&date))
            } else {
                format!("until {date} UTC")
            }
        })
        .unwrap_or_default();
    let mut cards = String::new();
    for v in vouchers {
        let body = if pin {
            format!(
                "<dt>{pin_label}</dt><dd dir=\"ltr\">{}</dd>",
                escape(&v.username)
            )
        } else {
            format!(
                "<dt>{user_label}</dt><dd dir=\"ltr\">{}</dd><dt>{pass_label}</dt><dd dir=\"ltr\">{}</dd>",
                escape(&v.username),
                escape(v.password.expose())
            )
        };
        cards.push_str(&format!(
            "<section class=\"card\"><h2>{}</h2><dl>{body}</dl><p>{} {}</p></section>\n",
            escape(&tenant.name),
            escape(&validity),
            escape(&until),
        ));
    }
    format!(
        "<!doctype html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>\n\
         @page {{ size: A4; margin: 10mm; }}\n\
         body {{ font-family: Vazirmatn, Tahoma, sans-serif; margin: 0; }}\n\
         .sheet {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; }}\n\
         .card {{ border: 1px dashed #777; border-radius: 3mm; padding: 3mm 4mm; height: 30mm; \
         break-inside: avoid; }}\n\
         h2 {{ font-size: 11pt; margin: 0 0 1mm; }}\n\
         dl {{ display: grid; grid-template-columns: auto 1fr; gap: 0 3mm; margin: 0; font-size: 10pt; }}\n\
         dd {{ margin: 0; font-family: monospace; font-size: 12pt; font-weight: bold; letter-spacing: .05em; }}\n\
         p {{ font-size: 8pt; margin: 1mm 0 0; color: #444; }}\n\
         </style>\n</head>\n<body>\n<main class=\"sheet\">\n{cards}</main>\n</body>\n</html>\n",
        lang = locale.tag(),
        dir = locale.dir(),
        title = escape(&batch.name),
    )
}

#[cfg(test)]
mod tests {
    use super::expiry;

    #[test]
    fn earliest_limit_wins() {
        assert_eq!(expiry(None, None, None), None);
        assert_eq!(expiry(Some(100), None, Some(5)), Some(100));
        assert_eq!(expiry(None, Some(50), None), None);
        assert_eq!(expiry(None, Some(50), Some(10)), Some(60));
        assert_eq!(expiry(Some(100), Some(50), Some(70)), Some(100));
        assert_eq!(expiry(Some(100), Some(50), Some(10)), Some(60));
    }
}
