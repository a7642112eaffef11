//! Services of appointment businesses: the service's duration is the stay, only the
//! resources that perform it are offered and held, each within its own hours — on
//! SQLite and PostgreSQL.

use crm::audit::{self, Actor};
use crm::branches::{self, Branch};
use crm::reservations::bookings::{self, NewBooking, Source};
use crm::reservations::resources::{self, Kind, NewResource};
use crm::reservations::services::{self, NewService};
use crm::reservations::settings::{self, SettingsChange};
use crm::store::Store;
use crm::tenants::{self, Tenant};
use crm::testing::on_both;
use crm::{Error, clock::Zone};

/// Thursday 10 December 2026 (Tehran).
const DAY: i64 = 20261210;

fn zone() -> Zone {
    Zone::named("Asia/Tehran").unwrap()
}

fn local(hh: i64, mm: i64) -> i64 {
    zone().start_of_day(DAY).unwrap() + hh * 3600 + mm * 60
}

fn day_before() -> i64 {
    local(0, 0) - 86_400
}

fn staff(name: &str, hours: &str) -> NewResource {
    NewResource {
        kind: Kind::Staff,
        name: name.into(),
        min_party: 1,
        max_party: 1,
        zone: None,
        working_hours: Some(hours.into()),
        joinable: Vec::new(),
    }
}

fn service(name: &str, minutes: i64, by: &[&str]) -> NewService {
    NewService {
        name: name.into(),
        name_en: None,
        duration: minutes,
        price: Some(2_000_000),
        resources: by.iter().map(|s| s.to_string()).collect(),
    }
}

/// A salon: Ali 10–14, Reza 12–18, a room nobody books for haircuts; 15-minute starts,
/// a 15-minute buffer.
async fn salon(store: &Store) -> (Tenant, Branch) {
    let t = tenants::ensure_default(store).await.unwrap();
    let b = branches::add(store, &t, "Salon").await.unwrap();
    settings::update(
        store,
        &t,
        &b,
        &SettingsChange {
            time_zone: Some("Asia/Tehran".into()),
            opening_hours: Some("09:00-20:00".into()),
            buffer_minutes: Some(15),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for r in [
        staff("Ali", "10:00-14:00"),
        staff("Reza", "12:00-18:00"),
        NewResource {
            kind: Kind::Room,
            ..staff("Spa", "09:00-20:00")
        },
    ] {
        resources::add(store, &t, &b, &r).await.unwrap();
    }
    (t, b)
}

fn booking(b: &Branch, service: i64, staff: &[&str], phone: &str, at: i64) -> NewBooking {
    NewBooking {
        service_id: Some(service),
        branch_id: b.id,
        phone: phone.into(),
        name: None,
        party: 1,
        starts_at: at,
        source: Source::Web,
        tables: staff.iter().map(|s| s.to_string()).collect(),
        waitlist: false,
        note: None,
    }
}

fn hh_mm(offers: &[crm::reservations::availability::Offer]) -> Vec<String> {
    offers.iter().map(|o| zone().hh_mm(o.starts_at)).collect()
}

#[tokio::test]
async fn a_service_sets_the_stay_and_the_resources() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = salon(s).await;
        let cut = services::add(
            s,
            &t,
            &b,
            Actor::CLI,
            &service("اصلاح", 30, &["Ali", "Reza"]),
        )
        .await
        .unwrap();
        let color = services::add(s, &t, &b, Actor::CLI, &service("رنگ", 90, &["Reza"]))
            .await
            .unwrap();
        let all = resources::list(s, &t, &b).await.unwrap();
        let id = |n: &str| all.iter().find(|r| r.name == n).unwrap().id;
        let (ali, reza, spa) = (id("Ali"), id("Reza"), id("Spa"));

        // 30 minutes: Ali from 10:00 (last 13:30), Reza until 17:30; the spa room never.
        let cut_any = bookings::service_availability(s, &t, b.id, cut.id, None, DAY, day_before())
            .await
            .unwrap();
        let times = hh_mm(&cut_any);
        assert_eq!(times.first().unwrap(), "10:00");
        assert_eq!(times.last().unwrap(), "17:30");
        assert!(cut_any.iter().all(|o| o.tables != vec![spa]));
        let with_ali =
            bookings::service_availability(s, &t, b.id, cut.id, Some(ali), DAY, day_before())
                .await
                .unwrap();
        assert_eq!(hh_mm(&with_ali).last().unwrap(), "13:30");
        assert!(with_ali.iter().all(|o| o.tables == vec![ali]));

        // 90 minutes, Reza only: 12:00 … 16:30.
        let color_any =
            bookings::service_availability(s, &t, b.id, color.id, None, DAY, day_before())
                .await
                .unwrap();
        let times = hh_mm(&color_any);
        assert_eq!(times.first().unwrap(), "12:00");
        assert_eq!(times.last().unwrap(), "16:30");
        assert!(color_any.iter().all(|o| o.tables == vec![reza]));
        // Ali does not colour: asking for him offers nothing, booking him is refused.
        assert!(
            bookings::service_availability(s, &t, b.id, color.id, Some(ali), DAY, day_before())
                .await
                .unwrap()
                .is_empty()
        );
        let refused = bookings::create(
            s,
            &t,
            &booking(&b, color.id, &["Ali"], "09120000001", local(12, 0)),
            day_before(),
        )
        .await;
        assert!(matches!(refused, Err(Error::NotFound(_))), "{refused:?}");

        // A colour with Reza at 12:00 holds him 12:00–13:45 (90 + 15 buffer).
        let colour = bookings::create(
            s,
            &t,
            &booking(&b, color.id, &[], "09120000002", local(12, 0)),
            day_before(),
        )
        .await
        .unwrap();
        assert_eq!(colour.ends_at - colour.starts_at, 90 * 60);
        assert_eq!(colour.service_id, Some(color.id));
        assert_eq!(colour.tables, vec!["Reza".to_string()]);
        // Reza is never double booked: a cut with him at 13:00 is refused …
        let clash = bookings::create(
            s,
            &t,
            &booking(&b, cut.id, &["Reza"], "09120000003", local(13, 0)),
            day_before(),
        )
        .await;
        assert!(matches!(clash, Err(Error::Conflict(_))), "{clash:?}");
        // … and "any staff" at 13:00 gets Ali for 30 minutes.
        let any = bookings::create(
            s,
            &t,
            &booking(&b, cut.id, &[], "09120000003", local(13, 0)),
            day_before(),
        )
        .await
        .unwrap();
        assert_eq!(any.tables, vec!["Ali".to_string()]);
        assert_eq!(any.ends_at - any.starts_at, 30 * 60);
        let reza_free =
            bookings::service_availability(s, &t, b.id, cut.id, Some(reza), DAY, day_before())
                .await
                .unwrap();
        let times = hh_mm(&reza_free);
        assert!(!times.contains(&"13:30".to_string()));
        assert!(times.contains(&"13:45".to_string()));
        // Only the spa room is left at 13:00 for a cut: nobody.
        let third = bookings::create(
            s,
            &t,
            &booking(&b, cut.id, &[], "09120000004", local(13, 0)),
            day_before(),
        )
        .await;
        assert!(matches!(third, Err(Error::Conflict(_))), "{third:?}");
        db
    })
    .await;
}

#[tokio::test]
async fn services_are_checked_edited_removed_and_audited() {
    on_both(|db| async move {
        let s = &db.store;
        let (t, b) = salon(s).await;
        for bad in [
            service("", 30, &["Ali"]),
            service("x", 7, &["Ali"]),
            service("x", 30, &[]),
            service("x", 30, &["Nobody"]),
        ] {
            assert!(services::add(s, &t, &b, Actor::CLI, &bad).await.is_err());
        }
        let cut = services::add(s, &t, &b, Actor::CLI, &service("اصلاح", 30, &["Ali"]))
            .await
            .unwrap();
        assert!(matches!(
            services::add(s, &t, &b, Actor::CLI, &service("اصلاح", 45, &["Ali"])).await,
            Err(Error::Conflict(_))
        ));
        let edited = services::update(
            s,
            &t,
            &b,
            Actor::CLI,
            cut.id,
            &NewService {
                name_en: Some("Haircut".into()),
                ..service("اصلاح", 45, &["Ali", "Reza"])
            },
        )
        .await
        .unwrap();
        assert_eq!(edited.duration, 45);
        assert_eq!(edited.label("en"), "Haircut");
        assert_eq!(
            services::list(s, &t, &b).await.unwrap(),
            vec![edited.clone()]
        );
        let made = bookings::create(
            s,
            &t,
            &booking(&b, cut.id, &[], "09120000001", local(12, 0)),
            day_before(),
        )
        .await
        .unwrap();
        services::remove(s, &t, &b, Actor::CLI, cut.id)
            .await
            .unwrap();
        assert!(services::list(s, &t, &b).await.unwrap().is_empty());
        // The booking stays, without its service.
        let kept = bookings::get(s, &t, made.id).await.unwrap();
        assert_eq!(kept.service_id, None);
        let log = audit::list(s, &t, None, 100).await.unwrap();
        for action in ["service.add", "service.update", "service.remove"] {
            assert!(
                log.iter().any(|e| e.action == action),
                "{action} not audited"
            );
        }
        // Another branch's service is not found.
        let other = branches::add(s, &t, "Other").await.unwrap();
        assert!(services::get(s, &t, &other, edited.id).await.is_err());
        db
    })
    .await;
}
