//! Accounting: sessions and per-day usage, written in batches.
//!
//! RADIUS acknowledges an Accounting-Request only once its record is committed, so
//! records are applied many to a transaction (group commit): one commit, one fsync,
//! for a whole batch. Counters arrive cumulative per session; what a record adds to
//! the day's usage is its increase over what the session had stored.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use sqlx::{Any, Row, Transaction};

use crate::branches::Scope;
use crate::error::Result;
use crate::hotspot::Subject;
use crate::store::{Backend, Store};

/// Acct-Status-Type values we act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcctStatus {
    Start,
    Interim,
    Stop,
    /// The router (re)started or stopped accounting: its open sessions are over.
    AccountingOn,
    AccountingOff,
}

/// One Accounting-Request, as decoded by the RADIUS server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountingRecord {
    pub tenant_id: i64,
    pub nas_id: i64,
    pub status: AcctStatus,
    pub acct_session_id: String,
    pub username: String,
    /// From the `Class` we put in the Access-Accept; resolved by username if absent.
    pub subject: Option<Subject>,
    pub group_id: Option<i64>,
    pub mac: Option<String>,
    pub framed_ip: Option<String>,
    /// The router's address as the packet came from: where Disconnect/CoA go.
    pub nas_ip: Option<String>,
    pub session_time: i64,
    /// Octets with Gigawords folded in.
    pub input_octets: i64,
    pub output_octets: i64,
    pub terminate_cause: Option<String>,
    /// When it happened (now minus Acct-Delay-Time), unix seconds.
    pub event_time: i64,
    /// Local day (`YYYYMMDD`, tenant zone) the usage counts on.
    pub day: i64,
}

/// What a batch changed, so in-memory caches can follow without re-reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// (tenant, subject, day, added usage) for every record that added some.
    pub usage: Vec<(i64, Subject, i64, crate::usage::Usage)>,
    /// Sessions that are now open / closed: (nas, acct session id, username, subject).
    pub opened: Vec<OpenSession>,
    pub closed: Vec<(i64, String, String)>,
    /// Routers whose sessions were all closed by Accounting-On/Off.
    pub nas_reset: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    pub tenant_id: i64,
    pub nas_id: i64,
    pub acct_session_id: String,
    pub username: String,
    pub subject: Option<Subject>,
}

/// Applies all records in one transaction: all of them are stored, or none.
///
/// The effect is that of applying the records one after the other (see `apply_one` in
/// the tests, the reference this is checked against), done in few statements: the
/// sessions the batch touches are read at once, the records are applied to them in
/// memory in order, and the results are written back as multi-row statements — new
/// sessions in one `INSERT`, updated ones in one upsert, usage summed per subject and
/// day in one upsert. An Accounting-On/Off splits the batch: what comes before it is
/// written first, what comes after it sees the router's sessions closed.
pub async fn record_batch(store: &Store, records: &[AccountingRecord]) -> Result<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    let mut tx = store.begin().await?;
    let mut rest = records;
    while let Some(split) = rest.iter().position(is_on_off) {
        let (before, from) = rest.split_at(split);
        apply_sessions(&mut tx, store.backend(), before, &mut outcome).await?;
        if let Some((on_off, after)) = from.split_first() {
            reset_nas(&mut tx, on_off, &mut outcome).await?;
            rest = after;
        } else {
            rest = &[];
        }
    }
    apply_sessions(&mut tx, store.backend(), rest, &mut outcome).await?;
    tx.commit().await?;
    Ok(outcome)
}

fn is_on_off(r: &AccountingRecord) -> bool {
    matches!(
        r.status,
        AcctStatus::AccountingOn | AcctStatus::AccountingOff
    )
}

/// Accounting-On/Off: the router (re)started, so all its open sessions are over.
async fn reset_nas(
    tx: &mut Transaction<'_, Any>,
    r: &AccountingRecord,
    out: &mut BatchOutcome,
) -> Result<()> {
    sqlx::query(
        "UPDATE sessions SET stopped_at = $2, updated_at = $2, terminate_cause = 'NAS-Reboot' \
         WHERE nas_id = $1 AND stopped_at IS NULL",
    )
    .bind(r.nas_id)
    .bind(r.event_time)
    .execute(&mut **tx)
    .await?;
    out.nas_reset.push(r.nas_id);
    Ok(())
}

type SessionKey<'a> = (i64, &'a str, &'a str);

/// A session as the batch leaves it.
struct SessionRow<'a> {
    /// Whether the row exists in the database (else it is inserted).
    stored: bool,
    /// Written on insert only, from the record that opened the session.
    tenant_id: i64,
    subject: Option<Subject>,
    group_id: Option<i64>,
    mac: Option<&'a str>,
    nas_ip: Option<&'a str>,
    started_at: i64,
    /// Written on insert and on update.
    session_time: i64,
    input_octets: i64,
    output_octets: i64,
    updated_at: i64,
    stopped_at: Option<i64>,
    terminate_cause: Option<String>,
    framed_ip: Option<String>,
    /// Whether a record of this batch changed it.
    touched: bool,
}

/// Largest number of rows in one multi-row statement (16 parameters a row stay far below
/// SQLite's 32,766 and PostgreSQL's 65,535).
const ROWS_PER_STATEMENT: usize = 256;

/// `items` cut into statement-sized pieces: as many of [`ROWS_PER_STATEMENT`] as fit, then
/// powers of two. Only nine sizes ever occur, so each statement is parsed once per
/// connection and then reused from the statement cache (parsing a multi-row statement
/// anew costs about as much as running it).
fn statement_chunks<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let size = if items.len() >= ROWS_PER_STATEMENT {
            ROWS_PER_STATEMENT
        } else {
            1 << items.len().ilog2()
        };
        let (chunk, rest) = items.split_at(size);
        items = rest;
        Some(chunk)
    })
}

/// Records without Accounting-On/Off, applied in order (see [`record_batch`]).
async fn apply_sessions(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    records: &[AccountingRecord],
    out: &mut BatchOutcome,
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    // Who each record counts against: its Class, else its User-Name (once per name).
    let mut resolved: HashMap<(i64, &str), Option<Subject>> = HashMap::new();
    for r in records.iter().filter(|r| r.subject.is_none()) {
        if let Entry::Vacant(slot) = resolved.entry((r.tenant_id, r.username.as_str())) {
            slot.insert(resolve_subject(tx, r.tenant_id, &r.username).await?);
        }
    }
    let mut sessions = load_sessions(tx, backend, records).await?;
    let mut usage: Sums<(i64, Subject, i64)> = Sums::default();
    let mut router_usage: Sums<RouterDay> = Sums::default();

    for r in records {
        let subject = match r.subject {
            Some(s) => Some(s),
            None => resolved
                .get(&(r.tenant_id, r.username.as_str()))
                .copied()
                .flatten(),
        };
        let key: SessionKey<'_> = (r.nas_id, &r.acct_session_id, &r.username);
        let stopped_at = (r.status == AcctStatus::Stop).then_some(r.event_time);
        let mut was_stopped = false;
        let added = match sessions.entry(key) {
            Entry::Vacant(slot) => {
                // Also a Stop or Interim for a session whose Start was lost: stored, not lost.
                slot.insert(SessionRow {
                    stored: false,
                    tenant_id: r.tenant_id,
                    subject,
                    group_id: r.group_id,
                    mac: r.mac.as_deref(),
                    nas_ip: r.nas_ip.as_deref(),
                    started_at: r.event_time - r.session_time.max(0),
                    session_time: r.session_time,
                    input_octets: r.input_octets,
                    output_octets: r.output_octets,
                    updated_at: r.event_time,
                    stopped_at,
                    terminate_cause: r.terminate_cause.clone(),
                    framed_ip: r.framed_ip.clone(),
                    touched: true,
                });
                crate::usage::Usage {
                    session_time: r.session_time.max(0),
                    input_octets: r.input_octets.max(0),
                    output_octets: r.output_octets.max(0),
                }
            }
            Entry::Occupied(mut slot) => {
                let s = slot.get_mut();
                if s.stored && !s.touched {
                    // Only used should the row vanish before the write (then it is inserted).
                    s.subject = subject;
                    s.group_id = r.group_id;
                    s.mac = r.mac.as_deref();
                    s.nas_ip = r.nas_ip.as_deref();
                    s.started_at = r.event_time - r.session_time.max(0);
                }
                was_stopped = s.stopped_at.is_some();
                // Counters only grow; a smaller value is a late or reordered record.
                let added = crate::usage::Usage {
                    session_time: (r.session_time - s.session_time).max(0),
                    input_octets: (r.input_octets - s.input_octets).max(0),
                    output_octets: (r.output_octets - s.output_octets).max(0),
                };
                s.session_time = s.session_time.max(r.session_time);
                s.input_octets = s.input_octets.max(r.input_octets);
                s.output_octets = s.output_octets.max(r.output_octets);
                s.updated_at = r.event_time;
                s.stopped_at = s.stopped_at.or(stopped_at);
                if s.terminate_cause.is_none() {
                    s.terminate_cause.clone_from(&r.terminate_cause);
                }
                if s.framed_ip.is_none() {
                    s.framed_ip.clone_from(&r.framed_ip);
                }
                s.touched = true;
                added
            }
        };
        if added != crate::usage::Usage::default() {
            router_usage.add(RouterDay::of(r), &added);
            if let Some(subject) = subject {
                usage.add((r.tenant_id, subject, r.day), &added);
                out.usage.push((r.tenant_id, subject, r.day, added));
            }
        }
        // A late interim after the Stop leaves the session closed.
        if r.status == AcctStatus::Stop || was_stopped {
            out.closed
                .push((r.nas_id, r.acct_session_id.clone(), r.username.clone()));
        } else {
            out.opened.push(OpenSession {
                tenant_id: r.tenant_id,
                nas_id: r.nas_id,
                acct_session_id: r.acct_session_id.clone(),
                username: r.username.clone(),
                subject,
            });
        }
    }
    write_sessions(tx, backend, &sessions).await?;
    write_usage(tx, backend, &usage.rows).await?;
    write_usage(tx, backend, &router_usage.rows).await?;
    Ok(())
}

/// Usage summed per key, in first-seen order (so statements are deterministic).
struct Sums<K> {
    rows: Vec<(K, crate::usage::Usage)>,
    at: HashMap<K, usize>,
}

impl<K> Default for Sums<K> {
    fn default() -> Self {
        Sums {
            rows: Vec::new(),
            at: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy> Sums<K> {
    fn add(&mut self, key: K, added: &crate::usage::Usage) {
        match self.at.entry(key) {
            Entry::Occupied(at) => {
                if let Some((_, sum)) = self.rows.get_mut(*at.get()) {
                    sum.add(added);
                }
            }
            Entry::Vacant(at) => {
                at.insert(self.rows.len());
                self.rows.push((key, *added));
            }
        }
    }
}

/// Where usage counts per router: (tenant, router, group or 0, local day). The group is
/// the one the session was admitted under (from its `Class`), as the router applied it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RouterDay {
    tenant_id: i64,
    nas_id: i64,
    group_id: i64,
    day: i64,
}

impl RouterDay {
    fn of(r: &AccountingRecord) -> RouterDay {
        RouterDay {
            tenant_id: r.tenant_id,
            nas_id: r.nas_id,
            group_id: r.group_id.unwrap_or(0),
            day: r.day,
        }
    }
}

/// The stored sessions the records refer to, by key.
async fn load_sessions<'a>(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    records: &'a [AccountingRecord],
) -> Result<HashMap<SessionKey<'a>, SessionRow<'a>>> {
    let mut sessions = HashMap::with_capacity(records.len());
    let mut wanted: HashMap<i64, Vec<&'a str>> = HashMap::new();
    let mut seen: HashSet<(i64, &str)> = HashSet::with_capacity(records.len());
    for r in records {
        if seen.insert((r.nas_id, r.acct_session_id.as_str())) {
            wanted
                .entry(r.nas_id)
                .or_default()
                .push(r.acct_session_id.as_str());
        }
    }
    // The record (and so the key's borrowed strings) for each stored row.
    let by_key: HashMap<SessionKey<'a>, &'a AccountingRecord> = records
        .iter()
        .map(|r| {
            (
                (r.nas_id, r.acct_session_id.as_str(), r.username.as_str()),
                r,
            )
        })
        .collect();
    for (nas_id, ids) in wanted {
        for chunk in statement_chunks(&ids) {
            let mut sql = String::from(
                "SELECT acct_session_id, username, session_time, input_octets, output_octets, \
                 stopped_at, terminate_cause, framed_ip FROM sessions \
                 WHERE nas_id = ",
            );
            let mut params = Params::new(backend);
            params.push(&mut sql);
            sql.push_str(" AND acct_session_id IN ");
            params.push_rows(&mut sql, 1, chunk.len());
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(nas_id);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut **tx).await? {
                let session_id: String = row.try_get("acct_session_id")?;
                let username: String = row.try_get("username")?;
                let Some(&r) = by_key.get(&(nas_id, session_id.as_str(), username.as_str())) else {
                    continue;
                };
                sessions.insert(
                    (r.nas_id, r.acct_session_id.as_str(), r.username.as_str()),
                    SessionRow {
                        stored: true,
                        tenant_id: r.tenant_id,
                        subject: None,
                        group_id: None,
                        mac: None,
                        nas_ip: None,
                        started_at: 0,
                        session_time: row.try_get("session_time")?,
                        input_octets: row.try_get("input_octets")?,
                        output_octets: row.try_get("output_octets")?,
                        updated_at: 0,
                        stopped_at: row.try_get("stopped_at")?,
                        terminate_cause: row.try_get("terminate_cause")?,
                        framed_ip: row.try_get("framed_ip")?,
                        touched: false,
                    },
                );
            }
        }
    }
    Ok(sessions)
}

/// Inserts the new sessions and updates the stored ones the batch changed.
async fn write_sessions(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    sessions: &HashMap<SessionKey<'_>, SessionRow<'_>>,
) -> Result<()> {
    let (new, stored): (Vec<_>, Vec<_>) = sessions
        .iter()
        .filter(|(_, s)| s.touched)
        .partition(|(_, s)| !s.stored);
    const COLUMNS: &str = "INSERT INTO sessions (tenant_id, nas_id, acct_session_id, username, \
        customer_id, account_id, group_id, mac, framed_ip, nas_ip, started_at, updated_at, \
        stopped_at, session_time, input_octets, output_octets, terminate_cause) VALUES ";
    // New sessions: a plain INSERT, so a session another node stored meanwhile fails the
    // batch (and it is retried record by record) rather than being overwritten.
    // Stored sessions: their new values, taken only where they grow or fill a blank, so
    // the write is right even if another node moved the row since it was read.
    for (rows, tail) in [
        (new, ""),
        (
            stored,
            " ON CONFLICT (nas_id, acct_session_id, username) DO UPDATE SET \
             session_time = CASE WHEN excluded.session_time > sessions.session_time \
                 THEN excluded.session_time ELSE sessions.session_time END, \
             input_octets = CASE WHEN excluded.input_octets > sessions.input_octets \
                 THEN excluded.input_octets ELSE sessions.input_octets END, \
             output_octets = CASE WHEN excluded.output_octets > sessions.output_octets \
                 THEN excluded.output_octets ELSE sessions.output_octets END, \
             updated_at = excluded.updated_at, \
             stopped_at = COALESCE(sessions.stopped_at, excluded.stopped_at), \
             terminate_cause = COALESCE(sessions.terminate_cause, excluded.terminate_cause), \
             framed_ip = COALESCE(sessions.framed_ip, excluded.framed_ip), \
             nas_ip = COALESCE(sessions.nas_ip, excluded.nas_ip)",
        ),
    ] {
        for chunk in statement_chunks(&rows) {
            let mut sql = String::with_capacity(COLUMNS.len() + chunk.len() * 100 + tail.len());
            sql.push_str(COLUMNS);
            Params::new(backend).push_rows(&mut sql, chunk.len(), 17);
            sql.push_str(tail);
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((nas_id, session_id, username), s) in chunk {
                let (customer_id, account_id) = Subject::columns(s.subject);
                query = query
                    .bind(s.tenant_id)
                    .bind(*nas_id)
                    .bind(*session_id)
                    .bind(*username)
                    .bind(customer_id)
                    .bind(account_id)
                    .bind(s.group_id)
                    .bind(s.mac)
                    .bind(s.framed_ip.as_deref())
                    .bind(s.nas_ip)
                    .bind(s.started_at)
                    .bind(s.updated_at)
                    .bind(s.stopped_at)
                    .bind(s.session_time)
                    .bind(s.input_octets)
                    .bind(s.output_octets)
                    .bind(s.terminate_cause.as_deref());
            }
            query.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// The daily usage tables a batch adds to: which row a sum goes to.
trait UsageRow {
    const TABLE: &'static str;
    /// The columns `bind` fills, then `day` and the three counters follow.
    const KEYS: &'static str;
    const CONFLICT: &'static str;
    fn bind<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q>;
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

impl UsageRow for (i64, Subject, i64) {
    const TABLE: &'static str = "usage_daily";
    const KEYS: &'static str = "tenant_id, subject_kind, subject_id, day";
    const CONFLICT: &'static str = "tenant_id, subject_kind, subject_id, day";
    fn bind<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let (tenant_id, subject, day) = *self;
        query
            .bind(tenant_id)
            .bind(subject.kind())
            .bind(subject.id())
            .bind(day)
    }
}

impl UsageRow for RouterDay {
    const TABLE: &'static str = "usage_nas_daily";
    const KEYS: &'static str = "tenant_id, nas_id, group_id, day";
    const CONFLICT: &'static str = "nas_id, group_id, day";
    fn bind<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.tenant_id)
            .bind(self.nas_id)
            .bind(self.group_id)
            .bind(self.day)
    }
}

/// Adds the batch's sums to their daily rows: one upsert per chunk of rows.
async fn write_usage<K: UsageRow>(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    usage: &[(K, crate::usage::Usage)],
) -> Result<()> {
    let table = K::TABLE;
    for chunk in statement_chunks(usage) {
        let mut sql = format!(
            "INSERT INTO {table} ({}, session_time, input_octets, output_octets) VALUES ",
            K::KEYS
        );
        Params::new(backend).push_rows(&mut sql, chunk.len(), 7);
        let _ = write!(
            sql,
            " ON CONFLICT ({}) DO UPDATE SET \
             session_time = {table}.session_time + excluded.session_time, \
             input_octets = {table}.input_octets + excluded.input_octets, \
             output_octets = {table}.output_octets + excluded.output_octets",
            K::CONFLICT
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (key, added) in chunk {
            query = key
                .bind(query)
                .bind(added.session_time)
                .bind(added.input_octets)
                .bind(added.output_octets);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Parameter placeholders for statements built at run time. SQLite gets anonymous `?`:
/// binding a numbered `$n` makes SQLite look the name up in a list, which is quadratic in
/// the number of parameters and dominated big batches. PostgreSQL gets `$1`, `$2`, ….
pub(crate) struct Params {
    backend: Backend,
    next: usize,
}

impl Params {
    pub(crate) fn new(backend: Backend) -> Self {
        Params { backend, next: 1 }
    }

    pub(crate) fn push(&mut self, sql: &mut String) {
        match self.backend {
            Backend::Sqlite => sql.push('?'),
            Backend::Postgres => {
                let _ = write!(sql, "${}", self.next);
            }
        }
        self.next += 1;
    }

    /// `(…),(…)…`: `rows` tuples of `columns` placeholders (or one tuple of `columns`
    /// when `rows` is 1, as for `IN (…)`).
    pub(crate) fn push_rows(&mut self, sql: &mut String, rows: usize, columns: usize) {
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ",(" });
            for col in 0..columns {
                if col > 0 {
                    sql.push(',');
                }
                self.push(sql);
            }
            sql.push(')');
        }
    }
}

/// Who a User-Name belongs to, for records without our `Class`.
async fn resolve_subject(
    tx: &mut Transaction<'_, Any>,
    tenant_id: i64,
    username: &str,
) -> Result<Option<Subject>> {
    let row = sqlx::query(
        "SELECT 'account' AS kind, id FROM hotspot_accounts WHERE tenant_id = $1 AND username = $2 \
         UNION ALL SELECT 'customer', customer_id FROM hotspot_tokens WHERE tenant_id = $1 AND username = $2 \
         UNION ALL SELECT 'customer', customer_id FROM devices WHERE tenant_id = $1 AND mac = $3",
    )
    .bind(tenant_id)
    .bind(username)
    .bind(crate::devices::normalize_mac(username).unwrap_or_default())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(row) => Subject::from_parts(&row.try_get::<String, _>("kind")?, row.try_get("id")?),
        None => None,
    })
}

/// Open sessions (all routers): what the RADIUS server counts simultaneous use from.
pub async fn open_sessions(store: &Store) -> Result<Vec<OpenSession>> {
    let rows = sqlx::query(
        "SELECT tenant_id, nas_id, acct_session_id, username, customer_id, account_id \
         FROM sessions WHERE stopped_at IS NULL",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OpenSession {
                tenant_id: row.try_get("tenant_id")?,
                nas_id: row.try_get("nas_id")?,
                acct_session_id: row.try_get("acct_session_id")?,
                username: row.try_get("username")?,
                subject: Subject::of_row(row)?,
            })
        })
        .collect()
}

/// A stored session, for operators and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub nas_id: i64,
    pub nas_name: Option<String>,
    pub acct_session_id: String,
    pub username: String,
    pub subject: Option<Subject>,
    pub started_at: i64,
    pub stopped_at: Option<i64>,
    pub session_time: i64,
    pub input_octets: i64,
    pub output_octets: i64,
    pub terminate_cause: Option<String>,
}

pub async fn sessions(
    store: &Store,
    tenant_id: i64,
    only_open: bool,
    limit: i64,
) -> Result<Vec<Session>> {
    sessions_in(store, tenant_id, &Scope::Every, only_open, limit).await
}

/// [`sessions`] on the routers of the branches in `scope`.
pub async fn sessions_in(
    store: &Store,
    tenant_id: i64,
    scope: &Scope,
    only_open: bool,
    limit: i64,
) -> Result<Vec<Session>> {
    let sql = format!(
        "SELECT s.id, s.nas_id, n.name AS nas_name, s.acct_session_id, s.username, s.customer_id, \
         s.account_id, s.started_at, s.stopped_at, s.session_time, s.input_octets, s.output_octets, \
         s.terminate_cause FROM sessions s LEFT JOIN nas n ON n.id = s.nas_id \
         WHERE s.tenant_id = $1 AND ($2 = FALSE OR s.stopped_at IS NULL) AND {} \
         ORDER BY s.id DESC LIMIT $3",
        scope.condition("n.branch_id")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(only_open)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Session {
                id: row.try_get("id")?,
                nas_id: row.try_get("nas_id")?,
                nas_name: row.try_get("nas_name")?,
                acct_session_id: row.try_get("acct_session_id")?,
                username: row.try_get("username")?,
                subject: Subject::of_row(row)?,
                started_at: row.try_get("started_at")?,
                stopped_at: row.try_get("stopped_at")?,
                session_time: row.try_get("session_time")?,
                input_octets: row.try_get("input_octets")?,
                output_octets: row.try_get("output_octets")?,
                terminate_cause: row.try_get("terminate_cause")?,
            })
        })
        .collect()
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    //! The batch must do exactly what applying its records one at a time did; the
    //! one-at-a-time code is kept here as the reference it is checked against.

    use super::*;
    use crate::secret::Secret;
    use crate::usage::Usage;
    use crate::{accounts, groups, nas, tenants};

    async fn reference_batch(store: &Store, records: &[AccountingRecord]) -> Result<BatchOutcome> {
        let mut outcome = BatchOutcome::default();
        let mut tx = store.begin().await?;
        for record in records {
            apply_one(&mut tx, record, &mut outcome).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn apply_one(
        tx: &mut Transaction<'_, Any>,
        r: &AccountingRecord,
        out: &mut BatchOutcome,
    ) -> Result<()> {
        if matches!(
            r.status,
            AcctStatus::AccountingOn | AcctStatus::AccountingOff
        ) {
            sqlx::query(
                "UPDATE sessions SET stopped_at = $2, updated_at = $2, terminate_cause = 'NAS-Reboot' \
                 WHERE nas_id = $1 AND stopped_at IS NULL",
            )
            .bind(r.nas_id)
            .bind(r.event_time)
            .execute(&mut **tx)
            .await?;
            out.nas_reset.push(r.nas_id);
            return Ok(());
        }
        let subject = match r.subject {
            Some(s) => Some(s),
            None => resolve_subject(tx, r.tenant_id, &r.username).await?,
        };
        let existing = sqlx::query(
            "SELECT id, session_time, input_octets, output_octets, stopped_at FROM sessions \
             WHERE nas_id = $1 AND acct_session_id = $2 AND username = $3",
        )
        .bind(r.nas_id)
        .bind(&r.acct_session_id)
        .bind(&r.username)
        .fetch_optional(&mut **tx)
        .await?;
        let stopped_at = (r.status == AcctStatus::Stop).then_some(r.event_time);
        let mut was_stopped = false;
        let added = match existing {
            None => {
                // Also a Stop or Interim for a session whose Start was lost: stored, not lost.
                let (customer_id, account_id) = Subject::columns(subject);
                sqlx::query(
                    "INSERT INTO sessions (tenant_id, nas_id, acct_session_id, username, customer_id, \
                     account_id, group_id, mac, framed_ip, nas_ip, started_at, updated_at, stopped_at, \
                     session_time, input_octets, output_octets, terminate_cause) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)",
                )
                .bind(r.tenant_id)
                .bind(r.nas_id)
                .bind(&r.acct_session_id)
                .bind(&r.username)
                .bind(customer_id)
                .bind(account_id)
                .bind(r.group_id)
                .bind(&r.mac)
                .bind(&r.framed_ip)
                .bind(&r.nas_ip)
                .bind(r.event_time - r.session_time.max(0))
                .bind(r.event_time)
                .bind(stopped_at)
                .bind(r.session_time)
                .bind(r.input_octets)
                .bind(r.output_octets)
                .bind(&r.terminate_cause)
                .execute(&mut **tx)
                .await?;
                Usage {
                    session_time: r.session_time.max(0),
                    input_octets: r.input_octets.max(0),
                    output_octets: r.output_octets.max(0),
                }
            }
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                let old_time: i64 = row.try_get("session_time")?;
                let old_in: i64 = row.try_get("input_octets")?;
                let old_out: i64 = row.try_get("output_octets")?;
                was_stopped = row.try_get::<Option<i64>, _>("stopped_at")?.is_some();
                // Counters only grow; a smaller value is a late or reordered record.
                sqlx::query(
                    "UPDATE sessions SET session_time = $2, input_octets = $3, output_octets = $4, \
                     updated_at = $5, stopped_at = COALESCE(stopped_at, $6), \
                     terminate_cause = COALESCE(terminate_cause, $7), \
                     framed_ip = COALESCE(framed_ip, $8) WHERE id = $1",
                )
                .bind(id)
                .bind(old_time.max(r.session_time))
                .bind(old_in.max(r.input_octets))
                .bind(old_out.max(r.output_octets))
                .bind(r.event_time)
                .bind(stopped_at)
                .bind(&r.terminate_cause)
                .bind(&r.framed_ip)
                .execute(&mut **tx)
                .await?;
                Usage {
                    session_time: (r.session_time - old_time).max(0),
                    input_octets: (r.input_octets - old_in).max(0),
                    output_octets: (r.output_octets - old_out).max(0),
                }
            }
        };
        if added != Usage::default() {
            sqlx::query(
                "INSERT INTO usage_nas_daily (tenant_id, nas_id, group_id, day, session_time, \
                 input_octets, output_octets) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (nas_id, group_id, day) DO UPDATE SET \
                 session_time = usage_nas_daily.session_time + excluded.session_time, \
                 input_octets = usage_nas_daily.input_octets + excluded.input_octets, \
                 output_octets = usage_nas_daily.output_octets + excluded.output_octets",
            )
            .bind(r.tenant_id)
            .bind(r.nas_id)
            .bind(r.group_id.unwrap_or(0))
            .bind(r.day)
            .bind(added.session_time)
            .bind(added.input_octets)
            .bind(added.output_octets)
            .execute(&mut **tx)
            .await?;
        }
        if let Some(subject) = subject {
            if added != Usage::default() {
                sqlx::query(
                    "INSERT INTO usage_daily (tenant_id, subject_kind, subject_id, day, session_time, \
                     input_octets, output_octets) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (tenant_id, subject_kind, subject_id, day) DO UPDATE SET \
                     session_time = usage_daily.session_time + excluded.session_time, \
                     input_octets = usage_daily.input_octets + excluded.input_octets, \
                     output_octets = usage_daily.output_octets + excluded.output_octets",
                )
                .bind(r.tenant_id)
                .bind(subject.kind())
                .bind(subject.id())
                .bind(r.day)
                .bind(added.session_time)
                .bind(added.input_octets)
                .bind(added.output_octets)
                .execute(&mut **tx)
                .await?;
                out.usage.push((r.tenant_id, subject, r.day, added));
            }
        }
        // A late interim after the Stop leaves the session closed.
        if r.status == AcctStatus::Stop || was_stopped {
            out.closed
                .push((r.nas_id, r.acct_session_id.clone(), r.username.clone()));
        } else {
            out.opened.push(OpenSession {
                tenant_id: r.tenant_id,
                nas_id: r.nas_id,
                acct_session_id: r.acct_session_id.clone(),
                username: r.username.clone(),
                subject,
            });
        }
        Ok(())
    }

    /// Ids of what records point at, the same in both databases.
    struct Fixture {
        tenant_id: i64,
        nas: [i64; 2],
        accounts: [i64; 3],
        group_id: i64,
    }

    async fn fixture(store: &Store) -> Fixture {
        let t = tenants::ensure_default(store).await.unwrap();
        let mut nas_ids = [0; 2];
        for (i, id) in nas_ids.iter_mut().enumerate() {
            *id = nas::add(
                store,
                &t,
                nas::NewNas {
                    name: format!("r{i}"),
                    address: format!("192.0.2.{}", i + 1),
                    secret: Secret::new("secret-secret"),
                    require_message_authenticator: false,
                    branch: None,
                    coa_port: None,
                },
            )
            .await
            .unwrap()
            .id;
        }
        let mut account_ids = [0; 3];
        for (i, id) in account_ids.iter_mut().enumerate() {
            *id = accounts::add(store, &t, &format!("u{i}"), &Secret::new("pw"), "staff")
                .await
                .unwrap()
                .id;
        }
        let group_id = groups::by_name(store, &t, "staff").await.unwrap().id;
        Fixture {
            tenant_id: t.id,
            nas: nas_ids,
            accounts: account_ids,
            group_id,
        }
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Dice(u64);

    impl Dice {
        fn roll(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// Records over a few sessions: any order of Start/Interim/Stop, counters that mostly
    /// grow, lost Starts, late interims, Accounting-On/Off, with and without Class, for
    /// known and unknown users, over two days.
    fn records(f: &Fixture, dice: &mut Dice, n: usize) -> Vec<AccountingRecord> {
        (0..n)
            .map(|i| {
                let nas_id = f.nas[dice.roll(2) as usize];
                let status = match dice.roll(20) {
                    0 => AcctStatus::AccountingOn,
                    1 => AcctStatus::AccountingOff,
                    2..=6 => AcctStatus::Start,
                    7..=15 => AcctStatus::Interim,
                    _ => AcctStatus::Stop,
                };
                let user = dice.roll(4) as usize;
                let username = if user == 3 {
                    "ghost".to_string()
                } else {
                    format!("u{user}")
                };
                let with_class = user < 3 && dice.roll(2) == 0;
                let event_time = 1_800_000_000 + i as i64 * 7;
                AccountingRecord {
                    tenant_id: f.tenant_id,
                    nas_id,
                    status,
                    acct_session_id: format!("s{}", dice.roll(6)),
                    username,
                    subject: with_class.then(|| Subject::Account(f.accounts[user])),
                    group_id: with_class.then_some(f.group_id),
                    mac: (dice.roll(3) > 0).then(|| format!("AA:BB:CC:00:00:0{user}")),
                    framed_ip: (dice.roll(3) > 0).then(|| format!("10.0.0.{}", dice.roll(9))),
                    nas_ip: Some("192.0.2.1".into()),
                    session_time: dice.roll(5000) as i64,
                    input_octets: (dice.roll(1 << 20) as i64) << dice.roll(14),
                    output_octets: dice.roll(1 << 30) as i64,
                    terminate_cause: (status == AcctStatus::Stop && dice.roll(4) > 0)
                        .then(|| "User-Request".to_string()),
                    event_time,
                    day: 20260101 + dice.roll(2) as i64,
                }
            })
            .collect()
    }

    /// Every session column but the id, and every usage row, as text.
    async fn dump(store: &Store) -> (Vec<String>, Vec<String>) {
        let rows = sqlx::query(
            "SELECT nas_id, acct_session_id, username, customer_id, account_id, group_id, mac, \
             framed_ip, started_at, updated_at, stopped_at, session_time, input_octets, \
             output_octets, terminate_cause FROM sessions ORDER BY nas_id, acct_session_id, username",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let sessions = rows
            .iter()
            .map(|r| {
                let mut line = String::new();
                for c in [
                    "nas_id",
                    "customer_id",
                    "account_id",
                    "group_id",
                    "started_at",
                ]
                .iter()
                .chain(&["updated_at", "stopped_at", "session_time", "input_octets"])
                .chain(&["output_octets"])
                {
                    let _ = write!(line, "{c}={:?} ", r.try_get::<Option<i64>, _>(*c).unwrap());
                }
                for c in [
                    "acct_session_id",
                    "username",
                    "mac",
                    "framed_ip",
                    "terminate_cause",
                ] {
                    let _ = write!(
                        line,
                        "{c}={:?} ",
                        r.try_get::<Option<String>, _>(c).unwrap()
                    );
                }
                line
            })
            .collect();
        let rows = sqlx::query(
            "SELECT tenant_id, subject_kind, subject_id, day, session_time, input_octets, \
             output_octets FROM usage_daily ORDER BY tenant_id, subject_kind, subject_id, day",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let usage = rows
            .iter()
            .map(|r| {
                let kind: String = r.try_get("subject_kind").unwrap();
                let n = |c: &str| r.try_get::<i64, _>(c).unwrap();
                let used = Usage {
                    session_time: n("session_time"),
                    input_octets: n("input_octets"),
                    output_octets: n("output_octets"),
                };
                format!("{kind} {} {} {used:?}", n("subject_id"), n("day"))
            })
            .collect::<Vec<String>>();
        let routers = sqlx::query(
            "SELECT nas_id, group_id, day, session_time, input_octets, output_octets \
             FROM usage_nas_daily ORDER BY nas_id, group_id, day",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let usage = usage
            .into_iter()
            .chain(routers.iter().map(|r| {
                let n = |c: &str| r.try_get::<i64, _>(c).unwrap();
                format!(
                    "router {} group {} {} {} {} {}",
                    n("nas_id"),
                    n("group_id"),
                    n("day"),
                    n("session_time"),
                    n("input_octets"),
                    n("output_octets")
                )
            }))
            .collect();
        (sessions, usage)
    }

    async fn compare(batched: crate::testing::TestDb, reference: crate::testing::TestDb) {
        let f = fixture(&batched.store).await;
        let g = fixture(&reference.store).await;
        assert_eq!(
            (f.nas, f.accounts, f.group_id),
            (g.nas, g.accounts, g.group_id)
        );
        let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
        let all = records(&f, &mut dice, 1500);
        let mut rest = all.as_slice();
        while !rest.is_empty() {
            // Batches of 1 to 300 records, as the group commit forms them.
            let take = (1 + dice.roll(300) as usize).min(rest.len());
            let (batch, after) = rest.split_at(take);
            let got = record_batch(&batched.store, batch).await.unwrap();
            let want = reference_batch(&reference.store, batch).await.unwrap();
            assert_eq!(got, want);
            rest = after;
        }
        let (got, want) = (dump(&batched.store).await, dump(&reference.store).await);
        assert!(!want.0.is_empty() && !want.1.is_empty());
        assert_eq!(got, want);
        batched.cleanup().await;
        reference.cleanup().await;
    }

    #[tokio::test]
    async fn batches_store_what_records_one_by_one_stored_sqlite() {
        compare(
            crate::testing::sqlite().await,
            crate::testing::sqlite().await,
        )
        .await;
    }

    #[tokio::test]
    async fn batches_store_what_records_one_by_one_stored_postgres() {
        compare(
            crate::testing::postgres().await,
            crate::testing::postgres().await,
        )
        .await;
    }

    #[test]
    fn statements_come_in_few_sizes() {
        let sizes = |n: usize| -> Vec<usize> {
            let items = vec![0u8; n];
            statement_chunks(&items).map(<[u8]>::len).collect()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), vec![1]);
        assert_eq!(sizes(7), vec![4, 2, 1]);
        assert_eq!(sizes(128), vec![128]);
        assert_eq!(sizes(600), vec![256, 256, 64, 16, 8]);
        for n in 0..1000 {
            let s = sizes(n);
            assert_eq!(s.iter().sum::<usize>(), n);
            assert!(
                s.iter()
                    .all(|k| k.is_power_of_two() && *k <= ROWS_PER_STATEMENT)
            );
        }
    }

    #[tokio::test]
    async fn a_whole_session_in_one_batch() {
        let db = crate::testing::sqlite().await;
        let f = fixture(&db.store).await;
        let record = |status, time: i64| AccountingRecord {
            tenant_id: f.tenant_id,
            nas_id: f.nas[0],
            status,
            acct_session_id: "81a00001".into(),
            username: "u1".into(),
            subject: None,
            group_id: None,
            mac: None,
            framed_ip: Some("10.5.50.9".into()),
            nas_ip: None,
            session_time: time,
            input_octets: time * 10,
            output_octets: time * 100,
            terminate_cause: (status == AcctStatus::Stop).then(|| "User-Request".into()),
            event_time: 1_800_000_000 + time,
            day: 20260101,
        };
        let out = record_batch(
            &db.store,
            &[
                record(AcctStatus::Start, 0),
                record(AcctStatus::Interim, 60),
                record(AcctStatus::Stop, 90),
            ],
        )
        .await
        .unwrap();
        let subject = Subject::Account(f.accounts[1]);
        assert_eq!(out.opened.len(), 2);
        assert_eq!(out.closed.len(), 1);
        assert_eq!(
            out.usage
                .iter()
                .map(|u| u.3.session_time)
                .collect::<Vec<_>>(),
            vec![60, 30]
        );
        assert!(out.usage.iter().all(|u| u.1 == subject));
        let s = &sessions(&db.store, f.tenant_id, false, 10).await.unwrap()[0];
        assert_eq!(
            (s.session_time, s.input_octets, s.output_octets),
            (90, 900, 9000)
        );
        assert_eq!(s.stopped_at, Some(1_800_000_090));
        assert_eq!(s.subject, Some(subject));
        assert_eq!(s.terminate_cause.as_deref(), Some("User-Request"));
        let used = crate::usage::to_date(&db.store, f.tenant_id, subject, 20260101, 20260101)
            .await
            .unwrap();
        assert_eq!(used.day.session_time, 90);
        db.cleanup().await;
    }
}
