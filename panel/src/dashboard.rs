//! The dashboard: guests online now, data used today, logins and new customers per
//! day (SVG chart), and the groups that used most today.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;
use crm::{customers, stats};

use crate::chart::{self, Bar};
use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{PanelState, i18n};

const DAYS: i64 = 14;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    f: Frame,
    online_now: String,
    data_today: String,
    customers: String,
    chart: String,
    top_groups: Vec<(String, String)>,
}

/// `GET /panel/`.
pub async fn page(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let now = crm::clock::now();
    let d = stats::dashboard(&state.store, &ctx.tenant, now, DAYS).await?;
    let total = customers::count(&state.store, &ctx.tenant).await?;
    let bars: Vec<Bar> = d
        .days
        .iter()
        .map(|day| Bar {
            label: view::day(locale, day.day_key)
                .split(' ')
                .take(2)
                .collect::<Vec<_>>()
                .join(" "),
            values: vec![day.logins, day.new_customers],
        })
        .collect();
    Ok(DashboardPage {
        f: Frame::tenant(&ctx, t.dashboard_title, "/"),
        online_now: view::num(locale, d.online_now),
        data_today: view::bytes(locale, d.octets_today),
        customers: view::num(locale, total),
        chart: chart::bars(t.per_day_title, &bars, |v| view::num(locale, v)),
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
    }
    .into_response())
}
