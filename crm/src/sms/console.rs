//! The development provider: "delivers" by appending to `sms_console` (the phone inbox
//! that `smartx sms inbox` reads) and printing `SMS to 09…: <text>` on stdout.
//!
//! This is a delivery channel, like a phone: it is the one place where a one-time code
//! appears in clear. Do not run it in production (docs/sms.md).

use std::io::Write;

use crate::clock;
use crate::store::Store;

use super::provider::{OutboundSms, ProviderError, ProviderReceipt, SmsProvider};

pub struct Console {
    store: Store,
}

impl Console {
    pub fn new(store: Store) -> Console {
        Console { store }
    }
}

impl SmsProvider for Console {
    fn name(&self) -> &'static str {
        "console"
    }

    async fn send(&self, sms: &OutboundSms) -> Result<ProviderReceipt, ProviderError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sms_console (tenant_id, outbox_id, phone, body, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(sms.tenant_id)
        .bind(sms.id)
        .bind(sms.phone.e164())
        .bind(&sms.body)
        .bind(clock::now())
        .fetch_one(self.store.pool())
        .await
        .map_err(|e| {
            ProviderError::retryable("console", None, format!("cannot write the inbox: {e}"))
        })?;
        // One line, flushed, so a test or an operator tailing stdout sees it at once.
        let line = format!(
            "SMS to {}: {}\n",
            sms.phone.national(),
            sms.body.replace('\n', " ")
        );
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
        Ok(ProviderReceipt {
            message_id: Some(id.to_string()),
            delivered: true,
        })
    }
}
