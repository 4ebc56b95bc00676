//! Entra's device authorization grant, for signing the Referrals admin in
//! from a terminal: ask `/devicecode` for a code, show it, poll the token
//! endpoint at the given interval until the person approves or declines it
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code>,
//! RFC 8628 §3.4–3.5 for `slow_down` and `access_denied`).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::auth::{is_transient_token_failure, AuthError};
use crate::error::{describe_reqwest, transport_kind};

/// Grant type of the device code poll.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// What `slow_down` adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// A code for the person to enter, from `/devicecode`.
#[derive(Clone, Deserialize)]
pub struct DeviceAuthorization {
    /// Sent back on every poll; a secret.
    #[serde(deserialize_with = "secret")]
    pub device_code: SecretString,
    /// What the person types.
    pub user_code: String,
    /// Where the person signs in.
    pub verification_uri: String,
    /// Seconds until the codes expire.
    pub expires_in: u64,
    /// Seconds to wait between polls.
    #[serde(default = "default_interval")]
    pub interval: u64,
    /// Entra's instructions for the person.
    #[serde(default)]
    pub message: Option<String>,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    String::deserialize(d).map(SecretString::from)
}

fn default_interval() -> u64 {
    5
}

/// Tokens from an approved sign-in.
pub struct SignedIn {
    /// The access token (to read its claims).
    pub access_token: SecretString,
    /// The refresh token to keep.
    pub refresh_token: SecretString,
}

/// What one poll found.
pub enum PollOutcome {
    /// Not yet: poll again after the interval.
    Pending,
    /// Polled too fast: add [`SLOW_DOWN_STEP`] to the interval.
    SlowDown,
    /// The person approved.
    SignedIn(SignedIn),
    /// The person declined (`authorization_declined`, or RFC 8628's `access_denied`).
    Declined,
    /// The codes expired before anyone signed in.
    Expired,
}

/// The device code endpoint next to a v2 token endpoint
/// (`…/oauth2/v2.0/token` → `…/oauth2/v2.0/devicecode`).
pub fn device_code_url(token_url: &Url) -> Result<Url, AuthError> {
    let path = token_url.path();
    let base = path
        .strip_suffix("/token")
        .ok_or_else(|| AuthError::Config(format!("{token_url} is not an Entra v2 token URL")))?;
    let mut url = token_url.clone();
    url.set_path(&format!("{base}/devicecode"));
    Ok(url)
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<i64>,
    #[serde(default)]
    correlation_id: Option<String>,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
}

async fn post(
    http: &reqwest::Client,
    url: &Url,
    form: &[(&str, &str)],
) -> Result<(u16, Vec<u8>), AuthError> {
    let transport = |e: reqwest::Error| AuthError::Transport {
        kind: transport_kind(&e),
        message: describe_reqwest(e),
    };
    let response = http
        .post(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .map_err(transport)?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(transport)?;
    Ok((status, body.to_vec()))
}

fn failure(status: u16, body: &[u8]) -> AuthError {
    match serde_json::from_slice::<OAuthError>(body) {
        Ok(e) => AuthError::Entra {
            status,
            error: e.error,
            description: e.error_description.unwrap_or_default(),
            codes: e.error_codes,
            correlation_id: e.correlation_id,
        },
        Err(_) => AuthError::Decode {
            status,
            message: "non-success status without an OAuth error body".into(),
        },
    }
}

/// Asks for a device code and user code for `scope`.
pub async fn start(
    http: &reqwest::Client,
    token_url: &Url,
    client_id: &str,
    scope: &str,
) -> Result<DeviceAuthorization, AuthError> {
    let url = device_code_url(token_url)?;
    let (status, body) = post(http, &url, &[("client_id", client_id), ("scope", scope)]).await?;
    if !(200..300).contains(&status) {
        return Err(failure(status, &body));
    }
    serde_json::from_slice(&body).map_err(|_| AuthError::Decode {
        status,
        message: "the device code response is not the documented JSON".into(),
    })
}

/// Polls once. Transient failures (throttling, outages) come back as errors
/// for which [`AuthError::is_transient`] holds; the caller polls again.
pub async fn poll(
    http: &reqwest::Client,
    token_url: &Url,
    client_id: &str,
    client_secret: Option<&SecretString>,
    authorization: &DeviceAuthorization,
) -> Result<PollOutcome, AuthError> {
    let mut form = vec![
        ("grant_type", DEVICE_CODE_GRANT),
        ("client_id", client_id),
        ("device_code", authorization.device_code.expose_secret()),
    ];
    if let Some(secret) = client_secret {
        form.push(("client_secret", secret.expose_secret()));
    }
    let (status, body) = post(http, token_url, &form).await?;
    if (200..300).contains(&status) {
        let tokens: TokenBody = serde_json::from_slice(&body).map_err(|_| AuthError::Decode {
            status,
            message: "response is not a token response".into(),
        })?;
        let refresh_token = tokens.refresh_token.ok_or_else(|| {
            AuthError::Config(
                "Entra returned no refresh token: the scope must include offline_access".into(),
            )
        })?;
        return Ok(PollOutcome::SignedIn(SignedIn {
            access_token: SecretString::from(tokens.access_token),
            refresh_token: SecretString::from(refresh_token),
        }));
    }
    let error = failure(status, &body);
    if let AuthError::Entra { error: code, .. } = &error {
        if !is_transient_token_failure(status, Some(code)) {
            match code.as_str() {
                "authorization_pending" => return Ok(PollOutcome::Pending),
                "slow_down" => return Ok(PollOutcome::SlowDown),
                "authorization_declined" | "access_denied" => return Ok(PollOutcome::Declined),
                "expired_token" => return Ok(PollOutcome::Expired),
                _ => {}
            }
        }
    }
    Err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_code_url_sits_next_to_the_token_url() {
        let token =
            Url::parse("https://login.microsoftonline.com/contoso/oauth2/v2.0/token").unwrap();
        assert_eq!(
            device_code_url(&token).unwrap().as_str(),
            "https://login.microsoftonline.com/contoso/oauth2/v2.0/devicecode"
        );
        assert!(device_code_url(&Url::parse("https://x/oauth2/authorize").unwrap()).is_err());
    }

    #[test]
    fn debug_hides_the_device_code() {
        let auth: DeviceAuthorization = serde_json::from_str(
            r#"{"device_code":"secret-device-code","user_code":"ABC","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5}"#,
        )
        .unwrap();
        assert!(!format!("{auth:?}").contains("secret-device-code"));
    }
}
