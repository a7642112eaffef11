//! Property tests: encode→decode round trip, no panic on arbitrary input, replies verify.

use proptest::prelude::*;

use super::dictionary::{self as d, mikrotik};
use super::*;

const REQUEST_CODES: [Code; 5] = [
    Code::AccessRequest,
    Code::StatusServer,
    Code::AccountingRequest,
    Code::CoaRequest,
    Code::DisconnectRequest,
];
const REPLY_CODES: [Code; 8] = [
    Code::AccessAccept,
    Code::AccessReject,
    Code::AccessChallenge,
    Code::AccountingResponse,
    Code::CoaAck,
    Code::CoaNak,
    Code::DisconnectAck,
    Code::DisconnectNak,
];

fn attribute() -> impl Strategy<Value = (u8, Vec<u8>)> {
    (
        any::<u8>().prop_filter("builder-managed", |&t| t != d::MESSAGE_AUTHENTICATOR),
        prop::collection::vec(any::<u8>(), 0..=MAX_ATTRIBUTE_VALUE_LEN),
    )
}

fn attributes() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    prop::collection::vec(attribute(), 0..24)
}

/// Adds as many of `attrs` as fit; returns those added.
fn add_all(b: &mut PacketBuilder, attrs: &[(u8, Vec<u8>)]) -> Vec<(u8, Vec<u8>)> {
    let mut added = Vec::new();
    for (t, v) in attrs {
        match b.add(*t, v) {
            Ok(()) => added.push((*t, v.clone())),
            Err(e) => {
                assert_eq!(e, EncodeError::PacketTooLong);
                break;
            }
        }
    }
    added
}

/// Calls every accessor and verifier; none may panic.
fn exercise(p: &Packet<'_>, secret: &[u8], other: &[u8; 16]) {
    let _ = (
        p.code(),
        p.identifier(),
        p.authenticator(),
        p.as_bytes(),
        p.has_message_authenticator(),
    );
    for (t, v) in p.attributes() {
        let _ = (
            p.attribute(t),
            p.string(t),
            p.u32(t),
            p.ipv4(t),
            p.attributes_of(t).count(),
        );
        assert!(v.len() <= MAX_ATTRIBUTE_VALUE_LEN);
    }
    for vendor in [mikrotik::VENDOR_ID, d::wispr::VENDOR_ID, 0] {
        for (t, _) in p.vendor_attributes(vendor) {
            let _ = (
                p.vendor_attribute(vendor, t),
                p.vendor_string(vendor, t),
                p.vendor_u32(vendor, t),
            );
        }
    }
    let _ = p.chap_challenge();
    let _ = verify_request_authenticator(p, secret);
    let _ = verify_response(p, other, secret);
    let _ = message_authenticator(p, secret, None);
    let _ = message_authenticator(p, secret, Some(other));
    if let Some(pw) = p.attribute(d::USER_PASSWORD) {
        let _ = decrypt_user_password(pw, secret, p.authenticator());
    }
    if let Some(chap) = p.attribute(d::CHAP_PASSWORD) {
        let _ = verify_chap(chap, b"hello", p.chap_challenge());
    }
}

/// Well-formed attribute octets, biased to the types with special handling (User-Password,
/// CHAP, Vendor-Specific with MikroTik's id, Message-Authenticator of the right length).
fn well_formed_attrs() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        (
            prop::sample::select(vec![1u8, 2, 3, 4, 26, 26, 26, 33, 60, 80, 80]),
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..40),
        ),
        0..12,
    )
    .prop_map(|list| {
        let mut out = Vec::new();
        for (t, typical, mut v) in list {
            if t == d::VENDOR_SPECIFIC && typical {
                v.splice(0..0, mikrotik::VENDOR_ID.to_be_bytes());
            }
            if t == d::MESSAGE_AUTHENTICATOR && typical {
                v.resize(16, 0);
            }
            v.truncate(MAX_ATTRIBUTE_VALUE_LEN);
            out.push(t);
            out.push(v.len() as u8 + 2);
            out.extend_from_slice(&v);
        }
        out
    })
}

/// A header with a plausible code and (usually) a matching Length, then attribute octets
/// (well-formed, or random), maybe with one octet corrupted, maybe with padding: reaches
/// the attribute walk and the verifiers far more often than uniformly random bytes.
fn near_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![
            1u8, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45, 0, 200,
        ]),
        any::<u8>(),
        any::<[u8; 16]>(),
        prop_oneof![3 => well_formed_attrs(), 1 => prop::collection::vec(any::<u8>(), 0..400)],
        prop::option::weighted(0.2, any::<u16>()),
        prop::option::weighted(0.3, (any::<prop::sample::Index>(), any::<u8>())),
        prop::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(|(code, id, auth, mut attrs, length, corrupt, padding)| {
            if let Some((at, xor)) = corrupt {
                if !attrs.is_empty() {
                    let i = at.index(attrs.len());
                    attrs[i] ^= xor;
                }
            }
            let len = length.unwrap_or((20 + attrs.len()) as u16);
            let mut v = vec![code, id];
            v.extend_from_slice(&len.to_be_bytes());
            v.extend_from_slice(&auth);
            v.extend_from_slice(&attrs);
            v.extend_from_slice(&padding);
            v
        })
}

proptest! {
    // 512 cases by default; PROPTEST_CASES raises it for a longer local run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn encode_decode_round_trip(
        code in prop::sample::select(REQUEST_CODES.to_vec()),
        id in any::<u8>(),
        auth in any::<[u8; 16]>(),
        with_ma in any::<bool>(),
        attrs in attributes(),
        secret in prop::collection::vec(any::<u8>(), 1..80),
    ) {
        let mut b = PacketBuilder::new(code, id, &auth);
        if with_ma {
            b = b.with_message_authenticator();
        }
        let added = add_all(&mut b, &attrs);
        let bytes = b.finish_request(&secret);
        prop_assert!(bytes.len() <= MAX_PACKET_LEN);
        let p = Packet::decode(&bytes).unwrap();
        prop_assert_eq!(p.code(), code);
        prop_assert_eq!(p.identifier(), id);
        prop_assert_eq!(p.as_bytes(), &bytes[..]);
        let mut decoded: Vec<(u8, Vec<u8>)> = p.attributes().map(|(t, v)| (t, v.to_vec())).collect();
        let has_ma = with_ma || matches!(code, Code::AccessRequest | Code::StatusServer);
        if has_ma {
            prop_assert_eq!(decoded.first().map(|(t, _)| *t), Some(d::MESSAGE_AUTHENTICATOR));
            decoded.remove(0);
            prop_assert_eq!(message_authenticator(&p, &secret, None), MessageAuthenticator::Valid);
        } else {
            prop_assert_eq!(message_authenticator(&p, &secret, None), MessageAuthenticator::Absent);
        }
        prop_assert_eq!(decoded, added);
        if code.has_signed_request_authenticator() {
            prop_assert!(verify_request_authenticator(&p, &secret));
        } else {
            prop_assert_eq!(p.authenticator(), &auth);
        }
    }

    #[test]
    fn vsa_round_trip(
        subs in prop::collection::vec((any::<u8>(), prop::collection::vec(any::<u8>(), 0..=MAX_VSA_VALUE_LEN)), 0..12),
    ) {
        let mut b = PacketBuilder::new(Code::CoaRequest, 0, &[0; 16]);
        let mut added = Vec::new();
        for (t, v) in &subs {
            if b.add_vsa(mikrotik::VENDOR_ID, *t, v).is_err() {
                break;
            }
            added.push((*t, v.clone()));
        }
        let bytes = b.finish_request(b"s");
        let p = Packet::decode(&bytes).unwrap();
        let decoded: Vec<(u8, Vec<u8>)> =
            p.vendor_attributes(mikrotik::VENDOR_ID).map(|(t, v)| (t, v.to_vec())).collect();
        prop_assert_eq!(decoded, added);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        secret in prop::collection::vec(any::<u8>(), 0..40),
        other in any::<[u8; 16]>(),
    ) {
        if let Ok(p) = Packet::decode(&bytes) {
            exercise(&p, &secret, &other);
        }
    }

    #[test]
    fn near_packets_never_panic(
        bytes in near_packet(),
        secret in prop::collection::vec(any::<u8>(), 0..40),
        other in any::<[u8; 16]>(),
    ) {
        match Packet::decode(&bytes) {
            Ok(p) => {
                prop_assert!(p.as_bytes().len() >= HEADER_LEN && p.as_bytes().len() <= bytes.len());
                exercise(&p, &secret, &other);
            }
            Err(e) => prop_assert!(!e.reason().is_empty()),
        }
    }

    #[test]
    fn signed_near_packets_verify(bytes in near_packet(), secret in prop::collection::vec(any::<u8>(), 1..40)) {
        // Re-sign whatever decodes as a request and check the verifiers agree with the signer.
        if let Ok(p) = Packet::decode(&bytes) {
            if p.code().is_request() {
                let mut b = PacketBuilder::new(p.code(), p.identifier(), p.authenticator());
                let mut ok = true;
                for (t, v) in p.attributes().filter(|&(t, _)| t != d::MESSAGE_AUTHENTICATOR) {
                    ok &= b.add(t, v).is_ok();
                }
                if ok {
                    let signed = b.with_message_authenticator().finish_request(&secret);
                    let s = Packet::decode(&signed).unwrap();
                    prop_assert_eq!(message_authenticator(&s, &secret, None), MessageAuthenticator::Valid);
                    prop_assert_eq!(
                        verify_request_authenticator(&s, &secret),
                        s.code().has_signed_request_authenticator()
                    );
                }
            }
        }
    }

    #[test]
    fn password_functions_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..200),
        secret in prop::collection::vec(any::<u8>(), 0..40),
        auth in any::<[u8; 16]>(),
    ) {
        let _ = decrypt_user_password(&data, &secret, &auth);
        match encrypt_user_password(&data, &secret, &auth) {
            Ok(hidden) => {
                let revealed = decrypt_user_password(&hidden, &secret, &auth).unwrap();
                let trimmed = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                prop_assert_eq!(revealed.as_bytes(), &data[..trimmed]);
            }
            Err(_) => prop_assert!(data.len() > 128),
        }
        let _ = verify_chap(&data, &secret, &auth);
    }

    #[test]
    fn replies_verify(
        request_code in prop::sample::select(REQUEST_CODES.to_vec()),
        reply_code in prop::sample::select(REPLY_CODES.to_vec()),
        id in any::<u8>(),
        auth in any::<[u8; 16]>(),
        with_ma in any::<bool>(),
        request_attrs in attributes(),
        reply_attrs in attributes(),
        secret in prop::collection::vec(any::<u8>(), 1..80),
        flip in any::<prop::sample::Index>(),
    ) {
        let mut b = PacketBuilder::new(request_code, id, &auth);
        add_all(&mut b, &request_attrs);
        let request = b.finish_request(&secret);
        let request = Packet::decode(&request).unwrap();

        let mut b = PacketBuilder::reply(&request, reply_code);
        if with_ma {
            b = b.with_message_authenticator();
        }
        add_all(&mut b, &reply_attrs);
        let reply = b.finish_reply(&request, &secret);
        let decoded = Packet::decode(&reply).unwrap();
        prop_assert_eq!(decoded.identifier(), id);
        prop_assert!(verify_response(&decoded, request.authenticator(), &secret));
        let must_have_ma = with_ma
            || request_code == Code::StatusServer
            || matches!(reply_code, Code::AccessAccept | Code::AccessReject | Code::AccessChallenge);
        prop_assert_eq!(decoded.has_message_authenticator(), must_have_ma);
        if must_have_ma {
            prop_assert_eq!(
                message_authenticator(&decoded, &secret, Some(request.authenticator())),
                MessageAuthenticator::Valid
            );
        }

        // Any changed octet (other than the Length field) makes it fail.
        let i = flip.index(reply.len());
        if !(2..4).contains(&i) {
            let mut tampered = reply.clone();
            tampered[i] ^= 0x01;
            if let Ok(t) = Packet::decode(&tampered) {
                prop_assert!(!verify_response(&t, request.authenticator(), &secret));
            }
        }
    }
}
