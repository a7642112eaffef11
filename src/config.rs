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
    pub sms_provider: Option<String>,
    /// Secret: only here or in `SMARTX_SMS_API_KEY`, never a flag (flags show in `ps`).
    pub sms_api_key: Option<String>,
    pub sms_sender: Option<String>,
    pub sms_otp_template: Option<String>,
    pub sms_base_url: Option<String>,
    /// Secret: only here or in `SMARTX_SMS_WEBHOOK_KEY`.
    pub sms_webhook_key: Option<String>,
    pub public_url: Option<String>,
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
    /// Filled by `SmsConfig::resolve` (kept apart so `resolve` stays small).
    pub sms: SmsConfig,
    /// Where customers reach the web role (`https://…`), for links in SMS (bookings,
    /// surveys); `None` = no links, survey invitations wait.
    pub public_url: Option<String>,
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
            sms: SmsConfig::default(),
            public_url: file.public_url.clone(),
        })
    }

    pub fn runs(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The SMS flags (`--sms-provider`, `--sms-sender`, `--sms-otp-template`,
/// `--sms-base-url`, each with its `SMARTX_SMS_*` variable) as clap parsed them.
#[derive(Debug, Clone, Default)]
pub struct SmsFlags {
    pub provider: Option<String>,
    pub sender: Option<String>,
    pub otp_template: Option<String>,
    pub base_url: Option<String>,
}

/// SMS settings of `serve`: the provider the worker sends through, and the key the
/// delivery-report webhooks require (docs/sms.md).
#[derive(Debug, Clone, Default)]
pub struct SmsConfig {
    pub provider: crm::sms::ProviderConfig,
    pub webhook_key: Option<crm::secret::Secret>,
}

impl SmsConfig {
    /// Flags and env (clap) > TOML > defaults; the two secrets come from the
    /// environment (`SMARTX_SMS_API_KEY`, `SMARTX_SMS_WEBHOOK_KEY`) or the TOML file only.
    pub fn resolve(
        flags: SmsFlags,
        env_api_key: Option<String>,
        env_webhook_key: Option<String>,
        file: &FileConfig,
    ) -> Result<SmsConfig> {
        let pick = |flag: Option<String>, file: &Option<String>| {
            flag.or_else(|| file.clone())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let kind = match pick(flags.provider, &file.sms_provider) {
            Some(name) => name.parse()?,
            None => crm::sms::ProviderKind::default(),
        };
        let secret = |env: Option<String>, file: &Option<String>| {
            pick(env, file).map(crm::secret::Secret::new)
        };
        Ok(SmsConfig {
            provider: crm::sms::ProviderConfig {
                kind,
                api_key: secret(env_api_key, &file.sms_api_key),
                sender: pick(flags.sender, &file.sms_sender),
                otp_template: pick(flags.otp_template, &file.sms_otp_template),
                base_url: pick(flags.base_url, &file.sms_base_url),
            },
            webhook_key: secret(env_webhook_key, &file.sms_webhook_key),
        })
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

    #[test]
    fn sms_settings_merge_flags_env_and_file() {
        use crm::sms::ProviderKind;
        let file: FileConfig = toml::from_str(
            "sms-provider = \"kavenegar\"\nsms-api-key = \"file-key\"\nsms-sender = \"10004346\"\n\
             sms-otp-template = \"login\"\nsms-webhook-key = \"hook\"",
        )
        .unwrap();
        let s = SmsConfig::resolve(SmsFlags::default(), None, None, &file).unwrap();
        assert_eq!(s.provider.kind, ProviderKind::Kavenegar);
        assert_eq!(s.provider.api_key.as_ref().unwrap().expose(), "file-key");
        assert_eq!(s.provider.sender.as_deref(), Some("10004346"));
        assert_eq!(s.provider.otp_template.as_deref(), Some("login"));
        assert_eq!(s.webhook_key.as_ref().unwrap().expose(), "hook");
        assert!(
            !format!("{s:?}").contains("file-key"),
            "secrets never print"
        );

        let flags = SmsFlags {
            provider: Some("smsir".into()),
            sender: Some("3000".into()),
            ..Default::default()
        };
        let s = SmsConfig::resolve(flags, Some("env-key".into()), None, &file).unwrap();
        assert_eq!(s.provider.kind, ProviderKind::SmsIr);
        assert_eq!(s.provider.api_key.unwrap().expose(), "env-key");
        assert_eq!(s.provider.sender.as_deref(), Some("3000"));

        let none =
            SmsConfig::resolve(SmsFlags::default(), None, None, &FileConfig::default()).unwrap();
        assert_eq!(none.provider.kind, ProviderKind::Console);
        assert!(none.webhook_key.is_none());
        let bad = SmsFlags {
            provider: Some("pigeon".into()),
            ..Default::default()
        };
        assert!(SmsConfig::resolve(bad, None, None, &file).is_err());
    }
}
