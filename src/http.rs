//! The web role's HTTP surface that belongs to the process itself: health, readiness
//! and Prometheus metrics. Product pages (portal, panel, APIs) are merged in from
//! their crates.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use crm::Store;
use metrics_exporter_prometheus::PrometheusHandle;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub metrics: PrometheusHandle,
    /// What `?key=` the SMS delivery-report webhooks require; `None` closes them.
    pub sms_webhook_key: Option<crm::secret::Secret>,
    /// Where survey photos, voice and video are stored (under the data directory).
    pub survey_media_dir: std::path::PathBuf,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state.clone())
        .merge(crm::sms::webhooks::router(
            state.store.clone(),
            state.sms_webhook_key.clone(),
        ))
        .merge(pos::router(state.store.clone()))
        .merge(survey::router(
            state.store.clone(),
            state.survey_media_dir.clone(),
        ))
        .merge(portal::router(state.store.clone()))
        .merge(booking::router(state.store.clone()))
        .merge(panel::router(state.store, state.survey_media_dir))
}

/// Ready = the database answers; load balancers stop sending traffic otherwise.
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_string()),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable\n".to_string(),
            )
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
