//! Complaint follow-up: the cases low survey scores opened, one case with everything
//! about it (invoice, answers, media, every message), and what staff do about it. All
//! through `crm::surveys` (ids looked up in the current tenant); attachments are served
//! only here, to the tenant's users.

use std::path::Component;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use crm::phone::Phone;
use crm::roles::Permission;
use crm::staff;
use crm::surveys::questions::{self, Kind};
use crm::surveys::{cases, followup};
use crm::ui::Locale;
use serde::Deserialize;

use crate::guard::{Ctx, Fail, PageResult};
use crate::i18n::{self, Texts};
use crate::view::{self, Frame};
use crate::{BASE, PanelState};

/// Newest cases listed.
const LIST: i64 = 200;

/// `★★☆☆☆` for a 1–5 rating.
pub fn stars(rating: i64) -> String {
    let n = rating.clamp(0, 5) as usize;
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

pub fn status_name(t: &Texts, status: &str) -> &'static str {
    match status {
        "open" => t.status_open,
        "contacted" => t.status_contacted,
        _ => t.status_resolved,
    }
}

fn event_name(t: &Texts, kind: &str) -> &'static str {
    match kind {
        "invitation" => t.ev_invitation,
        "opened" => t.ev_opened,
        "alert" => t.ev_alert,
        "reply" => t.ev_reply,
        "status" => t.ev_status,
        "owner" => t.ev_owner,
        "note" => t.ev_note,
        _ => t.ev_credit,
    }
}

/// An outbox state in the page's language.
fn sms_state(t: &Texts, status: &str) -> String {
    match status {
        "queued" => t.sms_queued,
        "sending" => t.sms_sending,
        "sent" => t.sms_sent,
        "delivered" => t.sms_delivered,
        "failed" => t.sms_failed,
        other => other,
    }
    .to_string()
}

fn phone_text(locale: Locale, e164: &str) -> String {
    locale.digits(&view::national(e164))
}

pub struct CaseRow {
    id: i64,
    number: String,
    when: String,
    phone: String,
    stars: String,
    comment: String,
    status: &'static str,
    status_class: &'static str,
    owner: String,
}

pub struct Filter {
    label: &'static str,
    href: String,
    current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
struct CasesPage {
    f: Frame,
    filters: Vec<Filter>,
    rows: Vec<CaseRow>,
    /// Where the owner picks who is alerted about low scores (the survey settings).
    alerts_href: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: Option<String>,
}

fn status_class(status: &str) -> &'static str {
    match status {
        "open" => "bad",
        "resolved" => "ok",
        _ => "",
    }
}

pub(crate) fn person_label(locale: Locale, phone: &str, name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("{n} ({})", phone_text(locale, phone)),
        _ => phone_text(locale, phone),
    }
}

async fn render_list(state: &PanelState, ctx: &Ctx, status: Option<&str>) -> PageResult {
    let store = &state.store;
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(ctx);
    let status = status.filter(|s| cases::STATUSES.contains(s));
    let rows = cases::list_in_status(store, &ctx.tenant, &ctx.scope(), status, LIST)
        .await?
        .into_iter()
        .map(|c| CaseRow {
            id: c.id,
            number: view::num(locale, c.id),
            when: view::moment(locale, &zone, c.created_at),
            phone: phone_text(locale, &c.phone),
            stars: stars(c.rating),
            comment: c.comment.unwrap_or_default().chars().take(80).collect(),
            status: status_name(t, &c.status),
            status_class: status_class(&c.status),
            owner: c
                .owner
                .map(|(_, p)| phone_text(locale, &p))
                .unwrap_or_default(),
        })
        .collect();
    let filters = [(t.status_all, None)]
        .into_iter()
        .chain(
            cases::STATUSES
                .iter()
                .map(|s| (status_name(t, s), Some(*s))),
        )
        .map(|(label, s)| Filter {
            label,
            href: match s {
                Some(s) => format!("{BASE}/cases?status={s}"),
                None => format!("{BASE}/cases"),
            },
            current: s == status,
        })
        .collect();
    Ok(CasesPage {
        f: Frame::tenant(ctx, t.cases_title, "/cases"),
        filters,
        rows,
        alerts_href: ctx
            .can(Permission::EditClubSettings)
            .then(|| format!("{BASE}/surveys/settings#alerts")),
    }
    .into_response())
}

/// `GET /panel/cases?status=`.
pub async fn list(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    render_list(&state, &ctx, q.status.as_deref()).await
}

/// (question, answer) for the case page: stars, a 0–10 number, the options picked, each
/// category's stars, or the text; questions and options in English on an English page
/// when they have it.
fn answered(locale: Locale, a: &questions::Answered) -> (String, String) {
    let parts = a.parts.iter().map(|p| {
        let stored = p.text.as_deref().unwrap_or_default();
        let text = match a.kind {
            Kind::Choice | Kind::Multi => a.english.option_in(stored, locale).to_string(),
            _ => stored.to_string(),
        };
        match (a.kind, p.number) {
            (Kind::Rating, Some(n)) => stars(n),
            (Kind::Nps, Some(n)) => view::num(locale, n),
            (Kind::Categories, Some(n)) => format!("{text}: {}", stars(n)),
            _ => text,
        }
    });
    let sep = match (a.kind, locale) {
        (Kind::Categories, _) => " · ",
        (_, Locale::Fa) => "، ",
        (_, Locale::En) => ", ",
    };
    (
        a.english.label_in(&a.label, locale).to_string(),
        parts.collect::<Vec<_>>().join(sep),
    )
}

pub struct ItemRow {
    name: String,
    category: String,
    qty: String,
    price: String,
    rating: String,
}

pub struct MediaRow {
    href: String,
    kind: String,
    content_type: String,
}

pub struct EventRow {
    kind: String,
    class: &'static str,
    name: &'static str,
    when: String,
    who: String,
    to: String,
    body: String,
    sms_status: String,
}

pub struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
struct CasePage {
    f: Frame,
    id: i64,
    number: String,
    status: &'static str,
    status_class: &'static str,
    phone: String,
    customer_href: Option<String>,
    stars: String,
    rating: String,
    nps: String,
    /// The "precision" questions answered: (question, answer as shown).
    answers: Vec<(String, String)>,
    comment: Option<String>,
    invoice: String,
    branch: String,
    /// Who served the invoice, as the POS named them.
    staff: Option<String>,
    amount: String,
    invoice_at: String,
    items: Vec<ItemRow>,
    media: Vec<MediaRow>,
    events: Vec<EventRow>,
    can_handle: bool,
    can_credit: bool,
    statuses: Vec<Choice>,
    owners: Vec<Choice>,
    reply_happy: Option<String>,
    reply_unhappy: Option<String>,
    form: CaseForm,
    error: Option<String>,
}

/// Every form of the case page, so a refused one comes back with what was typed.
#[derive(Debug, Default, Deserialize)]
pub struct CaseForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    which: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

fn rials(locale: Locale, amount: i64) -> String {
    format!(
        "{} {}",
        view::num(locale, amount),
        i18n::texts(locale).rials
    )
}

async fn render_case(
    state: &PanelState,
    ctx: &Ctx,
    id: i64,
    form: CaseForm,
    error: Option<String>,
) -> PageResult {
    let store = &state.store;
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(ctx);
    let d = followup::detail(store, &ctx.tenant, id).await?;
    let can_handle = ctx.can(Permission::HandleCases);
    let owners = if can_handle {
        let current = d.case.owner.as_ref().map(|(u, _)| *u);
        std::iter::once(Choice {
            value: String::new(),
            label: t.nobody.to_string(),
            selected: current.is_none(),
        })
        .chain(
            staff::members(store, &ctx.tenant)
                .await?
                .into_iter()
                .map(|m| Choice {
                    value: m.user_id.to_string(),
                    label: person_label(locale, &m.phone, m.name.as_deref()),
                    selected: current == Some(m.user_id),
                }),
        )
        .collect()
    } else {
        Vec::new()
    };
    let (reply_happy, reply_unhappy) = followup::canned(store, &ctx.tenant).await?;
    let events = d
        .events
        .iter()
        .map(|e| EventRow {
            class: match e.kind.as_str() {
                "invitation" | "alert" | "reply" => "sms",
                "note" => "note",
                "credit" => "credit",
                _ => "",
            },
            kind: e.kind.clone(),
            name: event_name(t, &e.kind),
            when: view::moment(locale, &zone, e.created_at),
            who: e
                .user
                .as_deref()
                .map(|p| phone_text(locale, p))
                .unwrap_or_else(|| t.system_actor.to_string()),
            to: e
                .sms_phone
                .as_deref()
                .map(|p| phone_text(locale, p))
                .unwrap_or_default(),
            body: match (&e.sms_body, e.kind.as_str()) {
                (Some(body), _) => body.clone(),
                (None, "status") => status_name(t, e.detail.as_deref().unwrap_or("")).to_string(),
                (None, "owner") => e
                    .detail
                    .as_deref()
                    .map(|p| phone_text(locale, p))
                    .unwrap_or_else(|| t.nobody.to_string()),
                _ => e.detail.clone().unwrap_or_default(),
            },
            sms_status: e
                .sms_status
                .as_deref()
                .map(|s| sms_state(t, s))
                .unwrap_or_default(),
        })
        .collect();
    Ok(CasePage {
        f: Frame::tenant(ctx, t.case_title, "/cases"),
        id: d.case.id,
        number: view::num(locale, d.case.id),
        status: status_name(t, &d.case.status),
        status_class: status_class(&d.case.status),
        phone: phone_text(locale, &d.case.phone),
        customer_href: ctx
            .can(Permission::ViewCustomers)
            .then(|| format!("{BASE}/customers/{}", d.customer_id)),
        stars: stars(d.case.rating),
        rating: view::num(locale, d.case.rating),
        nps: d
            .nps
            .map_or_else(|| t.no_answer.to_string(), |n| view::num(locale, n)),
        answers: d.answers.iter().map(|a| answered(locale, a)).collect(),
        comment: d.case.comment.clone(),
        invoice: view::num(locale, d.case.invoice_id),
        branch: d.branch.clone(),
        staff: d.staff.clone(),
        amount: rials(locale, d.amount),
        invoice_at: view::moment(locale, &zone, d.invoice_at),
        items: d
            .items
            .iter()
            .map(|i| ItemRow {
                name: i.name.clone(),
                category: i.category.clone().unwrap_or_default(),
                qty: view::num(locale, i.qty),
                price: rials(locale, i.unit_price),
                rating: i.rating.map(stars).unwrap_or_default(),
            })
            .collect(),
        media: d
            .media
            .iter()
            .map(|m| MediaRow {
                href: format!("{BASE}/cases/{}/media/{}", d.case.id, m.id),
                kind: m.kind.clone(),
                content_type: m.content_type.clone(),
            })
            .collect(),
        events,
        can_handle,
        can_credit: ctx.can(Permission::ManualCredit),
        statuses: cases::STATUSES
            .iter()
            .map(|s| Choice {
                value: s.to_string(),
                label: status_name(t, s).to_string(),
                selected: *s == d.case.status,
            })
            .collect(),
        owners,
        reply_happy,
        reply_unhappy,
        form,
        error,
    }
    .into_response())
}

/// Refuses (403) a case about an invoice of a branch outside this person's branches,
/// and (404) one of another tenant. Every case route starts with it.
async fn within_scope(state: &PanelState, ctx: &Ctx, id: i64) -> Result<(), Fail> {
    let branch = cases::branch_of(&state.store, &ctx.tenant, id).await?;
    ctx.within(Some(branch))
}

/// `GET /panel/cases/{id}`: also marks this person's notifications about it read.
pub async fn show(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    within_scope(&state, &ctx, id).await?;
    let page = render_case(&state, &ctx, id, CaseForm::default(), None).await?;
    crm::notifications::mark_read(
        &state.store,
        &ctx.tenant,
        ctx.signed.user.id,
        Some(id),
        crm::clock::now(),
    )
    .await?;
    Ok(page)
}

/// `GET /panel/cases/{id}/media/{media_id}`: an attachment, only if it belongs to this
/// case of this tenant, with its sniffed type and no chance to run as a page.
pub async fn media(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path((id, media_id)): Path<(i64, i64)>,
) -> PageResult {
    within_scope(&state, &ctx, id).await?;
    let m = followup::media_of_case(&state.store, &ctx.tenant, id, media_id).await?;
    // The stored name is ours (`{tenant}/{random}.{ext}`); refuse anything else anyway.
    let relative = std::path::Path::new(&m.file);
    let ours = relative.components().count() == 2
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        && relative.starts_with(ctx.tenant.id.to_string());
    if !ours {
        return Err(Fail::NotFound);
    }
    let bytes = tokio::fs::read(state.media_dir.join(relative))
        .await
        .map_err(|_| Fail::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, m.content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_string(),
            ),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// After a change: back to the case, or the page again with the reason.
async fn done(
    state: &PanelState,
    ctx: &Ctx,
    id: i64,
    form: CaseForm,
    result: crm::Result<()>,
    invalid: &str,
) -> PageResult {
    let error = match result {
        Ok(()) => return Ok(Redirect::to(&format!("{BASE}/cases/{id}")).into_response()),
        Err(crm::Error::Invalid(_)) => invalid.to_string(),
        Err(crm::Error::Conflict(why)) => {
            format!("{} ({why})", i18n::texts(ctx.locale()).credit_refused)
        }
        Err(e) => return Err(e.into()),
    };
    render_case(state, ctx, id, form, Some(error)).await
}

/// `POST /panel/cases/{id}/status`.
pub async fn set_status(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CaseForm>,
) -> PageResult {
    within_scope(&state, &ctx, id).await?;
    let result = cases::set_status(
        &state.store,
        &ctx.tenant,
        id,
        &form.status,
        ctx.actor(),
        crm::clock::now(),
    )
    .await;
    done(
        &state,
        &ctx,
        id,
        form,
        result,
        i18n::texts(ctx.locale()).status_invalid,
    )
    .await
}

/// `POST /panel/cases/{id}/owner`.
pub async fn set_owner(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CaseForm>,
) -> PageResult {
    within_scope(&state, &ctx, id).await?;
    let t = i18n::texts(ctx.locale());
    let owner = match form.owner.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return render_case(&state, &ctx, id, form, Some(t.owner_invalid.into())).await;
            }
        },
    };
    let result = followup::assign(
        &state.store,
        &ctx.tenant,
        id,
        owner,
        ctx.actor(),
        crm::clock::now(),
    )
    .await;
    done(&state, &ctx, id, form, result, t.owner_invalid).await
}

/// `POST /panel/cases/{id}/note`.
pub async fn add_note(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CaseForm>,
) -> PageResult {
    within_scope(&state, &ctx, id).await?;
    let result = followup::note(
        &state.store,
        &ctx.tenant,
        id,
        &form.note,
        ctx.actor(),
        crm::clock::now(),
    )
    .await;
    done(
        &state,
        &ctx,
        id,
        form,
        result,
        i18n::texts(ctx.locale()).note_invalid,
    )
    .await
}

/// `POST /panel/cases/{id}/reply`: the canned reply (`which` = happy or unhappy).
pub async fn reply(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CaseForm>,
) -> PageResult {
    within_scope(&state, &ctx, id).await?;
    let t = i18n::texts(ctx.locale());
    let which = if form.which == "happy" {
        followup::Canned::Happy
    } else {
        followup::Canned::Unhappy
    };
    let result = followup::reply(
        &state.store,
        &ctx.tenant,
        id,
        which,
        ctx.actor(),
        crm::clock::now(),
    )
    .await
    .map(|_| ());
    // The only conflict a reply meets: the SMS wallet cannot pay for it.
    if let Err(crm::Error::Conflict(_)) = result {
        return render_case(&state, &ctx, id, form, Some(t.reply_wallet_empty.into())).await;
    }
    done(&state, &ctx, id, form, result, t.no_canned).await
}

/// `POST /panel/cases/{id}/credit`: compensation through the club's manual-credit rules
/// (the per-staff daily cap and fraud screening apply), in the ledger and on the case.
pub async fn credit(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CaseForm>,
) -> PageResult {
    within_scope(&state, &ctx, id).await?;
    let t = i18n::texts(ctx.locale());
    let Ok(amount) = Phone::digits_only(&form.amount).parse::<i64>() else {
        return render_case(&state, &ctx, id, form, Some(t.credit_invalid.into())).await;
    };
    let result = followup::compensate(
        &state.store,
        &ctx.tenant,
        id,
        amount,
        &form.reason,
        ctx.signed.user.id,
        crm::clock::now(),
    )
    .await
    .map(|_| ());
    done(&state, &ctx, id, form, result, t.credit_invalid).await
}
