//! Coupon batches on SQLite and PostgreSQL: codes and phone lists, credit and discount,
//! validity, usage limits, the batch report.

use crm::coupons::{self, CouponKind, CouponUse, NewBatch, Recipients};
use crm::invoices::{self, NewInvoice};
use crm::pos_keys::PosKey;
use crm::testing::on_both;
use crm::{Error, Store, branches, pos_keys, tenants};

const NOW: i64 = 1_800_000_000;

async fn use_coupon(
    store: &Store,
    key: &PosKey,
    code: &str,
    phone: &str,
    invoice: Option<i64>,
) -> Result<CouponUse, Error> {
    let mut seen = None;
    coupons::redeem(store, key, code, phone, invoice, None, NOW, |u| {
        seen = Some(u.clone());
        (200, String::new())
    })
    .await?;
    Ok(seen.unwrap())
}

fn batch(
    name: &str,
    kind: CouponKind,
    value: i64,
    max_uses: i64,
    recipients: Recipients,
) -> NewBatch {
    NewBatch {
        name: name.into(),
        kind,
        value,
        valid_from: None,
        valid_until: Some(NOW + 86_400),
        max_uses,
        recipients,
    }
}

#[tokio::test]
async fn coupons_credit_discount_and_respect_their_limits() {
    on_both(|db| async move {
        let s = &db.store;
        let t = tenants::ensure_default(s).await.unwrap();
        branches::add(s, &t, "Center").await.unwrap();
        let (key, _) = pos_keys::create(s, &t, "Center").await.unwrap();

        let (_, codes) = coupons::create(
            s,
            &t,
            &batch(
                "launch",
                CouponKind::Credit,
                50_000,
                2,
                Recipients::Codes(3),
            ),
        )
        .await
        .unwrap();
        assert_eq!(codes.len(), 3);
        let code = codes[0].code.to_lowercase(); // typed at the till in any case
        let a = use_coupon(s, &key, &code, "09123000001", None)
            .await
            .unwrap();
        assert_eq!(
            (a.kind, a.amount, a.balance.spendable),
            (CouponKind::Credit, 50_000, 50_000)
        );
        let again = use_coupon(s, &key, &code, "09123000001", None).await;
        assert!(
            matches!(&again, Err(Error::Conflict(m)) if m.contains("already used by this phone")),
            "{again:?}"
        );
        use_coupon(s, &key, &code, "09123000002", None)
            .await
            .unwrap();
        let third = use_coupon(s, &key, &code, "09123000003", None).await;
        assert!(
            matches!(&third, Err(Error::Conflict(m)) if m.contains("used up")),
            "{third:?}"
        );
        assert!(matches!(
            use_coupon(s, &key, "NOPE", "09123000003", None).await,
            Err(Error::NotFound(_))
        ));

        // A phone list: each code is its phone's only; a discount needs an invoice.
        let (_, list) = coupons::create(
            s,
            &t,
            &batch(
                "partner staff",
                CouponKind::Discount,
                30_000,
                1,
                Recipients::Phones(vec![
                    "09124000001".into(),
                    "+989124000001".into(),
                    "09124000002".into(),
                ]),
            ),
        )
        .await
        .unwrap();
        assert_eq!(list.len(), 2, "the same phone twice gets one code");
        let mine = list
            .iter()
            .find(|c| c.phone.as_deref() == Some("+989124000001"))
            .unwrap();
        let other = use_coupon(s, &key, &mine.code, "09124000002", None).await;
        assert!(
            matches!(&other, Err(Error::Conflict(m)) if m.contains("another phone")),
            "{other:?}"
        );
        assert!(matches!(
            use_coupon(s, &key, &mine.code, "09124000001", None).await,
            Err(Error::Invalid(_))
        ));
        let mut invoice = 0;
        let new = NewInvoice {
            phone: "09124000001".into(),
            amount: 20_000,
            items: vec![],
            reservation_id: None,
            pos_transaction_id: None,
            staff: None,
        };
        invoices::create(s, &key, &new, None, NOW, |r| {
            invoice = r.invoice.id;
            (201, String::new())
        })
        .await
        .unwrap();
        let d = use_coupon(s, &key, &mine.code, "09124000001", Some(invoice))
            .await
            .unwrap();
        assert_eq!(
            (d.kind, d.amount),
            (CouponKind::Discount, 20_000),
            "never more than the invoice"
        );

        // A percent coupon: 15 % of the invoice.
        let (_, pct) = coupons::create(
            s,
            &t,
            &batch(
                "autumn",
                CouponKind::Percent,
                1_500,
                1,
                Recipients::Codes(1),
            ),
        )
        .await
        .unwrap();
        let p = use_coupon(s, &key, &pct[0].code, "09124000001", Some(invoice))
            .await
            .unwrap();
        assert_eq!((p.kind, p.amount), (CouponKind::Percent, 3_000));
        assert!(
            coupons::create(
                s,
                &t,
                &batch(
                    "too much",
                    CouponKind::Percent,
                    10_001,
                    1,
                    Recipients::Codes(1)
                )
            )
            .await
            .is_err()
        );

        // Expired batches refuse; bad batches are refused up front.
        let mut old = batch("old", CouponKind::Credit, 1_000, 1, Recipients::Codes(1));
        old.valid_until = Some(NOW - 1);
        let (_, old_codes) = coupons::create(s, &t, &old).await.unwrap();
        let late = use_coupon(s, &key, &old_codes[0].code, "09123000001", None).await;
        assert!(
            matches!(&late, Err(Error::Conflict(m)) if m.contains("expired")),
            "{late:?}"
        );
        assert!(
            coupons::create(
                s,
                &t,
                &batch("launch", CouponKind::Credit, 1, 1, Recipients::Codes(1))
            )
            .await
            .is_err()
        );
        assert!(
            coupons::create(
                s,
                &t,
                &batch("zero", CouponKind::Credit, 0, 1, Recipients::Codes(1))
            )
            .await
            .is_err()
        );
        assert!(
            coupons::create(
                s,
                &t,
                &batch(
                    "bad",
                    CouponKind::Credit,
                    1,
                    1,
                    Recipients::Phones(vec!["123".into()])
                )
            )
            .await
            .is_err()
        );

        let report = coupons::report(s, &t).await.unwrap();
        let launch = report.iter().find(|b| b.name == "launch").unwrap();
        assert_eq!(
            (launch.codes, launch.redemptions, launch.amount),
            (3, 2, 100_000)
        );
        let partner = report.iter().find(|b| b.name == "partner staff").unwrap();
        assert_eq!(
            (partner.codes, partner.redemptions, partner.amount),
            (2, 1, 20_000)
        );
        db
    })
    .await;
}
