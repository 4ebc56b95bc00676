//! OAuth 2.0 token providers for Salesforce (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flows.htm>).
//!
//! Every flow posts a form to `{login_url}/services/oauth2/token` and gets
//! back `access_token` + `instance_url` (the API base to use). Salesforce
//! sends no `expires_in`: a token lives until the session times out, and the
//! client learns that from a 401 `INVALID_SESSION_ID`, after which it asks
//! the provider for a new token (see [`crate::client`]).

mod cache;
mod jwt;
pub mod web_server;

pub(crate) use cache::TokenCache;
pub use jwt::{JwtClaims, ASSERTION_LIFETIME};

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

/// Path of the token endpoint under the login host.
pub const TOKEN_PATH: &str = "/services/oauth2/token";

/// Production login host.
pub const PRODUCTION_LOGIN_URL: &str = "https://login.salesforce.com";

/// Sandbox login host.
pub const SANDBOX_LOGIN_URL: &str = "https://test.salesforce.com";

/// Grant type of the JWT bearer flow.
const GRANT_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Default timeout of one token request.
const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Issued-at values above this are milliseconds (13 digits), below it seconds.
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// Why a token could not be obtained.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token endpoint answered `{"error","error_description"}`.
    #[error("OAuth token request rejected (HTTP {status}): {error}: {description}")]
    OAuth {
        /// HTTP status.
        status: u16,
        /// OAuth error code, e.g. `invalid_grant`.
        error: String,
        /// Salesforce's explanation, e.g. `authentication failure`.
        description: String,
    },
    /// The token request failed in transport.
    #[error("OAuth token request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The token endpoint answered something that is not a token response (body not echoed).
    #[error("malformed OAuth token response (HTTP {status}): {reason}")]
    MalformedResponse {
        /// HTTP status.
        status: u16,
        /// What was wrong, without the body.
        reason: String,
    },
    /// The JWT signing key could not be used.
    #[error("JWT signing key unusable: {0}")]
    InvalidKey(String),
    /// The OAuth configuration is unusable.
    #[error("invalid OAuth configuration: {0}")]
    InvalidConfig(String),
}

impl AuthError {
    /// Whether trying again later may succeed; see [`is_transient_token_failure`].
    pub fn is_transient(&self) -> bool {
        match self {
            AuthError::OAuth { status, error, .. } => {
                is_transient_token_failure(*status, Some(error))
            }
            AuthError::MalformedResponse { status, .. } => {
                is_transient_token_failure(*status, None)
            }
            AuthError::Http(e) => e.is_timeout() || e.is_connect() || e.is_request() || e.is_body(),
            AuthError::InvalidKey(_) | AuthError::InvalidConfig(_) => false,
        }
    }
}

/// OAuth `error` values that mean "try again later" whatever the status
/// (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm>: `rate_limit_exceeded` is Salesforce's login throttle).
const TRANSIENT_OAUTH_ERRORS: &[&str] = &["rate_limit_exceeded"];

/// Whether a token request that failed with `status` may succeed later.
/// `oauth_error` is the body's `error`, or `None` when the body was not an
/// OAuth error body (`{"error","error_description"}`).
///
/// Throttling (429) and server errors (5xx) are transient with or without a
/// body. An answer without an OAuth body is transient at any status: the
/// token endpoint refuses a grant with the OAuth body (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm>, RFC
/// 6749 §5.2), so anything else came from a gateway or an outage page and
/// says nothing about the credentials. Any other OAuth error (e.g.
/// `invalid_grant`, `invalid_client_id`) needs an operator.
pub fn is_transient_token_failure(status: u16, oauth_error: Option<&str>) -> bool {
    if status == 429 || (500..=599).contains(&status) {
        return true;
    }
    match oauth_error {
        Some(error) => TRANSIENT_OAUTH_ERRORS.contains(&error),
        None => true,
    }
}

/// A minted access token and where to use it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub access_token: SecretString,
    /// API base for every REST call made with this token.
    pub instance_url: Url,
    /// Identity URL, ending in `/<orgId>/<userId>`.
    pub id: Option<String>,
    /// Usually `Bearer`.
    pub token_type: Option<String>,
    /// When the token was issued.
    pub issued_at: Option<DateTime<Utc>>,
    /// Granted scopes, space-separated.
    pub scope: Option<String>,
    /// Salesforce's HMAC over `id + issued_at` (not a secret).
    pub signature: Option<String>,
}

impl AccessToken {
    /// A token obtained elsewhere (e.g. `sf org display`), for [`StaticTokenProvider`].
    pub fn new(access_token: SecretString, instance_url: Url) -> Self {
        AccessToken {
            access_token,
            instance_url,
            id: None,
            token_type: None,
            issued_at: None,
            scope: None,
            signature: None,
        }
    }

    /// Org id from the identity URL (the Pub/Sub `tenantid`).
    pub fn org_id(&self) -> Option<&str> {
        let mut parts = self.id.as_deref()?.trim_end_matches('/').rsplit('/');
        parts.next()?;
        parts.next()
    }

    /// User id from the identity URL.
    pub fn user_id(&self) -> Option<&str> {
        self.id.as_deref()?.trim_end_matches('/').rsplit('/').next()
    }

    /// Parses a token endpoint success body leniently (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm>).
    pub fn from_response_body(status: u16, body: &[u8]) -> Result<Self, AuthError> {
        let wire: WireToken =
            serde_json::from_slice(body).map_err(|e| AuthError::MalformedResponse {
                status,
                // Category and position only: serde messages can quote values.
                reason: format!(
                    "{:?} at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            })?;
        let instance_url =
            Url::parse(&wire.instance_url).map_err(|e| AuthError::MalformedResponse {
                status,
                reason: format!("instance_url is not a URL: {e}"),
            })?;
        Ok(AccessToken {
            access_token: SecretString::from(wire.access_token),
            instance_url,
            id: wire.id,
            token_type: wire.token_type,
            issued_at: wire.issued_at.as_ref().and_then(parse_issued_at),
            scope: wire.scope,
            signature: wire.signature,
        })
    }
}

#[derive(Deserialize)]
struct WireToken {
    access_token: String,
    instance_url: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    issued_at: Option<serde_json::Value>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    signature: Option<String>,
}

/// `issued_at` is documented as epoch milliseconds in a string; accept numbers and seconds too.
fn parse_issued_at(v: &serde_json::Value) -> Option<DateTime<Utc>> {
    let n: i64 = match v {
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        serde_json::Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    if n >= MILLIS_THRESHOLD {
        DateTime::from_timestamp_millis(n)
    } else {
        DateTime::from_timestamp(n, 0)
    }
}

#[derive(Deserialize)]
struct WireOAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Something that can mint a fresh access token.
#[async_trait]
pub trait TokenProvider: Send + Sync {
    /// Obtains a new token (called at start and after a 401 `INVALID_SESSION_ID`).
    async fn fetch_token(&self) -> Result<AccessToken, AuthError>;
}

/// A provider that always returns the same token (tokens minted elsewhere, tests).
#[derive(Debug, Clone)]
pub struct StaticTokenProvider(AccessToken);

impl StaticTokenProvider {
    /// Wraps a ready token.
    pub fn new(token: AccessToken) -> Self {
        StaticTokenProvider(token)
    }
}

#[async_trait]
impl TokenProvider for StaticTokenProvider {
    async fn fetch_token(&self) -> Result<AccessToken, AuthError> {
        Ok(self.0.clone())
    }
}

/// The OAuth grant to use, with its credentials.
#[derive(Debug, Clone)]
pub enum Grant {
    /// JWT bearer (recommended for server integrations; <https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm>).
    JwtBearer {
        /// Consumer key.
        client_id: String,
        /// Integration user's username.
        username: String,
        /// RSA private key, PEM (PKCS#1 or PKCS#8), matching the app's certificate.
        private_key_pem: SecretString,
        /// `aud` claim; defaults to the login URL's origin.
        audience: Option<String>,
    },
    /// Client credentials (My Domain login URL only; <https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm>).
    ClientCredentials {
        /// Consumer key.
        client_id: String,
        /// Consumer secret.
        client_secret: SecretString,
    },
    /// Refresh token from a user-authorized flow (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm>).
    RefreshToken {
        /// Consumer key.
        client_id: String,
        /// Consumer secret, when the app requires it.
        client_secret: Option<SecretString>,
        /// The refresh token.
        refresh_token: SecretString,
    },
    /// Username-password (legacy, tests; <https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_username_password_flow.htm>).
    Password {
        /// Consumer key.
        client_id: String,
        /// Consumer secret.
        client_secret: SecretString,
        /// Username.
        username: String,
        /// Password.
        password: SecretString,
        /// Security token, appended to the password when set.
        security_token: Option<SecretString>,
    },
}

impl Grant {
    /// The `grant_type` form value.
    pub fn grant_type(&self) -> &'static str {
        match self {
            Grant::JwtBearer { .. } => GRANT_JWT_BEARER,
            Grant::ClientCredentials { .. } => "client_credentials",
            Grant::RefreshToken { .. } => "refresh_token",
            Grant::Password { .. } => "password",
        }
    }
}

/// Where and how to obtain tokens.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// Login host: `https://login.salesforce.com`, `https://test.salesforce.com`, or My Domain.
    pub login_url: Url,
    /// The grant and its credentials.
    pub grant: Grant,
    /// Timeout of one token request.
    pub timeout: Duration,
}

impl OAuthConfig {
    /// A config with the default timeout.
    pub fn new(login_url: Url, grant: Grant) -> Self {
        OAuthConfig {
            login_url,
            grant,
            timeout: DEFAULT_TOKEN_TIMEOUT,
        }
    }
}

/// Mints tokens from the Salesforce token endpoint.
#[derive(Clone)]
pub struct OAuthTokenProvider {
    config: OAuthConfig,
    token_url: Url,
    http: reqwest::Client,
}

impl fmt::Debug for OAuthTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthTokenProvider")
            .field("token_url", &self.token_url.as_str())
            .field("grant_type", &self.config.grant.grant_type())
            .finish_non_exhaustive()
    }
}

impl OAuthTokenProvider {
    /// Builds a provider with its own HTTP client.
    pub fn new(config: OAuthConfig) -> Result<Self, AuthError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(AuthError::Http)?;
        Self::with_http_client(config, http)
    }

    /// Builds a provider sharing an HTTP client.
    pub fn with_http_client(config: OAuthConfig, http: reqwest::Client) -> Result<Self, AuthError> {
        if !matches!(config.login_url.scheme(), "https" | "http") {
            return Err(AuthError::InvalidConfig(
                "login_url must be an http(s) URL".into(),
            ));
        }
        let base = config.login_url.as_str().trim_end_matches('/');
        let token_url = Url::parse(&format!("{base}{TOKEN_PATH}"))
            .map_err(|e| AuthError::InvalidConfig(format!("login_url: {e}")))?;
        Ok(OAuthTokenProvider {
            config,
            token_url,
            http,
        })
    }

    /// The token endpoint this provider posts to.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// The `aud` claim for the JWT flow: configured, else the login URL's origin.
    fn audience(&self, configured: Option<&String>) -> String {
        configured
            .cloned()
            .unwrap_or_else(|| self.config.login_url.origin().ascii_serialization())
    }

    /// The form fields for the configured grant; values are secrets until sent.
    fn form(&self) -> Result<Vec<(&'static str, SecretString)>, AuthError> {
        let plain = |s: &str| SecretString::from(s.to_owned());
        let mut form = vec![("grant_type", plain(self.config.grant.grant_type()))];
        match &self.config.grant {
            Grant::JwtBearer {
                client_id,
                username,
                private_key_pem,
                audience,
            } => {
                let aud = self.audience(audience.as_ref());
                let assertion = jwt::sign_assertion(client_id, username, &aud, private_key_pem)?;
                form.push(("assertion", assertion));
            }
            Grant::ClientCredentials {
                client_id,
                client_secret,
            } => {
                form.push(("client_id", plain(client_id)));
                form.push(("client_secret", client_secret.clone()));
            }
            Grant::RefreshToken {
                client_id,
                client_secret,
                refresh_token,
            } => {
                form.push(("refresh_token", refresh_token.clone()));
                form.push(("client_id", plain(client_id)));
                if let Some(secret) = client_secret {
                    form.push(("client_secret", secret.clone()));
                }
            }
            Grant::Password {
                client_id,
                client_secret,
                username,
                password,
                security_token,
            } => {
                form.push(("client_id", plain(client_id)));
                form.push(("client_secret", client_secret.clone()));
                form.push(("username", plain(username)));
                let mut full = password.expose_secret().to_owned();
                if let Some(t) = security_token {
                    full.push_str(t.expose_secret());
                }
                form.push(("password", SecretString::from(full)));
            }
        }
        Ok(form)
    }
}

#[async_trait]
impl TokenProvider for OAuthTokenProvider {
    #[tracing::instrument(level = "debug", skip(self), fields(token_url = %self.token_url, grant = self.config.grant.grant_type()))]
    async fn fetch_token(&self) -> Result<AccessToken, AuthError> {
        let form = self.form()?;
        let exposed: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (*k, v.expose_secret())).collect();
        let (status, body) = post_token_form(&self.http, &self.token_url, &exposed).await?;
        AccessToken::from_response_body(status, &body)
    }
}

/// Posts `form` to the token endpoint; the success status and body, or the
/// OAuth error Salesforce answered (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm>).
pub(crate) async fn post_token_form(
    http: &reqwest::Client,
    token_url: &Url,
    form: &[(&str, &str)],
) -> Result<(u16, Vec<u8>), AuthError> {
    let response = http
        .post(token_url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await?;
    let status = response.status().as_u16();
    let body = response.bytes().await?;
    if (200..300).contains(&status) {
        return Ok((status, body.to_vec()));
    }
    match serde_json::from_slice::<WireOAuthError>(&body) {
        Ok(e) => Err(AuthError::OAuth {
            status,
            error: e.error,
            description: e.error_description.unwrap_or_default(),
        }),
        Err(_) => Err(AuthError::MalformedResponse {
            status,
            reason: "error response without an OAuth error body".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_failures_are_transient_unless_salesforce_refused_the_grant() {
        // (status, OAuth error in the body, transient)
        let table: &[(u16, Option<&str>, bool)] = &[
            (429, None, true),
            (429, Some("invalid_grant"), true),
            (500, None, true),
            (502, Some("unknown_error"), true),
            (503, None, true),
            (400, None, true),
            (403, None, true),
            (404, None, true),
            (200, None, true),
            (400, Some("rate_limit_exceeded"), true),
            (400, Some("invalid_grant"), false),
            (400, Some("invalid_client_id"), false),
            (400, Some("invalid_client"), false),
            (400, Some("unsupported_grant_type"), false),
            (400, Some("inactive_user"), false),
            (400, Some("inactive_org"), false),
            (401, Some("invalid_client"), false),
        ];
        for &(status, error, transient) in table {
            assert_eq!(
                is_transient_token_failure(status, error),
                transient,
                "{status} {error:?}"
            );
            let err = match error {
                Some(error) => AuthError::OAuth {
                    status,
                    error: error.into(),
                    description: String::new(),
                },
                None => AuthError::MalformedResponse {
                    status,
                    reason: String::new(),
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
    fn parses_full_token_response() {
        let body = br#"{"access_token":"00Dxx!AR8AQ.secret","instance_url":"https://acme.my.salesforce.com",
            "id":"https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS","token_type":"Bearer",
            "issued_at":"1717000000000","signature":"abc=","scope":"api"}"#;
        let t = AccessToken::from_response_body(200, body).unwrap();
        assert_eq!(t.instance_url.as_str(), "https://acme.my.salesforce.com/");
        assert_eq!(t.org_id(), Some("00Dxx0000001gPLEAY"));
        assert_eq!(t.user_id(), Some("005xx000001SwiUAAS"));
        assert_eq!(t.issued_at.unwrap().timestamp_millis(), 1_717_000_000_000);
        assert_eq!(t.access_token.expose_secret(), "00Dxx!AR8AQ.secret");
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn parses_minimal_and_odd_token_responses() {
        let t = AccessToken::from_response_body(
            200,
            br#"{"access_token":"x","instance_url":"https://a.my.salesforce.com","issued_at":1717000000,"token_format":"opaque","api_instance_url":"https://api.salesforce.com"}"#,
        )
        .unwrap();
        assert_eq!(t.issued_at.unwrap().timestamp(), 1_717_000_000);
        assert!(t.id.is_none());
    }

    #[test]
    fn malformed_token_response_does_not_echo_body() {
        let err =
            AccessToken::from_response_body(200, br#"{"access_token":"supersecret"}"#).unwrap_err();
        assert!(!err.to_string().contains("supersecret"));
        let err = AccessToken::from_response_body(
            200,
            br#"{"access_token":12,"instance_url":"supersecret"}"#,
        )
        .unwrap_err();
        assert!(!err.to_string().contains("supersecret"));
    }

    #[test]
    fn grant_debug_redacts_secrets() {
        let g = Grant::Password {
            client_id: "cid".into(),
            client_secret: SecretString::from("topsecret1".to_owned()),
            username: "u@example.com".into(),
            password: SecretString::from("topsecret2".to_owned()),
            security_token: Some(SecretString::from("topsecret3".to_owned())),
        };
        let cfg = OAuthConfig::new(Url::parse(PRODUCTION_LOGIN_URL).unwrap(), g);
        let provider = OAuthTokenProvider::new(cfg.clone()).unwrap();
        for text in [format!("{cfg:?}"), format!("{provider:?}")] {
            assert!(!text.contains("topsecret"), "{text}");
        }
    }

    #[test]
    fn token_url_keeps_login_path() {
        let cfg = OAuthConfig::new(
            Url::parse("https://acme.my.site.com/partners/").unwrap(),
            Grant::ClientCredentials {
                client_id: "c".into(),
                client_secret: SecretString::from("s".to_owned()),
            },
        );
        let p = OAuthTokenProvider::new(cfg).unwrap();
        assert_eq!(
            p.token_url().as_str(),
            "https://acme.my.site.com/partners/services/oauth2/token"
        );
        assert_eq!(p.audience(None), "https://acme.my.site.com");
    }
}
