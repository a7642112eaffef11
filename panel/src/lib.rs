//! The owners' panel under `/panel`: people sign in with their mobile number and an SMS
//! code, pick a tenant, and see only what their role allows, only of that tenant.
//!
//! How access is enforced in one place: every route is a row of [`routes::table`] that
//! names what it needs ([`Need`]); the router is built from those rows and wraps each in
//! [`guard::guard`], which checks CSRF on every POST, finds the session, the user, the
//! current tenant and their permissions, refuses (303 to login, 403 page) or hands the
//! handler a [`Ctx`]. Handlers read the tenant only from the `Ctx`, and crm looks every
//! id up with `tenant_id = ctx.tenant.id`, so another tenant's id is simply not found.

mod audit_page;
mod booking_messages;
mod booking_report;
mod booking_resources;
mod booking_services;
mod booking_settings;
mod bookings;
mod cases;
mod chart;
mod club;
mod club_members;
mod club_settings;
mod coupons;
mod custom_roles;
mod customers;
mod customers_csv;
mod dashboard;
mod feedback;
mod groups;
mod guard;
mod i18n;
mod login;
mod multipart;
mod notifications;
mod people;
mod reports;
mod routers;
mod routes;
mod sessions;
mod survey_settings;
mod table_board;
mod view;
mod vouchers;
mod zip;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use crm::Store;
use std::path::PathBuf;

pub use guard::Ctx;
pub use routes::{Need, RouteInfo, table};

/// Where the panel lives.
pub const BASE: &str = "/panel";

#[derive(Clone)]
pub struct PanelState {
    pub store: Store,
    /// Where survey attachments are stored (`crm::surveys::media`); served only to the
    /// tenant's users through the case page.
    pub media_dir: PathBuf,
}

/// The panel's routes, all under [`BASE`].
pub fn router(store: Store, media_dir: PathBuf) -> Router {
    let state = PanelState { store, media_dir };
    let pages = routes::build(state.clone()).route(
        "/panel/assets/panel.css",
        get(|| async {
            (
                [
                    (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                include_str!("../assets/panel.css"),
            )
                .into_response()
        }),
    );
    pages.with_state(state)
}
