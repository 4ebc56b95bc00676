//! What standard clients look up before their first API call: Entra's OpenID
//! configuration (MSAL), Salesforce's Identity URL (jsforce `identity()`),
//! and a `Retry-After` that a client can simply wait out.

use reqwest::StatusCode;
use serde_json::Value;

use crate::partner_center::{spawn, PARTNER_CENTER_SCOPE};
use crate::salesforce::TestOrg;

/// Keys every Entra v2 discovery document carries.
const DISCOVERY_KEYS: &[&str] = &[
    "token_endpoint",
    "token_endpoint_auth_methods_supported",
    "jwks_uri",
    "response_modes_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "response_types_supported",
    "scopes_supported",
    "issuer",
    "authorization_endpoint",
    "device_authorization_endpoint",
    "end_session_endpoint",
    "claims_supported",
    "tenant_region_scope",
    "cloud_instance_name",
];

async fn get(http: &reqwest::Client, url: &str) -> (StatusCode, Value) {
    let response = http.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn openid_configuration_points_at_the_tenant_token_endpoint() {
    let pc = spawn().await;
    let base = pc.emu.url();
    let (status, doc) = get(
        &pc.http,
        &format!("{base}/cosell-demo-tenant/v2.0/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for key in DISCOVERY_KEYS {
        assert!(doc.get(*key).is_some(), "missing {key}: {doc}");
    }
    assert_eq!(doc["token_endpoint"], pc.emu.token_url());
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{base}/cosell-demo-tenant/oauth2/v2.0/authorize")
    );
    assert_eq!(doc["issuer"], format!("{base}/cosell-demo-tenant/v2.0"));
    assert!(doc["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&"client_secret_post".into()));

    // The advertised token endpoint is the working one.
    let token = pc
        .http
        .post(doc["token_endpoint"].as_str().unwrap())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
            ("scope", PARTNER_CENTER_SCOPE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK);

    let (status, keys) = get(&pc.http, doc["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    // The ID token signing key: one RSA key, named by kid, for signatures.
    let key = &keys["keys"][0];
    assert_eq!(key["kty"], "RSA", "{keys}");
    assert_eq!(key["use"], "sig", "{keys}");
    assert!(key["kid"].is_string() && key["n"].is_string() && key["e"].is_string());
}

#[tokio::test]
async fn openid_configuration_over_https_names_https_endpoints() {
    let pc = spawn().await;
    let https = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(
            reqwest::Certificate::from_pem(pc.emu.tls_ca_pem().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let base = pc.emu.https_url();
    let (status, doc) = get(
        &https,
        &format!("{base}/cosell-demo-tenant/v2.0/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        doc["token_endpoint"],
        format!("{base}/cosell-demo-tenant/oauth2/v2.0/token")
    );
    assert_eq!(doc["issuer"], format!("{base}/cosell-demo-tenant/v2.0"));
}

#[tokio::test]
async fn openid_configuration_of_aliases_and_unknown_tenants() {
    let pc = spawn().await;
    let base = pc.emu.url();
    let (status, common) = get(
        &pc.http,
        &format!("{base}/common/v2.0/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        common["token_endpoint"],
        format!("{base}/common/oauth2/v2.0/token")
    );
    assert_eq!(common["issuer"], format!("{base}/{{tenantid}}/v2.0"));

    let (status, error) = get(
        &pc.http,
        &format!("{base}/no-such-tenant/v2.0/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"], "invalid_tenant");
    assert_eq!(error["error_codes"], serde_json::json!([90002]));
    assert!(error["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS90002:"));
}

#[tokio::test]
async fn identity_url_describes_the_session_user() {
    let org = TestOrg::start().await;
    let (org_id, user_id) = (org.emu.org_id(), org.emu.admin_user_id());
    let url = format!("{}/id/{org_id}/{user_id}", org.emu.url());

    let response = org
        .http
        .get(format!("{url}?version=62.0"))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let identity: Value = response.json().await.unwrap();
    assert_eq!(identity["user_id"], user_id);
    assert_eq!(identity["organization_id"], org_id);
    assert_eq!(identity["username"], "admin@cosell.demo");
    assert_eq!(identity["asserted_user"], true);
    assert_eq!(
        identity["id"],
        format!("https://login.salesforce.com/id/{org_id}/{user_id}")
    );
    assert_eq!(
        identity["urls"]["rest"],
        format!("{}/services/data/v62.0/", org.emu.url())
    );

    // jsforce passes the token as `oauth_token`; without `version` the URLs keep `{version}`.
    let (status, by_param) = get(
        &org.http,
        &format!("{url}?format=json&oauth_token={}", org.token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        by_param["urls"]["query"],
        format!("{}/services/data/v{{version}}/query/", org.emu.url())
    );
}

#[tokio::test]
async fn identity_url_refusals() {
    let org = TestOrg::start().await;
    let (org_id, user_id) = (org.emu.org_id(), org.emu.admin_user_id());
    let base = org.emu.url();
    let call = |url: String, token: Option<&str>| {
        let mut request = org.http.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    assert_eq!(
        call(format!("{base}/id/{org_id}/{user_id}"), None).await,
        (StatusCode::FORBIDDEN, "Bad_OAuth_Token".to_owned())
    );
    assert_eq!(
        call(format!("{base}/id/{org_id}/{user_id}"), Some("00Dbogus")).await,
        (StatusCode::FORBIDDEN, "Bad_OAuth_Token".to_owned())
    );
    assert_eq!(
        call(
            format!("{base}/id/00D000000000001AAA/{user_id}"),
            Some(&org.token)
        )
        .await,
        (StatusCode::FORBIDDEN, "Wrong_Org".to_owned())
    );
    assert_eq!(
        call(
            format!("{base}/id/{org_id}/005000000000001AAA"),
            Some(&org.token)
        )
        .await,
        (StatusCode::NOT_FOUND, "Bad_Id".to_owned())
    );
}

#[tokio::test]
async fn throttled_test_events_retry_after_rounds_up() {
    let pc = spawn().await;
    let token = pc.client_credentials(PARTNER_CENTER_SCOPE).await;
    let hooks = format!("{}/registration", pc.emu.webhooks_url());
    let registered = pc
        .http
        .post(&hooks)
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "WebhookUrl": "http://127.0.0.1:9/hook",
            "WebhookEvents": ["test-created"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::OK);
    let send = || {
        pc.http
            .post(format!("{hooks}/validationEvents"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    let third = send().await.unwrap();
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    // Less than a second has passed, so 59.x seconds remain: waiting 59 would be refused.
    assert_eq!(third.headers()["retry-after"], "60");
}
