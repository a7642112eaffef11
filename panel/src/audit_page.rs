//! The audit log page (owners): every change in this tenant, newest first.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use crm::audit;
use serde::Deserialize;

use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    before: Option<i64>,
}

pub struct EntryRow {
    when: String,
    who: String,
    action: String,
    entity: String,
    before: String,
    after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    f: Frame,
    entries: Vec<EntryRow>,
    older_href: Option<String>,
}

/// `GET /panel/audit?before=`.
pub async fn list(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<AuditQuery>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(&ctx);
    let entries = audit::list(&state.store, &ctx.tenant, query.before, PAGE_SIZE).await?;
    let older_href = (entries.len() as i64 == PAGE_SIZE)
        .then(|| {
            entries
                .last()
                .map(|e| format!("{BASE}/audit?before={}", e.id))
        })
        .flatten();
    let entries = entries
        .into_iter()
        .map(|e| EntryRow {
            when: view::moment(locale, &zone, e.at),
            who: e
                .user_phone
                .map(|p| locale.digits(&view::national(&p)))
                .unwrap_or_else(|| t.from_cli.to_string()),
            action: i18n::action_name(locale, &e.action),
            entity: format!(
                "{} #{}",
                e.entity,
                e.entity_id.map(|id| id.to_string()).unwrap_or_default()
            ),
            before: e.before.unwrap_or_default(),
            after: e.after.unwrap_or_default(),
        })
        .collect();
    Ok(AuditPage {
        f: Frame::tenant(&ctx, t.audit_title, "/audit"),
        entries,
        older_href,
    }
    .into_response())
}
