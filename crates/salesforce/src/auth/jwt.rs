//! The RS256 assertion of the OAuth 2.0 JWT bearer flow (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm>).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::AuthError;

/// How long the assertion is valid; Salesforce requires `exp` within 3 minutes.
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(3 * 60);

/// Claims Salesforce reads from the assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtClaims {
    /// Consumer key (client_id) of the connected / external client app.
    pub iss: String,
    /// Username of the integration user.
    pub sub: String,
    /// Authorization server, e.g. `https://login.salesforce.com`.
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: u64,
}

/// Builds and signs an assertion; the key is parsed per call so it never sits decoded in memory.
pub(crate) fn sign_assertion(
    client_id: &str,
    username: &str,
    audience: &str,
    private_key_pem: &SecretString,
) -> Result<SecretString, AuthError> {
    let key = EncodingKey::from_rsa_pem(private_key_pem.expose_secret().as_bytes())
        .map_err(|e| AuthError::InvalidKey(e.to_string()))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let claims = JwtClaims {
        iss: client_id.to_owned(),
        sub: username.to_owned(),
        aud: audience.to_owned(),
        exp: (now + ASSERTION_LIFETIME).as_secs(),
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
        .map_err(|e| AuthError::InvalidKey(e.to_string()))?;
    Ok(SecretString::from(token))
}
