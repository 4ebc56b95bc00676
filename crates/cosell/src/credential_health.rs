//! Credential health as an operator reads it: how old each stored
//! credential is, when it is expected to expire, the last successful
//! refresh, the last error with its AADSTS or Salesforce code, whether the
//! sign-in carried MFA, and the one command that fixes it. Read from the
//! store, so `cosell status` shows it whether or not `cosell run` is up.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use store::StoredCredential;

use crate::credentials::{PC_REFRESH_TOKEN, SF_REFRESH_TOKEN};

/// How long before the expected expiry the health turns into a warning.
pub const EXPIRY_WARNING: TimeDelta = TimeDelta::days(14);

/// One stored credential's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialHealth {
    /// Which credential, e.g. `partner_center.refresh_token`.
    pub credential: String,
    /// When an operator signed in.
    pub signed_in_at: DateTime<Utc>,
    /// When the current secret was issued.
    pub obtained_at: DateTime<Utc>,
    /// When it is expected to expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// The last successful refresh.
    pub last_refresh_at: Option<DateTime<Utc>>,
    /// The last failed refresh and when.
    pub last_error: Option<String>,
    /// When it failed.
    pub last_error_at: Option<DateTime<Utc>>,
    /// The error's AADSTS or Salesforce code, e.g. `AADSTS700082`.
    pub error_code: Option<String>,
    /// Whether the last token carried the MFA claim.
    pub mfa: Option<bool>,
    /// The command that signs in again.
    pub fix: String,
}

impl CredentialHealth {
    /// The health of a stored credential.
    pub fn of(stored: &StoredCredential) -> Self {
        // An error older than the last refresh has been overcome.
        let error_is_current = match (stored.last_error_at, stored.last_refresh_at) {
            (Some(failed), Some(refreshed)) => failed > refreshed,
            (Some(_), None) => true,
            _ => false,
        };
        let last_error = stored.last_error.clone().filter(|_| error_is_current);
        Self {
            credential: stored.name.clone(),
            signed_in_at: stored.signed_in_at,
            obtained_at: stored.obtained_at,
            expires_at: stored.expires_at,
            last_refresh_at: stored.last_refresh_at,
            error_code: last_error.as_deref().and_then(error_code),
            last_error,
            last_error_at: stored.last_error_at.filter(|_| error_is_current),
            mfa: stored.mfa,
            fix: fix_for(&stored.name),
        }
    }

    /// Seconds until the expected expiry (negative once past), if known.
    pub fn expires_in(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.expires_at.map(|at| at - now)
    }

    /// Why the credential cannot work until an operator signs in again:
    /// it expired, the identity provider refused it with a code (a current
    /// error, not an outage), or its token lacks the MFA claim Partner
    /// Center requires. None while it works or may recover by itself.
    pub fn broken(&self, now: DateTime<Utc>) -> Option<String> {
        if let (Some(error), Some(_)) = (&self.last_error, &self.error_code) {
            return Some(format!("refresh refused: {error}; fix: {}", self.fix));
        }
        if self.mfa == Some(false) {
            return Some(self.no_mfa());
        }
        let left = self.expires_in(now)?;
        (left <= TimeDelta::zero()).then(|| format!("expired; fix: {}", self.fix))
    }

    fn no_mfa(&self) -> String {
        format!(
            "the token carries no MFA claim, which Partner Center refuses; fix: {} (sign in with MFA)",
            self.fix
        )
    }

    /// What needs an operator now, if anything.
    pub fn problem(&self, now: DateTime<Utc>) -> Option<String> {
        if let Some(error) = &self.last_error {
            return Some(format!("refresh failing: {error}; fix: {}", self.fix));
        }
        if self.mfa == Some(false) {
            return Some(self.no_mfa());
        }
        let left = self.expires_in(now)?;
        if left <= TimeDelta::zero() {
            return Some(format!("expired; fix: {}", self.fix));
        }
        (left <= EXPIRY_WARNING).then(|| {
            format!(
                "expires in {} day(s) unless cosell refreshes it; fix: {}",
                left.num_days(),
                self.fix
            )
        })
    }
}

/// The command that replaces credential `name`.
fn fix_for(name: &str) -> String {
    match name {
        PC_REFRESH_TOKEN => "cosell login partner-center -c FILE".to_owned(),
        SF_REFRESH_TOKEN => "cosell login salesforce -c FILE".to_owned(),
        other => format!("sign in again for {other}"),
    }
}

/// The AADSTS code (Entra) or upper-case error code (Salesforce) an error
/// text names, e.g. `AADSTS700082` or `INVALID_SESSION_ID`.
pub fn error_code(text: &str) -> Option<String> {
    let words = || {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
    };
    let aadsts = words().find(|w| {
        w.strip_prefix("AADSTS")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    });
    let oauth = words().find(|w| {
        matches!(
            *w,
            "invalid_grant"
                | "invalid_client"
                | "invalid_client_id"
                | "inactive_user"
                | "inactive_org"
        )
    });
    aadsts.or(oauth).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> StoredCredential {
        let now = Utc::now();
        StoredCredential {
            name: PC_REFRESH_TOKEN.into(),
            version: 3,
            sealed: vec![1, 2, 3],
            signed_in_at: now - TimeDelta::days(80),
            obtained_at: now - TimeDelta::days(80),
            expires_at: Some(now + TimeDelta::days(10)),
            last_refresh_at: Some(now - TimeDelta::days(80)),
            last_error: None,
            last_error_at: None,
            mfa: Some(true),
        }
    }

    #[test]
    fn codes_are_found_in_error_texts() {
        assert_eq!(
            error_code("token endpoint returned 400 invalid_grant: AADSTS700082: The refresh token has expired").as_deref(),
            Some("AADSTS700082")
        );
        assert_eq!(
            error_code(
                "OAuth token request rejected (HTTP 400): invalid_grant: authentication failure"
            )
            .as_deref(),
            Some("invalid_grant")
        );
        assert_eq!(error_code("connection refused"), None);
    }

    #[test]
    fn a_credential_near_its_expiry_asks_for_a_sign_in() {
        let now = Utc::now();
        let health = CredentialHealth::of(&stored());
        let problem = health.problem(now).unwrap();
        assert!(problem.contains("expires in"), "{problem}");
        assert!(problem.contains("cosell login partner-center"), "{problem}");

        let mut fresh = stored();
        fresh.expires_at = Some(now + TimeDelta::days(60));
        assert_eq!(CredentialHealth::of(&fresh).problem(now), None);

        let mut no_mfa = fresh.clone();
        no_mfa.mfa = Some(false);
        assert!(CredentialHealth::of(&no_mfa)
            .problem(now)
            .unwrap()
            .contains("MFA"));
    }

    #[test]
    fn a_credential_is_broken_only_when_refused_expired_or_without_mfa() {
        let now = Utc::now();
        assert_eq!(CredentialHealth::of(&stored()).broken(now), None);

        let mut outage = stored();
        outage.last_error = Some("token request failed: connection refused".into());
        outage.last_error_at = Some(now);
        assert_eq!(CredentialHealth::of(&outage).broken(now), None);

        let mut refused = stored();
        refused.last_error = Some("invalid_grant: AADSTS700082: expired".into());
        refused.last_error_at = Some(now);
        let reason = CredentialHealth::of(&refused).broken(now).unwrap();
        assert!(reason.contains("AADSTS700082"), "{reason}");
        assert!(reason.contains("cosell login partner-center"), "{reason}");

        let mut expired = stored();
        expired.expires_at = Some(now - TimeDelta::minutes(1));
        assert!(CredentialHealth::of(&expired)
            .broken(now)
            .unwrap()
            .starts_with("expired"));

        let mut no_mfa = stored();
        no_mfa.mfa = Some(false);
        assert!(CredentialHealth::of(&no_mfa)
            .broken(now)
            .unwrap()
            .contains("MFA"));

        let mut salesforce = refused.clone();
        salesforce.name = SF_REFRESH_TOKEN.into();
        let reason = CredentialHealth::of(&salesforce).broken(now).unwrap();
        assert!(reason.contains("cosell login salesforce"), "{reason}");
    }

    #[test]
    fn only_an_error_newer_than_the_last_refresh_counts() {
        let now = Utc::now();
        let mut failing = stored();
        failing.last_error = Some("invalid_grant: AADSTS700082: expired".into());
        failing.last_error_at = Some(now);
        let health = CredentialHealth::of(&failing);
        assert_eq!(health.error_code.as_deref(), Some("AADSTS700082"));
        assert!(health.problem(now).unwrap().starts_with("refresh failing"));

        failing.last_refresh_at = Some(now + TimeDelta::seconds(1));
        assert_eq!(CredentialHealth::of(&failing).last_error, None);
    }
}
