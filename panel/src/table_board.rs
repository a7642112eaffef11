//! The live table board: every table of a branch as free / reserved soon / occupied /
//! needs cleaning (`crm::reservations::tables`), redrawn every few seconds by fetching a
//! small HTML fragment (short polling: no connection held open per screen). Hosts seat
//! the coming booking, finish the seated one, and mark a cleaned table free from here.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use crm::audit::{self, Change};
use crm::clock::{self, Zone};
use crm::reservations::Status;
use crm::reservations::tables::{self, BoardTable, TableState};
use crm::roles::Permission;
use crm::ui::Locale;

use crate::bookings::{DayQuery, Place, branch_param, place};
use crate::guard::{Ctx, Fail, PageResult};
use crate::i18n::{self, BookingTexts};
use crate::view::{self, Frame};
use crate::{BASE, PanelState};

/// How often the page fetches the fragment again (milliseconds).
const POLL_MS: u32 = 4000;

pub struct Card {
    id: i64,
    name: String,
    zone: String,
    seats: String,
    state: &'static str,
    state_class: &'static str,
    /// e.g. `Sara · 4 · 19:30`.
    booking: Option<String>,
    since: Option<String>,
    /// (booking id, status value, label): seat the coming guest, finish the seated one.
    action: Option<(i64, &'static str, &'static str)>,
    can_free: bool,
}

/// What both the page and the fragment draw.
pub struct Board {
    base: &'static str,
    csrf: String,
    b: &'static BookingTexts,
    cards: Vec<Card>,
    can_manage: bool,
    updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "tables.html")]
struct BoardPage {
    f: Frame,
    b: &'static BookingTexts,
    place: Option<Place>,
    board: Board,
    live_href: String,
    poll_ms: u32,
}

#[derive(Template, WebTemplate)]
#[template(path = "tables_live.html")]
struct BoardFragment {
    board: Board,
}

fn card(locale: Locale, zone: &Zone, t: BoardTable) -> Card {
    let booking = t.booking.as_ref().map(|x| {
        let mut parts = Vec::new();
        if let Some(name) = x.name.as_deref().filter(|n| !n.is_empty()) {
            parts.push(name.to_string());
        }
        parts.push(format!(
            "{} {}",
            view::num(locale, x.party),
            i18n::booking_texts(locale).people
        ));
        parts.push(locale.digits(&zone.hh_mm(x.starts_at)));
        let text = parts.join(" · ");
        if t.state == TableState::Free {
            format!("{}: {text}", i18n::booking_texts(locale).next_at)
        } else {
            text
        }
    });
    let action = t.booking.as_ref().and_then(|x| match (t.state, x.status) {
        (TableState::ReservedSoon, Status::Booked | Status::Confirmed) => Some((
            x.id,
            Status::Seated.as_str(),
            i18n::booking_action(locale, Status::Seated),
        )),
        (TableState::Occupied, Status::Seated) => Some((
            x.id,
            Status::Finished.as_str(),
            i18n::booking_action(locale, Status::Finished),
        )),
        _ => None,
    });
    Card {
        id: t.id,
        name: locale.digits(&t.name),
        zone: t.zone.unwrap_or_default(),
        seats: view::num(locale, t.max_party),
        state: i18n::table_state(locale, t.state),
        state_class: t.state.as_str(),
        booking,
        since: t
            .since
            .filter(|_| matches!(t.state, TableState::Occupied | TableState::NeedsCleaning))
            .map(|s| locale.digits(&zone.hh_mm(s))),
        action,
        // Only what the POS or a host marked (opened, left): bookings free themselves.
        can_free: t.since.is_some(),
    }
}

async fn board(state: &PanelState, ctx: &Ctx, place: Option<&Place>) -> Result<Board, Fail> {
    let locale = ctx.locale();
    let now = clock::now();
    let cards = match place {
        Some(p) => tables::board(&state.store, &ctx.tenant, p.branch.id, now)
            .await?
            .into_iter()
            .map(|t| card(locale, &p.zone, t))
            .collect(),
        None => Vec::new(),
    };
    let zone = place.map_or_else(|| view::zone(ctx), |p| p.zone.clone());
    Ok(Board {
        base: BASE,
        csrf: ctx.signed.visitor.csrf.clone(),
        b: i18n::booking_texts(locale),
        cards,
        can_manage: ctx.can(Permission::ManageBookings),
        updated: locale.digits(&zone.hh_mm(now)),
    })
}

/// `GET /panel/tables?branch=`.
pub async fn page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<DayQuery>,
) -> PageResult {
    let b = i18n::booking_texts(ctx.locale());
    let place = place(&state, &ctx, branch_param(query.branch())).await?;
    let board = board(&state, &ctx, place.as_ref()).await?;
    let live_href = match &place {
        Some(p) => format!("{BASE}/tables/live?branch={}", p.branch.id),
        None => format!("{BASE}/tables/live"),
    };
    Ok(BoardPage {
        f: Frame::tenant(&ctx, b.tables_title, "/tables"),
        b,
        place,
        board,
        live_href,
        poll_ms: POLL_MS,
    }
    .into_response())
}

/// `GET /panel/tables/live?branch=`: the board alone, for the page to swap in.
pub async fn live(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<DayQuery>,
) -> PageResult {
    let place = place(&state, &ctx, branch_param(query.branch())).await?;
    let board = board(&state, &ctx, place.as_ref()).await?;
    let mut response = BoardFragment { board }.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /panel/tables/{id}/free`: cleaned (or the POS left it open): free again.
pub async fn free(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let branch = tables::branch_of(&state.store, &ctx.tenant, id).await?;
    // Only a branch the person covers.
    place(&state, &ctx, Some(branch)).await?;
    let before = tables::one(&state.store, &ctx.tenant, branch, id, clock::now()).await?;
    let after = tables::mark_free(&state.store, &ctx.tenant, branch, id, clock::now()).await?;
    let change = Change {
        tenant_id: Some(ctx.tenant.id),
        action: "table.free",
        entity: "table",
        entity_id: Some(id),
        before: Some(serde_json::json!({ "state": before.state.as_str() })),
        after: Some(serde_json::json!({ "state": after.state.as_str() })),
    };
    audit::record(state.store.pool(), ctx.actor(), &change).await?;
    Ok(Redirect::to(&format!("{BASE}/tables?branch={branch}")).into_response())
}
