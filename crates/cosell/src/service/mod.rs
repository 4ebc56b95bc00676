//! The live service of `cosell run`: one process with two HTTP listeners
//! (the public one serves only webhook intake and `/healthz`; the admin one
//! the dashboard, its JSON API, `/metrics` and `/readyz`), with job workers
//! and the change pollers beside them.
//!
//! [`start`] builds everything from a [`Config`] and returns a [`Service`]
//! handle with the bound addresses, so tests run the real application on
//! ephemeral ports; [`run`] is the same until a shutdown future resolves.
//! Shutdown stops claiming jobs, lets in-flight batches finish within a
//! grace period (or hands their jobs back) and gives up the poller leases.
//! Jobs are durable, so a restarted service picks up where it stopped.

pub mod aws_poller;
pub mod connections;
pub mod credential_watch;
pub mod file_limit;
pub mod health;
pub mod metrics;
pub mod poller;
pub mod sampled;
pub mod security;
pub mod server;
pub mod settle;
pub mod shutdown;
pub mod usage;
pub mod webhook;
pub mod webhook_aws;
pub mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use partner_center::WebhookVerifier;
use store::Store;
use sync::Engine;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::connect;
use crate::dashboard::{self, DashboardState, Links};

pub use file_limit::FileLimit;
pub use metrics::Metrics;
pub use poller::{Feed, PollClock};
pub use retry_policy::Backoff;
pub use usage::ApiUsageReport;

/// Default delay after a job's first failure (a ceiling; see [`Backoff`]).
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(2);
/// Default longest delay between a job's attempts.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(10 * 60);
/// Default time an in-flight batch may run on after shutdown began.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Default longest idle wait before workers look for due retries again.
pub const DEFAULT_IDLE_WAIT: Duration = Duration::from_secs(1);
/// Default interval of the store's write probe.
pub const DEFAULT_STORE_PROBE_INTERVAL: Duration = Duration::from_secs(5);
/// Default interval of saving API usage for `cosell status`.
pub const DEFAULT_USAGE_INTERVAL: Duration = Duration::from_secs(15);
/// Longest wait for the Salesforce instance URL (dashboard links) at start.
const INSTANCE_LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Knobs that are not configuration keys: sensible defaults, shorter in tests.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Delay between attempts of a failed job.
    pub retry: Backoff,
    /// How long in-flight batches may run on after shutdown began.
    pub shutdown_grace: Duration,
    /// How long a `/readyz` result is reused.
    pub readiness_ttl: Duration,
    /// Longest idle wait of a worker.
    pub idle_wait: Duration,
    /// How often API usage is saved for `cosell status`.
    pub usage_interval: Duration,
    /// How often the store's write probe runs.
    pub store_probe_interval: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            retry: Backoff::new(DEFAULT_RETRY_BASE, DEFAULT_RETRY_MAX),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            readiness_ttl: health::DEFAULT_READINESS_TTL,
            idle_wait: DEFAULT_IDLE_WAIT,
            usage_interval: DEFAULT_USAGE_INTERVAL,
            store_probe_interval: DEFAULT_STORE_PROBE_INTERVAL,
        }
    }
}

/// What the HTTP handlers share.
pub struct AppState {
    /// The loaded configuration.
    pub config: Arc<Config>,
    /// Durable state.
    pub store: Arc<dyn Store>,
    /// The sync engine (and through it both API clients).
    pub engine: Arc<Engine>,
    /// Webhook signature checks; None when no trust anchor is configured
    /// (every webhook is then refused: fail closed).
    pub verifier: Option<WebhookVerifier>,
    /// This instance's metrics.
    pub metrics: Arc<Metrics>,
    /// Cached `/readyz` result.
    pub readiness: health::ReadinessCache,
    /// Last successful polls.
    pub poll_clock: Arc<PollClock>,
    /// Sampling of rejected-webhook log lines.
    pub rejection_log: sampled::LogSample,
    /// Non-configuration knobs.
    pub tuning: Tuning,
    /// Identifies this process as job and lease holder.
    pub instance_id: String,
    /// When this instance started.
    pub started_at: DateTime<Utc>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("instance_id", &self.instance_id)
            .finish_non_exhaustive()
    }
}

/// The two bound listeners of the service.
#[derive(Debug)]
pub struct Listeners {
    /// Webhook intake and `/healthz`.
    pub public: TcpListener,
    /// Dashboard, `/api`, `/metrics`, `/readyz`.
    pub admin: TcpListener,
}

impl Listeners {
    /// Binds `server.listen` and `server.admin_listen`.
    pub async fn bind(config: &Config) -> Result<Self> {
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))
        };
        Ok(Self {
            public: bind(config.server.listen).await?,
            admin: bind(config.server.admin_listen).await?,
        })
    }
}

/// A running service.
#[derive(Debug)]
pub struct Service {
    addr: SocketAddr,
    admin_addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<()>>,
}

impl Service {
    /// The address of the public listener (webhook, `/healthz`).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the admin listener (dashboard, `/api`, `/metrics`, `/readyz`).
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// `http://ADDR` of the public listener, for tests and logs.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://ADDR` of the admin listener, for tests and logs.
    pub fn admin_url(&self) -> String {
        format!("http://{}", self.admin_addr)
    }

    /// The shared state (store, engine, metrics).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Begins a graceful shutdown.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Waits until the service has stopped.
    pub async fn wait(self) -> Result<()> {
        self.task.await.context("the service task panicked")?
    }

    /// Shuts down gracefully and waits.
    pub async fn stop(self) -> Result<()> {
        self.shutdown();
        self.wait().await
    }

    /// Stops everything at once, as a killed process would: no job is
    /// settled or released and no lease given back.
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Runs the service until `shutdown` resolves, then stops gracefully.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<()> {
    let service = start(config, Tuning::default(), None).await?;
    tracing::info!(
        public = %service.local_addr(),
        admin = %service.admin_addr(),
        "cosell is serving"
    );
    tokio::pin!(shutdown);
    let stop = service.shutdown.clone();
    let mut task = service.task;
    tokio::select! {
        result = &mut task => return result.context("the service task panicked")?,
        _ = &mut shutdown => {}
    }
    tracing::info!(
        "shutting down: no new jobs are claimed; in-flight batches finish or are released"
    );
    stop.cancel();
    task.await.context("the service task panicked")?
}

/// Builds the service and starts it on `listeners` (or the configured addresses).
pub async fn start(
    config: Config,
    tuning: Tuning,
    listeners: Option<Listeners>,
) -> Result<Service> {
    let listeners = match listeners {
        Some(listeners) => listeners,
        None => Listeners::bind(&config).await?,
    };
    let addr = listeners.public.local_addr()?;
    let admin_addr = listeners.admin.local_addr()?;
    let file_limit = FileLimit::raise();
    let metrics = Arc::new(Metrics::new());
    let observers = metrics.observers();
    let store = connect::store(&config).await?;
    if let Some(limit) = file_limit {
        tracing::info!(%limit, "open-file limit");
        if let Err(error) = limit.save(store.as_ref()).await {
            tracing::debug!(%error, "could not save the open-file limit");
        }
    }
    let engine = connect::engine_with_store(&config, &observers, Arc::clone(&store)).await?;
    let verifier = match connect::verifier(&config) {
        Ok(verifier) => Some(verifier),
        Err(error) if config.partner_center.webhook_trust_anchors_file.is_none() => {
            tracing::warn!(%error, "webhooks will be refused until a trust anchor is configured; the pollers still sync");
            None
        }
        Err(error) => return Err(error),
    };
    let instance_id = format!("cosell-{}", uuid::Uuid::now_v7());
    let state = Arc::new(AppState {
        config: Arc::new(config),
        store,
        engine,
        verifier,
        metrics,
        readiness: health::ReadinessCache::default(),
        poll_clock: Arc::new(PollClock::default()),
        rejection_log: sampled::LogSample::default(),
        tuning,
        instance_id,
        started_at: Utc::now(),
    });
    let routers = Routers {
        public: server::public_router(Arc::clone(&state)),
        admin: server::admin_router(Arc::clone(&state), dashboard_router(&state).await)?,
    };
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(supervise(
        Arc::clone(&state),
        listeners,
        routers,
        shutdown.clone(),
    ));
    Ok(Service {
        addr,
        admin_addr,
        state,
        shutdown,
        task,
    })
}

/// The dashboard and its JSON API, over the same store.
async fn dashboard_router(state: &AppState) -> axum::Router {
    let (portal, instance) = dashboard_links(state).await;
    dashboard::router(DashboardState::new(
        Arc::clone(&state.store),
        Links::new(portal, instance),
    ))
}

/// Record links for the dashboard: the portal from the configuration, the
/// Salesforce instance from a token if one can be had quickly.
async fn dashboard_links(state: &AppState) -> (Option<url::Url>, Option<url::Url>) {
    let portal = Some(state.config.partner_center.portal_url.clone());
    let token = tokio::time::timeout(
        INSTANCE_LOOKUP_TIMEOUT,
        state.engine.salesforce().access_token(),
    )
    .await;
    let instance = match token {
        Ok(Ok(token)) => Some(token.instance_url.clone()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "Salesforce sign-in failed at start; dashboard shows opportunity ids without links");
            None
        }
        Err(_) => None,
    };
    (portal, instance)
}

/// The routes of each listener.
struct Routers {
    public: axum::Router,
    admin: axum::Router,
}

/// Runs both servers, workers, pollers and the usage saver until shutdown;
/// dropping this future (a killed process) aborts them all.
async fn supervise(
    state: Arc<AppState>,
    listeners: Listeners,
    routers: Routers,
    shutdown: CancellationToken,
) -> Result<()> {
    let mut tasks: JoinSet<Result<()>> = JoinSet::new();
    let server = &state.config.server;
    let gate = connections::ConnectionGate::new(
        server.max_connections,
        server.max_connections_per_ip,
        Arc::clone(&state.metrics),
    );
    let options = connections::ServeOptions {
        header_read_timeout: server.header_read_timeout,
        body_read_timeout: server.body_read_timeout,
        grace: state.tuning.shutdown_grace,
    };
    for (listener, router) in [
        (listeners.public, routers.public),
        (listeners.admin, routers.admin),
    ] {
        tasks.spawn(connections::serve(
            listener,
            router,
            Arc::clone(&gate),
            options.clone(),
            shutdown.clone(),
        ));
    }
    spawn_workers(&state, &shutdown, &mut tasks);
    spawn_pollers(&state, &shutdown, &mut tasks);
    tasks.spawn(
        health::watch_store(
            Arc::clone(&state),
            state.tuning.store_probe_interval,
            shutdown.clone(),
        )
        .map(Ok),
    );
    tasks.spawn(
        credential_watch::watch(
            Arc::clone(&state),
            credential_watch::CHECK_INTERVAL,
            shutdown.clone(),
        )
        .map(Ok),
    );
    tasks.spawn(save_usage_until(Arc::clone(&state), shutdown.clone()).map(Ok));

    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let result = joined
            .map_err(anyhow::Error::from)
            .and_then(|result| result);
        if let Err(error) = result {
            tracing::error!(
                error = format!("{error:#}"),
                "a service task failed; shutting down"
            );
            shutdown.cancel();
            first_error.get_or_insert(error);
        }
    }
    save_usage(&state).await;
    tracing::info!("cosell stopped");
    first_error.map_or(Ok(()), Err)
}

fn spawn_workers(
    state: &Arc<AppState>,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<Result<()>>,
) {
    let w = &state.config.worker;
    let context = Arc::new(worker::WorkerContext {
        store: Arc::clone(&state.store),
        engine: Arc::clone(&state.engine),
        metrics: Arc::clone(&state.metrics),
        batch_size: u32::try_from(w.batch_size).unwrap_or(u32::MAX),
        lease: w.lease(),
        policy: settle::Policy {
            max_attempts: w.max_attempts,
            backoff: state.tuning.retry,
        },
        idle_wait: state.tuning.idle_wait,
        shutdown_grace: state.tuning.shutdown_grace,
    });
    for n in 0..w.concurrency {
        let id = format!("{}-w{n}", state.instance_id);
        tasks.spawn(worker::run(Arc::clone(&context), id, shutdown.clone()).map(Ok));
    }
}

fn spawn_pollers(
    state: &Arc<AppState>,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<Result<()>>,
) {
    let w = &state.config.worker;
    for (feed, interval) in [
        (Feed::Salesforce, w.salesforce_poll_interval()),
        (Feed::PartnerCenter, w.partner_center_reconcile_interval()),
    ] {
        let poller = poller::Poller {
            feed,
            engine: Arc::clone(&state.engine),
            store: Arc::clone(&state.store),
            interval,
            overlap: w.poll_overlap(),
            holder: state.instance_id.clone(),
            clock: Arc::clone(&state.poll_clock),
            seen: Default::default(),
        };
        tasks.spawn(poller.run(shutdown.clone()).map(Ok));
    }
    if let (Some(side), Some(aws)) = (state.engine.aws(), &state.config.aws) {
        let poller = aws_poller::AwsPoller {
            side: Arc::clone(side),
            store: Arc::clone(&state.store),
            salesforce_interval: w.salesforce_poll_interval(),
            aws_interval: aws.reconcile,
            overlap: w.poll_overlap(),
            holder: state.instance_id.clone(),
        };
        tasks.spawn(poller.run(shutdown.clone()).map(Ok));
    }
}

/// Saves API usage every `usage_interval` until shutdown.
async fn save_usage_until(state: Arc<AppState>, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(state.tuning.usage_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => save_usage(&state).await,
            _ = shutdown.cancelled() => break,
        }
    }
}

/// Saves the API usage report for `cosell status` and the dashboard.
async fn save_usage(state: &AppState) {
    let org = state.engine.salesforce().api_usage();
    let client = state.engine.partner_center();
    state.metrics.set_filter_modes(client);
    let filters = usage::FilterMode::of(client);
    let report = ApiUsageReport::collect(&state.metrics, org, state.started_at, filters);
    if let Err(error) = report.save(state.store.as_ref()).await {
        tracing::debug!(%error, "could not save API usage");
    }
}
