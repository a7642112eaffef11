//! One-time codes sent by SMS: issued under rate limits, stored only as salted hashes,
//! short-lived, and locked after a few wrong tries.
//!
//! Limits (per hour unless said): one code per phone per minute, 5 per phone, 10 per
//! device (MAC), 20 per client IP, 500 per tenant (SMS-pumping protection). A code lives
//! 2 minutes and allows 5 attempts.

use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::Row;
use subtle::ConstantTimeEq;

use crate::error::Result;
use crate::phone::Phone;
use crate::ratelimit::{self, Limit, Verdict};
use crate::store::Store;
use crate::tenants::Tenant;

pub const CODE_TTL: i64 = 120;
pub const MAX_ATTEMPTS: i64 = 5;
pub const RESEND_AFTER: i64 = 60;
const HOUR: i64 = 3600;
pub const PER_PHONE: Limit = Limit {
    max: 5,
    window: HOUR,
};
pub const PER_DEVICE: Limit = Limit {
    max: 10,
    window: HOUR,
};
pub const PER_IP: Limit = Limit {
    max: 20,
    window: HOUR,
};
pub const PER_TENANT: Limit = Limit {
    max: 500,
    window: HOUR,
};

/// Where a code request comes from, for the per-device and per-IP limits.
#[derive(Debug, Clone, Default)]
pub struct Requester<'a> {
    /// What the code is for, e.g. `portal` or `panel`.
    pub purpose: &'a str,
    pub mac: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// A code to deliver. The caller sends `code` by SMS and forgets it.
#[derive(Debug)]
pub struct Issued {
    pub challenge_id: i64,
    pub code: String,
    pub expires_at: i64,
}

/// Why a code was not issued or not accepted; each has a message for the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A code was sent to this phone less than a minute ago.
    ResendTooSoon {
        retry_after: i64,
    },
    PhoneLimited {
        retry_after: i64,
    },
    DeviceLimited {
        retry_after: i64,
    },
    IpLimited {
        retry_after: i64,
    },
    TenantLimited {
        retry_after: i64,
    },
    UnknownChallenge,
    Expired,
    TooManyAttempts,
    WrongCode {
        attempts_left: i64,
    },
}

impl Refusal {
    pub fn label(self) -> &'static str {
        match self {
            Refusal::ResendTooSoon { .. } => "resend_too_soon",
            Refusal::PhoneLimited { .. } => "phone_limited",
            Refusal::DeviceLimited { .. } => "device_limited",
            Refusal::IpLimited { .. } => "ip_limited",
            Refusal::TenantLimited { .. } => "tenant_limited",
            Refusal::UnknownChallenge => "unknown_challenge",
            Refusal::Expired => "expired",
            Refusal::TooManyAttempts => "too_many_attempts",
            Refusal::WrongCode { .. } => "wrong_code",
        }
    }
}

fn hash(salt: &str, code: &str) -> String {
    let digest = Sha256::new_with_prefix(salt.as_bytes())
        .chain_update(b":")
        .chain_update(code.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Issues a code for `phone` unless a limit says no.
pub async fn issue(
    store: &Store,
    tenant: &Tenant,
    phone: &Phone,
    who: &Requester<'_>,
    now: i64,
) -> Result<Result<Issued, Refusal>> {
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(created_at) FROM otp_challenges WHERE tenant_id = $1 AND phone = $2 AND purpose = $3",
    )
    .bind(tenant.id)
    .bind(phone.e164())
    .bind(who.purpose)
    .fetch_one(store.pool())
    .await?;
    if let Some(last) = last {
        if now - last < RESEND_AFTER {
            return Ok(Err(Refusal::ResendTooSoon {
                retry_after: RESEND_AFTER - (now - last),
            }));
        }
    }
    let purpose = who.purpose;
    let checks = [
        (
            Some(format!(
                "otp:{purpose}:phone:{}:{}",
                tenant.id,
                phone.e164()
            )),
            PER_PHONE,
            0,
        ),
        (
            who.mac
                .map(|m| format!("otp:{purpose}:mac:{}:{m}", tenant.id)),
            PER_DEVICE,
            1,
        ),
        (
            who.ip
                .map(|ip| format!("otp:{purpose}:ip:{}:{ip}", tenant.id)),
            PER_IP,
            2,
        ),
        (Some(format!("otp:tenant:{}", tenant.id)), PER_TENANT, 3),
    ];
    for (key, limit, which) in checks {
        let Some(key) = key else { continue };
        if let Verdict::Limited { retry_after } = ratelimit::hit(store, &key, limit, now).await? {
            return Ok(Err(match which {
                0 => Refusal::PhoneLimited { retry_after },
                1 => Refusal::DeviceLimited { retry_after },
                2 => Refusal::IpLimited { retry_after },
                _ => Refusal::TenantLimited { retry_after },
            }));
        }
    }
    let digits = tenant.otp_length.clamp(4, 6) as u32;
    let (code, salt) = {
        let mut rng = rand::rng();
        let code = format!(
            "{:0width$}",
            rng.random_range(0..10u32.pow(digits)),
            width = digits as usize
        );
        let salt: String = (0..16)
            .map(|_| format!("{:x}", rng.random_range(0..16u8)))
            .collect();
        (code, salt)
    };
    let expires_at = now + CODE_TTL;
    let challenge_id: i64 = sqlx::query_scalar(
        "INSERT INTO otp_challenges (tenant_id, phone, purpose, code_hash, salt, mac, ip, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(tenant.id)
    .bind(phone.e164())
    .bind(who.purpose)
    .bind(hash(&salt, &code))
    .bind(&salt)
    .bind(who.mac)
    .bind(who.ip)
    .bind(now)
    .bind(expires_at)
    .fetch_one(store.pool())
    .await?;
    Ok(Ok(Issued {
        challenge_id,
        code,
        expires_at,
    }))
}

/// A verified challenge: whose phone it proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub phone: Phone,
    pub mac: Option<String>,
}

/// Checks `code` (ASCII, Persian or Arabic-Indic digits) against a challenge; a right
/// code verifies it once.
pub async fn verify(
    store: &Store,
    tenant: &Tenant,
    challenge_id: i64,
    code: &str,
    now: i64,
) -> Result<Result<Verified, Refusal>> {
    let row = sqlx::query(
        "SELECT phone, code_hash, salt, mac, attempts, expires_at, verified_at FROM otp_challenges \
         WHERE id = $1 AND tenant_id = $2",
    )
    .bind(challenge_id)
    .bind(tenant.id)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else {
        return Ok(Err(Refusal::UnknownChallenge));
    };
    if row.try_get::<Option<i64>, _>("verified_at")?.is_some() {
        return Ok(Err(Refusal::UnknownChallenge));
    }
    if row.try_get::<i64, _>("expires_at")? <= now {
        return Ok(Err(Refusal::Expired));
    }
    // Count the attempt first, atomically, so parallel guesses cannot exceed the limit.
    let attempts: Option<i64> = sqlx::query_scalar(
        "UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 RETURNING attempts",
    )
    .bind(challenge_id)
    .bind(MAX_ATTEMPTS)
    .fetch_optional(store.pool())
    .await?;
    let Some(attempts) = attempts else {
        return Ok(Err(Refusal::TooManyAttempts));
    };
    let given = Phone::digits_only(code);
    let salt: String = row.try_get("salt")?;
    let stored: String = row.try_get("code_hash")?;
    if !bool::from(hash(&salt, &given).as_bytes().ct_eq(stored.as_bytes())) {
        let attempts_left = MAX_ATTEMPTS - attempts;
        return Ok(Err(if attempts_left == 0 {
            Refusal::TooManyAttempts
        } else {
            Refusal::WrongCode { attempts_left }
        }));
    }
    let done = sqlx::query(
        "UPDATE otp_challenges SET verified_at = $2 WHERE id = $1 AND verified_at IS NULL",
    )
    .bind(challenge_id)
    .bind(now)
    .execute(store.pool())
    .await?;
    if done.rows_affected() != 1 {
        return Ok(Err(Refusal::UnknownChallenge));
    }
    let phone: String = row.try_get("phone")?;
    Ok(Ok(Verified {
        phone: Phone::parse(&phone)?,
        mac: row.try_get("mac")?,
    }))
}
