//! Shares one token between concurrent calls and refreshes it single-flight.

use std::sync::{Arc, RwLock};

use tokio::sync::Mutex;

use super::{AccessToken, AuthError, TokenProvider};

/// The current token plus a lock that lets only one caller mint a new one.
pub(crate) struct TokenCache {
    provider: Arc<dyn TokenProvider>,
    current: RwLock<Option<Arc<AccessToken>>>,
    refresh_lock: Mutex<()>,
}

impl TokenCache {
    pub(crate) fn new(provider: Arc<dyn TokenProvider>) -> Self {
        TokenCache {
            provider,
            current: RwLock::new(None),
            refresh_lock: Mutex::new(()),
        }
    }

    fn cached(&self) -> Option<Arc<AccessToken>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The current token, minting the first one if needed.
    pub(crate) async fn get(&self) -> Result<Arc<AccessToken>, AuthError> {
        match self.cached() {
            Some(t) => Ok(t),
            None => self.refresh(None).await,
        }
    }

    /// Replaces `stale` with a fresh token. Callers that saw the same stale
    /// token while another refresh was running get that refresh's result
    /// instead of minting again.
    pub(crate) async fn refresh(
        &self,
        stale: Option<&Arc<AccessToken>>,
    ) -> Result<Arc<AccessToken>, AuthError> {
        let _guard = self.refresh_lock.lock().await;
        if let Some(current) = self.cached() {
            let superseded = stale.is_none_or(|s| !Arc::ptr_eq(s, &current));
            if superseded {
                return Ok(current);
            }
        }
        let fresh = Arc::new(self.provider.fetch_token().await?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(fresh.clone());
        Ok(fresh)
    }
}
