//! The SMS sent around bookings, edited by owners and senior managers: each message's
//! text and when it goes (minutes after the booking is made, before it starts, or after
//! it ends), switched on or off; and new ones (a second reminder…). The same checks as
//! the CLI (`crm::reservations::messages`), reasons next to the field, audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use crm::reservations::messages::{self, Message, MessageChange, MessageKind};
use serde::Deserialize;
use serde_json::json;

use crate::bookings::record;
use crate::club_settings::parse_whole;
use crate::guard::{Ctx, PageResult};
use crate::i18n::{self, BookingTexts};
use crate::view::Frame;
use crate::{BASE, PanelState};

/// The longest offset the save accepts: 14 days, in minutes.
const MAX_OFFSET: i64 = 60 * 24 * 14;

#[derive(Debug, Default, Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    offset: String,
    #[serde(default)]
    template: String,
    /// A checkbox: present (`on`) when ticked.
    #[serde(default)]
    active: String,
}

/// One message as its form shows it (what was typed, after a refusal).
pub struct Row {
    /// 0 for the form that adds one.
    id: i64,
    kind: &'static str,
    when: &'static str,
    offset: String,
    template: String,
    active: bool,
    offset_error: Option<&'static str>,
    template_error: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "booking_messages.html")]
struct MessagesPage {
    f: Frame,
    b: &'static BookingTexts,
    rows: Vec<Row>,
    /// (value, label, selected) for the new message's kind.
    kinds: Vec<(&'static str, &'static str, bool)>,
    new: Row,
    saved: bool,
}

fn kind_label(b: &BookingTexts, kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Confirmation => b.sms_confirmation,
        MessageKind::Reminder => b.sms_reminder,
        MessageKind::ThankYou => b.sms_thank_you,
        MessageKind::NoShow => b.sms_no_show,
    }
}

fn when_label(b: &BookingTexts, kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Confirmation => b.sms_after_booking,
        MessageKind::Reminder => b.sms_before_start,
        MessageKind::ThankYou | MessageKind::NoShow => b.sms_after_end,
    }
}

fn row_of(b: &BookingTexts, m: &Message) -> Row {
    Row {
        id: m.id,
        kind: kind_label(b, m.kind),
        when: when_label(b, m.kind),
        offset: m.offset_minutes.to_string(),
        template: m.template.clone(),
        active: m.active,
        offset_error: None,
        template_error: None,
    }
}

/// `refused`: the form (by id, 0 = new) to show as typed, with its reasons.
async fn render(state: &PanelState, ctx: &Ctx, refused: Option<Row>, saved: bool) -> PageResult {
    let b = i18n::booking_texts(ctx.locale());
    let now = crm::clock::now();
    messages::ensure_defaults(&state.store, &ctx.tenant, now).await?;
    let mut refused = refused;
    let mut rows = Vec::new();
    for m in messages::list(&state.store, &ctx.tenant).await? {
        match refused.take_if(|r| r.id == m.id) {
            Some(r) => rows.push(r),
            None => rows.push(row_of(b, &m)),
        }
    }
    let new = refused.unwrap_or(Row {
        id: 0,
        kind: "",
        when: "",
        offset: String::new(),
        template: String::new(),
        active: true,
        offset_error: None,
        template_error: None,
    });
    let picked = MessageKind::ALL
        .into_iter()
        .find(|k| k.as_str() == new.kind)
        .unwrap_or(MessageKind::Reminder);
    Ok(MessagesPage {
        f: Frame::tenant(ctx, b.sms_title, "/bookings"),
        b,
        rows,
        kinds: MessageKind::ALL
            .into_iter()
            .map(|k| (k.as_str(), kind_label(b, k), k == picked))
            .collect(),
        new,
        saved,
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

/// `GET /panel/bookings/messages`.
pub async fn page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    render(&state, &ctx, None, !q.saved.is_empty()).await
}

/// The offset as typed (any digits), or the reason it is refused.
fn offset_of(b: &'static BookingTexts, raw: &str) -> Result<i64, &'static str> {
    parse_whole(raw)
        .filter(|m| (0..=MAX_OFFSET).contains(m))
        .ok_or(b.sms_bad_offset)
}

/// A refused form, shown again as typed.
fn refused(id: i64, kind: &'static str, form: &MessageForm) -> Row {
    Row {
        id,
        kind,
        when: "",
        offset: form.offset.clone(),
        template: form.template.clone(),
        active: form.active == "on",
        offset_error: None,
        template_error: None,
    }
}

/// `POST /panel/bookings/messages/{id}`: a message's offset, text and on/off.
pub async fn update(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<MessageForm>,
) -> PageResult {
    let b = i18n::booking_texts(ctx.locale());
    let old = messages::by_id(&state.store, &ctx.tenant, id).await?;
    let mut row = refused(id, kind_label(b, old.kind), &form);
    row.when = when_label(b, old.kind);
    let offset = match offset_of(b, &form.offset) {
        Ok(o) => o,
        Err(why) => {
            row.offset_error = Some(why);
            return render(&state, &ctx, Some(row), false).await;
        }
    };
    let change = MessageChange {
        offset_minutes: Some(offset),
        template: Some(form.template.clone()),
        active: Some(form.active == "on"),
    };
    let new = match messages::update(&state.store, &ctx.tenant, id, &change).await {
        Ok(new) => new,
        Err(crm::Error::Invalid(_)) => {
            row.template_error = Some(b.sms_bad_template);
            return render(&state, &ctx, Some(row), false).await;
        }
        Err(e) => return Err(e.into()),
    };
    let shape = |m: &Message| json!({ "offset": m.offset_minutes, "template": m.template, "active": m.active });
    record(
        &state,
        &ctx,
        "booking_message",
        "booking_sms.update",
        id,
        Some(shape(&old)),
        shape(&new),
    )
    .await?;
    Ok(Redirect::to(&format!("{BASE}/bookings/messages?saved=1")).into_response())
}

/// `POST /panel/bookings/messages`: one more message (e.g. a day-before reminder).
pub async fn add(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<MessageForm>,
) -> PageResult {
    let b = i18n::booking_texts(ctx.locale());
    let kind = form
        .kind
        .parse::<MessageKind>()
        .unwrap_or(MessageKind::Reminder);
    let mut row = refused(0, kind.as_str(), &form);
    let offset = match offset_of(b, &form.offset) {
        Ok(o) => o,
        Err(why) => {
            row.offset_error = Some(why);
            return render(&state, &ctx, Some(row), false).await;
        }
    };
    let now = crm::clock::now();
    let made =
        match messages::add(&state.store, &ctx.tenant, kind, offset, &form.template, now).await {
            Ok(m) => m,
            Err(crm::Error::Invalid(_)) => {
                row.template_error = Some(b.sms_bad_template);
                return render(&state, &ctx, Some(row), false).await;
            }
            Err(e) => return Err(e.into()),
        };
    let after = json!({ "kind": kind.as_str(), "offset": offset, "template": made.template });
    record(
        &state,
        &ctx,
        "booking_message",
        "booking_sms.add",
        made.id,
        None,
        after,
    )
    .await?;
    Ok(Redirect::to(&format!("{BASE}/bookings/messages?saved=1")).into_response())
}
