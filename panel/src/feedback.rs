//! Satisfaction reports: participation (invited → opened → answered), CSAT and NPS, the
//! daily, weekly or monthly trend, and satisfaction by item, category, shift and staff member, all over
//! the invoices of the branches the viewer may see; the branch comparison is a page of
//! its own for people allowed to compare branches. `feedback.csv` downloads all of it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use crm::roles::Permission;
use crm::surveys::reports::{self, Period, Shift};
use crm::surveys::{self, Breakdown, GroupScore, questions};
use crm::ui::Locale;
use serde::Deserialize;

use crate::chart::{self, Bar, Share};
use crate::guard::{Ctx, PageResult};
use crate::i18n::{self, Texts};
use crate::view::{self, Frame};
use crate::{BASE, PanelState};

/// The window when none is asked for, and the longest one.
const DEFAULT_DAYS: i64 = 30;
const MAX_DAYS: i64 = 366;

#[derive(Debug, Default, Deserialize)]
pub struct Window {
    #[serde(default)]
    days: Option<String>,
    /// `day`, `week` (default) or `month`: the trend's step.
    #[serde(default)]
    period: Option<String>,
}

impl Window {
    fn period(&self) -> Period {
        Period::parse(self.period.as_deref().unwrap_or_default())
    }

    /// `[since, until)`: the last `days` days up to now.
    fn range(&self) -> (i64, i64) {
        let until = crm::clock::now() + 1;
        (until - self.days() * 86_400, until)
    }

    fn days(&self) -> i64 {
        self.days
            .as_deref()
            .and_then(|d| crm::phone::Phone::digits_only(d).parse::<i64>().ok())
            .unwrap_or(DEFAULT_DAYS)
            .clamp(1, MAX_DAYS)
    }
}

pub struct Tile {
    label: &'static str,
    value: String,
}

pub struct GroupRow {
    label: String,
    count: String,
    average: String,
    csat: String,
    nps: String,
}

/// One breakdown: a chart of CSAT and its table.
pub struct Section {
    title: &'static str,
    chart: String,
    rows: Vec<GroupRow>,
}

/// One choice of the period selector.
pub struct PeriodChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

pub struct WeekRow {
    label: String,
    answers: String,
    csat: String,
    nps: String,
}

/// How the answers to one multiple-choice question split.
pub struct ChoiceSection {
    title: String,
    answered: String,
    chart: String,
    /// (option, responses that picked it, share)
    rows: Vec<(String, String, String)>,
}

/// One question's option shares, in the page's language (English labels fall back to
/// the Persian).
fn choice_section(locale: Locale, t: &Texts, q: questions::ChoiceShare) -> ChoiceSection {
    let title = q.english.label_in(&q.label, locale).to_string();
    let option = |label: &str| q.english.option_in(label, locale).to_string();
    let chart = chart::shares(
        &title,
        &q.options
            .iter()
            .map(|(label, _, share)| Share {
                label: option(label),
                percent: share.unwrap_or(0),
            })
            .collect::<Vec<_>>(),
        |v| percent(locale, Some(v)),
    );
    ChoiceSection {
        answered: t
            .choice_answers
            .replace("{n}", &view::num(locale, q.answered)),
        title,
        chart,
        rows: q
            .options
            .iter()
            .map(|(label, n, share)| {
                (
                    option(label),
                    view::num(locale, *n),
                    percent(locale, *share),
                )
            })
            .collect(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback.html")]
struct FeedbackPage {
    f: Frame,
    heading: &'static str,
    days: String,
    action: String,
    /// The trend's step (empty on the branch comparison, which has no trend).
    periods: Vec<PeriodChoice>,
    trend_title: &'static str,
    csv_href: Option<String>,
    tiles: Vec<Tile>,
    funnel: Option<String>,
    trend: Option<String>,
    weeks: Vec<WeekRow>,
    sections: Vec<Section>,
    /// The "precision" add-on: whether it is on, and the option shares of its
    /// multiple-choice questions.
    precision: Option<&'static str>,
    choices: Vec<ChoiceSection>,
    compare_href: Option<String>,
    settings_href: Option<String>,
}

fn percent(locale: Locale, v: Option<i64>) -> String {
    let sign = if locale == Locale::Fa { "٪" } else { "%" };
    v.map_or_else(
        || "—".to_string(),
        |v| format!("{}{sign}", locale.digits(&v.to_string())),
    )
}

/// A score that may be negative (NPS); the left-to-right mark keeps the minus in front
/// on right-to-left pages.
fn signed(locale: Locale, v: Option<i64>) -> String {
    v.map_or_else(
        || "—".to_string(),
        |v| format!("\u{200E}{}", locale.digits(&v.to_string())),
    )
}

/// A mean rating given in tenths, as "4.3" (Persian digits and decimal sign in fa).
fn average(locale: Locale, tenths: Option<i64>) -> String {
    let point = if locale == Locale::Fa { "٫" } else { "." };
    tenths.map_or_else(
        || "—".to_string(),
        |v| {
            let text = format!("{}{point}{}", v / 10, v % 10);
            locale.digits(&text)
        },
    )
}

fn period_title(t: &Texts, p: Period) -> &'static str {
    match p {
        Period::Day => t.per_day,
        Period::Week => t.per_week,
        Period::Month => t.per_month,
    }
}

fn period_choices(t: &Texts, chosen: Period) -> Vec<PeriodChoice> {
    Period::ALL
        .into_iter()
        .map(|p| PeriodChoice {
            value: p.name(),
            label: match p {
                Period::Day => t.period_day,
                Period::Week => t.period_week,
                Period::Month => t.period_month,
            },
            selected: p == chosen,
        })
        .collect()
}

/// A period's label: its first day as a Jalali date; a Jalali month by its name alone.
fn period_label(locale: Locale, period: Period, start_day: i64) -> String {
    let full = view::day(locale, start_day);
    let first_of_jalali_month =
        crm::jalali::JalaliDate::from_day_key(start_day).is_some_and(|d| d.day == 1);
    if period == Period::Month && first_of_jalali_month {
        full.split_once(' ')
            .map_or(full.clone(), |(_, rest)| rest.to_string())
    } else {
        full
    }
}

fn shift_name(t: &Texts, s: Shift) -> &'static str {
    match s {
        Shift::Morning => t.shift_morning,
        Shift::Afternoon => t.shift_afternoon,
        Shift::Evening => t.shift_evening,
        Shift::Night => t.shift_night,
    }
}

/// "Morning (07:00–12:00)": the shift with the tenant's window, in the page's digits.
fn shift_label(locale: Locale, t: &Texts, s: Shift, starts: &[i64; 4]) -> String {
    let hhmm = |m: i64| locale.digits(&format!("{:02}:{:02}", m / 60, m % 60));
    let [morning, afternoon, evening, night] = *starts;
    let (from, to) = match s {
        Shift::Morning => (morning, afternoon),
        Shift::Afternoon => (afternoon, evening),
        Shift::Evening => (evening, night),
        Shift::Night => (night % (24 * 60), morning),
    };
    // "۲۲:۰۰ تا ۰۶:۰۰" in Persian: a dash between numbers reads backwards right to left.
    let to_word = if locale == Locale::Fa {
        " تا "
    } else {
        "–"
    };
    format!("{} ({}{to_word}{})", shift_name(t, s), hhmm(from), hhmm(to))
}

fn section(locale: Locale, title: &'static str, groups: Vec<(String, GroupScore)>) -> Section {
    let chart = chart::shares(
        title,
        &groups
            .iter()
            .map(|(label, g)| Share {
                label: label.clone(),
                percent: g.csat.unwrap_or(0),
            })
            .collect::<Vec<_>>(),
        |v| percent(locale, Some(v)),
    );
    Section {
        title,
        chart,
        rows: groups
            .into_iter()
            .map(|(label, g)| GroupRow {
                label,
                count: view::num(locale, g.ratings),
                average: average(locale, g.average),
                csat: percent(locale, g.csat),
                nps: signed(locale, g.nps),
            })
            .collect(),
    }
}

fn labelled(groups: Vec<GroupScore>, empty: &str) -> Vec<(String, GroupScore)> {
    groups
        .into_iter()
        .map(|g| {
            let label = if g.key.is_empty() {
                empty.to_string()
            } else {
                g.key.clone()
            };
            (label, g)
        })
        .collect()
}

/// `GET /panel/feedback?days=&period=`.
pub async fn page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(w): Query<Window>,
) -> PageResult {
    let store = &state.store;
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(&ctx);
    let days = w.days();
    let period = w.period();
    let (since, until) = w.range();
    // Everything below counts only the invoices of the branches this person may see.
    let scope = ctx.scope();
    let r = surveys::report(store, &ctx.tenant, &scope, since, until).await?;
    let share = |n: i64| {
        if r.invited > 0 {
            n * 100 / r.invited
        } else {
            0
        }
    };
    let funnel = chart::shares(
        t.funnel,
        &[
            (t.invited, r.invited),
            (t.opened, r.opened),
            (t.answered, r.answered),
        ]
        .map(|(label, n)| Share {
            label: format!("{label} ({})", view::num(locale, n)),
            percent: share(n),
        }),
        |v| percent(locale, Some(v)),
    );
    let tiles = vec![
        Tile {
            label: t.invited,
            value: view::num(locale, r.invited),
        },
        Tile {
            label: t.opened,
            value: view::num(locale, r.opened),
        },
        Tile {
            label: t.answered,
            value: view::num(locale, r.answered),
        },
        Tile {
            label: t.participation,
            value: percent(locale, r.participation),
        },
        Tile {
            label: t.csat,
            value: percent(locale, r.csat),
        },
        Tile {
            label: t.nps,
            value: signed(locale, r.nps),
        },
    ];
    let time = reports::over_time(store, &ctx.tenant, &scope, &zone, period, since, until).await?;
    // A bar's label: day and month, or the month and year of a monthly bar.
    let short_label = |key: i64| {
        let label = period_label(locale, period, key);
        let words: Vec<&str> = label.split(' ').collect();
        if period == Period::Month && words.len() == 2 {
            label
        } else {
            words[..words.len().min(2)].join(" ")
        }
    };
    let trend = chart::bars(
        period_title(t, period),
        &time
            .periods
            .iter()
            .map(|w| Bar {
                label: short_label(w.start_day),
                values: vec![w.answers, w.satisfied],
            })
            .collect::<Vec<_>>(),
        |v| view::num(locale, v),
    );
    let weeks = time
        .periods
        .iter()
        .rev()
        .map(|w| WeekRow {
            label: period_label(locale, period, w.start_day),
            answers: view::num(locale, w.answers),
            csat: percent(locale, w.csat),
            nps: signed(locale, w.nps),
        })
        .collect();
    let by = async |b| surveys::breakdown(store, &ctx.tenant, &scope, b, since, until).await;
    let items = by(Breakdown::Item).await?;
    let categories = by(Breakdown::Category).await?;
    let staff = by(Breakdown::Staff).await?;
    let knobs = surveys::settings::get(store, &ctx.tenant).await?;
    let shifts = time
        .shifts
        .into_iter()
        .map(|(s, g)| (shift_label(locale, t, s, &knobs.shift_starts), g))
        .collect();
    let precision_on = knobs.precision;
    let choices = surveys::questions::choice_shares(store, &ctx.tenant, &scope, since, until)
        .await?
        .into_iter()
        .map(|q| choice_section(locale, t, q))
        .collect();
    let sections = vec![
        section(locale, t.by_item, labelled(items, t.uncategorized)),
        section(locale, t.by_category, labelled(categories, t.uncategorized)),
        section(locale, t.by_shift, shifts),
        section(locale, t.by_staff, labelled(staff, t.staff_unknown)),
    ];
    Ok(FeedbackPage {
        f: Frame::tenant(&ctx, t.feedback_title, "/feedback"),
        heading: t.feedback_title,
        days: view::num(locale, days),
        action: format!("{BASE}/feedback"),
        periods: period_choices(t, period),
        trend_title: period_title(t, period),
        csv_href: Some(format!(
            "{BASE}/feedback.csv?days={days}&period={}",
            period.name()
        )),
        tiles,
        funnel: Some(funnel),
        trend: Some(trend),
        weeks,
        sections,
        precision: Some(if precision_on {
            t.precision_on
        } else {
            t.precision_off
        }),
        choices,
        compare_href: ctx
            .can(Permission::CompareBranches)
            .then(|| format!("{BASE}/feedback/branches?days={days}")),
        settings_href: ctx
            .can(Permission::EditClubSettings)
            .then(|| format!("{BASE}/surveys/settings")),
    }
    .into_response())
}

/// `GET /panel/feedback/branches?days=`: every branch side by side (senior managers).
pub async fn branches(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(w): Query<Window>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let days = w.days();
    let (since, until) = w.range();
    let groups = surveys::breakdown(
        &state.store,
        &ctx.tenant,
        &ctx.scope(),
        Breakdown::Branch,
        since,
        until,
    )
    .await?;
    Ok(FeedbackPage {
        f: Frame::tenant(&ctx, t.by_branch, "/feedback"),
        heading: t.by_branch,
        days: view::num(locale, days),
        action: format!("{BASE}/feedback/branches"),
        periods: Vec::new(),
        trend_title: t.per_week,
        csv_href: None,
        tiles: Vec::new(),
        funnel: None,
        trend: None,
        weeks: Vec::new(),
        sections: vec![section(
            locale,
            t.by_branch,
            labelled(groups, t.uncategorized),
        )],
        precision: None,
        choices: Vec::new(),
        compare_href: None,
        settings_href: None,
    }
    .into_response())
}

/// `GET /panel/feedback.csv?days=&period=`: the report as one spreadsheet, over the
/// viewer's branches; the by-branch lines only for people who may compare branches.
pub async fn csv(State(state): State<PanelState>, ctx: Ctx, Query(w): Query<Window>) -> PageResult {
    let (since, until) = w.range();
    let body = reports::csv(
        &state.store,
        &ctx.tenant,
        &reports::Window {
            scope: &ctx.scope(),
            zone: &view::zone(&ctx),
            period: w.period(),
            since,
            until,
        },
        ctx.can(Permission::CompareBranches),
    )
    .await?;
    Ok(view::attachment(
        "text/csv; charset=utf-8",
        "feedback.csv",
        body,
    ))
}
