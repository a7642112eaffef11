//! The provider interface, its error model, and the provider chosen by configuration.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use crate::error::{Error, Result};
use crate::phone::Phone;
use crate::secret::Secret;
use crate::store::Store;

use super::Kind;
use super::console::Console;
use super::kavenegar::Kavenegar;
use super::smsir::SmsIr;

/// One message as a provider receives it (the outbox row, decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundSms {
    /// The outbox id.
    pub id: i64,
    pub tenant_id: i64,
    pub phone: Phone,
    pub kind: Kind,
    pub purpose: String,
    /// The full text (for an OTP it contains the code: never log it).
    pub body: String,
    /// Template parameters; an OTP has `code`.
    pub params: BTreeMap<String, String>,
}

impl OutboundSms {
    /// The one-time code of an OTP message.
    pub fn code(&self) -> Option<&str> {
        match self.kind {
            Kind::Otp => self.params.get("code").map(String::as_str),
            Kind::Text => None,
        }
    }
}

/// What a provider says when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderReceipt {
    /// The provider's id for the message (what delivery reports name), if it gave one.
    pub message_id: Option<String>,
    /// True when the provider already knows it reached the phone (the console does).
    pub delivered: bool,
}

/// Whether trying the same message again later can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderErrorKind {
    /// Network trouble, timeouts, the provider's 5xx, rate limiting: try again later.
    Retryable,
    /// Invalid number, bad API key or sender line, no credit, unknown template, a
    /// rejected text: the same request will fail again.
    Permanent,
}

/// A provider's refusal or a failure to reach it, with the provider's own code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProviderError {
    pub kind: ProviderErrorKind,
    /// `console`, `kavenegar`, `smsir`.
    pub provider: &'static str,
    /// The provider's status or error code, e.g. `418`, or `HTTP 503`.
    pub code: Option<String>,
    /// What went wrong, in English, followed by the provider's own message if any.
    pub message: String,
}

impl ProviderError {
    pub fn retryable(
        provider: &'static str,
        code: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        ProviderError {
            kind: ProviderErrorKind::Retryable,
            provider,
            code,
            message: message.into(),
        }
    }

    pub fn permanent(
        provider: &'static str,
        code: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        ProviderError {
            kind: ProviderErrorKind::Permanent,
            provider,
            code,
            message: message.into(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.kind == ProviderErrorKind::Retryable
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ProviderErrorKind::Retryable => "retryable",
            ProviderErrorKind::Permanent => "permanent",
        };
        match &self.code {
            Some(code) => write!(f, "{} {code} ({kind}): {}", self.provider, self.message),
            None => write!(f, "{} ({kind}): {}", self.provider, self.message),
        }
    }
}

/// What became of a sent message, from a delivery report or a status query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub state: DeliveryState,
    /// The provider's raw state and its meaning, e.g. `10 delivered`.
    pub provider_status: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Still on its way (queued at the provider, at the operator…).
    Pending,
    Delivered,
    /// It will not arrive (undelivered, blocked, cancelled, blacklisted…).
    Failed,
}

/// An SMS gateway. Implementations must not log message bodies (OTP codes) or keys.
pub trait SmsProvider: Send + Sync {
    /// Short name stored in the outbox (`console`, `kavenegar`, `smsir`).
    fn name(&self) -> &'static str;

    /// Hands one message to the gateway.
    fn send(
        &self,
        sms: &OutboundSms,
    ) -> impl Future<Output = Result<ProviderReceipt, ProviderError>> + Send;

    /// Asks the gateway what became of a message it accepted; `None` when the provider
    /// cannot tell (then only webhooks update the outbox).
    fn delivery(
        &self,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<Delivery>, ProviderError>> + Send {
        let _ = message_id;
        async { Ok(None) }
    }
}

/// Which gateway `smartx serve` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProviderKind {
    /// Development: messages land in `sms_console` (the "phone inbox") and on stdout.
    #[default]
    Console,
    Kavenegar,
    SmsIr,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Console => "console",
            ProviderKind::Kavenegar => "kavenegar",
            ProviderKind::SmsIr => "smsir",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ProviderKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "console" | "log" => Ok(ProviderKind::Console),
            "kavenegar" => Ok(ProviderKind::Kavenegar),
            "smsir" | "sms.ir" => Ok(ProviderKind::SmsIr),
            other => Err(Error::Invalid(format!(
                "unknown SMS provider {other:?}: expected console, kavenegar or smsir"
            ))),
        }
    }
}

/// The provider settings (`--sms-provider`, `SMARTX_SMS_API_KEY`, `--sms-sender`,
/// `--sms-otp-template`, `--sms-base-url`).
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    pub api_key: Option<Secret>,
    /// The sender line number (Kavenegar `sender`, sms.ir `lineNumber`).
    pub sender: Option<String>,
    /// Kavenegar template name for `verify/lookup`, or sms.ir template id for
    /// `send/verify`. Without one, OTPs go out as plain text.
    pub otp_template: Option<String>,
    /// Overrides the provider's API address (tests point it at a local fake).
    pub base_url: Option<String>,
}

/// The configured provider: one of the adapters, chosen at start-up.
pub enum Provider {
    Console(Console),
    Kavenegar(Kavenegar),
    SmsIr(SmsIr),
}

impl Provider {
    /// Builds the provider `config` names; a missing key or a malformed setting is an
    /// error that says which setting to fix.
    pub fn build(store: &Store, config: &ProviderConfig) -> Result<Provider> {
        let base_url = config.base_url.as_deref().map(check_base_url).transpose()?;
        let sender = config
            .sender
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let template = config
            .otp_template
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let api_key = || {
            config
                .api_key
                .clone()
                .filter(|k| !k.expose().trim().is_empty())
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "the {} SMS provider needs an API key: set SMARTX_SMS_API_KEY \
                         (or sms-api-key in the config file)",
                        config.kind
                    ))
                })
        };
        Ok(match config.kind {
            ProviderKind::Console => Provider::Console(Console::new(store.clone())),
            ProviderKind::Kavenegar => Provider::Kavenegar(Kavenegar::new(
                base_url,
                api_key()?,
                sender.map(str::to_string),
                template.map(str::to_string),
            )?),
            ProviderKind::SmsIr => {
                let line = sender.ok_or_else(|| {
                    Error::Invalid(
                        "the smsir SMS provider needs the sender line number: set --sms-sender \
                         (SMARTX_SMS_SENDER)"
                            .into(),
                    )
                })?;
                let line: i64 = line.parse().map_err(|_| {
                    Error::Invalid(format!(
                        "sms.ir sender line {line:?} must be a number, e.g. 30007732000000"
                    ))
                })?;
                let template = template
                    .map(|t| {
                        t.parse::<i64>().map_err(|_| {
                            Error::Invalid(format!(
                                "sms.ir OTP template {t:?} must be the numeric template id"
                            ))
                        })
                    })
                    .transpose()?;
                Provider::SmsIr(SmsIr::new(base_url, api_key()?, line, template)?)
            }
        })
    }
}

fn check_base_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() < 10 {
        return Err(Error::Invalid(format!(
            "SMS base URL {url:?} must start with https:// (or http:// for a local test server)"
        )));
    }
    Ok(url.to_string())
}

impl SmsProvider for Provider {
    fn name(&self) -> &'static str {
        match self {
            Provider::Console(p) => p.name(),
            Provider::Kavenegar(p) => p.name(),
            Provider::SmsIr(p) => p.name(),
        }
    }

    async fn send(&self, sms: &OutboundSms) -> Result<ProviderReceipt, ProviderError> {
        match self {
            Provider::Console(p) => p.send(sms).await,
            Provider::Kavenegar(p) => p.send(sms).await,
            Provider::SmsIr(p) => p.send(sms).await,
        }
    }

    async fn delivery(&self, message_id: &str) -> Result<Option<Delivery>, ProviderError> {
        match self {
            Provider::Console(p) => p.delivery(message_id).await,
            Provider::Kavenegar(p) => p.delivery(message_id).await,
            Provider::SmsIr(p) => p.delivery(message_id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_parse() {
        assert_eq!(
            "console".parse::<ProviderKind>().unwrap(),
            ProviderKind::Console
        );
        assert_eq!(
            " Kavenegar ".parse::<ProviderKind>().unwrap(),
            ProviderKind::Kavenegar
        );
        assert_eq!(
            "sms.ir".parse::<ProviderKind>().unwrap(),
            ProviderKind::SmsIr
        );
        let err = "twilio".parse::<ProviderKind>().unwrap_err().to_string();
        assert!(err.contains("console, kavenegar or smsir"), "{err}");
    }

    #[test]
    fn errors_name_provider_code_and_kind() {
        let e = ProviderError::permanent("kavenegar", Some("418".into()), "no credit");
        assert_eq!(e.to_string(), "kavenegar 418 (permanent): no credit");
        assert!(!e.is_retryable());
        let e = ProviderError::retryable("smsir", None, "timed out");
        assert_eq!(e.to_string(), "smsir (retryable): timed out");
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            check_base_url("http://127.0.0.1:9/").unwrap(),
            "http://127.0.0.1:9"
        );
        assert!(check_base_url("ftp://example.org").is_err());
    }
}
