//! The POS API (JSON over HTTP, mounted at `/api/v1`): cash registers record invoices,
//! pay them partly with club credit, cancel them, and look members up.
//!
//! Every call carries `Authorization: Bearer <key>` — a per-branch key made by
//! `smartx pos-key create`. POSTs may carry an `Idempotency-Key`; a retry with the same
//! key and body gets the stored reply (header `Idempotent-Replayed: true`) and never a
//! second invoice. Errors are `{"error": "..."}` with 400 (malformed request), 401 (no or
//! unknown key), 404, 409 (refused by a rule: not enough credit, cancelled invoice…) or
//! 422 (a field breaks a rule). Each call is one transaction: nothing is half-written.
//! See docs/api.md and docs/openapi.yaml.

use std::sync::Mutex;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use crm::groups::Moved;
use crm::idempotency::{IdempotentRequest, Reply};
use crm::invoices::{self, NewInvoice, NewItem, Receipt};
use crm::ledger::Balance;
use crm::phone::Phone;
use crm::pos_keys::{self, PosKey};
use crm::reservations::tables::{self as board, BoardTable};
use crm::{Error, Store, clock, club, coupons, tenants};
use serde::Deserialize;
use serde_json::{Value, json};

/// Where the API lives; `smartx` mounts the router there.
pub const BASE: &str = "/api/v1";

#[derive(Clone)]
struct Api {
    store: Store,
}

/// The API's routes, with paths under [`BASE`], ready to merge.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/v1/invoices", post(create_invoice))
        .route("/api/v1/invoices/{id}/redeem", post(redeem))
        .route("/api/v1/invoices/{id}/cancel", post(cancel))
        .route("/api/v1/members/{phone}", get(member))
        .route("/api/v1/coupons/redeem", post(redeem_coupon))
        .route("/api/v1/tables", get(tables))
        .route("/api/v1/tables/{id}/open", post(open_table))
        .route("/api/v1/tables/{id}/close", post(close_table))
        // Unknown API paths answer JSON too; paths outside /api/v1 are not ours.
        .route(
            "/api/v1/{*rest}",
            any(|| async { error(StatusCode::NOT_FOUND, "no such API route") }),
        )
        .with_state(Api { store })
}

/// A refusal: its status and the reason, answered as `{"error": reason}`.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "error": self.1 }))).into_response()
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError(status, message.into())
}

/// The HTTP answer to a domain error; storage failures are logged, not shown.
fn from_crm(e: Error) -> ApiError {
    match e {
        Error::Invalid(m) => error(StatusCode::UNPROCESSABLE_ENTITY, m),
        Error::Phone(p) => error(StatusCode::UNPROCESSABLE_ENTITY, p.to_string()),
        Error::NotFound(what) => error(StatusCode::NOT_FOUND, format!("{what} not found")),
        Error::Conflict(m) => error(StatusCode::CONFLICT, m),
        other => {
            tracing::warn!(error = %other, "POS API request failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server cannot complete this now; retry with the same Idempotency-Key",
            )
        }
    }
}

fn reply(r: Reply) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    let mut response = (status, [("content-type", "application/json")], r.body).into_response();
    if r.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// The key in `Authorization: Bearer …`, or the 401 to answer.
async fn authenticate(api: &Api, headers: &HeaderMap) -> Result<PosKey, ApiError> {
    let unauthorized = |m: &str| error(StatusCode::UNAUTHORIZED, m);
    let Some(value) = headers.get("authorization") else {
        return Err(unauthorized("missing Authorization: Bearer <POS key>"));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| unauthorized("Authorization must be Bearer <POS key>"))?;
    match pos_keys::authenticate(&api.store, token).await {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(unauthorized("unknown or revoked POS key")),
        Err(e) => Err(from_crm(e)),
    }
}

/// The request's `Idempotency-Key`, scoped to the key's branch.
fn idempotency(
    key: &PosKey,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Result<Option<IdempotentRequest>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| error(StatusCode::BAD_REQUEST, "Idempotency-Key must be ASCII"))?;
    IdempotentRequest::new(
        format!("pos-branch:{}", key.branch_id),
        value,
        "POST",
        path,
        body,
    )
    .map(Some)
    .map_err(|e| error(StatusCode::BAD_REQUEST, e.to_string()))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON for this call: {e}"),
        )
    })
}

fn balance_json(b: &Balance) -> Value {
    json!({
        "spendable": b.spendable,
        "pending": b.pending,
        "next_expiry": b.next_expiry.map(|(at, amount)| json!({ "at": at, "amount": amount })),
    })
}

fn receipt_json(r: &Receipt) -> String {
    let i = &r.invoice;
    json!({
        "invoice": {
            "id": i.id,
            "branch_id": i.branch_id,
            "phone": i.phone,
            "amount": i.amount,
            "earned": i.earned,
            "redeemed": i.redeemed,
            "status": i.status.as_str(),
            "pos_transaction_id": i.pos_transaction_id,
            "reservation_id": i.reservation_id,
            "deposit_applied": i.deposit_applied,
            "staff": i.staff,
            "to_pay": (i.amount - i.deposit_applied - i.redeemed).max(0),
            "created_at": i.created_at,
            "cancelled_at": i.cancelled_at,
        },
        "earned_spendable_at": r.earned_spendable_at,
        "tier": r.tier,
        "fraud": r.withheld,
        "balance": balance_json(&r.balance),
        "reversal": r.reversal.map(|v| json!({
            "refunded": v.refunded,
            "clawed_back": v.clawed_back,
            "unrecovered": v.unrecovered,
        })),
    })
    .to_string()
}

#[derive(Deserialize)]
struct ItemBody {
    name: String,
    category: Option<String>,
    qty: i64,
    unit_price: i64,
}

#[derive(Deserialize)]
struct InvoiceBody {
    phone: String,
    amount: i64,
    #[serde(default)]
    items: Vec<ItemBody>,
    reservation_id: Option<i64>,
    pos_transaction_id: Option<String>,
    staff: Option<String>,
}

async fn create_invoice(State(api): State<Api>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let key = authenticate(&api, &headers).await?;
        let idem = idempotency(&key, &headers, "/api/v1/invoices", &body)?;
        let b: InvoiceBody = parse(&body)?;
        let new = NewInvoice {
            phone: b.phone,
            amount: b.amount,
            items: b
                .items
                .into_iter()
                .map(|i| NewItem {
                    name: i.name,
                    category: i.category,
                    qty: i.qty,
                    unit_price: i.unit_price,
                })
                .collect(),
            reservation_id: b.reservation_id,
            pos_transaction_id: b.pos_transaction_id,
            staff: b.staff,
        };
        let moved = Mutex::new(None);
        let reply = invoices::create(&api.store, &key, &new, idem.as_ref(), clock::now(), |r| {
            remember_move(&moved, r);
            (201, receipt_json(r))
        })
        .await
        .map_err(from_crm)?;
        follow_move(&api, &key, moved);
        Ok::<_, ApiError>(reply)
    }
    .await;
    result.map_or_else(IntoResponse::into_response, reply)
}

#[derive(Deserialize)]
struct RedeemBody {
    amount: i64,
}

fn invoice_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("invoice {raw:?} not found")))
}

async fn redeem(
    State(api): State<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    invoice_action(api, id, headers, body, Action::Redeem).await
}

async fn cancel(
    State(api): State<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    invoice_action(api, id, headers, body, Action::Cancel).await
}

/// Keeps a tier move the receipt reports (a stored reply replayed for a retry has none:
/// its move was followed the first time).
fn remember_move(slot: &Mutex<Option<Moved>>, receipt: &Receipt) {
    if let (Ok(mut slot), Some(m)) = (slot.lock(), &receipt.moved) {
        *slot = Some(m.clone());
    }
}

/// A member whose tier moved their WiFi group gets the new limits on live sessions.
fn follow_move(api: &Api, key: &PosKey, slot: Mutex<Option<Moved>>) {
    if let Some(m) = slot.into_inner().ok().flatten() {
        radiusd::enforce::follow_move_later(&api.store, key.tenant_id, m);
    }
}

#[derive(Clone, Copy)]
enum Action {
    Redeem,
    Cancel,
}

/// `POST /api/v1/invoices/{id}/redeem|cancel`.
async fn invoice_action(
    api: Api,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    action: Action,
) -> Response {
    let result = async {
        let key = authenticate(&api, &headers).await?;
        let id = invoice_id(&id)?;
        let verb = match action {
            Action::Redeem => "redeem",
            Action::Cancel => "cancel",
        };
        let path = format!("/api/v1/invoices/{id}/{verb}");
        let idem = idempotency(&key, &headers, &path, &body)?;
        let moved = Mutex::new(None);
        let now = clock::now();
        let render = |r: &Receipt| {
            remember_move(&moved, r);
            (200, receipt_json(r))
        };
        let reply = match action {
            Action::Redeem => {
                let b: RedeemBody = parse(&body)?;
                invoices::redeem(&api.store, &key, id, b.amount, idem.as_ref(), now, render).await
            }
            Action::Cancel => {
                invoices::cancel(&api.store, &key, id, idem.as_ref(), now, render).await
            }
        }
        .map_err(from_crm)?;
        follow_move(&api, &key, moved);
        Ok::<_, ApiError>(reply)
    }
    .await;
    result.map_or_else(IntoResponse::into_response, reply)
}

#[derive(Deserialize)]
struct CouponBody {
    code: String,
    phone: String,
    invoice_id: Option<i64>,
}

async fn redeem_coupon(State(api): State<Api>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let key = authenticate(&api, &headers).await?;
        let idem = idempotency(&key, &headers, "/api/v1/coupons/redeem", &body)?;
        let b: CouponBody = parse(&body)?;
        coupons::redeem(
            &api.store,
            &key,
            &b.code,
            &b.phone,
            b.invoice_id,
            idem.as_ref(),
            clock::now(),
            |u| {
                let body = json!({
                    "coupon": {
                        "code": u.code,
                        "kind": u.kind.as_str(),
                        "amount": u.amount,
                        "invoice_id": u.invoice_id,
                    },
                    "balance": balance_json(&u.balance),
                });
                (200, body.to_string())
            },
        )
        .await
        .map_err(from_crm)
    }
    .await;
    result.map_or_else(IntoResponse::into_response, reply)
}

async fn member(State(api): State<Api>, Path(phone): Path<String>, headers: HeaderMap) -> Response {
    let result = async {
        let key = authenticate(&api, &headers).await?;
        let phone = Phone::parse(&phone).map_err(|e| from_crm(e.into()))?;
        let tenant = tenants::by_id(&api.store, key.tenant_id)
            .await
            .map_err(from_crm)?;
        let m = club::summary(&api.store, &tenant, &phone, clock::now())
            .await
            .map_err(from_crm)?;
        Ok::<_, ApiError>(
            axum::Json(json!({
                "phone": m.phone,
                "member_since": m.joined_at,
                "joined_via": m.source,
                "tier": m.tier,
                "balance": balance_json(&m.balance),
            }))
            .into_response(),
        )
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

fn table_json(t: &BoardTable) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "zone": t.zone,
        "state": t.state.as_str(),
        "since": t.since,
        "booking": t.booking.as_ref().map(|b| json!({
            "id": b.id,
            "name": b.name,
            "party": b.party,
            "starts_at": b.starts_at,
            "status": b.status.as_str(),
        })),
    })
}

/// `GET /api/v1/tables`: the key's branch's table board.
async fn tables(State(api): State<Api>, headers: HeaderMap) -> Response {
    let result = async {
        let key = authenticate(&api, &headers).await?;
        let tenant = tenants::by_id(&api.store, key.tenant_id)
            .await
            .map_err(from_crm)?;
        let tables = board::board(&api.store, &tenant, key.branch_id, clock::now())
            .await
            .map_err(from_crm)?;
        let tables: Vec<Value> = tables.iter().map(table_json).collect();
        Ok::<_, ApiError>(axum::Json(json!({ "tables": tables })).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn open_table(
    State(api): State<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    table_action(api, id, headers, true).await
}

async fn close_table(
    State(api): State<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    table_action(api, id, headers, false).await
}

/// `POST /api/v1/tables/{id}/open|close`. Both are safe to retry: opening an open table
/// or closing a closed one changes nothing.
async fn table_action(api: Api, id: String, headers: HeaderMap, open: bool) -> Response {
    let result = async {
        let key = authenticate(&api, &headers).await?;
        let id = id
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("table {id:?} not found")))?;
        let tenant = tenants::by_id(&api.store, key.tenant_id)
            .await
            .map_err(from_crm)?;
        let now = clock::now();
        let table = if open {
            board::open(&api.store, &tenant, key.branch_id, id, now).await
        } else {
            board::close(&api.store, &tenant, key.branch_id, id, now).await
        }
        .map_err(from_crm)?;
        Ok::<_, ApiError>(axum::Json(json!({ "table": table_json(&table) })).into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
