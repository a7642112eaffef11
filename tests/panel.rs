//! The owners' panel end to end against the real binary, on SQLite and PostgreSQL:
//! SMS-code sign-in (console provider), every built-in role against every route of
//! the route table, another tenant's ids on every route, CSRF, the audit log, sign-out
//! and revocation.

mod common;

use std::collections::HashMap;

use common::radius::{SECRET, radclient};
use common::{Db, HttpResponse, form_encode, http_request, otp_from_inbox};
use crm::roles::{BuiltinRole, Permission};
use panel::{Need, RouteInfo};

const OPERATOR: &str = "09120000001";

/// A browser: keeps cookies, echoes the CSRF cookie in forms.
struct Client {
    http: String,
    cookies: HashMap<String, String>,
    /// Says the request came over TLS, as a reverse proxy would.
    tls: bool,
}

impl Client {
    fn new(http: &str) -> Client {
        Client {
            http: http.to_string(),
            cookies: HashMap::new(),
            tls: false,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &HttpResponse) {
        for (k, v) in &response.headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let Some((name, value)) = v.split(';').next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            if value.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn headers<'a>(&self, cookie: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut headers = vec![("Cookie", cookie)];
        if self.tls {
            headers.push(("X-Forwarded-Proto", "https"));
        }
        headers
    }

    fn get(&mut self, path: &str) -> HttpResponse {
        let cookie = self.cookie_header();
        let r = http_request(&self.http, "GET", path, &self.headers(&cookie), "");
        self.keep(&r);
        r
    }

    fn csrf(&self) -> String {
        self.cookies
            .get("sx_portal_csrf")
            .cloned()
            .unwrap_or_default()
    }

    /// A form post carrying the CSRF token, as the panel's forms do.
    fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> HttpResponse {
        let csrf = self.csrf();
        let mut pairs = vec![("csrf", csrf.as_str())];
        pairs.extend_from_slice(fields);
        self.post_raw(path, &form_encode(&pairs))
    }

    fn post_raw(&mut self, path: &str, body: &str) -> HttpResponse {
        let cookie = self.cookie_header();
        let mut headers = self.headers(&cookie);
        headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        let r = http_request(&self.http, "POST", path, &headers, body);
        self.keep(&r);
        r
    }
}

fn location(r: &HttpResponse) -> &str {
    r.header("location").unwrap_or("")
}

/// Signs in with the code the console provider delivered.
fn sign_in(db: &Db, http: &str, phone: &str) -> Client {
    sign_in_over(db, http, phone, false)
}

fn sign_in_over(db: &Db, http: &str, phone: &str, tls: bool) -> Client {
    let mut c = Client::new(http);
    c.tls = tls;
    let page = c.get("/panel/login");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("dir=\"rtl\""), "Persian first");
    let code_page = c.post("/panel/login", &[("phone", phone)]);
    assert_eq!(code_page.status, 200, "{}", code_page.body);
    let challenge = code_page.hidden("challenge").expect("code page");
    let e164 = code_page.hidden("phone").unwrap();
    let code = otp_from_inbox(db, phone);
    let done = c.post(
        "/panel/login/verify",
        &[("phone", &e164), ("challenge", &challenge), ("code", &code)],
    );
    assert_eq!(done.status, 303, "[{}] {}", db.label, done.body);
    let cookie = done.header("set-cookie").unwrap_or("");
    assert!(
        done.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("set-cookie")
                && v.starts_with("sx_panel=")
                && v.contains("HttpOnly")
                && v.contains("SameSite=Lax")
                && v.contains("Secure") == tls),
        "session cookie: {cookie}"
    );
    c
}

/// Ids named in the page's links or forms: `/panel/{what}/{id}`.
fn ids_in(body: &str, what: &str) -> Vec<String> {
    let marker = format!("/panel/{what}/");
    body.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &body[i + marker.len()..];
            let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (!id.is_empty()).then_some(id)
        })
        .collect()
}

fn select_tenant(c: &mut Client, name: &str) {
    let page = c.get("/panel/tenants");
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find(&format!("<span>{name}</span>")).expect(name);
    let before = &page.body[..at];
    let marker = "name=\"tenant\" value=\"";
    let start = before.rfind(marker).unwrap() + marker.len();
    let id: String = before[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let r = c.post("/panel/tenants/select", &[("tenant", &id)]);
    assert_eq!(r.status, 303, "{}", r.body);
}

/// The ids a walk puts in paths.
struct Ids<'a> {
    customer: &'a str,
    membership: &'a str,
    session: &'a str,
    router: &'a str,
    batch: &'a str,
    group: &'a str,
    flag: &'a str,
    booking: &'a str,
    table: &'a str,
}

/// Fills a route's `{id}` and gives the form fields its handler needs to succeed.
fn request(route: &RouteInfo, ids: &Ids) -> (String, Vec<(String, String)>) {
    let id = if route.path.starts_with("/customers/") {
        ids.customer
    } else if route.path.starts_with("/sessions/") {
        ids.session
    } else if route.path.starts_with("/routers/") {
        ids.router
    } else if route.path.starts_with("/vouchers/") {
        ids.batch
    } else if route.path.starts_with("/groups/") {
        ids.group
    } else if route.path.starts_with("/club/flags/") {
        ids.flag
    } else if route.path.starts_with("/bookings/") {
        ids.booking
    } else if route.path.starts_with("/tables/") {
        ids.table
    } else {
        ids.membership
    };
    let mut path = route.path.replace("{id}", id);
    if route.path.ends_with("/script") {
        path.push_str("?portal=http%3A%2F%2F192.0.2.5%3A8080&radius=192.0.2.5");
    }
    let group = ids.group;
    // Each allowed add is a new router.
    static ROUTERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(10);
    let n = ROUTERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let fields = match route.path {
        "/customers/{id}/group" => vec![("group".to_string(), group.to_string())],
        "/people" => vec![
            ("phone".to_string(), "09127770000".to_string()),
            ("role".to_string(), "builtin:viewer".to_string()),
        ],
        "/tenants" => vec![("name".to_string(), "made-by-walk".to_string())],
        "/roles" => vec![
            ("name".to_string(), format!("role-{n}")),
            ("permission".to_string(), "view_customers".to_string()),
        ],
        "/groups/{id}" => vec![("rate_limit".to_string(), "2M/8M".to_string())],
        "/customers/{id}/credit" => vec![
            ("amount".to_string(), "1000".to_string()),
            ("reason".to_string(), "walk".to_string()),
        ],
        "/club/flags/{id}/clear" => vec![("reason".to_string(), "walk".to_string())],
        "/vouchers" => vec![
            ("group".to_string(), "guests".to_string()),
            ("count".to_string(), "1".to_string()),
        ],
        "/routers" => vec![
            ("name".to_string(), format!("walk-{n}")),
            ("address".to_string(), format!("10.9.0.{n}")),
        ],
        _ => vec![],
    };
    (format!("/panel{path}"), fields)
}

fn call(
    c: &mut Client,
    route: &RouteInfo,
    path: &str,
    fields: &[(String, String)],
) -> HttpResponse {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    match route.method {
        "GET" => c.get(path),
        _ => c.post(path, &fields),
    }
}

/// Makes the fraud detector flag a large manual credit to `phone` in `tenant`; the
/// flag's id.
fn open_flag(db: &Db, tenant: &str, phone: &str) -> String {
    let t = ["--tenant", tenant];
    db.ok(&[
        &t[..],
        &["club", "settings", "--fraud-manual-amount", "80000"],
    ]
    .concat());
    db.ok(&[
        &t[..],
        &[
            "club", "credit", phone, "90000", "--reason", "vip", "--staff", "999",
        ],
    ]
    .concat());
    let flags = db.ok(&[&t[..], &["club", "flags"]].concat());
    flags
        .lines()
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("[{}] a flag: {flags}", db.label))
        .to_string()
}

/// A branch "Main" with tables 1 and 2 and two bookings of today for `phone`, a customer
/// already: one finished at table 2 (which now needs cleaning: the board offers to free
/// it), one seated at table 1 (the host view offers to finish it); the seated one's id.
fn seated_booking(db: &Db, tenant: &str, phone: &str) -> String {
    let t = ["--tenant", tenant];
    let run = |args: &[&str]| db.ok(&[&t[..], args].concat());
    run(&["branch", "add", "--name", "Main"]);
    for table in ["1", "2"] {
        run(&[
            "table", "add", "--branch", "Main", "--name", table, "--max", "4",
        ]);
    }
    let book = |time: &str, table: &str| {
        let made = run(&[
            "booking", "create", "--branch", "Main", "--phone", phone, "--party", "2", "--time",
            time, "--table", table,
        ]);
        let at = made.find("booking #").expect("booked") + "booking #".len();
        let id: String = made[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        run(&["booking", "seat", "--id", &id]);
        id
    };
    let left = book("20:00", "2");
    run(&["booking", "finish", "--id", &left]);
    book("23:00", "1")
}

/// An operator, the default tenant with 09121110001 (named) and 09121110002, and a
/// "rival" tenant with 09129990001.
fn two_tenants(db: &Db, name: &str) {
    db.ok(&["admin", "create", "--phone", OPERATOR, "--name", "Ops"]);
    db.ok(&["tenant", "add", "--name", "rival"]);
    db.ok(&["customer", "add", "--phone", "09121110001", "--name", name]);
    db.ok(&["customer", "add", "--phone", "09121110002"]);
    db.ok(&[
        "--tenant",
        "rival",
        "customer",
        "add",
        "--phone",
        "09129990001",
    ]);
}

#[test]
fn sign_in_roles_tenant_scope_csrf_audit_and_sign_out() {
    let table = panel::table();
    assert!(table.len() >= 15, "the route table lists the panel");
    for db in Db::both() {
        let l = db.label;
        two_tenants(&db, "Ali");
        // A router whose incoming (CoA) port nobody listens on, and one guest online.
        let closed = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        db.ok(&[
            "nas",
            "add",
            "--name",
            "hq",
            "--address",
            "127.0.0.1",
            "--secret",
            SECRET,
            "--coa-port",
            &closed.to_string(),
        ]);
        db.ok(&[
            "account",
            "add",
            "--username",
            "staff1",
            "--password",
            "pw-1",
            "--group",
            "staff",
        ]);
        // One open fraud flag in each tenant, for the club routes.
        let flag = open_flag(&db, "default", "09121110002");
        let rival_flag = open_flag(&db, "rival", "09129990001");
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let acct = server.radius_acct.clone().unwrap();
        let start = "Acct-Status-Type=Start,User-Name=staff1,Acct-Session-Id=9100001,Framed-IP-Address=10.5.50.9";
        assert!(
            radclient(&acct, "acct", start).received("Accounting-Response"),
            "[{l}]"
        );
        let session = db
            .ok(&["sessions", "list", "--online"])
            .lines()
            .find(|row| row.contains("9100001"))
            .and_then(|row| row.split_whitespace().next())
            .expect("the session is listed")
            .to_string();
        // Made while serving (a booking's SMS is then not queued at start-up, beside the
        // accounting write above).
        let booking = seated_booking(&db, "default", "09121110002");
        let rival_booking = seated_booking(&db, "rival", "09129990001");

        // Nobody signed in: every non-public route sends to the login page.
        let mut anon = Client::new(&http);
        anon.get("/panel/login");
        for route in table.iter().filter(|r| r.need != Need::Public) {
            let ones = Ids {
                customer: "1",
                membership: "1",
                session: "1",
                router: "1",
                batch: "1",
                group: "1",
                flag: "1",
                booking: "1",
                table: "1",
            };
            let (path, fields) = request(route, &ones);
            let r = call(&mut anon, route, &path, &fields);
            assert_eq!(r.status, 303, "[{l}] {} {path}", route.method);
            assert_eq!(location(&r), "/panel/login", "[{l}] {path}");
        }

        // An unknown number sees the code page, but no SMS goes out.
        let r = anon.post("/panel/login", &[("phone", "09125550000")]);
        assert_eq!(r.status, 200);
        assert!(r.hidden("challenge").is_some());
        assert!(
            db.ok(&["sms", "inbox", "--phone", "09125550000"])
                .lines()
                .count()
                <= 1,
            "[{l}] no code for strangers"
        );

        // The operator: signs in, sees both tenants, collects the rival's ids.
        let mut op = sign_in(&db, &http, OPERATOR);
        let r = op.get("/panel/");
        assert_eq!(
            location(&r),
            "/panel/tenants",
            "[{l}] operators pick a tenant"
        );
        select_tenant(&mut op, "rival");
        let rival_customers = ids_in(&op.get("/panel/customers").body, "customers");
        assert_eq!(rival_customers.len(), 1, "[{l}]");
        let r = op.post(
            "/panel/people",
            &[("phone", "09128880000"), ("role", "builtin:owner")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let rival_members = ids_in(&op.get("/panel/people").body, "people");
        let rival_group = ids_in(&op.get("/panel/groups").body, "groups")[0].clone();
        let rival_table = ids_in(&op.get("/panel/tables").body, "tables")[0].clone();
        assert_eq!(rival_members.len(), 1, "[{l}]");

        // The operator adds one person per built-in role to the default tenant.
        select_tenant(&mut op, "default");
        let phones: Vec<(BuiltinRole, String)> = BuiltinRole::ALL
            .iter()
            .enumerate()
            .map(|(i, r)| (*r, format!("0912000010{i}")))
            .collect();
        for (role, phone) in &phones {
            let r = op.post(
                "/panel/people",
                &[
                    ("phone", phone),
                    ("role", &format!("builtin:{}", role.name())),
                ],
            );
            assert_eq!(r.status, 303, "[{l}] {}", r.body);
        }
        // A refused form keeps what was typed and says why, next to the field.
        let r = op.post(
            "/panel/people",
            &[("phone", "12345"), ("role", "builtin:staff")],
        );
        assert_eq!(r.status, 200);
        assert!(r.body.contains("value=\"12345\""), "[{l}]");
        let router = ids_in(&op.get("/panel/routers").body, "routers")[0].clone();
        let table_id = ids_in(&op.get("/panel/tables").body, "tables")[0].clone();
        assert!(
            ids_in(&op.get("/panel/bookings").body, "bookings").contains(&booking),
            "[{l}] today's booking is listed"
        );
        let r = op.post("/panel/vouchers", &[("group", "guests"), ("count", "3")]);
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let batch = ids_in(&op.get("/panel/vouchers").body, "vouchers")[0].clone();
        let cards = op.get(&format!("/panel/vouchers/{batch}/print"));
        assert_eq!(cards.status, 200, "[{l}]");
        let script = op.get(&format!(
            "/panel/routers/{router}/script?portal=http%3A%2F%2F192.0.2.5%3A8080&radius=192.0.2.5"
        ));
        assert_eq!(script.status, 200, "[{l}] {}", script.body);
        assert!(
            script.body.contains("/radius") && script.body.contains(SECRET),
            "[{l}]"
        );
        let customers_page = op.get("/panel/customers");
        let ours = ids_in(&customers_page.body, "customers");
        assert_eq!(ours.len(), 2, "[{l}] only this tenant's customers");
        assert!(
            !customers_page.body.contains("09129990001")
                && !customers_page.body.contains("۰۹۱۲۹۹۹۰۰۰۱")
        );
        let customer = ours[0].clone();
        let group = {
            let page = op.get(&format!("/panel/customers/{customer}"));
            let marker = "<option value=\"";
            let i = page.body.find(marker).expect("groups") + marker.len();
            page.body[i..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        };

        let mut staff_client = None;
        // Group limits: a bad value is refused on the form, a good one shows in the list.
        let r = op.post(
            &format!("/panel/groups/{group}"),
            &[("rate_limit", "2M/8M"), ("daily_data", "lots")],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.body.contains("role=\"alert\"") && r.body.contains("value=\"lots\""),
            "[{l}]"
        );
        let r = op.post(
            &format!("/panel/groups/{group}"),
            &[
                ("rate_limit", "2M/8M"),
                ("daily_data", "1G"),
                ("devices", "2"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        assert!(op.get("/panel/groups").body.contains(">1G<"), "[{l}]");

        // Each role against every tenant route: allowed exactly where its permissions say.
        for (role, phone) in &phones {
            let mut c = sign_in(&db, &http, phone);
            let allowed = role.permissions();
            // A throwaway membership for the routes that remove one.
            let spare = format!("091277700{:02}", *role as u8);
            op.post(
                "/panel/people",
                &[("phone", &spare), ("role", "builtin:viewer")],
            );
            let members = ids_in(&op.get("/panel/people").body, "people");
            let spare_id = members.last().unwrap().clone();
            for route in &table {
                let expect_allowed = match route.need {
                    Need::Tenant(p) => allowed.contains(&p),
                    Need::Operator => false,
                    // Signing out or in again is not a permission question.
                    Need::Signed | Need::Public => continue,
                };
                let ids = Ids {
                    customer: &customer,
                    membership: &spare_id,
                    session: &session,
                    router: &router,
                    batch: &batch,
                    group: &group,
                    flag: &flag,
                    booking: &booking,
                    table: &table_id,
                };
                let (path, fields) = request(route, &ids);
                let r = call(&mut c, route, &path, &fields);
                if expect_allowed {
                    assert!(
                        r.status == 200 || r.status == 303,
                        "[{l}] {role:?} may {} {path}: {} {}",
                        route.method,
                        r.status,
                        r.body
                    );
                    assert_ne!(location(&r), "/panel/login", "[{l}] {role:?} {path}");
                } else {
                    assert_eq!(
                        r.status, 403,
                        "[{l}] {role:?} must not {} {path}",
                        route.method
                    );
                    assert!(r.body.contains("role=\"alert\""), "[{l}] a clear 403 page");
                }
            }
            // Unblock what the walk may have blocked, so the next role starts alike.
            op.post(&format!("/panel/customers/{customer}/unblock"), &[]);
            if *role == BuiltinRole::Staff {
                staff_client = Some(c);
                continue;
            }
            if *role == BuiltinRole::Owner {
                // Another tenant's ids are not found, on every route that takes one.
                for route in table.iter().filter(|r| {
                    r.path.contains("{id}")
                        && !["/sessions/", "/routers/", "/vouchers/"]
                            .iter()
                            .any(|p| r.path.starts_with(p))
                }) {
                    let ids = Ids {
                        customer: &rival_customers[0],
                        membership: &rival_members[0],
                        session: &session,
                        router: &router,
                        batch: &batch,
                        group: &rival_group,
                        flag: &rival_flag,
                        booking: &rival_booking,
                        table: &rival_table,
                    };
                    let (path, fields) = request(route, &ids);
                    let r = call(&mut c, route, &path, &fields);
                    assert_eq!(r.status, 404, "[{l}] {} {path}: {}", route.method, r.body);
                }
                // The rival's customer was not touched.
                let r = op.get("/panel/tenants");
                assert_eq!(r.status, 200);

                // CSRF: no token, or another one, and nothing happens.
                let path = format!("/panel/customers/{customer}/block");
                let r = c.post_raw(&path, "");
                assert_eq!(r.status, 403, "[{l}] no token");
                let r = c.post_raw(
                    &path,
                    &form_encode(&[("csrf", "0123456789abcdef0123456789abcdef")]),
                );
                assert_eq!(r.status, 403, "[{l}] wrong token");
                let page = c.get(&format!("/panel/customers/{customer}?lang=en"));
                assert!(
                    !page.body.contains(">Blocked<"),
                    "[{l}] not blocked by a forged form"
                );

                // A change writes an audit entry, with before and after.
                let r = c.post(&path, &[]);
                assert_eq!(r.status, 303);
                let audit = c.get("/panel/audit?lang=en");
                assert_eq!(audit.status, 200);
                assert!(
                    audit.body.contains("Customer blocked"),
                    "[{l}] {}",
                    audit.body
                );
                assert!(
                    audit.body.contains("{&#34;disabled&#34;:false}")
                        && audit.body.contains("{&#34;disabled&#34;:true}"),
                    "[{l}] before/after: {}",
                    audit.body
                );
                assert!(audit.body.contains("Person added"), "[{l}]");
                c.post(&format!("/panel/customers/{customer}/unblock"), &[]);

                // Sign-out ends the session on the server too.
                let stolen = c.cookies.clone();
                let r = c.post("/panel/logout", &[]);
                assert_eq!(location(&r), "/panel/login");
                assert_eq!(location(&c.get("/panel/")), "/panel/login");
                c.cookies = stolen;
                assert_eq!(location(&c.get("/panel/")), "/panel/login", "[{l}] revoked");
            }
        }

        // Sessions, routers and vouchers exist only in the default tenant: from the
        // rival tenant their ids are not found.
        select_tenant(&mut op, "rival");
        let ours_only = ["/sessions/", "/routers/", "/vouchers/"];
        for route in table
            .iter()
            .filter(|r| ours_only.iter().any(|p| r.path.starts_with(p)))
        {
            let id = match route.path.split('/').nth(1) {
                Some("sessions") => &session,
                Some("routers") => &router,
                _ => &batch,
            };
            let mut path = format!("/panel{}", route.path.replace("{id}", id));
            if route.path.ends_with("/script") {
                path.push_str("?portal=http%3A%2F%2F192.0.2.5%3A8080&radius=192.0.2.5");
            }
            let r = call(&mut op, route, &path, &[]);
            assert_eq!(r.status, 404, "[{l}] {} {path}", route.method);
        }
        assert!(!op.get("/panel/sessions").body.contains("staff1"), "[{l}]");
        select_tenant(&mut op, "default");
        let online = op.get("/panel/sessions?lang=en");
        assert!(online.body.contains("staff1"), "[{l}] {}", online.body);
        let r = op.post(&format!("/panel/sessions/{session}/disconnect"), &[]);
        assert!(
            location(&r).starts_with("/panel/sessions?done="),
            "[{l}] {}",
            location(&r)
        );
        assert!(
            op.get("/panel/audit?lang=en")
                .body
                .contains("Session disconnected")
        );

        // Revocation from the host signs a person out everywhere.
        let staff_phone = &phones[3].1;
        let mut staff = staff_client.expect("the staff member signed in");
        assert_eq!(staff.get("/panel/").status, 200);
        db.ok(&["admin", "revoke", "--phone", staff_phone]);
        assert_eq!(location(&staff.get("/panel/")), "/panel/login", "[{l}]");

        // A custom role: exactly its permissions.
        let r = op.post(
            "/panel/roles",
            &[
                ("name", "counter"),
                ("permission", "view_dashboard"),
                ("permission", "view_customers"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let people = op.get("/panel/people?lang=en");
        assert!(
            people.body.contains("See customers"),
            "[{l}] permissions listed"
        );
        let marker = "value=\"custom:";
        let at = people
            .body
            .find(marker)
            .expect("the custom role is offered")
            + marker.len();
        let role_id: String = people.body[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let r = op.post(
            "/panel/people",
            &[
                ("phone", "09120000777"),
                ("role", &format!("custom:{role_id}")),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let mut counter = sign_in(&db, &http, "09120000777");
        assert_eq!(counter.get("/panel/customers").status, 200, "[{l}]");
        assert_eq!(counter.get("/panel/").status, 200, "[{l}]");
        assert_eq!(counter.get("/panel/sessions").status, 403, "[{l}]");
        assert_eq!(counter.get("/panel/groups").status, 403, "[{l}]");

        // Secure cookies when the request came over TLS through a proxy.
        op.post(
            "/panel/people",
            &[("phone", "09120000999"), ("role", "builtin:viewer")],
        );
        let mut tls = sign_in_over(&db, &http, "09120000999", true);
        assert_eq!(tls.get("/panel/").status, 200, "[{l}]");
        drop(server);
        db.cleanup();
    }
}

#[test]
fn club_pages_credit_ledger_and_fraud_flags() {
    for db in Db::both() {
        let l = db.label;
        db.ok(&["admin", "create", "--phone", OPERATOR]);
        db.ok(&["customer", "add", "--phone", "09121110001", "--name", "Ali"]);
        db.ok(&["club", "settings", "--manual-daily-cap", "100000"]);
        let flag = open_flag(&db, "default", "09121110009");
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let mut op = sign_in(&db, &http, OPERATOR);
        select_tenant(&mut op, "default");
        for (phone, role) in [("09120000101", "owner"), ("09120000102", "viewer")] {
            let r = op.post(
                "/panel/people",
                &[("phone", phone), ("role", &format!("builtin:{role}"))],
            );
            assert_eq!(r.status, 303, "[{l}] {}", r.body);
        }
        let mut owner = sign_in(&db, &http, "09120000101");
        let customers = owner.get("/panel/customers");
        let ali = ids_in(&customers.body, "customers")
            .into_iter()
            .find(|id| {
                owner
                    .get(&format!("/panel/customers/{id}?lang=en"))
                    .body
                    .contains("Ali")
            })
            .expect("Ali is listed");
        let page = owner.get(&format!("/panel/customers/{ali}"));
        assert!(
            page.body
                .contains(&format!("/panel/customers/{ali}/ledger")),
            "[{l}] the customer page links the ledger"
        );

        // Manual credit through the page, in Persian digits; the ledger shows it.
        let r = owner.post(
            &format!("/panel/customers/{ali}/credit"),
            &[("amount", "۲۵۰۰۰"), ("reason", "broken cup")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let ledger = owner.get(&format!("/panel/customers/{ali}/ledger?lang=en"));
        assert_eq!(ledger.status, 200, "[{l}]");
        assert!(
            ledger.body.contains("broken cup")
                && ledger.body.contains("25000 rials")
                && ledger.body.contains("Manual"),
            "[{l}] {}",
            ledger.body
        );
        let fa = owner.get(&format!("/panel/customers/{ali}/ledger?lang=fa"));
        assert!(fa.body.contains("۲۵۰۰۰ ریال"), "[{l}] Persian digits");
        let balance = db.ok(&["club", "balance", "09121110001"]);
        assert!(balance.contains("25000"), "[{l}] {balance}");

        // The daily cap refuses on the page, keeping what was typed; bad input too.
        let r = owner.post(
            &format!("/panel/customers/{ali}/credit?lang=en"),
            &[("amount", "90000"), ("reason", "too much")],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.body.contains("role=\"alert\"")
                && r.body.contains("daily cap")
                && r.body.contains("value=\"too much\""),
            "[{l}] {}",
            r.body
        );
        let r = owner.post(
            &format!("/panel/customers/{ali}/credit"),
            &[("amount", "lots"), ("reason", "x")],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(r.body.contains("role=\"alert\""), "[{l}]");

        // A viewer sees the club and the ledger, may not add credit or clear flags.
        let mut viewer = sign_in(&db, &http, "09120000102");
        assert_eq!(viewer.get("/panel/club").status, 200, "[{l}]");
        let seen = viewer.get(&format!("/panel/customers/{ali}/ledger"));
        assert_eq!(seen.status, 200, "[{l}]");
        assert!(!seen.body.contains("/credit\""), "[{l}] no credit form");
        let r = viewer.post(
            &format!("/panel/customers/{ali}/credit"),
            &[("amount", "1000"), ("reason", "sneaky")],
        );
        assert_eq!(r.status, 403, "[{l}]");
        let r = viewer.post(
            &format!("/panel/club/flags/{flag}/clear"),
            &[("reason", "x")],
        );
        assert_eq!(r.status, 403, "[{l}]");
        assert!(
            !owner
                .get(&format!("/panel/customers/{ali}/ledger"))
                .body
                .contains("sneaky"),
            "[{l}]"
        );

        // The club page: totals and the open flag; clearing needs a reason.
        let club = owner.get("/panel/club?lang=en");
        assert!(
            club.body.contains("manual_amount")
                && club
                    .body
                    .contains(&format!("/panel/club/flags/{flag}/clear")),
            "[{l}] {}",
            club.body
        );
        let r = owner.post(
            &format!("/panel/club/flags/{flag}/clear"),
            &[("reason", " ")],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(r.body.contains("role=\"alert\""), "[{l}]");
        let r = owner.post(
            &format!("/panel/club/flags/{flag}/clear"),
            &[("reason", "owner approved")],
        );
        assert_eq!(location(&r), "/panel/club", "[{l}] {}", r.body);
        let club = owner.get("/panel/club?lang=en");
        assert!(club.body.contains("No open flags"), "[{l}] {}", club.body);
        let decisions = db.ok(&["club", "decisions"]);
        assert!(decisions.contains("owner approved"), "[{l}] {decisions}");
        let r = owner.post("/panel/club/flags/999999/clear", &[("reason", "x")]);
        assert_eq!(r.status, 404, "[{l}]");
        drop(server);
        db.cleanup();
    }
}

#[test]
fn route_table_names_a_permission_for_every_tenant_page() {
    let table = panel::table();
    let mut seen = std::collections::HashSet::new();
    for route in &table {
        assert!(
            seen.insert((route.method, route.path)),
            "duplicate {route:?}"
        );
        if route.path.contains("{id}") {
            assert!(
                matches!(route.need, Need::Tenant(_)),
                "{route:?} takes an id outside a tenant"
            );
        }
    }
    // Owners reach every tenant page; nobody but operators creates tenants.
    let owner = BuiltinRole::Owner.permissions();
    for route in &table {
        if let Need::Tenant(p) = route.need {
            assert!(owner.contains(&p), "{route:?}");
        }
    }
    assert!(!owner.contains(&Permission::ManageTenants));
}

#[test]
fn customers_csv_export_and_import() {
    for db in Db::both() {
        let l = db.label;
        two_tenants(&db, "علی");
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let mut op = sign_in(&db, &http, OPERATOR);
        select_tenant(&mut op, "default");
        for (phone, role) in [("09128880000", "owner"), ("09127770000", "staff")] {
            let role = format!("builtin:{role}");
            let r = op.post("/panel/people", &[("phone", phone), ("role", &role)]);
            assert_eq!(r.status, 303, "[{l}] {}", r.body);
        }
        let mut owner = sign_in(&db, &http, "09128880000");
        let mut staff = sign_in(&db, &http, "09127770000");

        // Export: BOM, header, this tenant's customers only; the search narrows it.
        let list = owner.get("/panel/customers");
        assert!(list.body.contains("/panel/customers.csv?q="), "[{l}]");
        let r = owner.get("/panel/customers.csv");
        assert_eq!(r.status, 200, "[{l}] {}", r.body);
        assert!(r.header("content-type").unwrap().starts_with("text/csv"));
        assert!(
            r.body.starts_with(
                "\u{FEFF}phone,name,group,visits,created_jalali,created,last_seen\r\n"
            )
        );
        let ali = r
            .body
            .lines()
            .find(|line| line.starts_with("09121110001,"))
            .expect("Ali is exported");
        let cells: Vec<&str> = ali.split(',').collect();
        assert_eq!(cells[1], "علی", "[{l}] {ali}");
        assert_eq!(cells[3], "0", "[{l}] {ali}");
        assert!(cells[4].starts_with("14"), "[{l}] Jalali year: {ali}");
        assert!(cells[5].ends_with('Z'), "[{l}] ISO: {ali}");
        assert!(r.body.contains("09121110002,"), "[{l}]");
        assert!(!r.body.contains("09129990001"), "[{l}] tenant-scoped");
        let searched = owner.get("/panel/customers.csv?q=%D8%B9%D9%84%DB%8C");
        assert_eq!(searched.body.lines().count(), 2, "[{l}] {}", searched.body);

        // Staff may not export or import.
        assert_eq!(staff.get("/panel/customers.csv").status, 403, "[{l}]");
        assert!(!staff.get("/panel/customers").body.contains("customers.csv"));
        let r = staff.post(
            "/panel/customers/import",
            &[("csv", "phone\n09121230000\n")],
        );
        assert_eq!(r.status, 403, "[{l}]");

        // Import: new, repeated (in the file and already stored) and bad rows.
        let csv = "name,phone\r\n\
                   رضا,09121230001\r\n\
                   \"Sara, Jr\",۰۹۱۲۱۲۳۰۰۰۲\r\n\
                   Other,+989121230001\r\n\
                   Not Ali,09121110001\r\n\
                   Filled,09121110002\r\n\
                   x,12345\r\n\
                   y,\r\n";
        let r = owner.post("/panel/customers/import?lang=en", &[("csv", csv)]);
        assert_eq!(r.status, 200, "[{l}] {}", r.body);
        assert!(r.body.contains("id=\"added\">2<"), "[{l}] {}", r.body);
        assert!(r.body.contains("id=\"merged\">3<"), "[{l}] {}", r.body);
        assert!(r.body.contains("id=\"rejected\">2<"), "[{l}] {}", r.body);
        assert!(
            r.body.contains("<td class=\"num\">7</td><td><bdi dir=\"ltr\">12345</bdi></td><td>Not an Iranian mobile number</td>"),
            "[{l}] {}",
            r.body
        );
        assert!(r.body.contains("<td class=\"num\">8</td>"), "[{l}]");
        assert!(r.body.contains("No phone number"), "[{l}]");
        let list = db.ok(&["customer", "list"]);
        for (phone, name) in [
            ("+989121230001", "رضا"),
            ("+989121230002", "Sara, Jr"),
            ("+989121110001", "علی"),
            ("+989121110002", "Filled"),
        ] {
            assert!(
                list.lines()
                    .any(|row| row.contains(phone) && row.contains(name)),
                "[{l}] {phone} {name}: {list}"
            );
        }
        assert!(
            !list.contains("Not Ali") && !list.contains("Other"),
            "[{l}]"
        );
        let audit = owner.get("/panel/audit?lang=en").body;
        assert!(audit.contains("Customers imported (CSV)"), "[{l}]");
        assert!(
            audit.contains("{&#34;added&#34;:2,&#34;merged&#34;:3,&#34;rejected&#34;:2}"),
            "[{l}] one entry with the counts: {audit}"
        );

        // A file without a phone column is refused as a whole; CSRF as on every form.
        let r = owner.post("/panel/customers/import?lang=en", &[("csv", "name\nAli\n")]);
        assert!(r.body.contains("no phone column"), "[{l}] {}", r.body);
        let r = owner.post_raw(
            "/panel/customers/import",
            &form_encode(&[("csv", "phone\n09121239999\n")]),
        );
        assert_eq!(r.status, 403, "[{l}] no token");
        assert!(!db.ok(&["customer", "list"]).contains("+989121239999"));
        // Over the 1 MB form limit: a clear 413, not a CSRF page.
        let huge = format!("phone\n{}", "09121230000\n".repeat(90_000));
        let r = owner.post("/panel/customers/import?lang=en", &[("csv", huge.as_str())]);
        assert_eq!(r.status, 413, "[{l}]");
        assert!(r.body.contains("too large"), "[{l}] {}", r.body);
        drop(server);
        db.cleanup();
    }
}

#[test]
fn host_view_books_refuses_a_taken_table_and_records_deposits() {
    for db in Db::both() {
        let l = db.label;
        db.ok(&["admin", "create", "--phone", OPERATOR, "--name", "Ops"]);
        db.ok(&["branch", "add", "--name", "Main"]);
        db.ok(&[
            "table", "add", "--branch", "Main", "--name", "1", "--max", "4",
        ]);
        db.ok(&[
            "booking",
            "settings",
            "--branch",
            "Main",
            "--deposit",
            "fixed",
            "--deposit-amount",
            "500000",
            "--deposit-from",
            "4",
        ]);
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let mut op = sign_in(&db, &http, OPERATOR);
        select_tenant(&mut op, "default");
        let page = op.get("/panel/bookings?lang=en");
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        let branch = page.hidden("branch").expect("the booking form");
        let day = page.hidden("day").unwrap();
        let book = |op: &mut Client, time: &str, phone: &str, party: &str| {
            op.post(
                "/panel/bookings",
                &[
                    ("branch", &branch),
                    ("day", &day),
                    ("time", time),
                    ("party", party),
                    ("phone", phone),
                    ("name", "Reza"),
                ],
            )
        };

        // A phone call: booked, with the branch's deposit asked.
        let r = book(&mut op, "21:00", "09121230001", "4");
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let back = location(&r).to_string();
        assert!(back.contains("done=booked"), "[{l}] {back}");
        let page = op.get(&back);
        assert!(page.body.contains("Booked."), "[{l}]");
        assert!(
            page.body.contains("500000 · not paid"),
            "[{l}] {}",
            page.body
        );
        let id = ids_in(&page.body, "bookings")[0].clone();

        // The only table at the same time: refused on the form, with the reason and what
        // was typed; so is a time that is not one.
        let r = book(&mut op, "21:30", "09121230002", "2");
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.body
                .contains("No table is free for that party at that time.")
                && r.body.contains("value=\"09121230002\""),
            "[{l}] {}",
            r.body
        );
        let r = book(&mut op, "25:99", "09121230002", "2");
        assert!(r.body.contains("Write the time as 19:30."), "[{l}]");
        assert_eq!(
            ids_in(&op.get(&back).body, "bookings")
                .iter()
                .filter(|x| **x != id)
                .count(),
            0,
            "[{l}] still one booking"
        );

        // The deposit is received; a late cancellation keeps it.
        let r = op.post(
            &format!("/panel/bookings/{id}/deposit"),
            &[("deposit", "paid")],
        );
        assert_eq!(r.status, 303, "[{l}]");
        assert!(op.get(&back).body.contains("500000 · paid"), "[{l}]");
        let r = op.post(
            &format!("/panel/bookings/{id}/status"),
            &[("status", "cancelled")],
        );
        assert!(location(&r).contains("done=ok"), "[{l}] {}", location(&r));
        let page = op.get(&back);
        assert!(
            page.body.contains("500000 · kept") && page.body.contains(">Cancelled<"),
            "[{l}] {}",
            page.body
        );
        // A cancelled booking cannot be seated: refused, nothing changes.
        let r = op.post(
            &format!("/panel/bookings/{id}/status"),
            &[("status", "seated")],
        );
        assert!(location(&r).contains("done=refused"), "[{l}]");
        assert!(
            op.get(location(&r))
                .body
                .contains("That change is not possible now."),
            "[{l}]"
        );
        let report = op.get("/panel/bookings/report?lang=en&days=7");
        assert_eq!(report.status, 200, "[{l}]");
        assert!(
            report.body.contains("Bookings report")
                && report.body.contains("<td class=\"num\">500000</td>"),
            "[{l}] the kept deposit is collected: {}",
            report.body
        );
        let audit = op.get("/panel/audit?lang=en").body;
        assert!(
            audit.contains("Booking made") && audit.contains("Deposit recorded"),
            "[{l}]"
        );
        drop(server);
        db.cleanup();
    }
}
