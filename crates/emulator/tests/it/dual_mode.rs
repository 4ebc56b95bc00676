//! Plain HTTP and HTTPS on one port, for both emulators: the same answers on
//! either scheme, a certificate that only the emulator's CA vouches for,
//! links and instance URLs that keep the caller's scheme, and connections
//! that stall or break their handshake without holding up anyone else.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use emulator::partner_center::Options;

use crate::partner_center::{private_deal, spawn, spawn_with, REFERRALS_SCOPE};
use crate::salesforce::{TestOrg, V};

/// Longest a request may take while other connections misbehave.
const PATIENCE: Duration = Duration::from_secs(5);
/// First byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// A client that trusts only the emulator's HTTPS CA.
fn tls_client(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .timeout(PATIENCE)
        .build()
        .unwrap()
}

fn addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

async fn json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn salesforce_answers_the_same_over_https() {
    let org = TestOrg::start().await;
    let https = tls_client(&org.emu.tls_ca_pem());
    let base = org.emu.https_url();
    assert_eq!(base, org.emu.url().replacen("http://", "https://", 1));

    let plain = json(
        org.http
            .get(format!("{}/services/data/", org.emu.url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let secure = json(
        https
            .get(format!("{base}/services/data/"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(plain.0, StatusCode::OK);
    assert_eq!(plain, secure);

    // A login over HTTPS names an HTTPS instance; the session works on both schemes.
    let form = [
        ("grant_type", "password"),
        ("client_id", "cosell-demo"),
        ("client_secret", "cosell-demo-secret"),
        ("username", "admin@cosell.demo"),
        ("password", "cosell-demo"),
    ];
    let (status, token) = json(
        https
            .post(format!("{base}/services/oauth2/token"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["instance_url"], base);
    let (_, over_http) = json(
        org.http
            .post(format!("{}/services/oauth2/token", org.emu.url()))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(over_http["instance_url"], org.emu.url());

    let session = token["access_token"].as_str().unwrap();
    let query = format!("/services/data/{V}/query?q=SELECT+Id,Name+FROM+Opportunity+ORDER+BY+Id");
    let a = json(
        https
            .get(format!("{base}{query}"))
            .bearer_auth(session)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let b = json(
        org.http
            .get(format!("{}{query}", org.emu.url()))
            .bearer_auth(session)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.0, StatusCode::OK, "{}", a.1);
    assert_eq!(a, b);

    let envelope = r#"<?xml version="1.0" encoding="utf-8" ?><se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Body><login xmlns="urn:partner.soap.sforce.com"><username>admin@cosell.demo</username><password>cosell-demo</password></login></se:Body></se:Envelope>"#;
    let soap = https
        .post(format!("{base}/services/Soap/u/62.0"))
        .header("content-type", "text/xml")
        .header("SOAPAction", "\"\"")
        .body(envelope)
        .send()
        .await
        .unwrap();
    assert_eq!(soap.status(), StatusCode::OK);
    let xml = soap.text().await.unwrap();
    assert!(
        xml.contains(&format!("<serverUrl>{base}/services/Soap/u/62.0/")),
        "{xml}"
    );
}

#[tokio::test]
async fn partner_center_answers_the_same_over_https() {
    let pc = spawn().await;
    pc.created(&private_deal()).await;
    let https = tls_client(&pc.emu.tls_ca_pem());
    let base = pc.emu.https_url();
    let token_url = pc.emu.token_url().replacen(&pc.emu.url(), &base, 1);
    let (status, token) = json(
        https
            .post(token_url)
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "cosell-demo"),
                ("client_secret", "cosell-demo-secret"),
                ("refresh_token", "cosell-demo-refresh"),
                ("scope", REFERRALS_SCOPE),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let bearer = token["access_token"].as_str().unwrap();

    let path = "/v1.0/engagements/referrals?$top=1&$count=true";
    let (secure_status, secure) = json(
        https
            .get(format!("{base}{path}"))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (_, plain) = json(
        pc.http
            .get(format!("{}{path}", pc.emu.url()))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(secure_status, StatusCode::OK, "{secure}");
    assert_eq!(secure["value"], plain["value"]);
    assert_eq!(secure["@odata.count"], plain["@odata.count"]);
    assert_eq!(
        secure["@odata.context"],
        format!("{base}/v1.0/$metadata#Referrals")
    );
    assert_eq!(
        plain["@odata.context"],
        format!("{}/v1.0/$metadata#Referrals", pc.emu.url())
    );
}

#[tokio::test]
async fn next_links_keep_the_callers_scheme() {
    let pc = spawn_with(Options {
        page_size: 1,
        ..Options::default()
    })
    .await;
    pc.created(&private_deal()).await;
    pc.created(&private_deal()).await;
    let https = tls_client(&pc.emu.tls_ca_pem());
    let page: Value = https
        .get(format!("{}/v1.0/engagements/referrals", pc.emu.https_url()))
        .bearer_auth(&pc.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let next = page["@odata.nextLink"].as_str().unwrap();
    let prefix = format!("{}/v1.0/engagements/referrals?", pc.emu.https_url());
    assert!(next.starts_with(&prefix), "{next}");
    let rest: Value = https
        .get(next)
        .bearer_auth(&pc.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["value"].as_array().map(Vec::len), Some(1));
    assert_ne!(rest["value"][0]["id"], page["value"][0]["id"]);
}

#[tokio::test]
async fn https_is_refused_without_the_emulator_ca() {
    let org = TestOrg::start().await;
    let untrusting = reqwest::Client::builder()
        .no_proxy()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let error = untrusting
        .get(format!("{}/services/data/", org.emu.https_url()))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect() || error.is_request(), "{error:?}");
    // A different emulator's CA does not vouch for this one either.
    let other = TestOrg::start().await;
    assert!(tls_client(&other.emu.tls_ca_pem())
        .get(format!("{}/services/data/", org.emu.https_url()))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn the_certificate_names_localhost() {
    let org = TestOrg::start().await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(org.emu.tls_ca_pem().as_bytes()).unwrap(),
        )
        .resolve("localhost", addr(&org.emu.url()))
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let port = addr(&org.emu.url()).port();
    let response = client
        .get(format!("https://localhost:{port}/services/data/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn stalled_and_broken_handshakes_do_not_block_other_connections() {
    let org = TestOrg::start().await;
    let target = addr(&org.emu.url());
    // One connection never speaks; one starts a TLS record and stalls.
    let _silent = TcpStream::connect(target).await.unwrap();
    let mut stalled = TcpStream::connect(target).await.unwrap();
    stalled.write_all(&[TLS_HANDSHAKE]).await.unwrap();

    let https = tls_client(&org.emu.tls_ca_pem());
    let secure = tokio::time::timeout(
        PATIENCE,
        https
            .get(format!("{}/services/data/", org.emu.https_url()))
            .send(),
    )
    .await
    .expect("HTTPS blocked by a stalled handshake")
    .unwrap();
    assert_eq!(secure.status(), StatusCode::OK);
    let plain = tokio::time::timeout(
        PATIENCE,
        org.http
            .get(format!("{}/services/data/", org.emu.url()))
            .send(),
    )
    .await
    .expect("HTTP blocked by a stalled handshake")
    .unwrap();
    assert_eq!(plain.status(), StatusCode::OK);

    // A handshake record full of garbage gets the connection closed.
    let mut broken = TcpStream::connect(target).await.unwrap();
    broken
        .write_all(&[
            TLS_HANDSHAKE,
            0x03,
            0x01,
            0x00,
            0x05,
            0xde,
            0xad,
            0xbe,
            0xef,
            0x00,
        ])
        .await
        .unwrap();
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, broken.read_to_end(&mut sink)).await;
    assert!(
        closed.is_ok(),
        "a broken handshake left the connection open"
    );
    let after = https
        .get(format!("{}/services/data/", org.emu.https_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK);
}
