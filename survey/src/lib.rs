//! The survey page behind the link in the post-invoice SMS (`crm::surveys`):
//! `GET /s/{token}` shows the invoice's items with star ratings, an overall rating, the
//! 0–10 recommendation question and a comment; `POST /s/{token}` stores the answer once.
//! `POST /s/{token}/media` takes a photo, voice or video file as the raw body (the
//! page's script sends it; `X-CSRF-Token` echoes the form's cookie).
//! Persian (RTL, Persian digits) by default, `?lang=en` for English. See docs/surveys.md.

mod i18n;
mod media;
mod pages;
mod questions;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use crm::Store;
use std::path::PathBuf;

/// Where survey links point: `{public_url}/s/{token}`.
pub const PATH_PREFIX: &str = "/s";

#[derive(Clone)]
pub struct SurveyState {
    pub store: Store,
    /// Where attached photos, voice and video are stored (`{dir}/{tenant}/…`).
    pub media_dir: PathBuf,
}

/// The survey routes (the portal serves the shared `/assets`).
pub fn router(store: Store, media_dir: PathBuf) -> Router {
    Router::new()
        .route("/s/{token}", get(pages::show).post(pages::submit))
        .route(
            "/s/{token}/media",
            post(media::upload).layer(DefaultBodyLimit::max(crm::surveys::media::MAX_VIDEO)),
        )
        .route(
            "/assets/survey.css",
            get(|| async {
                asset(
                    "text/css; charset=utf-8",
                    include_str!("../assets/survey.css"),
                )
            }),
        )
        .route(
            "/assets/survey.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../assets/survey.js"),
                )
            }),
        )
        .with_state(SurveyState { store, media_dir })
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}
