//! `cosell config check`: loads the configuration file and the secrets it
//! needs, and prints a summary without secrets.

use anyhow::Result;
use clap::Subcommand;

use super::ConfigArgs;
use crate::config::Config;

/// `cosell config ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Check the file and the secrets it needs; print a summary without secrets.
    Check(ConfigArgs),
}

/// Runs `cosell config ...`.
pub fn run(command: ConfigCommand) -> Result<()> {
    match command {
        ConfigCommand::Check(args) => {
            let config = Config::load(&args.config)?;
            print!("{}", config.summary());
            Ok(())
        }
    }
}
