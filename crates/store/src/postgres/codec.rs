//! Decoding PostgreSQL rows into records. Columns use native types
//! (`uuid`, `timestamptz`, `json`); enum columns hold the stored spellings.
//! Decoding failures are [`StoreError::Corrupt`].

use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::{Job, JobState, Result, StoreError};

/// Columns of `jobs` in the order [`job`] reads them.
pub(super) const JOB_COLUMNS: &str =
    "id, dedup_key, payload, state, attempts, run_at, lease_owner, lease_expires_at, last_error, created_at, updated_at";

/// JSON as bound (text, cast to `json` in SQL so key order is kept).
pub(super) fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

/// A `jobs` row.
pub(super) fn job(row: &PgRow) -> Result<Job> {
    let state: String = row.try_get("state")?;
    let attempts: i32 = row.try_get("attempts")?;
    Ok(Job {
        id: row.try_get("id")?,
        dedup_key: row.try_get("dedup_key")?,
        payload: row.try_get("payload")?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::corrupt("state", format!("unknown {state:?}")))?,
        attempts: u32::try_from(attempts).map_err(|e| StoreError::corrupt("attempts", e))?,
        run_at: row.try_get("run_at")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_expires_at: row.try_get("lease_expires_at")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
