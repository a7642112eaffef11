//! `bench customers`: seeds a tenant with many customers (in batches) and measures the
//! panel's customer list and search (`crm::customers::page`) on them.

use std::time::Instant;

use anyhow::Result;
use crm::customers::{self, NewCustomer, PageQuery};
use crm::phone::Phone;
use crm::tenants::Tenant;

use crate::commands::open_tenant;
use crate::config::Config;

pub(super) const FIRST: [&str; 12] = [
    "علی",
    "محمد",
    "زهرا",
    "فاطمه",
    "رضا",
    "مریم",
    "حسین",
    "سارا",
    "امیر",
    "نرگس",
    "Sara",
    "Omid",
];
const LAST: [&str; 8] = [
    "رضایی",
    "احمدی",
    "کریمی",
    "حسینی",
    "محمدی",
    "Karimi",
    "Moradi",
    "جعفری",
];

/// Makes one query of a kind.
type MakeQuery<'a> = Box<dyn Fn(&mut Rng) -> PageQuery + 'a>;

/// A small deterministic generator: runs are comparable.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The i-th seeded phone: distinct for every i below 10^9 (multiplying by a number
/// coprime to 10^9 permutes the residues), spread over all 09xx prefixes.
pub(super) fn phone(i: u64) -> String {
    format!("+989{:09}", (i * 387_420_489 + 12_345) % 1_000_000_000)
}

pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Seeds the tenant up to `count` customers, `batch` per transaction (what is there
/// counts); shared with `bench members`.
pub(super) async fn seed(
    store: &crm::Store,
    tenant: &Tenant,
    count: u64,
    batch: usize,
) -> Result<()> {
    let mut have = customers::count(store, tenant).await? as u64;
    let now = crm::clock::now();
    let started = Instant::now();
    let mut rng = Rng(0x5eed_cafe);
    let mut i = have;
    while have < count {
        let n = (count - have).min(batch as u64);
        let rows: Vec<NewCustomer> = (i..i + n)
            .map(|k| NewCustomer {
                phone: Phone::parse(&phone(k)).expect("seeded phones are valid"),
                name: (k % 5 != 0).then(|| {
                    format!(
                        "{} {}",
                        FIRST[rng.below(FIRST.len() as u64) as usize],
                        LAST[rng.below(LAST.len() as u64) as usize]
                    )
                }),
                created_at: now - rng.below(365 * 86_400) as i64,
            })
            .collect();
        have += customers::insert_many(store, tenant, &rows).await?;
        i += n;
        if i % (batch as u64 * 20) == 0 {
            println!("seeded {have} customers");
        }
    }
    if started.elapsed().as_secs() > 0 {
        println!(
            "seeding took {:.1} s; {have} customers in tenant {}",
            started.elapsed().as_secs_f64(),
            tenant.name
        );
    }
    Ok(())
}

pub async fn run(config: &Config, count: u64, batch: usize, queries: usize) -> Result<()> {
    let (store, tenant) = open_tenant(config).await?;
    seed(&store, &tenant, count, batch).await?;
    let mut rng = Rng(0x5eed_cafe);
    let newest = customers::page(
        &store,
        &tenant,
        &PageQuery {
            limit: 1,
            ..Default::default()
        },
    )
    .await?
    .customers
    .first()
    .map_or(1, |c| c.id);
    let kinds: [(&str, MakeQuery); 5] = [
        ("first page", Box::new(|_| PageQuery::default())),
        (
            "deep page (keyset)",
            Box::new(move |r| PageQuery {
                after: Some((1 + r.below(newest as u64) as i64).to_string()),
                ..Default::default()
            }),
        ),
        (
            "phone prefix (4-7 digits)",
            Box::new(|r| {
                let digits = phone(r.below(count));
                let len = 4 + r.below(4) as usize;
                PageQuery {
                    search: Some(format!("0{}", &digits[3..3 + len - 1])),
                    ..Default::default()
                }
            }),
        ),
        (
            "full phone",
            Box::new(|r| PageQuery {
                search: Some(phone(r.below(count))),
                ..Default::default()
            }),
        ),
        (
            "name prefix",
            Box::new(|r| {
                let name = FIRST[r.below(FIRST.len() as u64) as usize];
                PageQuery {
                    search: Some(name.chars().take(2).collect()),
                    ..Default::default()
                }
            }),
        ),
    ];
    let mut table = Timings::new(queries);
    for (label, make) in &kinds {
        table
            .row(label, &mut rng, make, async |mut query: PageQuery| {
                query.limit = 50;
                let page = customers::page(&store, &tenant, &query).await?;
                Ok(page.customers.len())
            })
            .await?;
    }
    Ok(())
}

/// The table both list benches print: per kind of query, `queries` runs timed.
pub(super) struct Timings {
    queries: usize,
}

impl Timings {
    pub(super) fn new(queries: usize) -> Timings {
        println!(
            "{:<28} {:>8} {:>8} {:>8} {:>8} {:>6}   (ms, {queries} queries of 50 rows each)",
            "query", "p50", "p95", "p99", "max", "rows"
        );
        Timings { queries }
    }

    /// Runs `run` on `queries` queries from `make` and prints p50/p95/p99/max and the
    /// rows a page on average.
    pub(super) async fn row<Q>(
        &mut self,
        label: &str,
        rng: &mut Rng,
        make: impl Fn(&mut Rng) -> Q,
        run: impl AsyncFn(Q) -> Result<usize>,
    ) -> Result<()> {
        let mut times = Vec::with_capacity(self.queries);
        let mut rows = 0;
        for _ in 0..self.queries {
            let query = make(rng);
            let t = Instant::now();
            rows += run(query).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{label:<28} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>6}",
            percentile(&times, 0.50),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0),
            rows / self.queries.max(1)
        );
        Ok(())
    }
}
