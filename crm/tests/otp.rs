//! One-time codes and their limits, on SQLite and PostgreSQL.

use crm::otp::{self, Refusal, Requester};
use crm::phone::Phone;
use crm::testing::on_both;
use crm::{Store, club, customers, tenants};

fn who<'a>(mac: &'a str, ip: &'a str) -> Requester<'a> {
    Requester {
        purpose: "portal",
        mac: Some(mac),
        ip: Some(ip),
    }
}

const T0: i64 = 1_800_000_000;

#[tokio::test]
async fn wrong_codes_lock_the_challenge_and_right_codes_verify_once() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let phone = Phone::parse("09121234567").unwrap();
        let issued = otp::issue(
            &db.store,
            &t,
            &phone,
            &who("AA:BB:CC:00:00:01", "10.5.50.2"),
            T0,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(issued.code.len(), 5);
        assert!(issued.code.chars().all(|c| c.is_ascii_digit()));
        let wrong = if issued.code == "00000" {
            "11111"
        } else {
            "00000"
        };
        for left in (1..=4).rev() {
            let r = otp::verify(&db.store, &t, issued.challenge_id, wrong, T0 + 5)
                .await
                .unwrap();
            assert_eq!(
                r,
                Err(Refusal::WrongCode {
                    attempts_left: left
                })
            );
        }
        let r = otp::verify(&db.store, &t, issued.challenge_id, wrong, T0 + 6)
            .await
            .unwrap();
        assert_eq!(r, Err(Refusal::TooManyAttempts));
        // Locked: even the right code is refused now.
        let r = otp::verify(&db.store, &t, issued.challenge_id, &issued.code, T0 + 7)
            .await
            .unwrap();
        assert_eq!(r, Err(Refusal::TooManyAttempts));

        // A new code (after the resend pause), typed in Persian digits, verifies once.
        let again = otp::issue(
            &db.store,
            &t,
            &phone,
            &who("AA:BB:CC:00:00:01", "10.5.50.2"),
            T0 + 61,
        )
        .await
        .unwrap()
        .unwrap();
        let persian = crm::ui::persian_digits(&again.code);
        let ok = otp::verify(&db.store, &t, again.challenge_id, &persian, T0 + 70)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ok.phone, phone);
        assert_eq!(ok.mac.as_deref(), Some("AA:BB:CC:00:00:01"));
        let twice = otp::verify(&db.store, &t, again.challenge_id, &again.code, T0 + 71)
            .await
            .unwrap();
        assert_eq!(twice, Err(Refusal::UnknownChallenge));

        // Codes expire; another tenant cannot use this tenant's challenge.
        let third = otp::issue(
            &db.store,
            &t,
            &phone,
            &who("AA:BB:CC:00:00:01", "10.5.50.2"),
            T0 + 200,
        )
        .await
        .unwrap()
        .unwrap();
        let other = tenants::create(&db.store, "other").await.unwrap();
        let r = otp::verify(&db.store, &other, third.challenge_id, &third.code, T0 + 201)
            .await
            .unwrap();
        assert_eq!(r, Err(Refusal::UnknownChallenge));
        let r = otp::verify(
            &db.store,
            &t,
            third.challenge_id,
            &third.code,
            T0 + 200 + otp::CODE_TTL,
        )
        .await
        .unwrap();
        assert_eq!(r, Err(Refusal::Expired));
        db
    })
    .await;
}

#[tokio::test]
async fn sending_is_limited_per_phone_device_and_ip() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let phone = Phone::parse("09121234567").unwrap();
        let w = who("AA:BB:CC:00:00:01", "10.5.50.2");
        otp::issue(&db.store, &t, &phone, &w, T0)
            .await
            .unwrap()
            .unwrap();
        let soon = otp::issue(&db.store, &t, &phone, &w, T0 + 30)
            .await
            .unwrap();
        assert_eq!(
            soon.unwrap_err(),
            Refusal::ResendTooSoon { retry_after: 30 }
        );
        // Window-aligned so the hour does not roll over mid-test.
        let hour = T0 - T0 % 3600 + 3600;
        for i in 0..5 {
            otp::issue(&db.store, &t, &phone, &w, hour + i * 61)
                .await
                .unwrap()
                .unwrap();
        }
        let limited = otp::issue(&db.store, &t, &phone, &w, hour + 5 * 61)
            .await
            .unwrap();
        assert!(
            matches!(limited, Err(Refusal::PhoneLimited { .. })),
            "{limited:?}"
        );

        // One device asking for many phones hits the device limit.
        let next = hour + 3600;
        let mut refused = None;
        for i in 0..12 {
            let p = Phone::parse(&format!("0935000{:04}", i)).unwrap();
            if let Err(r) = otp::issue(
                &db.store,
                &t,
                &p,
                &who("AA:BB:CC:00:00:09", &format!("10.5.51.{i}")),
                next + i,
            )
            .await
            .unwrap()
            {
                refused = Some((i, r));
                break;
            }
        }
        assert!(
            matches!(refused, Some((10, Refusal::DeviceLimited { .. }))),
            "{refused:?}"
        );

        // One IP asking from many devices hits the IP limit.
        let next = hour + 7200;
        let mut refused = None;
        for i in 0..25 {
            let p = Phone::parse(&format!("0936000{:04}", i)).unwrap();
            let mac = format!("AA:BB:CC:00:01:{i:02X}");
            if let Err(r) = otp::issue(&db.store, &t, &p, &who(&mac, "10.5.50.77"), next + i)
                .await
                .unwrap()
            {
                refused = Some((i, r));
                break;
            }
        }
        assert!(
            matches!(refused, Some((20, Refusal::IpLimited { .. }))),
            "{refused:?}"
        );

        // Counters live in the database: a new connection (a restarted server) sees them.
        let again = Store::connect(&db.config).await.unwrap();
        let still = otp::issue(&again, &t, &phone, &w, hour + 6 * 61)
            .await
            .unwrap();
        assert!(
            matches!(still, Err(Refusal::PhoneLimited { .. })),
            "{still:?}"
        );
        again.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn verified_phones_become_customers_and_club_members() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let phone = Phone::parse("+989121234567").unwrap();
        let (c, new) = customers::record_visit(&db.store, &t, &phone, T0)
            .await
            .unwrap();
        assert!(new);
        assert_eq!(c.group_name.as_deref(), Some("guests"));
        assert_eq!(c.visits, 1);
        assert!(
            club::join(&db.store, &t, c.id, club::JoinSource::Wifi)
                .await
                .unwrap()
        );
        assert!(
            !club::join(&db.store, &t, c.id, club::JoinSource::Sms)
                .await
                .unwrap()
        );
        assert_eq!(
            club::membership(&db.store, &t, c.id)
                .await
                .unwrap()
                .unwrap()
                .0,
            "wifi"
        );

        // A staff member keeps their group when they log in through the portal.
        let staff = customers::add(&db.store, &t, "09350000000", None, Some("staff"))
            .await
            .unwrap();
        let (again, new) =
            customers::record_visit(&db.store, &t, &Phone::parse("09350000000").unwrap(), T0 + 5)
                .await
                .unwrap();
        assert!(!new);
        assert_eq!(again.id, staff.id);
        assert_eq!(again.group_name.as_deref(), Some("staff"));
        assert_eq!(again.visits, 1);
        assert_eq!(again.last_seen_at, Some(T0 + 5));
        db
    })
    .await;
}
