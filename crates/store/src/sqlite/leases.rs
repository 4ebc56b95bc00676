//! Small named state: cursors (a key-value store) and singleton leases.

use std::time::Duration;

use sqlx::SqlitePool;

use super::codec;
use crate::shared::micros;
use crate::Result;

pub(super) async fn cursor(pool: &SqlitePool, name: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM cursors WHERE name = ?1")
            .bind(name)
            .fetch_optional(pool)
            .await?,
    )
}

pub(super) async fn set_cursor(pool: &SqlitePool, name: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO cursors (name, value, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(value)
    .bind(codec::now_micros())
    .execute(pool)
    .await?;
    Ok(())
}

/// Moves a cursor from `from` (None: never set) to `to` on `conn`; false
/// when it no longer holds `from`.
pub(super) async fn move_cursor_on(
    conn: &mut sqlx::SqliteConnection,
    name: &str,
    from: Option<&str>,
    to: &str,
) -> Result<bool> {
    let query = match from {
        Some(_) => sqlx::query(
            "UPDATE cursors SET value = ?2, updated_at = ?4 WHERE name = ?1 AND value = ?3",
        ),
        None => sqlx::query(
            "INSERT INTO cursors (name, value, updated_at) VALUES (?1, ?2, ?4) \
             ON CONFLICT (name) DO NOTHING",
        ),
    };
    let moved = query
        .bind(name)
        .bind(to)
        .bind(from.unwrap_or_default())
        .bind(codec::now_micros())
        .execute(conn)
        .await?
        .rows_affected();
    Ok(moved == 1)
}

/// Compare-and-set: takes the lease if it is free, expired or already ours.
pub(super) async fn try_acquire(
    pool: &SqlitePool,
    name: &str,
    holder: &str,
    ttl: Duration,
) -> Result<bool> {
    let now = codec::now_micros();
    let taken: Option<String> = sqlx::query_scalar(
        "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4 \
         RETURNING holder",
    )
    .bind(name)
    .bind(holder)
    .bind(now.saturating_add(micros(ttl)))
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(taken.is_some())
}

pub(super) async fn release(pool: &SqlitePool, name: &str, holder: &str) -> Result<()> {
    sqlx::query("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
        .bind(name)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}
