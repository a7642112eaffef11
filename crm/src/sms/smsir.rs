//! sms.ir REST API v1 (`https://api.sms.ir/v1`), authenticated by the `x-api-key` header.
//!
//! - OTP: `POST {base}/v1/send/verify` with JSON
//!   `{"mobile":"09…","templateId":123,"parameters":[{"name":"CODE","value":"…"}]}`
//!   (the template, made in the sms.ir panel, must contain `#CODE#`).
//! - Text (and OTPs when no template is configured): `POST {base}/v1/send/bulk` with
//!   `{"lineNumber":300…,"messageText":"…","mobiles":["09…"]}`.
//! - Delivery: `GET {base}/v1/send/{messageId}` → `data.deliveryState`.
//!
//! Answers are `{"status":1,"message":"…","data":{…}}`; a status other than 1 is an
//! error code, mapped by [`classify`].

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::Result;
use crate::secret::Secret;

use super::http::{self, id_text};
use super::provider::{
    Delivery, DeliveryState, OutboundSms, ProviderError, ProviderErrorKind, ProviderReceipt,
    SmsProvider,
};

const NAME: &str = "smsir";
pub const DEFAULT_BASE_URL: &str = "https://api.sms.ir";
/// The parameter name an OTP template must use (`#CODE#` in the template text).
pub const CODE_PARAMETER: &str = "CODE";

pub struct SmsIr {
    client: reqwest::Client,
    base_url: String,
    api_key: Secret,
    line_number: i64,
    otp_template: Option<i64>,
}

impl SmsIr {
    pub fn new(
        base_url: Option<String>,
        api_key: Secret,
        line_number: i64,
        otp_template: Option<i64>,
    ) -> Result<SmsIr> {
        Ok(SmsIr {
            client: http::client()?,
            base_url: base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            api_key,
            line_number,
            otp_template,
        })
    }

    async fn read(response: reqwest::Response) -> Result<Value, ProviderError> {
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| http::transport_error(NAME, e))?;
        let answer: Answer =
            serde_json::from_slice(&bytes).map_err(|_| http::unreadable(NAME, status))?;
        if answer.status != 1 {
            return Err(api_error(answer.status, &answer.message));
        }
        Ok(answer.data)
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, ProviderError> {
        let response = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("x-api-key", self.api_key.expose())
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .map_err(|e| http::transport_error(NAME, e))?;
        Self::read(response).await
    }
}

#[derive(Deserialize)]
struct Answer {
    status: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Value,
}

/// sms.ir's documented `status` codes: whether a retry can help, and what it means.
pub fn classify(code: i64) -> (ProviderErrorKind, &'static str) {
    use ProviderErrorKind::{Permanent, Retryable};
    match code {
        0 => (Retryable, "problem in the provider's system"),
        10 => (Permanent, "the API key is invalid"),
        11 => (Permanent, "the API key is disabled"),
        12 => (Permanent, "the API key is limited to other IP addresses"),
        13 => (Permanent, "the account is disabled"),
        14 => (Permanent, "the account is suspended"),
        20 => (Retryable, "too many requests (rate limited)"),
        101 => (Permanent, "the sender line is invalid"),
        102 => (Permanent, "not enough credit"),
        103 => (Permanent, "the message text is empty"),
        104 => (Permanent, "the mobile number is invalid"),
        105 => (Permanent, "more than 100 mobile numbers"),
        106 => (Permanent, "more than 100 texts"),
        107 => (Permanent, "the mobile list is empty"),
        108 => (Permanent, "the text list is empty"),
        109 => (Permanent, "the send time is invalid"),
        110 => (Permanent, "numbers and texts differ in count"),
        111 => (Permanent, "no send with this id"),
        112 => (Permanent, "no record to delete"),
        113 => (Permanent, "the template was not found"),
        114 => (Permanent, "a parameter value is longer than 25 characters"),
        115 => (Permanent, "the mobile number is on the blacklist"),
        116 => (Permanent, "a parameter name is empty"),
        117 => (Permanent, "the text was not approved"),
        118 => (Permanent, "too many messages"),
        119 => (Permanent, "custom templates need a plan upgrade"),
        123 => (Permanent, "the sender line needs activation"),
        _ => (Permanent, "unknown error code"),
    }
}

fn api_error(code: i64, message: &str) -> ProviderError {
    let (kind, meaning) = classify(code);
    let message = message.trim();
    ProviderError {
        kind,
        provider: NAME,
        code: Some(code.to_string()),
        message: if message.is_empty() {
            meaning.to_string()
        } else {
            format!("{meaning} ({message})")
        },
    }
}

/// A `deliveryState` from the message report (or a delivery webhook).
pub fn delivery_from_state(state: i64) -> Delivery {
    let (s, meaning) = match state {
        1 => (DeliveryState::Delivered, "delivered to the phone"),
        2 => (DeliveryState::Failed, "not delivered to the phone"),
        3 => (DeliveryState::Pending, "processing at the operator"),
        4 => (DeliveryState::Failed, "did not reach the operator"),
        5 => (DeliveryState::Pending, "reached the operator"),
        6 => (DeliveryState::Failed, "error"),
        7 => (DeliveryState::Failed, "blacklisted"),
        _ => (DeliveryState::Pending, "unknown state"),
    };
    Delivery {
        state: s,
        provider_status: format!("{state} {meaning}"),
    }
}

impl SmsProvider for SmsIr {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn send(&self, sms: &OutboundSms) -> Result<ProviderReceipt, ProviderError> {
        let mobile = sms.phone.national();
        let message_id = match (sms.code(), self.otp_template) {
            (Some(code), Some(template)) => {
                let body = json!({
                    "mobile": mobile,
                    "templateId": template,
                    "parameters": [{"name": CODE_PARAMETER, "value": code}],
                });
                let data = self.post("/v1/send/verify", &body).await?;
                data.get("messageId").and_then(id_text)
            }
            _ => {
                let body = json!({
                    "lineNumber": self.line_number,
                    "messageText": sms.body,
                    "mobiles": [mobile],
                });
                let data = self.post("/v1/send/bulk", &body).await?;
                // One id per mobile: 0 = blacklisted, null = invalid number or text.
                match data.get("messageIds").and_then(|ids| ids.get(0)) {
                    Some(Value::Number(n)) if n.as_i64() == Some(0) => {
                        return Err(api_error(115, ""));
                    }
                    Some(Value::Null) => {
                        return Err(ProviderError::permanent(
                            NAME,
                            None,
                            "the number or the text was refused (no message id)",
                        ));
                    }
                    Some(v) => id_text(v),
                    None => None,
                }
            }
        };
        Ok(ProviderReceipt {
            message_id,
            delivered: false,
        })
    }

    async fn delivery(&self, message_id: &str) -> Result<Option<Delivery>, ProviderError> {
        if message_id.is_empty() || !message_id.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        let response = self
            .client
            .get(format!("{}/v1/send/{message_id}", self.base_url))
            .header("x-api-key", self.api_key.expose())
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| http::transport_error(NAME, e))?;
        let data = Self::read(response).await?;
        Ok(data
            .get("deliveryState")
            .and_then(Value::as_i64)
            .map(delivery_from_state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_codes_are_classified() {
        use ProviderErrorKind::*;
        for (code, kind) in [
            (0, Retryable),
            (20, Retryable),
            (10, Permanent),
            (101, Permanent),
            (102, Permanent),
            (104, Permanent),
            (113, Permanent),
            (115, Permanent),
            (777, Permanent),
        ] {
            assert_eq!(classify(code).0, kind, "{code}");
        }
    }

    #[test]
    fn delivery_states_map() {
        assert_eq!(delivery_from_state(1).state, DeliveryState::Delivered);
        assert_eq!(delivery_from_state(3).state, DeliveryState::Pending);
        assert_eq!(delivery_from_state(7).state, DeliveryState::Failed);
    }
}
