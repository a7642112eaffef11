//! A person's notifications in the current tenant (low-score alerts, fraud flags), newest
//! first.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};

use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

const SHOWN: i64 = 100;

pub struct Row {
    when: String,
    body: String,
    href: Option<String>,
    unread: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    f: Frame,
    rows: Vec<Row>,
}

/// `GET /panel/notifications`.
pub async fn list(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(&ctx);
    let rows = crm::notifications::list(&state.store, &ctx.tenant, ctx.signed.user.id, SHOWN)
        .await?
        .into_iter()
        .map(|n| Row {
            when: view::moment(locale, &zone, n.created_at),
            body: n.body,
            href: match (n.case_id, n.link) {
                (Some(id), _) => Some(format!("{BASE}/cases/{id}")),
                (None, Some(path)) => Some(format!("{BASE}{path}")),
                (None, None) => None,
            },
            unread: !n.read,
        })
        .collect();
    Ok(NotificationsPage {
        f: Frame::tenant(&ctx, t.notifications_title, "/notifications"),
        rows,
    }
    .into_response())
}

/// `POST /panel/notifications/read`: marks them all read.
pub async fn read_all(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    crm::notifications::mark_read(
        &state.store,
        &ctx.tenant,
        ctx.signed.user.id,
        None,
        crm::clock::now(),
    )
    .await?;
    Ok(Redirect::to(&format!("{BASE}/notifications")).into_response())
}
