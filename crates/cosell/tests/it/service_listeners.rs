//! The service's two faces and its bounded connections: the public listener
//! serves nothing but the webhook and `/healthz`; half-sent connections are
//! cut off by the header timeout and the per-IP limit, and 2,000 of them do
//! not delay signed webhooks.
//!
//! The load test opens its connections from 127.0.0.2 and up (all loopback
//! on Linux), so the Partner Center emulator on 127.0.0.1 is another client.
//! Figures for docs/PERFORMANCE.md:
//! `cargo nextest run -p cosell -E 'test(/service_listeners::two_thousand/)' --no-capture`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::service_support::{
    eventually, eventually_within, spawn_app, spawn_app_with, AppOptions,
};

/// A request whose headers never end.
const HALF_SENT: &[u8] =
    b"POST /webhooks/partner-center HTTP/1.1\r\nHost: cosell\r\nContent-Type: application/json\r\n";
/// Idle half-sent connections held during the load test.
const IDLE_CONNECTIONS: usize = 2_000;
/// Source addresses they come from (each under the per-IP limit).
const SOURCES: usize = 10;
/// Webhooks synced during the load.
const WEBHOOKS: usize = 5;
/// The promise: a signed webhook syncs within this long, even under the load.
const SYNC_WITHIN: Duration = Duration::from_secs(1);

/// Opens a connection from `source` and sends half a request.
async fn half_sent(source: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0)).unwrap();
    let mut stream = socket.connect(to).await.expect("connect");
    stream.write_all(HALF_SENT).await.unwrap();
    stream
}

/// True when the server closed `stream` within `patience`.
async fn closed_within(stream: &mut TcpStream, patience: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {} // e.g. a 408 before the close
            }
        }
    };
    tokio::time::timeout(patience, read).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_listener_serves_only_the_webhook_and_healthz() {
    let app = spawn_app().await;
    let public = |path: &str| format!("{}{path}", app.url());
    let status = |r: reqwest::Response| r.status().as_u16();

    let healthz = app.http.get(public("/healthz")).send().await.unwrap();
    assert_eq!(status(healthz), 200);
    for path in [
        "/",
        "/readyz",
        "/metrics",
        "/api/overview",
        "/pairs",
        "/dead-letters",
    ] {
        let got = app.http.get(public(path)).send().await.unwrap();
        assert_eq!(status(got), 404, "public GET {path}");
    }
    for path in ["/dead-letters/retry-all", "/api/dead-letters/retry-all"] {
        let got = app.http.post(public(path)).send().await.unwrap();
        assert_eq!(status(got), 404, "public POST {path}");
    }

    // The admin listener has the rest, and no webhook.
    eventually("ready", || async {
        (app.get("/readyz").await.status() == 200).then_some(())
    })
    .await;
    assert_eq!(app.get("/metrics").await.status(), 200);
    let webhook = app
        .http
        .post(format!("{}/webhooks/partner-center", app.admin_url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(status(webhook), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_listener_refuses_anonymous_api_calls_and_forged_hosts() {
    const TOKEN: &str = "scraper-token-4b1d";
    let app = spawn_app_with(AppOptions {
        admin_token: Some(TOKEN.to_owned()),
        ..Default::default()
    })
    .await;
    let admin = |path: &str| format!("{}{path}", app.admin_url());
    let bearer = format!("Bearer {TOKEN}");

    // Anonymous, or with the wrong token: refused.
    for path in ["/api/overview", "/api/dead-letters", "/metrics"] {
        let anonymous = app.http.get(admin(path)).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "anonymous {path}");
        let wrong = app
            .http
            .get(admin(path))
            .bearer_auth("guess")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "wrong token {path}");
    }
    let retry = app
        .http
        .post(admin("/api/dead-letters/retry-all"))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 401, "anonymous retry");

    // A scraper with the token reads /metrics and the API.
    let metrics = app
        .http
        .get(admin("/metrics"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics
        .text()
        .await
        .unwrap()
        .contains("cosell_http_connections_open"));
    let overview = app
        .http
        .get(admin("/api/overview"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(overview.status(), 200);

    // A page from a rebinding domain, even with the token: refused.
    for path in ["/", "/api/overview", "/metrics"] {
        let forged = app
            .http
            .get(admin(path))
            .header(
                "host",
                format!("rebind.attacker.example:{}", app.admin_addr.port()),
            )
            .header("authorization", &bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 421, "forged Host on {path}");
    }
    let forged_retry = app
        .http
        .post(admin("/dead-letters/retry-all"))
        .header("host", "rebind.attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged_retry.status(), 421);

    // Every answer carries the security headers: HTML, JSON, metrics, errors.
    for (url, auth) in [
        (admin("/"), false),
        (admin("/api/overview"), true),
        (admin("/metrics"), true),
        (admin("/api/overview"), false),
        (format!("{}/healthz", app.url()), false),
        (format!("{}/nothing-here", app.url()), false),
    ] {
        let mut request = app.http.get(&url);
        if auth {
            request = request.header("authorization", &bearer);
        }
        let answer = request.send().await.unwrap();
        let headers = answer.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(headers["x-frame-options"], "DENY", "{url}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{url}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_cut_off_by_the_header_timeout_and_the_per_ip_limit() {
    let app = spawn_app_with(AppOptions {
        header_read_timeout_seconds: 1,
        max_connections_per_ip: 3,
        ..Default::default()
    })
    .await;
    let source = Ipv4Addr::new(127, 0, 0, 2);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(half_sent(source, app.addr).await);
    }
    // A fourth from the same address is closed at once...
    let mut over = half_sent(source, app.addr).await;
    assert!(
        closed_within(&mut over, Duration::from_millis(500)).await,
        "a connection over the per-IP limit stayed open"
    );
    // ...while another address is still served.
    let healthz = app
        .http
        .get(format!("{}/healthz", app.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);

    // The three held ones are closed once their headers are late.
    let started = Instant::now();
    for stream in &mut held {
        assert!(
            closed_within(stream, Duration::from_secs(5)).await,
            "a half-sent request was held past the header timeout"
        );
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "closed after {waited:?}: too early"
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("cosell_http_connections_refused_total{reason=\"per_ip_limit\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_half_sent_connections_do_not_delay_signed_webhooks() {
    // Client and server sockets both count against this process's limit.
    cosell::service::FileLimit::raise();
    let app = spawn_app().await;

    let opened = Instant::now();
    let mut idle = Vec::with_capacity(IDLE_CONNECTIONS);
    for n in 0..IDLE_CONNECTIONS {
        let source = Ipv4Addr::new(127, 0, 0, 2 + u8::try_from(n % SOURCES).unwrap());
        idle.push(half_sent(source, app.addr).await);
    }
    let open_gauge = eventually("the service holding every connection", || async {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        let open = metrics
            .lines()
            .find_map(|l| l.strip_prefix("cosell_http_connections_open "))
            .and_then(|v| v.trim().parse::<usize>().ok())?;
        (open > IDLE_CONNECTIONS).then_some(open)
    })
    .await;
    eprintln!(
        "{IDLE_CONNECTIONS} half-sent connections open after {:?} (service holds {open_gauge})",
        opened.elapsed()
    );

    let mut latencies = Vec::new();
    for n in 0..WEBHOOKS {
        let shared = Instant::now();
        let referral = app.share_referral(&format!("Under load {n}"));
        eventually_within(SYNC_WITHIN, "the webhook synced under load", || async {
            (app.opportunities_for(&referral).len() == 1).then_some(())
        })
        .await;
        latencies.push(shared.elapsed());
        eprintln!("webhook {n}: {:?}", shared.elapsed());
    }
    latencies.sort();
    eprintln!(
        "signed webhook → Salesforce opportunity under load: min {:?}, max {:?} ({WEBHOOKS} webhooks)",
        latencies[0],
        latencies[WEBHOOKS - 1]
    );
    // The idle connections were held all along, not dropped to make room.
    let mut probe = idle.pop().unwrap();
    assert!(!closed_within(&mut probe, Duration::from_millis(50)).await);
}
