//! Customers: search and keyset pages, one customer's page (devices, sessions, usage,
//! group, club), block/unblock and group changes. Every id is looked up in the
//! current tenant, so another tenant's customer is "not found".

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use crm::clock::Zone;
use crm::hotspot::Subject;
use crm::reservations::bookings;
use crm::roles::Permission;
use crm::{club, customers, devices, groups, sessions, usage};
use radiusd::enforce;
use serde::Deserialize;

use crate::guard::{Ctx, Fail, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub(crate) q: String,
    #[serde(default)]
    after: String,
}

pub struct Row {
    href: String,
    phone: String,
    name: String,
    group: String,
    visits: String,
    last_seen: String,
    blocked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "customers.html")]
struct ListPage {
    f: Frame,
    q: String,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: String,
    paged: bool,
    can_export: bool,
    export_href: String,
}

fn encode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// `GET /panel/customers?q=&after=`.
pub async fn list(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(&ctx);
    let page = customers::page(
        &state.store,
        &ctx.tenant,
        &customers::PageQuery {
            search: Some(query.q.clone()),
            after: Some(query.after.clone()),
            limit: PAGE_SIZE,
        },
    )
    .await?;
    let rows = page
        .customers
        .iter()
        .map(|c| Row {
            href: format!("{BASE}/customers/{}", c.id),
            phone: locale.digits(&view::national(&c.phone)),
            name: c.name.clone().unwrap_or_default(),
            group: c.group_name.clone().unwrap_or_default(),
            visits: view::num(locale, c.visits),
            last_seen: c
                .last_seen_at
                .map(|at| view::moment(locale, &zone, at))
                .unwrap_or_default(),
            blocked: c.disabled,
        })
        .collect();
    let next_href = page.next.map(|next| {
        format!(
            "{BASE}/customers?q={}&after={}",
            encode(&query.q),
            encode(&next)
        )
    });
    Ok(ListPage {
        f: Frame::tenant(&ctx, t.customers_title, "/customers"),
        first_href: format!("{BASE}/customers?q={}", encode(&query.q)),
        can_export: ctx.can(Permission::ExportCustomers),
        export_href: format!("{BASE}/customers.csv?q={}", encode(&query.q)),
        q: query.q,
        rows,
        next_href,
        paged: !query.after.is_empty(),
    }
    .into_response())
}

pub struct DeviceRow {
    mac: String,
    remembered_until: String,
    last_seen: String,
}

pub struct SessionRow {
    started: String,
    duration: String,
    data: String,
    online: bool,
    mac: String,
    router: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "customer.html")]
struct CustomerPage {
    f: Frame,
    id: i64,
    phone: String,
    name: String,
    blocked: bool,
    joined: String,
    group_id: i64,
    groups: Vec<(i64, String)>,
    club: Option<String>,
    usage_today: String,
    usage_month: String,
    devices: Vec<DeviceRow>,
    sessions: Vec<SessionRow>,
    can_edit: bool,
    can_club: bool,
    /// Spendable and pending credit, when the person may see the club.
    credit: Option<(String, String)>,
    /// `None` when the person may not see bookings.
    bookings: Option<Vec<BookingRow>>,
}

/// One of the customer's bookings, linked to its day in the host view.
struct BookingRow {
    when: String,
    branch: String,
    party: String,
    tables: String,
    status: &'static str,
    status_class: &'static str,
    branch_id: i64,
    day: i64,
}

/// How many of a customer's bookings their page lists (newest first).
const BOOKINGS: i64 = 20;

/// `GET /panel/customers/{id}`.
pub async fn show(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let store = &state.store;
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(&ctx);
    let c = customers::by_id(store, &ctx.tenant, id).await?;
    let now = crm::clock::now();
    let today = zone.day_key(now);
    let used = usage::to_date(
        store,
        ctx.tenant.id,
        Subject::Customer(c.id),
        today,
        zone.month_start(today),
    )
    .await?;
    let devices = devices::for_customer(store, c.id)
        .await?
        .into_iter()
        .map(|d| DeviceRow {
            mac: d.mac,
            remembered_until: d
                .remembered_until
                .filter(|until| *until > now)
                .map(|until| view::moment(locale, &zone, until))
                .unwrap_or_else(|| t.not_remembered.to_string()),
            last_seen: view::moment(locale, &zone, d.last_seen_at),
        })
        .collect();
    // Usage and devices are the customer's own; sessions are where they happened, so a
    // person limited to some branches sees only those branches' sessions.
    let sessions = sessions::recent_for_customer(store, &ctx.tenant, &ctx.scope(), c.id, 20)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            started: view::moment(locale, &zone, s.started_at),
            duration: view::duration(locale, s.session_time),
            data: view::bytes(locale, s.octets),
            online: s.stopped_at.is_none(),
            mac: s.mac.unwrap_or_default(),
            router: s.router.unwrap_or_default(),
        })
        .collect();
    let club = club::membership(store, &ctx.tenant, c.id)
        .await?
        .map(|(_, joined)| view::moment(locale, &zone, joined));
    let credit = if ctx.can(Permission::ViewClub) {
        let b = crm::ledger::balance(store, &ctx.tenant, c.id, now).await?;
        Some((
            crate::club::rials(locale, b.spendable),
            crate::club::rials(locale, b.pending),
        ))
    } else {
        None
    };
    let bookings = if ctx.can(Permission::ViewBookings) {
        Some(booking_rows(&state, &ctx, c.id).await?)
    } else {
        None
    };
    let groups = groups::list(store, &ctx.tenant)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    Ok(CustomerPage {
        f: Frame::tenant(&ctx, t.customer_title, "/customers"),
        id: c.id,
        phone: locale.digits(&view::national(&c.phone)),
        name: c.name.unwrap_or_default(),
        blocked: c.disabled,
        joined: view::moment(locale, &zone, c.created_at),
        group_id: c.group_id.unwrap_or_default(),
        groups,
        club,
        usage_today: view::bytes(locale, used.day.octets()),
        usage_month: view::bytes(locale, used.month.octets()),
        devices,
        sessions,
        can_edit: ctx.can(Permission::EditCustomers),
        can_club: ctx.can(Permission::ViewClub),
        credit,
        bookings,
    }
    .into_response())
}

/// The customer's bookings in the branches the person covers, in each booking's zone.
async fn booking_rows(
    state: &PanelState,
    ctx: &Ctx,
    customer: i64,
) -> Result<Vec<BookingRow>, Fail> {
    let locale = ctx.locale();
    let scope = ctx.scope();
    let names: Vec<(i64, String)> = crm::branches::list(&state.store, &ctx.tenant)
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let list = bookings::for_customer(&state.store, &ctx.tenant, customer, BOOKINGS).await?;
    let mut rows = Vec::new();
    for b in list.iter().filter(|b| scope.allows(Some(b.branch_id))) {
        let zone = Zone::named(&b.time_zone).unwrap_or_else(|_| view::zone(ctx));
        let day = zone.day_key(b.starts_at);
        rows.push(BookingRow {
            when: format!(
                "{} {}",
                view::day(locale, day),
                locale.digits(&zone.hh_mm(b.starts_at))
            ),
            branch: names
                .iter()
                .find(|(id, _)| *id == b.branch_id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            party: view::num(locale, b.party),
            tables: locale.digits(&b.tables.join(" + ")),
            status: i18n::booking_status(locale, b.status),
            status_class: b.status.as_str(),
            branch_id: b.branch_id,
            day,
        });
    }
    Ok(rows)
}

fn back_to(id: i64) -> Response {
    Redirect::to(&format!("{BASE}/customers/{id}")).into_response()
}

/// `POST /panel/customers/{id}/block`.
pub async fn block(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    customers::set_disabled_of(&state.store, &ctx.tenant, id, true, ctx.actor()).await?;
    let (store, tenant) = (state.store.clone(), ctx.tenant.clone());
    in_background(async move {
        enforce::disconnect_all(&store, &tenant, Subject::Customer(id), "blocked").await
    });
    Ok(back_to(id))
}

/// Live sessions follow a change without holding up the page: a router that does not
/// answer costs seconds of retries, and every answer is logged in `coa_requests`.
fn in_background<F>(work: F)
where
    F: std::future::Future<Output = crm::Result<enforce::Results>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::warn!(error = %e, "cannot update live sessions after a panel change");
        }
    });
}

/// `POST /panel/customers/{id}/unblock`.
pub async fn unblock(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    customers::set_disabled_of(&state.store, &ctx.tenant, id, false, ctx.actor()).await?;
    Ok(back_to(id))
}

#[derive(Debug, Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    group: String,
}

/// `POST /panel/customers/{id}/group`.
pub async fn set_group(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<GroupForm>,
) -> PageResult {
    let group_id = form
        .group
        .trim()
        .parse::<i64>()
        .map_err(|_| Fail::NotFound)?;
    customers::set_group_of(&state.store, &ctx.tenant, id, group_id, ctx.actor()).await?;
    let (store, tenant) = (state.store.clone(), ctx.tenant.clone());
    in_background(async move {
        let subject = Subject::Customer(id);
        enforce::apply_group(&store, &tenant, subject, group_id, "group_change").await
    });
    Ok(back_to(id))
}
