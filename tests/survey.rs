//! End-to-end: a POS invoice queues a survey; `smartx survey send-due` texts the link;
//! the page lists the invoice's items; the answer is stored once — the real binary on
//! SQLite and PostgreSQL; and the page answered in headless Chromium on a phone-sized
//! screen (screenshots in `target/test-output/survey/`).

mod common;

use std::time::Duration;

use common::browser::Browser;
use common::survey::{item_fields, post_bytes};
use common::{Db, HttpResponse, Server, form_encode, http_request};
use serde_json::json;

const PHONE: &str = "09125550000";

fn get(server: &Server, path: &str) -> HttpResponse {
    http_request(server.http.as_deref().unwrap(), "GET", path, &[], "")
}

fn post(server: &Server, path: &str, cookie: Option<&str>, body: &str) -> HttpResponse {
    let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
    if let Some(c) = cookie {
        headers.push(("Cookie", c));
    }
    http_request(
        server.http.as_deref().unwrap(),
        "POST",
        path,
        &headers,
        body,
    )
}

/// `invoiced`, then the survey SMS sent by `smartx survey send-due` (the worker has no
/// public URL here); returns the server and the survey page's path.
fn invited(db: &Db) -> (Server, String) {
    let server = invoiced(db);
    let path = common::survey::send_due(db, "default", PHONE);
    (server, path)
}

/// Surveys on (no delay, no quiet hours, alerts to 09120000099, an unhappy reply), a
/// server without a public URL, and one POS invoice for `PHONE`.
fn invoiced(db: &Db) -> Server {
    let l = db.label;
    let server = db.serve(&[]);
    common::survey::invoice(db, &server, "default", "Center", PHONE);
    let shown = db.ok(&["survey", "settings", "--alert-phone", "09120000099"]);
    assert!(shown.contains("enabled        true"), "[{l}] {shown}");
    assert!(
        db.fails(&["survey", "settings", "--max-reminders", "9"])
            .contains("at most 5")
    );
    server
}

#[test]
fn a_pos_invoice_is_surveyed_by_sms_and_answered_once() {
    for db in Db::both() {
        let l = db.label;
        let (server, path) = invited(&db);
        // The page: Persian, right to left, the invoice's items with stars.
        let page = get(&server, &path);
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        assert!(page.body.contains("dir=\"rtl\""));
        assert!(page.body.contains("Latte") && page.body.contains("Cheesecake"));
        assert!(page.body.contains("در مجموع چقدر راضی بودید؟"));
        assert!(page.body.contains("× ۲"), "quantities in Persian digits");
        let items = item_fields(&page.body);
        assert_eq!(items.len(), 2, "[{l}] {}", page.body);
        let csrf = page.hidden("csrf").expect("csrf field");
        let set_cookie = page.header("set-cookie").expect("csrf cookie");
        assert!(set_cookie.contains("Path=/s"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let english = get(&server, &format!("{path}?lang=en"));
        assert!(english.body.contains("Overall, how satisfied were you?"));
        assert!(english.body.contains("dir=\"ltr\""));

        // Unknown links get a clear page.
        let unknown = get(&server, "/s/AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(unknown.status, 404);
        assert!(unknown.body.contains("پیوند نامعتبر"));
        assert_eq!(get(&server, "/s/..%2F..%2Fetc").status, 404);

        // Media: sniffed types, per-kind sizes, CSRF, at most three, nothing else stored.
        let upload = |path: &str, csrf: Option<&str>, body: &[u8]| {
            post_bytes(server.http.as_deref().unwrap(), path, &cookie, csrf, body)
        };
        let media = format!("{path}/media");
        let photo = b"\xFF\xD8\xFF\xE0 a tiny jpeg";
        assert_eq!(
            upload(&media, None, b"OggS voice").status,
            403,
            "[{l}] no CSRF header"
        );
        let r = upload(&media, Some(&csrf), b"<svg onload=alert(1)>");
        assert_eq!(r.status, 422, "[{l}] {}", r.body);
        assert!(r.body.contains("only photos"), "{}", r.body);
        let mut big_photo = b"\xFF\xD8\xFF".to_vec();
        big_photo.resize(5 * 1024 * 1024 + 1, b'a');
        let r = upload(&media, Some(&csrf), &big_photo);
        assert_eq!(r.status, 422, "[{l}] {}", r.body);
        assert!(r.body.contains("at most 5 MiB"), "{}", r.body);
        let mut huge = b"\x1A\x45\xDF\xA3".to_vec();
        huge.resize(25 * 1024 * 1024 + 1, b'a');
        assert_eq!(
            upload(&media, Some(&csrf), &huge).status,
            413,
            "[{l}] over the body limit"
        );
        assert_eq!(
            upload("/s/..%2F..%2Fetc/media", Some(&csrf), photo).status,
            404
        );
        assert_eq!(
            upload("/s/AAAAAAAAAAAAAAAAAAAAAA/media", Some(&csrf), photo).status,
            404
        );
        let media_dir = db.dir().join("data").join("survey-media");
        assert!(
            !media_dir.exists(),
            "[{l}] nothing stored by refused uploads"
        );
        for body in [&photo[..], b"OggS voice", b"\0\0\0\x20ftypisom video"] {
            let r = upload(&media, Some(&csrf), body);
            assert_eq!(r.status, 201, "[{l}] {}", r.body);
        }
        let r = upload(&media, Some(&csrf), photo);
        assert_eq!(r.status, 409, "[{l}] {}", r.body);
        let stored: Vec<_> = std::fs::read_dir(media_dir.join("1"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(stored.len(), 3, "[{l}] {stored:?}");
        assert!(
            stored.iter().any(|f| f.ends_with(".jpg"))
                && stored.iter().any(|f| f.ends_with(".ogg"))
        );

        let answer = form_encode(&[
            ("csrf", &csrf),
            ("lang", "fa"),
            ("rating", "2"),
            (&items[0], "1"),
            (&items[1], "5"),
            ("nps", "3"),
            ("comment", "قهوه سرد بود"),
        ]);
        // Without the cookie (a cross-site post) nothing is stored.
        let forged = post(&server, &path, None, &answer);
        assert_eq!(forged.status, 422, "[{l}] {}", forged.body);
        // No rating: the form comes back with the reason.
        let partial = form_encode(&[("csrf", &csrf), ("lang", "en"), ("nps", "3")]);
        let r = post(&server, &path, Some(&cookie), &partial);
        assert_eq!(r.status, 422);
        assert!(
            r.body.contains("Please choose an overall rating."),
            "{}",
            r.body
        );
        // What was chosen stays chosen.
        assert!(
            r.body.contains(r#"name="nps" value="3" checked"#),
            "{}",
            r.body
        );

        let done = post(&server, &path, Some(&cookie), &answer);
        assert_eq!(done.status, 200, "[{l}] {}", done.body);
        assert!(done.body.contains("سپاسگزاریم"));
        assert_eq!(
            upload(&media, Some(&csrf), photo).status,
            409,
            "[{l}] answered"
        );
        let again = post(&server, &path, Some(&cookie), &answer);
        assert_eq!(again.status, 409, "[{l}] {}", again.body);
        assert!(again.body.contains("قبلاً پاسخ داده‌اید"));
        assert!(get(&server, &path).body.contains("قبلاً پاسخ داده‌اید"));

        // Two stars: a case is open and the chosen phone was alerted.
        let cases = db.ok(&["survey", "cases"]);
        assert!(
            cases.contains("+989125550000") && cases.contains("قهوه سرد بود"),
            "[{l}] {cases}"
        );
        let reply = db.wait_for_inbox(PHONE, "ببخشید؛");
        assert!(
            reply.contains("ببخشید؛ default با شما تماس می‌گیرد."),
            "[{l}] {reply}"
        );
        let alert = db.wait_for_inbox("09120000099", "۲ از ۵");
        assert!(alert.contains("قهوه سرد بود"), "[{l}] {alert}");

        let by_item = db.ok(&["survey", "report", "--by", "item"]);
        assert!(
            by_item.contains("Cheesecake") && by_item.contains("100%"),
            "[{l}] {by_item}"
        );
        let id = cases
            .lines()
            .nth(1)
            .and_then(|row| row.split_whitespace().next())
            .unwrap();
        let case = db.ok(&[
            "survey",
            "case",
            id,
            "--status",
            "contacted",
            "--credit",
            "50000",
            "--reason",
            "cold coffee",
        ]);
        for line in [
            "opened",
            "alert",
            "+989120000099",
            "reply",
            "ببخشید؛",
            "status",
            "credit",
            "50000 rials",
        ] {
            assert!(case.contains(line), "[{l}] {line}: {case}");
        }
        assert!(db.ok(&["survey", "cases"]).contains("contacted"));
        let ledger = db.ok(&["club", "ledger", PHONE]);
        assert!(ledger.contains("survey case #"), "[{l}] {ledger}");
        assert!(
            db.fails(&["survey", "case", id, "--status", "lost"])
                .contains("unknown case status")
        );

        let report = db.ok(&["survey", "report", "--days", "1"]);
        assert!(report.contains("answered       1 (100%)"), "[{l}] {report}");
        assert!(report.contains("CSAT           0%"), "[{l}] {report}");
        assert!(
            report.contains("NPS            -100 of 1 answers"),
            "[{l}] {report}"
        );
        server.stop();
        db.cleanup();
    }
}

/// `<target dir>/test-output/survey`.
#[test]
fn a_phone_browser_answers_the_survey() {
    let db = Db::sqlite();
    let (server, path) = invited(&db);
    let browser = Browser::start(&common::survey::out_dir(), 390, 844);
    browser.goto(&format!("http://{}{path}", server.http.as_deref().unwrap()));
    browser.wait_page(
        "document.querySelector('fieldset.stars')",
        "the survey page",
    );
    browser.wait_for(
        "[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Vazirmatn' && f.status === 'loaded')",
        Duration::from_secs(10),
        "the Vazirmatn font",
    );
    let layout = browser.js(
        r#"
        const problems = [];
        const doc = document.documentElement;
        if (doc.scrollWidth > window.innerWidth) problems.push(`scrolls sideways: ${doc.scrollWidth}`);
        if (getComputedStyle(doc).direction !== 'rtl') problems.push('not right to left');
        for (const s of document.querySelectorAll('.stars label > span, .nps label > span, button')) {
            const r = s.getBoundingClientRect();
            if (r.height < 40) problems.push(`"${s.textContent.trim()}" is ${r.height}px high`);
            if (r.right > window.innerWidth + 1 || r.left < -1) problems.push(`"${s.textContent.trim()}" leaves the screen`);
        }
        return { problems, width: window.innerWidth, stars: document.querySelectorAll('.stars').length };
        "#,
        json!([]),
    );
    assert_eq!(layout["width"], 390, "{layout}");
    // Overall + two items.
    assert_eq!(layout["stars"], 3, "{layout}");
    assert_eq!(layout["problems"], json!([]), "{layout}");
    browser.screenshot("survey-fa.png");

    browser.click("fieldset.stars:not(.item) label:nth-of-type(2) span");
    browser.click("fieldset.item:nth-of-type(2) label:nth-of-type(1) span");
    browser.click(".nps label:nth-of-type(4) span");
    // A photo through the page's own uploader (the file picker's change event).
    browser.js(
        r#"
        const input = document.getElementById('media-file');
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])], 'a.jpg', { type: 'image/jpeg' }));
        input.files = dt.files;
        input.dispatchEvent(new Event('change'));
        "#,
        json!([]),
    );
    browser.wait_for(
        "document.getElementById('media-status').textContent.includes('✓')",
        Duration::from_secs(10),
        "the photo to be received",
    );
    // A file the server refuses: the page says why, in Persian.
    browser.js(
        r#"
        const input = document.getElementById('media-file');
        const dt = new DataTransfer();
        dt.items.add(new File(['<svg onload=alert(1)>'], 'x.jpg', { type: 'image/jpeg' }));
        input.files = dt.files;
        input.dispatchEvent(new Event('change'));
        "#,
        json!([]),
    );
    browser.wait_for(
        "document.getElementById('media-status').textContent.includes('فقط عکس')",
        Duration::from_secs(10),
        "the refusal of a fake photo",
    );
    browser.type_into("#comment", "قهوه سرد بود");
    browser.js(
        "document.querySelector('button[type=submit]').scrollIntoView();",
        json!([]),
    );
    browser.screenshot("survey-fa-filled.png");
    browser.click("button[type=submit]");
    browser.wait_page("document.querySelector('p.done')", "the thank-you page");
    assert!(browser.text("h2").contains("سپاسگزاریم"));
    browser.screenshot("survey-fa-thanks.png");

    let cases = db.ok(&["survey", "cases"]);
    assert!(cases.contains("قهوه سرد بود"), "{cases}");
    let photos = std::fs::read_dir(db.dir().join("data").join("survey-media").join("1"))
        .unwrap()
        .count();
    assert_eq!(photos, 1, "the photo alone is stored");
    let report = db.ok(&["survey", "report", "--days", "1"]);
    assert!(
        report.contains("NPS            -100 of 1 answers"),
        "{report}"
    );
    drop(browser);
    server.stop();
    db.cleanup();
}

#[test]
fn the_worker_sends_due_invitations_once_it_knows_the_public_url() {
    for db in Db::both() {
        let l = db.label;
        // Without --public-url the worker leaves the invitation queued.
        let server = invoiced(&db);
        server.stop();
        let report = db.ok(&["survey", "report"]);
        assert!(
            report.contains("queued         1") && report.contains("invited        0"),
            "[{l}] {report}"
        );
        let server = db.serve(&["--public-url", "https://club.example"]);
        let inbox = db.wait_for_inbox(PHONE, "https://club.example/s/");
        assert!(inbox.contains("https://club.example/s/"), "[{l}] {inbox}");
        server.stop();
        db.cleanup();
    }
}

#[test]
fn a_low_score_is_followed_up_on_the_panel_case_page() {
    use common::panel::{ids_in, location, select_tenant, sign_in, user_id_before};
    use common::survey::{PHOTO, VOICE};
    const OPERATOR: &str = "09120000001";
    const MANAGER: &str = "09120000002";
    const SENIOR: &str = "09120000003";
    const NORTH: &str = "09120000004";
    for db in Db::both() {
        let l = db.label;
        db.ok(&["admin", "create", "--phone", OPERATOR]);
        db.ok(&["tenant", "add", "--name", "rival"]);
        db.ok(&["club", "settings", "--manual-daily-cap", "100000"]);
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();

        // The owner's side: a branch manager and a senior manager; the branch manager
        // is the one alerted about low scores.
        let mut op = sign_in(&db, &http, OPERATOR);
        select_tenant(&mut op, "default");
        for (phone, role) in [(MANAGER, "branch_manager"), (SENIOR, "senior_manager")] {
            let r = op.post(
                "/panel/people",
                &[("phone", phone), ("role", &format!("builtin:{role}"))],
            );
            assert_eq!(r.status, 303, "[{l}] {}", r.body);
        }
        let settings = op.get("/panel/surveys/settings?lang=en");
        let manager_id = user_id_before(&settings.body, MANAGER);
        let r = op.post("/panel/surveys/alerts", &[("user", &manager_id)]);
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        assert!(
            op.get("/panel/surveys/settings?lang=en")
                .body
                .contains(&format!("value=\"{manager_id}\" checked")),
            "[{l}] the choice is kept"
        );

        // POST invoice → invitation sent with the injected clock → answered with a
        // photo and a voice message, one star.
        common::survey::invoice(&db, &server, "default", "Center", PHONE);
        let path = common::survey::send_due(&db, "default", PHONE);
        common::survey::answer(&server, &path, "1", "قهوه سرد بود", &[PHOTO, VOICE]);

        // The alert: an SMS to the manager and a notification in the panel.
        let alert = db.wait_for_inbox(MANAGER, "۱ از ۵");
        assert!(alert.contains("قهوه سرد بود"), "[{l}] {alert}");
        let mut manager = sign_in(&db, &http, MANAGER);
        let home = manager.get("/panel/?lang=en");
        assert!(
            home.body.contains("<span class=\"count\""),
            "[{l}] the badge: {}",
            home.body
        );
        let notes = manager.get("/panel/notifications?lang=en");
        assert_eq!(notes.status, 200, "[{l}]");
        let case = ids_in(&notes.body, "cases")[0].clone();
        assert!(notes.body.contains("قهوه سرد بود"), "[{l}]");

        // The case page: invoice and items, answers, both attachments served here only.
        let page = manager.get(&format!("/panel/cases/{case}?lang=en"));
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        for text in [
            "Latte",
            "Cheesecake",
            "drinks",
            "Center",
            "<tr id=\"staff\"><th>Cashier / waiter</th><td><bdi>Sara-07</bdi>",
            "قهوه سرد بود",
            "★☆☆☆☆",
        ] {
            assert!(page.body.contains(text), "[{l}] {text}: {}", page.body);
        }
        assert!(
            !manager
                .get("/panel/?lang=en")
                .body
                .contains("<span class=\"count\""),
            "[{l}] read once the case was opened"
        );
        let mut media = ids_in(&page.body, &format!("cases/{case}/media"));
        // A photo is linked and shown: the same id twice in a row.
        media.dedup();
        assert_eq!(media.len(), 2, "[{l}] {}", page.body);
        let photo = manager.get(&format!("/panel/cases/{case}/media/{}", media[0]));
        assert_eq!(photo.status, 200, "[{l}]");
        assert_eq!(photo.header("content-type"), Some("image/jpeg"));
        assert_eq!(photo.header("x-content-type-options"), Some("nosniff"));
        let voice = manager.get(&format!("/panel/cases/{case}/media/{}", media[1]));
        assert_eq!(voice.header("content-type"), Some("audio/ogg"));
        assert_eq!(voice.body.as_bytes(), VOICE, "[{l}]");
        // Not to strangers, not under another case, no path tricks.
        let mut anon = common::panel::Client::new(&http);
        let r = anon.get(&format!("/panel/cases/{case}/media/{}", media[0]));
        assert_eq!(location(&r), "/panel/login", "[{l}]");
        let other_case = case.parse::<i64>().unwrap() + 1;
        let r = manager.get(&format!("/panel/cases/{other_case}/media/{}", media[0]));
        assert_eq!(r.status, 404, "[{l}]");
        for tricky in ["..%2F..%2Fetc%2Fpasswd", "1%2F..", "-1"] {
            let r = manager.get(&format!("/panel/cases/{case}/media/{tricky}"));
            assert!(
                r.status == 400 || r.status == 404,
                "[{l}] {tricky}: {}",
                r.status
            );
        }

        // Follow-up: owner, note, a canned reply by one click, status, compensation.
        let r = manager.post(
            &format!("/panel/cases/{case}/owner"),
            &[("owner", &manager_id)],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let r = manager.post(
            &format!("/panel/cases/{case}/note"),
            &[("note", "Called; she will come back Friday.")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let r = manager.post(&format!("/panel/cases/{case}/note"), &[("note", " ")]);
        assert_eq!(r.status, 200, "[{l}] refused on the page");
        assert!(r.body.contains("role=\"alert\""), "[{l}]");
        let r = manager.post(
            &format!("/panel/cases/{case}/reply"),
            &[("which", "unhappy")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let r = manager.post(
            &format!("/panel/cases/{case}/status"),
            &[("status", "contacted")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let r = manager.post(
            &format!("/panel/cases/{case}/credit"),
            &[("amount", "۵۰۰۰۰"), ("reason", "cold coffee")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let ledger = db.ok(&["club", "ledger", PHONE]);
        assert!(
            ledger.contains(&format!("survey case #{case}: cold coffee")),
            "[{l}] {ledger}"
        );
        // Over the manager's daily cap: refused with the reason, nothing credited.
        let r = manager.post(
            &format!("/panel/cases/{case}/credit"),
            &[("amount", "60000"), ("reason", "again")],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(r.body.contains("value=\"60000\""), "[{l}] kept");

        // Every message on the case page: the survey SMS, the alert, both replies, the
        // note, the status and the credit, in order.
        let page = manager.get(&format!("/panel/cases/{case}?lang=en"));
        let kinds: Vec<&str> = page
            .body
            .split("data-kind=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
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
            ],
            "[{l}]"
        );
        for text in [
            "https://club.example/s/",
            "از خرید شما سپاسگزاریم",
            "امتیاز پایین",
            "ببخشید؛ default با شما تماس می‌گیرد.",
            "Called; she will come back Friday.",
            "50000 rials",
            "cold coffee",
            "Contacted",
        ] {
            assert!(page.body.contains(text), "[{l}] {text}: {}", page.body);
        }
        let replies = db.ok(&["sms", "inbox", "--phone", PHONE]);
        assert_eq!(
            replies.matches("ببخشید؛").count(),
            2,
            "[{l}] the automatic and the one-click reply: {replies}"
        );
        let audit = op.get("/panel/audit?lang=en");
        for action in ["Note on a case", "Canned reply sent", "Compensation credit"] {
            assert!(audit.body.contains(action), "[{l}] {action}");
        }

        // Reports: everyone with feedback sees them; only senior managers compare branches.
        let report = manager.get("/panel/feedback?lang=en");
        assert_eq!(report.status, 200, "[{l}]");
        for text in [
            "CSAT",
            "Satisfaction by item",
            "Latte",
            "Satisfaction by shift",
            "Satisfaction by staff member",
            "<bdi>Sara-07</bdi></td><td class=\"num\">1</td><td class=\"num\">1.0</td>",
            "Weekly trend",
            "<svg",
        ] {
            assert!(report.body.contains(text), "[{l}] {text}");
        }
        assert!(!report.body.contains("/panel/feedback/branches"), "[{l}]");
        assert!(
            [
                "Morning (06:00–12:00)",
                "Afternoon (12:00–17:00)",
                "Evening (17:00–22:00)",
                "Night (22:00–06:00)"
            ]
            .iter()
            .any(|shift| report.body.contains(shift)),
            "[{l}] a shift with its window"
        );
        // The daily and monthly trends, and the CSV of it all (no branch lines for a
        // branch manager).
        let daily = manager.get("/panel/feedback?lang=en&period=day&days=3");
        assert!(daily.body.contains("Daily trend"), "[{l}]");
        assert!(
            daily.body.contains("<option value=\"day\" selected>"),
            "[{l}]"
        );
        let monthly = manager.get("/panel/feedback?lang=fa&period=month");
        assert!(monthly.body.contains("روند ماهانه"), "[{l}]");
        let csv = manager.get("/panel/feedback.csv?period=month");
        assert_eq!(csv.status, 200, "[{l}]");
        assert!(
            csv.header("content-type").unwrap().starts_with("text/csv"),
            "[{l}]"
        );
        assert!(
            csv.body
                .starts_with("\u{FEFF}section,key,jalali,answers,average,csat,nps\r\n"),
            "[{l}] {}",
            csv.body
        );
        for line in ["\r\nitem,Latte,", "\r\nstaff,Sara-07,,1,1.0,", "\r\nshift,"] {
            assert!(csv.body.contains(line), "[{l}] {line}: {}", csv.body);
        }
        assert!(!csv.body.contains("\r\nbranch,"), "[{l}] {}", csv.body);
        let r = manager.get("/panel/feedback/branches?lang=en");
        assert_eq!(
            r.status, 403,
            "[{l}] a branch manager may not compare branches"
        );
        let mut senior = sign_in(&db, &http, SENIOR);
        let report = senior.get("/panel/feedback?lang=en");
        assert!(report.body.contains("/panel/feedback/branches"), "[{l}]");
        let r = senior.get("/panel/feedback/branches?lang=en");
        assert_eq!(r.status, 200, "[{l}] {}", r.body);
        assert!(
            r.body.contains("Center") && r.body.contains("<svg"),
            "[{l}]"
        );
        let csv = senior.get("/panel/feedback.csv");
        assert!(
            csv.body.contains("\r\nbranch,Center,"),
            "[{l}] {}",
            csv.body
        );

        // A branch manager of another branch sees neither the case nor its figures.
        db.ok(&["branch", "add", "--name", "North"]);
        let branches = db.ok(&["branch", "list"]);
        let north = branches
            .lines()
            .find(|row| row.contains("North"))
            .and_then(|row| row.split_whitespace().next())
            .unwrap()
            .to_string();
        let r = op.post(
            "/panel/people",
            &[
                ("phone", NORTH),
                ("role", "builtin:branch_manager"),
                ("branch", &north),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let mut north_mgr = sign_in(&db, &http, NORTH);
        let list = north_mgr.get("/panel/cases?lang=en");
        assert!(
            !list.body.contains(&format!("/panel/cases/{case}\"")),
            "[{l}] {}",
            list.body
        );
        assert_eq!(
            north_mgr.get(&format!("/panel/cases/{case}")).status,
            403,
            "[{l}]"
        );
        let r = north_mgr.get(&format!("/panel/cases/{case}/media/{}", media[0]));
        assert_eq!(r.status, 403, "[{l}]");
        let r = north_mgr.post(
            &format!("/panel/cases/{case}/note"),
            &[("note", "not mine")],
        );
        assert_eq!(r.status, 403, "[{l}]");
        let report = north_mgr.get("/panel/feedback?lang=en").body;
        assert!(
            !report.contains("Sara-07") && !report.contains("Latte"),
            "[{l}] {report}"
        );
        let csv = north_mgr.get("/panel/feedback.csv").body;
        assert!(
            !csv.contains("Sara-07") && !csv.contains("Latte") && !csv.contains("Center"),
            "[{l}] {csv}"
        );
        assert!(
            csv.contains("\r\nweek,"),
            "[{l}] the empty trend is still there: {csv}"
        );

        // Another tenant's people see none of it.
        select_tenant(&mut op, "rival");
        assert_eq!(op.get(&format!("/panel/cases/{case}")).status, 404, "[{l}]");
        let r = op.get(&format!("/panel/cases/{case}/media/{}", media[0]));
        assert_eq!(r.status, 404, "[{l}]");
        server.stop();
        db.cleanup();
    }
}
