//! Wire format (RFC 2865 §3, §5): zero-copy decoding and buffer-reusing encoding.

use std::net::Ipv4Addr;

use super::auth;
use super::dictionary::{CHAP_CHALLENGE, MESSAGE_AUTHENTICATOR, USER_PASSWORD, VENDOR_SPECIFIC};

/// Octets in the fixed header (Code, Identifier, Length, Authenticator).
pub const HEADER_LEN: usize = 20;
/// Largest packet RFC 2865 §3 allows; bigger Length fields are rejected.
pub const MAX_PACKET_LEN: usize = 4096;
/// Largest value of one attribute (255 minus the type and length octets).
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 253;
/// Largest value of one vendor sub-attribute inside a Vendor-Specific attribute
/// (253 minus the 4-octet vendor id and the 2-octet sub-attribute header).
pub const MAX_VSA_VALUE_LEN: usize = 247;

/// Octets of a Message-Authenticator attribute: type, length, 16-octet HMAC-MD5.
pub(crate) const MA_ATTR_LEN: usize = 18;
const MA_SLOT: [u8; MA_ATTR_LEN] = [
    MESSAGE_AUTHENTICATOR,
    18,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
];
/// Offset of the Message-Authenticator value when the attribute is the first one.
const MA_VALUE_AT: usize = HEADER_LEN + 2;

/// RADIUS packet codes we speak (RFC 2865 §3, RFC 2866, RFC 5176, RFC 5997).
///
/// Any other code is rejected by [`Packet::decode`] with [`DecodeError::UnknownCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Code {
    /// A NAS asks whether a user may log in (RFC 2865).
    AccessRequest = 1,
    /// The user may log in; carries the policy (RFC 2865).
    AccessAccept = 2,
    /// The user may not log in (RFC 2865).
    AccessReject = 3,
    /// Session start/interim/stop from the NAS (RFC 2866).
    AccountingRequest = 4,
    /// Acknowledges an Accounting-Request once it is durable (RFC 2866).
    AccountingResponse = 5,
    /// Asks the NAS for more information (RFC 2865).
    AccessChallenge = 11,
    /// Liveness probe of a server (RFC 5997).
    StatusServer = 12,
    /// Liveness probe of a client (RFC 2865, experimental).
    StatusClient = 13,
    /// Server asks the NAS to end a session (RFC 5176).
    DisconnectRequest = 40,
    /// The NAS ended the session (RFC 5176).
    DisconnectAck = 41,
    /// The NAS did not end the session (RFC 5176).
    DisconnectNak = 42,
    /// Server changes a live session's authorisation, e.g. its rate limit (RFC 5176).
    CoaRequest = 43,
    /// The NAS applied the change (RFC 5176).
    CoaAck = 44,
    /// The NAS did not apply the change (RFC 5176).
    CoaNak = 45,
}

impl Code {
    /// The code for a wire value, or `None` if we do not speak it.
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::AccessRequest,
            2 => Self::AccessAccept,
            3 => Self::AccessReject,
            4 => Self::AccountingRequest,
            5 => Self::AccountingResponse,
            11 => Self::AccessChallenge,
            12 => Self::StatusServer,
            13 => Self::StatusClient,
            40 => Self::DisconnectRequest,
            41 => Self::DisconnectAck,
            42 => Self::DisconnectNak,
            43 => Self::CoaRequest,
            44 => Self::CoaAck,
            45 => Self::CoaNak,
            _ => return None,
        })
    }

    /// The wire value.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// The RFC name (e.g. `"Access-Request"`), for logs and metric labels.
    pub const fn name(self) -> &'static str {
        match self {
            Self::AccessRequest => "Access-Request",
            Self::AccessAccept => "Access-Accept",
            Self::AccessReject => "Access-Reject",
            Self::AccountingRequest => "Accounting-Request",
            Self::AccountingResponse => "Accounting-Response",
            Self::AccessChallenge => "Access-Challenge",
            Self::StatusServer => "Status-Server",
            Self::StatusClient => "Status-Client",
            Self::DisconnectRequest => "Disconnect-Request",
            Self::DisconnectAck => "Disconnect-ACK",
            Self::DisconnectNak => "Disconnect-NAK",
            Self::CoaRequest => "CoA-Request",
            Self::CoaAck => "CoA-ACK",
            Self::CoaNak => "CoA-NAK",
        }
    }

    /// Whether this code starts an exchange (a request) rather than answering one.
    pub const fn is_request(self) -> bool {
        matches!(
            self,
            Self::AccessRequest
                | Self::AccountingRequest
                | Self::StatusServer
                | Self::StatusClient
                | Self::DisconnectRequest
                | Self::CoaRequest
        )
    }

    /// Whether the Request Authenticator is MD5 over the packet with 16 zero octets in
    /// its place (RFC 2866 §3, RFC 5176 §2.3), rather than random octets.
    pub const fn has_signed_request_authenticator(self) -> bool {
        matches!(
            self,
            Self::AccountingRequest | Self::CoaRequest | Self::DisconnectRequest
        )
    }

    /// Codes whose packets always carry a Message-Authenticator, first, when we build them:
    /// Access-Request and Status-Server (RFC 5997, BlastRADIUS) and the Access-* replies.
    const fn always_has_message_authenticator(self) -> bool {
        matches!(
            self,
            Self::AccessRequest
                | Self::StatusServer
                | Self::AccessAccept
                | Self::AccessReject
                | Self::AccessChallenge
        )
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a datagram is not a RADIUS packet we accept. Such datagrams are dropped and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer octets than the 20-octet header.
    #[error("datagram of {len} octets is shorter than the 20-octet RADIUS header")]
    TooShort {
        /// Octets received.
        len: usize,
    },
    /// The header's Length field is below 20 or above 4096.
    #[error("header Length {length} is outside 20..=4096")]
    BadLength {
        /// The Length field.
        length: u16,
    },
    /// The header's Length field claims more octets than were received (RFC 2865 §3:
    /// silently discard).
    #[error("header Length {length} exceeds the {received} octets received")]
    Truncated {
        /// The Length field.
        length: u16,
        /// Octets received.
        received: usize,
    },
    /// A code we do not speak.
    #[error("unknown packet code {0}")]
    UnknownCode(u8),
    /// An attribute's length octet is below 2 or runs past the packet's Length.
    #[error("attribute at offset {offset} has an invalid length")]
    BadAttributeLength {
        /// Offset of the attribute's type octet from the start of the packet.
        offset: usize,
    },
}

impl DecodeError {
    /// Stable snake_case label for the metric that counts dropped datagrams.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::BadLength { .. } => "bad_length",
            Self::Truncated { .. } => "truncated",
            Self::UnknownCode(_) => "unknown_code",
            Self::BadAttributeLength { .. } => "bad_attribute_length",
        }
    }
}

/// A validated, borrowed view of one RADIUS packet.
///
/// Decoding checks the header and that the attributes exactly fill the packet, so every
/// accessor is a cheap walk over the borrowed bytes with no allocation.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// The packet up to its Length field (padding beyond it dropped).
    data: &'a [u8],
    /// `data` after the header.
    attrs: &'a [u8],
    authenticator: &'a [u8; 16],
    code: Code,
    identifier: u8,
    /// Offset in `data` of the first Message-Authenticator attribute.
    ma_offset: Option<u16>,
    /// Message-Authenticator attributes seen (saturating): more than one is invalid.
    ma_count: u8,
}

impl<'a> Packet<'a> {
    /// Validates `buf` as one RADIUS packet and returns a view over it.
    ///
    /// Octets beyond the header's Length field are ignored as padding (RFC 2865 §3).
    pub fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let Some((&[code, identifier, len_hi, len_lo], after_len)) = buf.split_first_chunk::<4>()
        else {
            return Err(DecodeError::TooShort { len: buf.len() });
        };
        let Some(authenticator) = after_len.first_chunk::<16>() else {
            return Err(DecodeError::TooShort { len: buf.len() });
        };
        let length = u16::from_be_bytes([len_hi, len_lo]);
        let len = usize::from(length);
        if !(HEADER_LEN..=MAX_PACKET_LEN).contains(&len) {
            return Err(DecodeError::BadLength { length });
        }
        let Some(data) = buf.get(..len) else {
            return Err(DecodeError::Truncated {
                length,
                received: buf.len(),
            });
        };
        let Some(code) = Code::from_u8(code) else {
            return Err(DecodeError::UnknownCode(code));
        };
        let attrs = data.get(HEADER_LEN..).unwrap_or_default();

        let mut rest = attrs;
        let mut offset = HEADER_LEN;
        let mut ma_offset = None;
        let mut ma_count = 0u8;
        while !rest.is_empty() {
            let [kind, attr_len, ..] = *rest else {
                return Err(DecodeError::BadAttributeLength { offset });
            };
            let attr_len = usize::from(attr_len);
            if attr_len < 2 || attr_len > rest.len() {
                return Err(DecodeError::BadAttributeLength { offset });
            }
            if kind == MESSAGE_AUTHENTICATOR {
                if ma_offset.is_none() {
                    // offset < 4096, so it fits.
                    ma_offset = u16::try_from(offset).ok();
                }
                ma_count = ma_count.saturating_add(1);
            }
            rest = rest.get(attr_len..).unwrap_or_default();
            offset += attr_len;
        }

        Ok(Self {
            data,
            attrs,
            authenticator,
            code,
            identifier,
            ma_offset,
            ma_count,
        })
    }

    /// The packet's code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The Identifier that pairs a reply with its request (and detects retransmissions).
    pub fn identifier(&self) -> u8 {
        self.identifier
    }

    /// The 16-octet Request or Response Authenticator from the header.
    pub fn authenticator(&self) -> &'a [u8; 16] {
        self.authenticator
    }

    /// The packet as received, up to its Length field (e.g. to key a retransmit cache).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Every attribute in wire order as `(type, value)`.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes { rest: self.attrs }
    }

    /// The value of the first attribute of type `kind`.
    pub fn attribute(&self, kind: u8) -> Option<&'a [u8]> {
        self.attributes().find(|&(t, _)| t == kind).map(|(_, v)| v)
    }

    /// The values of every attribute of type `kind`, in wire order (e.g. Proxy-State, Class).
    pub fn attributes_of(&self, kind: u8) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        self.attributes()
            .filter(move |&(t, _)| t == kind)
            .map(|(_, v)| v)
    }

    /// The first attribute of type `kind` as text, if it is valid UTF-8.
    pub fn string(&self, kind: u8) -> Option<&'a str> {
        self.attribute(kind)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first attribute of type `kind` as a big-endian integer, if exactly 4 octets.
    pub fn u32(&self, kind: u8) -> Option<u32> {
        self.attribute(kind).and_then(be_u32)
    }

    /// The first attribute of type `kind` as an IPv4 address, if exactly 4 octets.
    pub fn ipv4(&self, kind: u8) -> Option<Ipv4Addr> {
        self.u32(kind).map(Ipv4Addr::from)
    }

    /// Sub-attributes `(vendor_type, value)` of every Vendor-Specific attribute (type 26)
    /// of `vendor_id`, in the RFC 2865 §5.26 format (one-octet type and length).
    ///
    /// A Vendor-Specific attribute whose sub-attributes do not exactly fill it is skipped
    /// whole.
    pub fn vendor_attributes(&self, vendor_id: u32) -> VendorAttributes<'a> {
        VendorAttributes {
            attrs: self.attributes(),
            vendor_id: vendor_id.to_be_bytes(),
            current: Attributes { rest: &[] },
        }
    }

    /// The value of the first sub-attribute `vendor_type` of `vendor_id`.
    pub fn vendor_attribute(&self, vendor_id: u32, vendor_type: u8) -> Option<&'a [u8]> {
        self.vendor_attributes(vendor_id)
            .find(|&(t, _)| t == vendor_type)
            .map(|(_, v)| v)
    }

    /// [`Self::vendor_attribute`] as text, if valid UTF-8.
    pub fn vendor_string(&self, vendor_id: u32, vendor_type: u8) -> Option<&'a str> {
        self.vendor_attribute(vendor_id, vendor_type)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// [`Self::vendor_attribute`] as a big-endian integer, if exactly 4 octets.
    pub fn vendor_u32(&self, vendor_id: u32, vendor_type: u8) -> Option<u32> {
        self.vendor_attribute(vendor_id, vendor_type)
            .and_then(be_u32)
    }

    /// The CHAP challenge to check a CHAP-Password against: the CHAP-Challenge attribute
    /// if present, otherwise the Request Authenticator (RFC 2865 §5.3, §5.40).
    pub fn chap_challenge(&self) -> &'a [u8] {
        match self.attribute(CHAP_CHALLENGE) {
            Some(challenge) => challenge,
            None => self.authenticator,
        }
    }

    /// Whether the packet carries a Message-Authenticator attribute (valid or not).
    pub fn has_message_authenticator(&self) -> bool {
        self.ma_offset.is_some()
    }

    /// Offset of the (single) Message-Authenticator attribute, `Err(())` if there are
    /// several, `Ok(None)` if there is none.
    pub(crate) fn message_authenticator_offset(&self) -> Result<Option<usize>, ()> {
        if self.ma_count > 1 {
            return Err(());
        }
        Ok(self.ma_offset.map(usize::from))
    }
}

fn be_u32(value: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(value).ok().map(u32::from_be_bytes)
}

/// Iterator over `(type, value)` pairs of a type-length-value list; see
/// [`Packet::attributes`]. Stops at the first malformed entry.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let [kind, len, ..] = *self.rest else {
            self.rest = &[];
            return None;
        };
        let Some((attr, rest)) = self.rest.split_at_checked(usize::from(len)) else {
            self.rest = &[];
            return None;
        };
        let Some(value) = attr.get(2..) else {
            self.rest = &[];
            return None;
        };
        self.rest = rest;
        Some((kind, value))
    }
}

/// Whether `tlvs` is a list of one-octet-type, one-octet-length entries that exactly fills it.
fn tlvs_fill(mut tlvs: &[u8]) -> bool {
    while !tlvs.is_empty() {
        let [_, len, ..] = *tlvs else { return false };
        let len = usize::from(len);
        if len < 2 {
            return false;
        }
        match tlvs.get(len..) {
            Some(rest) => tlvs = rest,
            None => return false,
        }
    }
    true
}

/// Iterator over one vendor's sub-attributes; see [`Packet::vendor_attributes`].
#[derive(Debug, Clone)]
pub struct VendorAttributes<'a> {
    attrs: Attributes<'a>,
    vendor_id: [u8; 4],
    current: Attributes<'a>,
}

impl<'a> Iterator for VendorAttributes<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(sub) = self.current.next() {
                return Some(sub);
            }
            let (kind, value) = self.attrs.next()?;
            if kind != VENDOR_SPECIFIC {
                continue;
            }
            let Some((vendor, subs)) = value.split_first_chunk::<4>() else {
                continue;
            };
            if *vendor == self.vendor_id && tlvs_fill(subs) {
                self.current = Attributes { rest: subs };
            }
        }
    }
}

/// Why an attribute could not be added to a [`PacketBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The value does not fit one attribute.
    #[error("attribute value of {len} octets exceeds the {max}-octet limit")]
    ValueTooLong {
        /// Octets offered.
        len: usize,
        /// Largest value allowed here.
        max: usize,
    },
    /// The packet would exceed 4096 octets (room for a Message-Authenticator is kept).
    #[error("packet would exceed 4096 octets")]
    PacketTooLong,
    /// Message-Authenticator is placed and computed by the builder itself.
    #[error("attribute {0} is managed by the builder")]
    ReservedAttribute(u8),
    /// A User-Password longer than 128 octets (RFC 2865 §5.2).
    #[error("User-Password longer than 128 octets")]
    PasswordTooLong,
}

/// Builds one packet into a single reusable `Vec<u8>`, then signs it.
///
/// For codes that always carry a Message-Authenticator (Access-Request, Status-Server,
/// Access-Accept/Reject/Challenge) its slot is reserved as the first attribute at
/// construction, so finishing never moves the attributes. Pass the `Vec` returned by a
/// finish method back to [`PacketBuilder::with_buffer`] to reuse its capacity.
#[derive(Debug, Clone)]
pub struct PacketBuilder {
    buf: Vec<u8>,
    code: Code,
    /// Whether `buf[20..38]` is a Message-Authenticator placeholder.
    ma_slot: bool,
}

impl PacketBuilder {
    /// Starts a packet with a fresh buffer. For requests `authenticator` is the Request
    /// Authenticator: random for Access-Request and Status-Server (it also keys
    /// User-Password), ignored for codes whose authenticator is a signature.
    pub fn new(code: Code, identifier: u8, authenticator: &[u8; 16]) -> Self {
        Self::with_buffer(Vec::with_capacity(256), code, identifier, authenticator)
    }

    /// Like [`Self::new`], writing into `buf` (cleared first) to reuse its allocation.
    pub fn with_buffer(
        mut buf: Vec<u8>,
        code: Code,
        identifier: u8,
        authenticator: &[u8; 16],
    ) -> Self {
        buf.clear();
        buf.extend_from_slice(&[code.as_u8(), identifier, 0, 0]);
        buf.extend_from_slice(authenticator);
        let ma_slot = code.always_has_message_authenticator();
        if ma_slot {
            buf.extend_from_slice(&MA_SLOT);
        }
        Self { buf, code, ma_slot }
    }

    /// Starts a reply of `code` to `request` (same Identifier), with a fresh buffer.
    pub fn reply(request: &Packet<'_>, code: Code) -> Self {
        Self::new(code, request.identifier(), request.authenticator())
    }

    /// Like [`Self::reply`], writing into `buf` to reuse its allocation.
    pub fn reply_with_buffer(buf: Vec<u8>, request: &Packet<'_>, code: Code) -> Self {
        Self::with_buffer(buf, code, request.identifier(), request.authenticator())
    }

    /// Also sign this packet with a Message-Authenticator (first attribute) where it is
    /// optional: Accounting-Request/Response, CoA/Disconnect requests and replies.
    pub fn with_message_authenticator(mut self) -> Self {
        self.ensure_ma_slot();
        self
    }

    /// The code being built.
    pub fn code(&self) -> Code {
        self.code
    }

    /// Octets so far, header and any Message-Authenticator slot included.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Always false: a packet has at least its header. Present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn ensure_ma_slot(&mut self) {
        if !self.ma_slot {
            // `add` always keeps 18 octets free for this, so the limit still holds.
            self.buf.splice(HEADER_LEN..HEADER_LEN, MA_SLOT);
            self.ma_slot = true;
        }
    }

    /// Fails unless `extra` more octets fit, keeping room for a Message-Authenticator.
    fn reserve(&mut self, extra: usize) -> Result<(), EncodeError> {
        let reserved = if self.ma_slot { 0 } else { MA_ATTR_LEN };
        if self.buf.len() + extra + reserved > MAX_PACKET_LEN {
            return Err(EncodeError::PacketTooLong);
        }
        Ok(())
    }

    /// Appends attribute `kind` with `value` (at most 253 octets).
    pub fn add(&mut self, kind: u8, value: &[u8]) -> Result<(), EncodeError> {
        if kind == MESSAGE_AUTHENTICATOR {
            return Err(EncodeError::ReservedAttribute(kind));
        }
        // At most 253 octets of value, so that type + length + value fit the length octet.
        let Ok(len) = u8::try_from(value.len() + 2) else {
            return Err(EncodeError::ValueTooLong {
                len: value.len(),
                max: MAX_ATTRIBUTE_VALUE_LEN,
            });
        };
        self.reserve(usize::from(len))?;
        self.buf.extend_from_slice(&[kind, len]);
        self.buf.extend_from_slice(value);
        Ok(())
    }

    /// Appends a text attribute.
    pub fn add_str(&mut self, kind: u8, value: &str) -> Result<(), EncodeError> {
        self.add(kind, value.as_bytes())
    }

    /// Appends a 32-bit integer attribute (big-endian).
    pub fn add_u32(&mut self, kind: u8, value: u32) -> Result<(), EncodeError> {
        self.add(kind, &value.to_be_bytes())
    }

    /// Appends an IPv4 address attribute.
    pub fn add_ipv4(&mut self, kind: u8, value: Ipv4Addr) -> Result<(), EncodeError> {
        self.add(kind, &value.octets())
    }

    /// Appends every attribute of type `kind` from `request`, in order: for Proxy-State,
    /// which a reply must echo (RFC 2865 §5.33).
    pub fn add_from(&mut self, request: &Packet<'_>, kind: u8) -> Result<(), EncodeError> {
        for value in request.attributes_of(kind) {
            self.add(kind, value)?;
        }
        Ok(())
    }

    /// Appends a Vendor-Specific attribute holding one sub-attribute (RFC 2865 §5.26),
    /// e.g. `Mikrotik-Rate-Limit`; `value` is at most 247 octets.
    pub fn add_vsa(
        &mut self,
        vendor_id: u32,
        vendor_type: u8,
        value: &[u8],
    ) -> Result<(), EncodeError> {
        if value.len() > MAX_VSA_VALUE_LEN {
            return Err(EncodeError::ValueTooLong {
                len: value.len(),
                max: MAX_VSA_VALUE_LEN,
            });
        }
        let Ok(sub_len) = u8::try_from(value.len() + 2) else {
            return Err(EncodeError::ValueTooLong {
                len: value.len(),
                max: MAX_VSA_VALUE_LEN,
            });
        };
        let total = sub_len.saturating_add(6);
        self.reserve(usize::from(total))?;
        self.buf.extend_from_slice(&[VENDOR_SPECIFIC, total]);
        self.buf.extend_from_slice(&vendor_id.to_be_bytes());
        self.buf.extend_from_slice(&[vendor_type, sub_len]);
        self.buf.extend_from_slice(value);
        Ok(())
    }

    /// Appends a text vendor sub-attribute.
    pub fn add_vsa_str(
        &mut self,
        vendor_id: u32,
        vendor_type: u8,
        value: &str,
    ) -> Result<(), EncodeError> {
        self.add_vsa(vendor_id, vendor_type, value.as_bytes())
    }

    /// Appends a 32-bit integer vendor sub-attribute (big-endian).
    pub fn add_vsa_u32(
        &mut self,
        vendor_id: u32,
        vendor_type: u8,
        value: u32,
    ) -> Result<(), EncodeError> {
        self.add_vsa(vendor_id, vendor_type, &value.to_be_bytes())
    }

    /// Appends User-Password hiding `password` with the Request Authenticator given at
    /// construction (RFC 2865 §5.2). For our client and load generator.
    pub fn add_user_password(&mut self, password: &[u8], secret: &[u8]) -> Result<(), EncodeError> {
        let authenticator = self.header_authenticator();
        let hidden = auth::encrypt_user_password(password, secret, &authenticator)
            .map_err(|_| EncodeError::PasswordTooLong)?;
        self.add(USER_PASSWORD, &hidden)
    }

    fn header_authenticator(&self) -> [u8; 16] {
        self.buf
            .get(4..HEADER_LEN)
            .and_then(|s| s.first_chunk::<16>())
            .copied()
            .unwrap_or_default()
    }

    fn set_authenticator(&mut self, value: &[u8; 16]) {
        if let Some(field) = self
            .buf
            .get_mut(4..HEADER_LEN)
            .and_then(|s| s.first_chunk_mut::<16>())
        {
            *field = *value;
        }
    }

    fn write_length(&mut self) {
        // `add` keeps the packet within 4096 octets.
        let len = u16::try_from(self.buf.len()).unwrap_or(u16::MAX);
        if let Some(field) = self
            .buf
            .get_mut(2..4)
            .and_then(|s| s.first_chunk_mut::<2>())
        {
            *field = len.to_be_bytes();
        }
    }

    /// HMAC-MD5 over the packet as it stands (header authenticator as set, slot zeroed),
    /// written into the slot.
    fn fill_message_authenticator(&mut self, secret: &[u8]) {
        if !self.ma_slot {
            return;
        }
        let mac = auth::hmac_md5(secret, &self.buf);
        if let Some(value) = self
            .buf
            .get_mut(MA_VALUE_AT..)
            .and_then(|s| s.first_chunk_mut::<16>())
        {
            *value = mac;
        }
    }

    /// Signs the packet as a reply to `request` and returns the datagram.
    ///
    /// A Message-Authenticator is always the first attribute of Access-Accept/Reject/
    /// Challenge and of any reply to Status-Server (RFC 5997); other replies carry one only
    /// after [`Self::with_message_authenticator`]. It is computed with the request's
    /// authenticator in the header (RFC 3579 §3.2, RFC 5176 §3.4, RFC 5997 §3), except in
    /// an Accounting-Response to an Accounting-Request, where FreeRADIUS expects 16 zero
    /// octets (checked against radclient 3.2). Then the Response Authenticator =
    /// MD5(Code+ID+Length+RequestAuth+Attributes+Secret) (RFC 2865 §3).
    pub fn finish_reply(mut self, request: &Packet<'_>, secret: &[u8]) -> Vec<u8> {
        if request.code() == Code::StatusServer {
            self.ensure_ma_slot();
        }
        self.write_length();
        if self.code == Code::AccountingResponse && request.code() != Code::StatusServer {
            // No RFC defines this case; FreeRADIUS (radclient 3.2 included) signs and
            // verifies it with 16 zero octets, so we do too.
            self.set_authenticator(&[0; 16]);
        } else {
            self.set_authenticator(request.authenticator());
        }
        self.fill_message_authenticator(secret);
        self.set_authenticator(request.authenticator());
        let response = auth::md5_with_secret(&self.buf, secret);
        self.set_authenticator(&response);
        self.buf
    }

    /// Signs the packet as a request and returns the datagram.
    ///
    /// - Access-Request, Status-Server (and Status-Client): the authenticator given at
    ///   construction stays; the Message-Authenticator (always present, first, for
    ///   Access-Request and Status-Server) is HMAC-MD5 over the packet.
    /// - Every other code (Accounting-Request, CoA-Request, Disconnect-Request): the
    ///   optional Message-Authenticator is computed with 16 zero octets as authenticator,
    ///   then the Request Authenticator = MD5(Code+ID+Length+16 zero octets+Attributes+
    ///   Secret) (RFC 2866 §3, RFC 5176 §2.3 and §3.4).
    pub fn finish_request(mut self, secret: &[u8]) -> Vec<u8> {
        self.write_length();
        if matches!(
            self.code,
            Code::AccessRequest | Code::StatusServer | Code::StatusClient
        ) {
            self.fill_message_authenticator(secret);
        } else {
            self.set_authenticator(&[0; 16]);
            self.fill_message_authenticator(secret);
            let signature = auth::md5_with_secret(&self.buf, secret);
            self.set_authenticator(&signature);
        }
        self.buf
    }
}
