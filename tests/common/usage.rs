//! Accounting records as the RADIUS server stores them, for tests that need sessions
//! and data on the dashboard without a router.

#![allow(dead_code)]

use crm::accounting::{AccountingRecord, AcctStatus};
use crm::hotspot::Subject;
use crm::tenants::Tenant;

/// One record of `session` on `nas_id` at `at` (unix), `octets` carried so far, on the
/// tenant's local day of `at`.
pub fn record(
    tenant: &Tenant,
    nas_id: i64,
    session: &str,
    subject: Option<Subject>,
    status: AcctStatus,
    octets: i64,
    at: i64,
) -> AccountingRecord {
    let zone = crm::clock::Zone::of(tenant).expect("the tenant's zone");
    AccountingRecord {
        tenant_id: tenant.id,
        nas_id,
        status,
        acct_session_id: format!("acct-{session}"),
        username: session.to_string(),
        subject,
        group_id: None,
        mac: None,
        framed_ip: None,
        nas_ip: Some("127.0.0.9".into()),
        session_time: 60,
        input_octets: octets / 5,
        output_octets: octets - octets / 5,
        terminate_cause: None,
        event_time: at,
        day: zone.day_key(at),
    }
}
