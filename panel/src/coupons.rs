//! Coupons: create a batch (codes anyone may use, or one code per pasted phone; club
//! credit, rials off or a percentage off; valid for some days; uses per code), the
//! batches with their use, one batch's report with its codes; and the fraud detector's
//! decision log. Creation is audited in crm.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use crm::club::fraud;
use crm::coupons::{self, BatchReport, CouponKind, NewBatch, Recipients};
use crm::ui::Locale;
use serde::Deserialize;

use crate::club::rials;
use crate::club_settings::parse_whole as whole;
use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

/// Codes listed on a batch's page.
const CODES_SHOWN: i64 = 2_000;
/// Decisions on the log page.
const DECISIONS: i64 = 500;

#[derive(Debug, Default, Deserialize)]
pub struct BatchForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    phones: String,
    #[serde(default)]
    valid_days: String,
    #[serde(default)]
    max_uses: String,
}

pub struct BatchRow {
    href: String,
    name: String,
    kind: &'static str,
    value: String,
    valid_until: String,
    codes: String,
    redemptions: String,
    amount: String,
}

fn kind_name(t: &i18n::Texts, kind: CouponKind) -> &'static str {
    match kind {
        CouponKind::Credit => t.coupon_credit,
        CouponKind::Discount => t.coupon_discount,
        CouponKind::Percent => t.coupon_percent,
    }
}

/// A coupon's value as people read it: rials, or a percentage for `percent` batches.
fn value_text(locale: Locale, kind: CouponKind, value: i64) -> String {
    match kind {
        CouponKind::Percent => locale.digits(&format!(
            "{}{}",
            crate::club_settings::format_percent(value),
            view::percent_sign(locale)
        )),
        _ => rials(locale, value),
    }
}

fn row(ctx: &Ctx, b: BatchReport) -> BatchRow {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(ctx);
    BatchRow {
        href: format!("{BASE}/coupons/{}", b.id),
        kind: kind_name(t, b.kind),
        value: value_text(locale, b.kind, b.value),
        valid_until: b
            .valid_until
            .map(|at| view::day(locale, zone.day_key(at)))
            .unwrap_or_else(|| t.coupon_no_end.to_string()),
        codes: view::num(locale, b.codes),
        redemptions: view::num(locale, b.redemptions),
        amount: rials(locale, b.amount),
        name: b.name,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "coupons.html")]
struct CouponsPage {
    f: Frame,
    batches: Vec<BatchRow>,
    form: BatchForm,
    error: Option<(&'static str, String)>,
    can_decisions: bool,
}

impl CouponsPage {
    /// The message for `field`, when the form was refused there.
    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn render_list(
    state: &PanelState,
    ctx: &Ctx,
    form: BatchForm,
    error: Option<(&'static str, String)>,
) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let batches = coupons::report(&state.store, &ctx.tenant)
        .await?
        .into_iter()
        .map(|b| row(ctx, b))
        .collect();
    Ok(CouponsPage {
        f: Frame::tenant(ctx, t.coupons_title, "/club"),
        batches,
        form,
        error,
        can_decisions: ctx.can(crm::roles::Permission::ClearFraudFlags),
    }
    .into_response())
}

/// `GET /panel/coupons`.
pub async fn list(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    let form = BatchForm {
        kind: "credit".into(),
        max_uses: "1".into(),
        valid_days: "30".into(),
        ..BatchForm::default()
    };
    render_list(&state, &ctx, form, None).await
}

/// The form as a batch, or the field it fails on with why.
fn batch_of(
    form: &BatchForm,
    t: &i18n::Texts,
    now: i64,
) -> Result<NewBatch, (&'static str, String)> {
    let kind = CouponKind::parse(&form.kind).map_err(|_| ("kind", t.set_not_choice.into()))?;
    let value = match kind {
        CouponKind::Percent => crate::club_settings::parse_percent(&form.value),
        _ => whole(&form.value),
    }
    .filter(|v| *v > 0)
    .ok_or(("value", t.coupon_bad_value.to_string()))?;
    let max_uses = whole(&form.max_uses)
        .filter(|v| *v > 0)
        .ok_or(("max_uses", t.set_not_whole.to_string()))?;
    let days = whole(&form.valid_days).ok_or(("valid_days", t.set_not_whole.to_string()))?;
    let phones: Vec<String> = form
        .phones
        .split(['\n', ',', '،', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let recipients = if phones.is_empty() {
        let n = whole(&form.count)
            .filter(|n| *n > 0)
            .ok_or(("count", t.coupon_count_or_phones.to_string()))?;
        Recipients::Codes(n)
    } else {
        if let Some(bad) = phones.iter().find(|p| crm::phone::Phone::parse(p).is_err()) {
            return Err(("phones", format!("{}: {bad}", t.coupon_bad_phone)));
        }
        Recipients::Phones(phones)
    };
    Ok(NewBatch {
        name: form.name.trim().to_string(),
        kind,
        value,
        valid_from: None,
        valid_until: (days > 0).then(|| now + days.min(3650) * 86_400),
        max_uses,
        recipients,
    })
}

/// `POST /panel/coupons`: creates the batch and opens its page; a refused form comes
/// back with the message next to the field.
pub async fn create(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<BatchForm>,
) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let new = match batch_of(&form, t, crm::clock::now()) {
        Ok(new) => new,
        Err(e) => return render_list(&state, &ctx, form, Some(e)).await,
    };
    match coupons::create_by(&state.store, &ctx.tenant, &new, ctx.actor()).await {
        Ok((id, _)) => Ok(Redirect::to(&format!("{BASE}/coupons/{id}")).into_response()),
        Err(crm::Error::Invalid(m)) => {
            let field = if m.contains("name") {
                "name"
            } else if m.contains("codes") || m.contains("phone") {
                "count"
            } else if m.contains("uses") {
                "max_uses"
            } else {
                "value"
            };
            render_list(&state, &ctx, form, Some((field, m))).await
        }
        Err(crm::Error::Conflict(_)) => {
            render_list(
                &state,
                &ctx,
                form,
                Some(("name", t.coupon_name_taken.into())),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct CodeRow {
    code: String,
    phone: String,
    uses: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "coupon_batch.html")]
struct BatchPage {
    f: Frame,
    batch: BatchRow,
    codes: Vec<CodeRow>,
    more: bool,
}

/// `GET /panel/coupons/{id}`: the batch's report and its codes.
pub async fn show(State(state): State<PanelState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let b = coupons::batch(&state.store, &ctx.tenant, id).await?;
    let total = b.codes;
    let codes: Vec<CodeRow> = coupons::codes(&state.store, &ctx.tenant, id, CODES_SHOWN)
        .await?
        .into_iter()
        .map(|c| CodeRow {
            code: c.code,
            phone: c
                .phone
                .map(|p| locale.digits(&view::national(&p)))
                .unwrap_or_default(),
            uses: view::num(locale, c.uses),
        })
        .collect();
    Ok(BatchPage {
        f: Frame::tenant(&ctx, t.coupon_batch_title, "/club"),
        more: total > codes.len() as i64,
        batch: row(&ctx, b),
        codes,
    }
    .into_response())
}

pub struct DecisionRow {
    when: String,
    subject: String,
    decision: &'static str,
    bad: bool,
    reason: String,
    actor: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions.html")]
struct DecisionsPage {
    f: Frame,
    rows: Vec<DecisionRow>,
}

/// `GET /panel/club/decisions`: every flag, block, refusal and clearing with its reason.
pub async fn decisions(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(&ctx);
    let rows = fraud::decisions(&state.store, &ctx.tenant, DECISIONS)
        .await?
        .into_iter()
        .map(|d| DecisionRow {
            when: view::moment(locale, &zone, d.created_at),
            subject: crate::club::subject(locale, &d.subject_kind, d.subject_id),
            bad: d.decision != "clear",
            decision: match d.decision.as_str() {
                "flag" => t.decision_flag,
                "block" => t.decision_block,
                "refuse" => t.decision_refuse,
                _ => t.decision_clear,
            },
            reason: d.reason,
            actor: d.actor,
        })
        .collect();
    Ok(DecisionsPage {
        f: Frame::tenant(&ctx, t.decisions_title, "/club"),
        rows,
    }
    .into_response())
}
