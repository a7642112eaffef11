//! Acting on live sessions when something changes: a customer's group (new limits by
//! CoA), a block or an operator's kick (Disconnect), the end of a group's allowed hours.
//! Every request and answer is logged by `coa::for_session`.

use crm::clock::Zone;
use crm::groups::AllowedHours;
use crm::hotspot::Subject;
use crm::tenants::{self, Tenant};
use crm::{Store, groups};

use crate::coa::{self, Change, Outcome, SessionError};

/// What happened to each open session of a subject.
pub type Results = Vec<(i64, Result<Outcome, SessionError>)>;

/// Sends `change` for every open session of `subject`.
pub async fn send_all(
    store: &Store,
    tenant: &Tenant,
    subject: Subject,
    change: &Change,
    reason: &str,
) -> crm::Result<Results> {
    let mut out = Vec::new();
    for id in crm::sessions::open_for(store, tenant, subject).await? {
        out.push((
            id,
            coa::for_session(store, tenant, id, change, reason).await,
        ));
    }
    Ok(out)
}

/// Ends every open session of `subject` (e.g. they were blocked).
pub async fn disconnect_all(
    store: &Store,
    tenant: &Tenant,
    subject: Subject,
    reason: &str,
) -> crm::Result<Results> {
    send_all(store, tenant, subject, &Change::Disconnect, reason).await
}

/// Gives every open session of `subject` the limits of `group_id` now (CoA), e.g. after
/// a promotion to `loyal`.
pub async fn apply_group(
    store: &Store,
    tenant: &Tenant,
    subject: Subject,
    group_id: i64,
    reason: &str,
) -> crm::Result<Results> {
    let group = groups::by_id(store, group_id).await?;
    let change = Change::Limits {
        rate_limit: group.policy.mikrotik_rate_limit(),
        session_timeout: None,
    };
    send_all(store, tenant, subject, &change, reason).await
}

/// Ends open sessions whose group's allowed hours are over at `now` (tenant time).
/// Returns how many Disconnect-Requests were acknowledged.
pub async fn end_outside_hours(store: &Store, now: i64) -> crm::Result<usize> {
    let mut ended = 0;
    for (tenant_id, session_id, hours, zone) in crm::sessions::open_with_hours(store).await? {
        let (Ok(hours), Ok(zone)) = (hours.parse::<AllowedHours>(), Zone::named(&zone)) else {
            continue;
        };
        let (weekday, minute) = zone.weekday_minute(now);
        if hours.contains(weekday, minute) {
            continue;
        }
        let tenant = tenants::by_id(store, tenant_id).await?;
        match coa::for_session(store, &tenant, session_id, &Change::Disconnect, "hours").await {
            Ok(Outcome::Ack) => ended += 1,
            Ok(other) => tracing::warn!(
                session_id,
                outcome = other.label(),
                "router did not end a session outside allowed hours"
            ),
            Err(e) => {
                tracing::warn!(session_id, error = %e, "cannot end a session outside allowed hours")
            }
        }
    }
    Ok(ended)
}

/// Applies every tenant's membership rules at `now` and gives the moved customers' live
/// sessions their new group's limits. Returns how many customers moved.
pub async fn apply_membership_rules(store: &Store, now: i64) -> crm::Result<usize> {
    let mut moved = 0;
    for tenant in tenants::list(store).await? {
        let moves = groups::apply_rules(store, &tenant, now).await?;
        moved += moves.len();
        follow_moves(store, &tenant, &moves, "rule").await;
    }
    Ok(moved)
}

/// Re-checks club tiers that drive WiFi groups (demotion after inactivity) and gives
/// moved members' live sessions their new limits. Returns how many moved.
pub async fn apply_tier_groups(store: &Store, now: i64) -> crm::Result<usize> {
    let moves = crm::club::tier_groups::sync_all(store, now).await?;
    for (tenant_id, m) in &moves {
        let tenant = tenants::by_id(store, *tenant_id).await?;
        follow_moves(store, &tenant, std::slice::from_ref(m), "tier").await;
    }
    Ok(moves.len())
}

/// A customer moved by their club tier (an invoice or a return): their live sessions get
/// the new limits, in the background (a router may take seconds to answer).
pub fn follow_move_later(store: &Store, tenant_id: i64, moved: groups::Moved) {
    let store = store.clone();
    tokio::spawn(async move {
        match tenants::by_id(&store, tenant_id).await {
            Ok(tenant) => follow_moves(&store, &tenant, &[moved], "tier").await,
            Err(e) => tracing::warn!(error = %e, "cannot send new limits after a tier change"),
        }
    });
}

/// Customers moved between groups by a rule: their live sessions get the new limits.
async fn follow_moves(store: &Store, tenant: &Tenant, moves: &[groups::Moved], reason: &str) {
    for m in moves {
        let subject = Subject::Customer(m.customer_id);
        if let Err(e) = apply_group(store, tenant, subject, m.to_group, reason).await {
            tracing::warn!(customer = m.customer_id, error = %e, "cannot send new limits");
        }
    }
}
