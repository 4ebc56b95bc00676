//! `cosell sync`: one full pass in both directions, then exit
//! (cron-friendly).

use anyhow::{Context, Result};

use super::ConfigArgs;
use crate::config::Config;
use crate::connect::{self, Observers};

/// Runs one pass and prints the summary; exits non-zero only when the pass
/// could not run at all (bad configuration, unreachable API, bad credentials).
pub async fn run(args: ConfigArgs) -> Result<()> {
    let config = Config::load(&args.config)?;
    let engine = connect::engine(&config, &Observers::default()).await?;
    let report = engine
        .full_pass(config.worker.batch_size, overlap(&config))
        .await
        .context("the sync pass could not run")?;
    for outcome in report.outcomes.iter().filter(|o| o.failure.is_some()) {
        let failure = outcome
            .failure
            .as_ref()
            .map(|f| f.message.as_str())
            .unwrap_or_default();
        let targets: Vec<String> = outcome.targets.iter().map(|t| t.job_key()).collect();
        println!("failed {}: {failure}", targets.join(", "));
    }
    println!("{}", report.summary);
    Ok(())
}

/// How far back a pass reads before the last cursor (`worker.poll_overlap_seconds`).
pub(super) fn overlap(config: &Config) -> chrono::Duration {
    chrono::Duration::seconds(config.worker.poll_overlap_seconds as i64)
}
