//! Deposits and the live table board on SQLite and PostgreSQL: a branch's deposit rule,
//! its deduction from the POS invoice exactly once (retries, second invoices, concurrent
//! invoices, a cancelled invoice giving it back), refunds by the cancellation rule, and
//! the board following bookings, the POS and the host.

use crm::branches::{self, Branch};
use crm::idempotency::IdempotentRequest;
use crm::invoices::{self, NewInvoice};
use crm::pos_keys::{self, PosKey};
use crm::reservations::bookings::{self, NewBooking, Source};
use crm::reservations::deposits::{self, State};
use crm::reservations::resources::{self, Kind, NewResource};
use crm::reservations::settings::{self, SettingsChange};
use crm::reservations::tables::{self, TableState};
use crm::reservations::{Booking, Status};
use crm::store::Store;
use crm::tenants::Tenant;
use crm::testing::on_both;
use crm::{Error, clock::Zone, tenants};

/// Sunday 6 December 2026; bookings are at 19:00 Tehran time.
const DAY: i64 = 20261206;

fn local(hh: i64, mm: i64) -> i64 {
    Zone::named("Asia/Tehran")
        .unwrap()
        .start_of_day(DAY)
        .unwrap()
        + hh * 3600
        + mm * 60
}

/// The day before, at midnight: 43 hours before a 19:00 booking.
fn day_before() -> i64 {
    local(0, 0) - 86_400
}

fn table(name: &str) -> NewResource {
    NewResource {
        kind: Kind::Table,
        name: name.into(),
        min_party: 1,
        max_party: 6,
        zone: None,
        working_hours: None,
        joinable: Vec::new(),
    }
}

/// Branch "Center" with tables 1–3 and a deposit of 50,000 rials per guest from four
/// guests, refundable until 24 hours before; its POS key.
async fn setup(store: &Store) -> (Tenant, Branch, PosKey) {
    let t = tenants::ensure_default(store).await.unwrap();
    let b = branches::add(store, &t, "Center").await.unwrap();
    let s = settings::update(
        store,
        &t,
        &b,
        &SettingsChange {
            deposit_mode: Some("per-guest".into()),
            deposit_amount: Some(50_000),
            deposit_from_party: Some(4),
            deposit_refund_hours: Some(24),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(s.deposit.due(4), 200_000);
    for name in ["1", "2", "3"] {
        resources::add(store, &t, &b, &table(name)).await.unwrap();
    }
    let (key, _) = pos_keys::create(store, &t, "Center").await.unwrap();
    (t, b, key)
}

async fn book(store: &Store, t: &Tenant, b: &Branch, phone: &str, party: i64) -> Booking {
    let new = NewBooking {
        service_id: None,
        branch_id: b.id,
        phone: phone.into(),
        name: Some("Sara".into()),
        party,
        starts_at: local(19, 0),
        source: Source::Staff,
        tables: Vec::new(),
        waitlist: false,
        note: None,
    };
    bookings::create(store, t, &new, day_before())
        .await
        .unwrap()
}

/// Posts an invoice naming the reservation; returns (invoice id, deposit applied, replayed).
async fn invoice(
    store: &Store,
    key: &PosKey,
    reservation: i64,
    amount: i64,
    idem: Option<&str>,
) -> (i64, i64, bool) {
    let new = NewInvoice {
        phone: "09121234567".into(),
        amount,
        items: Vec::new(),
        reservation_id: Some(reservation),
        pos_transaction_id: None,
        staff: None,
    };
    let req = idem.map(|k| {
        IdempotentRequest::new(
            format!("pos-branch:{}", key.branch_id),
            k,
            "POST",
            "/api/v1/invoices",
            format!("{reservation}/{amount}").as_bytes(),
        )
        .unwrap()
    });
    let reply = invoices::create(store, key, &new, req.as_ref(), day_before(), |r| {
        (
            201,
            format!("{} {}", r.invoice.id, r.invoice.deposit_applied),
        )
    })
    .await
    .unwrap();
    let (id, applied) = reply.body.split_once(' ').unwrap();
    (
        id.parse().unwrap(),
        applied.parse().unwrap(),
        reply.replayed,
    )
}

#[tokio::test]
async fn deposit_is_deducted_once_from_the_reservations_invoice() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b, key) = setup(s).await;
        let small = book(s, &t, &b, "09120000001", 2).await;
        assert_eq!(
            (small.deposit_amount, small.deposit_state),
            (0, State::None)
        );
        let big = book(s, &t, &b, "09120000002", 4).await;
        assert_eq!(big.deposit_amount, 200_000);
        assert_eq!(big.deposit_state, State::Due);
        assert_eq!(big.deposit_refundable_until, Some(local(19, 0) - 86_400));

        // Not paid yet: nothing to deduct.
        assert_eq!(invoice(s, &key, big.id, 900_000, None).await.1, 0);
        deposits::record(s, &t, big.id, State::Paid, day_before())
            .await
            .unwrap();
        let again = deposits::record(s, &t, big.id, State::Paid, day_before()).await;
        assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");

        let (first, applied, replayed) = invoice(s, &key, big.id, 900_000, Some("k1")).await;
        assert_eq!((applied, replayed), (200_000, false));
        // The POS retries: the stored reply, nothing deducted again.
        let retry = invoice(s, &key, big.id, 900_000, Some("k1")).await;
        assert_eq!(retry, (first, 200_000, true));
        // A second invoice for the same reservation: nothing left.
        assert_eq!(invoice(s, &key, big.id, 300_000, Some("k2")).await.1, 0);
        let b2 = bookings::get(s, &t, big.id).await.unwrap();
        assert_eq!(b2.deposit_state, State::Applied);
        assert_eq!(b2.deposit_invoice_id, Some(first));

        // The invoice is returned: the deposit goes back to the booking, for the next one,
        // which may be smaller than the deposit.
        invoices::cancel(s, &key, first, None, day_before(), |_| (200, String::new()))
            .await
            .unwrap();
        assert_eq!(
            bookings::get(s, &t, big.id).await.unwrap().deposit_state,
            State::Paid
        );
        assert_eq!(invoice(s, &key, big.id, 150_000, None).await.1, 150_000);

        // Another branch's POS cannot use this branch's reservation.
        let other = book(s, &t, &b, "09120000003", 5).await;
        deposits::record(s, &t, other.id, State::Paid, day_before())
            .await
            .unwrap();
        branches::add(s, &t, "North").await.unwrap();
        let (north, _) = pos_keys::create(s, &t, "North").await.unwrap();
        assert_eq!(invoice(s, &north, other.id, 900_000, None).await.1, 0);
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_invoices_for_one_reservation_deduct_once() {
    on_both(|db| async move {
        let (t, b, key) = setup(&db.store).await;
        let booked = book(&db.store, &t, &b, "09120000004", 4).await;
        deposits::record(&db.store, &t, booked.id, State::Paid, day_before())
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = Store::connect(&db.config).await.unwrap();
            let key = key.clone();
            let k = format!("c{i}");
            tasks.push(tokio::spawn(async move {
                let got = invoice(&store, &key, booked.id, 500_000, Some(&k)).await;
                store.close().await;
                got.1
            }));
        }
        let mut applied = Vec::new();
        for task in tasks {
            applied.push(task.await.unwrap());
        }
        assert_eq!(applied.iter().sum::<i64>(), 200_000, "{applied:?}");
        assert_eq!(applied.iter().filter(|a| **a > 0).count(), 1);
        db
    })
    .await;
}

#[tokio::test]
async fn cancellation_records_whether_the_deposit_is_refundable() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b, _) = setup(s).await;
        let paid = |phone: &'static str| {
            let (t, b) = (t.clone(), b.clone());
            async move {
                let booked = book(s, &t, &b, phone, 4).await;
                deposits::record(s, &t, booked.id, State::Paid, day_before())
                    .await
                    .unwrap();
                booked
            }
        };
        // 43 hours before: refundable; staff then records the refund.
        let early = paid("09120000011").await;
        let c = bookings::set_status(s, &t, early.id, Status::Cancelled, day_before())
            .await
            .unwrap();
        assert_eq!(c.deposit_state, State::RefundDue);
        deposits::record(s, &t, early.id, State::Refunded, day_before())
            .await
            .unwrap();
        // Two hours before: kept.
        let late = paid("09120000012").await;
        let c = bookings::set_status(s, &t, late.id, Status::Cancelled, local(17, 0))
            .await
            .unwrap();
        assert_eq!(c.deposit_state, State::Forfeited);
        assert!(
            deposits::record(s, &t, late.id, State::Refunded, local(17, 0))
                .await
                .is_err()
        );
        // Did not come: kept.
        let absent = paid("09120000013").await;
        let c = bookings::set_status(s, &t, absent.id, Status::NoShow, local(20, 0))
            .await
            .unwrap();
        assert_eq!(c.deposit_state, State::Forfeited);
        // Never paid: nothing owed any more.
        let unpaid = book(s, &t, &b, "09120000014", 4).await;
        let c = bookings::set_status(s, &t, unpaid.id, Status::Cancelled, local(18, 0))
            .await
            .unwrap();
        assert_eq!(c.deposit_state, State::Void);

        // The report: deposits kept (two late/absent ones; the refunded one is not), the
        // no-show at 19:00.
        let r = bookings::full_report(s, &t, b.id, DAY, DAY).await.unwrap();
        assert_eq!(r.days.len(), 1);
        assert_eq!(r.total().deposits, 400_000);
        assert_eq!((r.total().no_shows, r.total().cancelled), (1, 3));
        assert_eq!(r.by_hour[19], 1);
        assert_eq!(r.tables, 3);
        db
    })
    .await;
}

#[tokio::test]
async fn the_board_follows_bookings_the_pos_and_the_host() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b, _) = setup(s).await;
        let states = |now: i64| {
            let (t, b) = (t.clone(), b.clone());
            async move {
                tables::board(s, &t, b.id, now)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|x| (x.name, x.state))
                    .collect::<Vec<_>>()
            }
        };
        let ids: Vec<i64> = resources::list(s, &t, &b)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        let booked = book(s, &t, &b, "09120000021", 2).await;
        assert_eq!(booked.tables, vec!["1".to_string()]);
        let free = TableState::Free;
        let (t1, t3) = (ids[0], ids[2]);
        // Far ahead: free; within 30 minutes: reserved soon.
        assert_eq!(
            states(local(18, 0)).await,
            vec![("1".into(), free), ("2".into(), free), ("3".into(), free)]
        );
        let now = local(18, 45);
        assert_eq!(states(now).await[0].1, TableState::ReservedSoon);
        let row = tables::one(s, &t, b.id, t1, now).await.unwrap();
        assert_eq!(row.booking.map(|x| x.id), Some(booked.id));

        // A walk-in: the POS opens table 3 (twice: a retry changes nothing).
        let opened = tables::open(s, &t, b.id, t3, now).await.unwrap();
        assert_eq!(opened.state, TableState::Occupied);
        let again = tables::open(s, &t, b.id, t3, now + 60).await.unwrap();
        assert_eq!(again.since, Some(now));

        // The guest arrives; the POS closes table 1: the booking is finished.
        bookings::set_status(s, &t, booked.id, Status::Seated, now)
            .await
            .unwrap();
        assert_eq!(states(now).await[0].1, TableState::Occupied);
        let closed = tables::close(s, &t, b.id, t1, local(20, 0)).await.unwrap();
        assert_eq!(closed.state, TableState::NeedsCleaning);
        assert_eq!(
            bookings::get(s, &t, booked.id).await.unwrap().status,
            Status::Finished
        );
        let cleaned = tables::mark_free(s, &t, b.id, t1, local(20, 5))
            .await
            .unwrap();
        assert_eq!(cleaned.state, TableState::Free);
        // A host finishing a seated booking leaves its table to be cleaned too.
        let second = book(s, &t, &b, "09120000022", 2).await;
        // Table 1 was freed when its booking finished, so it is taken again.
        assert_eq!(second.tables, vec!["1".to_string()]);
        bookings::set_status(s, &t, second.id, Status::Seated, now)
            .await
            .unwrap();
        bookings::set_status(s, &t, second.id, Status::Finished, local(20, 0))
            .await
            .unwrap();
        assert_eq!(states(local(20, 0)).await[0].1, TableState::NeedsCleaning);

        // Only active tables of the branch.
        let other = branches::add(s, &t, "North").await.unwrap();
        let missing = tables::open(s, &t, other.id, t1, now).await;
        assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
        assert!(tables::close(s, &t, b.id, 999_999, now).await.is_err());
        db
    })
    .await;
}
