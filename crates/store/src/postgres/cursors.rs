//! Cursors: named values (poll positions, and a small key-value store),
//! moved only from the value a reader saw.

use sqlx::PgPool;

use crate::backend::CursorDb;
use crate::Result;

impl CursorDb for PgPool {
    async fn cursor(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM cursors WHERE name = $1")
                .bind(name)
                .fetch_optional(self)
                .await?,
        )
    }

    async fn set_cursor(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO cursors (name, value, updated_at) VALUES ($1, $2, now()) \
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at",
        )
        .bind(name)
        .bind(value)
        .execute(self)
        .await?;
        Ok(())
    }
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
