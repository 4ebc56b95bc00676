//! The web server flow with PKCE and the External Client App's client
//! credentials Run As user, as Salesforce documents them: the authorize
//! page, the callback redirect with a one-time code, the code exchange with
//! the verifier, and the errors of each step.

use emulator::salesforce::{Options, RunAs, DEFAULT_CALLBACK_URL};
use reqwest::StatusCode;
use serde_json::json;

use crate::salesforce::{Answer, TestOrg};

/// A verifier and its S256 challenge (RFC 7636 Appendix B).
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The authorize request's parameters.
fn authorize_params(redirect: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", "cosell-demo".into()),
        ("redirect_uri", redirect.into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
        ("state", "st-123".into()),
        ("scope", "api refresh_token".into()),
    ]
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in on the authorize page and allows (or denies) access; the redirect.
async fn submit(
    org: &TestOrg,
    params: &[(&'static str, String)],
    action: &str,
) -> reqwest::Response {
    let mut form = params.to_vec();
    form.push(("username", "admin@cosell.demo".into()));
    form.push(("pw", "cosell-demo".into()));
    form.push(("action", action.into()));
    no_redirects()
        .post(format!("{}/services/oauth2/authorize", org.emu.url()))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The callback's query pairs.
fn callback_query(response: &reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(DEFAULT_CALLBACK_URL), "{location}");
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A code for the demo user, allowed on the page.
async fn code(org: &TestOrg) -> String {
    let response = submit(org, &authorize_params(DEFAULT_CALLBACK_URL), "allow").await;
    let query = callback_query(&response);
    assert!(
        query.contains(&("state".into(), "st-123".into())),
        "{query:?}"
    );
    query
        .into_iter()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
}

async fn exchange(org: &TestOrg, code: &str, verifier: Option<&str>, redirect: &str) -> Answer {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", "cosell-demo"),
        ("client_secret", "cosell-demo-secret"),
        ("redirect_uri", redirect),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    org.token_request(&form).await
}

/// The token answer of a completed web server flow.
pub async fn signed_in(org: &TestOrg) -> Answer {
    let code = code(org).await;
    exchange(org, &code, Some(VERIFIER), DEFAULT_CALLBACK_URL).await
}

#[tokio::test]
async fn the_web_server_flow_with_pkce_issues_a_refresh_token_once_per_code() {
    let org = TestOrg::start().await;
    let page = org
        .http
        .get(format!("{}/services/oauth2/authorize", org.emu.url()))
        .query(&authorize_params(DEFAULT_CALLBACK_URL))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("name=\"code_challenge\" value=\"{CHALLENGE}\"")),
        "{html}"
    );
    assert!(
        html.contains("name=\"pw\""),
        "the page asks for the password"
    );

    let code = code(&org).await;
    let token = exchange(&org, &code, Some(VERIFIER), DEFAULT_CALLBACK_URL).await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    assert!(token.body["refresh_token"].is_string());
    assert!(token.body["id"]
        .as_str()
        .unwrap()
        .ends_with(&org.emu.admin_user_id()));
    let again = exchange(&org, &code, Some(VERIFIER), DEFAULT_CALLBACK_URL).await;
    assert_eq!(
        again.body,
        json!({"error": "invalid_grant", "error_description": "invalid authorization code"}),
        "a code redeems once"
    );
}

#[tokio::test]
async fn the_exchange_checks_the_verifier_and_the_callback() {
    let org = TestOrg::start().await;
    let wrong = exchange(
        &org,
        &code(&org).await,
        Some("not-the-verifier-not-the-verifier-000000000"),
        DEFAULT_CALLBACK_URL,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.body["error"], "invalid_request");
    let missing = exchange(&org, &code(&org).await, None, DEFAULT_CALLBACK_URL).await;
    assert_eq!(missing.body["error"], "invalid_grant");
    let elsewhere = exchange(
        &org,
        &code(&org).await,
        Some(VERIFIER),
        "http://localhost:9999/other",
    )
    .await;
    assert_eq!(
        elsewhere.body,
        json!({"error": "redirect_uri_mismatch", "error_description": "redirect_uri must match configuration"})
    );
}

#[tokio::test]
async fn the_authorize_page_refuses_unknown_apps_and_callbacks_and_reports_denial() {
    let org = TestOrg::start().await;
    let get = |params: Vec<(&'static str, String)>| {
        let url = format!("{}/services/oauth2/authorize", org.emu.url());
        async move { no_redirects().get(url).query(&params).send().await.unwrap() }
    };
    let stranger = get(authorize_params("https://evil.example/cb")).await;
    assert_eq!(
        stranger.status(),
        StatusCode::BAD_REQUEST,
        "no redirect to an unknown callback"
    );
    assert!(stranger
        .text()
        .await
        .unwrap()
        .starts_with("error=redirect_uri_mismatch"));

    let mut unknown_app = authorize_params(DEFAULT_CALLBACK_URL);
    unknown_app[1].1 = "someone-else".into();
    let unknown = get(unknown_app).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .starts_with("error=invalid_client_id"));

    let mut no_pkce = authorize_params(DEFAULT_CALLBACK_URL);
    no_pkce.retain(|(k, _)| !k.starts_with("code_challenge"));
    let query = callback_query(&get(no_pkce).await);
    assert!(
        query.contains(&("error".into(), "invalid_request".into())),
        "{query:?}"
    );

    let denied = submit(&org, &authorize_params(DEFAULT_CALLBACK_URL), "deny").await;
    let query = callback_query(&denied);
    assert!(
        query.contains(&("error".into(), "access_denied".into())),
        "{query:?}"
    );
    assert!(
        query.contains(&("state".into(), "st-123".into())),
        "{query:?}"
    );
}

#[tokio::test]
async fn client_credentials_run_as_the_apps_run_as_user() {
    let grant = [
        ("grant_type", "client_credentials"),
        ("client_id", "cosell-demo"),
        ("client_secret", "cosell-demo-secret"),
    ];
    let org = TestOrg::start_with(Options {
        client_credentials_user: RunAs::Username("sam.seller@cosell.demo".into()),
        ..Options::default()
    })
    .await;
    let token = org.token_request(&grant).await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    let id = token.body["id"].as_str().unwrap();
    assert!(
        !id.ends_with(&org.emu.admin_user_id()),
        "runs as Sam, not the admin: {id}"
    );

    let unset = TestOrg::start_with(Options {
        client_credentials_user: RunAs::Unset,
        ..Options::default()
    })
    .await;
    let refused = unset.token_request(&grant).await;
    assert_eq!(
        refused.body,
        json!({"error": "invalid_grant", "error_description": "no client credentials user enabled"})
    );
}
