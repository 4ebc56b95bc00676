//! Injected faults rendered as Salesforce answers them: `UNABLE_TO_LOCK_ROW`
//! (400, array body naming a record), `503` (`SERVER_UNAVAILABLE`), `500`
//! (`UNKNOWN_EXCEPTION`), plus `FIELD_CUSTOM_VALIDATION_EXCEPTION`,
//! `DUPLICATE_VALUE` and `REQUEST_LIMIT_EXCEEDED` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>). A
//! throttled call gets the concurrency form of `REQUEST_LIMIT_EXCEEDED`.
//!
//! The three record-level kinds (`UNABLE_TO_LOCK_ROW`,
//! `FIELD_CUSTOM_VALIDATION_EXCEPTION`, `DUPLICATE_VALUE`) on a write are
//! deferred to the handler: a single-record write answers 400 with the array
//! body, but sObject Collections answers 200 with the error on one record and
//! a Composite subrequest carries it in its own body, as a real org does
//! ("sObject Collections": each record gets its own save result,
//! https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm).

use std::sync::Weak;
use std::time::Duration;

use axum::response::Response;
use serde_json::json;

use super::errors::{ApiError, ErrorItem};
use super::http::{finish, RestResponse};
use super::ids;
use super::standard::prefix;
use super::state::Shared;
use crate::control::FaultRenderer;

/// Renders faults with the emulator's state at hand (for the locked record).
pub struct Renderer {
    shared: Weak<Shared>,
}

impl Renderer {
    /// A renderer reading `shared` when a fault fires.
    pub fn new(shared: Weak<Shared>) -> Self {
        Self { shared }
    }

    fn locked_record(&self) -> String {
        self.shared
            .upgrade()
            .and_then(|s| s.lock().org.last_written.clone())
            .unwrap_or_else(|| ids::mint(prefix::OPPORTUNITY, 1))
    }

    fn limit_info(&self) -> Option<String> {
        self.shared.upgrade().map(|s| s.lock().limit_info())
    }
}

/// The error of a record-level fault `kind` naming `record`, or `None` for
/// kinds that refuse the whole call.
pub fn record_error(kind: &str, record: &str) -> Option<ErrorItem> {
    let (code, message) = match kind {
        "UNABLE_TO_LOCK_ROW" => (
            kind,
            format!("unable to obtain exclusive access to this record or 1 records: {record}"),
        ),
        "FIELD_CUSTOM_VALIDATION_EXCEPTION" => {
            (kind, "Injected validation rule failure".to_owned())
        }
        "DUPLICATE_VALUE" => (
            kind,
            format!(
                "duplicate value found: <unknown> duplicates value on record with id: {record}"
            ),
        ),
        _ => return None,
    };
    Some(ErrorItem::with_fields(code, message, Vec::new()))
}

/// The record a deferred fault names: the one most recently written.
pub fn deferred_error(kind: &str, org: &super::org::Org) -> Option<ErrorItem> {
    let record = org
        .last_written
        .clone()
        .unwrap_or_else(|| ids::mint(prefix::OPPORTUNITY, 1));
    record_error(kind, &record)
}

impl FaultRenderer for Renderer {
    fn defers(&self, kind: &str, route: &str) -> bool {
        let write = !route.starts_with("GET ") && !route.starts_with("HEAD ");
        write && route.contains(super::http::DATA_PREFIX) && record_error(kind, "").is_some()
    }

    fn error(&self, kind: &str, _route: &str) -> Response {
        if let Some(item) = record_error(kind, &self.locked_record()) {
            return finish(ApiError::one(400, item).into(), self.limit_info());
        }
        let error = match kind {
            "REQUEST_LIMIT_EXCEEDED" => ApiError::daily_limit(),
            "500" => ApiError::one(
                500,
                ErrorItem::new(
                    "UNKNOWN_EXCEPTION",
                    "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)",
                ),
            ),
            other => {
                let status = other.parse::<u16>().ok().filter(|s| (400..600).contains(s)).unwrap_or(503);
                ApiError::one(status, ErrorItem::new("SERVER_UNAVAILABLE", "Server temporarily unavailable"))
            }
        };
        finish(error.into(), self.limit_info())
    }

    fn throttled(&self, _retry_after: Duration, _route: &str) -> Response {
        let body = json!([{ "message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED" }]);
        finish(RestResponse::json(403, body), self.limit_info())
    }
}
