//! Singleton leases: which instance runs a poller, until when.

use std::time::Duration;

use sqlx::SqlitePool;

use super::codec;
use crate::backend::LeaseDb;
use crate::shared::micros;
use crate::Result;

impl LeaseDb for SqlitePool {
    /// Compare-and-set: takes the lease if it is free, expired or already ours.
    async fn try_acquire(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
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
        .fetch_optional(self)
        .await?;
        Ok(taken.is_some())
    }

    async fn release(&self, name: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
            .bind(name)
            .bind(holder)
            .execute(self)
            .await?;
        Ok(())
    }
}
