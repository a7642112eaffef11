//! What the router's `login.html` hands the portal (MikroTik `$(…)` variables), and the
//! hotspot login we hand back.

use md5::{Digest, Md5};
use serde::Deserialize;

/// The router's variables, carried through every portal page as hidden fields.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Handoff {
    #[serde(default)]
    pub nas: String,
    #[serde(default)]
    pub mac: String,
    #[serde(default)]
    pub ip: String,
    #[serde(default, rename = "link-login-only")]
    pub link_login_only: String,
    #[serde(default, rename = "link-orig")]
    pub link_orig: String,
    #[serde(default, rename = "chap-id")]
    pub chap_id: String,
    #[serde(default, rename = "chap-challenge")]
    pub chap_challenge: String,
    #[serde(default)]
    pub identity: String,
    #[serde(default, rename = "server-name")]
    pub server_name: String,
    #[serde(default)]
    pub error: String,
}

impl Handoff {
    /// The client's MAC, if the router knew it (`$(mac)` is empty or `---` otherwise).
    pub fn mac(&self) -> Option<String> {
        crm::devices::normalize_mac(&self.mac).ok()
    }

    pub fn nas_id(&self) -> Option<i64> {
        self.nas.trim().parse().ok()
    }

    /// Where the login goes: must be the router's http(s) URL, nothing else (the value
    /// comes through the guest's browser).
    pub fn login_url(&self) -> Option<&str> {
        let url = self.link_login_only.trim();
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))?;
        let host = rest.split(['/', '?', '#']).next()?;
        let ok = !host.is_empty()
            && !url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
        ok.then_some(url)
    }

    /// The password field for the router's login form: with CHAP (`chap-id` present)
    /// `hex(MD5(chap-id ‖ password ‖ chap-challenge))` computed here, so the guest's
    /// page needs no MD5 JavaScript; without, the plain password (PAP).
    pub fn login_password(&self, password: &str) -> Result<String, &'static str> {
        if self.chap_id.is_empty() {
            return Ok(password.to_string());
        }
        let id = unescape_octal(&self.chap_id)?;
        let challenge = unescape_octal(&self.chap_challenge)?;
        let [id] = id.as_slice() else {
            return Err("chap-id must be one octet");
        };
        let digest = Md5::new()
            .chain_update([*id])
            .chain_update(password.as_bytes())
            .chain_update(&challenge)
            .finalize();
        Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// RouterOS writes `$(chap-id)` and `$(chap-challenge)` as octal escapes (`\371\015…`);
/// other characters stand for themselves.
pub fn unescape_octal(text: &str) -> Result<Vec<u8>, &'static str> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 4 + 1);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let digits = bytes.get(i + 1..i + 4).ok_or("truncated octal escape")?;
            if !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                return Err("bad octal escape");
            }
            let value = digits
                .iter()
                .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            out.push(u8::try_from(value).map_err(|_| "octal escape above 255")?);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_escapes_become_bytes() {
        assert_eq!(
            unescape_octal(r"\371\015ab\000").unwrap(),
            vec![0o371, 0o15, b'a', b'b', 0]
        );
        assert!(unescape_octal(r"\38").is_err());
        assert!(unescape_octal(r"\9zz").is_err());
        assert!(unescape_octal(r"\777").is_err());
    }

    #[test]
    fn chap_password_is_computed_server_side() {
        // The same value RouterOS's md5.js computes: hexMD5('\043' + 'secret' + challenge).
        let h = Handoff {
            chap_id: r"\043".into(),
            chap_challenge: r"\224\164\344\001\272\075\264\114\356\071\036\111\375\057\301\204"
                .into(),
            ..Default::default()
        };
        let mut expected = Md5::new();
        expected.update([0o43u8]);
        expected.update(b"secret");
        expected.update([
            0o224, 0o164, 0o344, 0o1, 0o272, 0o75, 0o264, 0o114, 0o356, 0o71, 0o36, 0o111, 0o375,
            0o57, 0o301, 0o204,
        ]);
        let expected: String = expected
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(h.login_password("secret").unwrap(), expected);
        assert_eq!(Handoff::default().login_password("pw").unwrap(), "pw");
    }

    #[test]
    fn only_router_urls_are_login_targets() {
        let with = |u: &str| Handoff {
            link_login_only: u.into(),
            ..Default::default()
        };
        assert_eq!(
            with("http://10.5.50.1/login").login_url(),
            Some("http://10.5.50.1/login")
        );
        assert_eq!(
            with("https://hs.example/login?x=1").login_url(),
            Some("https://hs.example/login?x=1")
        );
        for bad in [
            "javascript:alert(1)",
            "",
            "http://",
            "//evil/login",
            "http://a b/",
            "http://x/\"><script>",
        ] {
            assert_eq!(with(bad).login_url(), None, "{bad}");
        }
    }
}
