//! The command line: every `cosell` command and its options (clap derive).
//! Parsing only; `main.rs` dispatches.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};

use crate::config::DEFAULT_CONFIG_FILE;
use crate::telemetry::LogFormat;

/// Address the demo serves its dashboard on.
pub const DEFAULT_DEMO_LISTEN: &str = "127.0.0.1:8080";
/// Default address of `cosell emulator partner-center`.
pub const DEFAULT_PC_EMULATOR_LISTEN: &str = "127.0.0.1:9081";
/// Default address of `cosell emulator salesforce`.
pub const DEFAULT_SF_EMULATOR_LISTEN: &str = "127.0.0.1:9082";
/// Default address of `cosell emulator aws`.
pub const DEFAULT_AWS_EMULATOR_LISTEN: &str = "127.0.0.1:9083";

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
    Demo(DemoArgs),
    /// Run the service: webhook intake, pollers, workers, dashboard, /metrics.
    Run(ConfigArgs),
    /// One full reconcile pass, then exit (cron-friendly).
    Sync(ConfigArgs),
    /// Dry run: show what a sync would change on each side, change nothing.
    Plan(ConfigArgs),
    /// Initial load of existing referrals and opportunities, with a progress bar.
    Backfill(BackfillArgs),
    /// Prepare a remote system for the connector.
    #[command(subcommand)]
    Setup(SetupCommand),
    /// Partner Center webhook registration.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Sign in and keep the credentials sealed in the store.
    #[command(subcommand)]
    Login(crate::commands::login::LoginCommand),
    /// Pairs, pending jobs, failures and last sync times.
    Status(StatusArgs),
    /// Re-run a failed job, or all dead-lettered jobs.
    Retry(RetryArgs),
    /// Check the configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Preflight: find what will fail against the configured org and tenant, before any sync (read-only).
    Doctor(crate::commands::doctor::DoctorArgs),
    /// Write a commented starting configuration file.
    Init(InitArgs),
    /// Run a strict emulator of a remote API on its own.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
}

/// `-c FILE`, shared by every command that reads the configuration.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Configuration file.
    #[arg(short = 'c', long = "config", value_name = "FILE", default_value = DEFAULT_CONFIG_FILE, env = "COSELL_CONFIG")]
    pub config: PathBuf,
}

/// `cosell demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Address of the dashboard.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_DEMO_LISTEN)]
    pub listen: SocketAddr,
    /// Random seed for the generated demo deals: the same seed gives the same deals.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// `cosell backfill`.
#[derive(Debug, Clone, Args)]
pub struct BackfillArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Only records changed since this date (YYYY-MM-DD, UTC) or instant (RFC 3339).
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
}

/// `cosell setup ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum SetupCommand {
    /// Create the connector's custom fields and object in the Salesforce org.
    Salesforce(SetupSalesforceArgs),
    /// Write the JWT bearer key pair: a private key (0600) and a certificate for the External Client App.
    SalesforceApp(crate::commands::salesforce_app::SalesforceAppArgs),
    /// Write a new key for the credentials sealed in the store (COSELL_STORE_KEY_FILE).
    StoreKey(crate::commands::store_key::StoreKeyArgs),
}

/// `cosell setup salesforce`.
#[derive(Debug, Clone, Args)]
pub struct SetupSalesforceArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Show what would be created, create nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `cosell webhooks ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum WebhooksCommand {
    /// Show the tenant's current webhook registration.
    Show(ConfigArgs),
    /// Register this server's webhook URL for the referral events.
    Register(WebhooksRegisterArgs),
}

/// `cosell webhooks register`.
#[derive(Debug, Clone, Args)]
pub struct WebhooksRegisterArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Replace an existing registration that points elsewhere (Partner Center allows one URL per event).
    #[arg(long)]
    pub force: bool,
}

/// `cosell status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `cosell retry`: one job by id, or every dead-lettered job.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["id", "failed"])))]
pub struct RetryArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The job to re-run.
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// Re-run every dead-lettered job.
    #[arg(long)]
    pub failed: bool,
}

/// `cosell config ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Check the file and the secrets it needs; print a summary without secrets.
    Check(ConfigArgs),
}

/// `cosell init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Where to write the file.
    #[arg(value_name = "PATH", default_value = DEFAULT_CONFIG_FILE)]
    pub path: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `cosell emulator ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum EmulatorCommand {
    /// Emulate Partner Center: Entra ID token endpoint, Referrals API, Webhooks API.
    PartnerCenter(PartnerCenterEmulatorArgs),
    /// Emulate a Salesforce org: OAuth token endpoint, REST API, Tooling API.
    Salesforce(SalesforceEmulatorArgs),
    /// Emulate AWS Partner Central: the Selling API (SigV4) and EventBridge-shaped events.
    Aws(AwsEmulatorArgs),
}

/// `cosell emulator aws`.
#[derive(Debug, Clone, Args)]
pub struct AwsEmulatorArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_AWS_EMULATOR_LISTEN)]
    pub listen: SocketAddr,
    /// Where to deliver events (an API destination's endpoint), e.g. cosell's `/webhooks/aws`.
    #[arg(long, value_name = "URL")]
    pub events_url: Option<String>,
    /// The API-key header sent with each event.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "x-api-key",
        requires = "events_url"
    )]
    pub events_header: String,
    /// Its value [env: COSELL_AWS_EVENTS_API_KEY].
    #[arg(
        long,
        value_name = "KEY",
        env = "COSELL_AWS_EVENTS_API_KEY",
        hide_env_values = true,
        requires = "events_url"
    )]
    pub events_api_key: Option<String>,
}

/// `cosell emulator partner-center`.
#[derive(Debug, Clone, Args)]
pub struct PartnerCenterEmulatorArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_PC_EMULATOR_LISTEN)]
    pub listen: SocketAddr,
    /// The registered application's client id [default: the emulator's demo value].
    #[arg(long)]
    pub client_id: Option<String>,
    /// The application's client secret [default: the emulator's demo value].
    #[arg(long)]
    pub client_secret: Option<String>,
    /// The Referrals admin's refresh token [default: the emulator's demo value].
    #[arg(long)]
    pub refresh_token: Option<String>,
    /// Tenant in the token endpoint path [default: the emulator's demo value].
    #[arg(long)]
    pub tenant: Option<String>,
    /// Which `$filter` properties the Referrals API honours: `permissive`
    /// (all), `documented` (only documented ones, others are a 400) or
    /// `ignore-unknown` (others are silently ignored).
    #[arg(long, value_name = "MODE", default_value = "permissive")]
    pub odata: emulator::partner_center::ODataMode,
}

/// `cosell emulator salesforce`.
#[derive(Debug, Clone, Args)]
pub struct SalesforceEmulatorArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_SF_EMULATOR_LISTEN)]
    pub listen: SocketAddr,
    /// Start without the connector's custom fields and object (to try `cosell setup salesforce`).
    #[arg(long)]
    pub bare: bool,
    /// The connected app's consumer key [default: the emulator's demo value].
    #[arg(long)]
    pub client_id: Option<String>,
    /// The connected app's consumer secret [default: the emulator's demo value].
    #[arg(long)]
    pub client_secret: Option<String>,
    /// The integration user's username [default: the emulator's demo value].
    #[arg(long)]
    pub username: Option<String>,
    /// The integration user's password [default: the emulator's demo value].
    #[arg(long)]
    pub password: Option<String>,
    /// API requests allowed per 24 hours before REQUEST_LIMIT_EXCEEDED [default: the emulator's].
    #[arg(long, value_name = "N")]
    pub daily_limit: Option<u64>,
    /// The kind of org: demo, enterprise (duplicate and validation rules, a
    /// required field) or single-currency (see the emulator crate's README).
    #[arg(long, value_name = "NAME", default_value = "demo")]
    pub profile: emulator::salesforce::Profile,
}

/// Parses `--since`: a UTC date (midnight) or an RFC 3339 instant.
fn parse_since(value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{value:?} is not a date: use YYYY-MM-DD or an RFC 3339 time like 2025-01-31T12:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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
        use emulator::salesforce::Profile;
        let Ok(Cli {
            command: Command::Emulator(EmulatorCommand::Salesforce(args)),
            ..
        }) = parse(&["emulator", "salesforce", "--profile", "enterprise"])
        else {
            panic!("parses");
        };
        assert_eq!(args.profile, Profile::Enterprise);
    }
}
