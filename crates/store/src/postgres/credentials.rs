//! Sealed credentials on PostgreSQL. Every write of a credential runs in a
//! transaction holding a transaction-scoped advisory lock on its name, so a
//! rotation (read, redeem at the token endpoint, write) excludes every other
//! instance's rotation and `cosell login` until it commits or its
//! connection dies.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, Row, Transaction};

use super::PostgresStore;
use crate::credentials::{CredentialHold, CredentialStore, CredentialWrite, StoredCredential};
use crate::{Result, StoreError};

/// Columns in the order [`row`] reads them.
const COLUMNS: &str = "name, version, sealed, signed_in_at, obtained_at, expires_at, \
                       last_refresh_at, last_error, last_error_at, mfa";

/// Longest wait for another instance's rotation (a token request is at
/// most 30 s); past it the store reports itself unavailable.
const HOLD_WAIT: &str = "SET LOCAL lock_timeout = '90s'";

fn row(r: &PgRow) -> Result<StoredCredential> {
    Ok(StoredCredential {
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        sealed: r.try_get("sealed")?,
        signed_in_at: r.try_get("signed_in_at")?,
        obtained_at: r.try_get("obtained_at")?,
        expires_at: r.try_get("expires_at")?,
        last_refresh_at: r.try_get("last_refresh_at")?,
        last_error: r.try_get("last_error")?,
        last_error_at: r.try_get("last_error_at")?,
        mfa: r.try_get("mfa")?,
    })
}

/// Opens a transaction holding the advisory lock of credential `name`.
async fn locked(store: &PostgresStore, name: &str) -> Result<Transaction<'static, Postgres>> {
    let mut tx = store.pool().begin().await?;
    sqlx::query(HOLD_WAIT).execute(&mut *tx).await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('cosell.credential:' || $1, 0))")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

async fn read(conn: &mut PgConnection, name: &str) -> Result<Option<StoredCredential>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE name = $1"
    ))
    .bind(name)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(row)
    .transpose()
}

#[async_trait]
impl CredentialStore for PostgresStore {
    async fn credential(&self, name: &str) -> Result<Option<StoredCredential>> {
        let mut conn = self.pool().acquire().await?;
        read(&mut conn, name).await
    }

    async fn credentials(&self) -> Result<Vec<StoredCredential>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM credentials ORDER BY name"))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(row)
            .collect()
    }

    async fn seed_credential(&self, name: &str, write: &CredentialWrite) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO credentials (name, version, sealed, signed_in_at, obtained_at, expires_at, mfa, updated_at) \
             VALUES ($1, 1, $2, $3, $3, $4, $5, now()) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&write.sealed)
        .bind(write.obtained_at)
        .bind(write.expires_at)
        .bind(write.mfa)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_credential(&self, name: &str, write: &CredentialWrite) -> Result<()> {
        let mut tx = locked(self, name).await?;
        sqlx::query(
            "INSERT INTO credentials (name, version, sealed, signed_in_at, obtained_at, expires_at, mfa, updated_at) \
             VALUES ($1, 1, $2, $3, $3, $4, $5, now()) \
             ON CONFLICT (name) DO UPDATE SET version = credentials.version + 1, sealed = EXCLUDED.sealed, \
             signed_in_at = EXCLUDED.signed_in_at, obtained_at = EXCLUDED.obtained_at, \
             expires_at = EXCLUDED.expires_at, mfa = EXCLUDED.mfa, last_refresh_at = NULL, \
             last_error = NULL, last_error_at = NULL, updated_at = now()",
        )
        .bind(name)
        .bind(&write.sealed)
        .bind(write.obtained_at)
        .bind(write.expires_at)
        .bind(write.mfa)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn hold_credential(&self, name: &str) -> Result<Box<dyn CredentialHold>> {
        let mut tx = locked(self, name).await?;
        let current = read(&mut tx, name).await?;
        Ok(Box::new(Hold {
            tx,
            name: name.to_owned(),
            current,
        }))
    }

    async fn record_credential_error(&self, name: &str, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE credentials SET last_error = $2, last_error_at = $3, updated_at = $3 WHERE name = $1",
        )
        .bind(name)
        .bind(error)
        .bind(Utc::now())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// A rotation in flight: the open transaction holds the advisory lock.
struct Hold {
    tx: Transaction<'static, Postgres>,
    name: String,
    current: Option<StoredCredential>,
}

#[async_trait]
impl CredentialHold for Hold {
    fn current(&self) -> Option<&StoredCredential> {
        self.current.as_ref()
    }

    async fn commit(mut self: Box<Self>, write: &CredentialWrite) -> Result<StoredCredential> {
        let held = self.current.as_ref().map(|c| c.version);
        let now = Utc::now();
        let (sql, version) = match held {
            Some(version) => (
                format!(
                    "UPDATE credentials SET version = version + 1, sealed = $3, obtained_at = $4, \
                     expires_at = $5, mfa = $6, last_refresh_at = $7, last_error = NULL, \
                     last_error_at = NULL, updated_at = $7 WHERE name = $1 AND version = $2 \
                     RETURNING {COLUMNS}"
                ),
                version,
            ),
            None => (
                format!(
                    "INSERT INTO credentials (name, version, sealed, signed_in_at, obtained_at, \
                     expires_at, mfa, last_refresh_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $7) \
                     ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
                ),
                1,
            ),
        };
        let written = sqlx::query(&sql)
            .bind(&self.name)
            .bind(version)
            .bind(&write.sealed)
            .bind(write.obtained_at)
            .bind(write.expires_at)
            .bind(write.mfa)
            .bind(now)
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(written) = written else {
            return Err(StoreError::Conflict(format!(
                "credential {} changed while it was held",
                self.name
            )));
        };
        let stored = row(&written)?;
        self.tx.commit().await?;
        Ok(stored)
    }
}
