//! Surveys after POS invoices: queuing, quiet hours, caps, opt-out, sending, reminders,
//! one answer per link, the report — on SQLite and PostgreSQL with an injected clock.

use crm::branches::Scope;
use crm::club;
use crm::invoices::{self, NewInvoice, NewItem};
use crm::surveys::reports::{Period, Window};
use crm::surveys::{self, Answer, Breakdown, GroupScore, SurveySettings, settings};
use crm::testing::on_both;
use crm::{Error, Store, branches, customers, phone::Phone, pos_keys, sms, tenants};

/// 2027-01-15 08:00 UTC = 11:30 in Tehran (the default tenant's zone).
const NOW: i64 = 1_800_000_000;
const H: i64 = 3600;
const URL: &str = "https://club.example/";
const CLI: crm::audit::Actor = crm::audit::Actor::CLI;

fn invoice(phone: &str) -> NewInvoice {
    NewInvoice {
        phone: phone.into(),
        amount: 450_000,
        items: vec![
            NewItem {
                name: "Latte".into(),
                category: Some("drinks".into()),
                qty: 2,
                unit_price: 150_000,
            },
            NewItem {
                name: "Cheesecake".into(),
                category: None,
                qty: 1,
                unit_price: 150_000,
            },
        ],
        reservation_id: None,
        pos_transaction_id: None,
        staff: None,
    }
}

/// The survey SMS texts queued for `phone`, oldest first.
async fn survey_texts(s: &Store, t: &tenants::Tenant, phone: &str) -> Vec<String> {
    let phone = Phone::parse(phone).unwrap();
    let mut texts: Vec<String> = sms::outbox(s, t, None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.purpose == "survey" && m.phone == phone.e164())
        .map(|m| m.body)
        .collect();
    texts.reverse();
    texts
}

fn token_of(text: &str) -> String {
    let at = text.find("https://club.example/s/").expect(text) + "https://club.example/s/".len();
    text[at..].trim().to_string()
}

#[tokio::test]
async fn an_invoice_queues_a_survey_that_is_sent_opened_and_answered_once() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let post = async |phone: &str, at: i64| {
            invoices::create(s, &key, &invoice(phone), None, at, |_| (201, String::new()))
                .await
                .unwrap();
        };

        // Off by default: nothing is queued.
        post("09121000000", NOW - 30 * 86_400).await;
        assert_eq!(
            surveys::report(s, &t, &Scope::Every, 0, i64::MAX)
                .await
                .unwrap()
                .queued,
            0
        );

        let knobs = SurveySettings {
            enabled: true,
            delay_minutes: 60,
            max_reminders: 1,
            alert_phones: vec!["+989120000099".into()],
            reply_happy: Some("{tenant}: thank you!".into()),
            reply_unhappy: Some("{tenant} is sorry; we will call you.".into()),
            ..Default::default()
        };
        assert!(matches!(
            settings::set(
                s,
                &t,
                &SurveySettings {
                    cap_days: -1,
                    ..knobs.clone()
                }
            )
            .await,
            Err(Error::Invalid(_))
        ));
        settings::set(s, &t, &knobs).await.unwrap();
        assert_eq!(settings::get(s, &t).await.unwrap(), knobs);

        // A: due an hour later (12:30 local, outside the 22:00–09:00 quiet hours).
        post("09121111111", NOW).await;
        assert_eq!(surveys::send_due(s, URL, NOW + H - 1).await.unwrap(), 0);
        assert_eq!(surveys::send_due(s, URL, NOW + H).await.unwrap(), 1);
        assert_eq!(surveys::send_due(s, URL, NOW + H).await.unwrap(), 0);
        let texts = survey_texts(s, &t, "09121111111").await;
        assert_eq!(texts.len(), 1);
        let token = token_of(&texts[0]);
        assert!(token.len() >= 22, "{token}");
        // A second purchase within the week is not surveyed again.
        post("09121111111", NOW + 2 * H).await;
        assert_eq!(
            surveys::report(s, &t, &Scope::Every, 0, i64::MAX)
                .await
                .unwrap()
                .queued,
            1
        );

        // B opts out after buying: nothing is sent, and the next invoice queues nothing.
        post("09122222222", NOW).await;
        let b = customers::by_phone(s, &t, "09122222222").await.unwrap();
        club::set_marketing_opt_out(s, &t, b.id, true)
            .await
            .unwrap();
        post("09122222222", NOW + 8 * 86_400).await;
        assert_eq!(
            surveys::report(s, &t, &Scope::Every, 0, i64::MAX)
                .await
                .unwrap()
                .queued,
            2
        );

        // C buys at 21:30 local: +1 h is quiet, so it waits until 09:00 (05:30 UTC).
        post("09123333333", NOW + 10 * H).await;
        let nine_local = NOW + 21 * H + 30 * 60;
        assert_eq!(surveys::send_due(s, URL, nine_local - 1).await.unwrap(), 0);
        assert_eq!(surveys::send_due(s, URL, nine_local).await.unwrap(), 1);
        // One reminder a day later (C's, and A's who has not answered either), then no more.
        assert_eq!(
            surveys::send_due(s, URL, nine_local + 86_400)
                .await
                .unwrap(),
            2
        );
        assert_eq!(survey_texts(s, &t, "09121111111").await.len(), 2);
        assert_eq!(
            surveys::send_due(s, URL, nine_local + 9 * 86_400)
                .await
                .unwrap(),
            0
        );
        let c_texts = survey_texts(s, &t, "09123333333").await;
        assert_eq!(c_texts.len(), 2);
        assert_eq!(token_of(&c_texts[0]), token_of(&c_texts[1]));
        assert_ne!(c_texts[0], c_texts[1], "the reminder has its own text");
        assert!(survey_texts(s, &t, "09122222222").await.is_empty());

        // The page: the invoice's items; opening is recorded.
        assert!(matches!(
            surveys::open(s, "AAAAAAAAAAAAAAAAAAAAAA", NOW).await,
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            surveys::open(s, "../../etc/passwd", NOW).await,
            Err(Error::NotFound(_))
        ));
        let page = surveys::open(s, &token, NOW + 2 * H).await.unwrap();
        assert!(!page.answered);
        let names: Vec<_> = page.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["Latte", "Cheesecake"]);

        // Answers are checked, stored once.
        let good = Answer {
            rating: 2,
            nps: Some(5),
            comment: Some(" cold coffee ".into()),
            items: vec![(page.items[0].id, 1), (page.items[1].id, 5)],
            ..Default::default()
        };
        for bad in [
            Answer {
                rating: 6,
                ..good.clone()
            },
            Answer {
                nps: Some(11),
                ..good.clone()
            },
            Answer {
                items: vec![(page.items[0].id + 100, 3)],
                ..good.clone()
            },
            Answer {
                items: vec![(page.items[0].id, 3), (page.items[0].id, 4)],
                ..good.clone()
            },
            Answer {
                comment: Some("x".repeat(1001)),
                ..good.clone()
            },
        ] {
            assert!(
                matches!(
                    surveys::answer(s, &token, &bad, NOW + 3 * H).await,
                    Err(Error::Invalid(_))
                ),
                "{bad:?}"
            );
        }
        surveys::answer(s, &token, &good, NOW + 3 * H)
            .await
            .unwrap();
        assert!(matches!(
            surveys::answer(s, &token, &good, NOW + 3 * H).await,
            Err(Error::Conflict(_))
        ));
        assert!(
            surveys::open(s, &token, NOW + 4 * H)
                .await
                .unwrap()
                .answered
        );
        // Answered: no reminder for A.
        assert_eq!(
            surveys::send_due(s, URL, NOW + 30 * 86_400).await.unwrap(),
            0
        );

        // C answers happily after the reminder.
        let c_token = token_of(&c_texts[0]);
        let happy = Answer {
            rating: 5,
            nps: Some(10),
            ..Default::default()
        };
        surveys::answer(s, &c_token, &happy, NOW + 2 * 86_400)
            .await
            .unwrap();

        // A's 2 stars (the default threshold) opened a case and alerted the chosen phone;
        // C's 5 did not.
        let cases = surveys::cases::list(s, &t, false, 10).await.unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(
            (
                cases[0].rating,
                cases[0].comment.as_deref(),
                cases[0].status.as_str()
            ),
            (2, Some("cold coffee"), "open")
        );
        assert_eq!(cases[0].phone, "+989121111111");
        assert!(matches!(
            surveys::cases::set_status(s, &t, cases[0].id, "lost", CLI, NOW).await,
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            surveys::cases::set_status(s, &t, cases[0].id + 99, "resolved", CLI, NOW).await,
            Err(Error::NotFound(_))
        ));
        surveys::cases::set_status(s, &t, cases[0].id, "resolved", CLI, NOW)
            .await
            .unwrap();
        // Compensation: club credit in the member's ledger, noted on the case.
        assert!(matches!(
            surveys::cases::compensate(s, &t, cases[0].id, 50_000, " ", NOW).await,
            Err(Error::Invalid(_))
        ));
        surveys::cases::compensate(s, &t, cases[0].id, 50_000, "cold coffee", NOW)
            .await
            .unwrap();
        let a = customers::by_phone(s, &t, "09121111111").await.unwrap();
        let entries = crm::ledger::entries(s, &t, a.id, 10).await.unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e.amount == 50_000 && e.reason.contains("survey case #")),
            "{entries:?}"
        );
        // Every message about the case, in order, with its text.
        let (case, events) = surveys::cases::history(s, &t, cases[0].id).await.unwrap();
        assert_eq!(case.status, "resolved");
        let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
        // The survey SMS and the reminder she was sent come first.
        assert_eq!(
            kinds,
            [
                "invitation",
                "invitation",
                "opened",
                "alert",
                "reply",
                "status",
                "credit"
            ]
        );
        assert!(events[0].sms_body.as_deref().unwrap().contains("/s/"));
        assert!(
            events[1]
                .sms_body
                .as_deref()
                .unwrap()
                .contains("هنوز منتظر")
        );
        assert_eq!(events[0].sms_phone.as_deref(), Some("+989121111111"));
        let events = &events[2..];
        assert_eq!(events[1].detail.as_deref(), Some("+989120000099"));
        assert!(
            events[1]
                .sms_body
                .as_deref()
                .unwrap()
                .contains("cold coffee")
        );
        assert!(
            events[2]
                .sms_body
                .as_deref()
                .unwrap()
                .contains("we will call you")
        );
        assert_eq!(events[2].sms_status.as_deref(), Some("queued"));
        assert!(matches!(
            surveys::cases::history(s, &t, cases[0].id + 99).await,
            Err(Error::NotFound(_))
        ));
        assert!(
            surveys::cases::list(s, &t, false, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            surveys::cases::list(s, &t, true, 10).await.unwrap()[0].status,
            "resolved"
        );
        let alerts: Vec<_> = sms::outbox(s, &t, None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.purpose == "survey_alert")
            .collect();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].phone, "+989120000099");
        assert!(alerts[0].body.contains("۲ از ۵"), "{}", alerts[0].body);
        assert!(alerts[0].body.contains("cold coffee"), "{}", alerts[0].body);

        // Canned replies: the unhappy one to A, the happy one to C.
        let replies: Vec<_> = sms::outbox(s, &t, None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.purpose == "survey_reply")
            .map(|m| (m.phone, m.body))
            .collect();
        assert_eq!(
            replies,
            [
                (
                    "+989123333333".to_string(),
                    format!("{}: thank you!", t.name)
                ),
                (
                    "+989121111111".to_string(),
                    format!("{} is sorry; we will call you.", t.name)
                ),
            ]
        );

        let r = surveys::report(s, &t, &Scope::Every, 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!((r.queued, r.invited, r.opened, r.answered), (3, 2, 2, 2));
        assert_eq!(r.participation, Some(100));
        assert_eq!(r.ratings, [0, 1, 0, 0, 1]);
        assert_eq!(r.csat, Some(50));
        // One promoter, one detractor.
        assert_eq!((r.nps, r.nps_answers), (Some(0), 2));
        // By branch (one here) and by item (A rated both of hers).
        let by_branch = surveys::breakdown(s, &t, &Scope::Every, Breakdown::Branch, 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!(
            by_branch,
            [GroupScore {
                key: "Center".into(),
                ratings: 2,
                average: Some(35),
                csat: Some(50),
                nps: Some(0)
            }]
        );
        let by_item = surveys::breakdown(s, &t, &Scope::Every, Breakdown::Item, 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!(
            by_item,
            [
                GroupScore {
                    key: "Cheesecake".into(),
                    ratings: 1,
                    average: Some(50),
                    csat: Some(100),
                    nps: None
                },
                GroupScore {
                    key: "Latte".into(),
                    ratings: 1,
                    average: Some(10),
                    csat: Some(0),
                    nps: None
                },
            ]
        );
        // Another tenant sees none of it.
        let other = tenants::create(s, "Other").await.unwrap();
        assert_eq!(
            surveys::report(s, &other, &Scope::Every, 0, i64::MAX)
                .await
                .unwrap()
                .queued,
            0
        );
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_answers_to_one_link_store_one() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let knobs = SurveySettings {
            enabled: true,
            delay_minutes: 0,
            quiet_start: 0,
            quiet_end: 0,
            ..Default::default()
        };
        settings::set(s, &t, &knobs).await.unwrap();
        invoices::create(s, &key, &invoice("09124444444"), None, NOW, |_| {
            (201, String::new())
        })
        .await
        .unwrap();
        assert_eq!(surveys::send_due(s, URL, NOW).await.unwrap(), 1);
        let token = token_of(&survey_texts(s, &t, "09124444444").await[0]);
        let answer = Answer {
            rating: 4,
            ..Default::default()
        };
        let tries = (0..8).map(|_| surveys::answer(s, &token, &answer, NOW + 60));
        let results = futures_util::future::join_all(tries).await;
        let stored = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(stored, 1, "{results:?}");
        // The others are told it was answered (not a database error).
        for r in results.iter().filter(|r| r.is_err()) {
            assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
        }
        let report = surveys::report(s, &t, &Scope::Every, 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!((report.answered, report.ratings), (1, [0, 0, 0, 1, 0]));
        db
    })
    .await;
}

#[tokio::test]
async fn survey_texts_are_paid_from_the_sms_wallet() {
    use crm::sms::wallet;
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let knobs = SurveySettings {
            enabled: true,
            delay_minutes: 0,
            quiet_start: 0,
            quiet_end: 0,
            reply_happy: Some("{tenant}: thank you!".into()),
            ..Default::default()
        };
        settings::set(s, &t, &knobs).await.unwrap();
        // Enough for one invitation.
        wallet::set_price(s, &t, 700).await.unwrap();
        wallet::top_up(s, &t, 1_000, "receipt 1", crm::ledger::Actor::System)
            .await
            .unwrap();
        for phone in ["09124444441", "09124444442"] {
            invoices::create(s, &key, &invoice(phone), None, NOW, |_| {
                (201, String::new())
            })
            .await
            .unwrap();
        }
        assert_eq!(surveys::send_due(s, URL, NOW).await.unwrap(), 1);
        assert_eq!(wallet::wallet(s, &t).await.unwrap().balance, 300);
        let debits = wallet::wallet_entries(s, &t, Some("debit"), 10)
            .await
            .unwrap();
        assert_eq!((debits.len(), debits[0].reason.as_str()), (1, "survey"));
        let mut sent = survey_texts(s, &t, "09124444441").await;
        sent.extend(survey_texts(s, &t, "09124444442").await);
        assert_eq!(sent.len(), 1, "one invitation paid, the other skipped");
        let token = token_of(&sent[0]);

        // The answer is stored; the canned reply is skipped, counted, not sent unpaid.
        let answer = Answer {
            rating: 5,
            ..Default::default()
        };
        surveys::answer(s, &token, &answer, NOW + 60).await.unwrap();
        let replies = sms::outbox(s, &t, None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.purpose == "survey_reply")
            .count();
        assert_eq!(replies, 0);
        let unpaid = wallet::unpaid_since(s, &t, 0).await.unwrap();
        assert_eq!(
            unpaid,
            vec![("survey".to_string(), 1), ("survey_reply".to_string(), 1)]
        );
        db
    })
    .await;
}

#[tokio::test]
async fn satisfaction_by_staff_member_counts_only_the_viewers_branches() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        let center = branches::add(s, &t, "Center").await.unwrap();
        branches::add(s, &t, "North").await.unwrap();
        let (center_key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let (north_key, _) = pos_keys::create(s, &t, "North").await.unwrap();
        let knobs = SurveySettings {
            enabled: true,
            delay_minutes: 0,
            quiet_start: 0,
            quiet_end: 0,
            cap_days: 0,
            ..Default::default()
        };
        settings::set(s, &t, &knobs).await.unwrap();

        // The POS's name for the cashier is trimmed; blank, too long or with control
        // characters is refused with the reason, and nothing is recorded.
        for bad in ["   ", &"x".repeat(61), "Ali\nReza"] {
            let new = NewInvoice {
                staff: Some(bad.to_string()),
                ..invoice("09125555555")
            };
            let refused =
                invoices::create(s, &center_key, &new, None, NOW, |_| (201, String::new())).await;
            assert!(
                matches!(&refused, Err(Error::Invalid(m)) if m.starts_with("staff must be")),
                "{refused:?}"
            );
        }

        // Ali (Center) gets a 5 with NPS 10 and a 4; Sara (North) a 1 with NPS 3;
        // an invoice without staff at Center a 3.
        let served = [
            (&center_key, "09121000001", Some(" Ali "), 5, Some(10)),
            (&center_key, "09121000002", Some("Ali"), 4, None),
            (&north_key, "09121000003", Some("Sara"), 1, Some(3)),
            (&center_key, "09121000004", None, 3, None),
        ];
        for (key, phone, staff, _, _) in &served {
            let new = NewInvoice {
                staff: staff.map(str::to_string),
                ..invoice(phone)
            };
            invoices::create(s, key, &new, None, NOW, |r| {
                assert_eq!(r.invoice.staff.as_deref(), staff.map(str::trim));
                (201, String::new())
            })
            .await
            .unwrap();
        }
        assert_eq!(surveys::send_due(s, URL, NOW).await.unwrap(), 4);
        for (_, phone, _, rating, nps) in &served {
            let token = token_of(&survey_texts(s, &t, phone).await[0]);
            let answer = Answer {
                rating: *rating,
                nps: *nps,
                ..Default::default()
            };
            surveys::answer(s, &token, &answer, NOW + 60).await.unwrap();
        }

        let by_staff = async |scope: &Scope| {
            surveys::breakdown(s, &t, scope, Breakdown::Staff, 0, i64::MAX)
                .await
                .unwrap()
        };
        let ali = GroupScore {
            key: "Ali".into(),
            ratings: 2,
            average: Some(45),
            csat: Some(100),
            nps: Some(100),
        };
        let unknown = GroupScore {
            key: String::new(),
            ratings: 1,
            average: Some(30),
            csat: Some(0),
            nps: None,
        };
        let sara = GroupScore {
            key: "Sara".into(),
            ratings: 1,
            average: Some(10),
            csat: Some(0),
            nps: Some(-100),
        };
        assert_eq!(
            by_staff(&Scope::Every).await,
            [unknown.clone(), ali.clone(), sara]
        );
        // A branch manager of Center sees Center's staff only, and so does the rest of
        // their report.
        let mine = Scope::Only(vec![center.id]);
        assert_eq!(by_staff(&mine).await, [unknown, ali]);
        let r = surveys::report(s, &t, &mine, 0, i64::MAX).await.unwrap();
        assert_eq!((r.invited, r.answered, r.ratings), (3, 3, [0, 0, 1, 1, 1]));
        let tehran = crm::clock::Zone::named("Asia/Tehran").unwrap();
        let time = surveys::reports::over_time(
            s,
            &t,
            &mine,
            &tehran,
            Period::Week,
            NOW - 86_400,
            NOW + 86_400,
        )
        .await
        .unwrap();
        assert_eq!(time.shifts.iter().map(|(_, g)| g.ratings).sum::<i64>(), 3);

        // The CSV: the daily trend, then by branch, staff and shift (no item ratings
        // were given); a branch manager's has Center's answers only and no branch lines.
        let csv = async |scope: &Scope, branches: bool| {
            let w = Window {
                scope,
                zone: &tehran,
                period: Period::Day,
                since: NOW - 86_400 + 1,
                until: NOW + 1,
            };
            let text = surveys::reports::csv(s, &t, &w, branches).await.unwrap();
            assert!(text.starts_with('\u{FEFF}'));
            text.trim_start_matches('\u{FEFF}')
                .lines()
                .filter(|l| !l.starts_with("day,") || !l.ends_with(",0,,,"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let day = tehran.day_key(NOW);
        let (iso, jalali) = (
            format!("{}-{:02}-{:02}", day / 10_000, day / 100 % 100, day % 100),
            crm::jalali::JalaliDate::from_day_key(day)
                .unwrap()
                .iso_like(),
        );
        let shift = surveys::reports::Shift::of_minute(tehran.weekday_minute(NOW).1).name();
        assert_eq!(
            csv(&Scope::Every, true).await,
            [
                "section,key,jalali,answers,average,csat,nps".to_string(),
                format!("day,{iso},{jalali},4,3.3,50,0"),
                "branch,Center,,3,4.0,67,100".into(),
                "branch,North,,1,1.0,0,-100".into(),
                "staff,,,1,3.0,0,".into(),
                "staff,Ali,,2,4.5,100,100".into(),
                "staff,Sara,,1,1.0,0,-100".into(),
                format!("shift,{shift},,4,3.3,50,0"),
            ]
        );
        assert_eq!(
            csv(&mine, false).await,
            [
                "section,key,jalali,answers,average,csat,nps".to_string(),
                format!("day,{iso},{jalali},3,4.0,67,100"),
                "staff,,,1,3.0,0,".into(),
                "staff,Ali,,2,4.5,100,100".into(),
                format!("shift,{shift},,3,4.0,67,100"),
            ]
        );
        // The tenant's own shift windows: evening from 00:02 to midnight puts every
        // answer in the evening.
        let mut knobs = settings::get(s, &t).await.unwrap();
        knobs.shift_starts = [0, 1, 2, 24 * 60];
        settings::set(s, &t, &knobs).await.unwrap();
        assert_eq!(
            settings::get(s, &t).await.unwrap().shift_starts,
            [0, 1, 2, 1440]
        );
        let time = surveys::reports::over_time(
            s,
            &t,
            &Scope::Every,
            &tehran,
            Period::Month,
            NOW - 86_400,
            NOW + 86_400,
        )
        .await
        .unwrap();
        let shifts: Vec<_> = time.shifts.iter().map(|(s, g)| (*s, g.ratings)).collect();
        assert_eq!(shifts, [(surveys::reports::Shift::Evening, 4)]);
        assert_eq!(time.periods.len(), 1, "one month: {:?}", time.periods);
        let nothing = surveys::report(s, &t, &Scope::Only(vec![]), 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!((nothing.invited, nothing.answered), (0, 0));
        db
    })
    .await;
}
