//! Partner Center's error shape (`{"error":{"code","message","target"}}`,
//! <https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-response-codes>) and the fault renderer the control layer uses.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::control::FaultRenderer;

/// The top-level error codes Partner Center documents (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-response-codes>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 403: the caller may not do this.
    AccessDenied,
    /// 500: unexpected server failure.
    GeneralException,
    /// 400 (and other 4xx): the request is malformed or breaks a rule.
    InvalidRequest,
    /// 404: no such resource.
    ItemNotFound,
    /// 412: `If-Match` does not match the current ETag.
    PreconditionFailed,
    /// 409: the resource changed under the caller.
    ResourceModified,
    /// 503 / 429: try again later.
    ServiceNotAvailable,
    /// 401: missing, invalid or expired bearer token.
    Unauthenticated,
    /// 401: an App+User token without the MFA claim (error code 900421).
    MfaRequired,
}

impl ErrorCode {
    /// The wire spelling of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessDenied => "accessDenied",
            Self::GeneralException => "generalException",
            Self::InvalidRequest => "invalidRequest",
            Self::ItemNotFound => "itemNotFound",
            Self::PreconditionFailed => "preconditionFailed",
            Self::ResourceModified => "resourceModified",
            Self::ServiceNotAvailable => "serviceNotAvailable",
            Self::Unauthenticated => "unauthenticated",
            Self::MfaRequired => "900421",
        }
    }
}

/// A refused request, rendered as Partner Center renders it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {}: {message}", code.as_str())]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// Machine-readable code clients key on.
    pub code: ErrorCode,
    /// Human text (never a secret).
    pub message: String,
    /// The offending property or resource, when there is one.
    pub target: Option<String>,
    retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            target: None,
            retry_after: None,
        }
    }

    /// 400 invalidRequest.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    /// 400 invalidRequest naming the offending property.
    pub fn invalid_at(target: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(message).with_target(target)
    }

    /// 404 itemNotFound.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::ItemNotFound, message)
    }

    /// 401 unauthenticated (answered with `WWW-Authenticate: Bearer`).
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            message,
        )
    }

    /// 403 accessDenied.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::AccessDenied, message)
    }

    /// 412 preconditionFailed.
    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            ErrorCode::PreconditionFailed,
            message,
        )
    }

    /// 415 invalidRequest for a body that is not JSON.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::InvalidRequest,
            message,
        )
    }

    /// 429 with `Retry-After`.
    pub fn throttled(retry_after: Duration) -> Self {
        // `Retry-After` is whole seconds (RFC 9110 §10.2.3); round up so a
        // client that waits exactly that long is not refused again.
        let retry_after =
            Duration::from_secs(retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0));
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::ServiceNotAvailable,
            format!(
                "Too many requests. Retry after {} seconds.",
                retry_after.as_secs()
            ),
        );
        err.retry_after = Some(retry_after);
        err
    }

    /// Names the offending property.
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// The JSON body Partner Center sends for this error.
    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({ "code": self.code.as_str(), "message": self.message });
        if let Some(target) = &self.target {
            error["target"] = json!(target);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(retry) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry.as_secs()));
        }
        response
    }
}

/// Default `Retry-After` for an injected 503.
const INJECTED_503_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Renders injected faults as Partner Center errors.
pub(crate) struct PcFaults;

/// Entra's code for a transient failure ("AADSTS90033: A transient error has
/// occurred. Please try again.").
const ENTRA_TRANSIENT: u32 = 90033;

/// True for the Entra token endpoint, which answers in Entra's error shape.
fn is_token_route(route: &str) -> bool {
    route.contains("/oauth2/")
}

/// An Entra-shaped transient failure with `Retry-After`.
fn entra_unavailable(status: StatusCode, retry_after: Duration) -> Response {
    let mut response = super::auth::entra(
        status,
        "temporarily_unavailable",
        ENTRA_TRANSIENT,
        "A transient error has occurred. Please try again.",
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after.as_secs()),
    );
    response
}

impl FaultRenderer for PcFaults {
    fn error(&self, kind: &str, route: &str) -> Response {
        let status = kind
            .parse::<u16>()
            .ok()
            .and_then(|code| StatusCode::from_u16(code).ok())
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if is_token_route(route) {
            return entra_unavailable(status, INJECTED_503_RETRY_AFTER);
        }
        let message = format!("Injected fault: {kind}");
        let err = match status.as_u16() {
            429 => ApiError::throttled(INJECTED_503_RETRY_AFTER),
            503 => {
                let mut e = ApiError::new(status, ErrorCode::ServiceNotAvailable, message);
                e.retry_after = Some(INJECTED_503_RETRY_AFTER);
                e
            }
            400 => ApiError::invalid(message),
            401 => ApiError::unauthenticated(message),
            403 => ApiError::access_denied(message),
            404 => ApiError::not_found(message),
            409 => ApiError::new(status, ErrorCode::ResourceModified, message),
            412 => ApiError::precondition_failed(message),
            s if s >= 500 => ApiError::new(status, ErrorCode::GeneralException, message),
            _ => ApiError::new(status, ErrorCode::InvalidRequest, message),
        };
        err.into_response()
    }

    fn throttled(&self, retry_after: Duration, route: &str) -> Response {
        if is_token_route(route) {
            return entra_unavailable(StatusCode::TOO_MANY_REQUESTS, retry_after);
        }
        ApiError::throttled(retry_after).into_response()
    }
}
