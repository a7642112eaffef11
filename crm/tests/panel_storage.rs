//! The panel's storage on SQLite and PostgreSQL: customer pages by keyset and prefix,
//! web sessions that expire and are revoked.

use crm::testing::on_both;
use crm::{customers, staff, tenants, web_sessions};

#[tokio::test]
async fn customer_pages_walk_every_match_once() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let other = tenants::create(&db.store, "other").await.unwrap();
        for i in 0..23 {
            let name = if i % 2 == 0 {
                "علی رضایی"
            } else {
                "Sara"
            };
            customers::add(&db.store, &t, &format!("0912100{i:04}"), Some(name), None)
                .await
                .unwrap();
        }
        customers::add(&db.store, &t, "09351234567", Some("Ali"), None)
            .await
            .unwrap();
        customers::add(&db.store, &other, "09121000001", Some("Sara"), None)
            .await
            .unwrap();
        let walk = |search: &'static str| {
            let store = db.store.clone();
            let t = t.clone();
            async move {
                let mut seen = Vec::new();
                let mut after = None;
                loop {
                    let page = customers::page(
                        &store,
                        &t,
                        &customers::PageQuery {
                            search: Some(search.to_string()),
                            after: after.clone(),
                            limit: 5,
                        },
                    )
                    .await
                    .unwrap();
                    seen.extend(page.customers.iter().map(|c| c.phone.clone()));
                    match page.next {
                        Some(next) => after = Some(next),
                        None => break seen,
                    }
                }
            }
        };
        let all = walk("").await;
        assert_eq!(all.len(), 24, "[{}]", db.label());
        assert_eq!(all[0], "+989351234567", "newest first");
        let by_prefix = walk("۰۹۱۲۱۰۰").await;
        assert_eq!(by_prefix.len(), 23, "Persian digits, prefix of the number");
        assert!(
            by_prefix.windows(2).all(|w| w[0] < w[1]),
            "ordered by phone"
        );
        assert_eq!(walk("+98912100").await.len(), 23);
        assert_eq!(walk("عل").await.len(), 12, "Persian name prefix");
        assert_eq!(walk("علي").await.len(), 12, "Arabic ي finds Persian ی");
        assert_eq!(walk("Sara").await.len(), 11, "not the other tenant's");
        assert_eq!(walk("0936").await.len(), 0);
        db
    })
    .await;
}

#[tokio::test]
async fn web_sessions_expire_and_are_revoked() {
    on_both(|db| async move {
        tenants::ensure_default(&db.store).await.unwrap();
        let user = staff::create_operator(&db.store, "09120000001", None)
            .await
            .unwrap();
        let t0 = 1_800_000_000;
        let (s, token) = web_sessions::create(&db.store, user.id, None, t0)
            .await
            .unwrap();
        let found = web_sessions::lookup(&db.store, &token, t0 + 10)
            .await
            .unwrap();
        assert_eq!(found.map(|f| f.id), Some(s.id));
        assert!(
            web_sessions::lookup(&db.store, "x", t0)
                .await
                .unwrap()
                .is_none()
        );
        let late = t0 + web_sessions::LIFETIME;
        assert!(
            web_sessions::lookup(&db.store, &token, late)
                .await
                .unwrap()
                .is_none()
        );
        let (_, second) = web_sessions::create(&db.store, user.id, None, t0)
            .await
            .unwrap();
        assert_eq!(
            web_sessions::revoke_all(&db.store, user.id).await.unwrap(),
            2
        );
        assert!(
            web_sessions::lookup(&db.store, &second, t0 + 1)
                .await
                .unwrap()
                .is_none()
        );
        db
    })
    .await;
}

/// An import larger than one statement's chunk: new phones added, known ones merged,
/// an empty name filled and a kept name left alone, the same on both databases.
#[tokio::test]
async fn csv_import_across_chunks_adds_merges_and_fills_empty_names() {
    on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        customers::add(&db.store, &t, "09120000007", None, None)
            .await
            .unwrap();
        customers::add(&db.store, &t, "09120001200", Some("Kept"), None)
            .await
            .unwrap();
        let mut text = String::from("phone,name\n");
        for i in 0..1_234 {
            text.push_str(&format!("0912{i:07},guest {i}\n"));
        }
        // A repeat in the file and a bad row.
        text.push_str("09120000001,again\nnot-a-phone,x\n");
        let parsed = crm::customers_csv::parse(&text).unwrap();
        let out = crm::customers_csv::import(&db.store, &t, parsed, crm::audit::Actor::CLI)
            .await
            .unwrap();
        assert_eq!((out.added, out.merged, out.rejected.len()), (1_232, 3, 1));
        assert_eq!(customers::count(&db.store, &t).await.unwrap(), 1_234);
        let name = |phone: &'static str| {
            let store = db.store.clone();
            let t = t.clone();
            async move { customers::by_phone(&store, &t, phone).await.unwrap().name }
        };
        assert_eq!(name("09120000007").await.as_deref(), Some("guest 7"));
        assert_eq!(name("09120001200").await.as_deref(), Some("Kept"));
        assert_eq!(name("09120001233").await.as_deref(), Some("guest 1233"));
        db
    })
    .await;
}
