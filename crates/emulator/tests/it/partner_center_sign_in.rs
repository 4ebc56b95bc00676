//! The OpenID Connect sign-in of the emulated tenant: the authorize page,
//! codes redeemed with PKCE at the token endpoint, and ID tokens that verify
//! against the tenant's published keys — and the refusals Entra answers.

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use emulator::partner_center::{Options, DEMO_ADMIN, DEMO_ADMINS_GROUP, USERNAME_FIELD};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use super::{spawn, Pc};

const REDIRECT: &str = "http://127.0.0.1:54321/auth/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9aRJ6Hd0DNtg8_PYT_Nxbe3C0";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()).as_ref())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The authorize URL with `changes` applied over a valid request.
fn authorize_url(pc: &Pc, changes: &[(&str, &str)]) -> String {
    let challenge = challenge(VERIFIER);
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", "cosell-demo"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email"),
        ("state", "state-1"),
        ("nonce", "nonce-1"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in changes {
        params.retain(|(p, _)| p != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("{}/oauth2/v2.0/authorize?{query}", pc.emu.authority_url())
}

/// Picks `user` on the page of `url`.
async fn pick(url: &str, user: &str) -> Response {
    no_redirects()
        .post(url)
        .form(&[(USERNAME_FIELD, user)])
        .send()
        .await
        .unwrap()
}

fn location(response: &Response) -> url::Url {
    url::Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap()
}

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A fresh code for the demo admin.
async fn code(pc: &Pc) -> String {
    let back = pick(&authorize_url(pc, &[]), DEMO_ADMIN).await;
    assert_eq!(back.status(), StatusCode::FOUND);
    query(&location(&back), "code").unwrap()
}

async fn redeem(pc: &Pc, code: &str, verifier: &str, redirect: &str) -> Response {
    pc.token_call(&[
        ("grant_type", "authorization_code"),
        ("client_id", "cosell-demo"),
        ("client_secret", "cosell-demo-secret"),
        ("code", code),
        ("redirect_uri", redirect),
        ("code_verifier", verifier),
    ])
    .await
}

async fn entra_error(response: Response, error: &str, code: u64) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
}

#[tokio::test]
async fn a_sign_in_yields_an_id_token_signed_by_the_tenants_published_key() {
    let pc = spawn().await;
    let page = no_redirects()
        .get(authorize_url(&pc, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(DEMO_ADMIN));

    let back = pick(&authorize_url(&pc, &[]), DEMO_ADMIN).await;
    assert_eq!(back.status(), StatusCode::FOUND);
    let to = location(&back);
    assert!(to.as_str().starts_with(REDIRECT), "{to}");
    assert_eq!(query(&to, "state").as_deref(), Some("state-1"));
    let code = query(&to, "code").unwrap();

    let answer = redeem(&pc, &code, VERIFIER, REDIRECT).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    let id_token = body["id_token"].as_str().expect("an id_token");

    let discovery: Value = pc
        .http
        .get(format!(
            "{}/v2.0/.well-known/openid-configuration",
            pc.emu.authority_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: JwkSet = pc
        .http
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let jwk = keys
        .find(header.kid.as_deref().unwrap())
        .expect("the key is published");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[discovery["issuer"].as_str().unwrap()]);
    validation.set_audience(&["cosell-demo"]);
    let claims =
        jsonwebtoken::decode::<Value>(id_token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .expect("the ID token verifies")
            .claims;
    let admin = Options::default();
    assert_eq!(claims["nonce"], "nonce-1");
    assert_eq!(claims["preferred_username"], DEMO_ADMIN);
    assert_eq!(claims["name"], "Ada Admin");
    assert_eq!(claims["tid"], admin.tenant);
    assert_eq!(claims["ver"], "2.0");
    assert_eq!(claims["groups"][0], DEMO_ADMINS_GROUP);
    assert!(claims["oid"].is_string() && claims["sub"].is_string());

    // A code is redeemed once.
    entra_error(
        redeem(&pc, &code, VERIFIER, REDIRECT).await,
        "invalid_grant",
        54005,
    )
    .await;
}

#[tokio::test]
async fn the_authorize_endpoint_refuses_what_entra_refuses() {
    let pc = spawn().await;
    let http = no_redirects();
    // Unknown app or unregistered redirect URI: an error page, never a redirect.
    for (changes, code) in [
        (vec![("client_id", "someone-else")], "AADSTS700016"),
        (
            vec![("redirect_uri", "https://evil.example/auth/callback")],
            "AADSTS50011",
        ),
        (
            vec![("redirect_uri", "http://127.0.0.1:54321/other")],
            "AADSTS50011",
        ),
    ] {
        let page = http.get(authorize_url(&pc, &changes)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{changes:?}");
        assert!(page.headers().get(LOCATION).is_none());
        assert!(page.text().await.unwrap().contains(code), "{changes:?}");
    }
    // Other errors go back to the app with the state.
    for (changes, error, code) in [
        (
            vec![("code_challenge", "too-short")],
            "invalid_request",
            "AADSTS501491",
        ),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
            "AADSTS700054",
        ),
        (vec![("scope", "")], "invalid_request", "AADSTS900144"),
    ] {
        let back = http.get(authorize_url(&pc, &changes)).send().await.unwrap();
        assert_eq!(back.status(), StatusCode::FOUND, "{changes:?}");
        let to = location(&back);
        assert_eq!(query(&to, "error").as_deref(), Some(error), "{changes:?}");
        assert!(query(&to, "error_description").unwrap().starts_with(code));
        assert_eq!(query(&to, "state").as_deref(), Some("state-1"));
    }
    // A user who is not in the directory.
    let page = pick(&authorize_url(&pc, &[]), "nobody@elsewhere.example").await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("AADSTS50034"));
}

#[tokio::test]
async fn a_code_needs_its_verifier_and_its_redirect_uri() {
    let pc = spawn().await;
    let other_verifier = "x".repeat(43);
    entra_error(
        redeem(&pc, &code(&pc).await, &other_verifier, REDIRECT).await,
        "invalid_grant",
        501481,
    )
    .await;
    entra_error(
        redeem(
            &pc,
            &code(&pc).await,
            VERIFIER,
            "http://127.0.0.1:54321/elsewhere",
        )
        .await,
        "invalid_grant",
        500112,
    )
    .await;
    entra_error(
        redeem(&pc, "not-a-code", VERIFIER, REDIRECT).await,
        "invalid_grant",
        70000,
    )
    .await;
}
