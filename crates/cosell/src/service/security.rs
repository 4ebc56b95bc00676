//! What every answer and every admin request goes through: security headers
//! on every response (HTML, JSON and `/metrics` alike), the admin listener's
//! `Host` check (a DNS-rebinding page names its own domain, which is not
//! ours), and the bearer token `/api` and `/metrics` ask for when
//! `COSELL_ADMIN_TOKEN` is set.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use secrecy::{ExposeSecret, SecretString};
use tower_http::set_header::SetResponseHeaderLayer;
use url::{Host, Url};

/// Headers set on every answer. The dashboard has inline styles but no
/// scripts, fonts or images from anywhere.
const HEADERS: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::CACHE_CONTROL, "no-store"),
];

/// Adds the security headers to every answer of `router` (a handler's own
/// `Cache-Control` is kept).
pub fn with_headers(router: Router) -> Router {
    HEADERS.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// The `Host` values the admin listener answers to: IP literals and
/// `localhost` (a DNS-rebinding page can only name a domain it controls), and
/// `server.admin_url`'s name when a proxy serves the dashboard under one.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    name: Option<String>,
}

impl AllowedHosts {
    /// Ours, plus `admin_url`'s host when configured.
    pub fn new(admin_url: Option<&Url>) -> Self {
        Self {
            name: admin_url
                .and_then(Url::host_str)
                .map(str::to_ascii_lowercase),
        }
    }

    /// True when a request naming `host` (a `Host` header value) is for us.
    pub fn allows(&self, host: &str) -> bool {
        let Ok(url) = Url::parse(&format!("http://{host}")) else {
            return false;
        };
        if url.path() != "/" || !url.username().is_empty() || url.query().is_some() {
            return false;
        }
        match url.host() {
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
            Some(Host::Domain(domain)) => {
                domain.eq_ignore_ascii_case("localhost") || self.name.as_deref() == Some(domain)
            }
            None => false,
        }
    }
}

/// Refuses requests whose `Host` is not one of ours (421 Misdirected Request).
pub async fn check_host(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if allowed.allows(host) {
        next.run(request).await
    } else {
        (
            StatusCode::MISDIRECTED_REQUEST,
            axum::Json(
                serde_json::json!({ "error": "this server does not answer for that host name" }),
            ),
        )
            .into_response()
    }
}

/// Asks `/api` and `/metrics` for `Authorization: Bearer <COSELL_ADMIN_TOKEN>`.
pub async fn require_bearer(
    State(token): State<Arc<SecretString>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let guarded = path == "/metrics" || path == "/api" || path.starts_with("/api/");
    if !guarded || bearer_matches(&request, &token) {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer realm=\"cosell\"")],
        axum::Json(serde_json::json!({ "error": "sign-in required: send Authorization: Bearer <COSELL_ADMIN_TOKEN>" })),
    )
        .into_response()
}

/// True when `request` carries `Authorization: Bearer <token>`; compares in
/// constant time, so the answer's timing does not leak the token.
pub(crate) fn bearer_matches(request: &Request, token: &SecretString) -> bool {
    let Some(given) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    aws_lc_rs::constant_time::verify_slices_are_equal(
        given.trim().as_bytes(),
        token.expose_secret().as_bytes(),
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_and_localhost_are_ours_other_names_are_not() {
        let hosts = AllowedHosts::new(None);
        for host in [
            "127.0.0.1:8081",
            "localhost:8081",
            "LOCALHOST",
            "[::1]:8081",
            "10.0.0.5",
        ] {
            assert!(hosts.allows(host), "{host}");
        }
        for host in [
            "evil.example:8081",
            "evil.example",
            "localhost.evil.example",
            "",
            "a b",
            "x/y",
            "u@127.0.0.1",
        ] {
            assert!(!hosts.allows(host), "{host}");
        }
    }

    #[test]
    fn the_admin_url_name_is_ours_behind_a_proxy() {
        let url = Url::parse("https://cosell-admin.example.com").unwrap();
        let hosts = AllowedHosts::new(Some(&url));
        assert!(hosts.allows("cosell-admin.example.com"));
        assert!(hosts.allows("cosell-admin.example.com:443"));
        assert!(!hosts.allows("rebind.attacker.example"));
    }
}
