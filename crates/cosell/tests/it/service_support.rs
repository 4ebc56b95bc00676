//! `spawn_app()`: both emulators, a configuration pointing at them (SQLite
//! store in a tempdir, the emulator's CA as webhook trust anchor, secrets
//! through the config loader's environment source), the real service on
//! 127.0.0.1, and its webhook registered at the Partner Center emulator.
//! Helpers read like what sellers and operators do.

use salesforce::SalesforceId;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosell::config::Config;
use cosell::service::{self, Backoff, Service, Tuning};
use emulator::aws::{AwsEmulator, Options as AwsOptions, Quotas};
use emulator::control::FaultConfig;
use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator};
use emulator::salesforce::{Options as SfOptions, Profile, SalesforceEmulator};
use serde_json::{json, Value};
use store::{JobCounts, Store};
use tempfile::TempDir;

/// How long a test waits for something to happen before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Settings a test may change before the app starts.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub concurrency: u32,
    pub batch_size: u32,
    pub max_attempts: u32,
    pub lease_seconds: u64,
    pub salesforce_poll_seconds: u64,
    pub partner_center_reconcile_seconds: u64,
    pub poll_overlap_seconds: u64,
    pub webhook_body_limit_bytes: u64,
    pub header_read_timeout_seconds: u64,
    pub max_connections_per_ip: u64,
    /// `COSELL_ADMIN_TOKEN`, the bearer token `/api` and `/metrics` ask for.
    pub admin_token: Option<String>,
    /// `[server.sign_in]` against the Partner Center emulator's tenant.
    pub sign_in: bool,
    /// Another store than the SQLite file in the tempdir (e.g. PostgreSQL).
    pub store_url: Option<String>,
    pub tuning: Tuning,
    /// The kind of Salesforce org (the demo org by default; the
    /// configuration written fits whichever is chosen).
    pub profile: Profile,
    /// AWS Partner Central as a second cloud: the AWS emulator, `[aws]`
    /// enabled, its events routed to `/webhooks/aws`.
    pub aws: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            concurrency: 2,
            batch_size: 50,
            max_attempts: 8,
            lease_seconds: 30,
            salesforce_poll_seconds: 1,
            // Partner Center changes arrive by webhook in these tests; the
            // reconcile runs once at start (nothing to find yet).
            partner_center_reconcile_seconds: 3600,
            poll_overlap_seconds: 2,
            webhook_body_limit_bytes: 4096,
            header_read_timeout_seconds: 10,
            max_connections_per_ip: 256,
            admin_token: None,
            sign_in: false,
            store_url: None,
            profile: Profile::Demo,
            aws: false,
            tuning: Tuning {
                retry: Backoff {
                    base: Duration::from_millis(100),
                    max: Duration::from_secs(2),
                },
                shutdown_grace: Duration::from_secs(5),
                readiness_ttl: Duration::from_millis(200),
                idle_wait: Duration::from_millis(200),
                usage_interval: Duration::from_millis(300),
                store_probe_interval: Duration::from_millis(200),
            },
        }
    }
}

/// Both emulators, the configuration and the running service.
pub struct TestApp {
    pub pc: PartnerCenterEmulator,
    pub sf: SalesforceEmulator,
    /// The AWS emulator, with `AppOptions::aws`.
    pub aws: Option<AwsEmulator>,
    /// Holds the store and config files; removed when the app is dropped.
    _dir: TempDir,
    pub config_path: PathBuf,
    pub options: AppOptions,
    /// The public listener (webhook, `/healthz`).
    pub addr: std::net::SocketAddr,
    /// The admin listener (dashboard, `/api`, `/metrics`, `/readyz`).
    pub admin_addr: std::net::SocketAddr,
    pub service: Option<Service>,
    /// A second connection to the service's database, for assertions.
    pub store: Arc<dyn Store>,
    pub http: reqwest::Client,
}

/// Starts everything with the default options and registers the webhook.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

/// Starts everything with `options` and registers the webhook.
pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    let pc_options = PcOptions {
        webhook_retry_base: Duration::from_millis(200),
        webhook_retry_max: Duration::from_secs(2),
        ..PcOptions::default()
    };
    let pc = PartnerCenterEmulator::start(listener().await, pc_options)
        .await
        .expect("partner center emulator");
    let sf = SalesforceEmulator::start(listener().await, SfOptions::for_profile(options.profile))
        .await
        .expect("salesforce emulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let listeners = service::Listeners {
        public: listener().await,
        admin: listener().await,
    };
    let addr = listeners.public.local_addr().expect("addr");
    let admin_addr = listeners.admin.local_addr().expect("admin addr");
    let ca = cosell::emulated::write_ca(&pc, dir.path()).expect("write CA");
    let o = &options;
    let sqlite_url = format!("sqlite://{}", dir.path().join("cosell.db").display());
    let store_url = o.store_url.clone().unwrap_or(sqlite_url);
    let text = format!(
        r#"{connections}
[store]
url = "{store_url}"

[server]
listen = "{addr}"
admin_listen = "{admin_addr}"
public_url = "http://{addr}"
webhook_body_limit_bytes = {body_limit}
header_read_timeout_seconds = {header_timeout}
max_connections_per_ip = {per_ip}

[worker]
concurrency = {concurrency}
batch_size = {batch_size}
max_attempts = {max_attempts}
lease_seconds = {lease}
salesforce_poll_seconds = {sf_poll}
partner_center_reconcile_seconds = {pc_poll}
poll_overlap_seconds = {overlap}
"#,
        connections = cosell::emulated::connection_sections(&pc, &sf, &ca),
        body_limit = o.webhook_body_limit_bytes,
        header_timeout = o.header_read_timeout_seconds,
        per_ip = o.max_connections_per_ip,
        concurrency = o.concurrency,
        batch_size = o.batch_size,
        max_attempts = o.max_attempts,
        lease = o.lease_seconds,
        sf_poll = o.salesforce_poll_seconds,
        pc_poll = o.partner_center_reconcile_seconds,
        overlap = o.poll_overlap_seconds,
    );
    let sign_in = if o.sign_in {
        cosell::emulated::sign_in_section(&pc)
    } else {
        String::new()
    };
    let aws = if o.aws {
        let options = AwsOptions {
            quotas: Quotas::UNLIMITED,
            event_retry_base: Duration::from_millis(100),
            ..AwsOptions::default()
        };
        Some(
            AwsEmulator::start(listener().await, options)
                .await
                .expect("aws emulator"),
        )
    } else {
        None
    };
    let aws_section = aws
        .as_ref()
        .map(|a| cosell::emulated::aws_section(a, o.partner_center_reconcile_seconds))
        .unwrap_or_default();
    let config_path = dir.path().join("cosell.toml");
    std::fs::write(&config_path, text + &sign_in + &aws_section).expect("write config");
    let store = store::open(&store_url).await.expect("store");
    if let Some(aws) = &aws {
        cosell::emulated::route_aws_events(aws, &format!("http://{addr}/webhooks/aws"));
    }
    let mut app = TestApp {
        pc,
        sf,
        aws,
        _dir: dir,
        config_path,
        options,
        addr,
        admin_addr,
        service: None,
        store,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    };
    app.start_on(listeners).await;
    let (_, outcome) = cosell::commands::webhooks::register(&app.config(), false)
        .await
        .expect("the webhook registers");
    assert_eq!(outcome, cosell::commands::webhooks::Registered::Created);
    app
}

async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
}

impl TestApp {
    /// The secrets the configuration needs.
    pub fn env() -> std::collections::BTreeMap<String, String> {
        cosell::emulated::secrets_env()
    }

    /// The loaded configuration.
    pub fn config(&self) -> Config {
        let mut env = Self::env();
        if let Some(token) = &self.options.admin_token {
            env.insert("COSELL_ADMIN_TOKEN".to_owned(), token.clone());
        }
        let mut config =
            Config::load_with_env(&self.config_path, &env).expect("the test config loads");
        if let Some(aws) = &self.aws {
            cosell::emulated::use_emulator_keys(&mut config, aws);
        }
        config
    }

    async fn start_on(&mut self, listeners: service::Listeners) {
        let service = service::start(self.config(), self.options.tuning, Some(listeners))
            .await
            .expect("the service starts");
        assert_eq!(service.local_addr(), self.addr);
        assert_eq!(service.admin_addr(), self.admin_addr);
        self.service = Some(service);
    }

    /// Starts the service again on the same addresses (after `kill` or `stop`).
    pub async fn start(&mut self) {
        assert!(self.service.is_none(), "the service is already running");
        // A killed service's accept loops close their sockets as their tasks
        // wind down: poll until the address is free, with a deadline.
        let bind = |addr| async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                match tokio::net::TcpListener::bind(addr).await {
                    Ok(listener) => break listener,
                    Err(e) if std::time::Instant::now() < deadline => {
                        assert_eq!(
                            e.kind(),
                            std::io::ErrorKind::AddrInUse,
                            "rebind {addr}: {e}"
                        );
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    Err(e) => panic!("rebind a service address {addr}: {e}"),
                }
            }
        };
        let listeners = service::Listeners {
            public: bind(self.addr).await,
            admin: bind(self.admin_addr).await,
        };
        self.start_on(listeners).await;
    }

    /// Kills the service as a crash would: nothing settled or released.
    pub async fn kill(&mut self) {
        if let Some(service) = self.service.take() {
            service.kill().await;
        }
    }

    /// Stops the service gracefully.
    pub async fn stop(&mut self) {
        if let Some(service) = self.service.take() {
            service.stop().await.expect("the service stops cleanly");
        }
    }

    /// `http://ADDR` of the public listener.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://ADDR` of the admin listener.
    pub fn admin_url(&self) -> String {
        format!("http://{}", self.admin_addr)
    }

    /// The webhook intake URL.
    pub fn webhook_url(&self) -> String {
        format!("{}/webhooks/partner-center", self.url())
    }

    /// GETs a path of the admin listener.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.admin_url()))
            .send()
            .await
            .expect("GET")
    }

    /// Job counts.
    pub async fn jobs(&self) -> JobCounts {
        self.store.job_counts().await.expect("job counts")
    }

    /// Waits until the Salesforce feed has read past every row of `objects`
    /// and the queue is idle: whatever those rows triggered, echoes of the
    /// service's own writes included, is done.
    pub async fn settled(&self, objects: &[&str]) {
        eventually("the feed past every change and an idle queue", || async {
            let newest = objects
                .iter()
                .flat_map(|o| self.sf.records(o))
                .filter_map(|r| r["SystemModstamp"].as_str().map(str::to_owned))
                .filter_map(|s| chrono::DateTime::parse_from_rfc3339(&s.replace("+0000", "Z")).ok())
                .max()?;
            let cursor = self
                .store
                .cursor(sync::engine::SALESFORCE_CURSOR)
                .await
                .ok()??;
            let read = sync::feed::Position::decode(&cursor)?;
            let jobs = self.jobs().await;
            (read.at >= newest && jobs.pending == 0 && jobs.running == 0).then_some(())
        })
        .await;
    }

    /// Quiet on both sides: [`Self::settled`] on `objects`, and every
    /// Partner Center webhook delivered and its job done.
    pub async fn quiet(&self, objects: &[&str]) {
        eventually("every webhook delivered", || async {
            (self.pc.deliveries_in_flight() == 0).then_some(())
        })
        .await;
        self.settled(objects).await;
    }

    /// Fault injection on both emulators.
    pub fn faults(&self, pc: FaultConfig, sf: FaultConfig) {
        self.pc.control().set_faults(pc).expect("pc faults");
        self.sf.control().set_faults(sf).expect("sf faults");
    }

    // ---- a Microsoft seller ----

    /// Microsoft shares a co-sell referral; returns its id.
    pub fn share_referral(&self, name: &str) -> String {
        let referral = self
            .pc
            .share_referral(emulator::sellers::co_sell_referral(name))
            .expect("the emulator accepts the shared referral");
        referral["id"].as_str().expect("referral id").to_owned()
    }

    /// The referral as the API returns it.
    pub fn referral(&self, id: &str) -> Value {
        self.pc.referral(id).expect("the referral exists")
    }

    /// Referrals whose external reference is this opportunity.
    pub fn referrals_for(&self, opportunity_id: &str) -> Vec<Value> {
        self.pc
            .referrals()
            .into_iter()
            .filter(|r| {
                r["externalReferenceId"]
                    .as_str()
                    .is_some_and(|e| SalesforceId::same(e, opportunity_id))
            })
            .collect()
    }

    // ---- a Salesforce seller ----

    /// A complete co-sell opportunity marked for sync (account in
    /// `country`, a contact role, a solution).
    pub fn co_sell_opportunity(&self, name: &str, country: &str) -> String {
        emulator::sellers::co_sell_opportunity(&self.sf, name, country)
            .expect("the seller's co-sell opportunity")
            .opportunity
    }

    /// The opportunity record.
    pub fn opportunity(&self, id: &str) -> Value {
        self.sf
            .record("Opportunity", id)
            .expect("the opportunity exists")
    }

    /// Opportunities carrying this referral id.
    pub fn opportunities_for(&self, referral_id: &str) -> Vec<Value> {
        self.sf
            .records("Opportunity")
            .into_iter()
            .filter(|o| o["Referral_Identifier__c"] == json!(referral_id))
            .collect()
    }
}

/// Polls `check` until it returns Some, or fails the test after `PATIENCE`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(PATIENCE, what, &mut check).await
}

/// Polls `check` until it returns Some, or fails the test after `patience`.
pub async fn eventually_within<T, F, Fut>(patience: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < patience,
            "timed out after {patience:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
