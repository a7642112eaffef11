//! Online sessions, and ending one: a RADIUS Disconnect-Request to its router through
//! `radiusd::coa` (what `smartx sessions disconnect` does), answered on the page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use crm::accounting;
use crm::audit::{self, Change};
use crm::hotspot::Subject;
use crm::roles::Permission;
use radiusd::coa::{self, Outcome, SessionError};
use serde::Deserialize;

use crate::guard::{Ctx, Fail, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

const SHOWN: i64 = 200;

pub struct Row {
    id: i64,
    user: String,
    customer_href: Option<String>,
    router: String,
    started: String,
    duration: String,
    data: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "sessions.html")]
struct SessionsPage {
    f: Frame,
    rows: Vec<Row>,
    can_disconnect: bool,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct SessionsQuery {
    #[serde(default)]
    done: String,
}

/// `GET /panel/sessions?done=`: who is online now, newest first.
pub async fn list(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<SessionsQuery>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(&ctx);
    let now = crm::clock::now();
    let rows = accounting::sessions_in(&state.store, ctx.tenant.id, &ctx.scope(), true, SHOWN)
        .await?
        .into_iter()
        .map(|s| Row {
            id: s.id,
            user: s.username,
            customer_href: match s.subject {
                Some(Subject::Customer(id)) => Some(format!("{BASE}/customers/{id}")),
                _ => None,
            },
            router: s.nas_name.unwrap_or_default(),
            started: view::moment(locale, &zone, s.started_at),
            duration: view::duration(locale, s.session_time.max(now - s.started_at)),
            data: view::bytes(locale, s.input_octets.saturating_add(s.output_octets)),
        })
        .collect();
    let notice = match query.done.as_str() {
        "ack" => Some(t.disconnect_ack),
        "nak" => Some(t.disconnect_nak),
        "timeout" => Some(t.disconnect_timeout),
        "ended" => Some(t.disconnect_ended),
        "error" => Some(t.disconnect_error),
        _ => None,
    };
    Ok(SessionsPage {
        f: Frame::tenant(&ctx, t.sessions_title, "/sessions"),
        rows,
        can_disconnect: ctx.can(Permission::DisconnectSessions),
        notice,
    }
    .into_response())
}

/// `POST /panel/sessions/{id}/disconnect`.
pub async fn disconnect(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> PageResult {
    let store = &state.store;
    ctx.within(crm::sessions::branch_of(store, &ctx.tenant, id).await?)?;
    let result =
        coa::for_session(store, &ctx.tenant, id, &coa::Change::Disconnect, "operator").await;
    let done = match result {
        Ok(Outcome::Ack) => "ack",
        Ok(Outcome::Nak { .. }) => "nak",
        Ok(Outcome::Timeout) => "timeout",
        Err(SessionError::Ended(_)) => "ended",
        Err(SessionError::Store(e)) => return Err(Fail::from(e)),
        Err(e) => {
            tracing::warn!(session = id, error = %e, "panel disconnect failed");
            "error"
        }
    };
    let change = Change {
        tenant_id: Some(ctx.tenant.id),
        action: "session.disconnect",
        entity: "session",
        entity_id: Some(id),
        before: None,
        after: Some(serde_json::json!({ "outcome": done })),
    };
    audit::record(store.pool(), ctx.actor(), &change).await?;
    Ok(Redirect::to(&format!("{BASE}/sessions?done={done}")).into_response())
}
