//! Token endpoint (Entra v2) and bearer checks.

use std::time::Duration;

use emulator::partner_center::Options;
use reqwest::StatusCode;
use serde_json::Value;

use super::{expect_error, spawn, spawn_with, PARTNER_CENTER_SCOPE, REFERRALS_SCOPE};

async fn entra_error(response: reqwest::Response, status: u16, error: &str, code: u64) {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with(&format!("AADSTS{code}:")));
    for key in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[key].is_string(), "{key} missing in {body}");
    }
}

#[tokio::test]
async fn refresh_grant_returns_a_rotating_refresh_token_and_a_working_access_token() {
    let pc = spawn().await;
    let response = pc
        .token_call(&[
            ("grant_type", "refresh_token"),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
            ("refresh_token", "cosell-demo-refresh"),
            (
                "scope",
                "https://api.partner.microsoft.com/.default offline_access openid",
            ),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["ext_expires_in"], 3600);
    assert!(body["scope"]
        .as_str()
        .unwrap()
        .starts_with("https://api.partner.microsoft.com/"));
    let rotated = body["refresh_token"].as_str().unwrap();
    assert_ne!(rotated, "cosell-demo-refresh");
    let again = pc
        .token_call(&[
            ("grant_type", "refresh_token"),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
            ("refresh_token", rotated),
            ("scope", REFERRALS_SCOPE),
        ])
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let token = body["access_token"].as_str().unwrap();
    let list = pc
        .http
        .get(pc.referrals())
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
}

#[tokio::test]
async fn client_secret_may_come_by_http_basic() {
    let pc = spawn().await;
    let response = pc
        .http
        .post(pc.emu.token_url())
        .basic_auth("cosell-demo", Some("cosell-demo-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", PARTNER_CENTER_SCOPE),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
}

#[tokio::test]
async fn token_endpoint_rejections_use_entra_errors() {
    let pc = spawn().await;
    let base = |grant: &'static str| {
        vec![
            ("grant_type", grant),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
        ]
    };
    let mut wrong_secret = base("client_credentials");
    wrong_secret[2] = ("client_secret", "nope");
    wrong_secret.push(("scope", PARTNER_CENTER_SCOPE));
    entra_error(
        pc.token_call(&wrong_secret).await,
        401,
        "invalid_client",
        7000215,
    )
    .await;

    let mut bad_refresh = base("refresh_token");
    bad_refresh.extend([("refresh_token", "stolen"), ("scope", REFERRALS_SCOPE)]);
    entra_error(
        pc.token_call(&bad_refresh).await,
        400,
        "invalid_grant",
        9002313,
    )
    .await;

    entra_error(
        pc.token_call(&base("password")).await,
        400,
        "unsupported_grant_type",
        70003,
    )
    .await;
    entra_error(
        pc.token_call(&[("client_id", "cosell-demo")]).await,
        400,
        "invalid_request",
        900144,
    )
    .await;

    let mut unknown_resource = base("client_credentials");
    unknown_resource.push(("scope", "https://graph.example.com/.default"));
    entra_error(
        pc.token_call(&unknown_resource).await,
        400,
        "invalid_resource",
        500011,
    )
    .await;

    let mut offline_app_only = base("client_credentials");
    offline_app_only.push((
        "scope",
        "https://api.partnercenter.microsoft.com/.default offline_access",
    ));
    entra_error(
        pc.token_call(&offline_app_only).await,
        400,
        "invalid_scope",
        1002012,
    )
    .await;

    let mut no_scope = base("client_credentials");
    no_scope.truncate(3);
    entra_error(
        pc.token_call(&no_scope).await,
        400,
        "invalid_request",
        900144,
    )
    .await;

    let mut unknown_client = base("client_credentials");
    unknown_client[1] = ("client_id", "someone-else");
    unknown_client.push(("scope", PARTNER_CENTER_SCOPE));
    entra_error(
        pc.token_call(&unknown_client).await,
        400,
        "unauthorized_client",
        700016,
    )
    .await;

    let other_tenant = pc
        .http
        .post(format!("{}/other-tenant/oauth2/v2.0/token", pc.emu.url()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    entra_error(other_tenant, 400, "invalid_request", 90002).await;
}

#[tokio::test]
async fn referrals_api_requires_a_valid_bearer() {
    let pc = spawn().await;
    let none = pc.http.get(pc.referrals()).send().await.unwrap();
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    expect_error(none, 401, "unauthenticated").await;
    let garbage = pc
        .http
        .get(pc.referrals())
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    expect_error(garbage, 401, "unauthenticated").await;
    let basic = pc
        .http
        .get(pc.referrals())
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    expect_error(basic, 401, "unauthenticated").await;
}

#[tokio::test]
async fn tokens_for_the_wrong_audience_are_refused() {
    let pc = spawn().await;
    let webhooks_token = pc.refresh_token_grant(PARTNER_CENTER_SCOPE).await;
    let response = pc
        .http
        .get(pc.referrals())
        .bearer_auth(&webhooks_token)
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "unauthenticated").await;
    let response = pc
        .http
        .get(format!("{}/registration/events", pc.emu.webhooks_url()))
        .bearer_auth(&pc.token)
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "unauthenticated").await;
}

#[tokio::test]
async fn app_only_tokens_are_denied_on_referrals() {
    let pc = spawn().await;
    let app_only = pc.client_credentials(REFERRALS_SCOPE).await;
    let response = pc
        .http
        .get(pc.referrals())
        .bearer_auth(&app_only)
        .send()
        .await
        .unwrap();
    expect_error(response, 403, "accessDenied").await;
    // …but the Webhooks API accepts app-only tokens (https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks).
    let webhooks = pc.client_credentials(PARTNER_CENTER_SCOPE).await;
    let response = pc
        .http
        .get(format!("{}/registration/events", pc.emu.webhooks_url()))
        .bearer_auth(&webhooks)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let options = Options {
        token_lifetime: Duration::from_millis(300),
        ..Options::default()
    };
    let pc = spawn_with(options).await;
    assert_eq!(pc.get(&pc.referrals()).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    expect_error(pc.get(&pc.referrals()).await, 401, "unauthenticated").await;
}

/// Redeems `refresh_token` for a Referrals token.
async fn redeem(pc: &super::Pc, refresh_token: &str) -> reqwest::Response {
    pc.token_call(&[
        ("grant_type", "refresh_token"),
        ("client_id", "cosell-demo"),
        ("client_secret", "cosell-demo-secret"),
        ("refresh_token", refresh_token),
        ("scope", REFERRALS_SCOPE),
    ])
    .await
}

#[tokio::test]
async fn a_used_refresh_token_stays_valid_until_its_own_lifetime_ends() {
    let pc = spawn().await;
    // Entra does not revoke a refresh token when it is used.
    assert_eq!(
        redeem(&pc, "cosell-demo-refresh").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        redeem(&pc, "cosell-demo-refresh").await.status(),
        StatusCode::OK
    );

    pc.emu.set_refresh_token_lifetime(Duration::ZERO);
    let body: Value = redeem(&pc, "cosell-demo-refresh")
        .await
        .json()
        .await
        .unwrap();
    let short_lived = body["refresh_token"].as_str().unwrap();
    entra_error(redeem(&pc, short_lived).await, 400, "invalid_grant", 700082).await;

    pc.emu.expire_refresh_token("cosell-demo-refresh");
    entra_error(
        redeem(&pc, "cosell-demo-refresh").await,
        400,
        "invalid_grant",
        700082,
    )
    .await;
    // `spawn` redeemed it once for its own token, the test three times.
    assert_eq!(pc.emu.max_refresh_token_redemptions(), 4);
}

/// Starts a device code sign-in; returns the device code and the user code.
async fn device_code(pc: &super::Pc) -> (String, String) {
    let devicecode = pc.emu.token_url().replace("/token", "/devicecode");
    let response = pc
        .http
        .post(devicecode)
        .form(&[
            ("client_id", "cosell-demo"),
            (
                "scope",
                "https://api.partner.microsoft.com/.default offline_access",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["verification_uri"],
        "https://microsoft.com/devicelogin"
    );
    assert!(
        body["expires_in"].is_u64() && body["interval"].is_u64(),
        "{body}"
    );
    let user_code = body["user_code"].as_str().unwrap().to_owned();
    assert!(body["message"].as_str().unwrap().contains(&user_code));
    (body["device_code"].as_str().unwrap().to_owned(), user_code)
}

async fn poll(pc: &super::Pc, device_code: &str) -> reqwest::Response {
    pc.token_call(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", "cosell-demo"),
        ("device_code", device_code),
    ])
    .await
}

/// The claims of a JWT-shaped access token.
fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn the_device_code_flow_answers_as_entra_documents() {
    let pc = spawn().await;
    pc.emu
        .set_device_code_timing(Duration::from_secs(60), Duration::from_secs(60));
    let (slow, _) = device_code(&pc).await;
    entra_error(poll(&pc, &slow).await, 400, "authorization_pending", 70016).await;
    entra_error(poll(&pc, &slow).await, 400, "slow_down", 70016).await;
    entra_error(
        poll(&pc, "no-such-code").await,
        400,
        "bad_verification_code",
        70018,
    )
    .await;

    pc.emu
        .set_device_code_timing(Duration::ZERO, Duration::from_secs(60));
    let (declined, user_code) = device_code(&pc).await;
    let control = format!("{}/_emulator/devicecode/{user_code}/decline", pc.emu.url());
    assert_eq!(
        pc.http.post(control).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    entra_error(
        poll(&pc, &declined).await,
        400,
        "authorization_declined",
        70000,
    )
    .await;

    let (approved, user_code) = device_code(&pc).await;
    assert!(pc.emu.pending_user_codes().contains(&user_code));
    assert!(pc.emu.approve_device_code(&user_code.to_lowercase()));
    let response = poll(&pc, &approved).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["refresh_token"].is_string());
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["amr"], serde_json::json!(["pwd", "mfa"]));
    let list = pc
        .http
        .get(pc.referrals())
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);

    pc.emu
        .set_device_code_timing(Duration::ZERO, Duration::ZERO);
    let (expired, _) = device_code(&pc).await;
    entra_error(poll(&pc, &expired).await, 400, "expired_token", 70019).await;
}

#[tokio::test]
async fn a_sign_in_without_mfa_is_refused_by_the_referrals_api() {
    let pc = spawn().await;
    pc.emu.set_mfa(false);
    pc.emu
        .set_device_code_timing(Duration::ZERO, Duration::from_secs(60));
    let (device, user_code) = device_code(&pc).await;
    assert!(pc.emu.approve_device_code(&user_code));
    let body: Value = poll(&pc, &device).await.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["amr"], serde_json::json!(["pwd"]));
    let list = pc
        .http
        .get(pc.referrals())
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    let error = expect_error(list, 401, "900421").await;
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("MFA required"));
    // Its refresh token carries the same sign-in: still no MFA.
    let refreshed: Value = redeem(&pc, body["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        claims(refreshed["access_token"].as_str().unwrap())["amr"],
        serde_json::json!(["pwd"])
    );
}
