//! Kavenegar (kavenegar.com) REST API v1.
//!
//! - OTP: `POST {base}/v1/{API-KEY}/verify/lookup.json` with form fields `receptor`
//!   (09…), `token` (the code) and `template` (a template approved in the panel).
//! - Text (and OTPs when no template is configured): `POST {base}/v1/{API-KEY}/sms/send.json`
//!   with `receptor`, `message` and, if configured, `sender` (else the account's default line).
//! - Delivery: `POST {base}/v1/{API-KEY}/sms/status.json` with `messageid`.
//!
//! Every answer is `{"return":{"status":200,"message":"…"},"entries":[…]}`; a status
//! other than 200 is an error code (also the HTTP status), mapped by [`classify`].
//! The API key is part of the URL, so no URL is ever put in an error or a log line.

use serde::Deserialize;
use serde_json::Value;

use crate::error::Result;
use crate::secret::Secret;

use super::http::{self, id_text, path_segment};
use super::provider::{
    Delivery, DeliveryState, OutboundSms, ProviderError, ProviderErrorKind, ProviderReceipt,
    SmsProvider,
};

const NAME: &str = "kavenegar";
pub const DEFAULT_BASE_URL: &str = "https://api.kavenegar.com";

pub struct Kavenegar {
    client: reqwest::Client,
    base_url: String,
    api_key: Secret,
    sender: Option<String>,
    otp_template: Option<String>,
}

impl Kavenegar {
    pub fn new(
        base_url: Option<String>,
        api_key: Secret,
        sender: Option<String>,
        otp_template: Option<String>,
    ) -> Result<Kavenegar> {
        Ok(Kavenegar {
            client: http::client()?,
            base_url: base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            api_key,
            sender,
            otp_template,
        })
    }

    fn url(&self, method: &str) -> String {
        format!(
            "{}/v1/{}/{method}.json",
            self.base_url,
            path_segment(self.api_key.expose())
        )
    }

    async fn call(&self, method: &str, form: &[(&str, &str)]) -> Result<Envelope, ProviderError> {
        let response = self
            .client
            .post(self.url(method))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .map_err(|e| http::transport_error(NAME, e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| http::transport_error(NAME, e))?;
        let envelope: Envelope =
            serde_json::from_slice(&bytes).map_err(|_| http::unreadable(NAME, status))?;
        if envelope.ret.status != 200 {
            return Err(api_error(envelope.ret.status, &envelope.ret.message));
        }
        Ok(envelope)
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "return")]
    ret: Return,
    #[serde(default)]
    entries: Value,
}

#[derive(Deserialize)]
struct Return {
    status: i64,
    #[serde(default)]
    message: String,
}

impl Envelope {
    fn first_entry(&self) -> Option<&Value> {
        match &self.entries {
            Value::Array(a) => a.first(),
            v @ Value::Object(_) => Some(v),
            _ => None,
        }
    }
}

/// Kavenegar's documented `return.status` codes: whether a retry can help, and what the
/// code means.
pub fn classify(code: i64) -> (ProviderErrorKind, &'static str) {
    use ProviderErrorKind::{Permanent, Retryable};
    match code {
        400 => (Permanent, "parameters are incomplete"),
        401 => (
            Permanent,
            "the account is disabled or the API key is invalid",
        ),
        402 => (Retryable, "the operation failed"),
        403 => (Permanent, "the API key is not valid"),
        404 => (Permanent, "no API method with this name"),
        405 => (Permanent, "wrong HTTP method"),
        406 => (Permanent, "required parameters are empty"),
        407 => (Permanent, "access denied (IP restriction in the panel)"),
        409 => (Retryable, "the server cannot answer now"),
        411 => (Permanent, "the receptor number is invalid"),
        412 => (Permanent, "the sender line is invalid"),
        413 => (Permanent, "the message is empty or too long"),
        414 => (Permanent, "too many records in one request"),
        415 => (Permanent, "start index is beyond the records"),
        416 => (
            Permanent,
            "the calling IP does not match the account settings",
        ),
        417 => (Permanent, "the send date is invalid"),
        418 => (Permanent, "not enough credit"),
        419 => (Permanent, "array lengths differ"),
        420 => (
            Permanent,
            "links in the text are restricted for this account",
        ),
        422 => (Permanent, "the data contains invalid characters"),
        424 => (Permanent, "the template was not found"),
        426 => (Permanent, "this method needs an advanced plan"),
        427 => (Permanent, "this line needs an access level"),
        428 => (Permanent, "the code cannot be sent by voice call"),
        429 => (Retryable, "too many requests"),
        431 => (Permanent, "the code is malformed"),
        432 => (Permanent, "the template has no code parameter"),
        451 => (Retryable, "too many calls in a short time (rate limited)"),
        501 => (Permanent, "a test account may only text its owner's number"),
        607 => (Permanent, "invalid tag name"),
        500..=599 => (Retryable, "server error"),
        _ => (Permanent, "unknown error code"),
    }
}

fn api_error(code: i64, message: &str) -> ProviderError {
    let (kind, meaning) = classify(code);
    let message = message.trim();
    let text = if message.is_empty() {
        meaning.to_string()
    } else {
        format!("{meaning} ({message})")
    };
    ProviderError {
        kind,
        provider: NAME,
        code: Some(code.to_string()),
        message: text,
    }
}

/// A message status from `sms/status.json`, a send answer or a delivery report.
pub fn delivery_from_status(status: i64) -> Delivery {
    let (state, meaning) = match status {
        1 => (DeliveryState::Pending, "queued"),
        2 => (DeliveryState::Pending, "scheduled"),
        4 | 5 => (DeliveryState::Pending, "sent to the operator"),
        6 => (DeliveryState::Failed, "failed"),
        10 => (DeliveryState::Delivered, "delivered"),
        11 => (DeliveryState::Failed, "undelivered"),
        13 => (DeliveryState::Failed, "cancelled"),
        14 => (DeliveryState::Failed, "blocked by the receiver"),
        // "Invalid id": Kavenegar keeps statuses for 48 hours; say nothing new.
        100 => (DeliveryState::Pending, "unknown message id"),
        _ => (DeliveryState::Pending, "unknown status"),
    };
    Delivery {
        state,
        provider_status: format!("{status} {meaning}"),
    }
}

impl SmsProvider for Kavenegar {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn send(&self, sms: &OutboundSms) -> Result<ProviderReceipt, ProviderError> {
        let receptor = sms.phone.national();
        let envelope = match (sms.code(), self.otp_template.as_deref()) {
            (Some(code), Some(template)) => {
                let form = [
                    ("receptor", receptor.as_str()),
                    ("token", code),
                    ("template", template),
                ];
                self.call("verify/lookup", &form).await?
            }
            _ => {
                let mut form = vec![
                    ("receptor", receptor.as_str()),
                    ("message", sms.body.as_str()),
                ];
                if let Some(sender) = &self.sender {
                    form.push(("sender", sender.as_str()));
                }
                self.call("sms/send", &form).await?
            }
        };
        let entry = envelope.first_entry();
        let message_id = entry.and_then(|e| e.get("messageid")).and_then(id_text);
        let delivery = entry
            .and_then(|e| e.get("status"))
            .and_then(Value::as_i64)
            .map(delivery_from_status);
        match delivery {
            Some(d) if d.state == DeliveryState::Failed => Err(ProviderError::permanent(
                NAME,
                Some(format!("status {}", d.provider_status)),
                "the gateway accepted the request but reports the message as not sendable",
            )),
            d => Ok(ProviderReceipt {
                message_id,
                delivered: d.is_some_and(|d| d.state == DeliveryState::Delivered),
            }),
        }
    }

    async fn delivery(&self, message_id: &str) -> Result<Option<Delivery>, ProviderError> {
        let envelope = self
            .call("sms/status", &[("messageid", message_id)])
            .await?;
        Ok(envelope
            .first_entry()
            .and_then(|e| e.get("status"))
            .and_then(Value::as_i64)
            .map(delivery_from_status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_codes_are_classified() {
        use ProviderErrorKind::*;
        for (code, kind) in [
            (400, Permanent),
            (401, Permanent),
            (403, Permanent),
            (411, Permanent),
            (412, Permanent),
            (418, Permanent),
            (424, Permanent),
            (402, Retryable),
            (409, Retryable),
            (429, Retryable),
            (451, Retryable),
            (503, Retryable),
            (999, Permanent),
        ] {
            assert_eq!(classify(code).0, kind, "{code}");
        }
        let e = api_error(418, "اعتبار کافی نیست");
        assert_eq!(e.code.as_deref(), Some("418"));
        assert_eq!(e.message, "not enough credit (اعتبار کافی نیست)");
    }

    #[test]
    fn statuses_map_to_delivery_states() {
        assert_eq!(delivery_from_status(10).state, DeliveryState::Delivered);
        assert_eq!(delivery_from_status(11).state, DeliveryState::Failed);
        assert_eq!(delivery_from_status(14).state, DeliveryState::Failed);
        assert_eq!(delivery_from_status(4).state, DeliveryState::Pending);
        assert_eq!(delivery_from_status(10).provider_status, "10 delivered");
    }
}
