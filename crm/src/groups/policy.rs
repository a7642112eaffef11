//! What a group grants: bandwidth, time and data limits, and how the router is told.

use super::hours::AllowedHours;
use super::rule::MembershipRule;
use crate::error::{Error, Result};
use crate::usage::UsageToDate;

/// The limits every member of a group gets. `None` means "no limit".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupPolicy {
    /// Sustained rate as the router sees it: `rx/tx` (rx = client upload), e.g. `1M/4M`.
    pub rate_limit: Option<String>,
    /// Burst rate `rx/tx`; needs `burst_threshold` and `burst_time` too.
    pub burst_limit: Option<String>,
    pub burst_threshold: Option<String>,
    /// Seconds, `rx/tx` or one number for both.
    pub burst_time: Option<String>,
    /// Queue priority 1 (highest) … 8 (lowest).
    pub priority: Option<i64>,
    pub session_timeout: Option<i64>,
    pub idle_timeout: Option<i64>,
    pub daily_time_quota: Option<i64>,
    pub daily_data_quota: Option<i64>,
    pub monthly_data_quota: Option<i64>,
    pub simultaneous_devices: Option<i64>,
    /// Canonical `AllowedHours` text, e.g. `sat-wed 08:00-23:00`.
    pub allowed_hours: Option<String>,
    /// Seconds between accounting interim updates the router is asked for.
    pub interim_interval: i64,
    /// Firewall address list the router puts the client's IP in.
    pub address_list: Option<String>,
    /// When a quota runs out: `None` cuts the guest off (reject, Disconnect); a rate
    /// (`rx/tx`) keeps them online that slowly instead (accept, CoA).
    pub throttle_rate: Option<String>,
    /// Customers move in and out of this group automatically by this rule
    /// (canonical `MembershipRule` text, e.g. `visits>=5/30d`).
    pub membership_rule: Option<String>,
}

/// Which quota ran out first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    DailyTime,
    DailyData,
    MonthlyData,
}

/// What is left of a group's quotas given usage so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotaLeft {
    /// Seconds left today, if the group counts time.
    pub time: Option<i64>,
    /// Octets left (the smaller of today's and this month's), if the group counts data.
    pub data: Option<i64>,
    pub exhausted: Option<Exhausted>,
}

/// A field of a group's policy, as forms name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyField {
    RateLimit,
    BurstLimit,
    BurstThreshold,
    BurstTime,
    Priority,
    SessionTimeout,
    IdleTimeout,
    DailyTime,
    DailyData,
    MonthlyData,
    Devices,
    AllowedHours,
    InterimInterval,
    AddressList,
    ThrottleRate,
    MembershipRule,
}

/// Why a field was refused, for a message in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyProblem {
    /// Not `rx/tx` such as `512k/2M`.
    NotRate,
    /// Not whole seconds, `rx/tx` or one number.
    NotBurstTime,
    /// Burst needs limit, threshold and time together.
    BurstIncomplete,
    /// Burst and priority shape a rate limit, so need one.
    NeedsRateLimit,
    PriorityRange,
    NotPositive,
    DevicesAtLeastOne,
    InterimRange,
    BadHours,
    BadRule,
    BadAddressList,
}

/// One refused field, with the English message the command line shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyIssue {
    pub field: PolicyField,
    pub problem: PolicyProblem,
    pub message: String,
}

impl GroupPolicy {
    /// Checks every field and rewrites rates and hours into canonical form; the first
    /// problem as the error.
    pub fn validate(self) -> Result<GroupPolicy> {
        self.checked()
            .map_err(|mut issues| Error::Invalid(issues.swap_remove(0).message))
    }

    /// [`validate`](Self::validate) reporting every refused field, so a form can say
    /// what is wrong next to each.
    pub fn checked(mut self) -> Result<GroupPolicy, Vec<PolicyIssue>> {
        use PolicyField as F;
        use PolicyProblem as P;
        let mut issues = Vec::new();
        let mut issue = |field, problem, message: String| {
            issues.push(PolicyIssue {
                field,
                problem,
                message,
            })
        };
        for (field, value, what) in [
            (F::RateLimit, &mut self.rate_limit, "rate limit"),
            (F::BurstLimit, &mut self.burst_limit, "burst limit"),
            (
                F::BurstThreshold,
                &mut self.burst_threshold,
                "burst threshold",
            ),
            (F::ThrottleRate, &mut self.throttle_rate, "throttle rate"),
        ] {
            match canonical(value.take(), canonical_rate_pair) {
                Ok(v) => *value = v,
                Err(v) => issue(
                    field,
                    P::NotRate,
                    format!(
                        "{what} {v:?} is not valid: expected rx/tx such as 512k/2M (or one value for both)"
                    ),
                ),
            }
        }
        match canonical(self.burst_time.take(), canonical_burst_time) {
            Ok(v) => self.burst_time = v,
            Err(v) => issue(
                F::BurstTime,
                P::NotBurstTime,
                format!("burst time {v:?} is not valid: expected seconds, rx/tx such as 10/20"),
            ),
        }
        let burst_parts = [
            (F::BurstLimit, &self.burst_limit),
            (F::BurstThreshold, &self.burst_threshold),
            (F::BurstTime, &self.burst_time),
        ];
        let given = burst_parts.iter().filter(|(_, p)| p.is_some()).count();
        if given != 0 && given != 3 {
            for (field, _) in burst_parts.iter().filter(|(_, p)| p.is_none()) {
                issue(
                    *field,
                    P::BurstIncomplete,
                    "burst needs all three of burst limit, burst threshold and burst time".into(),
                );
            }
        }
        if given == 3 && self.rate_limit.is_none() {
            issue(
                F::RateLimit,
                P::NeedsRateLimit,
                "burst needs a rate limit".into(),
            );
        }
        if let Some(p) = self.priority {
            if !(1..=8).contains(&p) {
                issue(
                    F::Priority,
                    P::PriorityRange,
                    format!("priority {p} is not between 1 and 8"),
                );
            } else if self.rate_limit.is_none() {
                issue(
                    F::Priority,
                    P::NeedsRateLimit,
                    "priority needs a rate limit".into(),
                );
            }
        }
        for (field, name, value) in [
            (F::SessionTimeout, "session timeout", self.session_timeout),
            (F::IdleTimeout, "idle timeout", self.idle_timeout),
            (F::DailyTime, "daily time quota", self.daily_time_quota),
            (F::DailyData, "daily data quota", self.daily_data_quota),
            (
                F::MonthlyData,
                "monthly data quota",
                self.monthly_data_quota,
            ),
        ] {
            if matches!(value, Some(v) if v <= 0) {
                issue(field, P::NotPositive, format!("{name} must be positive"));
            }
        }
        if matches!(self.simultaneous_devices, Some(n) if n < 1) {
            issue(
                F::Devices,
                P::DevicesAtLeastOne,
                "simultaneous devices must be at least 1".into(),
            );
        }
        if !(10..=86_400).contains(&self.interim_interval) {
            issue(
                F::InterimInterval,
                P::InterimRange,
                "interim interval must be between 10 seconds and 1 day".into(),
            );
        }
        match self.allowed_hours.take() {
            Some(text) if !text.trim().is_empty() => match text.parse::<AllowedHours>() {
                Ok(hours) => self.allowed_hours = Some(hours.to_string()),
                Err(e) => issue(F::AllowedHours, P::BadHours, e.to_string()),
            },
            _ => {}
        }
        match self.membership_rule.take() {
            Some(text) if !text.trim().is_empty() => match text.parse::<MembershipRule>() {
                Ok(rule) => self.membership_rule = Some(rule.to_string()),
                Err(e) => issue(F::MembershipRule, P::BadRule, e.to_string()),
            },
            _ => {}
        }
        match self.address_list.take() {
            Some(name) if !name.trim().is_empty() => {
                let name = name.trim().to_string();
                if name.len() > 63 || name.chars().any(|c| c.is_whitespace() || c == '"') {
                    issue(
                        F::AddressList,
                        P::BadAddressList,
                        format!(
                            "address list {name:?} must be a single word of at most 63 characters"
                        ),
                    );
                } else {
                    self.address_list = Some(name);
                }
            }
            _ => {}
        }
        if issues.is_empty() {
            Ok(self)
        } else {
            Err(issues)
        }
    }

    /// The `Mikrotik-Rate-Limit` value:
    /// `rx/tx [burst-rx/burst-tx threshold-rx/threshold-tx time-rx/time-tx [priority]]`.
    pub fn mikrotik_rate_limit(&self) -> Option<String> {
        let rate = self.rate_limit.as_ref()?;
        let mut out = rate.clone();
        match (&self.burst_limit, &self.burst_threshold, &self.burst_time) {
            (Some(limit), Some(threshold), Some(time)) => {
                out.push_str(&format!(" {limit} {threshold} {time}"));
            }
            // A priority is positional: without burst, zero burst fields stand in.
            _ if self.priority.is_some() => out.push_str(" 0/0 0/0 0/0"),
            _ => {}
        }
        if let Some(p) = self.priority {
            out.push_str(&format!(" {p}"));
        }
        Some(out)
    }

    pub fn hours(&self) -> Option<AllowedHours> {
        self.allowed_hours.as_deref().and_then(|h| h.parse().ok())
    }

    pub fn rule(&self) -> Option<MembershipRule> {
        self.membership_rule.as_deref().and_then(|r| r.parse().ok())
    }

    pub fn has_quota(&self) -> bool {
        self.daily_time_quota.is_some()
            || self.daily_data_quota.is_some()
            || self.monthly_data_quota.is_some()
    }

    /// The one place quotas are compared with usage: at login (what to grant) and on
    /// every interim update (whether to cut or throttle a live session).
    pub fn quota_left(&self, usage: &UsageToDate) -> QuotaLeft {
        let mut left = QuotaLeft::default();
        if let Some(quota) = self.daily_time_quota {
            let t = quota - usage.day.session_time;
            left.time = Some(t);
            if t <= 0 {
                left.exhausted = Some(Exhausted::DailyTime);
            }
        }
        for (quota, used, which) in [
            (
                self.daily_data_quota,
                usage.day.octets(),
                Exhausted::DailyData,
            ),
            (
                self.monthly_data_quota,
                usage.month.octets(),
                Exhausted::MonthlyData,
            ),
        ] {
            if let Some(quota) = quota {
                let d = quota - used;
                left.data = Some(left.data.map_or(d, |x| x.min(d)));
                if d <= 0 && left.exhausted.is_none() {
                    left.exhausted = Some(which);
                }
            }
        }
        left
    }
}

/// The canonical text of an optional value (empty = none); `Err` gives back what
/// could not be read.
fn canonical(
    value: Option<String>,
    f: fn(&str) -> Option<String>,
) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => f(v.trim()).map(Some).ok_or(v),
    }
}

/// `2M/4M`, `512k`, `1500000/3000000` → canonical `rx/tx` with k/M/G suffixes.
fn canonical_rate_pair(s: &str) -> Option<String> {
    let (rx, tx) = s.split_once('/').unwrap_or((s, s));
    Some(format!("{}/{}", canonical_rate(rx)?, canonical_rate(tx)?))
}

fn canonical_rate(s: &str) -> Option<String> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(digits_end);
    let n: u64 = number.parse().ok()?;
    let unit = match unit {
        "" => "",
        "k" | "K" => "k",
        "m" | "M" => "M",
        "g" | "G" => "G",
        _ => return None,
    };
    Some(format!("{n}{unit}"))
}

fn canonical_burst_time(s: &str) -> Option<String> {
    let (rx, tx) = s.split_once('/').unwrap_or((s, s));
    let rx: u32 = rx.parse().ok()?;
    let tx: u32 = tx.parse().ok()?;
    Some(format!("{rx}/{tx}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> GroupPolicy {
        GroupPolicy {
            interim_interval: 300,
            ..GroupPolicy::default()
        }
    }

    #[test]
    fn rate_limit_string_follows_routeros_syntax() {
        let p = GroupPolicy {
            rate_limit: Some("1m/2M".into()),
            burst_limit: Some("2M/8M".into()),
            burst_threshold: Some("1M/2M".into()),
            burst_time: Some("10".into()),
            priority: Some(8),
            ..policy()
        }
        .validate()
        .unwrap();
        assert_eq!(
            p.mikrotik_rate_limit().unwrap(),
            "1M/2M 2M/8M 1M/2M 10/10 8"
        );
        let p = GroupPolicy {
            rate_limit: Some("512k".into()),
            priority: Some(3),
            ..policy()
        }
        .validate()
        .unwrap();
        assert_eq!(p.mikrotik_rate_limit().unwrap(), "512k/512k 0/0 0/0 0/0 3");
        assert_eq!(policy().validate().unwrap().mikrotik_rate_limit(), None);
    }

    #[test]
    fn rejects_bad_policies() {
        let bad = [
            GroupPolicy {
                rate_limit: Some("fast".into()),
                ..policy()
            },
            GroupPolicy {
                rate_limit: Some("1M/2X".into()),
                ..policy()
            },
            GroupPolicy {
                rate_limit: Some("1M".into()),
                burst_limit: Some("2M".into()),
                ..policy()
            },
            GroupPolicy {
                rate_limit: Some("1M".into()),
                priority: Some(9),
                ..policy()
            },
            GroupPolicy {
                priority: Some(2),
                ..policy()
            },
            GroupPolicy {
                session_timeout: Some(0),
                ..policy()
            },
            GroupPolicy {
                simultaneous_devices: Some(0),
                ..policy()
            },
            GroupPolicy {
                interim_interval: 1,
                ..policy()
            },
            GroupPolicy {
                allowed_hours: Some("25:00-26:00".into()),
                ..policy()
            },
            GroupPolicy {
                address_list: Some("two words".into()),
                ..policy()
            },
        ];
        for p in bad {
            assert!(p.clone().validate().is_err(), "{p:?}");
        }
    }
}
