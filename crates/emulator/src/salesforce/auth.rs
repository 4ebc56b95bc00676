//! `POST /services/oauth2/token`: the password, client-credentials,
//! authorization-code (web server flow, see [`super::web_server_flow`]),
//! refresh-token and JWT-bearer grants with Salesforce's token response
//! (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm>: `issued_at` in milliseconds as a string, an HMAC
//! `signature`, no `expires_in`) and its `{"error","error_description"}`
//! failures (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm>), plus session checks for the REST API.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::state::{Session, Shared, State as EmState};
use super::web_server_flow;
use super::RunAs;
use crate::listener::Connection;

/// The password grant.
const GRANT_PASSWORD: &str = "password";
/// The client-credentials grant.
const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
/// The refresh-token grant.
const GRANT_REFRESH: &str = "refresh_token";
/// The authorization-code grant (web server flow).
const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
/// The JWT bearer grant.
const GRANT_JWT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The production login host, which JWT audiences and identity URLs name.
pub const LOGIN_HOST: &str = "https://login.salesforce.com";
/// Characters of the random part of access and refresh tokens.
const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
/// Length of the random part of an access token.
const ACCESS_TOKEN_RANDOM_LEN: usize = 96;
/// Length of a refresh token.
const REFRESH_TOKEN_LEN: usize = 87;

/// An OAuth failure: HTTP 400 and `{"error","error_description"}`.
pub struct OAuthError {
    error: &'static str,
    description: &'static str,
}

impl OAuthError {
    /// The failure `error` with `description`.
    pub const fn new(error: &'static str, description: &'static str) -> Self {
        Self { error, description }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response()
    }
}

const AUTH_FAILURE: OAuthError = OAuthError::new("invalid_grant", "authentication failure");
const BAD_CLIENT_ID: OAuthError = OAuthError::new("invalid_client_id", "client identifier invalid");
const BAD_CLIENT_SECRET: OAuthError =
    OAuthError::new("invalid_client", "invalid client credentials");

/// Claims Salesforce reads from a JWT bearer assertion.
#[derive(Debug, Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    prn: Option<String>,
    aud: Option<Value>,
    exp: Option<i64>,
}

/// Handles `POST /services/oauth2/token`.
pub async fn token(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut params = web_server_flow::parameters(&[query.unwrap_or_default().as_bytes(), &body]);
    if let Some((id, secret)) = basic_credentials(&headers) {
        params.entry("client_id".into()).or_insert(id);
        params.entry("client_secret".into()).or_insert(secret);
    }
    match grant(&shared, &params) {
        Ok(mut body) => {
            // The instance answers on the scheme the client logged in with.
            body["instance_url"] = json!(connection.origin(&shared.base_url));
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn grant(shared: &Shared, params: &HashMap<String, String>) -> Result<Value, OAuthError> {
    let options = &shared.options;
    let param = |k: &str| params.get(k).map(String::as_str);
    let check_client = |require_secret: bool| -> Result<(), OAuthError> {
        if param("client_id") != Some(options.client_id.as_str()) {
            return Err(BAD_CLIENT_ID);
        }
        match param("client_secret") {
            Some(secret) if secret != options.client_secret => Err(BAD_CLIENT_SECRET),
            None if require_secret => Err(BAD_CLIENT_SECRET),
            _ => Ok(()),
        }
    };
    let mut state = shared.lock();
    match param("grant_type") {
        Some(GRANT_PASSWORD) => {
            check_client(true)?;
            let admin = state.org.admin_id.clone();
            let ok = param("username") == Some(options.username.as_str())
                && param("password") == Some(options.password.as_str());
            if !ok {
                return Err(AUTH_FAILURE);
            }
            // "No refresh token is issued": the user cannot authorize the
            // app in this flow (REST API Developer Guide, "Username-Password
            // OAuth Authentication Flow",
            // developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_understanding_username_password_oauth_flow.htm;
            // Salesforce Help, "OAuth 2.0 Username-Password Flow for Special
            // Scenarios": the flow supports no scopes or refresh tokens).
            Ok(issue(shared, &mut state, &admin, false))
        }
        Some(GRANT_AUTHORIZATION_CODE) => {
            check_client(true)?;
            let user = web_server_flow::redeem(&mut state, params)?;
            Ok(issue(shared, &mut state, &user, true))
        }
        Some(GRANT_CLIENT_CREDENTIALS) => {
            // Only the My Domain host serves this grant (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_endpoints.htm).
            if !options.my_domain {
                return Err(OAuthError::new(
                    "invalid_grant",
                    "request not supported on this domain",
                ));
            }
            check_client(true)?;
            let user = run_as_user(shared, &state)?;
            Ok(issue(shared, &mut state, &user, false))
        }
        Some(GRANT_REFRESH) => {
            check_client(false)?;
            let user = param("refresh_token")
                .and_then(|t| state.refresh_tokens.get(t).cloned())
                .ok_or(OAuthError::new(
                    "invalid_grant",
                    "expired access/refresh token",
                ))?;
            let mut body = issue(shared, &mut state, &user, false);
            body["scope"] = json!("api refresh_token");
            Ok(body)
        }
        Some(GRANT_JWT) => {
            let assertion = param("assertion").ok_or(OAuthError::new(
                "invalid_request",
                "assertion type is not supported",
            ))?;
            let user = verify_assertion(shared, &state, assertion)?;
            Ok(issue(shared, &mut state, &user, false))
        }
        Some(_) | None => Err(OAuthError::new(
            "unsupported_grant_type",
            "grant type not supported",
        )),
    }
}

/// The External Client App's Run As user, whom the client credentials flow
/// acts as (Salesforce Help, "OAuth 2.0 Client Credentials Flow for
/// Server-to-Server Integration": the app needs a Run As (execution) user;
/// without one the flow fails, <https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm>).
fn run_as_user(shared: &Shared, state: &EmState) -> Result<String, OAuthError> {
    const NO_USER: OAuthError =
        OAuthError::new("invalid_grant", "no client credentials user enabled");
    let username = match &shared.options.client_credentials_user {
        RunAs::IntegrationUser => shared.options.username.as_str(),
        RunAs::Username(name) => name.as_str(),
        RunAs::Unset => return Err(NO_USER),
    };
    active_user(state, username).ok_or(NO_USER)
}

/// The ID of the active user named `username`.
fn active_user(state: &EmState, username: &str) -> Option<String> {
    state
        .org
        .rows("User")
        .find(|u| {
            u.get("Username")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(username))
                && u.get("IsActive") == Some(&Value::Bool(true))
        })
        .and_then(|u| u.get("Id").and_then(Value::as_str).map(str::to_owned))
}

/// `POST /services/oauth2/revoke`: ends an access or refresh token (200 either way
/// for a token that was valid; 400 `unsupported_token_type` for an unknown one).
pub async fn revoke(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut token = None;
    for source in [query.unwrap_or_default().into_bytes(), body.to_vec()] {
        for (k, v) in url::form_urlencoded::parse(&source) {
            if k == "token" {
                token = Some(v.into_owned());
            }
        }
    }
    let mut state = shared.lock();
    let Some(token) = token else {
        return OAuthError::new("invalid_request", "token parameter is required").into_response();
    };
    let known =
        state.sessions.remove(&token).is_some() || state.refresh_tokens.remove(&token).is_some();
    if known {
        StatusCode::OK.into_response()
    } else {
        OAuthError::new("unsupported_token_type", "this token type is not supported")
            .into_response()
    }
}

/// `GET /services/oauth2/userinfo`: the OpenID Connect profile of the session's user.
pub async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let mut state = shared.lock();
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let Some(user) = session_user(&mut state, authorization) else {
        return (StatusCode::FORBIDDEN, "Bad_OAuth_Token").into_response();
    };
    let org_id = state.org.org_id.clone();
    let row = state.org.record("User", &user).cloned().unwrap_or_default();
    let text = |k: &str| row.get(k).cloned().unwrap_or(Value::Null);
    Json(json!({
        "sub": format!("{LOGIN_HOST}/id/{org_id}/{user}"),
        "user_id": user,
        "organization_id": org_id,
        "preferred_username": text("Username"),
        "nickname": text("Alias"),
        "name": text("Name"),
        "email": text("Email"),
        "email_verified": true,
        "given_name": text("FirstName"),
        "family_name": text("LastName"),
        "zoneinfo": text("TimeZoneSidKey"),
        "active": text("IsActive"),
        "user_type": "STANDARD",
        "language": text("LanguageLocaleKey"),
        "locale": text("LocaleSidKey"),
        "utcOffset": -28_800_000,
    }))
    .into_response()
}

/// Checks a JWT bearer assertion (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm>); returns the user ID.
fn verify_assertion(
    shared: &Shared,
    state: &EmState,
    assertion: &str,
) -> Result<String, OAuthError> {
    const INVALID: OAuthError = OAuthError::new("invalid_grant", "invalid assertion");
    let options = &shared.options;
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| INVALID)?;
    if header.alg != Algorithm::RS256 {
        return Err(INVALID);
    }
    let claims: Claims = jsonwebtoken::dangerous::insecure_decode(assertion)
        .map_err(|_| INVALID)?
        .claims;
    if claims.iss.as_deref() != Some(options.client_id.as_str()) {
        return Err(BAD_CLIENT_ID);
    }
    let pem = options.jwt_certificate_pem.as_deref().ok_or(INVALID)?;
    let key = DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| INVALID)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(assertion, &key, &validation)
        .map_err(|_| OAuthError::new("invalid_grant", "invalid signature"))?;
    let audiences: Vec<String> = match &claims.aud {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let accepted = |aud: &String| {
        let aud = aud.trim_end_matches('/');
        aud == LOGIN_HOST || aud == shared.base_url
    };
    if !audiences.iter().any(accepted) {
        return Err(OAuthError::new("invalid_grant", "audience is invalid"));
    }
    let now = chrono::Utc::now().timestamp();
    if claims.exp.is_none_or(|exp| exp <= now) {
        return Err(OAuthError::new(
            "invalid_grant",
            "expired authorization code",
        ));
    }
    let subject = claims.sub.or(claims.prn).unwrap_or_default();
    active_user(state, &subject).ok_or(OAuthError::new(
        "invalid_grant",
        "user hasn't approved this consumer",
    ))
}

/// A random token of `len` characters.
pub fn random_token(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| TOKEN_ALPHABET[rng.random_range(0..TOKEN_ALPHABET.len())] as char)
        .collect()
}

/// Mints a session for `user` and renders the token response.
fn issue(shared: &Shared, state: &mut EmState, user: &str, with_refresh: bool) -> Value {
    let org15 = &state.org.org_id[..super::ids::ID15_LEN];
    let access_token = format!("{org15}!AQ{}", random_token(ACCESS_TOKEN_RANDOM_LEN));
    state.sessions.insert(
        access_token.clone(),
        Session {
            user_id: user.to_owned(),
            issued: Instant::now(),
        },
    );
    let id = format!("{LOGIN_HOST}/id/{}/{user}", state.org.org_id);
    let issued_at = chrono::Utc::now().timestamp_millis().to_string();
    let signature = sign(&shared.options.client_secret, &format!("{id}{issued_at}"));
    let mut body = json!({
        "access_token": access_token,
        "instance_url": shared.base_url,
        "id": id,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": signature,
        "scope": "api",
    });
    if with_refresh {
        let refresh = random_token(REFRESH_TOKEN_LEN);
        state
            .refresh_tokens
            .insert(refresh.clone(), user.to_owned());
        body["refresh_token"] = json!(refresh);
        body["scope"] = json!("api refresh_token");
    }
    body
}

/// Base64 HMAC-SHA256 of `message` keyed by the client secret.
pub fn sign(secret: &str, message: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, message.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// The user of a live session named by an `Authorization` header value.
pub fn session_user(state: &mut EmState, authorization: Option<&str>) -> Option<String> {
    let value = authorization?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("OAuth "))?
        .trim();
    let lifetime = state.token_lifetime;
    let session = state.sessions.get(token)?;
    if session.issued.elapsed() >= lifetime {
        state.sessions.remove(token);
        return None;
    }
    Some(session.user_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_base64_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe".
        let sig = sign("Jefe", "what do ya want for nothing?");
        assert_eq!(sig, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
    }
}
