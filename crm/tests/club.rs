//! Club settings, manual credit and invoices earning by the stored formula, on SQLite
//! and PostgreSQL.

use crm::branches::Scope;
use crm::club::formula::{Tier, TierMetric};
use crm::club::{self, manual, settings};
use crm::invoices::{self, NewInvoice, NewItem};
use crm::ledger::Actor;
use crm::phone::Phone;
use crm::testing::on_both;
use crm::{Error, branches, pos_keys, tenants};

const NOW: i64 = 1_800_000_000;

#[tokio::test]
async fn settings_round_trip_and_branch_overrides_keep_tenant_tiers() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let b = branches::add(&db.store, &t, "Center").await.unwrap();
        assert_eq!(
            settings::get(&db.store, &t, None).await.unwrap(),
            settings::ClubSettings::default()
        );
        let mut s = settings::ClubSettings::default();
        s.formula.earn_bp = 300;
        s.formula.category_rates.insert("drinks".into(), 900);
        s.tiers.metric = TierMetric::Visits;
        s.tiers.tiers = vec![Tier {
            name: "gold".into(),
            threshold: 3,
            multiplier_bp: 20_000,
            group: None,
        }];
        s.manual_daily_cap = 50_000;
        settings::set(&db.store, &t, None, &s).await.unwrap();
        assert_eq!(settings::get(&db.store, &t, None).await.unwrap(), s);

        let mut branch = settings::ClubSettings::default();
        branch.formula.earn_bp = 1_000;
        settings::set(&db.store, &t, Some("Center"), &branch)
            .await
            .unwrap();
        let seen = settings::get(&db.store, &t, Some(b.id)).await.unwrap();
        assert_eq!(seen.formula.earn_bp, 1_000);
        assert_eq!(seen.tiers, s.tiers, "tiers are the tenant's");
        assert_eq!(seen.manual_daily_cap, 50_000);

        let mut bad = s.clone();
        bad.expiry_days = 0;
        assert!(matches!(
            settings::set(&db.store, &t, None, &bad).await,
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            settings::set(&db.store, &t, Some("Nowhere"), &s).await,
            Err(Error::NotFound(_))
        ));
        db
    })
    .await;
}

#[tokio::test]
async fn manual_credit_is_capped_per_staff_member_per_day() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let s = settings::ClubSettings {
            manual_daily_cap: 100_000,
            ..Default::default()
        };
        settings::set(&db.store, &t, None, &s).await.unwrap();
        let phone = Phone::parse("09120001111").unwrap();

        let done = manual::credit(
            &db.store,
            &t,
            &phone,
            60_000,
            "broken cup",
            Actor::Staff(7),
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(done.balance.spendable, 60_000, "spendable at once");
        let over = manual::credit(
            &db.store,
            &t,
            &phone,
            40_001,
            "again",
            Actor::Staff(7),
            NOW + 60,
        )
        .await;
        match over {
            Err(Error::Conflict(m)) => assert!(m.contains("40000 are left"), "{m}"),
            other => panic!("expected the cap to refuse: {other:?}"),
        }
        // Another staff member has their own cap; the operator has none.
        manual::credit(
            &db.store,
            &t,
            &phone,
            100_000,
            "birthday",
            Actor::Staff(8),
            NOW,
        )
        .await
        .unwrap();
        manual::credit(
            &db.store,
            &t,
            &phone,
            500_000,
            "apology",
            Actor::System,
            NOW,
        )
        .await
        .unwrap();
        // The next local day the cap starts again.
        manual::credit(
            &db.store,
            &t,
            &phone,
            100_000,
            "next day",
            Actor::Staff(7),
            NOW + 86_400,
        )
        .await
        .unwrap();
        assert!(matches!(
            manual::credit(&db.store, &t, &phone, 5, "  ", Actor::Staff(7), NOW).await,
            Err(Error::Invalid(_))
        ));
        let m = crm::club::summary(&db.store, &t, &phone, NOW + 86_400)
            .await
            .unwrap();
        assert_eq!(m.source, "manual");
        assert_eq!(m.balance.spendable, 760_000);
        db
    })
    .await;
}

fn invoice(phone: &str, amount: i64, items: Vec<NewItem>) -> NewInvoice {
    NewInvoice {
        phone: phone.into(),
        amount,
        items,
        reservation_id: None,
        pos_transaction_id: None,
        staff: None,
    }
}

#[tokio::test]
async fn invoices_earn_by_category_tier_and_daily_cap() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        branches::add(&db.store, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(&db.store, &t, "Center").await.unwrap();
        let mut s = settings::ClubSettings::default(); // 5 %
        s.formula.category_rates.insert("drinks".into(), 1_000);
        s.formula.cap_per_day = 30_000;
        s.tiers.metric = TierMetric::Visits;
        s.tiers.tiers = vec![Tier {
            name: "gold".into(),
            threshold: 2,
            multiplier_bp: 20_000,
            group: None,
        }];
        settings::set(&db.store, &t, None, &s).await.unwrap();
        let earned = |r: &crm::idempotency::Reply| {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            v["earned"].as_i64().unwrap()
        };
        let render = |r: &invoices::Receipt| (201, format!("{{\"earned\": {}}}", r.invoice.earned));

        // 100k of drinks at 10 % + 100k at 5 %.
        let drinks = NewItem {
            name: "tea".into(),
            category: Some("drinks".into()),
            qty: 2,
            unit_price: 50_000,
        };
        let r = invoices::create(
            &db.store,
            &key,
            &invoice("09120002222", 200_000, vec![drinks]),
            None,
            NOW,
            render,
        )
        .await
        .unwrap();
        assert_eq!(earned(&r), 15_000);
        // Second visit: not gold yet (tier is measured before the purchase): 5 %.
        let r = invoices::create(
            &db.store,
            &key,
            &invoice("09120002222", 100_000, vec![]),
            None,
            NOW + 60,
            render,
        )
        .await
        .unwrap();
        assert_eq!(earned(&r), 5_000);
        // Third: gold ×2 = 20k, but only 10k are left of the day's 30k cap.
        let r = invoices::create(
            &db.store,
            &key,
            &invoice("09120002222", 200_000, vec![]),
            None,
            NOW + 120,
            render,
        )
        .await
        .unwrap();
        assert_eq!(earned(&r), 10_000);
        let m = crm::club::summary(
            &db.store,
            &t,
            &Phone::parse("09120002222").unwrap(),
            NOW + 180,
        )
        .await
        .unwrap();
        assert_eq!(m.tier.as_deref(), Some("gold"));
        assert_eq!(m.balance.spendable, 30_000);
        db
    })
    .await;
}

/// Two copies of one POST racing with the same Idempotency-Key: one invoice, one reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_make_one_invoice() {
    for db in crm::testing::both().await {
        eprintln!("-- backend: {}", db.label());
        let t = tenants::ensure_default(&db.store).await.unwrap();
        branches::add(&db.store, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(&db.store, &t, "Center").await.unwrap();
        let body = br#"{"phone":"09128880000","amount":100000}"#;
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (store, key) = (db.store.clone(), key.clone());
                tokio::spawn(async move {
                    let idem = crm::idempotency::IdempotentRequest::new(
                        "pos-branch:1".into(),
                        "same-key",
                        "POST",
                        "/api/v1/invoices",
                        body,
                    )
                    .unwrap();
                    invoices::create(
                        &store,
                        &key,
                        &invoice("09128880000", 100_000, vec![]),
                        Some(&idem),
                        NOW,
                        |r| (201, format!("{{\"id\": {}}}", r.invoice.id)),
                    )
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut bodies = Vec::new();
        for t in tasks {
            bodies.push(t.await.unwrap());
        }
        assert!(
            bodies.iter().all(|r| r.body == bodies[0].body),
            "{bodies:?}"
        );
        assert_eq!(
            bodies.iter().filter(|r| !r.replayed).count(),
            1,
            "{bodies:?}"
        );
        let m = crm::club::summary(&db.store, &t, &Phone::parse("09128880000").unwrap(), NOW)
            .await
            .unwrap();
        assert_eq!(m.balance.spendable, 5_000, "credited once");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn tiers_move_members_between_wifi_groups_but_not_staff() {
    on_both(|db| async move {
        let s = &db.store;
        let t = &tenants::ensure_default(s).await.unwrap();
        branches::add(s, t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(s, t, "Center").await.unwrap();
        let mut club = settings::ClubSettings::default();
        club.tiers.metric = TierMetric::Spend;
        club.tiers.demote_after_days = 30;
        club.tiers.tiers = vec![Tier {
            name: "gold".into(),
            threshold: 1_000_000,
            multiplier_bp: 10_000,
            group: Some("loyal".into()),
        }];
        settings::set(s, t, None, &club).await.unwrap();
        let mut bad = club.clone();
        bad.tiers.tiers[0].group = Some("nowhere".into());
        assert!(matches!(
            settings::set(s, t, None, &bad).await,
            Err(Error::NotFound(_))
        ));
        let group = |phone: &'static str| async move {
            crm::customers::by_phone(s, t, phone)
                .await
                .unwrap()
                .group_name
                .unwrap()
        };
        let buy = |phone: &'static str, amount: i64, at: i64| {
            let key = key.clone();
            async move {
                let mut id = 0;
                invoices::create(s, &key, &invoice(phone, amount, vec![]), None, at, |r| {
                    id = r.invoice.id;
                    (201, String::new())
                })
                .await
                .unwrap();
                id
            }
        };

        buy("09129990001", 600_000, NOW).await;
        assert_eq!(group("09129990001").await, "guests");
        let second = buy("09129990001", 600_000, NOW + 60).await;
        assert_eq!(group("09129990001").await, "loyal", "gold → loyal");
        // A return takes them back below gold.
        let mut cancelled = false;
        invoices::cancel(s, &key, second, None, NOW + 120, |_| {
            cancelled = true;
            (200, String::new())
        })
        .await
        .unwrap();
        assert!(cancelled);
        assert_eq!(group("09129990001").await, "guests");
        buy("09129990001", 600_000, NOW + 180).await;
        assert_eq!(group("09129990001").await, "loyal");
        // Inactivity demotes, through the worker's sweep.
        assert_eq!(
            club::tier_groups::sync_all(s, NOW + 29 * 86_400)
                .await
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            club::tier_groups::sync_all(s, NOW + 31 * 86_400)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(group("09129990001").await, "guests");

        // Staff stay staff, whatever they buy.
        crm::customers::add(s, t, "09129990002", None, Some("staff"))
            .await
            .unwrap();
        buy("09129990002", 5_000_000, NOW).await;
        assert_eq!(group("09129990002").await, "staff");
        db
    })
    .await;
}

#[tokio::test]
async fn birthday_and_anniversary_gifts_come_once_a_year() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        let club = settings::ClubSettings {
            birthday_credit: 20_000,
            anniversary_credit: 10_000,
            ..Default::default()
        };
        settings::set(s, &t, None, &club).await.unwrap();
        let phone = Phone::parse("09127770001").unwrap();
        let other = Phone::parse("09127770002").unwrap();
        manual::credit(s, &t, &phone, 1, "join", Actor::System, NOW)
            .await
            .unwrap();
        manual::credit(s, &t, &other, 1, "join", Actor::System, NOW)
            .await
            .unwrap();
        assert!(matches!(
            club::rewards::set_birthday(
                s,
                &t,
                &Phone::parse("09127770009").unwrap(),
                Some("01-01")
            )
            .await,
            Err(Error::NotFound(_))
        ));

        // A year (Jalali) after joining, on the member's birthday too.
        let joined = club::summary(s, &t, &phone, NOW).await.unwrap().joined_at;
        let zone = crm::clock::Zone::named(&t.time_zone).unwrap();
        let day = crm::jalali::JalaliDate::from_day_key(zone.day_key(joined)).unwrap();
        let next = crm::jalali::JalaliDate {
            year: day.year + 1,
            ..day
        };
        let key = next.day_key().unwrap();
        let noon = zone
            .end_of_day(&format!(
                "{}-{:02}-{:02}",
                key / 10_000,
                key / 100 % 100,
                key % 100
            ))
            .unwrap()
            - 12 * 3_600;
        let md = format!("{:02}-{:02}", day.month, day.day);
        club::rewards::set_birthday(s, &t, &phone, Some(&md))
            .await
            .unwrap();

        // Both joined that day: both get the anniversary; one also the birthday.
        assert_eq!(club::rewards::due(s, noon).await.unwrap(), 3);
        assert_eq!(
            club::rewards::due(s, noon + 600).await.unwrap(),
            0,
            "once a year"
        );
        // (The 1-rial joining credit has expired by then.)
        let b = club::summary(s, &t, &phone, noon).await.unwrap().balance;
        assert_eq!(b.spendable, 20_000 + 10_000);
        assert_eq!(
            club::summary(s, &t, &other, noon)
                .await
                .unwrap()
                .balance
                .spendable,
            10_000
        );
        // The day before: nothing.
        assert_eq!(club::rewards::due(s, noon - 86_400).await.unwrap(), 0);
        db
    })
    .await;
}

#[tokio::test]
async fn reports_count_joins_credit_repeat_buyers_and_branch_revenue() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        branches::add(s, &t, "North").await.unwrap();
        let (center, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let (north, _) = pos_keys::create(s, &t, "North").await.unwrap();
        let render = |r: &invoices::Receipt| (201, r.invoice.id.to_string());
        let day = 86_400;
        async fn buy(
            s: &crm::Store,
            key: &pos_keys::PosKey,
            phone: &str,
            amount: i64,
            at: i64,
        ) -> i64 {
            let render = |r: &invoices::Receipt| (201, r.invoice.id.to_string());
            let r = invoices::create(s, key, &invoice(phone, amount, vec![]), None, at, render)
                .await
                .unwrap();
            r.body.parse::<i64>().unwrap()
        }
        // Long ago: outside a 30-day report, inside a 90-day one.
        buy(s, &center, "09120000004", 80_000, NOW - 40 * day).await;
        // P1 joins with its first purchase (not yet a member for it), buys again as one.
        buy(s, &center, "09120000001", 100_000, NOW - 3 * day).await;
        let second = buy(s, &center, "09120000001", 200_000, NOW - 2 * day).await;
        invoices::redeem(s, &center, second, 3_000, None, NOW - 2 * day + 60, render)
            .await
            .unwrap();
        buy(s, &north, "09120000002", 50_000, NOW - day).await;
        manual::credit(
            s,
            &t,
            &Phone::parse("09120000003").unwrap(),
            10_000,
            "welcome",
            Actor::System,
            NOW - day,
        )
        .await
        .unwrap();

        let r = club::reports::build(s, &t, &Scope::Every, NOW, 30)
            .await
            .unwrap();
        assert_eq!(r.periods.len(), 30);
        assert_eq!(r.periods[29].first_day, r.periods[29].last_day);
        let joined = |col: usize| r.periods.iter().map(|p| p.joined[col]).sum::<i64>();
        assert_eq!((joined(0), joined(1), joined(2), joined(4)), (0, 0, 2, 1));
        assert_eq!(r.periods[28].joined[2], 1, "P2 joined yesterday");
        assert_eq!(
            r.periods.iter().map(|p| p.earned).sum::<i64>(),
            5_000 + 10_000 + 2_500 + 10_000
        );
        assert_eq!(r.periods.iter().map(|p| p.redeemed).sum::<i64>(), 3_000);
        assert_eq!(
            (r.buyers, r.repeat_buyers, r.repeat_per_mille()),
            (2, 1, 500)
        );
        let rows: Vec<(&str, i64, i64, i64)> = r
            .branches
            .iter()
            .map(|b| (b.branch.as_str(), b.invoices, b.members, b.others))
            .collect();
        assert_eq!(
            rows,
            [("Center", 2, 200_000, 100_000), ("North", 1, 0, 50_000)]
        );

        // One branch: its invoices, the credit they earned and took, its first buyers;
        // the manual credit (no invoice) is the whole business's.
        for (key, joined_pos, earned, redeemed, per_mille, revenue) in [
            (
                &center,
                1,
                15_000,
                3_000,
                1000,
                ("Center", 2, 200_000, 100_000),
            ),
            (&north, 1, 2_500, 0, 0, ("North", 1, 0, 50_000)),
        ] {
            let only = Scope::Only(vec![key.branch_id]);
            let r = club::reports::build(s, &t, &only, NOW, 30).await.unwrap();
            let joined = |col: usize| r.periods.iter().map(|p| p.joined[col]).sum::<i64>();
            assert_eq!((joined(2), joined(4)), (joined_pos, 0), "{revenue:?}");
            assert_eq!(r.periods.iter().map(|p| p.earned).sum::<i64>(), earned);
            assert_eq!(r.periods.iter().map(|p| p.redeemed).sum::<i64>(), redeemed);
            assert_eq!((r.buyers, r.repeat_per_mille()), (1, per_mille));
            let rows: Vec<(&str, i64, i64, i64)> = r
                .branches
                .iter()
                .map(|b| (b.branch.as_str(), b.invoices, b.members, b.others))
                .collect();
            assert_eq!(rows, [revenue]);
        }
        let none = club::reports::build(s, &t, &Scope::Only(vec![]), NOW, 30)
            .await
            .unwrap();
        assert_eq!((none.buyers, none.branches.len()), (0, 0));

        // Expiry a year on: each branch's leftover at the branch that earned it, the
        // manual credit only business-wide.
        let later = NOW + 400 * day;
        crm::ledger::expire_due(s, later).await.unwrap();
        let tenant = &t;
        let expired = |scope: Scope| async move {
            let r = club::reports::build(s, tenant, &scope, later, 30)
                .await
                .unwrap();
            r.periods.iter().map(|p| p.expired).sum::<i64>()
        };
        let (c, n) = (center.branch_id, north.branch_id);
        let all = expired(Scope::Every).await;
        // (P4's purchase 40 days before earned 4 000 too.)
        assert_eq!(expired(Scope::Only(vec![c])).await, 4_000 + 15_000 - 3_000);
        assert_eq!(expired(Scope::Only(vec![n])).await, 2_500);
        assert!(all >= 16_000 + 2_500 + 10_000, "{all}");

        // Weeks beyond a month; the old purchase counts now.
        let r = club::reports::build(s, &t, &Scope::Every, NOW, 90)
            .await
            .unwrap();
        assert_eq!(r.periods.len(), 13);
        assert_eq!(r.periods.iter().map(|p| p.joined[2]).sum::<i64>(), 3);
        assert_eq!(r.buyers, 3);
        db
    })
    .await;
}
