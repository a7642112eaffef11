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
mod booking_report;
mod bookings;
mod chart;
mod club;
mod customers;
mod customers_csv;
mod dashboard;
mod groups;
mod guard;
mod i18n;
mod login;
mod people;
mod routers;
mod routes;
mod sessions;
mod table_board;
mod view;
mod vouchers;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use crm::Store;

pub use guard::Ctx;
pub use routes::{Need, RouteInfo, table};

/// Where the panel lives.
pub const BASE: &str = "/panel";

#[derive(Clone)]
pub struct PanelState {
    pub store: Store,
}

/// The panel's routes, all under [`BASE`].
pub fn router(store: Store) -> Router {
    let state = PanelState { store };
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
