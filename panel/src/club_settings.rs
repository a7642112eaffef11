//! The club's settings editor: the earning formula, expiry and pending window, tiers,
//! manual-credit cap and gifts, member notifications and their texts, and the fraud
//! thresholds — for the tenant, or a branch's own formula and expiry (`?branch=`).
//!
//! The form is a list of fields described once ([`FIELDS`]); each is read from text
//! (Persian digits welcome), then the whole is checked by `ClubSettings::problems`, and
//! every message lands next to its field. Saving is one audited transaction in crm.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use crm::club::formula::{Tier, TierMetric};
use crm::club::notices::{self, Notice};
use crm::club::settings::{self, ClubSettings};
use crm::ui::Locale;
use crm::units::{format_duration, parse_duration};
use serde::Deserialize;

use crate::guard::{Ctx, PageResult};
use crate::view::Frame;
use crate::{BASE, PanelState, i18n};

/// How a field is typed in and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Rials or a count: a whole number, 0 or more.
    Whole,
    /// A percentage with up to two decimals, stored as basis points.
    Percent,
    /// A duration such as `24h` or `30m`.
    Duration,
    /// `earned`, `spend` or `visits`.
    Metric,
    Check,
    /// One item a line.
    Lines,
}

/// Which settings a field belongs to: a branch overrides only the formula and expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Branch,
    Tenant,
}

struct Spec {
    key: &'static str,
    kind: Kind,
    scope: Scope,
    /// Section heading key (see `i18n::settings_section`).
    section: &'static str,
}

const fn spec(key: &'static str, kind: Kind, scope: Scope, section: &'static str) -> Spec {
    Spec {
        key,
        kind,
        scope,
        section,
    }
}

use Kind::*;
use Scope::{Branch, Tenant};

/// Every field, in page order.
const FIELDS: [Spec; 26] = [
    spec("earn_rate", Percent, Branch, "earning"),
    spec("min_purchase", Whole, Branch, "earning"),
    spec("cap_per_invoice", Whole, Branch, "earning"),
    spec("cap_per_day", Whole, Branch, "earning"),
    spec("max_redeem", Percent, Branch, "earning"),
    spec("category_rates", Lines, Branch, "earning"),
    spec("expiry_days", Whole, Branch, "expiry"),
    spec("pending", Duration, Branch, "expiry"),
    spec("tier_metric", Metric, Tenant, "tiers"),
    spec("tier_window_days", Whole, Tenant, "tiers"),
    spec("demote_after_days", Whole, Tenant, "tiers"),
    spec("tiers", Lines, Tenant, "tiers"),
    spec("manual_daily_cap", Whole, Tenant, "manual"),
    spec("birthday_credit", Whole, Tenant, "manual"),
    spec("anniversary_credit", Whole, Tenant, "manual"),
    spec("notify_earned", Check, Tenant, "notices"),
    spec("expiry_notice_days", Whole, Tenant, "notices"),
    spec("template_credit_earned", Lines, Tenant, "notices"),
    spec("template_credit_expiring", Lines, Tenant, "notices"),
    spec("fraud_window", Duration, Tenant, "fraud"),
    spec("fraud_max_invoices", Whole, Tenant, "fraud"),
    spec("fraud_max_manual", Whole, Tenant, "fraud"),
    spec("fraud_staff_daily", Whole, Tenant, "fraud"),
    spec("fraud_manual_amount", Whole, Tenant, "fraud"),
    spec("fraud_device_phones", Whole, Tenant, "fraud"),
    spec("fraud_alert_phones", Lines, Tenant, "fraud"),
];

/// Latin digits for Persian/Arabic-Indic ones, `٫` as the decimal point, thousands
/// separators and spaces dropped.
fn plain_number(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '٬' | '،' | ' ' | '\u{200c}'))
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '٫' | '/' => '.',
            other => other,
        })
        .collect()
}

pub(crate) fn parse_whole(text: &str) -> Option<i64> {
    let t = plain_number(text);
    if t.is_empty() {
        return Some(0);
    }
    t.parse::<i64>().ok().filter(|v| *v >= 0)
}

/// `5` → 500 bp, `2.5` → 250, `0.25` → 25; more than two decimals is refused rather
/// than rounded, so what is saved is what was typed.
pub(crate) fn parse_percent(text: &str) -> Option<i64> {
    let t = plain_number(text);
    let t = t.strip_suffix('%').unwrap_or(&t);
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty() {
        return Some(0);
    }
    if frac.len() > 2
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

pub(crate) fn format_percent(bp: i64) -> String {
    match bp % 100 {
        0 => (bp / 100).to_string(),
        r if r % 10 == 0 => format!("{}.{}", bp / 100, r / 10),
        r => format!("{}.{r:02}", bp / 100),
    }
}

/// Reads `category = percent` lines.
fn parse_categories(text: &str) -> Option<std::collections::BTreeMap<String, i64>> {
    let mut out = std::collections::BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (category, rate) = line.split_once(['=', ':'])?;
        out.insert(category.trim().to_string(), parse_percent(rate)?);
    }
    Some(out)
}

/// Reads `name | threshold | multiplier % | WiFi group` lines (the group optional).
fn parse_tiers(text: &str) -> Option<Vec<Tier>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [name, threshold, multiplier, rest @ ..] = cells.as_slice() else {
                return None;
            };
            let group = match rest {
                [] => None,
                [""] => None,
                [g] => Some((*g).to_string()),
                _ => return None,
            };
            Some(Tier {
                name: (*name).to_string(),
                threshold: parse_whole(threshold)?,
                multiplier_bp: parse_percent(multiplier)?,
                group,
            })
        })
        .collect()
}

/// Where a whole-number field lives in the settings.
fn whole_slot<'a>(s: &'a mut ClubSettings, key: &str) -> Option<&'a mut i64> {
    Some(match key {
        "min_purchase" => &mut s.formula.min_purchase,
        "cap_per_invoice" => &mut s.formula.cap_per_invoice,
        "cap_per_day" => &mut s.formula.cap_per_day,
        "expiry_days" => &mut s.expiry_days,
        "tier_window_days" => &mut s.tiers.window_days,
        "demote_after_days" => &mut s.tiers.demote_after_days,
        "manual_daily_cap" => &mut s.manual_daily_cap,
        "birthday_credit" => &mut s.birthday_credit,
        "anniversary_credit" => &mut s.anniversary_credit,
        "expiry_notice_days" => &mut s.expiry_notice_days,
        "fraud_max_invoices" => &mut s.fraud.max_invoices,
        "fraud_max_manual" => &mut s.fraud.max_manual,
        "fraud_staff_daily" => &mut s.fraud.staff_daily,
        "fraud_manual_amount" => &mut s.fraud.manual_amount,
        "fraud_device_phones" => &mut s.fraud.device_phones,
        _ => return None,
    })
}

/// The form as the page shows it: every field's text.
fn texts_of(s: &ClubSettings, templates: &[(Notice, String)]) -> HashMap<&'static str, String> {
    let f = &s.formula;
    let mut m: HashMap<&'static str, String> = HashMap::new();
    let mut put = |k: &'static str, v: String| {
        m.insert(k, v);
    };
    let mut copy = s.clone();
    for spec in FIELDS.iter().filter(|f| f.kind == Whole) {
        if let Some(v) = whole_slot(&mut copy, spec.key) {
            put(spec.key, v.to_string());
        }
    }
    put("earn_rate", format_percent(f.earn_bp));
    put("max_redeem", format_percent(f.max_redeem_bp));
    put(
        "category_rates",
        f.category_rates
            .iter()
            .map(|(c, bp)| format!("{c} = {}", format_percent(*bp)))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    put("pending", duration_text(s.pending_seconds));
    put("tier_metric", s.tiers.metric.as_str().to_string());
    put(
        "tiers",
        s.tiers
            .tiers
            .iter()
            .map(|t| {
                let line = format!(
                    "{} | {} | {}",
                    t.name,
                    t.threshold,
                    format_percent(t.multiplier_bp)
                );
                match &t.group {
                    Some(g) => format!("{line} | {g}"),
                    None => line,
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    put(
        "notify_earned",
        if s.notify_earned { "on" } else { "" }.to_string(),
    );
    for (notice, body) in templates {
        put(template_key(*notice), body.clone());
    }
    put("fraud_window", duration_text(s.fraud.window_seconds));
    put(
        "fraud_alert_phones",
        s.fraud
            .alert_phones
            .iter()
            .map(|p| crate::view::national(p))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    m
}

/// `24h`, or plain `0` for none.
fn duration_text(secs: i64) -> String {
    if secs == 0 {
        "0".into()
    } else {
        format_duration(secs)
    }
}

fn template_key(notice: Notice) -> &'static str {
    match notice {
        Notice::CreditEarned => "template_credit_earned",
        Notice::CreditExpiring => "template_credit_expiring",
    }
}

const NOTICES: [Notice; 2] = [Notice::CreditEarned, Notice::CreditExpiring];

/// Reads the form over `base` (the settings in force, so fields a branch does not show,
/// or a form does not send, keep their values). Unreadable fields are named in `errors`.
fn read(
    form: &HashMap<String, String>,
    base: &ClubSettings,
    branch: bool,
    errors: &mut HashMap<&'static str, String>,
    t: &i18n::Texts,
) -> ClubSettings {
    let mut s = base.clone();
    let text = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    for spec in FIELDS
        .iter()
        .filter(|f| !branch || f.scope == Scope::Branch)
    {
        // A field the form did not send keeps its value (an unticked box sends nothing).
        if spec.kind != Check && !form.contains_key(spec.key) {
            continue;
        }
        let raw = text(spec.key);
        let bad = |errors: &mut HashMap<&'static str, String>, msg: &str| {
            errors.insert(spec.key, msg.to_string());
        };
        match spec.kind {
            Whole => {
                let Some(v) = parse_whole(raw) else {
                    bad(errors, t.set_not_whole);
                    continue;
                };
                let Some(slot) = whole_slot(&mut s, spec.key) else {
                    continue;
                };
                *slot = v;
            }
            Percent => {
                let Some(v) = parse_percent(raw) else {
                    bad(errors, t.set_not_percent);
                    continue;
                };
                match spec.key {
                    "earn_rate" => s.formula.earn_bp = v,
                    "max_redeem" => s.formula.max_redeem_bp = v,
                    _ => {}
                }
            }
            Duration => {
                let v = match raw.trim() {
                    "" | "0" => Ok(0),
                    d => parse_duration(&plain_number(d)),
                };
                let Ok(v) = v else {
                    bad(errors, t.set_not_duration);
                    continue;
                };
                match spec.key {
                    "pending" => s.pending_seconds = v,
                    "fraud_window" => s.fraud.window_seconds = v,
                    _ => {}
                }
            }
            Metric => match TierMetric::parse(raw) {
                Ok(m) => s.tiers.metric = m,
                Err(_) => bad(errors, t.set_not_choice),
            },
            Check => s.notify_earned = !raw.is_empty(),
            Lines => match spec.key {
                "category_rates" => match parse_categories(raw) {
                    Some(rates) => s.formula.category_rates = rates,
                    None => bad(errors, t.set_bad_lines),
                },
                "tiers" => match parse_tiers(raw) {
                    Some(tiers) => s.tiers.tiers = tiers,
                    None => bad(errors, t.set_bad_lines),
                },
                "fraud_alert_phones" => {
                    s.fraud.alert_phones = raw
                        .split(['\n', ',', '،'])
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                // Templates are read by `save`.
                _ => {}
            },
        }
    }
    s
}

pub struct FieldView {
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
    kind: &'static str,
    /// The metric's choices: (value, label, selected).
    options: Vec<(&'static str, &'static str, bool)>,
}

pub struct SectionView {
    title: &'static str,
    fields: Vec<FieldView>,
}

pub struct BranchLink {
    href: String,
    name: String,
    current: bool,
    overridden: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "club_settings.html")]
struct SettingsPage {
    f: Frame,
    /// The branch being edited, if not the tenant.
    branch: Option<(i64, String)>,
    overridden: bool,
    branches: Vec<BranchLink>,
    tenant_href: String,
    sections: Vec<SectionView>,
    failed: bool,
    saved: bool,
}

async fn render(
    state: &PanelState,
    ctx: &Ctx,
    branch: Option<(i64, String)>,
    values: HashMap<&'static str, String>,
    errors: HashMap<&'static str, String>,
    saved: bool,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let mut sections: Vec<SectionView> = Vec::new();
    for spec in FIELDS
        .iter()
        .filter(|f| branch.is_none() || f.scope == Scope::Branch)
    {
        let (label, hint) = i18n::setting_field(locale, spec.key);
        let value = values.get(spec.key).cloned().unwrap_or_default();
        let options = if spec.kind == Metric {
            [TierMetric::Spend, TierMetric::Visits, TierMetric::Earned]
                .into_iter()
                .map(|m| {
                    (
                        m.as_str(),
                        i18n::tier_metric(locale, m.as_str()),
                        m.as_str() == value,
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let field = FieldView {
            key: spec.key,
            label,
            hint,
            kind: match spec.kind {
                Check => "check",
                Metric => "select",
                Lines => "lines",
                Whole | Percent | Duration => "text",
            },
            value,
            error: errors.get(spec.key).cloned(),
            options,
        };
        let title = i18n::settings_section(locale, spec.section);
        match sections.last_mut() {
            Some(s) if s.title == title => s.fields.push(field),
            _ => sections.push(SectionView {
                title,
                fields: vec![field],
            }),
        }
    }
    let branch_list = crm::branches::list(&state.store, &ctx.tenant).await?;
    let mut branches = Vec::new();
    for b in branch_list {
        branches.push(BranchLink {
            href: format!("{BASE}/club/settings?branch={}", b.id),
            current: branch.as_ref().is_some_and(|(id, _)| *id == b.id),
            overridden: settings::has_override(&state.store, &ctx.tenant, b.id).await?,
            name: b.name,
        });
    }
    let overridden = branches.iter().any(|b| b.current && b.overridden);
    Ok(SettingsPage {
        f: Frame::tenant(ctx, t.club_settings_title, "/club"),
        branch,
        overridden,
        branches,
        tenant_href: format!("{BASE}/club/settings"),
        failed: !errors.is_empty(),
        sections,
        saved,
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsQuery {
    #[serde(default)]
    branch: Option<i64>,
    #[serde(default)]
    saved: Option<String>,
}

async fn branch_of(
    state: &PanelState,
    ctx: &Ctx,
    id: Option<i64>,
) -> Result<Option<(i64, String)>, crate::guard::Fail> {
    Ok(match id {
        Some(id) => {
            let b = crm::branches::by_id(&state.store, &ctx.tenant, id).await?;
            Some((b.id, b.name))
        }
        None => None,
    })
}

async fn current_templates(state: &PanelState, ctx: &Ctx) -> crm::Result<Vec<(Notice, String)>> {
    let mut out = Vec::new();
    for n in NOTICES {
        out.push((n, notices::template(&state.store, &ctx.tenant, n).await?));
    }
    Ok(out)
}

/// `GET /panel/club/settings[?branch=]`.
pub async fn page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(q): Query<SettingsQuery>,
) -> PageResult {
    let branch = branch_of(&state, &ctx, q.branch).await?;
    let s = settings::get(&state.store, &ctx.tenant, q.branch).await?;
    let values = texts_of(&s, &current_templates(&state, &ctx).await?);
    render(
        &state,
        &ctx,
        branch,
        values,
        HashMap::new(),
        q.saved.is_some(),
    )
    .await
}

/// `POST /panel/club/settings`: saves (audited) or shows the form again with a message
/// next to each refused field; `remove` drops a branch's override.
pub async fn save(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let branch_id = match form.get("branch").map(|b| b.trim()) {
        None | Some("") => None,
        Some(b) => Some(b.parse::<i64>().map_err(|_| crate::guard::Fail::NotFound)?),
    };
    let branch = branch_of(&state, &ctx, branch_id).await?;
    let back = match branch_id {
        Some(id) => format!("{BASE}/club/settings?branch={id}&saved=1"),
        None => format!("{BASE}/club/settings?saved=1"),
    };
    if let (Some(id), Some(_)) = (branch_id, form.get("remove")) {
        settings::remove_override(&state.store, &ctx.tenant, id, ctx.actor()).await?;
        return Ok(Redirect::to(&back).into_response());
    }
    let base = settings::get(&state.store, &ctx.tenant, branch_id).await?;
    let mut errors = HashMap::new();
    let s = read(&form, &base, branch.is_some(), &mut errors, t);
    for p in s.problems() {
        errors.entry(p.field).or_insert_with(|| match locale {
            Locale::En => p.message,
            Locale::Fa => t.set_out_of_range.to_string(),
        });
    }
    // Template texts: the default typed back (or nothing) means "use the default".
    let edits: Vec<(Notice, Option<String>)> = if branch.is_some() {
        Vec::new()
    } else {
        NOTICES
            .iter()
            .map(|n| {
                let text = form
                    .get(template_key(*n))
                    .map(|b| b.trim().to_string())
                    .unwrap_or_default();
                let own = !(text.is_empty() || text == n.default_template());
                (*n, own.then_some(text))
            })
            .collect()
    };
    let values = |s: &ClubSettings| {
        let mut v = texts_of(s, &[]);
        // What was typed stays, readable or not.
        for spec in &FIELDS {
            if let Some(typed) = form.get(spec.key) {
                v.insert(spec.key, typed.clone());
            } else if spec.kind == Check {
                v.insert(spec.key, String::new());
            }
        }
        v
    };
    if errors.is_empty() {
        let templates: Vec<settings::TemplateEdit> =
            edits.iter().map(|(n, b)| (*n, b.as_deref())).collect();
        match settings::save(
            &state.store,
            &ctx.tenant,
            branch_id,
            &s,
            &templates,
            ctx.actor(),
        )
        .await
        {
            Ok(()) => return Ok(Redirect::to(&back).into_response()),
            Err(crm::Error::Invalid(m)) => {
                // A template's placeholder or a tier's unknown WiFi group.
                let field = if m.contains("placeholder") || m.contains("template") {
                    NOTICES
                        .iter()
                        .map(|n| template_key(*n))
                        .find(|k| form.get(*k).is_some_and(|b| b.contains('{')))
                        .unwrap_or("template_credit_earned")
                } else {
                    "tiers"
                };
                errors.insert(field, m);
            }
            Err(crm::Error::NotFound(m)) => {
                errors.insert("tiers", format!("{}: {m}", t.set_unknown_group));
            }
            Err(e) => return Err(e.into()),
        }
    }
    render(&state, &ctx, branch, values(&s), errors, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_and_print_exactly() {
        assert_eq!(parse_percent("5"), Some(500));
        assert_eq!(parse_percent("۲٫۵"), Some(250));
        assert_eq!(parse_percent("0.25%"), Some(25));
        assert_eq!(parse_percent(".5"), Some(50));
        assert_eq!(parse_percent("1.234"), None);
        assert_eq!(parse_percent("-1"), None);
        assert_eq!(parse_percent("abc"), None);
        for bp in [0, 25, 250, 500, 10_000, 12_345] {
            assert_eq!(parse_percent(&format_percent(bp)), Some(bp));
        }
        assert_eq!(parse_whole("۱٬۰۰۰٬۰۰۰"), Some(1_000_000));
        assert_eq!(parse_whole("1.5"), None);
        assert_eq!(parse_whole(""), Some(0));
    }

    #[test]
    fn tiers_and_category_rates_read_one_a_line() {
        let tiers = parse_tiers("silver | 1000000 | 120\n\ngold | ۵۰۰۰۰۰۰ | 150 | loyal").unwrap();
        assert_eq!(tiers.len(), 2);
        assert_eq!(tiers[1].threshold, 5_000_000);
        assert_eq!(tiers[1].multiplier_bp, 15_000);
        assert_eq!(tiers[1].group.as_deref(), Some("loyal"));
        assert!(parse_tiers("gold 5000000").is_none());
        let rates = parse_categories("coffee = 10\ncake: 2.5").unwrap();
        assert_eq!(rates["cake"], 250);
        assert!(parse_categories("coffee").is_none());
    }
}
