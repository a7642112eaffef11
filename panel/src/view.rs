//! What every page shares: the frame (language, navigation, CSRF token), number and
//! date formatting in the page's language, and the error page.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};
use crm::clock::Zone;
use crm::jalali::JalaliDate;
use crm::roles::Permission;
use crm::ui::Locale;

use crate::BASE;
use crate::guard::{Ctx, Fail, Visitor};
use crate::i18n::{self, Texts};

/// A link in the navigation bar.
pub struct NavItem {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// The frame around every page.
pub struct Frame {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub dir: &'static str,
    pub base: &'static str,
    pub csrf: String,
    pub title: &'static str,
    /// Empty before sign-in.
    pub nav: Vec<NavItem>,
    pub tenant_name: Option<String>,
    pub user_phone: Option<String>,
    /// This page in the other language.
    pub switch_href: String,
    /// Unread notifications, in the page's digits, when there are any.
    pub unread: Option<String>,
    /// The notifications link (people who see feedback get alerts).
    pub bell: bool,
}

impl Frame {
    /// The frame of a page nobody is signed in to.
    pub fn public(visitor: &Visitor, title: &'static str, path: &str) -> Frame {
        let t = i18n::texts(visitor.locale);
        Frame {
            t,
            lang: visitor.locale.tag(),
            dir: visitor.locale.dir(),
            base: BASE,
            csrf: visitor.csrf.clone(),
            title,
            nav: Vec::new(),
            tenant_name: None,
            user_phone: None,
            switch_href: format!("{BASE}{path}?lang={}", t.other_language_tag),
            unread: None,
            bell: false,
        }
    }

    /// The frame of a tenant page; `current` is the path of the nav entry to highlight.
    pub fn tenant(ctx: &Ctx, title: &'static str, current: &str) -> Frame {
        let mut frame = Frame::public(&ctx.signed.visitor, title, current);
        let t = frame.t;
        let entries = [
            (t.nav_dashboard, "/", Permission::ViewDashboard),
            (t.nav_customers, "/customers", Permission::ViewCustomers),
            (t.nav_club, "/club", Permission::ViewClub),
            (t.nav_members, "/club/members", Permission::ViewClub),
            (t.nav_cases, "/cases", Permission::ViewFeedback),
            (t.nav_feedback, "/feedback", Permission::ViewFeedback),
            (t.nav_bookings, "/bookings", Permission::ViewBookings),
            (t.nav_tables, "/tables", Permission::ViewBookings),
            (t.nav_sessions, "/sessions", Permission::ViewSessions),
            (t.nav_routers, "/routers", Permission::ViewRouters),
            (t.nav_groups, "/groups", Permission::ViewGroups),
            (t.nav_vouchers, "/vouchers", Permission::ViewVouchers),
            (t.nav_people, "/people", Permission::ManagePeople),
            (t.nav_audit, "/audit", Permission::ViewAudit),
        ];
        frame.nav = entries
            .into_iter()
            .filter(|(_, _, p)| ctx.can(*p))
            .map(|(label, path, _)| NavItem {
                label,
                href: format!("{BASE}{path}"),
                current: path == current,
            })
            .collect();
        frame.tenant_name = Some(ctx.tenant.name.clone());
        frame.unread = (ctx.unread > 0).then(|| num(ctx.locale(), ctx.unread));
        // Those who get notifications: low-score alerts, fraud flags, or any unread one.
        frame.bell = ctx.can(Permission::ViewFeedback)
            || ctx.can(Permission::ClearFraudFlags)
            || ctx.unread > 0;
        frame.user_phone = Some(ctx.locale().digits(&national(&ctx.signed.user.phone)));
        frame
    }
}

/// `+989121234567` → `09121234567`.
pub fn national(e164: &str) -> String {
    crm::phone::Phone::parse(e164)
        .map(|p| p.national())
        .unwrap_or_else(|_| e164.to_string())
}

/// A count in the page's digits.
pub fn num(locale: Locale, n: i64) -> String {
    locale.digits(&n.to_string())
}

/// `٫` in Persian, `.` in English.
pub fn decimal_point(locale: Locale) -> &'static str {
    match locale {
        Locale::Fa => "٫",
        Locale::En => ".",
    }
}

/// `٪` in Persian, `%` in English.
pub fn percent_sign(locale: Locale) -> &'static str {
    match locale {
        Locale::Fa => "٪",
        Locale::En => "%",
    }
}

/// Bytes as people read them: `1.5 GB` / `۱٫۵ گیگابایت`.
pub fn bytes(locale: Locale, n: i64) -> String {
    let units: [(&str, &str); 5] = [
        ("B", "بایت"),
        ("KB", "کیلوبایت"),
        ("MB", "مگابایت"),
        ("GB", "گیگابایت"),
        ("TB", "ترابایت"),
    ];
    let mut value = n.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = if unit == 0 || value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    match locale {
        Locale::Fa => format!(
            "{} {}",
            locale.digits(&text).replace('.', "٫"),
            units[unit].1
        ),
        Locale::En => format!("{text} {}", units[unit].0),
    }
}

/// Seconds as `1:05:09` in the page's digits.
pub fn duration(locale: Locale, secs: i64) -> String {
    let secs = secs.max(0);
    locale.digits(&format!(
        "{}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ))
}

/// A Jalali day key as `۱۳ آذر ۱۴۰۵` / `13 Azar 1405`.
pub fn day(locale: Locale, day_key: i64) -> String {
    JalaliDate::from_day_key(day_key)
        .map(|d| locale.digits(&d.long(locale == Locale::Fa)))
        .unwrap_or_default()
}

/// A moment in the tenant's zone: Jalali date and local time, `۱۴۰۵/۰۹/۱۳ ۱۴:۰۵`.
pub fn moment(locale: Locale, zone: &Zone, unix: i64) -> String {
    let Some(date) = JalaliDate::from_day_key(zone.day_key(unix)) else {
        return String::new();
    };
    let (_, minute) = zone.weekday_minute(unix);
    locale.digits(&format!(
        "{}/{:02}/{:02} {:02}:{:02}",
        date.year,
        date.month,
        date.day,
        minute / 60,
        minute % 60
    ))
}

pub fn zone(ctx: &Ctx) -> Zone {
    Zone::of(&ctx.tenant)
        .or_else(|_| Zone::named("Asia/Tehran"))
        .expect("the bundled zone database has Asia/Tehran")
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    f: Frame,
    message: &'static str,
    home: bool,
}

/// The page for a refused or failed request, in the visitor's language.
/// A file the browser saves as `name` rather than shows (exports, router set-up files);
/// never cached, as some carry secrets.
pub fn attachment(content_type: &str, name: &str, body: impl Into<axum::body::Body>) -> Response {
    use axum::http::header;
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body.into(),
    )
        .into_response()
}

pub fn failure(visitor: &Visitor, ctx: Option<&Ctx>, fail: Fail) -> Response {
    let t = i18n::texts(visitor.locale);
    let message = match fail {
        Fail::NotFound => t.not_found,
        Fail::Forbidden => t.forbidden,
        Fail::Csrf => t.csrf_failed,
        Fail::TooLarge => t.form_too_large,
        Fail::Server => t.server_error,
    };
    let f = match ctx {
        Some(ctx) => Frame::tenant(ctx, t.error_title, ""),
        None => Frame::public(visitor, t.error_title, "/"),
    };
    let status = fail.into_response().status();
    (
        status,
        ErrorPage {
            f,
            message,
            home: ctx.is_some(),
        },
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(bytes(Locale::En, 1536 * 1024 * 1024), "1.5 GB");
        assert_eq!(bytes(Locale::Fa, 1536 * 1024 * 1024), "۱٫۵ گیگابایت");
        assert_eq!(bytes(Locale::En, 12), "12 B");
        assert_eq!(duration(Locale::En, 3909), "1:05:09");
        assert_eq!(day(Locale::Fa, 20261204), "۱۳ آذر ۱۴۰۵");
        let tehran = Zone::named("Asia/Tehran").unwrap();
        // 2026-12-04 10:30 UTC = 14:00 in Tehran (UTC+3:30).
        assert_eq!(
            moment(Locale::En, &tehran, 1_796_380_200),
            "1405/09/13 14:00"
        );
    }
}
