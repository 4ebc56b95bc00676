//! The store as the home of refresh tokens: a [`RefreshTokenVault`] over
//! [`store::CredentialStore`], sealing every token with the store key
//! (`COSELL_STORE_KEY`) before it reaches the database.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use partner_center::auth::AuthError;
use partner_center::vault::{
    RefreshTokenHold, RefreshTokenVault, Rotation, REFRESH_TOKEN_LIFETIME,
};
use secrecy::{ExposeSecret, SecretString};
use store::seal::CredentialKey;
use store::{CredentialHold, CredentialWrite, Store};

use crate::credential_health::CredentialHealth;

/// Name of the Partner Center (Referrals admin) refresh token in the store.
pub const PC_REFRESH_TOKEN: &str = "partner_center.refresh_token";
/// Name of the Salesforce refresh token (`cosell login salesforce`) in the store.
pub const SF_REFRESH_TOKEN: &str = "salesforce.refresh_token";

/// A refresh token kept sealed in the store.
pub struct StoreVault {
    store: Arc<dyn Store>,
    key: Arc<CredentialKey>,
    name: &'static str,
    /// How long a token lives once issued; None when it lives until revoked.
    lifetime: Option<TimeDelta>,
}

impl StoreVault {
    /// The vault of credential `name` in `store`, sealed with `key`, holding
    /// Entra refresh tokens (which expire after [`REFRESH_TOKEN_LIFETIME`]).
    pub fn new(store: Arc<dyn Store>, key: Arc<CredentialKey>, name: &'static str) -> Self {
        Self {
            store,
            key,
            name,
            lifetime: Some(REFRESH_TOKEN_LIFETIME),
        }
    }

    /// The vault of a token that lives until revoked (a Salesforce refresh
    /// token under the default policy "Refresh token is valid until revoked").
    pub fn until_revoked(mut self) -> Self {
        self.lifetime = None;
        self
    }

    /// The stored token, opened; None when none is stored.
    pub async fn current(&self) -> anyhow::Result<Option<SecretString>> {
        let Some(stored) = self.store.credential(self.name).await? else {
            return Ok(None);
        };
        Ok(Some(SecretString::from(
            self.key.open(self.name, &stored.sealed)?,
        )))
    }

    /// Records that the stored token was just used successfully (it is kept
    /// as it is; its health shows the refresh).
    pub async fn refreshed(&self) -> anyhow::Result<()> {
        let hold = self.store.hold_credential(self.name).await?;
        let Some(stored) = hold.current().cloned() else {
            return Ok(());
        };
        let write = CredentialWrite {
            sealed: stored.sealed,
            obtained_at: stored.obtained_at,
            expires_at: stored.expires_at,
            mfa: stored.mfa,
        };
        hold.commit(&write).await?;
        Ok(())
    }

    /// Records a refresh the identity provider refused (no secret in `error`).
    pub async fn record_error(&self, error: &str) {
        if let Err(e) = self.store.record_credential_error(self.name, error).await {
            tracing::warn!(credential = self.name, error = %e, "could not record the failed refresh");
        }
    }

    /// Stores a token an operator just signed in for, replacing any other.
    pub async fn sign_in(
        &self,
        refresh_token: &SecretString,
        mfa: Option<bool>,
    ) -> anyhow::Result<()> {
        let write = self.write(refresh_token, Utc::now(), mfa)?;
        self.store.replace_credential(self.name, &write).await?;
        Ok(())
    }

    fn write(
        &self,
        token: &SecretString,
        issued_at: DateTime<Utc>,
        mfa: Option<bool>,
    ) -> Result<CredentialWrite, store::seal::SealError> {
        Ok(CredentialWrite {
            sealed: self.key.seal(self.name, token.expose_secret())?,
            obtained_at: issued_at,
            expires_at: self.lifetime.map(|lifetime| issued_at + lifetime),
            mfa,
        })
    }
}

fn vault_error(error: impl std::fmt::Display) -> AuthError {
    AuthError::Vault(error.to_string())
}

#[async_trait]
impl RefreshTokenVault for StoreVault {
    async fn hold(&self) -> Result<Box<dyn RefreshTokenHold>, AuthError> {
        let hold = self
            .store
            .hold_credential(self.name)
            .await
            .map_err(vault_error)?;
        let token = match hold.current() {
            // A key that cannot open the stored token is an operator's fix,
            // not an outage: not transient.
            Some(stored) => Some(SecretString::from(
                self.key
                    .open(self.name, &stored.sealed)
                    .map_err(|e| AuthError::Config(e.to_string()))?,
            )),
            None => None,
        };
        Ok(Box::new(StoreHold {
            vault: StoreVault {
                store: Arc::clone(&self.store),
                key: Arc::clone(&self.key),
                name: self.name,
                lifetime: self.lifetime,
            },
            hold,
            token,
        }))
    }

    async fn failed(&self, error: &AuthError) {
        self.record_error(&error.to_string()).await;
        let Ok(Some(stored)) = self.store.credential(self.name).await else {
            return;
        };
        let health = CredentialHealth::of(&stored);
        let days_left = health.expires_in(Utc::now()).map(|left| left.num_days());
        tracing::warn!(
            credential = self.name,
            error = %error,
            code = health.error_code.as_deref().unwrap_or(""),
            days_left,
            fix = %health.fix,
            "refreshing the credential failed"
        );
    }
}

/// The store's hold on one credential and the token it held.
struct StoreHold {
    vault: StoreVault,
    hold: Box<dyn CredentialHold>,
    token: Option<SecretString>,
}

#[async_trait]
impl RefreshTokenHold for StoreHold {
    fn refresh_token(&self) -> Option<SecretString> {
        self.token.clone()
    }

    async fn save(self: Box<Self>, rotation: Rotation) -> Result<(), AuthError> {
        let write = self
            .vault
            .write(&rotation.refresh_token, rotation.issued_at, rotation.mfa)
            .map_err(vault_error)?;
        self.hold.commit(&write).await.map_err(vault_error)?;
        if rotation.mfa == Some(false) {
            tracing::warn!(
                credential = self.vault.name,
                fix = "cosell login partner-center -c FILE",
                "the new access token carries no MFA claim; Partner Center refuses App+User calls without it"
            );
        }
        Ok(())
    }
}
