//! What a MikroTik router needs to use smartx: a RouterOS v7 script (RADIUS, CoA, hotspot
//! profile, walled garden) and the hotspot HTML pages that hand the guest to the portal.
//!
//! Plain inputs in, text out: the `smartx router-config` command fills a [`RouterSetup`]
//! from the NAS record, and the portal uses [`PORTAL_START_PATH`] and [`fields`] to read
//! what the router's login page posts. See `docs/router-setup.md` for the operator's side.

mod html;
mod routeros;
mod url;

use std::fmt;
use std::net::IpAddr;

pub use html::{PAGES, html_escape, login_html, page, write_html_dir};
pub use routeros::{COMMENT, parse_line, quote, routeros_script, value};
pub use url::{Host, PortalUrl, Scheme};

/// Where the router's `login.html` posts the guest on the portal (`POST`, form-encoded).
pub const PORTAL_START_PATH: &str = "/hotspot/start";

/// Names of the form fields `login.html` posts to [`PORTAL_START_PATH`].
pub mod fields {
    /// Fields filled in by the router (`$(name)` in the page), in the order they are posted.
    pub const ROUTER: [&str; 10] = [
        MAC,
        IP,
        USERNAME,
        LINK_LOGIN_ONLY,
        LINK_ORIG,
        CHAP_ID,
        CHAP_CHALLENGE,
        IDENTITY,
        SERVER_NAME,
        ERROR,
    ];
    /// Client MAC, `AA:BB:CC:DD:EE:FF` (`---` if the router does not know it).
    pub const MAC: &str = "mac";
    /// Client IP address.
    pub const IP: &str = "ip";
    /// The user name typed earlier, if any.
    pub const USERNAME: &str = "username";
    /// The router's own login URL (`http://<hotspot>/login`): send the guest back here.
    pub const LINK_LOGIN_ONLY: &str = "link-login-only";
    /// The URL the guest originally asked for (send it back as `dst`).
    pub const LINK_ORIG: &str = "link-orig";
    /// CHAP id, octal-escaped bytes (`\371`).
    pub const CHAP_ID: &str = "chap-id";
    /// CHAP challenge, octal-escaped bytes (`\357\015…`).
    pub const CHAP_CHALLENGE: &str = "chap-challenge";
    /// The router's `/system identity`.
    pub const IDENTITY: &str = "identity";
    /// The hotspot server's name (`hotspot1`).
    pub const SERVER_NAME: &str = "server-name";
    /// Why the previous login failed (RADIUS `Reply-Message`), else empty.
    pub const ERROR: &str = "error";
    /// The NAS's numeric id in smartx, baked into the page: tells the portal the tenant.
    pub const NAS: &str = "nas";
}

/// Why a setup cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The portal URL is unusable; the message says why.
    PortalUrl(String),
    /// Another setting is unusable; the message says which and why.
    Invalid(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::PortalUrl(m) => write!(f, "invalid portal URL {m}"),
            Error::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

/// Everything the script and the pages depend on.
#[derive(Clone, PartialEq, Eq)]
pub struct RouterSetup {
    /// The NAS's name in smartx (only shown in the script's header comment).
    pub nas_name: String,
    /// The NAS's id in smartx, posted by the login page as `nas`.
    pub nas_id: i64,
    /// RADIUS shared secret.
    pub secret: String,
    /// Address of smartx's RADIUS server as the router reaches it.
    pub radius_server: IpAddr,
    pub authentication_port: u16,
    pub accounting_port: u16,
    /// The portal's base URL; the login page posts to `<portal>/hotspot/start`.
    pub portal_url: PortalUrl,
    /// `/ip hotspot profile` to configure.
    pub hotspot_profile: String,
    /// Directory in the router's Files holding the login pages.
    pub html_directory: String,
    /// Accounting interim update, seconds.
    pub interim: u32,
    /// Port of the router's `/radius incoming` (Disconnect/CoA).
    pub coa_port: u16,
    /// The router's source address for RADIUS, when it has several.
    pub src_address: Option<IpAddr>,
    /// `login-by` of the hotspot profile.
    pub login_by: String,
}

/// Never prints the secret.
impl fmt::Debug for RouterSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterSetup")
            .field("nas_name", &self.nas_name)
            .field("nas_id", &self.nas_id)
            .field("secret", &"***")
            .field("radius_server", &self.radius_server)
            .field("portal_url", &self.portal_url.base())
            .field("hotspot_profile", &self.hotspot_profile)
            .field("html_directory", &self.html_directory)
            .field("interim", &self.interim)
            .field("coa_port", &self.coa_port)
            .field("src_address", &self.src_address)
            .field("login_by", &self.login_by)
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_HOTSPOT_PROFILE: &str = "hsprof1";
pub const DEFAULT_HTML_DIRECTORY: &str = "smartx";
pub const DEFAULT_INTERIM: u32 = 300;
pub const DEFAULT_LOGIN_BY: &str = "http-chap,mac";

/// `login-by` methods RouterOS v7 hotspot profiles accept.
const LOGIN_METHODS: [&str; 7] = [
    "cookie",
    "http-chap",
    "http-pap",
    "https",
    "mac",
    "mac-cookie",
    "trial",
];

impl RouterSetup {
    /// A setup with the defaults: profile `hsprof1`, directory `smartx`, interim 300 s,
    /// ports 1812/1813, CoA 3799, `login-by=http-chap,mac`, no `src-address`.
    pub fn new(
        nas_name: impl Into<String>,
        nas_id: i64,
        secret: impl Into<String>,
        radius_server: IpAddr,
        portal_url: PortalUrl,
    ) -> RouterSetup {
        RouterSetup {
            nas_name: nas_name.into(),
            nas_id,
            secret: secret.into(),
            radius_server,
            authentication_port: 1812,
            accounting_port: 1813,
            portal_url,
            hotspot_profile: DEFAULT_HOTSPOT_PROFILE.into(),
            html_directory: DEFAULT_HTML_DIRECTORY.into(),
            interim: DEFAULT_INTERIM,
            coa_port: 3799,
            src_address: None,
            login_by: DEFAULT_LOGIN_BY.into(),
        }
    }

    /// Checks what quoting cannot make right. The generators never produce broken syntax
    /// whatever the values; this catches values the router would refuse or misuse.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::Invalid(m));
        if self.secret.is_empty() {
            return bad("the NAS has an empty RADIUS secret".into());
        }
        if self.hotspot_profile.trim().is_empty() {
            return bad("the hotspot profile name is empty".into());
        }
        let dir = &self.html_directory;
        if dir.is_empty()
            || dir.starts_with('/')
            || dir.ends_with('/')
            || dir
                .split('/')
                .any(|p| p.is_empty() || p == "." || p == "..")
            || !dir
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        {
            return bad(format!(
                "html directory {dir:?}: use a relative path of letters, digits, '-', '_', '.' \
                 (e.g. smartx or flash/smartx)"
            ));
        }
        if self.interim == 0 {
            return bad("the interim update must be at least 1 second".into());
        }
        if self.nas_id <= 0 {
            return bad(format!("NAS id {} is not a stored NAS", self.nas_id));
        }
        for m in self.login_by.split(',') {
            if !LOGIN_METHODS.contains(&m) {
                return bad(format!(
                    "login-by {m:?} is not one of {}",
                    LOGIN_METHODS.join(", ")
                ));
            }
        }
        if self.radius_server.is_unspecified() {
            return bad("the RADIUS server address is 0.0.0.0/::".into());
        }
        if self
            .src_address
            .is_some_and(|a| a.is_ipv4() != self.radius_server.is_ipv4())
        {
            return bad("src-address and the RADIUS server are not the same IP version".into());
        }
        Ok(())
    }
}
