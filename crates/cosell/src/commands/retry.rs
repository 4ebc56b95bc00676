//! `cosell retry ID | --failed`: puts dead-lettered jobs back in the queue
//! with their attempts reset; a running `cosell run` picks them up.

use anyhow::{bail, Context, Result};
use clap::Args;
use store::{JobState, RetryTarget, Store};

use super::ConfigArgs;
use crate::config::Config;
use crate::connect;

/// `cosell retry`: one job by id, or every dead-lettered job.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["id", "failed"])))]
pub struct RetryArgs {
    /// The configuration file to read.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The job to re-run.
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// Re-run every dead-lettered job.
    #[arg(long)]
    pub failed: bool,
}

/// Revives one dead job by id, or every dead job; returns how many.
pub async fn revive(store: &dyn Store, id: Option<&str>) -> Result<u64> {
    let Some(id) = id else {
        return Ok(store.retry_dead(RetryTarget::AllDead).await?);
    };
    let id: uuid::Uuid = id.trim().parse().with_context(|| {
        format!("{id:?} is not a job id: `cosell status` lists the dead letters with their ids")
    })?;
    match store.job(id).await? {
        None => bail!("no job {id}: `cosell status` lists the dead letters with their ids"),
        Some(job) if job.state != JobState::Dead => {
            bail!(
                "job {id} is {}, not dead: only dead letters are retried",
                job.state.as_str()
            )
        }
        Some(_) => Ok(store.retry_dead(RetryTarget::One(id)).await?),
    }
}

/// `cosell retry`.
pub async fn run(args: RetryArgs) -> Result<()> {
    let config = Config::load(&args.config.config)?;
    let store = connect::store(&config).await?;
    let id = if args.failed {
        None
    } else {
        args.id.as_deref()
    };
    let n = revive(store.as_ref(), id).await?;
    match n {
        0 => println!("no dead jobs to retry"),
        1 => println!("1 job queued again; `cosell run` syncs it"),
        n => println!("{n} jobs queued again; `cosell run` syncs them"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use store::{FailureAction, NewJob};

    async fn dead_job(store: &dyn Store, key: &str) -> uuid::Uuid {
        store
            .enqueue(&[NewJob::now(key, json!({ "target": key }))])
            .await
            .unwrap();
        let job = store
            .claim_jobs("w", 1, std::time::Duration::from_secs(60))
            .await
            .unwrap()
            .remove(0);
        store
            .fail_job(job.id, "w", "bad", FailureAction::Dead)
            .await
            .unwrap();
        job.id
    }

    #[tokio::test]
    async fn one_or_all() {
        let store = store::open("sqlite::memory:").await.unwrap();
        let a = dead_job(store.as_ref(), "referral:a").await;
        dead_job(store.as_ref(), "referral:b").await;
        assert_eq!(
            revive(store.as_ref(), Some(&a.to_string())).await.unwrap(),
            1
        );
        assert_eq!(
            store.job(a).await.unwrap().unwrap().state,
            JobState::Pending
        );
        let err = revive(store.as_ref(), Some(&a.to_string()))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not dead"), "{err}");
        assert_eq!(revive(store.as_ref(), None).await.unwrap(), 1);
        assert_eq!(revive(store.as_ref(), None).await.unwrap(), 0);
        let err = revive(store.as_ref(), Some("nope")).await.unwrap_err();
        assert!(err.to_string().contains("not a job id"), "{err}");
        let err = revive(store.as_ref(), Some(&uuid::Uuid::now_v7().to_string()))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no job"), "{err}");
    }
}
