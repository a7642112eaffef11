//! Reservations on SQLite and PostgreSQL: tables and settings, availability from the
//! database, the lifecycle, the CRM link, and no double booking — also under 20
//! concurrent bookings from separate connections.

use crm::branches::{self, Branch};
use crm::reservations::bookings::{self, BookingChange, NewBooking, Source};
use crm::reservations::resources::{self, Kind, NewResource};
use crm::reservations::settings::{self, SettingsChange};
use crm::reservations::{Status, availability::units};
use crm::sms::wallet;
use crm::store::Store;
use crm::tenants::Tenant;
use crm::testing::on_both;
use crm::{Error, clock::Zone, club, customers, phone::Phone, tenants};

/// Sunday 6 December 2026 (15 Azar 1405); the tests' "now" is the day before.
const DAY: i64 = 20261206;

fn local(hh: i64, mm: i64) -> i64 {
    Zone::named("Asia/Tehran")
        .unwrap()
        .start_of_day(DAY)
        .unwrap()
        + hh * 3600
        + mm * 60
}

fn now() -> i64 {
    local(0, 0) - 86_400
}

fn table(name: &str, min: i64, max: i64, joins: &[&str]) -> NewResource {
    NewResource {
        kind: Kind::Table,
        name: name.into(),
        min_party: min,
        max_party: max,
        zone: Some("terrace".into()),
        working_hours: None,
        joinable: joins.iter().map(|s| s.to_string()).collect(),
    }
}

fn booking(branch: &Branch, phone: &str, party: i64, start: i64) -> NewBooking {
    NewBooking {
        service_id: None,
        branch_id: branch.id,
        phone: phone.into(),
        name: Some("Sara".into()),
        party,
        starts_at: start,
        source: Source::Web,
        tables: Vec::new(),
        waitlist: false,
        note: None,
    }
}

/// A tenant with branch "Vali-Asr": opening 12:00–23:00, 15-minute starts, 90-minute
/// stays (60 for one or two), 15 minutes buffer; tables as given.
async fn setup(store: &Store, tables: &[NewResource]) -> (Tenant, Branch) {
    let t = tenants::ensure_default(store).await.unwrap();
    let b = branches::add(store, &t, "Vali-Asr").await.unwrap();
    settings::update(
        store,
        &t,
        &b,
        &SettingsChange {
            stay_by_party: Some("1-2=60".into()),
            opening_hours: Some("12:00-23:00".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for new in tables {
        resources::add(store, &t, &b, new).await.unwrap();
    }
    (t, b)
}

async fn times(store: &Store, t: &Tenant, b: &Branch, party: i64) -> Vec<i64> {
    bookings::availability(store, t, b.id, DAY, party, now())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.starts_at)
        .collect()
}

#[tokio::test]
async fn tables_settings_and_availability() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(
            s,
            &[
                table("1", 1, 4, &[]),
                table("2", 1, 4, &["1"]),
                table("3", 5, 8, &[]),
            ],
        )
        .await;
        let list = resources::list(s, &t, &b).await.unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[1].joinable, vec![list[0].id]);
        assert_eq!(list[0].joinable, vec![list[1].id]);
        assert_eq!(list[0].zone.as_deref(), Some("terrace"));
        let dup = resources::add(s, &t, &b, &table("1", 1, 2, &[])).await;
        assert!(matches!(dup, Err(Error::Conflict(_))), "{dup:?}");
        assert!(
            resources::add(s, &t, &b, &table("9", 4, 2, &[]))
                .await
                .is_err()
        );
        assert!(
            resources::add(s, &t, &b, &table("9", 1, 2, &["nope"]))
                .await
                .is_err()
        );

        let got = settings::get(s, &t, &b).await.unwrap();
        assert_eq!(got.stay_by_party, "1-2=60");
        assert_eq!(got.time_zone, "Asia/Tehran");
        assert!(
            settings::update(
                s,
                &t,
                &b,
                &SettingsChange {
                    slot_interval: Some(7),
                    ..Default::default()
                }
            )
            .await
            .is_err()
        );

        // Two people: 60-minute stays, first 12:00, last 22:00.
        let two = times(s, &t, &b, 2).await;
        assert_eq!(two.first(), Some(&local(12, 0)));
        assert_eq!(two.last(), Some(&local(22, 0)));
        // Twelve people: no table or combination is big enough.
        assert!(times(s, &t, &b, 12).await.is_empty());
        // Eight: tables 1+2 joined, or table 3.
        let offers = bookings::availability(s, &t, b.id, DAY, 8, now())
            .await
            .unwrap();
        assert_eq!(offers[0].tables, vec![list[2].id]);

        settings::set_closed(s, &t, &b, DAY, true).await.unwrap();
        assert!(times(s, &t, &b, 2).await.is_empty());
        settings::set_closed(s, &t, &b, DAY, false).await.unwrap();
        assert_eq!(times(s, &t, &b, 2).await.len(), two.len());
        db
    })
    .await;
}

#[tokio::test]
async fn lifecycle_and_the_customer_club() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s, &[table("1", 1, 4, &[])]).await;
        let made = bookings::create(s, &t, &booking(&b, "0912 111 2233", 2, local(19, 0)), now())
            .await
            .unwrap();
        assert_eq!(made.status, Status::Booked);
        assert_eq!(made.tables, vec!["1".to_string()]);
        assert_eq!(made.ends_at - made.starts_at, 3600);
        assert_eq!(made.time_zone, "Asia/Tehran");
        assert_eq!(made.token.len(), 32);
        // The phone is a customer and a club member from the reservation.
        let c = customers::by_phone(s, &t, "+989121112233").await.unwrap();
        assert_eq!(c.id, made.customer_id);
        assert_eq!(c.name.as_deref(), Some("Sara"));
        assert_eq!(c.visits, 0);
        let (source, _) = club::membership(s, &t, c.id).await.unwrap().unwrap();
        assert_eq!(source, "reservation");
        // The slot and its neighbours within stay + buffer are gone.
        let two = times(s, &t, &b, 2).await;
        assert!(!two.contains(&local(19, 0)));
        assert!(
            !two.contains(&local(18, 0)),
            "18:00 + 60 + 15 runs into 19:00"
        );
        assert!(two.contains(&local(17, 45)));
        assert!(two.contains(&local(20, 15)));
        assert!(!two.contains(&local(20, 0)), "the buffer holds until 20:15");

        for next in [Status::Confirmed, Status::Seated] {
            let b2 = bookings::set_status(s, &t, made.id, next, now())
                .await
                .unwrap();
            assert_eq!(b2.status, next);
        }
        let refused = bookings::set_status(s, &t, made.id, Status::Cancelled, now()).await;
        assert!(
            matches!(refused, Err(Error::Invalid(_))),
            "seated cannot be cancelled"
        );
        let done = bookings::set_status(s, &t, made.id, Status::Finished, now())
            .await
            .unwrap();
        assert_eq!(done.status, Status::Finished);
        assert!(
            times(s, &t, &b, 2).await.contains(&local(19, 0)),
            "finished frees the table"
        );

        let other = bookings::create(s, &t, &booking(&b, "09121112233", 2, local(13, 0)), now())
            .await
            .unwrap();
        bookings::set_status(s, &t, other.id, Status::NoShow, now())
            .await
            .unwrap();
        assert!(times(s, &t, &b, 2).await.contains(&local(13, 0)));

        // By token (the customer's link), and the day's list.
        let (tt, found) = bookings::by_token(s, &made.token).await.unwrap();
        assert_eq!((tt.id, found.id), (t.id, made.id));
        let day = bookings::list(s, &t, b.id, local(0, 0), local(24, 0))
            .await
            .unwrap();
        assert_eq!(
            day.iter().map(|b| b.id).collect::<Vec<_>>(),
            vec![other.id, made.id]
        );
        assert_eq!(day[1].tables, vec!["1".to_string()]);

        // The customer's bookings (newest first) and the day's report.
        let mine = bookings::for_customer(s, &t, c.id, 10).await.unwrap();
        assert_eq!(
            mine.iter().map(|b| b.id).collect::<Vec<_>>(),
            vec![made.id, other.id]
        );
        let report = bookings::report(s, &t, b.id, DAY, DAY).await.unwrap();
        assert_eq!(report.len(), 1);
        let d = &report[0];
        assert_eq!(
            (d.day, d.bookings, d.covers, d.finished, d.no_shows),
            (DAY, 2, 4, 1, 1)
        );
        assert_eq!(d.no_show_percent(), 50);
        db
    })
    .await;
}

#[tokio::test]
async fn rules_are_checked_for_the_public_page() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s, &[table("1", 1, 4, &[])]).await;
        for start in [
            local(11, 0),
            local(22, 30),
            local(19, 5),
            now() + 600,
            local(0, 0) + 40 * 86_400,
        ] {
            let r = bookings::create(s, &t, &booking(&b, "09121112233", 2, start), now()).await;
            assert!(matches!(r, Err(Error::Invalid(_))), "{start}: {r:?}");
        }
        assert!(
            bookings::create(s, &t, &booking(&b, "0912", 2, local(19, 0)), now())
                .await
                .is_err()
        );
        assert!(
            bookings::create(s, &t, &booking(&b, "09121112233", 0, local(19, 0)), now())
                .await
                .is_err()
        );
        // Staff may seat a walk-in outside the grid (and the rules).
        let mut walk_in = booking(&b, "09121112233", 2, local(11, 7));
        walk_in.source = Source::Staff;
        let made = bookings::create(s, &t, &walk_in, now()).await.unwrap();
        assert_eq!(
            made.starts_at,
            local(11, 5),
            "rounded down to the 5-minute unit"
        );
        db
    })
    .await;
}

#[tokio::test]
async fn no_double_booking_waitlist_and_moving() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s, &[table("1", 1, 4, &[])]).await;
        let first = bookings::create(s, &t, &booking(&b, "09121110001", 2, local(19, 0)), now())
            .await
            .unwrap();
        let second =
            bookings::create(s, &t, &booking(&b, "09121110002", 2, local(19, 30)), now()).await;
        assert!(matches!(second, Err(Error::Conflict(_))), "{second:?}");
        // Staff naming the table explicitly is refused by the database rows too.
        let mut forced = booking(&b, "09121110002", 2, local(19, 30));
        forced.source = Source::Staff;
        forced.tables = vec!["1".into()];
        assert!(matches!(
            bookings::create(s, &t, &forced, now()).await,
            Err(Error::Conflict(_))
        ));
        // The same guest cannot be in two places at once (another branch, free table).
        let b2 = branches::add(s, &t, "Tajrish").await.unwrap();
        resources::add(s, &t, &b2, &table("A", 1, 4, &[]))
            .await
            .unwrap();
        let twice =
            bookings::create(s, &t, &booking(&b2, "09121110001", 2, local(19, 30)), now()).await;
        assert!(
            matches!(twice, Err(Error::Conflict(ref m)) if m.contains("already")),
            "{twice:?}"
        );
        // Waitlist when full.
        let mut wait = booking(&b, "09121110002", 2, local(19, 30));
        wait.waitlist = true;
        let waiting = bookings::create(s, &t, &wait, now()).await.unwrap();
        assert_eq!(waiting.status, Status::Waitlisted);
        assert!(waiting.tables.is_empty());
        // Moving the waitlisted request to a full time fails and changes nothing…
        let r = bookings::modify(
            s,
            &t,
            waiting.id,
            &BookingChange::default(),
            Source::Web,
            now(),
        )
        .await;
        assert!(matches!(r, Err(Error::Conflict(_))));
        assert_eq!(
            bookings::get(s, &t, waiting.id).await.unwrap().status,
            Status::Waitlisted
        );
        // …the first booking moves to 21:00 (keeping its table while it moves)…
        let moved = bookings::modify(
            s,
            &t,
            first.id,
            &BookingChange {
                starts_at: Some(local(21, 0)),
                ..Default::default()
            },
            Source::Web,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(moved.starts_at, local(21, 0));
        assert_eq!(moved.status, Status::Booked);
        // …and now the waitlisted request gets 19:30.
        let promoted = bookings::modify(
            s,
            &t,
            waiting.id,
            &BookingChange::default(),
            Source::Web,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(promoted.status, Status::Booked);
        assert_eq!(promoted.tables, vec!["1".to_string()]);
        // Someone waits for 21:00; cancelling the 21:00 booking books them at once.
        let mut late = booking(&b, "09121110003", 2, local(21, 0));
        late.waitlist = true;
        let late = bookings::create(s, &t, &late, now()).await.unwrap();
        assert_eq!(late.status, Status::Waitlisted);
        bookings::set_status(s, &t, moved.id, Status::Cancelled, now())
            .await
            .unwrap();
        let late = bookings::get(s, &t, late.id).await.unwrap();
        assert_eq!(
            (late.status, late.tables.clone()),
            (Status::Booked, vec!["1".to_string()])
        );
        // Cancelling frees the slot rows.
        bookings::set_status(s, &t, promoted.id, Status::Cancelled, now())
            .await
            .unwrap();
        let rows: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM booking_slots WHERE booking_id = $1")
                .bind(promoted.id)
                .fetch_one(s.pool())
                .await
                .unwrap();
        assert_eq!(rows, 0);
        db
    })
    .await;
}

#[tokio::test]
async fn twenty_concurrent_bookings_for_one_table_exactly_one_wins() {
    on_both(|db| async move {
        let (t, b) = setup(&db.store, &[table("1", 1, 4, &[])]).await;
        let mut tasks = Vec::new();
        for i in 0..20 {
            // Each contender has its own connection pool: separate connections, as
            // separate web nodes would.
            let store = Store::connect(&db.config).await.unwrap();
            let mut new = booking(&b, &format!("0912200{i:04}"), 2, local(19, 0));
            if i % 2 == 1 {
                // Half name the table, as staff would: no availability check stands
                // between them and the insert, only the database.
                new.source = Source::Staff;
                new.tables = vec!["1".into()];
            }
            let t = t.clone();
            tasks.push(tokio::spawn(async move {
                let r = bookings::create(&store, &t, &new, now()).await;
                store.close().await;
                r
            }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(Error::Conflict(_)) => {}
                Err(e) => panic!("[{}] unexpected error: {e}", db.label()),
            }
        }
        assert_eq!(won, 1, "[{}] exactly one booking wins", db.label());
        let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE status = 'booked'")
            .fetch_one(db.store.pool())
            .await
            .unwrap();
        assert_eq!(live, 1);
        let slots: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM booking_slots")
            .fetch_one(db.store.pool())
            .await
            .unwrap();
        assert_eq!(slots, units(local(19, 0), local(20, 15)).count() as i64);
        // Every contender still became a customer.
        assert_eq!(customers::count(&db.store, &t).await.unwrap(), 20);
        let p = Phone::parse("09122000007").unwrap();
        assert!(customers::by_phone(&db.store, &t, p.e164()).await.is_ok());
        db
    })
    .await;
}

/// The outbox texts of `purpose`, oldest first.
async fn texts(s: &Store, t: &Tenant, purpose: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = crm::sms::outbox(s, t, None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.purpose == purpose)
        .map(|m| (m.phone, m.body))
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn booking_sms_follow_the_tenants_texts_and_schedule() {
    use crm::reservations::messages::{self, MessageChange, MessageKind};
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s, &[table("1", 1, 4, &[]), table("2", 1, 4, &[])]).await;
        let url = Some("https://book.example");
        let due = |at: i64| messages::queue_due(s, at, url);
        let yesterday = |hh: i64| local(hh, 0) - 86_400;
        // Eight texts go out below, each paid from the SMS wallet.
        wallet::set_price(s, &t, 1_000).await.unwrap();
        wallet::top_up(s, &t, 8_000, "receipt 7", crm::ledger::Actor::System)
            .await
            .unwrap();
        let balance = || async { wallet::wallet(s, &t).await.unwrap().balance };
        let b1 = bookings::create(s, &t, &booking(&b, "09121110001", 2, local(19, 0)), now())
            .await
            .unwrap();
        let mut second = booking(&b, "09121110002", 4, local(21, 0));
        second.name = Some("Reza".into());
        let b2 = bookings::create(s, &t, &second, now()).await.unwrap();

        // The tenant edits the default reminder (two hours → 30 minutes, own text) and
        // adds a day-before reminder.
        let defaults = messages::list(s, &t).await.unwrap();
        assert_eq!(defaults.len(), 4);
        let reminder = defaults
            .iter()
            .find(|m| m.kind == MessageKind::Reminder)
            .unwrap();
        assert_eq!(reminder.offset_minutes, 120);
        let change = MessageChange {
            offset_minutes: Some(30),
            template: Some("See you at {time}, {name}!".into()),
            active: None,
        };
        messages::update(s, &t, reminder.id, &change).await.unwrap();
        let bad = MessageChange {
            template: Some("{when}".into()),
            ..Default::default()
        };
        assert!(messages::update(s, &t, reminder.id, &bad).await.is_err());
        messages::add(
            s,
            &t,
            MessageKind::Reminder,
            1440,
            "Tomorrow {time} at {branch}",
            now(),
        )
        .await
        .unwrap();

        // Confirmations at once, each only once.
        assert_eq!(due(now()).await.unwrap(), 2);
        assert_eq!(due(now() + 60).await.unwrap(), 0);
        assert_eq!(balance().await, 6_000);
        let confirmations = texts(s, &t, "booking_confirmation").await;
        assert_eq!(confirmations[0].0, "+989121110001");
        let c = &confirmations[0].1;
        assert!(
            c.contains("Vali-Asr") && c.contains("۱۹:۰۰") && c.contains("۱۵ آذر ۱۴۰۵"),
            "{c}"
        );
        assert!(
            c.contains(&format!("https://book.example/book/manage/{}", b1.token)),
            "{c}"
        );

        // The day-before reminders, each at its time.
        assert_eq!(due(yesterday(19) - 60).await.unwrap(), 0);
        assert_eq!(due(yesterday(19)).await.unwrap(), 1);
        assert_eq!(due(yesterday(21)).await.unwrap(), 1);
        assert_eq!(
            texts(s, &t, "booking_reminder").await[0].1,
            "Tomorrow ۱۹:۰۰ at Vali-Asr"
        );
        // The edited reminder: 30 minutes before, the new text, not two hours before.
        assert_eq!(due(local(17, 0)).await.unwrap(), 0);
        assert_eq!(due(local(18, 29)).await.unwrap(), 0);
        assert_eq!(balance().await, 4_000, "nothing paid at the old offset");
        assert_eq!(due(local(18, 30)).await.unwrap(), 1);
        assert_eq!(balance().await, 3_000);
        assert_eq!(
            texts(s, &t, "booking_reminder").await[2].1,
            "See you at ۱۹:۰۰, Sara!"
        );

        // b1 comes and leaves at 20:00: thanked an hour later.
        bookings::set_status(s, &t, b1.id, Status::Seated, local(19, 0))
            .await
            .unwrap();
        bookings::set_status(s, &t, b1.id, Status::Finished, local(20, 0))
            .await
            .unwrap();
        assert_eq!(
            due(local(20, 30)).await.unwrap(),
            1,
            "b2's 30-minute reminder only"
        );
        assert_eq!(
            texts(s, &t, "booking_reminder").await[3].1,
            "See you at ۲۱:۰۰, Reza!"
        );
        assert_eq!(due(local(21, 0)).await.unwrap(), 1);
        assert_eq!(
            texts(s, &t, "booking_thank_you").await[0].0,
            "+989121110001"
        );

        // b2 never came: the no-show follow-up is off until the tenant turns it on.
        bookings::set_status(s, &t, b2.id, Status::NoShow, local(21, 30))
            .await
            .unwrap();
        assert_eq!(due(local(23, 0)).await.unwrap(), 0);
        let no_show = defaults
            .iter()
            .find(|m| m.kind == MessageKind::NoShow)
            .unwrap();
        let on = MessageChange {
            active: Some(true),
            ..Default::default()
        };
        messages::update(s, &t, no_show.id, &on).await.unwrap();
        assert_eq!(due(local(23, 0)).await.unwrap(), 1);
        assert!(
            texts(s, &t, "booking_no_show").await[0]
                .1
                .starts_with("Reza عزیز")
        );
        // A day later nothing stale goes out.
        assert_eq!(due(local(23, 0) + 2 * 86_400).await.unwrap(), 0);
        // Each text was debited once, under its own purpose.
        assert_eq!(balance().await, 0);
        let mut debited: Vec<String> = wallet::wallet_entries(s, &t, Some("debit"), 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.reason)
            .collect();
        let mut sent: Vec<String> = crm::sms::outbox(s, &t, None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.purpose)
            .collect();
        debited.sort();
        sent.sort();
        assert_eq!(debited, sent);
        assert_eq!(debited.len(), 8);
        db
    })
    .await;
}

#[tokio::test]
async fn guests_confirm_and_cancel_by_texting_back() {
    use crm::club::inbound::{self, InboundSms, Outcome};
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s, &[table("1", 1, 4, &[]), table("2", 1, 4, &[])]).await;
        let early = bookings::create(s, &t, &booking(&b, "09121110001", 2, local(19, 0)), now())
            .await
            .unwrap();
        let late = bookings::create(s, &t, &booking(&b, "09121110001", 2, local(21, 0)), now())
            .await
            .unwrap();
        let text = |id: &str, body: &str| InboundSms {
            provider: "console".into(),
            message_id: id.into(),
            from: "0912 111 0001".into(),
            line: None,
            body: body.into(),
        };
        let tr = &t;
        let status = |id: i64| async move { bookings::get(s, tr, id).await.unwrap().status };

        // "confirm" means the soonest upcoming booking; the reply says so.
        let got = inbound::handle(s, &text("m1", "تایید"), now())
            .await
            .unwrap();
        assert_eq!(got, Outcome::Booking);
        assert_eq!(status(early.id).await, Status::Confirmed);
        assert_eq!(status(late.id).await, Status::Booked);
        let replies = texts(s, &t, "booking_reply").await;
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].0, "+989121110001");
        assert!(replies[0].1.contains("تأیید شد"), "{}", replies[0].1);
        assert!(replies[0].1.contains("Vali-Asr") && replies[0].1.contains("۱۹:۰۰"));

        // A provider retrying its callback changes nothing more.
        let again = inbound::handle(s, &text("m1", "تایید"), now())
            .await
            .unwrap();
        assert_eq!(again, Outcome::Duplicate);

        // "cancel" also takes the soonest one; then the next; then there is none.
        let got = inbound::handle(s, &text("m2", "انصراف"), now())
            .await
            .unwrap();
        assert_eq!(got, Outcome::Booking);
        assert_eq!(status(early.id).await, Status::Cancelled);
        assert_eq!(status(late.id).await, Status::Booked);
        inbound::handle(s, &text("m3", "cancel"), now())
            .await
            .unwrap();
        assert_eq!(status(late.id).await, Status::Cancelled);
        let got = inbound::handle(s, &text("m4", "تایید"), now())
            .await
            .unwrap();
        assert_eq!(got, Outcome::NoBooking);
        assert_eq!(texts(s, &t, "booking_reply").await.len(), 3);
        assert!(texts(s, &t, "booking_reply").await[2].1.contains("لغو شد"));

        // Past bookings are not touched by a late reply.
        let past = bookings::create(s, &t, &booking(&b, "09121110002", 2, local(13, 0)), now())
            .await
            .unwrap();
        let from_two = InboundSms {
            from: "09121110002".into(),
            ..text("m5", "cancel")
        };
        let got = inbound::handle(s, &from_two, local(14, 0)).await.unwrap();
        assert_eq!(got, Outcome::NoBooking);
        assert_eq!(status(past.id).await, Status::Booked);
        db
    })
    .await;
}

#[tokio::test]
async fn an_empty_wallet_stops_booking_texts_but_not_login_codes() {
    use crm::club::inbound::{self, InboundSms, Outcome};
    use crm::reservations::messages;
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = setup(s, &[table("1", 1, 4, &[]), table("2", 1, 4, &[])]).await;
        // Enough for one text only.
        wallet::set_price(s, &t, 1_000).await.unwrap();
        wallet::top_up(s, &t, 1_000, "receipt 8", crm::ledger::Actor::System)
            .await
            .unwrap();
        bookings::create(s, &t, &booking(&b, "09121110001", 2, local(19, 0)), now())
            .await
            .unwrap();
        let late = bookings::create(s, &t, &booking(&b, "09121110002", 2, local(21, 0)), now())
            .await
            .unwrap();
        assert_eq!(messages::queue_due(s, now(), None).await.unwrap(), 1);
        assert_eq!(texts(s, &t, "booking_confirmation").await.len(), 1);
        assert_eq!(wallet::wallet(s, &t).await.unwrap().balance, 0);
        let unpaid = wallet::unpaid_since(s, &t, 0).await.unwrap();
        assert_eq!(unpaid, vec![("booking_confirmation".to_string(), 1)]);

        // A reply still confirms the booking; only the answering text is skipped.
        let reply = InboundSms {
            provider: "console".into(),
            message_id: "w1".into(),
            from: "09121110002".into(),
            line: None,
            body: "confirm".into(),
        };
        assert_eq!(
            inbound::handle(s, &reply, now()).await.unwrap(),
            Outcome::Booking
        );
        assert_eq!(
            bookings::get(s, &t, late.id).await.unwrap().status,
            Status::Confirmed
        );
        assert!(texts(s, &t, "booking_reply").await.is_empty());

        // Login codes are never charged and never blocked.
        let phone = Phone::parse("09121110003").unwrap();
        crm::sms::send_otp(s, &t, &phone, "12345").await.unwrap();
        assert_eq!(crm::sms::outbox(s, &t, None, 100).await.unwrap().len(), 2);
        assert_eq!(wallet::wallet(s, &t).await.unwrap().balance, 0);

        // A later top-up does not resend the skipped confirmation.
        wallet::top_up(s, &t, 5_000, "receipt 9", crm::ledger::Actor::System)
            .await
            .unwrap();
        assert_eq!(messages::queue_due(s, now() + 60, None).await.unwrap(), 0);
        let unpaid = wallet::unpaid_since(s, &t, 0).await.unwrap();
        assert_eq!(unpaid.iter().map(|(_, n)| n).sum::<i64>(), 2);
        db
    })
    .await;
}
