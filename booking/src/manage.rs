//! The customer's link, `/book/manage/{token}`: see the booking, confirm it, cancel it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use crm::reservations::Status;
use crm::reservations::bookings::{self, Booking};
use portal::csrf;
use serde::Deserialize;

use crate::BookingState;
use crate::i18n;
use crate::pages::{
    Frame, Summary, Venue, asked_locale, error_page, server_error, venue, with_csrf,
};

#[derive(Debug, Default, Deserialize)]
pub struct ManageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "manage.html")]
struct ManagePage<'a> {
    f: Frame,
    s: Summary,
    status: &'static str,
    action: String,
    csrf: &'a str,
    can_confirm: bool,
    can_cancel: bool,
    notice: Option<&'static str>,
}

async fn load(state: &BookingState, token: &str, lang: &str) -> Result<(Venue, Booking), Response> {
    let fallback = asked_locale(lang).unwrap_or_default();
    let booking = match bookings::by_token(&state.store, token).await {
        Ok((_, b)) => b,
        Err(crm::Error::NotFound(_)) => {
            return Err(error_page(
                fallback,
                StatusCode::NOT_FOUND,
                String::new(),
                i18n::texts(fallback).not_found,
                None,
            ));
        }
        Err(e) => return Err(server_error(fallback, e)),
    };
    let v = venue(state, &booking.branch_id.to_string(), lang).await?;
    Ok((v, booking))
}

fn page(v: &Venue, b: &Booking, csrf: &str, notice: Option<&'static str>) -> Response {
    ManagePage {
        f: Frame::new(
            v,
            Some(format!(
                "/book/manage/{}?lang={}",
                b.token,
                v.t().other_language_tag
            )),
        ),
        s: Summary::of_booking(v, b),
        status: i18n::status(v.locale, b.status),
        action: format!("/book/manage/{}", b.token),
        csrf,
        can_confirm: b.status.can_become(Status::Confirmed),
        can_cancel: b.status.can_become(Status::Cancelled),
        notice,
    }
    .into_response()
}

/// `GET /book/manage/{token}`.
pub async fn show(
    State(state): State<BookingState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Query(form): Query<ManageForm>,
) -> Response {
    let (v, b) = match load(&state, &token, &form.lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let token = csrf::token_from(&headers).unwrap_or_else(csrf::new_token);
    with_csrf(page(&v, &b, &token, None), &token)
}

/// `POST /book/manage/{token}`: `action` = `confirm` or `cancel`.
pub async fn act(
    State(state): State<BookingState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ManageForm>,
) -> Response {
    let (v, b) = match load(&state, &token, &form.lang).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if !csrf::matches(&headers, &form.csrf) {
        return error_page(
            v.locale,
            StatusCode::FORBIDDEN,
            v.title(),
            v.t().cookies_needed,
            Some(format!("/book/manage/{}?lang={}", b.token, v.locale.tag())),
        );
    }
    let (next, done) = match form.action.as_str() {
        "confirm" => (Status::Confirmed, v.t().confirmed_notice),
        "cancel" => (Status::Cancelled, v.t().cancelled_notice),
        _ => return page(&v, &b, &form.csrf, Some(v.t().bad_choice)),
    };
    if !b.status.can_become(next) {
        return page(&v, &b, &form.csrf, Some(v.t().no_change));
    }
    match bookings::set_status(&state.store, &v.tenant, b.id, next, crm::clock::now()).await {
        Ok(updated) => page(&v, &updated, &form.csrf, Some(done)),
        Err(crm::Error::Invalid(_) | crm::Error::Conflict(_)) => {
            page(&v, &b, &form.csrf, Some(v.t().no_change))
        }
        Err(e) => server_error(v.locale, e),
    }
}
