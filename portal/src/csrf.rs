//! CSRF protection for the portal's and the survey page's forms: a random token in a
//! SameSite cookie that every POST must echo (double submit), compared in constant time.

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

pub fn cookie(token: &str) -> String {
    cookie_at("/hotspot", token)
}

/// The cookie for forms under `path` (the survey pages use `/s`).
pub fn cookie_at(path: &str, token: &str) -> String {
    format!("{COOKIE}={token}; Path={path}; HttpOnly; SameSite=Lax; Max-Age=3600")
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
