//! `cosell doctor -c FILE [--json]`: a read-only preflight that finds, before
//! any sync, what will fail against the configured Salesforce org and
//! Partner Center tenant (and AWS Partner Central, when `[aws]` is
//! enabled). It changes nothing in either: every check reads.
//! Prints a table (mark, check, what was found, and the fix for each
//! problem) or, with `--json`, an array of findings; fails when any check
//! found a blocker. Secrets are never printed: errors are shown as the
//! clients report them, which redact credentials.

mod aws;
pub mod findings;
mod partner_center;
mod salesforce;

use anyhow::Result;
use clap::Args;

use super::ConfigArgs;
use crate::config::Config;
use crate::connect::{self, Observers};
pub use findings::{Diagnosis, Finding, Status};

/// `cosell doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// `-c FILE`.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Print a JSON array of findings instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs every check against the configuration's org and tenant.
pub async fn diagnose(config: &Config) -> Result<Diagnosis> {
    let store = connect::store(config).await?;
    let mut out = Diagnosis::default();
    match connect::salesforce_client_over(config, &Observers::default(), Some(&store)) {
        Ok(sf) => salesforce::check(&sf, config, &mut out).await,
        Err(e) => out.push(Finding::blocker(
            "Salesforce sign-in",
            format!("{e:#}"),
            "set the [salesforce] credentials the configuration names",
        )),
    }
    partner_center::check(config, &store, &mut out).await;
    aws::check(config, &mut out).await;
    Ok(out)
}

/// `cosell doctor`: prints the findings; an error when any is a blocker.
pub async fn run(args: DoctorArgs) -> Result<()> {
    let config = Config::load(&args.config.config)?;
    let diagnosis = diagnose(&config).await?;
    if args.json {
        println!("{}", diagnosis.to_json());
    } else {
        print!("{diagnosis}");
    }
    match diagnosis.blockers() {
        0 => Ok(()),
        n => anyhow::bail!("{n} blocker(s): fix the lines marked ✖ and run `cosell doctor` again"),
    }
}
