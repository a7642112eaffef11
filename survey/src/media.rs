//! `POST /s/{token}/media`: one file as the raw request body. The body limit (the largest
//! kind, video) is enforced by axum before anything is read into memory beyond it; the
//! type and the per-kind size by `crm::surveys::media`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use crm::Error;
use crm::surveys::media;
use portal::csrf;

use crate::SurveyState;

pub async fn upload(
    State(state): State<SurveyState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let given = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !csrf::matches(&headers, given) {
        return (
            StatusCode::FORBIDDEN,
            "the page expired; reload it and try again".into(),
        );
    }
    let now = crm::clock::now();
    match media::attach(&state.store, &state.media_dir, &token, &body, now).await {
        Ok(id) => (StatusCode::CREATED, id.to_string()),
        Err(Error::NotFound(_)) => (StatusCode::NOT_FOUND, "unknown survey link".into()),
        Err(Error::Conflict(why)) => (StatusCode::CONFLICT, why),
        Err(Error::Invalid(why)) => (StatusCode::UNPROCESSABLE_ENTITY, why),
        Err(e) => {
            tracing::warn!(error = %e, "storing survey media failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "temporary error; try again".into(),
            )
        }
    }
}
