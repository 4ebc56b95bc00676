//! Emulator of the AWS Partner Central Selling API
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/Welcome.html>):
//! the AWS JSON 1.0 protocol on `POST /` with `X-Amz-Target:
//! AWSPartnerCentralSelling.<Operation>`, SigV4 verification against
//! configured access keys, both catalogs (`AWS`, `Sandbox`), per-account
//! quotas, the review lifecycle and its locks, engagement invitations, an
//! AWS-side control API under `/_emulator/aws`, and EventBridge-shaped events
//! delivered to a configured endpoint the way an API destination does.

mod control_api;
mod error;
mod events;
mod invitations;
mod opportunities;
mod opportunity;
mod paging;
mod protocol;
mod quota;
mod review;
mod shape;
mod sigv4;
mod time;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::middleware::from_fn_with_state;
use axum::routing::post;
use axum::Router;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::control::{control_layer, Control};
use crate::listener::{self, TlsIdentity};

pub use error::AwsError;
pub use events::{Delivery, EventTarget};
pub use shape::{
    CLOSED_LOST_REASONS, DELIVERY_MODELS, INDUSTRIES, PRIMARY_NEEDS, SALES_ACTIVITIES,
};
pub use sigv4::{authorization_header, SigningKey};

/// The service's signing name (SigV4 scope).
pub const SIGNING_NAME: &str = "partnercentral-selling";

/// One access key the emulator accepts, and the partner account it belongs to.
#[derive(Clone)]
pub struct Credential {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// The partner's 12-digit AWS account id.
    pub account_id: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// Per-account request rates; calls over them get `ThrottlingException`.
/// Real values: 10 reads and 1 write per second
/// (<https://docs.aws.amazon.com/partner-central/latest/developer-guide/quotas.html>).
/// The page gives rates, not how many calls may come at once; the emulator
/// lets a few seconds' worth through back to back (AWS asks clients to
/// back off and retry on throttling, and SDK retries assume such a
/// bucket), so sustained traffic is held to the rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quotas {
    /// Read calls per second (0 = unlimited).
    pub reads_per_second: u32,
    /// Write calls per second (0 = unlimited).
    pub writes_per_second: u32,
    /// Seconds' worth of calls that may come back to back (at least 1).
    pub burst_seconds: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            reads_per_second: 10,
            writes_per_second: 1,
            burst_seconds: 10,
        }
    }
}

impl Quotas {
    /// No limit, for tests that are not about throttling.
    pub const UNLIMITED: Quotas = Quotas {
        reads_per_second: 0,
        writes_per_second: 0,
        burst_seconds: 1,
    };
}

/// How the emulator is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// Accepted access keys.
    pub credentials: Vec<Credential>,
    /// The only region in the signing scope (Partner Central is in us-east-1).
    pub region: String,
    /// Per-account quotas.
    pub quotas: Quotas,
    /// Solution ids that `AssociateOpportunity` accepts for `Solutions`.
    pub solutions: Vec<String>,
    /// Default `MaxResults` of the list operations.
    pub page_size: usize,
    /// Where events go, if anywhere (can also be set through the control API).
    pub event_target: Option<EventTarget>,
    /// Delivery attempts per event.
    pub event_max_attempts: u32,
    /// First retry delay of an event; doubles per attempt.
    pub event_retry_base: Duration,
    /// How long an engagement invitation stays open.
    pub invitation_lifetime: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            credentials: vec![Credential {
                access_key_id: "AKIACOSELLEMULATOR01".into(),
                secret_access_key: "cosell-emulator-secret-access-key-demo".into(),
                account_id: "111122223333".into(),
            }],
            region: "us-east-1".into(),
            quotas: Quotas::default(),
            solutions: vec!["S-0000001".into(), "S-0000002".into()],
            page_size: 20,
            event_target: None,
            event_max_attempts: 5,
            event_retry_base: Duration::from_millis(500),
            invitation_lifetime: Duration::from_secs(15 * 24 * 3600),
        }
    }
}

/// Mutable state behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Data {
    pub(crate) opportunities: opportunities::Store,
    pub(crate) invitations: invitations::Store,
}

/// Shared state of one running emulator.
pub(crate) struct App {
    pub(crate) options: Options,
    pub(crate) data: Mutex<Data>,
    pub(crate) quota: quota::Limiter,
    pub(crate) events: events::Bus,
    pub(crate) control: Arc<Control>,
}

impl App {
    pub(crate) fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The account of an access key.
    pub(crate) fn credential(&self, access_key: &str) -> Option<&Credential> {
        self.options
            .credentials
            .iter()
            .find(|c| c.access_key_id == access_key)
    }
}

/// A running AWS Partner Central emulator; dropping it stops the server.
pub struct AwsEmulator {
    app: Arc<App>,
    base_url: String,
    server: JoinHandle<()>,
    tls_ca_pem: String,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for AwsEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsEmulator")
            .field("url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/", post(protocol::endpoint))
        .route_layer(from_fn_with_state(Arc::clone(&app.control), control_layer));
    Router::new()
        .merge(api)
        .merge(control_api::routes())
        .fallback(protocol::unknown_path)
        .with_state(app)
}

impl AwsEmulator {
    /// Starts serving on `listener` in a background task.
    pub async fn start(
        listener: tokio::net::TcpListener,
        options: Options,
    ) -> std::io::Result<Self> {
        let addr: SocketAddr = listener.local_addr()?;
        let tls = tokio::task::spawn_blocking(TlsIdentity::generate)
            .await
            .map_err(std::io::Error::other)??;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let events = events::Bus::new(&options, shutdown_rx)?;
        let app = Arc::new(App {
            quota: quota::Limiter::new(options.quotas),
            options,
            data: Mutex::new(Data::default()),
            events,
            control: Control::new(error::AwsFaults),
        });
        let server = listener::serve(
            listener,
            &tls,
            router(Arc::clone(&app)),
            "aws partner central",
        )?;
        Ok(Self {
            app,
            base_url: format!("http://{addr}"),
            server,
            tls_ca_pem: tls.ca_pem().to_owned(),
            shutdown,
        })
    }

    /// Endpoint URL for SDKs (`endpoint_url`), `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.base_url.clone()
    }

    /// The same server over TLS (one port serves both).
    pub fn https_url(&self) -> String {
        self.base_url.replacen("http://", "https://", 1)
    }

    /// PEM of the CA that issued the HTTPS certificate.
    pub fn tls_ca_pem(&self) -> String {
        self.tls_ca_pem.clone()
    }

    /// The configured options (credentials included: they exist only here).
    pub fn options(&self) -> &Options {
        &self.app.options
    }

    /// Call counts and fault injection.
    pub fn control(&self) -> Arc<Control> {
        Arc::clone(&self.app.control)
    }

    /// Every event delivery attempt so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.app.events.deliveries()
    }

    /// Sends future events to `target` (or nowhere).
    pub fn set_event_target(&self, target: Option<EventTarget>) {
        self.app.events.set_target(target);
    }
}

impl Drop for AwsEmulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.server.abort();
    }
}
