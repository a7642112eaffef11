//! The worker role: the SMS drainer and periodic housekeeping that no request waits for.

use std::time::{Duration, Instant};

use anyhow::Result;
use crm::Store;
use crm::sms::{self, Provider};
use tokio::sync::watch;

/// How often the drainer looks at the outbox when nobody woke it (messages queued by
/// another process, retries coming due).
const SMS_POLL: Duration = Duration::from_secs(1);
/// How often it asks the provider about messages sent but not yet reported.
const SMS_DELIVERY_POLL: Duration = Duration::from_secs(60);
/// How long the console provider's inbox keeps messages (they hold codes in clear).
const CONSOLE_INBOX_AGE: i64 = 86_400;
/// How long a POS retry with the same Idempotency-Key gets the stored reply.
const IDEMPOTENCY_AGE: i64 = 7 * 86_400;

/// Runs until `stop`; each job logs and carries on after a failure.
pub async fn run(
    store: Store,
    sms: Provider,
    public_url: Option<String>,
    stop: watch::Receiver<bool>,
) -> Result<()> {
    tokio::try_join!(
        housekeeping(store.clone(), stop.clone()),
        booking_messages(store.clone(), public_url.clone(), stop.clone()),
        close_stale_sessions(store.clone(), public_url, stop.clone()),
        drain_sms(store, sms, stop),
    )?;
    Ok(())
}

async fn housekeeping(store: Store, mut stop: watch::Receiver<bool>) -> Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(()),
            _ = tick.tick() => {}
        }
        match crm::hotspot::purge_expired_tokens(&store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tokens = n, "purged expired hotspot logins"),
            Err(e) => tracing::warn!(error = %e, "purging expired hotspot logins failed"),
        }
        match crm::ratelimit::purge(&store, crm::clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(windows = n, "purged old rate-limit counters"),
            Err(e) => tracing::warn!(error = %e, "purging rate-limit counters failed"),
        }
        match sms::purge_console(&store, CONSOLE_INBOX_AGE).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(messages = n, "purged old console SMS inbox entries"),
            Err(e) => tracing::warn!(error = %e, "purging the console SMS inbox failed"),
        }
        match crm::club::rewards::due(&store, crm::clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(gifts = n, "gave birthday and anniversary credit"),
            Err(e) => tracing::warn!(error = %e, "giving birthday and anniversary credit failed"),
        }
        match radiusd::enforce::apply_tier_groups(&store, crm::clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(members = n, "club tiers moved members' WiFi groups"),
            Err(e) => tracing::warn!(error = %e, "syncing tier groups failed"),
        }
        match crm::club::notices::expiring_due(&store, crm::clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(messages = n, "queued credit-expiry notices"),
            Err(e) => tracing::warn!(error = %e, "queuing credit-expiry notices failed"),
        }
        match crm::idempotency::purge(&store, IDEMPOTENCY_AGE).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(replies = n, "purged old idempotent API replies"),
            Err(e) => tracing::warn!(error = %e, "purging idempotent API replies failed"),
        }
    }
}

/// Once a minute: sends survey invitations that came due (when a public URL is set, the
/// links need it); expires club credit whose time has come; closes sessions whose router stopped sending accounting (rebooted
/// without Accounting-On, lost Stop), so they stop counting against simultaneous-device
/// limits; ends sessions whose group's allowed hours are over; moves customers by
/// their groups' membership rules.
async fn close_stale_sessions(
    store: Store,
    public_url: Option<String>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(()),
            _ = tick.tick() => {}
        }
        if let Some(url) = &public_url {
            match crm::surveys::send_due(&store, url, crm::clock::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(messages = n, "queued survey invitations"),
                Err(e) => tracing::warn!(error = %e, "sending survey invitations failed"),
            }
        }
        match crm::ledger::expire_due(&store, crm::clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(lots = n, "expired club credit"),
            Err(e) => tracing::warn!(error = %e, "expiring club credit failed"),
        }
        match crm::sessions::close_stale(&store, crm::clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "closed stale sessions"),
            Err(e) => tracing::warn!(error = %e, "closing stale sessions failed"),
        }
        match radiusd::enforce::end_outside_hours(&store, crm::clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "ended sessions outside their allowed hours"),
            Err(e) => tracing::warn!(error = %e, "ending sessions outside allowed hours failed"),
        }
        match radiusd::enforce::apply_membership_rules(&store, crm::clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(customers = n, "membership rules moved customers"),
            Err(e) => tracing::warn!(error = %e, "applying membership rules failed"),
        }
    }
}

/// Once a minute, and when a booking is made in this process: queues the booking SMS
/// that are due (confirmations, reminders, thank-yous, no-show follow-ups; see
/// `crm::reservations::messages`).
async fn booking_messages(
    store: Store,
    public_url: Option<String>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(()),
            _ = tick.tick() => {}
            _ = crm::reservations::messages::wakeup().notified() => {}
        }
        let now = crm::clock::now();
        match crm::reservations::messages::queue_due(&store, now, public_url.as_deref()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(messages = n, "queued booking SMS"),
            Err(e) => tracing::warn!(error = %e, "queuing booking SMS failed"),
        }
    }
}

/// Sends queued SMS as soon as `crm::sms` wakes it, or at least every second.
async fn drain_sms(
    store: Store,
    provider: Provider,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut last_delivery_poll = Instant::now();
    loop {
        // Drain while full batches come back, so a burst does not wait for the poll.
        loop {
            match sms::drain_once(&store, &provider).await {
                Ok(n) if n as i64 >= sms::drain::BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "draining the SMS outbox failed");
                    break;
                }
            }
        }
        if last_delivery_poll.elapsed() >= SMS_DELIVERY_POLL {
            last_delivery_poll = Instant::now();
            if let Err(e) = sms::poll_deliveries(&store, &provider, 100).await {
                tracing::warn!(error = %e, "polling SMS delivery states failed");
            }
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(()),
            _ = sms::wakeup().notified() => {}
            _ = tokio::time::sleep(SMS_POLL) => {}
        }
    }
}
