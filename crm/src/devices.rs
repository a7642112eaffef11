//! Devices: the MAC addresses a customer has logged in from, and whether to remember them.

use sqlx::Row;

use crate::error::{Error, Result};
use crate::generations::{self, Generation};
use crate::{clock, store::Store, tenants::Tenant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: i64,
    pub customer_id: i64,
    pub mac: String,
    /// MAC login is accepted until this time (unix seconds), if set.
    pub remembered_until: Option<i64>,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
}

/// `aa-bb-cc-dd-ee-ff`, `aabb.ccdd.eeff`, `AABBCCDDEEFF` → `AA:BB:CC:DD:EE:FF`.
pub fn normalize_mac(input: &str) -> Result<String> {
    // Every accounting record carries one, so this builds the result in one allocation.
    let bad = || Error::invalid(format!("{input:?} is not a MAC address"));
    let mut out = String::with_capacity(17);
    let mut digits = 0;
    for c in input.chars() {
        if matches!(c, ':' | '-' | '.' | ' ') {
            continue;
        }
        if !c.is_ascii_hexdigit() || digits == 12 {
            return Err(bad());
        }
        if digits > 0 && digits % 2 == 0 {
            out.push(':');
        }
        out.push(c.to_ascii_uppercase());
        digits += 1;
    }
    if digits != 12 {
        return Err(bad());
    }
    Ok(out)
}

/// Records that `customer_id` used `mac` now; a MAC seen with another customer of the
/// same tenant moves to this one (phones change hands, the latest login wins).
pub async fn record(
    store: &Store,
    tenant: &Tenant,
    customer_id: i64,
    mac: &str,
    remembered_until: Option<i64>,
) -> Result<Device> {
    let mac = normalize_mac(mac)?;
    let now = clock::now();
    let mut tx = store.begin().await?;
    let row = sqlx::query(
        "INSERT INTO devices (tenant_id, customer_id, mac, remembered_until, first_seen_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (tenant_id, mac) DO UPDATE SET customer_id = excluded.customer_id, \
             remembered_until = excluded.remembered_until, last_seen_at = excluded.last_seen_at \
         RETURNING id, first_seen_at",
    )
    .bind(tenant.id)
    .bind(customer_id)
    .bind(&mac)
    .bind(remembered_until)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    generations::bump(&mut *tx, Generation::Subscribers).await?;
    crate::club::fraud::screen_device_in(&mut tx, tenant.id, customer_id, &mac, now).await?;
    tx.commit().await?;
    Ok(Device {
        id: row.try_get("id")?,
        customer_id,
        mac,
        remembered_until,
        first_seen_at: row.try_get("first_seen_at")?,
        last_seen_at: now,
    })
}

pub async fn for_customer(store: &Store, customer_id: i64) -> Result<Vec<Device>> {
    let rows = sqlx::query(
        "SELECT id, customer_id, mac, remembered_until, first_seen_at, last_seen_at \
         FROM devices WHERE customer_id = $1 ORDER BY last_seen_at DESC",
    )
    .bind(customer_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Device {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                mac: r.try_get("mac")?,
                remembered_until: r.try_get("remembered_until")?,
                first_seen_at: r.try_get("first_seen_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::normalize_mac;

    #[test]
    fn macs_have_one_spelling() {
        for m in [
            "aa-bb-cc-dd-ee-0f",
            "AABB.CCDD.EE0F",
            "aabbccddee0f",
            "AA:BB:CC:DD:EE:0F",
        ] {
            assert_eq!(normalize_mac(m).unwrap(), "AA:BB:CC:DD:EE:0F");
        }
        for bad in [
            "",
            "---",
            "AA:BB:CC:DD:EE",
            "GG:BB:CC:DD:EE:FF",
            "AA:BB:CC:DD:EE:FF:00",
        ] {
            assert!(normalize_mac(bad).is_err());
        }
    }
}
