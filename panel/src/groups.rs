//! Groups and their limits: the list, and editing the limits people change most
//! (speed, data and time quotas, devices, session length). Everything else stays as
//! `smartx group set` left it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use crm::groups::{self, Group, GroupPolicy};
use crm::roles::Permission;
use crm::units::{format_bytes, format_duration, parse_bytes, parse_duration};
use serde::Deserialize;

use crate::guard::{Ctx, PageResult};
use crate::view::Frame;
use crate::{BASE, PanelState, i18n};

/// The edited limits as text: empty = no limit.
#[derive(Debug, Default, Deserialize)]
pub struct LimitsForm {
    #[serde(default)]
    rate_limit: String,
    #[serde(default)]
    daily_data: String,
    #[serde(default)]
    monthly_data: String,
    #[serde(default)]
    daily_time: String,
    #[serde(default)]
    devices: String,
    #[serde(default)]
    session_timeout: String,
}

impl LimitsForm {
    fn of(p: &GroupPolicy) -> LimitsForm {
        LimitsForm {
            rate_limit: p.rate_limit.clone().unwrap_or_default(),
            daily_data: p.daily_data_quota.map(format_bytes).unwrap_or_default(),
            monthly_data: p.monthly_data_quota.map(format_bytes).unwrap_or_default(),
            daily_time: p.daily_time_quota.map(format_duration).unwrap_or_default(),
            devices: p
                .simultaneous_devices
                .map(|d| d.to_string())
                .unwrap_or_default(),
            session_timeout: p.session_timeout.map(format_duration).unwrap_or_default(),
        }
    }

    /// `current` with the form's limits; `Err` names the first unreadable field.
    fn apply(&self, mut p: GroupPolicy) -> Result<GroupPolicy, crm::Error> {
        let field =
            |text: &str, parse: &dyn Fn(&str) -> crm::Result<i64>| -> crm::Result<Option<i64>> {
                match text.trim() {
                    "" => Ok(None),
                    t => parse(t).map(Some),
                }
            };
        p.rate_limit = Some(self.rate_limit.trim().to_string()).filter(|r| !r.is_empty());
        p.daily_data_quota = field(&self.daily_data, &parse_bytes)?;
        p.monthly_data_quota = field(&self.monthly_data, &parse_bytes)?;
        p.daily_time_quota = field(&self.daily_time, &parse_duration)?;
        p.session_timeout = field(&self.session_timeout, &parse_duration)?;
        p.simultaneous_devices = field(&self.devices, &|t| {
            t.parse::<i64>()
                .map_err(|_| crm::Error::Invalid(format!("{t:?} is not a number")))
        })?;
        Ok(p)
    }
}

pub struct Row {
    href: Option<String>,
    name: String,
    is_default: bool,
    limits: LimitsForm,
}

#[derive(Template, WebTemplate)]
#[template(path = "groups.html")]
struct GroupsPage {
    f: Frame,
    rows: Vec<Row>,
}

/// `GET /panel/groups`.
pub async fn list(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let can_edit = ctx.can(Permission::EditGroups);
    let rows = groups::list(&state.store, &ctx.tenant)
        .await?
        .into_iter()
        .map(|g| Row {
            href: can_edit.then(|| format!("{BASE}/groups/{}", g.id)),
            limits: LimitsForm::of(&g.policy),
            name: g.name,
            is_default: g.is_default,
        })
        .collect();
    Ok(GroupsPage {
        f: Frame::tenant(&ctx, t.groups_title, "/groups"),
        rows,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "group.html")]
struct GroupPage {
    f: Frame,
    id: i64,
    name: String,
    form: LimitsForm,
    error: Option<String>,
}

fn group_page(ctx: &Ctx, g: &Group, form: LimitsForm, error: Option<String>) -> PageResult {
    let t = i18n::texts(ctx.locale());
    Ok(GroupPage {
        f: Frame::tenant(ctx, t.group, "/groups"),
        id: g.id,
        name: g.name.clone(),
        form,
        error,
    }
    .into_response())
}

/// `GET /panel/groups/{id}`: the limits form.
pub async fn edit(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let g = groups::in_tenant(&state.store, &ctx.tenant, id).await?;
    group_page(&ctx, &g, LimitsForm::of(&g.policy), None)
}

/// `POST /panel/groups/{id}`: new limits (audited); the form again with why if refused.
pub async fn save(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<LimitsForm>,
) -> PageResult {
    let g = groups::in_tenant(&state.store, &ctx.tenant, id).await?;
    let saved = match form.apply(g.policy.clone()) {
        Ok(policy) => {
            groups::set_policy_audited(&state.store, &ctx.tenant, &g.name, policy, ctx.actor())
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("{BASE}/groups")).into_response()),
        Err(crm::Error::Invalid(m)) => group_page(&ctx, &g, form, Some(m)),
        Err(e) => Err(e.into()),
    }
}
