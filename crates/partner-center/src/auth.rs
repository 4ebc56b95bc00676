//! Entra ID (v2 endpoint) access tokens for the two Partner Center audiences.
//!
//! * Referrals API: delegated app+user only (<https://learn.microsoft.com/en-us/partner-center/developer/referral-api-authentication>), so a `refresh_token` grant with
//!   scope [`REFERRALS_SCOPE`]; Entra rotates the refresh token and the newest one is
//!   kept in memory.
//! * Webhooks API: app-only works (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>), so `client_credentials` with [`WEBHOOKS_SCOPE`].
//!
//! Tokens are cached until [`EXPIRY_MARGIN`] before they expire; one refresh runs
//! at a time (a tokio mutex is held across the token request, so concurrent callers
//! wait for it instead of stampeding Entra). Secrets live in [`SecretString`] and
//! never reach `Debug` output, errors or logs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use crate::error::{describe_reqwest, transport_kind, TransportKind};
use crate::observer::{Api, CallObserver, CallRecord};
use crate::vault::{has_mfa_claim, RefreshTokenVault, Rotation};

/// Scope for the Referrals API (`offline_access` so Entra returns a refresh token).
pub const REFERRALS_SCOPE: &str = "https://api.partner.microsoft.com/.default offline_access";
/// Scope for the Partner Center Webhooks API (a different audience, <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
pub const WEBHOOKS_SCOPE: &str = "https://api.partnercenter.microsoft.com/.default";
/// Entra ID v2 token endpoint template; `{tenant}` is a tenant id, domain or `common`.
pub const ENTRA_TOKEN_URL_TEMPLATE: &str =
    "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token";
/// A cached token is refreshed this long before it expires.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Timeout of one token request.
pub const TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Route label of the token endpoint in call records.
const TOKEN_ROUTE: &str = "/oauth2/v2.0/token";

/// Errors getting a token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Entra answered with its documented error body.
    #[error("token endpoint returned {status} {error}: {description}")]
    Entra {
        /// HTTP status.
        status: u16,
        /// OAuth error, e.g. `invalid_grant`.
        error: String,
        /// `error_description` (AADSTS text; contains no secret).
        description: String,
        /// `error_codes`, e.g. `[70008]`.
        codes: Vec<i64>,
        /// `correlation_id`, for support cases.
        correlation_id: Option<String>,
    },
    /// The token endpoint could not be reached or read.
    #[error("token endpoint transport error ({kind}): {message}")]
    Transport {
        /// What failed.
        kind: TransportKind,
        /// Description without URL or form body.
        message: String,
    },
    /// The token response was not the documented JSON.
    #[error("could not decode token response (status {status}): {message}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// Decoder message (never the body, which may hold a token).
        message: String,
    },
    /// The configuration cannot produce a token request.
    #[error("token configuration error: {0}")]
    Config(String),
    /// The refresh token could not be read from or saved to its vault (the
    /// store is down or a sign-in replaced it meanwhile); retried later.
    #[error("refresh token vault: {0}")]
    Vault(String),
}

impl AuthError {
    /// True when retrying later may succeed; see [`is_transient_token_failure`].
    pub fn is_transient(&self) -> bool {
        match self {
            AuthError::Entra { status, error, .. } => {
                is_transient_token_failure(*status, Some(error))
            }
            AuthError::Decode { status, .. } => is_transient_token_failure(*status, None),
            AuthError::Transport { kind, .. } => *kind != TransportKind::Other,
            AuthError::Vault(_) => true,
            AuthError::Config(_) => false,
        }
    }

    /// True when the grant itself is dead (e.g. refresh token expired or revoked)
    /// and an operator must sign in again.
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, AuthError::Entra { error, .. } if error == "invalid_grant")
    }
}

/// OAuth `error` values that mean "try again later" whatever the status: Entra
/// answers its transient failures (AADSTS90033 and kin) as `temporarily_unavailable`
/// (<https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes#handling-error-codes-in-your-application>).
const TRANSIENT_OAUTH_ERRORS: &[&str] = &["temporarily_unavailable"];

/// Whether a token request that failed with `status` may succeed later.
/// `oauth_error` is the body's `error`, or `None` when the body was not an
/// OAuth error body.
///
/// Throttling (429) and server errors (5xx) are transient with or without a
/// body. An answer without an OAuth body is transient at any status: Entra
/// refuses a grant with the JSON body of RFC 6749 §5.2, so a bare or HTML
/// answer came from a gateway or proxy in front of it and says nothing about
/// the credentials. Any other OAuth error (e.g. `invalid_grant`) is a verdict
/// on the credentials and needs an operator.
pub fn is_transient_token_failure(status: u16, oauth_error: Option<&str>) -> bool {
    if crate::retry::is_retryable_status(status) {
        return true;
    }
    match oauth_error {
        Some(error) => TRANSIENT_OAUTH_ERRORS.contains(&error),
        None => true,
    }
}

/// Something that hands out bearer tokens for one audience.
#[async_trait]
pub trait TokenSource: Send + Sync {
    /// A valid access token, refreshed if needed.
    async fn token(&self) -> Result<SecretString, AuthError>;

    /// Drops the cached token so the next [`TokenSource::token`] fetches a new one.
    async fn invalidate(&self);

    /// Drops the cached token only if it is still `rejected` (the one a 401 refused),
    /// so a token another task just refreshed is kept.
    async fn invalidate_rejected(&self, rejected: &SecretString) {
        let _ = rejected;
        self.invalidate().await;
    }
}

/// The OAuth grant used to get tokens.
#[derive(Clone, Debug)]
pub enum Grant {
    /// `refresh_token` grant (delegated app+user); the initial refresh token.
    RefreshToken(SecretString),
    /// `client_credentials` grant (app-only).
    ClientCredentials,
}

/// Where and how to get tokens.
#[derive(Clone, Debug)]
pub struct TokenConfig {
    /// Token endpoint (the real one, or an emulator's).
    pub token_url: Url,
    /// Application (client) id.
    pub client_id: String,
    /// Client secret; `None` for public clients.
    pub client_secret: Option<SecretString>,
    /// Space-separated scopes.
    pub scope: String,
    /// The grant.
    pub grant: Grant,
}

/// Builds the Entra ID v2 token URL of a tenant.
pub fn entra_token_url(tenant: &str) -> Result<Url, AuthError> {
    let valid = !tenant.is_empty()
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !valid {
        return Err(AuthError::Config(format!("invalid tenant {tenant:?}")));
    }
    Url::parse(&ENTRA_TOKEN_URL_TEMPLATE.replace("{tenant}", tenant))
        .map_err(|e| AuthError::Config(e.to_string()))
}

impl TokenConfig {
    /// Delegated (app+user) tokens for the Referrals API from a refresh token.
    pub fn referrals(
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: Option<SecretString>,
        refresh_token: SecretString,
    ) -> Result<Self, AuthError> {
        Ok(Self {
            token_url: entra_token_url(tenant)?,
            client_id: client_id.into(),
            client_secret,
            scope: REFERRALS_SCOPE.to_owned(),
            grant: Grant::RefreshToken(refresh_token),
        })
    }

    /// App-only tokens for the Webhooks API.
    pub fn webhooks(
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Result<Self, AuthError> {
        Ok(Self {
            token_url: entra_token_url(tenant)?,
            client_id: client_id.into(),
            client_secret: Some(client_secret),
            scope: WEBHOOKS_SCOPE.to_owned(),
            grant: Grant::ClientCredentials,
        })
    }

    /// Points the config at another token endpoint (an emulator in tests).
    pub fn with_token_url(mut self, url: Url) -> Self {
        self.token_url = url;
        self
    }
}

/// A token endpoint success response.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// Entra's error body.
#[derive(Deserialize)]
struct EntraErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<i64>,
    #[serde(default)]
    correlation_id: Option<String>,
}

/// Reads `expires_in`, which Entra has sent both as a number and as a string.
fn expires_in_secs(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Lifetime assumed when `expires_in` is missing (Entra's usual 1 hour).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

struct State {
    cached: Option<Cached>,
    refresh_token: Option<SecretString>,
}

/// Caching, single-flight Entra ID token provider.
pub struct EntraTokenProvider {
    http: reqwest::Client,
    config: TokenConfig,
    margin: Duration,
    state: Mutex<State>,
    observer: Option<CallObserver>,
    vault: Option<Arc<dyn RefreshTokenVault>>,
}

impl std::fmt::Debug for EntraTokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntraTokenProvider")
            .field("token_url", &self.config.token_url.as_str())
            .field("client_id", &self.config.client_id)
            .field("scope", &self.config.scope)
            .finish_non_exhaustive()
    }
}

impl EntraTokenProvider {
    /// A provider with its own HTTP client.
    pub fn new(config: TokenConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(TOKEN_REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self::with_http_client(config, http)
    }

    /// A provider sharing an existing HTTP client.
    pub fn with_http_client(config: TokenConfig, http: reqwest::Client) -> Self {
        let refresh_token = match &config.grant {
            Grant::RefreshToken(t) => Some(t.clone()),
            Grant::ClientCredentials => None,
        };
        Self {
            http,
            config,
            margin: EXPIRY_MARGIN,
            state: Mutex::new(State {
                cached: None,
                refresh_token,
            }),
            observer: None,
            vault: None,
        }
    }

    /// Keeps the refresh token in `vault`: its stored token wins over the
    /// configured one, each redemption runs under its hold and every rotated
    /// token is saved there before the new access token is handed out.
    pub fn with_vault(mut self, vault: Arc<dyn RefreshTokenVault>) -> Self {
        self.vault = Some(vault);
        self
    }

    /// Changes how long before expiry a token is refreshed (default [`EXPIRY_MARGIN`]).
    pub fn with_expiry_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Reports every token request to `observer`.
    pub fn with_observer(mut self, observer: CallObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The newest refresh token (Entra rotates it), so the service can persist it.
    pub async fn current_refresh_token(&self) -> Option<SecretString> {
        self.state.lock().await.refresh_token.clone()
    }

    /// Redeems the grant, under the vault's hold when there is one; a
    /// rotated refresh token is saved before the access token is returned.
    async fn fetch(&self, state: &mut State) -> Result<SecretString, AuthError> {
        let vault = match (&self.vault, &self.config.grant) {
            (Some(vault), Grant::RefreshToken(_)) => vault,
            _ => return self.request(state, None).await.map(|(token, _)| token),
        };
        let hold = vault.hold().await?;
        let stored = hold.refresh_token();
        match self.request(state, stored).await {
            Ok((token, Some(rotation))) => {
                hold.save(rotation).await?;
                Ok(token)
            }
            Ok((token, None)) => Ok(token),
            Err(error) => {
                drop(hold);
                vault.failed(&error).await;
                Err(error)
            }
        }
    }

    /// One token request; `refresh_token` (the vault's) overrides the one in
    /// memory. Returns the access token and the rotated refresh token.
    #[tracing::instrument(name = "entra_token_request", skip_all, fields(client_id = %self.config.client_id))]
    async fn request(
        &self,
        state: &mut State,
        refresh_token: Option<SecretString>,
    ) -> Result<(SecretString, Option<Rotation>), AuthError> {
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", &self.config.client_id),
            ("scope", &self.config.scope),
        ];
        if let Some(secret) = &self.config.client_secret {
            form.push(("client_secret", secret.expose_secret()));
        }
        let refresh_token = refresh_token
            .or_else(|| state.refresh_token.clone())
            .filter(|t| !t.expose_secret().is_empty());
        match (&self.config.grant, &refresh_token) {
            (Grant::RefreshToken(_), Some(rt)) => {
                form.push(("grant_type", "refresh_token"));
                form.push(("refresh_token", rt.expose_secret()));
            }
            (Grant::RefreshToken(_), None) => {
                return Err(AuthError::Config(
                    "no refresh token: sign in with `cosell login partner-center`".into(),
                ));
            }
            (Grant::ClientCredentials, _) => form.push(("grant_type", "client_credentials")),
        }

        let started = Instant::now();
        let result = self
            .http
            .post(self.config.token_url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await;
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                self.observe(None, started);
                return Err(AuthError::Transport {
                    kind: transport_kind(&e),
                    message: describe_reqwest(e),
                });
            }
        };
        let status = response.status().as_u16();
        self.observe(Some(status), started);
        let body = response.bytes().await.map_err(|e| AuthError::Transport {
            kind: transport_kind(&e),
            message: describe_reqwest(e),
        })?;

        if !(200..300).contains(&status) {
            return Err(match serde_json::from_slice::<EntraErrorBody>(&body) {
                Ok(b) => AuthError::Entra {
                    status,
                    error: b.error,
                    description: b.error_description.unwrap_or_default(),
                    codes: b.error_codes,
                    correlation_id: b.correlation_id,
                },
                Err(_) => AuthError::Decode {
                    status,
                    message: "non-success status without an OAuth error body".into(),
                },
            });
        }

        // Never put serde's message in the error: it may quote the body, which holds the token.
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|_| AuthError::Decode {
                status,
                message: "response is not a token response".into(),
            })?;
        if let Some(tt) = &parsed.token_type {
            if !tt.eq_ignore_ascii_case("bearer") {
                return Err(AuthError::Decode {
                    status,
                    message: format!("unexpected token_type {tt:?}"),
                });
            }
        }
        let lifetime = expires_in_secs(parsed.expires_in.as_ref())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_LIFETIME);
        // A lifetime shorter than twice the margin would never be cached; use half of it.
        let margin = self.margin.min(lifetime / 2);
        let mfa = has_mfa_claim(&parsed.access_token);
        let token = SecretString::from(parsed.access_token);
        let rotation = parsed.refresh_token.map(|rotated| {
            let rotated = SecretString::from(rotated);
            state.refresh_token = Some(rotated.clone());
            Rotation {
                refresh_token: rotated,
                issued_at: chrono::Utc::now(),
                mfa,
            }
        });
        state.cached = Some(Cached {
            token: token.clone(),
            refresh_at: started + lifetime - margin,
        });
        tracing::debug!(lifetime_secs = lifetime.as_secs(), "access token refreshed");
        Ok((token, rotation))
    }

    fn observe(&self, status: Option<u16>, started: Instant) {
        if let Some(observer) = &self.observer {
            observer(&CallRecord {
                api: Api::Token,
                method: "POST",
                route: TOKEN_ROUTE,
                status,
                duration: started.elapsed(),
                attempt: 1,
            });
        }
    }
}

#[async_trait]
impl TokenSource for EntraTokenProvider {
    async fn token(&self) -> Result<SecretString, AuthError> {
        let mut state = self.state.lock().await;
        if let Some(cached) = &state.cached {
            if Instant::now() < cached.refresh_at {
                return Ok(cached.token.clone());
            }
        }
        self.fetch(&mut state).await
    }

    async fn invalidate(&self) {
        self.state.lock().await.cached = None;
    }

    async fn invalidate_rejected(&self, rejected: &SecretString) {
        let mut state = self.state.lock().await;
        let same = state
            .cached
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == rejected.expose_secret());
        if same {
            state.cached = None;
        }
    }
}

/// A fixed token (tests, or tokens managed elsewhere); invalidation is a no-op.
#[derive(Clone, Debug)]
pub struct StaticToken(SecretString);

impl StaticToken {
    /// Wraps a token.
    pub fn new(token: SecretString) -> Self {
        Self(token)
    }
}

#[async_trait]
impl TokenSource for StaticToken {
    async fn token(&self) -> Result<SecretString, AuthError> {
        Ok(self.0.clone())
    }

    async fn invalidate(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_failures_are_transient_unless_entra_refused_the_grant() {
        // (status, OAuth error in the body, transient)
        let table: &[(u16, Option<&str>, bool)] = &[
            (429, None, true),
            (429, Some("temporarily_unavailable"), true),
            (429, Some("invalid_request"), true),
            (500, None, true),
            (502, Some("server_error"), true),
            (503, Some("temporarily_unavailable"), true),
            (504, None, true),
            (400, None, true),
            (401, None, true),
            (404, None, true),
            (200, None, true),
            (400, Some("temporarily_unavailable"), true),
            (400, Some("invalid_grant"), false),
            (400, Some("invalid_request"), false),
            (400, Some("invalid_scope"), false),
            (400, Some("interaction_required"), false),
            (401, Some("invalid_client"), false),
            (401, Some("unauthorized_client"), false),
        ];
        for &(status, error, transient) in table {
            assert_eq!(
                is_transient_token_failure(status, error),
                transient,
                "{status} {error:?}"
            );
            let err = match error {
                Some(error) => AuthError::Entra {
                    status,
                    error: error.into(),
                    description: String::new(),
                    codes: Vec::new(),
                    correlation_id: None,
                },
                None => AuthError::Decode {
                    status,
                    message: String::new(),
                },
            };
            assert_eq!(err.is_transient(), transient, "{err}");
            assert_eq!(
                crate::Error::Auth(err).is_transient(),
                transient,
                "{status} {error:?}"
            );
        }
    }

    #[test]
    fn expires_in_accepts_number_and_string() {
        assert_eq!(expires_in_secs(Some(&json!(3599))), Some(3599));
        assert_eq!(expires_in_secs(Some(&json!("3599"))), Some(3599));
        assert_eq!(expires_in_secs(Some(&json!("x"))), None);
        assert_eq!(expires_in_secs(None), None);
    }

    #[test]
    fn token_url_from_tenant() {
        assert_eq!(
            entra_token_url("contoso.onmicrosoft.com").unwrap().as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(entra_token_url("evil/../x").is_err());
        assert!(entra_token_url("").is_err());
    }

    #[test]
    fn config_debug_redacts_secrets() {
        let cfg = TokenConfig::referrals(
            "common",
            "app",
            Some(SecretString::from("client-secret-value")),
            SecretString::from("refresh-token-value"),
        )
        .unwrap();
        let text = format!("{cfg:?} {:?}", EntraTokenProvider::new(cfg.clone()));
        assert!(!text.contains("client-secret-value"));
        assert!(!text.contains("refresh-token-value"));
    }
}
