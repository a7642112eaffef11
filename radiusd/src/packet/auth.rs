//! Authenticators, Message-Authenticator, User-Password hiding and CHAP.
//!
//! Every comparison of a secret-derived value is constant-time (`subtle`), and nothing
//! here copies the packet: digests are fed the header, a substituted authenticator and
//! the attributes as separate slices.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use super::codec::{Code, HEADER_LEN, MA_ATTR_LEN, Packet};

type HmacMd5 = Hmac<Md5>;

const ZERO_AUTHENTICATOR: [u8; 16] = [0; 16];

/// What a packet's Message-Authenticator attribute (RFC 3579 §3.2) says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAuthenticator {
    /// The packet has none. Whether that is acceptable is policy (e.g. a NAS marked
    /// `require_message_authenticator`, or any Status-Server).
    Absent,
    /// Exactly one, of the right length, and its HMAC-MD5 matches.
    Valid,
    /// Wrong HMAC, wrong length, more than one, or a reply checked without its request's
    /// authenticator: drop the packet silently.
    Invalid,
}

fn new_hmac(secret: &[u8]) -> HmacMd5 {
    // HMAC takes keys of any length (RFC 2104 §2: longer ones are hashed first), and the
    // hmac crate's `new_from_slice` only fails for fixed-key-size MACs, never for HMAC.
    match HmacMd5::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// HMAC-MD5 of `data` keyed with `secret` (the builder zeroes the slot and sets the
/// header authenticator first).
pub(crate) fn hmac_md5(secret: &[u8], data: &[u8]) -> [u8; 16] {
    let mut mac = new_hmac(secret);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// MD5(`data` + `secret`): the Request/Response Authenticator of a built packet.
pub(crate) fn md5_with_secret(data: &[u8], secret: &[u8]) -> [u8; 16] {
    Md5::new()
        .chain_update(data)
        .chain_update(secret)
        .finalize()
        .into()
}

/// MD5(Code+ID+Length + `authenticator` + Attributes + `secret`) over a received packet.
fn packet_md5(packet: &Packet<'_>, authenticator: &[u8; 16], secret: &[u8]) -> [u8; 16] {
    let data = packet.as_bytes();
    Md5::new()
        .chain_update(data.get(..4).unwrap_or_default())
        .chain_update(authenticator)
        .chain_update(data.get(HEADER_LEN..).unwrap_or_default())
        .chain_update(secret)
        .finalize()
        .into()
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Checks the Request Authenticator of an Accounting-Request, CoA-Request or
/// Disconnect-Request: MD5(Code+ID+Length+16 zero octets+Attributes+Secret)
/// (RFC 2866 §3, RFC 5176 §2.3). Meaningless for other codes (their authenticator is
/// random or a Response Authenticator), for which it returns `false`.
pub fn verify_request_authenticator(packet: &Packet<'_>, secret: &[u8]) -> bool {
    if !packet.code().has_signed_request_authenticator() {
        return false;
    }
    ct_eq(
        &packet_md5(packet, &ZERO_AUTHENTICATOR, secret),
        packet.authenticator(),
    )
}

/// Checks a reply we received (by our CoA client or load generator) against the request
/// we sent: the Response Authenticator = MD5(Code+ID+Length+RequestAuth+Attributes+Secret)
/// (RFC 2865 §3, RFC 2866 §4, RFC 5176 §2.3), and the Message-Authenticator if present.
///
/// An absent Message-Authenticator passes here; callers that require one check
/// [`Packet::has_message_authenticator`].
pub fn verify_response(
    reply: &Packet<'_>,
    request_authenticator: &[u8; 16],
    secret: &[u8],
) -> bool {
    let expected = packet_md5(reply, request_authenticator, secret);
    if !ct_eq(&expected, reply.authenticator()) {
        return false;
    }
    message_authenticator(reply, secret, Some(request_authenticator))
        != MessageAuthenticator::Invalid
}

/// HMAC-MD5 over a received packet with `authenticator` in the header and the
/// Message-Authenticator value (at `ma_offset`) taken as 16 zero octets.
fn packet_hmac(
    packet: &Packet<'_>,
    ma_offset: usize,
    authenticator: &[u8; 16],
    secret: &[u8],
) -> Option<[u8; 16]> {
    let data = packet.as_bytes();
    let before = data.get(HEADER_LEN..ma_offset + 2)?;
    let after = data.get(ma_offset + MA_ATTR_LEN..)?;
    let mut mac = new_hmac(secret);
    mac.update(data.get(..4)?);
    mac.update(authenticator);
    mac.update(before);
    mac.update(&ZERO_AUTHENTICATOR);
    mac.update(after);
    Some(mac.finalize().into_bytes().into())
}

/// Checks the Message-Authenticator (type 80) of a received packet.
///
/// The header authenticator used for the HMAC depends on the code:
/// - Access-Request, Status-Server (and Status-Client): the packet's own (RFC 3579 §3.2,
///   RFC 5997 §3); `request_authenticator` is ignored.
/// - Accounting-Request, CoA-Request, Disconnect-Request: 16 zero octets (RFC 5176 §3.4;
///   FreeRADIUS does the same for Accounting-Request); `request_authenticator` is ignored.
/// - Access-Accept/Reject/Challenge: `request_authenticator`, the authenticator of the
///   request it answers (RFC 3579 §3.2); `None` gives `Invalid`.
/// - Accounting-Response, CoA/Disconnect-ACK/NAK: `request_authenticator` (RFC 5176 §3.4,
///   RFC 5997 §3) or 16 zero octets: FreeRADIUS signs these replies with zeros, so both
///   are accepted. Either way the HMAC is keyed with the secret, and
///   [`verify_response`] still binds the reply to its request through the Response
///   Authenticator. `None` gives `Invalid`.
///
/// A Message-Authenticator whose length is not 18, or more than one of them, is `Invalid`.
pub fn message_authenticator(
    packet: &Packet<'_>,
    secret: &[u8],
    request_authenticator: Option<&[u8; 16]>,
) -> MessageAuthenticator {
    let ma_offset = match packet.message_authenticator_offset() {
        Ok(Some(offset)) => offset,
        Ok(None) => return MessageAuthenticator::Absent,
        Err(()) => return MessageAuthenticator::Invalid,
    };
    let data = packet.as_bytes();
    if data.get(ma_offset + 1) != Some(&(MA_ATTR_LEN as u8)) {
        return MessageAuthenticator::Invalid;
    }
    let Some(received) = data.get(ma_offset + 2..ma_offset + MA_ATTR_LEN) else {
        return MessageAuthenticator::Invalid;
    };
    let matches = |authenticator: &[u8; 16]| {
        packet_hmac(packet, ma_offset, authenticator, secret)
            .is_some_and(|mac| ct_eq(&mac, received))
    };
    let valid = match packet.code() {
        Code::AccessRequest | Code::StatusServer | Code::StatusClient => {
            matches(packet.authenticator())
        }
        Code::AccountingRequest | Code::CoaRequest | Code::DisconnectRequest => {
            matches(&ZERO_AUTHENTICATOR)
        }
        Code::AccessAccept | Code::AccessReject | Code::AccessChallenge => {
            request_authenticator.is_some_and(matches)
        }
        Code::AccountingResponse
        | Code::CoaAck
        | Code::CoaNak
        | Code::DisconnectAck
        | Code::DisconnectNak => {
            // Evaluate both (no early exit) so timing does not tell which one matched.
            request_authenticator
                .is_some_and(|request| matches(request) | matches(&ZERO_AUTHENTICATOR))
        }
    };
    if valid {
        MessageAuthenticator::Valid
    } else {
        MessageAuthenticator::Invalid
    }
}

/// Why a User-Password could not be hidden or revealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// A hidden User-Password must be 16..=128 octets, a multiple of 16 (RFC 2865 §5.2).
    #[error("hidden User-Password of {len} octets is not a multiple of 16 in 16..=128")]
    BadLength {
        /// Octets received.
        len: usize,
    },
    /// A clear-text password longer than 128 octets cannot be hidden.
    #[error("password of {len} octets is longer than 128")]
    TooLong {
        /// Octets offered.
        len: usize,
    },
}

impl PasswordError {
    /// Stable snake_case label for metrics and logs.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::BadLength { .. } => "bad_password_length",
            Self::TooLong { .. } => "password_too_long",
        }
    }
}

/// A revealed User-Password, held on the stack (no allocation on the hot path) and wiped
/// when dropped. `Debug` does not print it.
#[derive(Clone)]
pub struct UserPassword {
    bytes: [u8; 128],
    len: usize,
}

impl UserPassword {
    /// The password octets, trailing NUL padding removed.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl std::ops::Deref for UserPassword {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for UserPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UserPassword({} octets)", self.len)
    }
}

impl Drop for UserPassword {
    fn drop(&mut self) {
        self.bytes.fill(0);
        // Keep the wipe from being optimised away as a dead store.
        std::hint::black_box(&self.bytes);
    }
}

/// Reveals a User-Password hidden per RFC 2865 §5.2: `c(i) = p(i) xor MD5(S + c(i-1))`,
/// `c(0)` = the Request Authenticator. Trailing NUL padding is removed.
pub fn decrypt_user_password(
    hidden: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<UserPassword, PasswordError> {
    let len = hidden.len();
    if !(16..=128).contains(&len) || len % 16 != 0 {
        return Err(PasswordError::BadLength { len });
    }
    let keyed = Md5::new_with_prefix(secret);
    let mut out = UserPassword {
        bytes: [0; 128],
        len: 0,
    };
    let mut previous: &[u8] = request_authenticator;
    for (plain, cipher) in out.bytes.chunks_exact_mut(16).zip(hidden.chunks_exact(16)) {
        let pad = keyed.clone().chain_update(previous).finalize();
        for ((p, c), k) in plain.iter_mut().zip(cipher).zip(pad.iter()) {
            *p = c ^ k;
        }
        previous = cipher;
    }
    let revealed = out.bytes.get(..len).unwrap_or_default();
    out.len = revealed
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    Ok(out)
}

/// Hides `password` (at most 128 octets) as a User-Password value per RFC 2865 §5.2,
/// NUL-padded to a multiple of 16 (at least 16). For our client and load generator.
pub fn encrypt_user_password(
    password: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<Vec<u8>, PasswordError> {
    if password.len() > 128 {
        return Err(PasswordError::TooLong {
            len: password.len(),
        });
    }
    let padded_len = password.len().div_ceil(16).max(1) * 16;
    let mut out = vec![0u8; padded_len];
    if let Some(head) = out.get_mut(..password.len()) {
        head.copy_from_slice(password);
    }
    let keyed = Md5::new_with_prefix(secret);
    let mut previous = *request_authenticator;
    for block in out.chunks_exact_mut(16) {
        let pad = keyed.clone().chain_update(previous).finalize();
        for (b, k) in block.iter_mut().zip(pad.iter()) {
            *b ^= k;
        }
        for (p, b) in previous.iter_mut().zip(block.iter()) {
            *p = *b;
        }
    }
    Ok(out)
}

/// The CHAP response MD5(CHAP-ID + password + challenge) (RFC 1994 §4.1). The portal uses
/// it to log a guest in through the hotspot's `chap-id`/`chap-challenge`.
pub fn chap_response(chap_id: u8, password: &[u8], challenge: &[u8]) -> [u8; 16] {
    Md5::new()
        .chain_update([chap_id])
        .chain_update(password)
        .chain_update(challenge)
        .finalize()
        .into()
}

/// Checks a CHAP-Password attribute value (CHAP-ID octet + 16-octet response, RFC 2865
/// §5.3) against the known clear-text `password`; `challenge` is
/// [`Packet::chap_challenge`]. A value that is not 17 octets is `false`.
pub fn verify_chap(chap_password: &[u8], password: &[u8], challenge: &[u8]) -> bool {
    let Some((&chap_id, response)) = chap_password.split_first() else {
        return false;
    };
    if response.len() != 16 {
        return false;
    }
    ct_eq(&chap_response(chap_id, password, challenge), response)
}
