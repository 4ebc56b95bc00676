//! Token endpoint conformance (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flows.htm>): the four grants, the token
//! response shape, OAuth error bodies, JWT assertion checks, and session
//! expiry on the REST API.

use base64::Engine;
use emulator::salesforce::Options;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::salesforce::{TestOrg, V};

fn assert_oauth_error(body: &Value, error: &str, description: &str) {
    assert_eq!(
        body,
        &json!({ "error": error, "error_description": description })
    );
}

#[tokio::test]
async fn password_grant_returns_the_real_token_shape() {
    let org = TestOrg::start().await;
    let a = org.password_grant().await;
    assert_eq!(a.status, StatusCode::OK);
    let b = &a.body;
    let org_id = org.emu.org_id();
    assert!(b["access_token"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}!AQ", &org_id[..15])));
    assert_eq!(b["instance_url"], json!(org.emu.url()));
    let id = b["id"].as_str().unwrap();
    assert_eq!(
        id,
        format!(
            "https://login.salesforce.com/id/{org_id}/{}",
            org.emu.admin_user_id()
        )
    );
    assert_eq!(b["token_type"], "Bearer");
    let issued_at = b["issued_at"].as_str().expect("issued_at is a string");
    assert_eq!(issued_at.len(), 13, "milliseconds");
    assert!(b.get("expires_in").is_none());
    assert!(
        b.get("refresh_token").is_none(),
        "the username-password flow issues no refresh token"
    );
    assert!(b["scope"].as_str().unwrap().contains("api"));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b"cosell-demo-secret");
    let tag = aws_lc_rs::hmac::sign(&key, format!("{id}{issued_at}").as_bytes());
    assert_eq!(
        b["signature"],
        json!(base64::engine::general_purpose::STANDARD.encode(tag.as_ref()))
    );
}

#[tokio::test]
async fn bad_credentials_get_oauth_error_bodies() {
    let org = TestOrg::start().await;
    let wrong_password = org
        .token_request(&[
            ("grant_type", "password"),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
            ("username", "admin@cosell.demo"),
            ("password", "nope"),
        ])
        .await;
    assert_eq!(wrong_password.status, StatusCode::BAD_REQUEST);
    assert_oauth_error(
        &wrong_password.body,
        "invalid_grant",
        "authentication failure",
    );
    let wrong_client = org
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "x"),
            ("client_secret", "y"),
        ])
        .await;
    assert_eq!(wrong_client.status, StatusCode::BAD_REQUEST);
    assert_oauth_error(
        &wrong_client.body,
        "invalid_client_id",
        "client identifier invalid",
    );
    let wrong_secret = org
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cosell-demo"),
            ("client_secret", "y"),
        ])
        .await;
    assert_oauth_error(
        &wrong_secret.body,
        "invalid_client",
        "invalid client credentials",
    );
    let unknown = org.token_request(&[("grant_type", "magic")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_oauth_error(
        &unknown.body,
        "unsupported_grant_type",
        "grant type not supported",
    );
}

#[tokio::test]
async fn client_credentials_work_on_my_domain_only() {
    let org = TestOrg::start().await;
    let ok = org
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
        ])
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.body.get("refresh_token").is_none());
    // Basic auth for the client is accepted too.
    let basic = org
        .http
        .post(format!("{}/services/oauth2/token", org.emu.url()))
        .basic_auth("cosell-demo", Some("cosell-demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);

    let login_host = TestOrg::start_with(Options {
        my_domain: false,
        ..Options::default()
    })
    .await;
    let refused = login_host
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
        ])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_oauth_error(
        &refused.body,
        "invalid_grant",
        "request not supported on this domain",
    );
}

#[tokio::test]
async fn refresh_token_grant_mints_a_new_access_token() {
    let org = TestOrg::start().await;
    let first = crate::salesforce_web_flow::signed_in(&org).await;
    let refresh = first.body["refresh_token"].as_str().unwrap();
    let renewed = org
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
            ("refresh_token", refresh),
        ])
        .await;
    assert_eq!(renewed.status, StatusCode::OK);
    assert_ne!(renewed.body["access_token"], first.body["access_token"]);
    assert!(renewed.body.get("refresh_token").is_none());
    let bad = org
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", "cosell-demo"),
            ("refresh_token", "bogus"),
        ])
        .await;
    assert_oauth_error(&bad.body, "invalid_grant", "expired access/refresh token");
}

struct Signer {
    key: EncodingKey,
}

fn jwt_material() -> (String, Signer) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["cosell".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let signer = Signer {
        key: EncodingKey::from_rsa_pem(key.serialize_pem().as_bytes()).unwrap(),
    };
    (cert.pem(), signer)
}

impl Signer {
    fn assertion(&self, claims: Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key).unwrap()
    }
}

fn claims(aud: &str, exp_offset: i64, sub: &str, iss: &str) -> Value {
    json!({ "iss": iss, "sub": sub, "aud": aud, "exp": chrono::Utc::now().timestamp() + exp_offset })
}

#[tokio::test]
async fn jwt_bearer_assertions_are_verified_against_the_registered_certificate() {
    let (cert, signer) = jwt_material();
    let org = TestOrg::start_with(Options {
        jwt_certificate_pem: Some(cert),
        ..Options::default()
    })
    .await;
    let grant = |assertion: String| {
        let org = &org;
        async move {
            org.token_request(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", &assertion),
            ])
            .await
        }
    };
    let login = "https://login.salesforce.com";
    let ok = grant(signer.assertion(claims(login, 180, "admin@cosell.demo", "cosell-demo"))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(ok.body.get("refresh_token").is_none());
    let token = ok.body["access_token"].as_str().unwrap();
    let limits = org
        .http
        .get(org.url("/limits"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(limits.status(), StatusCode::OK);

    let audience = grant(signer.assertion(claims(
        "https://example.com",
        180,
        "admin@cosell.demo",
        "cosell-demo",
    )))
    .await;
    assert_oauth_error(&audience.body, "invalid_grant", "audience is invalid");
    let expired =
        grant(signer.assertion(claims(login, -600, "admin@cosell.demo", "cosell-demo"))).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert_oauth_error(&expired.body, "invalid_grant", "expired authorization code");
    let stranger =
        grant(signer.assertion(claims(login, 180, "nobody@cosell.demo", "cosell-demo"))).await;
    assert_oauth_error(
        &stranger.body,
        "invalid_grant",
        "user hasn't approved this consumer",
    );
    let other_app =
        grant(signer.assertion(claims(login, 180, "admin@cosell.demo", "other-app"))).await;
    assert_oauth_error(
        &other_app.body,
        "invalid_client_id",
        "client identifier invalid",
    );
    let (_, impostor) = jwt_material();
    let forged =
        grant(impostor.assertion(claims(login, 180, "admin@cosell.demo", "cosell-demo"))).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert_eq!(forged.body["error"], "invalid_grant");
}

#[tokio::test]
async fn expired_and_unknown_sessions_get_invalid_session_id() {
    let org = TestOrg::start().await;
    let fine = org.get("/limits").await;
    assert_eq!(fine.status, StatusCode::OK);
    org.emu.set_token_lifetime(std::time::Duration::ZERO);
    let expired = org.get("/limits").await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.body,
        json!([{ "message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID" }])
    );
    let anonymous = org.http.get(org.url("/limits")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // A fresh login works again once the lifetime is back.
    org.emu
        .set_token_lifetime(std::time::Duration::from_secs(7200));
    let again = org.password_grant().await;
    let token = again.body["access_token"].as_str().unwrap();
    let ok = org
        .http
        .get(org.url("/limits"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn versions_list_needs_no_session_and_carries_no_limit_header() {
    let org = TestOrg::start().await;
    let response = org
        .http
        .get(format!("{}/services/data/", org.emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("sforce-limit-info").is_none());
    let list: Value = response.json().await.unwrap();
    assert!(list.as_array().unwrap().contains(
        &json!({ "label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0" })
    ));
    assert_eq!(org.emu.api_usage(), 0);
    let retired = org
        .http
        .get(format!("{}/services/data/v30.0/limits", org.emu.url()))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(retired.status(), StatusCode::GONE);
    let unknown = org
        .http
        .get(format!("{}/services/data/v99.0/limits", org.emu.url()))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let limits = org.get("/limits").await;
    assert_eq!(limits.headers["sforce-limit-info"], "api-usage=1/15000");
    assert_eq!(
        limits.body["DailyApiRequests"],
        json!({ "Max": 15000, "Remaining": 14999 })
    );
    let _ = V;
}

#[tokio::test]
async fn the_daily_limit_refuses_calls_with_request_limit_exceeded() {
    let org = TestOrg::start().await;
    org.emu.set_daily_limit(2);
    assert_eq!(org.get("/limits").await.status, StatusCode::OK);
    assert_eq!(org.get("/limits").await.status, StatusCode::OK);
    let refused = org.get("/limits").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.body,
        json!([{ "message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED" }])
    );
    assert_eq!(refused.headers["sforce-limit-info"], "api-usage=2/2");
    // The control API raises it again.
    let raised = org
        .http
        .post(format!("{}/_emulator/limits", org.emu.url()))
        .json(&json!({ "daily_api_limit": 10 }))
        .send()
        .await
        .unwrap();
    assert_eq!(raised.status(), StatusCode::OK);
    assert_eq!(org.get("/limits").await.status, StatusCode::OK);
}

#[tokio::test]
async fn injected_faults_use_salesforce_error_bodies() {
    let org = TestOrg::start().await;
    let id = org.create_opportunity("Locked deal").await;
    let set = org
        .http
        .post(format!("{}/_emulator/faults", org.emu.url()))
        .json(&json!({ "error_rate": 1.0, "errors": ["UNABLE_TO_LOCK_ROW"], "routes": ["/sobjects/"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let locked = org.get(&format!("/sobjects/Opportunity/{id}")).await;
    assert_eq!(locked.status, StatusCode::BAD_REQUEST);
    assert_eq!(locked.error_code(), "UNABLE_TO_LOCK_ROW");
    assert_eq!(
        locked.body[0]["message"],
        json!(format!(
            "unable to obtain exclusive access to this record or 1 records: {id}"
        ))
    );
    org.http
        .post(format!("{}/_emulator/faults", org.emu.url()))
        .json(&json!({ "error_rate": 1.0, "errors": ["503"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        org.get("/limits").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let calls: Value = org
        .http
        .get(format!("{}/_emulator/calls", org.emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        calls["by_route"]["GET /services/data/{version}/sobjects/{object}/{id}"]
            .as_u64()
            .unwrap()
            >= 1
    );
}
