//! `cosell run`: the service until Ctrl-C or SIGTERM.

use anyhow::Result;

use super::ConfigArgs;
use crate::config::Config;
use crate::service;

/// `cosell run`.
pub async fn run(args: ConfigArgs) -> Result<()> {
    let config = Config::load(&args.config)?;
    service::run(config, service::shutdown::signal()).await
}
