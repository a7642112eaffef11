//! End-to-end: a POS invoice queues a survey; `smartx survey send-due` texts the link;
//! the page lists the invoice's items; the answer is stored once — the real binary on
//! SQLite and PostgreSQL; and the page answered in headless Chromium on a phone-sized
//! screen (screenshots in `target/test-output/survey/`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use common::browser::Browser;
use common::{BIN, Db, HttpResponse, Server, form_encode, http_request};
use serde_json::json;

const PHONE: &str = "09125550000";
const INVOICE: &str = r#"{"phone": "09125550000", "amount": 450000,
    "items": [{"name": "Latte", "category": "drinks", "qty": 2, "unit_price": 150000},
              {"name": "Cheesecake", "qty": 1, "unit_price": 150000}]}"#;

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

/// POSTs `body` as raw bytes (a media upload): status and body text.
fn post_bytes(addr: &str, path: &str, cookie: &str, csrf: Option<&str>, body: &[u8]) -> Upload {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(c) = csrf {
        head.push_str(&format!("X-CSRF-Token: {c}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before reading it all.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Upload { status, body }
}

struct Upload {
    status: u16,
    body: String,
}

/// The `item_{id}` field names of the form, in order, without repeats.
fn item_fields(body: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for part in body.split("name=\"item_").skip(1) {
        let id = part.split('"').next().unwrap();
        let name = format!("item_{id}");
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// `invoiced`, then the survey SMS sent by `smartx survey send-due`; returns the server
/// and the survey page's path.
fn invited(db: &Db) -> (Server, String) {
    let l = db.label;
    let server = invoiced(db);
    // The worker has no public URL here; the operator command sends what is due.
    let now = (crm::clock::now() + 60).to_string();
    let sent = db.ok(&[
        "survey",
        "send-due",
        "--public-url",
        "https://club.example/",
        "--now",
        &now,
    ]);
    assert!(sent.contains("queued 1 survey SMS"), "[{l}] {sent}");
    let inbox = db.wait_for_inbox(PHONE, "https://club.example/s/");
    let at = inbox.find("https://club.example/s/").expect(&inbox) + "https://club.example/s/".len();
    let token: String = inbox[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 22, "[{l}] {inbox}");
    let path = format!("/s/{token}");

    (server, path)
}

/// Surveys on (no delay, no quiet hours, alerts to 09120000099, an unhappy reply), a
/// server without a public URL, and one POS invoice for `PHONE`.
fn invoiced(db: &Db) -> Server {
    let l = db.label;
    db.ok(&["branch", "add", "--name", "Center"]);
    let key = db.ok(&["pos-key", "create", "--branch", "Center"]);
    let key = key.trim();
    let shown = db.ok(&[
        "survey",
        "settings",
        "--enabled",
        "true",
        "--delay-minutes",
        "0",
        "--quiet-hours",
        "-",
        "--alert-phone",
        "09120000099",
        "--reply-unhappy",
        "ببخشید؛ {tenant} با شما تماس می‌گیرد.",
    ]);
    assert!(shown.contains("enabled        true"), "[{l}] {shown}");
    assert!(
        db.fails(&["survey", "settings", "--max-reminders", "9"])
            .contains("at most 5")
    );
    let server = db.serve(&[]);

    let auth = format!("Bearer {key}");
    let r = http_request(
        server.http.as_deref().unwrap(),
        "POST",
        "/api/v1/invoices",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        INVOICE,
    );
    assert_eq!(r.status, 201, "[{l}] {}", r.body);
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
fn out_dir() -> PathBuf {
    let bin = PathBuf::from(BIN);
    let target = bin.parent().and_then(|p| p.parent()).expect("target dir");
    target.join("test-output").join("survey")
}

#[test]
fn a_phone_browser_answers_the_survey() {
    let db = Db::sqlite();
    let (server, path) = invited(&db);
    let browser = Browser::start(&out_dir(), 390, 844);
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
