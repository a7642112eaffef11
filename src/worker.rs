//! The worker role: periodic housekeeping that no request waits for.

use std::time::Duration;

use anyhow::Result;
use crm::Store;
use tokio::sync::watch;

/// Runs until `stop`; each job logs and carries on after a failure.
pub async fn run(store: Store, mut stop: watch::Receiver<bool>) -> Result<()> {
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
    }
}
