//! Several `cosell run` instances on one PostgreSQL database: both
//! receive webhooks (a round-robin forwarder stands in for the load
//! balancer), both process jobs, every deal syncs exactly once, and a killed
//! instance leaves nothing stuck: its job leases expire, the other instance
//! finishes the work and takes the poller leases over within seconds.
//!
//! Every test creates its own database `cosell_scale_<random>` on the test
//! PostgreSQL server (`COSELL_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and drops it afterwards.
//! The throughput comparison of one and two instances is an ignored
//! benchmark:
//!
//! ```text
//! cargo test -p cosell --test it scale_bench -- --ignored --nocapture
//! ```

use salesforce::SalesforceId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing;
use axum::Router;
use cosell::commands::webhooks::{register_with, Registered};
use cosell::connect::{self, Observers};
use cosell::service::{self, Service};
use emulator::control::FaultConfig;
use sqlx::Connection;

use crate::service_support::{eventually_within, spawn_app_with, AppOptions, TestApp};

/// Server used when `COSELL_TEST_PG_URL` is not set.
const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The Partner Center route that creates a referral, as the emulator counts it.
const PC_CREATE_ROUTE: &str = "POST /v1.0/engagements/referrals";
/// The Salesforce poller's singleton lease.
const SALESFORCE_POLLER_LEASE: &str = "poller.salesforce";
/// The Partner Center reconcile poller's singleton lease.
const PARTNER_CENTER_POLLER_LEASE: &str = "poller.partner_center";
/// The longest a dead holder may keep a poller from running ("within seconds").
const POLLER_TAKEOVER_LIMIT: Duration = Duration::from_secs(15);
/// How long the scale test may take to sync everything.
const SYNC_PATIENCE: Duration = Duration::from_secs(240);
/// Delay on every emulated API call in the latency-bound benchmark run.
const BENCH_LATENCY_MS: u64 = 50;
/// How long the queue must stay empty to count as settled.
const STAYS_IDLE: Duration = Duration::from_secs(3);

// ---- a throwaway PostgreSQL database ----

/// A fresh database on the test server, dropped with the guard.
pub(crate) struct PgDatabase {
    server: String,
    name: String,
    pub(crate) url: String,
}

impl PgDatabase {
    pub(crate) async fn create() -> Self {
        let server =
            std::env::var("COSELL_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
        let name = format!("cosell_scale_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&server)
            .await
            .expect("connect to the test PostgreSQL server (set COSELL_TEST_PG_URL)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&server).expect("server url");
        url.set_path(&name);
        Self {
            server,
            name,
            url: url.to_string(),
        }
    }

    /// A direct connection, for what the `Store` trait does not expose
    /// (who holds a lease, which jobs an instance holds).
    async fn connect(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.url)
            .await
            .expect("connect to the test database")
    }

    /// The unexpired holder of a singleton lease.
    async fn lease_holder(&self, name: &str) -> Option<String> {
        let mut conn = self.connect().await;
        let holder =
            sqlx::query_scalar("SELECT holder FROM leases WHERE name = $1 AND expires_at > now()")
                .bind(name)
                .fetch_optional(&mut conn)
                .await
                .expect("read the lease");
        conn.close().await.ok();
        holder
    }

    /// Running jobs leased to the workers of `instance`.
    async fn running_jobs_of(&self, instance: &str) -> Vec<uuid::Uuid> {
        let mut conn = self.connect().await;
        let ids = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE state = 'running' AND starts_with(lease_owner, $1)",
        )
        .bind(format!("{instance}-"))
        .fetch_all(&mut conn)
        .await
        .expect("read running jobs");
        conn.close().await.ok();
        ids
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop cannot await and the test's runtime may be shutting down:
        // best effort on a thread of its own.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&server).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
        if let Ok(Err(error)) = dropper.join() {
            eprintln!("could not drop test database {}: {error}", self.name);
        }
    }
}

// ---- the load balancer in front of the instances ----

/// Forwards each delivery to the next instance in turn; an instance that
/// does not answer (killed) is skipped, as a load balancer would.
#[derive(Clone)]
struct Forwarder {
    targets: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    /// Deliveries each instance answered.
    answered: Arc<Vec<AtomicU64>>,
    http: reqwest::Client,
}

async fn forward(State(f): State<Forwarder>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let first = f.next.fetch_add(1, Ordering::Relaxed);
    for n in 0..f.targets.len() {
        let index = (first + n) % f.targets.len();
        let mut request = f.http.post(&f.targets[index]).body(body.clone());
        for (name, value) in &headers {
            if name != "host" && name != "content-length" {
                request = request.header(name, value);
            }
        }
        if let Ok(response) = request.send().await {
            f.answered[index].fetch_add(1, Ordering::Relaxed);
            return StatusCode::from_u16(response.status().as_u16())
                .unwrap_or(StatusCode::BAD_GATEWAY);
        }
    }
    StatusCode::BAD_GATEWAY
}

impl Forwarder {
    /// Serves the forwarder and registers it as the webhook receiver.
    async fn register(app: &TestApp, targets: Vec<String>) -> Self {
        let forwarder = Self {
            answered: Arc::new(targets.iter().map(|_| AtomicU64::new(0)).collect()),
            targets: Arc::new(targets),
            next: Arc::new(AtomicUsize::new(0)),
            // A fresh connection per delivery: a killed instance's listener
            // is gone, so nothing reaches it over a kept-alive connection.
            http: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/forward", listener.local_addr().unwrap());
        let router = Router::new()
            .route("/forward", routing::post(forward))
            .with_state(forwarder.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let client = connect::webhooks_client(&app.config(), &Observers::default()).unwrap();
        let outcome = register_with(&client, &url, true).await.unwrap();
        assert!(
            matches!(outcome, Registered::Replaced { .. }),
            "{outcome:?}"
        );
        forwarder
    }

    fn answered(&self) -> Vec<u64> {
        self.answered
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect()
    }
}

// ---- a cluster: the test app's service plus peers on the same database ----

/// The test app (emulators and instance 0) and the other instances.
struct Cluster {
    app: TestApp,
    peers: Vec<Service>,
    forwarder: Forwarder,
}

impl Cluster {
    /// `instances` services on `db`; instance 0 starts first, so it holds
    /// the poller leases.
    async fn start(db: &PgDatabase, instances: usize, options: AppOptions) -> Self {
        let app = spawn_app_with(AppOptions {
            store_url: Some(db.url.clone()),
            ..options
        })
        .await;
        // Instance 0 holds both poller leases before any peer starts, so the
        // scenarios know who polls.
        let id = app.service.as_ref().unwrap().state().instance_id.clone();
        eventually_within(
            Duration::from_secs(10),
            "instance 0 holding both poller leases",
            || async {
                let sf = db.lease_holder(SALESFORCE_POLLER_LEASE).await;
                let pc = db.lease_holder(PARTNER_CENTER_POLLER_LEASE).await;
                (sf.as_deref() == Some(id.as_str()) && pc.as_deref() == Some(id.as_str()))
                    .then_some(())
            },
        )
        .await;
        let mut peers = Vec::new();
        for _ in 1..instances {
            let bind = || async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() };
            let listeners = service::Listeners {
                public: bind().await,
                admin: bind().await,
            };
            let peer = service::start(app.config(), app.options.tuning, Some(listeners))
                .await
                .expect("another instance starts");
            peers.push(peer);
        }
        let mut targets = vec![app.webhook_url()];
        targets.extend(
            peers
                .iter()
                .map(|p| format!("{}/webhooks/partner-center", p.url())),
        );
        let forwarder = Forwarder::register(&app, targets).await;
        Self {
            app,
            peers,
            forwarder,
        }
    }

    /// Every running instance's service, instance 0 first.
    fn services(&self) -> Vec<&Service> {
        self.app.service.iter().chain(self.peers.iter()).collect()
    }

    async fn stop(mut self) {
        for peer in self.peers.drain(..) {
            peer.stop().await.expect("a peer stops cleanly");
        }
        self.app.stop().await;
    }
}

// ---- the deals ----

/// What a scenario seeded.
struct Seeded {
    referrals: Vec<String>,
    opportunities: Vec<String>,
}

impl Seeded {
    fn deals(&self) -> usize {
        self.referrals.len() + self.opportunities.len()
    }
}

/// Microsoft shares `referrals` referrals (each one a webhook) and partner
/// sellers mark `opportunities` opportunities for sync (found by the poller).
fn seed(app: &TestApp, prefix: &str, referrals: usize, opportunities: usize) -> Seeded {
    Seeded {
        referrals: (0..referrals)
            .map(|n| app.share_referral(&format!("{prefix} Shared {n}")))
            .collect(),
        opportunities: (0..opportunities)
            .map(|n| app.co_sell_opportunity(&format!("{prefix} Marked {n}"), "US"))
            .collect(),
    }
}

/// Number of pairs recorded, all states.
async fn pairs(app: &TestApp) -> u64 {
    app.store
        .pair_counts()
        .await
        .expect("pair counts")
        .values()
        .sum()
}

/// Waits until `expected` pairs exist and the queue is idle and stays idle
/// (the follow-up jobs — echoes of the service's own writes — are done).
async fn converged(app: &TestApp, expected: usize, patience: Duration) -> Duration {
    let start = Instant::now();
    eventually_within(patience, "every deal paired", || async {
        (pairs(app).await >= expected as u64).then_some(())
    })
    .await;
    let paired = start.elapsed();
    let idle_since = std::cell::Cell::new(None::<Instant>);
    eventually_within(patience, "a queue that stays idle", || async {
        let jobs = app.jobs().await;
        if jobs.pending == 0 && jobs.running == 0 {
            let since = idle_since.get().unwrap_or_else(Instant::now);
            idle_since.set(Some(since));
            (since.elapsed() >= STAYS_IDLE).then_some(())
        } else {
            idle_since.set(None);
            None
        }
    })
    .await;
    paired
}

/// Every deal exists exactly once on both sides, Partner Center created
/// exactly one referral of its own (plus the one addressed to Microsoft) per
/// Salesforce-born deal, and the audit holds one
/// creation per deal.
async fn assert_each_deal_synced_once(app: &TestApp, seeded: &Seeded) {
    let deals = seeded.deals();
    let opportunities = app.sf.records("Opportunity");
    let referrals = app.pc.own_referrals();
    assert_eq!(opportunities.len(), deals, "one opportunity per deal");
    assert_eq!(referrals.len(), deals, "one referral per deal");

    let mut by_referral: HashMap<String, usize> = HashMap::new();
    for o in &opportunities {
        let referral = o["Referral_Identifier__c"]
            .as_str()
            .unwrap_or_else(|| panic!("an opportunity without a referral: {o}"));
        *by_referral.entry(referral.to_owned()).or_default() += 1;
    }
    let mut by_opportunity: HashMap<SalesforceId, usize> = HashMap::new();
    for r in &referrals {
        let external = r["externalReferenceId"]
            .as_str()
            .unwrap_or_else(|| panic!("a referral without an opportunity: {r}"));
        let external = SalesforceId::parse(external).expect("an opportunity id");
        *by_opportunity.entry(external).or_default() += 1;
    }
    for r in &referrals {
        let id = r["id"].as_str().unwrap();
        assert_eq!(by_referral.get(id), Some(&1), "opportunities of {id}");
    }
    for o in &opportunities {
        let id = o["Id"].as_str().unwrap();
        let key = SalesforceId::parse(id).expect("an opportunity id");
        assert_eq!(by_opportunity.get(&key), Some(&1), "referrals of {id}");
    }

    let creates = app
        .pc
        .control()
        .calls()
        .by_route
        .get(PC_CREATE_ROUTE)
        .copied();
    // Each Salesforce-born deal asks Microsoft for help: its own referral
    // and the one addressed to Microsoft in its engagement.
    assert_eq!(
        creates,
        Some(2 * seeded.opportunities.len() as u64),
        "two Partner Center creates per Salesforce-born co-sell deal"
    );

    // Each pair's history starts once: with the record cosell created, or,
    // when an instance died between creating a record and recording the pair,
    // with the instance that took over linking the two.
    let audit = app.store.recent_audit(0).await.expect("audit");
    let mut origins: HashMap<Option<uuid::Uuid>, Vec<&str>> = HashMap::new();
    for entry in &audit {
        if matches!(
            entry.kind.as_str(),
            "referral_created" | "opportunity_created" | "pair_linked"
        ) {
            origins.entry(entry.pair_id).or_default().push(&entry.kind);
        }
    }
    assert!(
        origins.keys().all(Option::is_some),
        "every origin entry names its pair"
    );
    assert_eq!(origins.len(), deals, "pairs with an origin entry");
    assert!(
        origins.values().all(|kinds| kinds.len() == 1),
        "exactly one origin entry per pair: {origins:?}"
    );
    let count = |kind: &str| origins.values().filter(|k| k[0] == kind).count();
    assert!(count("referral_created") <= seeded.opportunities.len());
    assert!(count("opportunity_created") <= seeded.referrals.len());
    let jobs = app.jobs().await;
    assert_eq!(
        (jobs.pending, jobs.running, jobs.dead),
        (0, 0, 0),
        "{jobs:?}"
    );
}

/// A counter of an instance's `/metrics` exposition (summed over labels).
fn metric(service: &Service, name: &str) -> u64 {
    service
        .state()
        .metrics
        .encode()
        .lines()
        .filter(|line| line.starts_with(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Writes an instance synced (both directions) — its share of the work.
fn synced_writes(service: &Service) -> u64 {
    metric(service, "cosell_sync_latency_seconds_count")
}

/// Webhooks an instance verified and accepted.
fn webhooks_accepted(service: &Service) -> u64 {
    metric(service, "cosell_webhook_verifications_total{result=\"ok\"}")
}

/// Figures of one run.
struct Figures {
    instances: usize,
    deals: usize,
    seeding: Duration,
    paired: Duration,
    synced_writes: Vec<u64>,
    webhooks: Vec<u64>,
}

impl Figures {
    fn print(&self) {
        let total = self.paired.as_secs_f64();
        println!(
            "{} instance(s): {} deals paired in {:.1} s ({:.0} deals/s; seeding took {:.1} s); \
             synced writes per instance {:?}; webhooks accepted per instance {:?}",
            self.instances,
            self.deals,
            total,
            self.deals as f64 / total,
            self.seeding.as_secs_f64(),
            self.synced_writes,
            self.webhooks,
        );
    }
}

/// Seeds the deals on a running cluster and waits until all are synced.
async fn sync_all(cluster: &Cluster, referrals: usize, opportunities: usize) -> (Seeded, Figures) {
    let start = Instant::now();
    let seeded = seed(&cluster.app, "Scale", referrals, opportunities);
    let seeding = start.elapsed();
    let paired = seeding + converged(&cluster.app, seeded.deals(), SYNC_PATIENCE).await;
    let services = cluster.services();
    let figures = Figures {
        instances: services.len(),
        deals: seeded.deals(),
        seeding,
        paired,
        synced_writes: services.iter().map(|s| synced_writes(s)).collect(),
        webhooks: services.iter().map(|s| webhooks_accepted(s)).collect(),
    };
    (seeded, figures)
}

/// Options of the scale runs: two workers of 50-job batches per instance.
fn scale_options() -> AppOptions {
    AppOptions {
        concurrency: 2,
        batch_size: 50,
        ..AppOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_work_and_each_deal_syncs_exactly_once() {
    // Enough for both instances to take turns on many batches; the 2,000-deal
    // figures come from `scale_bench_one_and_two_instances`.
    const SHARED: usize = 450;
    const MARKED: usize = 150;
    let db = PgDatabase::create().await;
    let cluster = Cluster::start(&db, 2, scale_options()).await;
    let (seeded, figures) = sync_all(&cluster, SHARED, MARKED).await;
    figures.print();

    assert_each_deal_synced_once(&cluster.app, &seeded).await;
    for (n, service) in cluster.services().iter().enumerate() {
        assert!(
            synced_writes(service) > 0,
            "instance {n} synced nothing: {:?}",
            figures.synced_writes
        );
        assert!(
            webhooks_accepted(service) > 0,
            "instance {n} received no webhook: {:?}",
            figures.webhooks
        );
    }
    let answered = cluster.forwarder.answered();
    assert!(answered.iter().all(|n| *n > 0), "{answered:?}");
    cluster.stop().await;
}

/// With Partner Center slow to answer PATCHes, the
/// echo of cosell's own write (a webhook, keyed by the referral) used to run
/// on one instance while the seller's quick second edit (keyed by the
/// opportunity) ran on the other, against a stale snapshot, and "latest
/// change wins" credited Partner Center with cosell's write. Two jobs of one
/// pair now never run at once: no edit is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sellers_quick_second_edit_survives_two_instances_and_slow_patches() {
    const DEALS: usize = 12;
    let db = PgDatabase::create().await;
    let cluster = Cluster::start(&db, 2, scale_options()).await;
    let app = &cluster.app;
    let seeded = seed(app, "Quick", 0, DEALS);
    converged(app, DEALS, SYNC_PATIENCE).await;
    let slow_patches = FaultConfig {
        latency_ms: 300,
        routes: vec!["PATCH".into()],
        ..FaultConfig::default()
    };
    app.faults(slow_patches, FaultConfig::default());
    let patches = || {
        app.pc
            .control()
            .calls()
            .by_route
            .iter()
            .filter(|(route, _)| route.starts_with("PATCH"))
            .map(|(_, n)| *n)
            .sum::<u64>()
    };
    let before = patches();
    for (n, id) in seeded.opportunities.iter().enumerate() {
        app.sf
            .update("Opportunity", id, serde_json::json!({ "Amount": 1000 + n }))
            .unwrap();
    }
    // The second edit lands while the first is being written to Partner Center.
    eventually_within(SYNC_PATIENCE, "the first edits being written", || async {
        (patches() > before).then_some(())
    })
    .await;
    for (n, id) in seeded.opportunities.iter().enumerate() {
        app.sf
            .update("Opportunity", id, serde_json::json!({ "Amount": 2000 + n }))
            .unwrap();
    }
    converged(app, DEALS, SYNC_PATIENCE).await;
    let mut lost = Vec::new();
    for (n, id) in seeded.opportunities.iter().enumerate() {
        let want = serde_json::json!((2000 + n) as f64);
        let referral = &app.referrals_for(id)[0];
        let amount = app.opportunity(id)["Amount"].clone();
        if amount != want || referral["details"]["dealValue"] != want {
            lost.push((id.clone(), amount, referral["details"]["dealValue"].clone()));
        }
    }
    assert!(lost.is_empty(), "second edits lost: {lost:?}");
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instance_leaves_nothing_stuck() {
    const SHARED: usize = 300;
    const MARKED: usize = 100;
    const LEASE_SECONDS: u64 = 3;
    let db = PgDatabase::create().await;
    let mut cluster = Cluster::start(
        &db,
        2,
        AppOptions {
            lease_seconds: LEASE_SECONDS,
            // Small batches, so both instances hold several at once.
            batch_size: 10,
            ..scale_options()
        },
    )
    .await;
    let a = cluster
        .app
        .service
        .as_ref()
        .unwrap()
        .state()
        .instance_id
        .clone();
    let b = cluster.peers[0].state().instance_id.clone();
    // Slow Salesforce: batches take a while, so the kill lands inside them.
    cluster
        .app
        .sf
        .control()
        .set_faults(FaultConfig {
            latency_ms: 150,
            ..FaultConfig::default()
        })
        .unwrap();
    let seeded = seed(&cluster.app, "Kill", SHARED, MARKED);
    let held = eventually_within(Duration::from_secs(60), "A holding jobs", || async {
        let held = db.running_jobs_of(&a).await;
        (held.len() >= 5).then_some(held)
    })
    .await;
    assert_eq!(
        db.lease_holder(SALESFORCE_POLLER_LEASE).await.as_deref(),
        Some(a.as_str()),
        "A polls Salesforce"
    );
    assert_eq!(
        db.lease_holder(PARTNER_CENTER_POLLER_LEASE)
            .await
            .as_deref(),
        Some(a.as_str()),
        "A reconciles Partner Center"
    );

    let killed_at = Instant::now();
    cluster.app.kill().await;
    let orphaned = db.running_jobs_of(&a).await;
    assert!(
        !orphaned.is_empty(),
        "A died holding jobs (held {} a moment before)",
        held.len()
    );

    // Both at once: the pollers move to B within seconds (not after a long
    // lease), and A's jobs run again on B once their leases expire.
    let takeover = eventually_within(
        POLLER_TAKEOVER_LIMIT,
        "B taking the poller leases over",
        || async {
            let sf = db.lease_holder(SALESFORCE_POLLER_LEASE).await;
            let pc = db.lease_holder(PARTNER_CENTER_POLLER_LEASE).await;
            (sf.as_deref() == Some(b.as_str()) && pc.as_deref() == Some(b.as_str()))
                .then(|| killed_at.elapsed())
        },
    );
    let orphans_done = eventually_within(
        Duration::from_secs(60),
        "A's orphaned jobs finished by B",
        || async {
            let mut all = true;
            for id in &orphaned {
                let job = cluster.app.store.job(*id).await.unwrap().unwrap();
                all &= job.state == store::JobState::Done;
            }
            all.then(|| killed_at.elapsed())
        },
    );
    let (takeover, orphans_done) = tokio::join!(takeover, orphans_done);
    cluster
        .app
        .sf
        .control()
        .set_faults(FaultConfig::default())
        .unwrap();
    assert!(
        orphans_done >= Duration::from_secs(LEASE_SECONDS) - Duration::from_millis(500),
        "taken over only after the lease expired: {orphans_done:?}"
    );
    converged(&cluster.app, seeded.deals(), SYNC_PATIENCE).await;
    let finished = killed_at.elapsed();
    println!(
        "killed A holding {} jobs; pollers on B after {:.1} s; A's jobs done after {:.1} s; \
         everything synced {:.1} s after the kill",
        orphaned.len(),
        takeover.as_secs_f64(),
        orphans_done.as_secs_f64(),
        finished.as_secs_f64()
    );
    assert_each_deal_synced_once(&cluster.app, &seeded).await;
    assert!(
        synced_writes(&cluster.peers[0]) > 0,
        "B did the remaining work"
    );
    // A partner seller marks one more deal: B's poller finds it.
    let late = cluster.app.co_sell_opportunity("After The Kill", "US");
    eventually_within(Duration::from_secs(30), "the late deal shared", || async {
        (cluster.app.referrals_for(&late).len() == 1).then_some(())
    })
    .await;
    cluster.stop().await;
}

/// Throughput of one instance and of two on one database (figures for
/// docs/PERFORMANCE.md), with the emulators answering at once and with a
/// network-like delay on every API call; ignored by default, see the module
/// docs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly, see the module docs"]
async fn scale_bench_one_and_two_instances() {
    for (latency_ms, shared, marked) in [(0, 1500, 500), (BENCH_LATENCY_MS, 600, 200)] {
        println!("API latency {latency_ms} ms:");
        for instances in [1, 2] {
            let db = PgDatabase::create().await;
            let cluster = Cluster::start(&db, instances, scale_options()).await;
            let delay = FaultConfig {
                latency_ms,
                ..FaultConfig::default()
            };
            cluster.app.faults(delay.clone(), delay);
            let (seeded, figures) = sync_all(&cluster, shared, marked).await;
            figures.print();
            cluster
                .app
                .faults(FaultConfig::default(), FaultConfig::default());
            assert_each_deal_synced_once(&cluster.app, &seeded).await;
            let pc = cluster.app.pc.control().calls().total;
            let sf = cluster.app.sf.control().calls().total;
            println!("  API calls served: Partner Center {pc}, Salesforce {sf}");
            cluster.stop().await;
        }
    }
}
