//! The public booking page of a branch, `/book/{branch_id}`: a guest picks a date
//! (Jalali), a party size and a free time, gives a mobile number, proves it with an SMS
//! code, and gets a booking — no account. Persian (RTL) first, English on request.
//!
//! Flow: `GET /book/{b}` (date, party) → `GET /book/{b}/times` → `GET /book/{b}/details`
//! (name, phone) → `POST /book/{b}/otp` (code sent) → `POST /book/{b}/confirm` (code
//! checked, booking saved) → confirmation. `/book/manage/{token}` is the customer's link
//! to confirm or cancel. Every form carries the portal's CSRF token.

mod calendar;
mod i18n;
mod manage;
mod pages;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use crm::Store;

/// Where the CSRF cookie of these pages is valid.
pub const BASE_PATH: &str = "/book";

#[derive(Clone)]
pub struct BookingState {
    pub store: Store,
}

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/book/{branch}", get(pages::choose))
        .route("/book/{branch}/times", get(pages::times))
        .route("/book/{branch}/details", get(pages::details))
        .route("/book/{branch}/otp", post(pages::request_code))
        .route("/book/{branch}/confirm", post(pages::confirm))
        .route("/book/manage/{token}", get(manage::show).post(manage::act))
        .route("/assets/booking.css", get(css))
        .with_state(BookingState { store })
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../assets/booking.css"),
    )
}
