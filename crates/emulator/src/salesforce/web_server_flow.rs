//! The OAuth 2.0 web server flow with PKCE, as an External Client App sees
//! it: `GET /services/oauth2/authorize` shows the login and "Allow Access?"
//! page, `POST` on it signs the person in and redirects to the app's
//! callback with a one-time `code` (or `error=access_denied`), and the token
//! endpoint redeems the code with `grant_type=authorization_code` and the
//! PKCE `code_verifier`, answering with a refresh token.
//!
//! Rules (Salesforce Help, "OAuth 2.0 Web Server Flow for Web App
//! Integration", help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm,
//! and the REST API Developer Guide's "Web Server OAuth Authentication
//! Flow", developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_understanding_web_server_oauth_flow.htm):
//! - `response_type` must be `code`; `client_id` is the consumer key;
//!   `redirect_uri` must be one of the app's callback URLs exactly, or the
//!   page shows `error=redirect_uri_mismatch` and does not redirect.
//! - `code_challenge` is the base64url SHA-256 of the `code_verifier`. A
//!   verifier that does not match fails with `invalid_request`; a challenge
//!   without a verifier fails with `invalid_grant`.
//! - The code is valid for 15 minutes and once (RFC 6749 §4.1.2).
//! - Errors after a valid client and callback go back to the callback as
//!   `?error=...&error_description=...&state=...` (Salesforce Help, "OAuth 2.0
//!   Authorization Errors": `access_denied` when the user denies access).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use url::Url;

use super::auth::{random_token, OAuthError};
use super::state::{AuthorizationCode, Shared, State as EmState};

/// How long an authorization code may be redeemed.
pub const CODE_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Length of the random part of an authorization code.
const CODE_LEN: usize = 64;
/// Length of a PKCE code challenge: base64url of 32 bytes, unpadded (RFC 7636 §4.2).
const CHALLENGE_LEN: usize = 43;
/// The parameters the login page carries through to its POST.
const CARRIED: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
];

/// The login and consent page.
#[derive(Template)]
#[template(path = "sf_authorize.html")]
struct AuthorizePage {
    app: String,
    fields: Vec<(String, String)>,
    error: Option<&'static str>,
}

/// Form or query parameters, first value wins.
pub fn parameters(sources: &[&[u8]]) -> HashMap<String, String> {
    let mut params = HashMap::new();
    for source in sources {
        for (k, v) in url::form_urlencoded::parse(source) {
            params
                .entry(k.into_owned())
                .or_insert_with(|| v.into_owned());
        }
    }
    params
}

/// A page that does not redirect: the client or its callback is wrong, so
/// Salesforce cannot tell the app (the body reads like Salesforce's page).
fn no_redirect(error: &str, description: &str) -> Response {
    let text = format!(
        "error={error}&error_description={}",
        urlencoding::encode(description)
    );
    (StatusCode::BAD_REQUEST, text).into_response()
}

/// A redirect to the app's callback with `pairs` (and the state) in the query.
fn to_callback(redirect_uri: &Url, pairs: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut target = redirect_uri.clone();
    {
        let mut query = target.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

/// An error shown on Salesforce's page instead of redirecting: `(error, description)`.
type PageError = (&'static str, &'static str);

/// Checks the client and its callback; the callback to send errors to.
fn checked_callback(shared: &Shared, params: &HashMap<String, String>) -> Result<Url, PageError> {
    const MISMATCH: PageError = (
        "redirect_uri_mismatch",
        "redirect_uri must match configuration",
    );
    let options = &shared.options;
    if params.get("client_id") != Some(&options.client_id) {
        return Err(("invalid_client_id", "client identifier invalid"));
    }
    let redirect = params.get("redirect_uri").map(String::as_str).unwrap_or("");
    if !options.callback_urls.iter().any(|c| c == redirect) {
        return Err(MISMATCH);
    }
    Url::parse(redirect).map_err(|_| MISMATCH)
}

/// The errors that go back to the app instead of a login page.
fn request_error(params: &HashMap<String, String>) -> Option<PageError> {
    if params.get("response_type").map(String::as_str) != Some("code") {
        return Some(("unsupported_response_type", "response type not supported"));
    }
    match (
        params.get("code_challenge"),
        params.get("code_challenge_method").map(String::as_str),
    ) {
        (None, _) => Some(("invalid_request", "missing required code challenge")),
        (Some(_), Some(method)) if method != "S256" => {
            Some(("invalid_request", "unsupported code challenge method"))
        }
        (Some(challenge), _) if !is_challenge(challenge) => {
            Some(("invalid_request", "invalid code challenge"))
        }
        _ => None,
    }
}

fn is_challenge(text: &str) -> bool {
    text.len() == CHALLENGE_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn page(params: &HashMap<String, String>, error: Option<&'static str>) -> Response {
    let fields = CARRIED
        .iter()
        .filter_map(|k| params.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    let page = AuthorizePage {
        app: params.get("client_id").cloned().unwrap_or_default(),
        fields,
        error,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Why an authorize request goes no further.
enum Refusal {
    /// Shown on Salesforce's page: the client or its callback is wrong.
    Page(PageError),
    /// Sent back to the app's callback.
    Callback(Url, PageError),
}

impl Refusal {
    fn respond(self, state: Option<&str>) -> Response {
        match self {
            Refusal::Page((error, description)) => no_redirect(error, description),
            Refusal::Callback(callback, (error, description)) => to_callback(
                &callback,
                &[("error", error), ("error_description", description)],
                state,
            ),
        }
    }
}

/// The app's callback, once the client, the callback and the request check out.
fn checked(shared: &Shared, params: &HashMap<String, String>) -> Result<Url, Refusal> {
    let callback = checked_callback(shared, params).map_err(Refusal::Page)?;
    match request_error(params) {
        Some(error) => Err(Refusal::Callback(callback, error)),
        None => Ok(callback),
    }
}

/// `GET /services/oauth2/authorize`: the login and consent page.
pub async fn authorize_page(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = parameters(&[query.unwrap_or_default().as_bytes()]);
    match checked(&shared, &params) {
        Ok(_) => page(&params, None),
        Err(refusal) => refusal.respond(params.get("state").map(String::as_str)),
    }
}

/// `POST /services/oauth2/authorize`: the person signs in and allows (or denies) access.
pub async fn authorize_submit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let params = parameters(&[&body]);
    let state = params.get("state").map(String::as_str);
    let callback = match checked(&shared, &params) {
        Ok(callback) => callback,
        Err(refusal) => return refusal.respond(state),
    };
    let options = &shared.options;
    let signed_in = params
        .get("username")
        .is_some_and(|u| u.eq_ignore_ascii_case(&options.username))
        && params.get("pw") == Some(&options.password);
    if !signed_in {
        return page(
            &params,
            Some("Please check your username and password. If you still can't log in, contact your Salesforce administrator."),
        );
    }
    if params.get("action").map(String::as_str) != Some("allow") {
        return to_callback(
            &callback,
            &[
                ("error", "access_denied"),
                ("error_description", "end-user denied authorization"),
            ],
            state,
        );
    }
    let code = format!("aPrx{}", random_token(CODE_LEN));
    let mut em = shared.lock();
    let user_id = em.org.admin_id.clone();
    em.authorization_codes.insert(
        code.clone(),
        AuthorizationCode {
            user_id,
            // As given: it matched a callback URL exactly.
            redirect_uri: params["redirect_uri"].clone(),
            code_challenge: params.get("code_challenge").cloned(),
            issued: Instant::now(),
        },
    );
    drop(em);
    to_callback(&callback, &[("code", &code)], state)
}

/// Redeems an authorization code (`grant_type=authorization_code`); the user
/// it was issued for. The code is spent whatever the outcome.
pub fn redeem(state: &mut EmState, params: &HashMap<String, String>) -> Result<String, OAuthError> {
    let param = |k: &str| params.get(k).map(String::as_str);
    let code = param("code")
        .and_then(|c| state.authorization_codes.remove(c))
        .ok_or(OAuthError::new(
            "invalid_grant",
            "invalid authorization code",
        ))?;
    if code.issued.elapsed() >= CODE_LIFETIME {
        return Err(OAuthError::new(
            "invalid_grant",
            "expired authorization code",
        ));
    }
    if param("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::new(
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        ));
    }
    if let Some(challenge) = &code.code_challenge {
        let verifier = param("code_verifier")
            .ok_or(OAuthError::new("invalid_grant", "invalid code verifier"))?;
        if &s256(verifier) != challenge {
            return Err(OAuthError::new("invalid_request", "invalid code verifier"));
        }
    }
    Ok(code.user_id)
}

/// base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_base64url_sha256_of_the_verifier() {
        // RFC 7636 Appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!is_challenge("plain-verifier"));
    }
}
