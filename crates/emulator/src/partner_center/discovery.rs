//! Entra ID OpenID Connect discovery for the emulated tenant:
//! `GET /{tenant}/v2.0/.well-known/openid-configuration` and the `jwks_uri`
//! it names.
//!
//! MSAL (Python, .NET, JS) fetches this document before any token request and
//! posts to its `token_endpoint`, so the emulator's token endpoint is only
//! reachable through a standard client once discovery works. The document
//! follows "OpenID Connect on the Microsoft identity platform" (learn.microsoft.com,
//! `entra/identity-platform/v2-protocols-oidc`, section "Find your app's
//! OpenID configuration document URI"): every endpoint lives under the
//! tenant-scoped authority, and the issuer is `{authority host}/{tenant}/v2.0`
//! (the literal `{tenantid}` placeholder for the multi-tenant aliases).
//! URLs use the scheme the request came in on: MSAL requires an `https`
//! `token_endpoint`, cosell's own client uses `http`.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::auth::{entra, MULTI_TENANT_ALIASES};
use super::App;
use crate::listener::Connection;

/// Route of the discovery document.
pub(crate) const OPENID_CONFIGURATION_ROUTE: &str =
    "/{tenant}/v2.0/.well-known/openid-configuration";
/// Route of the signing keys the document names.
pub(crate) const JWKS_ROUTE: &str = "/{tenant}/discovery/v2.0/keys";
/// How long clients may cache either document (Entra answers `max-age=86400`).
const CACHE_CONTROL: &str = "max-age=86400, private";
/// Placeholder Entra puts in the issuer of the multi-tenant aliases.
const TENANT_PLACEHOLDER: &str = "{tenantid}";
/// Entra's error code for an unknown tenant.
const TENANT_NOT_FOUND: u32 = 90002;

/// The tenant as discovery documents spell it, or the Entra error for an unknown one.
fn known_tenant(app: &App, tenant: &str) -> Result<(String, bool), Box<Response>> {
    if tenant.eq_ignore_ascii_case(&app.options.tenant) {
        return Ok((app.options.tenant.clone(), false));
    }
    if let Some(alias) = MULTI_TENANT_ALIASES
        .iter()
        .find(|a| a.eq_ignore_ascii_case(tenant))
    {
        return Ok(((*alias).to_owned(), true));
    }
    Err(Box::new(entra(
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        TENANT_NOT_FOUND,
        &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
    )))
}

/// The discovery document of `tenant` served from `origin` (`scheme://host:port`).
pub(crate) fn openid_configuration(origin: &str, tenant: &str, alias: bool) -> Value {
    let authority = format!("{origin}/{tenant}");
    let issuer_tenant = if alias { TENANT_PLACEHOLDER } else { tenant };
    json!({
        "token_endpoint": format!("{authority}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{authority}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{origin}/{issuer_tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{authority}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{authority}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{authority}/oauth2/v2.0/logout"),
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
            "name", "tid", "ver", "at_hash", "c_hash", "email", "oid", "groups"
        ],
        "kerberos_endpoint": format!("{authority}/kerberos"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    })
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(crate) async fn openid_configuration_endpoint(
    State(app): State<Arc<App>>,
    Path(tenant): Path<String>,
    ConnectInfo(connection): ConnectInfo<Connection>,
) -> Response {
    match known_tenant(&app, &tenant) {
        Ok((tenant, alias)) => {
            let origin = connection.origin(&app.base_url);
            cached(openid_configuration(&origin, &tenant, alias))
        }
        Err(response) => *response,
    }
}

/// `GET /{tenant}/discovery/v2.0/keys`: the key ID tokens are signed with
/// (access tokens are opaque to clients and not verified against it).
pub(crate) async fn jwks_endpoint(
    State(app): State<Arc<App>>,
    Path(tenant): Path<String>,
) -> Response {
    match known_tenant(&app, &tenant) {
        Ok(_) => cached(app.signer.jwks()),
        Err(response) => *response,
    }
}

fn cached(body: Value) -> Response {
    ([(header::CACHE_CONTROL, CACHE_CONTROL)], Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_sit_under_the_tenant_authority() {
        let doc = openid_configuration("https://127.0.0.1:9", "contoso", false);
        assert_eq!(
            doc["token_endpoint"],
            "https://127.0.0.1:9/contoso/oauth2/v2.0/token"
        );
        assert_eq!(
            doc["authorization_endpoint"],
            "https://127.0.0.1:9/contoso/oauth2/v2.0/authorize"
        );
        assert_eq!(doc["issuer"], "https://127.0.0.1:9/contoso/v2.0");
    }

    #[test]
    fn aliases_keep_the_tenant_placeholder_in_the_issuer() {
        let doc = openid_configuration("http://127.0.0.1:9", "common", true);
        assert_eq!(doc["issuer"], "http://127.0.0.1:9/{tenantid}/v2.0");
        assert_eq!(
            doc["token_endpoint"],
            "http://127.0.0.1:9/common/oauth2/v2.0/token"
        );
    }
}
