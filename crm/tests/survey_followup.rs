//! Following a low score up (the panel's case page): alerts to chosen panel users with
//! notifications, the case with its invoice, answers, media and every message, owner,
//! notes, canned replies, compensation under the club's manual-credit rules, audit; and
//! satisfaction by category, week and shift — on SQLite and PostgreSQL, injected clock.

use crm::audit::{self, Actor};
use crm::branches::Scope;
use crm::club::settings as club_settings;
use crm::invoices::{self, NewInvoice, NewItem};
use crm::roles::BuiltinRole;
use crm::staff::{self, NewMember, RoleRef};
use crm::surveys::followup::{self, Canned};
use crm::surveys::reports::{self, Shift};
use crm::surveys::{self, Answer, Breakdown, SurveySettings, alerts, cases, media, settings};
use crm::testing::on_both;
use crm::{Error, branches, clock::Zone, ledger, notifications, pos_keys, sms, tenants};

/// 2027-01-15 08:00 UTC = 11:30 in Tehran: a morning invoice.
const NOW: i64 = 1_800_000_000;
const URL: &str = "https://club.example";

fn invoice() -> NewInvoice {
    NewInvoice {
        phone: "09121111111".into(),
        amount: 300_000,
        items: vec![
            NewItem {
                name: "Latte".into(),
                category: Some("drinks".into()),
                qty: 2,
                unit_price: 100_000,
            },
            NewItem {
                name: "Cake".into(),
                category: None,
                qty: 1,
                unit_price: 100_000,
            },
        ],
        reservation_id: None,
        pos_transaction_id: None,
        staff: None,
    }
}

#[tokio::test]
async fn a_low_score_is_followed_up_from_alert_to_compensation() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        let other = tenants::create(s, "Other").await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        let north = branches::add(s, &t, "North").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let member = async |tenant: &tenants::Tenant, phone: &str, role, branch_ids: &[i64]| {
            staff::add_member(
                s,
                tenant,
                &NewMember {
                    phone,
                    name: None,
                    role: RoleRef::Builtin(role),
                    branch_ids,
                },
                Actor::CLI,
            )
            .await
            .unwrap()
            .user_id
        };
        let owner = member(&t, "09120000001", BuiltinRole::Owner, &[]).await;
        let manager = member(&t, "09120000002", BuiltinRole::BranchManager, &[]).await;
        let stranger = member(&other, "09120000003", BuiltinRole::Owner, &[]).await;
        let north_manager =
            member(&t, "09120000004", BuiltinRole::BranchManager, &[north.id]).await;

        // The owner picks the branch manager; someone of another tenant is refused.
        assert!(matches!(
            alerts::set_users(s, &t, &[manager, stranger], Actor::user(owner)).await,
            Err(Error::Invalid(_))
        ));
        alerts::set_users(s, &t, &[manager, north_manager], Actor::user(owner))
            .await
            .unwrap();
        assert_eq!(
            alerts::users(s, &t).await.unwrap(),
            [manager, north_manager]
        );
        settings::set(
            s,
            &t,
            &SurveySettings {
                enabled: true,
                delay_minutes: 0,
                quiet_start: 0,
                quiet_end: 0,
                reply_unhappy: Some("{tenant}: sorry, we will call you.".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();

        invoices::create(s, &key, &invoice(), None, NOW, |_| (201, String::new()))
            .await
            .unwrap();
        assert_eq!(surveys::send_due(s, URL, NOW).await.unwrap(), 1);
        let link = sms::outbox(s, &t, None, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.purpose == "survey")
            .unwrap()
            .body;
        let token = link.rsplit("/s/").next().unwrap().trim().to_string();
        let dir = std::env::temp_dir().join(format!("sx-followup-{}-{}", db.label(), NOW));
        let photo = media::attach(s, &dir, &token, b"\xFF\xD8\xFF\xE0photo", NOW + 60)
            .await
            .unwrap();
        let voice = media::attach(s, &dir, &token, b"OggS voice", NOW + 61)
            .await
            .unwrap();
        let page = surveys::open(s, &token, NOW + 60).await.unwrap();
        let answer = Answer {
            rating: 1,
            nps: Some(2),
            comment: Some("cold".into()),
            items: vec![(page.items[0].id, 1), (page.items[1].id, 5)],
            ..Default::default()
        };
        surveys::answer(s, &token, &answer, NOW + 120)
            .await
            .unwrap();

        // The manager was texted and notified; the owner was not.
        let id = cases::list(s, &t, false, 10).await.unwrap()[0].id;
        assert_eq!(notifications::unread(s, t.id, manager).await.unwrap(), 1);
        assert_eq!(notifications::unread(s, t.id, owner).await.unwrap(), 0);
        // The manager of the North branch only is not told about Center's case.
        assert_eq!(
            notifications::unread(s, t.id, north_manager).await.unwrap(),
            0
        );
        assert!(
            !sms::outbox(s, &t, None, 50)
                .await
                .unwrap()
                .iter()
                .any(|m| m.purpose == "survey_alert" && m.phone == "+989120000004")
        );
        let note = &notifications::list(s, &t, manager, 10).await.unwrap()[0];
        assert_eq!(note.case_id, Some(id));
        assert!(note.body.contains("۱ از ۵") && note.body.contains("cold"));
        assert!(
            sms::outbox(s, &t, None, 50)
                .await
                .unwrap()
                .iter()
                .any(|m| m.purpose == "survey_alert" && m.phone == "+989120000002")
        );

        // The case: invoice with items and ratings, answers, media, messages.
        let d = followup::detail(s, &t, id).await.unwrap();
        assert_eq!(
            (d.branch.as_str(), d.amount, d.nps),
            ("Center", 300_000, Some(2))
        );
        let items: Vec<_> = d
            .items
            .iter()
            .map(|i| (i.name.as_str(), i.rating))
            .collect();
        assert_eq!(items, [("Latte", Some(1)), ("Cake", Some(5))]);
        assert_eq!(d.items[0].category.as_deref(), Some("drinks"));
        let kinds: Vec<_> = d.media.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, ["photo", "audio"]);
        assert!(followup::detail(s, &other, id).await.is_err());
        assert_eq!(
            followup::media_of_case(s, &t, id, voice)
                .await
                .unwrap()
                .content_type,
            "audio/ogg"
        );
        assert!(matches!(
            followup::media_of_case(s, &other, id, photo).await,
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            followup::media_of_case(s, &t, id + 1, photo).await,
            Err(Error::NotFound(_))
        ));

        // Owner, note, a one-click reply, status, compensation.
        assert!(matches!(
            followup::assign(s, &t, id, Some(stranger), Actor::user(owner), NOW).await,
            Err(Error::Invalid(_))
        ));
        followup::assign(s, &t, id, Some(manager), Actor::user(owner), NOW + 200)
            .await
            .unwrap();
        assert!(matches!(
            followup::note(s, &t, id, "  ", Actor::user(manager), NOW).await,
            Err(Error::Invalid(_))
        ));
        followup::note(
            s,
            &t,
            id,
            "called, will visit",
            Actor::user(manager),
            NOW + 300,
        )
        .await
        .unwrap();
        assert!(matches!(
            followup::reply(s, &t, id, Canned::Happy, Actor::user(manager), NOW).await,
            Err(Error::Invalid(_))
        ));
        followup::reply(s, &t, id, Canned::Unhappy, Actor::user(manager), NOW + 400)
            .await
            .unwrap();
        cases::set_status(s, &t, id, "contacted", Actor::user(manager), NOW + 500)
            .await
            .unwrap();
        let mut club = club_settings::get(s, &t, None).await.unwrap();
        club.manual_daily_cap = 40_000;
        club_settings::set(s, &t, None, &club).await.unwrap();
        let entry = followup::compensate(s, &t, id, 30_000, "cold coffee", manager, NOW + 600)
            .await
            .unwrap();
        // The club's per-staff cap applies to compensation too.
        assert!(matches!(
            followup::compensate(s, &t, id, 20_000, "again", manager, NOW + 700).await,
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            followup::compensate(s, &other, id, 1_000, "x", stranger, NOW).await,
            Err(Error::NotFound(_))
        ));
        let entries = ledger::entries(s, &t, d.customer_id, 10).await.unwrap();
        let e = entries.iter().find(|e| e.id == entry).unwrap();
        assert_eq!(e.amount, 30_000);
        assert_eq!(e.actor, format!("staff:{manager}"));
        assert!(e.reason.starts_with(&format!("survey case #{id}: ")));

        let d = followup::detail(s, &t, id).await.unwrap();
        assert_eq!(d.case.owner.as_ref().map(|(u, _)| *u), Some(manager));
        assert_eq!(d.case.status, "contacted");
        let kinds: Vec<_> = d.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "invitation",
                "opened",
                "alert",
                "reply",
                "owner",
                "note",
                "reply",
                "status",
                "credit"
            ]
        );
        let by_manager: Vec<_> = d
            .events
            .iter()
            .filter(|e| e.user.as_deref() == Some("+989120000002"))
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(by_manager, ["note", "reply", "status", "credit"]);
        assert!(
            d.events[6]
                .sms_body
                .as_deref()
                .unwrap()
                .contains("we will call you")
        );
        assert!(
            d.events[8]
                .detail
                .as_deref()
                .unwrap()
                .contains("30000 rials")
        );
        let actions: Vec<String> = audit::list(s, &t, None, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        for a in [
            "case.owner",
            "case.note",
            "case.reply",
            "case.status",
            "case.credit",
            "survey.alert_users",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
        }

        notifications::mark_read(s, &t, manager, Some(id), NOW)
            .await
            .unwrap();
        assert_eq!(notifications::unread(s, t.id, manager).await.unwrap(), 0);

        // Satisfaction by category, week and shift.
        let by_category =
            surveys::breakdown(s, &t, &Scope::Every, Breakdown::Category, 0, i64::MAX)
                .await
                .unwrap();
        let keys: Vec<_> = by_category
            .iter()
            .map(|g| (g.key.as_str(), g.csat))
            .collect();
        assert_eq!(keys, [("", Some(100)), ("drinks", Some(0))]);
        let zone = Zone::named("Asia/Tehran").unwrap();
        let week = reports::Period::Week;
        let time = reports::over_time(
            s,
            &t,
            &Scope::Every,
            &zone,
            week,
            NOW - 20 * 86_400,
            NOW + 86_400,
        )
        .await
        .unwrap();
        assert!(time.periods.len() >= 3, "{:?}", time.periods);
        let answered: Vec<_> = time.periods.iter().filter(|w| w.answers > 0).collect();
        assert_eq!(answered.len(), 1);
        assert_eq!(
            (answered[0].answers, answered[0].csat, answered[0].nps),
            (1, Some(0), Some(-100))
        );
        // Friday 2027-01-15: its week began on Saturday the 9th.
        assert_eq!(answered[0].start_day, 20270109);
        assert_eq!(time.shifts.len(), 1);
        assert_eq!(time.shifts[0].0, Shift::Morning);
        let _ = std::fs::remove_dir_all(&dir);
        db
    })
    .await;
}
