//! `cosell sync` (one full pass in both directions, then exit) and
//! `cosell plan` (the same decisions, printed, nothing written).

use anyhow::{Context, Result};
use sync::engine::Decision;

use crate::cli::ConfigArgs;
use crate::config::{Config, StoreUrl};
use crate::connect::{self, Observers};

/// Runs one pass and prints the summary; exits non-zero only when the pass
/// could not run at all (bad configuration, unreachable API, bad credentials).
pub async fn sync(args: ConfigArgs) -> Result<()> {
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

/// Prints what a pass would do, per pair.
pub async fn plan(args: ConfigArgs) -> Result<()> {
    let config = Config::load(&args.config)?;
    let engine = plan_engine(&config).await?;
    let plans = engine
        .plan_pass(config.worker.batch_size, overlap(&config))
        .await
        .context("could not read the changes to plan")?;
    let mut changes = 0;
    for (candidate, plan) in &plans {
        if !matches!(plan.decision, Decision::Skip(_)) && !plan.is_noop() {
            changes += 1;
        }
        let referral = candidate
            .referral
            .as_ref()
            .and_then(|r| r.id.clone())
            .unwrap_or_else(|| "-".into());
        let opportunity = candidate
            .view
            .as_ref()
            .map(|v| v.id.clone())
            .unwrap_or_else(|| "-".into());
        println!(
            "referral {referral} / opportunity {opportunity}: {}",
            plan.describe()
        );
    }
    println!(
        "{} pairs looked at, {changes} would change. Nothing was written.",
        plans.len()
    );
    Ok(())
}

/// The engine for `plan`: over the configured store when it exists, else
/// over an empty in-memory one, so planning never creates a database file.
async fn plan_engine(config: &Config) -> Result<std::sync::Arc<sync::Engine>> {
    let observers = Observers::default();
    let fresh =
        matches!(&config.store.url, StoreUrl::Sqlite { path: Some(path), .. } if !path.exists());
    if !fresh {
        return connect::engine(config, &observers).await;
    }
    let store = store::open("sqlite::memory:")
        .await
        .context("could not open an in-memory store")?;
    connect::engine_with_store(config, &observers, store)
}

fn overlap(config: &Config) -> chrono::Duration {
    chrono::Duration::seconds(config.worker.poll_overlap_seconds as i64)
}
