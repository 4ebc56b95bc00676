//! Injected faults rendered as Salesforce answers them: `UNABLE_TO_LOCK_ROW`
//! (400, array body naming a record), `503` (`SERVER_UNAVAILABLE`), `500`
//! (`UNKNOWN_EXCEPTION`), plus `FIELD_CUSTOM_VALIDATION_EXCEPTION`,
//! `DUPLICATE_VALUE` and `REQUEST_LIMIT_EXCEEDED` (reference §7.12). A
//! throttled call gets the concurrency form of `REQUEST_LIMIT_EXCEEDED`.

use std::sync::Weak;
use std::time::Duration;

use axum::response::Response;
use serde_json::json;

use super::errors::{ApiError, ErrorItem};
use super::ids;
use super::rest::{finish, RestResponse};
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

impl FaultRenderer for Renderer {
    fn error(&self, kind: &str, _route: &str) -> Response {
        let error = match kind {
            "UNABLE_TO_LOCK_ROW" => ApiError::one(
                400,
                ErrorItem::with_fields(
                    "UNABLE_TO_LOCK_ROW",
                    format!("unable to obtain exclusive access to this record or 1 records: {}", self.locked_record()),
                    Vec::new(),
                ),
            ),
            "FIELD_CUSTOM_VALIDATION_EXCEPTION" => ApiError::one(
                400,
                ErrorItem::with_fields("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Injected validation rule failure", Vec::new()),
            ),
            "DUPLICATE_VALUE" => ApiError::one(
                400,
                ErrorItem::with_fields(
                    "DUPLICATE_VALUE",
                    format!("duplicate value found: <unknown> duplicates value on record with id: {}", self.locked_record()),
                    Vec::new(),
                ),
            ),
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
