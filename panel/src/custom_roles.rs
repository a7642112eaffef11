//! Editing a tenant's custom roles: rename, change the permission set, delete one
//! nobody holds. (Creating one is on People, beside the people who get it.)

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use crm::roles::{self, CustomRole, Permission};

use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

#[derive(Template, WebTemplate)]
#[template(path = "role.html")]
struct RolePage {
    f: Frame,
    id: i64,
    name: String,
    /// Value, label, ticked.
    permissions: Vec<(&'static str, &'static str, bool)>,
    holders: String,
    name_error: Option<&'static str>,
    delete_error: Option<&'static str>,
}

/// What the edit form sent: a name and the ticked permissions.
pub(crate) fn read_form(body: &[u8]) -> (String, BTreeSet<Permission>) {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let name = pairs
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let permissions = pairs
        .iter()
        .filter(|(k, _)| k == "permission")
        .filter_map(|(_, v)| Permission::from_name(v))
        .collect();
    (name, permissions)
}

/// The form a tenant grants permissions with (operators' own permission excluded).
pub fn grantable() -> impl Iterator<Item = Permission> {
    Permission::ALL
        .into_iter()
        .filter(|p| *p != Permission::ManageTenants)
}

async fn render(
    state: &PanelState,
    ctx: &Ctx,
    shown: &CustomRole,
    name_error: Option<&'static str>,
    delete_error: Option<&'static str>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let holders = roles::holders(&state.store, &ctx.tenant, shown.id).await?;
    Ok(RolePage {
        f: Frame::tenant(ctx, t.edit_role_title, "/people"),
        id: shown.id,
        name: shown.name.clone(),
        permissions: grantable()
            .map(|p| {
                let ticked = shown.permissions.contains(&p);
                (p.name(), i18n::permission_name(locale, p), ticked)
            })
            .collect(),
        holders: view::num(locale, holders),
        name_error,
        delete_error,
    }
    .into_response())
}

/// `GET /panel/roles/{id}`.
pub async fn edit(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let role = roles::custom_role(&state.store, &ctx.tenant, id).await?;
    render(&state, &ctx, &role, None, None).await
}

/// `POST /panel/roles/{id}`: a new name and permission set; a bad or taken name
/// comes back on the form with what was ticked.
pub async fn save(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> PageResult {
    let (name, permissions) = read_form(&body);
    let store = &state.store;
    match roles::update_custom(store, &ctx.tenant, id, &name, &permissions, ctx.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("{BASE}/people")).into_response()),
        Err(crm::Error::Invalid(_) | crm::Error::Conflict(_)) => {
            let typed = CustomRole {
                id,
                tenant_id: ctx.tenant.id,
                name,
                permissions,
            };
            let t = i18n::texts(ctx.locale());
            render(&state, &ctx, &typed, Some(t.role_invalid), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /panel/roles/{id}/delete`: refused on the page while people hold the role.
pub async fn delete(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    match roles::delete_custom(&state.store, &ctx.tenant, id, ctx.actor()).await {
        Ok(()) => Ok(Redirect::to(&format!("{BASE}/people")).into_response()),
        Err(crm::Error::Conflict(_)) => {
            let role = roles::custom_role(&state.store, &ctx.tenant, id).await?;
            let t = i18n::texts(ctx.locale());
            render(&state, &ctx, &role, None, Some(t.role_in_use)).await
        }
        Err(e) => Err(e.into()),
    }
}
