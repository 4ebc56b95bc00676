//! Credentials kept between runs (refresh tokens), sealed by [`crate::seal`]
//! before they reach the database, with the health an operator reads.
//!
//! A rotation (redeeming a refresh token for a new one) runs under a
//! [`CredentialHold`]: on PostgreSQL an advisory lock held by an open
//! transaction, so no two instances sharing the database redeem the same
//! token at once, and the rotated token is written (compare-and-set on the
//! version) before the hold ends and before anyone uses it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;

/// A stored credential: the sealed secret and its health.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// Which credential, e.g. `partner_center.refresh_token`.
    pub name: String,
    /// Bumped by every write.
    pub version: i64,
    /// The secret, sealed ([`crate::seal::CredentialKey::open`]).
    pub sealed: Vec<u8>,
    /// When an operator signed in (the start of this chain of tokens).
    pub signed_in_at: DateTime<Utc>,
    /// When the current secret was issued.
    pub obtained_at: DateTime<Utc>,
    /// When the current secret is expected to expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// The last successful refresh.
    pub last_refresh_at: Option<DateTime<Utc>>,
    /// The last failed refresh, without any secret.
    pub last_error: Option<String>,
    /// When it failed.
    pub last_error_at: Option<DateTime<Utc>>,
    /// Whether the last access token carried the MFA claim.
    pub mfa: Option<bool>,
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredential")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("signed_in_at", &self.signed_in_at)
            .field("obtained_at", &self.obtained_at)
            .field("expires_at", &self.expires_at)
            .field("last_refresh_at", &self.last_refresh_at)
            .field("last_error", &self.last_error)
            .field("mfa", &self.mfa)
            .finish_non_exhaustive()
    }
}

/// A new secret to store.
#[derive(Clone)]
pub struct CredentialWrite {
    /// The secret, sealed.
    pub sealed: Vec<u8>,
    /// When it was issued.
    pub obtained_at: DateTime<Utc>,
    /// When it is expected to expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether the access token that came with it carried the MFA claim.
    pub mfa: Option<bool>,
}

/// Durable, shared storage of sealed credentials.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// The credential named `name`.
    async fn credential(&self, name: &str) -> Result<Option<StoredCredential>>;
    /// Every stored credential, by name.
    async fn credentials(&self) -> Result<Vec<StoredCredential>>;
    /// Stores the first secret of `name` (a seed from the environment);
    /// false, and nothing written, when one is already stored.
    async fn seed_credential(&self, name: &str, write: &CredentialWrite) -> Result<bool>;
    /// Replaces the credential after an operator signed in: a new chain
    /// starts now and its health is cleared. Waits for a rotation in flight.
    async fn replace_credential(&self, name: &str, write: &CredentialWrite) -> Result<()>;
    /// Takes the exclusive hold for a rotation of `name`; it lasts until the
    /// hold is committed or dropped.
    async fn hold_credential(&self, name: &str) -> Result<Box<dyn CredentialHold>>;
    /// Records a failed refresh (`error` must hold no secret).
    async fn record_credential_error(&self, name: &str, error: &str) -> Result<()>;
}

/// The exclusive right to rotate one credential.
#[async_trait]
pub trait CredentialHold: Send {
    /// The credential as stored when the hold was taken.
    fn current(&self) -> Option<&StoredCredential>;
    /// Saves the rotated secret (compare-and-set on the held version; a
    /// [`crate::StoreError::Conflict`] if the row changed) and ends the hold.
    async fn commit(self: Box<Self>, write: &CredentialWrite) -> Result<StoredCredential>;
}
