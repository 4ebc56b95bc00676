//! OAuth flows, instance_url use, refresh-once on 401, single-flight refresh.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use salesforce::auth::{JwtClaims, ASSERTION_LIFETIME};
use salesforce::{AuthError, Error, Grant, OAuthConfig, OAuthTokenProvider};
use secrecy::SecretString;
use serde_json::json;
use url::Url;

use crate::support::{client_with, fast_config, session_expired, sf_json, spawn};

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// The instance: accepts only tokens numbered above `expired_through`.
#[derive(Default)]
struct Instance {
    expired_through: AtomicUsize,
    calls: AtomicUsize,
    rest_scope_error: std::sync::atomic::AtomicBool,
}

async fn instance_get(
    State(st): State<Arc<Instance>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    st.calls.fetch_add(1, Ordering::SeqCst);
    if st.rest_scope_error.load(Ordering::SeqCst) {
        return sf_json(
            StatusCode::UNAUTHORIZED,
            json!([{"message":"This session is not valid for use with the REST API","errorCode":"INVALID_SESSION_ID"}]),
        );
    }
    let n: usize = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer tok-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if n == 0 || n <= st.expired_through.load(Ordering::SeqCst) {
        return session_expired();
    }
    sf_json(
        StatusCode::OK,
        json!({"attributes":{"type":"Account"},"Id": id, "Name":"ACME"}),
    )
}

/// The login host: mints `tok-N` and records each form.
struct Login {
    minted: AtomicUsize,
    instance_url: Url,
    forms: Mutex<Vec<HashMap<String, String>>>,
}

async fn token(
    State(st): State<Arc<Login>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    st.forms.lock().unwrap().push(form);
    // Widen the window in which concurrent refreshes could overlap.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let n = st.minted.fetch_add(1, Ordering::SeqCst) + 1;
    sf_json(
        StatusCode::OK,
        json!({"access_token": format!("tok-{n}"), "instance_url": st.instance_url.as_str().trim_end_matches('/'),
               "id":"https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS","token_type":"Bearer",
               "issued_at":"1717000000000","signature":"c2ln","scope":"api"}),
    )
}

async fn setup() -> (Arc<Instance>, Arc<Login>, Url) {
    let instance = Arc::new(Instance::default());
    let instance_url = spawn(
        Router::new()
            .route(
                "/services/data/v62.0/sobjects/Account/{id}",
                get(instance_get),
            )
            .with_state(instance.clone()),
    )
    .await;
    let login = Arc::new(Login {
        minted: AtomicUsize::new(0),
        instance_url,
        forms: Mutex::default(),
    });
    let login_url = spawn(
        Router::new()
            .route("/services/oauth2/token", post(token))
            .with_state(login.clone()),
    )
    .await;
    (instance, login, login_url)
}

fn cc_provider(login_url: &Url) -> Arc<OAuthTokenProvider> {
    Arc::new(
        OAuthTokenProvider::new(OAuthConfig::new(
            login_url.clone(),
            Grant::ClientCredentials {
                client_id: "3MVG9-client".into(),
                client_secret: secret("cc-secret"),
            },
        ))
        .unwrap(),
    )
}

const ACCOUNT: &str = "001000000000001AAA";

#[tokio::test]
async fn token_expiry_mid_run_refreshes_once_and_uses_instance_url() {
    let (instance, login, login_url) = setup().await;
    let client = client_with(cc_provider(&login_url), fast_config());

    let r = client.get("Account", ACCOUNT, None).await.unwrap();
    assert_eq!(r.str("Name"), Some("ACME"));
    assert_eq!(login.minted.load(Ordering::SeqCst), 1);

    instance.expired_through.store(1, Ordering::SeqCst);
    let r = client.get("Account", ACCOUNT, None).await.unwrap();
    assert_eq!(r.id(), Some(ACCOUNT));
    assert_eq!(login.minted.load(Ordering::SeqCst), 2);
    assert_eq!(instance.calls.load(Ordering::SeqCst), 3);

    let form = login.forms.lock().unwrap()[0].clone();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], "3MVG9-client");
    assert_eq!(form["client_secret"], "cc-secret");
    let token = client.access_token().await.unwrap();
    assert_eq!(token.org_id(), Some("00Dxx0000001gPLEAY"));
}

#[tokio::test]
async fn concurrent_401s_share_one_refresh() {
    let (instance, login, login_url) = setup().await;
    let client = client_with(cc_provider(&login_url), fast_config());
    client.get("Account", ACCOUNT, None).await.unwrap();
    instance.expired_through.store(1, Ordering::SeqCst);

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get("Account", ACCOUNT, None).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(login.minted.load(Ordering::SeqCst), 2, "one shared refresh");
}

#[tokio::test]
async fn refresh_is_attempted_only_once_per_call() {
    let (instance, login, login_url) = setup().await;
    let client = client_with(cc_provider(&login_url), fast_config());
    instance.expired_through.store(usize::MAX, Ordering::SeqCst);
    let err = client.get("Account", ACCOUNT, None).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 401, .. }));
    assert_eq!(login.minted.load(Ordering::SeqCst), 2);
    assert_eq!(instance.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn rest_api_scope_401_is_not_refreshed() {
    let (instance, login, login_url) = setup().await;
    let client = client_with(cc_provider(&login_url), fast_config());
    instance.rest_scope_error.store(true, Ordering::SeqCst);
    let err = client.get("Account", ACCOUNT, None).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 401, .. }));
    assert_eq!(login.minted.load(Ordering::SeqCst), 1);
    assert_eq!(instance.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn jwt_assertion_has_the_right_claims() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let private_pem = key.serialize_pem();
    let public_pem = key.public_key_pem();
    let checked = Arc::new(Mutex::new(None::<(JwtClaims, String)>));
    let c = checked.clone();
    let login_url = spawn(Router::new().route(
        "/services/oauth2/token",
        post(move |Form(form): Form<HashMap<String, String>>| {
            let c = c.clone();
            let public_pem = public_pem.clone();
            async move {
                assert_eq!(form["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
                assert!(!form.contains_key("client_secret"));
                let header = jsonwebtoken::decode_header(&form["assertion"]).unwrap();
                let mut validation = Validation::new(Algorithm::RS256);
                validation.set_audience(&["https://login.salesforce.com"]);
                validation.set_issuer(&["3MVG9-consumer-key"]);
                validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
                let data = jsonwebtoken::decode::<JwtClaims>(
                    &form["assertion"],
                    &DecodingKey::from_rsa_pem(public_pem.as_bytes()).unwrap(),
                    &validation,
                )
                .unwrap();
                *c.lock().unwrap() = Some((data.claims, format!("{:?}", header.alg)));
                sf_json(
                    StatusCode::OK,
                    json!({"access_token":"jwt-token","instance_url":"https://acme.my.salesforce.com","token_type":"Bearer","scope":"api"}),
                )
            }
        }),
    ))
    .await;

    let provider = OAuthTokenProvider::new(OAuthConfig::new(
        login_url,
        Grant::JwtBearer {
            client_id: "3MVG9-consumer-key".into(),
            username: "integration@acme.example".into(),
            private_key_pem: SecretString::from(private_pem),
            audience: Some("https://login.salesforce.com".into()),
        },
    ))
    .unwrap();
    use salesforce::TokenProvider;
    let token = provider.fetch_token().await.unwrap();
    assert_eq!(
        token.instance_url.as_str(),
        "https://acme.my.salesforce.com/"
    );
    assert!(token.issued_at.is_none());

    let (claims, alg) = checked.lock().unwrap().clone().unwrap();
    assert_eq!(alg, "RS256");
    assert_eq!(claims.iss, "3MVG9-consumer-key");
    assert_eq!(claims.sub, "integration@acme.example");
    assert_eq!(claims.aud, "https://login.salesforce.com");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(claims.exp > now && claims.exp <= now + ASSERTION_LIFETIME.as_secs());
}

#[tokio::test]
async fn oauth_errors_are_typed_and_do_not_leak_secrets() {
    let login_url = spawn(Router::new().route(
        "/services/oauth2/token",
        post(|Form(form): Form<HashMap<String, String>>| async move {
            assert_eq!(form["grant_type"], "password");
            assert_eq!(form["password"], "pw-secretTOKEN-secret");
            (
                StatusCode::BAD_REQUEST,
                axum::Json(
                    json!({"error":"invalid_grant","error_description":"authentication failure"}),
                ),
            )
        }),
    ))
    .await;
    let provider = Arc::new(
        OAuthTokenProvider::new(OAuthConfig::new(
            login_url,
            Grant::Password {
                client_id: "cid".into(),
                client_secret: secret("cs-secret"),
                username: "u@example.com".into(),
                password: secret("pw-secret"),
                security_token: Some(secret("TOKEN-secret")),
            },
        ))
        .unwrap(),
    );
    let client = client_with(provider, fast_config());
    let err = client.get("Account", ACCOUNT, None).await.unwrap_err();
    match &err {
        Error::Auth(AuthError::OAuth {
            status,
            error,
            description,
        }) => {
            assert_eq!(*status, 400);
            assert_eq!(error, "invalid_grant");
            assert_eq!(description, "authentication failure");
        }
        other => panic!("unexpected {other:?}"),
    }
    for text in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!text.contains("secret"), "{text}");
    }
    assert!(!err.is_transient());
}

#[tokio::test]
async fn refresh_token_grant_sends_its_form() {
    let forms = Arc::new(Mutex::new(Vec::<HashMap<String, String>>::new()));
    let f = forms.clone();
    let login_url = spawn(Router::new().route(
        "/services/oauth2/token",
        post(move |Form(form): Form<HashMap<String, String>>| {
            let f = f.clone();
            async move {
                f.lock().unwrap().push(form);
                sf_json(StatusCode::OK, json!({"access_token":"a","instance_url":"https://x.my.salesforce.com","issued_at":"1717000000000"}))
            }
        }),
    ))
    .await;
    let provider = OAuthTokenProvider::new(OAuthConfig::new(
        login_url,
        Grant::RefreshToken {
            client_id: "cid".into(),
            client_secret: Some(secret("cs")),
            refresh_token: secret("5Aep861-refresh"),
        },
    ))
    .unwrap();
    use salesforce::TokenProvider;
    let t = provider.fetch_token().await.unwrap();
    assert_eq!(t.issued_at.unwrap().timestamp_millis(), 1_717_000_000_000);
    let form = &forms.lock().unwrap()[0];
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "5Aep861-refresh");
    assert_eq!(form["client_id"], "cid");
    assert_eq!(form["client_secret"], "cs");
}
