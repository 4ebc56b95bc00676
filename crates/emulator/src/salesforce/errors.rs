//! Salesforce's two error shapes (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>): request-level errors, a
//! JSON array of `{"message","errorCode","fields"}` sent with a non-2xx
//! status, and per-record errors inside save results, which say `statusCode`.

use serde_json::{json, Value};

/// Message of `NOT_FOUND` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>).
pub const NOT_FOUND_MESSAGE: &str = "The requested resource does not exist";
/// Message of `INVALID_SESSION_ID` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>).
pub const SESSION_MESSAGE: &str = "Session expired or invalid";
/// Message of the daily `REQUEST_LIMIT_EXCEEDED` (<https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm>).
pub const DAILY_LIMIT_MESSAGE: &str = "TotalRequests Limit exceeded.";
/// Message of `ALL_OR_NONE_OPERATION_ROLLED_BACK` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>).
pub const ROLLED_BACK_MESSAGE: &str =
    "Record rolled back because not all records were valid and the request was using AllOrNone header";
/// Message of `PROCESSING_HALTED` for composite siblings (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm>).
pub const HALTED_MESSAGE: &str =
    "The transaction was rolled back since another operation in the same transaction failed.";

/// One error: a code, a message and the fields it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorItem {
    /// `errorCode` / `statusCode`, e.g. `REQUIRED_FIELD_MISSING`.
    pub code: String,
    /// Human-readable message worded like Salesforce's.
    pub message: String,
    /// Fields concerned; `None` leaves the key out of request-level bodies.
    pub fields: Option<Vec<String>>,
    /// For `DUPLICATES_DETECTED`: the rule and the matching records.
    pub duplicate_result: Option<Box<Value>>,
}

impl ErrorItem {
    /// An error with no `fields` key.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            fields: None,
            duplicate_result: None,
        }
    }

    /// An error naming `fields`.
    pub fn with_fields(code: &str, message: impl Into<String>, fields: Vec<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            fields: Some(fields),
            duplicate_result: None,
        }
    }

    /// Request-level JSON: `{"message","errorCode"[,"fields"]}`.
    pub fn request_json(&self) -> Value {
        let mut v = json!({ "message": self.message, "errorCode": self.code });
        if let Some(fields) = &self.fields {
            v["fields"] = json!(fields);
        }
        if let Some(result) = &self.duplicate_result {
            v["duplicateResult"] = (**result).clone();
        }
        v
    }

    /// Per-record JSON: `{"statusCode","message","fields"}`.
    pub fn record_json(&self) -> Value {
        let mut v = json!({
            "statusCode": self.code,
            "message": self.message,
            "fields": self.fields.clone().unwrap_or_default(),
        });
        if let Some(result) = &self.duplicate_result {
            v["duplicateResult"] = (**result).clone();
        }
        v
    }
}

/// A request refused as a whole: an HTTP status and an array body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The errors, rendered as the array body.
    pub errors: Vec<ErrorItem>,
}

impl ApiError {
    /// One error with `status`.
    pub fn one(status: u16, item: ErrorItem) -> Self {
        Self {
            status,
            errors: vec![item],
        }
    }

    /// Several record errors as a 400 (a single-record write that failed).
    pub fn bad_request(errors: Vec<ErrorItem>) -> Self {
        Self {
            status: 400,
            errors,
        }
    }

    /// The array body.
    pub fn body(&self) -> Value {
        Value::Array(self.errors.iter().map(ErrorItem::request_json).collect())
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found() -> Self {
        Self::one(404, ErrorItem::new("NOT_FOUND", NOT_FOUND_MESSAGE))
    }

    /// 404 `ENTITY_IS_DELETED`.
    pub fn deleted() -> Self {
        Self::one(404, entity_deleted())
    }

    /// 401 `INVALID_SESSION_ID`.
    pub fn invalid_session() -> Self {
        Self::one(401, ErrorItem::new("INVALID_SESSION_ID", SESSION_MESSAGE))
    }

    /// 403 `REQUEST_LIMIT_EXCEEDED` for the daily allocation.
    pub fn daily_limit() -> Self {
        Self::one(
            403,
            ErrorItem::new("REQUEST_LIMIT_EXCEEDED", DAILY_LIMIT_MESSAGE),
        )
    }

    /// 400 `MALFORMED_ID` for an ID in the URL.
    pub fn malformed_id(object_label: &str, id: &str) -> Self {
        Self::one(400, malformed_id(&format!("{object_label} ID"), id, "Id"))
    }

    /// 400 `JSON_PARSER_ERROR`.
    pub fn json_parser(message: impl Into<String>) -> Self {
        Self::one(400, ErrorItem::new("JSON_PARSER_ERROR", message))
    }

    /// 400 `INVALID_FIELD`.
    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::one(400, ErrorItem::new("INVALID_FIELD", message))
    }

    /// 405 `METHOD_NOT_ALLOWED`, listing the allowed methods.
    pub fn method_not_allowed(method: &str, allowed: &str) -> Self {
        Self::one(
            405,
            ErrorItem::new(
                "METHOD_NOT_ALLOWED",
                format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
            ),
        )
    }
}

/// `ENTITY_IS_DELETED` with an empty `fields` list, as captured from real orgs.
pub fn entity_deleted() -> ErrorItem {
    ErrorItem::with_fields("ENTITY_IS_DELETED", "entity is deleted", Vec::new())
}

/// `MALFORMED_ID`: `<label>: id value of incorrect type: <id>` (the label is
/// `Account ID` for a URL ID, or the field's label for a body field).
pub fn malformed_id(label: &str, id: &str, field: &str) -> ErrorItem {
    ErrorItem::with_fields(
        "MALFORMED_ID",
        format!("{label}: id value of incorrect type: {id}"),
        vec![field.to_owned()],
    )
}

/// `ALL_OR_NONE_OPERATION_ROLLED_BACK` for a sibling of a failed record.
pub fn rolled_back() -> ErrorItem {
    ErrorItem::with_fields(
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        ROLLED_BACK_MESSAGE,
        Vec::new(),
    )
}

/// A failed save result: `{"success":false,"errors":[…]}`.
pub fn failed_result(errors: &[ErrorItem]) -> Value {
    json!({
        "success": false,
        "errors": errors.iter().map(ErrorItem::record_json).collect::<Vec<_>>(),
    })
}
