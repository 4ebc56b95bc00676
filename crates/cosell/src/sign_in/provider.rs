//! The partner's Entra ID tenant as an OpenID provider: its discovery
//! document and signing keys (cached), the token request that redeems an
//! authorization code (the `oauth2` crate, with the PKCE verifier), and the
//! checks on the ID token that comes back (`jsonwebtoken`: RS256 signature
//! by a key of the tenant's JWKS, `iss`, `aud`, `exp`; then `nonce`).
//!
//! Entra's rules followed here: "OpenID Connect on the Microsoft identity
//! platform" (<https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc>)
//! and "ID token claims reference"
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference>).

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeVerifier, RedirectUrl, RequestTokenError,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::SignInConfig;

/// How long the discovery document and keys are used before being fetched again.
const METADATA_TTL: Duration = Duration::from_secs(24 * 3600);
/// Longest wait for Entra ID.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a sign-in could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Discovery or keys could not be fetched.
    #[error("Entra ID could not be reached at {url}: {reason}")]
    Unreachable {
        /// What was fetched.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The token endpoint refused the code.
    #[error("Entra ID refused the sign-in: {0}")]
    Refused(String),
    /// The ID token failed a check.
    #[error("the ID token from Entra ID is not valid: {0}")]
    BadIdToken(String),
}

/// The parts of the discovery document cosell uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// `iss` of every token the tenant issues.
    pub issuer: String,
    /// Where people are sent to sign in.
    pub authorization_endpoint: String,
    /// Where codes are redeemed.
    pub token_endpoint: String,
    /// The tenant's signing keys.
    pub jwks_uri: String,
}

/// The ID token field of a token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenField {
    /// The signed ID token; absent when `openid` was not granted.
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

/// The `oauth2` client for the tenant's endpoints.
pub type OidcClient = Client<
    BasicErrorResponse,
    StandardTokenResponse<IdTokenField, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The claims of an Entra ID token cosell reads.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    /// The user's object id.
    pub oid: Option<String>,
    /// The sign-in name (UPN or email).
    pub preferred_username: Option<String>,
    /// Email address, with the `email` scope.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Echo of the authorize request's nonce.
    pub nonce: Option<String>,
    /// Security group object ids, when the app registration emits them.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Present when the user is in too many groups for the token ("overage").
    #[serde(rename = "_claim_names")]
    pub claim_names: Option<serde_json::Value>,
}

struct Cached {
    metadata: Metadata,
    keys: JwkSet,
    fetched: Instant,
}

/// The tenant, its cached metadata and keys.
pub struct Provider {
    http: reqwest::Client,
    config: SignInConfig,
    cache: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("authority", &self.config.authority.as_str())
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// The provider of `config`'s tenant.
    pub fn new(config: SignInConfig) -> reqwest::Result<Self> {
        let http = reqwest::Client::builder()
            // Token responses must not be followed elsewhere (the oauth2 crate's advice).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()?;
        Ok(Self {
            http,
            config,
            cache: Mutex::new(None),
        })
    }

    /// The sign-in settings.
    pub fn config(&self) -> &SignInConfig {
        &self.config
    }

    /// The discovery document, fetched at most once a day.
    pub async fn metadata(&self) -> Result<Metadata, ProviderError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache
            .as_ref()
            .filter(|c| c.fetched.elapsed() < METADATA_TTL)
        {
            return Ok(cached.metadata.clone());
        }
        let fresh = self.fetch().await?;
        let metadata = fresh.metadata.clone();
        *cache = Some(fresh);
        Ok(metadata)
    }

    async fn fetch(&self) -> Result<Cached, ProviderError> {
        let url = format!(
            "{}/v2.0/.well-known/openid-configuration",
            self.config.authority.as_str().trim_end_matches('/')
        );
        let metadata: Metadata = self.get_json(&url).await?;
        let keys: JwkSet = self.get_json(&metadata.jwks_uri).await?;
        Ok(Cached {
            metadata,
            keys,
            fetched: Instant::now(),
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, ProviderError> {
        let unreachable = |reason: String| ProviderError::Unreachable {
            url: url.to_owned(),
            reason,
        };
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(unreachable(format!("HTTP {status}")));
        }
        response
            .json()
            .await
            .map_err(|e| unreachable(format!("unexpected answer: {}", e.without_url())))
    }

    /// The `oauth2` client for the endpoints of `metadata`.
    pub fn client(&self, metadata: &Metadata) -> Result<OidcClient, ProviderError> {
        let bad = |e: url::ParseError| ProviderError::Unreachable {
            url: self.config.authority.to_string(),
            reason: format!("the discovery document names an invalid endpoint: {e}"),
        };
        Ok(Client::new(ClientId::new(self.config.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                self.config.client_secret.expose_secret().to_owned(),
            ))
            // client_secret_post, as the flow's documentation shows.
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::new(metadata.authorization_endpoint.clone()).map_err(bad)?)
            .set_token_uri(TokenUrl::new(metadata.token_endpoint.clone()).map_err(bad)?)
            .set_redirect_uri(RedirectUrl::new(self.config.redirect_url.to_string()).map_err(bad)?))
    }

    /// Redeems `code` with the PKCE verifier; returns the checked ID token's claims.
    pub async fn redeem(
        &self,
        code: String,
        verifier: String,
        nonce: &str,
    ) -> Result<IdClaims, ProviderError> {
        let metadata = self.metadata().await?;
        let client = self.client(&metadata)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => ProviderError::Refused(format!(
                    "{}{}",
                    r.error(),
                    r.error_description()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                )),
                other => ProviderError::Unreachable {
                    url: metadata.token_endpoint.clone(),
                    reason: other.to_string(),
                },
            })?;
        let id_token = response.extra_fields().id_token.clone().ok_or_else(|| {
            ProviderError::BadIdToken("the token response has no id_token".into())
        })?;
        self.validate(&id_token, nonce).await
    }

    /// Checks an ID token: signature by a tenant key, issuer, audience,
    /// expiry, then the nonce of this sign-in.
    pub async fn validate(&self, id_token: &str, nonce: &str) -> Result<IdClaims, ProviderError> {
        let bad = |e: String| ProviderError::BadIdToken(e);
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| bad(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(bad(format!(
                "it is signed with {:?}, not RS256",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| bad("its header names no key (kid)".into()))?;
        let (key, issuer) = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[self.config.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
            .map_err(|e| bad(e.to_string()))?
            .claims;
        let same = claims.nonce.as_deref().is_some_and(|n| {
            aws_lc_rs::constant_time::verify_slices_are_equal(n.as_bytes(), nonce.as_bytes())
                .is_ok()
        });
        if !same {
            return Err(bad("its nonce is not the one this sign-in sent".into()));
        }
        Ok(claims)
    }

    /// The decoding key named `kid` and the issuer; fetches the keys again
    /// once when the tenant rolled its keys over.
    async fn key(&self, kid: &str) -> Result<(DecodingKey, String), ProviderError> {
        let find = |cached: &Cached| {
            cached
                .keys
                .find(kid)
                .map(|jwk| (DecodingKey::from_jwk(jwk), cached.metadata.issuer.clone()))
        };
        let mut cache = self.cache.lock().await;
        let found = match cache.as_ref().and_then(find) {
            Some(found) => found,
            None => {
                let fresh = self.fetch().await?;
                let found = find(&fresh);
                *cache = Some(fresh);
                found.ok_or_else(|| {
                    ProviderError::BadIdToken(format!("no key {kid:?} in the tenant's JWKS"))
                })?
            }
        };
        let (key, issuer) = found;
        Ok((
            key.map_err(|e| ProviderError::BadIdToken(e.to_string()))?,
            issuer,
        ))
    }
}
