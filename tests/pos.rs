//! End-to-end: the POS API of the real `smartx serve`, with a key from
//! `smartx pos-key create`, on SQLite and PostgreSQL.

mod common;

use common::{Db, Server, http_request};
use serde_json::Value;

struct Pos<'a> {
    server: &'a Server,
    key: String,
}

impl Pos<'_> {
    fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        idem: Option<&str>,
        body: &str,
    ) -> (u16, Value) {
        let auth = format!("Bearer {}", key.unwrap_or(&self.key));
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        if let Some(k) = idem {
            headers.push(("Idempotency-Key", k));
        }
        let r = http_request(
            self.server.http.as_deref().unwrap(),
            method,
            path,
            &headers,
            body,
        );
        let json = serde_json::from_str(&r.body)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", r.body));
        (r.status, json)
    }

    fn post(&self, path: &str, idem: Option<&str>, body: &str) -> (u16, Value) {
        self.call("POST", path, None, idem, body)
    }

    fn member(&self, phone: &str) -> (u16, Value) {
        self.call("GET", &format!("/api/v1/members/{phone}"), None, None, "")
    }
}

fn setup(db: &Db) -> String {
    db.ok(&["branch", "add", "--name", "Center"]);
    db.ok(&["pos-key", "create", "--branch", "Center"])
        .trim()
        .to_string()
}

const INVOICE: &str = r#"{"phone": "۰۹۱۲ ۳۴۵ ۶۷۸۹", "amount": 2000000, "pos_transaction_id": "T-1", "staff": "علی ۳",
    "items": [{"name": "latte", "category": "drinks", "qty": 2, "unit_price": 1000000}]}"#;

#[test]
fn invoices_earn_credit_idempotently_and_cancel_reverses() {
    for db in Db::both() {
        let l = db.label;
        let key = setup(&db);
        assert!(key.starts_with("sxp_"), "[{l}] {key}");
        let server = db.serve(&[]);
        let pos = Pos {
            server: &server,
            key,
        };

        // An invoice makes the phone a member (source pos) and earns 5 % (the default).
        let (status, first) = pos.post("/api/v1/invoices", Some("retry-1"), INVOICE);
        assert_eq!(status, 201, "[{l}] {first}");
        assert_eq!(first["invoice"]["earned"], 100_000, "[{l}] {first}");
        assert_eq!(first["invoice"]["phone"], "+989123456789");
        assert_eq!(first["invoice"]["staff"], "علی ۳", "[{l}] {first}");
        assert_eq!(first["balance"]["spendable"], 100_000);

        // A retry with the same key gets the same reply, and no second invoice.
        let (status, again) = pos.post("/api/v1/invoices", Some("retry-1"), INVOICE);
        assert_eq!((status, &again), (201, &first), "[{l}] retried POST");
        // The same key for another request is refused; so is the same POS transaction.
        let (status, e) = pos.post(
            "/api/v1/invoices",
            Some("retry-1"),
            r#"{"phone":"09123456789","amount":5}"#,
        );
        assert_eq!(status, 422, "[{l}] {e}");
        let (status, e) = pos.post("/api/v1/invoices", Some("retry-2"), INVOICE);
        assert_eq!(status, 409, "[{l}] {e}");
        assert!(
            e["error"].as_str().unwrap().contains("already invoice #"),
            "[{l}] {e}"
        );

        let (status, m) = pos.member("09123456789");
        assert_eq!(status, 200, "[{l}] {m}");
        assert_eq!(m["joined_via"], "pos");
        assert_eq!(
            m["balance"]["spendable"], 100_000,
            "[{l}] one invoice only: {m}"
        );

        // Paying with credit: above the balance → 409 with the reason; within → 200.
        let id = first["invoice"]["id"].as_i64().unwrap();
        let redeem = format!("/api/v1/invoices/{id}/redeem");
        let (status, e) = pos.post(&redeem, None, r#"{"amount": 100001}"#);
        assert_eq!(status, 409, "[{l}] {e}");
        assert!(
            e["error"].as_str().unwrap().contains("not enough credit"),
            "[{l}] {e}"
        );
        let (status, r) = pos.post(&redeem, Some("pay-1"), r#"{"amount": 40000}"#);
        assert_eq!(status, 200, "[{l}] {r}");
        assert_eq!(r["balance"]["spendable"], 60_000);
        assert_eq!(
            pos.post(&redeem, Some("pay-1"), r#"{"amount": 40000}"#).1,
            r,
            "[{l}] replay"
        );
        assert_eq!(
            pos.member("09123456789").1["balance"]["spendable"],
            60_000,
            "[{l}] paid once"
        );

        // Cancel: the earned credit goes, the credit paid with it comes back.
        let (status, c) = pos.post(&format!("/api/v1/invoices/{id}/cancel"), None, "");
        assert_eq!(status, 200, "[{l}] {c}");
        assert_eq!(c["invoice"]["status"], "cancelled");
        assert_eq!(c["reversal"]["refunded"], 40_000);
        assert_eq!(c["reversal"]["clawed_back"], 100_000);
        assert_eq!(c["balance"]["spendable"], 0, "[{l}] {c}");
        let (status, e) = pos.post(&format!("/api/v1/invoices/{id}/cancel"), None, "");
        assert_eq!(status, 409, "[{l}] {e}");
        let (status, _) = pos.post(&redeem, None, r#"{"amount": 1}"#);
        assert_eq!(status, 409, "[{l}] redeem on a cancelled invoice");

        let ledger = db.ok(&["club", "ledger", "09123456789"]);
        assert_eq!(ledger.matches(" earn ").count(), 1, "[{l}] {ledger}");
        assert_eq!(ledger.matches(" reverse ").count(), 2, "[{l}] {ledger}");
        server.stop();
        db.cleanup();
    }
}

#[test]
fn bad_requests_get_a_reason_and_change_nothing() {
    for db in Db::both() {
        let l = db.label;
        let key = setup(&db);
        // Earned credit waits a day (the return window); at most half an invoice is credit.
        db.ok(&[
            "club",
            "settings",
            "--pending-seconds",
            "86400",
            "--earn-bp",
            "1000",
        ]);
        let server = db.serve(&[]);
        let pos = Pos {
            server: &server,
            key,
        };

        let (status, e) = pos.post(
            "/api/v1/invoices",
            None,
            r#"{"phone": "0912", "amount": 1000}"#,
        );
        assert_eq!(status, 422, "[{l}] {e}");
        assert!(e["error"].as_str().unwrap().contains("mobile"), "[{l}] {e}");
        let (status, e) = pos.post(
            "/api/v1/invoices",
            None,
            r#"{"phone": "09121110000", "amount": -5}"#,
        );
        assert_eq!(status, 422, "[{l}] {e}");
        let (status, e) = pos.post(
            "/api/v1/invoices",
            None,
            r#"{"phone": "09121110000", "amount": 5, "items": [{"name": "", "qty": 1, "unit_price": 5}]}"#,
        );
        assert_eq!(status, 422, "[{l}] {e}");
        // The cashier/waiter: blank, over 60 characters or with control characters.
        for staff in [
            r#""  ""#,
            &format!("\"{}\"", "x".repeat(61)),
            r#""Ali\nReza""#,
        ] {
            let (status, e) = pos.post(
                "/api/v1/invoices",
                None,
                &format!(r#"{{"phone": "09121110000", "amount": 5, "staff": {staff}}}"#),
            );
            assert_eq!(status, 422, "[{l}] {staff}: {e}");
            assert!(
                e["error"]
                    .as_str()
                    .unwrap()
                    .starts_with("staff must be 1 to 60"),
                "[{l}] {e}"
            );
        }
        let (status, e) = pos.post("/api/v1/invoices", None, r#"{"phone": "09121110000""#);
        assert_eq!(status, 400, "[{l}] {e}");
        let (status, e) = pos.post("/api/v1/invoices", None, r#"{"amount": 5}"#);
        assert_eq!(status, 400, "[{l}] missing phone: {e}");
        // Nothing of the refused invoices was written: the phone is no member.
        assert_eq!(pos.member("09121110000").0, 404, "[{l}]");

        let (status, e) = pos.call(
            "GET",
            "/api/v1/members/09121110000",
            Some("sxp_nope"),
            None,
            "",
        );
        assert_eq!(status, 401, "[{l}] {e}");
        let r = http_request(
            server.http.as_deref().unwrap(),
            "GET",
            "/api/v1/members/09121110000",
            &[],
            "",
        );
        assert_eq!(r.status, 401, "[{l}] no Authorization");
        assert!(r.body.contains("\"error\""), "[{l}] {}", r.body);
        let (status, _) = pos.post("/api/v1/invoices/999/redeem", None, r#"{"amount": 1}"#);
        assert_eq!(status, 404, "[{l}]");
        let (status, e) = pos.post("/api/v1/nothing/here", None, "");
        assert_eq!(status, 404, "[{l}] {e}");
        assert_eq!(
            server.http_get("/nothing").0,
            404,
            "[{l}] outside the API: not JSON's business"
        );

        // Pending credit shows but cannot be spent yet; the cap share is enforced first.
        let (status, inv) = pos.post(
            "/api/v1/invoices",
            None,
            r#"{"phone": "09121110000", "amount": 100000}"#,
        );
        assert_eq!(status, 201, "[{l}] {inv}");
        assert_eq!(inv["balance"]["pending"], 10_000, "[{l}] {inv}");
        assert_eq!(inv["balance"]["spendable"], 0);
        let id = inv["invoice"]["id"].as_i64().unwrap();
        let (status, e) = pos.post(
            &format!("/api/v1/invoices/{id}/redeem"),
            None,
            r#"{"amount": 60000}"#,
        );
        assert_eq!(status, 409, "[{l}] {e}");
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .contains("may be paid with credit"),
            "[{l}] {e}"
        );
        let (status, e) = pos.post(
            &format!("/api/v1/invoices/{id}/redeem"),
            None,
            r#"{"amount": 5000}"#,
        );
        assert_eq!(status, 409, "[{l}] {e}");
        assert!(
            e["error"].as_str().unwrap().contains("0 rials spendable"),
            "[{l}] {e}"
        );
        let (_, m) = pos.member("+989121110000");
        assert_eq!(m["balance"]["pending"], 10_000, "[{l}] {m}");

        // A revoked key is refused at once.
        db.ok(&["pos-key", "revoke", "--id", "1"]);
        assert_eq!(pos.member("09121110000").0, 401, "[{l}]");
        server.stop();
        db.cleanup();
    }
}

#[test]
fn coupons_are_redeemed_through_the_api() {
    for db in Db::both() {
        let l = db.label;
        let key = setup(&db);
        let out = db.ok(&[
            "coupon", "create", "--name", "launch", "--value", "25000", "--count", "1",
        ]);
        let code = out
            .lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().next())
            .unwrap()
            .to_string();
        let server = db.serve(&[]);
        let pos = Pos {
            server: &server,
            key,
        };

        let body = format!(r#"{{"code": "{code}", "phone": "09126660000"}}"#);
        let (status, first) = pos.post("/api/v1/coupons/redeem", Some("c-1"), &body);
        assert_eq!(status, 200, "[{l}] {first}");
        assert_eq!(first["coupon"]["amount"], 25_000);
        assert_eq!(first["balance"]["spendable"], 25_000);
        assert_eq!(
            pos.post("/api/v1/coupons/redeem", Some("c-1"), &body),
            (200, first),
            "[{l}] replay"
        );
        let (status, e) = pos.post(
            "/api/v1/coupons/redeem",
            None,
            &format!(r#"{{"code": "{code}", "phone": "09126660001"}}"#),
        );
        assert_eq!(status, 409, "[{l}] {e}");
        let (status, _) = pos.post(
            "/api/v1/coupons/redeem",
            None,
            r#"{"code": "XXXX", "phone": "09126660001"}"#,
        );
        assert_eq!(status, 404, "[{l}]");
        assert_eq!(
            pos.member("09126660000").1["balance"]["spendable"],
            25_000,
            "[{l}] credited once"
        );
        let report = db.ok(&["coupon", "report"]);
        assert!(
            report.contains("launch") && report.contains("25000"),
            "[{l}] {report}"
        );
        server.stop();
        db.cleanup();
    }
}

/// The number after `booking #` in a CLI line.
fn booking_id(line: &str) -> String {
    let at = line.find("booking #").expect("a booking line") + "booking #".len();
    line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

#[test]
fn reservation_deposit_is_deducted_once_and_tables_open_and_close() {
    for db in Db::both() {
        let l = db.label;
        let key = setup(&db);
        db.ok(&[
            "table", "add", "--branch", "Center", "--name", "1", "--max", "4",
        ]);
        db.ok(&[
            "table", "add", "--branch", "Center", "--name", "2", "--max", "4",
        ]);
        let settings = db.ok(&[
            "booking",
            "settings",
            "--branch",
            "Center",
            "--deposit",
            "per-guest",
            "--deposit-amount",
            "100000",
            "--deposit-from",
            "2",
            "--refund-hours",
            "12",
        ]);
        assert!(
            settings.contains("100000 rials per guest from 2 guests"),
            "[{l}] {settings}"
        );
        let made = db.ok(&[
            "booking",
            "create",
            "--branch",
            "Center",
            "--phone",
            "09123456789",
            "--party",
            "4",
            "--date",
            "2030-01-15",
            "--time",
            "20:00",
        ]);
        assert!(made.contains("deposit 400000 due"), "[{l}] {made}");
        let id = booking_id(&made);
        let paid = db.ok(&["booking", "deposit", "--id", &id, "--paid"]);
        assert!(paid.contains("deposit 400000 paid"), "[{l}] {paid}");

        db.ok(&["branch", "add", "--name", "North"]);
        let north = db
            .ok(&["pos-key", "create", "--branch", "North"])
            .trim()
            .to_string();
        let server = db.serve(&[]);
        let pos = Pos {
            server: &server,
            key,
        };
        let bill = |txn: &str| {
            format!(
                r#"{{"phone": "09121112222", "amount": 1500000, "reservation_id": {id}, "pos_transaction_id": "{txn}"}}"#
            )
        };

        // Another branch's POS cannot take this branch's deposit.
        let (status, other) =
            pos.call("POST", "/api/v1/invoices", Some(&north), None, &bill("N-1"));
        assert_eq!(status, 201, "[{l}] {other}");
        assert_eq!(other["invoice"]["deposit_applied"], 0, "[{l}] {other}");

        let (status, first) = pos.post("/api/v1/invoices", Some("dep-1"), &bill("R-1"));
        assert_eq!(status, 201, "[{l}] {first}");
        assert_eq!(
            first["invoice"]["deposit_applied"], 400_000,
            "[{l}] {first}"
        );
        assert_eq!(first["invoice"]["to_pay"], 1_100_000, "[{l}] {first}");
        assert_eq!(
            first["invoice"]["reservation_id"],
            id.parse::<i64>().unwrap()
        );
        // The POS retries: the same reply, nothing deducted again.
        let (status, again) = pos.post("/api/v1/invoices", Some("dep-1"), &bill("R-1"));
        assert_eq!((status, &again), (201, &first), "[{l}]");
        // A second invoice for the reservation: nothing left to deduct.
        let (status, second) = pos.post("/api/v1/invoices", Some("dep-2"), &bill("R-2"));
        assert_eq!(status, 201, "[{l}] {second}");
        assert_eq!(second["invoice"]["deposit_applied"], 0, "[{l}] {second}");
        let listed = db.ok(&[
            "booking",
            "list",
            "--branch",
            "Center",
            "--date",
            "2030-01-15",
        ]);
        assert!(listed.contains("400000 applied"), "[{l}] {listed}");

        // Tables: the board, open (twice), close; only this branch's tables.
        let (status, board) = pos.call("GET", "/api/v1/tables", None, None, "");
        assert_eq!(status, 200, "[{l}] {board}");
        let tables = board["tables"].as_array().unwrap();
        assert_eq!(tables.len(), 2, "[{l}] {board}");
        assert_eq!(tables[1]["state"], "free", "[{l}] {board}");
        let table = tables[1]["id"].as_i64().unwrap();
        let open = format!("/api/v1/tables/{table}/open");
        for _ in 0..2 {
            let (status, t) = pos.post(&open, None, "");
            assert_eq!(status, 200, "[{l}] {t}");
            assert_eq!(t["table"]["state"], "occupied", "[{l}] {t}");
        }
        let (status, t) = pos.post(&format!("/api/v1/tables/{table}/close"), None, "");
        assert_eq!(status, 200, "[{l}] {t}");
        assert_eq!(t["table"]["state"], "needs_cleaning", "[{l}] {t}");
        let (status, e) = pos.call("POST", &open, Some(&north), None, "");
        assert_eq!(status, 404, "[{l}] {e}");
        let (status, e) = pos.post("/api/v1/tables/999999/open", None, "");
        assert_eq!(status, 404, "[{l}] {e}");
        let (status, e) = pos.post("/api/v1/tables/x/close", None, "");
        assert_eq!(status, 404, "[{l}] {e}");
        drop(server);
        db.cleanup();
    }
}
