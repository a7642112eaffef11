//! The captive portal: a MikroTik hotspot guest enters a mobile number, gets an SMS
//! code, and is handed back to the router with a single-use login — and becomes a
//! customer and club member on the way.
//!
//! Flow: the router's `login.html` (from `router-config`) posts its variables to
//! `/hotspot/start` → phone page → `/hotspot/otp` (code sent) → code page →
//! `/hotspot/verify` → a page that posts `username`/`password` to the router's
//! `link-login-only` (CHAP computed here) → the router asks `radiusd`.

pub mod csrf;
pub mod handoff;
mod i18n;
mod pages;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use crm::Store;

/// Where the router's `login.html` sends guests (router-config writes it there).
pub const START_PATH: &str = "/hotspot/start";

#[derive(Clone)]
pub struct PortalState {
    pub store: Store,
}

/// The portal's routes, including the shared assets under `/assets`.
pub fn router(store: Store) -> Router {
    Router::new()
        .route(
            "/hotspot/start",
            get(pages::start_get).post(pages::start_post),
        )
        .route("/hotspot/otp", axum::routing::post(pages::request_code))
        .route("/hotspot/verify", axum::routing::post(pages::verify))
        .route(
            "/assets/portal.css",
            get(|| async { css(include_str!("../assets/portal.css")) }),
        )
        .route("/assets/vazirmatn.woff2", get(font))
        .route(
            "/assets/vazirmatn-license.txt",
            get(|| async { crm::ui::VAZIRMATN_LICENSE }),
        )
        .with_state(PortalState { store })
}

fn css(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}

async fn font() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "font/woff2"),
            (header::CACHE_CONTROL, "public, max-age=604800"),
        ],
        crm::ui::VAZIRMATN_WOFF2,
    )
}
