//! Quotas that bite mid-session. After each committed accounting batch the subjects
//! whose interim updates added usage are checked against their group's quotas (from
//! the in-memory caches, so this costs the accounting path almost nothing); one whose
//! quota ran out is cut off (Disconnect-Request) or, if the group throttles instead,
//! slowed down (CoA-Request with the throttle rate). Each request and the router's answer
//! is logged in `coa_requests` by `coa::for_session`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crm::clock::Zone;
use crm::hotspot::Subject;
use moka::sync::Cache;
use tokio::sync::mpsc;

use crate::coa::Change;
use crate::enforce;
use crate::server::Shared;

/// A stored interim update to check: whose usage grew, on which local day.
#[derive(Clone)]
pub struct Watch {
    pub tenant_id: i64,
    /// From the session's `Class`; otherwise resolved from `username`.
    pub subject: Option<Subject>,
    pub group_id: Option<i64>,
    /// Only for records without our `Class` (saves a copy per record otherwise).
    pub username: Option<String>,
    pub day: i64,
    pub zone: Zone,
}

/// How long a subject that was acted on is left alone: a Disconnect takes effect at
/// once, and a throttled session may go on sending interims at the slow rate.
const ACTED_ON_FOR: Duration = Duration::from_secs(600);

/// Checks what the accounting replier hands over, until the channel closes.
pub async fn watch(shared: Arc<Shared>, mut batches: mpsc::Receiver<Vec<Watch>>) {
    let acted_on: Cache<(i64, Subject), ()> = Cache::builder()
        .max_capacity(1_000_000)
        .time_to_live(ACTED_ON_FOR)
        .build();
    while let Some(batch) = batches.recv().await {
        let mut seen = HashSet::new();
        for w in batch {
            if let Err(e) = check(&shared, &acted_on, &mut seen, w).await {
                tracing::warn!(error = %e, "quota check failed");
            }
        }
    }
}

async fn check(
    shared: &Arc<Shared>,
    acted_on: &Cache<(i64, Subject), ()>,
    seen: &mut HashSet<(i64, Subject)>,
    w: Watch,
) -> crm::Result<()> {
    let subs = &shared.subscribers;
    let (subject, group_id) = match (w.subject, w.group_id) {
        (Some(s), Some(g)) => (s, g),
        _ => {
            let Some(username) = &w.username else {
                return Ok(());
            };
            match subs.login(w.tenant_id, username).await? {
                Some(login) => (login.subject, login.group_id),
                None => return Ok(()),
            }
        }
    };
    let key = (w.tenant_id, subject);
    if !seen.insert(key) || acted_on.contains_key(&key) {
        return Ok(());
    }
    let group = subs.group(group_id).await?;
    if !group.policy.has_quota() {
        return Ok(());
    }
    let usage = subs.usage(w.tenant_id, subject, w.day, &w.zone).await?;
    if group.policy.quota_left(&usage).exhausted.is_none() {
        return Ok(());
    }
    acted_on.insert(key, ());
    let change = match &group.policy.throttle_rate {
        Some(rate) => Change::Limits {
            rate_limit: Some(rate.clone()),
            session_timeout: None,
        },
        None => Change::Disconnect,
    };
    let action = if matches!(change, Change::Disconnect) {
        "disconnect"
    } else {
        "throttle"
    };
    metrics::counter!("radius_quota_enforced_total", "action" => action).increment(1);
    // The routers' answers may take seconds (retries): never hold up the next batch.
    let store = shared.store.clone();
    let tenant_id = w.tenant_id;
    tokio::spawn(async move {
        let result = match crm::tenants::by_id(&store, tenant_id).await {
            Ok(tenant) => enforce::send_all(&store, &tenant, subject, &change, "quota").await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, action, "cannot act on a used-up quota");
        }
    });
    Ok(())
}
