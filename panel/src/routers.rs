//! Routers (NAS): the list, adding one, and its RouterOS script to paste into the
//! router's terminal (`router-config`, as `smartx router-config` prints it).

use std::net::IpAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use crm::nas::{self, NewNas};
use crm::roles::Permission;
use crm::secret::Secret;
use router_config::{PortalUrl, RouterSetup};
use serde::Deserialize;

use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

pub struct Row {
    id: i64,
    name: String,
    address: String,
    coa_port: String,
    strict: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "routers.html")]
struct RoutersPage {
    f: Frame,
    rows: Vec<Row>,
    can_edit: bool,
    /// Prefilled for the script links: this panel's address as the browser reached it.
    portal: String,
    radius: String,
    name: String,
    address: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    strict: Option<String>,
}

/// `http://<Host>` and the host's IP if it is one: good guesses for where routers
/// reach smartx (the person can change them).
fn guesses(headers: &HeaderMap) -> (String, String) {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let ip = host
        .rsplit_once(':')
        .map_or(host, |(h, _)| h)
        .trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    (format!("http://{host}"), ip)
}

async fn render(
    state: &PanelState,
    ctx: &Ctx,
    headers: &HeaderMap,
    form: &AddForm,
    error: Option<String>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let rows = nas::list(&state.store, &ctx.tenant)
        .await?
        .into_iter()
        .map(|n| Row {
            id: n.id,
            name: n.name,
            address: n.address.to_string(),
            coa_port: view::num(locale, i64::from(n.coa_port)),
            strict: n.require_message_authenticator,
        })
        .collect();
    let (portal, radius) = guesses(headers);
    Ok(RoutersPage {
        f: Frame::tenant(ctx, t.routers_title, "/routers"),
        rows,
        can_edit: ctx.can(Permission::EditRouters),
        portal,
        radius,
        name: form.name.clone(),
        address: form.address.clone(),
        error,
    }
    .into_response())
}

/// `GET /panel/routers`.
pub async fn list(State(state): State<PanelState>, ctx: Ctx, headers: HeaderMap) -> PageResult {
    render(&state, &ctx, &headers, &AddForm::default(), None).await
}

/// `POST /panel/routers`: a new router; without a secret, a random one.
pub async fn add(
    State(state): State<PanelState>,
    ctx: Ctx,
    headers: HeaderMap,
    axum::Form(form): axum::Form<AddForm>,
) -> PageResult {
    let secret = match form.secret.trim() {
        "" => Secret::generate(),
        given => Secret::new(given),
    };
    let new = NewNas {
        name: form.name.clone(),
        address: form.address.clone(),
        secret,
        require_message_authenticator: form.strict.is_some(),
        branch: None,
        coa_port: None,
    };
    match nas::add_audited(&state.store, &ctx.tenant, new, ctx.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("{BASE}/routers")).into_response()),
        Err(crm::Error::Invalid(m) | crm::Error::Conflict(m)) => {
            render(&state, &ctx, &headers, &form, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ScriptQuery {
    #[serde(default)]
    portal: String,
    #[serde(default)]
    radius: String,
}

fn plain(status: axum::http::StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// `GET /panel/routers/{id}/script?portal=&radius=`: the RouterOS script as a file.
/// It carries the shared secret, hence `edit_routers`.
pub async fn script(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<ScriptQuery>,
) -> PageResult {
    let n = nas::in_tenant(&state.store, &ctx.tenant, id).await?;
    let bad = |m: String| Ok(plain(axum::http::StatusCode::BAD_REQUEST, m + "\n"));
    let portal = match PortalUrl::parse(&query.portal) {
        Ok(p) => p,
        Err(e) => return bad(e.to_string()),
    };
    let Ok(radius) = query.radius.trim().parse::<IpAddr>() else {
        return bad(format!("{:?} is not an IP address", query.radius));
    };
    let mut setup = RouterSetup::new(n.name.clone(), n.id, n.secret.expose(), radius, portal);
    setup.coa_port = n.coa_port;
    if let Err(e) = setup.validate() {
        return bad(e.to_string());
    }
    let file: String = n
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"smartx-{file}.rsc\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        router_config::routeros_script(&setup),
    )
        .into_response())
}
