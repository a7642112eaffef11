//! The club by SMS: what a text to the club line does.
//!
//! - a tenant's 5-digit club code → the sender joins that club (source `sms`) and gets a
//!   welcome text; texting it again re-subscribes a member who had opted out;
//! - an unknown code or other text → a polite reply saying how to join;
//! - `1`, `موجودی` or `balance` → spendable and pending credit and the next expiry, one
//!   reply per club the sender is a member of (or only the club whose code follows, e.g.
//!   `1 12345`);
//! - `STOP` or `لغو` → opts out of marketing SMS (of every club, or the one whose code
//!   follows);
//! - `تایید` / `انصراف` (confirm / cancel) → the sender's next upcoming booking
//!   (`reservations::replies`).
//!
//! On a tenant's own line (`set_line`), keywords concern that club only and replies come
//! from it; on the shared platform line they concern every club of the sender.
//!
//! Digits may be Persian or Arabic-Indic. Each provider message is handled once (a
//! provider retrying its callback gets the same outcome and no second reply). Replies
//! are queued on the outbox; one to a sender who belongs to no club goes out under the
//! platform's default tenant.

use sqlx::Row;

use super::{JoinSource, join_in};
use crate::error::Result;
use crate::phone::Phone;
use crate::reservations::replies::{self, Answered, Reply};
use crate::store::Store;
use crate::tenants::{self, Tenant};
use crate::{clock, customers, jalali, ledger, sms, ui};

/// One text as the provider reported it.
#[derive(Debug, Clone)]
pub struct InboundSms {
    /// `kavenegar`, `smsir`…
    pub provider: String,
    /// The provider's id for the message (deduplication).
    pub message_id: String,
    /// The sender, any spelling.
    pub from: String,
    /// The line it was sent to, if the provider says.
    pub line: Option<String>,
    pub body: String,
}

/// What a text was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Joined,
    AlreadyMember,
    UnknownCode,
    Balance,
    OptedOut,
    NotMember,
    /// A booking was confirmed or cancelled by the reply.
    Booking,
    /// A booking reply from someone with no upcoming booking.
    NoBooking,
    /// The provider sent this message before; nothing was done again.
    Duplicate,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Joined => "join",
            Outcome::AlreadyMember => "member",
            Outcome::UnknownCode => "unknown_code",
            Outcome::Balance => "balance",
            Outcome::OptedOut => "opt_out",
            Outcome::NotMember => "not_member",
            Outcome::Booking => "booking",
            Outcome::NoBooking => "no_booking",
            Outcome::Duplicate => "duplicate",
        }
    }
}

enum Command {
    Code(String),
    Balance(Option<String>),
    Stop(Option<String>),
    Booking(Reply),
    Other,
}

fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            other => other,
        })
        .collect()
}

fn is_code(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse(body: &str) -> Command {
    let text = ascii_digits(body).trim().to_lowercase();
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("");
    let code = words.next().filter(|w| is_code(w)).map(str::to_string);
    match first {
        "1" | "موجودی" | "balance" => Command::Balance(code),
        "stop" | "لغو" => Command::Stop(code),
        c if is_code(c) => Command::Code(c.to_string()),
        word => Reply::parse(word).map_or(Command::Other, Command::Booking),
    }
}

async fn tenant_by_code(store: &Store, code: &str) -> Result<Option<Tenant>> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM tenants WHERE club_code = $1")
        .bind(code)
        .fetch_optional(store.pool())
        .await?;
    match id {
        Some(id) => Ok(Some(tenants::by_id(store, id).await?)),
        None => Ok(None),
    }
}

/// The clubs `phone` is a member of (only the one with `code`, if given), with the
/// member's customer id there.
async fn memberships(
    store: &Store,
    phone: &Phone,
    code: Option<&str>,
) -> Result<Vec<(Tenant, i64)>> {
    let rows = sqlx::query(
        "SELECT m.tenant_id, m.customer_id, t.club_code FROM club_members m \
         JOIN customers c ON c.id = m.customer_id JOIN tenants t ON t.id = m.tenant_id \
         WHERE c.phone = $1 ORDER BY m.joined_at LIMIT 20",
    )
    .bind(phone.e164())
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let club_code: String = r.try_get("club_code")?;
        if code.is_some_and(|c| c != club_code) {
            continue;
        }
        out.push((
            tenants::by_id(store, r.try_get("tenant_id")?).await?,
            r.try_get("customer_id")?,
        ));
    }
    Ok(out)
}

fn rials(n: i64) -> String {
    ui::persian_digits(&n.to_string())
}

/// Handles one inbound text: records it, acts, queues the replies.
pub async fn handle(store: &Store, msg: &InboundSms, now: i64) -> Result<Outcome> {
    let phone = Phone::parse(&msg.from)?;
    // Claim the provider's message id first: a retried callback stops here.
    let claimed = sqlx::query(
        "INSERT INTO sms_inbound (provider, message_id, phone, line, body, outcome, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT (provider, message_id) DO NOTHING",
    )
    .bind(&msg.provider)
    .bind(&msg.message_id)
    .bind(phone.e164())
    .bind(msg.line.as_deref())
    .bind(msg.body.chars().take(500).collect::<String>())
    .bind(now)
    .execute(store.pool())
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(Outcome::Duplicate);
    }
    let (outcome, tenant_id) = match act(store, &phone, msg.line.as_deref(), &msg.body, now).await {
        Ok(done) => done,
        Err(e) => {
            // Let the provider's retry try again rather than be taken for a duplicate.
            let _ = sqlx::query("DELETE FROM sms_inbound WHERE provider = $1 AND message_id = $2")
                .bind(&msg.provider)
                .bind(&msg.message_id)
                .execute(store.pool())
                .await;
            return Err(e);
        }
    };
    sqlx::query("UPDATE sms_inbound SET outcome = $3, tenant_id = $4 WHERE provider = $1 AND message_id = $2")
        .bind(&msg.provider)
        .bind(&msg.message_id)
        .bind(outcome.as_str())
        .bind(tenant_id)
        .execute(store.pool())
        .await?;
    tracing::info!(
        outcome = outcome.as_str(),
        tenant = tenant_id,
        "inbound club SMS"
    );
    Ok(outcome)
}

const HOW_TO_JOIN: &str =
    "برای عضویت در باشگاه مشتریان، کد ۵ رقمی باشگاه را به همین شماره بفرستید.";

/// A line number as stored: its digits (Persian ones too), nothing else.
fn line_key(line: &str) -> String {
    ascii_digits(line)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Makes `line` the tenant's own SMS line (or with `None` removes the tenant's lines).
pub async fn set_line(store: &Store, tenant: &Tenant, line: Option<&str>) -> Result<()> {
    let Some(line) = line else {
        sqlx::query("DELETE FROM club_lines WHERE tenant_id = $1")
            .bind(tenant.id)
            .execute(store.pool())
            .await?;
        return Ok(());
    };
    let key = line_key(line);
    if !(3..=20).contains(&key.len()) {
        return Err(crate::Error::Invalid(format!(
            "SMS line {line:?}: expected 3 to 20 digits"
        )));
    }
    sqlx::query("INSERT INTO club_lines (line, tenant_id, created_at) VALUES ($1, $2, $3)")
        .bind(&key)
        .bind(tenant.id)
        .bind(clock::now())
        .execute(store.pool())
        .await
        .map_err(|e| {
            crate::error::conflict_if_unique(e, || {
                format!("SMS line {key} already belongs to a club")
            })
        })?;
    Ok(())
}

/// The club whose own line `line` is, if any.
async fn line_tenant(store: &Store, line: Option<&str>) -> Result<Option<Tenant>> {
    let Some(key) = line.map(line_key).filter(|k| !k.is_empty()) else {
        return Ok(None);
    };
    let id: Option<i64> = sqlx::query_scalar("SELECT tenant_id FROM club_lines WHERE line = $1")
        .bind(key)
        .fetch_optional(store.pool())
        .await?;
    match id {
        Some(id) => Ok(Some(tenants::by_id(store, id).await?)),
        None => Ok(None),
    }
}

/// A reply that belongs to no club in particular: from the line's club, or the platform.
async fn reply_general(
    store: &Store,
    own: Option<&Tenant>,
    phone: &Phone,
    text: &str,
) -> Result<()> {
    let tenant = match own {
        Some(t) => t.clone(),
        None => tenants::ensure_default(store).await?,
    };
    sms::enqueue_text(store, &tenant, phone, text, "club_reply").await?;
    Ok(())
}

async fn act(
    store: &Store,
    phone: &Phone,
    line: Option<&str>,
    body: &str,
    now: i64,
) -> Result<(Outcome, Option<i64>)> {
    let own = line_tenant(store, line).await?;
    // On a club's own line, a keyword without a code means that club.
    let scope = |code: Option<String>| code.or_else(|| own.as_ref().map(|t| t.club_code.clone()));
    match parse(body) {
        Command::Code(code) => {
            let Some(tenant) = tenant_by_code(store, &code).await? else {
                let text = format!(
                    "کد {} متعلق به هیچ باشگاهی نیست. {HOW_TO_JOIN}",
                    ui::persian_digits(&code)
                );
                reply_general(store, own.as_ref(), phone, &text).await?;
                return Ok((Outcome::UnknownCode, None));
            };
            let mut tx = store.begin().await?;
            let customer =
                customers::upsert_in(&mut tx, tenant.id, phone, customers::Arrival::Seen, now)
                    .await?;
            let joined = join_in(&mut tx, tenant.id, customer, JoinSource::Sms, now).await?;
            // Texting the code is consent: it re-subscribes a member who had opted out.
            sqlx::query(
                "UPDATE club_members SET marketing_opt_out = FALSE, opted_out_at = NULL \
                 WHERE tenant_id = $1 AND customer_id = $2",
            )
            .bind(tenant.id)
            .bind(customer)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            let (outcome, text) = if joined {
                (
                    Outcome::Joined,
                    format!(
                        "به باشگاه مشتریان {} خوش آمدید. برای دیدن اعتبار ۱ و برای لغو پیامک‌های تبلیغاتی «لغو» را بفرستید.",
                        tenant.name
                    ),
                )
            } else {
                (
                    Outcome::AlreadyMember,
                    format!(
                        "شما عضو باشگاه مشتریان {} هستید. برای دیدن اعتبار ۱ را بفرستید.",
                        tenant.name
                    ),
                )
            };
            sms::enqueue_text(store, &tenant, phone, &text, "club_welcome").await?;
            Ok((outcome, Some(tenant.id)))
        }
        Command::Balance(code) => {
            let clubs = memberships(store, phone, scope(code).as_deref()).await?;
            if clubs.is_empty() {
                let text = format!("شما عضو این باشگاه نیستید. {HOW_TO_JOIN}");
                reply_general(store, own.as_ref(), phone, &text).await?;
                return Ok((Outcome::NotMember, None));
            }
            for (tenant, customer) in &clubs {
                let b = ledger::balance(store, tenant, *customer, now).await?;
                let mut text = format!(
                    "{}: اعتبار قابل استفاده {} ریال، در انتظار {} ریال.",
                    tenant.name,
                    rials(b.spendable),
                    rials(b.pending)
                );
                if let Some((at, amount)) = b.next_expiry {
                    let day = clock::Zone::named(&tenant.time_zone)?.day_key(at);
                    if let Some(date) = jalali::JalaliDate::from_day_key(day) {
                        text.push_str(&format!(
                            " {} ریال آن در {} منقضی می‌شود.",
                            rials(amount),
                            ui::persian_digits(&date.long(true))
                        ));
                    }
                }
                sms::enqueue_text(store, tenant, phone, &text, "club_balance").await?;
            }
            Ok((Outcome::Balance, clubs.first().map(|(t, _)| t.id)))
        }
        Command::Stop(code) => {
            let clubs = memberships(store, phone, scope(code).as_deref()).await?;
            if clubs.is_empty() {
                return Ok((Outcome::NotMember, None));
            }
            for (tenant, customer) in &clubs {
                super::set_marketing_opt_out(store, tenant, *customer, true).await?;
                let text = format!(
                    "{}: پیامک‌های تبلیغاتی دیگر برای شما ارسال نمی‌شود. برای عضویت دوباره کد {} را بفرستید.",
                    tenant.name,
                    ui::persian_digits(&tenant.club_code)
                );
                sms::enqueue_text(store, tenant, phone, &text, "club_opt_out").await?;
            }
            Ok((Outcome::OptedOut, clubs.first().map(|(t, _)| t.id)))
        }
        Command::Booking(reply) => {
            match replies::answer(store, phone, own.as_ref(), reply, now).await? {
                Answered::Done { tenant_id, .. } => Ok((Outcome::Booking, Some(tenant_id))),
                Answered::NoBooking => {
                    reply_general(store, own.as_ref(), phone, replies::NO_BOOKING).await?;
                    Ok((Outcome::NoBooking, None))
                }
            }
        }
        Command::Other => {
            let text = match &own {
                Some(t) => format!(
                    "برای عضویت در باشگاه مشتریان {}، کد {} را به همین شماره بفرستید.",
                    t.name,
                    ui::persian_digits(&t.club_code)
                ),
                None => HOW_TO_JOIN.to_string(),
            };
            reply_general(store, own.as_ref(), phone, &text).await?;
            Ok((Outcome::UnknownCode, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_codes_in_any_digits() {
        assert!(matches!(parse("۱۲۳۴۵"), Command::Code(c) if c == "12345"));
        assert!(matches!(parse(" 12345 "), Command::Code(_)));
        assert!(matches!(parse("1"), Command::Balance(None)));
        assert!(matches!(parse("۱"), Command::Balance(None)));
        assert!(matches!(parse("موجودی ۱۲۳۴۵"), Command::Balance(Some(c)) if c == "12345"));
        assert!(matches!(parse("Balance"), Command::Balance(None)));
        assert!(matches!(parse("STOP"), Command::Stop(None)));
        assert!(matches!(parse("لغو"), Command::Stop(None)));
        assert!(matches!(parse("تأیید"), Command::Booking(Reply::Confirm)));
        assert!(matches!(parse(" Cancel "), Command::Booking(Reply::Cancel)));
        assert!(matches!(parse("انصراف"), Command::Booking(Reply::Cancel)));
        assert!(matches!(parse("1234"), Command::Other));
        assert!(matches!(parse("hello"), Command::Other));
        assert!(matches!(parse(""), Command::Other));
    }
}
