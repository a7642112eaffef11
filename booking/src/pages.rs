//! The booking steps: day and party → free times → name and phone → SMS code → booked.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crm::branches::{self, Branch};
use crm::otp::{self, Requester};
use crm::phone::Phone;
use crm::reservations::bookings::{self, GUEST_BUSY, NewBooking, Source};
use crm::reservations::resources;
use crm::reservations::services::{self, Service};
use crm::reservations::{BookingRules, settings};
use crm::tenants::Tenant;
use crm::ui::Locale;
use portal::csrf;
use serde::Deserialize;

use crate::calendar::{self, DayOption};
use crate::i18n::{self, Texts};
use crate::{BASE_PATH, BookingState};

/// What the steps carry from page to page (query string or hidden fields). Everything
/// is text so that a mangled value gets our page, not a bare 400.
#[derive(Debug, Default, Deserialize)]
pub struct Step {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    party: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
    /// `1`: a waitlist request for a taken time.
    #[serde(default)]
    waitlist: String,
    /// Branches with services: the service's id, and the staff member's (empty = any).
    #[serde(default)]
    service: String,
    #[serde(default)]
    staff: String,
}

impl Step {
    fn wants_waitlist(&self) -> bool {
        self.waitlist.trim() == "1"
    }
}

/// The branch, its tenant and rules, and the page language.
pub(crate) struct Venue {
    pub tenant: Tenant,
    pub branch: Branch,
    pub rules: BookingRules,
    pub locale: Locale,
    /// The largest party its tables seat; 0 = no online booking.
    pub largest: i64,
    /// Its services (appointments): when there are any, the guest picks one (and
    /// maybe a staff member) instead of a party size.
    pub services: Vec<Service>,
    /// `(id, name)` of the active resources that perform a service.
    pub performers: Vec<(i64, String)>,
}

impl Venue {
    pub fn t(&self) -> &'static Texts {
        i18n::texts_for(self.locale, !self.services.is_empty())
    }

    /// `Branch · Tenant` as the page header shows it.
    pub fn title(&self) -> String {
        format!("{} · {}", self.tenant.name, self.branch.name)
    }
}

/// Fields every page template has.
pub(crate) struct Frame {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub dir: &'static str,
    pub venue: String,
    /// The same page in the other language (GET pages only).
    pub switch_url: Option<String>,
}

impl Frame {
    pub fn new(v: &Venue, switch_url: Option<String>) -> Frame {
        Frame {
            t: v.t(),
            lang: v.locale.tag(),
            dir: v.locale.dir(),
            venue: v.title(),
            switch_url,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    f: Frame,
    message: &'a str,
    retry_url: Option<String>,
}

pub(crate) fn error_page(
    locale: Locale,
    status: StatusCode,
    venue: String,
    message: &str,
    retry_url: Option<String>,
) -> Response {
    let f = Frame {
        t: i18n::texts(locale),
        lang: locale.tag(),
        dir: locale.dir(),
        venue,
        switch_url: None,
    };
    (
        status,
        ErrorPage {
            f,
            message,
            retry_url,
        },
    )
        .into_response()
}

pub(crate) fn server_error(locale: Locale, e: crm::Error) -> Response {
    tracing::error!(error = %e, "booking page failed");
    error_page(
        locale,
        StatusCode::INTERNAL_SERVER_ERROR,
        String::new(),
        i18n::texts(locale).server_error,
        None,
    )
}

pub(crate) fn asked_locale(lang: &str) -> Option<Locale> {
    Locale::from_tag(lang)
}

pub(crate) async fn venue(
    state: &BookingState,
    branch: &str,
    lang: &str,
) -> Result<Venue, Response> {
    let asked = asked_locale(lang);
    let fallback = asked.unwrap_or_default();
    let not_found = || {
        error_page(
            fallback,
            StatusCode::NOT_FOUND,
            String::new(),
            i18n::texts(fallback).not_found,
            None,
        )
    };
    let Ok(id) = branch.trim().parse::<i64>() else {
        return Err(not_found());
    };
    let branch = match branches::lookup(&state.store, id).await {
        Ok(b) => b,
        Err(crm::Error::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(server_error(fallback, e)),
    };
    let tenant = crm::tenants::by_id(&state.store, branch.tenant_id)
        .await
        .map_err(|e| server_error(fallback, e))?;
    let rules = settings::rules(&state.store, &tenant, &branch)
        .await
        .map_err(|e| server_error(fallback, e))?;
    let locale = asked
        .or_else(|| Locale::from_tag(&tenant.locale))
        .unwrap_or_default();
    let largest = bookings::largest_party(&state.store, &tenant, branch.id)
        .await
        .map_err(|e| server_error(locale, e))?;
    let services = services::list(&state.store, &tenant, &branch)
        .await
        .map_err(|e| server_error(locale, e))?;
    let performers = resources::list(&state.store, &tenant, &branch)
        .await
        .map_err(|e| server_error(locale, e))?
        .into_iter()
        .filter(|r| r.active && services.iter().any(|s| s.resources.contains(&r.id)))
        .map(|r| (r.id, r.name))
        .collect();
    Ok(Venue {
        tenant,
        branch,
        rules,
        locale,
        largest,
        services,
        performers,
    })
}

/// Adds the CSRF cookie to a GET page (the token already in the browser is kept).
pub(crate) fn with_csrf(mut response: Response, token: &str) -> Response {
    if let Ok(cookie) = HeaderValue::from_str(&csrf::cookie(token, BASE_PATH)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn other_lang(v: &Venue) -> &'static str {
    v.t().other_language_tag
}

/// A service and, optionally, the staff member asked for (branches with services).
#[derive(Debug, Clone, Copy, Default)]
struct Pick {
    service: Option<i64>,
    staff: Option<i64>,
}

impl Pick {
    /// From a step's fields: required where the branch has services, one it offers,
    /// and a staff member who performs it (or any).
    fn parse(v: &Venue, step: &Step) -> Option<Pick> {
        if v.services.is_empty() {
            return Some(Pick::default());
        }
        let id: i64 = step.service.trim().parse().ok()?;
        let service = v.services.iter().find(|s| s.id == id)?;
        let staff = match step.staff.trim() {
            "" => None,
            raw => Some(raw.parse().ok().filter(|s| service.resources.contains(s))?),
        };
        Some(Pick {
            service: Some(id),
            staff,
        })
    }

    /// Its query-string tail (`&service=…&staff=…`, empty without a service).
    fn query(&self) -> String {
        let mut q = String::new();
        if let Some(s) = self.service {
            q.push_str(&format!("&service={s}"));
        }
        if let Some(s) = self.staff {
            q.push_str(&format!("&staff={s}"));
        }
        q
    }
}

/// A validated day and party (and service) from a step's fields.
struct Choice {
    day: i64,
    party: i64,
    pick: Pick,
}

impl Choice {
    /// `date=…&party=…` and the service, for links between the steps.
    fn query(&self) -> String {
        format!(
            "date={}&party={}{}",
            self.day,
            self.party,
            self.pick.query()
        )
    }
}

fn parse_choice(v: &Venue, step: &Step, now: i64) -> Option<Choice> {
    let day: i64 = step.date.trim().parse().ok()?;
    let party: i64 = step.party.trim().parse().ok()?;
    let pick = Pick::parse(v, step)?;
    let days = calendar::day_options(&v.rules, now, v.locale, None);
    (days.iter().any(|d| d.key == day) && (1..=v.largest).contains(&party)).then_some(Choice {
        day,
        party,
        pick,
    })
}

/// The free start times for a choice: by service (its resources, its duration) or by
/// party size.
async fn offers_for(
    state: &BookingState,
    v: &Venue,
    c: &Choice,
    now: i64,
) -> crm::Result<Vec<crm::reservations::availability::Offer>> {
    match c.pick.service {
        Some(service) => {
            let (branch, staff) = (v.branch.id, c.pick.staff);
            bookings::service_availability(
                &state.store,
                &v.tenant,
                branch,
                service,
                staff,
                c.day,
                now,
            )
            .await
        }
        None => {
            bookings::availability(&state.store, &v.tenant, v.branch.id, c.day, c.party, now).await
        }
    }
}

/// Waitlist times for a choice (none for services: a guest picks another time or staff).
async fn full_for(state: &BookingState, v: &Venue, c: &Choice, now: i64) -> crm::Result<Vec<i64>> {
    if c.pick.service.is_some() {
        return Ok(Vec::new());
    }
    bookings::full_starts(&state.store, &v.tenant, v.branch.id, c.day, c.party, now).await
}

/// A choice as the choose page's select lists it.
struct ServiceOption {
    value: String,
    label: String,
    selected: bool,
}

struct PartyOption {
    value: i64,
    label: String,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "choose.html")]
struct ChoosePage {
    f: Frame,
    action: String,
    days: Vec<DayOption>,
    parties: Vec<PartyOption>,
    /// Branches with services: the services and the staff ("any" first).
    services: Vec<ServiceOption>,
    staff: Vec<ServiceOption>,
    error: Option<&'static str>,
}

/// The steps reached by a link (GET); each sets the CSRF cookie the forms after it need.
#[derive(Clone, Copy)]
enum Shown {
    Choose,
    Times,
    Details,
}

async fn show(
    state: BookingState,
    branch: String,
    headers: HeaderMap,
    step: Step,
    shown: Shown,
) -> Response {
    let v = match venue(&state, &branch, &step.lang).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let token = csrf::token_from(&headers).unwrap_or_else(csrf::new_token);
    let page = match shown {
        Shown::Choose => choose_page(&v, &step, None),
        Shown::Times => times_page(&state, &v, &step, None).await,
        Shown::Details => match still_free(&state, &v, &step).await {
            Ok(slot) => details_page(&v, &slot, &step, &token, None),
            Err(page) => page,
        },
    };
    with_csrf(page, &token)
}

/// `GET /book/{branch}`: pick a day and a party size.
pub async fn choose(
    State(state): State<BookingState>,
    Path(branch): Path<String>,
    headers: HeaderMap,
    Query(step): Query<Step>,
) -> Response {
    show(state, branch, headers, step, Shown::Choose).await
}

/// `GET /book/{branch}/times?date&party`: the free start times.
pub async fn times(
    State(state): State<BookingState>,
    Path(branch): Path<String>,
    headers: HeaderMap,
    Query(step): Query<Step>,
) -> Response {
    show(state, branch, headers, step, Shown::Times).await
}

/// `GET /book/{branch}/details?date&party&start`: name and mobile number.
pub async fn details(
    State(state): State<BookingState>,
    Path(branch): Path<String>,
    headers: HeaderMap,
    Query(step): Query<Step>,
) -> Response {
    show(state, branch, headers, step, Shown::Details).await
}

fn choose_page(v: &Venue, step: &Step, error: Option<&'static str>) -> Response {
    if v.largest == 0 {
        return error_page(
            v.locale,
            StatusCode::NOT_FOUND,
            v.title(),
            v.t().no_online_booking,
            None,
        );
    }
    let selected_day = step.date.trim().parse().ok();
    let selected_party = step.party.trim().parse().unwrap_or(2);
    let id = v.branch.id;
    let t = v.t();
    let services = v
        .services
        .iter()
        .map(|s| {
            let mut label = format!(
                "{} · {} {}",
                s.label(v.locale.tag()),
                v.locale.digits(&s.duration.to_string()),
                t.minutes
            );
            if let Some(price) = s.price {
                label.push_str(&format!(
                    " · {} {}",
                    v.locale.digits(&price.to_string()),
                    t.rials
                ));
            }
            ServiceOption {
                value: s.id.to_string(),
                label,
                selected: step.service.trim() == s.id.to_string(),
            }
        })
        .collect();
    let any = ServiceOption {
        value: String::new(),
        label: t.any_staff.to_string(),
        selected: step.staff.trim().is_empty(),
    };
    let staff = std::iter::once(any)
        .chain(v.performers.iter().map(|(rid, name)| ServiceOption {
            value: rid.to_string(),
            label: name.clone(),
            selected: step.staff.trim() == rid.to_string(),
        }))
        .collect();
    ChoosePage {
        f: Frame::new(v, Some(format!("/book/{id}?lang={}", other_lang(v)))),
        action: format!("/book/{id}/times"),
        days: calendar::day_options(&v.rules, crm::clock::now(), v.locale, selected_day),
        parties: (1..=v.largest)
            .map(|n| PartyOption {
                value: n,
                label: i18n::people(v.locale, n),
                selected: n == selected_party,
            })
            .collect(),
        services,
        staff,
        error,
    }
    .into_response()
}

struct TimeLink {
    label: String,
    href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "times.html")]
struct TimesPage {
    f: Frame,
    day: String,
    party: String,
    times: Vec<TimeLink>,
    waitlist_times: Vec<TimeLink>,
    back_url: String,
    error: Option<&'static str>,
}

async fn times_page(
    state: &BookingState,
    v: &Venue,
    step: &Step,
    error: Option<&'static str>,
) -> Response {
    let now = crm::clock::now();
    let Some(c) = parse_choice(v, step, now) else {
        return choose_page(v, step, Some(v.t().bad_choice));
    };
    let offers = match offers_for(state, v, &c, now).await {
        Ok(o) => o,
        Err(e) => return server_error(v.locale, e),
    };
    // Nothing free: the taken times can be waited for.
    let full = if offers.is_empty() {
        match full_for(state, v, &c, now).await {
            Ok(f) => f,
            Err(e) => return server_error(v.locale, e),
        }
    } else {
        Vec::new()
    };
    let id = v.branch.id;
    let lang = v.locale.tag();
    let link = |start: i64, waitlist: bool| TimeLink {
        label: calendar::time_label(&v.rules.zone, start, v.locale),
        href: format!(
            "/book/{id}/details?{}&start={start}&lang={lang}{}",
            c.query(),
            if waitlist { "&waitlist=1" } else { "" }
        ),
    };
    TimesPage {
        f: Frame::new(
            v,
            Some(format!(
                "/book/{id}/times?{}&lang={}",
                c.query(),
                other_lang(v)
            )),
        ),
        day: calendar::day_label(&v.rules.zone, c.day, v.locale),
        party: chosen(v, &c.pick).unwrap_or_else(|| i18n::people(v.locale, c.party)),
        times: offers.iter().map(|o| link(o.starts_at, false)).collect(),
        waitlist_times: full.iter().map(|&start| link(start, true)).collect(),
        back_url: format!("/book/{id}?{}&lang={lang}", c.query()),
        error,
    }
    .into_response()
}

/// "Haircut · Ali" for a chosen service (`None` without one).
fn chosen(v: &Venue, pick: &Pick) -> Option<String> {
    let service = v.services.iter().find(|s| Some(s.id) == pick.service)?;
    let mut text = service.label(v.locale.tag()).to_string();
    if let Some((_, name)) = v.performers.iter().find(|(id, _)| Some(*id) == pick.staff) {
        text.push_str(" · ");
        text.push_str(name);
    }
    Some(text)
}

/// A chosen day, party and start that is still free.
struct Slot {
    day: i64,
    party: i64,
    pick: Pick,
    start: i64,
    /// A waitlist request: the time is taken.
    waitlist: bool,
    /// The deposit it would be asked (rials, 0 = none) and until when it is refunded:
    /// shown before the guest confirms.
    deposit: (i64, i64),
}

/// The slot a step names, if it is still offered; otherwise the page to show instead
/// (the times with "just taken", or the first step).
async fn still_free(state: &BookingState, v: &Venue, step: &Step) -> Result<Slot, Response> {
    let now = crm::clock::now();
    let Some(c) = parse_choice(v, step, now) else {
        return Err(choose_page(v, step, Some(v.t().bad_choice)));
    };
    let start: i64 = step.start.trim().parse().unwrap_or(-1);
    let store = &state.store;
    let offers = offers_for(state, v, &c, now)
        .await
        .map_err(|e| server_error(v.locale, e))?;
    let deposit = bookings::deposit_quote(store, &v.tenant, v.branch.id, start, c.party)
        .await
        .map_err(|e| server_error(v.locale, e))?;
    let slot = |waitlist| Slot {
        day: c.day,
        party: c.party,
        pick: c.pick,
        start,
        waitlist,
        deposit,
    };
    if offers.iter().any(|o| o.starts_at == start) {
        return Ok(slot(false));
    }
    let waitable = step.wants_waitlist()
        && full_for(state, v, &c, now)
            .await
            .map_err(|e| server_error(v.locale, e))?
            .contains(&start);
    if waitable {
        Ok(slot(true))
    } else {
        Err(times_page(state, v, step, Some(v.t().taken)).await)
    }
}

/// The booking in words, for the later steps and the confirmation.
pub(crate) struct Summary {
    pub day: String,
    pub time: String,
    pub party: String,
    pub name: Option<String>,
    /// The service (and staff member) booked, if any.
    pub service: Option<String>,
    /// The deposit asked, and until when a cancellation gets it back.
    pub deposit: Option<String>,
}

impl Summary {
    pub fn new(v: &Venue, start: i64, party: i64) -> Summary {
        let zone = &v.rules.zone;
        Summary {
            day: calendar::day_label(zone, zone.day_key(start), v.locale),
            time: calendar::time_label(zone, start, v.locale),
            party: i18n::people(v.locale, party),
            name: None,
            service: None,
            deposit: None,
        }
    }

    /// A slot being booked, with the deposit it would be asked.
    fn of_slot(v: &Venue, slot: &Slot) -> Summary {
        let (amount, until) = slot.deposit;
        Summary {
            deposit: deposit_text(v, amount, until),
            service: chosen(v, &slot.pick),
            ..Summary::new(v, slot.start, slot.party)
        }
    }

    /// A booking made: its name and, when the branch asks one, its deposit.
    pub fn of_booking(v: &Venue, b: &crm::reservations::Booking) -> Summary {
        let until = b.deposit_refundable_until.unwrap_or(b.starts_at);
        Summary {
            name: b.name.clone(),
            service: v
                .services
                .iter()
                .find(|s| Some(s.id) == b.service_id)
                .map(|s| {
                    let mut text = s.label(v.locale.tag()).to_string();
                    if let Some(staff) = b.tables.first() {
                        text.push_str(" · ");
                        text.push_str(staff);
                    }
                    text
                }),
            deposit: deposit_text(v, b.deposit_amount, until),
            ..Summary::new(v, b.starts_at, b.party)
        }
    }
}

/// "200,000 rials · refunded if cancelled by …" (`None` without a deposit).
fn deposit_text(v: &Venue, amount: i64, until: i64) -> Option<String> {
    let zone = &v.rules.zone;
    (amount > 0).then(|| {
        let t = v.t();
        let when = format!(
            "{} {}",
            calendar::day_label(zone, zone.day_key(until), v.locale),
            calendar::time_label(zone, until, v.locale)
        );
        format!(
            "{} {} · {}",
            v.locale.digits(&amount.to_string()),
            t.rials,
            t.deposit_refundable.replace("{when}", &when)
        )
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "details.html")]
struct DetailsPage<'a> {
    f: Frame,
    s: Summary,
    waitlist: bool,
    action: String,
    back_url: String,
    date: i64,
    party: i64,
    start: i64,
    /// The service and staff, carried as hidden fields.
    pick: Pick,
    csrf: &'a str,
    name: &'a str,
    phone: &'a str,
    error: Option<String>,
}

fn details_page(
    v: &Venue,
    slot: &Slot,
    step: &Step,
    csrf: &str,
    error: Option<String>,
) -> Response {
    let id = v.branch.id;
    let lang = v.locale.tag();
    DetailsPage {
        f: Frame::new(
            v,
            Some(format!(
                "/book/{id}/details?date={}&party={}&start={}&lang={}{}",
                slot.day,
                slot.party,
                slot.start,
                other_lang(v),
                slot.pick.query()
            )),
        ),
        s: Summary::of_slot(v, slot),
        waitlist: slot.waitlist,
        action: format!("/book/{id}/otp"),
        back_url: format!(
            "/book/{id}/times?date={}&party={}&lang={lang}{}",
            slot.day,
            slot.party,
            slot.pick.query()
        ),
        date: slot.day,
        party: slot.party,
        start: slot.start,
        pick: slot.pick,
        csrf,
        name: step.name.trim(),
        phone: step.phone.trim(),
        error,
    }
    .into_response()
}

/// The venue of a form post whose CSRF token matches its cookie.
async fn checked_venue(
    state: &BookingState,
    headers: &HeaderMap,
    branch: &str,
    step: &Step,
) -> Result<Venue, Response> {
    let v = venue(state, branch, &step.lang).await?;
    if csrf::matches(headers, &step.csrf) {
        Ok(v)
    } else {
        let retry = format!("/book/{}?lang={}", v.branch.id, v.locale.tag());
        Err(error_page(
            v.locale,
            StatusCode::FORBIDDEN,
            v.title(),
            v.t().cookies_needed,
            Some(retry),
        ))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "code.html")]
struct CodePage<'a> {
    f: Frame,
    s: Summary,
    waitlist: bool,
    action: String,
    back_url: String,
    date: i64,
    party: i64,
    start: i64,
    csrf: &'a str,
    name: &'a str,
    phone: &'a str,
    phone_display: String,
    challenge: i64,
    pick: Pick,
    error: Option<String>,
}

fn code_page(
    v: &Venue,
    slot: &Slot,
    step: &Step,
    phone: &Phone,
    challenge: i64,
    error: Option<String>,
) -> Response {
    CodePage {
        f: Frame::new(v, None),
        s: Summary::of_slot(v, slot),
        waitlist: slot.waitlist,
        action: format!("/book/{}/confirm", v.branch.id),
        back_url: format!(
            "/book/{}/details?date={}&party={}&start={}&lang={}{}",
            v.branch.id,
            slot.day,
            slot.party,
            slot.start,
            v.locale.tag(),
            slot.pick.query()
        ),
        date: slot.day,
        party: slot.party,
        start: slot.start,
        pick: slot.pick,
        csrf: &step.csrf,
        name: step.name.trim(),
        phone: phone.e164(),
        phone_display: v.locale.digits(&phone.national()),
        challenge,
        error,
    }
    .into_response()
}

/// `POST /book/{branch}/otp`: the number in, an SMS code out.
pub async fn request_code(
    State(state): State<BookingState>,
    Path(branch): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(step): Form<Step>,
) -> Response {
    let v = match checked_venue(&state, &headers, &branch, &step).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let slot = match still_free(&state, &v, &step).await {
        Ok(slot) => slot,
        Err(page) => return page,
    };
    if step.name.trim().chars().count() > 100 {
        return details_page(&v, &slot, &step, &step.csrf, Some(v.t().bad_choice.into()));
    }
    let Ok(phone) = Phone::parse(&step.phone) else {
        metrics::counter!("booking_code_requests_total", "result" => "bad_phone").increment(1);
        let message = portal::i18n::bad_phone(v.locale).to_string();
        return details_page(&v, &slot, &step, &step.csrf, Some(message));
    };
    let ip = peer.ip().to_string();
    let who = Requester {
        purpose: "booking",
        mac: None,
        ip: Some(&ip),
    };
    let now = crm::clock::now();
    let issued = match otp::issue(&state.store, &v.tenant, &phone, &who, now).await {
        Ok(Ok(issued)) => issued,
        Ok(Err(refusal)) => {
            metrics::counter!("booking_code_requests_total", "result" => refusal.label())
                .increment(1);
            let message = portal::i18n::refusal(v.locale, refusal);
            return details_page(&v, &slot, &step, &step.csrf, Some(message));
        }
        Err(e) => return server_error(v.locale, e),
    };
    if let Err(e) = crm::sms::send_otp(&state.store, &v.tenant, &phone, &issued.code).await {
        return server_error(v.locale, e);
    }
    metrics::counter!("booking_code_requests_total", "result" => "sent").increment(1);
    code_page(&v, &slot, &step, &phone, issued.challenge_id, None)
}

#[derive(Template, WebTemplate)]
#[template(path = "done.html")]
struct DonePage {
    f: Frame,
    s: Summary,
    waitlisted: bool,
    manage_url: String,
}

/// `POST /book/{branch}/confirm`: the code checked, the booking saved.
pub async fn confirm(
    State(state): State<BookingState>,
    Path(branch): Path<String>,
    headers: HeaderMap,
    Form(step): Form<Step>,
) -> Response {
    let v = match checked_venue(&state, &headers, &branch, &step).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let slot = match still_free(&state, &v, &step).await {
        Ok(slot) => slot,
        Err(page) => return page,
    };
    let (Ok(phone), Ok(challenge)) = (
        Phone::parse(&step.phone),
        step.challenge.trim().parse::<i64>(),
    ) else {
        return details_page(&v, &slot, &step, &step.csrf, None);
    };
    let now = crm::clock::now();
    match otp::verify(&state.store, &v.tenant, challenge, &step.code, now).await {
        Ok(Ok(verified)) if verified.phone == phone => {}
        Ok(Ok(_)) => return details_page(&v, &slot, &step, &step.csrf, None),
        Ok(Err(refusal @ otp::Refusal::WrongCode { .. })) => {
            let message = portal::i18n::refusal(v.locale, refusal);
            return code_page(&v, &slot, &step, &phone, challenge, Some(message));
        }
        Ok(Err(refusal)) => {
            let message = portal::i18n::refusal(v.locale, refusal);
            return details_page(&v, &slot, &step, &step.csrf, Some(message));
        }
        Err(e) => return server_error(v.locale, e),
    }
    let staff = v
        .performers
        .iter()
        .filter(|(id, _)| Some(*id) == slot.pick.staff)
        .map(|(_, name)| name.clone())
        .collect();
    let new = NewBooking {
        service_id: slot.pick.service,
        branch_id: v.branch.id,
        phone: phone.e164().to_string(),
        name: Some(step.name.clone()),
        party: slot.party,
        starts_at: slot.start,
        source: Source::Web,
        tables: staff,
        waitlist: slot.waitlist,
        note: None,
    };
    match bookings::create(&state.store, &v.tenant, &new, now).await {
        Ok(b) => {
            metrics::counter!("bookings_made_total", "source" => "web").increment(1);
            DonePage {
                f: Frame::new(&v, None),
                s: Summary::of_booking(&v, &b),
                waitlisted: b.status == crm::reservations::Status::Waitlisted,
                manage_url: format!("/book/manage/{}?lang={}", b.token, v.locale.tag()),
            }
            .into_response()
        }
        Err(crm::Error::Conflict(m)) if m == GUEST_BUSY => {
            times_page(&state, &v, &step, Some(v.t().already_booked)).await
        }
        Err(crm::Error::Conflict(_) | crm::Error::Invalid(_)) => {
            times_page(&state, &v, &step, Some(v.t().taken)).await
        }
        Err(e) => server_error(v.locale, e),
    }
}
