//! The smartx domain and its storage.
//!
//! `crm` owns the database: every other crate reads and writes through the domain
//! functions here (`nas::add`, `customers::list`, …), never through SQL of its own.
//! One code path serves both back ends — SQLite (embedded default) and PostgreSQL
//! (scale-out) — through sqlx's `Any` driver with portable SQL; see `store` for why.

pub mod accounting;
pub mod accounts;
pub mod audit;
pub mod branches;
pub mod clock;
pub mod club;
pub mod coupons;
pub mod customers;
pub mod customers_csv;
pub mod devices;
pub mod error;
pub mod generations;
pub mod groups;
pub mod hotspot;
pub mod idempotency;
pub mod invoices;
pub mod jalali;
pub mod ledger;
pub mod nas;
pub mod notifications;
pub mod otp;
pub mod phone;
pub mod pos_keys;
pub mod ratelimit;
pub mod reservations;
pub mod roles;
pub mod secret;
pub mod sessions;
pub mod sms;
pub mod staff;
pub mod stats;
pub mod store;
pub mod surveys;
pub mod tenants;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;
pub mod ui;
pub mod units;
pub mod usage;
pub mod vouchers;
pub mod web_sessions;

pub use error::{Error, Result};
pub use store::{Backend, Store, StoreConfig};
