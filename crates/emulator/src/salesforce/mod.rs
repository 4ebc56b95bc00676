//! Emulator of a Salesforce org: OAuth token endpoint, REST API, Tooling API.
//!
//! It speaks Salesforce REST closely enough for stock clients (simple-salesforce,
//! jsforce) and refuses what a real org refuses, with the real status codes and
//! error bodies (see the crate README and the REST API Developer Guide,
//! <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/>).
//!
//! Control API (no auth, not counted): `GET /_emulator/calls`,
//! `POST /_emulator/faults`, `POST /_emulator/reset`, and
//! `GET|POST /_emulator/settings` (alias `/_emulator/limits`) taking
//! `{"daily_api_limit":N}`, `{"token_lifetime_seconds":N}` and `{"api_used":N}`.
#![forbid(unsafe_code)]

pub mod soql;

mod auth;
mod bulk;
mod collections;
mod columns;
mod composite;
mod connector;
mod control_api;
mod countries;
mod describe;
mod errors;
mod faults;
mod http;
mod identity;
pub mod ids;
mod org;
mod org_rules;
pub mod profile;
mod query;
mod record_types;
mod rest;
mod schema;
mod security;
mod seed;
mod setup_objects;
mod soap;
mod sobjects;
mod standard;
mod state;
mod states;
mod tooling;
mod tree;
mod values;
mod web_server_flow;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{any, get, post};
use axum::Router;
use serde_json::{Map, Value};

use crate::control::{self, Control};
use crate::listener::{self, TlsIdentity};
use errors::ErrorItem;
pub use profile::Profile;
pub use record_types::PARTNER_RECORD_TYPE;
pub use seed::CORPORATE_CURRENCY;
use state::Shared;
use values::parse_record;

/// Default daily API allocation (Developer Edition, <https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm>).
pub const DEFAULT_DAILY_API_LIMIT: u64 = 15_000;
/// Default session lifetime (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm>).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);
/// Oldest API version served (21.0–30.0 are retired).
pub const DEFAULT_MIN_API_VERSION: u32 = 31;
/// Newest API version served.
pub const DEFAULT_MAX_API_VERSION: u32 = 66;

/// How the emulated org is set up.
#[derive(Clone)]
pub struct Options {
    /// Consumer key of the connected app.
    pub client_id: String,
    /// Consumer secret.
    pub client_secret: String,
    /// Username of the integration user.
    pub username: String,
    /// Its password (security token not required).
    pub password: String,
    /// PEM X.509 certificate registered for the JWT bearer flow.
    pub jwt_certificate_pem: Option<String>,
    /// Starts without the connector's fields and object (a fresh org before
    /// setup; in the enterprise profile its integration user also starts on a
    /// minimum-access profile).
    pub bare: bool,
    /// Multi-currency org (`CurrencyIsoCode` exists).
    pub multi_currency: bool,
    /// Daily API allocation.
    pub daily_api_limit: u64,
    /// Access token lifetime.
    pub token_lifetime: Duration,
    /// Oldest API version served (`v31.0`).
    pub min_api_version: u32,
    /// Newest API version served.
    pub max_api_version: u32,
    /// The host is the org's My Domain (client credentials allowed).
    pub my_domain: bool,
    /// The External Client App's callback URLs (web server flow).
    pub callback_urls: Vec<String>,
    /// The app's Run As user for the client credentials flow.
    pub client_credentials_user: RunAs,
    /// The kind of org (see [`Profile`]); [`Options::for_profile`] keeps
    /// `multi_currency` consistent with it.
    pub profile: Profile,
}

/// The callback URL `cosell login salesforce` listens on by default.
pub const DEFAULT_CALLBACK_URL: &str = "http://localhost:1717/OauthRedirect";

/// Who the client credentials flow runs as: the app's "Run As" user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunAs {
    /// The integration user ([`Options::username`]).
    IntegrationUser,
    /// Another user of the org, by username.
    Username(String),
    /// None set: the flow is refused.
    Unset,
}

impl Options {
    /// The default options for an org of `profile`.
    pub fn for_profile(profile: Profile) -> Self {
        Self {
            profile,
            multi_currency: profile.multi_currency(),
            ..Self::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            client_id: "cosell-demo".into(),
            client_secret: "cosell-demo-secret".into(),
            username: "admin@cosell.demo".into(),
            password: "cosell-demo".into(),
            jwt_certificate_pem: None,
            bare: false,
            multi_currency: true,
            daily_api_limit: DEFAULT_DAILY_API_LIMIT,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            min_api_version: DEFAULT_MIN_API_VERSION,
            max_api_version: DEFAULT_MAX_API_VERSION,
            my_domain: true,
            callback_urls: vec![DEFAULT_CALLBACK_URL.to_owned()],
            client_credentials_user: RunAs::IntegrationUser,
            profile: Profile::Demo,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field(
                "jwt_certificate_pem",
                &self.jwt_certificate_pem.as_ref().map(|_| "[certificate]"),
            )
            .field("bare", &self.bare)
            .field("multi_currency", &self.multi_currency)
            .field("daily_api_limit", &self.daily_api_limit)
            .field("token_lifetime", &self.token_lifetime)
            .field("min_api_version", &self.min_api_version)
            .field("max_api_version", &self.max_api_version)
            .field("my_domain", &self.my_domain)
            .field("profile", &self.profile)
            .finish()
    }
}

/// A refused in-process edit, with Salesforce's error codes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmulatorError {
    /// No such object.
    #[error("no such object: {0}")]
    UnknownObject(String),
    /// The ID is malformed or names no live record.
    #[error("no such record: {0}")]
    UnknownRecord(String),
    /// The org refused the write.
    #[error("{code}: {message}")]
    Refused {
        /// Salesforce error code.
        code: String,
        /// Salesforce message.
        message: String,
    },
}

impl From<Vec<ErrorItem>> for EmulatorError {
    fn from(errors: Vec<ErrorItem>) -> Self {
        let first = errors
            .into_iter()
            .next()
            .unwrap_or_else(|| ErrorItem::new("UNKNOWN_EXCEPTION", "unknown"));
        Self::Refused {
            code: first.code,
            message: first.message,
        }
    }
}

impl From<errors::ApiError> for EmulatorError {
    fn from(e: errors::ApiError) -> Self {
        e.errors.into()
    }
}

/// A running Salesforce emulator.
pub struct SalesforceEmulator {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
    tls_ca_pem: String,
}

impl fmt::Debug for SalesforceEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceEmulator")
            .field("url", &self.shared.base_url)
            .finish()
    }
}

impl Drop for SalesforceEmulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The REST routes, listed so call counts are per resource.
const REST_ROUTES: &[&str] = &[
    "/services/data/{version}",
    "/services/data/{version}/limits",
    "/services/data/{version}/sobjects",
    "/services/data/{version}/sobjects/{object}",
    "/services/data/{version}/sobjects/{object}/describe",
    "/services/data/{version}/sobjects/{object}/updated",
    "/services/data/{version}/sobjects/{object}/deleted",
    "/services/data/{version}/sobjects/{object}/{id}",
    "/services/data/{version}/sobjects/{object}/{field}/{value}",
    "/services/data/{version}/query",
    "/services/data/{version}/query/{locator}",
    "/services/data/{version}/queryAll",
    "/services/data/{version}/queryAll/{locator}",
    "/services/data/{version}/composite",
    "/services/data/{version}/composite/sobjects",
    "/services/data/{version}/composite/sobjects/{object}",
    "/services/data/{version}/composite/sobjects/{object}/{field}",
    "/services/data/{version}/tooling/query",
    "/services/data/{version}/tooling/sobjects",
    "/services/data/{version}/tooling/sobjects/{object}",
    "/services/data/{version}/tooling/sobjects/{object}/{id}",
    "/services/data/{version}/{*rest}",
];

impl SalesforceEmulator {
    /// Serves a fresh org on `listener`.
    pub async fn start(
        listener: tokio::net::TcpListener,
        options: Options,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let tls = tokio::task::spawn_blocking(TlsIdentity::generate)
            .await
            .map_err(std::io::Error::other)??;
        let shared = Arc::new_cyclic(|weak| {
            let control = Control::new(faults::Renderer::new(weak.clone()));
            Shared::new(options, base_url, control)
        });
        let mut api = Router::new()
            .route("/services/oauth2/token", post(auth::token))
            .route(
                "/services/oauth2/authorize",
                get(web_server_flow::authorize_page).post(web_server_flow::authorize_submit),
            )
            .route("/services/Soap/u/{version}", post(soap::login))
            .route("/services/oauth2/revoke", post(auth::revoke))
            .route(
                "/services/oauth2/userinfo",
                get(auth::userinfo).post(auth::userinfo),
            )
            .route("/id/{org}/{user}", get(identity::identity))
            .route("/services/data", get(rest::versions))
            .route("/services/data/", get(rest::versions));
        for route in REST_ROUTES {
            api = api.route(route, any(rest::handle));
            if !route.ends_with("{*rest}") {
                api = api.route(&format!("{route}/"), any(rest::handle));
            }
        }
        let api = api
            .route_layer(axum::middleware::from_fn_with_state(
                shared.control.clone(),
                control::control_layer,
            ))
            .with_state(shared.clone());
        let app = api.merge(control_api::router(shared.clone()));
        let app = Router::new().fallback_service(
            tower::ServiceBuilder::new()
                .map_request(collapse_slashes)
                .service(app),
        );
        let task = listener::serve(listener, &tls, app, "salesforce")?;
        Ok(Self {
            shared,
            task,
            tls_ca_pem: tls.ca_pem().to_owned(),
        })
    }

    /// Base URL: the instance URL and the login host.
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The same server over TLS, `https://127.0.0.1:PORT` (one port serves both).
    pub fn https_url(&self) -> String {
        self.shared.base_url.replacen("http://", "https://", 1)
    }

    /// PEM of the CA that issued the HTTPS certificate (trust it as a root).
    pub fn tls_ca_pem(&self) -> String {
        self.tls_ca_pem.clone()
    }

    /// Moves the org's write clock `by` ahead: later writes are stamped as
    /// if that much time had passed, and the replication resources cover
    /// that much more (tests of "latest change wins" and of getDeleted
    /// without sleeping).
    pub fn advance_clock(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or_default();
        self.shared.lock().org.advance_clock(by);
    }

    /// The org's clock: real time plus every [`advance_clock`](Self::advance_clock).
    /// Writes are stamped by it and getDeleted/getUpdated cover up to it.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.shared.lock().org.now()
    }

    /// [`now`](Self::now) as a function, for code under test that reads a
    /// clock (so it agrees with the org's after `advance_clock`).
    pub fn clock(&self) -> impl Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync + 'static {
        let shared = self.shared.clone();
        move || shared.lock().org.now()
    }

    /// The kind of org this is.
    pub fn profile(&self) -> Profile {
        self.shared.options.profile
    }

    /// Whether the org has multiple currencies (a `CurrencyIsoCode` field).
    pub fn multi_currency(&self) -> bool {
        self.shared.options.multi_currency
    }

    /// Call counting and fault injection.
    pub fn control(&self) -> Arc<Control> {
        self.shared.control.clone()
    }

    /// Sets the daily API allocation.
    pub fn set_daily_limit(&self, n: u64) {
        self.shared.lock().daily_limit = n;
    }

    /// Sets the access-token lifetime (applies to tokens already issued).
    pub fn set_token_lifetime(&self, d: Duration) {
        self.shared.lock().token_lifetime = d;
    }

    /// The organization ID (`00D…`).
    pub fn org_id(&self) -> String {
        self.shared.lock().org.org_id.clone()
    }

    /// True when State and Country/Territory Picklists are on: addresses
    /// take ISO codes in `BillingCountryCode` and the like.
    pub fn country_picklists(&self) -> bool {
        self.shared.lock().org.country_picklists
    }

    /// The integration user's ID.
    pub fn admin_user_id(&self) -> String {
        self.shared.lock().org.admin_id.clone()
    }

    /// The seller users' IDs (in-process edits are made as the first).
    pub fn seller_user_ids(&self) -> Vec<String> {
        self.shared.lock().org.seller_ids.clone()
    }

    /// Creates a record as a seller would in the UI: every DML rule applies,
    /// no API call is counted.
    pub fn insert(&self, object: &str, fields: Value) -> Result<String, EmulatorError> {
        let mut state = self.shared.lock();
        let def = state
            .org
            .object(object)
            .cloned()
            .ok_or_else(|| EmulatorError::UnknownObject(object.to_owned()))?;
        let body = as_object(fields)?;
        let raw = Value::Object(body.clone()).to_string();
        let assigns = parse_record(&def, &body, &raw)?;
        let actor = seller(&state.org);
        Ok(state.org.create(&def.name, &assigns, &actor)?)
    }

    /// Updates a record as a seller would; bumps SystemModstamp and LastModifiedDate.
    pub fn update(&self, object: &str, id: &str, fields: Value) -> Result<(), EmulatorError> {
        let mut state = self.shared.lock();
        let def = state
            .org
            .object(object)
            .cloned()
            .ok_or_else(|| EmulatorError::UnknownObject(object.to_owned()))?;
        let id = ids::normalize(id).ok_or_else(|| EmulatorError::UnknownRecord(id.to_owned()))?;
        let body = as_object(fields)?;
        let raw = Value::Object(body.clone()).to_string();
        let assigns = parse_record(&def, &body, &raw)?;
        let actor = seller(&state.org);
        Ok(state.org.update(&def.name, &id, &assigns, &actor)?)
    }

    /// Deletes a record as a seller would.
    pub fn delete(&self, id: &str) -> Result<(), EmulatorError> {
        let id = ids::normalize(id).ok_or_else(|| EmulatorError::UnknownRecord(id.to_owned()))?;
        self.shared
            .lock()
            .org
            .delete(&id)
            .map_err(|e| vec![e].into())
    }

    /// A record (deleted ones included) in its REST shape without `attributes`.
    pub fn record(&self, object: &str, id: &str) -> Option<Value> {
        let state = self.shared.lock();
        let def = state.org.object(object)?;
        let id = ids::normalize(id)?;
        state
            .org
            .record(&def.name, &id)
            .map(|r| Value::Object(r.clone()))
    }

    /// The live records of `object`, oldest first.
    pub fn records(&self, object: &str) -> Vec<Value> {
        let state = self.shared.lock();
        let Some(def) = state.org.object(object) else {
            return Vec::new();
        };
        state
            .org
            .rows(&def.name)
            .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
            .map(|r| Value::Object(r.clone()))
            .collect()
    }

    /// API calls counted against the daily allocation so far.
    pub fn api_usage(&self) -> u64 {
        self.shared.lock().api_used
    }
}

fn seller(org: &org::Org) -> String {
    org.seller_ids
        .first()
        .cloned()
        .unwrap_or_else(|| org.admin_id.clone())
}

fn as_object(fields: Value) -> Result<Map<String, Value>, EmulatorError> {
    match fields {
        Value::Object(map) => Ok(map),
        _ => Err(EmulatorError::Refused {
            code: "JSON_PARSER_ERROR".into(),
            message: "fields must be a JSON object".into(),
        }),
    }
}

/// Serves `//services/data/…` like `/services/data/…`. The Salesforce CLI
/// stores an instance URL with a trailing slash and joins every path onto
/// it, so each call it makes to a real org starts with two slashes.
fn collapse_slashes(mut request: axum::extract::Request) -> axum::extract::Request {
    let uri = request.uri();
    if !uri.path().contains("//") {
        return request;
    }
    let mut path = String::with_capacity(uri.path().len());
    for segment in uri.path().split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        path.push_str(segment);
    }
    if path.is_empty() || uri.path().ends_with('/') {
        path.push('/');
    }
    if let Some(query) = uri.query() {
        path.push('?');
        path.push_str(query);
    }
    let mut parts = uri.clone().into_parts();
    if let Ok(path_and_query) = path.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(collapsed) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = collapsed;
        }
    }
    request
}
