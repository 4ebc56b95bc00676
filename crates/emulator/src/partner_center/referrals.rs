//! HTTP handlers of the Referrals API under `/v1.0/engagements/referrals`
//! (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>, <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>): list, get, create, PUT, PATCH; no DELETE.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::auth::{authorize, REFERRALS_AUDIENCE};
use super::error::ApiError;
use super::http::{header_text, json_body, method_not_allowed, with_etag};
use super::listing::{self, ListQuery};
use super::{patch, App};
use crate::listener::Connection;

/// `Prefer` value asking PATCH for the updated body (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
const RETURN_REPRESENTATION: &str = "return=representation";

/// The routes, trailing-slash forms included (the connector PATCHes `/referrals/{id}/`).
pub(crate) fn routes() -> Router<Arc<App>> {
    let collection = || -> MethodRouter<Arc<App>> {
        get(list)
            .post(create)
            .fallback(|method: Method| async move { method_not_allowed(&method, "GET, POST") })
    };
    let item = || -> MethodRouter<Arc<App>> {
        get(read)
            .put(replace)
            .patch(update)
            .fallback(
                |method: Method| async move { method_not_allowed(&method, "GET, PUT, PATCH") },
            )
    };
    Router::new()
        .route("/v1.0/engagements/referrals", collection())
        .route("/v1.0/engagements/referrals/", collection())
        .route("/v1.0/engagements/referrals/{id}", item())
        .route("/v1.0/engagements/referrals/{id}/", item())
}

fn check(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    authorize(app, headers, REFERRALS_AUDIENCE, true)
}

async fn list(
    State(app): State<Arc<App>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let query = ListQuery::from_query(query.as_deref())?;
    // Links keep the scheme the client called with (HTTP and HTTPS share the port).
    let origin = connection.origin(&app.base_url);
    let context = format!("{origin}/v1.0/$metadata#Referrals");
    let body = listing::list(
        &query,
        app.rendered_all(),
        app.options.page_size,
        &app.options.rules,
        &format!("{origin}/v1.0/engagements/referrals"),
        &context,
    )?;
    Ok(Json(body).into_response())
}

async fn read(
    State(app): State<Arc<App>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let referral = app.rendered(&id).ok_or_else(|| {
        ApiError::not_found(format!("Referral {id} was not found.")).with_target("id")
    })?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/v1.0/$metadata#Referrals/$entity",
            connection.origin(&app.base_url)
        )),
    );
    if let Value::Object(fields) = &referral {
        body.extend(fields.clone());
    }
    Ok(with_etag(
        Json(Value::Object(body)).into_response(),
        &referral,
    ))
}

async fn create(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let body = json_body(&headers, &body)?;
    let referral = app.create_outgoing(body)?;
    let status =
        StatusCode::from_u16(app.options.rules.create_status).unwrap_or(StatusCode::CREATED);
    let mut response = with_etag((status, Json(&referral)).into_response(), &referral);
    if let Some(location) = referral["links"]["self"]["uri"]
        .as_str()
        .and_then(|u| HeaderValue::from_str(u).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn replace(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let body = json_body(&headers, &body)?;
    let referral = app.replace(&id, body, header_text(&headers, "if-match"))?;
    Ok(with_etag(Json(&referral).into_response(), &referral))
}

async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let ops = patch::parse(&json_body(&headers, &body)?)?;
    let referral = app.patch(&id, ops, header_text(&headers, "if-match"))?;
    let representation = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(RETURN_REPRESENTATION));
    let response = if representation {
        Json(&referral).into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    Ok(with_etag(response, &referral))
}
