//! Retransmissions (RFC 5080 §2.2.2): a request seen again — same source, Identifier
//! and Request Authenticator — is answered with the reply already sent, or ignored
//! while the first copy is still being processed. Never processed twice.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use moka::sync::Cache;

type Key = (SocketAddr, u8, [u8; 16]);

pub struct Dedup {
    seen: Cache<Key, Arc<OnceLock<Vec<u8>>>>,
}

/// What to do with a request.
pub enum Seen {
    /// First copy: process it, then `finish` (or `abandon` if no reply is sent).
    New(Ticket),
    /// Already answered: send this again.
    Answered(Vec<u8>),
    /// Still being processed: drop this copy.
    InProgress,
}

pub struct Ticket {
    key: Key,
    slot: Arc<OnceLock<Vec<u8>>>,
}

impl Dedup {
    /// Remembers replies for `ttl` (longer than a router's whole retry window).
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        Dedup {
            seen: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
        }
    }

    pub fn check(&self, source: SocketAddr, identifier: u8, authenticator: &[u8; 16]) -> Seen {
        let key = (source, identifier, *authenticator);
        let entry = self
            .seen
            .entry(key)
            .or_insert_with(|| Arc::new(OnceLock::new()));
        let slot = entry.value().clone();
        if entry.is_fresh() {
            return Seen::New(Ticket { key, slot });
        }
        match slot.get() {
            Some(reply) => Seen::Answered(reply.clone()),
            None => Seen::InProgress,
        }
    }

    pub fn finish(&self, ticket: Ticket, reply: &[u8]) {
        let _ = ticket.slot.set(reply.to_vec());
    }

    /// No reply was sent (e.g. the database failed): let a retransmission try again.
    pub fn abandon(&self, ticket: Ticket) {
        self.seen.invalidate(&ticket.key);
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
        assert!(matches!(d.check(src, 1, &auth), Seen::Answered(r) if r == b"reply"));
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
}
