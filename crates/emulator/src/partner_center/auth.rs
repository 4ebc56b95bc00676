//! Microsoft Entra ID v2 token endpoint (`POST /{tenant}/oauth2/v2.0/token`)
//! and bearer checks for the two Partner Center audiences (<https://learn.microsoft.com/en-us/partner-center/developer/referral-api-authentication>,
//! <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>). Errors use Entra's shape: `error`, `error_description` starting
//! with an `AADSTS` code, `error_codes`, `timestamp`, `trace_id`,
//! `correlation_id`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::json;

use super::authorize::{self, AuthCodes, AUTHORIZATION_CODE_GRANT};
use super::device_code::{DeviceCodes, Poll, DEVICE_CODE_GRANT};
use super::error::{ApiError, ErrorCode};
use super::App;
use crate::listener::Connection;

/// Audience (resource) of the Referrals API.
pub(crate) const REFERRALS_AUDIENCE: &str = "https://api.partner.microsoft.com";
/// Audience (resource) of the other Partner Center APIs, webhooks included.
pub(crate) const PARTNER_CENTER_AUDIENCE: &str = "https://api.partnercenter.microsoft.com";
/// Audience of the access token a sign-in (OpenID scopes only) yields: Microsoft Graph.
const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
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
    /// The sign-in behind a delegated token satisfied MFA (`amr` has `mfa`).
    mfa: bool,
    expires_at: Instant,
}

/// A refresh token issued by this emulator.
#[derive(Debug, Clone)]
struct RefreshGrant {
    expires_at: Instant,
    mfa: bool,
}

/// Default lifetime of a refresh token: 90 days, each token on its own;
/// using one does not revoke it
/// (<https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens#token-lifetime>).
pub(crate) const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);

/// Tokens issued by this emulator, and how new ones are issued.
pub(crate) struct Tokens {
    access: HashMap<String, Grant>,
    refresh: HashMap<String, RefreshGrant>,
    /// Times each refresh token was redeemed.
    redemptions: HashMap<String, u32>,
    /// Lifetime of refresh tokens issued from now on.
    refresh_lifetime: Duration,
    /// Whether sign-ins satisfy MFA.
    pub(crate) mfa: bool,
    pub(crate) device_codes: DeviceCodes,
    /// Authorization codes waiting to be redeemed.
    pub(crate) auth_codes: AuthCodes,
    /// When the configured refresh token (`Options::refresh_token`) was issued.
    started: Instant,
}

impl Default for Tokens {
    fn default() -> Self {
        Self {
            access: HashMap::new(),
            refresh: HashMap::new(),
            redemptions: HashMap::new(),
            refresh_lifetime: REFRESH_TOKEN_LIFETIME,
            mfa: true,
            device_codes: DeviceCodes::default(),
            auth_codes: AuthCodes::default(),
            started: Instant::now(),
        }
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &self.access.len())
            .field("refresh", &self.refresh.len())
            .field("mfa", &self.mfa)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// The grant of a presented refresh token, the configured one included
    /// (issued when the emulator started, with MFA).
    fn refresh_grant(&mut self, presented: &str, configured: &str) -> Option<RefreshGrant> {
        if presented == configured && !self.refresh.contains_key(presented) {
            let grant = RefreshGrant {
                expires_at: self.started + self.refresh_lifetime,
                mfa: true,
            };
            self.refresh.insert(presented.to_owned(), grant);
        }
        self.refresh.get(presented).cloned()
    }

    /// Issues a refresh token with the current lifetime.
    fn issue_refresh(&mut self, mfa: bool) -> String {
        let token = random_token();
        let grant = RefreshGrant {
            expires_at: Instant::now() + self.refresh_lifetime,
            mfa,
        };
        self.refresh.insert(token.clone(), grant);
        token
    }
}

impl App {
    /// The token state.
    pub(crate) fn tokens(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) fn random_token() -> String {
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

pub(crate) fn missing(param: &str) -> Response {
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
pub(crate) fn resource_of(scope: &str, app_only: bool) -> Result<&'static str, Box<Response>> {
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

/// Checks the tenant in the path: the emulator's own, or a multi-tenant
/// alias (`Ok(true)`).
pub(crate) fn is_known_tenant(app: &App, tenant: &str) -> Result<bool, Box<Response>> {
    let alias = MULTI_TENANT_ALIASES
        .iter()
        .any(|a| a.eq_ignore_ascii_case(tenant));
    if alias || tenant.eq_ignore_ascii_case(&app.options.tenant) {
        return Ok(alias);
    }
    Err(Box::new(entra(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
    )))
}

/// The grants the token endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrantKind {
    ClientCredentials,
    RefreshToken,
    DeviceCode,
    AuthorizationCode,
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token_endpoint(
    State(app): State<Arc<App>>,
    Path(tenant): Path<String>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let options = &app.options;
    let alias = match is_known_tenant(&app, &tenant) {
        Ok(alias) => alias,
        Err(response) => return *response,
    };
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
    let kind = match grant_type.as_str() {
        "client_credentials" => GrantKind::ClientCredentials,
        "refresh_token" => GrantKind::RefreshToken,
        DEVICE_CODE_GRANT => GrantKind::DeviceCode,
        AUTHORIZATION_CODE_GRANT => GrantKind::AuthorizationCode,
        other => {
            return entra(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
            )
        }
    };
    let app_only = kind == GrantKind::ClientCredentials;
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
    // The device code flow is a public client flow: a secret is optional,
    // but one that is sent must be right.
    match (client_secret, kind) {
        (None, GrantKind::DeviceCode) => {}
        (None, _) => {
            return entra(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        }
        (Some(secret), _) if secret != options.client_secret => {
            return entra(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
            )
        }
        (Some(_), _) => {}
    }
    let issued = match kind {
        GrantKind::ClientCredentials => client_credentials_grant(&form),
        GrantKind::RefreshToken => refresh_token_grant(&app, &form),
        GrantKind::DeviceCode => device_code_grant(&app, &form, &client_id),
        GrantKind::AuthorizationCode => {
            authorization_code_grant(&app, &form, &client_id, &connection)
        }
    };
    let Issued {
        audience,
        mfa,
        refresh: new_refresh,
        id_token,
    } = match issued {
        Ok(issued) => issued,
        Err(response) => return *response,
    };
    let access_token = access_token(&app, audience, app_only, mfa);
    let grant = Grant {
        audience,
        app_only,
        mfa,
        expires_at: Instant::now() + options.token_lifetime,
    };
    app.tokens().access.insert(access_token.clone(), grant);
    let lifetime = options.token_lifetime.as_secs();
    let granted_scope = if app_only {
        format!("{audience}/.default")
    } else if audience == GRAPH_AUDIENCE {
        format!("openid profile email {audience}/User.Read")
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
    if let Some(id_token) = id_token {
        body["id_token"] = json!(id_token);
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

/// What a grant yields.
struct Issued {
    /// The access token's audience.
    audience: &'static str,
    /// Whether the sign-in behind it had MFA.
    mfa: bool,
    /// A new refresh token (delegated grants).
    refresh: Option<String>,
    /// A signed ID token (sign-ins with the `openid` scope).
    id_token: Option<String>,
}

impl Issued {
    fn access(audience: &'static str, mfa: bool, refresh: Option<String>) -> Self {
        Self {
            audience,
            mfa,
            refresh,
            id_token: None,
        }
    }
}

/// A grant's outcome, or the Entra error answer.
type Granted = Result<Issued, Box<Response>>;

fn client_credentials_grant(form: &HashMap<String, String>) -> Granted {
    let Some(scope) = form.get("scope") else {
        return Err(Box::new(missing("scope")));
    };
    Ok(Issued::access(resource_of(scope, true)?, false, None))
}

/// Redeems a code from the authorization endpoint: a sign-in (OpenID scopes
/// only) yields an ID token and a Microsoft Graph access token.
fn authorization_code_grant(
    app: &App,
    form: &HashMap<String, String>,
    client_id: &str,
    connection: &Connection,
) -> Granted {
    let redeemed = authorize::redeem(app, form, client_id, connection)?;
    let mut tokens = app.tokens();
    let mfa = tokens.mfa;
    let refresh = redeemed.offline.then(|| tokens.issue_refresh(mfa));
    Ok(Issued {
        audience: GRAPH_AUDIENCE,
        mfa,
        refresh,
        id_token: redeemed.id_token,
    })
}

/// Redeems a refresh token: it must be known and unexpired; it stays valid
/// (Entra does not revoke a used refresh token) and a new one comes back.
fn refresh_token_grant(app: &App, form: &HashMap<String, String>) -> Granted {
    // A refresh without scope keeps the original grant's scope; the
    // configured refresh token was granted for the Referrals API.
    let scope = form
        .get("scope")
        .cloned()
        .unwrap_or_else(|| format!("{REFERRALS_AUDIENCE}/user_impersonation offline_access"));
    let audience = resource_of(&scope, false)?;
    let Some(presented) = form.get("refresh_token") else {
        return Err(Box::new(missing("refresh_token")));
    };
    let mut tokens = app.tokens();
    let Some(grant) = tokens.refresh_grant(presented, &app.options.refresh_token) else {
        return Err(Box::new(entra(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        )));
    };
    if Instant::now() >= grant.expires_at {
        return Err(Box::new(entra(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity. The token was issued on an earlier date and was inactive for the maximum lifetime.",
        )));
    }
    *tokens.redemptions.entry(presented.clone()).or_default() += 1;
    let rotated = tokens.issue_refresh(grant.mfa);
    Ok(Issued::access(audience, grant.mfa, Some(rotated)))
}

fn device_code_grant(app: &App, form: &HashMap<String, String>, client_id: &str) -> Granted {
    let Some(device_code) = form.get("device_code") else {
        return Err(Box::new(missing("device_code")));
    };
    let mut tokens = app.tokens();
    match tokens.device_codes.poll(device_code, client_id) {
        Poll::Refused(response) => Err(Box::new(response)),
        Poll::Approved { audience, mfa } => Ok(Issued::access(
            audience,
            mfa,
            Some(tokens.issue_refresh(mfa)),
        )),
    }
}

/// An access token shaped like Entra's (a JWT whose claims clients may
/// read; the emulator does not sign it): delegated tokens carry `amr`,
/// with `mfa` when the sign-in satisfied MFA.
fn access_token(app: &App, audience: &str, app_only: bool, mfa: bool) -> String {
    let now = chrono::Utc::now().timestamp();
    let tenant = &app.options.tenant;
    let mut claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "iat": now,
        "nbf": now,
        "exp": now + i64::try_from(app.options.token_lifetime.as_secs()).unwrap_or(i64::MAX),
        "appid": app.options.client_id,
        "tid": tenant,
        "jti": random_token(),
    });
    if !app_only {
        claims["scp"] = json!("user_impersonation");
        claims["amr"] = if mfa {
            json!(["pwd", "mfa"])
        } else {
            json!(["pwd"])
        };
    }
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "cosell-emulator"});
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        random_token()
    )
}

impl super::PartnerCenterEmulator {
    /// Ends every access token issued so far, as if each had reached its
    /// `expires_in`: the next API call with one gets 401 and the client must
    /// go back to the token endpoint.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        let mut tokens = self.app.tokens.lock().unwrap_or_else(|p| p.into_inner());
        for grant in tokens.access.values_mut() {
            grant.expires_at = now;
        }
    }

    /// Whether sign-ins from now on satisfy MFA (default true); without it
    /// delegated tokens lack the `mfa` claim and the Referrals API refuses them.
    pub fn set_mfa(&self, mfa: bool) {
        self.app.tokens().mfa = mfa;
    }

    /// Lifetime of refresh tokens issued from now on (default 90 days).
    pub fn set_refresh_token_lifetime(&self, lifetime: Duration) {
        self.app.tokens().refresh_lifetime = lifetime;
    }

    /// Ends a refresh token now, as if its lifetime had passed.
    pub fn expire_refresh_token(&self, token: &str) {
        let configured = self.app.options.refresh_token.clone();
        let mut tokens = self.app.tokens();
        if tokens.refresh_grant(token, &configured).is_some() {
            if let Some(grant) = tokens.refresh.get_mut(token) {
                grant.expires_at = Instant::now();
            }
        }
    }

    /// The most times any one refresh token was redeemed.
    pub fn max_refresh_token_redemptions(&self) -> u32 {
        self.app
            .tokens()
            .redemptions
            .values()
            .copied()
            .max()
            .unwrap_or(0)
    }
}

/// Checks the bearer token of an API call against `audience`.
///
/// With `delegated_only`, an app-only (client credentials) token is refused:
/// the Referrals API supports only App+User access (<https://learn.microsoft.com/en-us/partner-center/developer/referral-api-authentication>). The refusal is
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
    if !grant.app_only && !grant.mfa {
        // Since 1 April 2026 every App+User call must carry the MFA claim
        // (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-authentication>);
        // calls without it get 401 with error code 900421.
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::MfaRequired,
            "Authentication failed. MFA required.",
        ));
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
