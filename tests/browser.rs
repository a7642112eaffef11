//! The captive portal in a real browser (issue #4): headless Chromium on a phone-sized
//! screen opens the phone page the way a MikroTik hotspot sends a guest there, in
//! Persian and in English, goes through the whole flow (wrong number, SMS code from the
//! console provider, hand-off) and ends up posting the login to a fake router on
//! 127.0.0.1. Screenshots of every step go to `target/test-output/browser/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/test.sh installs them); the
//! test fails, rather than skips, without them. The browser only ever talks to loopback
//! addresses. The same flow runs over raw HTTP on PostgreSQL too, in tests/portal.rs.

mod common;

use std::time::{Duration, Instant};

use common::browser::{Browser, FakeRouter, RouterHit, form_decode, output_dir};
use common::radius::SECRET;
use common::{Db, form_encode, otp_from_inbox};
use serde_json::json;

// What RouterOS puts in $(chap-id) / $(chap-challenge): octal escapes.
const CHAP_ID: &str = r"\043";
const CHAP_CHALLENGE: &str = r"\224\164\344\001\272\075\264\114\356\071\036\111\375\057\301\204";

/// What a polished phone page must get right, whatever the language: the bundled font
/// is in use, nothing scrolls sideways, numbers are typed left to right, and every
/// button is big enough for a thumb.
fn check_layout(browser: &Browser, what: &str) {
    browser.wait_for(
        "[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Vazirmatn' && f.status === 'loaded')",
        Duration::from_secs(10),
        &format!("the Vazirmatn font on the {what}"),
    );
    let report = browser.js(
        r#"
        const doc = document.documentElement;
        const problems = [];
        if (doc.scrollWidth > window.innerWidth) {
            problems.push(`scrolls sideways: ${doc.scrollWidth} > ${window.innerWidth}`);
        }
        for (const input of document.querySelectorAll('input[type=tel], input[type=text]')) {
            const style = getComputedStyle(input);
            if (style.direction !== 'ltr') problems.push(`#${input.id} is not left-to-right`);
            if (input.getBoundingClientRect().height < 44) problems.push(`#${input.id} is too small to tap`);
        }
        for (const button of document.querySelectorAll('button:not(.link)')) {
            const r = button.getBoundingClientRect();
            if (r.height < 44) problems.push(`button "${button.textContent.trim()}" is ${r.height}px high`);
            if (r.right > window.innerWidth || r.left < 0) problems.push(`button "${button.textContent.trim()}" leaves the screen`);
        }
        for (const el of document.querySelectorAll('h1, h2, p, label, button')) {
            const font = getComputedStyle(el).fontFamily;
            if (!font.startsWith('Vazirmatn') && !font.startsWith('"Vazirmatn"')) {
                problems.push(`${el.tagName} uses ${font}`);
            }
        }
        return { problems, width: window.innerWidth };
        "#,
        json!([]),
    );
    assert_eq!(
        report["width"], 390,
        "{what}: the viewport should be phone-sized"
    );
    let problems = report["problems"].as_array().cloned().unwrap_or_default();
    assert!(problems.is_empty(), "{what}: {problems:?}");
}

/// Asserts `#{error}` is shown directly under the field `#{field}`, which is marked
/// invalid and described by it.
fn check_error_next_to(browser: &Browser, field: &str, error: &str, text: &str) {
    let shown = browser.text(&format!("#{error}"));
    assert!(
        shown.contains(text),
        "error message {shown:?}, want {text:?}"
    );
    let geometry = browser.js(
        r#"
        const field = document.getElementById(arguments[0]);
        const error = document.getElementById(arguments[1]);
        const f = field.getBoundingClientRect(), e = error.getBoundingClientRect();
        return {
            gap: e.top - f.bottom,
            invalid: field.getAttribute('aria-invalid'),
            describedby: field.getAttribute('aria-describedby'),
            visible: e.height > 0 && getComputedStyle(error).visibility === 'visible',
        };
        "#,
        json!([field, error]),
    );
    assert_eq!(geometry["invalid"], "true", "{geometry}");
    assert_eq!(geometry["describedby"], error, "{geometry}");
    assert_eq!(geometry["visible"], true, "{geometry}");
    let gap = geometry["gap"].as_f64().unwrap();
    assert!(
        (0.0..=24.0).contains(&gap),
        "#{error} should sit right under #{field}: {geometry}"
    );
}

/// The POST the hand-off page made to the router's `link-login-only`.
fn router_login(router: &FakeRouter, since: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let hits: Vec<RouterHit> = router.hits().into_iter().skip(since).collect();
        if let Some(hit) = hits
            .iter()
            .find(|h| h.method == "POST" && h.path == "/login")
        {
            return form_decode(&hit.body);
        }
        assert!(
            Instant::now() < deadline,
            "the router got no login POST: {hits:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn check_handoff(form: &[(String, String)], router: &FakeRouter) {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in the router login: {form:?}"))
    };
    assert!(field("username").starts_with("t-"), "{form:?}");
    let password = field("password");
    assert!(
        password.len() == 32 && password.bytes().all(|b| b.is_ascii_hexdigit()),
        "CHAP response computed server-side: {password:?}"
    );
    assert_eq!(field("dst"), format!("http://{}/orig", router.addr));
}

/// Submits the form whose `action` is `action`.
fn submit(browser: &Browser, action: &str) {
    browser.click(&format!("form[action='{action}'] button[type=submit]"));
}

/// How the hand-off page reaches the router.
#[derive(Clone, Copy, PartialEq)]
enum Handoff {
    /// Its one line of script posts the login at once.
    Script,
    /// The script does nothing (as if scripts were off): the page waits, and the guest
    /// presses its button.
    Button,
}

/// Enters the code and follows the hand-off to the router's page; checks what the
/// router received.
fn log_in_with_code(browser: &Browser, router: &FakeRouter, code: &str, lang: &str, how: Handoff) {
    let since = router.hits().len();
    let mut no_submit = None;
    if how == Handoff::Button {
        // Before any page script runs, `form.submit()` becomes a no-op; a pressed
        // button still submits.
        let added = browser.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": "HTMLFormElement.prototype.submit = function () {};" }),
        );
        no_submit = added["identifier"].as_str().map(str::to_string);
    }
    browser.type_into("#code", code);
    submit(browser, "/hotspot/verify");
    if let Some(identifier) = no_submit {
        browser.wait_page(
            "document.querySelector('form#login button')",
            "the hand-off page",
        );
        check_layout(browser, &format!("{lang} hand-off page"));
        browser.screenshot(&format!("online-{lang}.png"));
        assert_eq!(
            router.hits().len(),
            since,
            "nothing reached the router before the button"
        );
        browser.cdp(
            "Page.removeScriptToEvaluateOnNewDocument",
            json!({ "identifier": identifier }),
        );
        browser.click("form#login button");
    }
    let login = router_login(router, since);
    check_handoff(&login, router);
    let host = router.addr.clone();
    browser.wait_page(
        &format!("location.host === '{host}' && document.getElementById('router')"),
        "the router's page",
    );
    assert!(browser.url().starts_with(&format!("http://{host}/login")));
    browser.screenshot(&format!("router-{lang}.png"));
}

#[test]
fn a_guest_logs_in_on_a_phone_in_persian_and_in_english() {
    let db = Db::sqlite();
    db.ok(&[
        "nas",
        "add",
        "--name",
        "cafe-hq",
        "--address",
        "127.0.0.1",
        "--secret",
        SECRET,
    ]);
    let list = db.ok(&["nas", "list"]);
    let nas_id = list
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a NAS row")
        .to_string();
    let server = db.serve(&[]);
    let http = server.http.clone().expect("web role");
    let router = FakeRouter::start();
    let login_url = format!("http://{}/login", router.addr);
    let orig_url = format!("http://{}/orig", router.addr);
    let start_url = |mac: &str| {
        let query = form_encode(&[
            ("nas", nas_id.as_str()),
            ("mac", mac),
            ("ip", "10.5.50.24"),
            ("link-login-only", &login_url),
            ("link-orig", &orig_url),
            ("chap-id", CHAP_ID),
            ("chap-challenge", CHAP_CHALLENGE),
            ("identity", "cafe-hq"),
        ]);
        format!("http://{http}/hotspot/start?{query}")
    };
    let browser = Browser::start(&output_dir("browser"), 390, 844);

    // Persian first, the tenant's language.
    browser.goto(&start_url("AA:BB:CC:10:20:31"));
    browser.wait_page("document.getElementById('phone')", "the phone page");
    let html = browser.js(
        "return [document.documentElement.dir, document.documentElement.lang];",
        json!([]),
    );
    assert_eq!(html, json!(["rtl", "fa"]), "Persian, right to left");
    assert!(browser.exists("html[dir=rtl][lang=fa]"));
    check_layout(&browser, "fa phone page");
    browser.screenshot("phone-fa.png");

    // The language button switches to English.
    browser.click(".switch button");
    browser.wait_page(
        "document.documentElement.lang === 'en' && document.getElementById('phone')",
        "the English phone page",
    );
    assert!(browser.exists("html[dir=ltr][lang=en]"));
    check_layout(&browser, "en phone page");
    browser.screenshot("phone-en.png");

    // A landline is not a mobile number: the message is next to the field.
    browser.type_into("#phone", "021 1234 5678");
    submit(&browser, "/hotspot/otp");
    browser.wait_page("document.getElementById('phone-error')", "the phone error");
    assert!(browser.exists("html[lang=en]"), "still in English");
    check_error_next_to(
        &browser,
        "phone",
        "phone-error",
        "valid Iranian mobile number",
    );
    check_layout(&browser, "en phone error page");
    browser.screenshot("phone-error-en.png");

    browser.type_into("#phone", "0912 555 6677");
    browser.click("input[name=remember]");
    submit(&browser, "/hotspot/otp");
    browser.wait_page("document.getElementById('code')", "the code page");
    assert!(browser.text(".phone").contains("09125556677"));
    check_layout(&browser, "en code page");
    browser.screenshot("code-en.png");
    let code = otp_from_inbox(&db, "09125556677");
    log_in_with_code(&browser, &router, &code, "en", Handoff::Button);

    // Another guest, in Persian, typing Persian digits.
    browser.goto(&start_url("AA:BB:CC:10:20:32"));
    browser.wait_page(
        "document.documentElement.lang === 'fa' && document.getElementById('phone')",
        "the Persian phone page",
    );
    browser.type_into("#phone", "۰۲۱۱۲۳۴۵۶۷۸");
    submit(&browser, "/hotspot/otp");
    browser.wait_page("document.getElementById('phone-error')", "the phone error");
    assert!(browser.exists("html[dir=rtl][lang=fa]"), "still in Persian");
    check_error_next_to(&browser, "phone", "phone-error", "شماره موبایل معتبر نیست");
    check_layout(&browser, "fa phone error page");
    browser.screenshot("phone-error-fa.png");

    browser.type_into("#phone", "۰۹۱۲ ۵۵۵ ۶۶۸۸");
    browser.click("input[name=remember]");
    submit(&browser, "/hotspot/otp");
    browser.wait_page("document.getElementById('code')", "the code page");
    assert!(browser.text(".phone").contains("۰۹۱۲۵۵۵۶۶۸۸"));
    check_layout(&browser, "fa code page");
    browser.screenshot("code-fa.png");
    let code = otp_from_inbox(&db, "09125556688");

    // A wrong code: told so next to the field, with the tries left.
    let wrong = if code.starts_with('1') { "2" } else { "1" }.repeat(code.len());
    browser.type_into("#code", &wrong);
    submit(&browser, "/hotspot/verify");
    browser.wait_page("document.getElementById('code-error')", "the code error");
    check_error_next_to(&browser, "code", "code-error", "کد درست نیست");
    check_layout(&browser, "fa code error page");
    browser.screenshot("code-error-fa.png");
    log_in_with_code(&browser, &router, &code, "fa", Handoff::Script);

    // Opened directly, not through the router: a friendly error page.
    browser.goto(&format!("http://{http}/hotspot/start"));
    browser.wait_page("document.querySelector('[role=alert]')", "the error page");
    assert!(browser.exists("html[dir=rtl][lang=fa]"));
    check_layout(&browser, "fa error page");
    browser.screenshot("error-fa.png");

    drop(browser);
    drop(router);
    server.stop();
    db.cleanup();
}
