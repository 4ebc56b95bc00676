//! The `cosell` binary: parse the command line, set up logging, dispatch.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

use cosell::cli::{Cli, Command, ConfigCommand, EmulatorCommand, SetupCommand, WebhooksCommand};
use cosell::config::{init, Config, ConfigError};
use cosell::{commands, emulator_cmd, telemetry};

/// Exit code of a command that failed.
const EXIT_FAILURE: u8 = 1;
/// Exit code of a bad configuration, like clap's for a bad command line.
const EXIT_BAD_CONFIG: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = telemetry::init(cli.log_format, cli.log_level.as_deref()) {
        eprintln!("error: {err}");
        return ExitCode::from(EXIT_BAD_CONFIG);
    }
    match dispatch(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            let bad_config = err.chain().any(|cause| cause.is::<ConfigError>());
            ExitCode::from(if bad_config {
                EXIT_BAD_CONFIG
            } else {
                EXIT_FAILURE
            })
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Demo(args) => commands::demo(args).await,
        Command::Run(args) => commands::run(args).await,
        Command::Sync(args) => commands::sync(args).await,
        Command::Plan(args) => commands::plan(args).await,
        Command::Backfill(args) => commands::backfill(args).await,
        Command::Setup(SetupCommand::Salesforce(args)) => commands::setup_salesforce(args).await,
        Command::Setup(SetupCommand::StoreKey(args)) => commands::store_key::run(args),
        Command::Setup(SetupCommand::SalesforceApp(args)) => commands::salesforce_app::run(args),
        Command::Webhooks(WebhooksCommand::Show(args)) => commands::webhooks_show(args).await,
        Command::Webhooks(WebhooksCommand::Register(args)) => {
            commands::webhooks_register(args).await
        }
        Command::Login(command) => commands::login::run(command).await,
        Command::Status(args) => commands::status(args).await,
        Command::Retry(args) => commands::retry(args).await,
        Command::Doctor(args) => commands::doctor::run(args).await,
        Command::Config(ConfigCommand::Check(args)) => {
            let config = Config::load(&args.config)?;
            print!("{}", config.summary());
            Ok(())
        }
        Command::Init(args) => {
            init::write_example(&args.path, args.force)?;
            println!(
                "wrote {path}\nnext: edit it, set the secrets it names, then run `cosell config check -c {path}`",
                path = args.path.display()
            );
            Ok(())
        }
        Command::Emulator(EmulatorCommand::PartnerCenter(args)) => {
            emulator_cmd::partner_center(args).await
        }
        Command::Emulator(EmulatorCommand::Salesforce(args)) => {
            emulator_cmd::salesforce(args).await
        }
        Command::Emulator(EmulatorCommand::Aws(args)) => emulator_cmd::aws(args).await,
    }
}
