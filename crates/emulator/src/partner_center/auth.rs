//! Microsoft Entra ID v2 token endpoint (`POST /{tenant}/oauth2/v2.0/token`)
//! and bearer checks for the two Partner Center audiences (reference §1.11,
//! §2.1). Errors use Entra's shape: `error`, `error_description` starting
//! with an `AADSTS` code, `error_codes`, `timestamp`, `trace_id`,
//! `correlation_id`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::json;

use super::error::ApiError;
use super::App;

/// Audience (resource) of the Referrals API.
pub(crate) const REFERRALS_AUDIENCE: &str = "https://api.partner.microsoft.com";
/// Audience (resource) of the other Partner Center APIs, webhooks included.
pub(crate) const PARTNER_CENTER_AUDIENCE: &str = "https://api.partnercenter.microsoft.com";
/// Resources this token endpoint issues tokens for.
const RESOURCES: &[&str] = &[REFERRALS_AUDIENCE, PARTNER_CENTER_AUDIENCE];
/// OpenID scopes that may accompany a resource scope in a delegated grant.
const OIDC_SCOPES: &[&str] = &["offline_access", "openid", "profile", "email"];
/// Tenant aliases Entra accepts for delegated (refresh token) grants.
pub(crate) const MULTI_TENANT_ALIASES: &[&str] = &["common", "organizations"];
/// Random bytes in an issued token.
const TOKEN_BYTES: usize = 32;

/// What an access token grants.
#[derive(Debug, Clone)]
struct Grant {
    audience: &'static str,
    app_only: bool,
    expires_at: Instant,
}

/// Tokens issued by this emulator.
#[derive(Default)]
pub(crate) struct Tokens {
    access: HashMap<String, Grant>,
    refresh: HashSet<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &self.access.len())
            .field("refresh", &self.refresh.len())
            .finish()
    }
}

fn random_token() -> String {
    let bytes: [u8; TOKEN_BYTES] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An Entra error response.
pub(crate) fn entra(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

fn missing(param: &str) -> Response {
    entra(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{param}'."),
    )
}

/// Client credentials from the form or from HTTP Basic (client_secret_basic).
fn client_credentials(
    form: &HashMap<String, String>,
    headers: &HeaderMap,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|b64| STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| urlencoding::decode(s).map(|c| c.into_owned()).ok();
            Some((decode(id)?, decode(secret)?))
        });
    let id = form
        .get("client_id")
        .cloned()
        .or_else(|| basic.as_ref().map(|b| b.0.clone()));
    let secret = form
        .get("client_secret")
        .cloned()
        .or_else(|| basic.map(|b| b.1));
    (id, secret)
}

/// The resource a scope list asks for, or the Entra error for it.
fn resource_of(scope: &str, app_only: bool) -> Result<&'static str, Box<Response>> {
    let mut resource = None;
    for item in scope.split_whitespace() {
        if OIDC_SCOPES.contains(&item) {
            if app_only {
                return Err(Box::new(entra(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    1002012,
                    &format!("The provided value for scope {item} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
                )));
            }
            continue;
        }
        let Some((base, permission)) = item.rsplit_once('/').filter(|(b, _)| b.contains("://"))
        else {
            return Err(Box::new(entra(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                70011,
                &format!("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {item} is not valid."),
            )));
        };
        let Some(known) = RESOURCES
            .iter()
            .copied()
            .find(|r| r.eq_ignore_ascii_case(base))
        else {
            return Err(Box::new(entra(
                StatusCode::BAD_REQUEST,
                "invalid_resource",
                500011,
                &format!("The resource principal named {base} was not found in the tenant."),
            )));
        };
        let permission_ok =
            permission == ".default" || (!app_only && permission == "user_impersonation");
        if !permission_ok {
            return Err(Box::new(entra(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                70011,
                &format!("The provided value for the input parameter 'scope' is not valid. The scope {item} is not valid."),
            )));
        }
        if resource.is_some_and(|r| r != known) {
            return Err(Box::new(entra(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                28000,
                "Provided value for the input parameter scope is not valid because it contains more than one resource.",
            )));
        }
        resource = Some(known);
    }
    resource.ok_or_else(|| {
        Box::new(entra(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid. It names no resource.",
        ))
    })
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token_endpoint(
    State(app): State<Arc<App>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let options = &app.options;
    let known_tenant = tenant.eq_ignore_ascii_case(&options.tenant);
    let alias = MULTI_TENANT_ALIASES
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&tenant));
    if !known_tenant && !alias {
        return entra(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
        );
    }
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !form_type {
        return missing("grant_type");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(grant_type) = form.get("grant_type") else {
        return missing("grant_type");
    };
    let app_only = match grant_type.as_str() {
        "client_credentials" => true,
        "refresh_token" => false,
        other => {
            return entra(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
            )
        }
    };
    if app_only && alias {
        return entra(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            7000108,
            "The client credentials flow needs a tenant-specific endpoint, not an alias such as 'common'.",
        );
    }
    let (client_id, client_secret) = client_credentials(&form, &headers);
    let Some(client_id) = client_id else {
        return missing("client_id");
    };
    if client_id != options.client_id {
        return entra(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'.",
                options.tenant
            ),
        );
    }
    let Some(secret) = client_secret else {
        return entra(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    };
    if secret != options.client_secret {
        return entra(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    let scope = match (form.get("scope"), app_only) {
        (Some(scope), _) => scope.clone(),
        (None, true) => return missing("scope"),
        // A refresh without scope keeps the original grant's scope; the
        // configured refresh token was granted for the Referrals API.
        (None, false) => format!("{REFERRALS_AUDIENCE}/user_impersonation offline_access"),
    };
    let audience = match resource_of(&scope, app_only) {
        Ok(audience) => audience,
        Err(response) => return *response,
    };
    let new_refresh = if app_only {
        None
    } else {
        let Some(presented) = form.get("refresh_token") else {
            return missing("refresh_token");
        };
        let mut tokens = app.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if *presented != options.refresh_token && !tokens.refresh.contains(presented) {
            return entra(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid.",
            );
        }
        let rotated = random_token();
        tokens.refresh.insert(rotated.clone());
        Some(rotated)
    };
    let access_token = random_token();
    let grant = Grant {
        audience,
        app_only,
        expires_at: Instant::now() + options.token_lifetime,
    };
    app.tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .access
        .insert(access_token.clone(), grant);
    let lifetime = options.token_lifetime.as_secs();
    let granted_scope = if app_only {
        format!("{audience}/.default")
    } else {
        format!("{audience}/user_impersonation")
    };
    let mut body = json!({
        "token_type": "Bearer",
        "scope": granted_scope,
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    if let Some(refresh) = new_refresh {
        body["refresh_token"] = json!(refresh);
    }
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        axum::Json(body),
    )
        .into_response()
}

/// Checks the bearer token of an API call against `audience`.
///
/// With `delegated_only`, an app-only (client credentials) token is refused:
/// the Referrals API supports only App+User access (§1.11). The refusal is
/// 403 accessDenied by default (`Rules::app_only_status`).
pub(crate) fn authorize(
    app: &App,
    headers: &HeaderMap,
    audience: &str,
    delegated_only: bool,
) -> Result<(), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthenticated(
                "The request has no Authorization header; a bearer token is required.",
            )
        })?
        .to_str()
        .map_err(|_| ApiError::unauthenticated("The Authorization header is malformed."))?;
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthenticated("The Authorization header must use the Bearer scheme.")
        })?;
    let grant = app
        .tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .access
        .get(token)
        .cloned()
        .ok_or_else(|| ApiError::unauthenticated("The access token is invalid."))?;
    if Instant::now() >= grant.expires_at {
        return Err(ApiError::unauthenticated("The access token has expired."));
    }
    if grant.audience != audience {
        return Err(ApiError::unauthenticated(format!(
            "The access token audience '{}' is not valid for this API; expected '{audience}'.",
            grant.audience
        )));
    }
    if delegated_only && grant.app_only {
        let message = "This API supports only App+User (delegated) access by a Referrals admin or Referrals user; app-only tokens are not accepted.";
        return Err(
            if app.options.rules.app_only_status == StatusCode::UNAUTHORIZED.as_u16() {
                ApiError::unauthenticated(message)
            } else {
                ApiError::access_denied(message)
            },
        );
    }
    Ok(())
}
