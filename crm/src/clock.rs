//! Wall-clock time as stored: UTC unix seconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// Current UTC time in unix seconds, the unit every timestamp column uses.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
