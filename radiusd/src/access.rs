//! Access-Request: who is this, is the proof right, may they go online now, and with
//! which limits. Everything but a token's first use is answered from memory.

use crm::devices::normalize_mac;
use crm::groups::{Exhausted, Group};
use crm::hotspot::{Credential, Login, Subject};
use crm::usage::UsageToDate;
use subtle::ConstantTimeEq;

use crate::class;
use crate::messages::RejectReason;
use crate::packet::dictionary::{self as attr, mikrotik};
use crate::packet::{Code, Packet, PacketBuilder, decrypt_user_password, verify_chap};
use crate::registry::NasEntry;
use crate::server::Shared;

/// The answer to one Access-Request, before signing.
pub enum Decision {
    Accept(Box<Grant>),
    Reject(RejectReason),
}

/// What an accepted login gets, in RADIUS terms.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Grant {
    pub rate_limit: Option<String>,
    pub session_timeout: Option<u32>,
    pub idle_timeout: Option<u32>,
    pub interim_interval: u32,
    pub total_limit: Option<u64>,
    pub address_list: Option<String>,
    pub class: String,
}

pub async fn decide(
    shared: &Shared,
    nas: &NasEntry,
    req: &Packet<'_>,
    now: i64,
) -> crm::Result<Decision> {
    use Decision::Reject;
    use RejectReason::*;
    let Some(username) = req.string(attr::USER_NAME).filter(|u| !u.is_empty()) else {
        return Ok(Reject(BadCredentials));
    };
    let tenant_id = nas.nas.tenant_id;
    let Some(login) = shared.subscribers.login(tenant_id, username).await? else {
        return Ok(Reject(BadCredentials));
    };
    if let Err(reason) = check_login(&login, req, nas.secret(), now) {
        return Ok(Reject(reason));
    }
    let group = shared.subscribers.group(login.group_id).await?;
    if let Err(reason) = check_group(shared, nas, &login, &group, now) {
        return Ok(Reject(reason));
    }
    let usage = if group.policy.has_quota() {
        shared
            .subscribers
            .usage(tenant_id, login.subject, nas.zone.day_key(now), &nas.zone)
            .await?
    } else {
        UsageToDate::default()
    };
    let mut grant = match grant(&login, &group, &usage) {
        Ok(g) => g,
        Err(reason) => return Ok(Reject(reason)),
    };
    cap_to_validity(&mut grant, &login, now);
    if let (
        Credential::Account {
            valid_for: Some(_), ..
        },
        Subject::Account(id),
    ) = (&login.credential, login.subject)
    {
        // A voucher's validity starts with its first accepted login (once, across nodes).
        crm::vouchers::mark_first_use(&shared.store, id, now).await?;
        shared.subscribers.forget_login(tenant_id, username);
    }
    if let Credential::Token { id, .. } = login.credential {
        // The one write on the auth path: single use must hold across nodes.
        let first_use = crm::hotspot::consume_token(&shared.store, id).await?;
        shared.subscribers.forget_login(tenant_id, username);
        if !first_use {
            return Ok(Reject(AlreadyUsed));
        }
    }
    Ok(Decision::Accept(Box::new(grant)))
}

/// An account or voucher that stops working soon ends the session then.
fn cap_to_validity(grant: &mut Grant, login: &Login, now: i64) {
    let left = match &login.credential {
        Credential::Account {
            valid_for: Some(v), ..
        } => Some(*v),
        Credential::Account {
            expires_at: Some(t),
            ..
        } => Some(t - now),
        _ => None,
    };
    if let Some(left) = left {
        let left = u32::try_from(left.max(1)).unwrap_or(u32::MAX);
        grant.session_timeout = Some(grant.session_timeout.map_or(left, |s| s.min(left)));
    }
}

/// The proof, then what the credential itself allows.
fn check_login(
    login: &Login,
    req: &Packet<'_>,
    secret: &[u8],
    now: i64,
) -> Result<(), RejectReason> {
    use RejectReason::*;
    if !proof_is_valid(login, req, secret) {
        return Err(BadCredentials);
    }
    if login.disabled {
        return Err(Disabled);
    }
    match &login.credential {
        Credential::Account { expires_at, .. } => {
            if expires_at.is_some_and(|t| t <= now) {
                return Err(Expired);
            }
        }
        Credential::Token {
            expires_at,
            used,
            mac,
            ..
        } => {
            if *used {
                return Err(AlreadyUsed);
            }
            if *expires_at <= now {
                return Err(Expired);
            }
            if let Some(bound) = mac {
                if calling_mac(req).as_deref() != Some(bound.as_str()) {
                    return Err(OtherDevice);
                }
            }
        }
        Credential::Device {
            remembered_until, ..
        } => {
            if !remembered_until.is_some_and(|t| t > now) {
                return Err(Expired);
            }
        }
    }
    Ok(())
}

/// What the group allows right now: its hours and its simultaneous devices.
fn check_group(
    shared: &Shared,
    nas: &NasEntry,
    login: &Login,
    group: &Group,
    now: i64,
) -> Result<(), RejectReason> {
    let policy = &group.policy;
    if let Some(hours) = policy.hours() {
        let (weekday, minute) = nas.zone.weekday_minute(now);
        if !hours.contains(weekday, minute) {
            return Err(RejectReason::OutsideHours);
        }
    }
    if let Some(limit) = policy.simultaneous_devices {
        if shared.subscribers.live_sessions(login.subject) as i64 >= limit {
            return Err(RejectReason::TooManyDevices);
        }
    }
    Ok(())
}

/// PAP or CHAP against the credential's password; MAC login against the MAC itself.
fn proof_is_valid(login: &Login, req: &Packet<'_>, secret: &[u8]) -> bool {
    let password = match &login.credential {
        Credential::Account { password, .. } | Credential::Token { password, .. } => {
            password.expose()
        }
        Credential::Device { mac, .. } => {
            // RouterOS `login-by=mac` sends the client's MAC as User-Name and as
            // Calling-Station-Id, with an empty, MAC or `mac-auth-password` password (or
            // none). The router, authenticated by the shared secret, vouches for the MAC;
            // a password adds nothing, so only the MAC is checked.
            return calling_mac(req).as_deref() == Some(mac.as_str());
        }
    };
    password_matches(req, password.as_bytes(), secret)
}

fn password_matches(req: &Packet<'_>, expected: &[u8], secret: &[u8]) -> bool {
    if let Some(hidden) = req.attribute(attr::USER_PASSWORD) {
        return match decrypt_user_password(hidden, secret, req.authenticator()) {
            Ok(given) => given.as_bytes().ct_eq(expected).into(),
            Err(_) => false,
        };
    }
    if let Some(chap) = req.attribute(attr::CHAP_PASSWORD) {
        return verify_chap(chap, expected, req.chap_challenge());
    }
    false
}

fn calling_mac(req: &Packet<'_>) -> Option<String> {
    req.string(attr::CALLING_STATION_ID)
        .and_then(|m| normalize_mac(m).ok())
}

/// The group's limits, cut down to what is left of today's and this month's quotas.
/// Once a quota is used up the guest is refused — or, if the group throttles instead,
/// let on at the throttle rate without the quota limits.
pub fn grant(login: &Login, group: &Group, usage: &UsageToDate) -> Result<Grant, RejectReason> {
    let p = &group.policy;
    let left = p.quota_left(usage);
    let (rate_limit, time_left, total_limit) = match (left.exhausted, &p.throttle_rate) {
        (None, None) => (p.mikrotik_rate_limit(), left.time, left.data),
        // A throttling group's guests are never cut by the router (Total-Limit or a
        // quota-shortened Session-Timeout would): interim updates slow them down instead.
        (None, Some(_)) => (p.mikrotik_rate_limit(), None, None),
        (Some(_), Some(slow)) => (Some(slow.clone()), None, None),
        (Some(Exhausted::DailyTime), None) => return Err(RejectReason::DailyTimeUsed),
        (Some(Exhausted::DailyData), None) => return Err(RejectReason::DailyDataUsed),
        (Some(Exhausted::MonthlyData), None) => return Err(RejectReason::MonthlyDataUsed),
    };
    let session_timeout = match (p.session_timeout, time_left) {
        (Some(s), Some(t)) => Some(s.min(t)),
        (s, t) => s.or(t),
    };
    let clamp = |v: i64| u32::try_from(v.max(1)).unwrap_or(u32::MAX);
    Ok(Grant {
        rate_limit,
        session_timeout: session_timeout.map(clamp),
        idle_timeout: p.idle_timeout.map(clamp),
        interim_interval: clamp(p.interim_interval),
        total_limit: total_limit.map(|t| t as u64),
        address_list: p.address_list.clone(),
        class: class::encode(login.subject, group.id),
    })
}

/// Signs the decision as Access-Accept or Access-Reject.
pub fn encode(decision: &Decision, req: &Packet<'_>, secret: &[u8], locale: &str) -> Vec<u8> {
    match decision {
        Decision::Reject(reason) => {
            let mut b = PacketBuilder::reply(req, Code::AccessReject);
            let _ = b.add_str(attr::REPLY_MESSAGE, reason.message(locale));
            let _ = b.add_from(req, attr::PROXY_STATE);
            b.finish_reply(req, secret)
        }
        Decision::Accept(g) => {
            let mut b = PacketBuilder::reply(req, Code::AccessAccept);
            // Values are bounded by validation (rate strings, list names), so adding
            // cannot overflow a packet; an error would only drop that attribute.
            if let Some(rate) = &g.rate_limit {
                let _ = b.add_vsa_str(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT, rate);
            }
            if let Some(t) = g.session_timeout {
                let _ = b.add_u32(attr::SESSION_TIMEOUT, t);
            }
            if let Some(t) = g.idle_timeout {
                let _ = b.add_u32(attr::IDLE_TIMEOUT, t);
            }
            let _ = b.add_u32(attr::ACCT_INTERIM_INTERVAL, g.interim_interval);
            if let Some(total) = g.total_limit {
                let _ = b.add_vsa_u32(mikrotik::VENDOR_ID, mikrotik::TOTAL_LIMIT, total as u32);
                let _ = b.add_vsa_u32(
                    mikrotik::VENDOR_ID,
                    mikrotik::TOTAL_LIMIT_GIGAWORDS,
                    (total >> 32) as u32,
                );
            }
            if let Some(list) = &g.address_list {
                let _ = b.add_vsa_str(mikrotik::VENDOR_ID, mikrotik::ADDRESS_LIST, list);
            }
            let _ = b.add_str(attr::CLASS, &g.class);
            let _ = b.add_from(req, attr::PROXY_STATE);
            b.finish_reply(req, secret)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm::groups::GroupPolicy;
    use crm::hotspot::Subject;
    use crm::secret::Secret;
    use crm::usage::Usage;

    fn login() -> Login {
        Login {
            tenant_id: 1,
            subject: Subject::Customer(5),
            group_id: 2,
            disabled: false,
            credential: Credential::Account {
                password: Secret::new("x"),
                expires_at: None,
                valid_for: None,
            },
        }
    }

    fn group(policy: GroupPolicy) -> Group {
        Group {
            id: 2,
            tenant_id: 1,
            name: "g".into(),
            is_default: false,
            policy,
        }
    }

    #[test]
    fn remaining_quota_shapes_the_grant() {
        let g = group(GroupPolicy {
            rate_limit: Some("1M/2M".into()),
            session_timeout: Some(3600),
            daily_time_quota: Some(7200),
            daily_data_quota: Some(1000),
            monthly_data_quota: Some(5000),
            interim_interval: 300,
            ..Default::default()
        });
        let fresh = grant(&login(), &g, &UsageToDate::default()).unwrap();
        assert_eq!(fresh.session_timeout, Some(3600));
        assert_eq!(fresh.total_limit, Some(1000));
        assert_eq!(fresh.class, "smartx:c5:g2");
        let used = |time, day_octets, month_octets| UsageToDate {
            day: Usage {
                session_time: time,
                input_octets: day_octets,
                output_octets: 0,
            },
            month: Usage {
                session_time: time,
                input_octets: month_octets,
                output_octets: 0,
            },
        };
        let g2 = grant(&login(), &g, &used(6000, 100, 4500)).unwrap();
        assert_eq!(g2.session_timeout, Some(1200));
        assert_eq!(g2.total_limit, Some(500));
        assert_eq!(
            grant(&login(), &g, &used(7200, 0, 0)),
            Err(RejectReason::DailyTimeUsed)
        );
        assert_eq!(
            grant(&login(), &g, &used(0, 1000, 1000)),
            Err(RejectReason::DailyDataUsed)
        );
        assert_eq!(
            grant(&login(), &g, &used(0, 10, 5000)),
            Err(RejectReason::MonthlyDataUsed)
        );

        // The same group throttling instead: never cut, slowed once a quota is used up.
        let mut slowing = g.clone();
        slowing.policy.throttle_rate = Some("64k/128k".into());
        let before = grant(&login(), &slowing, &used(6000, 100, 4500)).unwrap();
        assert_eq!(
            (
                before.rate_limit.as_deref(),
                before.session_timeout,
                before.total_limit
            ),
            (Some("1M/2M"), Some(3600), None)
        );
        let after = grant(&login(), &slowing, &used(7200, 1000, 5000)).unwrap();
        assert_eq!(
            (
                after.rate_limit.as_deref(),
                after.session_timeout,
                after.total_limit
            ),
            (Some("64k/128k"), Some(3600), None)
        );
    }

    #[test]
    fn big_quotas_use_gigawords() {
        let g = group(GroupPolicy {
            daily_data_quota: Some(10 << 30),
            interim_interval: 60,
            ..Default::default()
        });
        let grant = grant(&login(), &g, &UsageToDate::default()).unwrap();
        assert_eq!(grant.total_limit, Some(10 << 30));
        assert_eq!(grant.rate_limit, None);
    }
}
