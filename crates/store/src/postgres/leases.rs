//! Small named state: cursors (a key-value store) and singleton leases.
//!
//! Leases are compare-and-set upserts judged by the database clock, so
//! instances with skewed clocks still agree on expiry.

use std::time::Duration;

use sqlx::PgPool;

use crate::shared::micros;
use crate::Result;

pub(super) async fn cursor(pool: &PgPool, name: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?,
    )
}

pub(super) async fn set_cursor(pool: &PgPool, name: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO cursors (name, value, updated_at) VALUES ($1, $2, now()) \
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at",
    )
    .bind(name)
    .bind(value)
    .execute(pool)
    .await?;
    Ok(())
}

/// Moves a cursor from `from` (None: never set) to `to` on `conn`; false
/// when it no longer holds `from`.
pub(super) async fn move_cursor_on(
    conn: &mut sqlx::PgConnection,
    name: &str,
    from: Option<&str>,
    to: &str,
) -> Result<bool> {
    let query = match from {
        Some(from) => sqlx::query(
            "UPDATE cursors SET value = $2, updated_at = now() WHERE name = $1 AND value = $3",
        )
        .bind(name)
        .bind(to)
        .bind(from),
        None => sqlx::query(
            "INSERT INTO cursors (name, value, updated_at) VALUES ($1, $2, now()) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(to),
    };
    Ok(query.execute(conn).await?.rows_affected() == 1)
}

/// Takes the lease if it is free, expired or already ours. Concurrent
/// callers serialise on the row, and the loser re-checks the condition
/// against the winner's row, so only one can win.
pub(super) async fn try_acquire(
    pool: &PgPool,
    name: &str,
    holder: &str,
    ttl: Duration,
) -> Result<bool> {
    let taken: Option<String> = sqlx::query_scalar(
        "INSERT INTO leases (name, holder, expires_at) \
         VALUES ($1, $2, now() + $3 * interval '1 microsecond') \
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
         WHERE leases.holder = EXCLUDED.holder OR leases.expires_at <= now() \
         RETURNING holder",
    )
    .bind(name)
    .bind(holder)
    .bind(micros(ttl))
    .fetch_optional(pool)
    .await?;
    Ok(taken.is_some())
}

pub(super) async fn release(pool: &PgPool, name: &str, holder: &str) -> Result<()> {
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}
