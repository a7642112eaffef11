//! `bench members`: seeds a tenant with many club members (customers, invoices, credit
//! lots, a few fraud flags and opt-outs) and measures the panel's member list
//! (`crm::club::members::page`): first page, deep keyset pages, phone and name search,
//! the tier and standing filters.

use std::time::Instant;

use anyhow::Result;
use crm::club::formula::{Tier, TierMetric};
use crm::club::members::{self, MemberQuery, Standing, TierFilter};
use crm::club::settings;
use crm::{Store, branches, tenants::Tenant};

use super::customers::{FIRST, Rng, Timings, phone, seed};
use crate::commands::open_tenant;
use crate::config::Config;

/// Makes one query of a kind.
type MakeQuery<'a> = Box<dyn Fn(&mut Rng) -> MemberQuery + 'a>;

/// Tiers by spend, so the seeded invoices spread members over them.
async fn bench_tiers(store: &Store, tenant: &Tenant) -> Result<()> {
    let mut s = settings::get(store, tenant, None).await?;
    if !s.tiers.tiers.is_empty() {
        return Ok(());
    }
    s.tiers.metric = TierMetric::Spend;
    s.tiers.tiers = [
        ("bronze", 0, 10_000),
        ("silver", 1_500_000, 12_000),
        ("gold", 3_000_000, 15_000),
    ]
    .into_iter()
    .map(|(name, threshold, multiplier_bp)| Tier {
        name: name.to_string(),
        threshold,
        multiplier_bp,
        group: None,
    })
    .collect();
    settings::set(store, tenant, None, &s).await?;
    Ok(())
}

pub async fn run(config: &Config, count: u64, batch: usize, queries: usize) -> Result<()> {
    let (store, tenant) = open_tenant(config).await?;
    seed(&store, &tenant, count, batch).await?;
    let branch = match branches::by_name(&store, &tenant, "bench").await {
        Ok(b) => b,
        Err(_) => branches::add(&store, &tenant, "bench").await?,
    };
    bench_tiers(&store, &tenant).await?;
    let now = crm::clock::now();
    let started = Instant::now();
    let invoices = members::seed_bench(&store, &tenant, branch.id, now).await?;
    if invoices > 0 {
        println!(
            "seeded {invoices} invoices with their credit in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let newest = members::page(
        &store,
        &tenant,
        &MemberQuery {
            limit: 1,
            ..Default::default()
        },
        now,
    )
    .await?
    .members
    .first()
    .map_or(1, |m| m.customer_id);
    let kinds: [(&str, MakeQuery); 8] = [
        ("first page", Box::new(|_| MemberQuery::default())),
        (
            "deep page (keyset)",
            Box::new(move |r| MemberQuery {
                after: Some((1 + r.below(newest as u64) as i64).to_string()),
                ..Default::default()
            }),
        ),
        (
            "phone prefix (4-7 digits)",
            Box::new(|r| {
                let digits = phone(r.below(count));
                let len = 4 + r.below(4) as usize;
                MemberQuery {
                    search: format!("0{}", &digits[3..3 + len - 1]),
                    ..Default::default()
                }
            }),
        ),
        (
            "name prefix",
            Box::new(|r| MemberQuery {
                search: FIRST[r.below(FIRST.len() as u64) as usize]
                    .chars()
                    .take(2)
                    .collect(),
                ..Default::default()
            }),
        ),
        (
            "tier gold",
            Box::new(|_| MemberQuery {
                tier: TierFilter::Named("gold".into()),
                ..Default::default()
            }),
        ),
        (
            "tier gold, deep page",
            Box::new(move |r| MemberQuery {
                tier: TierFilter::Named("gold".into()),
                after: Some((1 + r.below(newest as u64) as i64).to_string()),
                ..Default::default()
            }),
        ),
        (
            "fraud flagged",
            Box::new(|_| MemberQuery {
                standing: Standing::Flagged,
                ..Default::default()
            }),
        ),
        (
            "opted out",
            Box::new(|_| MemberQuery {
                standing: Standing::OptedOut,
                ..Default::default()
            }),
        ),
    ];
    let mut rng = Rng(0x5eed_cafe);
    let mut table = Timings::new(queries);
    for (label, make) in &kinds {
        table
            .row(label, &mut rng, make, async |mut query: MemberQuery| {
                query.limit = 50;
                let page = members::page(&store, &tenant, &query, now).await?;
                Ok(page.members.len())
            })
            .await?;
    }
    Ok(())
}
