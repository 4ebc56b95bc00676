//! What can go wrong serving the dashboard, with the status code and the
//! message a person (or a script) sees. Store and rendering failures are
//! logged with their cause and shown only as a generic message.

use axum::http::StatusCode;
use uuid::Uuid;

/// Why a dashboard request failed.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// A path id that is not a UUID.
    #[error(
        "{0:?} is not a valid id: expected a UUID such as 0190a5b2-7c1e-7def-8a00-000000000000"
    )]
    BadId(String),
    /// A `state` filter that names no pair state.
    #[error("unknown state {0:?}: use synced, on_hold, closed or failed")]
    BadState(String),
    /// A `page` parameter that is not a positive number.
    #[error("page {0:?} is not a page number: use 1, 2, 3...")]
    BadPage(String),
    /// No pair has this id.
    #[error("no pair with id {0}")]
    PairNotFound(Uuid),
    /// No AWS link has this id.
    #[error("no AWS link with id {0}")]
    LinkNotFound(Uuid),
    /// No job has this id.
    #[error("no job with id {0}")]
    JobNotFound(Uuid),
    /// The job exists but is not dead-lettered, so there is nothing to retry.
    #[error("job {id} is {state}, not dead: only dead letters can be retried")]
    NotDead {
        /// The job.
        id: Uuid,
        /// Its current state.
        state: &'static str,
    },
    /// A state-changing request sent from another site (CSRF).
    #[error("cross-site request refused: open the dashboard itself and use its buttons")]
    CrossSite,
    /// A path under `/api/` that does not exist.
    #[error("no such API endpoint: {0}")]
    NoRoute(String),
    /// The store failed; details are in the logs.
    #[error("the store failed: {0}")]
    Store(#[from] store::StoreError),
    /// A template failed to render; details are in the logs.
    #[error("rendering failed: {0}")]
    Render(#[from] askama::Error),
}

impl DashboardError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadId(_) | Self::BadState(_) | Self::BadPage(_) => StatusCode::BAD_REQUEST,
            Self::PairNotFound(_)
            | Self::LinkNotFound(_)
            | Self::JobNotFound(_)
            | Self::NoRoute(_) => StatusCode::NOT_FOUND,
            Self::NotDead { .. } => StatusCode::CONFLICT,
            Self::CrossSite => StatusCode::FORBIDDEN,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message shown to the client; internal failures are logged here
    /// and replaced by a generic sentence.
    pub fn public_message(&self) -> String {
        match self {
            Self::Store(e) => {
                tracing::error!(error = %e, "dashboard: store query failed");
                "the connector's database did not answer; see the service logs".to_owned()
            }
            Self::Render(e) => {
                tracing::error!(error = %e, "dashboard: template rendering failed");
                "the page could not be rendered; see the service logs".to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// Parses a path id.
pub(crate) fn parse_id(text: &str) -> Result<Uuid, DashboardError> {
    Uuid::parse_str(text).map_err(|_| DashboardError::BadId(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_the_kind_of_problem() {
        assert_eq!(DashboardError::BadId("x".into()).status(), 400);
        assert_eq!(DashboardError::PairNotFound(Uuid::nil()).status(), 404);
        assert_eq!(DashboardError::LinkNotFound(Uuid::nil()).status(), 404);
        assert_eq!(DashboardError::JobNotFound(Uuid::nil()).status(), 404);
        assert_eq!(
            DashboardError::NotDead {
                id: Uuid::nil(),
                state: "pending"
            }
            .status(),
            409
        );
        assert_eq!(DashboardError::CrossSite.status(), 403);
    }

    #[test]
    fn bad_ids_are_rejected_and_named() {
        let err = parse_id("not-a-uuid").unwrap_err();
        assert!(err.to_string().contains("\"not-a-uuid\""));
        assert!(parse_id("0190a5b2-7c1e-7def-8a00-000000000000").is_ok());
    }
}
