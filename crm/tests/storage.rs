//! Storage behaviour, run against both SQLite and PostgreSQL.

use crm::nas::NewNas;
use crm::secret::Secret;
use crm::testing::on_both;
use crm::{Error, Store, StoreConfig, accounts, customers, devices, groups, nas, tenants};

fn router(name: &str, address: &str) -> NewNas {
    NewNas {
        name: name.into(),
        address: address.into(),
        secret: Secret::new("a-long-shared-secret"),
        require_message_authenticator: true,
        branch: None,
        coa_port: None,
    }
}

#[tokio::test]
async fn first_start_creates_default_tenant_and_groups_once() {
    on_both(|db| async move {
        let t1 = tenants::ensure_default(&db.store).await.unwrap();
        let t2 = tenants::ensure_default(&db.store).await.unwrap();
        assert_eq!(t1, t2);
        assert_eq!(t1.time_zone, "Asia/Tehran");
        assert_eq!(t1.club_code.len(), 5);
        assert!(t1.club_code.chars().all(|c| c.is_ascii_digit()));
        let names: Vec<String> = groups::list(&db.store, &t1)
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.name)
            .collect();
        assert_eq!(names, ["managers", "staff", "loyal", "guests"]);
        let guests = groups::default_group(&db.store, &t1).await.unwrap();
        assert_eq!(guests.name, "guests");
        assert_eq!(
            guests.policy.mikrotik_rate_limit().unwrap(),
            "1M/2M 2M/4M 768k/1536k 8/8 8"
        );
        // Re-running migrations is a no-op.
        let report = db.store.migrate().await.unwrap();
        assert!(report.applied.is_empty());
        assert_eq!(report.version, db.store.binary_schema_version());
        db
    })
    .await;
}

#[tokio::test]
async fn nas_duplicates_are_refused_and_nothing_half_written() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let added = nas::add(&db.store, &t, router("r1", "192.0.2.1"))
            .await
            .unwrap();
        assert_eq!(added.address.to_string(), "192.0.2.1/32");
        assert!(added.require_message_authenticator);
        assert_eq!(added.coa_port, 3799);
        // Same CIDR spelled differently.
        let err = nas::add(&db.store, &t, router("r2", "192.0.2.1/32"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err}");
        let err = nas::add(&db.store, &t, router("r1", "192.0.2.9"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err}");
        let err = nas::add(&db.store, &t, router("r3", "not-an-ip"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
        let err = nas::add(
            &db.store,
            &t,
            NewNas {
                branch: Some("nowhere".into()),
                ..router("r4", "192.0.2.4")
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
        assert_eq!(nas::list(&db.store, &t).await.unwrap().len(), 1);
        // Secrets never show in Debug output (and so never in logs).
        assert!(!format!("{added:?}").contains("a-long-shared-secret"));
        nas::remove(&db.store, &t, "r1").await.unwrap();
        assert!(matches!(
            nas::remove(&db.store, &t, "r1").await,
            Err(Error::NotFound(_))
        ));
        db
    })
    .await;
}

#[tokio::test]
async fn groups_are_validated_edited_and_guarded() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let policy = groups::GroupPolicy {
            rate_limit: Some("3M/6M".into()),
            allowed_hours: Some("sat-wed 08:00-23:00".into()),
            interim_interval: 120,
            ..Default::default()
        };
        let g = groups::add(&db.store, &t, "vip", policy.clone())
            .await
            .unwrap();
        assert_eq!(
            g.policy.allowed_hours.as_deref(),
            Some("sat,sun,mon,tue,wed 08:00-23:00")
        );
        assert!(matches!(
            groups::add(&db.store, &t, "vip", policy.clone()).await,
            Err(Error::Conflict(_))
        ));
        let bad = groups::GroupPolicy {
            rate_limit: Some("lots".into()),
            ..policy.clone()
        };
        assert!(matches!(
            groups::add(&db.store, &t, "bad", bad).await,
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            groups::by_name(&db.store, &t, "bad").await,
            Err(Error::NotFound(_))
        ));

        let mut changed = g.policy.clone();
        changed.daily_data_quota = Some(1 << 30);
        let g2 = groups::set_policy(&db.store, &t, "vip", changed)
            .await
            .unwrap();
        assert_eq!(g2.policy.daily_data_quota, Some(1 << 30));
        assert!(matches!(
            groups::set_policy(&db.store, &t, "ghost", policy.clone()).await,
            Err(Error::NotFound(_))
        ));

        customers::add(&db.store, &t, "09121111111", None, Some("vip"))
            .await
            .unwrap();
        assert!(matches!(
            groups::remove(&db.store, &t, "vip").await,
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            groups::remove(&db.store, &t, "guests").await,
            Err(Error::Conflict(_))
        ));
        groups::make_default(&db.store, &t, "vip").await.unwrap();
        assert_eq!(
            groups::default_group(&db.store, &t).await.unwrap().name,
            "vip"
        );
        groups::remove(&db.store, &t, "staff").await.unwrap();
        db
    })
    .await;
}

#[tokio::test]
async fn customers_have_one_row_per_phone_whatever_the_spelling() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let c = customers::add(&db.store, &t, "۰۹۱۲ ۱۲۳ ۴۵۶۷", Some("علي"), None)
            .await
            .unwrap();
        assert_eq!(c.phone, "+989121234567");
        assert_eq!(c.name.as_deref(), Some("علی"));
        assert_eq!(c.group_name.as_deref(), Some("guests"));
        for spelling in ["+989121234567", "00989121234567", "9121234567"] {
            let err = customers::add(&db.store, &t, spelling, None, None)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Conflict(_)), "{spelling}: {err}");
            assert_eq!(
                customers::by_phone(&db.store, &t, spelling)
                    .await
                    .unwrap()
                    .id,
                c.id
            );
        }
        for bad in ["0212345678", "hello", "+44 7700 900000", ""] {
            let err = customers::add(&db.store, &t, bad, None, None)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Phone(_)), "{bad}: {err}");
        }
        let err = customers::add(&db.store, &t, "09120000000", None, Some("nope"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
        assert_eq!(customers::count(&db.store, &t).await.unwrap(), 1);

        customers::add(&db.store, &t, "09351234567", Some("Sara"), Some("staff"))
            .await
            .unwrap();
        let q = |s: &str| customers::CustomerQuery {
            search: Some(s.into()),
            limit: 50,
            offset: 0,
        };
        let found = customers::list(&db.store, &t, &q("0935")).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name.as_deref(), Some("Sara"));
        assert_eq!(
            customers::list(&db.store, &t, &q("۰۹۱۲"))
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            customers::list(&db.store, &t, &q("Sar"))
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            customers::list(&db.store, &t, &q("zzz"))
                .await
                .unwrap()
                .len(),
            0
        );
        let all = customers::list(
            &db.store,
            &t,
            &customers::CustomerQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(all.len(), 2);

        // Devices: a MAC follows its latest customer.
        let d = devices::record(&db.store, &t, c.id, "aa-bb-cc-dd-ee-ff", None)
            .await
            .unwrap();
        assert_eq!(d.mac, "AA:BB:CC:DD:EE:FF");
        assert_eq!(
            devices::for_customer(&db.store, c.id).await.unwrap().len(),
            1
        );
        assert!(
            devices::record(&db.store, &t, c.id, "nonsense", None)
                .await
                .is_err()
        );
        db
    })
    .await;
}

#[tokio::test]
async fn tenants_are_isolated() {
    on_both(|db| async move {
        let a = tenants::ensure_default(&db.store).await.unwrap();
        let b = tenants::create(&db.store, "cafe-b").await.unwrap();
        assert_ne!(a.club_code, b.club_code);
        assert!(matches!(
            tenants::create(&db.store, "cafe-b").await,
            Err(Error::Conflict(_))
        ));
        let c = customers::add(&db.store, &a, "09121234567", None, None)
            .await
            .unwrap();
        // Same phone is a different customer in another tenant.
        customers::add(&db.store, &b, "09121234567", None, None)
            .await
            .unwrap();
        assert!(matches!(
            customers::by_id(&db.store, &b, c.id).await,
            Err(Error::NotFound(_))
        ));
        accounts::add(&db.store, &a, "till-1", &Secret::new("pw"), "staff")
            .await
            .unwrap();
        assert!(
            accounts::by_username(&db.store, &b, "till-1")
                .await
                .unwrap()
                .is_none()
        );
        db
    })
    .await;
}

#[tokio::test]
async fn accounts_are_validated() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let a = accounts::add(&db.store, &t, "pos-1", &Secret::new("s3cret"), "staff")
            .await
            .unwrap();
        assert_eq!(a.group_name, "staff");
        assert_eq!(a.password.expose(), "s3cret");
        assert!(!format!("{a:?}").contains("s3cret"));
        let dup = accounts::add(&db.store, &t, "pos-1", &Secret::new("x"), "staff").await;
        assert!(matches!(dup, Err(Error::Conflict(_))));
        let no_group = accounts::add(&db.store, &t, "pos-2", &Secret::new("x"), "ghosts").await;
        assert!(matches!(no_group, Err(Error::NotFound(_))));
        let long = "x".repeat(129);
        assert!(matches!(
            accounts::add(&db.store, &t, "pos-3", &Secret::new(long), "staff").await,
            Err(Error::Invalid(_))
        ));
        assert_eq!(accounts::list(&db.store, &t).await.unwrap().len(), 1);
        accounts::remove(&db.store, &t, "pos-1").await.unwrap();
        assert!(accounts::list(&db.store, &t).await.unwrap().is_empty());
        db
    })
    .await;
}

#[tokio::test]
async fn newer_schema_than_binary_is_a_clear_error() {
    on_both(|db| async move {
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990101000000, 'from the future', TRUE, $1, 0)",
        )
        .bind(vec![0u8; 48])
        .execute(db.store.pool())
        .await
        .unwrap();
        let err = db.store.migrate().await.unwrap_err();
        assert!(matches!(err, Error::SchemaTooNew { .. }), "{err}");
        assert!(err.to_string().contains("newer"), "{err}");
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 99990101000000")
            .execute(db.store.pool())
            .await
            .unwrap();
        db
    })
    .await;
}

#[tokio::test]
async fn unreachable_database_is_a_clear_error() {
    // Port 1 on loopback: nothing listens there.
    let mut config = StoreConfig::new(
        std::env::temp_dir(),
        Some("postgres://u:pw@127.0.0.1:1/x".into()),
    );
    config.connect_timeout = std::time::Duration::from_secs(2);
    let err = Store::connect(&config).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("cannot reach database postgres://u:***@127.0.0.1:1/x"),
        "{msg}"
    );
    assert!(!msg.contains(":pw@"), "{msg}");
    let config = StoreConfig::new(std::env::temp_dir(), Some("mysql://h/db".into()));
    assert!(matches!(
        Store::connect(&config).await,
        Err(Error::Invalid(_))
    ));
}
