//! `cosell setup salesforce [--dry-run]`: installs the connector's schema in
//! the configured Salesforce org and checks its prerequisites (the work is
//! done by [`crate::setup`]), then prints the report.

use anyhow::Result;
use clap::Args;

use crate::commands::ConfigArgs;
use crate::config::Config;
use crate::connect::{self, Observers};

/// `cosell setup salesforce`.
#[derive(Debug, Clone, Args)]
pub struct SetupSalesforceArgs {
    /// The configuration file to read.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Show what would be created, create nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs setup against the org the configuration names and prints the report.
/// Fails when a prerequisite is missing, after reporting everything.
pub async fn run(args: SetupSalesforceArgs) -> Result<()> {
    let config = Config::load(&args.config.config)?;
    let store = connect::store(&config).await?;
    let sf = connect::salesforce_client_over(&config, &Observers::default(), Some(&store))?;
    let report = crate::setup::salesforce(&sf, &config, args.dry_run).await?;
    print!("{report}");
    let missing = report.missing();
    if missing > 0 {
        anyhow::bail!(
            "{missing} prerequisite(s) missing in the Salesforce org; fix the lines marked `missing` and run setup again"
        );
    }
    if args.dry_run {
        println!("dry run: nothing was changed");
    }
    Ok(())
}
