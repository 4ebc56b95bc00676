//! The `cosell` binary: parse the command line, set up logging, dispatch.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

use cosell::cli::Cli;
use cosell::config::ConfigError;
use cosell::telemetry;

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
    match cli.command.run().await {
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
