//! The one place that decides who may run a route: CSRF on every POST, the session
//! cookie, the user, the current tenant and the route's permission. Handlers get what
//! was checked as extractors ([`Visitor`], [`Signed`], [`Ctx`]), and report failures as
//! [`Fail`], which the guard turns into a page in the visitor's language.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use crm::branches::Scope;
use crm::roles::Permission;
use crm::staff::{self, Access, PanelUser};
use crm::tenants::{self, Tenant};
use crm::ui::Locale;
use crm::web_sessions::{self, WebSession};
use portal::csrf;

use crate::routes::Need;
use crate::{BASE, PanelState};
use crate::{multipart, view};

const SESSION_COOKIE: &str = "sx_panel";
const LANG_COOKIE: &str = "sx_panel_lang";
/// Forms are small; anything bigger is not ours.
/// Large enough for a pasted CSV import of tens of thousands of customers.
const MAX_FORM: usize = 1024 * 1024;
/// A file upload (the customers CSV) by someone signed in to a tenant: about a
/// million customers' phones and names.
const MAX_UPLOAD: usize = 48 * 1024 * 1024;

/// Anyone on a panel page: their language and the CSRF token forms must carry.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub locale: Locale,
    pub csrf: String,
    /// The request came over TLS (directly or through a proxy that says so).
    pub secure: bool,
}

/// A signed-in person (tenant not needed).
#[derive(Debug, Clone)]
pub struct Signed {
    pub visitor: Visitor,
    pub session: WebSession,
    pub user: PanelUser,
}

/// A signed-in person working in a tenant with the route's permission.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub signed: Signed,
    pub tenant: Tenant,
    pub access: Access,
    /// Unread notifications of this person here (the badge in the frame).
    pub unread: i64,
}

impl Ctx {
    pub fn locale(&self) -> Locale {
        self.signed.visitor.locale
    }

    pub fn can(&self, p: Permission) -> bool {
        self.access.permissions.contains(&p)
    }

    /// The branches this person may see; every branch-bound list and lookup goes
    /// through it.
    pub fn scope(&self) -> Scope {
        Scope::limited_to(self.access.branch_ids.clone())
    }

    /// Refuses (403) something of a branch outside this person's branches.
    pub fn within(&self, branch_id: Option<i64>) -> Result<(), Fail> {
        if self.scope().allows(branch_id) {
            Ok(())
        } else {
            Err(Fail::Forbidden)
        }
    }

    pub fn actor(&self) -> crm::audit::Actor {
        crm::audit::Actor::user(self.signed.user.id)
    }

    /// The signed-in person as the club ledger names them (caps and fraud rules apply).
    pub fn staff(&self) -> crm::ledger::Actor {
        crm::ledger::Actor::Staff(self.signed.user.id)
    }
}

macro_rules! from_extension {
    ($t:ty) => {
        impl<S: Send + Sync> FromRequestParts<S> for $t {
            type Rejection = Fail;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Fail> {
                // Only a route outside the table could miss it: a bug, not a visitor's fault.
                parts.extensions.get::<$t>().cloned().ok_or(Fail::Server)
            }
        }
    };
}
from_extension!(Visitor);
from_extension!(Signed);
from_extension!(Ctx);

/// Why a request could not be served; the guard renders the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fail {
    NotFound,
    Forbidden,
    /// A form without (or with a stale) CSRF token.
    Csrf,
    /// A form body over the limit.
    TooLarge,
    Server,
}

impl Fail {
    fn status(self) -> StatusCode {
        match self {
            Fail::NotFound => StatusCode::NOT_FOUND,
            Fail::Forbidden | Fail::Csrf => StatusCode::FORBIDDEN,
            Fail::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Fail::Server => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl From<crm::Error> for Fail {
    fn from(e: crm::Error) -> Fail {
        match e {
            crm::Error::NotFound(_) => Fail::NotFound,
            e => {
                tracing::error!(error = %e, "panel request failed");
                Fail::Server
            }
        }
    }
}

pub type PageResult = Result<Response, Fail>;

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

fn query_lang(query: Option<&str>) -> Option<Locale> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query?)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Locale::from_tag(&v))
}

fn is_secure(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The session cookie for a new sign-in (`None` clears it).
pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(token) => format!(
            "{SESSION_COOKIE}={token}; Path={BASE}; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            web_sessions::LIFETIME
        ),
        None => {
            format!("{SESSION_COOKIE}=; Path={BASE}; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
        }
    }
}

fn redirect(to: &str) -> Response {
    Redirect::to(to).into_response()
}

pub async fn guard(
    State((state, need)): State<(PanelState, Need)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let asked = query_lang(parts.uri.query());
    let locale = asked
        .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(Locale::from_tag))
        .unwrap_or_default();
    let existing_csrf = csrf::token_from(&parts.headers);
    let visitor = Visitor {
        locale,
        csrf: existing_csrf.clone().unwrap_or_else(csrf::new_token),
        secure: is_secure(&parts.headers),
    };
    // Who it is first, so only people working in a tenant may send a large upload.
    let checked = check(&state, need, &parts.headers, &visitor).await;
    let ctx = match checked {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    let body = if parts.method == Method::POST {
        let upload = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(multipart::boundary);
        let limit = match (&upload, &ctx) {
            (Some(_), Checked::Tenant(_)) => MAX_UPLOAD,
            _ => MAX_FORM,
        };
        let Ok(bytes) = to_bytes(body, limit).await else {
            return view::failure(&visitor, None, Fail::TooLarge);
        };
        let given = match &upload {
            Some(boundary) => multipart::parse(&bytes, boundary)
                .and_then(|fields| fields.into_iter().find(|p| p.name == "csrf"))
                .and_then(|p| String::from_utf8(p.data.to_vec()).ok()),
            None => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf"))
                .map(|(_, v)| v),
        }
        .unwrap_or_default();
        if !csrf::matches(&parts.headers, &given) {
            return view::failure(&visitor, None, Fail::Csrf);
        }
        Body::from(bytes)
    } else {
        body
    };
    parts.extensions.insert(visitor.clone());
    match &ctx {
        Checked::Nobody => {}
        Checked::Signed(signed) => {
            parts.extensions.insert(signed.clone());
        }
        Checked::Tenant(ctx) => {
            parts.extensions.insert(ctx.signed.clone());
            parts.extensions.insert((**ctx).clone());
        }
    }
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(fail) = response.extensions().get::<Fail>().copied() {
        let tenant_ctx = match &ctx {
            Checked::Tenant(ctx) => Some(&**ctx),
            _ => None,
        };
        response = view::failure(&visitor, tenant_ctx, fail);
    }
    let mut set = Vec::new();
    if existing_csrf.is_none() {
        set.push(csrf::cookie_at(&visitor.csrf, BASE, web_sessions::LIFETIME));
    }
    if let Some(locale) = asked {
        set.push(format!(
            "{LANG_COOKIE}={}; Path={BASE}; SameSite=Lax; Max-Age=31536000",
            locale.tag()
        ));
    }
    for value in set {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

enum Checked {
    Nobody,
    Signed(Signed),
    Tenant(Box<Ctx>),
}

async fn check(
    state: &PanelState,
    need: Need,
    headers: &HeaderMap,
    visitor: &Visitor,
) -> Result<Checked, Response> {
    if need == Need::Public {
        return Ok(Checked::Nobody);
    }
    let store = &state.store;
    let server = |e: crm::Error| view::failure(visitor, None, Fail::from(e));
    let login = || redirect(&format!("{BASE}/login"));
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(login());
    };
    let now = crm::clock::now();
    let Some(session) = web_sessions::lookup(store, token, now)
        .await
        .map_err(server)?
    else {
        return Err(login());
    };
    let user = match staff::user_by_id(store, session.user_id).await {
        Ok(user) => user,
        Err(crm::Error::NotFound(_)) => return Err(login()),
        Err(e) => return Err(server(e)),
    };
    let signed = Signed {
        visitor: visitor.clone(),
        session,
        user,
    };
    let permission = match need {
        Need::Public => return Ok(Checked::Nobody),
        Need::Signed => return Ok(Checked::Signed(signed)),
        Need::Operator if signed.user.is_operator => return Ok(Checked::Signed(signed)),
        Need::Operator => return Err(view::failure(visitor, None, Fail::Forbidden)),
        Need::Tenant(p) => Some(p),
        Need::Member => None,
    };
    let pick = || redirect(&format!("{BASE}/tenants"));
    let Some(tenant_id) = signed.session.tenant_id else {
        return Err(pick());
    };
    // Membership is read on every request, so a removed person loses access at once.
    let Some(access) = staff::access(store, &signed.user, tenant_id)
        .await
        .map_err(server)?
    else {
        return Err(pick());
    };
    let tenant = tenants::by_id(store, tenant_id).await.map_err(server)?;
    let unread = crm::notifications::unread(store, tenant_id, signed.user.id)
        .await
        .map_err(server)?;
    let ctx = Ctx {
        signed,
        tenant,
        access,
        unread,
    };
    if permission.is_some_and(|p| !ctx.can(p)) {
        return Err(view::failure(visitor, Some(&ctx), Fail::Forbidden));
    }
    Ok(Checked::Tenant(Box::new(ctx)))
}
