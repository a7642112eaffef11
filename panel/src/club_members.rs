//! The club's members: search by phone or name, filters by tier and standing, keyset
//! pages (`crm::club::members`), each row linked to the member's ledger; the filtered
//! list as CSV, streamed a page at a time, for people who may export customers.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use crm::club::members::{self, Member, MemberQuery, Standing, TierFilter};
use crm::club::settings;
use crm::customers_csv;
use crm::jalali::JalaliDate;
use crm::roles::Permission;
use serde::Deserialize;

use crate::club::rials;
use crate::customers_csv::paged_download;
use crate::guard::{Ctx, Fail, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

const PAGE_SIZE: i64 = 50;
/// The export walks the list by keyset pages of this size.
const EXPORT_PAGE: i64 = 200;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    after: String,
}

impl ListQuery {
    fn query(&self, limit: i64) -> MemberQuery {
        MemberQuery {
            search: self.q.clone(),
            tier: TierFilter::parse(&self.tier),
            standing: Standing::parse(&self.status),
            after: Some(self.after.clone()),
            limit,
        }
    }

    /// The filters as a query string (without `after`).
    fn filters(&self) -> String {
        serde_urlencoded::to_string([
            ("q", self.q.as_str()),
            ("tier", self.tier.as_str()),
            ("status", Standing::parse(&self.status).as_str()),
        ])
        .unwrap_or_default()
    }
}

pub struct Row {
    href: String,
    phone: String,
    name: String,
    tier: String,
    spendable: String,
    pending: Option<String>,
    earned: String,
    purchases: String,
    visits: String,
    last_purchase: String,
    /// Badge text and whether it is the bad kind.
    badges: Vec<(&'static str, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "club_members.html")]
struct ListPage {
    f: Frame,
    q: String,
    /// (value, label, selected)
    tiers: Vec<(String, String, bool)>,
    standings: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: String,
    paged: bool,
    /// A tier filter read its budget without filling the page.
    short: bool,
    can_export: bool,
    export_href: String,
}

/// `GET /panel/club/members?q=&tier=&status=&after=`.
pub async fn list(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(&ctx);
    let now = crm::clock::now();
    let page = members::page(&state.store, &ctx.tenant, &query.query(PAGE_SIZE), now).await?;
    let rows: Vec<Row> = page
        .members
        .iter()
        .map(|m| Row {
            href: format!("{BASE}/customers/{}/ledger", m.customer_id),
            phone: locale.digits(&view::national(&m.phone)),
            name: m.name.clone().unwrap_or_default(),
            tier: m.tier.clone().unwrap_or_default(),
            spendable: rials(locale, m.spendable),
            pending: (m.pending > 0)
                .then(|| format!("+{} {}", view::num(locale, m.pending), t.pending_word)),
            earned: rials(locale, m.earned),
            purchases: view::num(locale, m.purchases),
            visits: view::num(locale, m.visits),
            last_purchase: m
                .last_purchase_at
                .map(|at| view::day(locale, zone.day_key(at)))
                .unwrap_or_default(),
            badges: [
                (m.flag.as_deref() == Some("blocked")).then_some((t.flag_blocked, true)),
                (m.flag.as_deref() == Some("flagged")).then_some((t.flag_flagged, true)),
                m.opted_out.then_some((t.opted_out_badge, false)),
            ]
            .into_iter()
            .flatten()
            .collect(),
        })
        .collect();
    let tier_rules = settings::get(&state.store, &ctx.tenant, None).await?.tiers;
    let mut tiers = vec![
        (String::new(), t.tier_any.to_string(), query.tier.is_empty()),
        ("-".to_string(), t.tier_none.to_string(), query.tier == "-"),
    ];
    tiers.extend(tier_rules.tiers.iter().map(|tier| {
        (
            tier.name.clone(),
            tier.name.clone(),
            query.tier == tier.name,
        )
    }));
    let standing = Standing::parse(&query.status);
    let standings = [
        (Standing::All, t.standing_all),
        (Standing::Flagged, t.standing_flagged),
        (Standing::Blocked, t.flag_blocked),
        (Standing::OptedOut, t.standing_opted_out),
    ]
    .into_iter()
    .map(|(s, label)| (s.as_str(), label, s == standing))
    .collect();
    let filters = query.filters();
    let next_href = page.next.as_ref().map(|next| {
        let after = serde_urlencoded::to_string([("after", next)]).unwrap_or_default();
        format!("{BASE}/club/members?{filters}&{after}")
    });
    Ok(ListPage {
        f: Frame::tenant(&ctx, t.members_title, "/club/members"),
        q: query.q.clone(),
        tiers,
        standings,
        short: rows.len() < PAGE_SIZE as usize && page.next.is_some(),
        rows,
        next_href,
        first_href: format!("{BASE}/club/members?{filters}"),
        paged: !query.after.is_empty(),
        can_export: ctx.can(Permission::ExportCustomers),
        export_href: format!("{BASE}/club/members.csv?{filters}"),
    }
    .into_response())
}

/// The export's first line.
const HEADER: [&str; 12] = [
    "phone",
    "name",
    "tier",
    "spendable",
    "pending",
    "earned",
    "purchases",
    "visits",
    "last_purchase_jalali",
    "joined_jalali",
    "fraud_flag",
    "marketing_opt_out",
];

fn jalali(zone: &crm::clock::Zone, at: i64) -> String {
    JalaliDate::from_day_key(zone.day_key(at))
        .map(JalaliDate::iso_like)
        .unwrap_or_default()
}

fn csv_line(m: &Member, zone: &crm::clock::Zone) -> String {
    customers_csv::line(&[
        &view::national(&m.phone),
        m.name.as_deref().unwrap_or(""),
        m.tier.as_deref().unwrap_or(""),
        &m.spendable.to_string(),
        &m.pending.to_string(),
        &m.earned.to_string(),
        &m.purchases.to_string(),
        &m.visits.to_string(),
        &m.last_purchase_at
            .map(|at| jalali(zone, at))
            .unwrap_or_default(),
        &jalali(zone, m.joined_at),
        m.flag.as_deref().unwrap_or(""),
        if m.opted_out { "yes" } else { "no" },
    ])
}

/// `GET /panel/club/members.csv?q=&tier=&status=`: the filtered list, UTF-8 with a BOM,
/// streamed a keyset page at a time. Needs the export permission (the route) and the
/// club (here: a custom role may hold one without the other).
pub async fn export(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<ListQuery>,
) -> PageResult {
    if !ctx.can(Permission::ViewClub) {
        return Err(Fail::Forbidden);
    }
    let filters = query.query(EXPORT_PAGE);
    let (store, tenant, zone) = (state.store.clone(), ctx.tenant.clone(), view::zone(&ctx));
    let now = crm::clock::now();
    Ok(paged_download(
        "club-members.csv",
        customers_csv::line(&HEADER),
        move |after| {
            let (store, tenant, zone) = (store.clone(), tenant.clone(), zone.clone());
            let query = MemberQuery {
                after,
                ..filters.clone()
            };
            async move {
                let page = members::page(&store, &tenant, &query, now).await?;
                let lines = page.members.iter().map(|m| csv_line(m, &zone)).collect();
                Ok((lines, page.next))
            }
        },
    ))
}
