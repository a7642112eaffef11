//! The credit ledger against a model, with random operation sequences (proptest), on
//! SQLite and PostgreSQL: balance = Σ entries, never negative, earliest-expiring lots
//! spent first, expiry writes what was left, reversal of an invoice is exact.

use std::sync::atomic::{AtomicU64, Ordering};

use crm::ledger::{self, Actor, Award, Balance, EntryKind};
use crm::tenants::{self, Tenant};
use crm::testing::TestDb;
use crm::{Error, Store, customers};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const T0: i64 = 1_800_000_000;
const TICK: i64 = 1_000;

#[derive(Debug, Clone)]
enum Op {
    Award {
        amount: i64,
        pending: i64,
        expiry: i64,
    },
    Redeem(i64),
    Advance(i64),
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1..10_000i64, 0..5i64, 1..40i64).prop_map(|(amount, pending, expiry)| Op::Award {
            amount,
            pending,
            expiry: pending + expiry,
        }),
        3 => (1..12_000i64).prop_map(Op::Redeem),
        2 => (1..15i64).prop_map(Op::Advance),
        1 => Just(Op::Expire),
    ]
}

/// What the ledger should hold: lots in creation order.
#[derive(Debug, Clone, Copy)]
struct ModelLot {
    remaining: i64,
    spendable_at: i64,
    expires_at: i64,
}

fn model_balance(lots: &[ModelLot], now: i64) -> (i64, i64) {
    let live = lots.iter().filter(|l| l.expires_at > now);
    let spendable = live
        .clone()
        .filter(|l| l.spendable_at <= now)
        .map(|l| l.remaining)
        .sum();
    let pending = live
        .filter(|l| l.spendable_at > now)
        .map(|l| l.remaining)
        .sum();
    (spendable, pending)
}

/// Earliest-expiring first; equal expiry in creation order (like the ledger's lot ids).
fn model_redeem(lots: &mut [ModelLot], now: i64, amount: i64) {
    let mut order: Vec<usize> = (0..lots.len())
        .filter(|&i| lots[i].expires_at > now && lots[i].spendable_at <= now)
        .collect();
    order.sort_by_key(|&i| (lots[i].expires_at, i));
    let mut left = amount;
    for i in order {
        let take = left.min(lots[i].remaining);
        lots[i].remaining -= take;
        left -= take;
    }
    assert_eq!(left, 0);
}

fn new_customer(rt: &tokio::runtime::Runtime, store: &Store, tenant: &Tenant) -> i64 {
    static N: AtomicU64 = AtomicU64::new(0);
    let phone = format!("0912{:07}", N.fetch_add(1, Ordering::Relaxed));
    rt.block_on(customers::add(store, tenant, &phone, None, None))
        .unwrap()
        .id
}

fn award(
    kind: EntryKind,
    amount: i64,
    now: i64,
    pending: i64,
    expiry: i64,
    invoice: Option<i64>,
) -> Award {
    Award {
        kind,
        amount,
        reason: "test".into(),
        actor: Actor::Staff(1),
        invoice_id: invoice,
        spendable_at: now + pending * TICK,
        expires_at: now + expiry * TICK,
    }
}

fn check_identity(rt: &tokio::runtime::Runtime, store: &Store, tenant: &Tenant, customer: i64) {
    let audit = rt.block_on(ledger::audit(store, tenant, customer)).unwrap();
    assert_eq!(
        audit.entries_total, audit.lots_remaining,
        "Σ entries = Σ lots: {audit:?}"
    );
    assert_eq!(audit.lot_use_mismatch, 0, "{audit:?}");
    assert_eq!(audit.negative_lots, 0, "{audit:?}");
}

fn run_model(rt: &tokio::runtime::Runtime, store: &Store, tenant: &Tenant, ops: &[Op]) {
    // The expiry job sees every member: expire what earlier cases left, so the count it
    // returns below is this member's.
    rt.block_on(ledger::expire_due(store, i64::MAX / 4))
        .unwrap();
    let customer = new_customer(rt, store, tenant);
    let mut now = T0;
    let mut lots: Vec<ModelLot> = Vec::new();
    for op in ops {
        match *op {
            Op::Award {
                amount,
                pending,
                expiry,
            } => {
                let a = award(EntryKind::Manual, amount, now, pending, expiry, None);
                rt.block_on(ledger::award(store, tenant, customer, &a, now))
                    .unwrap();
                lots.push(ModelLot {
                    remaining: amount,
                    spendable_at: a.spendable_at,
                    expires_at: a.expires_at,
                });
            }
            Op::Redeem(amount) => {
                let (spendable, _) = model_balance(&lots, now);
                let got = rt.block_on(ledger::redeem(
                    store,
                    tenant,
                    customer,
                    amount,
                    "test",
                    Actor::PosKey(1),
                    None,
                    now,
                ));
                if amount > spendable {
                    assert!(matches!(got, Err(Error::Conflict(_))), "{got:?}");
                } else {
                    got.unwrap();
                    model_redeem(&mut lots, now, amount);
                }
            }
            Op::Advance(ticks) => now += ticks * TICK,
            Op::Expire => {
                let due = lots
                    .iter()
                    .filter(|l| l.expires_at <= now && l.remaining > 0)
                    .count();
                let n = rt.block_on(ledger::expire_due(store, now)).unwrap();
                assert_eq!(n as usize, due, "one expire entry per lot with credit left");
                for l in lots.iter_mut().filter(|l| l.expires_at <= now) {
                    l.remaining = 0;
                }
            }
        }
        let b = rt
            .block_on(ledger::balance(store, tenant, customer, now))
            .unwrap();
        let (spendable, pending) = model_balance(&lots, now);
        assert_eq!(
            (b.spendable, b.pending),
            (spendable, pending),
            "after {op:?}"
        );
        assert!(b.spendable >= 0 && b.pending >= 0);
        check_identity(rt, store, tenant, customer);
    }
    // FIFO in detail: every lot holds what the model says.
    let stored = rt.block_on(ledger::lots(store, tenant, customer)).unwrap();
    let mut want: Vec<(i64, i64)> = lots.iter().map(|l| (l.expires_at, l.remaining)).collect();
    let mut have: Vec<(i64, i64)> = stored.iter().map(|l| (l.expires_at, l.remaining)).collect();
    want.sort();
    have.sort();
    // Expired lots nobody ran the job for still hold credit in the table; compare the
    // live ones, which is what spending and balances see.
    let live = |v: Vec<(i64, i64)>| v.into_iter().filter(|(e, _)| *e > now).collect::<Vec<_>>();
    assert_eq!(live(have), live(want), "lots spent earliest-expiring first");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn databases(rt: &tokio::runtime::Runtime) -> Vec<(TestDb, Tenant)> {
    rt.block_on(async {
        let mut out = Vec::new();
        for db in crm::testing::both().await {
            let t = tenants::ensure_default(&db.store).await.unwrap();
            out.push((db, t));
        }
        out
    })
}

#[test]
fn ledger_matches_the_model_on_both_backends() {
    let rt = runtime();
    for (db, tenant) in databases(&rt) {
        eprintln!("-- backend: {}", db.label());
        let mut runner = TestRunner::new(Config {
            cases: 48,
            ..Config::default()
        });
        runner
            .run(&prop::collection::vec(op(), 1..25), |ops| {
                run_model(&rt, &db.store, &tenant, &ops);
                Ok(())
            })
            .unwrap();
        rt.block_on(db.cleanup());
    }
}

/// Reversal is exact: with no other spending in between, cancelling an invoice leaves
/// the member with exactly the credit they had before it.
struct Purchase {
    /// Credit held before: (amount, expiry in ticks).
    prior: Vec<(i64, i64)>,
    earn: i64,
    pending: i64,
    /// Percent of the spendable credit paid on the invoice.
    redeem_share: i64,
    invoice: i64,
}

fn run_reversal(rt: &tokio::runtime::Runtime, store: &Store, tenant: &Tenant, p: &Purchase) {
    let Purchase {
        prior,
        earn,
        pending,
        redeem_share,
        invoice,
    } = p;
    let (earn, pending, invoice) = (*earn, *pending, *invoice);
    let customer = new_customer(rt, store, tenant);
    let now = T0;
    for &(amount, expiry) in prior {
        let a = award(EntryKind::Coupon, amount, now, 0, expiry, None);
        rt.block_on(ledger::award(store, tenant, customer, &a, now))
            .unwrap();
    }
    let before = rt
        .block_on(ledger::balance(store, tenant, customer, now))
        .unwrap();
    let redeem = before.spendable * redeem_share / 100;
    if redeem > 0 {
        rt.block_on(ledger::redeem(
            store,
            tenant,
            customer,
            redeem,
            "paid",
            Actor::PosKey(1),
            Some(invoice),
            now,
        ))
        .unwrap();
    }
    if earn > 0 {
        let a = award(EntryKind::Earn, earn, now, pending, 100, Some(invoice));
        rt.block_on(ledger::award(store, tenant, customer, &a, now))
            .unwrap();
    }
    let later = now + TICK / 2;
    let r = rt
        .block_on(ledger::reverse_invoice(
            store,
            tenant,
            customer,
            invoice,
            Actor::Staff(2),
            later,
        ))
        .unwrap();
    assert_eq!(r.refunded, redeem);
    assert_eq!(r.clawed_back, earn);
    assert_eq!(r.unrecovered, 0);
    let after = rt
        .block_on(ledger::balance(store, tenant, customer, later))
        .unwrap();
    assert_eq!(
        after.spendable + after.pending,
        before.spendable + before.pending,
        "cancel restores the credit exactly"
    );
    assert_eq!(
        after.pending, 0,
        "the earned credit is gone, refunded credit is spendable"
    );
    check_identity(rt, store, tenant, customer);
    // Refunded credit keeps the expiry of the lots it was paid from.
    let expiries = |b: &Balance| b.next_expiry.map(|(at, _)| at);
    if redeem > 0 {
        assert_eq!(expiries(&after), expiries(&before));
    }
    let again = rt.block_on(ledger::reverse_invoice(
        store,
        tenant,
        customer,
        invoice,
        Actor::Staff(2),
        later,
    ));
    assert!(
        matches!(again, Err(Error::Conflict(_))),
        "reversed once only"
    );
}

#[test]
fn reversal_is_exact_on_both_backends() {
    let rt = runtime();
    for (db, tenant) in databases(&rt) {
        eprintln!("-- backend: {}", db.label());
        let mut runner = TestRunner::new(Config {
            cases: 32,
            ..Config::default()
        });
        let invoice = AtomicU64::new(1);
        let strategy = (
            prop::collection::vec((1..5_000i64, 1..20i64), 0..5),
            0..3_000i64,
            0..3i64,
            0..=100i64,
        );
        runner
            .run(&strategy, |(prior, earn, pending, share)| {
                let id = invoice.fetch_add(1, Ordering::Relaxed) as i64;
                let purchase = Purchase {
                    prior,
                    earn,
                    pending,
                    redeem_share: share,
                    invoice: id,
                };
                run_reversal(&rt, &db.store, &tenant, &purchase);
                Ok(())
            })
            .unwrap();
        rt.block_on(db.cleanup());
    }
}

#[tokio::test]
async fn spent_earned_credit_is_reported_not_recovered() {
    crm::testing::on_both(|db| async move {
        let t = tenants::ensure_default(&db.store).await.unwrap();
        let c = customers::add(&db.store, &t, "09351112233", None, None)
            .await
            .unwrap()
            .id;
        let now = T0;
        let a = award(EntryKind::Earn, 1_000, now, 0, 10, Some(77));
        ledger::award(&db.store, &t, c, &a, now).await.unwrap();
        ledger::redeem(
            &db.store,
            &t,
            c,
            700,
            "coffee",
            Actor::PosKey(1),
            Some(78),
            now,
        )
        .await
        .unwrap();
        let r = ledger::reverse_invoice(&db.store, &t, c, 77, Actor::System, now)
            .await
            .unwrap();
        assert_eq!((r.refunded, r.clawed_back, r.unrecovered), (0, 300, 700));
        let b = ledger::balance(&db.store, &t, c, now).await.unwrap();
        assert_eq!(b.spendable, 0, "never negative");
        let entries = ledger::entries(&db.store, &t, c, 10).await.unwrap();
        assert!(
            entries[0].reason.contains("700 already spent"),
            "{:?}",
            entries[0]
        );
        assert_eq!(entries[0].actor, "system");

        // Awards must be positive and expire after they become spendable.
        let bad = award(EntryKind::Manual, 0, now, 0, 10, None);
        assert!(matches!(
            ledger::award(&db.store, &t, c, &bad, now).await,
            Err(Error::Invalid(_))
        ));
        let bad = award(EntryKind::Manual, 5, now, 3, 3, None);
        assert!(ledger::award(&db.store, &t, c, &bad, now).await.is_err());
        let bad = award(EntryKind::Redeem, 5, now, 0, 3, None);
        assert!(ledger::award(&db.store, &t, c, &bad, now).await.is_err());
        db
    })
    .await;
}

/// Concurrent redemptions never spend the same credit twice (member lock + conditional
/// lot updates), on both back ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_spend_each_rial_once() {
    on_both_backends(|store, tenant| async move {
        let c = customers::add(&store, &tenant, "09359990000", None, None)
            .await
            .unwrap()
            .id;
        for _ in 0..5 {
            let a = award(EntryKind::Manual, 100, T0, 0, 10, None);
            ledger::award(&store, &tenant, c, &a, T0).await.unwrap();
        }
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (store, tenant) = (store.clone(), tenant.clone());
                tokio::spawn(async move {
                    ledger::redeem(&store, &tenant, c, 100, "race", Actor::PosKey(1), None, T0)
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(Error::Conflict(_)) => {}
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!(ok, 5, "exactly the credit there was");
        let b = ledger::balance(&store, &tenant, c, T0).await.unwrap();
        assert_eq!(b.spendable, 0);
        let audit = ledger::audit(&store, &tenant, c).await.unwrap();
        assert_eq!(
            (
                audit.entries_total,
                audit.lots_remaining,
                audit.lot_use_mismatch
            ),
            (0, 0, 0)
        );
    })
    .await;
}

async fn on_both_backends<F, Fut>(test: F)
where
    F: Fn(Store, Tenant) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in crm::testing::both().await {
        eprintln!("-- backend: {}", db.label());
        let t = tenants::ensure_default(&db.store).await.unwrap();
        test(db.store.clone(), t).await;
        db.cleanup().await;
    }
}
