//! Coupons: batches of codes — or one code per phone of a list (members or not, e.g. a
//! partner organisation's staff) — carrying credit (a `coupon` lot in the ledger) or a
//! discount in rials off an invoice; valid for a period; each code usable `max_uses`
//! times and at most once per phone. Redeemed through the POS API; `report` sums a
//! batch up.

use rand::Rng;
use sqlx::{AnyConnection, Row};

use crate::club::{JoinSource, join_in, settings};
use crate::error::{Error, Result, conflict_if_unique};
use crate::idempotency::{IdempotentRequest, Reply};
use crate::invoices::{self, InvoiceStatus};
use crate::ledger::{self, Actor, Award, Balance, EntryKind};
use crate::phone::Phone;
use crate::pos_keys::PosKey;
use crate::store::Store;
use crate::tenants::Tenant;
use crate::{clock, customers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponKind {
    /// Rials of club credit for the member.
    Credit,
    /// Rials off the invoice it is used on.
    Discount,
    /// Basis points of the invoice off it (1000 = 10 %).
    Percent,
}

impl CouponKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CouponKind::Credit => "credit",
            CouponKind::Discount => "discount",
            CouponKind::Percent => "percent",
        }
    }

    pub fn parse(s: &str) -> Result<CouponKind> {
        match s.trim() {
            "credit" => Ok(CouponKind::Credit),
            "discount" => Ok(CouponKind::Discount),
            "percent" => Ok(CouponKind::Percent),
            other => Err(Error::invalid(format!(
                "coupon kind {other:?}: expected credit, discount or percent"
            ))),
        }
    }
}

/// Who a batch is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// This many codes anyone may use.
    Codes(i64),
    /// One code per phone, usable only by that phone.
    Phones(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatch {
    pub name: String,
    pub kind: CouponKind,
    pub value: i64,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    /// Uses per code (each phone at most once).
    pub max_uses: i64,
    pub recipients: Recipients,
}

pub const MAX_BATCH: usize = 10_000;
/// No 0/O, 1/I/L: codes are read aloud and typed at the till.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// One issued code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupon {
    pub code: String,
    pub phone: Option<String>,
}

fn normalize(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// Creates a batch and its codes in one transaction; returns the batch id and codes.
/// Audited as the host's change (the command line).
pub async fn create(store: &Store, tenant: &Tenant, new: &NewBatch) -> Result<(i64, Vec<Coupon>)> {
    create_by(store, tenant, new, crate::audit::Actor::CLI).await
}

/// [`create`] by a panel user, audited as theirs in the batch's transaction.
pub async fn create_by(
    store: &Store,
    tenant: &Tenant,
    new: &NewBatch,
    actor: crate::audit::Actor,
) -> Result<(i64, Vec<Coupon>)> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("batch name must be 1 to 100 characters"));
    }
    ledger::check_amount(new.value, "the coupon value")?;
    if new.kind == CouponKind::Percent && new.value > crate::club::formula::FULL_BP {
        return Err(Error::invalid(
            "a percent coupon takes 1 to 10000 basis points off",
        ));
    }
    if !(1..=1_000_000).contains(&new.max_uses) {
        return Err(Error::invalid("max uses must be 1 to 1000000"));
    }
    if let (Some(from), Some(until)) = (new.valid_from, new.valid_until) {
        if until <= from {
            return Err(Error::invalid(
                "a coupon must be valid until after it starts",
            ));
        }
    }
    let phones: Vec<Option<Phone>> = match &new.recipients {
        Recipients::Codes(n) if (1..=MAX_BATCH as i64).contains(n) => vec![None; *n as usize],
        Recipients::Codes(_) => {
            return Err(Error::invalid(format!(
                "a batch has 1 to {MAX_BATCH} codes"
            )));
        }
        Recipients::Phones(list) if (1..=MAX_BATCH).contains(&list.len()) => {
            let mut phones = list
                .iter()
                .map(|p| Phone::parse(p).map(Some))
                .collect::<Result<Vec<_>, _>>()?;
            phones.sort();
            phones.dedup();
            phones
        }
        Recipients::Phones(_) => {
            return Err(Error::invalid(format!(
                "a phone list has 1 to {MAX_BATCH} phones"
            )));
        }
    };
    let mut tx = store.begin().await?;
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO coupon_batches (tenant_id, name, kind, value, valid_from, valid_until, max_uses, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(tenant.id)
    .bind(name)
    .bind(new.kind.as_str())
    .bind(new.value)
    .bind(new.valid_from)
    .bind(new.valid_until)
    .bind(new.max_uses)
    .bind(clock::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_if_unique(e, || format!("coupon batch {name:?} already exists")))?;
    let mut out = Vec::with_capacity(phones.len());
    for phone in phones {
        // 10 characters of 31: a clash is rare; retry it rather than fail the batch.
        let mut placed = None;
        for _ in 0..5 {
            let code: String = {
                let mut rng = rand::rng();
                (0..10)
                    .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                    .collect()
            };
            let done = sqlx::query(
                "INSERT INTO coupons (tenant_id, batch_id, code, phone) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, code) DO NOTHING",
            )
            .bind(tenant.id)
            .bind(batch)
            .bind(&code)
            .bind(phone.as_ref().map(Phone::e164))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                placed = Some(code);
                break;
            }
        }
        let code =
            placed.ok_or_else(|| Error::Conflict("could not find free coupon codes".into()))?;
        out.push(Coupon {
            code,
            phone: phone.map(|p| p.e164().to_string()),
        });
    }
    let change = crate::audit::Change {
        tenant_id: Some(tenant.id),
        action: "coupons.create",
        entity: "coupon_batch",
        entity_id: Some(batch),
        before: None,
        after: Some(serde_json::json!({
            "name": name,
            "kind": new.kind.as_str(),
            "value": new.value,
            "valid_until": new.valid_until,
            "max_uses": new.max_uses,
            "codes": out.len(),
            "for_phones": matches!(new.recipients, Recipients::Phones(_)),
        })),
    };
    crate::audit::record(&mut *tx, actor, &change).await?;
    tx.commit().await?;
    Ok((batch, out))
}

/// What redeeming a coupon did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponUse {
    pub code: String,
    pub kind: CouponKind,
    /// Rials credited, or rials off the invoice.
    pub amount: i64,
    pub invoice_id: Option<i64>,
    pub balance: Balance,
}

/// Redeems `code` for `phone` at the key's branch, optionally on an invoice (required
/// for a discount), in one transaction; `render` makes the stored reply.
#[allow(clippy::too_many_arguments)]
pub async fn redeem<R>(
    store: &Store,
    key: &PosKey,
    code: &str,
    phone: &str,
    invoice_id: Option<i64>,
    idem: Option<&IdempotentRequest>,
    now: i64,
    render: R,
) -> Result<Reply>
where
    R: FnOnce(&CouponUse) -> (u16, String),
{
    let phone = Phone::parse(phone)?;
    let code = normalize(code);
    if code.is_empty() || code.len() > 50 {
        return Err(Error::invalid("the coupon code must be 1 to 50 characters"));
    }
    let work = async |conn: &mut AnyConnection| -> Result<CouponUse> {
        let row = sqlx::query(
            "SELECT c.id, c.phone, c.uses, b.name, b.kind, b.value, b.valid_from, b.valid_until, b.max_uses \
             FROM coupons c JOIN coupon_batches b ON b.id = c.batch_id WHERE c.tenant_id = $1 AND c.code = $2",
        )
        .bind(key.tenant_id)
        .bind(&code)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("coupon {code}")))?;
        let coupon_id: i64 = row.try_get("id")?;
        let kind = CouponKind::parse(&row.try_get::<String, _>("kind")?)?;
        let value: i64 = row.try_get("value")?;
        if row
            .try_get::<Option<i64>, _>("valid_from")?
            .is_some_and(|t| now < t)
        {
            return Err(Error::Conflict(format!("coupon {code} is not valid yet")));
        }
        if row
            .try_get::<Option<i64>, _>("valid_until")?
            .is_some_and(|t| now > t)
        {
            return Err(Error::Conflict(format!("coupon {code} has expired")));
        }
        if row
            .try_get::<Option<String>, _>("phone")?
            .is_some_and(|p| p != phone.e164())
        {
            return Err(Error::Conflict(format!(
                "coupon {code} belongs to another phone"
            )));
        }
        let used = sqlx::query("UPDATE coupons SET uses = uses + 1 WHERE id = $1 AND uses < $2")
            .bind(coupon_id)
            .bind(row.try_get::<i64, _>("max_uses")?)
            .execute(&mut *conn)
            .await?;
        if used.rows_affected() == 0 {
            return Err(Error::Conflict(format!("coupon {code} is used up")));
        }
        let invoice = match invoice_id {
            Some(id) => {
                let invoice = invoices::by_id_in(conn, key, id).await?;
                if invoice.status == InvoiceStatus::Cancelled {
                    return Err(Error::Conflict(format!("invoice #{id} is cancelled")));
                }
                if invoice.phone != phone.e164() {
                    return Err(Error::Conflict(format!("invoice #{id} is another phone's")));
                }
                Some(invoice)
            }
            None if kind != CouponKind::Credit => {
                return Err(Error::invalid(
                    "a discount coupon is redeemed on an invoice: give invoice_id",
                ));
            }
            None => None,
        };
        let customer =
            customers::upsert_in(conn, key.tenant_id, &phone, customers::Arrival::Seen, now)
                .await?;
        join_in(conn, key.tenant_id, customer, JoinSource::Pos, now).await?;
        let amount = match (&invoice, kind) {
            (Some(i), CouponKind::Discount) => value.min(i.amount),
            (Some(i), CouponKind::Percent) => {
                i64::try_from(i128::from(i.amount) * i128::from(value) / 10_000).unwrap_or(i.amount)
            }
            _ => value,
        };
        sqlx::query(
            "INSERT INTO coupon_redemptions (tenant_id, coupon_id, customer_id, invoice_id, amount, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key.tenant_id)
        .bind(coupon_id)
        .bind(customer)
        .bind(invoice_id)
        .bind(amount)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(|e| conflict_if_unique(e, || format!("coupon {code} was already used by this phone")))?;
        ledger::lock(conn, key.tenant_id, customer).await?;
        if kind == CouponKind::Credit {
            let s = settings::get_in(conn, key.tenant_id, Some(key.branch_id)).await?;
            let batch: String = row.try_get("name")?;
            ledger::award_in(
                conn,
                key.tenant_id,
                customer,
                &Award {
                    kind: EntryKind::Coupon,
                    amount,
                    reason: format!("coupon {code} ({batch})"),
                    actor: Actor::PosKey(key.id),
                    invoice_id,
                    spendable_at: now,
                    expires_at: now + s.expiry_days * 86_400,
                },
                now,
            )
            .await?;
        }
        Ok(CouponUse {
            code: code.clone(),
            kind,
            amount,
            invoice_id,
            balance: ledger::balance_in(conn, key.tenant_id, customer, now).await?,
        })
    };
    invoices::transact(store, idem, work, render).await
}

/// A batch summed up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReport {
    pub id: i64,
    pub name: String,
    pub kind: CouponKind,
    pub value: i64,
    pub valid_until: Option<i64>,
    pub codes: i64,
    /// Redemptions, and the rials they credited or took off.
    pub redemptions: i64,
    pub amount: i64,
}

/// Every batch of the tenant with its use, newest first.
pub async fn report(store: &Store, tenant: &Tenant) -> Result<Vec<BatchReport>> {
    reports(store, tenant, None).await
}

/// One batch of the tenant summed up; `NotFound` for another tenant's.
pub async fn batch(store: &Store, tenant: &Tenant, id: i64) -> Result<BatchReport> {
    reports(store, tenant, Some(id))
        .await?
        .pop()
        .ok_or_else(|| Error::NotFound(format!("coupon batch #{id}")))
}

async fn reports(store: &Store, tenant: &Tenant, only: Option<i64>) -> Result<Vec<BatchReport>> {
    let rows = sqlx::query(
        "SELECT b.id, b.name, b.kind, b.value, b.valid_until, \
                (SELECT CAST(COUNT(*) AS BIGINT) FROM coupons c WHERE c.batch_id = b.id) AS codes, \
                (SELECT CAST(COUNT(*) AS BIGINT) FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id \
                  WHERE c.batch_id = b.id) AS redemptions, \
                (SELECT CAST(COALESCE(SUM(r.amount), 0) AS BIGINT) FROM coupon_redemptions r \
                  JOIN coupons c ON c.id = r.coupon_id WHERE c.batch_id = b.id) AS amount \
         FROM coupon_batches b WHERE b.tenant_id = $1 AND ($2 = 0 OR b.id = $2) ORDER BY b.id DESC",
    )
    .bind(tenant.id)
    .bind(only.unwrap_or(0))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BatchReport {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                kind: CouponKind::parse(&r.try_get::<String, _>("kind")?)?,
                value: r.try_get("value")?,
                valid_until: r.try_get("valid_until")?,
                codes: r.try_get("codes")?,
                redemptions: r.try_get("redemptions")?,
                amount: r.try_get("amount")?,
            })
        })
        .collect()
}

/// One code of a batch and how often it was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub code: String,
    pub phone: Option<String>,
    pub uses: i64,
}

/// A batch's codes (at most `limit`), in issue order.
pub async fn codes(
    store: &Store,
    tenant: &Tenant,
    batch_id: i64,
    limit: i64,
) -> Result<Vec<IssuedCode>> {
    let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT code, phone, uses FROM coupons WHERE tenant_id = $1 AND batch_id = $2 ORDER BY id LIMIT $3",
    )
    .bind(tenant.id)
    .bind(batch_id)
    .bind(limit.clamp(1, MAX_BATCH as i64))
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(code, phone, uses)| IssuedCode { code, phone, uses })
        .collect())
}
