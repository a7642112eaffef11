//! CSRF protection for the forms of the portal, the booking and survey pages and the
//! owners' panel: a random token in a SameSite cookie that every POST must echo (double
//! submit), compared in constant time.

use axum::http::HeaderMap;
use rand::Rng;
use subtle::ConstantTimeEq;

const COOKIE: &str = "sx_portal_csrf";

pub fn new_token() -> String {
    let mut rng = rand::rng();
    (0..32)
        .map(|_| format!("{:x}", rng.random_range(0..16u8)))
        .collect()
}

/// The `Set-Cookie` value for `token`, sent back only to pages under `path`.
pub fn cookie(token: &str, path: &str) -> String {
    cookie_at(token, path, 3600)
}

/// The token's cookie for the pages under `path`, kept `max_age` seconds.
pub fn cookie_at(token: &str, path: &str, max_age: i64) -> String {
    format!("{COOKIE}={token}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

pub fn token_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && value.len() == 32)
        .map(|(_, value)| value.to_string())
}

pub fn matches(headers: &HeaderMap, given: &str) -> bool {
    match token_from(headers) {
        Some(expected) => bool::from(expected.as_bytes().ct_eq(given.as_bytes())),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_submit() {
        let token = new_token();
        let mut headers = HeaderMap::new();
        headers.insert("cookie", format!("a=b; {COOKIE}={token}").parse().unwrap());
        assert!(matches(&headers, &token));
        assert!(!matches(&headers, "x"));
        assert!(!matches(&HeaderMap::new(), &token));
    }
}
