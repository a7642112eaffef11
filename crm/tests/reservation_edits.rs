//! Editing a branch's resources (party range, zone, joins, working hours, days off),
//! deposits per time slot and party size, tables opened by the POS held against new
//! bookings, and changing a booking's party size or stay — on SQLite and PostgreSQL.

use crm::audit::{self, Actor};
use crm::branches::{self, Branch};
use crm::reservations::bookings::{self, BookingChange, NewBooking, Source};
use crm::reservations::deposits::{self, Mode, NewSlotRule, State};
use crm::reservations::resources::{self, Kind, NewResource};
use crm::reservations::settings::{self, SettingsChange};
use crm::reservations::tables::{self, TableState};
use crm::reservations::{Booking, Status};
use crm::store::Store;
use crm::tenants::{self, Tenant};
use crm::testing::on_both;
use crm::{Error, clock::Zone};

/// Thursday 10 December 2026 (Tehran).
const DAY: i64 = 20261210;

fn local(hh: i64, mm: i64) -> i64 {
    Zone::named("Asia/Tehran")
        .unwrap()
        .start_of_day(DAY)
        .unwrap()
        + hh * 3600
        + mm * 60
}

fn day_before() -> i64 {
    local(0, 0) - 86_400
}

fn table(name: &str, max: i64, joins: &[&str]) -> NewResource {
    NewResource {
        kind: Kind::Table,
        name: name.into(),
        min_party: 1,
        max_party: max,
        zone: None,
        working_hours: None,
        joinable: joins.iter().map(|j| j.to_string()).collect(),
    }
}

async fn setup(store: &Store) -> (Tenant, Branch) {
    let t = tenants::ensure_default(store).await.unwrap();
    let b = branches::add(store, &t, "Center").await.unwrap();
    settings::update(
        store,
        &t,
        &b,
        &SettingsChange {
            time_zone: Some("Asia/Tehran".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (t, b)
}

fn new_booking(b: &Branch, phone: &str, party: i64, starts_at: i64, tables: &[&str]) -> NewBooking {
    NewBooking {
        service_id: None,
        branch_id: b.id,
        phone: phone.into(),
        name: Some("Sara".into()),
        party,
        starts_at,
        source: Source::Staff,
        tables: tables.iter().map(|t| t.to_string()).collect(),
        waitlist: false,
        note: None,
    }
}

async fn book(s: &Store, t: &Tenant, b: &Branch, phone: &str, party: i64, at: i64) -> Booking {
    bookings::create(s, t, &new_booking(b, phone, party, at, &[]), day_before())
        .await
        .unwrap()
}

async fn id_of(s: &Store, t: &Tenant, b: &Branch, name: &str) -> i64 {
    resources::list(s, t, b)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap()
        .id
}

#[tokio::test]
async fn editing_a_table_applies_at_once_and_never_breaks_a_booking() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s).await;
        resources::add(s, &t, &b, &table("1", 4, &[]))
            .await
            .unwrap();
        resources::add(s, &t, &b, &table("2", 4, &[]))
            .await
            .unwrap();
        let t1 = id_of(s, &t, &b, "1").await;
        let free_for = |party: i64| {
            let (t, b) = (t.clone(), b.clone());
            async move {
                bookings::availability(s, &t, b.id, DAY, party, day_before())
                    .await
                    .unwrap()
            }
        };
        assert!(free_for(8).await.is_empty());
        // Table 1 seats 6 and joins 2: eight people now fit (6 + 4 joined).
        let mut edit = table("1", 6, &["2"]);
        edit.zone = Some("terrace".into());
        let edited = resources::update(s, &t, &b, Actor::CLI, t1, &edit, day_before())
            .await
            .unwrap();
        assert_eq!(
            (edited.max_party, edited.zone.as_deref()),
            (6, Some("terrace"))
        );
        let t2 = id_of(s, &t, &b, "2").await;
        assert_eq!(edited.joinable, vec![t2]);
        assert!(free_for(6).await.iter().all(|o| o.tables == vec![t1]));
        assert_eq!(free_for(8).await.first().unwrap().tables, vec![t1, t2]);
        let entry = &audit::list(s, &t, None, 1).await.unwrap()[0];
        assert_eq!(
            (entry.action.as_str(), entry.entity_id),
            ("table.update", Some(t1))
        );

        // Five people booked on table 1 at 19:00: it cannot shrink below five...
        let five = book(s, &t, &b, "09120000001", 5, local(19, 0)).await;
        assert_eq!(five.tables, vec!["1".to_string()]);
        let shrink = resources::update(
            s,
            &t,
            &b,
            Actor::CLI,
            t1,
            &table("1", 4, &["2"]),
            day_before(),
        )
        .await;
        match shrink {
            Err(Error::Conflict(m)) => assert!(m.contains(&format!("booking #{}", five.id)), "{m}"),
            other => panic!("{other:?}"),
        }
        let blocked =
            resources::breaking_booking(s, &t, &b, t1, &table("1", 4, &["2"]), day_before())
                .await
                .unwrap()
                .unwrap();
        assert_eq!((blocked.booking_id, blocked.party), (five.id, 5));
        // ...and nothing changed.
        assert_eq!(id_of(s, &t, &b, "1").await, t1);
        let r = resources::list(s, &t, &b).await.unwrap();
        assert_eq!(r[0].max_party, 6);
        // An eight on the joined tables keeps the join.
        let eight = book(s, &t, &b, "09120000002", 8, local(13, 0)).await;
        assert_eq!(eight.tables.len(), 2);
        let unjoin =
            resources::update(s, &t, &b, Actor::CLI, t1, &table("1", 6, &[]), day_before()).await;
        assert!(
            matches!(unjoin, Err(Error::Conflict(ref m)) if m.contains(&format!("#{}", eight.id))),
            "{unjoin:?}"
        );
        // Once over, bookings no longer hold an edit back; a clear message for bad input.
        assert!(
            resources::update(s, &t, &b, Actor::CLI, t1, &table("1", 4, &[]), local(23, 0))
                .await
                .is_ok()
        );
        let bad =
            resources::update(s, &t, &b, Actor::CLI, t1, &table("1", 0, &[]), day_before()).await;
        assert!(
            matches!(bad, Err(Error::Invalid(ref m)) if m.contains("party range")),
            "{bad:?}"
        );
        let taken =
            resources::update(s, &t, &b, Actor::CLI, t1, &table("2", 4, &[]), day_before()).await;
        assert!(matches!(taken, Err(Error::Conflict(_))), "{taken:?}");
        db
    })
    .await;
}

#[tokio::test]
async fn staff_hours_and_days_off_are_edited_and_used() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s).await;
        let mut reza = table("Reza", 1, &[]);
        reza.kind = Kind::Staff;
        reza.working_hours = Some("12:00-16:00".into());
        let made = resources::add(s, &t, &b, &reza).await.unwrap();
        let starts = |day: i64| {
            let (t, b) = (t.clone(), b.clone());
            async move {
                bookings::availability(s, &t, b.id, day, 1, day_before())
                    .await
                    .unwrap()
                    .iter()
                    .map(|o| Zone::named("Asia/Tehran").unwrap().hh_mm(o.starts_at))
                    .collect::<Vec<_>>()
            }
        };
        assert!(starts(DAY).await.contains(&"13:00".to_string()));
        // Working hours with a lunch break.
        reza.working_hours = Some("12:00-13:00; 14:00-20:00".into());
        resources::update(s, &t, &b, Actor::CLI, made.id, &reza, day_before())
            .await
            .unwrap();
        let now = starts(DAY).await;
        assert!(!now.contains(&"13:00".to_string()) && now.contains(&"18:00".to_string()));
        reza.working_hours = Some("sat-wed 25:00-26:00".into());
        let bad = resources::update(s, &t, &b, Actor::CLI, made.id, &reza, day_before()).await;
        assert!(matches!(bad, Err(Error::Invalid(ref m)) if m.contains("working hours")), "{bad:?}");

        // A day off: nothing offered that day; refused while a booking holds it.
        let next = crm::clock::add_days(DAY, 1).unwrap();
        resources::set_closed(s, &t, &b, Actor::CLI, made.id, DAY, true, day_before())
            .await
            .unwrap();
        assert!(starts(DAY).await.is_empty());
        assert!(!starts(next).await.is_empty());
        resources::set_closed(s, &t, &b, Actor::CLI, made.id, DAY, false, day_before())
            .await
            .unwrap();
        let booked = book(s, &t, &b, "09120000003", 1, local(18, 0)).await;
        let refused =
            resources::set_closed(s, &t, &b, Actor::CLI, made.id, DAY, true, day_before()).await;
        assert!(matches!(refused, Err(Error::Conflict(ref m)) if m.contains(&format!("#{}", booked.id))), "{refused:?}");
        // Hours that would leave the booking outside are refused too.
        reza.working_hours = Some("12:00-13:00".into());
        let outside = resources::update(s, &t, &b, Actor::CLI, made.id, &reza, day_before()).await;
        assert!(matches!(outside, Err(Error::Conflict(_))), "{outside:?}");
        db
    })
    .await;
}

#[tokio::test]
async fn a_booking_picks_up_the_slot_deposit_rule() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s).await;
        for n in ["1", "2", "3"] {
            resources::add(s, &t, &b, &table(n, 8, &[])).await.unwrap();
        }
        settings::update(
            s,
            &t,
            &b,
            &SettingsChange {
                deposit_mode: Some("fixed".into()),
                deposit_amount: Some(100_000),
                deposit_from_party: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let rule = deposits::add_slot_rule(
            s,
            &t,
            &b,
            Actor::CLI,
            &NewSlotRule {
                hours: "thu-fri 19:00-23:00".into(),
                min_party: 6,
                max_party: None,
                mode: Mode::PerGuest,
                amount: 50_000,
            },
            day_before(),
        )
        .await
        .unwrap();
        assert_eq!(
            deposits::slot_rules(s, &t, &b).await.unwrap(),
            vec![rule.clone()]
        );
        // Thursday 19:30, six: the slot rule; the quote the page shows says the same.
        let quote = bookings::deposit_quote(s, &t, b.id, local(19, 30), 6)
            .await
            .unwrap();
        assert_eq!(quote.0, 300_000);
        let evening = book(s, &t, &b, "09120000004", 6, local(19, 30)).await;
        assert_eq!(
            (evening.deposit_amount, evening.deposit_state),
            (300_000, State::Due)
        );
        // Lunch, six: the branch's rule.
        let lunch = book(s, &t, &b, "09120000005", 6, local(13, 0)).await;
        assert_eq!(lunch.deposit_amount, 100_000);
        // Moving the lunch into the evening picks the slot rule up (still unpaid).
        let moved = bookings::modify(
            s,
            &t,
            lunch.id,
            &BookingChange {
                starts_at: Some(local(20, 0)),
                ..Default::default()
            },
            Source::Staff,
            day_before(),
        )
        .await
        .unwrap();
        assert_eq!(moved.deposit_amount, 300_000);
        assert!(
            deposits::add_slot_rule(
                s,
                &t,
                &b,
                Actor::CLI,
                &NewSlotRule {
                    hours: "thu 26:00-27:00".into(),
                    min_party: 1,
                    max_party: None,
                    mode: Mode::Fixed,
                    amount: 1,
                },
                day_before(),
            )
            .await
            .is_err()
        );
        deposits::remove_slot_rule(s, &t, &b, Actor::CLI, rule.id)
            .await
            .unwrap();
        let later = book(s, &t, &b, "09120000006", 6, local(21, 0)).await;
        assert_eq!(later.deposit_amount, 100_000);
        db
    })
    .await;
}

#[tokio::test]
async fn a_table_opened_by_the_pos_is_held_until_closed() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s).await;
        resources::add(s, &t, &b, &table("1", 4, &[])).await.unwrap();
        let t1 = id_of(s, &t, &b, "1").await;
        let now = local(18, 0);
        tables::open(s, &t, b.id, t1, now).await.unwrap();
        // Nothing offered on the only table from now until its stay + buffer is over.
        let offers = bookings::availability(s, &t, b.id, DAY, 2, now - 3 * 3600).await.unwrap();
        assert!(offers.iter().all(|o| o.starts_at >= now + 105 * 60 || o.starts_at + 105 * 60 <= now), "{offers:?}");
        // A staff booking for now, on that table, is refused at save time.
        let walk_up = bookings::create(s, &t, &new_booking(&b, "09120000007", 2, now, &["1"]), now).await;
        assert!(matches!(walk_up, Err(Error::Conflict(_))), "{walk_up:?}");
        let any = bookings::create(s, &t, &new_booking(&b, "09120000007", 2, now + 3600, &[]), now).await;
        assert!(matches!(any, Err(Error::Conflict(_))), "{any:?}");
        // Still open near the end of its hold: the worker extends it a full stay.
        assert_eq!(tables::extend_walk_ins(s, now, 15 * 60).await.unwrap(), 0);
        let later = now + 95 * 60;
        assert_eq!(tables::extend_walk_ins(s, later, 15 * 60).await.unwrap(), 1);
        let held_until: i64 = sqlx::query_scalar("SELECT held_until FROM walk_ins")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(held_until, later + 105 * 60);
        let late = bookings::create(s, &t, &new_booking(&b, "09120000007", 2, later + 3600, &["1"]), later).await;
        assert!(matches!(late, Err(Error::Conflict(_))), "{late:?}");
        // Closed: free again (once cleaned, for the board; for bookings at once).
        let closed = tables::close(s, &t, b.id, t1, now + 1800).await.unwrap();
        assert_eq!(closed.state, TableState::NeedsCleaning);
        let after = bookings::create(s, &t, &new_booking(&b, "09120000007", 2, now + 3600, &["1"]), now + 1800)
            .await
            .unwrap();
        assert_eq!(after.tables, vec!["1".to_string()]);
        // Opening a table with a seated booking holds nothing more; opened before a
        // later booking, the walk-in holds up to that booking's start.
        tables::mark_free(s, &t, b.id, t1, now + 1900).await.unwrap();
        tables::open(s, &t, b.id, t1, now + 1900).await.unwrap();
        let (slots, until): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), MAX(w.held_until) FROM booking_slots s JOIN walk_ins w ON w.id = s.walk_in_id",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(until, now + 3600);
        assert_eq!(slots, (3600 - 1900) / 300 + 1);
        tables::close(s, &t, b.id, t1, now + 2000).await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM booking_slots WHERE walk_in_id IS NOT NULL")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(left, 0);
        db
    })
    .await;
}

#[tokio::test]
async fn a_pos_open_racing_a_booking_for_the_table_leaves_one_holder() {
    on_both(|db| async move {
        let (t, b) = setup(&db.store).await;
        resources::add(&db.store, &t, &b, &table("1", 4, &[])).await.unwrap();
        let t1 = id_of(&db.store, &t, &b, "1").await;
        for round in 0..6i64 {
            let now = local(12, 0) + round * 2 * 3600;
            let pos = {
                let store = Store::connect(&db.config).await.unwrap();
                let t = t.clone();
                let branch = b.id;
                tokio::spawn(async move {
                    let r = tables::open(&store, &t, branch, t1, now).await.map(|_| ());
                    store.close().await;
                    r
                })
            };
            let guest = {
                let store = Store::connect(&db.config).await.unwrap();
                let (t, nb) = (t.clone(), new_booking(&b, &format!("0912000010{round}"), 2, now, &["1"]));
                tokio::spawn(async move {
                    let r = bookings::create(&store, &t, &nb, now).await;
                    store.close().await;
                    r
                })
            };
            pos.await.unwrap().unwrap();
            let booking = guest.await.unwrap();
            let unit = now / 300;
            let (by_booking, by_walk_in): (Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT booking_id, walk_in_id FROM booking_slots WHERE resource_id = $1 AND slot = $2",
            )
            .bind(t1)
            .bind(unit)
            .fetch_one(db.store.pool())
            .await
            .unwrap();
            match booking {
                Ok(made) => assert_eq!((by_booking, by_walk_in.is_none()), (Some(made.id), true)),
                Err(Error::Conflict(_)) => assert!(by_booking.is_none() && by_walk_in.is_some()),
                Err(e) => panic!("round {round}: {e:?}"),
            }
            // Close (and clean) for the next round; a booking that won is finished.
            if let Ok(made) = booking_ok(&db.store, &t, t1, unit).await {
                bookings::set_status(&db.store, &t, made, Status::Seated, now).await.unwrap();
            }
            tables::close(&db.store, &t, b.id, t1, now + 60).await.unwrap();
            tables::mark_free(&db.store, &t, b.id, t1, now + 60).await.unwrap();
        }
        db
    })
    .await;
}

/// The booking holding `unit` of the table, if a booking (not a walk-in) holds it.
async fn booking_ok(s: &Store, _t: &Tenant, table: i64, unit: i64) -> Result<i64, ()> {
    let id: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT booking_id FROM booking_slots WHERE resource_id = $1 AND slot = $2",
    )
    .bind(table)
    .bind(unit)
    .fetch_optional(s.pool())
    .await
    .unwrap();
    id.flatten().ok_or(())
}

#[tokio::test]
async fn party_size_and_stay_change_through_the_same_save() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s).await;
        resources::add(s, &t, &b, &table("1", 4, &[]))
            .await
            .unwrap();
        resources::add(s, &t, &b, &table("2", 6, &[]))
            .await
            .unwrap();
        let first = book(s, &t, &b, "09120000008", 2, local(19, 0)).await;
        assert_eq!(first.tables, vec!["1".to_string()]);
        let change = |party: Option<i64>, stay: Option<i64>| BookingChange {
            party,
            stay_minutes: stay,
            tables: Some(Vec::new()),
            ..Default::default()
        };
        // Six: table 2 takes them.
        let six = bookings::modify(
            s,
            &t,
            first.id,
            &change(Some(6), None),
            Source::Staff,
            day_before(),
        )
        .await
        .unwrap();
        assert_eq!((six.party, six.tables.clone()), (6, vec!["2".to_string()]));
        // Nine: no table fits; the booking stays as it was.
        let nine = bookings::modify(
            s,
            &t,
            first.id,
            &change(Some(9), None),
            Source::Staff,
            day_before(),
        )
        .await;
        assert!(
            matches!(nine, Err(Error::Conflict(ref m)) if m.contains("no table")),
            "{nine:?}"
        );
        assert_eq!(bookings::get(s, &t, first.id).await.unwrap().party, 6);
        // Three hours instead of the branch's 90 minutes.
        let long = bookings::modify(
            s,
            &t,
            first.id,
            &change(None, Some(180)),
            Source::Staff,
            day_before(),
        )
        .await
        .unwrap();
        assert_eq!(long.ends_at - long.starts_at, 180 * 60);
        // A second party of six at 21:00 finds table 2 held by the long stay.
        let other = bookings::create(
            s,
            &t,
            &new_booking(&b, "09120000009", 6, local(21, 0), &[]),
            day_before(),
        )
        .await;
        assert!(matches!(other, Err(Error::Conflict(_))), "{other:?}");
        assert!(
            bookings::modify(
                s,
                &t,
                first.id,
                &change(None, Some(7)),
                Source::Staff,
                day_before()
            )
            .await
            .is_err()
        );
        db
    })
    .await;
}

#[tokio::test]
async fn an_edit_racing_a_booking_never_leaves_a_broken_booking() {
    on_both(|db| async move {
        let (t, b) = setup(&db.store).await;
        resources::add(&db.store, &t, &b, &table("1", 4, &[]))
            .await
            .unwrap();
        let t1 = id_of(&db.store, &t, &b, "1").await;
        for round in 0..6i64 {
            let at = local(12, 0) + round * 2 * 3600;
            let edit = {
                let store = Store::connect(&db.config).await.unwrap();
                let (t, b) = (t.clone(), b.clone());
                tokio::spawn(async move {
                    let r = resources::update(
                        &store,
                        &t,
                        &b,
                        Actor::CLI,
                        t1,
                        &table("1", 2, &[]),
                        day_before(),
                    )
                    .await;
                    store.close().await;
                    r.map(|_| ())
                })
            };
            let guest = {
                let store = Store::connect(&db.config).await.unwrap();
                let (t, nb) = (
                    t.clone(),
                    new_booking(&b, &format!("0912000020{round}"), 4, at, &[]),
                );
                tokio::spawn(async move {
                    let r = bookings::create(&store, &t, &nb, day_before()).await;
                    store.close().await;
                    r
                })
            };
            let edited = edit.await.unwrap();
            let booked = guest.await.unwrap();
            assert!(
                !(edited.is_ok() && booked.is_ok()),
                "round {round}: both the shrink and a booking for four went through"
            );
            assert!(
                edited.is_ok() || booked.is_ok(),
                "round {round}: {edited:?} {booked:?}"
            );
            // Back to four seats, the booking (if any) cancelled.
            if let Ok(made) = booked {
                bookings::set_status(&db.store, &t, made.id, Status::Cancelled, day_before())
                    .await
                    .unwrap();
            }
            resources::update(
                &db.store,
                &t,
                &b,
                Actor::CLI,
                t1,
                &table("1", 4, &[]),
                day_before(),
            )
            .await
            .unwrap();
        }
        db
    })
    .await;
}

#[tokio::test]
async fn bookings_outside_changed_opening_hours_are_named() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s).await;
        resources::add(s, &t, &b, &table("1", 4, &[]))
            .await
            .unwrap();
        let late = book(s, &t, &b, "09120000001", 2, local(20, 0)).await;
        let early = book(s, &t, &b, "09120000002", 2, local(13, 0)).await;
        assert!(
            bookings::outside_rules(s, &t, &b, day_before())
                .await
                .unwrap()
                .is_empty()
        );
        // Closing at 18:00 leaves the 20:00 booking outside; it stays booked.
        settings::update(
            s,
            &t,
            &b,
            &SettingsChange {
                opening_hours: Some("12:00-18:00".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let outside = bookings::outside_rules(s, &t, &b, day_before())
            .await
            .unwrap();
        assert_eq!(
            outside.iter().map(|o| o.id).collect::<Vec<_>>(),
            vec![late.id]
        );
        assert_eq!(
            bookings::get(s, &t, late.id).await.unwrap().status,
            Status::Booked
        );
        // A closed day takes the early one too; past bookings are not counted.
        settings::set_closed(s, &t, &b, DAY, true).await.unwrap();
        let outside = bookings::outside_rules(s, &t, &b, day_before())
            .await
            .unwrap();
        assert_eq!(outside.len(), 2);
        assert!(outside.iter().any(|o| o.id == early.id));
        assert!(
            bookings::outside_rules(s, &t, &b, local(23, 0))
                .await
                .unwrap()
                .is_empty()
        );
        db
    })
    .await;
}
