//! `bench pos`: the POS API under load over real HTTP. Starts the API's router (the one
//! `serve` mounts) on a free loopback port against the configured database, seeds a
//! branch, a key and members with credit, then fires a bounded number of invoices from
//! `--concurrency` clients: each with an `Idempotency-Key`, a share paying part with
//! credit (a second call, `redeem`), a share sent again with the same key (a retry whose
//! reply was "lost"). Reports invoices/s and latency percentiles, then checks the books:
//! every member's balance equals the sum of their ledger entries, lots match their
//! uses, no retried key wrote a second invoice.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use crm::club::{manual, settings};
use crm::ledger::{self, Actor};
use crm::phone::Phone;
use crm::{Store, branches, customers, invoices, pos_keys, tenants::Tenant};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::customers::{Rng, percentile, phone};
use crate::commands::open_tenant;
use crate::config::Config;

const BRANCH: &str = "bench-pos";
/// Credit each seeded member starts with, so redemptions have something to spend.
const START_CREDIT: i64 = 200_000;

pub struct PosBench {
    pub invoices: u64,
    pub concurrency: usize,
    pub members: u64,
    /// Percent of invoices that also pay with credit.
    pub redeem_percent: u64,
    /// Percent of invoices sent a second time with the same key.
    pub retry_percent: u64,
    /// Stop sending after this long, whatever is left.
    pub max_seconds: u64,
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    /// Latency of every request, ms.
    latencies: Vec<f64>,
    created: u64,
    redeemed: u64,
    /// Redemptions refused with 409 (a racing redemption spent the credit first).
    redeem_refused: u64,
    retries: u64,
    /// Retries answered with another invoice than the first attempt's.
    duplicates: u64,
    /// Retries without `Idempotent-Replayed: true`.
    not_replayed: u64,
    errors: u64,
    first_error: Option<String>,
}

struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Client {
    /// POSTs `body`; the status, the JSON answer, whether it was a replay, the time taken.
    async fn post(&self, path: &str, idem: &str, body: &Value) -> Result<(u16, Value, bool, f64)> {
        let started = Instant::now();
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", idem)
            .json(body)
            .send()
            .await?;
        let status = res.status().as_u16();
        let replayed = res
            .headers()
            .get("Idempotent-Replayed")
            .is_some_and(|v| v == "true");
        let answer: Value = res.json().await?;
        Ok((
            status,
            answer,
            replayed,
            started.elapsed().as_secs_f64() * 1000.0,
        ))
    }
}

/// The bench branch with its own formula: credit spendable at once, so this run's
/// invoices can be paid with what earlier ones earned.
async fn prepare_branch(store: &Store, tenant: &Tenant) -> Result<branches::Branch> {
    let branch = match branches::by_name(store, tenant, BRANCH).await {
        Ok(b) => b,
        Err(_) => branches::add(store, tenant, BRANCH).await?,
    };
    let mut s = settings::get(store, tenant, Some(branch.id)).await?;
    s.pending_seconds = 0;
    settings::set(store, tenant, Some(BRANCH), &s).await?;
    Ok(branch)
}

/// Members `0..n` with `START_CREDIT` each (those with a ledger already are kept).
async fn seed_members(store: &Store, tenant: &Tenant, n: u64, now: i64) -> Result<()> {
    let started = Instant::now();
    let mut added = 0;
    for i in 0..n {
        let p = Phone::parse(&phone(i)).expect("seeded phones are valid");
        if let Ok(c) = customers::by_phone(store, tenant, p.e164()).await
            && !ledger::entries(store, tenant, c.id, 1).await?.is_empty()
        {
            continue;
        }
        manual::credit(store, tenant, &p, START_CREDIT, "bench", Actor::System, now).await?;
        added += 1;
    }
    if added > 0 {
        println!(
            "seeded {added} members with {START_CREDIT} rials each in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

impl PosBench {
    pub async fn run(&self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        let branch = prepare_branch(&store, &tenant).await?;
        let members = self.members.max(1);
        let started_at = crm::clock::now();
        seed_members(&store, &tenant, members, started_at).await?;
        let (_, secret) = pos_keys::create(&store, &tenant, BRANCH).await?;

        // Loopback only, a port the system picks.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let router = pos::router(store.clone());
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        let client = Arc::new(Client {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(self.concurrency)
                .timeout(Duration::from_secs(30))
                .build()?,
            base: format!("http://{addr}{}", pos::BASE),
            key: secret.expose().to_string(),
        });
        // Invoices are stamped with the server's clock; count from a second before.
        let since = crm::clock::now() - 1;
        println!(
            "POS API on http://{addr}: {} invoices, {} clients, {members} members, \
             {}% redeeming, {}% retried",
            self.invoices, self.concurrency, self.redeem_percent, self.retry_percent
        );

        let next = Arc::new(AtomicU64::new(0));
        let tally = Arc::new(Mutex::new(Tally::default()));
        let deadline = Instant::now() + Duration::from_secs(self.max_seconds.max(1));
        let run_id = format!("{:x}", crm::clock::now());
        let started = Instant::now();
        let mut workers = Vec::new();
        for w in 0..self.concurrency.max(1) {
            let (client, next, tally, run_id) =
                (client.clone(), next.clone(), tally.clone(), run_id.clone());
            let (total, redeem_pct, retry_pct) =
                (self.invoices, self.redeem_percent, self.retry_percent);
            workers.push(tokio::spawn(async move {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (w as u64 + 1));
                let mut mine = Tally::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total || Instant::now() >= deadline {
                        break;
                    }
                    let redeem = rng_pct(&mut rng, redeem_pct);
                    let retry = rng_pct(&mut rng, retry_pct);
                    let outcome = one_invoice(
                        &client,
                        &mut rng,
                        &format!("bench-{run_id}-{i}"),
                        members,
                        redeem,
                        retry,
                        &mut mine,
                    )
                    .await;
                    if let Err(e) = outcome {
                        mine.errors += 1;
                        mine.first_error.get_or_insert(e.to_string());
                    }
                }
                let mut all = tally.lock().await;
                all.latencies.append(&mut mine.latencies);
                all.created += mine.created;
                all.redeemed += mine.redeemed;
                all.redeem_refused += mine.redeem_refused;
                all.retries += mine.retries;
                all.duplicates += mine.duplicates;
                all.not_replayed += mine.not_replayed;
                all.errors += mine.errors;
                if all.first_error.is_none() {
                    all.first_error = mine.first_error.take();
                }
            }));
        }
        for w in workers {
            w.await?;
        }
        let elapsed = started.elapsed().as_secs_f64();
        server.abort();

        let mut t = std::mem::take(&mut *tally.lock().await);
        t.latencies.sort_by(f64::total_cmp);
        println!(
            "{} invoices in {elapsed:.2} s = {:.0} invoices/s; {} redeemed ({} refused: \
             raced for the same credit), {} retried, {} errors",
            t.created,
            t.created as f64 / elapsed.max(1e-9),
            t.redeemed,
            t.redeem_refused,
            t.retries,
            t.errors
        );
        println!(
            "latency per request (ms, {} requests): p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
            t.latencies.len(),
            percentile(&t.latencies, 0.50),
            percentile(&t.latencies, 0.95),
            percentile(&t.latencies, 0.99),
            t.latencies.last().copied().unwrap_or(0.0)
        );
        if let Some(e) = &t.first_error {
            println!("first error: {e}");
        }
        verify(&store, &tenant, branch.id, since, members, &t).await
    }
}

fn rng_pct(rng: &mut Rng, percent: u64) -> bool {
    rng.below(100) < percent
}

/// One invoice: create, maybe redeem, maybe retry the create with the same key.
async fn one_invoice(
    client: &Client,
    rng: &mut Rng,
    idem: &str,
    members: u64,
    redeem: bool,
    retry: bool,
    tally: &mut Tally,
) -> Result<()> {
    let amount = 100_000 + rng.below(40) as i64 * 50_000;
    let body = json!({
        "phone": phone(rng.below(members)),
        "amount": amount,
        "items": [{"name": "latte", "category": "drinks", "qty": 1, "unit_price": amount}],
    });
    let (status, answer, _, ms) = client.post("/invoices", idem, &body).await?;
    tally.latencies.push(ms);
    if status != 201 {
        bail!("invoice answered {status}: {answer}");
    }
    tally.created += 1;
    let id = answer["invoice"]["id"].as_i64().context("invoice id")?;
    if retry {
        let (status, again, replayed, ms) = client.post("/invoices", idem, &body).await?;
        tally.latencies.push(ms);
        tally.retries += 1;
        if status != 201 || again["invoice"]["id"].as_i64() != Some(id) {
            tally.duplicates += 1;
        }
        if !replayed {
            tally.not_replayed += 1;
        }
    }
    if redeem {
        let spendable = answer["balance"]["spendable"].as_i64().unwrap_or(0);
        // Within the default share payable with credit (half the invoice).
        let take = spendable.min(amount / 4);
        if take > 0 {
            let (status, answer, _, ms) = client
                .post(
                    &format!("/invoices/{id}/redeem"),
                    &format!("{idem}-r"),
                    &json!({ "amount": take }),
                )
                .await?;
            tally.latencies.push(ms);
            match status {
                200 => tally.redeemed += 1,
                409 => tally.redeem_refused += 1,
                _ => bail!("redeem answered {status}: {answer}"),
            }
        }
    }
    Ok(())
}

/// The books after the run; an error if any check fails.
async fn verify(
    store: &Store,
    tenant: &Tenant,
    branch_id: i64,
    since: i64,
    members: u64,
    t: &Tally,
) -> Result<()> {
    let stored = invoices::count_at_branch(store, branch_id, since).await?;
    let now = crm::clock::now();
    let mut broken = Vec::new();
    let mut credit = 0;
    for i in 0..members {
        let Ok(c) = customers::by_phone(store, tenant, &phone(i)).await else {
            continue;
        };
        let audit = ledger::audit(store, tenant, c.id).await?;
        let balance = ledger::balance(store, tenant, c.id, now).await?;
        credit += audit.entries_total;
        if audit.entries_total != balance.spendable + balance.pending
            || audit.entries_total != audit.lots_remaining
            || audit.lot_use_mismatch != 0
            || audit.negative_lots != 0
        {
            broken.push(format!("{}: {audit:?} {balance:?}", c.phone));
        }
    }
    println!(
        "check: {stored} invoices stored for {} created ({} retried keys, {} answered with \
         another invoice, {} not marked replayed); {members} members, {credit} rials of \
         credit, balance = sum of entries = lots left for {} of them",
        t.created,
        t.retries,
        t.duplicates,
        t.not_replayed,
        members as usize - broken.len()
    );
    if stored as u64 != t.created || t.duplicates > 0 || t.not_replayed > 0 || !broken.is_empty() {
        bail!(
            "the books do not add up: {} members off, e.g. {:?}",
            broken.len(),
            broken.first()
        );
    }
    if t.errors > 0 {
        bail!("{} requests failed", t.errors);
    }
    println!("check: OK");
    Ok(())
}
