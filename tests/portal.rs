//! End to end, playing the router: the hotspot page hands a guest to the portal, the
//! guest gets an SMS code (console provider), enters it, and the hand-off login is then
//! accepted by RADIUS with the group's limits — on SQLite and PostgreSQL.

mod common;

use common::radius::{SECRET, exchange, radclient, socket};
use common::{Db, HttpResponse, form_encode, http_request, otp_from_inbox};
use radiusd::packet::dictionary::{self as attr, mikrotik};
use radiusd::packet::{Code, Packet, PacketBuilder};

const MAC: &str = "AA:BB:CC:10:20:30";
// What RouterOS puts in $(chap-id) / $(chap-challenge): octal escapes.
const CHAP_ID: &str = r"\043";
const CHAP_CHALLENGE: &str = r"\224\164\344\001\272\075\264\114\356\071\036\111\375\057\301\204";

fn octal_to_hex(s: &str) -> String {
    s.split('\\')
        .filter(|p| !p.is_empty())
        .map(|p| format!("{:02x}", u8::from_str_radix(p, 8).unwrap()))
        .collect()
}

struct Guest<'a> {
    http: &'a str,
    nas_id: String,
    cookie: String,
    csrf: String,
}

impl Guest<'_> {
    fn router_fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("nas", self.nas_id.clone()),
            ("mac", MAC.into()),
            ("ip", "10.5.50.23".into()),
            ("link-login-only", "http://10.5.50.1/login".into()),
            ("link-orig", "http://example.org/".into()),
            ("chap-id", CHAP_ID.into()),
            ("chap-challenge", CHAP_CHALLENGE.into()),
            ("identity", "cafe-hq".into()),
        ]
    }

    fn post(&self, path: &str, extra: &[(&str, &str)]) -> HttpResponse {
        let fields = self.router_fields();
        let mut pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        pairs.push(("csrf", &self.csrf));
        pairs.extend_from_slice(extra);
        http_request(
            self.http,
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &self.cookie),
            ],
            &form_encode(&pairs),
        )
    }
}

fn arrive<'a>(db: &Db, http: &'a str) -> Guest<'a> {
    let list = db.ok(&["nas", "list"]);
    let nas_id = list
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let mut guest = Guest {
        http,
        nas_id,
        cookie: String::new(),
        csrf: String::new(),
    };
    // The router's login.html posts its variables.
    let fields = guest.router_fields();
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = http_request(
        http,
        "POST",
        "/hotspot/start",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form_encode(&pairs),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("dir=\"rtl\"") && page.body.contains("lang=\"fa\""),
        "Persian first"
    );
    let set_cookie = page.header("set-cookie").expect("CSRF cookie");
    guest.cookie = set_cookie.split(';').next().unwrap().to_string();
    guest.csrf = page.hidden("csrf").expect("csrf field");
    guest
}

#[test]
fn guest_logs_in_with_an_sms_code_and_radius_accepts_the_handoff() {
    for db in Db::both() {
        let l = db.label;
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
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let auth = server.radius_auth.clone().unwrap();
        let guest = arrive(&db, &http);

        // An invalid number gets a clear message on the same page.
        let bad = guest.post(
            "/hotspot/otp",
            &[("phone", "021 1234 5678"), ("lang", "fa")],
        );
        assert_eq!(bad.status, 200);
        assert!(
            bad.body.contains("شماره موبایل معتبر نیست"),
            "[{l}] {}",
            bad.body
        );

        // Persian digits and spaces: the number is understood.
        let code_page = guest.post(
            "/hotspot/otp",
            &[
                ("phone", "۰۹۱۲ ۳۴۵ ۶۷۸۹"),
                ("remember", "1"),
                ("lang", "fa"),
            ],
        );
        assert_eq!(code_page.status, 200, "[{l}] {}", code_page.body);
        let challenge = code_page.hidden("challenge").expect("code page");
        let code = otp_from_inbox(&db, "09123456789");
        let online = guest.post(
            "/hotspot/verify",
            &[
                ("phone", "+989123456789"),
                ("challenge", &challenge),
                ("code", &code),
                ("remember", "1"),
                ("lang", "fa"),
            ],
        );
        assert_eq!(online.status, 200, "[{l}] {}", online.body);
        assert!(
            online.body.contains("action=\"http://10.5.50.1/login\""),
            "[{l}] {}",
            online.body
        );
        let username = online.hidden("username").unwrap();
        let password = online.hidden("password").unwrap();
        assert_eq!(online.hidden("dst").as_deref(), Some("http://example.org/"));
        assert_eq!(password.len(), 32, "CHAP response computed server-side");

        // The router turns the form into a CHAP Access-Request (sent byte for byte with our
        // codec: radclient re-hashes a CHAP-Password it takes for cleartext).
        let chap_request = |id: u8| {
            let hex = |s: &str| -> Vec<u8> {
                (0..s.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                    .collect()
            };
            let authenticator = [id; 16];
            let mut b = PacketBuilder::new(Code::AccessRequest, id, &authenticator)
                .with_message_authenticator();
            b.add_str(attr::USER_NAME, &username).unwrap();
            let mut chap = hex(&octal_to_hex(CHAP_ID));
            chap.extend(hex(&password));
            b.add(attr::CHAP_PASSWORD, &chap).unwrap();
            b.add(attr::CHAP_CHALLENGE, &hex(&octal_to_hex(CHAP_CHALLENGE)))
                .unwrap();
            b.add_str(attr::CALLING_STATION_ID, MAC).unwrap();
            b.add_str(attr::CALLED_STATION_ID, "hotspot1").unwrap();
            b.add_str(attr::NAS_IDENTIFIER, "cafe-hq").unwrap();
            b.add_u32(attr::NAS_PORT_TYPE, 19).unwrap();
            b.add_u32(attr::SERVICE_TYPE, 1).unwrap();
            b.finish_request(SECRET.as_bytes())
        };
        let s = socket("127.0.0.1:0");
        let reply = exchange(&s, &auth, &chap_request(1)).expect("a reply");
        let accept = Packet::decode(&reply).unwrap();
        assert_eq!(
            accept.code(),
            Code::AccessAccept,
            "[{l}] {:?}",
            accept.string(attr::REPLY_MESSAGE)
        );
        assert_eq!(
            accept.vendor_string(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT),
            Some("1M/2M 2M/4M 768k/1536k 8/8 8")
        );
        // Single use: the same login again is refused.
        let reply = exchange(&s, &auth, &chap_request(2)).expect("a reply");
        assert_eq!(
            Packet::decode(&reply).unwrap().code(),
            Code::AccessReject,
            "[{l}] token reused"
        );

        // The guest is a customer and club member, with the device remembered…
        let shown = db.ok(&["customer", "show", "--phone", "09123456789"]);
        assert!(
            shown.contains("guests") && shown.contains(MAC) && shown.contains("remembered until"),
            "[{l}] {shown}"
        );
        assert!(shown.contains("club:       wifi"), "[{l}] {shown}");
        // …so the router's MAC login lets the device in next time, without SMS.
        let mac_login = format!("User-Name={MAC},Calling-Station-Id={MAC},User-Password=\"\"");
        let mac = radclient(&auth, "auth", &mac_login);
        assert!(mac.received("Access-Accept"), "[{l}] {}", mac.stdout);
        server.stop();
        db.cleanup();
    }
}

#[test]
fn abuse_is_refused_with_clear_messages() {
    for db in Db::both() {
        let l = db.label;
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
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let guest = arrive(&db, &http);

        // Without the CSRF cookie the form is refused.
        let forged = http_request(
            &http,
            "POST",
            "/hotspot/otp",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &form_encode(&[
                ("nas", &guest.nas_id),
                ("link-login-only", "http://10.5.50.1/login"),
                ("phone", "09121111111"),
                ("csrf", &guest.csrf),
            ]),
        );
        assert_eq!(forged.status, 403, "[{l}]");

        // Not from a router: a friendly error, not a crash.
        let direct = http_request(&http, "GET", "/hotspot/start", &[], "");
        assert_eq!(direct.status, 400);
        assert!(direct.body.contains("وای‌فای"), "[{l}] {}", direct.body);

        // Wrong code five times locks the code.
        let page = guest.post("/hotspot/otp", &[("phone", "09121111111"), ("lang", "en")]);
        let challenge = page.hidden("challenge").unwrap();
        let code = otp_from_inbox(&db, "09121111111");
        let wrong = if code == "00000" { "11111" } else { "00000" };
        for left in (1..=4).rev() {
            let r = guest.post(
                "/hotspot/verify",
                &[
                    ("phone", "09121111111"),
                    ("challenge", &challenge),
                    ("code", wrong),
                    ("lang", "en"),
                ],
            );
            assert!(
                r.body.contains(&format!("{left} tries left")),
                "[{l}] {}",
                r.body
            );
        }
        let locked = guest.post(
            "/hotspot/verify",
            &[
                ("phone", "09121111111"),
                ("challenge", &challenge),
                ("code", wrong),
                ("lang", "en"),
            ],
        );
        assert!(
            locked.body.contains("Too many wrong tries"),
            "[{l}] {}",
            locked.body
        );
        let too_late = guest.post(
            "/hotspot/verify",
            &[
                ("phone", "09121111111"),
                ("challenge", &challenge),
                ("code", &code),
                ("lang", "en"),
            ],
        );
        assert!(
            too_late.body.contains("Too many wrong tries"),
            "[{l}] right code after the lock: {}",
            too_late.body
        );

        // Asking again at once: wait a minute.
        let soon = guest.post("/hotspot/otp", &[("phone", "09121111111"), ("lang", "en")]);
        assert!(soon.body.contains("Please wait"), "[{l}] {}", soon.body);
        server.stop();
        db.cleanup();
    }
}
