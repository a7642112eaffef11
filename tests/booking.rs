//! The public booking page end to end, on SQLite and PostgreSQL: the real binary, tables
//! set up with the CLI, a guest picking day → party → time → phone → SMS code (console
//! provider) → booked; the taken time is no longer offered and a second guest posting
//! it anyway is refused; CSRF; the customer's cancel link frees the time again.

mod common;

use common::booking::{branch, full_evening, iso, salon};
use common::{Db, HttpResponse, form_encode, html_unescape, http_request};

/// A branch open around the clock with one table for four: whatever the hour the test
/// runs, tomorrow has free times.
fn set_up(db: &Db) {
    branch(db, "Vali-Asr", &[("7", "4", "")], "00:00-24:00");
}

const PHONE: &str = "09121234567";
const OTHER: &str = "09351112233";

struct Guest<'a> {
    http: &'a str,
    cookie: String,
}

impl Guest<'_> {
    fn get(&self, path: &str) -> HttpResponse {
        http_request(self.http, "GET", path, &[("Cookie", &self.cookie)], "")
    }

    fn post(&self, path: &str, pairs: &[(&str, &str)]) -> HttpResponse {
        http_request(
            self.http,
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &self.cookie),
            ],
            &form_encode(pairs),
        )
    }
}

/// The values of every `attr="…"` in `body` that start with `prefix` (unescaped).
fn attrs(body: &str, attr: &str, prefix: &str) -> Vec<String> {
    let marker = format!("{attr}=\"{prefix}");
    body.match_indices(&marker)
        .filter_map(|(i, _)| {
            let start = i + attr.len() + 2;
            let end = body[start..].find('"')? + start;
            Some(html_unescape(&body[start..end]))
        })
        .collect()
}

fn otp_from_inbox(db: &Db, phone: &str) -> String {
    for _ in 0..100 {
        let inbox = db.ok(&["sms", "inbox", "--phone", phone, "--limit", "1"]);
        if let Some(code) = inbox.lines().nth(1).and_then(|row| {
            row.split(|c: char| !c.is_ascii_digit())
                .rfind(|w| !w.is_empty())
                .filter(|w| w.len() == 5)
                .map(str::to_string)
        }) {
            return code;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no SMS reached the console inbox of {phone}");
}

/// The newest console SMS to `phone` once it contains `needle`.
fn inbox_until(db: &Db, phone: &str, needle: &str) -> String {
    for _ in 0..100 {
        let inbox = db.ok(&["sms", "inbox", "--phone", phone, "--limit", "1"]);
        if inbox.contains(needle) {
            return inbox;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no SMS with {needle:?} reached {phone}");
}

#[test]
fn a_guest_books_through_the_public_page() {
    for db in Db::both() {
        let l = db.label;
        set_up(&db);
        let server = db.serve(&["--public-url", "https://book.example"]);
        let http = server.http.clone().unwrap();

        // Step 1: day and party, in Persian by default; the CSRF cookie is set.
        let first = http_request(&http, "GET", "/book/1", &[], "");
        assert_eq!(first.status, 200, "[{l}] {}", first.body);
        assert!(first.body.contains("dir=\"rtl\""), "[{l}]");
        assert!(
            first.body.contains("آذر") || first.body.contains("دی"),
            "[{l}] Jalali months"
        );
        let cookie = first.header("set-cookie").expect("csrf cookie");
        assert!(cookie.contains("Path=/book"), "{cookie}");
        let guest = Guest {
            http: &http,
            cookie: cookie.split(';').next().unwrap().to_string(),
        };
        let days = attrs(&first.body, "value", "20");
        let tomorrow = days[1].clone();

        // Step 2: the free times of tomorrow for two.
        let times = guest.get(&format!("/book/1/times?date={tomorrow}&party=2&lang=en"));
        assert_eq!(times.status, 200, "[{l}] {}", times.body);
        let links = attrs(&times.body, "href", "/book/1/details?");
        assert_eq!(links.len(), 96, "[{l}] every 15 minutes of a whole day");
        let pick = links[40].clone(); // 10:00

        // Step 3: details; step 4: the code is sent.
        let details = guest.get(&pick);
        assert_eq!(details.status, 200, "[{l}] {}", details.body);
        assert!(details.body.contains("10:00"), "[{l}] {}", details.body);
        let csrf = details.hidden("csrf").expect("csrf field");
        let start = details.hidden("start").unwrap();
        let fields = |phone: &'static str| {
            vec![
                ("lang", "en".to_string()),
                ("csrf", csrf.clone()),
                ("date", tomorrow.clone()),
                ("party", "2".to_string()),
                ("start", start.clone()),
                ("name", "Sara".to_string()),
                ("phone", phone.to_string()),
            ]
        };
        let as_pairs = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
        let post = |path: &str, v: &[(&'static str, String)]| {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            guest.post(path, &pairs)
        };

        // Without the CSRF token: refused.
        let mut forged = as_pairs(&fields(PHONE));
        forged[1].1 = "x".repeat(32);
        assert_eq!(post("/book/1/otp", &forged).status, 403, "[{l}]");
        // A bad number: the details page says so.
        let bad = post("/book/1/otp", &fields("0912"));
        assert!(
            bad.body.contains("not a valid Iranian mobile"),
            "[{l}] {}",
            bad.body
        );

        let code_page = post("/book/1/otp", &fields(PHONE));
        assert_eq!(code_page.status, 200, "[{l}] {}", code_page.body);
        let challenge = code_page.hidden("challenge").expect("code page");
        let code = otp_from_inbox(&db, PHONE);
        let mut confirm = fields("+989121234567");
        confirm.push(("challenge", challenge.clone()));
        confirm.push(("code", "00000".into()));
        let wrong = post("/book/1/confirm", &confirm);
        assert!(wrong.body.contains("not right"), "[{l}] {}", wrong.body);
        confirm.last_mut().unwrap().1 = code;

        // Step 5: booked.
        let done = post("/book/1/confirm", &confirm);
        assert_eq!(done.status, 200, "[{l}] {}", done.body);
        assert!(
            done.body.contains("Your table is booked"),
            "[{l}] {}",
            done.body
        );
        let manage = attrs(&done.body, "href", "/book/manage/")[0].clone();
        let list = db.ok(&[
            "booking",
            "list",
            "--branch",
            "Vali-Asr",
            "--date",
            &iso(&tomorrow),
        ]);
        assert!(
            list.contains("10:00")
                && list.contains("+989121234567")
                && list.contains("booked")
                && list.contains("web"),
            "[{l}] {list}"
        );
        // The confirmation SMS (default text) with the customer's link.
        let sms = inbox_until(&db, PHONE, "/book/manage/");
        assert!(
            sms.contains("Vali-Asr") && sms.contains("۱۰:۰۰"),
            "[{l}] {sms}"
        );
        assert!(
            sms.contains(&format!("https://book.example{manage}").replace("?lang=en", "")),
            "[{l}] {sms}"
        );
        let customer = db.ok(&["customer", "list", "--search", PHONE]);
        assert!(customer.contains("Sara"), "[{l}] {customer}");

        // The time is gone from the list, and posting it anyway is refused.
        let times = guest.get(&format!("/book/1/times?date={tomorrow}&party=2&lang=en"));
        assert!(!times.body.contains(&format!("start={start}&")), "[{l}]");
        let again = post("/book/1/otp", &fields(OTHER));
        assert!(again.body.contains("just taken"), "[{l}] {}", again.body);

        // The customer's link cancels, and the time is free again.
        let page = guest.get(&manage);
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        let csrf_m = page.hidden("csrf").unwrap();
        let action = attrs(&page.body, "action", "/book/manage/")[0].clone();
        let cancelled = guest.post(
            &action,
            &[("lang", "en"), ("csrf", &csrf_m), ("action", "cancel")],
        );
        assert!(
            cancelled.body.contains("Your booking is cancelled"),
            "[{l}] {}",
            cancelled.body
        );
        let times = guest.get(&format!("/book/1/times?date={tomorrow}&party=2&lang=en"));
        assert!(times.body.contains(&format!("start={start}&")), "[{l}]");

        // Unknown branches and tokens get a page, not a crash.
        assert_eq!(http_request(&http, "GET", "/book/999", &[], "").status, 404);
        db.ok(&["branch", "add", "--name", "Tajrish"]);
        let empty = http_request(&http, "GET", "/book/2?lang=en", &[], "");
        assert_eq!(empty.status, 404, "[{l}] a branch without tables");
        assert!(
            empty.body.contains("does not take online bookings"),
            "[{l}] {}",
            empty.body
        );
        assert_eq!(
            http_request(&http, "GET", "/book/abc/times", &[], "").status,
            404
        );
        assert_eq!(
            http_request(&http, "GET", "/book/manage/nope", &[], "").status,
            404
        );

        // A full evening: the page offers the waitlist; a cancellation books the guest.
        let staff_id = full_evening(&db, &iso(&tomorrow));
        let full = guest.get(&format!("/book/3/times?date={tomorrow}&party=2&lang=en"));
        assert!(
            full.body.contains("join the waitlist"),
            "[{l}] {}",
            full.body
        );
        let wait_links = attrs(&full.body, "href", "/book/3/details?");
        assert_eq!(wait_links.len(), 3, "[{l}] 18:00 … 18:30 (90-minute stays)");
        assert!(
            wait_links.iter().all(|h| h.ends_with("&waitlist=1")),
            "[{l}] {wait_links:?}"
        );
        let details = guest.get(&wait_links[2]); // 18:30
        assert!(
            details.body.contains("goes on the waitlist"),
            "[{l}] {}",
            details.body
        );
        let mut pairs = vec![
            ("lang", "en".to_string()),
            ("csrf", details.hidden("csrf").unwrap()),
            ("date", tomorrow.clone()),
            ("party", "2".to_string()),
            ("start", details.hidden("start").unwrap()),
            ("waitlist", "1".to_string()),
            ("name", "Nima".to_string()),
            ("phone", "09121112299".to_string()),
        ];
        let code_page = post("/book/3/otp", &pairs);
        pairs[7].1 = "+989121112299".into();
        pairs.push((
            "challenge",
            code_page.hidden("challenge").expect("code page"),
        ));
        pairs.push(("code", otp_from_inbox(&db, "09121112299")));
        let waiting = post("/book/3/confirm", &pairs);
        assert!(
            waiting.body.contains("You are on the waitlist"),
            "[{l}] {}",
            waiting.body
        );
        db.ok(&["booking", "cancel", "--id", &staff_id]);
        let list = db.ok(&[
            "booking",
            "list",
            "--branch",
            "Small",
            "--date",
            &iso(&tomorrow),
        ]);
        let row = list
            .lines()
            .find(|r| r.contains("Nima"))
            .unwrap_or_default();
        assert!(
            row.contains("18:30") && row.contains(" booked "),
            "[{l}] {list}"
        );
        drop(server);
        db.cleanup();
    }
}

#[test]
fn operators_run_the_book_from_the_cli() {
    for db in Db::both() {
        let l = db.label;
        set_up(&db);
        db.ok(&[
            "table", "add", "--branch", "Vali-Asr", "--name", "8", "--max", "4", "--joins", "7",
            "--zone", "terrace",
        ]);
        let tables = db.ok(&["table", "list", "--branch", "Vali-Asr"]);
        assert!(
            tables
                .lines()
                .nth(2)
                .is_some_and(|r| r.contains("terrace") && r.contains(" 7 ")),
            "[{l}] {tables}"
        );
        let err = db.fails(&[
            "table", "add", "--branch", "Vali-Asr", "--name", "7", "--max", "2",
        ]);
        assert!(err.contains("already exists"), "[{l}] {err}");
        let err = db.fails(&[
            "table", "add", "--branch", "Nowhere", "--name", "1", "--max", "2",
        ]);
        assert!(err.contains("not found"), "[{l}] {err}");

        let date = "2099-01-10"; // beyond the page's horizon: staff may book it anyway
        let book = |phone: &str, party: &str, time: &str| {
            db.run(&[
                "booking", "create", "--branch", "Vali-Asr", "--phone", phone, "--party", party,
                "--date", date, "--time", time,
            ])
        };
        let made = book("09121234567", "6", "19:00");
        let out = String::from_utf8_lossy(&made.stdout).to_string();
        assert!(
            made.status.success(),
            "[{l}] {}",
            String::from_utf8_lossy(&made.stderr)
        );
        assert!(out.contains("tables 7+8: booked"), "[{l}] {out}");
        let id = out
            .split('#')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        // Both tables are held: nobody else gets 19:30.
        let taken = book("09351112233", "2", "19:30");
        assert!(
            String::from_utf8_lossy(&taken.stderr).contains("no table is free"),
            "[{l}]"
        );
        let waitlisted = db.ok(&[
            "booking",
            "create",
            "--branch",
            "Vali-Asr",
            "--phone",
            "09351112233",
            "--party",
            "2",
            "--date",
            date,
            "--time",
            "19:30",
            "--waitlist",
        ]);
        assert!(waitlisted.contains("waitlisted"), "[{l}] {waitlisted}");

        for (verb, status) in [
            ("confirm", "confirmed"),
            ("seat", "seated"),
            ("finish", "finished"),
        ] {
            let out = db.ok(&["booking", verb, "--id", &id]);
            assert!(out.ends_with(&format!("{status}\n")), "[{l}] {out}");
        }
        let err = db.fails(&["booking", "cancel", "--id", &id]);
        assert!(
            err.contains("finished booking cannot become cancelled"),
            "[{l}] {err}"
        );
        // The tables are free again: the waiting guest got them at once; staff then
        // move them to 20:00.
        let waiting_id = waitlisted
            .split('#')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let list = db.ok(&["booking", "list", "--branch", "Vali-Asr", "--date", date]);
        let row = list
            .lines()
            .find(|r| r.starts_with(&format!("{waiting_id} ")))
            .unwrap();
        assert!(
            row.contains("19:30") && row.contains("booked"),
            "[{l}] {list}"
        );
        let moved = db.ok(&["booking", "move", "--id", &waiting_id, "--time", "20:00"]);
        assert!(
            moved.contains("20:00") && moved.contains("booked"),
            "[{l}] {moved}"
        );
        let out = db.ok(&["booking", "no-show", "--id", &waiting_id]);
        assert!(out.contains("no_show"), "[{l}] {out}");
        let list = db.ok(&["booking", "list", "--branch", "Vali-Asr", "--date", date]);
        assert!(
            list.contains("finished") && list.contains("no_show") && list.contains("staff"),
            "[{l}] {list}"
        );
        let report = db.ok(&[
            "booking", "report", "--branch", "Vali-Asr", "--from", date, "--to", date,
        ]);
        let row = report.lines().nth(1).unwrap_or_default();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells[2..],
            ["2", "8", "1", "1", "50%", "0", "0"],
            "[{l}] {report}"
        );
        let shown = db.ok(&["customer", "show", "--phone", "09121234567"]);
        assert!(
            shown.contains("bookings:   1") && shown.contains(": finished"),
            "[{l}] {shown}"
        );
        db.cleanup();
    }
}

/// A salon: a guest picks a service and a staff member, sees that person's free
/// times, and books; the staff member is held, "anyone" still finds the other.
#[test]
fn a_guest_books_a_service_with_a_chosen_staff_member() {
    for db in Db::both() {
        let l = db.label;
        salon(&db, &["Ali", "Reza"], "00:00-24:00");
        let cut = db.ok(&[
            "service",
            "add",
            "--branch",
            "Salon",
            "--name",
            "اصلاح",
            "--name-en",
            "Haircut",
            "--minutes",
            "30",
            "--price",
            "500000",
            "--by",
            "Ali,Reza",
        ]);
        let cut = cut
            .split('#')
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string();
        let colour = db.ok(&[
            "service",
            "add",
            "--branch",
            "Salon",
            "--name",
            "رنگ",
            "--minutes",
            "90",
            "--by",
            "Reza",
        ]);
        let colour = colour
            .split('#')
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string();
        let listed = db.ok(&["service", "list", "--branch", "Salon"]);
        assert!(
            listed.contains("Haircut") && listed.contains("Ali,Reza"),
            "[{l}] {listed}"
        );
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();

        // Step 1 asks for the service and who, not the party size.
        let first = http_request(&http, "GET", "/book/1?lang=en", &[], "");
        assert_eq!(first.status, 200, "[{l}] {}", first.body);
        assert!(
            first.body.contains("id=\"service\"")
                && first.body.contains("Haircut · 30 min · 500000 rials")
                && first.body.contains("Anyone available")
                && !first.body.contains("id=\"party\""),
            "[{l}] {}",
            first.body
        );
        let reza = first
            .body
            .split("\">Reza<")
            .next()
            .and_then(|s| s.rsplit("value=\"").next())
            .unwrap()
            .to_string();
        let cookie = first.header("set-cookie").expect("csrf cookie");
        let guest = Guest {
            http: &http,
            cookie: cookie.split(';').next().unwrap().to_string(),
        };
        let tomorrow = attrs(&first.body, "value", "20")[1].clone();
        let times_of = |service: &str, staff: &str| {
            guest.get(&format!(
                "/book/1/times?date={tomorrow}&party=1&service={service}&staff={staff}&lang=en"
            ))
        };

        // Ali does not colour: no times, the first step again.
        let refused = times_of(&colour, "1");
        assert!(
            attrs(&refused.body, "href", "/book/1/details?").is_empty()
                && refused.body.contains("id=\"service\""),
            "[{l}] {}",
            refused.body
        );
        // A haircut with Reza: his times, every link keeps the choice.
        let times = times_of(&cut, &reza);
        assert_eq!(times.status, 200, "[{l}] {}", times.body);
        assert!(
            times.body.contains("Haircut · Reza"),
            "[{l}] {}",
            times.body
        );
        let links = attrs(&times.body, "href", "/book/1/details?");
        assert_eq!(
            links.len(),
            96,
            "[{l}] every 15 minutes, open around the clock"
        );
        assert!(
            links
                .iter()
                .all(|h| h.contains(&format!("&service={cut}&staff={reza}"))),
            "[{l}] {links:?}"
        );
        let details = guest.get(&links[40]); // 10:00
        assert!(
            details.body.contains("10:00") && details.body.contains("Haircut · Reza"),
            "[{l}] {}",
            details.body
        );
        let start = details.hidden("start").unwrap();
        let mut pairs = vec![
            ("lang", "en".to_string()),
            ("csrf", details.hidden("csrf").unwrap()),
            ("date", tomorrow.clone()),
            ("party", "1".to_string()),
            ("start", start.clone()),
            ("service", details.hidden("service").expect("service field")),
            ("staff", details.hidden("staff").expect("staff field")),
            ("name", "Mina".to_string()),
            ("phone", PHONE.to_string()),
        ];
        let post = |path: &str, v: &[(&'static str, String)]| {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            guest.post(path, &pairs)
        };
        let code_page = post("/book/1/otp", &pairs);
        assert_eq!(code_page.status, 200, "[{l}] {}", code_page.body);
        assert_eq!(code_page.hidden("staff"), Some(reza.clone()), "[{l}]");
        pairs[8].1 = "+989121234567".into();
        pairs.push(("challenge", code_page.hidden("challenge").unwrap()));
        pairs.push(("code", otp_from_inbox(&db, PHONE)));
        let done = post("/book/1/confirm", &pairs);
        assert_eq!(done.status, 200, "[{l}] {}", done.body);
        assert!(done.body.contains("Haircut · Reza"), "[{l}] {}", done.body);
        let list = db.ok(&[
            "booking",
            "list",
            "--branch",
            "Salon",
            "--date",
            &iso(&tomorrow),
        ]);
        assert!(
            list.contains("10:00") && list.contains("Reza") && list.contains("booked"),
            "[{l}] {list}"
        );

        // Reza is held 10:00–10:30 (no buffer): not offered with him, still with anyone.
        let with_reza = times_of(&cut, &reza);
        assert!(
            !with_reza.body.contains(&format!("start={start}&")),
            "[{l}]"
        );
        let anyone = times_of(&cut, "");
        assert!(anyone.body.contains(&format!("start={start}&")), "[{l}]");
        // Reza's colour would overlap his haircut: 10:00 is gone for it too.
        let colours = times_of(&colour, "");
        assert!(!colours.body.contains(&format!("start={start}&")), "[{l}]");
        drop(server);
        db.cleanup();
    }
}
