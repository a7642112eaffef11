//! The bookings report of a branch over the last 7, 30 or 90 days: per day bookings,
//! covers, finished, no-shows (rate), cancellations, waitlist, deposits collected and
//! table turnover; and bookings per starting hour (the busy slots).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use crm::clock;
use crm::reservations::bookings::{self, DayReport, Report};
use crm::ui::Locale;
use serde::Deserialize;

use crate::PanelState;
use crate::bookings::{Place, branch_param, place};
use crate::guard::{Ctx, PageResult};
use crate::i18n::{self, BookingTexts};
use crate::view::{self, Frame};

const SPANS: [i64; 3] = [7, 30, 90];

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    branch: String,
    #[serde(default)]
    days: String,
}

pub struct Line {
    day: String,
    bookings: String,
    covers: String,
    finished: String,
    no_shows: String,
    no_show_rate: String,
    cancelled: String,
    waitlisted: String,
    deposits: String,
    turnover: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "booking_report.html")]
struct ReportPage {
    f: Frame,
    b: &'static BookingTexts,
    place: Option<Place>,
    /// (days, label, selected).
    spans: Vec<(i64, String, bool)>,
    lines: Vec<Line>,
    total: Option<Line>,
    /// (`19:00`, count, bar width in percent) for the hours that had bookings.
    hours: Vec<(String, String, i64)>,
}

fn line(locale: Locale, report: &Report, d: &DayReport, label: String) -> Line {
    let n = |v: i64| view::num(locale, v);
    let tenths = report.turnover_tenths(d);
    Line {
        day: label,
        bookings: n(d.bookings),
        covers: n(d.covers),
        finished: n(d.finished),
        no_shows: n(d.no_shows),
        no_show_rate: match locale {
            Locale::Fa => format!("{}٪", n(d.no_show_percent())),
            Locale::En => format!("{}%", d.no_show_percent()),
        },
        cancelled: n(d.cancelled),
        waitlisted: n(d.waitlisted),
        deposits: n(d.deposits),
        turnover: match locale {
            Locale::Fa => format!("{}٫{}", n(tenths / 10), n(tenths % 10)),
            Locale::En => format!("{}.{}", tenths / 10, tenths % 10),
        },
    }
}

/// `GET /panel/bookings/report?branch=&days=30`.
pub async fn page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<ReportQuery>,
) -> PageResult {
    let locale = ctx.locale();
    let b = i18n::booking_texts(locale);
    let span = query
        .days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| SPANS.contains(d))
        .unwrap_or(30);
    let place = place(&state, &ctx, branch_param(&query.branch)).await?;
    let (mut lines, mut total, mut hours) = (Vec::new(), None, Vec::new());
    if let Some(p) = &place {
        let to = p.zone.day_key(clock::now());
        let from = clock::add_days(to, 1 - span)?;
        let report =
            bookings::full_report(&state.store, &ctx.tenant, p.branch.id, from, to).await?;
        lines = report
            .days
            .iter()
            .map(|d| line(locale, &report, d, view::day(locale, d.day)))
            .collect();
        total = Some(line(locale, &report, &report.total(), b.total.to_string()));
        let most = report.by_hour.iter().copied().max().unwrap_or(0).max(1);
        hours = (0..24)
            .zip(report.by_hour)
            .filter(|(_, count)| *count > 0)
            .map(|(h, count)| {
                (
                    locale.digits(&format!("{h:02}:00")),
                    view::num(locale, count),
                    count * 100 / most,
                )
            })
            .collect();
    }
    Ok(ReportPage {
        f: Frame::tenant(&ctx, b.report_title, "/bookings/report"),
        b,
        spans: SPANS
            .iter()
            .map(|d| {
                (
                    *d,
                    b.last_days.replace("{n}", &view::num(locale, *d)),
                    *d == span,
                )
            })
            .collect(),
        place,
        lines,
        total,
        hours,
    }
    .into_response())
}
