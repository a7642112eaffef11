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

/// How a provider sends its callbacks: the encoding and each field's names (the first
/// one present counts). The handlers below read every provider through this alone.
struct Provider {
    name: &'static str,
    encoding: Encoding,
    status: StatusFields,
    inbound: InboundFields,
}

#[derive(Clone, Copy)]
enum Encoding {
    /// A form body, plus the query string's fields (Kavenegar also calls with a GET).
    Form,
    /// A JSON object, or a list of them (at most `STATUS_MAX` / `INBOUND_MAX`).
    Json,
}

/// A delivery report.
struct StatusFields {
    message_id: &'static [&'static str],
    /// The provider's status code, a number.
    status: &'static [&'static str],
    delivery: fn(i64) -> Delivery,
}

/// A text to the club line.
struct InboundFields {
    from: &'static [&'static str],
    text: &'static [&'static str],
    /// The line it was sent to, if the provider says.
    line: &'static [&'static str],
    message_id: &'static [&'static str],
    /// When the provider may leave out the id: the receive time's fields, which with
    /// the sender and the text stand for it. Empty: the id is required.
    received: &'static [&'static str],
}

/// Kavenegar: forms (`messageid`/`status` reports; the receive callback's
/// `from`/`to`/`message`/`messageid`, in the query or the body).
const KAVENEGAR: Provider = Provider {
    name: "kavenegar",
    encoding: Encoding::Form,
    status: StatusFields {
        message_id: &["messageid"],
        status: &["status"],
        delivery: kavenegar::delivery_from_status,
    },
    inbound: InboundFields {
        from: &["from", "sender"],
        text: &["message"],
        line: &["to", "receptor"],
        message_id: &["messageid", "messageId"],
        received: &[],
    },
};

/// sms.ir: JSON (message report and received-message fields).
const SMSIR: Provider = Provider {
    name: "smsir",
    encoding: Encoding::Json,
    status: StatusFields {
        message_id: &["messageId", "MessageId"],
        status: &["deliveryState", "DeliveryState"],
        delivery: smsir::delivery_from_state,
    },
    inbound: InboundFields {
        from: &["mobile", "Mobile"],
        text: &["messageText", "MessageText"],
        line: &["number", "Number"],
        message_id: &["messageId", "id"],
        received: &["receivedDateTime", "ReceivedDateTime"],
    },
};

/// Most delivery reports / inbound texts one JSON callback may carry.
const STATUS_MAX: usize = 1000;
const INBOUND_MAX: usize = 100;

/// Longest provider message id we store.
const ID_MAX: usize = 64;

/// A provider's webhooks, by type: `post(status_hook::<Kavenegar>)`.
trait Hooked {
    const PROVIDER: Provider;
}

struct Kavenegar;
impl Hooked for Kavenegar {
    const PROVIDER: Provider = KAVENEGAR;
}

struct Smsir;
impl Hooked for Smsir {
    const PROVIDER: Provider = SMSIR;
}

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
        .route(
            "/webhooks/sms/kavenegar/status",
            post(status_hook::<Kavenegar>),
        )
        .route("/webhooks/sms/smsir/status", post(status_hook::<Smsir>))
        .route(
            "/webhooks/sms/kavenegar/inbound",
            get(inbound_hook::<Kavenegar>).post(inbound_hook::<Kavenegar>),
        )
        .route("/webhooks/sms/smsir/inbound", post(inbound_hook::<Smsir>))
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

/// One item of a callback: its fields as trimmed text (JSON numbers as digits; JSON
/// values that are neither a number nor a non-empty string are left out), and the
/// words that say which item a refusal is about.
struct Item {
    fields: HashMap<String, String>,
    /// `""` for a form; `"report 2: "` / `"message 2: "` for a JSON list's items.
    at: String,
    /// What holds the fields, for refusals: "form", "report", "message".
    holder: &'static str,
}

impl Item {
    fn get(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .find_map(|n| self.fields.get(*n))
            .map(String::as_str)
    }

    /// A required field; the error names it.
    fn required(&self, names: &[&str]) -> Result<&str, String> {
        self.get(names).ok_or_else(|| {
            format!(
                "{}{} is missing (the {} has no {} field)",
                self.at, names[0], self.holder, names[0]
            )
        })
    }

    fn number(&self, names: &[&str]) -> Result<i64, String> {
        self.required(names)?
            .parse()
            .map_err(|_| format!("{}{} must be a number", self.at, names[0]))
    }

    fn message_id(&self, names: &[&str]) -> Result<String, String> {
        match self.required(names)? {
            id if !id.is_empty() && id.len() <= ID_MAX => Ok(id.to_string()),
            _ => Err(format!("{}{} is empty or too long", self.at, names[0])),
        }
    }
}

/// Checks the key and reads the callback's items as the provider encodes them; `Err`
/// is the refusal to answer (401 or 400) and why.
fn read(
    hooks: &Hooks,
    provider: &Provider,
    query: HashMap<String, String>,
    body: &[u8],
    holder: &'static str,
    max: usize,
) -> Result<Vec<Item>, (StatusCode, String)> {
    authorize(hooks, &query).map_err(|why| (StatusCode::UNAUTHORIZED, why.to_string()))?;
    let bad = |why: String| (StatusCode::BAD_REQUEST, why);
    match provider.encoding {
        Encoding::Form => {
            let mut fields = query;
            if !body.is_empty() {
                let form: HashMap<String, String> =
                    serde_urlencoded::from_bytes(body).map_err(|e| {
                        bad(format!(
                            "the body is not a form (application/x-www-form-urlencoded): {e}"
                        ))
                    })?;
                fields.extend(form);
            }
            fields.values_mut().for_each(|v| *v = v.trim().to_string());
            Ok(vec![Item {
                fields,
                at: String::new(),
                holder: "form",
            }])
        }
        Encoding::Json => {
            let items = match serde_json::from_slice(body) {
                Err(e) => return Err(bad(format!("the body is not JSON: {e}"))),
                Ok(Value::Array(items)) if !items.is_empty() && items.len() <= max => items,
                Ok(object @ Value::Object(_)) => vec![object],
                Ok(_) => {
                    return Err(bad(format!(
                        "expected a JSON object or a list of 1 to {max} of them"
                    )));
                }
            };
            Ok(items
                .iter()
                .enumerate()
                .map(|(i, item)| Item {
                    fields: item
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter_map(|(k, v)| Some((k.clone(), id_text(v)?)))
                        .collect(),
                    at: format!("{holder} {}: ", i + 1),
                    holder,
                })
                .collect())
        }
    }
}

/// `POST /webhooks/sms/{provider}/status`: delivery reports.
async fn status_hook<P: Hooked>(
    State(hooks): State<Arc<Hooks>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let provider = &P::PROVIDER;
    let fields = &provider.status;
    let items = match read(&hooks, provider, query, &body, "report", STATUS_MAX) {
        Ok(items) => items,
        Err((status, why)) => return answer(status, why),
    };
    let mut reports = Vec::with_capacity(items.len());
    for item in &items {
        let report = item
            .message_id(fields.message_id)
            .and_then(|id| Ok((id, (fields.delivery)(item.number(fields.status)?))));
        match report {
            Ok(report) => reports.push(report),
            Err(why) => return answer(StatusCode::BAD_REQUEST, why),
        }
    }
    if let [(message_id, delivery)] = reports.as_slice() {
        return apply(&hooks, provider.name, message_id, delivery).await;
    }
    apply_all(&hooks, provider.name, &reports).await
}

/// One delivery report, answered with what became of the message.
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

/// Several delivery reports, answered with how many were recorded and which ids are
/// unknown.
async fn apply_all(hooks: &Hooks, provider: &str, reports: &[(String, Delivery)]) -> Response {
    let (mut updated, mut unknown) = (0, Vec::new());
    for (message_id, delivery) in reports {
        match apply_delivery(&hooks.store, provider, message_id, delivery).await {
            Ok(Some(_)) => updated += 1,
            Ok(None) => unknown.push(message_id.as_str()),
            Err(e) => {
                tracing::warn!(error = %e, provider, "recording an SMS delivery report failed");
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
                "no message sent through {provider} has any of the ids {}",
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

/// An inbound text as the club takes it; the error says which field is wrong.
fn inbound_sms(provider: &Provider, item: &Item) -> Result<InboundSms, String> {
    let fields = &provider.inbound;
    let from = item.required(fields.from)?;
    if from.is_empty() {
        return Err(format!("{}{} is empty", item.at, fields.from[0]));
    }
    let text = item.required(fields.text)?;
    let message_id = match item.message_id(fields.message_id) {
        Ok(id) => id,
        // Without an id (where the provider may leave it out) the sender, time and text
        // stand for it, so a retried callback is still recognised.
        Err(_) if !fields.received.is_empty() && item.get(fields.message_id).is_none() => {
            let when = item.get(fields.received).unwrap_or_default();
            use sha2::Digest;
            sha2::Sha256::digest(format!("{from}|{when}|{text}").as_bytes())
                .iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect()
        }
        Err(why) => return Err(why),
    };
    Ok(InboundSms {
        provider: provider.name.into(),
        message_id,
        from: from.to_string(),
        line: item.get(fields.line).map(str::to_string),
        body: text.to_string(),
    })
}

/// `GET|POST /webhooks/sms/{provider}/inbound`: texts to the club line, handed to the
/// club one by one; the answer is the last one's (or the first refusal).
async fn inbound_hook<P: Hooked>(
    State(hooks): State<Arc<Hooks>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let provider = &P::PROVIDER;
    let items = match read(&hooks, provider, query, &body, "message", INBOUND_MAX) {
        Ok(items) => items,
        Err((status, why)) => return answer(status, why),
    };
    let mut last = answer(StatusCode::OK, "nothing");
    for item in &items {
        let msg = match inbound_sms(provider, item) {
            Ok(msg) => msg,
            Err(why) => return answer(StatusCode::BAD_REQUEST, why),
        };
        last = receive(&hooks, msg).await;
        if last.status() != StatusCode::OK {
            return last;
        }
    }
    last
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
