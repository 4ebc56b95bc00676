//! Emulator of Microsoft Partner Center: Entra ID token endpoint, Referrals
//! API, Webhooks API, signed webhook delivery, and a control API through
//! which tests play a Microsoft seller.
//!
//! Everything follows Microsoft's Referrals API and webhook pages
//! (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>); behaviours that
//! reference marks as inferences are knobs on [`Rules`].

mod auth;
mod authorize;
mod clock;
mod control_api;
mod delivery;
mod device_code;
mod discovery;
mod engagement;
mod error;
mod filter;
pub(crate) mod fy26;
mod http;
mod id_token;
mod iso;
mod listing;
mod model;
mod odata_mode;
mod patch;
mod pki;
mod referrals;
mod schema;
mod service;
mod store;
mod validate;
mod webhooks;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::control::{control_layer, Control};
use crate::listener::{self, TlsIdentity};

pub use authorize::USERNAME_FIELD;
pub use delivery::Delivery;
pub use engagement::{MicrosoftAnswer, MicrosoftSeller};
pub use error::{ApiError, ErrorCode};
pub use odata_mode::ODataMode;

/// Behaviours the reference leaves open ([I] rows), each with its default.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Status of a successful create: 201 (response-codes page) or 200 (connector swagger). Default 201.
    pub create_status: u16,
    /// Status of an illegal status change or a write to a closed referral: 400 (invalidRequest) or 409 (resourceModified). Default 400.
    pub illegal_transition_status: u16,
    /// Status of a PUT without `If-Match`: 428 (preconditionFailed) or 400 (invalidRequest). Default 428.
    pub missing_if_match_status: u16,
    /// Status for an app-only token on the Referrals API (App+User only, <https://learn.microsoft.com/en-us/partner-center/developer/referral-api-authentication>): 403 accessDenied or 401 unauthenticated. Default 403.
    pub app_only_status: u16,
    /// `$top` limits the whole result (OData semantics, paging continues up to it) when true; when false it is only the page size. Default true.
    pub top_limits_total: bool,
    /// A referral shared with Microsoft sellers needs a customer contact even without a help request. Default true.
    pub contact_required_when_shared: bool,
    /// New referrals close only as Declined/Expired and Active ones only as Won/Lost.
    /// Default false: the documented state table lets New move to Closed with
    /// any closed substatus (Won, Lost, Declined, Expired), see
    /// <https://learn.microsoft.com/en-us/partner-center/developer/referral-resources#status--substatus-transition-states>
    /// (MicrosoftDocs/partner-rest `develop/referral-resources.md`).
    pub strict_close_substatus: bool,
    /// A create or full update needs `customerProfile.name` and `customerProfile.address.country`. Default true.
    pub require_customer_address: bool,
    /// `POST /webhooks/v1/registration` when one exists: 409 when true, overwrite when false. Default true.
    pub register_conflict: bool,
    /// Test events allowed per minute (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>: 2).
    pub validation_events_per_minute: usize,
    /// How long an incoming referral stays open before it expires (<https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>: 14 days).
    pub incoming_expiry: Duration,
    /// Which `$filter` properties are honoured. Default [`ODataMode::Permissive`].
    pub odata: ODataMode,
    /// How old a deal registration must be before its referral may be
    /// marked Won (FY26 co-sell rules: 72 hours).
    pub won_after_registration: Duration,
    /// A partner's new referral must state the customer's marketplace
    /// purchase intent (FY26). Default true.
    pub require_marketplace_intent: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            create_status: 201,
            illegal_transition_status: 400,
            missing_if_match_status: 428,
            app_only_status: 403,
            top_limits_total: true,
            contact_required_when_shared: true,
            strict_close_substatus: false,
            require_customer_address: true,
            register_conflict: true,
            validation_events_per_minute: 2,
            incoming_expiry: Duration::from_secs(14 * 24 * 3600),
            odata: ODataMode::default(),
            won_after_registration: Duration::from_secs(72 * 3600),
            require_marketplace_intent: true,
        }
    }
}

/// How the emulator is set up. Secrets are redacted from Debug output.
#[derive(Clone)]
pub struct Options {
    /// Tenant in the token endpoint path.
    pub tenant: String,
    /// The only registered application.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// A refresh token for a Referrals admin user of the tenant.
    pub refresh_token: String,
    /// Lifetime of issued access tokens (`expires_in`).
    pub token_lifetime: Duration,
    /// The partner organization's id (`organizationId`).
    pub partner_org_id: String,
    /// The partner organization's name.
    pub partner_org_name: String,
    /// The partner's MPN id.
    pub mpn_id: String,
    /// Maximum referrals per list page.
    pub page_size: usize,
    /// Delivery attempts per webhook event (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>: 10).
    pub webhook_max_attempts: u32,
    /// First retry delay; doubles per attempt.
    pub webhook_retry_base: Duration,
    /// Longest retry delay.
    pub webhook_retry_max: Duration,
    /// Timeout of one delivery attempt.
    pub webhook_timeout: Duration,
    /// `X-MS-Certificate-Url` to announce; default the emulator's own `/_emulator/cert/…` URL.
    pub certificate_url: Option<String>,
    /// Open behaviours.
    pub rules: Rules,
    /// The tenant's people, who can sign in at the authorize endpoint.
    pub users: Vec<DirectoryUser>,
    /// Redirect URIs registered for the app (Web platform). An `http`
    /// loopback URI matches whatever port the request names.
    pub redirect_uris: Vec<String>,
    /// ID tokens carry the `groups` claim (the app's `groupMembershipClaims`). Default true.
    pub groups_claim: bool,
}

/// Object id of the demo tenant's "cosell admins" security group.
pub const DEMO_ADMINS_GROUP: &str = "b7c3e1f0-4a2d-4e8b-9c61-3d5f7a9b0e12";
/// The demo tenant's admin, a member of [`DEMO_ADMINS_GROUP`].
pub const DEMO_ADMIN: &str = "ada.admin@fabrikam-partner.example";
/// A demo tenant user who is in no group.
pub const DEMO_SELLER: &str = "sam.seller@fabrikam-partner.example";
/// Where cosell's dashboard receives sign-ins; registered for loopback by default.
pub const DEMO_REDIRECT_PATH: &str = "/auth/callback";

/// A person in the emulated tenant's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// Object id (`oid`).
    pub object_id: String,
    /// Sign-in name (`preferred_username`).
    pub user_principal_name: String,
    /// Display name (`name`).
    pub display_name: String,
    /// Object ids of the security groups the user is in (`groups`).
    pub groups: Vec<String>,
}

impl DirectoryUser {
    /// A user with a new object id.
    pub fn new(user_principal_name: &str, display_name: &str, groups: &[&str]) -> Self {
        Self {
            object_id: uuid::Uuid::new_v4().to_string(),
            user_principal_name: user_principal_name.to_owned(),
            display_name: display_name.to_owned(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            tenant: "cosell-demo-tenant".into(),
            client_id: "cosell-demo".into(),
            client_secret: "cosell-demo-secret".into(),
            refresh_token: "cosell-demo-refresh".into(),
            token_lifetime: Duration::from_secs(3600),
            partner_org_id: "7d4f6a2e-9b1c-4e8a-a3f5-2c6d8e0b1a47".into(),
            partner_org_name: "Fabrikam Partner (emulated)".into(),
            mpn_id: "4863040".into(),
            page_size: 100,
            webhook_max_attempts: 10,
            webhook_retry_base: Duration::from_secs(1),
            webhook_retry_max: Duration::from_secs(60),
            webhook_timeout: Duration::from_secs(10),
            certificate_url: None,
            rules: Rules::default(),
            users: vec![
                DirectoryUser::new(DEMO_ADMIN, "Ada Admin", &[DEMO_ADMINS_GROUP]),
                DirectoryUser::new(DEMO_SELLER, "Sam Seller", &[]),
            ],
            redirect_uris: ["http://127.0.0.1", "http://localhost"]
                .into_iter()
                .map(|host| format!("{host}{DEMO_REDIRECT_PATH}"))
                .collect(),
            groups_claim: true,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("token_lifetime", &self.token_lifetime)
            .field("partner_org_id", &self.partner_org_id)
            .field("partner_org_name", &self.partner_org_name)
            .field("mpn_id", &self.mpn_id)
            .field("page_size", &self.page_size)
            .field("webhook_max_attempts", &self.webhook_max_attempts)
            .field("webhook_retry_base", &self.webhook_retry_base)
            .field("webhook_retry_max", &self.webhook_retry_max)
            .field("webhook_timeout", &self.webhook_timeout)
            .field("certificate_url", &self.certificate_url)
            .field("rules", &self.rules)
            .field("users", &self.users)
            .field("redirect_uris", &self.redirect_uris)
            .field("groups_claim", &self.groups_claim)
            .finish()
    }
}

/// The one webhook registration of the tenant (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    pub(crate) subscriber_id: String,
    pub(crate) url: String,
    pub(crate) events: Vec<String>,
    pub(crate) ms_signature_header: bool,
}

/// A requested test event and its delivery results.
#[derive(Debug, Clone)]
pub(crate) struct Validation {
    pub(crate) callback_url: String,
    pub(crate) status: &'static str,
    pub(crate) results: Vec<Value>,
}

/// Mutable emulator data behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Data {
    pub(crate) store: store::Store,
    pub(crate) registration: Option<Registration>,
    pub(crate) validations: HashMap<String, Validation>,
    pub(crate) validation_requests: VecDeque<Instant>,
}

/// Shared state of one running emulator.
pub(crate) struct App {
    pub(crate) options: Options,
    pub(crate) base_url: String,
    pub(crate) data: Mutex<Data>,
    pub(crate) tokens: Mutex<auth::Tokens>,
    pub(crate) deliveries: Mutex<Vec<Delivery>>,
    /// Events whose delivery has not ended yet (answered, or given up).
    pub(crate) deliveries_in_flight: std::sync::atomic::AtomicUsize,
    pub(crate) pki: pki::Pki,
    pub(crate) signer: id_token::Signer,
    pub(crate) control: Arc<Control>,
    pub(crate) http: reqwest::Client,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) shutdown: watch::Sender<bool>,
}

impl App {
    pub(crate) fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The registration if it covers `event`.
    pub(crate) fn registration_for(&self, event: &str) -> Option<Registration> {
        self.data()
            .registration
            .clone()
            .filter(|r| r.events.iter().any(|e| e.eq_ignore_ascii_case(event)))
    }

    /// The URL announced in `X-MS-Certificate-Url`.
    pub(crate) fn certificate_url(&self) -> String {
        self.options
            .certificate_url
            .clone()
            .unwrap_or_else(|| format!("{}/_emulator/cert/{}.cer", self.base_url, pki::LEAF_NAME))
    }

    /// Records a test-event attempt for the validation-events API.
    pub(crate) fn record_validation_result(
        &self,
        correlation_id: &str,
        attempt: &Delivery,
        finished: bool,
    ) {
        let mut data = self.data();
        if let Some(validation) = data.validations.get_mut(correlation_id) {
            validation.results.push(serde_json::json!({
                "responseCode": attempt.status.map_or_else(|| "None".to_owned(), delivery::status_name),
                "responseMessage": attempt.error.clone().unwrap_or_default(),
                "systemError": attempt.status.is_none(),
                "dateTimeUtc": attempt.delivered_at.trim_end_matches('Z'),
            }));
            if finished {
                validation.status = "completed";
            }
        }
    }

    fn referrals_url(&self) -> String {
        format!("{}/v1.0/engagements/referrals", self.base_url)
    }
}

/// A running Partner Center emulator; dropping it stops the server.
pub struct PartnerCenterEmulator {
    app: Arc<App>,
    server: JoinHandle<()>,
    tls_ca_pem: String,
}

impl std::fmt::Debug for PartnerCenterEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerCenterEmulator")
            .field("url", &self.app.base_url)
            .finish_non_exhaustive()
    }
}

fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token_endpoint))
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(device_code::device_code_endpoint),
        )
        .route(
            discovery::OPENID_CONFIGURATION_ROUTE,
            get(discovery::openid_configuration_endpoint),
        )
        .route(discovery::JWKS_ROUTE, get(discovery::jwks_endpoint))
        .route(
            authorize::AUTHORIZE_ROUTE,
            get(authorize::authorize_page).post(authorize::authorize_submit),
        )
        .merge(referrals::routes())
        .merge(webhooks::routes())
        .route_layer(from_fn_with_state(Arc::clone(&app.control), control_layer));
    Router::new()
        .merge(api)
        .merge(control_api::routes())
        .merge(device_code::control_routes())
        .fallback(http::not_found)
        .layer(from_fn(http::request_ids))
        .with_state(app)
}

impl PartnerCenterEmulator {
    /// Starts serving on `listener` in a background task.
    pub async fn start(
        listener: tokio::net::TcpListener,
        options: Options,
    ) -> std::io::Result<Self> {
        let addr: SocketAddr = listener.local_addr()?;
        let pki = tokio::task::spawn_blocking(pki::Pki::generate)
            .await
            .map_err(std::io::Error::other)?
            .map_err(std::io::Error::other)?;
        let signer = tokio::task::spawn_blocking(id_token::Signer::generate)
            .await
            .map_err(std::io::Error::other)?
            .map_err(std::io::Error::other)?;
        let tls = tokio::task::spawn_blocking(TlsIdentity::generate)
            .await
            .map_err(std::io::Error::other)??;
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.webhook_timeout)
            .build()
            .map_err(std::io::Error::other)?;
        let (shutdown, _) = watch::channel(false);
        let app = Arc::new(App {
            options,
            base_url: format!("http://{addr}"),
            data: Mutex::new(Data::default()),
            tokens: Mutex::new(auth::Tokens::default()),
            deliveries: Mutex::new(Vec::new()),
            deliveries_in_flight: std::sync::atomic::AtomicUsize::new(0),
            pki,
            signer,
            control: Control::new(error::PcFaults),
            http,
            runtime: tokio::runtime::Handle::current(),
            shutdown,
        });
        let server = listener::serve(listener, &tls, router(Arc::clone(&app)), "partner center")?;
        Ok(Self {
            app,
            server,
            tls_ca_pem: tls.ca_pem().to_owned(),
        })
    }

    /// Base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.app.base_url.clone()
    }

    /// The same server over TLS, `https://127.0.0.1:PORT` (one port serves both).
    pub fn https_url(&self) -> String {
        self.app.base_url.replacen("http://", "https://", 1)
    }

    /// PEM of the CA that issued the HTTPS certificate (trust it as a root).
    pub fn tls_ca_pem(&self) -> String {
        self.tls_ca_pem.clone()
    }

    /// The Entra v2 token endpoint of the configured tenant.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.app.base_url, self.app.options.tenant
        )
    }

    /// The tenant's sign-in authority, `http://127.0.0.1:PORT/{tenant}`: its
    /// OpenID discovery document is at `{authority}/v2.0/.well-known/openid-configuration`.
    pub fn authority_url(&self) -> String {
        format!("{}/{}", self.app.base_url, self.app.options.tenant)
    }

    /// Base of the Referrals API (`…/v1.0/engagements`).
    pub fn referrals_url(&self) -> String {
        format!("{}/v1.0/engagements", self.app.base_url)
    }

    /// Base of the Webhooks API (`…/webhooks/v1`).
    pub fn webhooks_url(&self) -> String {
        format!("{}/webhooks/v1", self.app.base_url)
    }

    /// PEM of the CA that issued the webhook signing certificate.
    pub fn ca_pem(&self) -> String {
        self.app.pki.ca_pem.clone()
    }

    /// Call counts and fault injection.
    pub fn control(&self) -> Arc<Control> {
        Arc::clone(&self.app.control)
    }

    /// A Microsoft seller shares a referral with the partner (like `POST /_emulator/referrals`).
    pub fn share_referral(&self, body: Value) -> Result<Value, ApiError> {
        self.app.share_incoming(body)
    }

    /// A Microsoft seller updates a referral (like `PATCH /_emulator/referrals/{id}`):
    /// `patch` is a JSON Patch array or a JSON merge-patch object.
    pub fn microsoft_update(&self, id: &str, patch: Value) -> Result<Value, ApiError> {
        self.app.microsoft_update(id, patch)
    }

    /// Microsoft accepts or declines the referral a partner addressed to it
    /// (like `POST /_emulator/referrals/{id}/microsoft`).
    pub fn microsoft_answer(&self, id: &str, answer: MicrosoftAnswer) -> Result<Value, ApiError> {
        self.app.microsoft_answer(id, answer)
    }

    /// Moves the service's clock `by` ahead (like `POST /_emulator/clock`):
    /// later changes are stamped as if that much time had passed (tests of
    /// "latest change wins" without sleeping), and unanswered incoming
    /// referrals past their 14 days expire. Returns the new time as Partner
    /// Center writes it.
    pub fn advance_clock(&self, by: std::time::Duration) -> String {
        self.app
            .advance_clock(chrono::Duration::from_std(by).unwrap_or_default())
    }

    /// The referral as the API would return it.
    pub fn referral(&self, id: &str) -> Option<Value> {
        self.app.rendered(id)
    }

    /// Every referral, in creation order.
    pub fn referrals(&self) -> Vec<Value> {
        self.app.rendered_all()
    }

    /// The partner's own referrals, created or received: every referral but
    /// the connected ones the partner addressed to Microsoft.
    pub fn own_referrals(&self) -> Vec<Value> {
        self.referrals()
            .into_iter()
            .filter(|r| !engagement::is_microsoft_side(r))
            .collect()
    }

    /// Every webhook delivery attempt so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.app
            .deliveries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Webhook events still being delivered (not yet answered, or retrying):
    /// tests wait for none instead of sleeping.
    pub fn deliveries_in_flight(&self) -> usize {
        self.app
            .deliveries_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stops the server and pending deliveries.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for PartnerCenterEmulator {
    fn drop(&mut self) {
        let _ = self.app.shutdown.send(true);
        self.server.abort();
    }
}
