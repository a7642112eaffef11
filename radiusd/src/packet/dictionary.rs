//! Attribute numbers and values we use, so code says `USER_NAME`, not `1`.
//!
//! Numbers checked against FreeRADIUS 3.2's dictionaries (`dictionary.rfc2865`, `.rfc2866`,
//! `.rfc2869`, `.rfc3162`, `.rfc3576`, `.rfc5176`, `.mikrotik`, `.wispr`).

/// User-Name (RFC 2865 §5.1): login name, or the MAC address for MikroTik MAC login.
pub const USER_NAME: u8 = 1;
/// User-Password (RFC 2865 §5.2): PAP password hidden with the shared secret.
pub const USER_PASSWORD: u8 = 2;
/// CHAP-Password (RFC 2865 §5.3): CHAP-ID octet + 16-octet MD5 response.
pub const CHAP_PASSWORD: u8 = 3;
/// NAS-IP-Address (RFC 2865 §5.4): the router's IPv4 address.
pub const NAS_IP_ADDRESS: u8 = 4;
/// NAS-Port (RFC 2865 §5.5): port number on the NAS.
pub const NAS_PORT: u8 = 5;
/// Service-Type (RFC 2865 §5.6): see [`service_type`].
pub const SERVICE_TYPE: u8 = 6;
/// Framed-Protocol (RFC 2865 §5.7).
pub const FRAMED_PROTOCOL: u8 = 7;
/// Framed-IP-Address (RFC 2865 §5.8): the client's IP (hotspot: the guest's address).
pub const FRAMED_IP_ADDRESS: u8 = 8;
/// Framed-IP-Netmask (RFC 2865 §5.9).
pub const FRAMED_IP_NETMASK: u8 = 9;
/// Filter-Id (RFC 2865 §5.11): name of a filter list on the NAS.
pub const FILTER_ID: u8 = 11;
/// Framed-MTU (RFC 2865 §5.12).
pub const FRAMED_MTU: u8 = 12;
/// Reply-Message (RFC 2865 §5.18): text shown to the user (hotspot `$(error)` on reject).
pub const REPLY_MESSAGE: u8 = 18;
/// State (RFC 2865 §5.24): opaque value echoed from Access-Challenge / CoA.
pub const STATE: u8 = 24;
/// Class (RFC 2865 §5.25): opaque value the NAS echoes in accounting.
pub const CLASS: u8 = 25;
/// Vendor-Specific (RFC 2865 §5.26): vendor id + vendor sub-attributes.
pub const VENDOR_SPECIFIC: u8 = 26;
/// Session-Timeout (RFC 2865 §5.27): seconds until the session ends.
pub const SESSION_TIMEOUT: u8 = 27;
/// Idle-Timeout (RFC 2865 §5.28): seconds of idleness that end the session.
pub const IDLE_TIMEOUT: u8 = 28;
/// Termination-Action (RFC 2865 §5.29).
pub const TERMINATION_ACTION: u8 = 29;
/// Called-Station-Id (RFC 2865 §5.30): MikroTik hotspot server name.
pub const CALLED_STATION_ID: u8 = 30;
/// Calling-Station-Id (RFC 2865 §5.31): the client's MAC (`AA:BB:CC:DD:EE:FF`).
pub const CALLING_STATION_ID: u8 = 31;
/// NAS-Identifier (RFC 2865 §5.32): the router identity.
pub const NAS_IDENTIFIER: u8 = 32;
/// Proxy-State (RFC 2865 §5.33): must be echoed unchanged in the reply.
pub const PROXY_STATE: u8 = 33;
/// Acct-Status-Type (RFC 2866 §5.1): see [`acct_status_type`].
pub const ACCT_STATUS_TYPE: u8 = 40;
/// Acct-Delay-Time (RFC 2866 §5.2): seconds the NAS has been trying to send this record.
pub const ACCT_DELAY_TIME: u8 = 41;
/// Acct-Input-Octets (RFC 2866 §5.3): octets from the client (bits 0–31).
pub const ACCT_INPUT_OCTETS: u8 = 42;
/// Acct-Output-Octets (RFC 2866 §5.4): octets to the client (bits 0–31).
pub const ACCT_OUTPUT_OCTETS: u8 = 43;
/// Acct-Session-Id (RFC 2866 §5.5): the NAS's id for the session.
pub const ACCT_SESSION_ID: u8 = 44;
/// Acct-Authentic (RFC 2866 §5.6).
pub const ACCT_AUTHENTIC: u8 = 45;
/// Acct-Session-Time (RFC 2866 §5.7): seconds the session has lasted.
pub const ACCT_SESSION_TIME: u8 = 46;
/// Acct-Input-Packets (RFC 2866 §5.8).
pub const ACCT_INPUT_PACKETS: u8 = 47;
/// Acct-Output-Packets (RFC 2866 §5.9).
pub const ACCT_OUTPUT_PACKETS: u8 = 48;
/// Acct-Terminate-Cause (RFC 2866 §5.10): see [`acct_terminate_cause`].
pub const ACCT_TERMINATE_CAUSE: u8 = 49;
/// Acct-Multi-Session-Id (RFC 2866 §5.11).
pub const ACCT_MULTI_SESSION_ID: u8 = 50;
/// Acct-Link-Count (RFC 2866 §5.12).
pub const ACCT_LINK_COUNT: u8 = 51;
/// Acct-Input-Gigawords (RFC 2869 §5.1): bits 32–63 of Acct-Input-Octets.
pub const ACCT_INPUT_GIGAWORDS: u8 = 52;
/// Acct-Output-Gigawords (RFC 2869 §5.2): bits 32–63 of Acct-Output-Octets.
pub const ACCT_OUTPUT_GIGAWORDS: u8 = 53;
/// Event-Timestamp (RFC 2869 §5.3): seconds since the Unix epoch.
pub const EVENT_TIMESTAMP: u8 = 55;
/// CHAP-Challenge (RFC 2865 §5.40): the challenge, when not the Request Authenticator.
pub const CHAP_CHALLENGE: u8 = 60;
/// NAS-Port-Type (RFC 2865 §5.41): see [`nas_port_type`].
pub const NAS_PORT_TYPE: u8 = 61;
/// Port-Limit (RFC 2865 §5.42).
pub const PORT_LIMIT: u8 = 62;
/// Connect-Info (RFC 2869 §5.11).
pub const CONNECT_INFO: u8 = 77;
/// EAP-Message (RFC 3579 §3.1).
pub const EAP_MESSAGE: u8 = 79;
/// Message-Authenticator (RFC 3579 §3.2): HMAC-MD5 of the packet, first attribute.
pub const MESSAGE_AUTHENTICATOR: u8 = 80;
/// Acct-Interim-Interval (RFC 2869 §5.16): seconds between interim updates.
pub const ACCT_INTERIM_INTERVAL: u8 = 85;
/// NAS-Port-Id (RFC 2869 §5.17): text port name (MikroTik: the interface).
pub const NAS_PORT_ID: u8 = 87;
/// Framed-Pool (RFC 2869 §5.18).
pub const FRAMED_POOL: u8 = 88;
/// Chargeable-User-Identity (RFC 4372).
pub const CHARGEABLE_USER_IDENTITY: u8 = 89;
/// NAS-IPv6-Address (RFC 3162 §2.1).
pub const NAS_IPV6_ADDRESS: u8 = 95;
/// Framed-Interface-Id (RFC 3162 §2.2).
pub const FRAMED_INTERFACE_ID: u8 = 96;
/// Framed-IPv6-Prefix (RFC 3162 §2.3).
pub const FRAMED_IPV6_PREFIX: u8 = 97;
/// Login-IPv6-Host (RFC 3162 §2.4).
pub const LOGIN_IPV6_HOST: u8 = 98;
/// Framed-IPv6-Route (RFC 3162 §2.5).
pub const FRAMED_IPV6_ROUTE: u8 = 99;
/// Framed-IPv6-Pool (RFC 3162 §2.6).
pub const FRAMED_IPV6_POOL: u8 = 100;
/// Error-Cause (RFC 5176 §3.5): see [`error_cause`].
pub const ERROR_CAUSE: u8 = 101;

/// The RFC name of a standard attribute number, for logs.
pub const fn attribute_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        USER_NAME => "User-Name",
        USER_PASSWORD => "User-Password",
        CHAP_PASSWORD => "CHAP-Password",
        NAS_IP_ADDRESS => "NAS-IP-Address",
        NAS_PORT => "NAS-Port",
        SERVICE_TYPE => "Service-Type",
        FRAMED_PROTOCOL => "Framed-Protocol",
        FRAMED_IP_ADDRESS => "Framed-IP-Address",
        FRAMED_IP_NETMASK => "Framed-IP-Netmask",
        FILTER_ID => "Filter-Id",
        FRAMED_MTU => "Framed-MTU",
        REPLY_MESSAGE => "Reply-Message",
        STATE => "State",
        CLASS => "Class",
        VENDOR_SPECIFIC => "Vendor-Specific",
        SESSION_TIMEOUT => "Session-Timeout",
        IDLE_TIMEOUT => "Idle-Timeout",
        TERMINATION_ACTION => "Termination-Action",
        CALLED_STATION_ID => "Called-Station-Id",
        CALLING_STATION_ID => "Calling-Station-Id",
        NAS_IDENTIFIER => "NAS-Identifier",
        PROXY_STATE => "Proxy-State",
        ACCT_STATUS_TYPE => "Acct-Status-Type",
        ACCT_DELAY_TIME => "Acct-Delay-Time",
        ACCT_INPUT_OCTETS => "Acct-Input-Octets",
        ACCT_OUTPUT_OCTETS => "Acct-Output-Octets",
        ACCT_SESSION_ID => "Acct-Session-Id",
        ACCT_AUTHENTIC => "Acct-Authentic",
        ACCT_SESSION_TIME => "Acct-Session-Time",
        ACCT_INPUT_PACKETS => "Acct-Input-Packets",
        ACCT_OUTPUT_PACKETS => "Acct-Output-Packets",
        ACCT_TERMINATE_CAUSE => "Acct-Terminate-Cause",
        ACCT_MULTI_SESSION_ID => "Acct-Multi-Session-Id",
        ACCT_LINK_COUNT => "Acct-Link-Count",
        ACCT_INPUT_GIGAWORDS => "Acct-Input-Gigawords",
        ACCT_OUTPUT_GIGAWORDS => "Acct-Output-Gigawords",
        EVENT_TIMESTAMP => "Event-Timestamp",
        CHAP_CHALLENGE => "CHAP-Challenge",
        NAS_PORT_TYPE => "NAS-Port-Type",
        PORT_LIMIT => "Port-Limit",
        CONNECT_INFO => "Connect-Info",
        EAP_MESSAGE => "EAP-Message",
        MESSAGE_AUTHENTICATOR => "Message-Authenticator",
        ACCT_INTERIM_INTERVAL => "Acct-Interim-Interval",
        NAS_PORT_ID => "NAS-Port-Id",
        FRAMED_POOL => "Framed-Pool",
        CHARGEABLE_USER_IDENTITY => "Chargeable-User-Identity",
        NAS_IPV6_ADDRESS => "NAS-IPv6-Address",
        FRAMED_INTERFACE_ID => "Framed-Interface-Id",
        FRAMED_IPV6_PREFIX => "Framed-IPv6-Prefix",
        LOGIN_IPV6_HOST => "Login-IPv6-Host",
        FRAMED_IPV6_ROUTE => "Framed-IPv6-Route",
        FRAMED_IPV6_POOL => "Framed-IPv6-Pool",
        ERROR_CAUSE => "Error-Cause",
        _ => return None,
    })
}

/// Values of Service-Type (RFC 2865 §5.6).
pub mod service_type {
    /// Login-User: what MikroTik hotspots send.
    pub const LOGIN_USER: u32 = 1;
    /// Framed-User (PPP and similar).
    pub const FRAMED_USER: u32 = 2;
    /// Authenticate-Only.
    pub const AUTHENTICATE_ONLY: u32 = 8;
    /// Call-Check.
    pub const CALL_CHECK: u32 = 10;
    /// Authorize-Only (RFC 5176 §3.2: a CoA-Request asking the NAS to re-authorise).
    pub const AUTHORIZE_ONLY: u32 = 17;
}

/// Values of NAS-Port-Type (RFC 2865 §5.41) that MikroTik hotspots send.
pub mod nas_port_type {
    /// Virtual.
    pub const VIRTUAL: u32 = 5;
    /// Ethernet.
    pub const ETHERNET: u32 = 15;
    /// Wireless - Other.
    pub const WIRELESS_OTHER: u32 = 18;
    /// Wireless - IEEE 802.11.
    pub const WIRELESS_802_11: u32 = 19;
}

/// Values of Acct-Status-Type (RFC 2866 §5.1).
pub mod acct_status_type {
    /// A session started.
    pub const START: u32 = 1;
    /// A session ended.
    pub const STOP: u32 = 2;
    /// A session is still running (periodic counters).
    pub const INTERIM_UPDATE: u32 = 3;
    /// The NAS (re)booted: close every session it had open.
    pub const ACCOUNTING_ON: u32 = 7;
    /// The NAS is going down: close every session it had open.
    pub const ACCOUNTING_OFF: u32 = 8;
}

/// Values of Acct-Terminate-Cause (RFC 2866 §5.10).
pub mod acct_terminate_cause {
    /// The user logged out.
    pub const USER_REQUEST: u32 = 1;
    /// Carrier lost.
    pub const LOST_CARRIER: u32 = 2;
    /// Service lost.
    pub const LOST_SERVICE: u32 = 3;
    /// Idle-Timeout expired.
    pub const IDLE_TIMEOUT: u32 = 4;
    /// Session-Timeout expired (or a traffic limit was reached, on MikroTik).
    pub const SESSION_TIMEOUT: u32 = 5;
    /// An administrator ended the session (e.g. our Disconnect-Request).
    pub const ADMIN_RESET: u32 = 6;
    /// An administrator rebooted the NAS.
    pub const ADMIN_REBOOT: u32 = 7;
    /// Port error.
    pub const PORT_ERROR: u32 = 8;
    /// NAS error.
    pub const NAS_ERROR: u32 = 9;
    /// NAS request.
    pub const NAS_REQUEST: u32 = 10;
    /// The NAS rebooted.
    pub const NAS_REBOOT: u32 = 11;
    /// Port unneeded.
    pub const PORT_UNNEEDED: u32 = 12;
    /// Port preempted.
    pub const PORT_PREEMPTED: u32 = 13;
    /// Port suspended.
    pub const PORT_SUSPENDED: u32 = 14;
    /// Service unavailable.
    pub const SERVICE_UNAVAILABLE: u32 = 15;
    /// Callback.
    pub const CALLBACK: u32 = 16;
    /// User error.
    pub const USER_ERROR: u32 = 17;
    /// Host request.
    pub const HOST_REQUEST: u32 = 18;
}

/// Values of Error-Cause in CoA/Disconnect ACK/NAK (RFC 5176 §3.5).
pub mod error_cause {
    /// Residual Session Context Removed (Disconnect-ACK only).
    pub const RESIDUAL_SESSION_CONTEXT_REMOVED: u32 = 201;
    /// Invalid EAP Packet (Ignored).
    pub const INVALID_EAP_PACKET: u32 = 202;
    /// Unsupported Attribute.
    pub const UNSUPPORTED_ATTRIBUTE: u32 = 401;
    /// Missing Attribute.
    pub const MISSING_ATTRIBUTE: u32 = 402;
    /// NAS Identification Mismatch.
    pub const NAS_IDENTIFICATION_MISMATCH: u32 = 403;
    /// Invalid Request.
    pub const INVALID_REQUEST: u32 = 404;
    /// Unsupported Service.
    pub const UNSUPPORTED_SERVICE: u32 = 405;
    /// Unsupported Extension.
    pub const UNSUPPORTED_EXTENSION: u32 = 406;
    /// Invalid Attribute Value.
    pub const INVALID_ATTRIBUTE_VALUE: u32 = 407;
    /// Administratively Prohibited.
    pub const ADMINISTRATIVELY_PROHIBITED: u32 = 501;
    /// Request Not Routable (Proxy).
    pub const REQUEST_NOT_ROUTABLE: u32 = 502;
    /// Session Context Not Found: no such session on the NAS.
    pub const SESSION_CONTEXT_NOT_FOUND: u32 = 503;
    /// Session Context Not Removable.
    pub const SESSION_CONTEXT_NOT_REMOVABLE: u32 = 504;
    /// Other Proxy Processing Error.
    pub const OTHER_PROXY_PROCESSING_ERROR: u32 = 505;
    /// Resources Unavailable.
    pub const RESOURCES_UNAVAILABLE: u32 = 506;
    /// Request Initiated.
    pub const REQUEST_INITIATED: u32 = 507;
    /// Multiple Session Selection Unsupported.
    pub const MULTIPLE_SESSION_SELECTION_UNSUPPORTED: u32 = 508;
}

/// MikroTik's vendor sub-attributes (vendor 14988, FreeRADIUS `dictionary.mikrotik`).
pub mod mikrotik {
    /// MikroTik's IANA enterprise number.
    pub const VENDOR_ID: u32 = 14988;
    /// Mikrotik-Recv-Limit (integer): byte limit for data from the client, bits 0–31.
    pub const RECV_LIMIT: u8 = 1;
    /// Mikrotik-Xmit-Limit (integer): byte limit for data to the client, bits 0–31.
    pub const XMIT_LIMIT: u8 = 2;
    /// Mikrotik-Group (string): hotspot user profile name on the router.
    pub const GROUP: u8 = 3;
    /// Mikrotik-Wireless-Forward (integer).
    pub const WIRELESS_FORWARD: u8 = 4;
    /// Mikrotik-Wireless-Skip-Dot1x (integer).
    pub const WIRELESS_SKIP_DOT1X: u8 = 5;
    /// Mikrotik-Wireless-Enc-Algo (integer).
    pub const WIRELESS_ENC_ALGO: u8 = 6;
    /// Mikrotik-Wireless-Enc-Key (string).
    pub const WIRELESS_ENC_KEY: u8 = 7;
    /// Mikrotik-Rate-Limit (string): `rx[/tx] [burst …]`, e.g. `2M/4M`.
    pub const RATE_LIMIT: u8 = 8;
    /// Mikrotik-Realm (string).
    pub const REALM: u8 = 9;
    /// Mikrotik-Host-IP (ipaddr): the client's original IP, sent in Access-Request.
    pub const HOST_IP: u8 = 10;
    /// Mikrotik-Mark-Id (string).
    pub const MARK_ID: u8 = 11;
    /// Mikrotik-Advertise-URL (string).
    pub const ADVERTISE_URL: u8 = 12;
    /// Mikrotik-Advertise-Interval (integer).
    pub const ADVERTISE_INTERVAL: u8 = 13;
    /// Mikrotik-Recv-Limit-Gigawords (integer): bits 32–63 of Recv-Limit.
    pub const RECV_LIMIT_GIGAWORDS: u8 = 14;
    /// Mikrotik-Xmit-Limit-Gigawords (integer): bits 32–63 of Xmit-Limit.
    pub const XMIT_LIMIT_GIGAWORDS: u8 = 15;
    /// Mikrotik-Wireless-PSK (string).
    pub const WIRELESS_PSK: u8 = 16;
    /// Mikrotik-Total-Limit (integer): byte limit up + down, bits 0–31.
    pub const TOTAL_LIMIT: u8 = 17;
    /// Mikrotik-Total-Limit-Gigawords (integer): bits 32–63 of Total-Limit.
    pub const TOTAL_LIMIT_GIGAWORDS: u8 = 18;
    /// Mikrotik-Address-List (string): firewall address list to put the client IP in.
    pub const ADDRESS_LIST: u8 = 19;
    /// Mikrotik-Wireless-MPKey (string).
    pub const WIRELESS_MPKEY: u8 = 20;
    /// Mikrotik-Wireless-Comment (string).
    pub const WIRELESS_COMMENT: u8 = 21;
    /// Mikrotik-Delegated-IPv6-Pool (string).
    pub const DELEGATED_IPV6_POOL: u8 = 22;
    /// Mikrotik-DHCP-Option-Set (string).
    pub const DHCP_OPTION_SET: u8 = 23;
    /// Mikrotik-DHCP-Option-Param-STR1 (string).
    pub const DHCP_OPTION_PARAM_STR1: u8 = 24;
    /// Mikrotik-DHCP-Option-Param-STR2 (string).
    pub const DHCP_OPTION_PARAM_STR2: u8 = 25;
    /// Mikrotik-Wireless-VLANID (integer).
    pub const WIRELESS_VLANID: u8 = 26;
    /// Mikrotik-Wireless-VLANID-Type (integer).
    pub const WIRELESS_VLANID_TYPE: u8 = 27;
    /// Mikrotik-Wireless-Minsignal (string).
    pub const WIRELESS_MINSIGNAL: u8 = 28;
    /// Mikrotik-Wireless-Maxsignal (string).
    pub const WIRELESS_MAXSIGNAL: u8 = 29;
    /// Mikrotik-Switching-Filter (string).
    pub const SWITCHING_FILTER: u8 = 30;
}

/// WISPr vendor sub-attributes (vendor 14122, FreeRADIUS `dictionary.wispr`).
pub mod wispr {
    /// WISPr's enterprise number (Wi-Fi Alliance).
    pub const VENDOR_ID: u32 = 14122;
    /// WISPr-Location-ID (string).
    pub const LOCATION_ID: u8 = 1;
    /// WISPr-Location-Name (string).
    pub const LOCATION_NAME: u8 = 2;
    /// WISPr-Logoff-URL (string): MikroTik sends it in Access-Request.
    pub const LOGOFF_URL: u8 = 3;
    /// WISPr-Redirection-URL (string).
    pub const REDIRECTION_URL: u8 = 4;
    /// WISPr-Bandwidth-Min-Up (integer, bits/s).
    pub const BANDWIDTH_MIN_UP: u8 = 5;
    /// WISPr-Bandwidth-Min-Down (integer, bits/s).
    pub const BANDWIDTH_MIN_DOWN: u8 = 6;
    /// WISPr-Bandwidth-Max-Up (integer, bits/s): client upload cap.
    pub const BANDWIDTH_MAX_UP: u8 = 7;
    /// WISPr-Bandwidth-Max-Down (integer, bits/s): client download cap.
    pub const BANDWIDTH_MAX_DOWN: u8 = 8;
    /// WISPr-Session-Terminate-Time (string).
    pub const SESSION_TERMINATE_TIME: u8 = 9;
    /// WISPr-Session-Terminate-End-Of-Day (string).
    pub const SESSION_TERMINATE_END_OF_DAY: u8 = 10;
    /// WISPr-Billing-Class-Of-Service (string).
    pub const BILLING_CLASS_OF_SERVICE: u8 = 11;
}
