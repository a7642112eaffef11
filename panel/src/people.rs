//! People: who may use this tenant's panel, with which role and branches. Owners add
//! someone by phone and role; the person signs in with their own SMS code.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};

use crm::roles::BuiltinRole;
use crm::staff::{self, NewMember, RoleRef};
use crm::{branches, roles};
use serde::Deserialize;

use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

pub struct Person {
    id: i64,
    phone: String,
    name: String,
    role: String,
    branches: String,
}

pub struct CustomRoleRow {
    id: i64,
    name: String,
    permissions: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "people.html")]
struct PeoplePage {
    f: Frame,
    people: Vec<Person>,
    custom_roles: Vec<CustomRoleRow>,
    /// Form value and label of every permission a tenant may grant.
    permissions: Vec<(&'static str, &'static str)>,
    role_error: Option<String>,
    /// Form values: `builtin:owner` / `custom:7`, and the label.
    roles: Vec<(String, String)>,
    branches: Vec<(i64, String)>,
    phone: String,
    name: String,
    role: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    /// Repeated `branch` fields; none = all branches.
    #[serde(default, rename = "branch")]
    branches: Vec<String>,
}

async fn render(
    state: &PanelState,
    ctx: &Ctx,
    form: &AddForm,
    error: Option<String>,
) -> PageResult {
    render_with(state, ctx, form, error, None).await
}

async fn render_with(
    state: &PanelState,
    ctx: &Ctx,
    form: &AddForm,
    error: Option<String>,
    role_error: Option<String>,
) -> PageResult {
    let store = &state.store;
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let all_branches = branches::list(store, &ctx.tenant).await?;
    let branch_name = |id: &i64| {
        all_branches
            .iter()
            .find(|b| b.id == *id)
            .map(|b| b.name.clone())
            .unwrap_or_default()
    };
    let people = staff::members(store, &ctx.tenant)
        .await?
        .into_iter()
        .map(|m| Person {
            id: m.id,
            phone: locale.digits(&view::national(&m.phone)),
            role: role_label(locale, &m),
            name: m.name.unwrap_or_default(),
            branches: if m.branch_ids.is_empty() {
                t.all_branches.to_string()
            } else {
                m.branch_ids
                    .iter()
                    .map(branch_name)
                    .collect::<Vec<_>>()
                    .join("، ")
            },
        })
        .collect();
    let mut role_choices: Vec<(String, String)> = BuiltinRole::ALL
        .into_iter()
        .map(|b| {
            (
                format!("builtin:{}", b.name()),
                i18n::role_name(locale, b).to_string(),
            )
        })
        .collect();
    let customs = roles::custom_roles(store, &ctx.tenant).await?;
    let custom_roles = customs
        .iter()
        .map(|r| CustomRoleRow {
            id: r.id,
            name: r.name.clone(),
            permissions: r
                .permissions
                .iter()
                .map(|p| i18n::permission_name(locale, *p))
                .collect::<Vec<_>>()
                .join("، "),
        })
        .collect();
    for custom in customs {
        role_choices.push((format!("custom:{}", custom.id), custom.name));
    }
    Ok(PeoplePage {
        f: Frame::tenant(ctx, t.people_title, "/people"),
        people,
        custom_roles,
        permissions: crate::custom_roles::grantable()
            .map(|p| (p.name(), i18n::permission_name(locale, p)))
            .collect(),
        role_error,
        roles: role_choices,
        branches: all_branches.into_iter().map(|b| (b.id, b.name)).collect(),
        phone: form.phone.clone(),
        name: form.name.clone(),
        role: form.role.clone(),
        error,
    }
    .into_response())
}

/// `GET /panel/people`.
pub async fn list(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    render(&state, &ctx, &AddForm::default(), None).await
}

fn parse_role(value: &str) -> Option<RoleRef> {
    match value.split_once(':')? {
        ("builtin", name) => BuiltinRole::from_name(name).map(RoleRef::Builtin),
        ("custom", id) => id.parse().ok().map(RoleRef::Custom),
        _ => None,
    }
}

/// `POST /panel/people`: add a person by phone, role and branches.
pub async fn add(State(state): State<PanelState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    // Repeated `branch` fields: axum's Form (serde_urlencoded) cannot collect them.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let form = AddForm {
        phone: field("phone"),
        name: field("name"),
        role: field("role"),
        branches: pairs
            .iter()
            .filter(|(k, _)| k == "branch")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let Some(role) = parse_role(&form.role) else {
        return Err(crate::guard::Fail::NotFound);
    };
    let branch_ids: Vec<i64> = form
        .branches
        .iter()
        .filter_map(|b| b.trim().parse().ok())
        .collect();
    if !ctx.scope().covers(&branch_ids) {
        return Err(crate::guard::Fail::Forbidden);
    }
    let new = NewMember {
        phone: &form.phone,
        name: Some(form.name.as_str()),
        role,
        branch_ids: &branch_ids,
    };
    match staff::add_member(&state.store, &ctx.tenant, &new, ctx.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("{BASE}/people")).into_response()),
        Err(crm::Error::Phone(_)) => {
            let message = portal::i18n::bad_phone(locale).to_string();
            render(&state, &ctx, &form, Some(message)).await
        }
        Err(crm::Error::Conflict(_)) => {
            render(&state, &ctx, &form, Some(t.already_member.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /panel/roles`: a custom role from a name and ticked permissions.
pub async fn create_role(
    State(state): State<PanelState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> PageResult {
    let (name, permissions) = crate::custom_roles::read_form(&body);
    match roles::create_custom(&state.store, &ctx.tenant, &name, &permissions, ctx.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("{BASE}/people")).into_response()),
        Err(crm::Error::Invalid(_) | crm::Error::Conflict(_)) => {
            let t = i18n::texts(ctx.locale());
            let message = Some(t.role_invalid.to_string());
            render_with(&state, &ctx, &AddForm::default(), None, message).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /panel/people/{id}/remove`.
pub async fn remove(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    match staff::remove_member(&state.store, &ctx.tenant, id, ctx.actor()).await {
        Ok(()) => Ok(Redirect::to(&format!("{BASE}/people")).into_response()),
        Err(crm::Error::Invalid(_)) => {
            let t = i18n::texts(ctx.locale());
            render(
                &state,
                &ctx,
                &AddForm::default(),
                Some(t.last_owner.to_string()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A member's role as shown: the built-in role's name in the page's language, or the
/// custom role's own name.
pub(crate) fn role_label(locale: crm::ui::Locale, m: &staff::Membership) -> String {
    match m.role {
        RoleRef::Builtin(b) => i18n::role_name(locale, b).to_string(),
        RoleRef::Custom(_) => m.role_name.clone(),
    }
}
