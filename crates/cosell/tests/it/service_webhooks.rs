//! Webhook intake security: forged, tampered and replayed deliveries are
//! rejected (401) or recognised as duplicates, and nothing extra is stored
//! or synced; oversized bodies get 413; registration never takes over
//! another receiver's URL without `--force`.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing;
use axum::Router;
use cosell::commands::webhooks::{register, register_with, Registered};
use cosell::connect::{self, Observers};

use crate::service_support::{eventually, spawn_app, TestApp};

/// One delivery as Partner Center sent it.
#[derive(Clone, Debug)]
pub struct Captured {
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone)]
struct Recorder {
    target: String,
    seen: Arc<Mutex<Vec<Captured>>>,
    http: reqwest::Client,
}

/// Passes deliveries through to the service, keeping a copy.
async fn relay(State(r): State<Recorder>, headers: HeaderMap, body: Bytes) -> StatusCode {
    r.seen.lock().unwrap().push(Captured {
        headers: headers.clone(),
        body: body.clone(),
    });
    let mut request = r.http.post(&r.target).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let status = request
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(502);
    StatusCode::from_u16(status).unwrap()
}

/// Puts a recording relay between Partner Center and the service.
pub async fn record_deliveries(app: &TestApp) -> Arc<Mutex<Vec<Captured>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder {
        target: app.webhook_url(),
        seen: Arc::clone(&seen),
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/relay", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/relay", routing::post(relay))
        .with_state(recorder);
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = connect::webhooks_client(&app.config(), &Observers::default()).unwrap();
    let outcome = register_with(&client, &url, true).await.unwrap();
    assert!(
        matches!(outcome, Registered::Replaced { .. }),
        "{outcome:?}"
    );
    seen
}

pub async fn deliver(app: &TestApp, headers: &HeaderMap, body: impl Into<reqwest::Body>) -> u16 {
    let mut request = app.http.post(app.webhook_url()).body(body);
    for (name, value) in headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    request.send().await.unwrap().status().as_u16()
}

/// Everything the service has stored or synced so far.
async fn footprint(app: &TestApp) -> (u64, usize, usize) {
    let jobs = app.jobs().await;
    (
        jobs.pending + jobs.running + jobs.done + jobs.dead,
        app.sf.records("Opportunity").len(),
        app.store.recent_audit(1000).await.unwrap().len(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_and_replayed_webhooks_change_nothing() {
    let app = spawn_app().await;
    let seen = record_deliveries(&app).await;
    let referral = app.share_referral("Signed Deal");
    eventually("the opportunity", || async {
        (app.opportunities_for(&referral).len() == 1).then_some(())
    })
    .await;
    let genuine = eventually("a recorded delivery", || async {
        seen.lock().unwrap().first().cloned()
    })
    .await;
    // The sync's own echoes (the webhook its write causes, the Salesforce
    // poll that sees its update) are done.
    app.quiet(&["Opportunity"]).await;
    let before = footprint(&app).await;

    // Replayed: the exact delivery again is acknowledged as a duplicate.
    assert_eq!(
        deliver(&app, &genuine.headers, genuine.body.clone()).await,
        200
    );

    // Tampered: another referral id in the signed body.
    let tampered = String::from_utf8(genuine.body.to_vec())
        .unwrap()
        .replace(&referral, "00000000-0000-0000-0000-000000000000");
    assert_ne!(tampered.as_bytes(), &genuine.body[..]);
    assert_eq!(deliver(&app, &genuine.headers, tampered).await, 401);

    // Forged: a signature that is not Microsoft's, with the real certificate URL.
    let mut forged = genuine.headers.clone();
    // Valid base64 of 256 bytes (a 2048-bit RSA signature's size).
    let fake = format!("{}A==", "B".repeat(341));
    let header = if forged.contains_key("x-ms-signature") {
        "x-ms-signature"
    } else {
        "authorization"
    };
    forged.insert(header, format!("Signature {fake}").parse().unwrap());
    let body = genuine.body.to_vec();
    let mut other = body.clone();
    other.extend_from_slice(b" ");
    assert_eq!(deliver(&app, &forged, other).await, 401);

    // Forged: a certificate from outside the allow-list.
    let mut foreign_cert = genuine.headers.clone();
    foreign_cert.insert(
        "x-ms-certificate-url",
        "https://evil.example/cert/x.cer".parse().unwrap(),
    );
    assert_eq!(deliver(&app, &foreign_cert, body.clone()).await, 401);

    // No signature at all.
    let mut unsigned = genuine.headers.clone();
    unsigned.remove("authorization");
    unsigned.remove("x-ms-signature");
    assert_eq!(deliver(&app, &unsigned, body.clone()).await, 401);

    // Missing algorithm: malformed (400, as Microsoft's sample answers).
    let mut no_algorithm = genuine.headers.clone();
    no_algorithm.remove("x-ms-signature-algorithm");
    assert_eq!(deliver(&app, &no_algorithm, body.clone()).await, 400);

    // Over the body limit: 413 before anything else.
    assert_eq!(
        deliver(&app, &genuine.headers, vec![b' '; 10_000]).await,
        413
    );

    // Every answer above was given after storing (or refusing) the event,
    // so anything accepted is already a job; let any such job run out.
    app.quiet(&["Opportunity"]).await;
    assert_eq!(footprint(&app).await, before, "nothing stored or synced");
    assert_eq!(app.opportunities_for(&referral).len(), 1);

    let metrics = app.get("/metrics").await.text().await.unwrap();
    for needle in [
        "cosell_webhook_verifications_total{result=\"bad_signature\"} 2",
        "cosell_webhook_verifications_total{result=\"cert_url_not_allowed\"} 1",
        "cosell_webhook_verifications_total{result=\"missing_signature\"} 1",
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_refuses_to_take_over_a_foreign_url_without_force() {
    let app = spawn_app().await;
    let config = app.config();
    let client = connect::webhooks_client(&config, &Observers::default()).unwrap();

    // Same URL again: nothing changes.
    let (_, outcome) = register(&config, false).await.unwrap();
    assert_eq!(outcome, Registered::AlreadyRegistered);

    // Someone else (e.g. the Power Automate flow) takes the events.
    let foreign = "https://flows.example.com/partner-center-hook";
    register_with(&client, foreign, true).await.unwrap();

    let error = register(&config, false).await.unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains(foreign), "{message}");
    assert!(message.contains("--force"), "{message}");
    let current = client.registration().await.unwrap().unwrap();
    assert_eq!(
        current.webhook_url.as_deref(),
        Some(foreign),
        "nothing changed"
    );

    let (url, outcome) = register(&config, true).await.unwrap();
    assert_eq!(
        outcome,
        Registered::Replaced {
            previous_url: foreign.to_owned()
        }
    );
    let current = client.registration().await.unwrap().unwrap();
    assert_eq!(current.webhook_url.as_deref(), Some(url.as_str()));
    let mut events = current.webhook_events.unwrap();
    events.sort();
    assert_eq!(
        events,
        [
            "referral-created",
            "referral-updated",
            "related-referral-created",
            "related-referral-updated"
        ]
    );

    // The command exits non-zero with the message.
    register_with(&client, foreign, true).await.unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosell"))
        .args(["webhooks", "register", "-c"])
        .arg(&app.config_path)
        .env_clear()
        .envs(TestApp::env())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(foreign), "{stderr}");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosell"))
        .args(["webhooks", "show", "-c"])
        .arg(&app.config_path)
        .env_clear()
        .envs(TestApp::env())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(foreign) && stdout.contains("another receiver"),
        "{stdout}"
    );
}

/// The test PostgreSQL server (`COSELL_TEST_PG_URL` overrides it).
pub fn pg_server() -> String {
    std::env::var("COSELL_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub async fn pg_admin(sql: &str) {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&pg_server())
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(sql).execute(&mut admin).await.expect(sql);
    admin.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_store_answers_503_so_partner_center_retries() {
    let name = format!("cosell_test_svc_{}", uuid::Uuid::now_v7().simple());
    pg_admin(&format!("CREATE DATABASE {name}")).await;
    let mut url = url::Url::parse(&pg_server()).unwrap();
    url.set_path(&name);
    let mut app = crate::service_support::spawn_app_with(crate::service_support::AppOptions {
        store_url: Some(url.to_string()),
        ..Default::default()
    })
    .await;
    let seen = record_deliveries(&app).await;
    let referral = app.share_referral("Outage Deal");
    eventually("the opportunity", || async {
        (app.opportunities_for(&referral).len() == 1).then_some(())
    })
    .await;
    let genuine = eventually("a recorded delivery", || async {
        seen.lock().unwrap().first().cloned()
    })
    .await;

    // The database goes away: a verified delivery cannot be stored.
    pg_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    pg_admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    assert_eq!(
        deliver(&app, &genuine.headers, genuine.body.clone()).await,
        503
    );
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);

    // It comes back: the redelivery is recognised (the first one was stored).
    pg_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    assert_eq!(
        deliver(&app, &genuine.headers, genuine.body.clone()).await,
        200
    );
    app.stop().await;
    drop(app);
    pg_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}
