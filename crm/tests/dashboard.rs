//! The dashboard's numbers, whole business and per branch, on SQLite and PostgreSQL.

use crm::accounting::{AccountingRecord, AcctStatus, record_batch};
use crm::branches::{self, Scope};
use crm::clock::Zone;
use crm::hotspot::Subject;
use crm::nas::NewNas;
use crm::secret::Secret;
use crm::testing::on_both;
use crm::{accounts, groups, nas, stats, tenants};

const MB: i64 = 1 << 20;

struct Usage<'a> {
    nas_id: i64,
    session: &'a str,
    subject: Subject,
    group_id: i64,
    status: AcctStatus,
    octets: i64,
    at: i64,
}

fn record(tenant: &tenants::Tenant, u: Usage<'_>) -> AccountingRecord {
    let zone = Zone::of(tenant).unwrap();
    AccountingRecord {
        tenant_id: tenant.id,
        nas_id: u.nas_id,
        status: u.status,
        acct_session_id: u.session.into(),
        username: "guest".into(),
        subject: Some(u.subject),
        group_id: Some(u.group_id),
        mac: None,
        framed_ip: None,
        nas_ip: None,
        session_time: 60,
        input_octets: u.octets / 4,
        output_octets: u.octets - u.octets / 4,
        terminate_cause: None,
        event_time: u.at,
        day: zone.day_key(u.at),
    }
}

async fn router(store: &crm::Store, t: &tenants::Tenant, name: &str, address: &str) -> nas::Nas {
    nas::add(
        store,
        t,
        NewNas {
            name: name.into(),
            address: address.into(),
            secret: Secret::new("s3cret-s3cret"),
            require_message_authenticator: false,
            branch: Some(name.into()),
            coa_port: None,
        },
    )
    .await
    .unwrap()
}

/// Data counts per router and day where it was carried: a session begun yesterday
/// counts only what it added today, and a branch's dashboard only its own routers.
#[tokio::test]
async fn data_used_counts_each_day_and_branch_exactly() {
    on_both(|db| async move {
        let store = &db.store;
        let t = tenants::ensure_default(store).await.unwrap();
        let north = branches::add(store, &t, "north").await.unwrap();
        let south = branches::add(store, &t, "south").await.unwrap();
        let n = router(store, &t, "north", "192.0.2.1").await;
        let s = router(store, &t, "south", "192.0.2.2").await;
        let a = accounts::add(store, &t, "guest", &Secret::new("pw"), "staff")
            .await
            .unwrap();
        let staff = groups::by_name(store, &t, "staff").await.unwrap();
        let guests = groups::by_name(store, &t, "guests").await.unwrap();
        let zone = Zone::of(&t).unwrap();
        // Noon today in the tenant's zone, and noon yesterday.
        let now = 1_800_000_000 - 1_800_000_000 % 86_400 + 43_200;
        let now = now - zone.offset_seconds(now);
        let yesterday = now - 86_400;
        let subject = Subject::Account(a.id);
        let u = |nas_id, session, group_id, status, octets, at| Usage {
            nas_id,
            session,
            subject,
            group_id,
            status,
            octets,
            at,
        };
        let records = [
            // Begun yesterday with 10 MB; 3 MB more today.
            u(n.id, "a", staff.id, AcctStatus::Start, 0, yesterday - 60),
            u(n.id, "a", staff.id, AcctStatus::Interim, 10 * MB, yesterday),
            u(n.id, "a", staff.id, AcctStatus::Interim, 13 * MB, now - 60),
            // Today only, on the south router, two groups.
            u(s.id, "b", guests.id, AcctStatus::Start, 0, now - 50),
            u(s.id, "b", guests.id, AcctStatus::Stop, 5 * MB, now - 40),
            u(s.id, "c", staff.id, AcctStatus::Interim, MB, now - 30),
        ]
        .map(|r| record(&t, r));
        // Split into batches so the sums also add across transactions.
        record_batch(store, &records[..2]).await.unwrap();
        record_batch(store, &records[2..]).await.unwrap();

        let all = stats::dashboard(store, &t, &Scope::Every, now, 14)
            .await
            .unwrap();
        assert_eq!(all.octets_today, 9 * MB, "{}", db.label());
        let last_two: Vec<i64> = all.days[12..].iter().map(|d| d.octets).collect();
        assert_eq!(last_two, [10 * MB, 9 * MB]);
        assert_eq!(
            all.top_groups,
            [
                (Some("guests".to_string()), 5 * MB),
                (Some("staff".to_string()), 4 * MB)
            ]
        );

        let only_north = stats::dashboard(store, &t, &Scope::Only(vec![north.id]), now, 14)
            .await
            .unwrap();
        assert_eq!(only_north.octets_today, 3 * MB);
        assert_eq!(only_north.days[12].octets, 10 * MB);
        assert_eq!(only_north.top_groups, [(Some("staff".to_string()), 3 * MB)]);

        let only_south = stats::dashboard(store, &t, &Scope::Only(vec![south.id]), now, 14)
            .await
            .unwrap();
        assert_eq!(only_south.octets_today, 6 * MB);
        assert_eq!(only_south.days[12].octets, 0);
        assert_eq!(only_south.online_now, 1, "session c is still open");
        db
    })
    .await;
}
