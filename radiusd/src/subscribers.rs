//! What a login decision reads, kept in memory: logins by User-Name, group policies,
//! usage to date and live sessions. The database is read on a miss only; writes made
//! anywhere (CLI, panel, other nodes) reach here through `crm::generations`.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm::accounting::{BatchOutcome, OpenSession};
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
    usage: Cache<(i64, Subject, i64), UsageToDate>,
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

    /// The group from memory, if cached.
    pub fn cached_group(&self, id: i64) -> Option<Arc<Group>> {
        self.groups.get(&id)
    }

    /// Usage to date from memory, if cached.
    pub fn cached_usage(&self, tenant_id: i64, subject: Subject, day: i64) -> Option<UsageToDate> {
        self.usage.get(&(tenant_id, subject, day))
    }

    pub async fn group(&self, id: i64) -> Result<Arc<Group>> {
        if let Some(g) = self.groups.get(&id) {
            return Ok(g);
        }
        let g = Arc::new(crm::groups::by_id(&self.store, id).await?);
        self.groups.insert(id, g.clone());
        Ok(g)
    }

    pub async fn usage(&self, tenant_id: i64, subject: Subject, day: i64) -> Result<UsageToDate> {
        let key = (tenant_id, subject, day);
        if let Some(u) = self.usage.get(&key) {
            return Ok(u);
        }
        let u = crm::usage::to_date(&self.store, tenant_id, subject, day).await?;
        self.usage.insert(key, u);
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
                live.open(s);
            }
        }
    }

    /// Follows a committed accounting batch.
    pub fn apply(&self, outcome: &BatchOutcome) {
        for (tenant_id, subject, day, added) in &outcome.usage {
            let key = (*tenant_id, *subject, *day);
            if let Some(mut u) = self.usage.get(&key) {
                u.day.add(added);
                u.month.add(added);
                self.usage.insert(key, u);
            }
        }
        if let Ok(mut live) = self.live.lock() {
            for nas_id in &outcome.nas_reset {
                live.reset_nas(*nas_id);
            }
            for s in &outcome.opened {
                live.open(s.clone());
            }
            for (nas_id, session_id, username) in &outcome.closed {
                live.close(&(*nas_id, session_id.clone(), username.clone()));
            }
        }
    }
}

type SessionKey = (i64, String, String);

/// Open sessions per subject, for the simultaneous-devices limit.
#[derive(Default)]
struct LiveSessions {
    by_subject: HashMap<Subject, HashSet<SessionKey>>,
    subject_of: HashMap<SessionKey, Subject>,
}

impl LiveSessions {
    fn open(&mut self, s: OpenSession) {
        let Some(subject) = s.subject else { return };
        let key = (s.nas_id, s.acct_session_id, s.username);
        self.by_subject
            .entry(subject)
            .or_default()
            .insert(key.clone());
        self.subject_of.insert(key, subject);
    }

    fn close(&mut self, key: &SessionKey) {
        if let Some(subject) = self.subject_of.remove(key) {
            if let Some(set) = self.by_subject.get_mut(&subject) {
                set.remove(key);
                if set.is_empty() {
                    self.by_subject.remove(&subject);
                }
            }
        }
    }

    fn reset_nas(&mut self, nas_id: i64) {
        let keys: Vec<SessionKey> = self
            .subject_of
            .keys()
            .filter(|k| k.0 == nas_id)
            .cloned()
            .collect();
        for k in keys {
            self.close(&k);
        }
    }

    fn count(&self, subject: Subject) -> usize {
        self.by_subject.get(&subject).map_or(0, HashSet::len)
    }
}
