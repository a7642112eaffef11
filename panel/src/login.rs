//! Signing in (phone → SMS code, every time), picking the tenant to work in, creating
//! tenants (operators), and signing out.
//!
//! Codes go through the same machinery as the captive portal (`crm::otp` limits,
//! `crm::sms::send_otp`), issued under the default tenant with purpose `panel`: panel
//! users are platform-wide, and the default tenant always exists.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use crm::otp::{self, Refusal, Requester};
use crm::phone::Phone;
use crm::staff;
use crm::tenants::{self, Tenant};
use crm::web_sessions;
use serde::Deserialize;

use crate::guard::{self, Fail, PageResult, Signed, Visitor};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};
use axum::extract::State;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    f: Frame,
    phone: String,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "code.html")]
struct CodePage {
    f: Frame,
    phone: String,
    phone_display: String,
    challenge: i64,
    error: Option<String>,
}

fn login_page(visitor: &Visitor, phone: &str, error: Option<String>) -> Response {
    let t = i18n::texts(visitor.locale);
    LoginPage {
        f: Frame::public(visitor, t.login_title, "/login"),
        phone: phone.to_string(),
        error,
    }
    .into_response()
}

fn code_page(visitor: &Visitor, phone: &Phone, challenge: i64, error: Option<String>) -> Response {
    let t = i18n::texts(visitor.locale);
    CodePage {
        f: Frame::public(visitor, t.code_title, "/login"),
        phone: phone.e164().to_string(),
        phone_display: visitor.locale.digits(&phone.national()),
        challenge,
        error,
    }
    .into_response()
}

/// `GET /panel/login`.
pub async fn phone_page(visitor: Visitor) -> Response {
    login_page(&visitor, "", None)
}

#[derive(Debug, Deserialize)]
pub struct PhoneForm {
    #[serde(default)]
    phone: String,
}

fn client_ip(headers: &HeaderMap) -> Option<String> {
    let forwarded = headers.get("x-forwarded-for")?.to_str().ok()?;
    let first = forwarded.split(',').next()?.trim();
    (!first.is_empty()).then(|| first.to_string())
}

/// `POST /panel/login`: a code for a panel user's phone. Unknown numbers see the same
/// page (nothing is sent), so the form does not reveal who has access.
pub async fn request_code(
    State(state): State<PanelState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<PhoneForm>,
) -> PageResult {
    let locale = visitor.locale;
    let Ok(phone) = Phone::parse(&form.phone) else {
        let message = portal::i18n::bad_phone(locale).to_string();
        return Ok(login_page(&visitor, &form.phone, Some(message)));
    };
    let store = &state.store;
    let Some(_user) = staff::user_by_phone(store, &phone).await? else {
        return Ok(code_page(&visitor, &phone, 0, None));
    };
    let platform = tenants::ensure_default(store).await?;
    let ip = client_ip(&headers);
    let who = Requester {
        purpose: "panel",
        mac: None,
        ip: ip.as_deref(),
    };
    let now = crm::clock::now();
    match otp::issue(store, &platform, &phone, &who, now).await? {
        Ok(issued) => {
            crm::sms::send_otp(store, &platform, &phone, &issued.code).await?;
            Ok(code_page(&visitor, &phone, issued.challenge_id, None))
        }
        Err(refusal) => {
            let message = portal::i18n::refusal(locale, refusal);
            Ok(login_page(&visitor, &form.phone, Some(message)))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
}

/// `POST /panel/login/verify`: a right code starts a session.
pub async fn verify(
    State(state): State<PanelState>,
    visitor: Visitor,
    Form(form): Form<VerifyForm>,
) -> PageResult {
    let locale = visitor.locale;
    let (Ok(phone), Ok(challenge)) = (
        Phone::parse(&form.phone),
        form.challenge.trim().parse::<i64>(),
    ) else {
        return Ok(login_page(&visitor, "", None));
    };
    let store = &state.store;
    let platform = tenants::ensure_default(store).await?;
    let now = crm::clock::now();
    let verified = match otp::verify(store, &platform, challenge, &form.code, now).await? {
        Ok(v) if v.phone == phone => v,
        Ok(_) => return Ok(login_page(&visitor, "", None)),
        // Unknown numbers got challenge 0: the same "wrong code" as everyone else.
        Err(Refusal::UnknownChallenge) if challenge == 0 => {
            let message = portal::i18n::refusal(
                locale,
                Refusal::WrongCode {
                    attempts_left: otp::MAX_ATTEMPTS - 1,
                },
            );
            return Ok(code_page(&visitor, &phone, challenge, Some(message)));
        }
        Err(refusal @ Refusal::WrongCode { .. }) => {
            let message = portal::i18n::refusal(locale, refusal);
            return Ok(code_page(&visitor, &phone, challenge, Some(message)));
        }
        Err(refusal) => {
            let message = portal::i18n::refusal(locale, refusal);
            return Ok(login_page(&visitor, &form.phone, Some(message)));
        }
    };
    let Some(user) = staff::user_by_phone(store, &verified.phone).await? else {
        return Ok(login_page(&visitor, "", None));
    };
    let memberships = staff::memberships_of(store, user.id).await?;
    // One business and no operator duties: straight in.
    let tenant = match memberships.as_slice() {
        [only] if !user.is_operator => Some(only.tenant_id),
        _ => None,
    };
    let (_, token) = web_sessions::create(store, user.id, tenant, now).await?;
    let next = if tenant.is_some() { "/" } else { "/tenants" };
    let mut response = Redirect::to(&format!("{BASE}{next}")).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&guard::session_cookie(Some(&token), visitor.secure))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `POST /panel/logout`: the session ends on the server, the cookie in the browser.
pub async fn logout(State(state): State<PanelState>, signed: Signed) -> PageResult {
    web_sessions::revoke(&state.store, signed.session.id).await?;
    let mut response = Redirect::to(&format!("{BASE}/login")).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&guard::session_cookie(None, signed.visitor.secure)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub struct Choice {
    id: i64,
    name: String,
    role: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenants.html")]
struct TenantsPage {
    f: Frame,
    choices: Vec<Choice>,
    operator: bool,
    name: String,
    error: Option<String>,
}

async fn tenants_page(
    state: &PanelState,
    signed: &Signed,
    name: &str,
    error: Option<String>,
) -> PageResult {
    let locale = signed.visitor.locale;
    let t = i18n::texts(locale);
    let choices = if signed.user.is_operator {
        tenants::list(&state.store)
            .await?
            .into_iter()
            .map(|tenant: Tenant| Choice {
                id: tenant.id,
                name: tenant.name,
                role: t.role_operator.to_string(),
            })
            .collect()
    } else {
        staff::memberships_of(&state.store, signed.user.id)
            .await?
            .into_iter()
            .map(|m| Choice {
                id: m.tenant_id,
                name: m.tenant_name,
                role: match m.role {
                    staff::RoleRef::Builtin(b) => i18n::role_name(locale, b).to_string(),
                    staff::RoleRef::Custom(_) => m.role_name,
                },
            })
            .collect()
    };
    let mut f = Frame::public(&signed.visitor, t.tenants_title, "/tenants");
    f.user_phone = Some(locale.digits(&view::national(&signed.user.phone)));
    Ok(TenantsPage {
        f,
        choices,
        operator: signed.user.is_operator,
        name: name.to_string(),
        error,
    }
    .into_response())
}

/// `GET /panel/tenants`: the businesses this person may work in.
pub async fn tenants(State(state): State<PanelState>, signed: Signed) -> PageResult {
    tenants_page(&state, &signed, "", None).await
}

#[derive(Debug, Deserialize)]
pub struct SelectForm {
    #[serde(default)]
    tenant: String,
}

/// `POST /panel/tenants/select`: work in another tenant, if this person may.
pub async fn select_tenant(
    State(state): State<PanelState>,
    signed: Signed,
    Form(form): Form<SelectForm>,
) -> PageResult {
    let Ok(tenant_id) = form.tenant.trim().parse::<i64>() else {
        return Err(Fail::NotFound);
    };
    if staff::access(&state.store, &signed.user, tenant_id)
        .await?
        .is_none()
    {
        return Err(Fail::NotFound);
    }
    // An operator may name a tenant id that does not exist.
    tenants::by_id(&state.store, tenant_id).await?;
    web_sessions::set_tenant(&state.store, signed.session.id, tenant_id).await?;
    Ok(Redirect::to(&format!("{BASE}/")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

/// `POST /panel/tenants` (operators): a new business, then work in it.
pub async fn create_tenant(
    State(state): State<PanelState>,
    signed: Signed,
    Form(form): Form<CreateForm>,
) -> PageResult {
    let t = i18n::texts(signed.visitor.locale);
    let actor = crm::audit::Actor::user(signed.user.id);
    match tenants::create_audited(&state.store, &form.name, actor).await {
        Ok(tenant) => {
            web_sessions::set_tenant(&state.store, signed.session.id, tenant.id).await?;
            Ok(Redirect::to(&format!("{BASE}/")).into_response())
        }
        Err(crm::Error::Invalid(_)) => {
            tenants_page(
                &state,
                &signed,
                &form.name,
                Some(t.tenant_name_invalid.into()),
            )
            .await
        }
        Err(crm::Error::Conflict(_)) => {
            tenants_page(&state, &signed, &form.name, Some(t.tenant_exists.into())).await
        }
        Err(e) => Err(e.into()),
    }
}
