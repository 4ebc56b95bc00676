//! Errors of the Partner Center clients.
//!
//! API errors are typed from the documented body
//! `{"error":{"code","message","target","innerError"}}` (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-response-codes>); clients must key on
//! `code`, never on `message`. No error ever carries a token or secret: request
//! headers are never copied into errors and transport errors are stripped of URLs.

use serde::Deserialize;
use serde_json::Value;

use crate::auth::AuthError;
use crate::retry::{is_retryable_status, RetryClass};

/// Longest body excerpt kept in an error when the body is not the documented JSON.
const MAX_BODY_EXCERPT: usize = 512;

/// Top-level error codes of the Referrals API (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-response-codes>); unknown codes are kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `accessDenied` (403): missing role.
    AccessDenied,
    /// `generalException` (500).
    GeneralException,
    /// `invalidRequest` (400): validation or illegal transition.
    InvalidRequest,
    /// `itemNotFound` (404).
    ItemNotFound,
    /// `preconditionFailed` (412): `If-Match` did not match.
    PreconditionFailed,
    /// `resourceModified` (409/412): concurrent change.
    ResourceModified,
    /// `serviceNotAvailable` (503).
    ServiceNotAvailable,
    /// `unauthenticated` (401).
    Unauthenticated,
    /// Any other code, verbatim.
    Other(String),
}

impl ErrorCode {
    /// Parses a code case-insensitively (the doc example itself writes `unAuthorized`).
    pub fn parse(code: &str) -> Self {
        const KNOWN: &[(&str, ErrorCode)] = &[
            ("accessDenied", ErrorCode::AccessDenied),
            ("generalException", ErrorCode::GeneralException),
            ("invalidRequest", ErrorCode::InvalidRequest),
            ("itemNotFound", ErrorCode::ItemNotFound),
            ("preconditionFailed", ErrorCode::PreconditionFailed),
            ("resourceModified", ErrorCode::ResourceModified),
            ("serviceNotAvailable", ErrorCode::ServiceNotAvailable),
            ("unauthenticated", ErrorCode::Unauthenticated),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(code))
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| ErrorCode::Other(code.to_owned()))
    }

    /// The code a bare status implies when the body carries none (an inference; the
    /// service documents the body, but gateways answer 429/503 with empty bodies).
    pub fn from_status(status: u16) -> Self {
        match status {
            400 => ErrorCode::InvalidRequest,
            401 => ErrorCode::Unauthenticated,
            403 => ErrorCode::AccessDenied,
            404 => ErrorCode::ItemNotFound,
            412 => ErrorCode::PreconditionFailed,
            503 => ErrorCode::ServiceNotAvailable,
            500 => ErrorCode::GeneralException,
            other => ErrorCode::Other(format!("http{other}")),
        }
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::AccessDenied => "accessDenied",
            ErrorCode::GeneralException => "generalException",
            ErrorCode::InvalidRequest => "invalidRequest",
            ErrorCode::ItemNotFound => "itemNotFound",
            ErrorCode::PreconditionFailed => "preconditionFailed",
            ErrorCode::ResourceModified => "resourceModified",
            ErrorCode::ServiceNotAvailable => "serviceNotAvailable",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Other(s) => s,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The documented error envelope.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ApiErrorBody {
    /// The error object.
    pub error: ApiErrorDetail,
}

/// The `error` object; `innerError` may nest recursively.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorDetail {
    /// Machine-readable code.
    #[serde(default)]
    pub code: Option<String>,
    /// Human text (not localised, at most 1024 chars).
    #[serde(default)]
    pub message: Option<String>,
    /// What the error is about, e.g. `referral`.
    #[serde(default)]
    pub target: Option<String>,
    /// More specific error, possibly nested.
    #[serde(default, alias = "innererror")]
    pub inner_error: Option<Value>,
}

/// Everything that can go wrong talking to Partner Center.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The service answered with a non-success status.
    #[error("Partner Center API error {status} {code}: {message}{}", fmt_request_id(.request_id))]
    Api {
        /// HTTP status.
        status: u16,
        /// Typed error code from the body (or implied by the status).
        code: ErrorCode,
        /// Human message from the body.
        message: String,
        /// `target` from the body.
        target: Option<String>,
        /// `innerError` from the body (boxed to keep `Error` small).
        inner_error: Option<Box<Value>>,
        /// `request-id` / `MS-RequestId` response header, for support cases.
        request_id: Option<String>,
        /// Seconds asked by `Retry-After`, if any.
        retry_after: Option<std::time::Duration>,
    },
    /// The request could not be sent or the response not read.
    #[error("transport error ({kind}): {message}")]
    Transport {
        /// What failed.
        kind: TransportKind,
        /// Description without URL or headers.
        message: String,
    },
    /// Getting an access token failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A success response body could not be decoded.
    #[error("could not decode response: {message}{}", fmt_request_id(.request_id))]
    Decode {
        /// Decoder message.
        message: String,
        /// `request-id` response header.
        request_id: Option<String>,
    },
    /// The caller passed something this client refuses to send.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

fn fmt_request_id(id: &Option<String>) -> String {
    id.as_deref()
        .map(|id| format!(" (request-id {id})"))
        .unwrap_or_default()
}

/// Kinds of transport failure, used to decide whether to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not connect.
    Connect,
    /// The request or response timed out.
    Timeout,
    /// The connection failed while sending or reading (e.g. dropped mid-response).
    Io,
    /// Anything else (e.g. building the request); not transient.
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "connect",
            TransportKind::Timeout => "timeout",
            TransportKind::Io => "io",
            TransportKind::Other => "other",
        })
    }
}

impl Error {
    /// What this error means for retrying the call: the one classification
    /// every retry decision starts from. 429, and a 5xx that names a
    /// `Retry-After`, are throttling; other 5xx, timeouts and connection
    /// errors are transient; any other 4xx, undecodable success bodies and
    /// refused input are permanent.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Error::Api {
                status,
                retry_after,
                ..
            } if *status == 429 || (retry_after.is_some() && is_retryable_status(*status)) => {
                RetryClass::Throttled {
                    retry_after: *retry_after,
                }
            }
            Error::Api { status, .. } if is_retryable_status(*status) => RetryClass::Transient,
            Error::Transport { kind, .. } if *kind != TransportKind::Other => RetryClass::Transient,
            Error::Auth(e) if e.is_transient() => RetryClass::Transient,
            Error::Api { .. }
            | Error::Transport { .. }
            | Error::Auth(_)
            | Error::Decode { .. }
            | Error::InvalidInput(_) => RetryClass::Permanent,
        }
    }

    /// True when the same request may succeed later ([`Error::retry_class`] is not permanent).
    pub fn is_transient(&self) -> bool {
        self.retry_class().is_retryable()
    }

    /// HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Typed code of an API error.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Request id of the failed call, if the service sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } | Error::Decode { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// Builds an API error from a status, the response body and its request id.
    pub(crate) fn from_response(
        status: u16,
        body: &[u8],
        request_id: Option<String>,
        retry_after: Option<std::time::Duration>,
    ) -> Self {
        match serde_json::from_slice::<ApiErrorBody>(body) {
            Ok(ApiErrorBody { error }) => Error::Api {
                status,
                code: error
                    .code
                    .as_deref()
                    .map(ErrorCode::parse)
                    .unwrap_or_else(|| ErrorCode::from_status(status)),
                message: error.message.unwrap_or_default(),
                target: error.target,
                inner_error: error.inner_error.map(Box::new),
                request_id,
                retry_after,
            },
            Err(_) => Error::Api {
                status,
                code: ErrorCode::from_status(status),
                message: excerpt(body),
                target: None,
                inner_error: None,
                request_id,
                retry_after,
            },
        }
    }

    /// Converts a reqwest error, dropping its URL.
    pub(crate) fn from_reqwest(err: reqwest::Error) -> Self {
        let kind = transport_kind(&err);
        Error::Transport {
            kind,
            message: describe_reqwest(err),
        }
    }
}

/// Classifies a reqwest error for the retry decision.
pub(crate) fn transport_kind(err: &reqwest::Error) -> TransportKind {
    if err.is_timeout() {
        TransportKind::Timeout
    } else if err.is_connect() {
        TransportKind::Connect
    } else if err.is_request() || err.is_body() || err.is_decode() {
        // hyper reports "connection closed before message completed" and bodies cut
        // off mid-stream as request/body errors.
        TransportKind::Io
    } else {
        TransportKind::Other
    }
}

/// The error chain of a reqwest error, without the URL.
pub(crate) fn describe_reqwest(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX_BODY_EXCERPT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn documented_body_is_typed() {
        let body = br#"{"error":{"code":"preconditionFailed","message":"eTag mismatch","target":"referral","innerError":{"code":"x","innerError":{"code":"y"}}}}"#;
        let err = Error::from_response(412, body, Some("req-1".into()), None);
        match &err {
            Error::Api {
                code,
                message,
                target,
                request_id,
                inner_error,
                ..
            } => {
                assert_eq!(code, &ErrorCode::PreconditionFailed);
                assert_eq!(message, "eTag mismatch");
                assert_eq!(target.as_deref(), Some("referral"));
                assert_eq!(request_id.as_deref(), Some("req-1"));
                assert_eq!(inner_error.as_ref().unwrap()["innerError"]["code"], "y");
            }
            other => panic!("{other:?}"),
        }
        assert!(!err.is_transient());
        assert!(err.to_string().contains("req-1"));
    }

    #[test]
    fn unknown_and_odd_cased_codes() {
        assert_eq!(
            ErrorCode::parse("unAuthenticated"),
            ErrorCode::Unauthenticated
        );
        assert_eq!(
            ErrorCode::parse("insufficent_claims"),
            ErrorCode::Other("insufficent_claims".into())
        );
    }

    #[test]
    fn non_json_body_falls_back_to_status() {
        let err = Error::from_response(503, b"<html>busy</html>", None, None);
        assert_eq!(err.code(), Some(&ErrorCode::ServiceNotAvailable));
        assert!(err.is_transient());
        let err = Error::from_response(429, b"", None, None);
        assert!(err.is_transient());
    }

    fn api(status: u16, retry_after: Option<Duration>) -> Error {
        Error::Api {
            status,
            code: ErrorCode::from_status(status),
            message: String::new(),
            target: None,
            inner_error: None,
            request_id: None,
            retry_after,
        }
    }

    fn transport(kind: TransportKind) -> Error {
        Error::Transport {
            kind,
            message: String::new(),
        }
    }

    fn auth(status: u16, error: &str) -> Error {
        Error::Auth(AuthError::Entra {
            status,
            error: error.into(),
            description: String::new(),
            codes: Vec::new(),
            correlation_id: None,
        })
    }

    #[test]
    fn every_error_has_one_retry_class() {
        let wait = Some(Duration::from_secs(7));
        let throttled = |retry_after| RetryClass::Throttled { retry_after };
        let table: Vec<(Error, RetryClass)> = vec![
            (api(429, None), throttled(None)),
            (api(429, wait), throttled(wait)),
            (api(503, wait), throttled(wait)),
            (api(500, None), RetryClass::Transient),
            (api(502, None), RetryClass::Transient),
            (api(503, None), RetryClass::Transient),
            (api(504, None), RetryClass::Transient),
            (api(400, None), RetryClass::Permanent),
            (api(401, None), RetryClass::Permanent),
            (api(403, None), RetryClass::Permanent),
            (api(404, None), RetryClass::Permanent),
            (api(409, None), RetryClass::Permanent),
            (api(412, None), RetryClass::Permanent),
            (api(422, None), RetryClass::Permanent),
            // A Retry-After on a refusal does not make it worth retrying.
            (api(400, wait), RetryClass::Permanent),
            (transport(TransportKind::Connect), RetryClass::Transient),
            (transport(TransportKind::Timeout), RetryClass::Transient),
            (transport(TransportKind::Io), RetryClass::Transient),
            (transport(TransportKind::Other), RetryClass::Permanent),
            (auth(503, "temporarily_unavailable"), RetryClass::Transient),
            (auth(400, "invalid_grant"), RetryClass::Permanent),
            (
                Error::Auth(AuthError::Vault("store down".into())),
                RetryClass::Transient,
            ),
            (
                Error::Auth(AuthError::Config("no tenant".into())),
                RetryClass::Permanent,
            ),
            (
                Error::Decode {
                    message: String::new(),
                    request_id: None,
                },
                RetryClass::Permanent,
            ),
            (Error::InvalidInput(String::new()), RetryClass::Permanent),
        ];
        for (err, class) in table {
            assert_eq!(err.retry_class(), class, "{err:?}");
            assert_eq!(err.is_transient(), class.is_retryable(), "{err:?}");
        }
    }
}
