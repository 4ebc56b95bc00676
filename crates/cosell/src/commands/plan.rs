//! `cosell plan`: the decisions `cosell sync` would make, printed per pair;
//! nothing is written.

use anyhow::{Context, Result};
use sync::engine::Decision;

use super::sync::overlap;
use super::ConfigArgs;
use crate::config::{Config, StoreUrl};
use crate::connect::{self, Observers};

/// Prints what a pass would do, per pair.
pub async fn run(args: ConfigArgs) -> Result<()> {
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
    connect::engine_with_store(config, &observers, store).await
}
