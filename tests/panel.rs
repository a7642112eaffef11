//! The owners' panel end to end against the real binary, on SQLite and PostgreSQL:
//! SMS-code sign-in (console provider), every built-in role against every route of
//! the route table, another tenant's ids on every route, CSRF, the audit log, sign-out
//! and revocation.

mod common;

use common::panel::{Client, ids_in, location, select_tenant, sign_in, sign_in_over};
use common::radius::{SECRET, radclient};
use common::{Db, HttpResponse, form_encode};
use crm::roles::{BuiltinRole, Permission};
use panel::{Need, RouteInfo};

const OPERATOR: &str = "09120000001";

/// The ids a walk puts in paths.
struct Ids<'a> {
    customer: &'a str,
    membership: &'a str,
    session: &'a str,
    router: &'a str,
    /// A router the walk may remove.
    spare_router: &'a str,
    batch: &'a str,
    group: &'a str,
    flag: &'a str,
    role: &'a str,
    coupon: &'a str,
    case: &'a str,
    media: &'a str,
    booking: &'a str,
    table: &'a str,
    message: &'a str,
}

/// Fills a route's `{id}` and gives the form fields its handler needs to succeed.
fn request(route: &RouteInfo, ids: &Ids) -> (String, Vec<(String, String)>) {
    let id = if route.path.starts_with("/customers/") {
        ids.customer
    } else if route.path.starts_with("/sessions/") {
        ids.session
    } else if route.path == "/routers/{id}/remove" {
        ids.spare_router
    } else if route.path.starts_with("/routers/") {
        ids.router
    } else if route.path.starts_with("/vouchers/") {
        ids.batch
    } else if route.path.starts_with("/groups/") {
        ids.group
    } else if route.path.starts_with("/club/flags/") {
        ids.flag
    } else if route.path.starts_with("/roles/") {
        ids.role
    } else if route.path.starts_with("/coupons/") {
        ids.coupon
    } else if route.path.starts_with("/cases/") {
        ids.case
    } else if route.path.starts_with("/bookings/messages/") {
        ids.message
    } else if route.path.starts_with("/bookings/tables/") {
        ids.table
    } else if route.path.starts_with("/bookings/") {
        ids.booking
    } else if route.path.starts_with("/tables/") {
        ids.table
    } else {
        ids.membership
    };
    let mut path = route
        .path
        .replace("{id}", id)
        .replace("{media_id}", ids.media);
    if route.path.ends_with("/script") || route.path.ends_with("/pages.zip") {
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
        "/roles" | "/roles/{id}" => vec![
            ("name".to_string(), format!("role-{n}")),
            ("permission".to_string(), "view_customers".to_string()),
        ],
        "/groups/{id}" => vec![("rate_limit".to_string(), "2M/8M".to_string())],
        "/customers/{id}/credit" => vec![
            ("amount".to_string(), "1000".to_string()),
            ("reason".to_string(), "walk".to_string()),
        ],
        "/customers/{id}/club-profile" => vec![
            ("birthday".to_string(), "09-13".to_string()),
            ("opt_out".to_string(), "on".to_string()),
        ],
        "/club/flags/{id}/clear" => vec![("reason".to_string(), "walk".to_string())],
        "/club/settings" => vec![("expiry_days".to_string(), "200".to_string())],
        "/surveys/settings" => vec![("delay_minutes".to_string(), "90".to_string())],
        // Nobody: a valid choice (another tenant's people: survey_alert_people_*).
        "/surveys/alerts" => vec![],
        "/surveys/alert-phones" => vec![
            ("action".to_string(), "add".to_string()),
            ("phone".to_string(), format!("0912888{:04}", n % 10_000)),
        ],
        "/surveys/questions" => vec![
            ("action".to_string(), "add".to_string()),
            ("kind".to_string(), "text".to_string()),
            ("label".to_string(), format!("walk {n}")),
        ],
        "/reports/wallet" => vec![
            ("amount".to_string(), "1000".to_string()),
            ("reason".to_string(), "walk".to_string()),
        ],
        "/coupons" => vec![
            ("name".to_string(), format!("walk-{n}")),
            ("kind".to_string(), "credit".to_string()),
            ("value".to_string(), "1000".to_string()),
            ("count".to_string(), "2".to_string()),
            ("valid_days".to_string(), "30".to_string()),
            ("max_uses".to_string(), "1".to_string()),
        ],
        "/bookings/settings" => vec![("slot_interval".to_string(), "15".to_string())],
        "/bookings/tables/active" => vec![
            ("name".to_string(), "1".to_string()),
            ("active".to_string(), "on".to_string()),
        ],
        // An edit that keeps table 1 as it is; a day off far ahead; a rule.
        "/bookings/tables/{id}" => vec![
            ("name".to_string(), "1".to_string()),
            ("min".to_string(), "1".to_string()),
            ("max".to_string(), "4".to_string()),
        ],
        "/bookings/tables/{id}/closed" | "/bookings/closed" => vec![
            ("day".to_string(), "2030-01-01".to_string()),
            ("closed".to_string(), "off".to_string()),
        ],
        "/bookings/deposit-rules" => vec![
            ("hours".to_string(), "fri 19:00-23:00".to_string()),
            ("min".to_string(), "6".to_string()),
            ("mode".to_string(), "fixed".to_string()),
            ("amount".to_string(), "1000".to_string()),
        ],
        // The walk's branch has tables only: the service is refused next to its form.
        "/bookings/services" => vec![
            ("name".to_string(), format!("walk {n}")),
            ("duration".to_string(), "30".to_string()),
        ],
        "/bookings/services/remove" => vec![("id".to_string(), "0".to_string())],
        "/bookings/messages" => vec![
            ("kind".to_string(), "reminder".to_string()),
            ("offset".to_string(), "1440".to_string()),
            ("template".to_string(), "Tomorrow {time}".to_string()),
        ],
        "/bookings/messages/{id}" => vec![
            ("offset".to_string(), "30".to_string()),
            ("template".to_string(), "See you at {time}".to_string()),
            ("active".to_string(), "on".to_string()),
        ],
        "/cases/{id}/status" => vec![("status".to_string(), "contacted".to_string())],
        "/cases/{id}/note" => vec![("note".to_string(), "walk".to_string())],
        "/cases/{id}/reply" => vec![("which".to_string(), "unhappy".to_string())],
        "/cases/{id}/credit" => vec![
            ("amount".to_string(), "1000".to_string()),
            ("reason".to_string(), "walk".to_string()),
        ],
        "/vouchers" => vec![
            ("group".to_string(), "guests".to_string()),
            ("count".to_string(), "1".to_string()),
        ],
        "/routers" => vec![
            ("name".to_string(), format!("walk-{n}")),
            ("address".to_string(), format!("10.9.0.{n}")),
        ],
        // The router sessions run on keeps its name, address and secret.
        "/routers/{id}" => vec![
            ("name".to_string(), "hq".to_string()),
            ("address".to_string(), "127.0.0.1".to_string()),
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

/// The operator adds these (phone, built-in role) to the default tenant.
fn add_people(db: &Db, http: &str, people: &[(&str, &str)]) -> Client {
    let mut op = sign_in(db, http, OPERATOR);
    select_tenant(&mut op, "default");
    for (phone, role) in people {
        let r = op.post(
            "/panel/people",
            &[("phone", phone), ("role", &format!("builtin:{role}"))],
        );
        assert_eq!(r.status, 303, "[{}] {}", db.label, r.body);
    }
    op
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
        let message = cli_id(&db.ok(&["booking", "sms", "list"]), "confirmation");
        let rival_message = cli_id(
            &db.ok(&["--tenant", "rival", "booking", "sms", "list"]),
            "confirmation",
        );

        // A low score's case with a photo in each tenant, from the customers already
        // there (so the customer lists keep their counts).
        let case = common::survey::low_score_case(&db, &server, "default", "Center", "09121110002");
        let rival_case =
            common::survey::low_score_case(&db, &server, "rival", "Rival HQ", "09129990001");

        // Nobody signed in: every non-public route sends to the login page.
        let mut anon = Client::new(&http);
        anon.get("/panel/login");
        for route in table.iter().filter(|r| r.need != Need::Public) {
            let ones = Ids {
                customer: "1",
                membership: "1",
                session: "1",
                router: "1",
                spare_router: "1",
                batch: "1",
                group: "1",
                flag: "1",
                role: "1",
                coupon: "1",
                case: "1",
                media: "1",
                booking: "1",
                table: "1",
                message: "1",
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
        let r = op.post(
            "/panel/roles",
            &[("name", "rival-role"), ("permission", "view_customers")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let rival_role = ids_in(&op.get("/panel/people").body, "roles")[0].clone();
        let r = op.post(
            "/panel/coupons",
            &[
                ("name", "rival batch"),
                ("kind", "credit"),
                ("value", "1000"),
                ("count", "1"),
                ("max_uses", "1"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let rival_coupon = ids_in(&op.get("/panel/coupons").body, "coupons")[0].clone();
        let rival_media = ids_in(
            &op.get(&format!("/panel/cases/{rival_case}")).body,
            &format!("cases/{rival_case}/media"),
        )[0]
        .clone();
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
        let r = op.post(
            "/panel/coupons",
            &[
                ("name", "ours"),
                ("kind", "credit"),
                ("value", "1000"),
                ("count", "1"),
                ("max_uses", "1"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let coupon = ids_in(&op.get("/panel/coupons").body, "coupons")[0].clone();
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
        let media = ids_in(
            &op.get(&format!("/panel/cases/{case}")).body,
            &format!("cases/{case}/media"),
        )[0]
        .clone();
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
            // And a throwaway custom role for the routes that edit and delete one.
            let spare_name = format!("spare-{}", role.name());
            op.post(
                "/panel/roles",
                &[("name", &spare_name), ("permission", "view_dashboard")],
            );
            let spare_role = ids_in(&op.get("/panel/people").body, "roles")
                .into_iter()
                .max_by_key(|id| id.parse::<i64>().unwrap())
                .unwrap();
            let spare_address = format!("10.8.0.{}", *role as u8);
            op.post(
                "/panel/routers",
                &[("name", &spare_name), ("address", &spare_address)],
            );
            let spare_router = ids_in(&op.get("/panel/routers").body, "routers")
                .into_iter()
                .max_by_key(|id| id.parse::<i64>().unwrap())
                .unwrap();
            for route in &table {
                let expect_allowed = match route.need {
                    Need::Tenant(p) => allowed.contains(&p),
                    Need::Member => true,
                    Need::Operator => false,
                    // Signing out or in again is not a permission question.
                    Need::Signed | Need::Public => continue,
                };
                let ids = Ids {
                    customer: &customer,
                    membership: &spare_id,
                    session: &session,
                    router: &router,
                    spare_router: &spare_router,
                    batch: &batch,
                    group: &group,
                    flag: &flag,
                    role: &spare_role,
                    coupon: &coupon,
                    case: &case,
                    media: &media,
                    booking: &booking,
                    table: &table_id,
                    message: &message,
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
                        spare_router: &router,
                        batch: &batch,
                        group: &rival_group,
                        flag: &rival_flag,
                        role: &rival_role,
                        coupon: &rival_coupon,
                        case: &rival_case,
                        media: &rival_media,
                        booking: &rival_booking,
                        table: &rival_table,
                        message: &rival_message,
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
            if route.path.ends_with("/script") || route.path.ends_with("/pages.zip") {
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
        add_people(
            &db,
            &http,
            &[("09120000101", "owner"), ("09120000102", "viewer")],
        );
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
        // Both changes are in the audit log, by the owner, with before and after.
        let audit = owner.get("/panel/audit?lang=en").body;
        assert!(
            audit.contains("Manual credit added")
                && audit.contains("&#34;reason&#34;:&#34;broken cup&#34;")
                && audit.contains("&#34;spendable&#34;:25000"),
            "[{l}] {audit}"
        );
        assert!(
            audit.contains("Fraud flag cleared")
                && audit.contains("&#34;state&#34;:&#34;cleared&#34;")
                && audit.contains("owner approved")
                && audit.contains("09120000101"),
            "[{l}] {audit}"
        );
        let r = owner.post("/panel/club/flags/999999/clear", &[("reason", "x")]);
        assert_eq!(r.status, 404, "[{l}]");

        // Birthday and marketing consent: Jalali in Persian, Gregorian in English, a bad
        // date re-renders next to the field; a viewer may not.
        let profile = format!("/panel/customers/{ali}/club-profile");
        let r = owner.post(
            &format!("{profile}?lang=fa"),
            &[("birthday", "۰۹/۱۳"), ("opt_out", "on")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let en = owner
            .get(&format!("/panel/customers/{ali}/ledger?lang=en"))
            .body;
        assert!(
            en.contains("value=\"12-04\"") && en.contains("13 Azar") && en.contains(" checked>"),
            "[{l}] {en}"
        );
        let fa = owner
            .get(&format!("/panel/customers/{ali}/ledger?lang=fa"))
            .body;
        assert!(fa.contains("value=\"۰۹-۱۳\""), "[{l}] {fa}");
        let r = owner.post(&format!("{profile}?lang=en"), &[("birthday", "02-31")]);
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.body.contains("Birthday not understood") && r.body.contains("value=\"02-31\""),
            "[{l}] {}",
            r.body
        );
        let r = owner.post(&format!("{profile}?lang=en"), &[("birthday", "1990-03-21")]);
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let en = owner
            .get(&format!("/panel/customers/{ali}/ledger?lang=en"))
            .body;
        assert!(
            en.contains("1 Farvardin") && !en.contains(" checked>"),
            "[{l}] {en}"
        );
        let r = viewer.post(&profile, &[("birthday", "")]);
        assert_eq!(r.status, 403, "[{l}]");
        assert!(
            !viewer
                .get(&format!("/panel/customers/{ali}/ledger"))
                .body
                .contains("club-profile"),
            "[{l}] no form for a viewer"
        );
        let audit = owner.get("/panel/audit?lang=en").body;
        assert!(
            audit.contains("Member birthday or marketing consent edited")
                && audit.contains("&#34;birthday&#34;:&#34;09-13&#34;")
                && audit.contains("&#34;marketing_opt_out&#34;:true"),
            "[{l}] {audit}"
        );
        drop(server);
        db.cleanup();
    }
}

#[test]
fn club_members_list_searches_filters_pages_and_exports() {
    for db in Db::both() {
        let l = db.label;
        two_tenants(&db, "Ali");
        db.ok(&[
            "club",
            "settings",
            "--fraud-max-manual",
            "1",
            "--tier",
            "bronze:0:10000",
            "--tier",
            "gold:900000000:15000",
        ]);
        for phone in ["09121110001", "09121110002", "09121110003", "09121110003"] {
            db.ok(&["club", "credit", phone, "50000", "--reason", "welcome"]);
        }
        db.ok(&[
            "--tenant",
            "rival",
            "club",
            "credit",
            "09129990001",
            "7000",
            "--reason",
            "x",
        ]);
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        add_people(
            &db,
            &http,
            &[("09120000101", "owner"), ("09120000102", "viewer")],
        );
        let mut owner = sign_in(&db, &http, "09120000101");
        assert!(
            owner
                .get("/panel/club")
                .body
                .contains("/panel/club/members\""),
            "[{l}] the club page links the list"
        );

        let page = owner.get("/panel/club/members?lang=en");
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        for phone in ["09121110001", "09121110002", "09121110003"] {
            assert!(page.body.contains(phone), "[{l}] {phone}: {}", page.body);
        }
        assert!(!page.body.contains("09129990001"), "[{l}] tenant-scoped");
        assert!(
            page.body.contains("Ali") && page.body.contains("bronze"),
            "[{l}]"
        );
        assert!(page.body.contains("100000 rials"), "[{l}] two credits");
        assert!(page.body.contains("Flagged"), "[{l}] the repeat is flagged");
        assert!(page.body.contains("/panel/club/members.csv?"), "[{l}]");
        let ids = ids_in(&page.body, "customers");
        assert_eq!(ids.len(), 3, "[{l}] each row links its ledger: {ids:?}");
        assert!(
            page.body
                .contains(&format!("/panel/customers/{}/ledger", ids[0]))
        );
        let fa = owner.get("/panel/club/members?lang=fa");
        assert!(
            fa.body.contains("۰۹۱۲۱۱۱۰۰۰۳") && fa.body.contains("۱۰۰۰۰۰ ریال"),
            "[{l}] Persian digits"
        );

        // Search, filters and the keyset cursor.
        let only = |body: &str| -> Vec<&str> {
            ["09121110001", "09121110002", "09121110003"]
                .into_iter()
                .filter(|p| body.contains(p))
                .collect()
        };
        let r = owner.get("/panel/club/members?q=%DB%B0%DB%B9%DB%B1%DB%B2%DB%B1%DB%B1%DB%B1%DB%B0%DB%B0%DB%B0%DB%B2&lang=en");
        assert_eq!(only(&r.body), ["09121110002"], "[{l}] Persian-digit phone");
        let r = owner.get("/panel/club/members?q=Al&lang=en");
        assert_eq!(only(&r.body), ["09121110001"], "[{l}] name prefix");
        let r = owner.get("/panel/club/members?status=flagged&lang=en");
        assert_eq!(only(&r.body), ["09121110003"], "[{l}]");
        let r = owner.get("/panel/club/members?status=opted_out&lang=en");
        assert!(r.body.contains("No members found."), "[{l}]");
        let r = owner.get("/panel/club/members?tier=gold&lang=en");
        assert!(r.body.contains("No members found."), "[{l}]");
        let r = owner.get("/panel/club/members?tier=bronze&lang=en");
        assert_eq!(only(&r.body).len(), 3, "[{l}]");
        let r = owner.get(&format!("/panel/club/members?after={}&lang=en", ids[0]));
        assert_eq!(
            only(&r.body),
            ["09121110001", "09121110002"],
            "[{l}] older ones"
        );
        let r = owner.get("/panel/club/members?after=nonsense&tier=nope&status=%3C");
        assert_eq!(r.status, 200, "[{l}] odd input is no error");

        // The filtered list as CSV, for people who may export.
        let r = owner.get("/panel/club/members.csv?status=flagged");
        assert_eq!(r.status, 200, "[{l}]");
        assert!(r.header("content-type").unwrap().starts_with("text/csv"));
        let lines: Vec<&str> = r.body.lines().collect();
        assert_eq!(lines.len(), 2, "[{l}] {}", r.body);
        assert!(lines[0].starts_with("\u{FEFF}phone,name,tier,spendable,pending"));
        assert!(
            lines[1].starts_with("09121110003,,bronze,100000,0,0,0,"),
            "[{l}] {}",
            lines[1]
        );
        assert!(lines[1].ends_with(",flagged,no"), "[{l}] {}", lines[1]);
        let all = owner.get("/panel/club/members.csv");
        assert_eq!(all.body.lines().count(), 4, "[{l}] {}", all.body);

        let mut viewer = sign_in(&db, &http, "09120000102");
        let seen = viewer.get("/panel/club/members");
        assert_eq!(seen.status, 200, "[{l}]");
        assert!(!seen.body.contains("members.csv"), "[{l}] no export link");
        assert_eq!(viewer.get("/panel/club/members.csv").status, 403, "[{l}]");
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

        // The same as a file upload: no 1 MB limit, the same import and report.
        let page = owner.get("/panel/customers").body;
        assert!(page.contains("enctype=\"multipart/form-data\""), "[{l}]");
        let big = format!(
            "phone,name\n{}09121240001,Upload\n",
            "09121230000\n".repeat(200_000)
        );
        assert!(big.len() > 2 * 1024 * 1024);
        let r = owner.upload(
            "/panel/customers/import?lang=en",
            "file",
            big.as_bytes(),
            true,
        );
        assert_eq!(r.status, 200, "[{l}] {}", r.body);
        assert!(r.body.contains("id=\"added\">2<"), "[{l}] {}", r.body);
        assert!(r.body.contains("id=\"merged\">199999<"), "[{l}] {}", r.body);
        assert!(db.ok(&["customer", "list"]).contains("Upload"), "[{l}]");
        // A file not in UTF-8 (Excel's old "CSV") is refused with how to save it.
        let r = owner.upload(
            "/panel/customers/import?lang=en",
            "file",
            b"phone,name\n09121240002,\xe1\xed\n",
            true,
        );
        assert!(r.body.contains("CSV UTF-8"), "[{l}] {}", r.body);
        // Uploads need the CSRF token like every form, and a signed-in person.
        let r = owner.upload(
            "/panel/customers/import",
            "file",
            b"phone\n09121240003\n",
            false,
        );
        assert_eq!(r.status, 403, "[{l}]");
        let r = staff.upload(
            "/panel/customers/import",
            "file",
            b"phone\n09121240003\n",
            true,
        );
        assert_eq!(r.status, 403, "[{l}]");
        assert!(!db.ok(&["customer", "list"]).contains("+989121240003"));
        let mut anon = Client::new(&http);
        anon.get("/panel/login");
        let r = anon.upload(
            "/panel/customers/import",
            "file",
            b"phone\n09121240003\n",
            true,
        );
        assert_eq!(r.status, 303, "[{l}] strangers are sent to sign in");

        // The export is streamed (no length known up front) and holds the upload.
        let r = owner.get("/panel/customers.csv");
        assert!(
            r.header("transfer-encoding")
                .is_some_and(|v| v == "chunked"),
            "[{l}] {:?}",
            r.headers
        );
        assert!(r.body.contains("09121240001,Upload,"), "[{l}]");
        assert_eq!(
            r.body.matches("\r\n").count(),
            7,
            "[{l}] header and six customers"
        );
        drop(server);
        db.cleanup();
    }
}

/// The id in the first column of the CLI table row containing `needle`.
fn cli_id(listing: &str, needle: &str) -> String {
    listing
        .lines()
        .find(|row| row.contains(needle))
        .and_then(|row| row.split_whitespace().next())
        .unwrap_or_else(|| panic!("{needle} in {listing}"))
        .to_string()
}

/// The first dashboard tile's number (guests online now).
fn online_tile(page: &HttpResponse) -> String {
    let marker = "<span class=\"value\">";
    let at = page.body.find(marker).expect("the online tile") + marker.len();
    page.body[at..].split('<').next().unwrap().to_string()
}

#[test]
fn branch_limited_people_see_only_their_branches() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for db in Db::both() {
        let l = db.label;
        db.ok(&["admin", "create", "--phone", OPERATOR]);
        for name in ["north", "south"] {
            db.ok(&["branch", "add", "--name", name]);
        }
        let branches = db.ok(&["branch", "list"]);
        let (north, south) = (cli_id(&branches, "north"), cli_id(&branches, "south"));
        for (name, address, branch) in [
            ("n-router", "127.0.0.1", Some("north")),
            ("s-router", "127.0.0.2", Some("south")),
            ("hub-router", "127.0.0.3", None),
        ] {
            let mut args = vec!["nas", "add", "--name", name, "--address", address];
            args.extend(["--secret", SECRET]);
            if let Some(b) = branch {
                args.extend(["--branch", b]);
            }
            db.ok(&args);
        }
        // One guest online on each branch's router, recorded as the RADIUS server does;
        // both are the same customer.
        db.ok(&["customer", "add", "--phone", "09121110077"]);
        let store = db.store(&rt);
        let tenant = rt.block_on(crm::tenants::ensure_default(&store)).unwrap();
        let guest = rt
            .block_on(crm::customers::by_phone(&store, &tenant, "09121110077"))
            .unwrap();
        let now = crm::clock::now();
        let records: Vec<_> = [("n-router", "guest-north"), ("s-router", "guest-south")]
            .into_iter()
            .map(|(router, user)| {
                let nas = rt
                    .block_on(crm::nas::by_name(&store, &tenant, router))
                    .unwrap();
                common::usage::record(
                    &tenant,
                    nas.id,
                    user,
                    Some(crm::hotspot::Subject::Customer(guest.id)),
                    crm::accounting::AcctStatus::Start,
                    0,
                    now,
                )
            })
            .collect();
        rt.block_on(crm::accounting::record_batch(&store, &records))
            .unwrap();
        let online = db.ok(&["sessions", "list", "--online"]);
        let south_session = cli_id(&online, "guest-south");
        let routers = db.ok(&["nas", "list"]);
        let ids: Vec<String> = ["n-router", "s-router", "hub-router"]
            .iter()
            .map(|n| cli_id(&routers, n))
            .collect();

        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let mut op = sign_in(&db, &http, OPERATOR);
        select_tenant(&mut op, "default");
        // A senior manager (may edit routers, disconnect) limited to the north branch.
        let r = op.post(
            "/panel/people",
            &[
                ("phone", "09120000201"),
                ("role", "builtin:senior_manager"),
                ("branch", &north),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let mut north_mgr = sign_in(&db, &http, "09120000201");

        // Lists: only the north branch's router and guest.
        let page = north_mgr.get("/panel/routers").body;
        assert!(page.contains("n-router"), "[{l}] {page}");
        assert!(!page.contains("s-router") && !page.contains("hub-router"));
        let page = north_mgr.get("/panel/sessions").body;
        assert!(page.contains("guest-north") && !page.contains("guest-south"));
        let all = op.get("/panel/sessions").body;
        assert!(all.contains("guest-north") && all.contains("guest-south"));
        assert!(op.get("/panel/routers").body.contains("hub-router"));
        // A customer's page: their sessions on the person's branches only.
        let page = north_mgr
            .get(&format!("/panel/customers/{}", guest.id))
            .body;
        assert!(
            page.contains("n-router") && !page.contains("s-router"),
            "[{l}] {page}"
        );
        let page = op.get(&format!("/panel/customers/{}", guest.id)).body;
        assert!(
            page.contains("n-router") && page.contains("s-router"),
            "[{l}]"
        );

        // The dashboard counts their branches; they pick only among theirs.
        let mine = north_mgr.get("/panel/?lang=en");
        assert_eq!(online_tile(&mine), "1", "[{l}]");
        assert!(mine.body.contains(&format!("/panel/?branch={north}")));
        assert!(!mine.body.contains(&format!("/panel/?branch={south}")));
        assert_eq!(online_tile(&op.get("/panel/?lang=en")), "2", "[{l}]");
        let south_only = op.get(&format!("/panel/?branch={south}&lang=en"));
        assert_eq!(online_tile(&south_only), "1", "[{l}]");
        assert!(south_only.body.contains("aria-current=\"page\">south<"));
        let r = north_mgr.get(&format!("/panel/?branch={south}"));
        assert_eq!(r.status, 403, "[{l}]");
        assert!(r.body.contains("role=\"alert\""), "[{l}]");
        assert_eq!(north_mgr.get("/panel/?branch=999999").status, 404);

        // Club reports: their branches' invoices only, the picker and the CSV alike.
        for (branch, phone) in [("north", "09121110081"), ("south", "09121110082")] {
            let (key, _) = rt
                .block_on(crm::pos_keys::create(&store, &tenant, branch))
                .unwrap();
            let new = crm::invoices::NewInvoice {
                phone: phone.into(),
                amount: 100_000,
                items: vec![],
                reservation_id: None,
                pos_transaction_id: None,
                staff: None,
            };
            rt.block_on(crm::invoices::create(&store, &key, &new, None, now, |_| {
                (201, String::new())
            }))
            .unwrap();
        }
        let page = north_mgr.get("/panel/reports?lang=en");
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        assert!(
            page.body.contains("<td>north</td>") && !page.body.contains("south"),
            "[{l}] {}",
            page.body
        );
        let csv = north_mgr
            .get("/panel/reports.csv?days=30&table=branches")
            .body;
        assert!(
            csv.contains("north") && !csv.contains("south"),
            "[{l}] {csv}"
        );
        let all = op.get("/panel/reports?lang=en").body;
        assert!(all.contains("<td>north</td>") && all.contains("<td>south</td>"));
        let south_only = op.get(&format!("/panel/reports?days=7&branch={south}&lang=en"));
        assert!(
            south_only.body.contains("<td>south</td>")
                && !south_only.body.contains("<td>north</td>")
                && south_only
                    .body
                    .contains(&format!("reports.csv?days=7&#38;branch={south}")),
            "[{l}] {}",
            south_only.body
        );
        let csv = op
            .get(&format!(
                "/panel/reports.csv?days=30&table=branches&branch={south}"
            ))
            .body;
        assert!(
            csv.contains("south") && !csv.contains("north"),
            "[{l}] {csv}"
        );
        let r = north_mgr.get(&format!("/panel/reports?branch={south}"));
        assert_eq!(r.status, 403, "[{l}]");
        let r = north_mgr.get(&format!("/panel/reports.csv?branch={south}"));
        assert_eq!(r.status, 403, "[{l}]");

        // Ids of other branches (or of no branch) are refused.
        let script = "/script?portal=http%3A%2F%2F192.0.2.5%3A8080&radius=192.0.2.5";
        let r = north_mgr.get(&format!("/panel/routers/{}{script}", ids[0]));
        assert_eq!(r.status, 200, "[{l}] {}", r.body);
        let zip = script.replace("/script", "/pages.zip");
        for id in &ids[1..] {
            for path in [
                format!("/panel/routers/{id}{script}"),
                format!("/panel/routers/{id}{zip}"),
                format!("/panel/routers/{id}"),
            ] {
                assert_eq!(north_mgr.get(&path).status, 403, "[{l}] {path}");
            }
            let r = north_mgr.post(&format!("/panel/routers/{id}/remove"), &[]);
            assert_eq!(r.status, 403, "[{l}] router {id}");
        }
        // Nor may they move their router out of their branches, or add one elsewhere.
        let moved = [
            ("name", "n-router"),
            ("address", "127.0.0.1"),
            ("branch", south.as_str()),
        ];
        let r = north_mgr.post(&format!("/panel/routers/{}", ids[0]), &moved);
        assert_eq!(r.status, 403, "[{l}]");
        let r = north_mgr.post(
            "/panel/routers",
            &[("name", "mine"), ("address", "10.7.7.7"), ("branch", "")],
        );
        assert_eq!(r.status, 403, "[{l}] a router of no branch is beyond north");
        let page = north_mgr.get("/panel/routers").body;
        assert!(
            !page.contains(&format!("value=\"{south}\"")),
            "[{l}] only north offered"
        );
        let r = north_mgr.post(&format!("/panel/sessions/{south_session}/disconnect"), &[]);
        assert_eq!(r.status, 403, "[{l}]");
        assert!(
            db.ok(&["sessions", "list", "--online"])
                .contains("guest-south")
        );

        // Nobody lets others in beyond their own branches.
        op.post(
            "/panel/people",
            &[
                ("phone", "09120000202"),
                ("role", "builtin:owner"),
                ("branch", &north),
            ],
        );
        let mut north_owner = sign_in(&db, &http, "09120000202");
        let r = north_owner.post(
            "/panel/people",
            &[("phone", "09120000203"), ("role", "builtin:viewer")],
        );
        assert_eq!(r.status, 403, "[{l}] every branch is beyond north");
        let r = north_owner.post(
            "/panel/people",
            &[
                ("phone", "09120000203"),
                ("role", "builtin:viewer"),
                ("branch", &north),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        drop(server);
        db.cleanup();
    }
}

/// The membership id on the People row of `phone` (English page, Western digits).
fn membership_of(people: &HttpResponse, phone: &str) -> String {
    let at = people.body.find(phone).expect(phone);
    ids_in(&people.body[at..], "people")[0].clone()
}

#[test]
fn custom_roles_are_edited_and_deleted_when_nobody_holds_them() {
    for db in Db::both() {
        let l = db.label;
        db.ok(&["admin", "create", "--phone", OPERATOR]);
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let mut op = sign_in(&db, &http, OPERATOR);
        select_tenant(&mut op, "default");
        let r = op.post(
            "/panel/roles",
            &[("name", "counter"), ("permission", "view_customers")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let role = ids_in(&op.get("/panel/people").body, "roles")[0].clone();
        let r = op.post(
            "/panel/people",
            &[
                ("phone", "09120000777"),
                ("role", &format!("custom:{role}")),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let mut counter = sign_in(&db, &http, "09120000777");
        assert_eq!(counter.get("/panel/customers").status, 200, "[{l}]");
        assert_eq!(counter.get("/panel/sessions").status, 403, "[{l}]");

        let people = op.get("/panel/people?lang=en").body;
        assert!(people.contains("See customers"), "[{l}] permissions listed");
        assert!(
            people.contains(&format!("value=\"custom:{role}\"")),
            "[{l}] offered"
        );

        // The edit page shows the name and ticks what the role has.
        let page = op.get(&format!("/panel/roles/{role}?lang=en"));
        assert_eq!(page.status, 200, "[{l}]");
        assert!(page.body.contains("value=\"counter\""), "[{l}]");
        assert!(
            page.body
                .contains("value=\"view_customers\" checked> See customers"),
            "[{l}] {}",
            page.body
        );
        // Renamed with another set: the holder has it on the next click.
        let r = op.post(
            &format!("/panel/roles/{role}"),
            &[
                ("name", "floor"),
                ("permission", "view_dashboard"),
                ("permission", "view_sessions"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        assert_eq!(counter.get("/panel/sessions").status, 200, "[{l}]");
        assert_eq!(counter.get("/panel/customers").status, 403, "[{l}]");
        let people = op.get("/panel/people?lang=en");
        assert!(people.body.contains("<strong>floor</strong>"), "[{l}]");
        // A bad or built-in name comes back next to the field, in the page's language.
        for (name, lang, text) in [
            (" ", "en", "1 to 60 characters"),
            ("owner", "fa", "نام نقش"),
        ] {
            let r = op.post(
                &format!("/panel/roles/{role}?lang={lang}"),
                &[("name", name), ("permission", "view_dashboard")],
            );
            assert_eq!(r.status, 200, "[{l}]");
            assert!(
                r.body.contains("aria-invalid=\"true\"") && r.body.contains(text),
                "[{l}] {}",
                r.body
            );
        }

        // Deleting is refused with a reason while someone holds the role.
        let r = op.post(&format!("/panel/roles/{role}/delete?lang=en"), &[]);
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.body.contains("People still hold this role") && r.body.contains("role=\"alert\""),
            "[{l}] {}",
            r.body
        );
        assert_eq!(counter.get("/panel/sessions").status, 200, "[{l}]");
        let member = membership_of(&op.get("/panel/people?lang=en"), "09120000777");
        let r = op.post(&format!("/panel/people/{member}/remove"), &[]);
        assert_eq!(r.status, 303, "[{l}]");
        let r = op.post(&format!("/panel/roles/{role}/delete"), &[]);
        assert_eq!(location(&r), "/panel/people", "[{l}] {}", r.body);
        assert!(!op.get("/panel/people").body.contains("floor"), "[{l}]");
        assert_eq!(op.get(&format!("/panel/roles/{role}")).status, 404);

        // Both changes are in the audit log with before and after.
        let audit = op.get("/panel/audit?lang=en").body;
        assert!(audit.contains("Role changed") && audit.contains("Role deleted"));
        assert!(
            audit.contains("{&#34;name&#34;:&#34;counter&#34;,&#34;permissions&#34;:[&#34;view_customers&#34;]}"),
            "[{l}] {audit}"
        );
        drop(server);
        db.cleanup();
    }
}

/// A GET whose body is kept as bytes (a download), with the client's cookies.
fn get_bytes(c: &Client, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&c.http).unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nCookie: {}\r\n\r\n",
        c.http,
        c.cookie_header()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = String::from_utf8_lossy(&raw[9..12]).parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

/// Asks RADIUS accounting with the test secret until the answer is `wanted` (a change
/// of routers reaches the RADIUS cache through the NAS generation, within a second).
fn radius_answers(acct: &str, wanted: bool) -> bool {
    let attrs = "Acct-Status-Type=Interim-Update,User-Name=x,Acct-Session-Id=probe";
    (0..15).any(|_| {
        let got = radclient(acct, "acct", attrs).received("Accounting-Response");
        if got != wanted {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        got == wanted
    })
}

#[test]
fn routers_are_edited_removed_and_set_up_from_their_page() {
    for db in Db::both() {
        let l = db.label;
        db.ok(&["admin", "create", "--phone", OPERATOR]);
        db.ok(&["branch", "add", "--name", "north"]);
        let north = cli_id(&db.ok(&["branch", "list"]), "north");
        db.ok(&[
            "nas",
            "add",
            "--name",
            "hq",
            "--address",
            "127.0.0.1",
            "--secret",
            SECRET,
        ]);
        db.ok(&[
            "nas",
            "add",
            "--name",
            "other",
            "--address",
            "10.1.1.1",
            "--secret",
            SECRET,
        ]);
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let acct = server.radius_acct.clone().unwrap();
        let mut op = sign_in(&db, &http, OPERATOR);
        select_tenant(&mut op, "default");
        let id = cli_id(&db.ok(&["nas", "list"]), "hq");
        let page = op.get(&format!("/panel/routers/{id}?lang=en"));
        assert_eq!(page.status, 200, "[{l}]");
        assert!(page.body.contains("value=\"hq\"") && page.body.contains("pages.zip"));

        // Bad input comes back next to its field, in the page's language.
        let path = format!("/panel/routers/{id}");
        let r = op.post(
            &format!("{path}?lang=fa"),
            &[("name", "hq"), ("address", "10.0.0")],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.body
                .contains("id=\"address-error\" role=\"alert\">یک آدرس IP")
                && r.body.contains("value=\"10.0.0\""),
            "[{l}] {}",
            r.body
        );
        let r = op.post(
            &format!("{path}?lang=en"),
            &[("name", "hq"), ("address", "10.1.1.1")],
        );
        assert!(
            r.body
                .contains("A router with this name or address already exists")
        );

        // Name, range, branch and the Message-Authenticator rule change; RADIUS follows.
        let r = op.post(
            &path,
            &[
                ("name", "hq-2"),
                ("address", "127.0.0.0/24"),
                ("strict", "1"),
                ("branch", &north),
            ],
        );
        assert_eq!(
            location(&r),
            format!("{path}?done=saved"),
            "[{l}] {}",
            r.body
        );
        let listed = db.ok(&["nas", "list"]);
        let row = listed.lines().find(|r| r.contains("hq-2")).unwrap();
        assert!(
            row.contains("127.0.0.0/24") && row.contains("yes"),
            "[{l}] {row}"
        );
        assert!(op.get("/panel/routers").body.contains("<td>north</td>"));
        let r = op.post(
            &path,
            &[
                ("name", "hq-2"),
                ("address", "127.0.0.0/24"),
                ("branch", &north),
            ],
        );
        assert_eq!(location(&r), format!("{path}?done=saved"), "[{l}]");
        assert!(radius_answers(&acct, true), "[{l}] the secret was kept");

        // Rotating the secret: the old one stops working, the script carries the new one.
        let r = op.post(
            &path,
            &[
                ("name", "hq-2"),
                ("address", "127.0.0.0/24"),
                ("branch", &north),
                ("rotate", "1"),
            ],
        );
        assert_eq!(location(&r), format!("{path}?done=rotated"), "[{l}]");
        assert!(
            radius_answers(&acct, false),
            "[{l}] the old secret is refused"
        );
        let query = "?portal=http%3A%2F%2F192.0.2.5%3A8080&radius=192.0.2.5";
        let script = op.get(&format!("{path}/script{query}"));
        assert!(script.body.contains("/radius") && !script.body.contains(SECRET));

        // The login pages as a zip that unzip accepts, each page as router-config makes it.
        let (status, zip) = get_bytes(&op, &format!("{path}/pages.zip{query}"));
        assert_eq!(status, 200, "[{l}]");
        let file = db.dir().join("pages.zip");
        std::fs::write(&file, &zip).unwrap();
        let test = std::process::Command::new("unzip")
            .arg("-t")
            .arg(&file)
            .output()
            .expect("unzip is installed");
        assert!(test.status.success(), "[{l}] {test:?}");
        let portal = router_config::PortalUrl::parse("http://192.0.2.5:8080").unwrap();
        let radius = "192.0.2.5".parse().unwrap();
        let setup =
            router_config::RouterSetup::new("hq-2", id.parse().unwrap(), "unused", radius, portal);
        for name in router_config::PAGES {
            let out = std::process::Command::new("unzip")
                .arg("-p")
                .arg(&file)
                .arg(name)
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                router_config::page(name, &setup).unwrap(),
                "[{l}] {name}"
            );
        }
        let (status, bad) = get_bytes(&op, &format!("{path}/pages.zip?portal=x&radius=y"));
        assert_eq!(status, 400, "[{l}] {}", String::from_utf8_lossy(&bad));

        // Removing: gone from the list and from RADIUS; every change is audited.
        let r = op.post(&format!("{path}/remove"), &[]);
        assert_eq!(location(&r), "/panel/routers", "[{l}]");
        assert!(!db.ok(&["nas", "list"]).contains("hq-2"), "[{l}]");
        assert_eq!(op.get(&path).status, 404, "[{l}]");
        let audit = op.get("/panel/audit?lang=en").body;
        assert!(audit.contains("Router changed") && audit.contains("Router removed"));
        assert!(audit.contains("&#34;secret_rotated&#34;:true"), "[{l}]");
        assert!(!audit.contains(SECRET), "[{l}] secrets stay out of the log");
        drop(server);
        db.cleanup();
    }
}

#[test]
fn every_group_field_is_edited_with_reasons_in_the_page_language() {
    for db in Db::both() {
        let l = db.label;
        db.ok(&["admin", "create", "--phone", OPERATOR]);
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let mut op = sign_in(&db, &http, OPERATOR);
        select_tenant(&mut op, "default");
        let list = op.get("/panel/groups?lang=en").body;
        let at = list.find(">guests</a>").expect("the guests group");
        let id = list[..at].rsplit("/panel/groups/").next().unwrap();
        let id: String = id.chars().take_while(char::is_ascii_digit).collect();
        let path = format!("/panel/groups/{id}");

        // Every field at once, quotas in Persian digits.
        let all = [
            ("rate_limit", "2M/8M"),
            ("burst_limit", "4M/16M"),
            ("burst_threshold", "1M/6M"),
            ("burst_time", "10"),
            ("priority", "5"),
            ("throttle_rate", "256k/512k"),
            ("session_timeout", "2h"),
            ("idle_timeout", "10m"),
            ("daily_time", "3h"),
            ("allowed_hours", "sat-wed 08:00-23:00"),
            ("interim", "1m"),
            ("daily_data", "۱G"),
            ("monthly_data", "20G"),
            ("devices", "3"),
            ("address_list", "vip"),
            ("membership_rule", "visits>=5/30d"),
        ];
        let r = op.post(&path, &all);
        assert_eq!(location(&r), "/panel/groups", "[{l}] {}", r.body);
        let page = op.get(&format!("{path}?lang=en")).body;
        for shown in [
            "value=\"4M/16M\"",
            "value=\"1M/6M\"",
            "value=\"10/10\"",
            "value=\"5\"",
            "value=\"256k/512k\"",
            "value=\"10m\"",
            "value=\"1m\"",
            "value=\"1G\"",
            "value=\"vip\"",
            "value=\"visits&#62;=5/30d\"",
        ] {
            assert!(page.contains(shown), "[{l}] {shown}: {page}");
        }
        assert!(op.get("/panel/audit?lang=en").body.contains("address_list"));

        // Refused values: each reason next to its field, in Persian on the Persian page.
        let bad = [
            ("rate_limit", "2M/8M"),
            ("burst_limit", "4M/16M"),
            ("burst_threshold", ""),
            ("burst_time", ""),
            ("priority", "9"),
            ("allowed_hours", "whenever"),
            ("devices", "0"),
            ("daily_data", "lots"),
        ];
        let r = op.post(&format!("{path}?lang=fa"), &bad);
        assert_eq!(r.status, 200, "[{l}]");
        for (field, reason) in [
            ("burst_threshold", "برای burst"),
            ("burst_time", "برای burst"),
            ("priority", "اولویت عددی"),
            ("allowed_hours", "روزها و ساعت‌ها"),
            ("devices", "دست‌کم"),
            ("daily_data", "حجم را مثل"),
        ] {
            let marker = format!("id=\"{field}-error\">{reason}");
            assert!(r.body.contains(&marker), "[{l}] {marker}: {}", r.body);
        }
        assert!(r.body.contains("value=\"whenever\"") && r.body.contains("role=\"alert\""));
        let r = op.post(&format!("{path}?lang=en"), &[("devices", "0")]);
        assert!(r.body.contains("id=\"devices-error\">At least 1."), "[{l}]");
        let page = op.get(&format!("{path}?lang=en")).body;
        assert!(
            page.contains("value=\"3\"") && page.contains("value=\"vip\""),
            "[{l}] unchanged"
        );
        drop(server);
        db.cleanup();
    }
}

#[test]
fn club_settings_form_validates_next_to_fields_saves_and_audits() {
    for db in Db::both() {
        let l = db.label;
        two_tenants(&db, "Ali");
        db.ok(&["branch", "add", "--name", "north"]);
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        add_people(
            &db,
            &http,
            &[("09120000101", "owner"), ("09120000103", "branch_manager")],
        );
        let mut owner = sign_in(&db, &http, "09120000101");
        let page = owner.get("/panel/club/settings?lang=en");
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        assert!(
            page.body.contains(
                "id=\"earn_rate\" name=\"earn_rate\" type=\"text\" dir=\"ltr\" value=\"5\""
            ) && page.body.contains("Credit earned, % of the amount")
                && page.body.contains("{tenant}"),
            "[{l}] {}",
            page.body
        );
        assert!(
            owner
                .get("/panel/club?lang=en")
                .body
                .contains("/panel/club/settings"),
            "[{l}] the club page links its settings"
        );

        // Bad values: each refused next to its field, what was typed kept, nothing saved.
        let r = owner.post(
            "/panel/club/settings?lang=en",
            &[
                ("earn_rate", "lots"),
                ("expiry_days", "0"),
                ("pending", "24h"),
                ("tiers", "gold 5000000"),
                ("template_credit_earned", "{name}: thanks"),
            ],
        );
        assert_eq!(r.status, 200, "[{l}]");
        for field in ["earn_rate", "expiry_days", "tiers"] {
            assert!(
                r.body.contains(&format!(
                    "id=\"{field}-error\" class=\"error\" role=\"alert\""
                )),
                "[{l}] {field}: {}",
                r.body
            );
        }
        assert!(
            r.body.contains("credit must expire after 1 to 3650 days"),
            "[{l}]"
        );
        assert!(r.body.contains("value=\"lots\"") && r.body.contains("gold 5000000"));
        assert!(
            db.ok(&["club", "settings"]).contains("earn: 500 bp"),
            "[{l}]"
        );
        // In Persian the message is Persian.
        let r = owner.post("/panel/club/settings?lang=fa", &[("expiry_days", "۰")]);
        assert!(r.body.contains("خارج از بازه"), "[{l}] {}", r.body);
        // An unknown placeholder is refused at the template.
        let r = owner.post(
            "/panel/club/settings?lang=en",
            &[("template_credit_earned", "{name}: thanks")],
        );
        assert!(
            r.body.contains("id=\"template_credit_earned-error\"")
                && r.body.contains("unknown placeholder"),
            "[{l}] {}",
            r.body
        );

        // Good values, in Persian digits: saved, shown again, audited with what changed.
        let r = owner.post(
            "/panel/club/settings",
            &[
                ("earn_rate", "۷٫۵"),
                ("min_purchase", "۱۰۰٬۰۰۰"),
                ("max_redeem", "40"),
                ("category_rates", "coffee = 10"),
                ("expiry_days", "90"),
                ("pending", "24h"),
                ("tier_metric", "visits"),
                ("tiers", "silver | 5 | 120\ngold | 20 | 150 | staff"),
                ("notify_earned", "on"),
                ("template_credit_earned", "{tenant}: +{amount}"),
                ("fraud_alert_phones", "09190000009"),
            ],
        );
        assert_eq!(
            location(&r),
            "/panel/club/settings?saved=1",
            "[{l}] {}",
            r.body
        );
        let shown = db.ok(&["club", "settings"]);
        for want in [
            "earn: 750 bp",
            "minimum purchase: 100000",
            "max share paid with credit: 4000 bp",
            "expiry: 90 days",
            "pending: 86400 s",
            "category coffee: 1000 bp",
            "tiers by visits",
        ] {
            assert!(shown.contains(want), "[{l}] {want}: {shown}");
        }
        let page = owner.get("/panel/club/settings?saved=1&lang=en");
        assert!(
            page.body.contains("Settings saved")
                && page.body.contains("value=\"7.5\"")
                && page.body.contains("gold | 20 | 150 | staff")
                && page.body.contains("{tenant}: +{amount}")
                && page.body.contains("09190000009"),
            "[{l}] {}",
            page.body
        );
        let audit = owner.get("/panel/audit?lang=en").body;
        assert!(
            audit.contains("Club settings changed")
                && audit.contains("&#34;formula.earn_bp&#34;:500")
                && audit.contains("&#34;formula.earn_bp&#34;:750")
                && audit.contains("&#34;template_credit_earned&#34;:&#34;{tenant}: +{amount}&#34;")
                && !audit.contains("&#34;expiry_notice_days&#34;"),
            "[{l}] only what changed: {audit}"
        );
        // A tier's WiFi group must exist.
        let r = owner.post(
            "/panel/club/settings?lang=en",
            &[("tiers", "gold | 20 | 150 | nosuchgroup")],
        );
        assert!(r.body.contains("id=\"tiers-error\""), "[{l}] {}", r.body);

        // A branch: its own formula and expiry only, then back to the tenant's.
        let branch_page = owner.get("/panel/club/settings?lang=en");
        let marker = "/panel/club/settings?branch=";
        let at = branch_page.body.find(marker).expect("branches listed") + marker.len();
        let branch: String = branch_page.body[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let page = owner.get(&format!("/panel/club/settings?branch={branch}&lang=en"));
        assert!(
            page.body.contains("follows the business-wide settings")
                && !page.body.contains("id=\"tiers\"")
                && page.body.contains("value=\"7.5\""),
            "[{l}] {}",
            page.body
        );
        let r = owner.post(
            "/panel/club/settings",
            &[
                ("branch", &branch),
                ("earn_rate", "10"),
                ("expiry_days", "30"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let north = db.ok(&["club", "settings", "--branch", "north"]);
        assert!(
            north.contains("earn: 1000 bp") && north.contains("expiry: 30 days"),
            "[{l}] {north}"
        );
        assert!(
            db.ok(&["club", "settings"]).contains("earn: 750 bp"),
            "[{l}]"
        );
        let page = owner.get(&format!("/panel/club/settings?branch={branch}&lang=en"));
        assert!(
            page.body.contains("Back to business-wide settings"),
            "[{l}]"
        );
        let r = owner.post(
            "/panel/club/settings",
            &[("branch", &branch), ("remove", "1")],
        );
        assert_eq!(r.status, 303, "[{l}]");
        let north = db.ok(&["club", "settings", "--branch", "north"]);
        assert!(north.contains("earn: 750 bp"), "[{l}] {north}");
        assert!(
            owner
                .get("/panel/audit?lang=en")
                .body
                .contains("Branch back to business-wide club settings"),
            "[{l}]"
        );
        // Another tenant's branch is not found.
        let r = owner.post(
            "/panel/club/settings",
            &[("branch", "999999"), ("earn_rate", "1")],
        );
        assert_eq!(r.status, 404, "[{l}]");

        // A branch manager may not change the settings.
        let mut manager = sign_in(&db, &http, "09120000103");
        assert_eq!(manager.get("/panel/club/settings").status, 403, "[{l}]");
        assert!(
            !manager
                .get("/panel/club")
                .body
                .contains("/panel/club/settings")
        );
        drop(server);
        db.cleanup();
    }
}

#[test]
fn coupons_page_batches_report_and_fraud_decision_log() {
    for db in Db::both() {
        let l = db.label;
        two_tenants(&db, "Ali");
        let flag = open_flag(&db, "default", "09121110002");
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        add_people(
            &db,
            &http,
            &[("09120000101", "owner"), ("09120000104", "staff")],
        );
        let mut owner = sign_in(&db, &http, "09120000101");

        // Refused next to the field, what was typed kept.
        let r = owner.post(
            "/panel/coupons?lang=en",
            &[
                ("name", "partners"),
                ("kind", "credit"),
                ("value", "50000"),
                ("phones", "09121230001\n12345"),
                ("valid_days", "30"),
                ("max_uses", "1"),
            ],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.body.contains("id=\"phones-error\"") && r.body.contains("12345"),
            "[{l}] {}",
            r.body
        );
        let r = owner.post(
            "/panel/coupons?lang=en",
            &[
                ("name", "x"),
                ("kind", "credit"),
                ("value", "0"),
                ("count", "3"),
            ],
        );
        assert!(r.body.contains("id=\"value-error\""), "[{l}] {}", r.body);

        // A phone list: one code per phone, in Persian digits too, duplicates merged.
        let r = owner.post(
            "/panel/coupons",
            &[
                ("name", "partners"),
                ("kind", "credit"),
                ("value", "۵۰۰۰۰"),
                ("phones", "09121230001\n۰۹۱۲۱۲۳۰۰۰۲\n+989121230001"),
                ("valid_days", "30"),
                ("max_uses", "1"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let batch_page = owner.get(&format!("{}?lang=en", location(&r)));
        assert_eq!(batch_page.status, 200, "[{l}]");
        assert!(
            batch_page.body.contains("09121230001")
                && batch_page.body.contains("09121230002")
                && batch_page.body.contains("50000 rials"),
            "[{l}] {}",
            batch_page.body
        );
        // Codes anyone may use, a percentage off.
        let r = owner.post(
            "/panel/coupons",
            &[
                ("name", "yalda"),
                ("kind", "percent"),
                ("value", "15"),
                ("count", "5"),
                ("valid_days", "0"),
                ("max_uses", "3"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let list = owner.get("/panel/coupons?lang=en");
        assert!(
            list.body.contains("partners")
                && list.body.contains("yalda")
                && list.body.contains("15%"),
            "[{l}] {}",
            list.body
        );
        let report = db.ok(&["coupon", "report"]);
        assert!(
            report.contains("yalda") && report.contains("1500"),
            "[{l}] {report}"
        );
        let r = owner.post(
            "/panel/coupons?lang=en",
            &[
                ("name", "yalda"),
                ("kind", "credit"),
                ("value", "1"),
                ("count", "1"),
                ("max_uses", "1"),
            ],
        );
        assert!(
            r.body.contains("id=\"name-error\""),
            "[{l}] the name is taken: {}",
            r.body
        );
        let audit = owner.get("/panel/audit?lang=en").body;
        assert!(audit.contains("Coupon batch created"), "[{l}]");

        // The decision log: the flag and, once cleared, the clearing, with reasons.
        let r = owner.post(
            &format!("/panel/club/flags/{flag}/clear"),
            &[("reason", "known customer")],
        );
        assert_eq!(r.status, 303, "[{l}]");
        let log = owner.get("/panel/club/decisions?lang=en");
        assert_eq!(log.status, 200, "[{l}]");
        assert!(
            log.body.contains("Flagged")
                && log.body.contains("manual_amount")
                && log.body.contains("Cleared")
                && log.body.contains("known customer"),
            "[{l}] {}",
            log.body
        );

        // Staff may not make coupons or read the log.
        let mut staff = sign_in(&db, &http, "09120000104");
        assert_eq!(staff.get("/panel/coupons").status, 403, "[{l}]");
        assert_eq!(staff.get("/panel/club/decisions").status, 403, "[{l}]");
        drop(server);
        db.cleanup();
    }
}

#[test]
fn reports_charts_csv_and_wallet_top_up() {
    for db in Db::both() {
        let l = db.label;
        two_tenants(&db, "Ali");
        db.ok(&[
            "club",
            "credit",
            "09121110001",
            "25000",
            "--reason",
            "welcome",
        ]);
        // Priced but empty: a marketing text is skipped and counted, not sent.
        db.ok(&["club", "wallet", "--price", "1000"]);
        db.ok(&[
            "sms",
            "send",
            "--phone",
            "09121110001",
            "--text",
            "hi",
            "--purpose",
            "promo",
            "--marketing",
        ]);
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        add_people(
            &db,
            &http,
            &[("09120000101", "owner"), ("09120000103", "branch_manager")],
        );
        let mut owner = sign_in(&db, &http, "09120000101");
        let page = owner.get("/panel/reports?lang=en");
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        assert!(
            page.body
                .contains("<ul id=\"wallet-unpaid\"><li>Club: <strong class=\"num\">1</strong>"),
            "[{l}] {}",
            page.body
        );
        assert!(
            page.body.matches("<svg class=\"chart\"").count() == 2
                && page.body.contains("SMS self-join")
                && page.body.contains("25000 rials")
                && page.body.contains("id=\"repeat-rate\">0.0%<"),
            "[{l}] {}",
            page.body
        );
        let fa = owner.get("/panel/reports?days=7&lang=fa");
        assert!(
            fa.body.contains("id=\"repeat-rate\">۰٫۰٪<"),
            "[{l}] {}",
            fa.body
        );

        // CSV: one row per day of the range, today's manual join and credit in it.
        let csv = owner.get("/panel/reports.csv?days=7");
        assert_eq!(csv.status, 200, "[{l}]");
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        assert!(
            csv.body.starts_with("\u{FEFF}from,to,joined_wifi,"),
            "[{l}] {}",
            csv.body
        );
        let rows: Vec<&str> = csv.body.lines().skip(1).collect();
        assert_eq!(rows.len(), 7, "[{l}] {}", csv.body);
        assert!(
            rows[6].ends_with(",0,0,0,0,1,25000,0,0"),
            "[{l}] {}",
            rows[6]
        );
        assert!(rows[6].starts_with("14"), "[{l}] Jalali: {}", rows[6]);
        let branches = owner.get("/panel/reports.csv?table=branches");
        assert!(
            branches
                .body
                .starts_with("\u{FEFF}branch,invoices,revenue_members,revenue_others")
        );

        // A manual top-up: recorded with its reference, audited; bad input refused.
        let r = owner.post(
            "/panel/reports/wallet?lang=en",
            &[("amount", "lots"), ("reason", "x")],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(r.body.contains("id=\"amount-error\""), "[{l}] {}", r.body);
        let r = owner.post(
            "/panel/reports/wallet",
            &[("amount", "۵۰۰٬۰۰۰"), ("reason", "bank ref 4411")],
        );
        assert_eq!(location(&r), "/panel/reports", "[{l}] {}", r.body);
        let page = owner.get("/panel/reports?lang=en");
        assert!(
            page.body.contains("id=\"wallet-balance\">500000 rials<")
                && page.body.contains("bank ref 4411"),
            "[{l}] {}",
            page.body
        );
        assert!(
            owner
                .get("/panel/audit?lang=en")
                .body
                .contains("SMS wallet topped up")
        );

        // A branch manager reads the reports but may not top up.
        let mut manager = sign_in(&db, &http, "09120000103");
        let page = manager.get("/panel/reports");
        assert_eq!(page.status, 200, "[{l}]");
        assert!(!page.body.contains("/panel/reports/wallet"), "[{l}]");
        let r = manager.post("/panel/reports/wallet", &[("amount", "1"), ("reason", "x")]);
        assert_eq!(r.status, 403, "[{l}]");
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

        // Moving a booking goes through the same save: onto the taken table it is
        // refused and stays; an hour earlier it moves (the table chosen again).
        let r = book(&mut op, "17:00", "09121230003", "2");
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let early = ids_in(&op.get(&back).body, "bookings")
            .into_iter()
            .find(|x| *x != id)
            .unwrap();
        let move_to = |op: &mut Client, time: &str, table: &str| {
            op.post(
                &format!("/panel/bookings/{early}/move"),
                &[("day", day.as_str()), ("time", time), ("table", table)],
            )
        };
        let r = move_to(&mut op, "21:15", "1");
        assert!(
            location(&r).contains("done=taken"),
            "[{l}] {}",
            location(&r)
        );
        let page = op.get(location(&r));
        assert!(
            page.body
                .contains("No table is free for that party at that time.")
                && page.body.contains("value=\"17:00\""),
            "[{l}] {}",
            page.body
        );
        let r = move_to(&mut op, "16:00", "");
        assert!(
            location(&r).contains("done=moved"),
            "[{l}] {}",
            location(&r)
        );
        let page = op.get(location(&r));
        assert!(
            page.body.contains("The booking was moved.") && page.body.contains("value=\"16:00\""),
            "[{l}] {}",
            page.body
        );
        let r = move_to(&mut op, "7pm", "");
        assert!(location(&r).contains("done=refused"), "[{l}]");
        // Party size and stay through the same save: nine fit no table (refused, still
        // two); three for two hours move.
        let resize = |op: &mut Client, party: &str, stay: &str| {
            op.post(
                &format!("/panel/bookings/{early}/move"),
                &[
                    ("day", day.as_str()),
                    ("time", "16:00"),
                    ("table", ""),
                    ("party", party),
                    ("stay", stay),
                ],
            )
        };
        let party_field = |n: &str| {
            format!(
                "id=\"move-party-{early}\" name=\"party\" type=\"text\" inputmode=\"numeric\" value=\"{n}\""
            )
        };
        let r = resize(&mut op, "9", "");
        assert!(
            location(&r).contains("done=taken"),
            "[{l}] {}",
            location(&r)
        );
        assert!(
            op.get(location(&r)).body.contains(&party_field("2")),
            "[{l}]"
        );
        let r = resize(&mut op, "3", "120");
        assert!(
            location(&r).contains("done=moved"),
            "[{l}] {}",
            location(&r)
        );
        assert!(
            op.get(location(&r)).body.contains(&party_field("3")),
            "[{l}]"
        );
        let r = resize(&mut op, "3", "7");
        assert!(
            location(&r).contains("done=refused"),
            "[{l}] {}",
            location(&r)
        );

        // The guest's page lists their bookings, linked to the day in the host view.
        let listed = op.get("/panel/customers?q=09121230003");
        let customer = ids_in(&listed.body, "customers")[0].clone();
        let page = op.get(&format!("/panel/customers/{customer}?lang=en"));
        assert_eq!(page.status, 200, "[{l}]");
        let section = page
            .body
            .split("id=\"customer-bookings\"")
            .nth(1)
            .expect("the bookings section");
        assert!(
            section.contains("16:00")
                && section.contains(">Main<")
                && section.contains(&format!("/panel/bookings?branch={branch}&amp;day={day}")),
            "[{l}] {section}"
        );
        assert!(page.body.contains("id=\"club-credit\""), "[{l}]");

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
        // The booking SMS: edited with reasons next to the field, switched off, added.
        let page = op.get("/panel/bookings/messages?lang=en");
        assert_eq!(page.status, 200, "[{l}]");
        let reminder = cli_id(&db.ok(&["booking", "sms", "list"]), "reminder");
        let edit = |op: &mut Client, offset: &str, template: &str, active: bool| {
            let mut fields = vec![("offset", offset), ("template", template)];
            if active {
                fields.push(("active", "on"));
            }
            op.post(&format!("/panel/bookings/messages/{reminder}"), &fields)
        };
        let r = edit(&mut op, "lots", "See you {time}", true);
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.body.contains(&format!("id=\"offset-{reminder}-error\""))
                && r.body.contains("value=\"lots\""),
            "[{l}] {}",
            r.body
        );
        let r = op.post(
            &format!("/panel/bookings/messages/{reminder}?lang=fa"),
            &[("offset", "۳۰"), ("template", "{when} بیایید")],
        );
        assert!(
            r.body
                .contains(&format!("id=\"template-{reminder}-error\""))
                && r.body.contains("فقط از متغیرهای بالا"),
            "[{l}] {}",
            r.body
        );
        let r = edit(&mut op, "۳۰", "See you at {time}, {name}", false);
        assert_eq!(
            location(&r),
            "/panel/bookings/messages?saved=1",
            "[{l}] {}",
            r.body
        );
        let listed = db.ok(&["booking", "sms", "list"]);
        let row = listed
            .lines()
            .find(|x| x.starts_with(&format!("{reminder} ")))
            .unwrap();
        assert!(
            row.contains(" 30 ")
                && row.contains("off")
                && row.contains("See you at {time}, {name}"),
            "[{l}] {row}"
        );
        let r = op.post(
            "/panel/bookings/messages",
            &[
                ("kind", "reminder"),
                ("offset", "1440"),
                ("template", "Tomorrow {time} at {branch}"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        assert!(
            db.ok(&["booking", "sms", "list"])
                .contains("Tomorrow {time} at {branch}"),
            "[{l}]"
        );

        // The branch's booking rules and deposit rule: each refusal by its field.
        let page = op.get(&format!("/panel/bookings/settings?branch={branch}&lang=en"));
        assert_eq!(page.status, 200, "[{l}]");
        assert!(
            page.body.contains("value=\"12:00-23:00\""),
            "[{l}] {}",
            page.body
        );
        let settings_form = |slot: &str, stay_by: &str, hours: &str, mode: &str, amount: &str| {
            vec![
                ("branch", branch.clone()),
                ("slot_interval", slot.to_string()),
                ("stay_minutes", "90".to_string()),
                ("stay_by_party", stay_by.to_string()),
                ("buffer_minutes", "15".to_string()),
                ("min_notice", "60".to_string()),
                ("max_days_ahead", "30".to_string()),
                ("opening_hours", hours.to_string()),
                ("deposit_mode", mode.to_string()),
                ("deposit_amount", amount.to_string()),
                ("deposit_from_party", "4".to_string()),
                ("deposit_refund_hours", "24".to_string()),
            ]
        };
        let post = |op: &mut Client, path: &str, fields: Vec<(&str, String)>| {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            op.post(path, &fields)
        };
        let r = post(
            &mut op,
            "/panel/bookings/settings?lang=en",
            settings_form("7", "1-2=oops", "noon", "fixed", "500000"),
        );
        assert_eq!(r.status, 200, "[{l}]");
        for field in ["slot_interval", "stay_by_party", "opening_hours"] {
            assert!(
                r.body.contains(&format!("id=\"{field}-error\"")),
                "[{l}] {field}: {}",
                r.body
            );
        }
        assert!(!r.body.contains("id=\"deposit_amount-error\""), "[{l}]");
        assert!(r.body.contains("value=\"1-2=oops\""), "[{l}] as typed");
        let r = post(
            &mut op,
            "/panel/bookings/settings?lang=fa",
            settings_form("15", "", "12:00-23:00", "fixed", "۰"),
        );
        assert!(
            r.body.contains("id=\"deposit_mode-error\"")
                || r.body.contains("id=\"deposit_amount-error\""),
            "[{l}] {}",
            r.body
        );
        assert!(r.body.contains("این مقدار پذیرفته نیست"), "[{l}]");
        let r = post(
            &mut op,
            "/panel/bookings/settings",
            settings_form(
                "30",
                "5-=120",
                "12:00-16:00; 19:00-23:30",
                "per_guest",
                "۱۰۰٬۰۰۰",
            ),
        );
        assert_eq!(
            location(&r),
            format!("/panel/bookings/settings?branch={branch}&saved=1"),
            "[{l}] {}",
            r.body
        );
        // Tables: one added (a refusal on the form keeps what was typed), one taken out
        // of service.
        let add_table = |op: &mut Client, name: &str, max: &str| {
            op.post(
                "/panel/bookings/tables?lang=en",
                &[
                    ("branch", branch.as_str()),
                    ("name", name),
                    ("min", "1"),
                    ("max", max),
                    ("zone", "Terrace"),
                    ("joins", "1"),
                ],
            )
        };
        let r = add_table(&mut op, "T2", "۶");
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let r = add_table(&mut op, "T2", "6");
        assert!(
            r.body.contains("id=\"table-error\"") && r.body.contains("already"),
            "[{l}] {}",
            r.body
        );
        let r = add_table(&mut op, "T3", "0");
        assert!(
            r.body.contains("id=\"table-error\"") && r.body.contains("value=\"T3\""),
            "[{l}] {}",
            r.body
        );
        let r = op.post(
            "/panel/bookings/tables/active",
            &[("branch", branch.as_str()), ("name", "T2")],
        );
        assert_eq!(r.status, 303, "[{l}]");
        let page = op.get(&format!("/panel/bookings/settings?branch={branch}&lang=en"));
        let section = page.body.split("id=\"branch-tables\"").nth(1).unwrap();
        assert!(
            section.contains("T2")
                && section.contains("Terrace")
                && section.contains("out of service"),
            "[{l}] {section}"
        );

        // Services: a staff member, a service refused without anyone performing it
        // (kept as typed), then added, edited and removed.
        let r = op.post(
            "/panel/bookings/tables?lang=en",
            &[
                ("branch", branch.as_str()),
                ("kind", "staff"),
                ("name", "Ali"),
                ("min", "1"),
                ("max", "1"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let service = |op: &mut Client, id: &str, duration: &str, by: &[&str]| {
            let mut form = vec![
                ("branch", branch.as_str()),
                ("id", id),
                ("name", "اصلاح"),
                ("name_en", "Haircut"),
                ("duration", duration),
                ("price", "۲۰۰۰۰۰"),
            ];
            form.extend(by.iter().map(|b| ("resource", *b)));
            op.post("/panel/bookings/services?lang=en", &form)
        };
        let r = service(&mut op, "", "30", &[]);
        assert!(
            r.body.contains("id=\"service-error\"") && r.body.contains("value=\"Haircut\""),
            "[{l}] {}",
            r.body
        );
        let r = service(&mut op, "", "30", &["Ali"]);
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let page = op.get(&format!("/panel/bookings/settings?branch={branch}&lang=en"));
        let section = page.body.split("id=\"services\"").nth(1).unwrap();
        let id = section
            .split("id=\"service-")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        assert!(
            section.contains("Haircut") && section.contains("200000"),
            "[{l}] {section}"
        );
        let r = service(&mut op, &id, "45", &["Ali"]);
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let page = op.get(&format!("/panel/bookings/settings?branch={branch}&lang=en"));
        assert!(page.body.contains("value=\"45\""), "[{l}]");
        let r = op.post(
            "/panel/bookings/services/remove",
            &[("branch", branch.as_str()), ("id", id.as_str())],
        );
        assert_eq!(r.status, 303, "[{l}]");
        let page = op.get(&format!("/panel/bookings/settings?branch={branch}&lang=en"));
        assert!(!page.body.contains("Haircut"), "[{l}]");
        let audit = op.get("/panel/audit?lang=en").body;
        assert!(
            audit.contains("Service added")
                && audit.contains("Service edited")
                && audit.contains("Service removed"),
            "[{l}]"
        );

        // Bookings already made that the saved hours leave out are named, with a link:
        // one ten days ahead, whatever the hour the test runs.
        let zone = crm::clock::Zone::named("Asia/Tehran").unwrap();
        let ahead = crm::clock::add_days(zone.day_key(crm::clock::now()), 10).unwrap();
        let ahead = format!(
            "{}-{:02}-{:02}",
            ahead / 10_000,
            ahead / 100 % 100,
            ahead % 100
        );
        db.ok(&[
            "booking",
            "create",
            "--branch",
            "Main",
            "--phone",
            "09120000077",
            "--party",
            "2",
            "--date",
            &ahead,
            "--time",
            "20:00",
        ]);
        let narrowed = post(
            &mut op,
            "/panel/bookings/settings",
            settings_form("30", "5-=120", "00:00-00:05", "per_guest", "100000"),
        );
        assert_eq!(narrowed.status, 303, "[{l}] {}", narrowed.body);
        let page = op.get(&format!("/panel/bookings/settings?branch={branch}&lang=en"));
        assert!(
            page.body.contains("id=\"outside-rules\"")
                && page.body.contains("fall outside the opening hours"),
            "[{l}] {}",
            page.body
        );
        post(
            &mut op,
            "/panel/bookings/settings",
            settings_form(
                "30",
                "5-=120",
                "12:00-16:00; 19:00-23:30",
                "per_guest",
                "100000",
            ),
        );

        let shown = db.ok(&["booking", "settings", "--branch", "Main"]);
        assert!(
            shown.contains("30")
                && shown.contains("5-=120")
                && shown.contains("19:00-23:30")
                && shown.contains("100000"),
            "[{l}] {shown}"
        );

        let audit = op.get("/panel/audit?lang=en").body;
        assert!(
            audit.contains("Booking settings changed") && audit.contains("Table added"),
            "[{l}]"
        );
        assert!(
            audit.contains("Booking SMS edited") && audit.contains("Booking SMS added"),
            "[{l}]"
        );
        assert!(
            audit.contains("Booking made")
                && audit.contains("Deposit recorded")
                && audit.contains("Booking moved"),
            "[{l}]"
        );
        drop(server);
        db.cleanup();
    }
}

#[test]
fn survey_settings_validate_next_to_fields_and_edit_precision_questions() {
    for db in Db::both() {
        let l = db.label;
        two_tenants(&db, "rival");
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        add_people(
            &db,
            &http,
            &[("09120000101", "owner"), ("09120000103", "branch_manager")],
        );
        let mut manager = sign_in(&db, &http, "09120000103");
        assert_eq!(manager.get("/panel/surveys/settings").status, 403, "[{l}]");
        let mut owner = sign_in(&db, &http, "09120000101");
        assert!(
            owner
                .get("/panel/feedback?lang=en")
                .body
                .contains("/panel/surveys/settings"),
            "[{l}] the report links the settings"
        );
        let page = owner.get("/panel/surveys/settings?lang=en");
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        assert!(page.body.contains("value=\"22:00-09:00\""), "[{l}]");
        assert!(page.body.contains("add-on is not active"), "[{l}]");
        assert!(!page.body.contains("/panel/surveys/questions"), "[{l}]");

        // Bad values: each refused next to its field, what was typed kept, nothing saved.
        let r = owner.post(
            "/panel/surveys/settings?lang=fa",
            &[
                ("checks", "1"),
                ("delay_minutes", "soon"),
                ("quiet_hours", "25:00-09:00"),
                ("shifts", "12:00 07:00 17:00 24:00"),
                ("happy_from", "1"),
                ("max_reminders", "9"),
            ],
        );
        assert_eq!(r.status, 200, "[{l}]");
        for field in [
            "delay_minutes",
            "quiet_hours",
            "shifts",
            "happy_from",
            "max_reminders",
        ] {
            assert!(
                r.body.contains(&format!(
                    "id=\"{field}-error\" class=\"error\" role=\"alert\""
                )),
                "[{l}] {field}: {}",
                r.body
            );
        }
        assert!(r.body.contains("حداکثر ۵ یادآوری"), "[{l}] in Persian");
        assert!(r.body.contains("value=\"soon\""), "[{l}]");
        assert!(
            db.ok(&["survey", "settings"])
                .contains("enabled        false")
        );
        let r = owner.post("/panel/surveys/settings?lang=en", &[("max_reminders", "9")]);
        assert!(r.body.contains("at most 5 reminders"), "[{l}] {}", r.body);
        let r = owner.post("/panel/surveys/settings?lang=en", &[("shifts", "7 12 17")]);
        assert!(
            r.body.contains("expected four start times HH:MM"),
            "[{l}] {}",
            r.body
        );

        // Good values, in Persian digits: saved and audited with what changed.
        let r = owner.post(
            "/panel/surveys/settings",
            &[
                ("checks", "1"),
                ("enabled", "on"),
                ("delay_minutes", "۴۵"),
                ("quiet_hours", "۲۳:۰۰-۰۸:۳۰"),
                ("shifts", "۰۷:۰۰ ۱۲:۰۰ ۱۷:۰۰ ۲۴:۰۰"),
                ("max_reminders", "1"),
                ("reply_unhappy", "{tenant}: sorry, we will call you."),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let shown = db.ok(&["survey", "settings"]);
        assert!(
            shown.contains("enabled        true")
                && shown.contains("delay          45 minutes")
                && shown.contains("quiet hours    23:00-08:30")
                && shown.contains("reminders      1"),
            "[{l}] {shown}"
        );
        let audit = owner.get("/panel/audit?lang=en").body;
        assert!(
            audit.contains("Survey settings changed")
                && audit.contains("&#34;delay_minutes&#34;:45")
                && audit.contains("&#34;shift_starts&#34;:[420,720,1020,1440]"),
            "[{l}] {audit}"
        );
        let page = owner.get("/panel/surveys/settings?lang=en").body;
        assert!(page.contains("value=\"07:00 12:00 17:00 24:00\""), "[{l}]");

        // The question editor, once the operator turns the add-on on.
        db.ok(&["survey", "settings", "--precision", "on"]);
        let page = owner.get("/panel/surveys/settings?lang=en");
        assert!(page.body.contains("No questions yet."), "[{l}]");
        let add = |c: &mut Client, fields: &[(&str, &str)]| {
            c.post(
                "/panel/surveys/questions?lang=en",
                &[&[("action", "add")][..], fields].concat(),
            )
        };
        let r = add(
            &mut owner,
            &[
                ("kind", "choice"),
                ("label", "Where did you sit?"),
                ("options", "Inside"),
            ],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(r.body.contains("needs 2 to 10 options"), "[{l}] {}", r.body);
        assert!(
            r.body.contains("value=\"Where did you sit?\""),
            "[{l}] kept"
        );
        for fields in [
            [
                ("kind", "nps"),
                ("label", "Recommend us?"),
                ("options", ""),
                ("required", "on"),
                ("show_if", "0"),
            ],
            [
                ("kind", "multi"),
                ("label", "What went wrong?"),
                ("options", "Slow\nCold\n"),
                ("required", "on"),
                ("show_if", "2"),
            ],
        ] {
            assert_eq!(add(&mut owner, &fields).status, 303, "[{l}]");
        }
        let listing = db.ok(&["survey", "questions"]);
        let ids: Vec<String> = listing
            .lines()
            .skip(1)
            .map(|r| r.split_whitespace().next().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), 2, "[{l}] {listing}");
        assert!(
            listing.contains("rating <= 2") && listing.contains("Slow | Cold"),
            "[{l}] {listing}"
        );
        let r = owner.post(
            "/panel/surveys/questions",
            &[
                ("action", "save"),
                ("id", &ids[1]),
                ("kind", "multi"),
                ("label", "What went wrong?"),
                ("options", "Slow\nCold\nNoisy"),
                ("show_if", "1"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        // English labels are optional; English options are all or none.
        let r = owner.post(
            "/panel/surveys/questions?lang=en",
            &[
                ("action", "save"),
                ("id", &ids[1]),
                ("kind", "multi"),
                ("label", "What went wrong?"),
                ("options", "Slow\nCold\nNoisy"),
                ("label_en", "What was wrong?"),
                ("options_en", "Slow EN\nCold EN"),
                ("show_if", "1"),
            ],
        );
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.body.contains("one for each option")
                && r.body.contains(">Slow EN\nCold EN</textarea>"),
            "[{l}] refused next to the question, as typed: {}",
            r.body
        );
        let r = owner.post(
            "/panel/surveys/questions",
            &[
                ("action", "save"),
                ("id", &ids[0]),
                ("kind", "nps"),
                ("label", "Recommend us?"),
                ("label_en", "  Would you recommend us?  "),
                ("required", "on"),
                ("show_if", "0"),
            ],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let page = owner.get("/panel/surveys/settings?lang=en");
        assert!(
            page.body.contains("name=\"label_en\" type=\"text\" dir=\"auto\" lang=\"en\" maxlength=\"200\" value=\"Would you recommend us?\""),
            "[{l}] saved trimmed: {}",
            page.body
        );
        let r = owner.post(
            "/panel/surveys/questions",
            &[("action", "up"), ("id", &ids[1])],
        );
        assert_eq!(r.status, 303, "[{l}]");
        let listing = db.ok(&["survey", "questions"]);
        assert!(
            listing
                .lines()
                .nth(1)
                .unwrap()
                .contains("Slow | Cold | Noisy")
                && listing.contains("rating <= 1"),
            "[{l}] {listing}"
        );
        let r = owner.post(
            "/panel/surveys/questions",
            &[("action", "remove"), ("id", &ids[0])],
        );
        assert_eq!(r.status, 303, "[{l}]");
        assert!(!db.ok(&["survey", "questions"]).contains("Recommend us?"));
        // Another tenant's question is not found from here.
        db.ok(&[
            "--tenant",
            "rival",
            "survey",
            "settings",
            "--precision",
            "on",
        ]);
        db.ok(&[
            "--tenant", "rival", "survey", "question", "add", "--kind", "text", "--label", "Theirs",
        ]);
        let theirs = db.ok(&["--tenant", "rival", "survey", "questions"]);
        let theirs = theirs
            .lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let r = owner.post(
            "/panel/surveys/questions",
            &[("action", "remove"), ("id", &theirs)],
        );
        assert_eq!(r.status, 404, "[{l}] {}", r.body);
        assert!(
            db.ok(&["--tenant", "rival", "survey", "questions"])
                .contains("Theirs")
        );
        let audit = owner.get("/panel/audit?lang=en").body;
        assert!(
            audit.contains("Survey question added")
                && audit.contains("Survey question changed")
                && audit.contains("Survey question moved")
                && audit.contains("Survey question removed"),
            "[{l}]"
        );
        server.stop();
        db.cleanup();
    }
}

#[test]
fn survey_alert_people_are_picked_by_the_owner_on_the_settings_page() {
    for db in Db::both() {
        let l = db.label;
        two_tenants(&db, "rival");
        let server = db.serve(&[]);
        let http = server.http.clone().unwrap();
        let mut op = add_people(
            &db,
            &http,
            &[
                ("09120000101", "owner"),
                ("09120000102", "senior_manager"),
                ("09120000103", "branch_manager"),
            ],
        );
        // Someone of the other tenant, and their user id as that tenant's page shows it.
        select_tenant(&mut op, "rival");
        let r = op.post(
            "/panel/people",
            &[("phone", "09120000109"), ("role", "builtin:viewer")],
        );
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let theirs = common::panel::user_id_before(
            &op.get("/panel/surveys/settings?lang=en").body,
            "09120000109",
        );

        let mut owner = sign_in(&db, &http, "09120000101");
        let page = owner.get("/panel/surveys/settings?lang=en");
        assert_eq!(page.status, 200, "[{l}] {}", page.body);
        // Every person of this tenant with their role; the threshold is the form's.
        for text in [
            "Alert these people about low scores",
            "09120000102",
            "Senior manager",
            "09120000103",
            "Branch manager",
            "A low score is 2 stars or fewer",
        ] {
            assert!(page.body.contains(text), "[{l}] {text}: {}", page.body);
        }
        assert!(!page.body.contains("09120000109"), "[{l}] not the rival's");
        let manager = common::panel::user_id_before(&page.body, "09120000103");

        // Another tenant's person, a made-up id, a non-number: refused, nothing saved.
        for bad in [theirs.as_str(), "999999", "x"] {
            let r = owner.post(
                "/panel/surveys/alerts?lang=en",
                &[("user", manager.as_str()), ("user", bad)],
            );
            assert_eq!(r.status, 422, "[{l}] {bad}: {}", r.body);
            assert!(
                r.body.contains("id=\"alerts-error\"")
                    && r.body.contains("At most 10 of this business&#39;s people."),
                "[{l}] {}",
                r.body
            );
        }
        let page = owner.get("/panel/surveys/settings?lang=en");
        assert!(
            !page.body.contains(" checked> <bdi"),
            "[{l}] nobody was saved"
        );

        // The branch manager: chosen, saved, audited.
        let r = owner.post("/panel/surveys/alerts", &[("user", &manager)]);
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let page = owner.get("/panel/surveys/settings?lang=fa");
        assert!(
            page.body.contains(&format!("value=\"{manager}\" checked>")),
            "[{l}] {}",
            page.body
        );
        let audit = owner.get("/panel/audit?lang=en").body;
        assert!(audit.contains("Survey alert recipients changed"), "[{l}]");

        // Phones outside the panel: any written form is normalised; a bad, repeated or
        // unknown number comes back next to the field; each change is audited.
        let add = |c: &mut common::panel::Client, phone: &str, lang: &str| {
            c.post(
                &format!("/panel/surveys/alert-phones?lang={lang}"),
                &[("action", "add"), ("phone", phone)],
            )
        };
        let r = add(&mut owner, "۰۹۱۲ ۳۴۵ ۶۷۸۹", "en");
        assert_eq!(r.status, 303, "[{l}] {}", r.body);
        let page = owner.get("/panel/surveys/settings?lang=en").body;
        assert!(
            page.contains("<bdi dir=\"ltr\">09123456789</bdi>")
                && page.contains("name=\"phone\" value=\"+989123456789\""),
            "[{l}] {page}"
        );
        for (phone, lang, message) in [
            ("0912345", "en", "is not an Iranian mobile number"),
            ("0912345", "fa", "شماره موبایل ایران نیست"),
            (
                "+98 912 345 6789",
                "en",
                "That number is already on the list.",
            ),
        ] {
            let r = add(&mut owner, phone, lang);
            assert_eq!(r.status, 422, "[{l}] {phone}");
            assert!(
                r.body.contains("id=\"alert_phone-error\"") && r.body.contains(message),
                "[{l}] {phone}: {}",
                r.body
            );
            assert!(r.body.contains("aria-invalid=\"true\""), "[{l}]");
        }
        for n in 1..10 {
            let r = add(&mut owner, &format!("0912000{n:04}"), "en");
            assert_eq!(r.status, 303, "[{l}] {n}");
        }
        let r = add(&mut owner, "09129999999", "en");
        assert_eq!(r.status, 422, "[{l}]");
        assert!(r.body.contains("At most 10 numbers"), "[{l}]");
        let remove = |c: &mut common::panel::Client, phone: &str| {
            c.post(
                "/panel/surveys/alert-phones?lang=en",
                &[("action", "remove"), ("phone", phone)],
            )
        };
        assert_eq!(remove(&mut owner, "+989123456789").status, 303, "[{l}]");
        let r = remove(&mut owner, "+989123456789");
        assert_eq!(r.status, 422, "[{l}]");
        assert!(r.body.contains("That number is not on the list."), "[{l}]");
        let page = owner.get("/panel/surveys/settings?lang=en").body;
        assert!(!page.contains("09123456789"), "[{l}]");
        let audit = owner.get("/panel/audit?lang=en").body;
        assert!(
            audit.contains("Survey alert phone added")
                && audit.contains("Survey alert phone removed"),
            "[{l}]"
        );

        // A senior manager edits the settings but only sees who is alerted; they may
        // not change it. The branch manager sees neither.
        let mut senior = sign_in(&db, &http, "09120000102");
        let page = senior.get("/panel/surveys/settings?lang=en");
        assert_eq!(page.status, 200, "[{l}]");
        assert!(
            page.body.contains("09120000103")
                && page
                    .body
                    .contains("Only the owner can change who is alerted.")
                && !page.body.contains("/panel/surveys/alerts"),
            "[{l}] {}",
            page.body
        );
        let r = senior.post("/panel/surveys/alerts", &[]);
        assert_eq!(r.status, 403, "[{l}]");
        assert!(!page.body.contains("/panel/surveys/alert-phones"), "[{l}]");
        let r = senior.post(
            "/panel/surveys/alert-phones",
            &[("action", "add"), ("phone", "09121112233")],
        );
        assert_eq!(r.status, 403, "[{l}]");
        let mut manager_client = sign_in(&db, &http, "09120000103");
        assert_eq!(
            manager_client.post("/panel/surveys/alerts", &[]).status,
            403,
            "[{l}]"
        );
        server.stop();
        db.cleanup();
    }
}
