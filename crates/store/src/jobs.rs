//! Reading jobs, written once for both backends: the `jobs` row decoded
//! through [`DbRow`], a job by id, the count per state and the dead letters.
//! The job flows that write are in [`crate::flows`]; the claim, the lease
//! renewal and the next due time stay in each backend (their SQL differs
//! beyond spelling).

use crate::shared::{job_counts, sql_limit};
use crate::statement::{fetch_as, parsed, required, Binder, Db, DbRow, Param};
use crate::{Job, JobCounts, JobId, JobState, Result, StoreError};

/// Columns of `jobs` in the order [`decode`] reads them.
pub(crate) const COLUMNS: &str =
    "id, dedup_key, payload, state, attempts, run_at, lease_owner, lease_expires_at, last_error, created_at, updated_at";

/// A `jobs` row.
pub(crate) fn decode(row: &impl DbRow) -> Result<Job> {
    let attempts = row.int("attempts")?;
    Ok(Job {
        id: required("id", row.id("id")?)?,
        dedup_key: required("dedup_key", row.text("dedup_key")?)?,
        payload: required("payload", row.json("payload")?)?,
        state: parsed(row, "state", JobState::parse)?,
        attempts: u32::try_from(attempts).map_err(|e| StoreError::corrupt("attempts", e))?,
        run_at: required("run_at", row.time("run_at")?)?,
        lease_owner: row.text("lease_owner")?,
        lease_expires_at: row.time("lease_expires_at")?,
        last_error: row.text("last_error")?,
        created_at: required("created_at", row.time("created_at")?)?,
        updated_at: required("updated_at", row.time("updated_at")?)?,
    })
}

/// The job with this id.
pub(crate) async fn by_id<D: Db>(db: &D, id: JobId) -> Result<Option<Job>> {
    let mut binder = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE id = {}",
        binder.bind(Param::Id(Some(id)))
    );
    Ok(fetch_as(db, binder.statement(sql), decode)
        .await?
        .into_iter()
        .next())
}

/// Jobs per state.
pub(crate) async fn counts<D: Db>(db: &D) -> Result<JobCounts> {
    let sql = "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state".to_owned();
    let rows = fetch_as(db, Binder::new(D::DIALECT).statement(sql), |row| {
        Ok((required("state", row.text("state")?)?, row.int("n")?))
    })
    .await?;
    job_counts(rows)
}

/// The most recently dead jobs (`limit` 0: all).
pub(crate) async fn dead<D: Db>(db: &D, limit: u32) -> Result<Vec<Job>> {
    let mut binder = Binder::new(D::DIALECT);
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE state = 'dead' ORDER BY updated_at DESC, id DESC LIMIT {}",
        binder.bind(Param::Int(sql_limit(limit)))
    );
    fetch_as(db, binder.statement(sql), decode).await
}
