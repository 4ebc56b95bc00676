//! Every `cosell` command, one module each: the module owns its clap
//! arguments and its `run`, which returns when the command is done.
//! `cli.rs` only lists them.

pub mod backfill;
pub mod config;
pub mod demo;
pub mod emulator;
pub mod init;
pub mod login;
pub mod plan;
pub mod retry;
pub mod run;
pub mod setup;
pub mod status;
pub mod sync;
pub mod webhooks;

use std::path::PathBuf;

use clap::Args;

use crate::config::DEFAULT_CONFIG_FILE;

/// `-c FILE`, shared by every command that reads the configuration.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Configuration file.
    #[arg(short = 'c', long = "config", value_name = "FILE", default_value = DEFAULT_CONFIG_FILE, env = "COSELL_CONFIG")]
    pub config: PathBuf,
}
