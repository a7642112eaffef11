//! The club's reports: members joined per period by how they joined, credit given,
//! redeemed and expired, the repeat-purchase rate and revenue per branch (members
//! versus others), as SVG charts and CSV; and the SMS wallet with its top-ups and a
//! manual top-up form (the purchase flow for now). A branch picker (within the person's
//! branches) narrows the club numbers to one branch; the CSV follows it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use crm::club::reports::{self, Period, Report};
use crm::customers_csv::{BOM, line};
use crm::roles::Permission;
use crm::sms::wallet;
use crm::ui::Locale;
use serde::Deserialize;

use crate::chart::{self, Bar};
use crate::club::rials;
use crate::club_settings::parse_whole;
use crate::dashboard::pick_branch;
use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

/// The ranges offered, in days.
const RANGES: [i64; 4] = [7, 30, 90, 365];
/// Top-ups listed.
const TOP_UPS: i64 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    days: Option<i64>,
    /// `branches` for the revenue table; the periods otherwise.
    #[serde(default)]
    table: Option<String>,
    /// One of the person's branches; empty = all of theirs.
    #[serde(default)]
    branch: String,
}

/// `&branch=ID` for links that keep the picked branch (digits only: parsed).
fn branch_param(q: &ReportQuery) -> String {
    q.branch
        .trim()
        .parse::<i64>()
        .map(|id| format!("&branch={id}"))
        .unwrap_or_default()
}

fn range(q: &ReportQuery) -> i64 {
    q.days.filter(|d| RANGES.contains(d)).unwrap_or(30)
}

/// A period's label: its first day, short (`13 Azar`).
fn period_label(locale: Locale, p: &Period) -> String {
    view::day(locale, p.first_day)
        .split(' ')
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

pub struct BranchRow {
    name: String,
    invoices: String,
    members: String,
    others: String,
}

pub struct TopUpRow {
    when: String,
    amount: String,
    reason: String,
    actor: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports.html")]
struct ReportsPage {
    f: Frame,
    /// (label, href, current)
    ranges: Vec<(String, String, bool)>,
    branch_links: Vec<(String, String, bool)>,
    csv_href: String,
    csv_branches_href: String,
    members_chart: String,
    credit_chart: String,
    sources: Vec<(&'static str, &'static str)>,
    joined_total: String,
    buyers: String,
    repeat_rate: String,
    branches: Vec<BranchRow>,
    wallet_balance: String,
    price_per_sms: String,
    top_ups: Vec<TopUpRow>,
    /// (what the skipped SMS were for, how many) in the chosen period.
    unpaid: Vec<(&'static str, String)>,
    can_top_up: bool,
    top_up: TopUpForm,
    top_up_error: Option<String>,
}

fn source_name(t: &i18n::Texts, source: &str) -> &'static str {
    match source {
        "wifi" => t.source_wifi,
        "sms" => t.source_sms,
        "pos" => t.source_pos,
        "reservation" => t.source_reservation,
        _ => t.source_other,
    }
}

/// The page a paid SMS's purpose belongs to, as the wallet's skip count names it.
fn purpose_group(t: &i18n::Texts, purpose: &str) -> &'static str {
    if purpose.starts_with("booking") {
        t.nav_bookings
    } else if purpose.starts_with("survey") {
        t.nav_feedback
    } else {
        t.nav_club
    }
}

async fn render(
    state: &PanelState,
    ctx: &Ctx,
    q: &ReportQuery,
    top_up: TopUpForm,
    top_up_error: Option<String>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(ctx);
    let days = range(q);
    let (scope, branch_links) = pick_branch(state, ctx, &q.branch, |branch| {
        let branch = branch.map(|id| format!("&branch={id}")).unwrap_or_default();
        format!("{BASE}/reports?days={days}{branch}")
    })
    .await?;
    let branch = branch_param(q);
    let r: Report =
        reports::build(&state.store, &ctx.tenant, &scope, crm::clock::now(), days).await?;
    let members: Vec<Bar> = r
        .periods
        .iter()
        .map(|p| Bar {
            label: period_label(locale, p),
            values: p.joined.to_vec(),
        })
        .collect();
    let credit: Vec<Bar> = r
        .periods
        .iter()
        .map(|p| Bar {
            label: period_label(locale, p),
            values: vec![p.earned, p.redeemed, p.expired],
        })
        .collect();
    let wallet = wallet::wallet(&state.store, &ctx.tenant).await?;
    let top_ups = wallet::wallet_entries(&state.store, &ctx.tenant, Some("topup"), TOP_UPS)
        .await?
        .into_iter()
        .map(|e| TopUpRow {
            when: view::moment(locale, &zone, e.created_at),
            amount: rials(locale, e.amount),
            reason: e.reason,
            actor: e.actor,
        })
        .collect();
    let since = crm::clock::now() - days * 86_400;
    let mut unpaid: Vec<(&'static str, i64)> = Vec::new();
    for (purpose, n) in wallet::unpaid_since(&state.store, &ctx.tenant, since).await? {
        let group = purpose_group(t, &purpose);
        match unpaid.iter_mut().find(|(g, _)| *g == group) {
            Some((_, total)) => *total += n,
            None => unpaid.push((group, n)),
        }
    }
    let per_mille = r.repeat_per_mille();
    Ok(ReportsPage {
        f: Frame::tenant(ctx, t.reports_title, "/club"),
        ranges: RANGES
            .iter()
            .map(|d| {
                (
                    format!("{} {}", view::num(locale, *d), t.report_days),
                    format!("{BASE}/reports?days={d}{branch}"),
                    *d == days,
                )
            })
            .collect(),
        branch_links,
        csv_href: format!("{BASE}/reports.csv?days={days}{branch}"),
        csv_branches_href: format!("{BASE}/reports.csv?days={days}{branch}&table=branches"),
        members_chart: chart::stacked(t.report_members, &members, |v| view::num(locale, v)),
        credit_chart: chart::bars(t.report_credit, &credit, |v| rials(locale, v)),
        sources: reports::SOURCES
            .iter()
            .zip(chart::CLASSES)
            .map(|(s, class)| (class, source_name(t, s)))
            .collect(),
        joined_total: view::num(locale, r.periods.iter().flat_map(|p| p.joined).sum()),
        buyers: view::num(locale, r.buyers),
        repeat_rate: format!(
            "{}{}{}{}",
            view::num(locale, per_mille / 10),
            view::decimal_point(locale),
            view::num(locale, per_mille % 10),
            view::percent_sign(locale)
        ),
        branches: r
            .branches
            .into_iter()
            .map(|b| BranchRow {
                name: b.branch,
                invoices: view::num(locale, b.invoices),
                members: rials(locale, b.members),
                others: rials(locale, b.others),
            })
            .collect(),
        wallet_balance: rials(locale, wallet.balance),
        price_per_sms: rials(locale, wallet.price_per_sms),
        top_ups,
        unpaid: unpaid
            .into_iter()
            .map(|(g, n)| (g, view::num(locale, n)))
            .collect(),
        can_top_up: ctx.can(Permission::TopUpWallet),
        top_up,
        top_up_error,
    }
    .into_response())
}

/// `GET /panel/reports?days=`.
pub async fn page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    render(&state, &ctx, &q, TopUpForm::default(), None).await
}

/// `GET /panel/reports.csv?days=[&table=branches][&branch=]`: UTF-8 with a BOM, Jalali
/// days, the picked branch's numbers (the page's).
pub async fn csv(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let days = range(&q);
    let (scope, _) = pick_branch(&state, &ctx, &q.branch, |_| String::new()).await?;
    let r = reports::build(&state.store, &ctx.tenant, &scope, crm::clock::now(), days).await?;
    let jalali = |day: i64| {
        crm::jalali::JalaliDate::from_day_key(day)
            .map(crm::jalali::JalaliDate::iso_like)
            .unwrap_or_default()
    };
    let mut body = String::from(BOM);
    let name = if q.table.as_deref() == Some("branches") {
        body.push_str(&line(&[
            "branch",
            "invoices",
            "revenue_members",
            "revenue_others",
        ]));
        for b in &r.branches {
            body.push_str(&line(&[
                &b.branch,
                &b.invoices.to_string(),
                &b.members.to_string(),
                &b.others.to_string(),
            ]));
        }
        "club-branches.csv"
    } else {
        body.push_str(&line(&[
            "from",
            "to",
            "joined_wifi",
            "joined_sms",
            "joined_pos",
            "joined_reservation",
            "joined_other",
            "credit_given",
            "credit_redeemed",
            "credit_expired",
        ]));
        for p in &r.periods {
            let mut cells = vec![jalali(p.first_day), jalali(p.last_day)];
            cells.extend(p.joined.iter().map(i64::to_string));
            cells.extend([p.earned, p.redeemed, p.expired].map(|v| v.to_string()));
            let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
            body.push_str(&line(&cells));
        }
        "club-periods.csv"
    };
    Ok(crate::customers_csv::download(name, body))
}

#[derive(Debug, Default, Deserialize)]
pub struct TopUpForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

/// `POST /panel/reports/wallet`: a manual top-up with its reference, recorded and audited.
pub async fn top_up(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<TopUpForm>,
) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let amount = parse_whole(&form.amount).filter(|a| *a > 0);
    let error = match amount {
        None => t.top_up_invalid.to_string(),
        Some(amount) => {
            match wallet::top_up(&state.store, &ctx.tenant, amount, &form.reason, ctx.staff()).await
            {
                Ok(_) => return Ok(Redirect::to(&format!("{BASE}/reports")).into_response()),
                Err(crm::Error::Invalid(_)) => t.top_up_invalid.to_string(),
                Err(e) => return Err(e.into()),
            }
        }
    };
    render(&state, &ctx, &ReportQuery::default(), form, Some(error)).await
}
