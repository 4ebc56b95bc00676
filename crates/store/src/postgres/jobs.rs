//! Durable jobs on PostgreSQL, safe for several instances at once (the
//! webhook inbox is in `inbox.rs`).
//!
//! Claims lock candidate rows with `FOR UPDATE SKIP LOCKED`, so concurrent
//! claimers never wait on or take the same job. The partial unique indexes
//! (one pending and one running job per key) are the last word: an
//! operation that loses a race on them, or a deadlock, is retried whole.
//! Every change that may make work available sends `NOTIFY cosell_jobs`
//! (delivered on commit).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

use super::codec;
use super::statement::query;
use crate::backend::JobOps;
use crate::flows::{rerun_lost_races, Absorbed, JobDb, JobTx};
use crate::jobs::COLUMNS;
use crate::shared::{self, micros, JOBS_CHANNEL};
use crate::statement::Statement;
use crate::{InboxEvent, Job, JobId, JobState, NewJob, Result, RetryTarget};

/// Advisory lock key that serialises claims ("cosell" in ASCII).
const CLAIM_LOCK: i64 = 0x636f_7365_6c6c;
/// How many times an operation that lost a race is re-run.
const RACE_RETRIES: u32 = 5;
/// Queues a notification, delivered when the transaction commits.
async fn notify(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(JOBS_CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts or merges `jobs` (already merged per key) on `conn`; returns how
/// many were created.
async fn enqueue_on(conn: &mut PgConnection, jobs: &[NewJob]) -> Result<u64> {
    let mut created = 0;
    for job in jobs {
        let id = Uuid::now_v7();
        let kept: Uuid = sqlx::query_scalar(
            "INSERT INTO jobs (id, dedup_key, payload, state, attempts, run_at) \
             VALUES ($1, $2, $3::json, 'pending', 0, coalesce($4, now())) \
             ON CONFLICT (dedup_key) WHERE state = 'pending' DO UPDATE SET \
                 payload = CASE \
                     WHEN json_typeof(EXCLUDED.payload) <> 'object' THEN EXCLUDED.payload \
                     WHEN (jobs.payload::jsonb #>> '{event,at}') IS NULL \
                         OR (EXCLUDED.payload::jsonb #>> '{event,at}') IS NULL \
                         THEN (EXCLUDED.payload::jsonb - 'event')::json \
                     ELSE jsonb_set(EXCLUDED.payload::jsonb, '{event,at}', to_jsonb(greatest( \
                         jobs.payload::jsonb #>> '{event,at}', EXCLUDED.payload::jsonb #>> '{event,at}')))::json \
                 END, \
                 run_at = least(jobs.run_at, EXCLUDED.run_at), updated_at = now() \
             RETURNING id",
        )
        .bind(id)
        .bind(&job.dedup_key)
        .bind(codec::json_text(&job.payload))
        .bind(job.run_at)
        .fetch_one(&mut *conn)
        .await?;
        if kept == id {
            created += 1;
        }
    }
    if !jobs.is_empty() {
        notify(conn).await?;
    }
    Ok(created)
}

impl JobOps for PgPool {
    async fn claim(&self, worker: &str, limit: u32, lease: Duration) -> Result<Vec<Job>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // Locked rows belong to another claimer and are skipped; a row changed
        // since our snapshot is re-checked against the conditions on lock.
        // Claims take turns (a transaction-scoped advisory lock), so two
        // claimers never both see a pair idle and take one job of it each.
        let sql = format!(
            "WITH picked AS ({} FOR UPDATE SKIP LOCKED) \
             UPDATE jobs SET state = 'running', lease_owner = $1, \
                 lease_expires_at = now() + $3 * interval '1 microsecond', \
                 attempts = jobs.attempts + 1, updated_at = now() \
             FROM picked WHERE jobs.id = picked.id \
             RETURNING {}",
            shared::claimable_ids("now()", "$2"),
            qualified(COLUMNS, "jobs")
        );
        let rows = rerun_lost_races(RACE_RETRIES, || async {
            let mut tx = self.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(CLAIM_LOCK)
                .execute(&mut *tx)
                .await?;
            let rows = sqlx::query(&sql)
                .bind(worker)
                .bind(i64::from(limit))
                .bind(micros(lease))
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(rows)
        })
        .await?;
        let mut jobs = rows
            .iter()
            .map(crate::jobs::decode)
            .collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| (j.run_at, j.created_at, j.id));
        Ok(jobs)
    }

    async fn extend_leases(&self, worker: &str, ids: &[JobId], lease: Duration) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE jobs SET lease_expires_at = now() + $1 * interval '1 microsecond', updated_at = now() \
             WHERE state = 'running' AND lease_owner = $2 AND id = ANY($3)",
        )
        .bind(micros(lease))
        .bind(worker)
        .bind(ids)
        .execute(self)
        .await?;
        Ok(())
    }

    /// The earliest pending job's time (already past when one is due) or the
    /// next lease expiry, if any,
    /// and the database's current time (both on the database clock).
    async fn next_due(&self) -> Result<(Option<DateTime<Utc>>, DateTime<Utc>)> {
        let row = sqlx::query(
            "SELECT least( \
                 (SELECT min(run_at) FROM jobs WHERE state = 'pending'), \
                 (SELECT min(lease_expires_at) FROM jobs WHERE state = 'running' AND lease_expires_at > now()) \
             ) AS next, now() AS now",
        )
        .fetch_one(self)
        .await?;
        Ok((row.try_get("next")?, row.try_get("now")?))
    }
}

/// `a, b` → `t.a, t.b` (RETURNING after UPDATE ... FROM needs qualified names).
fn qualified(columns: &str, table: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{table}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ends a job `worker` holds in `state` (`done` or `dead`); returns whether
/// it held it and whether a pending job of the same key is now unblocked
/// (in which case other instances are notified).
async fn finish(
    pool: &PgPool,
    id: JobId,
    worker: &str,
    state: JobState,
    error: Option<&str>,
) -> Result<(bool, bool)> {
    let mut tx = pool.begin().await?;
    let key: Option<String> = sqlx::query_scalar(
        "UPDATE jobs SET state = $1, last_error = $2, lease_owner = NULL, lease_expires_at = NULL, \
             updated_at = now() \
         WHERE id = $3 AND state = 'running' AND lease_owner = $4 RETURNING dedup_key",
    )
    .bind(state.as_str())
    .bind(error)
    .bind(id)
    .bind(worker)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(key) = key else {
        return Ok((false, false));
    };
    // Earlier dead letters of the key are moot once a later job finished: a
    // success fixed them, a newer dead letter carries the current reason.
    sqlx::query("DELETE FROM jobs WHERE dedup_key = $1 AND state = 'dead' AND id <> $2")
        .bind(&key)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let waiting: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE dedup_key = $1 AND state = 'pending')",
    )
    .bind(key)
    .fetch_one(&mut *tx)
    .await?;
    if waiting {
        notify(&mut tx).await?;
    }
    tx.commit().await?;
    Ok((true, waiting))
}

async fn complete(pool: &PgPool, id: JobId, worker: &str) -> Result<(bool, bool)> {
    finish(pool, id, worker, JobState::Done, None).await
}

/// Marks a job `worker` holds dead with `error`; false if it no longer holds it.
async fn bury(pool: &PgPool, id: JobId, worker: &str, error: &str) -> Result<bool> {
    Ok(finish(pool, id, worker, JobState::Dead, Some(error))
        .await?
        .0)
}

/// Concurrent instances race on the partial unique indexes and may
/// deadlock; a flow that loses is run again whole.
impl JobDb for PgPool {
    type Tx = Transaction<'static, Postgres>;
    const RACE_RETRIES: u32 = RACE_RETRIES;
    const ORDERED_KEYS: bool = true;

    async fn begin(&self) -> Result<Self::Tx> {
        Ok(PgPool::begin(self).await?)
    }

    async fn complete(&self, id: JobId, worker: &str) -> Result<(bool, bool)> {
        complete(self, id, worker).await
    }

    async fn bury(&self, id: JobId, worker: &str, error: &str) -> Result<bool> {
        bury(self, id, worker, error).await
    }
}

/// The PostgreSQL statements of the shared job flows (`crate::flows`): rows the
/// flows change are locked `FOR UPDATE`, and the database's clock is used.
impl JobTx for Transaction<'static, Postgres> {
    async fn held_by(&mut self, worker: &str) -> Result<Vec<Job>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM jobs WHERE state = 'running' AND lease_owner = $1 ORDER BY id FOR UPDATE"
        );
        let rows = sqlx::query(&sql)
            .bind(worker)
            .fetch_all(&mut **self)
            .await?;
        rows.iter().map(crate::jobs::decode).collect()
    }

    async fn held(&mut self, id: JobId, worker: &str) -> Result<Option<Job>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM jobs WHERE id = $1 AND state = 'running' AND lease_owner = $2 \
             FOR UPDATE"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(worker)
            .fetch_optional(&mut **self)
            .await?;
        row.as_ref().map(crate::jobs::decode).transpose()
    }

    async fn dead(&mut self, target: RetryTarget) -> Result<Vec<Job>> {
        let rows = match target {
            RetryTarget::One(id) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM jobs WHERE state = 'dead' AND id = $1 FOR UPDATE"
                );
                sqlx::query(&sql).bind(id).fetch_all(&mut **self).await?
            }
            RetryTarget::AllDead => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM jobs WHERE state = 'dead' ORDER BY updated_at DESC, id DESC FOR UPDATE"
                );
                sqlx::query(&sql).fetch_all(&mut **self).await?
            }
        };
        rows.iter().map(crate::jobs::decode).collect()
    }

    async fn now(&mut self) -> Result<DateTime<Utc>> {
        Ok(sqlx::query_scalar("SELECT now()")
            .fetch_one(&mut **self)
            .await?)
    }

    async fn take_pending(&mut self, key: &str, except: JobId) -> Result<Option<Absorbed>> {
        let row = sqlx::query(
            "DELETE FROM jobs WHERE dedup_key = $1 AND state = 'pending' AND id <> $2 \
             RETURNING payload::text AS payload, run_at",
        )
        .bind(key)
        .bind(except)
        .fetch_optional(&mut **self)
        .await?;
        row.map(|row| {
            Ok(Absorbed {
                payload: row.try_get("payload")?,
                run_at: row.try_get("run_at")?,
            })
        })
        .transpose()
    }

    async fn set_pending(
        &mut self,
        id: JobId,
        payload: Option<&str>,
        run_at: DateTime<Utc>,
        attempts: u32,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, \
                 payload = coalesce($1::json, payload), run_at = $2, attempts = $3, \
                 last_error = coalesce($4, last_error), updated_at = now() \
             WHERE id = $5",
        )
        .bind(payload)
        .bind(run_at)
        .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
        .bind(error)
        .bind(id)
        .execute(&mut **self)
        .await?;
        Ok(())
    }

    async fn notify(&mut self) -> Result<()> {
        notify(self).await
    }

    async fn insert_event(&mut self, event: &InboxEvent) -> Result<bool> {
        super::inbox::insert(self, event).await
    }

    async fn enqueue(&mut self, jobs: &[NewJob]) -> Result<u64> {
        enqueue_on(self, jobs).await
    }

    async fn move_cursor(&mut self, name: &str, from: Option<&str>, to: &str) -> Result<bool> {
        super::cursors::move_cursor_on(self, name, from, to).await
    }

    async fn execute(&mut self, statement: Statement) -> Result<u64> {
        Ok(query(&statement)
            .execute(&mut **self)
            .await?
            .rows_affected())
    }

    async fn commit(self) -> Result<()> {
        Ok(Transaction::commit(self).await?)
    }

    async fn rollback(self) -> Result<()> {
        Ok(Transaction::rollback(self).await?)
    }
}
