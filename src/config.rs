//! One typed configuration: flags > `SMARTX_*` environment > TOML file > defaults.
//!
//! clap already merges flags with the environment (every flag has an `env`), so this
//! module only lays the optional TOML file underneath and fills in defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Keys accepted in the `--config` TOML file; each mirrors the flag of the same name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub tenant: Option<String>,
    pub log: Option<String>,
    pub role: Option<Vec<String>>,
    pub radius_auth: Option<SocketAddr>,
    pub radius_acct: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> Result<FileConfig> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("config file {}", path.display()))
    }
}

/// Settings every command shares.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub tenant: Option<String>,
    /// Log filter; `None` = the command's own default.
    pub log: Option<String>,
}

/// Which parts of the product a `serve` process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Radius,
    Web,
    Worker,
}

impl std::str::FromStr for Role {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "radius" => Ok(Role::Radius),
            "web" => Ok(Role::Web),
            "worker" => Ok(Role::Worker),
            other => bail!("unknown role {other:?}: expected radius, web or worker"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub roles: Vec<Role>,
    pub radius_auth: SocketAddr,
    pub radius_acct: SocketAddr,
    pub http: SocketAddr,
}

pub const DEFAULT_RADIUS_AUTH: &str = "0.0.0.0:1812";
pub const DEFAULT_RADIUS_ACCT: &str = "0.0.0.0:1813";
pub const DEFAULT_HTTP: &str = "0.0.0.0:8080";

impl ServeConfig {
    /// `roles` come from the flag/env (possibly comma-separated); empty means all.
    pub fn resolve(
        roles: &[String],
        radius_auth: Option<SocketAddr>,
        radius_acct: Option<SocketAddr>,
        http: Option<SocketAddr>,
        file: &FileConfig,
    ) -> Result<ServeConfig> {
        let names: Vec<&str> = if roles.is_empty() {
            file.role.iter().flatten().map(String::as_str).collect()
        } else {
            roles.iter().map(String::as_str).collect()
        };
        let mut roles = names
            .iter()
            .flat_map(|r| r.split(','))
            .map(str::parse)
            .collect::<Result<Vec<Role>>>()?;
        if roles.is_empty() {
            roles = vec![Role::Radius, Role::Web, Role::Worker];
        }
        roles.sort();
        roles.dedup();
        let default = |s: &str| s.parse::<SocketAddr>().expect("valid default address");
        Ok(ServeConfig {
            roles,
            radius_auth: radius_auth
                .or(file.radius_auth)
                .unwrap_or_else(|| default(DEFAULT_RADIUS_AUTH)),
            radius_acct: radius_acct
                .or(file.radius_acct)
                .unwrap_or_else(|| default(DEFAULT_RADIUS_ACCT)),
            http: http.or(file.http).unwrap_or_else(|| default(DEFAULT_HTTP)),
        })
    }

    pub fn runs(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

impl Config {
    pub fn resolve(
        data_dir: Option<PathBuf>,
        database_url: Option<String>,
        tenant: Option<String>,
        log: Option<String>,
        file: &FileConfig,
    ) -> Config {
        Config {
            data_dir: data_dir
                .or_else(|| file.data_dir.clone())
                .unwrap_or_else(|| PathBuf::from("./data")),
            database_url: database_url
                .or_else(|| file.database_url.clone())
                .filter(|u| !u.is_empty()),
            tenant: tenant.or_else(|| file.tenant.clone()),
            log: log.or_else(|| file.log.clone()),
        }
    }

    pub fn store(&self) -> crm::StoreConfig {
        crm::StoreConfig::new(&self.data_dir, self.database_url.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beats_defaults() {
        let file: FileConfig = toml::from_str(
            "data-dir = \"/srv/smartx\"\nhttp = \"127.0.0.1:9000\"\nrole = [\"web\"]\ntenant = \"cafe\"",
        )
        .unwrap();
        let c = Config::resolve(None, None, Some("other".into()), None, &file);
        assert_eq!(c.data_dir, PathBuf::from("/srv/smartx"));
        assert_eq!(c.tenant.as_deref(), Some("other"));
        assert_eq!(c.log, None);
        let s = ServeConfig::resolve(&[], None, None, None, &file).unwrap();
        assert_eq!(s.roles, vec![Role::Web]);
        assert_eq!(s.http.to_string(), "127.0.0.1:9000");
        assert_eq!(s.radius_auth.to_string(), DEFAULT_RADIUS_AUTH);
        let s = ServeConfig::resolve(&["radius,worker".into()], None, None, None, &file).unwrap();
        assert_eq!(s.roles, vec![Role::Radius, Role::Worker]);
        assert!(ServeConfig::resolve(&["dns".into()], None, None, None, &file).is_err());
        assert!(toml::from_str::<FileConfig>("colour = \"blue\"").is_err());
    }
}
