//! `smartx router-config`: the RouterOS script and hotspot pages for one NAS.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use crm::nas;
use router_config::{PortalUrl, RouterSetup};

use super::open_tenant;
use crate::config::Config;

#[derive(Args)]
pub struct RouterConfigArgs {
    /// The router, as named by `smartx nas add --name`
    #[arg(long)]
    nas: String,
    /// The captive portal's base URL as guests reach it, e.g. https://wifi.example.com
    #[arg(long)]
    portal_url: String,
    /// smartx's RADIUS address as the router reaches it [default: the portal URL's host, if an IP]
    #[arg(long)]
    radius_server: Option<IpAddr>,
    /// Hotspot server profile to configure on the router
    #[arg(long, default_value = router_config::DEFAULT_HOTSPOT_PROFILE)]
    hotspot_profile: String,
    /// Directory in the router's Files for the login pages
    #[arg(long, default_value = router_config::DEFAULT_HTML_DIRECTORY)]
    html_dir: String,
    /// The router's own address to send RADIUS from (src-address), if it has several
    #[arg(long)]
    src_address: Option<IpAddr>,
    /// Also write the hotspot pages (login.html, rlogin.html, ...) into this directory
    #[arg(long)]
    out: Option<PathBuf>,
}

impl RouterConfigArgs {
    pub async fn run(self, config: &Config) -> Result<()> {
        // Check the flags before touching the database.
        let portal = PortalUrl::parse(&self.portal_url)?;
        let radius_server = match (self.radius_server, portal.host.ip()) {
            (Some(ip), _) | (None, Some(ip)) => ip,
            (None, None) => bail!(
                "--radius-server is required: the portal host {} is a name, and the router's \
                 /radius needs smartx's IP address",
                portal.host
            ),
        };

        let (store, tenant) = open_tenant(config).await?;
        let n = nas::by_name(&store, &tenant, &self.nas).await?;
        let mut setup = RouterSetup::new(n.name, n.id, n.secret.expose(), radius_server, portal);
        setup.hotspot_profile = self.hotspot_profile;
        setup.html_directory = self.html_dir;
        setup.coa_port = n.coa_port;
        setup.src_address = self.src_address;
        setup.validate()?;

        print!("{}", router_config::routeros_script(&setup));

        // Files and hints go to stderr, so `> smartx.rsc` captures only the script.
        if let Some(out) = &self.out {
            let written = router_config::write_html_dir(&setup, out)
                .with_context(|| format!("cannot write the hotspot pages to {}", out.display()))?;
            let dir = &setup.html_directory;
            eprintln!("wrote {} hotspot pages:", written.len());
            for path in &written {
                eprintln!("  {}", path.display());
            }
            eprintln!(
                "Upload them into the router's {dir}/ directory: Winbox or WebFig Files \
                 (upload into folder {dir}), or from a web server the router can reach:"
            );
            for name in router_config::PAGES {
                eprintln!(
                    "  /tool fetch url=\"http://<where-you-put-them>/{name}\" dst-path={}",
                    router_config::quote(&format!("{dir}/{name}"))
                );
            }
        }
        Ok(())
    }
}
