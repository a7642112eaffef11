//! Vouchers: batches of printed hotspot logins — the list, a new batch, and the
//! printable cards (`crm::vouchers`, as `smartx voucher` does).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use crm::roles::Permission;
use crm::vouchers::{self, NewBatch};
use crm::{groups, units};
use serde::Deserialize;

use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

pub struct Row {
    id: i64,
    name: String,
    group: String,
    count: String,
    used: String,
    created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "vouchers.html")]
struct VouchersPage {
    f: Frame,
    rows: Vec<Row>,
    groups: Vec<String>,
    can_create: bool,
    form: CreateForm,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    valid_for: String,
    #[serde(default)]
    pin: Option<String>,
}

async fn render(
    state: &PanelState,
    ctx: &Ctx,
    mut form: CreateForm,
    error: Option<String>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(ctx);
    let rows = vouchers::batches(&state.store, &ctx.tenant)
        .await?
        .into_iter()
        .map(|b| Row {
            id: b.id,
            name: b.name,
            group: b.group_name,
            count: view::num(locale, b.count),
            used: view::num(locale, b.used),
            created: view::moment(locale, &zone, b.created_at),
        })
        .collect();
    let all = groups::list(&state.store, &ctx.tenant).await?;
    if form.group.is_empty() {
        // New guests' group first: what most vouchers are for.
        if let Some(g) = all.iter().find(|g| g.is_default) {
            form.group = g.name.clone();
        }
    }
    let groups = all.into_iter().map(|g| g.name).collect();
    Ok(VouchersPage {
        f: Frame::tenant(ctx, t.vouchers_title, "/vouchers"),
        rows,
        groups,
        can_create: ctx.can(Permission::CreateVouchers),
        form,
        error,
    }
    .into_response())
}

/// `GET /panel/vouchers`.
pub async fn list(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    let form = CreateForm {
        count: "20".into(),
        valid_for: "1d".into(),
        ..Default::default()
    };
    render(&state, &ctx, form, None).await
}

/// `POST /panel/vouchers`: a new batch, then its cards.
pub async fn create(
    State(state): State<PanelState>,
    ctx: Ctx,
    axum::Form(form): axum::Form<CreateForm>,
) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let count = crm::phone::Phone::digits_only(&form.count).parse::<i64>();
    let valid_for = match form.valid_for.trim() {
        "" => Ok(None),
        text => units::parse_duration(text).map(Some),
    };
    let (Ok(count), Ok(valid_for)) = (count, valid_for) else {
        return render(&state, &ctx, form, Some(t.vouchers_invalid.to_string())).await;
    };
    let name = match form.name.trim() {
        "" => format!(
            "{} {}",
            form.group,
            &crm::clock::format_utc(crm::clock::now())[..10]
        ),
        given => given.to_string(),
    };
    let new = NewBatch {
        name,
        group: form.group.clone(),
        count,
        valid_for,
        expires_at: None,
        pin: form.pin.is_some(),
    };
    match vouchers::create_audited(&state.store, &ctx.tenant, &new, ctx.actor()).await {
        Ok((batch, _)) => {
            Ok(Redirect::to(&format!("{BASE}/vouchers/{}/print", batch.id)).into_response())
        }
        Err(crm::Error::Invalid(m)) => render(&state, &ctx, form, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

/// `GET /panel/vouchers/{id}/print`: A4 cards to print and cut.
pub async fn print(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let batch = vouchers::batch(&state.store, &ctx.tenant, id).await?;
    let cards = vouchers::vouchers(&state.store, &ctx.tenant, id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        vouchers::to_printable_html(&ctx.tenant, &batch, &cards),
    )
        .into_response())
}
