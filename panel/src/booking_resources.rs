//! The booking settings' editors beyond the rules form: one resource's details (name,
//! party range, zone, joined tables, working hours with breaks) and its days off; the
//! branch's closed days; deposits by time slot and party size. Every change goes
//! through crm (validated, audited in its transaction), so availability uses it at once;
//! a refusal comes back next to its form, naming the booking an edit would break.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::jalali::JalaliDate;
use crm::reservations::deposits::{self, Mode, NewSlotRule};
use crm::reservations::resources::{self, Kind, Resource};
use crm::reservations::settings;
use crm::ui::Locale;
use crm::{clock, text};
use serde::Deserialize;
use serde_json::json;

use crate::booking_settings::TableForm;
use crate::bookings::{Place, place, record};
use crate::club_settings::parse_whole;
use crate::guard::{Ctx, Fail, PageResult};
use crate::i18n::{self, BookingEditTexts, BookingTexts};
use crate::view::{self, Frame};
use crate::{BASE, PanelState};

/// A local date (`YYYYMMDD`) as people here read it: Jalali in Persian, Gregorian
/// (`2026-12-10`) in English.
pub fn show_day(locale: Locale, day: i64) -> String {
    match locale {
        Locale::Fa => view::day(locale, day),
        Locale::En => format!(
            "{:04}-{:02}-{:02}",
            day / 10_000,
            day / 100 % 100,
            day % 100
        ),
    }
}

/// A typed date: `1405/09/20` (Jalali, any digits) or `2026-12-10` (Gregorian), or a
/// day key `20261210`; years from 1700 up are read as Gregorian.
pub fn parse_day(raw: &str) -> Option<i64> {
    let ascii = text::ascii_digits(raw.trim());
    let parts: Vec<i64> = ascii
        .split(['/', '-', '.'])
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let (y, m, d) = match parts[..] {
        [y, m, d] => (y, m, d),
        // A day key as the remove buttons post it (`20261210`).
        [key] => (key / 10_000, key / 100 % 100, key % 100),
        _ => return None,
    };
    let key = if y >= 1700 {
        let key = y * 10_000 + m * 100 + d;
        clock::add_days(key, 0).ok().filter(|k| *k == key)?
    } else {
        JalaliDate {
            year: i32::try_from(y).ok()?,
            month: u8::try_from(m).ok()?,
            day: u8::try_from(d).ok()?,
        }
        .day_key()?
    };
    Some(key)
}

/// A closed day as listed: its key (for the remove button) and how it reads.
pub struct DayRow {
    pub key: i64,
    pub label: String,
}

fn day_rows(locale: Locale, days: impl IntoIterator<Item = i64>) -> Vec<DayRow> {
    days.into_iter()
        .map(|key| DayRow {
            key,
            label: show_day(locale, key),
        })
        .collect()
}

/// A deposit rule as listed.
pub struct RuleRow {
    pub id: i64,
    pub hours: String,
    pub party: String,
    pub deposit: String,
}

/// What the settings page shows below the tables: the branch's closed days and its
/// deposit rules, with what was typed and the refusal of a failed add.
#[derive(Default)]
pub struct Extras {
    pub closed: Vec<DayRow>,
    pub closed_day: String,
    pub closed_error: bool,
    pub rules: Vec<RuleRow>,
    pub rule_form: RuleForm,
    pub rule_error: bool,
    /// (value, label, selected) of the rule form's deposit mode.
    pub modes: Vec<(&'static str, &'static str, bool)>,
    /// A day just closed that still has bookings: (link to it in the host view, the
    /// notice).
    pub booked_day: Option<(String, String)>,
    /// The branch's services (appointments).
    pub services: crate::booking_services::ServicesView,
    /// Future bookings the rules as saved no longer allow: (link to the first one's
    /// day in the host view, the warning).
    pub outside: Option<(String, String)>,
}

const MODES: [&str; 3] = ["none", "per_guest", "fixed"];

/// The extras of branch `p` (`typed`: a refused form to show again).
pub async fn extras(
    state: &PanelState,
    ctx: &Ctx,
    p: &Place,
    closed_typed: Option<String>,
    rule_typed: Option<RuleForm>,
) -> Result<Extras, Fail> {
    let locale = ctx.locale();
    let closed = settings::closed_dates(&state.store, &ctx.tenant, &p.branch).await?;
    let e = i18n::booking_edit_texts(locale);
    let rules = deposits::slot_rules(&state.store, &ctx.tenant, &p.branch)
        .await?
        .into_iter()
        .map(|r| RuleRow {
            id: r.id,
            hours: r
                .hours
                .map(|h| h.to_string())
                .unwrap_or_else(|| e.any_time.to_string()),
            party: locale.digits(&match r.max_party {
                Some(max) => format!("{}–{max}", r.min_party),
                None => format!("≥ {}", r.min_party),
            }),
            deposit: match r.mode {
                Mode::None => i18n::booking_setting(locale, "none").0.to_string(),
                mode => format!(
                    "{} {} · {}",
                    view::num(locale, r.amount),
                    e.rials,
                    i18n::booking_setting(locale, mode.as_str()).0
                ),
            },
        })
        .collect();
    let rule_error = rule_typed.is_some();
    let rule_form = rule_typed.unwrap_or_else(|| RuleForm {
        min: "1".into(),
        mode: "per_guest".into(),
        ..Default::default()
    });
    Ok(Extras {
        closed: day_rows(locale, closed),
        closed_error: closed_typed.is_some(),
        closed_day: closed_typed.unwrap_or_default(),
        modes: MODES
            .into_iter()
            .map(|m| (m, i18n::booking_setting(locale, m).0, rule_form.mode == m))
            .collect(),
        rules,
        rule_form,
        rule_error,
        booked_day: None,
        services: crate::booking_services::view(state, ctx, p, None).await?,
        outside: outside(state, ctx, p).await?,
    })
}

/// The warning for future bookings outside the branch's hours or on its closed days
/// (after the rules changed under them), with a link to the first one's day.
async fn outside(
    state: &PanelState,
    ctx: &Ctx,
    p: &Place,
) -> Result<Option<(String, String)>, Fail> {
    let now = clock::now();
    let found =
        crm::reservations::bookings::outside_rules(&state.store, &ctx.tenant, &p.branch, now)
            .await?;
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let locale = ctx.locale();
    let day = p.zone.day_key(first.starts_at);
    let text = i18n::booking_edit_texts(locale)
        .outside_rules
        .replace("{n}", &locale.digits(&found.len().to_string()))
        .replace(
            "{first}",
            &format!(
                "{} {}",
                show_day(locale, day),
                locale.digits(&p.zone.hh_mm(first.starts_at))
            ),
        );
    let link = format!("{BASE}/bookings?branch={}&day={day}", p.branch.id);
    Ok(Some((link, text)))
}

/// The live bookings of local day `day` at branch `p`.
async fn live_on(state: &PanelState, ctx: &Ctx, p: &Place, day: i64) -> Result<usize, Fail> {
    let from = p.zone.start_of_day(day).map_err(|_| Fail::Server)?;
    let next = clock::add_days(day, 1).map_err(|_| Fail::Server)?;
    let to = p.zone.start_of_day(next).map_err(|_| Fail::Server)?;
    let list =
        crm::reservations::bookings::list(&state.store, &ctx.tenant, p.branch.id, from, to).await?;
    Ok(list
        .iter()
        .filter(|b| b.status.holds() || b.status == crm::reservations::Status::Waitlisted)
        .count())
}

/// The notice for a closed day (`raw`, from the query) that still has bookings: they
/// stay booked until a host moves or cancels them.
pub async fn booked_day(
    state: &PanelState,
    ctx: &Ctx,
    p: &Place,
    raw: &str,
) -> Result<Option<(String, String)>, Fail> {
    let Ok(day) = raw.trim().parse::<i64>() else {
        return Ok(None);
    };
    if clock::add_days(day, 0).is_err() {
        return Ok(None);
    }
    let n = live_on(state, ctx, p, day).await?;
    if n == 0 {
        return Ok(None);
    }
    let locale = ctx.locale();
    let e = i18n::booking_edit_texts(locale);
    let text = e
        .closed_with_bookings
        .replace("{day}", &show_day(locale, day))
        .replace("{n}", &locale.digits(&n.to_string()));
    let link = format!("{BASE}/bookings?branch={}&day={day}", p.branch.id);
    Ok(Some((link, text)))
}

fn to_settings(branch: i64, anchor: &str) -> Response {
    Redirect::to(&format!(
        "{BASE}/bookings/settings?branch={branch}&saved=1#{anchor}"
    ))
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct DayForm {
    #[serde(default)]
    branch: String,
    #[serde(default)]
    day: String,
    /// `off` opens the day again; anything else closes it.
    #[serde(default)]
    closed: String,
}

/// `POST /panel/bookings/closed`: the branch closed (or open again) on a day; audited.
pub async fn branch_closed(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<DayForm>,
) -> PageResult {
    let Some(p) = place(&state, &ctx, form.branch.trim().parse().ok()).await? else {
        return Err(Fail::NotFound);
    };
    let closed = form.closed != "off";
    let Some(day) = parse_day(&form.day) else {
        let extras = extras(&state, &ctx, &p, Some(form.day.clone()), None).await?;
        return crate::booking_settings::render(&state, &ctx, p, extras).await;
    };
    settings::set_closed(&state.store, &ctx.tenant, &p.branch, day, closed).await?;
    let after = json!({ "day": day, "closed": closed });
    record(
        &state,
        &ctx,
        "branch",
        "booking.closed",
        p.branch.id,
        None,
        after,
    )
    .await?;
    // Bookings already made that day stay; the page says so, with a link to them.
    if closed && live_on(&state, &ctx, &p, day).await? > 0 {
        return Ok(Redirect::to(&format!(
            "{BASE}/bookings/settings?branch={}&saved=1&booked_day={day}#closed-days",
            p.branch.id
        ))
        .into_response());
    }
    Ok(to_settings(p.branch.id, "closed-days"))
}

#[derive(Debug, Default, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    branch: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub min: String,
    #[serde(default)]
    pub max: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub amount: String,
}

/// `POST /panel/bookings/deposit-rules`: a deposit for a time slot and party size.
pub async fn add_rule(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<RuleForm>,
) -> PageResult {
    let Some(p) = place(&state, &ctx, form.branch.trim().parse().ok()).await? else {
        return Err(Fail::NotFound);
    };
    let max = form.max.trim();
    let new = (|| {
        Some(NewSlotRule {
            hours: form.hours.trim().to_string(),
            min_party: parse_whole(&form.min)?,
            max_party: if max.is_empty() {
                None
            } else {
                Some(parse_whole(max)?)
            },
            mode: form.mode.parse().ok()?,
            amount: if form.amount.trim().is_empty() {
                0
            } else {
                parse_whole(&form.amount)?
            },
        })
    })();
    let made = match new {
        Some(new) => {
            let now = clock::now();
            deposits::add_slot_rule(&state.store, &ctx.tenant, &p.branch, ctx.actor(), &new, now)
                .await
        }
        None => Err(crm::Error::Invalid("not a number".into())),
    };
    match made {
        Ok(_) => Ok(to_settings(p.branch.id, "deposit-rules")),
        Err(crm::Error::Invalid(_)) => {
            let extras = extras(&state, &ctx, &p, None, Some(form)).await?;
            crate::booking_settings::render(&state, &ctx, p, extras).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    branch: String,
    #[serde(default)]
    id: String,
}

/// `POST /panel/bookings/deposit-rules/remove` with `branch` and the rule's `id`.
pub async fn remove_rule(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<RemoveForm>,
) -> PageResult {
    let Some(p) = place(&state, &ctx, form.branch.trim().parse().ok()).await? else {
        return Err(Fail::NotFound);
    };
    let id = form.id.trim().parse().unwrap_or(0);
    match deposits::remove_slot_rule(&state.store, &ctx.tenant, &p.branch, ctx.actor(), id).await {
        // Already gone (another tab): the page shows what there is.
        Ok(()) | Err(crm::Error::NotFound(_)) => Ok(to_settings(p.branch.id, "deposit-rules")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "booking_resource.html")]
struct ResourcePage {
    f: Frame,
    b: &'static BookingTexts,
    e: &'static BookingEditTexts,
    p: Place,
    r: Resource,
    kind: &'static str,
    form: TableForm,
    saved: bool,
    /// The refusal to show above the form: a sentence and, when an edit would break a
    /// booking, that booking as a link to its day.
    error: Option<String>,
    blocked: Option<Blocker>,
    closed: Vec<DayRow>,
    closed_day: String,
    closed_error: Option<String>,
}

fn kind_label(e: &BookingEditTexts, kind: Kind) -> &'static str {
    match kind {
        Kind::Table => e.kind_table,
        Kind::Staff => e.kind_staff,
        Kind::Chair => e.kind_chair,
        Kind::Room => e.kind_room,
    }
}

/// Resource `id` and its branch, if the person covers that branch.
async fn resource(
    state: &PanelState,
    ctx: &Ctx,
    id: i64,
) -> Result<(Place, Resource, Vec<Resource>), Fail> {
    let branch = match resources::branch_of(&state.store, &ctx.tenant, id).await {
        Ok(b) => b,
        Err(crm::Error::NotFound(_)) => return Err(Fail::NotFound),
        Err(e) => return Err(e.into()),
    };
    let p = place(state, ctx, Some(branch))
        .await?
        .ok_or(Fail::NotFound)?;
    let all = resources::list(&state.store, &ctx.tenant, &p.branch).await?;
    let r = all
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .ok_or(Fail::NotFound)?;
    Ok((p, r, all))
}

fn form_of(r: &Resource, all: &[Resource]) -> TableForm {
    TableForm {
        name: r.name.clone(),
        min: r.min_party.to_string(),
        max: r.max_party.to_string(),
        zone: r.zone.clone().unwrap_or_default(),
        joins: r
            .joinable
            .iter()
            .filter_map(|j| all.iter().find(|o| o.id == *j).map(|o| o.name.clone()))
            .collect::<Vec<_>>()
            .join(", "),
        hours: r.working_hours.clone().unwrap_or_default(),
        ..Default::default()
    }
}

struct Shown {
    form: TableForm,
    saved: bool,
    error: Option<String>,
    blocked: Option<Blocker>,
    closed_day: String,
    closed_error: Option<String>,
}

fn show(ctx: &Ctx, p: Place, r: Resource, s: Shown) -> Response {
    let locale = ctx.locale();
    let b = i18n::booking_texts(locale);
    let e = i18n::booking_edit_texts(locale);
    ResourcePage {
        f: Frame::tenant(ctx, e.edit_title, "/bookings"),
        b,
        e,
        kind: kind_label(e, r.kind),
        closed: day_rows(locale, r.closed.iter().copied()),
        p,
        r,
        form: s.form,
        saved: s.saved,
        error: s.error,
        blocked: s.blocked,
        closed_day: s.closed_day,
        closed_error: s.closed_error,
    }
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

/// `GET /panel/bookings/tables/{id}`: the edit form and the resource's days off.
pub async fn edit_page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> PageResult {
    let (p, r, all) = resource(&state, &ctx, id).await?;
    let form = form_of(&r, &all);
    let shown = Shown {
        form,
        saved: !q.saved.is_empty(),
        error: None,
        blocked: None,
        closed_day: String::new(),
        closed_error: None,
    };
    Ok(show(&ctx, p, r, shown))
}

fn back_to_edit(id: i64, anchor: &str) -> Response {
    Redirect::to(&format!("{BASE}/bookings/tables/{id}?saved=1{anchor}")).into_response()
}

/// `POST /panel/bookings/tables/{id}`: saves the edit through `resources::update`.
pub async fn update(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<TableForm>,
) -> PageResult {
    let (p, r, _) = resource(&state, &ctx, id).await?;
    let e = i18n::booking_edit_texts(ctx.locale());
    let b = i18n::booking_texts(ctx.locale());
    let new = form.resource(r.kind);
    let now = clock::now();
    let mut shown = Shown {
        form,
        saved: false,
        error: None,
        blocked: None,
        closed_day: String::new(),
        closed_error: None,
    };
    match resources::update(
        &state.store,
        &ctx.tenant,
        &p.branch,
        ctx.actor(),
        id,
        &new,
        now,
    )
    .await
    {
        Ok(_) => return Ok(back_to_edit(id, "")),
        Err(crm::Error::Invalid(m)) if m.starts_with("working hours") => {
            shown.error = Some(format!(
                "{} sat-wed 09:00-13:00; sat-wed 14:00-18:00",
                e.bad_hours
            ));
        }
        Err(crm::Error::Invalid(_) | crm::Error::NotFound(_)) => {
            shown.error = Some(e.invalid.to_string());
        }
        Err(crm::Error::Conflict(_)) => {
            // Which booking: asked again (the save refused it for the same reason).
            let blocked =
                resources::breaking_booking(&state.store, &ctx.tenant, &p.branch, id, &new, now)
                    .await
                    .ok()
                    .flatten();
            match blocked {
                Some(bk) => {
                    shown.error = Some(e.breaks_booking.to_string());
                    shown.blocked = Some(describe(&ctx, &p, &bk));
                }
                None => shown.error = Some(b.table_taken.to_string()),
            }
        }
        Err(other) => return Err(other.into()),
    }
    Ok(show(&ctx, p, r, shown))
}

/// A booking that blocks a change, as the page names it (with a link to its day).
pub struct Blocker {
    link: String,
    /// "Booking #12" / "رزرو شمارهٔ ۱۲".
    number: String,
    name: Option<String>,
    party: String,
    when: String,
}

fn describe(ctx: &Ctx, p: &Place, bk: &resources::Blocked) -> Blocker {
    let locale = ctx.locale();
    let e = i18n::booking_edit_texts(locale);
    let b = i18n::booking_texts(locale);
    let when = match locale {
        Locale::Fa => view::moment(locale, &p.zone, bk.starts_at),
        Locale::En => format!(
            "{} {}",
            show_day(locale, p.zone.day_key(bk.starts_at)),
            p.zone.hh_mm(bk.starts_at)
        ),
    };
    Blocker {
        link: format!(
            "{BASE}/bookings?branch={}&day={}",
            p.branch.id,
            p.zone.day_key(bk.starts_at)
        ),
        number: e
            .booking_word
            .replace("{id}", &locale.digits(&bk.booking_id.to_string())),
        name: bk.name.clone(),
        party: format!("{} {}", locale.digits(&bk.party.to_string()), b.people),
        when,
    }
}

/// `POST /panel/bookings/tables/{id}/closed`: a day off for the resource (or back).
pub async fn resource_closed(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<DayForm>,
) -> PageResult {
    let (p, r, all) = resource(&state, &ctx, id).await?;
    let e = i18n::booking_edit_texts(ctx.locale());
    let closed = form.closed != "off";
    let mut shown = Shown {
        form: form_of(&r, &all),
        saved: false,
        error: None,
        blocked: None,
        closed_day: form.day.clone(),
        closed_error: None,
    };
    let Some(day) = parse_day(&form.day) else {
        shown.closed_error = Some(e.bad_day.to_string());
        return Ok(show(&ctx, p, r, shown));
    };
    let now = clock::now();
    match resources::set_closed(
        &state.store,
        &ctx.tenant,
        &p.branch,
        ctx.actor(),
        id,
        day,
        closed,
        now,
    )
    .await
    {
        Ok(()) => Ok(back_to_edit(id, "#days-off")),
        Err(crm::Error::Conflict(_)) => {
            // The booking that day, named like an edit's.
            let bookings = crm::reservations::bookings::list(
                &state.store,
                &ctx.tenant,
                p.branch.id,
                p.zone.start_of_day(day).map_err(|_| Fail::Server)?,
                p.zone
                    .start_of_day(clock::add_days(day, 1).map_err(|_| Fail::Server)?)
                    .map_err(|_| Fail::Server)?,
            )
            .await?;
            let held = bookings
                .into_iter()
                .find(|bk| bk.status.holds() && bk.tables.contains(&r.name));
            shown.closed_error = Some(e.breaks_booking.to_string());
            shown.blocked = held.map(|bk| {
                describe(
                    &ctx,
                    &p,
                    &resources::Blocked {
                        booking_id: bk.id,
                        name: bk.name,
                        party: bk.party,
                        starts_at: bk.starts_at,
                        time_zone: bk.time_zone,
                    },
                )
            });
            Ok(show(&ctx, p, r, shown))
        }
        Err(crm::Error::Invalid(_)) => {
            shown.closed_error = Some(e.bad_day.to_string());
            Ok(show(&ctx, p, r, shown))
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_typed_in_either_calendar() {
        assert_eq!(parse_day("۱۴۰۵/۰۹/۱۹"), Some(20261210));
        assert_eq!(parse_day("1405-9-19"), Some(20261210));
        assert_eq!(parse_day("2026-12-10"), Some(20261210));
        assert_eq!(parse_day("20261210"), Some(20261210));
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(parse_day("1405/13/01"), None);
        assert_eq!(parse_day("tomorrow"), None);
        assert_eq!(parse_day(""), None);
        assert_eq!(show_day(Locale::En, 20261210), "2026-12-10");
        assert_eq!(show_day(Locale::Fa, 20261210), "۱۹ آذر ۱۴۰۵");
    }
}
