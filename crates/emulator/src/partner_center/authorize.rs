//! Entra's authorization endpoint (`/{tenant}/oauth2/v2.0/authorize`) for
//! the OpenID Connect authorization code flow with PKCE, and the redemption
//! of its codes at the token endpoint (`grant_type=authorization_code`).
//!
//! Follows "Microsoft identity platform and OAuth 2.0 authorization code
//! flow" (<https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow>):
//! - `client_id`, `redirect_uri`, `response_type=code`, `scope` are required;
//!   `state`, `nonce`, `code_challenge` (+ `code_challenge_method`, `S256`
//!   or `plain`) are echoed into the code. An unknown app (AADSTS700016) or
//!   a redirect URI the app did not register (AADSTS50011) is shown as an
//!   error page and never redirected to; other errors go back to the
//!   redirect URI as `error`, `error_description` and `state`.
//! - Redirect URIs match exactly, except that the port of an `http`
//!   loopback URI (`localhost`, `127.0.0.1`) is ignored ("Redirect URI
//!   (reply URL) outline and restrictions", localhost exceptions:
//!   <https://learn.microsoft.com/en-us/entra/identity-platform/reply-url>).
//! - Codes live about 10 minutes and are redeemed once (AADSTS54005 on a
//!   second try); the token request must name the same `redirect_uri`
//!   (AADSTS500112) and, when a challenge was sent, a `code_verifier`
//!   matching it (AADSTS501481). An S256 challenge is 43 characters
//!   (AADSTS501491 otherwise).
//!
//! Instead of a password prompt, the page lists the tenant's users
//! ([`super::Options::users`]) and takes a typed user name: the person (or
//! the browser test) picks whom to sign in as.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{digest, SHA256};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use url::Url;

use super::auth::{entra, is_known_tenant, missing, random_token};
use super::id_token::IdTokenRequest;
use super::{App, DirectoryUser};
use crate::listener::Connection;

/// Route of the authorization endpoint.
pub(crate) const AUTHORIZE_ROUTE: &str = "/{tenant}/oauth2/v2.0/authorize";
/// Grant type that redeems a code.
pub(crate) const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";
/// How long a code can be redeemed (the flow documentation: about 10 minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(600);
/// Length of an S256 code challenge: base64url of a SHA-256 digest, unpadded.
const S256_CHALLENGE_LEN: usize = 43;
/// Form field of the authorize page naming the user to sign in as.
pub const USERNAME_FIELD: &str = "username";

/// A code waiting to be redeemed.
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    client_id: String,
    redirect_uri: String,
    /// `(method, challenge)`.
    challenge: Option<(String, String)>,
    nonce: Option<String>,
    scope: String,
    user: DirectoryUser,
    expires_at: Instant,
    redeemed: bool,
}

/// Codes by code.
#[derive(Debug, Default)]
pub(crate) struct AuthCodes {
    codes: HashMap<String, AuthCode>,
}

/// A checked authorization request.
#[derive(Debug)]
struct Authorization {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    nonce: Option<String>,
    scope: String,
    challenge: Option<(String, String)>,
}

/// A refused request: an error page, or an error sent back to the app.
enum Refusal {
    Page(Box<Response>),
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        code: u32,
        description: String,
    },
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Page(response) => *response,
            Self::Redirect {
                redirect_uri,
                state,
                error,
                code,
                description,
            } => {
                let mut params = vec![
                    ("error", error.to_owned()),
                    ("error_description", format!("AADSTS{code}: {description}")),
                ];
                if let Some(state) = state {
                    params.push(("state", state));
                }
                found(&redirect_uri, &params)
            }
        }
    }
}

/// `302 Found` to `uri` with `params` added to its query.
fn found(uri: &str, params: &[(&str, String)]) -> Response {
    let mut url = match Url::parse(uri) {
        Ok(url) => url,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())], "").into_response()
}

/// An error shown on Entra's sign-in page (no redirect).
fn error_page(status: StatusCode, code: u32, description: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign in to your account</title></head>\
         <body><h1>Sign in</h1><p id=\"error\">AADSTS{code}: {}</p></body></html>",
        escape(description)
    );
    (status, Html(html)).into_response()
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// True when `presented` matches a registered redirect URI: exactly, or an
/// `http` loopback URI whatever its port.
fn redirect_registered(registered: &[String], presented: &str) -> bool {
    let Ok(url) = Url::parse(presented) else {
        return false;
    };
    registered.iter().any(|r| {
        if r == presented {
            return true;
        }
        let Ok(reg) = Url::parse(r) else {
            return false;
        };
        let loopback = matches!(reg.host_str(), Some("localhost" | "127.0.0.1"));
        loopback
            && reg.scheme() == "http"
            && url.scheme() == "http"
            && reg.host_str() == url.host_str()
            && reg.path() == url.path()
            && reg.query() == url.query()
    })
}

/// Checks an authorization request as Entra does, in Entra's order.
fn check(
    app: &App,
    tenant: &str,
    query: &HashMap<String, String>,
) -> Result<Authorization, Refusal> {
    is_known_tenant(app, tenant).map_err(Refusal::Page)?;
    let page_missing = |name: &str| {
        Refusal::Page(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
        )))
    };
    let client_id = query
        .get("client_id")
        .ok_or_else(|| page_missing("client_id"))?;
    if *client_id != app.options.client_id {
        return Err(Refusal::Page(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'.",
                app.options.tenant
            ),
        ))));
    }
    let redirect_uri = query
        .get("redirect_uri")
        .ok_or_else(|| page_missing("redirect_uri"))?;
    if !redirect_registered(&app.options.redirect_uris, redirect_uri) {
        return Err(Refusal::Page(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            50011,
            &format!("The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal."),
        ))));
    }
    let state = query.get("state").cloned();
    let refuse = |error, code, description: String| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        code,
        description,
    };
    match query.get("response_type").map(String::as_str) {
        Some("code") => {}
        Some(other) => {
            return Err(refuse(
                "unsupported_response_type",
                700054,
                format!("response_type '{other}' is not enabled for the application."),
            ))
        }
        None => {
            return Err(refuse(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'response_type'.".into(),
            ))
        }
    }
    if let Some(mode) = query.get("response_mode").filter(|m| *m != "query") {
        return Err(refuse(
            "invalid_request",
            900144,
            format!("The response_mode '{mode}' is not supported here; use 'query'."),
        ));
    }
    let Some(scope) = query.get("scope").filter(|s| !s.trim().is_empty()) else {
        return Err(refuse(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.".into(),
        ));
    };
    let challenge = match query.get("code_challenge") {
        None => None,
        Some(challenge) => {
            let method = query
                .get("code_challenge_method")
                .cloned()
                .unwrap_or_else(|| "plain".to_owned());
            if method != "S256" && method != "plain" {
                // Entra documents only S256 and plain; its number for another
                // method is not documented, so the generic invalid-parameter
                // code (AADSTS90100) stands in.
                return Err(refuse(
                    "invalid_request",
                    90100,
                    format!("The code_challenge_method '{method}' is not supported: use S256."),
                ));
            }
            let valid = URL_SAFE_NO_PAD.decode(challenge).is_ok();
            if method == "S256" && (challenge.len() != S256_CHALLENGE_LEN || !valid) {
                return Err(refuse(
                    "invalid_request",
                    501491,
                    "Invalid size of Code_Challenge parameter.".into(),
                ));
            }
            Some((method, challenge.clone()))
        }
    };
    Ok(Authorization {
        client_id: client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        state,
        nonce: query.get("nonce").cloned(),
        scope: scope.clone(),
        challenge,
    })
}

fn parse_query(raw: Option<String>) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The sign-in page: pick a user of the tenant or type one.
fn sign_in_page(app: &App, query: &str, error: Option<&str>) -> Response {
    let action = format!("?{query}");
    let users: String = app
        .options
        .users
        .iter()
        .map(|u| {
            format!(
                "<li><button type=\"submit\" name=\"{USERNAME_FIELD}\" value=\"{upn}\" class=\"user\">{name} <small>{upn}</small></button></li>",
                upn = escape(&u.user_principal_name),
                name = escape(&u.display_name),
            )
        })
        .collect();
    let error = error
        .map(|e| format!("<p id=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in to your account</title></head>\
         <body><h1>Sign in</h1><p>{org}: Microsoft Entra ID sign-in</p>{error}\
         <form method=\"post\" action=\"{action}\" id=\"pick\"><ul>{users}</ul></form>\
         <form method=\"post\" action=\"{action}\" id=\"typed\"><label>Email or user name \
         <input type=\"text\" name=\"{USERNAME_FIELD}\" autocomplete=\"username\"></label> \
         <button type=\"submit\" id=\"next\">Next</button></form></body></html>",
        org = escape(&app.options.partner_org_name),
        action = escape(&action),
    );
    Html(html).into_response()
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: the sign-in page.
pub(crate) async fn authorize_page(
    State(app): State<Arc<App>>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = parse_query(raw.clone());
    match check(&app, &tenant, &query) {
        Ok(_) => sign_in_page(&app, &raw.unwrap_or_default(), None),
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /{tenant}/oauth2/v2.0/authorize`: the person chose a user; back to
/// the app with a code.
pub(crate) async fn authorize_submit(
    State(app): State<Arc<App>>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let query = parse_query(raw.clone());
    let request = match check(&app, &tenant, &query) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let typed = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == USERNAME_FIELD)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let Some(user) = app
        .options
        .users
        .iter()
        .find(|u| u.user_principal_name.eq_ignore_ascii_case(&typed))
        .cloned()
    else {
        let message = format!(
            "AADSTS50034: The user account {typed} does not exist in the {} directory. To sign into this application, the account must be added to the directory.",
            app.options.tenant
        );
        let mut page = sign_in_page(&app, &raw.unwrap_or_default(), Some(&message));
        *page.status_mut() = StatusCode::BAD_REQUEST;
        return page;
    };
    let code = random_token();
    let pending = AuthCode {
        client_id: request.client_id,
        redirect_uri: request.redirect_uri.clone(),
        challenge: request.challenge,
        nonce: request.nonce,
        scope: request.scope,
        user,
        expires_at: Instant::now() + CODE_LIFETIME,
        redeemed: false,
    };
    app.tokens().auth_codes.codes.insert(code.clone(), pending);
    let mut params = vec![("code", code)];
    if let Some(state) = request.state {
        params.push(("state", state));
    }
    found(&request.redirect_uri, &params)
}

/// What redeeming a code yields.
pub(crate) struct Redeemed {
    /// Whether `offline_access` was granted (a refresh token comes back).
    pub offline: bool,
    /// The signed ID token, when `openid` was granted.
    pub id_token: Option<String>,
}

/// Redeems an authorization code for `client_id` (already authenticated).
pub(crate) fn redeem(
    app: &App,
    form: &HashMap<String, String>,
    client_id: &str,
    connection: &Connection,
) -> Result<Redeemed, Box<Response>> {
    let invalid_grant = |code: u32, description: &str| {
        Box::new(entra(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            code,
            description,
        ))
    };
    let presented = form.get("code").ok_or_else(|| Box::new(missing("code")))?;
    let redirect_uri = form
        .get("redirect_uri")
        .ok_or_else(|| Box::new(missing("redirect_uri")))?;
    let pending = {
        let mut tokens = app.tokens();
        let Some(pending) = tokens.auth_codes.codes.get_mut(presented) else {
            return Err(invalid_grant(
                70000,
                "The provided value for the 'code' parameter is not valid.",
            ));
        };
        if pending.redeemed {
            return Err(invalid_grant(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."));
        }
        if Instant::now() >= pending.expires_at {
            return Err(invalid_grant(70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."));
        }
        if pending.client_id != client_id {
            return Err(invalid_grant(
                70000,
                "The provided value for the 'code' parameter is not valid: it was issued to another application.",
            ));
        }
        pending.redeemed = true;
        pending.clone()
    };
    if *redirect_uri != pending.redirect_uri {
        return Err(invalid_grant(500112, &format!("The reply address '{redirect_uri}' does not match the reply address '{}' provided when requesting Authorization code.", pending.redirect_uri)));
    }
    if let Some((method, challenge)) = &pending.challenge {
        let verifier = form
            .get("code_verifier")
            .ok_or_else(|| Box::new(missing("code_verifier")))?;
        let derived = if method == "S256" {
            URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()).as_ref())
        } else {
            verifier.clone()
        };
        if derived != *challenge {
            return Err(invalid_grant(
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            ));
        }
    }
    let scopes: Vec<&str> = pending.scope.split_whitespace().collect();
    let id_token = if scopes.contains(&"openid") {
        let origin = connection.origin(&app.base_url);
        let tenant = &app.options.tenant;
        let request = IdTokenRequest {
            issuer: &format!("{origin}/{tenant}/v2.0"),
            tenant,
            client_id,
            nonce: pending.nonce.as_deref(),
            email: scopes.contains(&"email"),
            groups: app.options.groups_claim,
        };
        let token = app.signer.id_token(&pending.user, &request).map_err(|e| {
            Box::new(entra(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                50000,
                &format!("There was an error issuing a token: {e}"),
            ))
        })?;
        Some(token)
    } else {
        None
    };
    Ok(Redeemed {
        offline: scopes.contains(&"offline_access"),
        id_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_others_exactly() {
        let registered = vec![
            "http://127.0.0.1/auth/callback".to_owned(),
            "https://cosell.example.com/auth/callback".to_owned(),
        ];
        assert!(redirect_registered(
            &registered,
            "http://127.0.0.1:8081/auth/callback"
        ));
        assert!(redirect_registered(
            &registered,
            "https://cosell.example.com/auth/callback"
        ));
        for bad in [
            "http://127.0.0.1:8081/other",
            "https://cosell.example.com:8443/auth/callback",
            "https://evil.example/auth/callback",
            "http://cosell.example.com/auth/callback",
            "not a url",
        ] {
            assert!(!redirect_registered(&registered, bad), "{bad}");
        }
    }
}
