//! Sign-in for the admin listener: OpenID Connect against the partner's
//! Entra ID tenant (authorization code flow with PKCE S256, `state` and
//! `nonce`), an allow-list of people or groups, sessions in sealed cookies,
//! and a CSRF token on every state-changing request of a session.
//!
//! Routes: `GET /auth/sign-in?return_to=/path` leaves for Entra ID;
//! `GET /auth/callback` comes back with a code; `POST /auth/sign-out` ends
//! the session; `GET /auth/signed-out` says so. [`gate`] stands in front of
//! everything else: a session, or for `/api` and `/metrics` the bearer
//! token (`COSELL_ADMIN_TOKEN`), lets a request in; anonymous pages are sent
//! to sign in, anonymous `/api` and `/metrics` calls get 401 JSON.

mod access;
mod page;
mod provider;
mod session;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use oauth2::{CsrfToken, PkceCodeChallenge, Scope};
use secrecy::SecretString;
use serde::Deserialize;

pub use provider::ProviderError;

use crate::config::{SignInConfig, SIGN_IN_CALLBACK_PATH};
use crate::dashboard::{is_local_path, Viewer};
use crate::service::security::bearer_matches;
use page::page;
use session::{Cookies, Pending, Session};

/// Where sign-in starts.
pub const SIGN_IN_PATH: &str = "/auth/sign-in";
/// Where sign-out is posted.
pub const SIGN_OUT_PATH: &str = "/auth/sign-out";
/// The page after sign-out.
const SIGNED_OUT_PATH: &str = "/auth/signed-out";
/// Form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
/// Header carrying the CSRF token (API writes from a signed-in browser).
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest form body read to find the CSRF token.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// Scopes of a sign-in: who the person is, nothing more.
const SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// Sign-in state shared by the routes and the gate.
#[derive(Clone)]
pub struct SignIn {
    inner: Arc<Inner>,
}

struct Inner {
    provider: provider::Provider,
    cookies: Cookies,
    bearer: Option<SecretString>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("provider", &self.inner.provider)
            .finish_non_exhaustive()
    }
}

impl SignIn {
    /// Sign-in per `config`; `bearer` is the token scrapers may send instead.
    pub fn new(config: SignInConfig, bearer: Option<SecretString>) -> anyhow::Result<Self> {
        let secure = config.redirect_url.scheme() == "https";
        Ok(Self {
            inner: Arc::new(Inner {
                provider: provider::Provider::new(config)?,
                cookies: Cookies::new(secure),
                bearer,
            }),
        })
    }

    fn config(&self) -> &SignInConfig {
        self.inner.provider.config()
    }
}

/// `router` behind sign-in, with the sign-in routes added.
pub fn protect(router: Router, sign_in: SignIn) -> Router {
    let routes = Router::new()
        .route(SIGN_IN_PATH, get(start))
        .route(SIGN_IN_CALLBACK_PATH, get(callback))
        .route(SIGN_OUT_PATH, post(sign_out))
        .route(SIGNED_OUT_PATH, get(signed_out))
        .with_state(sign_in.clone());
    router
        .merge(routes)
        .layer(middleware::from_fn_with_state(sign_in, gate))
}

/// Paths anyone may open: sign-in itself and the readiness probe.
fn is_open(path: &str) -> bool {
    [
        SIGN_IN_PATH,
        SIGN_IN_CALLBACK_PATH,
        SIGNED_OUT_PATH,
        "/readyz",
    ]
    .contains(&path)
}

/// Paths for machines: JSON answers, bearer token accepted.
fn is_machine(path: &str) -> bool {
    path == "/metrics" || path == "/api" || path.starts_with("/api/")
}

/// Lets in sessions (checking CSRF on writes) and, for machine paths, the
/// bearer token; sends everyone else to sign in.
pub async fn gate(State(sign_in): State<SignIn>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_open(&path) {
        return next.run(request).await;
    }
    let machine = is_machine(&path);
    if machine {
        if let Some(token) = &sign_in.inner.bearer {
            if bearer_matches(&request, token) {
                return next.run(request).await;
            }
        }
    }
    let Some(session) = sign_in.inner.cookies.session(request.headers()) else {
        return if machine {
            (
                StatusCode::UNAUTHORIZED,
                [(WWW_AUTHENTICATE, "Bearer realm=\"cosell\"")],
                Json(serde_json::json!({ "error": "sign-in required: sign in to the dashboard, or send Authorization: Bearer <COSELL_ADMIN_TOKEN>" })),
            )
                .into_response()
        } else {
            // A page comes back after sign-in; a form post cannot be replayed.
            let return_to = match request.uri().path_and_query() {
                Some(p) if is_safe(request.method()) => p.as_str().to_owned(),
                _ => "/".to_owned(),
            };
            let location = format!(
                "{SIGN_IN_PATH}?{}",
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("return_to", &return_to)
                    .finish()
            );
            see_other(&location, None)
        };
    };
    let mut request = if is_safe(request.method()) {
        request
    } else {
        match with_valid_csrf(request, &session.csrf).await {
            Ok(request) => request,
            Err(()) => return csrf_refused(machine),
        }
    };
    request.extensions_mut().insert(Viewer {
        name: session.name.clone(),
        username: session.username.clone(),
        csrf_token: session.csrf.clone(),
    });
    next.run(request).await
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_refused(machine: bool) -> Response {
    let message =
        "this request lacks the dashboard's CSRF token: reload the page and press the button again";
    if machine {
        (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({ "error": message })),
        )
            .into_response()
    } else {
        page(
            StatusCode::FORBIDDEN,
            "Request refused",
            message,
            Some(("/", "Back to the dashboard")),
        )
    }
}

/// The request back, when its CSRF token (header, or form field of a form
/// body) is the session's; compared in constant time.
async fn with_valid_csrf(request: Request, expected: &str) -> Result<Request, ()> {
    let matches = |given: &str| {
        aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), expected.as_bytes())
            .is_ok()
    };
    if let Some(given) = request.headers().get(CSRF_HEADER) {
        return match given.to_str() {
            Ok(given) if matches(given) => Ok(request),
            _ => Err(()),
        };
    }
    let form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(());
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| ())?;
    let found = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .is_some_and(|(_, v)| matches(&v));
    if found {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        Err(())
    }
}

fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, location.to_owned())]).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// A random URL-safe token (state, nonce, CSRF): 128 bits from the OS RNG.
fn random_token() -> String {
    CsrfToken::new_random().secret().clone()
}

/// Query of `GET /auth/sign-in`.
#[derive(Debug, Deserialize)]
struct StartParams {
    return_to: Option<String>,
}

/// `GET /auth/sign-in`: off to Entra ID with a fresh state, nonce and PKCE challenge.
async fn start(State(sign_in): State<SignIn>, Query(params): Query<StartParams>) -> Response {
    let return_to = params
        .return_to
        .filter(|p| is_local_path(p) && !p.starts_with("/auth/"))
        .unwrap_or_else(|| "/".to_owned());
    let provider = &sign_in.inner.provider;
    let client = match provider.metadata().await.and_then(|m| provider.client(&m)) {
        Ok(client) => client,
        Err(error) => return failed(&error),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = random_token();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(SCOPES.map(|s| Scope::new(s.to_owned())))
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce.clone())
        .add_extra_param("response_mode", "query")
        .url();
    let pending = Pending {
        state: state.secret().clone(),
        nonce,
        verifier: verifier.secret().clone(),
        return_to,
        expires_at: chrono::Utc::now().timestamp()
            + i64::try_from(session::PENDING_LIFETIME.as_secs()).unwrap_or(600),
    };
    see_other(
        url.as_str(),
        Some(sign_in.inner.cookies.set_pending(&pending)),
    )
}

/// A sign-in that could not be completed: logged, and shown with a retry link.
fn failed(error: &ProviderError) -> Response {
    tracing::warn!(%error, "sign-in failed");
    let status = match error {
        ProviderError::Unreachable { .. } => StatusCode::BAD_GATEWAY,
        ProviderError::Refused(_) | ProviderError::BadIdToken(_) => StatusCode::UNAUTHORIZED,
    };
    page(
        status,
        "Sign-in failed",
        &error.to_string(),
        Some((SIGN_IN_PATH, "Try again")),
    )
}

/// `GET /auth/callback`: Entra ID is back with a code (or an error).
async fn callback(
    State(sign_in): State<SignIn>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let cookies = &sign_in.inner.cookies;
    let mut response = finish(&sign_in, &headers, params).await;
    response
        .headers_mut()
        .append(SET_COOKIE, cookies.clear_pending());
    response
}

async fn finish(
    sign_in: &SignIn,
    headers: &HeaderMap,
    mut params: HashMap<String, String>,
) -> Response {
    let restart = Some((SIGN_IN_PATH, "Sign in again"));
    let Some(pending) = sign_in.inner.cookies.pending(headers) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in was not started here or took longer than ten minutes.",
            restart,
        );
    };
    if let Some(error) = params.remove("error") {
        let description = params.remove("error_description").unwrap_or_default();
        return failed(&ProviderError::Refused(format!("{error}: {description}")));
    }
    let state_ok = params.get("state").is_some_and(|given| {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            given.as_bytes(),
            pending.state.as_bytes(),
        )
        .is_ok()
    });
    let Some(code) = params.remove("code").filter(|_| state_ok) else {
        tracing::warn!("sign-in callback with a wrong state or no code refused");
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "The answer from Entra ID does not belong to this sign-in.",
            restart,
        );
    };
    let claims = match sign_in
        .inner
        .provider
        .redeem(code, pending.verifier, &pending.nonce)
        .await
    {
        Ok(claims) => claims,
        Err(error) => return failed(&error),
    };
    let username = claims
        .preferred_username
        .clone()
        .or_else(|| claims.email.clone())
        .unwrap_or_default();
    if let Err(access::Refused(reason)) = access::check(sign_in.config(), &claims) {
        tracing::warn!(user = %username, "sign-in refused: not on the allow-list");
        return page(
            StatusCode::FORBIDDEN,
            "Not allowed",
            &reason,
            Some((SIGN_IN_PATH, "Sign in as someone else")),
        );
    }
    let lifetime = sign_in.config().session_lifetime;
    let session = Session {
        name: claims.name.clone().unwrap_or_else(|| username.clone()),
        username: username.clone(),
        csrf: random_token(),
        expires_at: chrono::Utc::now().timestamp()
            + i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2),
    };
    tracing::info!(user = %username, "signed in to the dashboard");
    see_other(
        &pending.return_to,
        Some(sign_in.inner.cookies.set_session(&session, lifetime)),
    )
}

/// `POST /auth/sign-out` (behind the gate: a session and its CSRF token).
async fn sign_out(State(sign_in): State<SignIn>, viewer: Option<Extension<Viewer>>) -> Response {
    if let Some(Extension(viewer)) = viewer {
        tracing::info!(user = %viewer.username, "signed out of the dashboard");
    }
    see_other(SIGNED_OUT_PATH, Some(sign_in.inner.cookies.clear_session()))
}

/// `GET /auth/signed-out`.
async fn signed_out() -> Response {
    page(
        StatusCode::OK,
        "Signed out",
        "You are signed out of the cosell dashboard.",
        Some((SIGN_IN_PATH, "Sign in again")),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::http::header::COOKIE;
    use tower::ServiceExt;

    use super::*;

    const TOKEN: &str = "csrf-token-of-the-session";

    /// Sign-in against a tenant nobody answers for, over an app that echoes
    /// the body of what gets through.
    fn app() -> (Router, SignIn) {
        let config = SignInConfig {
            authority: "http://127.0.0.1:1/tenant".parse().unwrap(),
            client_id: "client".into(),
            client_secret: "secret".to_owned().into(),
            redirect_url: "http://127.0.0.1:8081/auth/callback".parse().unwrap(),
            allowed_users: vec!["ada@contoso.example".into()],
            allowed_groups: Vec::new(),
            session_lifetime: Duration::from_secs(3600),
        };
        let sign_in = SignIn::new(config, Some("scrape".to_owned().into())).unwrap();
        let inner = Router::new()
            .route("/", get(|| async { "overview" }))
            .route("/api/overview", get(|| async { "{}" }))
            .route(
                "/dead-letters/retry-all",
                post(|body: Bytes| async move { body }),
            );
        (protect(inner, sign_in.clone()), sign_in)
    }

    fn session_cookie(sign_in: &SignIn) -> String {
        let session = Session {
            name: "Ada".into(),
            username: "ada@contoso.example".into(),
            csrf: TOKEN.into(),
            expires_at: chrono::Utc::now().timestamp() + 60,
        };
        let set = sign_in
            .inner
            .cookies
            .set_session(&session, Duration::from_secs(60));
        set.to_str().unwrap().split(';').next().unwrap().to_owned()
    }

    async fn call(app: &Router, request: axum::http::Request<Body>) -> (StatusCode, String) {
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn post_form(cookie: &str, body: &'static str) -> axum::http::Request<Body> {
        axum::http::Request::post("/dead-letters/retry-all")
            .header(COOKIE, cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn a_form_post_gets_through_with_the_sessions_token_and_its_body_intact() {
        let (app, sign_in) = app();
        let cookie = session_cookie(&sign_in);
        let body = "return_to=%2Fpairs&csrf_token=csrf-token-of-the-session";
        let (status, echoed) = call(&app, post_form(&cookie, body)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(echoed, body, "the handler reads the whole form");
        for bad in ["return_to=%2Fpairs", "csrf_token=csrf-token-of-another"] {
            let (status, page) = call(&app, post_form(&cookie, bad)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{bad}");
            assert!(page.contains("CSRF token"), "{page}");
        }
    }

    #[tokio::test]
    async fn the_bearer_token_opens_the_api_but_not_the_pages() {
        let (app, _) = app();
        let with_token = |path: &str| {
            axum::http::Request::get(path)
                .header("authorization", "Bearer scrape")
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(
            call(&app, with_token("/api/overview")).await.0,
            StatusCode::OK
        );
        assert_eq!(call(&app, with_token("/")).await.0, StatusCode::SEE_OTHER);
    }

    #[tokio::test]
    async fn an_unreachable_tenant_is_explained_not_hidden() {
        let (app, _) = app();
        let request = axum::http::Request::get(SIGN_IN_PATH)
            .body(Body::empty())
            .unwrap();
        let (status, page) = call(&app, request).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert!(page.contains("Entra ID could not be reached"), "{page}");
        assert!(!page.contains("secret"), "{page}");
    }
}
