//! The warning log line days before a stored credential expires: every
//! [`CHECK_INTERVAL`] (and at start) each credential with a problem (expiring
//! within [`EXPIRY_WARNING`](crate::credential_health::EXPIRY_WARNING),
//! expired, refused, or without MFA) is logged at WARN with the fix, so an
//! operator's log alerting sees it before the connector stops.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use store::StoredCredential;
use tokio_util::sync::CancellationToken;

use super::AppState;
use crate::credential_health::CredentialHealth;

/// How often the stored credentials are looked at.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(6 * 60 * 60);

/// Each credential that needs an operator, with what to do.
pub fn problems(
    stored: &[StoredCredential],
    now: DateTime<Utc>,
) -> Vec<(CredentialHealth, String)> {
    stored
        .iter()
        .map(CredentialHealth::of)
        .filter_map(|health| {
            let problem = health.problem(now)?;
            Some((health, problem))
        })
        .collect()
}

/// Logs the credentials' problems every `interval` until shutdown.
pub async fn watch(state: Arc<AppState>, interval: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = shutdown.cancelled() => break,
        }
        let stored = match state.store.credentials().await {
            Ok(stored) => stored,
            Err(error) => {
                tracing::warn!(%error, "could not read the stored credentials");
                continue;
            }
        };
        let now = Utc::now();
        for (health, problem) in problems(&stored, now) {
            tracing::warn!(
                credential = %health.credential,
                days_left = health.expires_in(now).map(|left| left.num_days()),
                code = health.error_code.as_deref().unwrap_or(""),
                fix = %health.fix,
                "credential needs a sign-in: {problem}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::credentials::PC_REFRESH_TOKEN;

    fn expiring_in(days: i64) -> StoredCredential {
        let now = Utc::now();
        StoredCredential {
            name: PC_REFRESH_TOKEN.into(),
            version: 1,
            sealed: vec![0],
            signed_in_at: now,
            obtained_at: now,
            expires_at: Some(now + TimeDelta::days(days)),
            last_refresh_at: Some(now),
            last_error: None,
            last_error_at: None,
            mfa: Some(true),
        }
    }

    #[test]
    fn a_warning_comes_days_before_expiry_and_not_earlier() {
        let now = Utc::now();
        assert!(problems(&[expiring_in(60)], now).is_empty());
        let warned = problems(&[expiring_in(60), expiring_in(5)], now);
        assert_eq!(warned.len(), 1);
        assert!(
            warned[0].1.contains("expires in 5 day(s)"),
            "{}",
            warned[0].1
        );
        assert!(warned[0].1.contains("cosell login partner-center"));
    }
}
