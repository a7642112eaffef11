//! Which router a datagram comes from: source address → NAS by longest CIDR match.

use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use crm::clock::Zone;
use crm::nas::Nas;
use crm::tenants::Tenant;

/// A router plus what answering it needs from its tenant.
#[derive(Debug)]
pub struct NasEntry {
    pub nas: Nas,
    pub zone: Zone,
    pub locale: String,
}

impl NasEntry {
    pub fn secret(&self) -> &[u8] {
        self.nas.secret.expose().as_bytes()
    }
}

/// Immutable snapshots swapped in whole on reload, so lookups take no lock.
#[derive(Default)]
pub struct NasRegistry {
    entries: ArcSwap<Vec<Arc<NasEntry>>>,
}

impl NasRegistry {
    /// Replaces the routers (most specific prefixes first, so the first match wins).
    pub fn replace(&self, routers: Vec<Nas>, tenants: &[Tenant]) {
        let mut entries: Vec<Arc<NasEntry>> = routers
            .into_iter()
            .filter_map(|nas| {
                let tenant = tenants.iter().find(|t| t.id == nas.tenant_id)?;
                let zone = Zone::of(tenant)
                    .or_else(|_| Zone::named("Asia/Tehran"))
                    .ok()?;
                Some(Arc::new(NasEntry {
                    nas,
                    zone,
                    locale: tenant.locale.clone(),
                }))
            })
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.nas.address.prefix()));
        self.entries.store(Arc::new(entries));
    }

    pub fn lookup(&self, source: IpAddr) -> Option<Arc<NasEntry>> {
        // IPv4-mapped IPv6 sources (dual-stack sockets) match IPv4 networks.
        let source = match source {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(source),
            v4 => v4,
        };
        self.entries
            .load()
            .iter()
            .find(|e| e.nas.address.contains(source))
            .cloned()
    }

    pub fn count(&self) -> usize {
        self.entries.load().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm::secret::Secret;

    fn nas(id: i64, cidr: &str) -> Nas {
        Nas {
            id,
            tenant_id: 1,
            branch_id: None,
            name: format!("r{id}"),
            address: cidr.parse().unwrap(),
            secret: Secret::new("s"),
            require_message_authenticator: false,
            coa_port: 3799,
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let tenant = Tenant {
            id: 1,
            name: "t".into(),
            club_code: "12345".into(),
            time_zone: "Asia/Tehran".into(),
            locale: "fa".into(),
            remember_days: 30,
            otp_length: 5,
            month_start: Default::default(),
            created_at: 0,
        };
        let r = NasRegistry::default();
        r.replace(
            vec![
                nas(1, "10.0.0.0/8"),
                nas(2, "10.1.2.0/24"),
                nas(3, "10.1.2.3/32"),
            ],
            &[tenant],
        );
        let id = |ip: &str| r.lookup(ip.parse().unwrap()).map(|e| e.nas.id);
        assert_eq!(id("10.1.2.3"), Some(3));
        assert_eq!(id("10.1.2.4"), Some(2));
        assert_eq!(id("10.9.9.9"), Some(1));
        assert_eq!(id("::ffff:10.1.2.3"), Some(3));
        assert_eq!(id("192.0.2.1"), None);
    }
}
