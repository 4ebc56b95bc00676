//! Sealed credentials on SQLite, the one-process store. A rotation reads
//! the credential, and its write compares and sets the version it read, so
//! a `cosell login` from another process meanwhile is never overwritten
//! (the rotation then reports a conflict and the newer sign-in wins).

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::codec::{micros, now_micros, opt_time, time};
use super::SqliteStore;
use crate::credentials::{CredentialHold, CredentialStore, CredentialWrite, StoredCredential};
use crate::{Result, StoreError};

/// Columns in the order [`row`] reads them.
const COLUMNS: &str = "name, version, sealed, signed_in_at, obtained_at, expires_at, \
                       last_refresh_at, last_error, last_error_at, mfa";

fn row(r: &SqliteRow) -> Result<StoredCredential> {
    Ok(StoredCredential {
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        sealed: r.try_get("sealed")?,
        signed_in_at: time(r, "signed_in_at")?,
        obtained_at: time(r, "obtained_at")?,
        expires_at: opt_time(r, "expires_at")?,
        last_refresh_at: opt_time(r, "last_refresh_at")?,
        last_error: r.try_get("last_error")?,
        last_error_at: opt_time(r, "last_error_at")?,
        mfa: r.try_get("mfa")?,
    })
}

async fn read(pool: &SqlitePool, name: &str) -> Result<Option<StoredCredential>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM credentials WHERE name = ?1"
    ))
    .bind(name)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(row)
    .transpose()
}

#[async_trait]
impl CredentialStore for SqliteStore {
    async fn credential(&self, name: &str) -> Result<Option<StoredCredential>> {
        read(&self.pool, name).await
    }

    async fn credentials(&self) -> Result<Vec<StoredCredential>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM credentials ORDER BY name"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(row)
            .collect()
    }

    async fn seed_credential(&self, name: &str, write: &CredentialWrite) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO credentials (name, version, sealed, signed_in_at, obtained_at, expires_at, mfa, updated_at) \
             VALUES (?1, 1, ?2, ?3, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&write.sealed)
        .bind(micros(write.obtained_at))
        .bind(write.expires_at.map(micros))
        .bind(write.mfa)
        .bind(now_micros())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_credential(&self, name: &str, write: &CredentialWrite) -> Result<()> {
        sqlx::query(
            "INSERT INTO credentials (name, version, sealed, signed_in_at, obtained_at, expires_at, mfa, updated_at) \
             VALUES (?1, 1, ?2, ?3, ?3, ?4, ?5, ?6) \
             ON CONFLICT (name) DO UPDATE SET version = credentials.version + 1, sealed = excluded.sealed, \
             signed_in_at = excluded.signed_in_at, obtained_at = excluded.obtained_at, \
             expires_at = excluded.expires_at, mfa = excluded.mfa, last_refresh_at = NULL, \
             last_error = NULL, last_error_at = NULL, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(&write.sealed)
        .bind(micros(write.obtained_at))
        .bind(write.expires_at.map(micros))
        .bind(write.mfa)
        .bind(now_micros())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn hold_credential(&self, name: &str) -> Result<Box<dyn CredentialHold>> {
        let current = read(&self.pool, name).await?;
        Ok(Box::new(Hold {
            pool: self.pool.clone(),
            name: name.to_owned(),
            current,
        }))
    }

    async fn record_credential_error(&self, name: &str, error: &str) -> Result<()> {
        let now = now_micros();
        sqlx::query(
            "UPDATE credentials SET last_error = ?2, last_error_at = ?3, updated_at = ?3 WHERE name = ?1",
        )
        .bind(name)
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// A rotation in flight: the version read, checked again on commit.
struct Hold {
    pool: SqlitePool,
    name: String,
    current: Option<StoredCredential>,
}

#[async_trait]
impl CredentialHold for Hold {
    fn current(&self) -> Option<&StoredCredential> {
        self.current.as_ref()
    }

    async fn commit(self: Box<Self>, write: &CredentialWrite) -> Result<StoredCredential> {
        let (sql, version) = match self.current.as_ref().map(|c| c.version) {
            Some(version) => (
                format!(
                    "UPDATE credentials SET version = version + 1, sealed = ?3, obtained_at = ?4, \
                     expires_at = ?5, mfa = ?6, last_refresh_at = ?7, last_error = NULL, \
                     last_error_at = NULL, updated_at = ?7 WHERE name = ?1 AND version = ?2 \
                     RETURNING {COLUMNS}"
                ),
                version,
            ),
            None => (
                format!(
                    "INSERT INTO credentials (name, version, sealed, signed_in_at, obtained_at, \
                     expires_at, mfa, last_refresh_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?7) \
                     ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
                ),
                1,
            ),
        };
        let written = sqlx::query(&sql)
            .bind(&self.name)
            .bind(version)
            .bind(&write.sealed)
            .bind(micros(write.obtained_at))
            .bind(write.expires_at.map(micros))
            .bind(write.mfa)
            .bind(now_micros())
            .fetch_optional(&self.pool)
            .await?;
        match written {
            Some(written) => row(&written),
            None => Err(StoreError::Conflict(format!(
                "credential {} changed while it was held",
                self.name
            ))),
        }
    }
}
