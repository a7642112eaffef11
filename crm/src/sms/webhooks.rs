//! Delivery-report webhooks the gateways call:
//!
//! - `POST /webhooks/sms/kavenegar/status?key=…` — form fields `messageid` and `status`
//!   (Kavenegar's message status codes, e.g. 10 delivered, 11 undelivered).
//! - `POST /webhooks/sms/smsir/status?key=…` — JSON `{"messageId":…,"deliveryState":…}`
//!   or a list of such objects (the fields of sms.ir's message report).
//!
//!
//! Inbound texts to the club line (see `crate::club::inbound`):
//!
//! - `GET|POST /webhooks/sms/kavenegar/inbound?key=…` — Kavenegar's receive callback:
//!   `from` (or `sender`), `to` (or `receptor`), `message`, `messageid`, in the query
//!   string or a form body.
//! - `POST /webhooks/sms/smsir/inbound?key=…` — JSON `{"mobile", "messageText",
//!   "number", "messageId"?, "receivedDateTime"?}` (sms.ir's received-message fields),
//!   or a list of them.
//!
//! The `key` query parameter must equal the configured `SMARTX_SMS_WEBHOOK_KEY`
//! (compared in constant time); without a configured key every call is refused.
//! Answers: 200 with what was updated, 400 with what is malformed, 401 for a missing or
//! wrong key, 404 for a message id no outbox row has.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::club::inbound::{self, InboundSms};
use crate::secret::Secret;
use crate::store::Store;

use super::drain::apply_delivery;
use super::http::id_text;
use super::provider::Delivery;
use super::{kavenegar, smsir};

struct Hooks {
    store: Store,
    key: Option<Secret>,
}

/// The webhook routes, ready to merge into the web role's router.
pub fn router(store: Store, key: Option<Secret>) -> Router {
    let key = key.filter(|k| !k.expose().is_empty());
    if key.is_none() {
        tracing::info!("SMS delivery webhooks are off: no SMARTX_SMS_WEBHOOK_KEY configured");
    }
    Router::new()
        .route("/webhooks/sms/kavenegar/status", post(kavenegar_status))
        .route("/webhooks/sms/smsir/status", post(smsir_status))
        .route(
            "/webhooks/sms/kavenegar/inbound",
            get(kavenegar_inbound).post(kavenegar_inbound),
        )
        .route("/webhooks/sms/smsir/inbound", post(smsir_inbound))
        .with_state(Arc::new(Hooks { store, key }))
}

fn answer(status: StatusCode, text: impl Into<String>) -> Response {
    let mut text = text.into();
    text.push('\n');
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// A JSON body of one object or a list of 1 to `max` objects, as a list; the error
/// says why it is refused (answered with 400).
fn json_items(body: &[u8], max: usize) -> Result<Vec<Value>, String> {
    match serde_json::from_slice(body) {
        Err(e) => Err(format!("the body is not JSON: {e}")),
        Ok(Value::Array(items)) if !items.is_empty() && items.len() <= max => Ok(items),
        Ok(object @ Value::Object(_)) => Ok(vec![object]),
        Ok(_) => Err(format!(
            "expected a JSON object or a list of 1 to {max} of them"
        )),
    }
}

/// Checks `?key=`; the error is why the caller is refused (answered with 401).
fn authorize(hooks: &Hooks, query: &HashMap<String, String>) -> Result<(), &'static str> {
    let Some(expected) = &hooks.key else {
        return Err("SMS webhooks are disabled: no webhook key is configured on this server");
    };
    let Some(given) = query.get("key") else {
        return Err("missing ?key= in the webhook URL");
    };
    if bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes())) {
        Ok(())
    } else {
        Err("wrong webhook key")
    }
}

async fn apply(hooks: &Hooks, provider: &str, message_id: &str, delivery: &Delivery) -> Response {
    match apply_delivery(&hooks.store, provider, message_id, delivery).await {
        Ok(Some(status)) => answer(
            StatusCode::OK,
            format!(
                "message {message_id}: {status} ({})",
                delivery.provider_status
            ),
        ),
        Ok(None) => answer(
            StatusCode::NOT_FOUND,
            format!("no message sent through {provider} has id {message_id}"),
        ),
        Err(e) => {
            tracing::warn!(error = %e, provider, "recording an SMS delivery report failed");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot record the report now; try again",
            )
        }
    }
}

async fn kavenegar_status(
    State(hooks): State<Arc<Hooks>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if let Err(why) = authorize(&hooks, &query) {
        return answer(StatusCode::UNAUTHORIZED, why);
    }
    let form: HashMap<String, String> = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(e) => {
            return answer(
                StatusCode::BAD_REQUEST,
                format!("the body is not a form (application/x-www-form-urlencoded): {e}"),
            );
        }
    };
    let message_id = match form.get("messageid").map(|s| s.trim()) {
        Some(id) if !id.is_empty() && id.len() <= 64 => id,
        Some(_) => return answer(StatusCode::BAD_REQUEST, "messageid is empty or too long"),
        None => return answer(StatusCode::BAD_REQUEST, "the form has no messageid field"),
    };
    let status = match form.get("status").map(|s| s.trim().parse::<i64>()) {
        Some(Ok(status)) => status,
        Some(Err(_)) => return answer(StatusCode::BAD_REQUEST, "status must be a number"),
        None => return answer(StatusCode::BAD_REQUEST, "the form has no status field"),
    };
    let delivery = kavenegar::delivery_from_status(status);
    apply(&hooks, "kavenegar", message_id, &delivery).await
}

async fn smsir_status(
    State(hooks): State<Arc<Hooks>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if let Err(why) = authorize(&hooks, &query) {
        return answer(StatusCode::UNAUTHORIZED, why);
    }
    let reports = match json_items(&body, 1000) {
        Ok(items) => items,
        Err(why) => return answer(StatusCode::BAD_REQUEST, why),
    };
    let mut parsed = Vec::with_capacity(reports.len());
    for (i, report) in reports.iter().enumerate() {
        let field = |a: &str, b: &str| report.get(a).or_else(|| report.get(b));
        let Some(message_id) = field("messageId", "MessageId").and_then(id_text) else {
            return answer(
                StatusCode::BAD_REQUEST,
                format!("report {}: messageId is missing or not a number", i + 1),
            );
        };
        let Some(state) = field("deliveryState", "DeliveryState").and_then(Value::as_i64) else {
            return answer(
                StatusCode::BAD_REQUEST,
                format!("report {}: deliveryState is missing or not a number", i + 1),
            );
        };
        parsed.push((message_id, smsir::delivery_from_state(state)));
    }
    if let [(message_id, delivery)] = parsed.as_slice() {
        return apply(&hooks, "smsir", message_id, delivery).await;
    }
    let (mut updated, mut unknown) = (0, Vec::new());
    for (message_id, delivery) in &parsed {
        match apply_delivery(&hooks.store, "smsir", message_id, delivery).await {
            Ok(Some(_)) => updated += 1,
            Ok(None) => unknown.push(message_id.as_str()),
            Err(e) => {
                tracing::warn!(error = %e, "recording an SMS delivery report failed");
                return answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "cannot record the reports now; try again",
                );
            }
        }
    }
    if updated == 0 {
        answer(
            StatusCode::NOT_FOUND,
            format!(
                "no message sent through smsir has any of the ids {}",
                unknown.join(", ")
            ),
        )
    } else if unknown.is_empty() {
        answer(StatusCode::OK, format!("updated {updated} messages"))
    } else {
        answer(
            StatusCode::OK,
            format!(
                "updated {updated} messages; unknown ids: {}",
                unknown.join(", ")
            ),
        )
    }
}

/// Hands one inbound text to the club; the answer says what it was taken for.
async fn receive(hooks: &Hooks, msg: InboundSms) -> Response {
    match inbound::handle(&hooks.store, &msg, crate::clock::now()).await {
        Ok(outcome) => answer(StatusCode::OK, outcome.as_str()),
        Err(crate::Error::Phone(e)) => answer(StatusCode::BAD_REQUEST, format!("sender: {e}")),
        Err(e) => {
            tracing::warn!(error = %e, provider = %msg.provider, "handling an inbound SMS failed");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot handle the message now; try again",
            )
        }
    }
}

async fn kavenegar_inbound(
    State(hooks): State<Arc<Hooks>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if let Err(why) = authorize(&hooks, &query) {
        return answer(StatusCode::UNAUTHORIZED, why);
    }
    // Kavenegar calls with the fields in the query string (GET) or a form (POST).
    let mut fields = query;
    if !body.is_empty() {
        match serde_urlencoded::from_bytes::<HashMap<String, String>>(&body) {
            Ok(form) => fields.extend(form),
            Err(e) => {
                return answer(
                    StatusCode::BAD_REQUEST,
                    format!("the body is not a form (application/x-www-form-urlencoded): {e}"),
                );
            }
        }
    }
    let field = |a: &str, b: &str| {
        fields
            .get(a)
            .or_else(|| fields.get(b))
            .map(|s| s.trim().to_string())
    };
    let Some(from) = field("from", "sender").filter(|s| !s.is_empty()) else {
        return answer(StatusCode::BAD_REQUEST, "missing the sender (from)");
    };
    let Some(message) = field("message", "message") else {
        return answer(StatusCode::BAD_REQUEST, "missing message");
    };
    let Some(message_id) =
        field("messageid", "messageId").filter(|s| !s.is_empty() && s.len() <= 64)
    else {
        return answer(StatusCode::BAD_REQUEST, "missing or overlong messageid");
    };
    let msg = InboundSms {
        provider: "kavenegar".into(),
        message_id,
        from,
        line: field("to", "receptor"),
        body: message,
    };
    receive(&hooks, msg).await
}

async fn smsir_inbound(
    State(hooks): State<Arc<Hooks>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if let Err(why) = authorize(&hooks, &query) {
        return answer(StatusCode::UNAUTHORIZED, why);
    }
    let items = match json_items(&body, 100) {
        Ok(items) => items,
        Err(why) => return answer(StatusCode::BAD_REQUEST, why),
    };
    let mut last = answer(StatusCode::OK, "nothing");
    for (i, item) in items.iter().enumerate() {
        let field = |a: &str, b: &str| item.get(a).or_else(|| item.get(b)).and_then(id_text);
        let (Some(from), Some(text)) = (
            field("mobile", "Mobile"),
            field("messageText", "MessageText"),
        ) else {
            return answer(
                StatusCode::BAD_REQUEST,
                format!("message {}: mobile and messageText are required", i + 1),
            );
        };
        // sms.ir's received messages may come without an id: the sender, time and text
        // then stand for it, so a retried callback is still recognised.
        let message_id = field("messageId", "id").unwrap_or_else(|| {
            let when = field("receivedDateTime", "ReceivedDateTime").unwrap_or_default();
            use sha2::Digest;
            sha2::Sha256::digest(format!("{from}|{when}|{text}").as_bytes())
                .iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect()
        });
        let msg = InboundSms {
            provider: "smsir".into(),
            message_id,
            from,
            line: field("number", "Number"),
            body: text,
        };
        last = receive(&hooks, msg).await;
        if last.status() != StatusCode::OK {
            return last;
        }
    }
    last
}
