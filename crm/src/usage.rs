//! Usage counted against quotas: per subject, per local day.

use sqlx::Row;

use crate::error::Result;
use crate::hotspot::Subject;
use crate::store::Store;

/// Online seconds and octets (upload = input as the router counts it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub session_time: i64,
    pub input_octets: i64,
    pub output_octets: i64,
}

impl Usage {
    pub fn octets(&self) -> i64 {
        self.input_octets.saturating_add(self.output_octets)
    }

    pub fn add(&mut self, other: &Usage) {
        self.session_time = self.session_time.saturating_add(other.session_time);
        self.input_octets = self.input_octets.saturating_add(other.input_octets);
        self.output_octets = self.output_octets.saturating_add(other.output_octets);
    }
}

/// A subject's usage on `day` and in the month up to and including it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageToDate {
    pub day: Usage,
    pub month: Usage,
}

/// Usage on `day` and since `month_start` (a day key: see `clock::Zone::month_start`).
pub async fn to_date(
    store: &Store,
    tenant_id: i64,
    subject: Subject,
    day: i64,
    month_start: i64,
) -> Result<UsageToDate> {
    let rows = sqlx::query(
        "SELECT day, session_time, input_octets, output_octets FROM usage_daily \
         WHERE tenant_id = $1 AND subject_kind = $2 AND subject_id = $3 AND day >= $4 AND day <= $5",
    )
    .bind(tenant_id)
    .bind(subject.kind())
    .bind(subject.id())
    .bind(month_start)
    .bind(day)
    .fetch_all(store.pool())
    .await?;
    let mut out = UsageToDate::default();
    for row in rows {
        let u = Usage {
            session_time: row.try_get("session_time")?,
            input_octets: row.try_get("input_octets")?,
            output_octets: row.try_get("output_octets")?,
        };
        if row.try_get::<i64, _>("day")? == day {
            out.day.add(&u);
        }
        out.month.add(&u);
    }
    Ok(out)
}
