use anyhow::Result;
use clap::Subcommand;

use crate::config::Config;

#[derive(Subcommand)]
pub enum BenchCommand {}

impl BenchCommand {
    pub async fn run(self, _config: &Config) -> Result<()> {
        match self {}
    }
}
