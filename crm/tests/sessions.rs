//! Session housekeeping, on SQLite and PostgreSQL.

use crm::accounting::{AccountingRecord, AcctStatus, record_batch};
use crm::hotspot::Subject;
use crm::nas::NewNas;
use crm::secret::Secret;
use crm::sessions::{self, CoaRecord};
use crm::testing::on_both;
use crm::{accounts, groups, nas, tenants};

fn start(
    tenant_id: i64,
    nas_id: i64,
    session: &str,
    subject: Subject,
    group_id: i64,
    at: i64,
) -> AccountingRecord {
    AccountingRecord {
        tenant_id,
        nas_id,
        status: AcctStatus::Start,
        acct_session_id: session.into(),
        username: "staff1".into(),
        subject: Some(subject),
        group_id: Some(group_id),
        mac: None,
        framed_ip: None,
        nas_ip: None,
        session_time: 0,
        input_octets: 0,
        output_octets: 0,
        terminate_cause: None,
        event_time: at,
        day: 20261204,
    }
}

/// The router every test here talks through.
async fn hq(store: &crm::Store, t: &tenants::Tenant) -> nas::Nas {
    nas::add(
        store,
        t,
        NewNas {
            name: "hq".into(),
            address: "192.0.2.1".into(),
            secret: Secret::new("s3cret-s3cret"),
            require_message_authenticator: false,
            branch: None,
            coa_port: None,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn quiet_sessions_are_closed_as_stale_after_three_interims() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let n = hq(&db.store, &t).await;
        let a = accounts::add(&db.store, &t, "staff1", &Secret::new("pw"), "staff")
            .await
            .unwrap();
        let staff = groups::by_name(&db.store, &t, "staff").await.unwrap();
        assert_eq!(staff.policy.interim_interval, 300);
        let now = 1_800_000_000;
        // Last heard 16 minutes ago (> 3 × 5 min) and 10 minutes ago (< 15 min).
        let records = [
            start(
                t.id,
                n.id,
                "old",
                Subject::Account(a.id),
                staff.id,
                now - 960,
            ),
            start(
                t.id,
                n.id,
                "recent",
                Subject::Account(a.id),
                staff.id,
                now - 600,
            ),
        ];
        record_batch(&db.store, &records).await.unwrap();
        assert_eq!(sessions::close_stale(&db.store, now).await.unwrap(), 1);
        assert_eq!(
            sessions::close_stale(&db.store, now).await.unwrap(),
            0,
            "closed once"
        );
        let open = crm::accounting::sessions(&db.store, t.id, true, 10)
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].acct_session_id, "recent");
        let all = crm::accounting::sessions(&db.store, t.id, false, 10)
            .await
            .unwrap();
        let old = all.iter().find(|s| s.acct_session_id == "old").unwrap();
        assert_eq!(old.terminate_cause.as_deref(), Some("Stale"));
        assert_eq!(
            old.stopped_at,
            Some(now - 960),
            "ends when it was last heard of"
        );

        // Requests sent for a session are logged with their outcome.
        let target = sessions::target(&db.store, &t, old.id).await.unwrap();
        assert_eq!(target.acct_session_id, "old");
        let record = CoaRecord {
            session_id: Some(old.id),
            kind: "disconnect",
            reason: "operator",
            outcome: "nak",
            error_cause: Some(503),
            detail: None,
        };
        sessions::record_coa(&db.store, &t, &record).await.unwrap();
        let history = sessions::coa_history(&db.store, &t, old.id).await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(
            (history[0].0.as_str(), history[0].2.as_str()),
            ("disconnect", "nak")
        );
        let other = tenants::create(&db.store, "other").await.unwrap();
        assert!(
            sessions::target(&db.store, &other, old.id).await.is_err(),
            "tenant-scoped"
        );
        db
    })
    .await;
}

#[tokio::test]
async fn daily_usage_resets_at_tehran_midnight_and_months_accumulate() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let n = hq(&db.store, &t).await;
        let a = accounts::add(&db.store, &t, "staff1", &Secret::new("pw"), "staff")
            .await
            .unwrap();
        let staff = groups::by_name(&db.store, &t, "staff").await.unwrap();
        let tehran = crm::clock::Zone::named(&t.time_zone).unwrap();
        // 2026-12-04 23:59:00 in Tehran, and two minutes later (the next local day).
        let before = 1_796_416_140;
        let after = before + 120;
        let (d1, d2) = (tehran.day_key(before), tehran.day_key(after));
        assert_eq!((d1, d2), (20261204, 20261205));
        let mut interim = start(
            t.id,
            n.id,
            "s",
            Subject::Account(a.id),
            staff.id,
            before - 3000,
        );
        record_batch(&db.store, &[interim.clone()]).await.unwrap();
        interim.status = AcctStatus::Interim;
        interim.session_time = 3000;
        interim.input_octets = 1000;
        interim.event_time = before;
        interim.day = d1;
        record_batch(&db.store, &[interim.clone()]).await.unwrap();
        interim.session_time = 3120;
        interim.input_octets = 1500;
        interim.event_time = after;
        interim.day = d2;
        record_batch(&db.store, &[interim]).await.unwrap();

        let subject = Subject::Account(a.id);
        let first = crm::usage::to_date(&db.store, t.id, subject, d1, tehran.month_start(d1))
            .await
            .unwrap();
        assert_eq!(
            (first.day.session_time, first.day.input_octets),
            (3000, 1000)
        );
        // After midnight the day starts from what the new day added; the month has both.
        let second = crm::usage::to_date(&db.store, t.id, subject, d2, tehran.month_start(d2))
            .await
            .unwrap();
        assert_eq!(
            (second.day.session_time, second.day.input_octets),
            (120, 500)
        );
        assert_eq!(
            (second.month.session_time, second.month.input_octets),
            (3120, 1500)
        );
        // A new month starts from zero.
        let next_month = crm::usage::to_date(&db.store, t.id, subject, 20270101, 20270101)
            .await
            .unwrap();
        assert_eq!(next_month, crm::usage::UsageToDate::default());
        // A tenant counting Jalali months: on 23 December (2 Dey) the Gregorian month
        // still holds both days, the Jalali one (from 1 Dey = 22 December) nothing.
        use crm::clock::MonthStart;
        for (months, expected) in [(MonthStart::Gregorian, 1500), (MonthStart::Jalali, 0)] {
            let u = crm::usage::to_date(
                &db.store,
                t.id,
                subject,
                20261223,
                months.first_day(20261223),
            )
            .await
            .unwrap();
            assert_eq!(u.month.input_octets, expected, "{months:?}");
        }
        db
    })
    .await;
}

#[tokio::test]
async fn membership_rules_move_regulars_in_and_out_but_leave_manual_groups() {
    use crm::customers;
    use crm::groups::{GroupPolicy, MembershipRule};
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let n = hq(&db.store, &t).await;
        let regulars = groups::add(
            &db.store,
            &t,
            "regulars",
            GroupPolicy {
                interim_interval: 300,
                membership_rule: Some(" visits >= 3 / 30d".into()),
                ..GroupPolicy::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            regulars.policy.rule(),
            Some(MembershipRule::VisitDays {
                days: 3,
                window: 30
            })
        );
        let guests = groups::default_group(&db.store, &t).await.unwrap();
        let often = customers::add(&db.store, &t, "09120000001", None, None)
            .await
            .unwrap();
        let twice = customers::add(&db.store, &t, "09120000002", None, None)
            .await
            .unwrap();
        let staff = customers::add(&db.store, &t, "09120000003", None, Some("staff"))
            .await
            .unwrap();
        // Online on 1, 2 and 3 December (3 days), twice (2 days), staff every day.
        let day0 = 1_796_100_000; // 2026-12-01 12:10 Tehran
        for (c, days) in [(&often, 3), (&twice, 2), (&staff, 3)] {
            for d in 0..days {
                let at = day0 + d * 86_400;
                let mut r = start(
                    t.id,
                    n.id,
                    &format!("{}-{d}", c.id),
                    Subject::Customer(c.id),
                    guests.id,
                    at,
                );
                r.status = AcctStatus::Stop;
                r.session_time = 600;
                r.day = crm::clock::Zone::of(&t).unwrap().day_key(at);
                record_batch(&db.store, &[r]).await.unwrap();
            }
        }
        let now = day0 + 3 * 86_400;
        let moved = groups::apply_rules(&db.store, &t, now).await.unwrap();
        assert_eq!(
            moved,
            vec![groups::Moved {
                customer_id: often.id,
                from_group: Some(guests.id),
                to_group: regulars.id
            }]
        );
        assert!(
            groups::apply_rules(&db.store, &t, now)
                .await
                .unwrap()
                .is_empty(),
            "stable"
        );
        // A month later without visits: back to the guests; staff never moved.
        let later = now + 31 * 86_400;
        let moved = groups::apply_rules(&db.store, &t, later).await.unwrap();
        assert_eq!(moved.len(), 1);
        assert_eq!(
            (moved[0].customer_id, moved[0].to_group),
            (often.id, guests.id)
        );
        let staff_now = customers::by_id(&db.store, &t, staff.id).await.unwrap();
        assert_eq!(staff_now.group_id, staff.group_id);
        db
    })
    .await;
}

#[tokio::test]
async fn removing_a_router_keeps_its_sessions_and_frees_its_name_and_address() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        let n = hq(s, &t).await;
        let a = accounts::add(s, &t, "staff1", &Secret::new("pw"), "staff")
            .await
            .unwrap();
        let staff = groups::by_name(s, &t, "staff").await.unwrap();
        let now = 1_800_000_000;
        let subject = Subject::Account(a.id);
        record_batch(
            s,
            &[
                start(t.id, n.id, "done", subject, staff.id, now - 600),
                start(t.id, n.id, "live", subject, staff.id, now - 60),
            ],
        )
        .await
        .unwrap();
        let stop = AccountingRecord {
            status: AcctStatus::Stop,
            session_time: 300,
            ..start(t.id, n.id, "done", subject, staff.id, now - 300)
        };
        record_batch(s, &[stop]).await.unwrap();

        nas::remove(s, &t, "hq").await.unwrap();
        // Gone from every live lookup (RADIUS, the portal, the panel)…
        assert!(nas::list(s, &t).await.unwrap().is_empty());
        assert!(nas::all(s).await.unwrap().is_empty());
        assert!(nas::by_id(s, n.id).await.is_err());
        assert!(matches!(
            nas::remove(s, &t, "hq").await,
            Err(crm::Error::NotFound(_))
        ));
        // …but its sessions stay, the open one closed.
        let kept = crm::accounting::sessions(s, t.id, false, 10).await.unwrap();
        assert_eq!(kept.len(), 2);
        let live = kept.iter().find(|k| k.acct_session_id == "live").unwrap();
        assert!(live.stopped_at.is_some());
        assert_eq!(live.terminate_cause.as_deref(), Some("NAS-Removed"));
        let done = kept.iter().find(|k| k.acct_session_id == "done").unwrap();
        assert_eq!(done.session_time, 300);
        assert!(crm::accounting::open_sessions(s).await.unwrap().is_empty());
        // The same router can be added again under its name and address.
        let again = hq(s, &t).await;
        assert_ne!(again.id, n.id);
        assert_eq!(nas::list(s, &t).await.unwrap().len(), 1);
        let audit = crm::audit::list(s, &t, None, 20).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "nas.remove"));
        db
    })
    .await;
}
