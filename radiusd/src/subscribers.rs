//! What a login decision reads, kept in memory: logins by User-Name, group policies,
//! usage to date and live sessions. The database is read on a miss only; writes made
//! anywhere (CLI, panel, other nodes) reach here through `crm::generations`.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm::accounting::{BatchOutcome, OpenSession};
use crm::clock::Zone;
use crm::groups::Group;
use crm::hotspot::{Login, Subject};
use crm::usage::UsageToDate;
use crm::{Result, Store};
use moka::sync::Cache;

/// A login cache key: tenant and User-Name. Lookups go through [`LoginKeyView`], so
/// they borrow the User-Name from the packet instead of allocating a `String`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LoginKey {
    tenant_id: i64,
    username: Box<str>,
}

impl LoginKey {
    fn new(tenant_id: i64, username: &str) -> Self {
        LoginKey {
            tenant_id,
            username: username.into(),
        }
    }
}

/// Either an owned [`LoginKey`] or a borrowed `(tenant, &str)`, compared and hashed
/// alike: the `Borrow` target that lets the caches be probed without allocating.
trait LoginKeyView {
    fn parts(&self) -> (i64, &str);
}

impl LoginKeyView for LoginKey {
    fn parts(&self) -> (i64, &str) {
        (self.tenant_id, &self.username)
    }
}

impl LoginKeyView for (i64, &str) {
    fn parts(&self) -> (i64, &str) {
        (self.0, self.1)
    }
}

impl Hash for LoginKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl Hash for dyn LoginKeyView + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialEq for dyn LoginKeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn LoginKeyView + '_ {}

impl<'a> Borrow<dyn LoginKeyView + 'a> for LoginKey {
    fn borrow(&self) -> &(dyn LoginKeyView + 'a) {
        self
    }
}

pub struct Subscribers {
    store: Store,
    logins: Cache<LoginKey, Arc<Login>>,
    /// Unknown User-Names, briefly, so a flood of them does not reach the database.
    misses: Cache<LoginKey, ()>,
    groups: Cache<i64, Arc<Group>>,
    /// Shared cells, updated in place after each accounting batch: no cache write per
    /// record on the accounting path.
    usage: Cache<(i64, Subject, i64), Arc<Mutex<UsageToDate>>>,
    live: Mutex<LiveSessions>,
}

impl Subscribers {
    pub fn new(store: Store) -> Self {
        Subscribers {
            store,
            logins: Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(Duration::from_secs(600))
                .build(),
            misses: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(5))
                .build(),
            groups: Cache::builder()
                .time_to_live(Duration::from_secs(600))
                .build(),
            // Short-lived: other nodes' accounting reaches us only through the database.
            usage: Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            live: Mutex::new(LiveSessions::default()),
        }
    }

    pub async fn login(&self, tenant_id: i64, username: &str) -> Result<Option<Arc<Login>>> {
        if let Some(known) = self.cached_login(tenant_id, username) {
            return Ok(known);
        }
        let key = LoginKey::new(tenant_id, username);
        match crm::hotspot::find_login(&self.store, tenant_id, username).await? {
            Some(login) => {
                let login = Arc::new(login);
                self.logins.insert(key, login.clone());
                Ok(Some(login))
            }
            None => {
                self.misses.insert(key, ());
                Ok(None)
            }
        }
    }

    /// The login from memory: `Some(Some(_))` cached, `Some(None)` known not to exist,
    /// `None` not known (ask [`Self::login`]). Allocates nothing.
    pub fn cached_login(&self, tenant_id: i64, username: &str) -> Option<Option<Arc<Login>>> {
        let probe = (tenant_id, username);
        let key: &dyn LoginKeyView = &probe;
        if let Some(login) = self.logins.get(key) {
            return Some(Some(login));
        }
        if self.misses.contains_key(key) {
            return Some(None);
        }
        None
    }

    /// Drops one cached login (a token was used up).
    pub fn forget_login(&self, tenant_id: i64, username: &str) {
        let probe = (tenant_id, username);
        let key: &dyn LoginKeyView = &probe;
        self.logins.invalidate(key);
    }

    pub async fn group(&self, id: i64) -> Result<Arc<Group>> {
        if let Some(g) = self.groups.get(&id) {
            return Ok(g);
        }
        let g = Arc::new(crm::groups::by_id(&self.store, id).await?);
        self.groups.insert(id, g.clone());
        Ok(g)
    }

    /// Usage on `day` and in the tenant's month so far (`zone` knows where it starts).
    pub async fn usage(
        &self,
        tenant_id: i64,
        subject: Subject,
        day: i64,
        zone: &Zone,
    ) -> Result<UsageToDate> {
        let key = (tenant_id, subject, day);
        if let Some(u) = self.usage.get(&key) {
            return Ok(u.lock().map(|u| *u).unwrap_or_default());
        }
        let u = crm::usage::to_date(&self.store, tenant_id, subject, day, zone.month_start(day))
            .await?;
        self.usage.insert(key, Arc::new(Mutex::new(u)));
        Ok(u)
    }

    /// Everything subscriber-related changed somewhere: start over from the database.
    pub fn invalidate_all(&self) {
        self.logins.invalidate_all();
        self.misses.invalidate_all();
        self.groups.invalidate_all();
    }

    pub fn live_sessions(&self, subject: Subject) -> usize {
        self.live.lock().map(|l| l.count(subject)).unwrap_or(0)
    }

    pub fn load_live(&self, open: Vec<OpenSession>) {
        if let Ok(mut live) = self.live.lock() {
            *live = LiveSessions::default();
            for s in open {
                live.open(s.nas_id, &s.acct_session_id, &s.username, s.subject);
            }
        }
    }

    /// The sessions counted as open now, as (NAS, Acct-Session-Id, User-Name).
    pub fn live_keys(&self) -> Vec<(i64, String, String)> {
        self.live
            .lock()
            .map(|l| {
                l.subject_of
                    .keys()
                    .map(|k| (k.nas_id, k.session_id.to_string(), k.username.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets sessions that were open `before` the database was read and are not open
    /// in it (`open_in_db`) any more: closed as stale by a worker, or by another node.
    /// Sessions opened since the read are not in `before`, so they stay.
    pub fn drop_closed(&self, before: Vec<(i64, String, String)>, open_in_db: &[OpenSession]) {
        let open: HashSet<(i64, &str, &str)> = open_in_db
            .iter()
            .map(|s| (s.nas_id, s.acct_session_id.as_str(), s.username.as_str()))
            .collect();
        if let Ok(mut live) = self.live.lock() {
            for (nas_id, session_id, username) in before {
                if !open.contains(&(nas_id, session_id.as_str(), username.as_str())) {
                    live.close(nas_id, &session_id, &username);
                }
            }
        }
    }

    /// Follows a committed accounting batch.
    pub fn apply(&self, outcome: &BatchOutcome) {
        for (tenant_id, subject, day, added) in &outcome.usage {
            let key = (*tenant_id, *subject, *day);
            if let Some(cell) = self.usage.get(&key) {
                if let Ok(mut u) = cell.lock() {
                    u.day.add(added);
                    u.month.add(added);
                }
            }
        }
        if let Ok(mut live) = self.live.lock() {
            for nas_id in &outcome.nas_reset {
                live.reset_nas(*nas_id);
            }
            for s in &outcome.opened {
                live.open(s.nas_id, &s.acct_session_id, &s.username, s.subject);
            }
            for (nas_id, session_id, username) in &outcome.closed {
                live.close(*nas_id, session_id, username);
            }
        }
    }
}

/// An open session: router, Acct-Session-Id, User-Name.
#[derive(Debug, PartialEq, Eq)]
struct SessionKey {
    nas_id: i64,
    session_id: Box<str>,
    username: Box<str>,
}

/// [`SessionKey`] or its borrowed form, hashed and compared alike, so the map is probed
/// without allocating (most records are interim updates of sessions already open).
trait SessionKeyView {
    fn parts(&self) -> (i64, &str, &str);
}

impl SessionKeyView for SessionKey {
    fn parts(&self) -> (i64, &str, &str) {
        (self.nas_id, &self.session_id, &self.username)
    }
}

impl SessionKeyView for (i64, &str, &str) {
    fn parts(&self) -> (i64, &str, &str) {
        *self
    }
}

impl Hash for SessionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl Hash for dyn SessionKeyView + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialEq for dyn SessionKeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn SessionKeyView + '_ {}

impl<'a> Borrow<dyn SessionKeyView + 'a> for SessionKey {
    fn borrow(&self) -> &(dyn SessionKeyView + 'a) {
        self
    }
}

/// Open sessions and how many each subject has, for the simultaneous-devices limit.
#[derive(Default)]
struct LiveSessions {
    subject_of: HashMap<SessionKey, Subject>,
    count: HashMap<Subject, usize>,
}

impl LiveSessions {
    fn open(&mut self, nas_id: i64, session_id: &str, username: &str, subject: Option<Subject>) {
        let Some(subject) = subject else { return };
        let probe = (nas_id, session_id, username);
        let view: &dyn SessionKeyView = &probe;
        if let Some(known) = self.subject_of.get_mut(view) {
            if *known != subject {
                // The session now counts against whom its latest record names.
                let old = std::mem::replace(known, subject);
                self.forget(old);
                *self.count.entry(subject).or_default() += 1;
            }
            return;
        }
        self.subject_of.insert(
            SessionKey {
                nas_id,
                session_id: session_id.into(),
                username: username.into(),
            },
            subject,
        );
        *self.count.entry(subject).or_default() += 1;
    }

    fn close(&mut self, nas_id: i64, session_id: &str, username: &str) {
        let probe = (nas_id, session_id, username);
        let view: &dyn SessionKeyView = &probe;
        if let Some(subject) = self.subject_of.remove(view) {
            self.forget(subject);
        }
    }

    fn forget(&mut self, subject: Subject) {
        if let Some(n) = self.count.get_mut(&subject) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.count.remove(&subject);
            }
        }
    }

    fn reset_nas(&mut self, nas_id: i64) {
        let mut closed = Vec::new();
        self.subject_of.retain(|k, subject| {
            let keep = k.nas_id != nas_id;
            if !keep {
                closed.push(*subject);
            }
            keep
        });
        for subject in closed {
            self.forget(subject);
        }
    }

    fn count(&self, subject: Subject) -> usize {
        self.count.get(&subject).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_closed_elsewhere_stop_counting_but_new_ones_stay() {
        let db = crm::testing::sqlite().await;
        let subscribers = Subscribers::new(db.store.clone());
        let (a, b) = (Subject::Account(1), Subject::Customer(2));
        let open = |id: &str, subject| OpenSession {
            tenant_id: 1,
            nas_id: 1,
            acct_session_id: id.into(),
            username: "u".into(),
            subject: Some(subject),
        };
        subscribers.load_live(vec![open("stale", a), open("kept", a)]);
        assert_eq!(subscribers.live_sessions(a), 2);
        let before = subscribers.live_keys();
        // Opened by a batch while the database was being read: not in `before`.
        subscribers.apply(&BatchOutcome {
            opened: vec![open("new", b)],
            ..Default::default()
        });
        subscribers.drop_closed(before, &[open("kept", a)]);
        assert_eq!(
            subscribers.live_sessions(a),
            1,
            "the stale session no longer counts"
        );
        assert_eq!(
            subscribers.live_sessions(b),
            1,
            "a session opened during the read stays"
        );
        db.cleanup().await;
    }

    #[test]
    fn live_sessions_count_each_session_once() {
        let (a, b) = (Subject::Account(1), Subject::Customer(2));
        let mut live = LiveSessions::default();
        live.open(1, "s1", "u", Some(a));
        live.open(1, "s1", "u", Some(a));
        live.open(1, "s2", "u", Some(a));
        live.open(2, "s1", "u", Some(a));
        live.open(1, "s3", "v", Some(b));
        live.open(1, "s4", "w", None);
        assert_eq!((live.count(a), live.count(b)), (3, 1));
        live.close(1, "s1", "u");
        live.close(1, "s1", "u");
        live.close(9, "nope", "u");
        assert_eq!(live.count(a), 2);
        // A session whose records name another subject moves to it.
        live.open(1, "s2", "u", Some(b));
        assert_eq!((live.count(a), live.count(b)), (1, 2));
        live.reset_nas(1);
        assert_eq!((live.count(a), live.count(b)), (1, 0));
        live.reset_nas(2);
        assert_eq!(live.count(a), 0);
        assert!(live.subject_of.is_empty() && live.count.is_empty());
    }
}
