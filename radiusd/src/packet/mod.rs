//! Our own RADIUS packet codec: the part of the server every datagram goes through.
//!
//! Why our own: the `radius` crate neither computes nor verifies Message-Authenticator
//! (BlastRADIUS, CVE-2024-3596), verifies CHAP nor parses VSAs, and it allocates per
//! attribute. This module is zero-copy on decode, reuses one buffer on encode, and never
//! panics on any input (no unchecked indexing, no `unwrap` on input; fuzzed in `fuzz/`).
//!
//! - [`Packet::decode`] validates a datagram once and gives a borrowed view over it.
//! - [`PacketBuilder`] appends attributes to one `Vec<u8>` and signs it
//!   ([`PacketBuilder::finish_reply`], [`PacketBuilder::finish_request`]).
//! - [`message_authenticator`], [`verify_request_authenticator`] and [`verify_response`]
//!   check what a peer signed, in constant time.
//! - [`decrypt_user_password`] / [`encrypt_user_password`] (PAP) and [`chap_response`] /
//!   [`verify_chap`] (CHAP) handle the two password schemes MikroTik hotspots use.
//! - [`dictionary`] names the attribute numbers we use, MikroTik's and WISPr's VSAs included.
//!
//! Which authenticator each code puts in the header while its Message-Authenticator is
//! computed (RFC 3579 §3.2, RFC 5176 §3.4, RFC 5997 §3), checked against FreeRADIUS 3.2
//! (`radclient` accepts our replies, `freeradius -X` accepts our requests):
//!
//! | packet | authenticator field during the HMAC |
//! |---|---|
//! | Access-Request, Status-Server | its own (random) Request Authenticator |
//! | Accounting-Request, CoA-Request, Disconnect-Request | 16 zero octets |
//! | Access-Accept/Reject/Challenge, any reply to Status-Server | the request's authenticator |
//! | CoA/Disconnect-ACK/NAK | the request's authenticator (we also accept zeros, see [`message_authenticator`]) |
//! | Accounting-Response to an Accounting-Request | 16 zero octets, as FreeRADIUS (no RFC says; we also accept the request's) |
#![warn(missing_docs)]

mod auth;
mod codec;
pub mod dictionary;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use auth::{
    MessageAuthenticator, PasswordError, UserPassword, chap_response, decrypt_user_password,
    encrypt_user_password, message_authenticator, verify_chap, verify_request_authenticator,
    verify_response,
};
pub use codec::{
    Attributes, Code, DecodeError, EncodeError, HEADER_LEN, MAX_ATTRIBUTE_VALUE_LEN,
    MAX_PACKET_LEN, MAX_VSA_VALUE_LEN, Packet, PacketBuilder, VendorAttributes,
};
