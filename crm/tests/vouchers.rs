//! Voucher batches, on SQLite and PostgreSQL.

use crm::hotspot::{self, Credential};
use crm::testing::on_both;
use crm::vouchers::{self, NewBatch};
use crm::{Error, clock, tenants};

fn batch(count: i64) -> NewBatch {
    NewBatch {
        name: "Friday promo".into(),
        group: "guests".into(),
        count,
        valid_for: Some(86_400),
        expires_at: None,
        pin: false,
    }
}

#[tokio::test]
async fn batches_are_created_listed_and_start_on_first_use() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let (b, list) = vouchers::create(&db.store, &t, &batch(25)).await.unwrap();
        assert_eq!(list.len(), 25);
        let mut names: Vec<&str> = list.iter().map(|v| v.username.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 25, "usernames are unique");
        assert!(
            list.iter()
                .all(|v| v.username.len() == 8 && v.password.expose().len() == 8)
        );

        let v = &list[0];
        let login = hotspot::find_login(&db.store, t.id, &v.username)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            login.credential,
            Credential::Account {
                expires_at: None,
                valid_for: Some(86_400),
                ..
            }
        ));
        let now = clock::now();
        assert!(
            vouchers::mark_first_use(&db.store, v.id, now)
                .await
                .unwrap()
        );
        assert!(
            !vouchers::mark_first_use(&db.store, v.id, now + 5)
                .await
                .unwrap(),
            "first use is recorded once"
        );
        let login = hotspot::find_login(&db.store, t.id, &v.username)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            login.credential,
            Credential::Account {
                password: v.password.clone(),
                expires_at: Some(now + 86_400),
                valid_for: None
            }
        );

        let listed = vouchers::batches(&db.store, &t).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].id, listed[0].used, listed[0].count),
            (b.id, 1, 25)
        );
        let detail = vouchers::vouchers(&db.store, &t, b.id).await.unwrap();
        assert_eq!(
            detail.iter().filter(|v| v.first_used_at.is_some()).count(),
            1
        );
        assert!(matches!(
            vouchers::vouchers(&db.store, &t, b.id + 100).await,
            Err(Error::NotFound(_))
        ));

        let html = vouchers::to_printable_html(&t, &b, &detail);
        assert!(html.contains(&v.username) && html.contains("dir=\"rtl\""));
        let csv = vouchers::to_csv(&b, &detail);
        assert_eq!(csv.lines().count(), 26);
        db
    })
    .await;
}

#[tokio::test]
async fn pins_and_bad_batches() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let (_, pins) = vouchers::create(
            &db.store,
            &t,
            &NewBatch {
                pin: true,
                ..batch(5)
            },
        )
        .await
        .unwrap();
        assert!(
            pins.iter()
                .all(|v| v.username == v.password.expose() && v.username.len() == 10)
        );
        for bad in [
            NewBatch {
                count: 0,
                ..batch(1)
            },
            NewBatch {
                count: 1001,
                ..batch(1)
            },
            NewBatch {
                valid_for: Some(0),
                ..batch(1)
            },
            NewBatch {
                expires_at: Some(1),
                ..batch(1)
            },
            NewBatch {
                name: " ".into(),
                ..batch(1)
            },
        ] {
            assert!(
                matches!(
                    vouchers::create(&db.store, &t, &bad).await,
                    Err(Error::Invalid(_))
                ),
                "{bad:?}"
            );
        }
        let err = vouchers::create(
            &db.store,
            &t,
            &NewBatch {
                group: "nobody".into(),
                ..batch(1)
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)));
        assert_eq!(
            vouchers::batches(&db.store, &t).await.unwrap().len(),
            1,
            "failed batches wrote nothing"
        );
        db
    })
    .await;
}
