//! A credential the identity provider refuses shows where an admin looks:
//! `/readyz` turns not ready with the reason and the fix, the dashboard's
//! overview (seen in headless Chromium) shows the credential broken with its
//! AADSTS code and the `cosell login` command; after that command both
//! are healthy again.
//!
//! Run: `cargo nextest run -p cosell -E 'test(/credentials_health/)'`.

use std::time::Duration;

use cosell::config::Config;
use cosell::credentials::{StoreVault, PC_REFRESH_TOKEN, SF_REFRESH_TOKEN};
use emulator::partner_center::Options as PcOptions;
use secrecy::SecretString;
use serde_json::Value;
use store::seal::CredentialKey;

use crate::credentials_story::{login, LoginWorld};
use crate::dashboard_browser::browser_or_skip;
use crate::dashboard_cdp::Browser;
use crate::service_support::{eventually, eventually_within, AppOptions};

/// `/readyz`'s status and body.
async fn readyz(http: &reqwest::Client, admin: &str) -> (u16, Value) {
    let response = http.get(format!("{admin}/readyz")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The Partner Center credential's row on the overview: status, error code, fix.
async fn overview_row(
    browser: &mut Browser,
    admin: &str,
) -> (String, Option<String>, Option<String>) {
    browser.goto(&format!("{admin}/")).await.unwrap();
    let row = format!("#credential-health tr.credential[data-credential='{PC_REFRESH_TOKEN}']");
    let problem =
        format!("#credential-health tr.credential-problem[data-credential='{PC_REFRESH_TOKEN}']");
    let status = browser
        .attr(&row, "data-status")
        .await
        .unwrap()
        .expect("the overview lists the Partner Center credential");
    let code = browser
        .text(&format!("{problem} .error-code"))
        .await
        .unwrap();
    let fix = browser.text(&format!("{problem} .fix")).await.unwrap();
    (status, code, fix)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_shows_in_readyz_and_on_the_dashboard_until_the_admin_signs_in() {
    let LoginWorld {
        pc,
        sf: _sf,
        dir: _dir,
        config_path,
        key,
        env,
        key_text: _,
    } = LoginWorld::start().await;
    let config = Config::load_with_env(&config_path, &env).expect("the config loads");
    let store = cosell::connect::store(&config).await.unwrap();

    // Signed in once; the token has since expired (AADSTS700082).
    let signed_in = PcOptions::default().refresh_token;
    StoreVault::new(store.clone(), std::sync::Arc::new(key), PC_REFRESH_TOKEN)
        .sign_in(&SecretString::from(signed_in.clone()), Some(true))
        .await
        .unwrap();
    pc.expire_refresh_token(&signed_in);

    let service = cosell::service::start(config, AppOptions::default().tuning, None)
        .await
        .unwrap();
    let admin = service.admin_url();
    let http = reqwest::Client::new();
    let body = eventually("/readyz not ready for the credential", || async {
        let (status, body) = readyz(&http, &admin).await;
        (status == 503 && body["credentials"]["ok"] == false).then_some(body)
    })
    .await;
    let reason = body["credentials"]["error"].as_str().unwrap();
    assert!(reason.contains(PC_REFRESH_TOKEN), "{reason}");
    assert!(reason.contains("AADSTS700082"), "{reason}");
    assert!(reason.contains("cosell login partner-center"), "{reason}");
    assert!(
        !reason.contains(&signed_in),
        "no secret in /readyz: {reason}"
    );

    let mut browser = browser_or_skip().await;
    if let Some(browser) = browser.as_mut() {
        let (status, code, fix) = overview_row(browser, &admin).await;
        crate::dashboard_browser::snap(browser, "credential-broken")
            .await
            .unwrap();
        assert_eq!(status, "broken");
        assert_eq!(code.as_deref(), Some("AADSTS700082"));
        assert_eq!(fix.as_deref(), Some("cosell login partner-center -c FILE"));
    }

    // The fix the page names: sign in again.
    let signing_in = tokio::spawn(login(config_path.clone(), env.clone()));
    let user_code = eventually("a code waiting for the admin", || async {
        pc.pending_user_codes().into_iter().next()
    })
    .await;
    assert!(pc.approve_device_code(&user_code));
    let output = signing_in.await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    eventually_within(Duration::from_secs(60), "/readyz ready again", || async {
        (readyz(&http, &admin).await.0 == 200).then_some(())
    })
    .await;
    if let Some(browser) = browser.as_mut() {
        let (status, code, fix) = overview_row(browser, &admin).await;
        assert_eq!(status, "ok");
        assert_eq!((code, fix), (None, None), "no problem shown once healthy");
    }
    service.stop().await.unwrap();
}

#[tokio::test]
async fn the_overview_api_reports_each_credential_with_its_code_and_fix_and_no_secret() {
    let d = crate::dashboard_support::TestDashboard::start().await;
    let (key, _) = CredentialKey::generate().unwrap();
    let key = std::sync::Arc::new(key);
    let secret = "refresh-token-that-must-stay-sealed";
    StoreVault::new(d.store.clone(), key.clone(), PC_REFRESH_TOKEN)
        .sign_in(&SecretString::from(secret.to_owned()), Some(false))
        .await
        .unwrap();
    StoreVault::new(d.store.clone(), key, SF_REFRESH_TOKEN)
        .until_revoked()
        .sign_in(&SecretString::from(secret.to_owned()), None)
        .await
        .unwrap();
    d.store
        .record_credential_error(
            SF_REFRESH_TOKEN,
            "OAuth token request rejected (HTTP 400): invalid_grant: expired access/refresh token",
        )
        .await
        .unwrap();

    let (status, overview) = d.get_json("/api/overview").await;
    assert_eq!(status, 200);
    assert!(!overview.to_string().contains(secret));
    let credentials = overview["credentials"].as_array().unwrap();
    let find = |name: &str| {
        credentials
            .iter()
            .find(|c| c["credential"] == name)
            .unwrap_or_else(|| panic!("{name} listed: {credentials:?}"))
    };
    let pc = find(PC_REFRESH_TOKEN);
    assert_eq!(pc["status"], "broken", "a token without MFA: {pc}");
    assert_eq!(pc["mfa"], false);
    assert_eq!(pc["expires_in_days"], 89);
    let sf = find(SF_REFRESH_TOKEN);
    assert_eq!(sf["status"], "broken");
    assert_eq!(sf["error_code"], "invalid_grant");
    assert_eq!(sf["fix"], "cosell login salesforce -c FILE");
    assert_eq!(sf["expires_at"], Value::Null, "valid until revoked");
    assert!(sf.get("sealed").is_none());
}
