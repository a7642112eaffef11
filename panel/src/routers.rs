//! Routers (NAS): the list, adding, editing and removing one, and the files that set
//! one up: its RouterOS script to paste into the router's terminal and its hotspot
//! login pages as a .zip (`router-config`, as `smartx router-config` writes them).
//! A person limited to some branches sees and touches only those branches' routers.

use std::net::IpAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use crm::branches::{self, Branch};
use crm::nas::{self, Nas, NasChange, NewNas};
use crm::roles::Permission;
use crm::secret::Secret;
use router_config::{PortalUrl, RouterSetup};
use serde::Deserialize;

use crate::guard::{Ctx, Fail, PageResult};
use crate::i18n::Texts;
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n, zip};

pub struct Row {
    id: i64,
    name: String,
    address: String,
    branch: String,
    coa_port: String,
    strict: bool,
}

/// A router form's messages, each shown next to its field.
#[derive(Debug, Default)]
pub struct FieldErrors {
    name: Option<&'static str>,
    address: Option<&'static str>,
    secret: Option<&'static str>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.name.is_some() || self.address.is_some() || self.secret.is_some()
    }
}

/// What the add and edit forms send.
#[derive(Debug, Default, Deserialize)]
pub struct RouterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    strict: Option<String>,
    /// A branch id, or empty for none.
    #[serde(default)]
    branch: String,
    #[serde(default)]
    rotate: Option<String>,
}

impl RouterForm {
    fn of(n: &Nas) -> RouterForm {
        RouterForm {
            name: n.name.clone(),
            address: n.address.to_string(),
            strict: n.require_message_authenticator.then(|| "1".into()),
            branch: n.branch_id.map(|b| b.to_string()).unwrap_or_default(),
            ..RouterForm::default()
        }
    }

    fn branch_id(&self) -> Option<i64> {
        self.branch.trim().parse().ok()
    }

    /// The page's own messages for what crm would refuse, by field.
    fn check(&self, t: &'static Texts, secret: Option<&Secret>) -> FieldErrors {
        FieldErrors {
            name: nas::check_name(&self.name)
                .err()
                .map(|_| t.router_name_invalid),
            address: nas::parse_address(&self.address)
                .err()
                .map(|_| t.router_address_invalid),
            secret: secret
                .and_then(|s| nas::check_secret(s).err())
                .map(|_| t.router_secret_invalid),
        }
    }
}

/// The branches a router may be put in by this person: (id, name); with every branch
/// they may also leave it in none.
async fn branch_choices(state: &PanelState, ctx: &Ctx) -> Result<Vec<Branch>, Fail> {
    Ok(branches::list_in(&state.store, &ctx.tenant, &ctx.scope()).await?)
}

#[derive(Template, WebTemplate)]
#[template(path = "routers.html")]
struct RoutersPage {
    f: Frame,
    rows: Vec<Row>,
    can_edit: bool,
    form: RouterForm,
    branches: Vec<Branch>,
    any_branch: bool,
    errors: FieldErrors,
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

async fn render_list(
    state: &PanelState,
    ctx: &Ctx,
    form: RouterForm,
    errors: FieldErrors,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let all = branches::list(&state.store, &ctx.tenant).await?;
    let branch_name = |id: Option<i64>| {
        all.iter()
            .find(|b| Some(b.id) == id)
            .map_or_else(String::new, |b| b.name.clone())
    };
    let rows = nas::list_in(&state.store, &ctx.tenant, &ctx.scope())
        .await?
        .into_iter()
        .map(|n| Row {
            id: n.id,
            branch: branch_name(n.branch_id),
            name: n.name,
            address: n.address.to_string(),
            coa_port: view::num(locale, i64::from(n.coa_port)),
            strict: n.require_message_authenticator,
        })
        .collect();
    Ok(RoutersPage {
        f: Frame::tenant(ctx, t.routers_title, "/routers"),
        rows,
        can_edit: ctx.can(Permission::EditRouters),
        form,
        branches: branch_choices(state, ctx).await?,
        any_branch: ctx.scope().is_every(),
        errors,
    }
    .into_response())
}

/// `GET /panel/routers`.
pub async fn list(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    render_list(&state, &ctx, RouterForm::default(), FieldErrors::default()).await
}

/// `POST /panel/routers`: a new router; without a secret, a random one.
pub async fn add(
    State(state): State<PanelState>,
    ctx: Ctx,
    axum::Form(form): axum::Form<RouterForm>,
) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let branch = form.branch_id();
    ctx.within(branch)?;
    let secret = match form.secret.trim() {
        "" => Secret::generate(),
        given => Secret::new(given),
    };
    let errors = form.check(t, Some(&secret));
    if errors.any() {
        return render_list(&state, &ctx, form, errors).await;
    }
    let branch = match branch {
        Some(id) => Some(branches::by_id(&state.store, &ctx.tenant, id).await?.name),
        None => None,
    };
    let new = NewNas {
        name: form.name.clone(),
        address: form.address.clone(),
        secret,
        require_message_authenticator: form.strict.is_some(),
        branch,
        coa_port: None,
    };
    match nas::add_audited(&state.store, &ctx.tenant, new, ctx.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("{BASE}/routers")).into_response()),
        Err(crm::Error::Conflict(_)) => {
            let errors = FieldErrors {
                name: Some(t.router_exists),
                ..FieldErrors::default()
            };
            render_list(&state, &ctx, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One of the tenant's routers in this person's branches (another tenant's: 404,
/// another branch's: 403).
async fn router(state: &PanelState, ctx: &Ctx, id: i64) -> Result<Nas, Fail> {
    let n = nas::in_tenant(&state.store, &ctx.tenant, id).await?;
    ctx.within(n.branch_id)?;
    Ok(n)
}

#[derive(Template, WebTemplate)]
#[template(path = "router.html")]
struct RouterPage {
    f: Frame,
    id: i64,
    form: RouterForm,
    branches: Vec<Branch>,
    any_branch: bool,
    errors: FieldErrors,
    notice: Option<&'static str>,
    portal: String,
    radius: String,
}

async fn render_router(
    state: &PanelState,
    ctx: &Ctx,
    headers: &HeaderMap,
    id: i64,
    form: RouterForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let (portal, radius) = guesses(headers);
    Ok(RouterPage {
        f: Frame::tenant(ctx, t.router_edit_title, "/routers"),
        id,
        form,
        branches: branch_choices(state, ctx).await?,
        any_branch: ctx.scope().is_every(),
        errors,
        notice,
        portal,
        radius,
    }
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    done: String,
}

/// `GET /panel/routers/{id}?done=`: edit, downloads, remove. It shows what the
/// downloads carry (the secret), hence `edit_routers`.
pub async fn edit(
    State(state): State<PanelState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<EditQuery>,
) -> PageResult {
    let n = router(&state, &ctx, id).await?;
    let t = i18n::texts(ctx.locale());
    let notice = match query.done.as_str() {
        "saved" => Some(t.router_saved),
        "rotated" => Some(t.secret_rotated),
        _ => None,
    };
    let errors = FieldErrors::default();
    render_router(
        &state,
        &ctx,
        &headers,
        id,
        RouterForm::of(&n),
        errors,
        notice,
    )
    .await
}

/// `POST /panel/routers/{id}`: name, address, branch, the Message-Authenticator rule,
/// and a new secret (typed, or generated with `rotate`).
pub async fn save(
    State(state): State<PanelState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RouterForm>,
) -> PageResult {
    router(&state, &ctx, id).await?;
    let t = i18n::texts(ctx.locale());
    let branch_id = form.branch_id();
    ctx.within(branch_id)?;
    let secret = match (form.secret.trim(), form.rotate.is_some()) {
        (_, true) => Some(Secret::generate()),
        ("", false) => None,
        (given, false) => Some(Secret::new(given)),
    };
    let errors = form.check(t, secret.as_ref());
    if errors.any() {
        return render_router(&state, &ctx, &headers, id, form, errors, None).await;
    }
    let done = if secret.is_some() { "rotated" } else { "saved" };
    let change = NasChange {
        name: form.name.clone(),
        address: form.address.clone(),
        secret,
        require_message_authenticator: form.strict.is_some(),
        branch_id,
    };
    match nas::update(&state.store, &ctx.tenant, id, &change, ctx.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("{BASE}/routers/{id}?done={done}")).into_response()),
        Err(crm::Error::Conflict(_)) => {
            let errors = FieldErrors {
                name: Some(t.router_exists),
                ..FieldErrors::default()
            };
            render_router(&state, &ctx, &headers, id, form, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /panel/routers/{id}/remove`.
pub async fn remove(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    router(&state, &ctx, id).await?;
    nas::remove_by_id(&state.store, &ctx.tenant, id, ctx.actor()).await?;
    Ok(Redirect::to(&format!("{BASE}/routers")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    portal: String,
    #[serde(default)]
    radius: String,
}

fn plain(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// The router's setup from the download form: where it reaches the portal and RADIUS.
/// A bad address is answered in plain text (the download has no page to return to).
async fn setup(
    state: &PanelState,
    ctx: &Ctx,
    id: i64,
    query: &SetupQuery,
) -> Result<Result<(RouterSetup, String), Response>, Fail> {
    let n = router(state, ctx, id).await?;
    let bad = |m: String| Ok(Err(plain(StatusCode::BAD_REQUEST, m + "\n")));
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
    Ok(Ok((setup, format!("smartx-{file}"))))
}

/// `GET /panel/routers/{id}/script?portal=&radius=`: the RouterOS script as a file.
/// It carries the shared secret, hence `edit_routers`.
pub async fn script(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<SetupQuery>,
) -> PageResult {
    let (setup, file) = match setup(&state, &ctx, id, &query).await? {
        Ok(found) => found,
        Err(bad) => return Ok(bad),
    };
    let text = router_config::routeros_script(&setup);
    Ok(view::attachment(
        "text/plain; charset=utf-8",
        &format!("{file}.rsc"),
        text,
    ))
}

/// `GET /panel/routers/{id}/pages.zip?portal=&radius=`: the hotspot pages (login,
/// alogin, rlogin, redirect, logout) for the router's html directory.
pub async fn pages(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<SetupQuery>,
) -> PageResult {
    let (setup, file) = match setup(&state, &ctx, id, &query).await? {
        Ok(found) => found,
        Err(bad) => return Ok(bad),
    };
    let files: Vec<(&str, Vec<u8>)> = router_config::PAGES
        .iter()
        .filter_map(|name| Some((*name, router_config::page(name, &setup)?.into_bytes())))
        .collect();
    Ok(view::attachment(
        "application/zip",
        &format!("{file}-pages.zip"),
        zip::stored(&files),
    ))
}
