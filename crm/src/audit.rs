//! The audit log: who changed what, when, with the record before and after (JSON text).
//!
//! Writes happen inside the transaction of the change they describe ([`record`] takes
//! the transaction's connection), so a change and its entry commit or vanish together.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::clock;
use crate::error::Result;
use crate::store::Store;
use crate::tenants::Tenant;

/// Who made a change: a panel user, or the command line (operators on the host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
}

impl Actor {
    /// Changes made with `smartx` commands on the host.
    pub const CLI: Actor = Actor { user_id: None };

    pub fn user(user_id: i64) -> Actor {
        Actor {
            user_id: Some(user_id),
        }
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// `NULL` for platform-level changes (tenants, operators).
    pub tenant_id: Option<i64>,
    /// A verb, e.g. `customer.block`.
    pub action: &'a str,
    /// What kind of thing changed, e.g. `customer`.
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub user_id: Option<i64>,
    /// The acting user's phone, when there was one.
    pub user_phone: Option<String>,
    pub at: i64,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Entry {
    fn from_row(row: &AnyRow) -> Result<Entry, sqlx::Error> {
        Ok(Entry {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            user_id: row.try_get("user_id")?,
            user_phone: row.try_get("phone")?,
            at: row.try_get("at")?,
            action: row.try_get("action")?,
            entity: row.try_get("entity")?,
            entity_id: row.try_get("entity_id")?,
            before: row.try_get("before_json")?,
            after: row.try_get("after_json")?,
        })
    }
}

/// Writes one entry; call it with the transaction that makes the change.
pub async fn record<'e, E>(executor: E, actor: Actor, change: &Change<'_>) -> Result<()>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, user_id, at, action, entity, entity_id, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(change.tenant_id)
    .bind(actor.user_id)
    .bind(clock::now())
    .bind(change.action)
    .bind(change.entity)
    .bind(change.entity_id)
    .bind(change.before.as_ref().map(|v| v.to_string()))
    .bind(change.after.as_ref().map(|v| v.to_string()))
    .execute(executor)
    .await?;
    Ok(())
}

/// What differs between two records: the changed values only, as flat objects keyed by
/// path (`formula.earn_bp`), so a long record's entry says what moved. Arrays count as
/// one value.
pub fn changed(
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> (serde_json::Value, serde_json::Value) {
    use std::collections::BTreeMap;
    fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, serde_json::Value>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&key, v, out);
                }
            }
            serde_json::Value::Null if prefix.is_empty() => {}
            other => {
                out.insert(prefix.to_string(), other.clone());
            }
        }
    }
    let (mut old, mut new) = (BTreeMap::new(), BTreeMap::new());
    flatten("", before, &mut old);
    flatten("", after, &mut new);
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let (mut b, mut a) = (serde_json::Map::new(), serde_json::Map::new());
    for key in keys {
        let (o, n) = (old.get(key), new.get(key));
        if o != n {
            b.insert(key.clone(), o.cloned().unwrap_or(serde_json::Value::Null));
            a.insert(key.clone(), n.cloned().unwrap_or(serde_json::Value::Null));
        }
    }
    (b.into(), a.into())
}

/// A tenant's entries, newest first; `before` (an entry id) pages backwards.
pub async fn list(
    store: &Store,
    tenant: &Tenant,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT a.id, a.tenant_id, a.user_id, u.phone, a.at, a.action, a.entity, a.entity_id, \
         a.before_json, a.after_json FROM audit_log a LEFT JOIN panel_users u ON u.id = a.user_id \
         WHERE a.tenant_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT $3",
    )
    .bind(tenant.id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit.clamp(1, 500))
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(Entry::from_row).collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn changed_keeps_only_what_moved_by_path() {
        let (b, a) = super::changed(
            &json!({"x": 1, "f": {"rate": 5, "cap": 0}, "list": [1, 2]}),
            &json!({"x": 1, "f": {"rate": 7, "cap": 0}, "list": [1], "new": "y"}),
        );
        assert_eq!(b, json!({"f.rate": 5, "list": [1, 2], "new": null}));
        assert_eq!(a, json!({"f.rate": 7, "list": [1], "new": "y"}));
        let (b, a) = super::changed(&json!(null), &json!({"x": 1}));
        assert_eq!((b, a), (json!({"x": null}), json!({"x": 1})));
    }
}
