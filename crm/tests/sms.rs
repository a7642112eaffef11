//! The SMS subsystem: outbox, drainer, providers (against local fake gateways that speak
//! each provider's documented API) and delivery webhooks. Storage tests run on SQLite
//! and PostgreSQL. Nothing here talks to the internet.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use crm::phone::Phone;
use crm::secret::Secret;
use crm::sms::{
    self, Delivery, Kind, OutboundSms, Provider, ProviderConfig, ProviderError, ProviderErrorKind,
    ProviderKind, ProviderReceipt, SmsProvider, Status, drain,
};
use crm::testing::{self, on_both};
use crm::{Error, Store, clock, tenants};
use serde_json::{Value, json};
use tower::ServiceExt;

fn phone(s: &str) -> Phone {
    Phone::parse(s).unwrap()
}

async fn exec(store: &Store, sql: &'static str, id: i64, value: i64) {
    sqlx::query(sql)
        .bind(id)
        .bind(value)
        .execute(store.pool())
        .await
        .unwrap();
}

/// Makes a message due now (skips its backoff wait).
async fn make_due(store: &Store, id: i64) {
    exec(
        store,
        "UPDATE sms_outbox SET next_attempt_at = $2 WHERE id = $1",
        id,
        clock::now(),
    )
    .await;
}

// ---------------------------------------------------------------------------------
// A scripted provider for the drainer's logic.

#[derive(Default)]
struct Scripted {
    results: Mutex<VecDeque<Result<ProviderReceipt, ProviderError>>>,
    sent: Mutex<Vec<OutboundSms>>,
    delay: Option<Duration>,
}

impl Scripted {
    fn then(self, r: Result<ProviderReceipt, ProviderError>) -> Self {
        self.results.lock().unwrap().push_back(r);
        self
    }
    fn sent(&self) -> Vec<OutboundSms> {
        self.sent.lock().unwrap().clone()
    }
}

fn accepted(id: &str) -> Result<ProviderReceipt, ProviderError> {
    Ok(ProviderReceipt {
        message_id: Some(id.into()),
        delivered: false,
    })
}

fn retryable(msg: &str) -> Result<ProviderReceipt, ProviderError> {
    Err(ProviderError::retryable(
        "scripted",
        Some("HTTP 503".into()),
        msg,
    ))
}

fn permanent(code: &str, msg: &str) -> Result<ProviderReceipt, ProviderError> {
    Err(ProviderError::permanent("scripted", Some(code.into()), msg))
}

impl SmsProvider for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }
    async fn send(&self, sms: &OutboundSms) -> Result<ProviderReceipt, ProviderError> {
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        self.sent.lock().unwrap().push(sms.clone());
        let next = self.results.lock().unwrap().pop_front();
        next.unwrap_or_else(|| accepted(&format!("s{}", sms.id)))
    }
}

// ---------------------------------------------------------------------------------
// Outbox and drainer.

#[tokio::test]
async fn otp_goes_to_the_console_inbox_and_is_redacted_after_sending() {
    on_both(|db| async move {
        let store = &db.store;
        let t = tenants::ensure_default(store).await.unwrap();
        let p = phone("0912 111 2233");
        let id = sms::send_otp(store, &t, &p, "482913").await.unwrap();
        // The drainer is woken at once (a permit waits for it).
        tokio::time::timeout(Duration::from_secs(1), sms::wakeup().notified())
            .await
            .expect("send_otp wakes the drainer");

        let queued = sms::get(store, id).await.unwrap();
        assert_eq!(queued.status, Status::Queued);
        assert_eq!(queued.kind, Kind::Otp);
        assert_eq!(queued.phone, "+989121112233");
        assert_eq!(queued.body, sms::otp_text("default", "482913"));
        assert!(queued.body.ends_with(": 482913"), "{}", queued.body);
        assert!(queued.body.starts_with("کد ورود شما به وای‌فای"));
        assert_eq!(queued.display_body(), "***", "operators never see a code");

        let console = Provider::build(store, &ProviderConfig::default()).unwrap();
        assert_eq!(console.name(), "console");
        assert_eq!(sms::drain_once(store, &console).await.unwrap(), 1);
        assert_eq!(sms::drain_once(store, &console).await.unwrap(), 0);

        let sent = sms::get(store, id).await.unwrap();
        assert_eq!(
            sent.status,
            Status::Delivered,
            "the console delivers at once"
        );
        assert_eq!(sent.body, "***");
        assert_eq!(sent.params, None);
        assert_eq!(sent.provider.as_deref(), Some("console"));
        assert_eq!(sent.attempts, 1);
        assert!(sent.sent_at.is_some() && sent.delivered_at.is_some());

        let inbox = sms::console_inbox(store, &phone("+989121112233"), 10)
            .await
            .unwrap();
        assert_eq!(inbox.len(), 1);
        assert!(inbox[0].body.contains("482913"));
        assert_eq!(inbox[0].outbox_id, Some(id));
        assert_eq!(inbox[0].tenant_id, t.id);
        assert_eq!(
            sent.provider_message_id,
            Some(inbox[0].id.to_string()),
            "the console's message id is its inbox row"
        );
        assert!(
            sms::console_inbox(store, &phone("09120000000"), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Text keeps its body; the outbox lists newest first and filters by status.
        let text = sms::enqueue_text(store, &t, &p, "  سلام، میز شما آماده است  ", "reservation")
            .await
            .unwrap();
        assert_eq!(
            sms::get(store, text).await.unwrap().body,
            "سلام، میز شما آماده است"
        );
        let all = sms::outbox(store, &t, None, 10).await.unwrap();
        assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), [text, id]);
        let queued = sms::outbox(store, &t, Some(Status::Queued), 10)
            .await
            .unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].purpose, "reservation");
        sms::drain_once(store, &console).await.unwrap();
        let inbox = sms::console_inbox(store, &p, 10).await.unwrap();
        assert_eq!(inbox.len(), 2);
        assert_eq!(inbox[0].body, "سلام، میز شما آماده است", "newest first");
        assert_eq!(
            sms::get(store, text).await.unwrap().body,
            "سلام، میز شما آماده است"
        );

        // Another tenant's outbox is separate.
        let other = tenants::create(store, "cafe-b").await.unwrap();
        assert!(
            sms::outbox(store, &other, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        // Old console entries can be purged.
        assert_eq!(sms::purge_console(store, 3600).await.unwrap(), 0);
        assert_eq!(sms::purge_console(store, -10).await.unwrap(), 2);
        db
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_with_a_reason() {
    on_both(|db| async move {
        let store = &db.store;
        let t = tenants::ensure_default(store).await.unwrap();
        let p = phone("09121112233");
        for code in ["12a4", "123", "۱۲۳۴", "12345678901", ""] {
            let err = sms::send_otp(store, &t, &p, code).await.unwrap_err();
            assert!(matches!(err, Error::Invalid(_)), "{code}: {err}");
        }
        let err = sms::enqueue_text(store, &t, &p, "   ", "x")
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "the SMS text is empty");
        let long = "ب".repeat(901);
        let err = sms::enqueue_text(store, &t, &p, &long, "x")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("901 characters"), "{err}");
        let err = sms::enqueue_text(store, &t, &p, "hi\u{7}", "x")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("control"), "{err}");
        for purpose in ["", "Has Space", "x".repeat(51).as_str()] {
            let err = sms::enqueue_text(store, &t, &p, "hi", purpose)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("purpose"), "{err}");
        }
        assert!(sms::outbox(store, &t, None, 10).await.unwrap().is_empty());
        assert!("bogus".parse::<Status>().is_err());
        assert!(matches!(
            sms::get(store, 999).await,
            Err(Error::NotFound(_))
        ));
        db
    })
    .await;
}

#[tokio::test]
async fn retryable_errors_back_off_and_permanent_ones_fail_with_the_reason() {
    on_both(|db| async move {
        let store = &db.store;
        let t = tenants::ensure_default(store).await.unwrap();
        let p = phone("09121112233");

        // Text: retryable, then permanent.
        let id = sms::enqueue_text(store, &t, &p, "hello", "test")
            .await
            .unwrap();
        let provider = Scripted::default()
            .then(retryable("gateway down"))
            .then(permanent("411", "the receptor number is invalid"));
        let before = clock::now();
        assert_eq!(sms::drain_once(store, &provider).await.unwrap(), 1);
        let m = sms::get(store, id).await.unwrap();
        assert_eq!(m.status, Status::Queued);
        assert_eq!(m.attempts, 1);
        assert!(m.next_attempt_at >= before + 5 && m.next_attempt_at <= clock::now() + 5);
        assert_eq!(
            m.last_error.as_deref(),
            Some("scripted HTTP 503 (retryable): gateway down")
        );
        assert_eq!(
            sms::drain_once(store, &provider).await.unwrap(),
            0,
            "not due yet"
        );
        make_due(store, id).await;
        assert_eq!(sms::drain_once(store, &provider).await.unwrap(), 1);
        let m = sms::get(store, id).await.unwrap();
        assert_eq!(m.status, Status::Failed);
        assert_eq!(m.attempts, 2);
        assert_eq!(
            m.last_error.as_deref(),
            Some("scripted 411 (permanent): the receptor number is invalid")
        );
        assert_eq!(m.body, "hello", "texts keep their body");
        make_due(store, id).await;
        assert_eq!(
            sms::drain_once(store, &provider).await.unwrap(),
            0,
            "failed is final"
        );

        // Out of attempts: the 5th retryable failure is the last.
        let id = sms::enqueue_text(store, &t, &p, "again", "test")
            .await
            .unwrap();
        exec(
            store,
            "UPDATE sms_outbox SET attempts = $2 WHERE id = $1",
            id,
            4,
        )
        .await;
        let provider = Scripted::default().then(retryable("still down"));
        sms::drain_once(store, &provider).await.unwrap();
        let m = sms::get(store, id).await.unwrap();
        assert_eq!((m.status, m.attempts), (Status::Failed, 5));
        assert!(
            m.last_error
                .as_deref()
                .unwrap()
                .starts_with("gave up after 5 attempts: "),
            "{:?}",
            m.last_error
        );

        // OTP with a permanent error: failed and redacted.
        let otp = sms::send_otp(store, &t, &p, "1234").await.unwrap();
        let provider = Scripted::default().then(permanent("418", "not enough credit"));
        sms::drain_once(store, &provider).await.unwrap();
        assert_eq!(provider.sent()[0].code(), Some("1234"));
        let m = sms::get(store, otp).await.unwrap();
        assert_eq!(m.status, Status::Failed);
        assert_eq!((m.body.as_str(), m.params.as_deref()), ("***", None));

        // OTP whose next try would come after the code expired: given up now.
        let otp = sms::send_otp(store, &t, &p, "5678").await.unwrap();
        exec(
            store,
            "UPDATE sms_outbox SET created_at = $2 WHERE id = $1",
            otp,
            clock::now() - sms::OTP_MAX_AGE + 4,
        )
        .await;
        let provider = Scripted::default().then(retryable("timed out"));
        sms::drain_once(store, &provider).await.unwrap();
        let m = sms::get(store, otp).await.unwrap();
        assert_eq!((m.status, m.body.as_str()), (Status::Failed, "***"));
        assert!(m.last_error.unwrap().contains("would expire"));

        // OTP still queued past its useful life: never sent, redacted.
        let otp = sms::send_otp(store, &t, &p, "9012").await.unwrap();
        exec(
            store,
            "UPDATE sms_outbox SET created_at = $2 WHERE id = $1",
            otp,
            clock::now() - sms::OTP_MAX_AGE - 1,
        )
        .await;
        let provider = Scripted::default();
        assert_eq!(sms::drain_once(store, &provider).await.unwrap(), 0);
        assert!(provider.sent().is_empty());
        let m = sms::get(store, otp).await.unwrap();
        assert_eq!((m.status, m.body.as_str()), (Status::Failed, "***"));
        assert!(m.last_error.unwrap().contains("expired"));
        db
    })
    .await;
}

#[tokio::test]
async fn orphaned_claims_are_requeued_and_otps_go_first() {
    on_both(|db| async move {
        let store = &db.store;
        let t = tenants::ensure_default(store).await.unwrap();
        let p = phone("09121112233");

        // A worker claimed it and died.
        let id = sms::enqueue_text(store, &t, &p, "orphan", "test")
            .await
            .unwrap();
        sqlx::query(
            "UPDATE sms_outbox SET status = 'sending', claim_token = 'dead', attempts = 1, \
             claimed_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(clock::now() - drain::SENDING_TIMEOUT + 30)
        .execute(store.pool())
        .await
        .unwrap();
        let provider = Scripted::default();
        assert_eq!(
            sms::drain_once(store, &provider).await.unwrap(),
            0,
            "not yet orphaned"
        );
        exec(
            store,
            "UPDATE sms_outbox SET claimed_at = $2 WHERE id = $1",
            id,
            clock::now() - drain::SENDING_TIMEOUT - 1,
        )
        .await;
        assert_eq!(sms::drain_once(store, &provider).await.unwrap(), 1);
        let m = sms::get(store, id).await.unwrap();
        assert_eq!((m.status, m.attempts), (Status::Sent, 2));
        assert_eq!(m.provider_message_id, Some(format!("s{id}")));

        // A full batch of texts queued before an OTP: the OTP is in the first batch.
        for i in 0..(drain::BATCH + 4) {
            sms::enqueue_text(store, &t, &p, &format!("text {i}"), "bulk")
                .await
                .unwrap();
        }
        let otp = sms::send_otp(store, &t, &p, "4321").await.unwrap();
        let provider = Scripted::default();
        assert_eq!(
            sms::drain_once(store, &provider).await.unwrap(),
            drain::BATCH as usize
        );
        assert_eq!(provider.sent()[0].id, otp, "OTPs are sent first");
        assert_eq!(sms::get(store, otp).await.unwrap().status, Status::Sent);
        assert_eq!(sms::drain_once(store, &provider).await.unwrap(), 5);
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_drainers_send_each_message_once() {
    on_both(|db| async move {
        let store = &db.store;
        let t = tenants::ensure_default(store).await.unwrap();
        let p = phone("09121112233");
        let mut ids = Vec::new();
        for i in 0..60 {
            ids.push(
                sms::enqueue_text(store, &t, &p, &format!("m{i}"), "bulk")
                    .await
                    .unwrap(),
            );
        }
        let provider = Scripted {
            delay: Some(Duration::from_millis(5)),
            ..Default::default()
        };
        let worker = || async {
            let mut n = 0;
            for _ in 0..50 {
                n += sms::drain_once(store, &provider).await.unwrap();
            }
            n
        };
        let (a, b, c) = tokio::join!(worker(), worker(), worker());
        assert_eq!(a + b + c, 60);
        let mut sent: Vec<i64> = provider.sent().iter().map(|s| s.id).collect();
        sent.sort();
        assert_eq!(sent, ids, "every message exactly once");
        let all = sms::outbox(store, &t, Some(Status::Sent), 100)
            .await
            .unwrap();
        assert_eq!(all.len(), 60);
        db
    })
    .await;
}

// ---------------------------------------------------------------------------------
// A fake gateway: records every request and answers like the documented API.

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn record(&self, method: &str, path: String, headers: &HeaderMap, body: &Bytes) {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        self.seen.lock().unwrap().push(Seen {
            method: method.into(),
            path,
            headers,
            body: String::from_utf8_lossy(body).into_owned(),
        });
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

const KAVENEGAR_KEY: &str = "6A4B-test/key==";

fn kavenegar_reply(status: u16, message: &str, entries: Value) -> Response {
    let body = json!({"return": {"status": status, "message": message}, "entries": entries});
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

async fn kavenegar_api(
    State(fake): State<Fake>,
    Path((key, group, method)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.record(
        "POST",
        format!("/v1/{key}/{group}/{method}"),
        &headers,
        &body,
    );
    if key != KAVENEGAR_KEY {
        return kavenegar_reply(403, "کد شناسائی API-Key معتبر نمی‌باشد", Value::Null);
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok())
        != Some("application/x-www-form-urlencoded")
    {
        return kavenegar_reply(400, "پارامترها ناقص هستند", Value::Null);
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap();
    let entry = |receptor: &str| {
        json!([{
            "messageid": 8792343, "message": "…", "status": 1, "statustext": "در صف ارسال",
            "sender": "10004346", "receptor": receptor, "date": 1356619709, "cost": 120
        }])
    };
    match (group.as_str(), method.as_str()) {
        ("verify", "lookup.json") | ("sms", "send.json") => {
            let receptor = form.get("receptor").cloned().unwrap_or_default();
            let required: &[&str] = if group == "verify" {
                &["receptor", "token", "template"]
            } else {
                &["receptor", "message"]
            };
            if required
                .iter()
                .any(|f| form.get(*f).is_none_or(|v| v.is_empty()))
            {
                return kavenegar_reply(400, "پارامترها ناقص هستند", Value::Null);
            }
            if !(receptor.len() == 11 && receptor.starts_with("09")) {
                return kavenegar_reply(411, "شماره گیرنده پیام معتبر نمی باشد", Value::Null);
            }
            match &receptor[7..] {
                "0418" => kavenegar_reply(418, "اعتبار کافی نیست", Value::Null),
                "0411" => kavenegar_reply(411, "شماره گیرنده پیام معتبر نمی باشد", Value::Null),
                "0424" => kavenegar_reply(424, "الگوی مورد نظر پیدا نشد", Value::Null),
                "0409" => kavenegar_reply(409, "سرور قادر به پاسخگوئی نیست", Value::Null),
                "0502" => (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>").into_response(),
                _ => kavenegar_reply(200, "تایید شد", entry(&receptor)),
            }
        }
        ("sms", "status.json") => {
            let status = match form.get("messageid").map(String::as_str) {
                Some("8792343") => 10,
                Some("11") => 11,
                _ => 100,
            };
            kavenegar_reply(
                200,
                "تایید شد",
                json!([{"messageid": form.get("messageid"), "status": status, "statustext": "…"}]),
            )
        }
        _ => kavenegar_reply(404, "متدی با این نام پیدا نشده است", Value::Null),
    }
}

async fn fake_kavenegar() -> (String, Fake) {
    let fake = Fake::default();
    let app = Router::new()
        .route("/v1/{key}/{group}/{method}", post(kavenegar_api))
        .with_state(fake.clone());
    (serve(app).await, fake)
}

fn outbound(id: i64, to: &str, kind: Kind, code: Option<&str>) -> OutboundSms {
    let mut params = BTreeMap::new();
    if let Some(code) = code {
        params.insert("code".to_string(), code.to_string());
    }
    OutboundSms {
        id,
        tenant_id: 1,
        phone: phone(to),
        kind,
        purpose: "test".into(),
        body: match code {
            Some(c) => sms::otp_text("Cafe", c),
            None => "سلام".into(),
        },
        params,
    }
}

fn kavenegar_config(base: &str, key: &str, template: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        kind: ProviderKind::Kavenegar,
        api_key: Some(Secret::new(key)),
        sender: Some("10004346".into()),
        otp_template: template.map(str::to_string),
        base_url: Some(format!("{base}/")),
    }
}

fn form_of(seen: &Seen) -> HashMap<String, String> {
    serde_urlencoded::from_str(&seen.body).unwrap()
}

#[tokio::test]
async fn kavenegar_adapter_speaks_the_documented_api() {
    let (base, fake) = fake_kavenegar().await;
    let db = testing::sqlite().await;
    let kavenegar = Provider::build(
        &db.store,
        &kavenegar_config(&base, KAVENEGAR_KEY, Some("wifi-login")),
    )
    .unwrap();
    assert_eq!(kavenegar.name(), "kavenegar");

    // OTP through verify/lookup, receptor in 09… form, key in the path (encoded).
    let receipt = kavenegar
        .send(&outbound(1, "+98 912 111 2233", Kind::Otp, Some("482913")))
        .await
        .unwrap();
    assert_eq!(
        receipt,
        ProviderReceipt {
            message_id: Some("8792343".into()),
            delivered: false
        }
    );
    let seen = fake.seen();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].path,
        format!("/v1/{KAVENEGAR_KEY}/verify/lookup.json")
    );
    assert_eq!(seen[0].headers["accept"], "application/json");
    let form = form_of(&seen[0]);
    assert_eq!(form["receptor"], "09121112233");
    assert_eq!(form["token"], "482913");
    assert_eq!(form["template"], "wifi-login");
    assert_eq!(form.len(), 3);

    // Text through sms/send with the sender line.
    kavenegar
        .send(&outbound(2, "09121112233", Kind::Text, None))
        .await
        .unwrap();
    let seen = fake.seen();
    assert_eq!(seen[1].path, format!("/v1/{KAVENEGAR_KEY}/sms/send.json"));
    let form = form_of(&seen[1]);
    assert_eq!(
        (
            form["receptor"].as_str(),
            form["message"].as_str(),
            form["sender"].as_str()
        ),
        ("09121112233", "سلام", "10004346")
    );

    // Documented errors map to retryable/permanent with Kavenegar's code and message.
    for (to, code, kind, words) in [
        (
            "09121110418",
            "418",
            ProviderErrorKind::Permanent,
            "not enough credit",
        ),
        (
            "09121110411",
            "411",
            ProviderErrorKind::Permanent,
            "receptor number is invalid",
        ),
        (
            "09121110424",
            "424",
            ProviderErrorKind::Permanent,
            "template was not found",
        ),
        (
            "09121110409",
            "409",
            ProviderErrorKind::Retryable,
            "cannot answer now",
        ),
        (
            "09121110502",
            "HTTP 502",
            ProviderErrorKind::Retryable,
            "unreadable",
        ),
    ] {
        let err = kavenegar
            .send(&outbound(3, to, Kind::Otp, Some("1111")))
            .await
            .unwrap_err();
        assert_eq!(err.code.as_deref(), Some(code), "{to}: {err}");
        assert_eq!(err.kind, kind, "{to}: {err}");
        assert!(err.message.contains(words), "{to}: {err}");
        assert_eq!(err.provider, "kavenegar");
    }

    // A wrong API key is permanent, and the key is never in the message.
    let wrong = Provider::build(&db.store, &kavenegar_config(&base, "WRONG-KEY", None)).unwrap();
    let err = wrong
        .send(&outbound(4, "09121112233", Kind::Text, None))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_deref()),
        (ProviderErrorKind::Permanent, Some("403"))
    );
    assert!(!err.to_string().contains("WRONG-KEY"));

    // Without a template an OTP goes out as text through sms/send.
    let plain = Provider::build(&db.store, &kavenegar_config(&base, KAVENEGAR_KEY, None)).unwrap();
    plain
        .send(&outbound(5, "09121112233", Kind::Otp, Some("7777")))
        .await
        .unwrap();
    let last = fake.seen().pop().unwrap();
    assert!(last.path.ends_with("/sms/send.json"));
    assert!(form_of(&last)["message"].ends_with(": 7777"));

    // Delivery status through sms/status.json.
    let d = kavenegar.delivery("8792343").await.unwrap().unwrap();
    assert_eq!(d.state, sms::DeliveryState::Delivered);
    assert_eq!(d.provider_status, "10 delivered");
    let last = fake.seen().pop().unwrap();
    assert!(last.path.ends_with("/sms/status.json"));
    assert_eq!(form_of(&last)["messageid"], "8792343");

    // Nobody listening: retryable, and no URL (it holds the key) in the error.
    let closed = Provider::build(
        &db.store,
        &kavenegar_config("http://127.0.0.1:1", KAVENEGAR_KEY, None),
    )
    .unwrap();
    let err = closed
        .send(&outbound(6, "09121112233", Kind::Text, None))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(!err.to_string().contains("6A4B"), "{err}");
    db.cleanup().await;
}

const SMSIR_KEY: &str = "smsir-test-key";

fn smsir_reply(http: StatusCode, status: i64, message: &str, data: Value) -> Response {
    (
        http,
        axum::Json(json!({"status": status, "message": message, "data": data})),
    )
        .into_response()
}

fn smsir_checks(fake: &Fake, path: &str, headers: &HeaderMap, body: &Bytes) -> Option<Response> {
    fake.record("POST", path.into(), headers, body);
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(SMSIR_KEY) {
        return Some(smsir_reply(
            StatusCode::UNAUTHORIZED,
            10,
            "کلید وب سرویس نامعتبر است",
            Value::Null,
        ));
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return Some(smsir_reply(
            StatusCode::BAD_REQUEST,
            0,
            "bad content type",
            Value::Null,
        ));
    }
    None
}

fn smsir_error_for(mobile: &str) -> Option<Response> {
    let bad = StatusCode::BAD_REQUEST;
    match &mobile[7..] {
        "0102" => Some(smsir_reply(bad, 102, "اعتبار کافی نمیباشد", Value::Null)),
        "0104" => Some(smsir_reply(
            bad,
            104,
            "درخواست شما دارای موبایل (های) اشتباه است",
            Value::Null,
        )),
        "0113" => Some(smsir_reply(bad, 113, "قالب یافت نشد", Value::Null)),
        "0429" => Some((StatusCode::TOO_MANY_REQUESTS, "").into_response()),
        "0020" => Some(smsir_reply(
            StatusCode::TOO_MANY_REQUESTS,
            20,
            "تعداد درخواست بیش از حد مجاز",
            Value::Null,
        )),
        "0500" => Some((StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response()),
        _ => None,
    }
}

async fn smsir_verify(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = smsir_checks(&fake, "/v1/send/verify", &headers, &body) {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap();
    let mobile = v["mobile"].as_str().unwrap_or_default();
    let ok_shape = mobile.len() == 11
        && mobile.starts_with("09")
        && v["templateId"].is_i64()
        && v["parameters"][0]["name"] == "CODE"
        && v["parameters"][0]["value"].is_string();
    if !ok_shape {
        return smsir_reply(
            StatusCode::BAD_REQUEST,
            104,
            "bad request shape",
            Value::Null,
        );
    }
    if let Some(r) = smsir_error_for(mobile) {
        return r;
    }
    smsir_reply(
        StatusCode::OK,
        1,
        "موفق",
        json!({"messageId": 89545112, "cost": 1.0}),
    )
}

async fn smsir_bulk(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = smsir_checks(&fake, "/v1/send/bulk", &headers, &body) {
        return r;
    }
    let v: Value = serde_json::from_slice(&body).unwrap();
    let mobile = v["mobiles"][0].as_str().unwrap_or_default().to_string();
    if !(v["lineNumber"].is_i64() && v["messageText"].is_string() && mobile.starts_with("09")) {
        return smsir_reply(
            StatusCode::BAD_REQUEST,
            104,
            "bad request shape",
            Value::Null,
        );
    }
    if let Some(r) = smsir_error_for(&mobile) {
        return r;
    }
    let id = match &mobile[7..] {
        "0115" => json!(0),
        "0000" => Value::Null,
        _ => json!(86522023),
    };
    smsir_reply(
        StatusCode::OK,
        1,
        "موفق",
        json!({"packId": "2b99e63c-9bf8-4a21-9bfe-3f72dc1b46f1", "messageIds": [id], "cost": 1.0}),
    )
}

async fn smsir_report(
    State(fake): State<Fake>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    fake.record("GET", format!("/v1/send/{id}"), &headers, &Bytes::new());
    let state = if id == "86522023" { 1 } else { 2 };
    smsir_reply(
        StatusCode::OK,
        1,
        "موفق",
        json!({"messageId": id.parse::<i64>().unwrap_or(0), "mobile": 9121112233_i64,
               "deliveryState": state, "deliveryDateTime": null}),
    )
}

async fn fake_smsir() -> (String, Fake) {
    let fake = Fake::default();
    let app = Router::new()
        .route("/v1/send/verify", post(smsir_verify))
        .route("/v1/send/bulk", post(smsir_bulk))
        .route("/v1/send/{id}", get(smsir_report))
        .with_state(fake.clone());
    (serve(app).await, fake)
}

fn smsir_config(base: &str, key: &str, template: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        kind: ProviderKind::SmsIr,
        api_key: Some(Secret::new(key)),
        sender: Some("30007732000000".into()),
        otp_template: template.map(str::to_string),
        base_url: Some(base.to_string()),
    }
}

#[tokio::test]
async fn smsir_adapter_speaks_the_documented_api() {
    let (base, fake) = fake_smsir().await;
    let db = testing::sqlite().await;
    let smsir =
        Provider::build(&db.store, &smsir_config(&base, SMSIR_KEY, Some("123456"))).unwrap();
    assert_eq!(smsir.name(), "smsir");

    let receipt = smsir
        .send(&outbound(1, "+989121112233", Kind::Otp, Some("482913")))
        .await
        .unwrap();
    assert_eq!(receipt.message_id.as_deref(), Some("89545112"));
    let seen = fake.seen();
    assert_eq!(seen[0].path, "/v1/send/verify");
    assert_eq!(seen[0].headers["accept"], "application/json");
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(
        body,
        json!({"mobile": "09121112233", "templateId": 123456,
               "parameters": [{"name": "CODE", "value": "482913"}]})
    );

    let receipt = smsir
        .send(&outbound(2, "09121112233", Kind::Text, None))
        .await
        .unwrap();
    assert_eq!(receipt.message_id.as_deref(), Some("86522023"));
    let body: Value = serde_json::from_str(&fake.seen()[1].body).unwrap();
    assert_eq!(
        body,
        json!({"lineNumber": 30007732000000_i64, "messageText": "سلام", "mobiles": ["09121112233"]})
    );

    for (to, kind, code, words) in [
        ("09121110102", Kind::Otp, Some("102"), "not enough credit"),
        (
            "09121110104",
            Kind::Otp,
            Some("104"),
            "mobile number is invalid",
        ),
        (
            "09121110113",
            Kind::Otp,
            Some("113"),
            "template was not found",
        ),
        ("09121110115", Kind::Text, Some("115"), "blacklist"),
        ("09121110000", Kind::Text, None, "refused"),
    ] {
        let err = smsir
            .send(&outbound(
                3,
                to,
                kind,
                (kind == Kind::Otp).then_some("1111"),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ProviderErrorKind::Permanent, "{to}: {err}");
        assert_eq!(err.code.as_deref(), code, "{to}: {err}");
        assert!(err.message.contains(words), "{to}: {err}");
    }
    for (to, code) in [
        ("09121110429", "HTTP 429"),
        ("09121110020", "20"),
        ("09121110500", "HTTP 500"),
    ] {
        let err = smsir
            .send(&outbound(3, to, Kind::Otp, Some("1111")))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ProviderErrorKind::Retryable, "{to}: {err}");
        assert_eq!(err.code.as_deref(), Some(code), "{to}: {err}");
    }

    let wrong = Provider::build(&db.store, &smsir_config(&base, "nope", None)).unwrap();
    let err = wrong
        .send(&outbound(4, "09121112233", Kind::Text, None))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_deref()),
        (ProviderErrorKind::Permanent, Some("10"))
    );
    assert!(!err.to_string().contains("nope"));

    let d = smsir.delivery("86522023").await.unwrap().unwrap();
    assert_eq!(d.state, sms::DeliveryState::Delivered);
    assert_eq!(fake.seen().pop().unwrap().path, "/v1/send/86522023");
    let d = smsir.delivery("5").await.unwrap().unwrap();
    assert_eq!(d.state, sms::DeliveryState::Failed);

    // Configuration mistakes are clear errors at start-up.
    let mut c = smsir_config(&base, SMSIR_KEY, Some("wifi"));
    let err = Provider::build(&db.store, &c).err().unwrap().to_string();
    assert!(err.contains("numeric template id"), "{err}");
    c.otp_template = None;
    c.sender = None;
    let err = Provider::build(&db.store, &c).err().unwrap().to_string();
    assert!(err.contains("--sms-sender"), "{err}");
    c.sender = Some("30007732000000".into());
    c.api_key = None;
    let err = Provider::build(&db.store, &c).err().unwrap().to_string();
    assert!(err.contains("SMARTX_SMS_API_KEY"), "{err}");
    c.base_url = Some("api.sms.ir".into());
    assert!(Provider::build(&db.store, &c).is_err());
    db.cleanup().await;
}

#[tokio::test]
async fn drainer_with_real_adapters_records_ids_errors_and_deliveries() {
    let (kbase, _kfake) = fake_kavenegar().await;
    let (sbase, _sfake) = fake_smsir().await;
    on_both(|db| {
        let (kbase, sbase) = (kbase.clone(), sbase.clone());
        async move {
            let store = &db.store;
            let t = tenants::ensure_default(store).await.unwrap();
            let kavenegar =
                Provider::build(store, &kavenegar_config(&kbase, KAVENEGAR_KEY, Some("otp")))
                    .unwrap();
            let ok = sms::send_otp(store, &t, &phone("09121112233"), "5555")
                .await
                .unwrap();
            let credit = sms::send_otp(store, &t, &phone("09121110418"), "5555")
                .await
                .unwrap();
            let flaky = sms::enqueue_text(store, &t, &phone("09121110409"), "hi", "test")
                .await
                .unwrap();
            assert_eq!(sms::drain_once(store, &kavenegar).await.unwrap(), 3);

            let m = sms::get(store, ok).await.unwrap();
            assert_eq!(m.status, Status::Sent);
            assert_eq!(m.provider.as_deref(), Some("kavenegar"));
            assert_eq!(m.provider_message_id.as_deref(), Some("8792343"));
            assert_eq!((m.body.as_str(), m.params), ("***", None));
            let m = sms::get(store, credit).await.unwrap();
            assert_eq!(m.status, Status::Failed);
            assert_eq!(
                m.last_error.as_deref(),
                Some("kavenegar 418 (permanent): not enough credit (اعتبار کافی نیست)")
            );
            let m = sms::get(store, flaky).await.unwrap();
            assert_eq!((m.status, m.attempts), (Status::Queued, 1));
            assert!(
                m.last_error
                    .unwrap()
                    .starts_with("kavenegar 409 (retryable)")
            );

            // Polling asks sms/status.json once the message is a while old.
            assert_eq!(
                sms::poll_deliveries(store, &kavenegar, 10).await.unwrap(),
                0
            );
            exec(
                store,
                "UPDATE sms_outbox SET sent_at = $2 WHERE id = $1",
                ok,
                clock::now() - 60,
            )
            .await;
            assert_eq!(
                sms::poll_deliveries(store, &kavenegar, 10).await.unwrap(),
                1
            );
            let m = sms::get(store, ok).await.unwrap();
            assert_eq!(m.status, Status::Delivered);
            assert_eq!(m.provider_status.as_deref(), Some("10 delivered"));
            assert!(m.delivered_at.is_some());
            assert_eq!(
                sms::poll_deliveries(store, &kavenegar, 10).await.unwrap(),
                0
            );

            // sms.ir end to end: OTP through verify, text through bulk.
            exec(
                store,
                "UPDATE sms_outbox SET next_attempt_at = $2 WHERE id = $1",
                flaky,
                clock::now() + 3600,
            )
            .await;
            let smsir =
                Provider::build(store, &smsir_config(&sbase, SMSIR_KEY, Some("100200"))).unwrap();
            let otp = sms::send_otp(store, &t, &phone("09121112233"), "8080")
                .await
                .unwrap();
            let text = sms::enqueue_text(store, &t, &phone("09121112233"), "سلام", "test")
                .await
                .unwrap();
            assert_eq!(sms::drain_once(store, &smsir).await.unwrap(), 2);
            let m = sms::get(store, otp).await.unwrap();
            assert_eq!(
                (m.status, m.provider_message_id.as_deref()),
                (Status::Sent, Some("89545112"))
            );
            assert_eq!(m.body, "***");
            let m = sms::get(store, text).await.unwrap();
            assert_eq!(
                (m.status, m.provider_message_id.as_deref()),
                (Status::Sent, Some("86522023"))
            );
            assert_eq!(m.body, "سلام");
            db
        }
    })
    .await;
}

// ---------------------------------------------------------------------------------
// Delivery-report webhooks.

const HOOK_KEY: &str = "hook-secret-123";

async fn call(app: &Router, uri: &str, content_type: &str, body: &str) -> (StatusCode, String) {
    let request = Request::post(uri)
        .header("content-type", content_type)
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// A text the (scripted) gateway accepted under `provider` with id `message_id`.
async fn sent_message(store: &Store, provider: &str, message_id: &str) -> i64 {
    let t = tenants::ensure_default(store).await.unwrap();
    let id = sms::enqueue_text(store, &t, &phone("09121112233"), "hello", "test")
        .await
        .unwrap();
    sqlx::query(
        "UPDATE sms_outbox SET status = 'sent', provider = $2, provider_message_id = $3, \
         sent_at = 1 WHERE id = $1",
    )
    .bind(id)
    .bind(provider)
    .bind(message_id)
    .execute(store.pool())
    .await
    .unwrap();
    id
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

#[tokio::test]
async fn kavenegar_webhook_updates_the_outbox() {
    on_both(|db| async move {
        let store = &db.store;
        let id = sent_message(store, "kavenegar", "8792343").await;
        let app = sms::webhooks::router(store.clone(), Some(Secret::new(HOOK_KEY)));
        let path = "/webhooks/sms/kavenegar/status";
        let with_key = format!("{path}?key={HOOK_KEY}");

        let (s, body) = call(&app, path, FORM, "messageid=8792343&status=10").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("missing ?key="), "{body}");
        let (s, body) = call(
            &app,
            &format!("{path}?key=guess"),
            FORM,
            "messageid=8792343&status=10",
        )
        .await;
        assert_eq!(
            (s, body.as_str()),
            (StatusCode::UNAUTHORIZED, "wrong webhook key\n")
        );

        let (s, body) = call(&app, &with_key, FORM, "status=10").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(body.contains("no messageid"), "{body}");
        let (s, body) = call(&app, &with_key, FORM, "messageid=8792343&status=ten").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(body.contains("status must be a number"), "{body}");
        let (s, body) = call(&app, &with_key, FORM, "messageid=1&status=10").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(
            body.contains("no message sent through kavenegar has id 1"),
            "{body}"
        );
        // The same id from another provider is not this message.
        let (s, _) = call(
            &app,
            &format!("/webhooks/sms/smsir/status?key={HOOK_KEY}"),
            JSON,
            r#"{"messageId": 8792343, "deliveryState": 1}"#,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(sms::get(store, id).await.unwrap().status, Status::Sent);

        // "Sent to the operator": still sent, state recorded.
        let (s, _) = call(&app, &with_key, FORM, "messageid=8792343&status=4").await;
        assert_eq!(s, StatusCode::OK);
        let m = sms::get(store, id).await.unwrap();
        assert_eq!(
            (m.status, m.provider_status.as_deref()),
            (Status::Sent, Some("4 sent to the operator"))
        );
        // Delivered.
        let (s, body) = call(
            &app,
            &with_key,
            FORM,
            "messageid=8792343&status=10&statustext=x",
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body, "message 8792343: delivered (10 delivered)\n");
        let m = sms::get(store, id).await.unwrap();
        assert_eq!(m.status, Status::Delivered);
        assert!(m.delivered_at.is_some());
        // Delivered is final.
        let (s, _) = call(&app, &with_key, FORM, "messageid=8792343&status=11").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(sms::get(store, id).await.unwrap().status, Status::Delivered);

        // Undelivered.
        let other = sent_message(store, "kavenegar", "555").await;
        let (s, _) = call(&app, &with_key, FORM, "messageid=555&status=11").await;
        assert_eq!(s, StatusCode::OK);
        let m = sms::get(store, other).await.unwrap();
        assert_eq!(m.status, Status::Failed);
        assert_eq!(
            m.last_error.as_deref(),
            Some("not delivered: kavenegar reports 11 undelivered")
        );

        // Without a configured key the hooks are closed.
        let closed = sms::webhooks::router(store.clone(), None);
        let (s, body) = call(&closed, &with_key, FORM, "messageid=555&status=10").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(body.contains("no webhook key is configured"), "{body}");
        db
    })
    .await;
}

#[tokio::test]
async fn smsir_webhook_updates_the_outbox() {
    on_both(|db| async move {
        let store = &db.store;
        let a = sent_message(store, "smsir", "86522023").await;
        let b = sent_message(store, "smsir", "86522024").await;
        let app = sms::webhooks::router(store.clone(), Some(Secret::new(HOOK_KEY)));
        let uri = format!("/webhooks/sms/smsir/status?key={HOOK_KEY}");

        let (s, body) = call(&app, "/webhooks/sms/smsir/status", JSON, "{}").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        let (s, body) = call(&app, &uri, JSON, "{not json").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(body.contains("not JSON"), "{body}");
        let (s, body) = call(&app, &uri, JSON, r#"{"messageId": 86522023}"#).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(body.contains("deliveryState is missing"), "{body}");
        let (s, body) = call(&app, &uri, JSON, r#""hello""#).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let (s, body) = call(&app, &uri, JSON, r#"{"messageId": 1, "deliveryState": 1}"#).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(body.contains("has id 1"), "{body}");

        let (s, body) = call(&app, &uri, JSON, r#"{"messageId": 86522023, "deliveryState": 1}"#).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(sms::get(store, a).await.unwrap().status, Status::Delivered);

        // A list, with one unknown id and one failure (blacklist).
        let (s, body) = call(
            &app,
            &uri,
            JSON,
            r#"[{"MessageId": 86522024, "DeliveryState": 7}, {"messageId": "999", "deliveryState": 1}]"#,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body, "updated 1 messages; unknown ids: 999\n");
        let m = sms::get(store, b).await.unwrap();
        assert_eq!(m.status, Status::Failed);
        assert_eq!(m.provider_status.as_deref(), Some("7 blacklisted"));
        db
    })
    .await;
}

#[test]
fn delivery_type_is_public() {
    // The webhook and polling both speak `Delivery`; keep it constructible by callers.
    let d = Delivery {
        state: sms::DeliveryState::Pending,
        provider_status: "1 queued".into(),
    };
    assert_eq!(d.clone(), d);
}
