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

use serde_json::json;
use sqlx::AnyConnection;

use super::rules::Status;
use crate::audit::{self, Actor, Change};
use crate::branches::Branch;
use crate::clock::Zone;
use crate::error::{Error, Result};
use crate::groups::AllowedHours;
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

/// A deposit amount in range, and above 0 unless the mode asks none.
fn check_amount(mode: Mode, amount: i64) -> Result<()> {
    if !(0..=MAX_AMOUNT).contains(&amount) {
        return Err(Error::invalid(format!(
            "deposit amount must be 0 to {MAX_AMOUNT} rials"
        )));
    }
    if mode != Mode::None && amount == 0 {
        return Err(Error::invalid(
            "a deposit rule needs an amount above 0 (or mode none)",
        ));
    }
    Ok(())
}

impl Rule {
    pub fn validate(&self) -> Result<()> {
        check_amount(self.mode, self.amount)?;
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

/// A deposit for a time slot and party size ("Thu/Fri 19:00–23:00, 6 and up: 200,000
/// rials per guest"), on top of the branch's own rule.
///
/// Which one applies: of the slot rules matching the booking (its local start inside
/// `hours`, its party inside the range) the most specific wins — one limited in time
/// before one that is not, then the narrower time (fewer minutes a week), then the
/// narrower party range, then the one added first. With no slot rule matching, the
/// branch's rule applies. A slot rule of mode `none` waives the deposit for its slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRule {
    pub id: i64,
    /// When the booking starts, local time; `None` = any time.
    pub hours: Option<AllowedHours>,
    pub min_party: i64,
    /// `None` = no upper bound.
    pub max_party: Option<i64>,
    pub mode: Mode,
    /// Rials: per guest or for the whole booking.
    pub amount: i64,
}

impl SlotRule {
    pub fn validate(&self) -> Result<()> {
        if !(1..=100).contains(&self.min_party)
            || self
                .max_party
                .is_some_and(|m| m < self.min_party || m > 100)
        {
            return Err(Error::invalid(
                "party sizes must be 1 to 100, the smallest first",
            ));
        }
        check_amount(self.mode, self.amount)
    }

    /// Whether a booking of `party` starting at `start` falls under it.
    pub fn matches(&self, zone: &Zone, start: i64, party: i64) -> bool {
        let (day, minute) = zone.weekday_minute(start);
        party >= self.min_party
            && self.max_party.is_none_or(|m| party <= m)
            && self.hours.as_ref().is_none_or(|h| h.contains(day, minute))
    }

    /// Lower is more specific (see the type's documentation).
    fn specificity(&self) -> (bool, usize, i64, i64) {
        let weekly = self.hours.as_ref().map_or(7 * 288, |h| {
            (0..7u8)
                .flat_map(|d| (0..288u16).map(move |u| (d, u * 5)))
                .filter(|&(d, m)| h.contains(d, m))
                .count()
        });
        let width = self.max_party.unwrap_or(1000) - self.min_party;
        (self.hours.is_none(), weekly, width, self.id)
    }

    /// What a party of `party` owes under it.
    pub fn due(&self, party: i64) -> i64 {
        match self.mode {
            Mode::None => 0,
            Mode::Fixed => self.amount,
            Mode::PerGuest => self.amount.saturating_mul(party),
        }
    }
}

/// What a booking of `party` starting at `start` owes: the most specific matching
/// slot rule, else the branch's rule.
pub fn due_at(branch: &Rule, slots: &[SlotRule], zone: &Zone, start: i64, party: i64) -> i64 {
    slots
        .iter()
        .filter(|r| r.matches(zone, start, party))
        .min_by_key(|r| r.specificity())
        .map_or_else(|| branch.due(party), |r| r.due(party))
}

/// A branch's slot rules, oldest first.
pub async fn slot_rules(store: &Store, tenant: &Tenant, branch: &Branch) -> Result<Vec<SlotRule>> {
    let rows: Vec<(i64, String, i64, Option<i64>, String, i64)> = sqlx::query_as(
        "SELECT id, hours, min_party, max_party, mode, amount FROM reservation_deposit_rules \
         WHERE tenant_id = $1 AND branch_id = $2 ORDER BY id",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .fetch_all(store.pool())
    .await?;
    rows.into_iter()
        .map(|(id, hours, min_party, max_party, mode, amount)| {
            Ok(SlotRule {
                id,
                hours: parse_hours(&hours)?,
                min_party,
                max_party,
                mode: mode.parse()?,
                amount,
            })
        })
        .collect()
}

fn parse_hours(text: &str) -> Result<Option<AllowedHours>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|e| {
        Error::invalid(format!(
            "deposit hours {text:?}: {e} (e.g. \"thu-fri 19:00-23:00\", empty = any time)"
        ))
    })
}

/// A slot rule to add: `hours` in the allowed-hours text (empty = any time).
#[derive(Debug, Clone)]
pub struct NewSlotRule {
    pub hours: String,
    pub min_party: i64,
    pub max_party: Option<i64>,
    pub mode: Mode,
    pub amount: i64,
}

/// Adds a slot rule to the branch, audited (`booking.deposit_rule`) in its transaction.
pub async fn add_slot_rule(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    actor: Actor,
    new: &NewSlotRule,
    now: i64,
) -> Result<SlotRule> {
    let hours = parse_hours(&new.hours)?;
    let mut rule = SlotRule {
        id: 0,
        hours,
        min_party: new.min_party,
        max_party: new.max_party,
        mode: new.mode,
        amount: if new.mode == Mode::None {
            0
        } else {
            new.amount
        },
    };
    rule.validate()?;
    let text = rule
        .hours
        .as_ref()
        .map(|h| h.to_string())
        .unwrap_or_default();
    let mut tx = store.begin().await?;
    rule.id = sqlx::query_scalar(
        "INSERT INTO reservation_deposit_rules (tenant_id, branch_id, hours, min_party, max_party, \
         mode, amount, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(&text)
    .bind(rule.min_party)
    .bind(rule.max_party)
    .bind(rule.mode.as_str())
    .bind(rule.amount)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let after = json!({ "branch": branch.id, "hours": text, "min_party": rule.min_party,
        "max_party": rule.max_party, "mode": rule.mode.as_str(), "amount": rule.amount });
    let change = Change {
        tenant_id: Some(tenant.id),
        action: "booking.deposit_rule",
        entity: "deposit_rule",
        entity_id: Some(rule.id),
        before: None,
        after: Some(after),
    };
    audit::record(&mut *tx, actor, &change).await?;
    tx.commit().await?;
    Ok(rule)
}

/// Removes slot rule `id` of the branch, audited (`booking.deposit_rule_remove`);
/// bookings already made keep the deposit they were asked.
pub async fn remove_slot_rule(
    store: &Store,
    tenant: &Tenant,
    branch: &Branch,
    actor: Actor,
    id: i64,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "DELETE FROM reservation_deposit_rules WHERE tenant_id = $1 AND branch_id = $2 AND id = $3",
    )
    .bind(tenant.id)
    .bind(branch.id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("deposit rule #{id}")));
    }
    let change = Change {
        tenant_id: Some(tenant.id),
        action: "booking.deposit_rule_remove",
        entity: "deposit_rule",
        entity_id: Some(id),
        before: None,
        after: Some(json!({ "branch": branch.id })),
    };
    audit::record(&mut *tx, actor, &change).await?;
    tx.commit().await?;
    Ok(())
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
    let mut tx = store.begin().await?;
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

    fn slot(id: i64, hours: &str, min: i64, max: Option<i64>, mode: Mode, amount: i64) -> SlotRule {
        SlotRule {
            id,
            hours: parse_hours(hours).unwrap(),
            min_party: min,
            max_party: max,
            mode,
            amount,
        }
    }

    #[test]
    fn the_most_specific_slot_rule_wins() {
        let zone = Zone::named("Asia/Tehran").unwrap();
        // 2026-12-10 is a Thursday, 2026-12-12 a Saturday.
        let thu_20 = zone.at(20261210, "20:00").unwrap();
        let thu_13 = zone.at(20261210, "13:00").unwrap();
        let sat_20 = zone.at(20261212, "20:00").unwrap();
        let branch = rule(Mode::Fixed); // 100,000 from 4 guests
        let evenings = slot(1, "thu-fri 19:00-23:00", 6, None, Mode::PerGuest, 50_000);
        let any_big = slot(2, "", 10, None, Mode::Fixed, 1_000_000);
        let thu_big = slot(3, "thu 19:00-23:00", 10, Some(20), Mode::Fixed, 2_000_000);
        let lunch_free = slot(4, "12:00-15:00", 1, None, Mode::None, 0);
        let rules = [evenings, any_big, thu_big, lunch_free];
        // Thursday evening, 6 guests: the evening rule (per guest).
        assert_eq!(due_at(&branch, &rules, &zone, thu_20, 6), 300_000);
        // Thursday evening, 12: the Thursday-only rule beats the Thu/Fri one (narrower
        // time) and the any-time one.
        assert_eq!(due_at(&branch, &rules, &zone, thu_20, 12), 2_000_000);
        // Saturday evening, 12: only the any-time rule for 10+.
        assert_eq!(due_at(&branch, &rules, &zone, sat_20, 12), 1_000_000);
        // Saturday evening, 5: no slot rule, the branch's (fixed from 4).
        assert_eq!(due_at(&branch, &rules, &zone, sat_20, 5), 100_000);
        // Lunch is waived even for a party the branch rule covers...
        assert_eq!(due_at(&branch, &rules, &zone, thu_13, 5), 0);
        // ...but the timed rule for 10+ is narrower in time than "any time", not than
        // lunch: lunch (21 h a week) beats any-time (168 h).
        assert_eq!(due_at(&branch, &rules, &zone, thu_13, 12), 0);
        // Equal specificity: the one added first.
        let a = slot(7, "fri 19:00-23:00", 2, Some(4), Mode::Fixed, 1);
        let b = slot(8, "fri 19:00-23:00", 2, Some(4), Mode::Fixed, 2);
        let fri = zone.at(20261211, "20:00").unwrap();
        assert_eq!(due_at(&branch, &[b.clone(), a.clone()], &zone, fri, 3), 1);
        assert!(slot(9, "", 5, Some(3), Mode::Fixed, 1).validate().is_err());
        assert!(slot(9, "", 1, None, Mode::Fixed, 0).validate().is_err());
        assert!(parse_hours("thu 25:00-26:00").is_err());
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
