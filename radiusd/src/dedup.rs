//! Retransmissions (RFC 5080 §2.2.2): a request seen again — same source, Identifier
//! and Request Authenticator — is answered with the reply already sent, or ignored
//! while the first copy is still being processed. Never processed twice.
//!
//! Every request passes through here, so it is built for that: 64 shards, each two
//! plain hash maps (the current and the previous period) behind its own mutex, held
//! for one map operation. A period lasts `ttl`, so a reply is remembered for at least
//! `ttl` and at most twice that; a shard that fills up starts a new period early, which
//! bounds memory. (A general-purpose cache did the same job with several times the CPU:
//! see docs/benchmarks.md.)

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const SHARDS: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    source: SocketAddr,
    identifier: u8,
    authenticator: [u8; 16],
}

enum Slot {
    InProgress,
    Answered(Arc<[u8]>),
}

struct Shard {
    current: HashMap<Key, Slot>,
    previous: HashMap<Key, Slot>,
    /// When `current` started.
    since: Instant,
}

pub struct Dedup {
    shards: Box<[Mutex<Shard>]>,
    ttl: Duration,
    /// Entries a shard holds at most (both periods together).
    per_shard: usize,
    hasher: RandomState,
}

/// What to do with a request.
pub enum Seen {
    /// First copy: process it, then `finish` (or `abandon` if no reply is sent).
    New(Ticket),
    /// Already answered: send this again.
    Answered(Arc<[u8]>),
    /// Still being processed: drop this copy.
    InProgress,
}

pub struct Ticket {
    key: Key,
}

impl Dedup {
    /// Remembers replies for at least `ttl` (longer than a router's whole retry window),
    /// for at most about `capacity` requests.
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        let now = Instant::now();
        Dedup {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        current: HashMap::new(),
                        previous: HashMap::new(),
                        since: now,
                    })
                })
                .collect(),
            ttl,
            per_shard: usize::try_from(capacity)
                .unwrap_or(usize::MAX)
                .div_ceil(SHARDS)
                .max(2),
            hasher: RandomState::new(),
        }
    }

    fn shard(&self, key: &Key) -> MutexGuard<'_, Shard> {
        let index = (self.hasher.hash_one(key) % SHARDS as u64) as usize;
        let shard = &self.shards[index];
        // A panic while holding the lock cannot leave a map half-updated in a way that
        // matters here; keep serving.
        shard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn check(&self, source: SocketAddr, identifier: u8, authenticator: &[u8; 16]) -> Seen {
        self.check_at(source, identifier, authenticator, Instant::now())
    }

    fn check_at(
        &self,
        source: SocketAddr,
        identifier: u8,
        authenticator: &[u8; 16],
        now: Instant,
    ) -> Seen {
        let key = Key {
            source,
            identifier,
            authenticator: *authenticator,
        };
        let mut shard = self.shard(&key);
        let expired = if now.duration_since(shard.since) >= self.ttl
            || shard.current.len() >= self.per_shard / 2
        {
            // A new period: what the previous one held is forgotten (freed after unlocking).
            let expired = std::mem::take(&mut shard.previous);
            let shard = &mut *shard;
            std::mem::swap(&mut shard.previous, &mut shard.current);
            shard.since = now;
            Some(expired)
        } else {
            None
        };
        let seen = match shard.current.get(&key).or_else(|| shard.previous.get(&key)) {
            Some(Slot::InProgress) => Seen::InProgress,
            Some(Slot::Answered(reply)) => Seen::Answered(reply.clone()),
            None => {
                shard.current.insert(key, Slot::InProgress);
                Seen::New(Ticket { key })
            }
        };
        drop(shard);
        drop(expired);
        seen
    }

    pub fn finish(&self, ticket: Ticket, reply: &[u8]) {
        let answered = Slot::Answered(Arc::from(reply));
        let mut shard = self.shard(&ticket.key);
        if let Some(slot) = shard.previous.get_mut(&ticket.key) {
            *slot = answered;
        } else {
            shard.current.insert(ticket.key, answered);
        }
    }

    /// No reply was sent (e.g. the database failed): let a retransmission try again.
    pub fn abandon(&self, ticket: Ticket) {
        let mut shard = self.shard(&ticket.key);
        shard.current.remove(&ticket.key);
        shard.previous.remove(&ticket.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_answered_from_cache_or_dropped() {
        let d = Dedup::new(Duration::from_secs(30), 1000);
        let src: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let auth = [7u8; 16];
        let Seen::New(ticket) = d.check(src, 1, &auth) else {
            panic!("first copy is new")
        };
        assert!(matches!(d.check(src, 1, &auth), Seen::InProgress));
        d.finish(ticket, b"reply");
        assert!(matches!(d.check(src, 1, &auth), Seen::Answered(r) if &*r == b"reply"));
        // Another identifier, authenticator or source is another request.
        assert!(matches!(d.check(src, 2, &auth), Seen::New(_)));
        assert!(matches!(d.check(src, 1, &[8; 16]), Seen::New(_)));
        let Seen::New(t) = d.check("127.0.0.2:5000".parse().unwrap(), 1, &auth) else {
            panic!()
        };
        d.abandon(t);
        assert!(matches!(
            d.check("127.0.0.2:5000".parse().unwrap(), 1, &auth),
            Seen::New(_)
        ));
    }

    #[test]
    fn replies_are_kept_for_at_least_the_ttl_then_forgotten() {
        let ttl = Duration::from_secs(30);
        let d = Dedup::new(ttl, 1_000_000);
        let src: SocketAddr = "[2001:db8::1]:1700".parse().unwrap();
        let t0 = Instant::now();
        let Seen::New(ticket) = d.check_at(src, 9, &[1; 16], t0) else {
            panic!()
        };
        d.finish(ticket, b"r");
        // Other requests (any shard) keep arriving as time passes.
        let mut n = 0u8;
        let mut tick = |at: Instant| {
            for id in 0..=255u8 {
                n = n.wrapping_add(1);
                let _ = d.check_at(src, id, &[n; 16], at);
            }
        };
        for secs in [10, 29, 31, 45, 59] {
            let at = t0 + Duration::from_secs(secs);
            tick(at);
            assert!(
                matches!(d.check_at(src, 9, &[1; 16], at), Seen::Answered(_)),
                "remembered after {secs} s"
            );
        }
        // Two periods later it is gone everywhere.
        let late = t0 + Duration::from_secs(95);
        tick(late);
        tick(late + ttl);
        assert!(matches!(
            d.check_at(src, 9, &[1; 16], late + ttl),
            Seen::New(_)
        ));
    }

    #[test]
    fn memory_stays_bounded() {
        let d = Dedup::new(Duration::from_secs(30), 6_400);
        let src: SocketAddr = "10.0.0.1:1812".parse().unwrap();
        let now = Instant::now();
        for i in 0..100_000u32 {
            let mut auth = [0u8; 16];
            auth[..4].copy_from_slice(&i.to_be_bytes());
            let _ = d.check_at(src, 0, &auth, now);
        }
        let held: usize = d
            .shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap();
                s.current.len() + s.previous.len()
            })
            .sum();
        assert!(held <= 6_400, "{held} entries");
        assert!(held >= 3_000, "{held} entries");
    }
}
