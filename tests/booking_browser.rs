//! The public booking page in headless Chromium on a phone-sized screen, in Persian and
//! in English: day → party → time → name and phone → SMS code (console provider) →
//! confirmation → the customer's link. Screenshots of every step go to
//! `target/test-output/booking/`. Needs Debian's `chromium` and `chromium-driver`.

mod common;

use std::time::{Duration, Instant};

use common::Db;
use common::booking::{branch, full_evening, iso, salon};
use common::browser::{Browser, output_dir};
use serde_json::json;

fn otp_from_inbox(db: &Db, phone: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let inbox = db.ok(&["sms", "inbox", "--phone", phone, "--limit", "1"]);
        if let Some(code) = inbox.lines().nth(1).and_then(|row| {
            row.split(|c: char| !c.is_ascii_digit())
                .rfind(|w| w.len() == 5)
                .map(str::to_string)
        }) {
            return code;
        }
        assert!(Instant::now() < deadline, "no SMS for {phone}: {inbox}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What every step must get right: the bundled font, no sideways scrolling, the page's
/// direction, and controls big enough for a thumb.
fn check_layout(browser: &Browser, dir: &str, what: &str) {
    browser.wait_for(
        "[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Vazirmatn' && f.status === 'loaded')",
        Duration::from_secs(10),
        &format!("the Vazirmatn font on the {what}"),
    );
    let report = browser.js(
        r#"
        const doc = document.documentElement;
        const problems = [];
        if (doc.scrollWidth > window.innerWidth) problems.push(`scrolls sideways: ${doc.scrollWidth}`);
        if (doc.dir !== arguments[0]) problems.push(`dir is ${doc.dir}`);
        for (const el of document.querySelectorAll('button, select, input:not([type=hidden]), .time')) {
            const r = el.getBoundingClientRect();
            if (r.height < 44) problems.push(`${el.tagName}#${el.id} is ${r.height}px high`);
            if (r.right > window.innerWidth + 1 || r.left < -1) problems.push(`${el.tagName}#${el.id} leaves the screen`);
        }
        for (const el of document.querySelectorAll('h1, h2, p, label, button, a, select')) {
            const font = getComputedStyle(el).fontFamily;
            if (!font.replace(/"/g, '').startsWith('Vazirmatn')) problems.push(`${el.tagName} uses ${font}`);
        }
        return problems;
        "#,
        json!([dir]),
    );
    let problems = report.as_array().cloned().unwrap_or_default();
    assert!(problems.is_empty(), "{what}: {problems:?}");
}

/// Signs `phone` (a panel operator) in to the panel and picks the tenant.
fn panel_sign_in(browser: &Browser, db: &Db, http: &str, phone: &str) {
    browser.goto(&format!("http://{http}/panel/login?lang=en"));
    browser.wait_page("document.getElementById('phone')", "the login page");
    browser.type_into("#phone", phone);
    browser.click("form[action='/panel/login'] button[type=submit]");
    browser.wait_page("document.getElementById('code')", "the code page");
    browser.type_into("#code", &otp_from_inbox(db, phone));
    browser.click("form[action='/panel/login/verify'] button[type=submit]");
    browser.wait_page("document.querySelector('.choice')", "the tenant picker");
    browser.click(".choice");
    browser.wait_page("document.querySelector('nav.tabs')", "the dashboard");
}

/// Books tomorrow for four at the `time_index`-th free time; returns tomorrow's day key.
fn book(
    browser: &Browser,
    db: &Db,
    http: &str,
    lang: &str,
    time_index: usize,
    phone: &str,
) -> String {
    let dir = if lang == "fa" { "rtl" } else { "ltr" };
    let shot = |n: &str| browser.screenshot(&format!("{lang}-{n}.png"));
    browser.goto(&format!("http://{http}/book/1?lang={lang}"));
    browser.wait_page("document.querySelector('#date')", "the first step");
    check_layout(browser, dir, "day and party step");
    // Tomorrow, four people.
    let tomorrow = browser.js(
        "return document.querySelector('#date').options[1].value;",
        json!([]),
    );
    browser.js(
        "document.querySelector('#date').selectedIndex = 1; document.querySelector('#party').value = '4';",
        json!([]),
    );
    shot("1-choose");
    browser.click("form button[type=submit]");
    browser.wait_page("document.querySelector('.times')", "the free times");
    check_layout(browser, dir, "times step");
    shot("2-times");
    browser.click(&format!(".times li:nth-child({}) a", time_index + 1));
    browser.wait_page("document.querySelector('#phone')", "the details step");
    browser.type_into(
        "#name",
        if lang == "fa" {
            "سارا محمدی"
        } else {
            "Sara Mohammadi"
        },
    );
    browser.type_into("#phone", "0912");
    browser.click("form button[type=submit]");
    browser.wait_page(
        "document.querySelector('#phone-error')",
        "the bad-number message",
    );
    check_layout(browser, dir, "details step with an error");
    shot("3-details-error");
    browser.type_into("#phone", phone);
    shot("3-details");
    browser.click("form button[type=submit]");
    browser.wait_page("document.querySelector('#code')", "the code step");
    check_layout(browser, dir, "code step");
    shot("4-code");
    browser.type_into("#code", &otp_from_inbox(db, phone));
    browser.click("form button[type=submit]");
    browser.wait_page("document.querySelector('.tick')", "the confirmation");
    check_layout(browser, dir, "confirmation");
    shot("5-done");
    browser.click("#manage");
    browser.wait_page(
        "document.querySelector('#status')",
        "the booking's own page",
    );
    check_layout(browser, dir, "manage page");
    shot("6-manage");
    browser.click("#confirm");
    browser.wait_page("document.querySelector('.ok')", "the confirmed notice");
    shot("7-confirmed");
    tomorrow.as_str().unwrap_or_default().to_string()
}

#[test]
fn booking_page_in_a_phone_browser_fa_and_en() {
    let db = Db::sqlite();
    branch(
        &db,
        "Vali-Asr",
        &[("1", "4", ""), ("2", "4", "1"), ("3", "8", "")],
        "00:00-24:00",
    );
    let server = db.serve(&[]);
    let http = server.http.clone().unwrap();
    let browser = Browser::start(&output_dir("booking"), 390, 844);
    let day = book(&browser, &db, &http, "fa", 76, "09121234567");
    book(&browser, &db, &http, "en", 80, "09351234567");
    let date = iso(&day);
    // A full evening elsewhere: the times page offers the waitlist.
    full_evening(&db, &date);
    for lang in ["fa", "en"] {
        browser.goto(&format!(
            "http://{http}/book/2/times?date={day}&party=2&lang={lang}"
        ));
        browser.wait_page("document.querySelector('.waitlist')", "the waitlist times");
        check_layout(
            &browser,
            if lang == "fa" { "rtl" } else { "ltr" },
            "waitlist times",
        );
        browser.screenshot(&format!("{lang}-8-waitlist.png"));
    }
    let list = db.ok(&["booking", "list", "--branch", "Vali-Asr", "--date", &date]);
    let rows: Vec<&str> = list.lines().filter(|l| l.contains("confirmed")).collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert!(
        rows[0].contains("19:00") && rows[0].contains("+989121234567"),
        "{list}"
    );
    assert!(
        rows[1].contains("20:00") && rows[1].contains("+989351234567"),
        "{list}"
    );
    drop(browser);
    drop(server);
    db.cleanup();
}

/// A guest books on the public page; the host watches the live table board change:
/// the booking makes its table "reserved soon", seating it makes it "occupied", the POS
/// closing the table turns it "needs cleaning" on the open page (no reload: the board
/// polls), and "cleaned, free" frees it. Screenshots `board-*.png`.
#[test]
fn a_public_booking_then_the_live_table_board() {
    const HOST: &str = "09120000001";
    let db = Db::sqlite();
    branch(
        &db,
        "Vali-Asr",
        &[("1", "4", ""), ("2", "4", "")],
        "00:00-24:00",
    );
    db.ok(&[
        "booking",
        "settings",
        "--branch",
        "Vali-Asr",
        "--deposit",
        "fixed",
        "--deposit-amount",
        "200000",
        "--deposit-from",
        "2",
        "--refund-hours",
        "0",
    ]);
    db.ok(&["admin", "create", "--phone", HOST, "--name", "Host"]);
    let key = db
        .ok(&["pos-key", "create", "--branch", "Vali-Asr"])
        .trim()
        .to_string();
    let server = db.serve(&[]);
    let http = server.http.clone().unwrap();
    let browser = Browser::start(&output_dir("booking"), 900, 1000);
    let shot = |n: &str| browser.screenshot(&format!("board-{n}.png"));

    // The guest: today, two people, the first free time (within the next 15 minutes).
    browser.goto(&format!("http://{http}/book/1?lang=en"));
    browser.wait_page("document.querySelector('#date')", "the first step");
    browser.js(
        "document.querySelector('#date').selectedIndex = 0; document.querySelector('#party').value = '2';",
        json!([]),
    );
    browser.click("form button[type=submit]");
    browser.wait_page("document.querySelector('.times')", "today's free times");
    browser.click(".times li:nth-child(1) a");
    browser.wait_page("document.querySelector('#phone')", "the details step");
    // The deposit is shown before the guest confirms.
    let before = browser.text(".summary .deposit");
    assert!(
        before.contains("200000 rials"),
        "the deposit up front: {before}"
    );
    shot("0-public-details-deposit");
    browser.type_into("#name", "Sara");
    browser.type_into("#phone", "09121234567");
    browser.click("form button[type=submit]");
    browser.wait_page("document.querySelector('#code')", "the code step");
    browser.type_into("#code", &otp_from_inbox(&db, "09121234567"));
    browser.click("form button[type=submit]");
    browser.wait_page("document.querySelector('.tick')", "the confirmation");
    let deposit = browser.text(".summary .deposit");
    assert!(
        deposit.contains("200000 rials") && deposit.contains("refunded if cancelled by"),
        "the guest sees the deposit: {deposit}"
    );
    shot("0-public-done-deposit");

    // The host signs in to the panel.
    panel_sign_in(&browser, &db, &http, HOST);

    browser.goto(&format!("http://{http}/panel/bookings"));
    browser.wait_page(
        "document.querySelector('tr[id^=booking-]')",
        "the host view",
    );
    assert!(browser.text("table.bookings").contains("Sara"));
    shot("0-bookings-en");

    browser.goto(&format!("http://{http}/panel/tables"));
    browser.wait_page(
        "document.querySelector('.table-card[data-state=reserved_soon]')",
        "the booked table reserved soon",
    );
    let card = browser.js(
        "return document.querySelector('.table-card[data-state=reserved_soon]').id;",
        json!([]),
    );
    let card = card.as_str().unwrap().to_string();
    let table = card.trim_start_matches("table-").to_string();
    assert!(browser.text(&format!("#{card}")).contains("Sara"));
    assert!(
        browser.exists(".table-card[data-state=free]"),
        "the other table is free"
    );
    shot("1-reserved-soon");

    // The guest arrives: the host seats them from the board.
    browser.click(&format!("#{card} form[action$='/status'] button"));
    browser.wait_page(
        &format!("document.querySelector('#{card}').dataset.state === 'occupied'"),
        "the seated table occupied",
    );
    shot("2-seated");

    // The bill is settled at the POS; the open board follows within seconds.
    let closed = common::http_request(
        &http,
        "POST",
        &format!("/api/v1/tables/{table}/close"),
        &[("Authorization", &format!("Bearer {key}"))],
        "",
    );
    assert_eq!(closed.status, 200, "{}", closed.body);
    browser.wait_for(
        &format!("document.querySelector('#{card}').dataset.state === 'needs_cleaning'"),
        Duration::from_secs(20),
        "the board to show the closed table needing cleaning",
    );
    shot("3-needs-cleaning");
    let list = db.ok(&["booking", "list", "--branch", "Vali-Asr"]);
    assert!(
        list.contains("finished"),
        "closing finished the booking: {list}"
    );

    browser.click(&format!("#{card} form[action$='/free'] button"));
    browser.wait_page(
        &format!("document.querySelector('#{card}').dataset.state === 'free'"),
        "the cleaned table free",
    );
    shot("4-free");

    // The same in Persian.
    browser.goto(&format!("http://{http}/panel/tables?lang=fa"));
    browser.wait_page(
        "document.querySelector('html[dir=rtl] .table-card')",
        "the Persian board",
    );
    shot("5-fa");
    browser.goto(&format!("http://{http}/panel/bookings?lang=fa"));
    browser.wait_page(
        "document.querySelector('table.bookings')",
        "the Persian host view",
    );
    shot("6-bookings-fa");
    browser.goto(&format!("http://{http}/panel/bookings/report?lang=en"));
    browser.wait_page("document.querySelector('table.report')", "the report");
    assert!(browser.text("table.report").contains("Total"));
    shot("7-report-en");
    browser.goto(&format!("http://{http}/panel/bookings/report?lang=fa"));
    browser.wait_page(
        "document.querySelector('ul.hours li')",
        "the Persian report",
    );
    shot("8-report-fa");

    // Moving a booking from the host view: another time, the same save.
    db.ok(&[
        "booking",
        "create",
        "--branch",
        "Vali-Asr",
        "--phone",
        "09125550001",
        "--party",
        "3",
        "--time",
        "23:00",
        "--name",
        "Nima",
    ]);
    let open_moves = "document.querySelectorAll('details.move').forEach(d => d.open = true);";
    for lang in ["en", "fa"] {
        browser.goto(&format!("http://{http}/panel/bookings?lang={lang}"));
        browser.wait_page(
            "document.querySelector('details.move')",
            "a movable booking",
        );
        browser.js(open_moves, json!([]));
        shot(&format!("9-move-{lang}"));
    }
    browser.js(
        "document.querySelector('details.move input[name=time]').value = '23:30';",
        json!([]),
    );
    browser.click("details.move button[type=submit]");
    browser.wait_page("document.querySelector('.flash')", "the moved booking");
    let moved = browser.js(
        "return document.querySelector('details.move input[name=time]').value;",
        json!([]),
    );
    assert_eq!(moved.as_str(), Some("23:30"));
    shot("10-moved-fa");

    // The booking SMS, edited by the owner: a refused offset shows its reason in place.
    for lang in ["en", "fa"] {
        browser.goto(&format!(
            "http://{http}/panel/bookings/messages?lang={lang}"
        ));
        browser.wait_page("document.querySelector('#message-new')", "the booking SMS");
        shot(&format!("13-sms-{lang}"));
    }
    browser.js(
        "document.querySelector('form[action$=\"/bookings/messages/2\"] input[name=offset]').value = 'soon';",
        json!([]),
    );
    browser.click("form[action$='/bookings/messages/2'] button[type=submit]");
    browser.wait_page(
        "document.querySelector('#offset-2-error')",
        "the reason by the field",
    );
    shot("14-sms-refused-fa");

    // The branch's booking rules and deposit rule; a refused field says why in place.
    for lang in ["en", "fa"] {
        browser.goto(&format!(
            "http://{http}/panel/bookings/settings?lang={lang}"
        ));
        browser.wait_page(
            "document.querySelector('#opening_hours')",
            "the booking settings",
        );
        shot(&format!("15-settings-{lang}"));
    }
    browser.js(
        "document.querySelector('#opening_hours').value = 'noon'; document.querySelector('#slot_interval').value = '7';",
        json!([]),
    );
    browser.click("form[action$='/bookings/settings'] button[type=submit]");
    browser.wait_page(
        "document.querySelector('#opening_hours-error')",
        "the reason by the field",
    );
    browser.js(
        "document.querySelector('#slot_interval').scrollIntoView();",
        json!([]),
    );
    shot("16-settings-refused-fa");
    browser.js(
        "document.querySelector('#branch-tables').scrollIntoView();",
        json!([]),
    );
    shot("17-tables-fa");

    // Editing a table: the form in both languages; an edit that would break a booking
    // is refused, naming it (the table holding the guest's booking cannot seat one).
    let edits = browser.js(
        "return Array.from(document.querySelectorAll('#branch-tables a')).map(a => a.getAttribute('href')).filter(h => /\\/bookings\\/tables\\/\\d+$/.test(h));",
        json!([]),
    );
    let edits: Vec<String> = edits
        .as_array()
        .expect("edit links")
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    assert_eq!(edits.len(), 2, "{edits:?}");
    for lang in ["en", "fa"] {
        browser.goto(&format!("http://{http}{}?lang={lang}", edits[0]));
        browser.wait_page("document.querySelector('#res-max')", "the edit form");
        shot(&format!("18-edit-table-{lang}"));
    }
    let mut refused = false;
    for href in &edits {
        browser.goto(&format!("http://{http}{href}?lang=fa"));
        browser.wait_page("document.querySelector('#res-max')", "the edit form");
        browser.js("document.querySelector('#res-max').value = '1';", json!([]));
        browser.click("#res-save");
        browser.wait_page(
            "document.querySelector('#edit-error') || document.querySelector('.flash')",
            "saved or refused",
        );
        if browser.exists("#edit-error a") {
            shot("19-edit-refused-fa");
            refused = true;
            break;
        }
    }
    assert!(refused, "an edit breaking the guest's booking is refused");
    // The branch's closed days (a Jalali date typed in Persian) and a deposit rule by
    // slot and party size; a bad rule says what it takes.
    browser.goto(&format!("http://{http}/panel/bookings/settings?lang=fa"));
    browser.wait_page("document.querySelector('#closed-day')", "the closed days");
    browser.type_into("#closed-day", "۱۴۰۶/۰۱/۰۱");
    browser.click("#closed-add");
    browser.wait_page(
        "document.querySelector('#closed-days li')",
        "the closed day listed",
    );
    browser.type_into("#rule-hours", "thu-fri 19:00-23:00");
    browser.js(
        "document.querySelector('#rule-min').value = '6';",
        json!([]),
    );
    browser.type_into("#rule-amount", "50000");
    browser.click("#rule-add");
    browser.wait_page(
        "document.querySelector('#deposit-rules tbody tr')",
        "the rule listed",
    );
    for lang in ["fa", "en"] {
        browser.goto(&format!(
            "http://{http}/panel/bookings/settings?lang={lang}"
        ));
        browser.wait_page("document.querySelector('#closed-days')", "the closed days");
        browser.js(
            "document.querySelector('#closed-days').scrollIntoView();",
            json!([]),
        );
        shot(&format!("20-closed-and-rules-{lang}"));
    }
    browser.type_into("#rule-hours", "someday");
    browser.click("#rule-add");
    browser.wait_page("document.querySelector('#rule-error')", "the rule refused");
    browser.js(
        "document.querySelector('#rule-error').scrollIntoView();",
        json!([]),
    );
    shot("21-rule-refused-en");
    // An appointment resource: a staff member with a lunch break, then a day off typed
    // as a Jalali date.
    browser.type_into("#table-name", "Reza");
    browser.js(
        "document.querySelector('#table-max').value = '1'; document.querySelector('#table-kind').value = 'staff'; document.querySelector('#table-hours').value = 'sat-wed 09:00-13:00; sat-wed 14:00-18:00';",
        json!([]),
    );
    browser.click("form[action$='/bookings/tables'] button[type=submit]");
    browser.wait_page(
        "document.querySelector('#branch-tables .badge')",
        "the staff member listed",
    );
    let reza = browser.js(
        "return Array.from(document.querySelectorAll('#branch-tables tr')).filter(r => r.textContent.includes('Reza')).map(r => r.querySelector('a').getAttribute('href'))[0];",
        json!([]),
    );
    let reza = reza.as_str().expect("Reza's edit link").to_string();
    browser.goto(&format!("http://{http}{reza}?lang=fa"));
    browser.wait_page("document.querySelector('#off-day')", "the days off form");
    browser.type_into("#off-day", "۱۴۰۵/۱۰/۰۵");
    browser.click("#off-add");
    browser.wait_page(
        "document.querySelector('#days-off li')",
        "the day off listed",
    );
    for lang in ["fa", "en"] {
        browser.goto(&format!("http://{http}{reza}?lang={lang}"));
        browser.wait_page("document.querySelector('#days-off li')", "the day off");
        shot(&format!("22-staff-{lang}"));
    }
    // Closing today, which has a booking: closed, and the page says the booking stays.
    let today = crm::clock::Zone::named("Asia/Tehran")
        .unwrap()
        .day_key(crm::clock::now());
    browser.goto(&format!("http://{http}/panel/bookings/settings?lang=fa"));
    browser.wait_page("document.querySelector('#closed-day')", "the closed days");
    browser.type_into(
        "#closed-day",
        &format!(
            "{}-{:02}-{:02}",
            today / 10_000,
            today / 100 % 100,
            today % 100
        ),
    );
    browser.click("#closed-add");
    browser.wait_page(
        "document.querySelector('#closed-day-booked')",
        "the notice about the day's bookings",
    );
    browser.js(
        "document.querySelector('#closed-days').scrollIntoView();",
        json!([]),
    );
    shot("23-closed-with-bookings-fa");

    // The guest's page: their bookings and club credit.
    browser.goto(&format!("http://{http}/panel/customers?q=09125550001"));
    let href = browser.js(
        "return Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href')).find(h => /^\\/panel\\/customers\\/\\d+$/.test(h || ''));",
        json!([]),
    );
    let href = href.as_str().expect("the customer's link").to_string();
    for lang in ["en", "fa"] {
        browser.goto(&format!("http://{http}{href}?lang={lang}"));
        browser.wait_page(
            "document.querySelector('#customer-bookings tr')",
            "the guest's bookings",
        );
        shot(&format!("11-customer-{lang}"));
    }

    // An empty, priced wallet skips a member's SMS; the reports page counts it.
    db.ok(&["club", "wallet", "--price", "1000"]);
    db.ok(&[
        "sms",
        "send",
        "--marketing",
        "--phone",
        "09121234567",
        "--text",
        "hi",
    ]);
    for lang in ["en", "fa"] {
        browser.goto(&format!("http://{http}/panel/reports?lang={lang}"));
        browser.wait_page(
            "document.querySelector('#wallet-unpaid')",
            "the unpaid count",
        );
        browser.js(
            "document.querySelector('#wallet-unpaid').scrollIntoView();",
            json!([]),
        );
        shot(&format!("12-wallet-{lang}"));
    }
    drop(browser);
    drop(server);
    db.cleanup();
}

/// A salon's public page on a phone, in Persian and English: the service and staff
/// choice, that person's free times, the details step naming the service. Screenshots
/// `service-*.png`.
#[test]
fn booking_a_service_in_a_phone_browser_fa_and_en() {
    let db = Db::sqlite();
    salon(&db, &["علی", "رضا"], "09:00-20:00");
    db.ok(&[
        "service",
        "add",
        "--branch",
        "Salon",
        "--name",
        "اصلاح مو",
        "--name-en",
        "Haircut",
        "--minutes",
        "30",
        "--price",
        "500000",
        "--by",
        "علی,رضا",
    ]);
    db.ok(&[
        "service",
        "add",
        "--branch",
        "Salon",
        "--name",
        "رنگ مو",
        "--name-en",
        "Hair colour",
        "--minutes",
        "90",
        "--by",
        "رضا",
    ]);
    let server = db.serve(&[]);
    let http = server.http.clone().unwrap();
    let browser = Browser::start(&output_dir("booking"), 390, 844);
    for lang in ["fa", "en"] {
        let dir = if lang == "fa" { "rtl" } else { "ltr" };
        let shot = |n: &str| browser.screenshot(&format!("service-{lang}-{n}.png"));
        browser.goto(&format!("http://{http}/book/1?lang={lang}"));
        browser.wait_page("document.querySelector('#service')", "the service step");
        check_layout(&browser, dir, "service step");
        browser.js(
            "document.querySelector('#date').selectedIndex = 1; document.querySelector('#staff').selectedIndex = 2;",
            json!([]),
        );
        shot("1-choose");
        browser.click("form button[type=submit]");
        browser.wait_page("document.querySelector('.times')", "the service's times");
        check_layout(&browser, dir, "service times");
        shot("2-times");
        browser.click(".times li:nth-child(5) a");
        browser.wait_page("document.querySelector('#phone')", "the details step");
        check_layout(&browser, dir, "service details");
        shot("3-details");
    }
    // The owner's side: the services on the booking settings page.
    const OWNER: &str = "09120000009";
    db.ok(&["admin", "create", "--phone", OWNER, "--name", "Owner"]);
    panel_sign_in(&browser, &db, &http, OWNER);
    for lang in ["fa", "en"] {
        browser.goto(&format!(
            "http://{http}/panel/bookings/settings?lang={lang}#services"
        ));
        browser.wait_page("document.querySelector('#services')", "the services");
        browser.js(
            "document.querySelector('#services details').open = true; document.querySelector('#services').scrollIntoView();",
            json!([]),
        );
        browser.screenshot(&format!("service-{lang}-4-settings.png"));
    }
    drop(browser);
    drop(server);
    db.cleanup();
}
