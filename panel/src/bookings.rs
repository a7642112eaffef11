//! The host view: a branch's bookings of one day (Jalali), moving them along their
//! lifecycle (confirm, seat, finish, cancel, no-show), recording deposits, and booking
//! a phone call or a walk-in — or moving a booking to another day, time or table —
//! through the same save that refuses double bookings.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use crm::audit::{self, Change};
use crm::branches::{self, Branch};
use crm::clock::{self, Zone};
use crm::reservations::bookings::{self, BookingChange, NewBooking, Source};
use crm::reservations::deposits::{self, State as DepositState};
use crm::reservations::{Status, settings};
use crm::roles::Permission;
use crm::ui::Locale;
use serde::Deserialize;
use serde_json::json;

use crate::guard::{Ctx, Fail, PageResult};
use crate::i18n::{self, BookingTexts};
use crate::view::{self, Frame};
use crate::{BASE, PanelState};

/// A branch the signed-in person may work in, and the zone its days are read in.
pub struct Place {
    pub branch: Branch,
    pub zone: Zone,
    /// Every branch they may pick: (id, name, selected).
    pub choices: Vec<(i64, String, bool)>,
}

/// The branch asked for (`None` = the first), among those the person's role covers;
/// `Ok(None)` when the tenant has no branch yet. Another tenant's or an uncovered
/// branch is not found.
pub async fn place(
    state: &PanelState,
    ctx: &Ctx,
    asked: Option<i64>,
) -> Result<Option<Place>, Fail> {
    let all: Vec<Branch> = branches::list_in(&state.store, &ctx.tenant, &ctx.scope()).await?;
    let branch = match asked {
        Some(id) => all
            .iter()
            .find(|b| b.id == id)
            .cloned()
            .ok_or(Fail::NotFound)?,
        None => match all.first() {
            Some(b) => b.clone(),
            None => return Ok(None),
        },
    };
    let s = settings::get(&state.store, &ctx.tenant, &branch).await?;
    let zone = Zone::named(&s.time_zone).map_err(|_| Fail::Server)?;
    let choices = all
        .iter()
        .map(|b| (b.id, b.name.clone(), b.id == branch.id))
        .collect();
    Ok(Some(Place {
        branch,
        zone,
        choices,
    }))
}

/// `branch=` and `day=` as given (bad values are ignored, not errors).
#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    branch: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    done: String,
}

impl DayQuery {
    pub fn branch(&self) -> &str {
        &self.branch
    }
}

pub fn branch_param(raw: &str) -> Option<i64> {
    raw.trim().parse().ok()
}

pub struct Row {
    id: i64,
    time: String,
    guest: String,
    phone: String,
    party: String,
    tables: String,
    status: &'static str,
    status_class: &'static str,
    deposit: String,
    /// (status value, button label, danger).
    actions: Vec<(&'static str, &'static str, bool)>,
    deposit_action: Option<(&'static str, &'static str)>,
    /// Whether it can still be moved, and its time and tables as the move form starts.
    movable: bool,
    move_time: String,
    move_tables: String,
    move_party: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "bookings.html")]
struct BookingsPage {
    f: Frame,
    b: &'static BookingTexts,
    e: &'static i18n::BookingEditTexts,
    place: Option<Place>,
    day: i64,
    day_label: String,
    prev: i64,
    next: i64,
    rows: Vec<Row>,
    /// The days a booking can be moved to: (day key, Jalali label, the shown day).
    move_days: Vec<(i64, String, bool)>,
    can_manage: bool,
    can_edit_sms: bool,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    form: NewForm,
}

/// How many days ahead of the shown day a booking can be moved from the host view.
const MOVE_DAYS: i64 = 31;

const ACTIONS: [Status; 5] = [
    Status::Confirmed,
    Status::Seated,
    Status::Finished,
    Status::NoShow,
    Status::Cancelled,
];

fn row(locale: Locale, zone: &Zone, b: &bookings::Booking) -> Row {
    let deposit = if b.deposit_amount > 0 {
        format!(
            "{} · {}",
            view::num(locale, b.deposit_amount),
            i18n::deposit_state(locale, b.deposit_state)
        )
    } else {
        "—".into()
    };
    let deposit_action = match b.deposit_state {
        DepositState::Due => Some(("paid", i18n::booking_texts(locale).deposit_paid)),
        DepositState::RefundDue => Some(("refunded", i18n::booking_texts(locale).deposit_refunded)),
        _ => None,
    };
    Row {
        id: b.id,
        time: locale.digits(&zone.hh_mm(b.starts_at)),
        guest: b.name.clone().unwrap_or_default(),
        phone: locale.digits(&view::national(&b.phone)),
        party: view::num(locale, b.party),
        tables: locale.digits(&b.tables.join(" + ")),
        status: i18n::booking_status(locale, b.status),
        status_class: b.status.as_str(),
        deposit,
        actions: ACTIONS
            .into_iter()
            .filter(|s| b.status.can_become(*s))
            .map(|s| {
                (
                    s.as_str(),
                    i18n::booking_action(locale, s),
                    matches!(s, Status::Cancelled | Status::NoShow),
                )
            })
            .collect(),
        deposit_action,
        movable: b.status == Status::Waitlisted || (b.status.holds() && b.status != Status::Seated),
        move_time: zone.hh_mm(b.starts_at),
        move_tables: b.tables.join(", "),
        move_party: b.party,
    }
}

async fn render(
    state: &PanelState,
    ctx: &Ctx,
    query: &DayQuery,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    form: NewForm,
) -> PageResult {
    let locale = ctx.locale();
    let b = i18n::booking_texts(locale);
    let place = place(state, ctx, branch_param(&query.branch)).await?;
    let now = clock::now();
    let (day, rows) = match &place {
        Some(p) => {
            let day = query
                .day
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|d| p.zone.start_of_day(*d).is_ok())
                .unwrap_or_else(|| p.zone.day_key(now));
            let from = p.zone.start_of_day(day)?;
            let to = p.zone.start_of_day(clock::add_days(day, 1)?)?;
            let list = bookings::list(&state.store, &ctx.tenant, p.branch.id, from, to).await?;
            (day, list.iter().map(|x| row(locale, &p.zone, x)).collect())
        }
        None => (0, Vec::new()),
    };
    let shift = |n: i64| clock::add_days(day, n).unwrap_or(day);
    let mut move_days: Vec<(i64, String, bool)> = Vec::new();
    for n in 0..MOVE_DAYS {
        let d = shift(n);
        if move_days.last().is_none_or(|(last, _, _)| *last != d) {
            move_days.push((d, view::day(locale, d), n == 0));
        }
    }
    Ok(BookingsPage {
        f: Frame::tenant(ctx, b.bookings_title, "/bookings"),
        b,
        e: i18n::booking_edit_texts(ctx.locale()),
        day,
        day_label: view::day(locale, day),
        prev: shift(-1),
        next: shift(1),
        place,
        rows,
        move_days,
        can_manage: ctx.can(Permission::ManageBookings),
        can_edit_sms: ctx.can(Permission::EditBookingSettings),
        notice: notice.or(match query.done.as_str() {
            "booked" => Some(b.booked_ok),
            "ok" => Some(b.changed_ok),
            "moved" => Some(b.moved_ok),
            _ => None,
        }),
        error: error.or(match query.done.as_str() {
            "refused" => Some(b.refused),
            "taken" => Some(b.slot_taken),
            "busy" => Some(b.guest_busy),
            _ => None,
        }),
        form,
    }
    .into_response())
}

/// `GET /panel/bookings?branch=&day=YYYYMMDD`.
pub async fn list(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<DayQuery>,
) -> PageResult {
    render(&state, &ctx, &query, None, None, NewForm::default()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    pub branch: String,
    #[serde(default)]
    pub day: String,
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub party: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub table: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /panel/bookings`: a phone call or a walk-in. Staff bookings skip the public
/// page's rules (a table now, late, far ahead) but never another booking's table.
pub async fn create(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<NewForm>,
) -> PageResult {
    let b = i18n::booking_texts(ctx.locale());
    let query = DayQuery {
        branch: form.branch.clone(),
        day: form.day.clone(),
        done: String::new(),
    };
    let Some(p) = place(&state, &ctx, branch_param(&form.branch)).await? else {
        return render(&state, &ctx, &query, None, Some(b.no_branches), form).await;
    };
    let day = form
        .day
        .trim()
        .parse::<i64>()
        .unwrap_or_else(|_| p.zone.day_key(clock::now()));
    let Ok(starts_at) = p.zone.at(day, &form.time) else {
        return render(&state, &ctx, &query, None, Some(b.bad_time), form).await;
    };
    let party = match form.party.trim().parse::<i64>() {
        Ok(n) if (1..=100).contains(&n) => n,
        _ => return render(&state, &ctx, &query, None, Some(b.bad_party), form).await,
    };
    let new = NewBooking {
        service_id: None,
        branch_id: p.branch.id,
        phone: form.phone.clone(),
        name: Some(form.name.clone()),
        party,
        starts_at,
        source: Source::Staff,
        tables: table_names(&form.table),
        waitlist: false,
        note: Some(form.note.clone()),
    };
    let made = match bookings::create(&state.store, &ctx.tenant, &new, clock::now()).await {
        Ok(made) => made,
        Err(e) => {
            let message = match e {
                crm::Error::Phone(_) => b.bad_phone,
                crm::Error::Conflict(m) if m == bookings::GUEST_BUSY => b.guest_busy,
                crm::Error::Conflict(_) => b.slot_taken,
                crm::Error::Invalid(_) | crm::Error::NotFound(_) => b.refused,
                other => return Err(Fail::from(other)),
            };
            return render(&state, &ctx, &query, None, Some(message), form).await;
        }
    };
    let after = json!({
        "branch": p.branch.id, "party": made.party, "starts_at": made.starts_at,
        "tables": made.tables,
    });
    record(
        &state,
        &ctx,
        "booking",
        "booking.create",
        made.id,
        None,
        after,
    )
    .await?;
    Ok(back_to(&made, &p.zone, "booked", ""))
}

/// Table names as a host types them: `3, 4` or `3+4`.
pub(crate) fn table_names(raw: &str) -> Vec<String> {
    raw.split([',', '+', '،'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The audit entry of a change to a booking (or to another `entity` of the bookings).
pub(crate) async fn record(
    state: &PanelState,
    ctx: &Ctx,
    entity: &'static str,
    action: &'static str,
    id: i64,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<(), Fail> {
    let change = Change {
        tenant_id: Some(ctx.tenant.id),
        action,
        entity,
        entity_id: Some(id),
        before,
        after: Some(after),
    };
    audit::record(state.store.pool(), ctx.actor(), &change).await?;
    Ok(())
}

/// Where a host returns after acting on a booking: its day, or the table board.
fn back_to(b: &bookings::Booking, zone: &Zone, done: &str, back: &str) -> axum::response::Response {
    let url = if back == "tables" {
        format!("{BASE}/tables?branch={}", b.branch_id)
    } else {
        format!(
            "{BASE}/bookings?branch={}&day={}&done={done}",
            b.branch_id,
            zone.day_key(b.starts_at)
        )
    };
    Redirect::to(&url).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    deposit: String,
    /// `tables`: the action came from the table board.
    #[serde(default)]
    back: String,
}

/// The booking, if its branch is one the person covers.
async fn booking(
    state: &PanelState,
    ctx: &Ctx,
    id: i64,
) -> Result<(bookings::Booking, Place), Fail> {
    let b = bookings::get(&state.store, &ctx.tenant, id).await?;
    let p = place(state, ctx, Some(b.branch_id))
        .await?
        .ok_or(Fail::NotFound)?;
    Ok((b, p))
}

/// `POST /panel/bookings/{id}/status` with `status=confirmed|seated|finished|no_show|cancelled`.
pub async fn set_status(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> PageResult {
    let (old, p) = booking(&state, &ctx, id).await?;
    let Some(next) = form
        .status
        .parse::<Status>()
        .ok()
        .filter(|s| ACTIONS.contains(s))
    else {
        return Ok(back_to(&old, &p.zone, "refused", ""));
    };
    match bookings::set_status(&state.store, &ctx.tenant, id, next, clock::now()).await {
        Ok(new) => {
            let before = json!({ "status": old.status.as_str() });
            let after =
                json!({ "status": new.status.as_str(), "deposit": new.deposit_state.as_str() });
            record(
                &state,
                &ctx,
                "booking",
                "booking.status",
                id,
                Some(before),
                after,
            )
            .await?;
            Ok(back_to(&new, &p.zone, "ok", &form.back))
        }
        Err(crm::Error::Invalid(_) | crm::Error::Conflict(_)) => {
            Ok(back_to(&old, &p.zone, "refused", ""))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /panel/bookings/{id}/deposit` with `deposit=paid|refunded`.
pub async fn deposit(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> PageResult {
    let (old, p) = booking(&state, &ctx, id).await?;
    let to = match form.deposit.as_str() {
        "paid" => DepositState::Paid,
        "refunded" => DepositState::Refunded,
        _ => return Ok(back_to(&old, &p.zone, "refused", "")),
    };
    match deposits::record(&state.store, &ctx.tenant, id, to, clock::now()).await {
        Ok(()) => {
            let before = json!({ "deposit": old.deposit_state.as_str() });
            let after = json!({ "deposit": to.as_str(), "amount": old.deposit_amount });
            record(
                &state,
                &ctx,
                "booking",
                "booking.deposit",
                id,
                Some(before),
                after,
            )
            .await?;
            Ok(back_to(&old, &p.zone, "ok", ""))
        }
        Err(crm::Error::Invalid(_) | crm::Error::Conflict(_)) => {
            Ok(back_to(&old, &p.zone, "refused", ""))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    day: String,
    #[serde(default)]
    time: String,
    /// Empty: the save picks free tables.
    #[serde(default)]
    table: String,
    /// Empty: unchanged.
    #[serde(default)]
    party: String,
    /// Minutes; empty: the branch's stay for the party.
    #[serde(default)]
    stay: String,
}

/// `POST /panel/bookings/{id}/move`: another day, time or table, through the save that
/// refuses double bookings (all or nothing: a refused move leaves the booking as it was).
pub async fn move_booking(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> PageResult {
    let (old, p) = booking(&state, &ctx, id).await?;
    let day = form
        .day
        .trim()
        .parse::<i64>()
        .unwrap_or_else(|_| p.zone.day_key(old.starts_at));
    let Ok(starts_at) = p.zone.at(day, &form.time) else {
        return Ok(back_to(&old, &p.zone, "refused", ""));
    };
    let whole = |raw: &str| -> Result<Option<i64>, ()> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        crate::club_settings::parse_whole(raw).map(Some).ok_or(())
    };
    let (Ok(party), Ok(stay_minutes)) = (whole(&form.party), whole(&form.stay)) else {
        return Ok(back_to(&old, &p.zone, "refused", ""));
    };
    let change = BookingChange {
        starts_at: Some(starts_at),
        party,
        stay_minutes,
        tables: Some(table_names(&form.table)),
    };
    let now = clock::now();
    match bookings::modify(&state.store, &ctx.tenant, id, &change, Source::Staff, now).await {
        Ok(new) => {
            let before = json!({ "starts_at": old.starts_at, "ends_at": old.ends_at, "party": old.party, "tables": old.tables });
            let after = json!({ "starts_at": new.starts_at, "ends_at": new.ends_at, "party": new.party, "tables": new.tables });
            record(
                &state,
                &ctx,
                "booking",
                "booking.move",
                id,
                Some(before),
                after,
            )
            .await?;
            Ok(back_to(&new, &p.zone, "moved", ""))
        }
        Err(crm::Error::Conflict(m)) if m == bookings::GUEST_BUSY => {
            Ok(back_to(&old, &p.zone, "busy", ""))
        }
        Err(crm::Error::Conflict(_)) => Ok(back_to(&old, &p.zone, "taken", "")),
        Err(crm::Error::Invalid(_) | crm::Error::NotFound(_)) => {
            Ok(back_to(&old, &p.zone, "refused", ""))
        }
        Err(e) => Err(e.into()),
    }
}
