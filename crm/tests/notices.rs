//! Member notifications paid from the SMS wallet, on SQLite and PostgreSQL.

use crm::club::{notices, settings};
use crm::invoices::{self, NewInvoice};
use crm::ledger::{self, Actor, Award, EntryKind};
use crm::sms::wallet;
use crm::testing::on_both;
use crm::{Error, branches, customers, pos_keys, sms, tenants};

const NOW: i64 = 1_800_000_000;

#[tokio::test]
async fn earned_and_expiring_credit_are_texted_and_paid_from_the_wallet() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();
        let club = settings::ClubSettings {
            notify_earned: true,
            expiry_notice_days: 7,
            ..Default::default()
        };
        settings::set(s, &t, None, &club).await.unwrap();
        wallet::set_price(s, &t, 1_000).await.unwrap();
        assert!(matches!(
            wallet::top_up(s, &t, 1_500, " ", Actor::System).await,
            Err(Error::Invalid(_))
        ));
        wallet::top_up(s, &t, 1_500, "receipt 42", Actor::Staff(1))
            .await
            .unwrap();
        let invoice = |phone: &str| NewInvoice {
            phone: phone.into(),
            amount: 200_000,
            items: vec![],
            reservation_id: None,
            pos_transaction_id: None,
            staff: None,
        };

        // Earned credit: one SMS in Persian, paid from the wallet.
        invoices::create(s, &key, &invoice("09127000001"), None, NOW, |_| {
            (201, String::new())
        })
        .await
        .unwrap();
        let outbox = sms::outbox(s, &t, None, 10).await.unwrap();
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].purpose, "club_credit_earned");
        assert!(
            outbox[0].body.contains("۱۰۰۰۰ ریال اعتبار"),
            "{}",
            outbox[0].body
        );
        assert_eq!(wallet::wallet(s, &t).await.unwrap().balance, 500);

        // The wallet cannot pay another: the invoice is recorded, the SMS skipped.
        invoices::create(s, &key, &invoice("09127000002"), None, NOW, |_| {
            (201, String::new())
        })
        .await
        .unwrap();
        assert_eq!(sms::outbox(s, &t, None, 10).await.unwrap().len(), 1);
        assert_eq!(wallet::wallet(s, &t).await.unwrap().balance, 500);

        // About to expire: an edited template, one SMS per member, once.
        wallet::top_up(s, &t, 10_000, "receipt 43", Actor::Staff(1))
            .await
            .unwrap();
        assert!(
            notices::set_template(
                s,
                &t,
                notices::Notice::CreditExpiring,
                Some("{tenant} {nope}")
            )
            .await
            .is_err()
        );
        notices::set_template(
            s,
            &t,
            notices::Notice::CreditExpiring,
            Some("{tenant}: {amount} ریال تا {date}"),
        )
        .await
        .unwrap();
        let c = customers::add(s, &t, "09127000003", None, None)
            .await
            .unwrap();
        for (amount, days) in [(3_000, 3), (4_000, 5), (9_000, 30)] {
            let award = Award {
                kind: EntryKind::Manual,
                amount,
                reason: "gift".into(),
                actor: Actor::Staff(1),
                invoice_id: None,
                spendable_at: NOW,
                expires_at: NOW + days * 86_400,
            };
            ledger::award(s, &t, c.id, &award, NOW).await.unwrap();
        }
        // The two invoices' credit expires in 180 days: not yet.
        assert_eq!(notices::expiring_due(s, NOW).await.unwrap(), 1);
        assert_eq!(
            notices::expiring_due(s, NOW + 60).await.unwrap(),
            0,
            "told once"
        );
        let outbox = sms::outbox(s, &t, None, 10).await.unwrap();
        assert_eq!(outbox[0].purpose, "club_credit_expiring");
        assert!(
            outbox[0].body.contains("۷۰۰۰ ریال تا"),
            "{}",
            outbox[0].body
        );
        assert_eq!(wallet::wallet(s, &t).await.unwrap().balance, 9_500);
        db
    })
    .await;
}
