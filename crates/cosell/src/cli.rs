//! The command line: the global options and the list of `cosell` commands
//! (clap derive). Each command's arguments and its `run` live in its own
//! module under `commands/`.

use clap::{Parser, Subcommand};

use crate::commands::{
    backfill, config, demo, emulator, init, login, plan, retry, run, setup, status, sync, webhooks,
    ConfigArgs,
};
use crate::telemetry::LogFormat;

/// Keeps Microsoft Partner Center referrals and Salesforce opportunities in sync.
#[derive(Debug, Parser)]
#[command(name = "cosell", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Log format: text for people, json for log collectors [default: text on a terminal, json otherwise].
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. "info" or "info,cosell=debug" [default: $RUST_LOG, else info].
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Try it: both remote APIs emulated in-process, seeded deals, the connector syncing them, and the dashboard.
    Demo(demo::DemoArgs),
    /// Run the service: webhook intake, pollers, workers, dashboard, /metrics.
    Run(ConfigArgs),
    /// One full reconcile pass, then exit (cron-friendly).
    Sync(ConfigArgs),
    /// Dry run: show what a sync would change on each side, change nothing.
    Plan(ConfigArgs),
    /// Initial load of existing referrals and opportunities, with a progress bar.
    Backfill(backfill::BackfillArgs),
    /// Prepare a remote system for the connector.
    #[command(subcommand)]
    Setup(setup::SetupCommand),
    /// Partner Center webhook registration.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Sign in and keep the credentials sealed in the store.
    #[command(subcommand)]
    Login(login::LoginCommand),
    /// Pairs, pending jobs, failures and last sync times.
    Status(status::StatusArgs),
    /// Re-run a failed job, or all dead-lettered jobs.
    Retry(retry::RetryArgs),
    /// Check the configuration file.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Write a commented starting configuration file.
    Init(init::InitArgs),
    /// Run a strict emulator of a remote API on its own.
    #[command(subcommand)]
    Emulator(emulator::EmulatorCommand),
}

impl Command {
    /// Runs the command to its end.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Demo(args) => demo::run(args).await,
            Command::Run(args) => run::run(args).await,
            Command::Sync(args) => sync::run(args).await,
            Command::Plan(args) => plan::run(args).await,
            Command::Backfill(args) => backfill::run(args).await,
            Command::Setup(command) => setup::run(command).await,
            Command::Webhooks(command) => webhooks::run(command).await,
            Command::Login(command) => login::run(command).await,
            Command::Status(args) => status::run(args).await,
            Command::Retry(args) => retry::run(args).await,
            Command::Config(command) => config::run(command),
            Command::Init(args) => init::run(args),
            Command::Emulator(command) => emulator::run(command).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cosell").chain(args.iter().copied()))
    }

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn config_defaults_to_cosell_toml() {
        let Command::Run(args) = parse(&["run"]).unwrap().command else {
            panic!()
        };
        assert_eq!(args.config, PathBuf::from("cosell.toml"));
        let Command::Sync(args) = parse(&["sync", "-c", "x.toml"]).unwrap().command else {
            panic!()
        };
        assert_eq!(args.config, PathBuf::from("x.toml"));
    }

    #[test]
    fn every_command_parses() {
        for args in [
            &["demo"][..],
            &["demo", "--listen", "127.0.0.1:0", "--seed", "7"],
            &["run", "-c", "f.toml"],
            &["sync", "-c", "f.toml"],
            &["plan", "-c", "f.toml"],
            &["backfill", "-c", "f.toml", "--since", "2025-01-31"],
            &["backfill", "--since", "2025-01-31T10:00:00+02:00"],
            &["setup", "salesforce", "-c", "f.toml", "--dry-run"],
            &["webhooks", "show", "-c", "f.toml"],
            &["webhooks", "register", "-c", "f.toml", "--force"],
            &["status", "-c", "f.toml", "--json"],
            &["retry", "-c", "f.toml", "42"],
            &["retry", "--failed"],
            &["config", "check", "-c", "f.toml"],
            &["init"],
            &["init", "here.toml", "--force"],
            &[
                "emulator",
                "partner-center",
                "--listen",
                "127.0.0.1:0",
                "--client-id",
                "a",
                "--client-secret",
                "b",
                "--refresh-token",
                "c",
                "--tenant",
                "t",
            ],
            &[
                "emulator",
                "salesforce",
                "--listen",
                "127.0.0.1:0",
                "--bare",
                "--client-id",
                "a",
                "--client-secret",
                "b",
                "--username",
                "u",
                "--password",
                "p",
                "--daily-limit",
                "100",
            ],
            &["--log-format", "json", "--log-level", "debug", "status"],
            &["status", "--log-format", "text"],
        ] {
            parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        }
    }

    #[test]
    fn since_accepts_dates_and_instants() {
        let Command::Backfill(args) = parse(&["backfill", "--since", "2025-01-31"])
            .unwrap()
            .command
        else {
            panic!()
        };
        assert_eq!(
            args.since.unwrap().to_rfc3339(),
            "2025-01-31T00:00:00+00:00"
        );
        let Command::Backfill(args) = parse(&["backfill", "--since", "2025-01-31T10:00:00+02:00"])
            .unwrap()
            .command
        else {
            panic!()
        };
        assert_eq!(
            args.since.unwrap().to_rfc3339(),
            "2025-01-31T08:00:00+00:00"
        );
        assert!(parse(&["backfill", "--since", "yesterday"]).is_err());
    }

    #[test]
    fn retry_needs_exactly_one_target() {
        assert!(parse(&["retry"]).is_err());
        assert!(parse(&["retry", "42", "--failed"]).is_err());
    }

    #[test]
    fn bad_values_are_rejected() {
        assert!(parse(&["demo", "--listen", "localhost"]).is_err());
        assert!(parse(&["--log-format", "xml", "status"]).is_err());
        assert!(parse(&["emulator", "salesforce", "--daily-limit", "-1"]).is_err());
        assert!(parse(&["emulator", "salesforce", "--profile", "prod"]).is_err());
    }

    #[test]
    fn the_salesforce_emulator_takes_an_org_profile() {
        use ::emulator::salesforce::Profile;
        let Ok(Cli {
            command: Command::Emulator(emulator::EmulatorCommand::Salesforce(args)),
            ..
        }) = parse(&["emulator", "salesforce", "--profile", "enterprise"])
        else {
            panic!("parses");
        };
        assert_eq!(args.profile, Profile::Enterprise);
    }
}
