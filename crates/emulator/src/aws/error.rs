//! Errors in the shape of the AWS JSON 1.0 protocol: the HTTP status, the
//! error name in `__type` (and `x-amzn-ErrorType`), and the exception's own
//! members (`Message`, and for `ValidationException` `Reason` and `ErrorList`).
//!
//! Shapes and statuses: the Partner Central Selling API reference, e.g.
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_CreateOpportunity.html#API_CreateOpportunity_Errors>
//! and <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_ValidationException.html>;
//! authentication failures: <https://docs.aws.amazon.com/partner-central/latest/APIReference/CommonErrors.html>.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::control::FaultRenderer;

/// Content type of every AWS JSON 1.0 body.
pub(crate) const JSON_10: &str = "application/x-amz-json-1.0";

/// `ValidationException.Reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// The request does not match the API's shapes.
    Request,
    /// The request is well-formed but breaks a business rule.
    Business,
}

/// `ValidationExceptionError.Code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldCode {
    /// `REQUIRED_FIELD_MISSING`
    Missing,
    /// `INVALID_ENUM_VALUE`
    Enum,
    /// `INVALID_STRING_FORMAT`
    Format,
    /// `INVALID_VALUE`
    Value,
    /// `TOO_MANY_VALUES`
    TooMany,
    /// `INVALID_RESOURCE_STATE`
    ResourceState,
    /// `VALUE_OUT_OF_RANGE`
    OutOfRange,
    /// `ACTION_NOT_PERMITTED`
    NotPermitted,
}

impl FieldCode {
    fn as_str(self) -> &'static str {
        match self {
            FieldCode::Missing => "REQUIRED_FIELD_MISSING",
            FieldCode::Enum => "INVALID_ENUM_VALUE",
            FieldCode::Format => "INVALID_STRING_FORMAT",
            FieldCode::Value => "INVALID_VALUE",
            FieldCode::TooMany => "TOO_MANY_VALUES",
            FieldCode::ResourceState => "INVALID_RESOURCE_STATE",
            FieldCode::OutOfRange => "VALUE_OUT_OF_RANGE",
            FieldCode::NotPermitted => "ACTION_NOT_PERMITTED",
        }
    }
}

/// One entry of `ValidationException.ErrorList`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    /// Dotted path of the field, e.g. `Customer.Account.CompanyName`.
    pub(crate) field: String,
    /// What is wrong.
    pub(crate) code: FieldCode,
    /// Human text.
    pub(crate) message: String,
}

impl FieldError {
    /// A field error.
    pub(crate) fn new(
        field: impl Into<String>,
        code: FieldCode,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    fn to_json(&self) -> Value {
        json!({"FieldName": self.field, "Code": self.code.as_str(), "Message": self.message})
    }
}

/// An error answer of the emulated service.
#[derive(Debug, Clone)]
pub struct AwsError {
    status: StatusCode,
    name: &'static str,
    members: Map<String, Value>,
}

impl AwsError {
    fn new(status: StatusCode, name: &'static str, message: impl Into<String>) -> Self {
        let mut members = Map::new();
        members.insert("Message".into(), Value::String(message.into()));
        Self {
            status,
            name,
            members,
        }
    }

    /// `ValidationException` (400) with its reason and field list.
    pub(crate) fn validation(reason: Reason, errors: Vec<FieldError>) -> Self {
        let message = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields failed validation.", errors.len()),
        };
        let mut e = Self::new(StatusCode::BAD_REQUEST, "ValidationException", message);
        let reason = match reason {
            Reason::Request => "REQUEST_VALIDATION_FAILED",
            Reason::Business => "BUSINESS_VALIDATION_FAILED",
        };
        e.members.insert("Reason".into(), reason.into());
        e.members.insert(
            "ErrorList".into(),
            errors.iter().map(FieldError::to_json).collect(),
        );
        e
    }

    /// `ValidationException` about one field.
    pub(crate) fn field(reason: Reason, field: &str, code: FieldCode, message: &str) -> Self {
        Self::validation(reason, vec![FieldError::new(field, code, message)])
    }

    /// `ConflictException` (409).
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "ConflictException", message)
    }

    /// `ThrottlingException` (429).
    pub(crate) fn throttling(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            message,
        )
    }

    /// `AccessDeniedException` (403).
    pub(crate) fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDeniedException", message)
    }

    /// `ResourceNotFoundException` (404).
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
    }

    /// `InternalServerException` (500).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            message,
        )
    }

    /// A common (protocol or authentication) error such as
    /// `UnrecognizedClientException`; these carry only a message.
    pub(crate) fn common(
        status: StatusCode,
        name: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(status, name, message)
    }

    /// The error name (`__type`).
    pub fn name(&self) -> &str {
        self.name
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("__type".into(), Value::String(self.name.into()));
        body.extend(self.members);
        let mut response = (self.status, Value::Object(body).to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_10));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.name));
        response
    }
}

/// Renders injected faults as this service's errors.
pub(crate) struct AwsFaults;

impl FaultRenderer for AwsFaults {
    fn error(&self, kind: &str, _route: &str) -> Response {
        let message = format!("Injected fault: {kind}");
        match kind {
            "429" | "ThrottlingException" => AwsError::throttling(message),
            "409" | "ConflictException" => AwsError::conflict(message),
            "403" | "AccessDeniedException" => AwsError::access_denied(message),
            "404" | "ResourceNotFoundException" => AwsError::not_found(message),
            "503" | "ServiceUnavailable" => AwsError::common(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                message,
            ),
            _ => AwsError::internal(message),
        }
        .into_response()
    }

    fn throttled(&self, _retry_after: Duration, _route: &str) -> Response {
        AwsError::throttling("Rate exceeded").into_response()
    }
}
