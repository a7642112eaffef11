//! A branch's booking rules and deposit rule, edited by owners and senior managers:
//! slot interval, stay (and by party size), buffer, notice, days ahead, opening hours,
//! and the deposit. Each field is checked by crm's own rules on top of the saved
//! settings, so a refusal lands next to the field that caused it; audited. Below, the
//! branch's tables: add one (capacity, zone, tables it joins), take one out of service
//! or back (its bookings stay).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use crm::reservations::resources::{self, Kind, NewResource};
use crm::reservations::settings::{self, Settings, SettingsChange};
use crm::ui::Locale;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

use crate::booking_resources::{self, Extras};
use crate::bookings::{Place, branch_param, place, record};
use crate::club_settings::parse_whole;
use crate::guard::{Ctx, Fail, PageResult};
use crate::i18n::{self, BookingEditTexts, BookingTexts};
use crate::view::Frame;
use crate::{BASE, PanelState};

/// The form's fields, in order.
const KEYS: [&str; 11] = [
    "slot_interval",
    "stay_minutes",
    "stay_by_party",
    "buffer_minutes",
    "min_notice",
    "max_days_ahead",
    "opening_hours",
    "deposit_mode",
    "deposit_amount",
    "deposit_from_party",
    "deposit_refund_hours",
];

const MODES: [&str; 3] = ["none", "per_guest", "fixed"];

pub struct FieldView {
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    /// Shown left-to-right after the hint.
    example: &'static str,
    value: String,
    error: bool,
    /// The deposit mode's choices: (value, label, selected).
    options: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "booking_settings.html")]
struct SettingsPage {
    f: Frame,
    b: &'static BookingTexts,
    e: &'static BookingEditTexts,
    place: Option<Place>,
    fields: Vec<FieldView>,
    saved: bool,
    tables: Vec<TableRow>,
    table_form: TableForm,
    table_error: Option<&'static str>,
    /// Closed days and deposit rules.
    x: Extras,
}

impl SettingsPage {
    /// The add form's kinds: (value, label).
    fn kinds(&self) -> [(&'static str, &'static str); 4] {
        [
            ("table", self.e.kind_table),
            ("staff", self.e.kind_staff),
            ("chair", self.e.kind_chair),
            ("room", self.e.kind_room),
        ]
    }
}

pub struct TableRow {
    id: i64,
    /// Empty for tables; staff, chair, room otherwise.
    kind: &'static str,
    name: String,
    party: String,
    zone: String,
    joins: String,
    active: bool,
}

/// The branch's tables as the page lists them.
async fn tables(
    state: &PanelState,
    ctx: &Ctx,
    place: &Option<Place>,
) -> Result<Vec<TableRow>, Fail> {
    let Some(p) = place else {
        return Ok(Vec::new());
    };
    let all = resources::list(&state.store, &ctx.tenant, &p.branch).await?;
    let name_of = |id: &i64| all.iter().find(|r| r.id == *id).map(|r| r.name.clone());
    let e = i18n::booking_edit_texts(ctx.locale());
    Ok(all
        .iter()
        .map(|r| TableRow {
            id: r.id,
            kind: match r.kind {
                Kind::Table => "",
                Kind::Staff => e.kind_staff,
                Kind::Chair => e.kind_chair,
                Kind::Room => e.kind_room,
            },
            name: r.name.clone(),
            party: format!("{}–{}", r.min_party, r.max_party),
            zone: r.zone.clone().unwrap_or_default(),
            joins: r
                .joinable
                .iter()
                .filter_map(name_of)
                .collect::<Vec<_>>()
                .join(", "),
            active: r.active,
        })
        .collect())
}

fn value_of(s: &Settings, key: &str) -> String {
    match key {
        "slot_interval" => s.slot_interval.to_string(),
        "stay_minutes" => s.stay_minutes.to_string(),
        "stay_by_party" => s.stay_by_party.clone(),
        "buffer_minutes" => s.buffer_minutes.to_string(),
        "min_notice" => s.min_notice.to_string(),
        "max_days_ahead" => s.max_days_ahead.to_string(),
        "opening_hours" => s.opening_hours.clone(),
        "deposit_mode" => s.deposit.mode.as_str().to_string(),
        "deposit_amount" => s.deposit.amount.to_string(),
        "deposit_from_party" => s.deposit.from_party.to_string(),
        _ => s.deposit.refund_hours.to_string(),
    }
}

/// `s` with one field as typed; `None` when it is not even of the right shape.
fn with(s: &Settings, key: &str, raw: &str) -> Option<Settings> {
    let mut s = s.clone();
    let raw = raw.trim();
    let n = || parse_whole(raw);
    match key {
        "slot_interval" => s.slot_interval = n()?,
        "stay_minutes" => s.stay_minutes = n()?,
        "stay_by_party" => s.stay_by_party = raw.to_string(),
        "buffer_minutes" => s.buffer_minutes = n()?,
        "min_notice" => s.min_notice = n()?,
        "max_days_ahead" => s.max_days_ahead = n()?,
        "opening_hours" => s.opening_hours = raw.to_string(),
        "deposit_mode" => s.deposit.mode = raw.parse().ok()?,
        "deposit_amount" => s.deposit.amount = n()?,
        "deposit_from_party" => s.deposit.from_party = n()?,
        _ => s.deposit.refund_hours = n()?,
    }
    Some(s)
}

/// Whether crm accepts these settings (the rules and the deposit rule).
fn acceptable(s: &Settings) -> bool {
    s.rules(BTreeSet::new()).is_ok() && s.deposit.validate().is_ok()
}

fn fields(locale: Locale, values: &HashMap<String, String>, errors: &[&str]) -> Vec<FieldView> {
    KEYS.into_iter()
        .map(|key| {
            let (label, hint, example) = i18n::booking_setting(locale, key);
            let value = values.get(key).cloned().unwrap_or_default();
            let options = if key == "deposit_mode" {
                MODES
                    .into_iter()
                    .map(|m| (m, i18n::booking_setting(locale, m).0, value == m))
                    .collect()
            } else {
                Vec::new()
            };
            FieldView {
                key,
                label,
                hint,
                example,
                value,
                error: errors.contains(&key),
                options,
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct BranchQuery {
    #[serde(default)]
    branch: String,
    #[serde(default)]
    saved: String,
    /// A day just closed that still has bookings (`YYYYMMDD`).
    #[serde(default)]
    booked_day: String,
}

/// `GET /panel/bookings/settings?branch=`.
pub async fn page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(q): Query<BranchQuery>,
) -> PageResult {
    let b = i18n::booking_texts(ctx.locale());
    let place = place(&state, &ctx, branch_param(&q.branch)).await?;
    let values = match &place {
        Some(p) => {
            let s = settings::get(&state.store, &ctx.tenant, &p.branch).await?;
            KEYS.iter()
                .map(|k| (k.to_string(), value_of(&s, k)))
                .collect()
        }
        None => HashMap::new(),
    };
    let x = match &place {
        Some(p) => {
            let mut x = booking_resources::extras(&state, &ctx, p, None, None).await?;
            x.booked_day = booking_resources::booked_day(&state, &ctx, p, &q.booked_day).await?;
            x
        }
        None => Extras::default(),
    };
    Ok(SettingsPage {
        f: Frame::tenant(&ctx, b.set_title, "/bookings"),
        b,
        e: i18n::booking_edit_texts(ctx.locale()),
        fields: fields(ctx.locale(), &values, &[]),
        tables: tables(&state, &ctx, &place).await?,
        place,
        saved: !q.saved.is_empty(),
        table_form: TableForm::default(),
        table_error: None,
        x,
    }
    .into_response())
}

/// The page of branch `p` as saved, with `x` (a refused closed day or deposit rule).
pub async fn render(state: &PanelState, ctx: &Ctx, p: Place, x: Extras) -> PageResult {
    let b = i18n::booking_texts(ctx.locale());
    let s = settings::get(&state.store, &ctx.tenant, &p.branch).await?;
    let values = KEYS
        .iter()
        .map(|k| (k.to_string(), value_of(&s, k)))
        .collect();
    let place = Some(p);
    Ok(SettingsPage {
        f: Frame::tenant(ctx, b.set_title, "/bookings"),
        b,
        e: i18n::booking_edit_texts(ctx.locale()),
        fields: fields(ctx.locale(), &values, &[]),
        tables: tables(state, ctx, &place).await?,
        place,
        saved: false,
        table_form: TableForm::default(),
        table_error: None,
        x,
    }
    .into_response())
}

/// `POST /panel/bookings/settings` with `branch` and every field.
pub async fn save(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let b = i18n::booking_texts(ctx.locale());
    let asked = form.get("branch").and_then(|x| branch_param(x));
    let Some(p) = place(&state, &ctx, asked).await? else {
        return Err(Fail::NotFound);
    };
    let old = settings::get(&state.store, &ctx.tenant, &p.branch).await?;
    // Each field on top of what is saved: a refusal names its own field.
    let mut errors = Vec::new();
    let mut new = old.clone();
    for key in KEYS {
        let raw = form.get(key).map(String::as_str).unwrap_or("");
        match with(&old, key, raw) {
            Some(one) if acceptable(&one) => new = with(&new, key, raw).unwrap_or(new),
            _ => errors.push(key),
        }
    }
    // Together they can still clash (a deposit mode without an amount).
    if errors.is_empty() && !acceptable(&new) {
        errors.push("deposit_amount");
    }
    if !errors.is_empty() {
        let x = booking_resources::extras(&state, &ctx, &p, None, None).await?;
        let place = Some(p);
        return Ok(SettingsPage {
            f: Frame::tenant(&ctx, b.set_title, "/bookings"),
            b,
            e: i18n::booking_edit_texts(ctx.locale()),
            x,
            fields: fields(ctx.locale(), &form, &errors),
            tables: tables(&state, &ctx, &place).await?,
            place,
            saved: false,
            table_form: TableForm::default(),
            table_error: None,
        }
        .into_response());
    }
    let change = SettingsChange {
        time_zone: None,
        slot_interval: Some(new.slot_interval),
        stay_minutes: Some(new.stay_minutes),
        stay_by_party: Some(new.stay_by_party.clone()),
        buffer_minutes: Some(new.buffer_minutes),
        min_notice: Some(new.min_notice),
        max_days_ahead: Some(new.max_days_ahead),
        opening_hours: Some(new.opening_hours.clone()),
        deposit_mode: Some(new.deposit.mode.as_str().to_string()),
        deposit_amount: Some(new.deposit.amount),
        deposit_from_party: Some(new.deposit.from_party),
        deposit_refund_hours: Some(new.deposit.refund_hours),
    };
    let saved = settings::update(&state.store, &ctx.tenant, &p.branch, &change).await?;
    let shape = |s: &Settings| {
        json!(
            KEYS.iter()
                .map(|k| (k.to_string(), value_of(s, k)))
                .collect::<HashMap<_, _>>()
        )
    };
    record(
        &state,
        &ctx,
        "branch",
        "booking.settings",
        p.branch.id,
        Some(shape(&old)),
        shape(&saved),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "{BASE}/bookings/settings?branch={}&saved=1",
        p.branch.id
    ))
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct TableForm {
    #[serde(default)]
    pub(crate) branch: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) min: String,
    #[serde(default)]
    pub(crate) max: String,
    #[serde(default)]
    pub(crate) zone: String,
    /// Names of tables it joins with, comma-separated.
    #[serde(default)]
    pub(crate) joins: String,
    /// For taking one out of service: `on` puts it back.
    #[serde(default)]
    pub(crate) active: String,
    /// `table` (empty), `staff`, `chair` or `room`.
    #[serde(default)]
    pub(crate) kind: String,
    /// Working hours (appointment resources); empty = the branch's.
    #[serde(default)]
    pub(crate) hours: String,
}

impl TableForm {
    /// The resource the form describes (an add or an edit).
    pub(crate) fn resource(&self, kind: Kind) -> NewResource {
        NewResource {
            kind,
            name: self.name.trim().to_string(),
            // An empty minimum is one guest; anything unreadable is refused.
            min_party: match self.min.trim() {
                "" => 1,
                min => parse_whole(min).unwrap_or(0),
            },
            max_party: parse_whole(&self.max).unwrap_or(0),
            zone: Some(self.zone.trim().to_string()).filter(|z| !z.is_empty()),
            working_hours: Some(self.hours.trim().to_string()).filter(|h| !h.is_empty()),
            joinable: crate::bookings::table_names(&self.joins),
        }
    }
}

fn back(branch: i64) -> axum::response::Response {
    Redirect::to(&format!("{BASE}/bookings/settings?branch={branch}&saved=1")).into_response()
}

/// `POST /panel/bookings/tables`: a new table; a refusal comes back on the form.
pub async fn add_table(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<TableForm>,
) -> PageResult {
    let b = i18n::booking_texts(ctx.locale());
    let Some(p) = place(&state, &ctx, branch_param(&form.branch)).await? else {
        return Err(Fail::NotFound);
    };
    let kind = match form.kind.trim() {
        "" => Kind::Table,
        other => other.parse().unwrap_or(Kind::Table),
    };
    let new = form.resource(kind);
    let refusal = match resources::add(&state.store, &ctx.tenant, &p.branch, &new).await {
        Ok(made) => {
            let after = json!({ "kind": made.kind.as_str(), "name": made.name, "min": made.min_party, "max": made.max_party, "zone": made.zone, "hours": made.working_hours, "joins": new.joinable });
            record(&state, &ctx, "table", "table.add", made.id, None, after).await?;
            return Ok(back(p.branch.id));
        }
        Err(crm::Error::Conflict(_)) => b.table_taken,
        Err(crm::Error::Invalid(_) | crm::Error::NotFound(_)) => b.table_invalid,
        Err(e) => return Err(e.into()),
    };
    let s = settings::get(&state.store, &ctx.tenant, &p.branch).await?;
    let values = KEYS
        .iter()
        .map(|k| (k.to_string(), value_of(&s, k)))
        .collect();
    let x = booking_resources::extras(&state, &ctx, &p, None, None).await?;
    let place = Some(p);
    Ok(SettingsPage {
        f: Frame::tenant(&ctx, b.set_title, "/bookings"),
        b,
        e: i18n::booking_edit_texts(ctx.locale()),
        x,
        fields: fields(ctx.locale(), &values, &[]),
        tables: tables(&state, &ctx, &place).await?,
        place,
        saved: false,
        table_form: form,
        table_error: Some(refusal),
    }
    .into_response())
}

/// `POST /panel/bookings/tables/active`: out of service (or back, `active=on`).
pub async fn set_table_active(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<TableForm>,
) -> PageResult {
    let Some(p) = place(&state, &ctx, branch_param(&form.branch)).await? else {
        return Err(Fail::NotFound);
    };
    let active = form.active == "on";
    match resources::set_active(&state.store, &ctx.tenant, &p.branch, &form.name, active).await {
        Ok(()) => {}
        // A stale form (the table is gone): the page shows what there is.
        Err(crm::Error::NotFound(_)) => return Ok(back(p.branch.id)),
        Err(e) => return Err(e.into()),
    }
    let after = json!({ "name": form.name.trim(), "active": active });
    record(
        &state,
        &ctx,
        "branch",
        "table.active",
        p.branch.id,
        None,
        after,
    )
    .await?;
    Ok(back(p.branch.id))
}
