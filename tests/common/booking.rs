//! Bookable branches set up through the CLI, for the booking tests.

use super::Db;

/// A branch with `tables` (name, largest party, the table it joins or ""), open
/// `hours`, booking from now on (no notice) for two weeks.
pub fn branch(db: &Db, name: &str, tables: &[(&str, &str, &str)], hours: &str) {
    db.ok(&["branch", "add", "--name", name]);
    for (table, max, joins) in tables {
        let mut args = vec![
            "table", "add", "--branch", name, "--name", table, "--max", max,
        ];
        if !joins.is_empty() {
            args.extend(["--joins", joins]);
        }
        db.ok(&args);
    }
    db.ok(&[
        "booking",
        "settings",
        "--branch",
        name,
        "--hours",
        hours,
        "--min-notice",
        "0",
        "--days-ahead",
        "14",
    ]);
}

/// Branch "Salon" with `staff` (one client at a time, working `hours`, which are also
/// the salon's), booking from now on for two weeks; services are added by the test.
pub fn salon(db: &Db, staff: &[&str], hours: &str) {
    db.ok(&["branch", "add", "--name", "Salon"]);
    for who in staff {
        db.ok(&[
            "table", "add", "--branch", "Salon", "--kind", "staff", "--name", who, "--max", "1",
            "--hours", hours,
        ]);
    }
    db.ok(&[
        "booking",
        "settings",
        "--branch",
        "Salon",
        "--hours",
        hours,
        "--min-notice",
        "0",
        "--days-ahead",
        "14",
    ]);
}

/// Branch "Small" (one table for two, open 18:00–20:00, 90-minute stays) with staff
/// holding it from 18:30 on `date` (YYYY-MM-DD): every start that evening is taken.
/// Returns the staff booking's id.
pub fn full_evening(db: &Db, date: &str) -> String {
    branch(db, "Small", &[("1", "2", "")], "18:00-20:00");
    let out = db.ok(&[
        "booking",
        "create",
        "--branch",
        "Small",
        "--phone",
        "09120000000",
        "--party",
        "2",
        "--date",
        date,
        "--time",
        "18:30",
    ]);
    out.split('#')
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_default()
        .to_string()
}

/// `20261206` → `2026-12-06`.
pub fn iso(day: &str) -> String {
    format!("{}-{}-{}", &day[..4], &day[4..6], &day[6..])
}
