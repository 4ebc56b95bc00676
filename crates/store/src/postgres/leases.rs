//! Singleton leases: which instance runs a poller, until when.
//!
//! Leases are compare-and-set upserts judged by the database clock, so
//! instances with skewed clocks still agree on expiry.

use std::time::Duration;

use sqlx::PgPool;

use crate::backend::LeaseDb;
use crate::shared::micros;
use crate::Result;

impl LeaseDb for PgPool {
    /// Takes the lease if it is free, expired or already ours. Concurrent
    /// callers serialise on the row, and the loser re-checks the condition
    /// against the winner's row, so only one can win.
    async fn try_acquire(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
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
        .fetch_optional(self)
        .await?;
        Ok(taken.is_some())
    }

    async fn release(&self, name: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(self)
            .await?;
        Ok(())
    }
}
