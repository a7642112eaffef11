//! Groups and their limits: the list, and editing every field of a group's policy
//! (speed with bursts, priority and throttling, time limits and allowed hours, data
//! quotas, devices, the router's address list, the membership rule). A refused value
//! is shown next to its field, in the page's language.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use crm::groups::{self, Group, GroupPolicy, PolicyField};
use crm::roles::Permission;
use crm::units::{format_bytes, format_duration, parse_bytes, parse_duration};

use crate::guard::{Ctx, PageResult};
use crate::i18n::{self, Texts};
use crate::view::Frame;
use crate::{BASE, PanelState};

/// How a number field is written in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bytes,
    Duration,
    Number,
}

/// A policy value the form reads and writes.
enum Slot<'a> {
    Text(&'a mut Option<String>),
    Amount(Kind, &'a mut Option<i64>),
    /// Always set; empty means the default.
    Interim(&'a mut i64),
}

fn slot(p: &mut GroupPolicy, field: PolicyField) -> Slot<'_> {
    use PolicyField as F;
    match field {
        F::RateLimit => Slot::Text(&mut p.rate_limit),
        F::BurstLimit => Slot::Text(&mut p.burst_limit),
        F::BurstThreshold => Slot::Text(&mut p.burst_threshold),
        F::BurstTime => Slot::Text(&mut p.burst_time),
        F::ThrottleRate => Slot::Text(&mut p.throttle_rate),
        F::AllowedHours => Slot::Text(&mut p.allowed_hours),
        F::AddressList => Slot::Text(&mut p.address_list),
        F::MembershipRule => Slot::Text(&mut p.membership_rule),
        F::Priority => Slot::Amount(Kind::Number, &mut p.priority),
        F::Devices => Slot::Amount(Kind::Number, &mut p.simultaneous_devices),
        F::SessionTimeout => Slot::Amount(Kind::Duration, &mut p.session_timeout),
        F::IdleTimeout => Slot::Amount(Kind::Duration, &mut p.idle_timeout),
        F::DailyTime => Slot::Amount(Kind::Duration, &mut p.daily_time_quota),
        F::DailyData => Slot::Amount(Kind::Bytes, &mut p.daily_data_quota),
        F::MonthlyData => Slot::Amount(Kind::Bytes, &mut p.monthly_data_quota),
        F::InterimInterval => Slot::Interim(&mut p.interim_interval),
    }
}

/// The form's name of a field, and an example value.
fn form_name(field: PolicyField) -> (&'static str, &'static str) {
    use PolicyField as F;
    match field {
        F::RateLimit => ("rate_limit", "2M/8M"),
        F::BurstLimit => ("burst_limit", "4M/16M"),
        F::BurstThreshold => ("burst_threshold", "1M/6M"),
        F::BurstTime => ("burst_time", "10"),
        F::Priority => ("priority", "8"),
        F::ThrottleRate => ("throttle_rate", "256k/512k"),
        F::SessionTimeout => ("session_timeout", "1h"),
        F::IdleTimeout => ("idle_timeout", "10m"),
        F::InterimInterval => ("interim", "5m"),
        F::DailyTime => ("daily_time", "2h"),
        F::AllowedHours => ("allowed_hours", "sat-wed 08:00-23:00"),
        F::DailyData => ("daily_data", "1G"),
        F::MonthlyData => ("monthly_data", "20G"),
        F::Devices => ("devices", "2"),
        F::AddressList => ("address_list", "guests"),
        F::MembershipRule => ("membership_rule", "visits>=5/30d"),
    }
}

/// The form's sections (titled by [`section_titles`]) and their fields, in order.
const LAYOUT: [&[PolicyField]; 4] = {
    use PolicyField as F;
    [
        &[
            F::RateLimit,
            F::BurstLimit,
            F::BurstThreshold,
            F::BurstTime,
            F::Priority,
            F::ThrottleRate,
        ],
        &[
            F::SessionTimeout,
            F::IdleTimeout,
            F::DailyTime,
            F::AllowedHours,
            F::InterimInterval,
        ],
        &[F::DailyData, F::MonthlyData],
        &[F::Devices, F::AddressList, F::MembershipRule],
    ]
};

fn section_titles(t: &'static Texts) -> [&'static str; 4] {
    [
        t.section_speed,
        t.section_time,
        t.section_data,
        t.section_other,
    ]
}

/// The columns of the groups list.
const LISTED: [PolicyField; 6] = [
    PolicyField::RateLimit,
    PolicyField::DailyData,
    PolicyField::MonthlyData,
    PolicyField::DailyTime,
    PolicyField::Devices,
    PolicyField::SessionTimeout,
];

/// A field's value as the form shows it (empty = no limit).
fn shown(p: &GroupPolicy, field: PolicyField) -> String {
    let mut p = p.clone();
    match slot(&mut p, field) {
        Slot::Text(v) => v.clone().unwrap_or_default(),
        Slot::Amount(Kind::Bytes, v) => v.map(format_bytes).unwrap_or_default(),
        Slot::Amount(Kind::Duration, v) => v.map(format_duration).unwrap_or_default(),
        Slot::Amount(_, v) => v.map(|n| n.to_string()).unwrap_or_default(),
        Slot::Interim(v) => format_duration(*v),
    }
}

/// Sets a field from the form's text; `Err` is why it cannot be read.
fn read(
    p: &mut GroupPolicy,
    field: PolicyField,
    text: &str,
    t: &'static Texts,
) -> Result<(), &'static str> {
    let text = crm::text::ascii_digits(text.trim());
    let amount = |kind: Kind| -> Result<Option<i64>, &'static str> {
        if text.is_empty() {
            return Ok(None);
        }
        match kind {
            Kind::Bytes => parse_bytes(&text).map_err(|_| t.not_bytes),
            Kind::Duration => parse_duration(&text).map_err(|_| t.not_duration),
            _ => text.parse::<i64>().map_err(|_| t.not_number),
        }
        .map(Some)
    };
    match slot(p, field) {
        Slot::Text(v) => *v = Some(text.clone()).filter(|s| !s.is_empty()),
        Slot::Amount(kind, v) => *v = amount(kind)?,
        Slot::Interim(v) => {
            *v = amount(Kind::Duration)?.unwrap_or(router_config::DEFAULT_INTERIM.into())
        }
    }
    Ok(())
}

pub struct Row {
    href: Option<String>,
    name: String,
    is_default: bool,
    cells: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "groups.html")]
struct GroupsPage {
    f: Frame,
    columns: Vec<&'static str>,
    rows: Vec<Row>,
}

/// `GET /panel/groups`.
pub async fn list(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let can_edit = ctx.can(Permission::EditGroups);
    let rows = groups::list(&state.store, &ctx.tenant)
        .await?
        .into_iter()
        .map(|g| Row {
            href: can_edit.then(|| format!("{BASE}/groups/{}", g.id)),
            cells: LISTED.iter().map(|f| shown(&g.policy, *f)).collect(),
            name: g.name,
            is_default: g.is_default,
        })
        .collect();
    Ok(GroupsPage {
        f: Frame::tenant(&ctx, t.groups_title, "/groups"),
        columns: LISTED
            .iter()
            .map(|f| i18n::policy_field(locale, *f))
            .collect(),
        rows,
    }
    .into_response())
}

/// One input of the group form.
pub struct Input {
    name: &'static str,
    label: &'static str,
    example: &'static str,
    value: String,
    error: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "group.html")]
struct GroupPage {
    f: Frame,
    id: i64,
    name: String,
    sections: Vec<(&'static str, Vec<Input>)>,
    has_errors: bool,
}

fn group_page(
    ctx: &Ctx,
    g: &Group,
    values: &HashMap<&'static str, String>,
    errors: &HashMap<PolicyField, &'static str>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let sections = section_titles(t)
        .into_iter()
        .zip(LAYOUT)
        .map(|(title, fields)| {
            let inputs = fields
                .iter()
                .map(|field| {
                    let (name, example) = form_name(*field);
                    Input {
                        name,
                        label: i18n::policy_field(locale, *field),
                        example,
                        value: values.get(name).cloned().unwrap_or_default(),
                        error: errors.get(field).copied(),
                    }
                })
                .collect();
            (title, inputs)
        })
        .collect();
    Ok(GroupPage {
        f: Frame::tenant(ctx, t.group, "/groups"),
        id: g.id,
        name: g.name.clone(),
        sections,
        has_errors: !errors.is_empty(),
    }
    .into_response())
}

fn all_fields() -> impl Iterator<Item = PolicyField> {
    LAYOUT.into_iter().flatten().copied()
}

/// `GET /panel/groups/{id}`: the limits form.
pub async fn edit(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let g = groups::in_tenant(&state.store, &ctx.tenant, id).await?;
    let values = all_fields()
        .map(|f| (form_name(f).0, shown(&g.policy, f)))
        .collect();
    group_page(&ctx, &g, &values, &HashMap::new())
}

/// `POST /panel/groups/{id}`: the new policy (audited); the form again with what was
/// typed and why, next to each refused field. A field the form does not send keeps
/// its value.
pub async fn save(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let g = groups::in_tenant(&state.store, &ctx.tenant, id).await?;
    let mut policy = g.policy.clone();
    let mut errors = HashMap::new();
    let mut values = HashMap::new();
    for field in all_fields() {
        let name = form_name(field).0;
        let Some(text) = form.get(name) else {
            values.insert(name, shown(&g.policy, field));
            continue;
        };
        values.insert(name, text.clone());
        if let Err(why) = read(&mut policy, field, text, t) {
            errors.insert(field, why);
        }
    }
    // crm's rules too, so every refused field says why at once (a field that could
    // not be read keeps its reason).
    if let Err(issues) = policy.clone().checked() {
        for issue in issues {
            let why = i18n::policy_problem(locale, issue.problem);
            errors.entry(issue.field).or_insert(why);
        }
    }
    if !errors.is_empty() {
        return group_page(&ctx, &g, &values, &errors);
    }
    let store = &state.store;
    groups::set_policy_audited(store, &ctx.tenant, &g.name, policy, ctx.actor()).await?;
    Ok(Redirect::to(&format!("{BASE}/groups")).into_response())
}
