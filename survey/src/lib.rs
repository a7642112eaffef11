//! The survey page behind the link in the post-invoice SMS (`crm::surveys`):
//! `GET /s/{token}` shows the invoice's items with star ratings, an overall rating, the
//! 0–10 recommendation question and a comment; `POST /s/{token}` stores the answer once.
//! Persian (RTL, Persian digits) by default, `?lang=en` for English. See docs/surveys.md.

mod i18n;
mod pages;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use crm::Store;

/// Where survey links point: `{public_url}/s/{token}`.
pub const PATH_PREFIX: &str = "/s";

#[derive(Clone)]
pub struct SurveyState {
    pub store: Store,
}

/// The survey routes (the portal serves the shared `/assets`).
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/s/{token}", get(pages::show).post(pages::submit))
        .route(
            "/assets/survey.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=86400"),
                    ],
                    include_str!("../assets/survey.css"),
                )
            }),
        )
        .with_state(SurveyState { store })
}
