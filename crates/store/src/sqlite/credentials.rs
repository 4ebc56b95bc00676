//! Sealed credentials on SQLite, the one-process store. A rotation reads
//! the credential, and its write compares and sets the version it read, so
//! a `cosell login` from another process meanwhile is never overwritten
//! (the rotation then reports a conflict and the newer sign-in wins). The
//! statements are [`crate::credential_flows`]'.

use async_trait::async_trait;
use sqlx::SqlitePool;

use crate::backend::CredentialDb;
use crate::credential_flows::{by_name, decode, replace, rotate, rotated};
use crate::credentials::{CredentialHold, CredentialWrite, StoredCredential};
use crate::statement::{fetch_as, Db};
use crate::Result;

impl CredentialDb for SqlitePool {
    async fn replace_credential(&self, name: &str, write: &CredentialWrite) -> Result<()> {
        self.execute(replace(Self::DIALECT, name, write))
            .await
            .map(|_| ())
    }

    async fn hold_credential(&self, name: &str) -> Result<Box<dyn CredentialHold>> {
        let current = by_name(self, name).await?;
        Ok(Box::new(Hold {
            pool: self.clone(),
            name: name.to_owned(),
            current,
        }))
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
        let held = self.current.as_ref().map(|c| c.version);
        let statement = rotate(SqlitePool::DIALECT, &self.name, held, write);
        let written = fetch_as(&self.pool, statement, decode).await?.pop();
        rotated(&self.name, written)
    }
}
