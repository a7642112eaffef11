//! Feeds arbitrary datagrams to `Packet::decode` and, when they decode, to every accessor
//! and verifier; then re-encodes the attributes and checks they decode back unchanged.
//! Any panic is a bug: the codec must survive whatever the network sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiusd::packet::dictionary::{self as d, mikrotik, wispr};
use radiusd::packet::{
    Packet, PacketBuilder, decrypt_user_password, message_authenticator, verify_chap,
    verify_request_authenticator, verify_response,
};

const SECRET: &[u8] = b"testing123";

fuzz_target!(|data: &[u8]| {
    let packet = match Packet::decode(data) {
        Ok(packet) => packet,
        Err(error) => {
            assert!(!error.reason().is_empty());
            return;
        }
    };
    assert!(packet.as_bytes().len() <= data.len());
    let _ = (packet.code(), packet.identifier(), packet.authenticator());

    for (kind, value) in packet.attributes() {
        assert!(value.len() <= 253);
        let _ = (
            packet.attribute(kind),
            packet.string(kind),
            packet.u32(kind),
            packet.ipv4(kind),
        );
        let _ = packet.attributes_of(kind).count();
    }
    for vendor in [mikrotik::VENDOR_ID, wispr::VENDOR_ID] {
        for (kind, _) in packet.vendor_attributes(vendor) {
            let _ = packet.vendor_string(vendor, kind);
            let _ = packet.vendor_u32(vendor, kind);
        }
    }
    let challenge = packet.chap_challenge();
    if let Some(chap) = packet.attribute(d::CHAP_PASSWORD) {
        let _ = verify_chap(chap, b"hello", challenge);
    }
    if let Some(hidden) = packet.attribute(d::USER_PASSWORD) {
        let _ = decrypt_user_password(hidden, SECRET, packet.authenticator());
    }
    let _ = verify_request_authenticator(&packet, SECRET);
    let _ = verify_response(&packet, &[0x5a; 16], SECRET);
    let _ = message_authenticator(&packet, SECRET, None);
    let _ = message_authenticator(&packet, SECRET, Some(&[0x5a; 16]));

    // Re-encode: every attribute but Message-Authenticator (the builder owns it) must
    // survive a round trip through the builder.
    let mut builder =
        PacketBuilder::new(packet.code(), packet.identifier(), packet.authenticator());
    let mut expected = Vec::new();
    for (kind, value) in packet
        .attributes()
        .filter(|&(kind, _)| kind != d::MESSAGE_AUTHENTICATOR)
    {
        if builder.add(kind, value).is_err() {
            return; // no room left for a Message-Authenticator slot: fine, stop here
        }
        expected.push((kind, value));
    }
    let bytes = builder.finish_request(SECRET);
    let again = Packet::decode(&bytes).expect("builder output decodes");
    let got: Vec<_> = again
        .attributes()
        .filter(|&(kind, _)| kind != d::MESSAGE_AUTHENTICATOR)
        .collect();
    assert_eq!(got, expected);
});
