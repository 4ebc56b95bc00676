//! Salesforce access tokens from the refresh token `cosell login salesforce`
//! stored sealed in the store (`salesforce.auth = "refresh_token"` with a
//! store key). Each mint reads the stored token (so a new sign-in is picked
//! up without a restart), falls back to `COSELL_SF_REFRESH_TOKEN` when none
//! is stored, and records the outcome as the credential's health: the
//! refresh, or the error Salesforce gave with the command that fixes it.

use std::sync::Arc;

use async_trait::async_trait;
use salesforce::auth::{
    AccessToken, AuthError, Grant, OAuthConfig, OAuthTokenProvider, TokenProvider,
};
use secrecy::SecretString;
use url::Url;

use crate::credentials::StoreVault;

/// Mints access tokens from the stored Salesforce refresh token.
pub struct StoredRefreshToken {
    vault: StoreVault,
    login_url: Url,
    client_id: String,
    client_secret: SecretString,
    /// `COSELL_SF_REFRESH_TOKEN`, used while the store holds none.
    seed: Option<SecretString>,
    http: reqwest::Client,
}

impl std::fmt::Debug for StoredRefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredRefreshToken")
            .field("login_url", &self.login_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Where the stored token is used and with which app.
pub struct SalesforceApp {
    /// Login host or My Domain.
    pub login_url: Url,
    /// Consumer key.
    pub client_id: String,
    /// Consumer secret.
    pub client_secret: SecretString,
}

impl StoredRefreshToken {
    /// A provider over `vault` for `app`; `seed` is used while nothing is stored.
    pub fn new(vault: StoreVault, app: SalesforceApp, seed: Option<SecretString>) -> Arc<Self> {
        Arc::new(Self {
            vault,
            login_url: app.login_url,
            client_id: app.client_id,
            client_secret: app.client_secret,
            seed,
            http: reqwest::Client::new(),
        })
    }

    async fn refresh_token(&self) -> Result<(SecretString, bool), AuthError> {
        let stored = self.vault.current().await.map_err(|e| {
            AuthError::InvalidConfig(format!("the stored Salesforce refresh token: {e:#}"))
        })?;
        match (stored, &self.seed) {
            (Some(token), _) => Ok((token, true)),
            (None, Some(seed)) => Ok((seed.clone(), false)),
            (None, None) => Err(AuthError::InvalidConfig(
                "no Salesforce refresh token is stored: run `cosell login salesforce -c FILE` \
                 (or set COSELL_SF_REFRESH_TOKEN)"
                    .into(),
            )),
        }
    }
}

#[async_trait]
impl TokenProvider for StoredRefreshToken {
    async fn fetch_token(&self) -> Result<AccessToken, AuthError> {
        let (refresh_token, stored) = self.refresh_token().await?;
        let grant = Grant::RefreshToken {
            client_id: self.client_id.clone(),
            client_secret: Some(self.client_secret.clone()),
            refresh_token,
        };
        let provider = OAuthTokenProvider::with_http_client(
            OAuthConfig::new(self.login_url.clone(), grant),
            self.http.clone(),
        )?;
        let result = provider.fetch_token().await;
        if stored {
            match &result {
                Ok(_) => {
                    if let Err(e) = self.vault.refreshed().await {
                        tracing::warn!(error = %e, "could not record the Salesforce token refresh");
                    }
                }
                // An outage says nothing about the token: only refusals count.
                Err(e) if !e.is_transient() => {
                    self.vault.record_error(&e.to_string()).await;
                    tracing::warn!(
                        error = %e,
                        fix = "cosell login salesforce -c FILE",
                        "Salesforce refused the stored refresh token"
                    );
                }
                Err(_) => {}
            }
        }
        result
    }
}
