//! Durable jobs on SQLite (the webhook inbox is in `inbox.rs`).
//!
//! SQLite has one writer at a time, so each write below is either a single
//! statement (which takes the write lock before reading) or a
//! `BEGIN IMMEDIATE` transaction; the partial unique indexes (one pending and
//! one running job per key) still guard the rules.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool, Transaction};
use uuid::Uuid;

use super::codec;
use super::statement::query;
use crate::backend::JobOps;
use crate::flows::{Absorbed, JobDb, JobTx};
use crate::jobs::COLUMNS;
use crate::shared::{self, micros};
use crate::statement::Statement;
use crate::{InboxEvent, Job, JobId, NewJob, Result, RetryTarget, StoreError};

/// Starts a write transaction that holds the write lock from its first
/// statement, so it never fails upgrading a read lock under contention.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Inserts or merges `jobs` (already merged per key) on `conn`; returns how
/// many were created.
async fn enqueue_on(conn: &mut SqliteConnection, jobs: &[NewJob]) -> Result<u64> {
    let now = codec::now_micros();
    let mut created = 0;
    for job in jobs {
        let id = Uuid::now_v7();
        let kept: String = sqlx::query_scalar(
            "INSERT INTO jobs (id, dedup_key, payload, state, attempts, run_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?5, ?5) \
             ON CONFLICT (dedup_key) WHERE state = 'pending' DO UPDATE SET \
                 payload = CASE \
                     WHEN json_extract(jobs.payload, '$.event.at') IS NULL \
                         OR json_extract(excluded.payload, '$.event.at') IS NULL \
                         THEN json_remove(excluded.payload, '$.event') \
                     ELSE json_set(excluded.payload, '$.event.at', max( \
                         json_extract(jobs.payload, '$.event.at'), json_extract(excluded.payload, '$.event.at'))) \
                 END, \
                 run_at = min(jobs.run_at, excluded.run_at), \
                 updated_at = excluded.updated_at \
             RETURNING id",
        )
        .bind(id.to_string())
        .bind(&job.dedup_key)
        .bind(codec::json_text(&job.payload))
        .bind(job.run_at.map_or(now, codec::micros))
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        if kept == id.to_string() {
            created += 1;
        }
    }
    Ok(created)
}

impl JobOps for SqlitePool {
    async fn claim(&self, worker: &str, limit: u32, lease: Duration) -> Result<Vec<Job>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = codec::now_micros();
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_owner = ?1, lease_expires_at = ?2, \
                 attempts = attempts + 1, updated_at = ?3 \
             WHERE id IN ({}) \
             RETURNING {COLUMNS}",
            shared::claimable_ids("?3", "?4")
        );
        let rows = sqlx::query(&sql)
            .bind(worker)
            .bind(now.saturating_add(micros(lease)))
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(self)
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
        let now = codec::now_micros();
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "UPDATE jobs SET lease_expires_at = ?1, updated_at = ?2 \
             WHERE state = 'running' AND lease_owner = ?3 AND id IN (SELECT value FROM json_each(?4))",
        )
        .bind(now.saturating_add(micros(lease)))
        .bind(now)
        .bind(worker)
        .bind(ids)
        .execute(self)
        .await?;
        Ok(())
    }

    /// The earliest pending job's time (already past when one is due) or the
    /// next lease expiry, if any,
    /// and the time it was judged at.
    async fn next_due(&self) -> Result<(Option<DateTime<Utc>>, DateTime<Utc>)> {
        let now = Utc::now();
        let row = sqlx::query(
            "SELECT min(t) FROM ( \
                 SELECT min(run_at) AS t FROM jobs WHERE state = 'pending' \
                 UNION ALL \
                 SELECT min(lease_expires_at) AS t FROM jobs WHERE state = 'running' AND lease_expires_at > ?1)",
        )
        .bind(codec::micros(now))
        .fetch_one(self)
        .await?;
        Ok((codec::opt_time_at(&row, 0)?, now))
    }
}

/// Marks the job done; returns whether `worker` held it and whether a
/// pending job of the same key is now unblocked.
async fn complete(pool: &SqlitePool, id: JobId, worker: &str) -> Result<(bool, bool)> {
    let key: Option<String> = sqlx::query_scalar(
        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, \
             updated_at = ?1 \
         WHERE id = ?2 AND state = 'running' AND lease_owner = ?3 RETURNING dedup_key",
    )
    .bind(codec::now_micros())
    .bind(id.to_string())
    .bind(worker)
    .fetch_optional(pool)
    .await?;
    let Some(key) = key else {
        return Ok((false, false));
    };
    supersede_dead(pool, &key, id).await?;
    let waiting: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE dedup_key = ?1 AND state = 'pending')",
    )
    .bind(key)
    .fetch_one(pool)
    .await?;
    Ok((true, waiting))
}

/// Drops earlier dead letters of a key once a later job of it finished: a
/// success makes them moot, a newer dead letter carries the current reason.
async fn supersede_dead(pool: &SqlitePool, key: &str, id: JobId) -> Result<()> {
    sqlx::query("DELETE FROM jobs WHERE dedup_key = ?1 AND state = 'dead' AND id <> ?2")
        .bind(key)
        .bind(id.to_string())
        .execute(pool)
        .await?;
    Ok(())
}

/// Marks a job `worker` holds dead with `error`; false if it no longer holds it.
async fn bury(pool: &SqlitePool, id: JobId, worker: &str, error: &str) -> Result<bool> {
    let now = codec::now_micros();
    let key: Option<String> = sqlx::query_scalar(
        "UPDATE jobs SET state = 'dead', last_error = ?1, lease_owner = NULL, lease_expires_at = NULL, \
             updated_at = ?2 \
         WHERE id = ?3 AND state = 'running' AND lease_owner = ?4 RETURNING dedup_key",
    )
    .bind(error)
    .bind(now)
    .bind(id.to_string())
    .bind(worker)
    .fetch_optional(pool)
    .await?;
    match key {
        Some(key) => {
            supersede_dead(pool, &key, id).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// SQLite has one writer at a time: a `BEGIN IMMEDIATE` transaction never
/// loses a race, so nothing is re-run.
impl JobDb for SqlitePool {
    type Tx = Transaction<'static, Sqlite>;
    const RACE_RETRIES: u32 = 0;
    const ORDERED_KEYS: bool = false;

    async fn begin(&self) -> Result<Self::Tx> {
        Ok(self.begin_with(BEGIN_WRITE).await?)
    }

    async fn complete(&self, id: JobId, worker: &str) -> Result<(bool, bool)> {
        complete(self, id, worker).await
    }

    async fn bury(&self, id: JobId, worker: &str, error: &str) -> Result<bool> {
        bury(self, id, worker, error).await
    }
}

/// The SQLite statements of the shared job flows (`crate::flows`).
impl JobTx for Transaction<'static, Sqlite> {
    async fn held_by(&mut self, worker: &str) -> Result<Vec<Job>> {
        let sql =
            format!("SELECT {COLUMNS} FROM jobs WHERE state = 'running' AND lease_owner = ?1");
        let rows = sqlx::query(&sql)
            .bind(worker)
            .fetch_all(&mut **self)
            .await?;
        rows.iter().map(crate::jobs::decode).collect()
    }

    async fn held(&mut self, id: JobId, worker: &str) -> Result<Option<Job>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM jobs WHERE id = ?1 AND state = 'running' AND lease_owner = ?2"
        );
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .bind(worker)
            .fetch_optional(&mut **self)
            .await?;
        row.as_ref().map(crate::jobs::decode).transpose()
    }

    async fn dead(&mut self, target: RetryTarget) -> Result<Vec<Job>> {
        let rows = match target {
            RetryTarget::One(id) => {
                let sql = format!("SELECT {COLUMNS} FROM jobs WHERE state = 'dead' AND id = ?1");
                sqlx::query(&sql)
                    .bind(id.to_string())
                    .fetch_all(&mut **self)
                    .await?
            }
            RetryTarget::AllDead => {
                let sql = format!("SELECT {COLUMNS} FROM jobs WHERE state = 'dead' ORDER BY updated_at DESC, id DESC");
                sqlx::query(&sql).fetch_all(&mut **self).await?
            }
        };
        rows.iter().map(crate::jobs::decode).collect()
    }

    async fn now(&mut self) -> Result<DateTime<Utc>> {
        Ok(Utc::now())
    }

    async fn take_pending(&mut self, key: &str, except: JobId) -> Result<Option<Absorbed>> {
        let row = sqlx::query(
            "DELETE FROM jobs WHERE dedup_key = ?1 AND state = 'pending' AND id <> ?2 RETURNING payload, run_at",
        )
        .bind(key)
        .bind(except.to_string())
        .fetch_optional(&mut **self)
        .await?;
        row.map(|row| {
            Ok(Absorbed {
                payload: row.try_get("payload")?,
                run_at: codec::time(&row, "run_at")?,
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
                 payload = coalesce(?1, payload), run_at = ?2, attempts = ?3, \
                 last_error = coalesce(?4, last_error), updated_at = ?5 \
             WHERE id = ?6",
        )
        .bind(payload)
        .bind(codec::micros(run_at))
        .bind(i64::from(attempts))
        .bind(error)
        .bind(codec::now_micros())
        .bind(id.to_string())
        .execute(&mut **self)
        .await?;
        Ok(())
    }

    /// Every waiter is in this process; the store signals them after the commit.
    async fn notify(&mut self) -> Result<()> {
        Ok(())
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
