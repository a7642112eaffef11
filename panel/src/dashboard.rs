//! The dashboard: guests online now, data used today, logins, new customers and data
//! used per day (SVG charts), and the groups that used most today.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use crm::{branches, customers, stats};
use serde::Deserialize;

use crate::chart::{self, Bar};
use crate::guard::{Ctx, Fail, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

const DAYS: i64 = 14;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    f: Frame,
    online_now: String,
    data_today: String,
    customers: String,
    chart: String,
    data_chart: String,
    top_groups: Vec<(String, String)>,
    /// The branches this person may pick: (label, href, shown now); empty when the
    /// business has no branches.
    branch_links: Vec<(String, String, bool)>,
}

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    branch: String,
}

/// What a page with a branch picker shows: the scope picked (`?branch=`, within the
/// person's own; another tenant's branch is not found, another branch of ours refused)
/// and the picker's links (label, href, current) — "all my branches" first; none when
/// the business has no branches.
pub(crate) async fn pick_branch(
    state: &PanelState,
    ctx: &Ctx,
    branch: &str,
    href: impl Fn(Option<i64>) -> String,
) -> Result<(branches::Scope, Vec<(String, String, bool)>), Fail> {
    let t = i18n::texts(ctx.locale());
    let mine = ctx.scope();
    let picked = branch.trim().parse::<i64>().ok();
    let scope = match picked {
        Some(id) => {
            branches::by_id(&state.store, &ctx.tenant, id).await?;
            mine.narrowed_to(id).ok_or(Fail::Forbidden)?
        }
        None => mine.clone(),
    };
    let listed = branches::list_in(&state.store, &ctx.tenant, &mine).await?;
    let links = if listed.is_empty() {
        Vec::new()
    } else {
        std::iter::once((t.all_branches.to_string(), href(None), picked.is_none()))
            .chain(
                listed
                    .into_iter()
                    .map(|b| (b.name, href(Some(b.id)), picked == Some(b.id))),
            )
            .collect()
    };
    Ok((scope, links))
}

/// `GET /panel/?branch=`: the numbers of the person's branches, or of one of them.
pub async fn page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<DashboardQuery>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let now = crm::clock::now();
    let (scope, branch_links) = pick_branch(&state, &ctx, &query.branch, |branch| match branch {
        Some(id) => format!("{BASE}/?branch={id}"),
        None => format!("{BASE}/"),
    })
    .await?;
    let d = stats::dashboard(&state.store, &ctx.tenant, &scope, now, DAYS).await?;
    let total = customers::count(&state.store, &ctx.tenant).await?;
    let label = |day: &stats::Day| {
        view::day(locale, day.day_key)
            .split(' ')
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let bars: Vec<Bar> = d
        .days
        .iter()
        .map(|day| Bar {
            label: label(day),
            values: vec![day.logins, day.new_customers],
        })
        .collect();
    let data_bars: Vec<Bar> = d
        .days
        .iter()
        .map(|day| Bar {
            label: label(day),
            values: vec![day.octets],
        })
        .collect();
    Ok(DashboardPage {
        f: Frame::tenant(&ctx, t.dashboard_title, "/"),
        online_now: view::num(locale, d.online_now),
        data_today: view::bytes(locale, d.octets_today),
        customers: view::num(locale, total),
        chart: chart::bars(t.per_day_title, &bars, |v| view::num(locale, v)),
        data_chart: chart::bars(t.data_per_day_title, &data_bars, |v| view::bytes(locale, v)),
        top_groups: d
            .top_groups
            .iter()
            .map(|(name, octets)| {
                (
                    name.clone().unwrap_or_else(|| t.no_group.to_string()),
                    view::bytes(locale, *octets),
                )
            })
            .collect(),
        branch_links,
    }
    .into_response())
}
