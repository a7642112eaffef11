//! The portal's pages: phone → code → hand-off to the router, and errors.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crm::club::{self, JoinSource};
use crm::otp::{self, Requester};
use crm::phone::Phone;
use crm::tenants::Tenant;
use crm::ui::Locale;
use crm::{customers, devices, hotspot};
use serde::Deserialize;

use crate::PortalState;
use crate::csrf;
use crate::handoff::Handoff;
use crate::i18n::{self, Texts};

/// How long the minted hotspot login is valid: enough for the browser to post it.
const LOGIN_TTL: i64 = 120;

#[derive(Debug, Deserialize)]
pub struct StartForm {
    #[serde(flatten)]
    h: Handoff,
    #[serde(default)]
    lang: String,
}

#[derive(Debug, Deserialize)]
pub struct CodeRequestForm {
    #[serde(flatten)]
    h: Handoff,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    remember: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct VerifyForm {
    #[serde(flatten)]
    h: Handoff,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    remember: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "phone.html")]
struct PhonePage<'a> {
    t: &'static Texts,
    lang: &'static str,
    dir: &'static str,
    venue: &'a str,
    h: &'a Handoff,
    csrf: &'a str,
    phone: &'a str,
    remember: bool,
    error: Option<String>,
    router_error: Option<&'a str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "code.html")]
struct CodePage<'a> {
    t: &'static Texts,
    lang: &'static str,
    dir: &'static str,
    venue: &'a str,
    h: &'a Handoff,
    csrf: &'a str,
    phone: &'a str,
    phone_display: String,
    challenge: i64,
    remember: bool,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "online.html")]
struct OnlinePage<'a> {
    t: &'static Texts,
    lang: &'static str,
    dir: &'static str,
    venue: &'a str,
    login_url: &'a str,
    username: &'a str,
    password: &'a str,
    dst: &'a str,
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Texts,
    lang: &'static str,
    dir: &'static str,
    venue: &'a str,
    message: &'a str,
    retry_url: Option<&'a str>,
}

/// A page that could not be served as asked.
fn error_page(
    locale: Locale,
    status: StatusCode,
    venue: &str,
    message: &str,
    retry_url: Option<&str>,
) -> Response {
    let page = ErrorPage {
        t: i18n::texts(locale),
        lang: locale.tag(),
        dir: locale.dir(),
        venue,
        message,
        retry_url,
    };
    (status, page).into_response()
}

fn server_error(locale: Locale, e: crm::Error) -> Response {
    tracing::error!(error = %e, "portal request failed");
    error_page(
        locale,
        StatusCode::INTERNAL_SERVER_ERROR,
        "WiFi",
        i18n::texts(locale).server_error,
        None,
    )
}

/// The router and tenant behind a hand-off, and the page language.
struct Venue {
    tenant: Tenant,
    locale: Locale,
}

async fn venue(state: &PortalState, h: &Handoff, lang: &str) -> Result<Venue, Response> {
    let asked = Locale::from_tag(lang);
    let fallback = asked.unwrap_or_default();
    let not_from_router = || {
        error_page(
            fallback,
            StatusCode::BAD_REQUEST,
            "WiFi",
            i18n::texts(fallback).not_from_router,
            None,
        )
    };
    let Some(nas_id) = h.nas_id() else {
        return Err(not_from_router());
    };
    if h.login_url().is_none() {
        return Err(not_from_router());
    }
    let nas = match crm::nas::by_id(&state.store, nas_id).await {
        Ok(n) => n,
        Err(crm::Error::NotFound(_)) => return Err(not_from_router()),
        Err(e) => return Err(server_error(fallback, e)),
    };
    let tenant = crm::tenants::by_id(&state.store, nas.tenant_id)
        .await
        .map_err(|e| server_error(fallback, e))?;
    let locale = asked
        .or_else(|| Locale::from_tag(&tenant.locale))
        .unwrap_or_default();
    Ok(Venue { tenant, locale })
}

fn phone_page(
    v: &Venue,
    h: &Handoff,
    csrf: &str,
    phone: &str,
    remember: bool,
    error: Option<String>,
) -> Response {
    let locale = v.locale;
    PhonePage {
        t: i18n::texts(locale),
        lang: locale.tag(),
        dir: locale.dir(),
        venue: &v.tenant.name,
        h,
        csrf,
        phone,
        remember,
        error,
        router_error: (!h.error.trim().is_empty()).then_some(h.error.trim()),
    }
    .into_response()
}

/// `GET|POST /hotspot/start`: the router's login page sends the guest here.
pub async fn start_get(
    State(state): State<PortalState>,
    headers: HeaderMap,
    Query(form): Query<StartForm>,
) -> Response {
    start(state, headers, form).await
}

pub async fn start_post(
    State(state): State<PortalState>,
    headers: HeaderMap,
    Form(form): Form<StartForm>,
) -> Response {
    start(state, headers, form).await
}

async fn start(state: PortalState, headers: HeaderMap, form: StartForm) -> Response {
    let v = match venue(&state, &form.h, &form.lang).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let token = csrf::token_from(&headers).unwrap_or_else(csrf::new_token);
    let mut response = phone_page(&v, &form.h, &token, "", false, None);
    if let Ok(cookie) = HeaderValue::from_str(&csrf::cookie(&token, "/hotspot")) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The venue of a form post whose CSRF token matches its cookie; the error page if not.
async fn checked_venue(
    state: &PortalState,
    headers: &HeaderMap,
    h: &Handoff,
    lang: &str,
    given_csrf: &str,
) -> Result<Venue, Response> {
    let v = venue(state, h, lang).await?;
    if csrf::matches(headers, given_csrf) {
        Ok(v)
    } else {
        let t = i18n::texts(v.locale);
        Err(error_page(
            v.locale,
            StatusCode::FORBIDDEN,
            &v.tenant.name,
            t.cookies_needed,
            None,
        ))
    }
}

/// `POST /hotspot/otp`: phone number in, SMS code out (or the phone page with why not).
pub async fn request_code(
    State(state): State<PortalState>,
    headers: HeaderMap,
    Form(form): Form<CodeRequestForm>,
) -> Response {
    let v = match checked_venue(&state, &headers, &form.h, &form.lang, &form.csrf).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let remember = form.remember.is_some();
    let phone = match Phone::parse(&form.phone) {
        Ok(p) => p,
        Err(_) => {
            metrics::counter!("portal_code_requests_total", "result" => "bad_phone").increment(1);
            let message = i18n::bad_phone(v.locale).to_string();
            return phone_page(
                &v,
                &form.h,
                &form.csrf,
                &form.phone,
                remember,
                Some(message),
            );
        }
    };
    let mac = form.h.mac();
    let who = Requester {
        purpose: "portal",
        mac: mac.as_deref(),
        ip: Some(form.h.ip.trim()).filter(|ip| !ip.is_empty()),
    };
    let now = crm::clock::now();
    let issued = match otp::issue(&state.store, &v.tenant, &phone, &who, now).await {
        Ok(Ok(issued)) => issued,
        Ok(Err(refusal)) => {
            metrics::counter!("portal_code_requests_total", "result" => refusal.label())
                .increment(1);
            let message = i18n::refusal(v.locale, refusal);
            return phone_page(
                &v,
                &form.h,
                &form.csrf,
                &form.phone,
                remember,
                Some(message),
            );
        }
        Err(e) => return server_error(v.locale, e),
    };
    if let Err(e) = crm::sms::send_otp(&state.store, &v.tenant, &phone, &issued.code).await {
        return server_error(v.locale, e);
    }
    metrics::counter!("portal_code_requests_total", "result" => "sent").increment(1);
    code_page(
        &v,
        &form.h,
        &form.csrf,
        &phone,
        issued.challenge_id,
        remember,
        None,
    )
}

fn code_page(
    v: &Venue,
    h: &Handoff,
    csrf: &str,
    phone: &Phone,
    challenge: i64,
    remember: bool,
    error: Option<String>,
) -> Response {
    let locale = v.locale;
    CodePage {
        t: i18n::texts(locale),
        lang: locale.tag(),
        dir: locale.dir(),
        venue: &v.tenant.name,
        h,
        csrf,
        phone: phone.e164(),
        phone_display: locale.digits(&phone.national()),
        challenge,
        remember,
        error,
    }
    .into_response()
}

/// `POST /hotspot/verify`: the code in, a hotspot login posted to the router out.
pub async fn verify(
    State(state): State<PortalState>,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    let v = match checked_venue(&state, &headers, &form.h, &form.lang, &form.csrf).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let remember = form.remember.is_some();
    let (Ok(phone), Ok(challenge)) = (
        Phone::parse(&form.phone),
        form.challenge.trim().parse::<i64>(),
    ) else {
        return phone_page(&v, &form.h, &form.csrf, "", remember, None);
    };
    let now = crm::clock::now();
    let verified = match otp::verify(&state.store, &v.tenant, challenge, &form.code, now).await {
        Ok(Ok(verified)) if verified.phone == phone => verified,
        Ok(Ok(_)) => return phone_page(&v, &form.h, &form.csrf, "", remember, None),
        Ok(Err(refusal @ otp::Refusal::WrongCode { .. })) => {
            metrics::counter!("portal_verifications_total", "result" => refusal.label())
                .increment(1);
            let message = i18n::refusal(v.locale, refusal);
            return code_page(
                &v,
                &form.h,
                &form.csrf,
                &phone,
                challenge,
                remember,
                Some(message),
            );
        }
        Ok(Err(refusal)) => {
            metrics::counter!("portal_verifications_total", "result" => refusal.label())
                .increment(1);
            let message = i18n::refusal(v.locale, refusal);
            return phone_page(
                &v,
                &form.h,
                &form.csrf,
                phone.e164(),
                remember,
                Some(message),
            );
        }
        Err(e) => return server_error(v.locale, e),
    };
    match welcome(&state, &v, &form.h, &verified.phone, remember, now).await {
        Ok(Ok((username, password))) => {
            metrics::counter!("portal_verifications_total", "result" => "online").increment(1);
            let locale = v.locale;
            let login_url = form.h.login_url().unwrap_or_default();
            OnlinePage {
                t: i18n::texts(locale),
                lang: locale.tag(),
                dir: locale.dir(),
                venue: &v.tenant.name,
                login_url,
                username: &username,
                password: &password,
                dst: form.h.link_orig.trim(),
            }
            .into_response()
        }
        Ok(Err(page)) => page,
        Err(e) => server_error(v.locale, e),
    }
}

/// The CRM side of a verified login: the customer (new or returning) joins the club,
/// the device is recorded (and remembered if asked), and a single-use hotspot login is
/// minted for this device.
async fn welcome(
    state: &PortalState,
    v: &Venue,
    h: &Handoff,
    phone: &Phone,
    remember: bool,
    now: i64,
) -> crm::Result<Result<(String, String), Response>> {
    let store = &state.store;
    let (customer, _) = customers::record_visit(store, &v.tenant, phone, now).await?;
    if customer.disabled {
        let t = i18n::texts(v.locale);
        return Ok(Err(error_page(
            v.locale,
            StatusCode::FORBIDDEN,
            &v.tenant.name,
            t.suspended,
            None,
        )));
    }
    club::join(store, &v.tenant, customer.id, JoinSource::Wifi).await?;
    let mac = h.mac();
    if let Some(mac) = &mac {
        let until = remember.then(|| now + v.tenant.remember_days.max(1) * 86_400);
        devices::record(store, &v.tenant, customer.id, mac, until).await?;
    }
    let token =
        hotspot::mint_token(store, &v.tenant, customer.id, mac.as_deref(), LOGIN_TTL).await?;
    let password = match h.login_password(token.password.expose()) {
        Ok(p) => p,
        Err(why) => {
            tracing::debug!(why, "bad CHAP values from the router page");
            let t = i18n::texts(v.locale);
            return Ok(Err(error_page(
                v.locale,
                StatusCode::BAD_REQUEST,
                &v.tenant.name,
                t.not_from_router,
                None,
            )));
        }
    };
    Ok(Ok((token.username, password)))
}
