//! The AWS side, under `/_emulator` (no signature, not counted, not
//! faulted): review decisions with feedback, an AWS seller's update, an
//! invitation to an AWS-originated deal, the event target and its delivery
//! log, call counts and fault injection. The same actions are methods of
//! [`AwsEmulator`] for Rust tests.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::{AwsError, FieldCode, Reason};
use super::{App, AwsEmulator, EventTarget};
use crate::control::FaultConfig;

/// The routes.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/_emulator/aws/opportunities", get(all))
        .route("/_emulator/aws/{catalog}/opportunities/{id}", get(one))
        .route(
            "/_emulator/aws/{catalog}/opportunities/{id}/review",
            post(review),
        )
        .route(
            "/_emulator/aws/{catalog}/opportunities/{id}/aws-update",
            post(aws_update),
        )
        .route("/_emulator/aws/invitations", post(invite))
        .route("/_emulator/aws/event-target", put(set_target))
        .route("/_emulator/aws/deliveries", get(deliveries))
        .route("/_emulator/calls", get(calls))
        .route("/_emulator/faults", post(set_faults).get(faults))
}

/// A review decision as the control API takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Decision {
    review_status: String,
    #[serde(default)]
    review_status_reason: Option<String>,
    #[serde(default)]
    review_comments: Option<String>,
}

fn object(body: &Bytes) -> Result<Map<String, Value>, AwsError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(AwsError::field(
            Reason::Request,
            "body",
            FieldCode::Value,
            "The body must be a JSON object.",
        )),
    }
}

async fn all(State(app): State<Arc<App>>) -> Json<Vec<Value>> {
    let region = app.options.region.clone();
    Json(
        app.data()
            .opportunities
            .all()
            .iter()
            .map(|o| o.render(&region))
            .collect(),
    )
}

async fn one(
    State(app): State<Arc<App>>,
    Path((catalog, id)): Path<(String, String)>,
) -> Result<Json<Value>, AwsError> {
    app.rendered(&catalog, &id).map(Json)
}

async fn review(
    State(app): State<Arc<App>>,
    Path((catalog, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let d: Decision = serde_json::from_slice(&body)
        .map_err(|e| AwsError::field(Reason::Request, "body", FieldCode::Value, &e.to_string()))?;
    app.review_decision(
        &catalog,
        &id,
        &d.review_status,
        d.review_status_reason,
        d.review_comments,
    )
    .map(Json)
}

async fn aws_update(
    State(app): State<Arc<App>>,
    Path((catalog, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    app.aws_seller_update(&catalog, &id, &object(&body)?)
        .map(Json)
}

async fn invite(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, AwsError> {
    let invitation = app.invite(&object(&body)?)?;
    Ok((StatusCode::CREATED, Json(invitation)).into_response())
}

async fn set_target(State(app): State<Arc<App>>, body: Bytes) -> Result<StatusCode, AwsError> {
    let target: Option<EventTarget> = serde_json::from_slice(&body)
        .map_err(|e| AwsError::field(Reason::Request, "body", FieldCode::Value, &e.to_string()))?;
    app.events.set_target(target);
    Ok(StatusCode::NO_CONTENT)
}

async fn deliveries(State(app): State<Arc<App>>) -> Response {
    Json(app.events.deliveries()).into_response()
}

async fn calls(State(app): State<Arc<App>>) -> Response {
    Json(app.control.calls()).into_response()
}

async fn faults(State(app): State<Arc<App>>) -> Response {
    Json(app.control.faults()).into_response()
}

async fn set_faults(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, AwsError> {
    let config: FaultConfig = serde_json::from_slice(&body)
        .map_err(|e| AwsError::field(Reason::Request, "body", FieldCode::Value, &e.to_string()))?;
    app.control
        .set_faults(config.clone())
        .map_err(|e| AwsError::field(Reason::Request, "body", FieldCode::Value, &e))?;
    Ok(Json(config).into_response())
}

impl App {
    /// An opportunity as `GetOpportunity` renders it, whoever owns it.
    fn rendered(&self, catalog: &str, id: &str) -> Result<Value, AwsError> {
        let region = &self.options.region;
        self.data()
            .opportunities
            .all()
            .iter()
            .find(|o| o.catalog == catalog && o.id == id)
            .map(|o| o.render(region))
            .ok_or_else(|| {
                AwsError::not_found(format!(
                    "Opportunity {id} was not found in catalog {catalog}."
                ))
            })
    }
}

impl AwsEmulator {
    /// AWS decides on a submitted opportunity (`In review`, `Approved`,
    /// `Rejected`, `Action Required`) with a reason and feedback.
    pub fn review(
        &self,
        catalog: &str,
        id: &str,
        status: &str,
        reason: Option<&str>,
        comments: Option<&str>,
    ) -> Result<Value, AwsError> {
        self.app.review_decision(
            catalog,
            id,
            status,
            reason.map(Into::into),
            comments.map(Into::into),
        )
    }

    /// An AWS seller changes AWS-side members (`LifeCycle`, `OpportunityTeam`, …).
    pub fn aws_update(&self, catalog: &str, id: &str, changes: Value) -> Result<Value, AwsError> {
        let changes = changes.as_object().cloned().unwrap_or_default();
        self.app.aws_seller_update(catalog, id, &changes)
    }

    /// AWS invites the partner to an AWS-originated deal (see `POST /_emulator/aws/invitations`).
    pub fn invite(&self, invitation: Value) -> Result<Value, AwsError> {
        let body = invitation.as_object().cloned().unwrap_or_default();
        self.app.invite(&body)
    }

    /// An opportunity as `GetOpportunity` renders it.
    pub fn opportunity(&self, catalog: &str, id: &str) -> Option<Value> {
        self.app.rendered(catalog, id).ok()
    }

    /// Every opportunity, in creation order, as `GetOpportunity` renders it.
    pub fn opportunities(&self) -> Vec<Value> {
        let region = &self.app.options.region;
        self.app
            .data()
            .opportunities
            .all()
            .iter()
            .map(|o| o.render(region))
            .collect()
    }
}
