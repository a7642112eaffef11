//! The "precision" add-on on SQLite and PostgreSQL: questions defined, checked, reordered
//! and removed; the page gets them only with the add-on; answers checked per question
//! (required, branch on a low rating, options), stored all or nothing, shown per case and
//! counted as option shares.

use crm::branches::Scope;
use crm::invoices::{self, NewInvoice, NewItem};
use crm::surveys::questions::{self, Kind, Question, Reply};
use crm::surveys::{self, Answer, SurveySettings, followup, settings};
use crm::testing::on_both;
use crm::{Error, Store, branches, pos_keys, sms, tenants};

/// An answer's parts as (number, text).
type Parts = Vec<(Option<i64>, Option<String>)>;

const NOW: i64 = 1_800_000_000;
const CLI: crm::audit::Actor = crm::audit::Actor::CLI;
const URL: &str = "https://club.example/";

fn question(
    kind: Kind,
    label: &str,
    options: &[&str],
    required: bool,
    show_if: Option<i64>,
) -> Question {
    Question {
        id: 0,
        kind,
        label: label.into(),
        options: options.iter().map(|o| o.to_string()).collect(),
        label_en: String::new(),
        options_en: vec![],
        required,
        show_if_at_most: show_if,
    }
}

/// Posts an invoice for `phone`, sends the invitation, returns the link's token.
async fn invited(
    s: &Store,
    t: &tenants::Tenant,
    key: &crm::pos_keys::PosKey,
    phone: &str,
    at: i64,
) -> String {
    let invoice = NewInvoice {
        phone: phone.into(),
        amount: 300_000,
        items: vec![
            NewItem {
                name: "Latte".into(),
                category: Some("Drinks".into()),
                qty: 1,
                unit_price: 150_000,
            },
            NewItem {
                name: "Cake".into(),
                category: Some("Dessert".into()),
                qty: 1,
                unit_price: 150_000,
            },
        ],
        reservation_id: None,
        pos_transaction_id: None,
        staff: None,
    };
    invoices::create(s, key, &invoice, None, at, |_| (201, String::new()))
        .await
        .unwrap();
    surveys::send_due(s, URL, at + 10_000).await.unwrap();
    let phone = crm::phone::Phone::parse(phone).unwrap();
    let body = sms::outbox(s, t, None, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.purpose == "survey" && m.phone == phone.e164())
        .unwrap()
        .body;
    body.rsplit("/s/").next().unwrap().trim().to_string()
}

#[tokio::test]
async fn precision_questions_are_defined_asked_checked_and_counted() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        settings::set(
            s,
            &t,
            &SurveySettings {
                enabled: true,
                delay_minutes: 0,
                quiet_start: 0,
                quiet_end: 0,
                cap_days: 0,
                ..Default::default()
            },
        )
        .await
        .unwrap();

        // Definitions are checked with a clear reason.
        let err = questions::add(
            s,
            &t,
            &question(Kind::Choice, "Why?", &["Only one"], false, None),
            CLI,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("2 to 10 options"), "{err}");
        assert!(matches!(
            questions::add(s, &t, &question(Kind::Nps, "x", &[], false, Some(5)), CLI).await,
            Err(Error::Invalid(_))
        ));
        let nps = questions::add(
            s,
            &t,
            &question(Kind::Nps, "Recommend us?", &[], true, None),
            CLI,
        )
        .await
        .unwrap();
        let why = questions::add(
            s,
            &t,
            &question(
                Kind::Multi,
                "What went wrong?",
                &["Slow", "Cold", "Rude"],
                true,
                Some(2),
            ),
            CLI,
        )
        .await
        .unwrap();
        let seat = questions::add(
            s,
            &t,
            &question(
                Kind::Choice,
                "Where did you sit?",
                &["Inside", "Terrace"],
                false,
                None,
            ),
            CLI,
        )
        .await
        .unwrap();
        let cats = questions::add(
            s,
            &t,
            &question(Kind::Categories, "Rate each part", &[], false, None),
            CLI,
        )
        .await
        .unwrap();
        let gone = questions::add(
            s,
            &t,
            &question(Kind::Text, "Anything else?", &[], false, None),
            CLI,
        )
        .await
        .unwrap();
        questions::shift(s, &t, seat, true, CLI).await.unwrap();
        questions::remove(s, &t, gone, CLI).await.unwrap();
        assert!(matches!(
            questions::remove(s, &t, gone, CLI).await,
            Err(Error::NotFound(_))
        ));
        let ids: Vec<i64> = questions::list(s, &t)
            .await
            .unwrap()
            .iter()
            .map(|q| q.id)
            .collect();
        assert_eq!(ids, [nps, seat, why, cats]);

        // Without the add-on the page is the basic survey.
        let token = invited(s, &t, &key, "09121111111", NOW).await;
        let page = surveys::open(s, &token, NOW + 20_000).await.unwrap();
        assert!(page.questions.is_empty());

        let mut knobs = settings::get(s, &t).await.unwrap();
        knobs.precision = true;
        settings::set(s, &t, &knobs).await.unwrap();
        assert!(settings::get(s, &t).await.unwrap().precision);
        let page = surveys::open(s, &token, NOW + 20_000).await.unwrap();
        assert_eq!(page.questions.len(), 4);
        assert_eq!(page.categories, ["Dessert", "Drinks"]);

        // A low rating asks "what went wrong", which is required: refused, nothing stored.
        let mut answer = Answer {
            rating: 2,
            questions: vec![
                (nps, Reply::Number(3)),
                (seat, Reply::Choices(vec![1])),
                (cats, Reply::Categories(vec![("Drinks".into(), 1)])),
            ],
            ..Default::default()
        };
        let err = surveys::answer(s, &token, &answer, NOW + 20_000)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains(&format!("question #{why}")),
            "{err}"
        );
        assert_eq!(
            surveys::report(s, &t, &Scope::Every, 0, i64::MAX)
                .await
                .unwrap()
                .answered,
            0
        );
        answer.questions.push((why, Reply::Choices(vec![0, 1])));
        let response = surveys::answer(s, &token, &answer, NOW + 20_000)
            .await
            .unwrap();

        // A happy customer is not asked it; an answer to it anyway is dropped.
        let happy = invited(s, &t, &key, "09122222222", NOW + 50_000).await;
        let happy_answer = Answer {
            rating: 5,
            questions: vec![
                (nps, Reply::Number(10)),
                (seat, Reply::Choices(vec![0])),
                (why, Reply::Choices(vec![2])),
            ],
            ..Default::default()
        };
        let happy_response = surveys::answer(s, &happy, &happy_answer, NOW + 60_000)
            .await
            .unwrap();
        assert!(happy_response > response);

        // The case page of the low score shows the answers in the questions' order.
        let case = surveys::cases::list(s, &t, false, 10).await.unwrap();
        assert_eq!(case.len(), 1);
        let detail = followup::detail(s, &t, case[0].id).await.unwrap();
        let shown: Vec<(String, Parts)> = detail
            .answers
            .iter()
            .map(|a| {
                (
                    a.label.clone(),
                    a.parts.iter().map(|p| (p.number, p.text.clone())).collect(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                ("Recommend us?".to_string(), vec![(Some(3), None)]),
                (
                    "Where did you sit?".to_string(),
                    vec![(Some(1), Some("Terrace".into()))]
                ),
                (
                    "What went wrong?".to_string(),
                    vec![
                        (Some(0), Some("Slow".into())),
                        (Some(1), Some("Cold".into()))
                    ]
                ),
                (
                    "Rate each part".to_string(),
                    vec![(Some(1), Some("Drinks".into()))]
                ),
            ]
        );

        // Option shares: "what went wrong" was answered once (the happy one was dropped).
        let shares = questions::choice_shares(s, &t, &Scope::Every, 0, i64::MAX)
            .await
            .unwrap();
        let seat_share = shares
            .iter()
            .find(|c| c.label == "Where did you sit?")
            .unwrap();
        assert_eq!(seat_share.answered, 2);
        assert_eq!(
            seat_share.options,
            vec![
                ("Inside".into(), 1, Some(50)),
                ("Terrace".into(), 1, Some(50))
            ]
        );
        let why_share = shares
            .iter()
            .find(|c| c.label == "What went wrong?")
            .unwrap();
        assert!(why_share.multi);
        assert_eq!(why_share.answered, 1);
        assert_eq!(
            why_share.options,
            vec![
                ("Slow".into(), 1, Some(100)),
                ("Cold".into(), 1, Some(100)),
                ("Rude".into(), 0, Some(0))
            ]
        );
        // Removing or editing a question keeps earlier answers readable.
        questions::update(
            s,
            &t,
            seat,
            &question(
                Kind::Choice,
                "Where did you sit?",
                &["Indoors", "Terrace"],
                false,
                None,
            ),
            CLI,
        )
        .await
        .unwrap();
        let shares = questions::choice_shares(s, &t, &Scope::Every, 0, i64::MAX)
            .await
            .unwrap();
        let seat_share = shares
            .iter()
            .find(|c| c.label == "Where did you sit?")
            .unwrap();
        assert_eq!(
            seat_share.options,
            vec![
                ("Indoors".into(), 0, Some(0)),
                ("Terrace".into(), 1, Some(50)),
                ("Inside".into(), 1, Some(50))
            ]
        );
        // Other tenants cannot touch these questions.
        let other = tenants::create(s, "Other").await.unwrap();
        assert!(matches!(
            questions::remove(s, &other, nps, CLI).await,
            Err(Error::NotFound(_))
        ));
        assert!(questions::list(s, &other).await.unwrap().is_empty());
        // Every change to the questions is in the audit log.
        let actions: Vec<String> = crm::audit::list(s, &t, None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a.starts_with("survey.question"))
            .collect();
        assert_eq!(actions.len(), 8, "{actions:?}");
        db
    })
    .await;
}
