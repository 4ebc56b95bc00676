//! Column encodings of the SQLite schema: timestamps as INTEGER microseconds
//! since the Unix epoch, UUIDs and JSON as text, enums by their stored
//! spelling. Decoding failures are [`StoreError::Corrupt`].

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

use crate::{Result, StoreError};

/// A timestamp as stored.
pub(super) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The current time as stored.
pub(super) fn now_micros() -> i64 {
    micros(Utc::now())
}

/// A stored timestamp.
pub(super) fn time(row: &SqliteRow, column: &str) -> Result<DateTime<Utc>> {
    let raw: i64 = row.try_get(column)?;
    DateTime::from_timestamp_micros(raw)
        .ok_or_else(|| StoreError::corrupt(column, "timestamp out of range"))
}

/// A stored optional timestamp.
pub(super) fn opt_time(row: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>> {
    let raw: Option<i64> = row.try_get(column)?;
    raw.map(|r| {
        DateTime::from_timestamp_micros(r)
            .ok_or_else(|| StoreError::corrupt(column, "timestamp out of range"))
    })
    .transpose()
}

/// A timestamp from an aggregate that may be NULL.
pub(super) fn opt_time_at(row: &SqliteRow, index: usize) -> Result<Option<DateTime<Utc>>> {
    let raw: Option<i64> = row.try_get(index)?;
    raw.map(|r| {
        DateTime::from_timestamp_micros(r)
            .ok_or_else(|| StoreError::corrupt("aggregate", "timestamp out of range"))
    })
    .transpose()
}

/// A stored optional id.
pub(super) fn opt_uuid(row: &SqliteRow, column: &str) -> Result<Option<Uuid>> {
    let raw: Option<String> = row.try_get(column)?;
    raw.map(|r| Uuid::parse_str(&r).map_err(|e| StoreError::corrupt(column, e)))
        .transpose()
}

/// JSON as stored.
pub(super) fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

/// A stored optional JSON document.
pub(super) fn opt_json(row: &SqliteRow, column: &str) -> Result<Option<serde_json::Value>> {
    let raw: Option<String> = row.try_get(column)?;
    raw.map(|r| serde_json::from_str(&r).map_err(|e| StoreError::corrupt(column, e)))
        .transpose()
}
