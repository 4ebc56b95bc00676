//! The overview's credential health: each credential kept in the store with
//! its age, expected expiry, last successful refresh, the last error with
//! its AADSTS or Salesforce code, whether its token carried MFA, and the one
//! `cosell login ...` command that fixes it. The sealed secret never leaves
//! the store: only [`CredentialHealth`] is read.

use chrono::{DateTime, Utc};
use serde::Serialize;
use store::Store;

use super::error::DashboardError;
use super::format::When;
use crate::credential_health::CredentialHealth;

/// How a credential is doing, for the badge and `data-status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    /// Works, nothing to do.
    Ok,
    /// Works for now; needs a sign-in soon (or a failure may pass by itself).
    Warning,
    /// Cannot work until someone signs in again.
    Broken,
}

impl CredentialStatus {
    /// The name used as CSS class and in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Broken => "broken",
        }
    }
}

/// One credential as the overview shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialView {
    /// Everything known about it (no secret).
    #[serde(flatten)]
    pub health: CredentialHealth,
    /// Ok, warning or broken.
    pub status: CredentialStatus,
    /// What needs an operator, with the fix; None when nothing does.
    pub problem: Option<String>,
    /// Whole days until the expected expiry (negative once past).
    pub expires_in_days: Option<i64>,
}

impl CredentialView {
    /// The view of `health` at `now`.
    pub fn new(health: CredentialHealth, now: DateTime<Utc>) -> Self {
        let broken = health.broken(now);
        let problem = broken.clone().or_else(|| health.problem(now));
        let status = match (&broken, &problem) {
            (Some(_), _) => CredentialStatus::Broken,
            (None, Some(_)) => CredentialStatus::Warning,
            (None, None) => CredentialStatus::Ok,
        };
        Self {
            expires_in_days: health.expires_in(now).map(|left| left.num_days()),
            health,
            status,
            problem,
        }
    }

    /// When the operator signed in (the age of the credential).
    pub fn signed_in(&self) -> When {
        When::of(Some(self.health.signed_in_at))
    }

    /// When the current secret was issued.
    pub fn obtained(&self) -> When {
        When::of(Some(self.health.obtained_at))
    }

    /// The last successful refresh.
    pub fn last_refresh(&self) -> When {
        When::of(self.health.last_refresh_at)
    }

    /// When the last error happened.
    pub fn last_error_at(&self) -> When {
        When::of(self.health.last_error_at)
    }

    /// The expected expiry as read: date and days left, or "unknown".
    pub fn expiry_text(&self) -> String {
        match (self.health.expires_at, self.expires_in_days) {
            (Some(at), Some(days)) if days < 0 => {
                format!("expired {} ({} day(s) ago)", at.format("%Y-%m-%d"), -days)
            }
            (Some(at), Some(days)) => format!("{} (in {days} day(s))", at.format("%Y-%m-%d")),
            _ => "no expiry known".to_owned(),
        }
    }

    /// What is wrong, without the fix (shown on its own line) and not when
    /// the last error says it already.
    pub fn headline(&self) -> Option<&str> {
        if self.health.last_error.is_some() {
            return None;
        }
        let problem = self.problem.as_deref()?;
        let fix = format!("; fix: {}", self.health.fix);
        Some(problem.split_once(&fix).map_or(problem, |(head, _)| head))
    }

    /// The MFA state as read.
    pub fn mfa_text(&self) -> &'static str {
        match self.health.mfa {
            Some(true) => "MFA",
            Some(false) => "no MFA",
            None => "unknown",
        }
    }
}

/// The health of every stored credential, by name.
pub async fn views(store: &dyn Store) -> Result<Vec<CredentialView>, DashboardError> {
    let now = Utc::now();
    Ok(store
        .credentials()
        .await?
        .iter()
        .map(|stored| CredentialView::new(CredentialHealth::of(stored), now))
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use store::StoredCredential;

    use super::*;
    use crate::credentials::PC_REFRESH_TOKEN;

    fn view(edit: impl FnOnce(&mut StoredCredential)) -> CredentialView {
        let now = Utc::now();
        let mut stored = StoredCredential {
            name: PC_REFRESH_TOKEN.into(),
            version: 1,
            sealed: vec![0],
            signed_in_at: now - TimeDelta::days(3),
            obtained_at: now - TimeDelta::hours(1),
            expires_at: Some(now + TimeDelta::days(89)),
            last_refresh_at: Some(now - TimeDelta::hours(1)),
            last_error: None,
            last_error_at: None,
            mfa: Some(true),
        };
        edit(&mut stored);
        CredentialView::new(CredentialHealth::of(&stored), now)
    }

    #[test]
    fn the_status_follows_the_health() {
        let fine = view(|_| {});
        assert_eq!(fine.status, CredentialStatus::Ok);
        assert_eq!(fine.problem, None);
        assert!(
            fine.expiry_text().contains("in 89 day(s)"),
            "{}",
            fine.expiry_text()
        );

        let soon = view(|c| c.expires_at = Some(Utc::now() + TimeDelta::days(3)));
        assert_eq!(soon.status, CredentialStatus::Warning);
        let headline = soon.headline().unwrap();
        assert!(headline.starts_with("expires in 3 day(s)"), "{headline}");
        assert!(
            !headline.contains("fix:"),
            "the fix has its own line: {headline}"
        );

        let refused = view(|c| {
            c.last_error = Some("invalid_grant: AADSTS700082: expired".into());
            c.last_error_at = Some(Utc::now());
        });
        assert_eq!(refused.status, CredentialStatus::Broken);
        assert_eq!(refused.headline(), None, "the error line says it");
        assert!(refused
            .problem
            .as_deref()
            .unwrap()
            .contains("cosell login partner-center"));

        let expired = view(|c| c.expires_at = Some(Utc::now() - TimeDelta::days(2)));
        assert_eq!(expired.status, CredentialStatus::Broken);
        assert!(
            expired.expiry_text().starts_with("expired"),
            "{}",
            expired.expiry_text()
        );
    }
}
