//! Dates and times as a guest reads them: Jalali dates with weekday names, local times,
//! in the page's language and digits.

use crm::clock::{self, Zone};
use crm::jalali::JalaliDate;
use crm::reservations::BookingRules;
use crm::ui::Locale;

use crate::i18n;

/// One choice in the day list.
pub struct DayOption {
    /// `YYYYMMDD` (Gregorian day key, what the forms carry).
    pub key: i64,
    pub label: String,
    pub selected: bool,
}

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `یکشنبه ۱۶ آذر ۱۴۰۵` / `Sunday 16 Azar 1405 (6 Dec)`.
pub fn day_label(zone: &Zone, key: i64, locale: Locale) -> String {
    let weekday = zone
        .start_of_day(key)
        .map(|start| zone.weekday_minute(start).0)
        .unwrap_or(0);
    let name = i18n::texts(locale).weekdays[usize::from(weekday % 7)];
    let Some(jalali) = JalaliDate::from_day_key(key) else {
        return key.to_string();
    };
    match locale {
        Locale::Fa => locale.digits(&format!("{name} {}", jalali.long(true))),
        Locale::En => format!(
            "{name} {} ({} {})",
            jalali.long(false),
            key % 100,
            MONTHS_EN[usize::try_from(key / 100 % 100 - 1).unwrap_or(0).min(11)]
        ),
    }
}

/// `۱۹:۳۰` / `19:30` in the branch's zone.
pub fn time_label(zone: &Zone, unix: i64, locale: Locale) -> String {
    locale.digits(&zone.hh_mm(unix))
}

/// The days a guest may pick: today up to the branch's horizon, without closed dates.
pub fn day_options(
    rules: &BookingRules,
    now: i64,
    locale: Locale,
    selected: Option<i64>,
) -> Vec<DayOption> {
    let today = rules.zone.day_key(now);
    (0..=rules.max_days_ahead.min(60))
        .filter_map(|i| clock::add_days(today, i).ok())
        .filter(|key| !rules.closed.contains(key))
        .map(|key| DayOption {
            key,
            label: day_label(&rules.zone, key, locale),
            selected: Some(key) == selected,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_both_languages() {
        let zone = Zone::named("Asia/Tehran").unwrap();
        assert_eq!(day_label(&zone, 20261206, Locale::Fa), "یکشنبه ۱۵ آذر ۱۴۰۵");
        assert_eq!(
            day_label(&zone, 20261206, Locale::En),
            "Sunday 15 Azar 1405 (6 Dec)"
        );
        let seven_pm = zone.at(20261206, "19:30").unwrap();
        assert_eq!(time_label(&zone, seven_pm, Locale::Fa), "۱۹:۳۰");
        assert_eq!(time_label(&zone, seven_pm, Locale::En), "19:30");
    }
}
