//! Smart evaluation: after an invoice, the customer gets an SMS with an unguessable link
//! to a short survey about what they bought (issue #9, docs/surveys.md).
//!
//! ```text
//! POS invoice ──on_invoice_in──► invitation (due = invoice + delay, out of quiet hours)
//!   ──send_due──► SMS with {public_url}/s/{token} (+ up to N reminders)
//!   ──open──► opened_at ──answer──► one response (DB-enforced) ──report──► NPS, CSAT, participation
//! ```
//!
//! A rating at or below the tenant's threshold opens a case and texts the chosen phones
//! (`cases`). `questions` = the "precision" add-on's own questions and branching.
//! `settings` = the tenant's knobs, `invitations` = queuing and sending, `responses` =
//! answers and the report, `score` = NPS and CSAT as pure functions.

pub mod alerts;
pub mod cases;
pub mod followup;
pub mod invitations;
pub mod media;
pub mod questions;
pub mod replies;
pub mod reports;
pub mod responses;
pub mod score;
pub mod settings;

pub(crate) use invitations::on_invoice_in;
pub use invitations::{SurveyPage, open, send_due};
pub use responses::{Answer, Breakdown, GroupScore, Report, answer, breakdown, report};
pub use settings::SurveySettings;
