//! RADIUS for smartx: the packet codec (`packet`) and the server that answers
//! MikroTik routers (`server`), deciding logins from memory (`access`,
//! `subscribers`) and storing accounting in group commits (`accounting`).

mod access;
mod accounting;
pub mod bench;
mod class;
pub mod coa;
mod dedup;
pub mod enforce;
mod messages;
pub mod packet;
mod quota;
mod registry;
mod server;
mod subscribers;

pub use server::{RadiusConfig, RadiusServer, start};
