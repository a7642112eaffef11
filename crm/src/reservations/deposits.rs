//! Deposits: a branch's rule (none, per guest or fixed, from a party size, refundable
//! until N hours before the start), what each booking owes and where it stands, and
//! its deduction from the POS invoice that names the reservation.
//!
//! Exactly once: the deduction is a conditional `UPDATE … WHERE deposit_state = 'paid'`
//! in the invoice's own transaction, so a second invoice for the same reservation (or a
//! retry racing the first) finds nothing left to deduct; a retry with the same
//! `Idempotency-Key` gets the stored reply and never reaches it.

use std::fmt;
use std::str::FromStr;

use sqlx::AnyConnection;

use super::rules::Status;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::tenants::Tenant;

/// How a branch asks for a deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    None,
    PerGuest,
    Fixed,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::PerGuest => "per_guest",
            Mode::Fixed => "fixed",
        }
    }
}

impl FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Mode> {
        match s.trim().replace('-', "_").as_str() {
            "none" | "" => Ok(Mode::None),
            "per_guest" | "guest" => Ok(Mode::PerGuest),
            "fixed" => Ok(Mode::Fixed),
            other => Err(Error::invalid(format!(
                "deposit mode {other:?}: expected none, per-guest or fixed"
            ))),
        }
    }
}

/// A branch's deposit rule as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub mode: Mode,
    /// Rials: per guest or for the whole booking.
    pub amount: i64,
    /// Parties of this size and up pay one.
    pub from_party: i64,
    /// A cancellation at least this many hours before the start gets it back.
    pub refund_hours: i64,
}

/// The most a deposit may be (rials): far above any real one, far below overflow.
const MAX_AMOUNT: i64 = 1_000_000_000_000;

impl Rule {
    pub fn validate(&self) -> Result<()> {
        if self.amount < 0 || self.amount > MAX_AMOUNT {
            return Err(Error::invalid(format!(
                "deposit amount must be 0 to {MAX_AMOUNT} rials"
            )));
        }
        if self.mode != Mode::None && self.amount == 0 {
            return Err(Error::invalid(
                "a deposit rule needs an amount above 0 (or mode none)",
            ));
        }
        if !(1..=100).contains(&self.from_party) {
            return Err(Error::invalid("deposit from party must be 1 to 100"));
        }
        if !(0..=24 * 60).contains(&self.refund_hours) {
            return Err(Error::invalid("deposit refund hours must be 0 to 1440"));
        }
        Ok(())
    }

    /// What a party of `party` owes (0 = no deposit).
    pub fn due(&self, party: i64) -> i64 {
        if party < self.from_party {
            return 0;
        }
        match self.mode {
            Mode::None => 0,
            Mode::Fixed => self.amount,
            Mode::PerGuest => self.amount.saturating_mul(party),
        }
    }

    /// Until when (unix seconds) a cancellation of a booking starting at `start` is refunded.
    pub fn refundable_until(&self, start: i64) -> i64 {
        start - self.refund_hours * 3600
    }
}

/// Where a booking's deposit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    None,
    /// Asked for, not paid yet.
    Due,
    Paid,
    /// Deducted from an invoice.
    Applied,
    /// Cancelled in time: the guest gets it back.
    RefundDue,
    Refunded,
    /// Cancelled too late, or the guest did not come.
    Forfeited,
    /// Cancelled before it was paid.
    Void,
}

impl State {
    pub const ALL: [State; 8] = [
        State::None,
        State::Due,
        State::Paid,
        State::Applied,
        State::RefundDue,
        State::Refunded,
        State::Forfeited,
        State::Void,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::None => "none",
            State::Due => "due",
            State::Paid => "paid",
            State::Applied => "applied",
            State::RefundDue => "refund_due",
            State::Refunded => "refunded",
            State::Forfeited => "forfeited",
            State::Void => "void",
        }
    }

    /// The state after the booking becomes `next` at `now`.
    pub fn after_status(self, next: Status, now: i64, refundable_until: Option<i64>) -> State {
        match (self, next) {
            (State::Due, Status::Cancelled | Status::NoShow) => State::Void,
            (State::Paid, Status::Cancelled) if refundable_until.is_some_and(|u| now <= u) => {
                State::RefundDue
            }
            (State::Paid, Status::Cancelled | Status::NoShow) => State::Forfeited,
            (s, _) => s,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = Error;
    fn from_str(s: &str) -> Result<State> {
        State::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| Error::invalid(format!("unknown deposit state {s:?}")))
    }
}

/// Records in the booking's transaction what its new status means for its deposit.
pub(crate) async fn follow_status_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    booking_id: i64,
    next: Status,
    now: i64,
) -> Result<()> {
    let row: Option<(String, Option<i64>)> = sqlx::query_as(
        "SELECT deposit_state, deposit_refundable_until FROM bookings WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant_id)
    .bind(booking_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((state, until)) = row else {
        return Ok(());
    };
    let old: State = state.parse()?;
    let new = old.after_status(next, now, until);
    if new != old {
        set_state_in(conn, tenant_id, booking_id, old, new).await?;
    }
    Ok(())
}

async fn set_state_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    booking_id: i64,
    from: State,
    to: State,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bookings SET deposit_state = $4 WHERE tenant_id = $1 AND id = $2 AND deposit_state = $3",
    )
    .bind(tenant_id)
    .bind(booking_id)
    .bind(from.as_str())
    .bind(to.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Staff recorded a deposit as received (`due` → `paid`) or given back
/// (`refund_due` → `refunded`). Anything else is refused with the current state.
pub async fn record(
    store: &Store,
    tenant: &Tenant,
    booking_id: i64,
    to: State,
    now: i64,
) -> Result<()> {
    let from = match to {
        State::Paid => State::Due,
        State::Refunded => State::RefundDue,
        other => {
            return Err(Error::invalid(format!(
                "a deposit can be recorded as paid or refunded, not {other}"
            )));
        }
    };
    let mut tx = store.pool().begin().await?;
    if !set_state_in(&mut tx, tenant.id, booking_id, from, to).await? {
        let state: Option<String> = sqlx::query_scalar(
            "SELECT deposit_state FROM bookings WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.id)
        .bind(booking_id)
        .fetch_optional(&mut *tx)
        .await?;
        return Err(match state {
            None => Error::NotFound(format!("booking #{booking_id}")),
            Some(s) => Error::Conflict(format!(
                "the deposit of booking #{booking_id} is {s}, not {from}"
            )),
        });
    }
    if to == State::Paid {
        sqlx::query("UPDATE bookings SET deposit_paid_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.id)
            .bind(booking_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Deducts the paid deposit of reservation `booking_id` (a booking of the invoice's
/// tenant and branch) from invoice `invoice_id`, at most its amount; returns what was
/// deducted, 0 when there is nothing (left) to deduct. Runs in the invoice's transaction.
pub(crate) async fn apply_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    branch_id: i64,
    booking_id: i64,
    invoice_id: i64,
    invoice_amount: i64,
) -> Result<i64> {
    let claimed = sqlx::query(
        "UPDATE bookings SET deposit_state = 'applied', deposit_invoice_id = $4 \
         WHERE tenant_id = $1 AND branch_id = $2 AND id = $3 AND deposit_state = 'paid'",
    )
    .bind(tenant_id)
    .bind(branch_id)
    .bind(booking_id)
    .bind(invoice_id)
    .execute(&mut *conn)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(0);
    }
    let deposit: i64 = sqlx::query_scalar("SELECT deposit_amount FROM bookings WHERE id = $1")
        .bind(booking_id)
        .fetch_one(&mut *conn)
        .await?;
    let applied = deposit.min(invoice_amount);
    sqlx::query("UPDATE invoices SET deposit_applied = $2 WHERE id = $1")
        .bind(invoice_id)
        .bind(applied)
        .execute(&mut *conn)
        .await?;
    Ok(applied)
}

/// A cancelled invoice gives its deposit back to the booking (`paid` again), for the
/// invoice that replaces it.
pub(crate) async fn unapply_in(
    conn: &mut AnyConnection,
    tenant_id: i64,
    invoice_id: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE bookings SET deposit_state = 'paid', deposit_invoice_id = NULL \
         WHERE tenant_id = $1 AND deposit_invoice_id = $2 AND deposit_state = 'applied'",
    )
    .bind(tenant_id)
    .bind(invoice_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(mode: Mode) -> Rule {
        Rule {
            mode,
            amount: 100_000,
            from_party: 4,
            refund_hours: 24,
        }
    }

    #[test]
    fn amount_by_mode_and_party() {
        assert_eq!(rule(Mode::PerGuest).due(3), 0);
        assert_eq!(rule(Mode::PerGuest).due(5), 500_000);
        assert_eq!(rule(Mode::Fixed).due(6), 100_000);
        assert_eq!(rule(Mode::None).due(6), 0);
        assert_eq!(
            rule(Mode::Fixed).refundable_until(100_000),
            100_000 - 86_400
        );
        assert!(
            Rule {
                amount: 0,
                ..rule(Mode::Fixed)
            }
            .validate()
            .is_err()
        );
        assert_eq!("per-guest".parse::<Mode>().unwrap(), Mode::PerGuest);
    }

    #[test]
    fn cancellation_refunds_only_in_time() {
        let until = Some(1_000);
        assert_eq!(
            State::Paid.after_status(Status::Cancelled, 1_000, until),
            State::RefundDue
        );
        assert_eq!(
            State::Paid.after_status(Status::Cancelled, 1_001, until),
            State::Forfeited
        );
        assert_eq!(
            State::Paid.after_status(Status::NoShow, 0, until),
            State::Forfeited
        );
        assert_eq!(
            State::Due.after_status(Status::Cancelled, 0, until),
            State::Void
        );
        assert_eq!(
            State::Applied.after_status(Status::Cancelled, 0, until),
            State::Applied
        );
        assert_eq!(
            State::Paid.after_status(Status::Seated, 0, until),
            State::Paid
        );
    }
}
