//! Sealed credentials on PostgreSQL. Every write of a credential runs in a
//! transaction holding a transaction-scoped advisory lock on its name, so a
//! rotation (read, redeem at the token endpoint, write) excludes every other
//! instance's rotation and `cosell login` until it commits or its
//! connection dies. The statements are [`crate::credential_flows`]'.

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::statement::query;
use crate::backend::CredentialDb;
use crate::credential_flows::{decode, read, replace, rotate, rotated};
use crate::credentials::{CredentialHold, CredentialWrite, StoredCredential};
use crate::statement::{Db, Statement};
use crate::Result;

/// Longest wait for another instance's rotation (a token request is at
/// most 30 s); past it the store reports itself unavailable.
const HOLD_WAIT: &str = "SET LOCAL lock_timeout = '90s'";

/// Opens a transaction holding the advisory lock of credential `name`.
async fn locked(pool: &PgPool, name: &str) -> Result<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query(HOLD_WAIT).execute(&mut *tx).await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('cosell.credential:' || $1, 0))")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// The credential `statement` returns, run on `conn`.
async fn fetch_on(
    conn: &mut PgConnection,
    statement: Statement,
) -> Result<Option<StoredCredential>> {
    query(&statement)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(decode)
        .transpose()
}

impl CredentialDb for PgPool {
    async fn replace_credential(&self, name: &str, write: &CredentialWrite) -> Result<()> {
        let mut tx = locked(self, name).await?;
        query(&replace(Self::DIALECT, name, write))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn hold_credential(&self, name: &str) -> Result<Box<dyn CredentialHold>> {
        let mut tx = locked(self, name).await?;
        let current = fetch_on(&mut tx, read(Self::DIALECT, name)).await?;
        Ok(Box::new(Hold {
            tx,
            name: name.to_owned(),
            current,
        }))
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
        let statement = rotate(PgPool::DIALECT, &self.name, held, write);
        let written = fetch_on(&mut self.tx, statement).await?;
        let stored = rotated(&self.name, written)?;
        self.tx.commit().await?;
        Ok(stored)
    }
}
