//! The crate's error type and the parsers for Salesforce's two error shapes.
//!
//! Salesforce reports failures in two JSON shapes (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>):
//! request-level errors are an array of `{"message","errorCode","fields"}`,
//! and per-record results (Collections, single create/upsert bodies) carry
//! `{"statusCode","message","fields"}`. Both decode into [`ApiError`] /
//! [`RecordError`] with a typed [`ErrorCode`].

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::auth::AuthError;
use crate::retry::RetryClass;
use crate::soql::SoqlError;

/// Longest slice of an unparseable error body kept in an error message.
const MAX_BODY_EXCERPT: usize = 512;

/// Message fragment that marks a 401 no token refresh can fix (jsforce
/// `HttpApi` skips its refresh for this text; <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>).
pub(crate) const SESSION_NOT_VALID_FOR_REST: &str =
    "This session is not valid for use with the REST API";

/// Everything that can go wrong talking to Salesforce.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Obtaining or refreshing the OAuth token failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Salesforce answered with a non-success status and an error body.
    #[error("Salesforce API error (HTTP {status}): {}", summarize(errors))]
    Api {
        /// HTTP status code of the response.
        status: u16,
        /// The decoded error entries (at least one).
        errors: Vec<ApiError>,
    },
    /// The org's API request limit was hit; calls are paused until the cool-down ends.
    #[error("Salesforce API request limit exceeded; calls paused for another {retry_after:?}")]
    LimitExceeded {
        /// Time left before the client issues calls again.
        retry_after: Duration,
    },
    /// An upsert's external id matched more than one record (HTTP 300).
    #[error("external id matched {} records", urls.len())]
    MultipleMatches {
        /// The record URLs Salesforce listed.
        urls: Vec<String>,
    },
    /// A SOQL statement could not be rendered.
    #[error(transparent)]
    Soql(#[from] SoqlError),
    /// The caller passed something this client refuses to send.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The HTTP request failed below the API level (connect, timeout, TLS, body read).
    #[error("HTTP transport error: {0}")]
    Http(#[from] reqwest::Error),
    /// A success response did not have the documented shape.
    #[error("unexpected response from {route}: {reason}")]
    UnexpectedResponse {
        /// Route template of the call.
        route: &'static str,
        /// What did not match.
        reason: String,
    },
}

impl Error {
    /// What this error means for retrying the call: the one classification
    /// every retry decision starts from. The org's API limit is throttling
    /// (with the cool-down left, once the client paused); 5xx, row locks,
    /// transport failures and transient token failures are transient;
    /// everything else needs a change before it can succeed.
    pub fn retry_class(&self) -> RetryClass {
        match self {
            Error::LimitExceeded { retry_after } => RetryClass::Throttled {
                retry_after: Some(*retry_after),
            },
            Error::Api { errors, .. }
                if errors
                    .iter()
                    .any(|e| e.code == ErrorCode::RequestLimitExceeded) =>
            {
                RetryClass::Throttled { retry_after: None }
            }
            Error::Api { status, errors }
                if *status >= 500 || errors.iter().any(|e| e.code.is_transient()) =>
            {
                RetryClass::Transient
            }
            Error::Http(e) if e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() => {
                RetryClass::Transient
            }
            Error::Auth(e) if e.is_transient() => RetryClass::Transient,
            Error::Api { .. }
            | Error::Http(_)
            | Error::Auth(_)
            | Error::MultipleMatches { .. }
            | Error::Soql(_)
            | Error::InvalidInput(_)
            | Error::UnexpectedResponse { .. } => RetryClass::Permanent,
        }
    }

    /// Whether retrying the same call later may succeed ([`Error::retry_class`] is not permanent).
    pub fn is_transient(&self) -> bool {
        self.retry_class().is_retryable()
    }

    /// Whether the record does not exist or was deleted (404 `NOT_FOUND` / `ENTITY_IS_DELETED`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api { status: 404, errors }
            if errors.iter().any(|e| matches!(e.code, ErrorCode::NotFound | ErrorCode::EntityIsDeleted)))
    }

    /// The first error code of an API error, if this is one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api { errors, .. } => errors.first().map(|e| &e.code),
            _ => None,
        }
    }
}

fn summarize(errors: &[ApiError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.code, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Salesforce error codes the connector reacts to; anything else is kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Session expired or invalid (401).
    InvalidSessionId,
    /// Org API limit or long-request concurrency cap hit (403).
    RequestLimitExceeded,
    /// Unknown resource or id (404).
    NotFound,
    /// The record was deleted (404).
    EntityIsDeleted,
    /// The id is not a valid id for the object.
    MalformedId,
    /// Unknown or hidden field.
    InvalidField,
    /// SOQL syntax error.
    MalformedQuery,
    /// Unknown sObject type.
    InvalidType,
    /// A required field was not given.
    RequiredFieldMissing,
    /// The field cannot be written (read-only or create-only).
    InvalidFieldForInsertUpdate,
    /// Value not allowed in a restricted picklist.
    InvalidOrNullForRestrictedPicklist,
    /// A validation rule rejected the record.
    FieldCustomValidationException,
    /// Field integrity problem (e.g. state/country picklists).
    FieldIntegrityException,
    /// Unique or external-id value already used.
    DuplicateValue,
    /// Duplicate rules matched.
    DuplicatesDetected,
    /// Row lock contention; retry with backoff.
    UnableToLockRow,
    /// Record is locked (approval process).
    EntityIsLocked,
    /// Caller lacks access or the record is read-only.
    InsufficientAccessOrReadonly,
    /// Query exceeded the SOQL timeout.
    QueryTimeout,
    /// Too many ids in one call.
    ExceededIdLimit,
    /// Rolled back because a sibling failed under allOrNone.
    AllOrNoneOperationRolledBack,
    /// Composite subrequest halted because another one failed.
    ProcessingHalted,
    /// A Tooling metadata name already exists.
    DuplicateDeveloperName,
    /// Any other code, kept as sent.
    Other(String),
}

/// Table between typed codes and their wire spelling.
const CODES: &[(ErrorCode, &str)] = &[
    (ErrorCode::InvalidSessionId, "INVALID_SESSION_ID"),
    (ErrorCode::RequestLimitExceeded, "REQUEST_LIMIT_EXCEEDED"),
    (ErrorCode::NotFound, "NOT_FOUND"),
    (ErrorCode::EntityIsDeleted, "ENTITY_IS_DELETED"),
    (ErrorCode::MalformedId, "MALFORMED_ID"),
    (ErrorCode::InvalidField, "INVALID_FIELD"),
    (ErrorCode::MalformedQuery, "MALFORMED_QUERY"),
    (ErrorCode::InvalidType, "INVALID_TYPE"),
    (ErrorCode::RequiredFieldMissing, "REQUIRED_FIELD_MISSING"),
    (
        ErrorCode::InvalidFieldForInsertUpdate,
        "INVALID_FIELD_FOR_INSERT_UPDATE",
    ),
    (
        ErrorCode::InvalidOrNullForRestrictedPicklist,
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    ),
    (
        ErrorCode::FieldCustomValidationException,
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    ),
    (
        ErrorCode::FieldIntegrityException,
        "FIELD_INTEGRITY_EXCEPTION",
    ),
    (ErrorCode::DuplicateValue, "DUPLICATE_VALUE"),
    (ErrorCode::DuplicatesDetected, "DUPLICATES_DETECTED"),
    (ErrorCode::UnableToLockRow, "UNABLE_TO_LOCK_ROW"),
    (ErrorCode::EntityIsLocked, "ENTITY_IS_LOCKED"),
    (
        ErrorCode::InsufficientAccessOrReadonly,
        "INSUFFICIENT_ACCESS_OR_READONLY",
    ),
    (ErrorCode::QueryTimeout, "QUERY_TIMEOUT"),
    (ErrorCode::ExceededIdLimit, "EXCEEDED_ID_LIMIT"),
    (
        ErrorCode::AllOrNoneOperationRolledBack,
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    ),
    (ErrorCode::ProcessingHalted, "PROCESSING_HALTED"),
    (
        ErrorCode::DuplicateDeveloperName,
        "DUPLICATE_DEVELOPER_NAME",
    ),
];

impl ErrorCode {
    /// Parses a wire code; unknown codes become [`ErrorCode::Other`].
    pub fn parse(code: &str) -> Self {
        CODES
            .iter()
            .find(|(_, s)| *s == code)
            .map(|(c, _)| c.clone())
            .unwrap_or_else(|| ErrorCode::Other(code.to_owned()))
    }

    /// The wire spelling, e.g. `UNABLE_TO_LOCK_ROW`.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(s) => s,
            known => CODES
                .iter()
                .find(|(c, _)| c == known)
                .map(|(_, s)| *s)
                .unwrap_or_default(),
        }
    }

    /// Whether the same call may succeed when retried after a pause (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ErrorCode::UnableToLockRow | ErrorCode::RequestLimitExceeded
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ErrorCode::parse(&s))
    }
}

/// One request-level error entry (`errorCode` shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// The Salesforce error code.
    #[serde(rename = "errorCode")]
    pub code: ErrorCode,
    /// Human-readable message from Salesforce.
    #[serde(default)]
    pub message: String,
    /// Fields the error concerns, when given.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fields: Vec<String>,
}

/// One per-record error entry (`statusCode` shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordError {
    /// The Salesforce status code.
    #[serde(rename = "statusCode")]
    pub status_code: ErrorCode,
    /// Human-readable message from Salesforce.
    #[serde(default)]
    pub message: String,
    /// Fields the error concerns, when given.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fields: Vec<String>,
    /// The duplicate rule that blocked the save and the records it matched
    /// (`DUPLICATES_DETECTED` only).
    #[serde(
        rename = "duplicateResult",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub duplicate_result: Option<DuplicateResult>,
}

/// What a duplicate rule found (the `DuplicateResult` of the SOAP and REST
/// APIs:
/// https://developer.salesforce.com/docs/atlas.en-us.apexref.meta/apexref/apex_class_Datacloud_DuplicateResult.htm).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateResult {
    /// Developer name of the duplicate rule.
    #[serde(default)]
    pub duplicate_rule: String,
    /// The object the rule is on.
    #[serde(default)]
    pub duplicate_rule_entity_type: String,
    /// One result per matching rule the duplicate rule ran.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub match_results: Vec<MatchResult>,
}

/// The records one matching rule found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchResult {
    /// Developer name of the matching rule.
    #[serde(default)]
    pub rule: String,
    /// The object of the matching records.
    #[serde(default)]
    pub entity_type: String,
    /// The matching records.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub match_records: Vec<MatchRecord>,
}

/// One existing record a matching rule found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchRecord {
    /// How closely it matches, 0 to 100.
    #[serde(default)]
    pub match_confidence: f64,
    /// The record (its `Id` and the fields the rule compared).
    pub record: crate::Record,
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> Self {
        ApiError {
            code: e.status_code,
            message: e.message,
            fields: e.fields,
        }
    }
}

pub(crate) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Either spelling of an error entry, as found in the wild.
#[derive(Deserialize)]
struct AnyErrorEntry {
    #[serde(rename = "errorCode", alias = "statusCode")]
    code: Option<ErrorCode>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    fields: Vec<String>,
}

impl From<AnyErrorEntry> for ApiError {
    fn from(e: AnyErrorEntry) -> Self {
        ApiError {
            code: e
                .code
                .unwrap_or_else(|| ErrorCode::Other("UNKNOWN_ERROR".into())),
            message: e.message.unwrap_or_default(),
            fields: e.fields,
        }
    }
}

/// Decodes an error body in any shape Salesforce uses: the documented array,
/// a single object (e.g. upsert on an unknown external-id field), or the
/// per-record `statusCode` spelling. Unparseable bodies become one entry
/// with code `UNPARSEABLE_ERROR_BODY` and an excerpt of the body.
pub fn parse_error_body(body: &[u8]) -> Vec<ApiError> {
    if let Ok(list) = serde_json::from_slice::<Vec<AnyErrorEntry>>(body) {
        if !list.is_empty() {
            return list.into_iter().map(ApiError::from).collect();
        }
    }
    if let Ok(one) = serde_json::from_slice::<AnyErrorEntry>(body) {
        if one.code.is_some() {
            return vec![one.into()];
        }
    }
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.chars().take(MAX_BODY_EXCERPT).collect();
    vec![ApiError {
        code: ErrorCode::Other("UNPARSEABLE_ERROR_BODY".into()),
        message: excerpt,
        fields: Vec::new(),
    }]
}

/// Whether a 401 body asks for a token refresh (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>).
pub(crate) fn is_refreshable_session_error(errors: &[ApiError]) -> bool {
    errors.iter().any(|e| e.code == ErrorCode::InvalidSessionId)
        && !errors
            .iter()
            .any(|e| e.message.contains(SESSION_NOT_VALID_FOR_REST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_request_level_array() {
        let body = br#"[{"message":"Account ID: id value of incorrect type: 001900K0001pPuOAAU","errorCode":"MALFORMED_ID","fields":["Id"]}]"#;
        let errors = parse_error_body(body);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, ErrorCode::MalformedId);
        assert_eq!(errors[0].fields, vec!["Id".to_owned()]);
        assert!(errors[0].message.starts_with("Account ID"));
    }

    #[test]
    fn parses_array_without_fields() {
        let body =
            br#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#;
        let errors = parse_error_body(body);
        assert_eq!(errors[0].code, ErrorCode::InvalidSessionId);
        assert!(errors[0].fields.is_empty());
        assert!(is_refreshable_session_error(&errors));
    }

    #[test]
    fn rest_scope_401_is_not_refreshable() {
        let body = br#"[{"message":"This session is not valid for use with the REST API","errorCode":"INVALID_SESSION_ID"}]"#;
        assert!(!is_refreshable_session_error(&parse_error_body(body)));
    }

    #[test]
    fn parses_single_object_error() {
        let body =
            br#"{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}"#;
        let errors = parse_error_body(body);
        assert_eq!(errors[0].code, ErrorCode::NotFound);
    }

    #[test]
    fn parses_per_record_shape() {
        let body = br#"{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [CloseDate]","fields":["CloseDate"]}"#;
        let e: RecordError = serde_json::from_slice(body).unwrap();
        assert_eq!(e.status_code, ErrorCode::RequiredFieldMissing);
        assert_eq!(e.fields, vec!["CloseDate".to_owned()]);
        let any = parse_error_body(body);
        assert_eq!(any[0].code, ErrorCode::RequiredFieldMissing);
    }

    #[test]
    fn unknown_codes_are_kept() {
        let errors = parse_error_body(br#"[{"message":"x","errorCode":"SOMETHING_NEW"}]"#);
        assert_eq!(errors[0].code, ErrorCode::Other("SOMETHING_NEW".into()));
        assert_eq!(errors[0].code.as_str(), "SOMETHING_NEW");
    }

    #[test]
    fn unparseable_body_is_excerpted() {
        let html = "<html>".repeat(500);
        let errors = parse_error_body(html.as_bytes());
        assert_eq!(
            errors[0].code,
            ErrorCode::Other("UNPARSEABLE_ERROR_BODY".into())
        );
        assert_eq!(errors[0].message.chars().count(), MAX_BODY_EXCERPT);
    }

    #[test]
    fn codes_round_trip() {
        for (code, s) in CODES {
            assert_eq!(&ErrorCode::parse(s), code);
            assert_eq!(code.as_str(), *s);
        }
    }

    fn api(status: u16, body: &[u8]) -> Error {
        Error::Api {
            status,
            errors: parse_error_body(body),
        }
    }

    fn coded(code: &str) -> String {
        format!(r#"[{{"message":"m","errorCode":"{code}","fields":[]}}]"#)
    }

    /// A real transport error: a connection refused on a closed local port
    /// (`connect`), or a request that cannot be built (`builder`).
    async fn http_errors() -> (reqwest::Error, reqwest::Error) {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", closed.local_addr().unwrap());
        drop(closed);
        let refused = reqwest::get(&url).await.unwrap_err();
        assert!(refused.is_connect(), "{refused:?}");
        let unbuildable = reqwest::Client::new()
            .get("http://exa mple.com/")
            .build()
            .unwrap_err();
        assert!(unbuildable.is_builder(), "{unbuildable:?}");
        (refused, unbuildable)
    }

    #[tokio::test]
    async fn every_error_has_one_retry_class() {
        let (refused, unbuildable) = http_errors().await;
        let cooldown = Duration::from_secs(300);
        let table: Vec<(Error, RetryClass)> = vec![
            (
                Error::LimitExceeded {
                    retry_after: cooldown,
                },
                RetryClass::Throttled {
                    retry_after: Some(cooldown),
                },
            ),
            (
                api(403, coded("REQUEST_LIMIT_EXCEEDED").as_bytes()),
                RetryClass::Throttled { retry_after: None },
            ),
            (
                api(400, coded("UNABLE_TO_LOCK_ROW").as_bytes()),
                RetryClass::Transient,
            ),
            (
                api(500, coded("UNKNOWN_EXCEPTION").as_bytes()),
                RetryClass::Transient,
            ),
            (api(503, b"down"), RetryClass::Transient),
            (api(504, b""), RetryClass::Transient),
            (
                api(400, coded("MALFORMED_ID").as_bytes()),
                RetryClass::Permanent,
            ),
            (
                api(401, coded("INVALID_SESSION_ID").as_bytes()),
                RetryClass::Permanent,
            ),
            (
                api(404, coded("ENTITY_IS_DELETED").as_bytes()),
                RetryClass::Permanent,
            ),
            (
                api(404, coded("NOT_FOUND").as_bytes()),
                RetryClass::Permanent,
            ),
            (Error::Http(refused), RetryClass::Transient),
            (Error::Http(unbuildable), RetryClass::Permanent),
            (
                Error::Auth(AuthError::OAuth {
                    status: 400,
                    error: "rate_limit_exceeded".into(),
                    description: String::new(),
                }),
                RetryClass::Transient,
            ),
            (
                Error::Auth(AuthError::OAuth {
                    status: 400,
                    error: "invalid_grant".into(),
                    description: String::new(),
                }),
                RetryClass::Permanent,
            ),
            (
                Error::Auth(AuthError::InvalidKey("x".into())),
                RetryClass::Permanent,
            ),
            (
                Error::MultipleMatches {
                    urls: vec!["/a".into(), "/b".into()],
                },
                RetryClass::Permanent,
            ),
            (Error::Soql(SoqlError::NoFields), RetryClass::Permanent),
            (Error::InvalidInput("x".into()), RetryClass::Permanent),
            (
                Error::UnexpectedResponse {
                    route: "/x",
                    reason: "y".into(),
                },
                RetryClass::Permanent,
            ),
        ];
        for (err, class) in table {
            assert_eq!(err.retry_class(), class, "{err:?}");
            assert_eq!(err.is_transient(), class.is_retryable(), "{err:?}");
        }
    }

    #[test]
    fn a_deleted_record_is_not_found() {
        let deleted = api(
            404,
            br#"[{"message":"entity is deleted","errorCode":"ENTITY_IS_DELETED","fields":[]}]"#,
        );
        assert!(deleted.is_not_found());
    }
}
