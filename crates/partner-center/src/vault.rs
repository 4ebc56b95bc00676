//! Where the rotating refresh token lives between processes.
//!
//! Entra replaces the refresh token on every use and each one expires 90
//! days after it was issued; "Securely delete the old refresh token after
//! acquiring a new one"
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens#token-lifetime>).
//! A [`RefreshTokenVault`] keeps the newest one durably: the provider takes
//! its hold before redeeming, and saves the rotated token through the hold
//! before the new access token is used, so no two holders redeem at once and
//! a restart continues from the newest token.

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::auth::AuthError;

/// Lifetime of an Entra refresh token outside single-page apps (90 days;
/// the response does not say, see the module docs).
pub const REFRESH_TOKEN_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(90);

/// A redeemed refresh token's successor, to be saved.
pub struct Rotation {
    /// The new refresh token.
    pub refresh_token: SecretString,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Whether the access token that came with it carries the MFA claim
    /// (`amr` contains `mfa`); `None` when the token is not a readable JWT.
    pub mfa: Option<bool>,
}

/// Durable, shared home of one refresh token.
#[async_trait]
pub trait RefreshTokenVault: Send + Sync {
    /// Takes the exclusive right to redeem the stored token; other holders
    /// (in this or another process) wait until it is saved or dropped.
    async fn hold(&self) -> Result<Box<dyn RefreshTokenHold>, AuthError>;
    /// Records that redeeming failed (credential health); best effort.
    async fn failed(&self, error: &AuthError);
}

/// The right to redeem the stored refresh token once.
#[async_trait]
pub trait RefreshTokenHold: Send {
    /// The newest saved refresh token, if one is stored.
    fn refresh_token(&self) -> Option<SecretString>;
    /// Saves the successor and ends the hold.
    async fn save(self: Box<Self>, rotation: Rotation) -> Result<(), AuthError>;
}

/// Whether an access token carries the MFA claim: its `amr` (authentication
/// methods) claim lists `mfa`
/// (<https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference>).
/// `None` when the token is not a JWT with a readable payload.
pub fn has_mfa_claim(access_token: &str) -> Option<bool> {
    let mut parts = access_token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(
        claims
            .get("amr")
            .and_then(|amr| amr.as_array())
            .is_some_and(|methods| methods.iter().any(|m| m == "mfa")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    #[test]
    fn mfa_claim_is_read_from_amr() {
        let with = jwt(serde_json::json!({"amr": ["pwd", "mfa"]}));
        let without = jwt(serde_json::json!({"amr": ["pwd"]}));
        let none = jwt(serde_json::json!({"sub": "x"}));
        assert_eq!(has_mfa_claim(&with), Some(true));
        assert_eq!(has_mfa_claim(&without), Some(false));
        assert_eq!(has_mfa_claim(&none), Some(false));
        assert_eq!(has_mfa_claim("opaque-token"), None);
    }
}
