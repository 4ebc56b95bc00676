//! The AWS JSON 1.0 endpoint: every operation is `POST /` with
//! `X-Amz-Target: AWSPartnerCentralSelling.<Operation>` and a JSON body
//! (<https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html>).
//! Order of checks: signature, operation, body, quota, then the operation.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::error::{AwsError, JSON_10};
use super::quota::Class;
use super::sigv4::{self, Refusal, Signed};
use super::{App, SIGNING_NAME};

/// `X-Amz-Target` prefix of this service.
const TARGET_PREFIX: &str = "AWSPartnerCentralSelling.";

/// The operations served, with the quota class each draws from (reads and
/// writes per the quotas page; `SubmitOpportunity` and
/// `AcceptEngagementInvitation` change state and count as writes).
const OPERATIONS: &[(&str, Class)] = &[
    ("CreateOpportunity", Class::Write),
    ("GetOpportunity", Class::Read),
    ("UpdateOpportunity", Class::Write),
    ("ListOpportunities", Class::Read),
    ("AssociateOpportunity", Class::Write),
    ("DisassociateOpportunity", Class::Write),
    ("SubmitOpportunity", Class::Write),
    ("GetAwsOpportunitySummary", Class::Read),
    ("ListEngagementInvitations", Class::Read),
    ("GetEngagementInvitation", Class::Read),
    ("AcceptEngagementInvitation", Class::Write),
    ("RejectEngagementInvitation", Class::Write),
];

/// `POST /`.
pub(crate) async fn endpoint(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = serve(&app, &uri, &headers, &body);
    with_request_id(match answer {
        Ok(value) => {
            let mut r = (StatusCode::OK, value.to_string()).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_10));
            r
        }
        Err(e) => e.into_response(),
    })
}

fn serve(app: &App, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Value, AwsError> {
    let account = authenticate(app, uri, headers, body)?;
    let (operation, class) = operation(headers)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.split(';').next().map(str::trim) != Some(JSON_10) {
        return Err(serialization(&format!("Content-Type must be {JSON_10}.")));
    }
    let body: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => m,
        _ => return Err(serialization("The request body must be a JSON object.")),
    };
    if !app.quota.admit(&account, class) {
        return Err(AwsError::throttling(format!(
            "Rate exceeded for {operation}: the account's {} quota is spent.",
            match class {
                Class::Read => "read",
                Class::Write => "write",
            }
        )));
    }
    match operation {
        "CreateOpportunity" => app.create_opportunity(&account, &body),
        "GetOpportunity" => app.get_opportunity(&account, &body),
        "UpdateOpportunity" => app.update_opportunity(&account, &body),
        "ListOpportunities" => app.list_opportunities(&account, &body),
        "AssociateOpportunity" => app.relate(&account, &body, true),
        "DisassociateOpportunity" => app.relate(&account, &body, false),
        "SubmitOpportunity" => app.submit_opportunity(&account, &body),
        "GetAwsOpportunitySummary" => app.aws_opportunity_summary(&account, &body),
        "ListEngagementInvitations" => app.list_invitations(&account, &body),
        "GetEngagementInvitation" => app.get_invitation(&account, &body),
        "AcceptEngagementInvitation" => app.answer_invitation(&account, &body, true),
        "RejectEngagementInvitation" => app.answer_invitation(&account, &body, false),
        other => Err(unknown_operation(other)),
    }
}

/// `SerializationException` (400): the body cannot be read as the operation's input.
fn serialization(message: &str) -> AwsError {
    AwsError::common(StatusCode::BAD_REQUEST, "SerializationException", message)
}

fn unknown_operation(target: &str) -> AwsError {
    AwsError::common(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        format!("The operation '{target}' is not supported by this emulator or does not exist."),
    )
}

fn operation(headers: &HeaderMap) -> Result<(&'static str, Class), AwsError> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = target.strip_prefix(TARGET_PREFIX).unwrap_or_default();
    OPERATIONS
        .iter()
        .find(|(op, _)| *op == name)
        .copied()
        .ok_or_else(|| unknown_operation(target))
}

/// Verifies SigV4 and returns the caller's account.
fn authenticate(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, AwsError> {
    let signed = Signed {
        method: "POST",
        path: uri.path(),
        query: uri.query().unwrap_or_default(),
        headers,
        body,
    };
    let secret = |key: &str| app.credential(key).map(|c| c.secret_access_key.as_str());
    let forbidden = |name, message: String| AwsError::common(StatusCode::FORBIDDEN, name, message);
    let key = sigv4::verify(&signed, secret, &app.options.region, SIGNING_NAME, chrono::Utc::now()).map_err(|refusal| match refusal {
        Refusal::Missing => forbidden("MissingAuthenticationTokenException", "Missing Authentication Token".into()),
        Refusal::Incomplete(m) => forbidden("IncompleteSignatureException", m),
        Refusal::UnknownKey => forbidden(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".into(),
        ),
        Refusal::WrongScope(m) | Refusal::Expired(m) => forbidden("InvalidSignatureException", m),
        Refusal::Mismatch => forbidden(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into(),
        ),
    })?;
    Ok(app
        .credential(&key)
        .map(|c| c.account_id.clone())
        .unwrap_or_default())
}

/// Any other path or method: AWS JSON services only serve `POST /`.
pub(crate) async fn unknown_path() -> Response {
    with_request_id(unknown_operation("").into_response())
}

fn with_request_id(mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}
