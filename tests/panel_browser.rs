//! The owners' panel in headless Chromium: an operator signs in with the SMS code from
//! the console provider, picks the business, and visits every main page in Persian and
//! English, on a laptop and on a phone screen. Screenshots go to
//! `target/screenshots/panel/` (look at them when the pages change).
//!
//! Needs Debian's `chromium` and `chromium-driver`, like tests/browser.rs.

mod common;

use std::time::Duration;

use common::browser::{Browser, output_dir};
use common::{Db, otp_from_inbox};
use serde_json::json;

const OPERATOR: &str = "09120000001";

/// The bundled font is used and nothing but a table scrolls sideways.
fn check_layout(browser: &Browser, what: &str) {
    browser.wait_for(
        "[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Vazirmatn' && f.status === 'loaded')",
        Duration::from_secs(10),
        &format!("the Vazirmatn font on the {what}"),
    );
    let wide = browser.js(
        "return document.documentElement.scrollWidth - window.innerWidth;",
        json!([]),
    );
    assert!(
        wide.as_i64().unwrap_or(1) <= 0,
        "the {what} scrolls sideways by {wide}px"
    );
}

fn submit(browser: &Browser, action: &str) {
    browser.click(&format!("form[action='{action}'] button[type=submit]"));
}

/// A week of guests on a router of the first branch, so the dashboard's charts, tiles and
/// top groups show data; one of them still online.
fn seed_usage(db: &Db) {
    db.ok(&[
        "nas",
        "add",
        "--name",
        "hq",
        "--address",
        "192.0.2.20",
        "--secret",
        "s3cret-s3cret",
        "--branch",
        "شعبه مرکز",
    ]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = db.store(&rt);
    let tenant = rt.block_on(crm::tenants::ensure_default(&store)).unwrap();
    let hq = rt
        .block_on(crm::nas::by_name(&store, &tenant, "hq"))
        .unwrap();
    let now = crm::clock::now();
    let mut records = Vec::new();
    for (i, phone) in ["09121110001", "09121110002", "09351110003"]
        .iter()
        .enumerate()
    {
        let c = rt
            .block_on(crm::customers::by_phone(&store, &tenant, phone))
            .unwrap();
        for day in 0..7_i64 {
            let at = now - day * 86_400 - 600;
            let session = format!("{phone}-{day}");
            let octets = ((day + 1) * (i as i64 + 2) * 37) << 20;
            let status = if day == 0 && i == 0 {
                crm::accounting::AcctStatus::Interim
            } else {
                crm::accounting::AcctStatus::Stop
            };
            let subject = Some(crm::hotspot::Subject::Customer(c.id));
            let mut r =
                common::usage::record(&tenant, hq.id, &session, subject, status, octets, at);
            r.group_id = c.group_id;
            records.push(r);
        }
    }
    rt.block_on(crm::accounting::record_batch(&store, &records))
        .unwrap();
}

#[test]
fn operator_signs_in_and_visits_every_page_in_both_languages() {
    let db = Db::sqlite();
    db.ok(&["admin", "create", "--phone", OPERATOR, "--name", "Ops"]);
    for branch in ["شعبه مرکز", "شعبه ونک"] {
        db.ok(&["branch", "add", "--name", branch]);
    }
    for (phone, name) in [
        ("09121110001", "علی رضایی"),
        ("09121110002", "Sara Karimi"),
        ("09351110003", "مریم احمدی"),
    ] {
        db.ok(&["customer", "add", "--phone", phone, "--name", name]);
    }
    seed_usage(&db);
    // Club data for the club pages: credit, a coupon batch, a fraud flag.
    db.ok(&["branch", "add", "--name", "مرکزی"]);
    db.ok(&[
        "club",
        "settings",
        "--fraud-manual-amount",
        "80000",
        "--tier",
        "برنزی:0:10000",
        "--tier",
        "طلایی:5000000:15000",
    ]);
    db.ok(&[
        "club",
        "credit",
        "09121110001",
        "25000",
        "--reason",
        "خوش‌آمد",
    ]);
    db.ok(&[
        "club",
        "credit",
        "09121110002",
        "90000",
        "--reason",
        "vip",
        "--staff",
        "999",
    ]);
    db.ok(&[
        "coupon", "create", "--name", "یلدا", "--value", "50000", "--count", "5",
    ]);
    for phone in ["09121110001", "09121110002"] {
        db.ok(&["club", "birthday", phone, "09-13"]);
    }
    let server = db.serve(&[]);
    let http = server.http.clone().unwrap();
    let base = format!("http://{http}/panel");
    // A low survey score with a picture and a voice message: a case to follow up.
    let case = common::survey::low_score_case(&db, &server, "default", "Center", "09121110001");
    let browser = Browser::start(&output_dir("panel"), 1280, 860);

    browser.goto(&format!("{base}/login"));
    browser.wait_page("document.getElementById('phone')", "the login page");
    assert!(browser.exists("html[dir=rtl][lang=fa]"), "Persian first");
    check_layout(&browser, "login page");
    browser.screenshot("login-fa.png");
    browser.type_into("#phone", "۰۹۱۲ ۰۰۰ ۰۰۰۱");
    submit(&browser, "/panel/login");
    browser.wait_page("document.getElementById('code')", "the code page");
    browser.screenshot("code-fa.png");
    let code = otp_from_inbox(&db, OPERATOR);
    browser.type_into("#code", &code);
    submit(&browser, "/panel/login/verify");
    browser.wait_page("document.querySelector('.choice')", "the tenant picker");
    check_layout(&browser, "tenant picker");
    browser.screenshot("tenants-fa.png");
    browser.click(".choice");
    browser.wait_page("document.querySelector('svg.chart')", "the dashboard");

    // A router, through the form.
    browser.goto(&format!("{base}/routers"));
    browser.wait_page("document.getElementById('address')", "the routers page");
    browser.type_into("#name", "کافه مرکزی");
    browser.type_into("#address", "192.0.2.10");
    submit(&browser, "/panel/routers");
    let link = "document.querySelector(\"table.list a[href*='/routers/']\")";
    browser.wait_page(link, "the new router");
    let href = |what: &str| {
        browser
            .js(&format!("return {what}.href;"), json!([]))
            .as_str()
            .unwrap()
            .to_string()
    };
    let router = href(link);
    browser.goto(&format!("{base}/groups"));
    browser.wait_page("document.querySelector('table.list a')", "the groups");
    let group = href("document.querySelector('table.list a')");
    // A custom role, for its edit page.
    browser.goto(&format!("{base}/people"));
    browser.wait_page("document.getElementById('role-name')", "the people page");
    browser.type_into("#role-name", "صندوق‌دار شب");
    browser.click("input[name=permission][value=view_customers]");
    submit(&browser, "/panel/roles");
    let role_link = "document.querySelector(\"a[href*='/roles/']\")";
    browser.wait_page(role_link, "the new role");
    let role = href(role_link);

    // A batch of vouchers: straight to its printable cards.
    browser.goto(&format!("{base}/vouchers"));
    browser.wait_page("document.getElementById('count')", "the vouchers page");
    browser.type_into("#count", "۶");
    submit(&browser, "/panel/vouchers");
    browser.wait_page("location.pathname.endsWith('/print')", "the voucher cards");
    browser.screenshot("voucher-cards.png");

    // A change, so the audit log has something to show.
    browser.goto(&format!("{base}/customers?q=0912"));
    browser.wait_page(
        "document.querySelector('table.list a')",
        "the customer list",
    );
    browser.click("table.list a");
    browser.wait_page("document.querySelector('button.danger')", "a customer page");
    browser.click("button.danger");
    browser.wait_page(
        "document.querySelector('h1 .badge.bad')",
        "the blocked customer",
    );
    let customer = browser.url();

    // The case: a note and the canned reply, so its history has them.
    browser.goto(&format!("{base}/cases/{case}"));
    browser.wait_page("document.getElementById('note')", "the case page");
    browser.type_into("#note", "تماس گرفتم؛ جمعه دوباره می‌آید.");
    submit(&browser, &format!("/panel/cases/{case}/note"));
    browser.wait_page(
        "document.querySelector('li[data-kind=note]')",
        "the note on the case",
    );
    browser.click(&format!("form[action='/panel/cases/{case}/reply'] button"));
    browser.wait_page(
        "document.querySelectorAll('li[data-kind=reply]').length === 2",
        "the one-click reply",
    );
    let picture = browser.js(
        "const i = document.querySelector('.media img'); return i.complete && i.naturalWidth;",
        json!([]),
    );
    assert_eq!(picture, json!(96), "the picture is served to the panel");

    // The precision add-on with a few questions, for the survey settings page.
    db.ok(&["survey", "settings", "--precision", "on"]);
    for args in [
        &[
            "--kind",
            "nps",
            "--label",
            "چقدر ما را به دوستانتان پیشنهاد می‌کنید؟",
            "--required",
        ][..],
        &[
            "--kind",
            "multi",
            "--label",
            "چه چیزی خوب نبود؟",
            "--option",
            "کندی سرویس",
            "--option",
            "سرد بودن غذا",
            "--label-en",
            "What went wrong?",
            "--option-en",
            "Slow service",
            "--option-en",
            "Cold food",
            "--required",
            "--show-if-at-most",
            "2",
        ],
    ] {
        db.ok(&[&["survey", "question", "add"][..], args].concat());
    }
    // A phone outside the panel texted about low scores, on the settings page.
    db.ok(&["survey", "settings", "--alert-phone", "09121234567"]);
    for lang in ["fa", "en"] {
        let pages = [
            ("dashboard", format!("{base}/?lang={lang}")),
            ("customers", format!("{base}/customers")),
            ("customer", customer.clone()),
            ("ledger", format!("{customer}/ledger")),
            ("sessions", format!("{base}/sessions")),
            ("routers", format!("{base}/routers")),
            ("router", router.clone()),
            ("groups", format!("{base}/groups")),
            ("group", group.clone()),
            ("role", role.clone()),
            ("vouchers", format!("{base}/vouchers")),
            ("people", format!("{base}/people")),
            ("audit", format!("{base}/audit")),
            ("club", format!("{base}/club")),
            ("club-members", format!("{base}/club/members")),
            ("club-settings", format!("{base}/club/settings")),
            ("coupons", format!("{base}/coupons")),
            ("decisions", format!("{base}/club/decisions")),
            ("reports", format!("{base}/reports")),
            ("cases", format!("{base}/cases")),
            ("case", format!("{base}/cases/{case}")),
            ("feedback", format!("{base}/feedback")),
            ("feedback-monthly", format!("{base}/feedback?period=month")),
            ("branches", format!("{base}/feedback/branches")),
            ("notifications", format!("{base}/notifications")),
            ("survey-settings", format!("{base}/surveys/settings")),
        ];
        for (name, url) in pages {
            browser.goto(&url);
            browser.wait_page("document.querySelector('main h1')", name);
            let html = browser.js(
                "return [document.documentElement.lang, document.documentElement.dir];",
                json!([]),
            );
            let dir = if lang == "fa" { "rtl" } else { "ltr" };
            assert_eq!(html, json!([lang, dir]), "{name} in {lang}");
            check_layout(&browser, &format!("{name} page ({lang})"));
            browser.screenshot(&format!("{name}-{lang}.png"));
            // The long pages' lower halves too.
            let lower = match name {
                "dashboard" => Some("section.card:nth-of-type(2)"),
                "case" => Some(".timeline"),
                "feedback" | "feedback-monthly" => Some("section.card:nth-of-type(2)"),
                "survey-settings" => Some("#questions"),
                _ => None,
            };
            if let Some(selector) = lower {
                browser.js(
                    "document.querySelector(arguments[0]).scrollIntoView();",
                    json!([selector]),
                );
                browser.screenshot(&format!("{name}-lower-{lang}.png"));
            }
            // Satisfaction by staff member (the invoice's cashier), and who is alerted.
            let more = match name {
                "feedback" => Some(("staff", "[...document.querySelectorAll('main h2')].pop()")),
                "survey-settings" => Some(("alerts", "document.getElementById('alerts')")),
                _ => None,
            };
            if let Some((part, element)) = more {
                browser.js(&format!("{element}.scrollIntoView();"), json!([]));
                browser.screenshot(&format!("{name}-{part}-{lang}.png"));
            }
        }
    }

    // Refused group values, each reason next to its field.
    for lang in ["fa", "en"] {
        browser.goto(&format!("{group}?lang={lang}"));
        browser.wait_page("document.getElementById('devices')", "the group form");
        browser.type_into("#devices", "0");
        browser.type_into("#priority", "9");
        browser.type_into("#burst_limit", "4M/16M");
        browser.type_into("#allowed_hours", "whenever");
        browser.click("form.group-form button[type=submit]");
        browser.wait_page("document.getElementById('devices-error')", "the reasons");
        check_layout(&browser, &format!("group errors ({lang})"));
        browser.screenshot(&format!("group-errors-{lang}.png"));
    }
    // Refused club settings: each message next to its field.
    browser.goto(&format!("{base}/club/settings?lang=fa"));
    browser.wait_page("document.getElementById('expiry_days')", "club settings");
    browser.type_into("#earn_rate", "زیاد");
    browser.type_into("#expiry_days", "۰");
    browser.type_into("#tiers", "gold 5000000");
    submit(&browser, "/panel/club/settings");
    browser.wait_page(
        "document.getElementById('expiry_days-error')",
        "the refused settings",
    );
    assert!(browser.exists("#earn_rate-error") && browser.exists("#tiers-error"));
    check_layout(&browser, "refused club settings");
    browser.screenshot("club-settings-refused-fa.png");
    // Refused survey settings and a refused question, in both languages.
    for lang in ["fa", "en"] {
        browser.goto(&format!("{base}/surveys/settings?lang={lang}"));
        browser.wait_page(
            "document.getElementById('delay_minutes')",
            "survey settings",
        );
        browser.type_into("#delay_minutes", "فردا");
        browser.type_into("#quiet_hours", "25:00-09:00");
        submit(&browser, "/panel/surveys/settings");
        browser.wait_page(
            "document.getElementById('quiet_hours-error')",
            "the refused survey settings",
        );
        assert!(browser.exists("#delay_minutes-error"));
        check_layout(&browser, &format!("refused survey settings ({lang})"));
        browser.screenshot(&format!("survey-settings-refused-{lang}.png"));
        browser.goto(&format!("{base}/surveys/settings?lang={lang}"));
        browser.wait_page(
            "document.getElementById('label-0')",
            "the new question form",
        );
        browser.type_into("#label-0", "کجا نشستید؟");
        browser.type_into("#options-0", "داخل");
        browser.click("#question-0 button[value=add]");
        browser.wait_page(
            "document.querySelector('#question-0 .error')",
            "the refused question",
        );
        browser.js(
            "document.getElementById('question-0').scrollIntoView();",
            json!([]),
        );
        browser.screenshot(&format!("survey-question-refused-{lang}.png"));
    }

    // The operator makes someone the owner; the owner uses a phone.
    browser.goto(&format!("{base}/people?lang=fa"));
    browser.wait_page("document.getElementById('role')", "the people page");
    browser.type_into("#phone", "09121230000");
    browser.type_into("#name", "مالک کافه");
    submit(&browser, "/panel/people");
    browser.wait_page(
        "document.body.textContent.includes('۰۹۱۲۱۲۳۰۰۰۰')",
        "the new owner",
    );
    // Now there is someone to alert about low scores: ticked and saved.
    browser.goto(&format!("{base}/surveys/settings?lang=fa#alerts"));
    browser.wait_page(
        "document.querySelector('#alerts input[name=user]')",
        "the people to alert",
    );
    browser.click("#alerts input[name=user]");
    browser.click("#alerts button[type=submit]");
    browser.wait_page(
        "document.querySelector('#alerts input[name=user]:checked')",
        "the saved choice",
    );
    browser.js(
        "document.getElementById('alerts').scrollIntoView();",
        json!([]),
    );
    check_layout(&browser, "alert people");
    browser.screenshot("survey-settings-alerts-chosen-fa.png");
    drop(browser);
    let phone = Browser::start(&output_dir("panel"), 390, 844);
    phone.goto(&format!("{base}/login"));
    phone.wait_page(
        "document.getElementById('phone')",
        "the login page on a phone",
    );
    check_layout(&phone, "login page on a phone");
    phone.screenshot("login-phone-fa.png");
    phone.type_into("#phone", "09121230000");
    submit(&phone, "/panel/login");
    phone.wait_page(
        "document.getElementById('code')",
        "the code page on a phone",
    );
    phone.type_into("#code", &otp_from_inbox(&db, "09121230000"));
    submit(&phone, "/panel/login/verify");
    // One business: straight to its dashboard.
    phone.wait_page(
        "document.querySelector('svg.chart')",
        "the dashboard on a phone",
    );
    for (name, url) in [
        ("dashboard", format!("{base}/")),
        ("customers", format!("{base}/customers")),
        ("customer", customer.clone()),
        ("people", format!("{base}/people")),
        ("club-members", format!("{base}/club/members")),
        ("club-settings", format!("{base}/club/settings")),
        ("reports", format!("{base}/reports")),
        ("case", format!("{base}/cases/{case}")),
        ("feedback", format!("{base}/feedback")),
    ] {
        phone.goto(&url);
        phone.wait_page("document.querySelector('main h1')", name);
        check_layout(&phone, &format!("{name} page on a phone"));
        phone.screenshot(&format!("{name}-phone-fa.png"));
    }
    drop(phone);
    server.stop();
    db.cleanup();
}
