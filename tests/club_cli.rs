//! End-to-end: the club's operator commands on the real binary (SQLite and PostgreSQL):
//! settings, manual credit with its cap, the ledger, fraud flags, coupons, the wallet
//! and notification templates.

mod common;

use common::Db;

#[test]
fn club_commands_credit_audit_and_refuse_with_reasons() {
    for db in Db::both() {
        let l = db.label;
        let out = db.ok(&[
            "club",
            "settings",
            "--earn-bp",
            "700",
            "--category-rate",
            "drinks=1200",
            "--tier",
            "gold:5000000:15000",
            "--manual-daily-cap",
            "100000",
            "--fraud-manual-amount",
            "80000",
        ]);
        assert!(out.contains("earn: 700 bp"), "[{l}] {out}");
        assert!(out.contains("category drinks: 1200 bp"), "[{l}] {out}");
        assert!(out.contains("tier gold: from 5000000"), "[{l}] {out}");
        db.ok(&["branch", "add", "--name", "Mall"]);
        let out = db.ok(&["club", "settings", "--branch", "Mall", "--earn-bp", "1000"]);
        assert!(
            out.contains("earn: 1000 bp") && out.contains("tier gold"),
            "[{l}] {out}"
        );
        assert!(
            db.ok(&["club", "settings"]).contains("earn: 700 bp"),
            "[{l}] tenant kept"
        );
        let e = db.fails(&[
            "club",
            "settings",
            "--branch",
            "Mall",
            "--manual-daily-cap",
            "5",
        ]);
        assert!(e.contains("tenant-wide"), "[{l}] {e}");
        let e = db.fails(&["club", "settings", "--max-redeem-bp", "20000"]);
        assert!(e.contains("share payable with credit"), "[{l}] {e}");

        // Manual credit: instant, audited; the staff cap and the fraud rule say why they refuse.
        let out = db.ok(&[
            "club",
            "credit",
            "09131112222",
            "50000",
            "--reason",
            "broken cup",
            "--staff",
            "4",
        ]);
        assert!(out.contains("spendable now 50000"), "[{l}] {out}");
        let e = db.fails(&[
            "club",
            "credit",
            "09131112222",
            "60000",
            "--reason",
            "again",
            "--staff",
            "4",
        ]);
        assert!(e.contains("50000 are left today"), "[{l}] {e}");
        db.ok(&[
            "club",
            "credit",
            "09131112222",
            "90000",
            "--reason",
            "vip",
            "--staff",
            "5",
        ]);
        let flags = db.ok(&["club", "flags"]);
        assert!(
            flags.contains("staff 5") && flags.contains("manual_amount"),
            "[{l}] {flags}"
        );
        let e = db.fails(&[
            "club",
            "credit",
            "09131112222",
            "90000",
            "--reason",
            "vip",
            "--staff",
            "5",
        ]);
        assert!(e.contains("again while flagged"), "[{l}] {e}");
        let id = flags
            .lines()
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap();
        db.ok(&[
            "club",
            "clear-flag",
            id,
            "--reason",
            "owner approved",
            "--staff",
            "1",
        ]);
        assert!(
            db.ok(&["club", "decisions"]).contains("owner approved"),
            "[{l}]"
        );

        let ledger = db.ok(&["club", "ledger", "09131112222"]);
        assert!(
            ledger.contains("broken cup") && ledger.contains("staff:4"),
            "[{l}] {ledger}"
        );
        let balance = db.ok(&["club", "balance", "۰۹۱۳ ۱۱۱ ۲۲۲۲"]);
        assert!(balance.contains("spendable: 140000"), "[{l}] {balance}");
        let e = db.fails(&["club", "balance", "09130000000"]);
        assert!(e.contains("not found"), "[{l}] {e}");

        db.ok(&["club", "birthday", "09131112222", "۰۹/۱۳"]);
        let e = db.fails(&["club", "birthday", "09131112222", "07-31"]);
        assert!(e.contains("Jalali month-day"), "[{l}] {e}");
        assert!(
            db.ok(&["club", "gifts"]).contains("gave 0"),
            "[{l}] gifts are off"
        );

        // Coupons for a phone list, and the report.
        let out = db.ok(&[
            "coupon",
            "create",
            "--name",
            "partners",
            "--value",
            "30000",
            "--phone",
            "09131112222",
            "--phone",
            "09131113333",
        ]);
        assert_eq!(out.lines().count(), 3, "[{l}] {out}");
        let e = db.fails(&["coupon", "create", "--name", "x", "--value", "5"]);
        assert!(e.contains("--count"), "[{l}] {e}");
        assert!(db.ok(&["coupon", "report"]).contains("partners"), "[{l}]");

        // Wallet and templates.
        let out = db.ok(&[
            "club",
            "wallet",
            "--price",
            "1200",
            "--top-up",
            "500000",
            "--reason",
            "receipt 42",
        ]);
        assert!(
            out.contains("balance: 500000") && out.contains("1200"),
            "[{l}] {out}"
        );
        let out = db.ok(&["club", "template", "credit_expiring"]);
        assert!(out.contains("منقضی"), "[{l}] Persian default: {out}");
        let e = db.fails(&["club", "template", "credit_earned", "--text", "{name}"]);
        assert!(e.contains("unknown placeholder"), "[{l}] {e}");
        db.cleanup();
    }
}
