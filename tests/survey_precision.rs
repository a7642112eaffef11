//! End-to-end, the "precision" add-on: questions defined with `smartx survey question`,
//! asked on the survey page (a required one missing → the form again with the message
//! next to it, nothing stored; the "what went wrong" question asked only after a low
//! rating; several options stored), counted in the report — the real binary on SQLite and
//! PostgreSQL; and the page on a phone-sized screen in headless Chromium.

mod common;

use std::time::Duration;

use common::browser::Browser;
use common::{Db, HttpResponse, Server, form_encode, http_request};
use serde_json::json;

const PHONE: &str = "09125550000";
const HAPPY_PHONE: &str = "09125550001";

/// The question ids in the order `survey questions` lists them.
fn question_ids(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Turns the add-on on and defines the questions: recommend (0-10, required), what went
/// wrong (several options, required, only at 2 stars or less), where did you sit (one
/// option), each part (per category), anything else (text). Their ids, in order.
fn define_questions(db: &Db) -> Vec<String> {
    let l = db.label;
    let off = db.ok(&["survey", "settings"]);
    assert!(off.contains("precision      off"), "[{l}] {off}");
    let on = db.ok(&["survey", "settings", "--precision", "on"]);
    assert!(on.contains("precision      on"), "[{l}] {on}");
    assert!(
        on.contains("shifts         06:00 12:00 17:00 22:00"),
        "[{l}] {on}"
    );
    let shifts = db.ok(&["survey", "settings", "--shifts", "07:00 12:00 17:00 24:00"]);
    assert!(
        shifts.contains("shifts         07:00 12:00 17:00 24:00"),
        "[{l}] {shifts}"
    );
    let bad = db.fails(&["survey", "settings", "--shifts", "12:00 07:00 17:00 24:00"]);
    assert!(bad.contains("shifts must start in order"), "[{l}] {bad}");
    let q = |args: &[&str]| db.ok(&[&["survey", "question", "add"][..], args].concat());
    q(&[
        "--kind",
        "nps",
        "--label",
        "چقدر ما را پیشنهاد می‌کنید؟",
        "--required",
    ]);
    q(&[
        "--kind",
        "multi",
        "--label",
        "چه چیزی خوب نبود؟",
        "--option",
        "کندی سرویس",
        "--option",
        "سرد بودن غذا",
        "--option",
        "برخورد کارکنان",
        "--label-en",
        "What went wrong?",
        "--option-en",
        "Slow service",
        "--option-en",
        "Cold food",
        "--option-en",
        "Staff manner",
        "--required",
        "--show-if-at-most",
        "2",
    ]);
    q(&[
        "--kind",
        "choice",
        "--label",
        "کجا نشستید؟",
        "--option",
        "داخل",
        "--option",
        "حیاط",
    ]);
    q(&["--kind", "categories", "--label", "به هر بخش امتیاز دهید"]);
    q(&["--kind", "text", "--label", "چیز دیگری؟"]);
    let listing = db.ok(&["survey", "questions"]);
    // Definitions are checked with a clear reason.
    let bad = db.fails(&[
        "survey", "question", "add", "--kind", "choice", "--label", "x", "--option", "one",
    ]);
    assert!(bad.contains("2 to 10 options"), "[{l}] {bad}");
    let bad = db.fails(&[
        "survey", "question", "add", "--kind", "stars", "--label", "x",
    ]);
    assert!(bad.contains("unknown question kind"), "[{l}] {bad}");
    let bad = db.fails(&[
        "survey",
        "question",
        "add",
        "--kind",
        "choice",
        "--label",
        "x",
        "--option",
        "one",
        "--option",
        "two",
        "--option-en",
        "One",
    ]);
    assert!(bad.contains("one for each option"), "[{l}] {bad}");
    let ids = question_ids(&listing);
    assert_eq!(ids.len(), 5, "[{l}] {listing}");
    ids
}

fn page(server: &Server, path: &str) -> (HttpResponse, String, String) {
    let http = server.http.as_deref().unwrap();
    let page = http_request(http, "GET", path, &[], "");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.hidden("csrf").expect("csrf field");
    let cookie = page
        .header("set-cookie")
        .expect("csrf cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    (page, csrf, cookie)
}

fn post(server: &Server, path: &str, cookie: &str, fields: &[(&str, &str)]) -> HttpResponse {
    http_request(
        server.http.as_deref().unwrap(),
        "POST",
        path,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", cookie),
        ],
        &form_encode(fields),
    )
}

/// The HTML of the question's fieldset.
fn fieldset<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"q{id}\""))
        .unwrap_or_else(|| panic!("question {id} on the page: {body}"));
    let end = body[start..].find("</fieldset>").unwrap() + start;
    &body[start..end]
}

/// A second invoice for `phone` through the POS API with `key`.
fn another_invoice(db: &Db, server: &Server, key: &str, phone: &str) {
    let body = format!(
        r#"{{"phone": "{phone}", "amount": 150000,
            "items": [{{"name": "Tea", "category": "drinks", "qty": 1, "unit_price": 150000}}]}}"#
    );
    common::survey::post_invoice(db, server, key, &body);
}

#[test]
fn a_precision_survey_is_answered_over_http() {
    for db in Db::both() {
        let l = db.label;
        let server = db.serve(&[]);
        let key = common::survey::invoice(&db, &server, "default", "Center", PHONE);
        let path = common::survey::send_due(&db, "default", PHONE);

        // Without the add-on: the basic survey.
        let (basic, _, _) = page(&server, &path);
        assert!(!basic.body.contains("class=\"question"), "[{l}]");
        assert!(basic.body.contains("name=\"nps\""), "[{l}]");

        let ids = define_questions(&db);
        let (recommend, why, seat, parts, _text) = (&ids[0], &ids[1], &ids[2], &ids[3], &ids[4]);
        let (form, csrf, cookie) = page(&server, &path);
        let body = &form.body;
        assert!(body.contains("چه چیزی خوب نبود؟"), "[{l}] {body}");
        assert!(fieldset(body, why).contains("data-show-if=\"2\""), "[{l}]");
        assert!(fieldset(body, why).contains("type=\"checkbox\""), "[{l}]");
        assert!(fieldset(body, seat).contains("type=\"radio\""), "[{l}]");
        assert!(
            fieldset(body, parts).contains("drinks"),
            "[{l}] the invoice's category"
        );
        // The tenant asks its own 0–10 question, so the basic one is left out.
        assert!(!body.contains("name=\"nps\""), "[{l}]");
        // Labels in the page's language: Persian here; on the English page the English
        // ones where the tenant wrote them, the Persian where it did not.
        assert!(!body.contains("What went wrong?") && !body.contains("Cold food"));
        let (english, en_csrf, en_cookie) = page(&server, &format!("{path}?lang=en"));
        let why_en = fieldset(&english.body, why);
        for text in [
            "What went wrong?",
            "Slow service",
            "Cold food",
            "Staff manner",
        ] {
            assert!(why_en.contains(text), "[{l}] {text}: {why_en}");
        }
        assert!(!why_en.contains("سرد بودن غذا"), "[{l}] {why_en}");
        let seat_en = fieldset(&english.body, seat);
        assert!(
            seat_en.contains("کجا نشستید؟") && seat_en.contains("حیاط"),
            "[{l}] no English: the Persian {seat_en}"
        );
        assert!(english.body.contains("lang=\"en\""), "[{l}]");
        // Refused on the English page: shown again in English, labels included.
        let r = post(
            &server,
            &path,
            &en_cookie,
            &[
                ("csrf", en_csrf.as_str()),
                ("lang", "en"),
                ("rating", "2"),
                (&format!("q{recommend}"), "3"),
            ],
        );
        assert_eq!(r.status, 422, "[{l}] {}", r.body);
        let why_en = fieldset(&r.body, why);
        assert!(
            why_en.contains("What went wrong?") && why_en.contains("Please answer this question"),
            "[{l}] {why_en}"
        );

        // Two stars without "what went wrong" (required after a low rating): the form
        // again, the message next to that question, nothing stored.
        let low = |extra: &[(&str, &str)]| {
            let mut fields = vec![("csrf", csrf.as_str()), ("lang", "fa"), ("rating", "2")];
            fields.extend_from_slice(extra);
            post(&server, &path, &cookie, &fields)
        };
        let q_rec = format!("q{recommend}");
        let q_why = format!("q{why}");
        let q_seat = format!("q{seat}");
        let r = low(&[(&q_rec, "3"), (&q_seat, "1")]);
        assert_eq!(r.status, 422, "[{l}] {}", r.body);
        assert!(
            fieldset(&r.body, why).contains("لطفاً به این پرسش پاسخ دهید"),
            "[{l}] {}",
            r.body
        );
        assert!(
            !fieldset(&r.body, recommend).contains("field-error"),
            "[{l}]"
        );
        assert!(
            fieldset(&r.body, seat).contains("value=\"1\" checked"),
            "[{l}] what was chosen is kept"
        );
        // A choice question takes one option only.
        let r = low(&[(&q_rec, "3"), (&q_seat, "0"), (&q_seat, "1"), (&q_why, "0")]);
        assert_eq!(r.status, 422, "[{l}] {}", r.body);
        assert!(
            fieldset(&r.body, seat).contains("فقط یک گزینه"),
            "[{l}] {}",
            r.body
        );
        let report = db.ok(&["survey", "report", "--days", "1"]);
        assert!(report.contains("answered       0"), "[{l}] {report}");

        let q_part = format!("q{parts}_0");
        let r = low(&[
            (&q_rec, "3"),
            (&q_seat, "1"),
            (&q_why, "0"),
            (&q_why, "1"),
            (&q_part, "1"),
        ]);
        assert_eq!(r.status, 200, "[{l}] {}", r.body);

        // Five stars: "what went wrong" is not asked, so not required; sent anyway, dropped.
        another_invoice(&db, &server, &key, HAPPY_PHONE);
        let happy_path = common::survey::send_due(&db, "default", HAPPY_PHONE);
        let (_, csrf2, cookie2) = page(&server, &happy_path);
        let r = post(
            &server,
            &happy_path,
            &cookie2,
            &[
                ("csrf", &csrf2),
                ("rating", "5"),
                (&q_rec, "10"),
                (&q_seat, "0"),
                (&q_why, "2"),
            ],
        );
        assert_eq!(r.status, 200, "[{l}] {}", r.body);

        // The report: NPS from the tenant's 0–10 question, and the option shares.
        let report = db.ok(&["survey", "report", "--days", "1"]);
        assert!(report.contains("answered       2"), "[{l}] {report}");
        assert!(
            report.contains("NPS            0 of 2 answers"),
            "[{l}] {report}"
        );
        assert!(
            report.contains("چه چیزی خوب نبود؟ (1 answers)"),
            "[{l}] {report}"
        );
        let share = |label: &str| {
            report
                .lines()
                .find(|line| line.trim_start().starts_with(label))
                .unwrap_or_else(|| panic!("[{l}] {label}: {report}"))
                .split_whitespace()
                .last()
                .unwrap()
                .to_string()
        };
        assert_eq!(share("کندی سرویس"), "100%");
        assert_eq!(
            share("برخورد کارکنان"),
            "0%",
            "the happy customer's answer was dropped"
        );
        assert_eq!(share("حیاط"), "50%");

        // The panel: the case page lists the answers, the report the option shares.
        db.ok(&["admin", "create", "--phone", "09120000001"]);
        let mut op = common::panel::sign_in(&db, server.http.as_deref().unwrap(), "09120000001");
        common::panel::select_tenant(&mut op, "default");
        let case = db.ok(&["survey", "cases"]);
        let case = case
            .lines()
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap();
        let page = op.get(&format!("/panel/cases/{case}?lang=en"));
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        // English where the question has it, the Persian where it has not.
        assert!(
            page.body.contains("What went wrong?")
                && page.body.contains("Slow service, Cold food")
                && page.body.contains("کجا نشستید؟")
                && page.body.contains("حیاط")
                && page.body.contains("drinks: ★☆☆☆☆"),
            "[{l}] {}",
            page.body
        );
        assert!(!page.body.contains("چه چیزی خوب نبود؟"), "[{l}]");
        let page = op.get(&format!("/panel/cases/{case}?lang=fa"));
        assert!(
            page.body.contains("چه چیزی خوب نبود؟")
                && page.body.contains("کندی سرویس، سرد بودن غذا"),
            "[{l}] {}",
            page.body
        );
        let report = op.get("/panel/feedback?lang=en");
        assert!(
            report.body.contains("“Precision” add-on: on")
                && report.body.contains("answers: 1")
                && report.body.contains("What went wrong?")
                && report.body.contains("Slow service")
                && report.body.contains("حیاط"),
            "[{l}] {}",
            report.body
        );
        assert!(!report.body.contains("کندی سرویس"), "[{l}]");
        let report = op.get("/panel/feedback?lang=fa");
        assert!(
            report.body.contains("چه چیزی خوب نبود؟") && report.body.contains("کندی سرویس"),
            "[{l}]"
        );
        server.stop();
        db.cleanup();
    }
}

#[test]
fn a_phone_browser_sees_the_branch_question_after_a_low_rating() {
    let db = Db::sqlite();
    let server = db.serve(&[]);
    common::survey::invoice(&db, &server, "default", "Center", PHONE);
    let path = common::survey::send_due(&db, "default", PHONE);
    let ids = define_questions(&db);
    let browser = Browser::start(&common::survey::out_dir(), 390, 844);
    for lang in ["fa", "en"] {
        browser.goto(&format!(
            "http://{}{path}?lang={lang}",
            server.http.as_deref().unwrap()
        ));
        browser.wait_page(
            "document.querySelector('fieldset.question')",
            "the survey page",
        );
        let why = format!("#q{}", ids[1]);
        let hidden = |b: &Browser| {
            b.js(
                &format!("return document.querySelector('{why}').hidden"),
                json!([]),
            )
        };
        assert_eq!(
            hidden(&browser),
            json!(true),
            "asked only after a low rating"
        );
        browser.click("fieldset.stars label:nth-of-type(5) span");
        assert_eq!(hidden(&browser), json!(true));
        browser.click("fieldset.stars label:nth-of-type(2) span");
        assert_eq!(hidden(&browser), json!(false), "shown after two stars");
        let layout = browser.js(
            r#"
            const problems = [];
            const doc = document.documentElement;
            if (doc.scrollWidth > window.innerWidth) problems.push(`scrolls sideways: ${doc.scrollWidth}`);
            for (const s of document.querySelectorAll('.choices label, .question .stars label > span, .question .nps label > span')) {
                const r = s.getBoundingClientRect();
                if (r.height && r.height < 36) problems.push(`"${s.textContent.trim()}" is ${r.height}px high`);
                if (r.right > window.innerWidth + 1 || r.left < -1) problems.push(`"${s.textContent.trim()}" leaves the screen`);
            }
            return problems;
            "#,
            json!([]),
        );
        assert_eq!(layout, json!([]), "{lang}: {layout}");
        browser.screenshot(&format!("precision-{lang}.png"));
        browser.js(
            &format!("document.querySelector('{why}').scrollIntoView()"),
            json!([]),
        );
        browser.screenshot(&format!("precision-{lang}-branch.png"));
    }
    // Sent without the required branch question: the message is next to it.
    browser.click("button[type=submit]");
    browser.wait_page("document.querySelector('.field-error')", "the refused form");
    browser.wait_for(
        "document.querySelector('.question.invalid') !== null",
        Duration::from_secs(5),
        "the marked question",
    );
    browser.js(
        "document.querySelector('.question.invalid').scrollIntoView()",
        json!([]),
    );
    browser.screenshot("precision-en-refused.png");
    drop(browser);
    server.stop();
    db.cleanup();
}
