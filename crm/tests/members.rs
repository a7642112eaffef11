//! The panel's member list (`club::members::page`) on SQLite and PostgreSQL: keyset
//! pages that join up, phone and name search, tier and standing filters, and the
//! credit, purchases and flags shown per member.

use crm::club::formula::{Tier, TierMetric};
use crm::club::members::{self, MemberQuery, Standing, TierFilter};
use crm::club::{self, settings};
use crm::invoices::{self, NewInvoice};
use crm::testing::on_both;
use crm::{Store, branches, customers, pos_keys, tenants};

const NOW: i64 = 1_800_000_000;

async fn buy(store: &Store, key: &pos_keys::PosKey, phone: &str, amount: i64, at: i64) {
    let new = NewInvoice {
        phone: phone.into(),
        amount,
        items: vec![],
        reservation_id: None,
        pos_transaction_id: None,
        staff: None,
    };
    invoices::create(store, key, &new, None, at, |_| (201, String::new()))
        .await
        .unwrap();
}

/// Every member the query finds, walking pages of `limit`.
async fn walk(store: &Store, t: &tenants::Tenant, mut q: MemberQuery, limit: i64) -> Vec<String> {
    q.limit = limit;
    let mut phones = Vec::new();
    loop {
        let page = members::page(store, t, &q, NOW + 60).await.unwrap();
        assert!(page.members.len() as i64 <= limit);
        phones.extend(page.members.iter().map(|m| m.phone.clone()));
        match page.next {
            Some(next) => q.after = Some(next),
            None => return phones,
        }
    }
}

#[tokio::test]
async fn member_list_searches_filters_and_pages() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let mut cfg = settings::ClubSettings::default(); // 5 %
        cfg.tiers.metric = TierMetric::Spend;
        cfg.tiers.tiers = vec![
            Tier {
                name: "bronze".into(),
                threshold: 0,
                multiplier_bp: 10_000,
                group: None,
            },
            Tier {
                name: "gold".into(),
                threshold: 1_000_000,
                multiplier_bp: 10_000,
                group: None,
            },
        ];
        cfg.fraud.max_invoices = 2;
        settings::set(s, &t, None, &cfg).await.unwrap();

        for i in 0..20 {
            let phone = format!("0912000{i:04}");
            if i % 2 == 0 {
                customers::add(s, &t, &phone, Some(&format!("Sara {i}")), None)
                    .await
                    .unwrap();
            }
            buy(s, &key, &phone, 100_000, NOW - i * 86_400).await;
        }
        for i in 0..3 {
            buy(s, &key, &format!("0935000{i:04}"), 1_200_000, NOW).await;
        }
        // Three invoices in the window flag, a fourth blocks.
        for n in 0..3 {
            buy(s, &key, "09390000001", 10_000, NOW + n).await;
        }
        for n in 0..4 {
            buy(s, &key, "09390000002", 10_000, NOW + n).await;
        }
        // A customer who is not a member is never listed.
        customers::add(s, &t, "09120009999", Some("Sara outsider"), None)
            .await
            .unwrap();
        let opted = customers::by_phone(s, &t, "09120000003").await.unwrap();
        club::set_marketing_opt_out(s, &t, opted.id, true)
            .await
            .unwrap();

        let all = walk(s, &t, MemberQuery::default(), 7).await;
        assert_eq!(all.len(), 25, "{all:?}");
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 25, "pages do not overlap");
        assert!(!all.contains(&"+989120009999".to_string()));

        let gold = walk(
            s,
            &t,
            MemberQuery {
                search: "0935".into(),
                ..Default::default()
            },
            2,
        )
        .await;
        assert_eq!(gold, ["+989350000000", "+989350000001", "+989350000002"]);
        let sara = walk(
            s,
            &t,
            MemberQuery {
                search: "Sar".into(),
                ..Default::default()
            },
            3,
        )
        .await;
        assert_eq!(
            sara.len(),
            10,
            "named members only, not the outsider: {sara:?}"
        );

        let tier = |name: &str| MemberQuery {
            tier: TierFilter::parse(name),
            ..Default::default()
        };
        let mut gold_tier = walk(s, &t, tier("gold"), 1).await;
        gold_tier.sort();
        assert_eq!(gold_tier, gold);
        assert_eq!(walk(s, &t, tier("bronze"), 50).await.len(), 22);
        assert!(walk(s, &t, tier("-"), 50).await.is_empty());

        let standing = |st: Standing| MemberQuery {
            standing: st,
            ..Default::default()
        };
        assert_eq!(
            walk(s, &t, standing(Standing::Flagged), 50).await,
            ["+989390000002", "+989390000001"]
        );
        assert_eq!(
            walk(s, &t, standing(Standing::Blocked), 50).await,
            ["+989390000002"]
        );
        assert_eq!(
            walk(s, &t, standing(Standing::OptedOut), 50).await,
            ["+989120000003"]
        );

        let page = members::page(
            s,
            &t,
            &MemberQuery {
                search: "09120000004".into(),
                limit: 10,
                ..Default::default()
            },
            NOW + 60,
        )
        .await
        .unwrap();
        let m = &page.members[0];
        assert_eq!(m.name.as_deref(), Some("Sara 4"));
        assert_eq!((m.spendable, m.pending, m.earned), (5_000, 0, 5_000));
        assert_eq!(
            (m.purchases, m.last_purchase_at),
            (1, Some(NOW - 4 * 86_400))
        );
        assert_eq!(m.tier.as_deref(), Some("bronze"));
        let flagged = walk(s, &t, standing(Standing::Flagged), 50).await;
        let blocked = members::page(
            s,
            &t,
            &MemberQuery {
                search: flagged[0].clone(),
                limit: 1,
                ..Default::default()
            },
            NOW + 60,
        )
        .await
        .unwrap();
        assert_eq!(blocked.members[0].flag.as_deref(), Some("blocked"));
        db
    })
    .await;
}
