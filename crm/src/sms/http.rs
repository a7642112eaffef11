//! The HTTP client the gateway adapters share: rustls with the bundled webpki roots
//! (works in a slim container without a CA bundle), bounded timeouts, no proxy lookup.

use std::time::Duration;

use crate::error::{Error, Result};

use super::provider::ProviderError;

/// How long one request to a gateway may take in all; the drainer re-queues a message
/// whose worker vanished only after much longer (see `drain::SENDING_TIMEOUT`).
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("smartx/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Invalid(format!("cannot set up the HTTP client for SMS: {e}")))
}

/// A request that never got an answer: always worth another try. The URL is left out
/// of the message because Kavenegar's carries the API key.
pub(crate) fn transport_error(provider: &'static str, err: reqwest::Error) -> ProviderError {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let err = err.without_url();
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    ProviderError::retryable(provider, None, format!("{what}: {detail}"))
}

/// A response whose body is not the provider's documented JSON: judged by HTTP status.
pub(crate) fn unreadable(provider: &'static str, status: reqwest::StatusCode) -> ProviderError {
    let code = Some(format!("HTTP {}", status.as_u16()));
    if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
        || status.is_success()
    {
        ProviderError::retryable(
            provider,
            code,
            "the gateway answered with an unreadable body",
        )
    } else if status == reqwest::StatusCode::UNAUTHORIZED
        || status == reqwest::StatusCode::FORBIDDEN
    {
        ProviderError::permanent(provider, code, "the gateway refused the API key")
    } else {
        ProviderError::permanent(provider, code, "the gateway refused the request")
    }
}

/// Percent-encodes everything but unreserved characters, for a value inside a URL path.
pub(crate) fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A provider's message id as text, whether its JSON has a number or a string.
pub(crate) fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("AbC-1.2_~"), "AbC-1.2_~");
        assert_eq!(path_segment("a/b c=="), "a%2Fb%20c%3D%3D");
    }

    #[test]
    fn ids_read_from_numbers_or_strings() {
        assert_eq!(id_text(&serde_json::json!(8792343)), Some("8792343".into()));
        assert_eq!(id_text(&serde_json::json!(" 77 ")), Some("77".into()));
        assert_eq!(id_text(&serde_json::json!(null)), None);
    }
}
