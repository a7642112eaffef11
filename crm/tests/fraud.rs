//! Fraud scenarios on SQLite and PostgreSQL: flag on the first suspicious pattern, block
//! on a repeat, clear by a manager; every decision logged with its reason.

use crm::club::{fraud, manual, settings};
use crm::invoices::{self, NewInvoice};
use crm::ledger::Actor;
use crm::phone::Phone;
use crm::testing::on_both;
use crm::{Error, branches, pos_keys, tenants};

const NOW: i64 = 1_800_000_000;

fn decisions_of(list: &[fraud::Decision]) -> Vec<&str> {
    list.iter().rev().map(|d| d.decision.as_str()).collect()
}

#[tokio::test]
async fn unusual_manual_credit_flags_then_blocks_the_staff_member_until_cleared() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let mut s = settings::ClubSettings::default();
        s.fraud.manual_amount = 100_000;
        s.fraud.alert_phones = vec!["09190000009".into()];
        settings::set(&db.store, &t, None, &s).await.unwrap();
        let a = Phone::parse("09121000001").unwrap();
        let b = Phone::parse("09121000002").unwrap();

        // Far above the threshold: reported, but done.
        let done = manual::credit(&db.store, &t, &a, 150_000, "gift", Actor::Staff(7), NOW)
            .await
            .unwrap();
        assert_eq!(done.balance.spendable, 150_000);
        let open = fraud::flags(&db.store, &t, true).await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].subject_kind.as_str(), open[0].subject_id),
            ("staff", 7)
        );
        assert_eq!(
            (open[0].rule.as_str(), open[0].state.as_str()),
            ("manual_amount", "flagged")
        );

        // Again while flagged: blocked and refused, even for a small amount afterwards.
        let again = manual::credit(
            &db.store,
            &t,
            &b,
            200_000,
            "gift",
            Actor::Staff(7),
            NOW + 60,
        )
        .await;
        assert!(
            matches!(&again, Err(Error::Conflict(m)) if m.contains("again while flagged")),
            "{again:?}"
        );
        let small = manual::credit(
            &db.store,
            &t,
            &b,
            1_000,
            "coffee",
            Actor::Staff(7),
            NOW + 120,
        )
        .await;
        assert!(
            matches!(&small, Err(Error::Conflict(m)) if m.contains("blocked")),
            "{small:?}"
        );
        assert!(
            crm::club::summary(&db.store, &t, &b, NOW).await.is_err(),
            "nothing written for refused credits"
        );
        // Another staff member is not affected.
        manual::credit(
            &db.store,
            &t,
            &b,
            1_000,
            "coffee",
            Actor::Staff(8),
            NOW + 120,
        )
        .await
        .unwrap();

        // A manager clears the flag: staff 7 may credit again (a new excess flags anew).
        let flag = fraud::flags(&db.store, &t, true).await.unwrap()[0].id;
        assert!(matches!(
            fraud::clear(&db.store, &t, flag, Actor::Staff(1), " ", NOW).await,
            Err(Error::Invalid(_))
        ));
        fraud::clear(
            &db.store,
            &t,
            flag,
            Actor::Staff(1),
            "checked the receipt",
            NOW + 180,
        )
        .await
        .unwrap();
        assert!(fraud::flags(&db.store, &t, true).await.unwrap().is_empty());
        manual::credit(
            &db.store,
            &t,
            &b,
            1_000,
            "coffee",
            Actor::Staff(7),
            NOW + 240,
        )
        .await
        .unwrap();
        assert!(matches!(
            fraud::clear(&db.store, &t, flag, Actor::Staff(1), "again", NOW).await,
            Err(Error::NotFound(_))
        ));

        let log = fraud::decisions(&db.store, &t, 100).await.unwrap();
        assert_eq!(decisions_of(&log), ["flag", "block", "refuse", "clear"]);
        // The manager was texted on the flag and on the block.
        let alerts: Vec<_> = crm::sms::outbox(&db.store, &t, None, 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.purpose == "fraud_alert")
            .collect();
        assert_eq!(alerts.len(), 2, "{alerts:?}");
        assert!(
            alerts
                .iter()
                .all(|m| m.phone == "+989190000009" && m.body.contains("کارمند #7"))
        );
        assert!(log.iter().all(|d| !d.reason.is_empty()));
        assert!(log[0].reason.contains("checked the receipt") && log[0].actor == "staff:1");
        db
    })
    .await;
}

#[tokio::test]
async fn many_invoices_for_one_phone_flag_then_block_credit() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        branches::add(&db.store, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(&db.store, &t, "Center").await.unwrap();
        let mut s = settings::ClubSettings::default(); // 5 %
        s.fraud.max_invoices = 2;
        s.fraud.window_seconds = 600;
        settings::set(&db.store, &t, None, &s).await.unwrap();
        let new = |amount| NewInvoice {
            phone: "09122000000".into(),
            amount,
            items: vec![],
            reservation_id: None,
            pos_transaction_id: None,
            staff: None,
        };
        let mut receipts = Vec::new();
        for (i, at) in [0, 60, 120, 180].into_iter().enumerate() {
            let mut receipt = None;
            invoices::create(&db.store, &key, &new(100_000), None, NOW + at, |r| {
                receipt = Some(r.clone());
                (201, String::new())
            })
            .await
            .unwrap_or_else(|e| panic!("invoice {i}: {e}"));
            receipts.push(receipt.unwrap());
        }
        let earned: Vec<i64> = receipts.iter().map(|r| r.invoice.earned).collect();
        // Two are normal, the third is flagged (still earns), the fourth blocks.
        assert_eq!(earned, [5_000, 5_000, 5_000, 0]);
        assert!(receipts[2].withheld.is_none());
        assert!(
            receipts[3]
                .withheld
                .as_deref()
                .unwrap()
                .contains("again while flagged")
        );

        // A blocked customer cannot pay with credit (409 in the API), and earns nothing.
        let id = receipts[3].invoice.id;
        let paid = invoices::redeem(&db.store, &key, id, 1_000, None, NOW + 200, |_| {
            (200, String::new())
        })
        .await;
        assert!(
            matches!(&paid, Err(Error::Conflict(m)) if m.contains("blocked")),
            "{paid:?}"
        );
        let mut later = None;
        invoices::create(&db.store, &key, &new(100_000), None, NOW + 3_600, |r| {
            later = Some(r.clone());
            (201, String::new())
        })
        .await
        .unwrap();
        assert_eq!(later.unwrap().invoice.earned, 0, "blocked until cleared");

        let flag = fraud::flags(&db.store, &t, true).await.unwrap();
        assert_eq!(
            (flag[0].rule.as_str(), flag[0].state.as_str()),
            ("invoices", "blocked")
        );
        fraud::clear(
            &db.store,
            &t,
            flag[0].id,
            Actor::Staff(1),
            "regular at lunch",
            NOW + 4_000,
        )
        .await
        .unwrap();
        invoices::redeem(&db.store, &key, id, 1_000, None, NOW + 4_100, |_| {
            (200, String::new())
        })
        .await
        .unwrap();
        let log = fraud::decisions(&db.store, &t, 100).await.unwrap();
        assert_eq!(
            decisions_of(&log),
            ["flag", "block", "refuse", "refuse", "clear"]
        );
        assert!(
            log.iter()
                .any(|d| d.reason.contains("3 invoices within 600 s"))
        );
        db
    })
    .await;
}

#[tokio::test]
async fn manual_credit_and_clearing_a_flag_are_audited_with_before_and_after() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let mut s = settings::ClubSettings::default();
        s.fraud.manual_amount = 100_000;
        s.manual_daily_cap = 500_000;
        settings::set(&db.store, &t, None, &s).await.unwrap();
        let manager = crm::staff::create_operator(&db.store, "09120000001", None)
            .await
            .unwrap();
        let a = Phone::parse("09121000001").unwrap();
        let as_manager = Actor::Staff(manager.id);

        manual::credit(&db.store, &t, &a, 20_000, "broken cup", as_manager, NOW)
            .await
            .unwrap();
        // Above the fraud threshold: done and flagged, audited like any credit.
        let big = manual::credit(&db.store, &t, &a, 150_000, "vip", as_manager, NOW + 1)
            .await
            .unwrap();
        // Refused (above the threshold again while flagged): nothing to audit.
        assert!(
            manual::credit(&db.store, &t, &a, 400_000, "too much", as_manager, NOW + 2)
                .await
                .is_err()
        );
        let flag = fraud::flags(&db.store, &t, true).await.unwrap()[0].id;
        fraud::clear(&db.store, &t, flag, as_manager, "receipt seen", NOW + 3)
            .await
            .unwrap();

        let log = crm::audit::list(&db.store, &t, None, 50).await.unwrap();
        let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["club.credit", "club.credit", "fraud.clear"]);
        assert!(log.iter().all(|e| e.user_id == Some(manager.id)));
        let second = &log[1];
        assert_eq!(second.entity_id, Some(big.customer_id));
        let before: serde_json::Value =
            serde_json::from_str(second.before.as_deref().unwrap()).unwrap();
        let after: serde_json::Value =
            serde_json::from_str(second.after.as_deref().unwrap()).unwrap();
        assert_eq!(before["spendable"], 20_000);
        assert_eq!(after["spendable"], 170_000);
        assert_eq!(after["amount"], 150_000);
        assert_eq!(after["reason"], "vip");
        let cleared = &log[0];
        assert_eq!(
            (cleared.entity.as_str(), cleared.entity_id),
            ("fraud_flag", Some(flag))
        );
        let before: serde_json::Value =
            serde_json::from_str(cleared.before.as_deref().unwrap()).unwrap();
        // The refused 400 000 was above the threshold again: the flag had become a block.
        assert_eq!(before["state"], "blocked");
        assert_eq!(before["rule"], "manual_amount");
        assert!(cleared.after.as_deref().unwrap().contains("receipt seen"));

        // A staff id nobody signs in with (the command line's --staff) is the host's change.
        manual::credit(&db.store, &t, &a, 1_000, "cli", Actor::Staff(999), NOW + 4)
            .await
            .unwrap();
        let newest = &crm::audit::list(&db.store, &t, None, 1).await.unwrap()[0];
        assert_eq!(
            (newest.action.as_str(), newest.user_id),
            ("club.credit", None)
        );
        db
    })
    .await;
}

#[tokio::test]
async fn one_device_cycling_through_phones_flags_then_blocks_the_newest_phone() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        let mut rules = settings::ClubSettings::default();
        rules.fraud.device_phones = 2;
        rules.fraud.window_seconds = 3_600;
        settings::set(s, &t, None, &rules).await.unwrap();
        let tenant = &t;
        let customer = |phone: &'static str| async move {
            crm::customers::add(s, tenant, phone, None, None)
                .await
                .unwrap()
                .id
        };
        let (a, b, c, d) = (
            customer("09121000001").await,
            customer("09121000002").await,
            customer("09121000003").await,
            customer("09121000004").await,
        );
        let mac = "aa-bb-cc-00-11-22";
        // Two phones on one device, and the same phone again: within the threshold.
        for id in [a, b, a] {
            crm::devices::record(s, &t, id, mac, None).await.unwrap();
        }
        // Another device is counted apart.
        crm::devices::record(s, &t, c, "aa:bb:cc:00:11:99", None)
            .await
            .unwrap();
        assert!(fraud::flags(s, &t, true).await.unwrap().is_empty());

        // A third phone on the device: flagged, with the reason; the login goes ahead.
        crm::devices::record(s, &t, c, mac, None).await.unwrap();
        let open = fraud::flags(s, &t, true).await.unwrap();
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(
            (
                open[0].subject_kind.as_str(),
                open[0].subject_id,
                open[0].rule.as_str()
            ),
            ("customer", c, "device_cycling")
        );
        assert!(
            open[0].reason.contains("AA:BB:CC:00:11:22") && open[0].reason.contains("3 phones"),
            "{}",
            open[0].reason
        );
        // The same phone cycling on again while flagged: blocked.
        crm::devices::record(s, &t, d, mac, None).await.unwrap();
        crm::devices::record(s, &t, c, mac, None).await.unwrap();
        let open = fraud::flags(s, &t, true).await.unwrap();
        let c_flag = open.iter().find(|f| f.subject_id == c).unwrap();
        assert_eq!(c_flag.state, "blocked");
        // Blocked: an invoice for that phone earns nothing until a manager clears it.
        branches::add(s, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let new = NewInvoice {
            phone: "09121000003".into(),
            amount: 100_000,
            items: vec![],
            reservation_id: None,
            pos_transaction_id: None,
            staff: None,
        };
        let render = |r: &invoices::Receipt| (201, r.invoice.earned.to_string());
        let r = invoices::create(s, &key, &new, None, NOW, render)
            .await
            .unwrap();
        assert_eq!(r.body, "0");
        let log = fraud::decisions(s, &t, 100).await.unwrap();
        assert!(
            log.iter()
                .any(|d| d.decision == "block" && d.reason.contains("device_cycling")),
            "{log:?}"
        );
        assert!(log.iter().all(|d| !d.reason.is_empty()));

        // Off (0): no more flags.
        rules.fraud.device_phones = 0;
        settings::set(s, &t, None, &rules).await.unwrap();
        let before = fraud::decisions(s, &t, 100).await.unwrap().len();
        crm::devices::record(s, &t, b, mac, None).await.unwrap();
        assert_eq!(fraud::decisions(s, &t, 100).await.unwrap().len(), before);
        db
    })
    .await;
}

#[tokio::test]
async fn a_flag_notifies_the_people_who_may_clear_it_where_they_work() {
    use crm::audit::Actor as Who;
    use crm::roles::{self, BuiltinRole, Permission};
    use crm::staff::{self, NewMember, RoleRef};
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        let north = branches::add(s, &t, "North").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let center = key.branch_id;
        let clearer = roles::create_custom(
            s,
            &t,
            "Auditor",
            &[Permission::ViewClub, Permission::ClearFraudFlags]
                .into_iter()
                .collect(),
            Who::CLI,
        )
        .await
        .unwrap();
        let member = async |phone: &str, role, branch_ids: &[i64]| {
            staff::add_member(
                s,
                &t,
                &NewMember {
                    phone,
                    name: None,
                    role,
                    branch_ids,
                },
                Who::CLI,
            )
            .await
            .unwrap()
            .user_id
        };
        let owner = member("09120000001", RoleRef::Builtin(BuiltinRole::Owner), &[]).await;
        let north_senior = member(
            "09120000002",
            RoleRef::Builtin(BuiltinRole::SeniorManager),
            &[north.id],
        )
        .await;
        let auditor = member("09120000003", RoleRef::Custom(clearer.id), &[center]).await;
        let viewer = member("09120000004", RoleRef::Builtin(BuiltinRole::Viewer), &[]).await;
        let cashier = member("09120000005", RoleRef::Builtin(BuiltinRole::Staff), &[]).await;
        let branch_manager = member(
            "09120000006",
            RoleRef::Builtin(BuiltinRole::BranchManager),
            &[],
        )
        .await;
        let mut rules = settings::ClubSettings::default();
        rules.fraud.max_invoices = 1;
        rules.fraud.manual_amount = 100_000;
        settings::set(s, &t, None, &rules).await.unwrap();
        let notes = async |user: i64| crm::notifications::list(s, &t, user, 50).await.unwrap();

        // Two invoices at Center within the window: the second flags the customer.
        for at in [0, 60] {
            let new = NewInvoice {
                phone: "09122000000".into(),
                amount: 100_000,
                items: vec![],
                reservation_id: None,
                pos_transaction_id: None,
                staff: None,
            };
            invoices::create(s, &key, &new, None, NOW + at, |_| (201, String::new()))
                .await
                .unwrap();
        }
        assert_eq!(fraud::flags(s, &t, true).await.unwrap().len(), 1);
        for who in [owner, auditor] {
            let got = notes(who).await;
            assert_eq!(got.len(), 1, "user {who}");
            assert_eq!(got[0].link.as_deref(), Some(fraud::FLAGS_PAGE));
            assert_eq!(got[0].case_id, None);
            assert!(got[0].body.contains("invoices"), "{}", got[0].body);
            assert_eq!(crm::notifications::unread(s, t.id, who).await.unwrap(), 1);
        }
        // Limited to another branch, or without the permission: nothing.
        for who in [north_senior, viewer, cashier, branch_manager] {
            assert!(notes(who).await.is_empty(), "user {who}");
        }

        // A flag with no branch (manual credit) reaches every clearer.
        manual::credit(
            s,
            &t,
            &Phone::parse("09121000001").unwrap(),
            150_000,
            "gift",
            Actor::Staff(7),
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(notes(north_senior).await.len(), 1);
        assert_eq!(notes(owner).await.len(), 2);
        assert!(notes(viewer).await.is_empty());
        db
    })
    .await;
}
