//! Health that tells the truth: `/readyz` is 503 exactly while webhook
//! intake is 503 because the store takes no writes, and the service uses a
//! store that comes back without a restart: an SQLite file made writable
//! again, a PostgreSQL database dropped and re-created empty.

use std::path::Path;

use crate::service_support::{eventually, spawn_app, spawn_app_with, AppOptions, TestApp};
use crate::service_webhooks::{deliver, pg_admin, pg_server, record_deliveries, Captured};

/// A signed delivery of a referral event, captured on its way to the service.
async fn genuine_delivery(app: &TestApp) -> Captured {
    let seen = record_deliveries(app).await;
    let referral = app.share_referral("Health Deal");
    eventually("the opportunity", || async {
        (app.opportunities_for(&referral).len() == 1).then_some(())
    })
    .await;
    eventually("a recorded delivery", || async {
        seen.lock().unwrap().first().cloned()
    })
    .await
}

/// `/readyz`'s status.
async fn readyz(app: &TestApp) -> u16 {
    app.get("/readyz").await.status().as_u16()
}

/// Partner Center delivers the captured event again (intake writes even for
/// a redelivery: it is recognised inside a write transaction).
async fn redeliver(app: &TestApp, seen: &Captured) -> u16 {
    deliver(app, &seen.headers, seen.body.clone()).await
}

/// Makes `file` unwritable for this process: permissions, and for root
/// (whom permissions do not stop) the immutable attribute.
fn make_read_only(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o444)).unwrap();
    if std::fs::OpenOptions::new().write(true).open(file).is_ok() {
        let chattr = std::process::Command::new("chattr")
            .arg("+i")
            .arg(file)
            .status();
        if !chattr.is_ok_and(|s| s.success()) {
            return false;
        }
    }
    std::fs::OpenOptions::new().write(true).open(file).is_err()
}

fn make_writable(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    // Only root can have set the attribute; elsewhere this fails harmlessly.
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(file)
        .status();
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// `cosell run` in its own process (SQLite shares file descriptors between
/// connections of one process, so the test's own connection would let the
/// service write).
fn cosell_run(app: &TestApp) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_cosell"))
        .args(["run", "-c"])
        .arg(&app.config_path)
        .env_clear()
        .envs(TestApp::env())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("cosell run starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_started_on_a_read_only_sqlite_file_is_unready_until_it_is_writable_again() {
    let mut app = spawn_app().await;
    let genuine = genuine_delivery(&app).await;
    app.stop().await;
    let db = app.config_path.with_file_name("cosell.db");
    if !make_read_only(&db) {
        eprintln!("skipped: cannot make {} read-only here", db.display());
        return;
    }
    let mut service = cosell_run(&app);
    let healthz = format!("{}/healthz", app.url());
    eventually("cosell run answering", || async {
        let up = app.http.get(&healthz).send().await.ok()?;
        up.status().is_success().then_some(())
    })
    .await;

    // Intake cannot store the event, and readiness says so.
    let redelivered = redeliver(&app, &genuine).await;
    let ready = readyz(&app).await;
    make_writable(&db);
    assert_eq!((redelivered, ready), (503, 503));

    // Writable again: ready again, and intake works, without a restart.
    eventually("ready again", || async {
        (readyz(&app).await == 200).then_some(())
    })
    .await;
    assert_eq!(redeliver(&app, &genuine).await, 200);
    service.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_recreated_empty_is_migrated_and_used_again() {
    let name = format!("cosell_test_health_{}", uuid::Uuid::now_v7().simple());
    pg_admin(&format!("CREATE DATABASE {name}")).await;
    let mut url = url::Url::parse(&pg_server()).unwrap();
    url.set_path(&name);
    let mut app = spawn_app_with(AppOptions {
        store_url: Some(url.to_string()),
        ..Default::default()
    })
    .await;
    let genuine = genuine_delivery(&app).await;
    assert_eq!(readyz(&app).await, 200);

    // Dropped: neither intake nor readiness.
    pg_admin(&format!("DROP DATABASE {name} WITH (FORCE)")).await;
    assert_eq!(redeliver(&app, &genuine).await, 503);
    assert_eq!(readyz(&app).await, 503);

    // Re-created empty: the service migrates it and takes events again
    // (the delivery is new to the empty inbox, so it is stored).
    pg_admin(&format!("CREATE DATABASE {name}")).await;
    eventually("ready again", || async {
        (readyz(&app).await == 200).then_some(())
    })
    .await;
    assert_eq!(redeliver(&app, &genuine).await, 200);
    app.stop().await;
    drop(app);
    pg_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}
