//! Cursors: named values (poll positions, and a small key-value store),
//! moved only from the value a reader saw.

use sqlx::SqlitePool;

use super::codec;
use crate::backend::CursorDb;
use crate::Result;

impl CursorDb for SqlitePool {
    async fn cursor(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM cursors WHERE name = ?1")
                .bind(name)
                .fetch_optional(self)
                .await?,
        )
    }

    async fn set_cursor(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO cursors (name, value, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(value)
        .bind(codec::now_micros())
        .execute(self)
        .await?;
        Ok(())
    }
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
