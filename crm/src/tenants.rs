//! Tenants: one business (a brand) with its own customers, groups and routers.

use rand::Rng;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::error::{Error, Result, conflict_if_unique};
use crate::{clock, groups, store::Store};

/// The tenant a fresh installation runs as, until an operator creates others.
pub const DEFAULT_TENANT: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: i64,
    pub name: String,
    /// Unique 5-digit code customers text to the SMS line to join the club.
    pub club_code: String,
    /// IANA zone for days, months and allowed hours (stored times stay UTC).
    pub time_zone: String,
    pub locale: String,
    /// How many days a ticked "remember this device" keeps MAC login open.
    pub remember_days: i64,
    /// Digits in the one-time codes sent to this tenant's guests (4 to 6).
    pub otp_length: i64,
    /// Whether months (monthly data quota) start on the Gregorian or the Jalali first.
    pub month_start: clock::MonthStart,
    pub created_at: i64,
}

macro_rules! columns {
    () => {
        "id, name, club_code, time_zone, locale, remember_days, otp_length, month_start, created_at"
    };
}

impl Tenant {
    fn from_row(row: &AnyRow) -> Result<Tenant, sqlx::Error> {
        Ok(Tenant {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            club_code: row.try_get("club_code")?,
            time_zone: row.try_get("time_zone")?,
            locale: row.try_get("locale")?,
            remember_days: row.try_get("remember_days")?,
            otp_length: row.try_get("otp_length")?,
            month_start: clock::MonthStart::parse(row.try_get("month_start")?)
                .map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// Creates a tenant with a fresh club code and the default groups, all or nothing.
pub async fn create(store: &Store, name: &str) -> Result<Tenant> {
    create_by(store, name, None).await
}

/// [`create`], recording in the audit log who did it (a panel operator).
pub async fn create_audited(store: &Store, name: &str, actor: Actor) -> Result<Tenant> {
    create_by(store, name, Some(actor)).await
}

async fn create_by(store: &Store, name: &str, actor: Option<Actor>) -> Result<Tenant> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::invalid("tenant name must be 1 to 100 characters"));
    }
    // Codes are random so they do not leak how many tenants exist; retry on a clash.
    for _ in 0..50 {
        let code = rand::rng().random_range(10_000..100_000).to_string();
        let mut tx = store.begin().await?;
        let sql = concat!(
            "INSERT INTO tenants (name, club_code, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (club_code) DO NOTHING RETURNING ",
            columns!(),
            ""
        );
        let row = sqlx::query(sql)
            .bind(name)
            .bind(&code)
            .bind(clock::now())
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| conflict_if_unique(e, || format!("tenant {name:?} already exists")))?;
        let Some(row) = row else { continue };
        let tenant = Tenant::from_row(&row)?;
        groups::insert_defaults(&mut tx, tenant.id).await?;
        if let Some(actor) = actor {
            let change = Change {
                tenant_id: None,
                action: "tenant.create",
                entity: "tenant",
                entity_id: Some(tenant.id),
                before: None,
                after: Some(serde_json::json!({ "name": tenant.name })),
            };
            audit::record(&mut *tx, actor, &change).await?;
        }
        tx.commit().await?;
        return Ok(tenant);
    }
    Err(Error::Conflict("could not find a free club code".into()))
}

/// The default tenant, created with its groups on first use. Safe when several
/// processes start at once: the loser of the race reads the winner's row.
pub async fn ensure_default(store: &Store) -> Result<Tenant> {
    match by_name(store, DEFAULT_TENANT).await {
        Ok(t) => Ok(t),
        Err(Error::NotFound(_)) => match create(store, DEFAULT_TENANT).await {
            Ok(t) => Ok(t),
            Err(Error::Conflict(_)) => by_name(store, DEFAULT_TENANT).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

pub async fn by_name(store: &Store, name: &str) -> Result<Tenant> {
    let sql = concat!("SELECT ", columns!(), " FROM tenants WHERE name = $1");
    let row = sqlx::query(sql)
        .bind(name)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| Error::NotFound(format!("tenant {name:?}")))?;
    Ok(Tenant::from_row(&row)?)
}

pub async fn by_id(store: &Store, id: i64) -> Result<Tenant> {
    let mut conn = store.pool().acquire().await?;
    by_id_in(&mut conn, id).await
}

pub(crate) async fn by_id_in(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Tenant> {
    let sql = concat!("SELECT ", columns!(), " FROM tenants WHERE id = $1");
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("tenant #{id}")))?;
    Ok(Tenant::from_row(&row)?)
}

pub async fn list(store: &Store) -> Result<Vec<Tenant>> {
    let sql = concat!("SELECT ", columns!(), " FROM tenants ORDER BY id");
    let rows = sqlx::query(sql).fetch_all(store.pool()).await?;
    Ok(rows
        .iter()
        .map(Tenant::from_row)
        .collect::<Result<_, _>>()?)
}

/// What `--tenant` names: a tenant name, or nothing for the default tenant.
pub async fn resolve(store: &Store, name: Option<&str>) -> Result<Tenant> {
    match name {
        None => ensure_default(store).await,
        Some(name) => by_name(store, name).await,
    }
}

/// The settings an operator may change on a tenant; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct TenantSettings {
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub remember_days: Option<i64>,
    pub otp_length: Option<i64>,
    pub month_start: Option<clock::MonthStart>,
}

/// Validates and applies `settings`; returns the updated tenant.
pub async fn update(store: &Store, tenant: &Tenant, settings: &TenantSettings) -> Result<Tenant> {
    let time_zone = settings
        .time_zone
        .clone()
        .unwrap_or_else(|| tenant.time_zone.clone());
    crate::clock::Zone::named(&time_zone)?;
    let locale = settings
        .locale
        .clone()
        .unwrap_or_else(|| tenant.locale.clone());
    if crate::ui::Locale::from_tag(&locale).is_none() {
        return Err(Error::invalid(format!(
            "locale {locale:?} is not supported (fa or en)"
        )));
    }
    let remember_days = settings.remember_days.unwrap_or(tenant.remember_days);
    if !(0..=3650).contains(&remember_days) {
        return Err(Error::invalid("remember days must be between 0 and 3650"));
    }
    let otp_length = settings.otp_length.unwrap_or(tenant.otp_length);
    if !(4..=6).contains(&otp_length) {
        return Err(Error::invalid("one-time codes must have 4 to 6 digits"));
    }
    let month_start = settings.month_start.unwrap_or(tenant.month_start);
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE tenants SET time_zone = $2, locale = $3, remember_days = $4, otp_length = $5, \
         month_start = $6 WHERE id = $1",
    )
    .bind(tenant.id)
    .bind(&time_zone)
    .bind(&locale)
    .bind(remember_days)
    .bind(otp_length)
    .bind(month_start.as_str())
    .execute(&mut *tx)
    .await?;
    // The RADIUS registry carries each router's tenant zone and language.
    crate::generations::bump(&mut *tx, crate::generations::Generation::Nas).await?;
    tx.commit().await?;
    by_id(store, tenant.id).await
}
