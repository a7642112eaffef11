//! The tenant's survey settings (`/panel/surveys/settings`): when and how often the SMS
//! goes, reminders, the thresholds and texts of the canned replies; with the "precision"
//! add-on (switched by the operator) the question editor; and the people and other
//! phones alerted about low scores (chosen by the owner). Every refused value comes back
//! next to its field; saving and each change to a question is audited in crm.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use crm::phone::Phone;
use crm::roles::Permission;
use crm::staff;
use crm::surveys::alerts;
use crm::surveys::questions::{self, Kind, Question};
use crm::surveys::settings::{self, PhoneChange, SurveySettings};
use crm::ui::Locale;
use serde::Deserialize;

use crate::cases::person_label;
use crate::club_settings::parse_whole;
use crate::guard::{Ctx, PageResult};
use crate::i18n::{self, Texts};
use crate::people::role_label;
use crate::view::{self, Frame};
use crate::{BASE, PanelState};

/// The numeric and text fields, in the order shown.
const NUMBERS: [&str; 7] = [
    "delay_minutes",
    "cap_days",
    "max_reminders",
    "alert_below",
    "happy_from",
    "quiet_hours",
    "shifts",
];
const TEXTS: [&str; 2] = ["reply_happy", "reply_unhappy"];
const CHECKS: [&str; 2] = ["enabled", "per_item"];

pub struct FieldView {
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
}

/// A question's form (`id` 0 = the one to add).
pub struct QuestionView {
    id: i64,
    number: String,
    label: String,
    kind: &'static str,
    options: String,
    label_en: String,
    options_en: String,
    required: bool,
    show_if: i64,
    error: Option<String>,
    first: bool,
    last: bool,
}

/// A person of the tenant who may be alerted about low scores.
pub struct AlertPerson {
    id: i64,
    label: String,
    role: String,
    checked: bool,
}

/// Who hears about low scores: everyone sees the list, only the owner
/// (`manage_people`) changes it.
pub struct AlertsView {
    people: Vec<AlertPerson>,
    can_edit: bool,
    /// "at or below N stars" (the `alert_below` field of the form above).
    threshold: String,
    error: Option<String>,
    /// Phones outside the panel: (`+989…` as the form sends it back, as shown).
    phones: Vec<(String, String)>,
    /// The add-a-phone field as typed, and why it was refused.
    phone_value: String,
    phone_error: Option<String>,
}

/// What the alert forms send back when refused.
#[derive(Default)]
struct AlertsForm {
    people_error: Option<String>,
    phone_value: String,
    phone_error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey_settings.html")]
struct SettingsPage {
    f: Frame,
    checks: Vec<(&'static str, &'static str, bool)>,
    fields: Vec<FieldView>,
    texts: Vec<FieldView>,
    precision: bool,
    questions: Vec<QuestionView>,
    new_question: QuestionView,
    /// (value, label)
    kinds: Vec<(&'static str, &'static str)>,
    thresholds: Vec<(i64, String)>,
    alerts: AlertsView,
    failed: bool,
    saved: bool,
}

fn values_of(s: &SurveySettings) -> HashMap<&'static str, String> {
    let mut v = HashMap::from([
        ("delay_minutes", s.delay_minutes.to_string()),
        ("cap_days", s.cap_days.to_string()),
        ("max_reminders", s.max_reminders.to_string()),
        ("alert_below", s.alert_below.to_string()),
        ("happy_from", s.happy_from.to_string()),
        ("quiet_hours", settings::quiet_hours_text(s)),
        ("shifts", settings::shifts_text(s)),
        ("reply_happy", s.reply_happy.clone().unwrap_or_default()),
        ("reply_unhappy", s.reply_unhappy.clone().unwrap_or_default()),
    ]);
    for (key, on) in [("enabled", s.enabled), ("per_item", s.per_item)] {
        v.insert(key, if on { "on".into() } else { String::new() });
    }
    v
}

fn question_view(q: &Question, number: usize, count: usize, error: Option<String>) -> QuestionView {
    QuestionView {
        id: q.id,
        // The form for a new question has no number.
        number: if number == 0 {
            String::new()
        } else {
            number.to_string()
        },
        label: q.label.clone(),
        kind: q.kind.name(),
        options: q.options.join("\n"),
        label_en: q.label_en.clone(),
        options_en: q.options_en.join("\n"),
        required: q.required,
        show_if: q.show_if_at_most.unwrap_or(0),
        error,
        first: number == 1,
        last: number == count,
    }
}

/// What a refused question form looks like again: as typed.
struct Refused {
    id: i64,
    question: Question,
    message: String,
}

async fn alerts_view(
    state: &PanelState,
    ctx: &Ctx,
    s: &SurveySettings,
    form: AlertsForm,
) -> crm::Result<AlertsView> {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let chosen = alerts::users(&state.store, &ctx.tenant).await?;
    let can_edit = ctx.can(Permission::ManagePeople);
    let people = staff::members(&state.store, &ctx.tenant)
        .await?
        .into_iter()
        .filter(|m| can_edit || chosen.contains(&m.user_id))
        .map(|m| AlertPerson {
            id: m.user_id,
            label: person_label(locale, &m.phone, m.name.as_deref()),
            role: role_label(locale, &m),
            checked: chosen.contains(&m.user_id),
        })
        .collect();
    Ok(AlertsView {
        people,
        can_edit,
        threshold: if s.alert_below == 0 {
            t.alert_never.to_string()
        } else {
            t.alert_at_most
                .replace("{n}", &view::num(locale, s.alert_below))
        },
        error: form.people_error,
        phones: s
            .alert_phones
            .iter()
            .map(|p| (p.clone(), locale.digits(&view::national(p))))
            .collect(),
        phone_value: form.phone_value,
        phone_error: form.phone_error,
    })
}

async fn render(
    state: &PanelState,
    ctx: &Ctx,
    values: HashMap<&'static str, String>,
    errors: HashMap<&'static str, String>,
    refused: Option<Refused>,
    alert_form: AlertsForm,
    saved: bool,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let s = settings::get(&state.store, &ctx.tenant).await?;
    let alerts = alerts_view(state, ctx, &s, alert_form).await?;
    let field = |key: &'static str| {
        let (label, hint) = i18n::survey_field(locale, key);
        FieldView {
            key,
            label,
            hint,
            value: values.get(key).cloned().unwrap_or_default(),
            error: errors.get(key).cloned(),
        }
    };
    let list = questions::list(&state.store, &ctx.tenant).await?;
    let count = list.len();
    let mut new_question = question_view(&blank(0, Kind::Choice, String::new()), 0, 0, None);
    let mut views: Vec<QuestionView> = list
        .iter()
        .enumerate()
        .map(|(i, q)| question_view(q, i + 1, count, None))
        .collect();
    if let Some(r) = refused {
        let slot = if r.id == 0 {
            Some(&mut new_question)
        } else {
            views.iter_mut().find(|v| v.id == r.id)
        };
        if let Some(v) = slot {
            let number = std::mem::take(&mut v.number);
            let (first, last) = (v.first, v.last);
            *v = question_view(&r.question, 0, 0, Some(r.message));
            (v.id, v.number, v.first, v.last) = (r.id, number, first, last);
        }
    }
    for v in &mut views {
        v.number = locale.digits(&v.number);
    }
    Ok(SettingsPage {
        f: Frame::tenant(ctx, t.survey_settings_title, "/feedback"),
        checks: CHECKS
            .iter()
            .map(|&k| {
                (
                    k,
                    i18n::survey_field(locale, k).0,
                    values.get(k).is_some_and(|v| !v.is_empty()),
                )
            })
            .collect(),
        fields: NUMBERS.iter().map(|&k| field(k)).collect(),
        texts: TEXTS.iter().map(|&k| field(k)).collect(),
        precision: s.precision,
        questions: views,
        new_question,
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.name(), i18n::question_kind(locale, k.name())))
            .collect(),
        thresholds: (1..=4).map(|n| (n, view::num(locale, n))).collect(),
        alerts,
        failed: !errors.is_empty(),
        saved,
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /panel/surveys/settings`.
pub async fn page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let s = settings::get(&state.store, &ctx.tenant).await?;
    render(
        &state,
        &ctx,
        values_of(&s),
        HashMap::new(),
        None,
        AlertsForm::default(),
        q.saved.is_some(),
    )
    .await
}

/// The Persian for a refused knob (crm's reasons are English).
fn refusal(locale: Locale, t: &Texts, key: &str, english: String) -> String {
    match locale {
        Locale::En => english,
        Locale::Fa => i18n::survey_field_error(key)
            .unwrap_or(t.set_out_of_range)
            .to_string(),
    }
}

/// `POST /panel/surveys/settings`: saves (audited) or shows the form again with the
/// message next to each refused field. Fields a form does not send keep their values;
/// the check boxes count only when the form says it shows them (`checks`).
pub async fn save(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let mut s = settings::get(&state.store, &ctx.tenant).await?;
    let mut errors: HashMap<&'static str, String> = HashMap::new();
    let typed = |key: &str| form.get(key).map(|v| v.trim());
    for (key, slot) in [
        ("delay_minutes", &mut s.delay_minutes),
        ("cap_days", &mut s.cap_days),
        ("max_reminders", &mut s.max_reminders),
        ("alert_below", &mut s.alert_below),
        ("happy_from", &mut s.happy_from),
    ] {
        if let Some(v) = typed(key) {
            match parse_whole(v) {
                Some(n) => *slot = n,
                None => {
                    errors.insert(key, t.set_not_whole.to_string());
                }
            }
        }
    }
    if let Some(v) = typed("quiet_hours") {
        match settings::parse_quiet_hours(&crm::text::ascii_digits(v)) {
            Ok(q) => (s.quiet_start, s.quiet_end) = q,
            Err(e) => {
                errors.insert(
                    "quiet_hours",
                    refusal(locale, t, "quiet_hours", e.to_string()),
                );
            }
        }
    }
    if let Some(v) = typed("shifts") {
        match settings::parse_shifts(&crm::text::ascii_digits(v)) {
            Ok(starts) => s.shift_starts = starts,
            Err(e) => {
                errors.insert("shifts", refusal(locale, t, "shifts", e.to_string()));
            }
        }
    }
    for (key, slot) in [
        ("reply_happy", &mut s.reply_happy),
        ("reply_unhappy", &mut s.reply_unhappy),
    ] {
        if let Some(v) = typed(key) {
            *slot = (!v.is_empty()).then(|| v.to_string());
        }
    }
    if form.contains_key("checks") {
        s.enabled = form.contains_key("enabled");
        s.per_item = form.contains_key("per_item");
    }
    for (key, message) in s.problems() {
        errors
            .entry(key)
            .or_insert_with(|| refusal(locale, t, key, message));
    }
    if errors.is_empty() {
        settings::save(&state.store, &ctx.tenant, &s, ctx.actor()).await?;
        return Ok(Redirect::to(&format!("{BASE}/surveys/settings?saved=1")).into_response());
    }
    let mut values = values_of(&s);
    for key in NUMBERS.iter().chain(TEXTS.iter()) {
        if let Some(v) = form.get(*key) {
            values.insert(key, v.clone());
        }
    }
    render(
        &state,
        &ctx,
        values,
        errors,
        None,
        AlertsForm::default(),
        false,
    )
    .await
}

/// A question with only a kind and a label (the form for a new one, or what is shown
/// again when a form could not even be read).
fn blank(id: i64, kind: Kind, label: String) -> Question {
    Question {
        id,
        kind,
        label,
        options: Vec::new(),
        label_en: String::new(),
        options_en: Vec::new(),
        required: false,
        show_if_at_most: None,
    }
}

/// The question a form describes (`options`, `options_en` one per line).
fn question_of(form: &HashMap<String, String>) -> Result<Question, crm::Error> {
    let show_if = form
        .get("show_if")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty() && *v != "0");
    let lines = |key: &str| -> Vec<String> {
        form.get(key)
            .map(|o| {
                o.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Question {
        id: 0,
        kind: Kind::parse(form.get("kind").map_or("", |k| k.trim()))?,
        label: form.get("label").cloned().unwrap_or_default(),
        options: lines("options"),
        label_en: form.get("label_en").cloned().unwrap_or_default(),
        options_en: lines("options_en"),
        required: form.contains_key("required"),
        show_if_at_most: match show_if {
            None => None,
            Some(v) => {
                Some(parse_whole(v).ok_or_else(|| crm::Error::Invalid("show if: 1 to 4".into()))?)
            }
        },
    })
}

/// `POST /panel/surveys/questions`: `action` = add, save, up, down or remove (the
/// question's `id` a form field; crm refuses another tenant's). Audited in crm.
pub async fn question(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let (store, tenant, actor) = (&state.store, &ctx.tenant, ctx.actor());
    let id = form
        .get("id")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let action = form.get("action").map_or("", |a| a.as_str());
    let done = match action {
        "up" | "down" => questions::shift(store, tenant, id, action == "up", actor).await,
        "remove" => questions::remove(store, tenant, id, actor).await,
        "add" | "save" => match question_of(&form) {
            Ok(q) if action == "add" => questions::add(store, tenant, &q, actor).await.map(|_| ()),
            Ok(q) => questions::update(store, tenant, id, &q, actor).await,
            Err(e) => Err(e),
        },
        _ => Err(crm::Error::Invalid("unknown action".into())),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("{BASE}/surveys/settings?saved=1")).into_response()),
        Err(crm::Error::Invalid(message)) => {
            let locale = ctx.locale();
            let message = match locale {
                Locale::En => message,
                Locale::Fa => i18n::texts(locale).question_refused.to_string(),
            };
            let question = question_of(&form).unwrap_or_else(|_| {
                blank(
                    id,
                    Kind::Text,
                    form.get("label").cloned().unwrap_or_default(),
                )
            });
            let s = settings::get(store, tenant).await?;
            let refused = Refused {
                id: if action == "add" { 0 } else { id },
                question,
                message,
            };
            render(
                &state,
                &ctx,
                values_of(&s),
                HashMap::new(),
                Some(refused),
                AlertsForm::default(),
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /panel/surveys/alerts`: the people (repeated `user` fields, panel user ids) who
/// get an SMS and a panel notification about every low score. crm checks each is a
/// member of this tenant (another tenant's id is refused, nothing saved) and audits.
pub async fn alerts(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let mut ids = Vec::new();
    let mut malformed = false;
    for (_, v) in pairs.iter().filter(|(k, _)| k == "user") {
        match v.trim().parse::<i64>() {
            Ok(id) => ids.push(id),
            Err(_) => malformed = true,
        }
    }
    let done = if malformed {
        Err(crm::Error::Invalid("not a person of this business".into()))
    } else {
        alerts::set_users(&state.store, &ctx.tenant, &ids, ctx.actor()).await
    };
    match done {
        Ok(()) => {
            Ok(Redirect::to(&format!("{BASE}/surveys/settings?saved=1#alerts")).into_response())
        }
        Err(crm::Error::Invalid(_)) => {
            let t = i18n::texts(ctx.locale());
            let form = AlertsForm {
                people_error: Some(t.alert_people_invalid.to_string()),
                ..AlertsForm::default()
            };
            alerts_refused(&state, &ctx, form).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The settings page again with 422 and an alert form's reason.
async fn alerts_refused(state: &PanelState, ctx: &Ctx, form: AlertsForm) -> PageResult {
    let s = settings::get(&state.store, &ctx.tenant).await?;
    let page = render(state, ctx, values_of(&s), HashMap::new(), None, form, false).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct PhoneForm {
    #[serde(default)]
    phone: String,
    /// `add` or `remove`.
    #[serde(default)]
    action: String,
}

/// `POST /panel/surveys/alert-phones`: adds or removes a phone (any written form,
/// normalised by `crm::phone`) texted about every low score besides the chosen people.
/// A refused one comes back next to the field with a 422; crm audits each change.
pub async fn alert_phone(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<PhoneForm>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let add = match form.action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(crm::Error::Invalid("unknown action".into()).into()),
    };
    let refused = match Phone::parse(&form.phone) {
        Err(e) => Some(match locale {
            Locale::En => e.to_string(),
            Locale::Fa => t.reason_bad_phone.to_string(),
        }),
        Ok(phone) => {
            match settings::change_alert_phone(&state.store, &ctx.tenant, &phone, add, ctx.actor())
                .await?
            {
                PhoneChange::Added | PhoneChange::Removed => None,
                PhoneChange::AlreadyThere => Some(t.alert_phone_there.to_string()),
                PhoneChange::Full => Some(t.alert_phone_full.to_string()),
                PhoneChange::NotThere => Some(t.alert_phone_missing.to_string()),
            }
        }
    };
    let Some(message) = refused else {
        return Ok(
            Redirect::to(&format!("{BASE}/surveys/settings?saved=1#alerts")).into_response(),
        );
    };
    let refused = AlertsForm {
        phone_value: if add { form.phone } else { String::new() },
        phone_error: Some(message),
        ..AlertsForm::default()
    };
    alerts_refused(&state, &ctx, refused).await
}
