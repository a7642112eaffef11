//! Answering a booking's SMS: the guest texts back `تایید` (confirm) or `انصراف`
//! (cancel) instead of opening the link.
//!
//! A reply names no booking, so it means the sender's next upcoming one that can still
//! take that step (booked or confirmed, not yet started), soonest first — on a tenant's
//! own line only that tenant's bookings, on the shared line any. `لغو`/`STOP` stay the
//! club's marketing opt-out (`club::inbound`), so the booking keywords are different words.

use sqlx::Row;

use super::bookings;
use super::messages::{self, render};
use super::rules::Status;
use crate::error::Result;
use crate::phone::Phone;
use crate::store::Store;
use crate::tenants::{self, Tenant};
use crate::ui::Locale;
use crate::{branches, sms};

/// What the guest asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Confirm,
    Cancel,
}

impl Reply {
    /// A text's first word as a booking reply (already lower-cased, ASCII digits).
    pub fn parse(word: &str) -> Option<Reply> {
        match word {
            "تایید" | "تأیید" | "confirm" | "yes" => Some(Reply::Confirm),
            "انصراف" | "کنسل" | "cancel" => Some(Reply::Cancel),
            _ => None,
        }
    }

    fn status(self) -> Status {
        match self {
            Reply::Confirm => Status::Confirmed,
            Reply::Cancel => Status::Cancelled,
        }
    }
}

/// What came of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// The booking moved (or already was where the guest asked).
    Done { tenant_id: i64, booking_id: i64 },
    /// The sender has no upcoming booking that could take the step.
    NoBooking,
}

/// Applies `reply` to the sender's next upcoming booking and texts them the result.
pub async fn answer(
    store: &Store,
    phone: &Phone,
    own_line: Option<&Tenant>,
    reply: Reply,
    now: i64,
) -> Result<Answered> {
    let wanted = reply.status();
    let rows = sqlx::query(
        "SELECT id, tenant_id, status FROM bookings \
         WHERE phone = $1 AND starts_at > $2 AND status IN ('booked', 'confirmed') \
         ORDER BY starts_at, id LIMIT 20",
    )
    .bind(phone.e164())
    .bind(now)
    .fetch_all(store.pool())
    .await?;
    for row in rows {
        let tenant_id: i64 = row.try_get("tenant_id")?;
        if own_line.is_some_and(|t| t.id != tenant_id) {
            continue;
        }
        let status: String = row.try_get("status")?;
        let current: Status = status.parse()?;
        if current != wanted && !current.can_become(wanted) {
            continue;
        }
        let tenant = tenants::by_id(store, tenant_id).await?;
        let id: i64 = row.try_get("id")?;
        let booking = if current == wanted {
            bookings::get(store, &tenant, id).await?
        } else {
            bookings::set_status(store, &tenant, id, wanted, now).await?
        };
        let branch = branches::by_id(store, &tenant, booking.branch_id).await?;
        let locale = Locale::from_tag(&tenant.locale).unwrap_or_default();
        let text = render(
            confirmation(reply, locale),
            &messages::vars_of(&booking, &branch.name, locale, None),
        );
        sms::wallet::send_paid(store, &tenant, phone, &text, "booking_reply").await?;
        return Ok(Answered::Done {
            tenant_id: tenant.id,
            booking_id: booking.id,
        });
    }
    Ok(Answered::NoBooking)
}

fn confirmation(reply: Reply, locale: Locale) -> &'static str {
    match (reply, locale) {
        (Reply::Confirm, Locale::Fa) => {
            "رزرو شما در {branch}، {date} ساعت {time} برای {party} نفر تأیید شد. منتظرتان هستیم."
        }
        (Reply::Cancel, Locale::Fa) => "رزرو شما در {branch}، {date} ساعت {time} لغو شد.",
        (Reply::Confirm, Locale::En) => {
            "Your booking at {branch}, {date} {time} for {party} is confirmed. See you then."
        }
        (Reply::Cancel, Locale::En) => "Your booking at {branch}, {date} {time} is cancelled.",
    }
}

/// The text for a sender with no booking to act on.
pub const NO_BOOKING: &str = "رزرو پیش رویی با این شماره پیدا نشد.";
