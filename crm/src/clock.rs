//! Wall-clock time as stored: UTC unix seconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// Current UTC time in unix seconds, the unit every timestamp column uses.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `2026-12-04 15:48:53` for a stored timestamp (UTC), for operator output.
pub fn format_utc(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => unix.to_string(),
    }
}
