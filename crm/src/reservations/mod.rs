//! Reservations and appointments: bookable resources per branch (tables; staff, chairs,
//! rooms), each branch's booking rules, availability, and bookings whose slots the
//! database keeps from ever overlapping. See docs/reservations.md.
//!
//! - `rules`: the rules as values (stay by party size, buffer, notice, hours), the status
//!   lifecycle;
//! - `availability`: free start times, pure functions with an injected `now`;
//! - `settings`, `resources`, `services`: what operators configure, as stored (a
//!   service's duration is the stay of its bookings, its resources the only ones held);
//! - `bookings`: create / modify / lifecycle, and the slot rows that refuse overlaps;
//! - `deposits`: the deposit rule, each booking's deposit, its deduction from the invoice;
//! - `tables`: the live table board (free / reserved soon / occupied / needs cleaning),
//!   the POS's open and close, the host's clean mark;
//! - `messages`: the SMS around a booking (editable texts and schedule), queued by the worker;
//! - `replies`: a guest confirming or cancelling by texting back.

pub mod availability;
pub mod bookings;
pub mod deposits;
pub mod messages;
pub mod replies;
pub mod resources;
pub mod rules;
pub mod services;
pub mod settings;
pub mod tables;

pub use bookings::{Booking, BookingChange, NewBooking, Source};
pub use rules::{BookingRules, Status};
