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

/// Logs what a periodic job did (nothing when it had nothing to do); a failure is logged
/// and the job runs again at its next tick.
fn report<N, E>(result: std::result::Result<N, E>, what: &str, done: &str, failed: &str)
where
    N: Copy + Default + PartialEq + std::fmt::Display,
    E: std::fmt::Display,
{
    match result {
        Ok(n) if n == N::default() => {}
        Ok(n) => tracing::info!(count = %n, what, "{done}"),
        Err(e) => tracing::warn!(error = %e, "{failed}"),
    }
}

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
        every_minute(store.clone(), public_url, stop.clone()),
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
        report(
            crm::hotspot::purge_expired_tokens(&store).await,
            "tokens",
            "purged expired hotspot logins",
            "purging expired hotspot logins failed",
        );
        report(
            crm::ratelimit::purge(&store, crm::clock::now()).await,
            "windows",
            "purged old rate-limit counters",
            "purging rate-limit counters failed",
        );
        report(
            sms::purge_console(&store, CONSOLE_INBOX_AGE).await,
            "messages",
            "purged old console SMS inbox entries",
            "purging the console SMS inbox failed",
        );
        report(
            crm::club::rewards::due(&store, crm::clock::now()).await,
            "gifts",
            "gave birthday and anniversary credit",
            "giving birthday and anniversary credit failed",
        );
        report(
            radiusd::enforce::apply_tier_groups(&store, crm::clock::now()).await,
            "members",
            "club tiers moved members' WiFi groups",
            "syncing tier groups failed",
        );
        report(
            crm::club::notices::expiring_due(&store, crm::clock::now()).await,
            "messages",
            "queued credit-expiry notices",
            "queuing credit-expiry notices failed",
        );
        report(
            crm::idempotency::purge(&store, IDEMPOTENCY_AGE).await,
            "replies",
            "purged old idempotent API replies",
            "purging idempotent API replies failed",
        );
    }
}

/// Once a minute: sends survey invitations that came due (when a public URL is set, the
/// links need it); expires club credit whose time has come; closes sessions whose router
/// stopped sending accounting (rebooted without Accounting-On, lost Stop), so they stop
/// counting against simultaneous-device limits; ends sessions whose group's allowed hours
/// are over; moves customers by their groups' membership rules.
async fn every_minute(
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
            report(
                crm::surveys::send_due(&store, url, crm::clock::now()).await,
                "messages",
                "queued survey invitations",
                "sending survey invitations failed",
            );
        }
        report(
            crm::ledger::expire_due(&store, crm::clock::now()).await,
            "lots",
            "expired club credit",
            "expiring club credit failed",
        );
        report(
            crm::sessions::close_stale(&store, crm::clock::now()).await,
            "sessions",
            "closed stale sessions",
            "closing stale sessions failed",
        );
        report(
            radiusd::enforce::end_outside_hours(&store, crm::clock::now()).await,
            "sessions",
            "ended sessions outside their allowed hours",
            "ending sessions outside allowed hours failed",
        );
        report(
            radiusd::enforce::apply_membership_rules(&store, crm::clock::now()).await,
            "customers",
            "membership rules moved customers",
            "applying membership rules failed",
        );
    }
}

/// Once a minute, and when a booking is made in this process: queues the booking SMS
/// that are due (confirmations, reminders, thank-yous, no-show follow-ups; see
/// `crm::reservations::messages`) and extends the holds of tables the POS keeps open.
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
        report(
            crm::reservations::messages::queue_due(&store, now, public_url.as_deref()).await,
            "messages",
            "queued booking SMS",
            "queuing booking SMS failed",
        );
        // Tables the POS keeps open stay held against new bookings.
        report(
            crm::reservations::tables::extend_walk_ins(&store, now, 15 * 60).await,
            "walk-ins",
            "extended walk-in table holds",
            "extending walk-in table holds failed",
        );
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
