//! Errors of the Partner Central client, in the same shape as the other
//! clients: a typed code from the error name (`__type`), the message, and
//! for `ValidationException` its `Reason` and `ErrorList`
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/API_ValidationException.html>).
//! Clients key on the code, never on the message. No error carries a
//! credential: request headers are never copied.

use aws_sdk_partnercentralselling::error::{ProvideErrorMetadata, SdkError};
use serde::Deserialize;

/// Error names of the Selling API; unknown names are kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// `ValidationException` (400): see [`Error::fields`].
    Validation,
    /// `ConflictException` (409): stale `LastModifiedDate`, reused `ClientToken`, or state.
    Conflict,
    /// `ThrottlingException` (429).
    Throttling,
    /// `AccessDeniedException` (403).
    AccessDenied,
    /// `ResourceNotFoundException` (404).
    ResourceNotFound,
    /// `InternalServerException` (500).
    InternalServer,
    /// Anything else (e.g. `UnrecognizedClientException`), verbatim.
    Other(String),
}

impl ErrorCode {
    /// The code for an error name.
    pub fn parse(name: &str) -> Self {
        match name {
            "ValidationException" => ErrorCode::Validation,
            "ConflictException" => ErrorCode::Conflict,
            "ThrottlingException" => ErrorCode::Throttling,
            "AccessDeniedException" => ErrorCode::AccessDenied,
            "ResourceNotFoundException" => ErrorCode::ResourceNotFound,
            "InternalServerException" => ErrorCode::InternalServer,
            other => ErrorCode::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ErrorCode::Validation => "ValidationException",
            ErrorCode::Conflict => "ConflictException",
            ErrorCode::Throttling => "ThrottlingException",
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::ResourceNotFound => "ResourceNotFoundException",
            ErrorCode::InternalServer => "InternalServerException",
            ErrorCode::Other(s) => s,
        })
    }
}

/// One entry of `ValidationException.ErrorList`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FieldError {
    /// Dotted path of the field, e.g. `Customer.Account.WebsiteUrl`.
    #[serde(default)]
    pub field_name: Option<String>,
    /// `REQUIRED_FIELD_MISSING`, `INVALID_ENUM_VALUE`, …
    pub code: String,
    /// Human text.
    #[serde(default)]
    pub message: String,
}

/// The members of an error body beyond its name and message.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Details {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    error_list: Vec<FieldError>,
}

/// Everything that can go wrong talking to Partner Central.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The service answered with an error.
    #[error("Partner Central API error {status} {code}: {message}{}", request_id.as_deref().map(|id| format!(" (request-id {id})")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// Typed error name.
        code: ErrorCode,
        /// Human message.
        message: String,
        /// `ValidationException.Reason` (`REQUEST_VALIDATION_FAILED` or `BUSINESS_VALIDATION_FAILED`).
        reason: Option<String>,
        /// `ValidationException.ErrorList`.
        fields: Vec<FieldError>,
        /// `x-amzn-RequestId`, for support cases.
        request_id: Option<String>,
    },
    /// No answer: connection, timeout, or credentials could not be loaded or used.
    #[error("transport error: {0}")]
    Transport(String),
    /// The answer could not be decoded.
    #[error("could not decode response: {0}")]
    Decode(String),
    /// The caller passed something this client refuses to send.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl Error {
    /// True when the same call may succeed later (throttling, 5xx, no answer).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Api { status, code, .. } => *code == ErrorCode::Throttling || *status >= 500,
            Error::Transport(_) => true,
            Error::Decode(_) | Error::InvalidInput(_) => false,
        }
    }

    /// Typed code of an API error.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The fields a `ValidationException` names.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Error::Api { fields, .. } => fields,
            _ => &[],
        }
    }
}

impl<E: ProvideErrorMetadata + std::error::Error + 'static>
    From<SdkError<E, aws_sdk_partnercentralselling::config::http::HttpResponse>> for Error
{
    fn from(err: SdkError<E, aws_sdk_partnercentralselling::config::http::HttpResponse>) -> Self {
        if let SdkError::ServiceError(ctx) = &err {
            let raw = ctx.raw();
            let details: Details = raw
                .body()
                .bytes()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            let e = ctx.err();
            return Error::Api {
                status: raw.status().as_u16(),
                code: ErrorCode::parse(e.code().unwrap_or("Unknown")),
                message: e.message().unwrap_or_default().to_owned(),
                reason: details.reason,
                fields: details.error_list,
                request_id: raw.headers().get("x-amzn-requestid").map(str::to_owned),
            };
        }
        let text = describe(&err);
        match err {
            SdkError::ResponseError(_) => Error::Decode(text),
            _ => Error::Transport(text),
        }
    }
}

/// The error and its sources on one line.
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
