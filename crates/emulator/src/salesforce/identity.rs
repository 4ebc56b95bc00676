//! The Identity URL, `GET /id/{orgId}/{userId}`: who a session belongs to.
//!
//! Salesforce serves it on the login host ("Using Identity URLs",
//! developer.salesforce.com `oauth_using_identity_urls`): the access token
//! comes in the `Authorization` header or the `oauth_token` parameter; the
//! optional `version` parameter (a number or `latest`) fills the API URLs,
//! which otherwise carry the literal `{version}`. Errors are 403
//! `Bad_OAuth_Token` (no or bad token), 403 `Wrong_Org` (token of another
//! org) and 404 `Bad_Id` (no such user). jsforce's `conn.identity()` calls it
//! after a SOAP `login()`, at `{loginUrl}/id/{org}/{user}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::auth::{session_user, LOGIN_HOST};
use super::ids;
use super::state::Shared;
use crate::listener::Connection;

/// Placeholder the API URLs keep when no `version` parameter is given.
const VERSION_PLACEHOLDER: &str = "{version}";
/// Offset of the demo users' time zone (America/Los_Angeles), milliseconds.
const UTC_OFFSET_MS: i64 = -28_800_000;

fn refuse(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}

/// `GET /id/{org}/{user}`.
pub async fn identity(
    State(shared): State<Arc<Shared>>,
    Path((org, user)): Path<(String, String)>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| params.get("oauth_token").map(|t| format!("Bearer {t}")));
    let mut state = shared.lock();
    let Some(session_user_id) = session_user(&mut state, authorization.as_deref()) else {
        return refuse(StatusCode::FORBIDDEN, "Bad_OAuth_Token");
    };
    let org_id = state.org.org_id.clone();
    if ids::normalize(&org).as_deref() != Some(org_id.as_str()) {
        return refuse(StatusCode::FORBIDDEN, "Wrong_Org");
    }
    let Some(row) = ids::normalize(&user).and_then(|id| state.org.record("User", &id).cloned())
    else {
        return refuse(StatusCode::NOT_FOUND, "Bad_Id");
    };
    let user_id = row
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let version = match params.get("version").map(String::as_str) {
        None => VERSION_PLACEHOLDER.to_owned(),
        Some("latest") => format!("{}.0", shared.options.max_api_version),
        Some(v) => v.to_owned(),
    };
    let instance = connection.origin(&shared.base_url);
    let data = format!("{instance}/services/data/v{version}");
    let text = |k: &str| row.get(k).cloned().unwrap_or(Value::Null);
    Json(json!({
        "id": format!("{LOGIN_HOST}/id/{org_id}/{user_id}"),
        "asserted_user": session_user_id == user_id,
        "user_id": user_id,
        "organization_id": org_id,
        "username": text("Username"),
        "nick_name": text("Alias"),
        "display_name": text("Name"),
        "email": text("Email"),
        "email_verified": true,
        "first_name": text("FirstName"),
        "last_name": text("LastName"),
        "timezone": text("TimeZoneSidKey"),
        "active": text("IsActive"),
        "user_type": "STANDARD",
        "language": text("LanguageLocaleKey"),
        "locale": text("LocaleSidKey"),
        "utcOffset": UTC_OFFSET_MS,
        "last_modified_date": text("LastModifiedDate"),
        "is_app_installed": true,
        "urls": {
            "enterprise": format!("{instance}/services/Soap/c/{version}/{org_id}"),
            "metadata": format!("{instance}/services/Soap/m/{version}/{org_id}"),
            "partner": format!("{instance}/services/Soap/u/{version}/{org_id}"),
            "rest": format!("{data}/"),
            "sobjects": format!("{data}/sobjects/"),
            "search": format!("{data}/search/"),
            "query": format!("{data}/query/"),
            "recent": format!("{data}/recent/"),
            "tooling_soap": format!("{instance}/services/Soap/T/{version}/{org_id}"),
            "tooling_rest": format!("{data}/tooling/"),
            "profile": format!("{instance}/{user_id}"),
            "custom_domain": instance,
        },
    }))
    .into_response()
}
