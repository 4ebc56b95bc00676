//! Retries, row locks, the request-limit cool-down, headers, limit tracking, observer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use salesforce::auth::{AccessToken, StaticTokenProvider};
use salesforce::{
    CallEvent, CallObserver, ClientConfig, Error, ErrorCode, Record, SalesforceClient,
};
use secrecy::SecretString;
use serde_json::json;

use crate::support::{fast_config, sf_json, spawn, static_client, TOKEN};

const ID: &str = "006000000000001AAA";
const PATH: &str = "/services/data/v62.0/sobjects/Opportunity/{id}";

fn lock_error() -> Response {
    sf_json(
        StatusCode::BAD_REQUEST,
        json!([{"message":"unable to obtain exclusive access to this record or 1 records: 006000000000001AAA","errorCode":"UNABLE_TO_LOCK_ROW"}]),
    )
}

#[tokio::test]
async fn unable_to_lock_row_is_retried_until_success() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = Router::new().route(
        PATH,
        axum::routing::patch(move || {
            let c = c.clone();
            async move {
                if c.fetch_add(1, Ordering::SeqCst) < 2 {
                    lock_error()
                } else {
                    StatusCode::NO_CONTENT.into_response()
                }
            }
        }),
    );
    let base = spawn(app).await;
    let client = static_client(&base);
    client
        .update(
            "Opportunity",
            ID,
            &Record::new().with("StageName", "Closed Won"),
        )
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn persistent_lock_gives_up_after_max_retries() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = Router::new().route(
        PATH,
        axum::routing::patch(move || {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                lock_error()
            }
        }),
    );
    let base = spawn(app).await;
    let client = static_client(&base);
    let err = client
        .update("Opportunity", ID, &Record::new().with("Name", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UnableToLockRow));
    assert!(err.is_transient());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        fast_config().retry.max_attempts as usize
    );
}

#[tokio::test]
async fn server_errors_are_retried_but_validation_errors_are_not() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = Router::new()
        .route(
            PATH,
            get(move || {
                let c = c.clone();
                async move {
                    if c.fetch_add(1, Ordering::SeqCst) == 0 {
                        (StatusCode::SERVICE_UNAVAILABLE, "<html>maintenance</html>").into_response()
                    } else {
                        sf_json(StatusCode::OK, json!({"attributes":{"type":"Opportunity"},"Id":ID}))
                    }
                }
            }),
        )
        .route(
            "/services/data/v62.0/sobjects/Opportunity",
            post(|| async {
                sf_json(
                    StatusCode::BAD_REQUEST,
                    json!([{"message":"Required fields are missing: [Name]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Name"]}]),
                )
            }),
        );
    let base = spawn(app).await;
    let client = static_client(&base);
    client.get("Opportunity", ID, None).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let err = client
        .create("Opportunity", &Record::new())
        .await
        .unwrap_err();
    match err {
        Error::Api { status, errors } => {
            assert_eq!(status, 400);
            assert_eq!(errors[0].code, ErrorCode::RequiredFieldMissing);
            assert_eq!(errors[0].fields, ["Name"]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn request_limit_exceeded_stops_further_calls() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = Router::new().route(
        PATH,
        get(move || {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                sf_json(
                    StatusCode::FORBIDDEN,
                    json!([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]),
                )
            }
        }),
    );
    let base = spawn(app).await;
    let client = static_client(&base);
    let first = client.get("Opportunity", ID, None).await.unwrap_err();
    assert!(matches!(first, Error::LimitExceeded { .. }));
    assert!(first.is_transient());
    for _ in 0..5 {
        let again = client.get("Opportunity", ID, None).await.unwrap_err();
        match again {
            Error::LimitExceeded { retry_after } => {
                assert!(retry_after <= salesforce::limits::DEFAULT_LIMIT_COOLDOWN)
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "no call after the limit was hit"
    );
    assert!(client.limit_pause_remaining().is_some());
}

#[tokio::test]
async fn calls_resume_after_the_cooldown() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = Router::new().route(
        PATH,
        get(move || {
            let c = c.clone();
            async move {
                if c.fetch_add(1, Ordering::SeqCst) == 0 {
                    sf_json(
                        StatusCode::FORBIDDEN,
                        json!([{"message":"ConcurrentPerOrgLongTxn Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]),
                    )
                } else {
                    sf_json(StatusCode::OK, json!({"Id": ID}))
                }
            }
        }),
    );
    let base = spawn(app).await;
    let config = ClientConfig {
        limit_cooldown: Duration::from_millis(100),
        ..fast_config()
    };
    let client = SalesforceClient::builder(Arc::new(StaticTokenProvider::new(AccessToken::new(
        SecretString::from(TOKEN.to_owned()),
        base.clone(),
    ))))
    .config(config)
    .build()
    .unwrap();
    assert!(client.get("Opportunity", ID, None).await.is_err());
    assert!(matches!(
        client.get("Opportunity", ID, None).await,
        Err(Error::LimitExceeded { .. })
    ));
    tokio::time::sleep(Duration::from_millis(150)).await;
    client.get("Opportunity", ID, None).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn permission_403_is_an_ordinary_error() {
    let app = Router::new().route(
        PATH,
        get(|| async {
            sf_json(
                StatusCode::FORBIDDEN,
                json!([{"message":"insufficient access rights on object id","errorCode":"INSUFFICIENT_ACCESS_OR_READONLY"}]),
            )
        }),
    );
    let base = spawn(app).await;
    let client = static_client(&base);
    assert!(matches!(
        client.get("Opportunity", ID, None).await,
        Err(Error::Api { status: 403, .. })
    ));
    assert!(client.limit_pause_remaining().is_none());
}

#[tokio::test]
async fn timeouts_retry_reads_but_not_creates() {
    let reads = Arc::new(AtomicUsize::new(0));
    let creates = Arc::new(AtomicUsize::new(0));
    let (r, c) = (reads.clone(), creates.clone());
    let app = Router::new()
        .route(
            PATH,
            get(move || {
                let r = r.clone();
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    StatusCode::OK
                }
            }),
        )
        .route(
            "/services/data/v62.0/sobjects/Opportunity",
            post(move || {
                let c = c.clone();
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    StatusCode::CREATED
                }
            }),
        );
    let base = spawn(app).await;
    let config = ClientConfig {
        request_timeout: Duration::from_millis(100),
        ..fast_config()
    };
    let client = SalesforceClient::builder(Arc::new(StaticTokenProvider::new(AccessToken::new(
        SecretString::from(TOKEN.to_owned()),
        base.clone(),
    ))))
    .config(config.clone())
    .build()
    .unwrap();
    let err = client.get("Opportunity", ID, None).await.unwrap_err();
    assert!(matches!(err, Error::Http(_)) && err.is_transient());
    assert_eq!(
        reads.load(Ordering::SeqCst),
        config.retry.max_attempts as usize
    );
    assert!(client.create("Opportunity", &Record::new()).await.is_err());
    assert_eq!(creates.load(Ordering::SeqCst), 1);
}

/// (method, route, status, attempt) of one observed call.
type Observed = (String, &'static str, Option<u16>, u32);

#[derive(Default)]
struct Recorder(Mutex<Vec<Observed>>);

impl CallObserver for Recorder {
    fn on_call(&self, e: &CallEvent<'_>) {
        self.0
            .lock()
            .unwrap()
            .push((e.method.to_owned(), e.route, e.status, e.attempt));
    }
}

#[tokio::test]
async fn headers_limit_info_and_observer() {
    let headers_seen = Arc::new(Mutex::new(None::<HeaderMap>));
    let h = headers_seen.clone();
    let app = Router::new().route(
        PATH,
        get(move |headers: HeaderMap| {
            let h = h.clone();
            async move {
                *h.lock().unwrap() = Some(headers);
                (
                    StatusCode::OK,
                    [(
                        "Sforce-Limit-Info",
                        "api-usage=4321/15000; api-bursts=1/750",
                    )],
                    axum::Json(json!({"attributes":{"type":"Opportunity"},"Id":ID,"Name":"x"})),
                )
            }
        }),
    );
    let base = spawn(app).await;
    let recorder = Arc::new(Recorder::default());
    let client = SalesforceClient::builder(Arc::new(StaticTokenProvider::new(AccessToken::new(
        SecretString::from(TOKEN.to_owned()),
        base.clone(),
    ))))
    .config(fast_config())
    .observer(recorder.clone())
    .build()
    .unwrap();
    assert!(client.api_usage().is_none());
    client
        .get("Opportunity", ID, Some(&["Id", "Name"]))
        .await
        .unwrap();

    let usage = client.api_usage().unwrap();
    assert_eq!((usage.used, usage.max), (4321, 15000));
    let headers = headers_seen.lock().unwrap().clone().unwrap();
    assert_eq!(headers["sforce-call-options"], "client=cosell");
    assert_eq!(headers["authorization"], format!("Bearer {TOKEN}").as_str());
    assert_eq!(headers["accept"], "application/json");
    assert_eq!(headers["sforce-mru"], "updateMru=false");
    assert_eq!(
        recorder.0.lock().unwrap().as_slice(),
        [("GET".to_owned(), "/sobjects/{object}/{id}", Some(200), 0)]
    );
}

#[tokio::test]
async fn versions_are_fetched_without_auth() {
    let app = Router::new().route(
        "/services/data/",
        get(|headers: HeaderMap| async move {
            assert!(headers.get("authorization").is_none());
            axum::Json(
                json!([{"label":"Winter '25","url":"/services/data/v62.0","version":"62.0"}]),
            )
        }),
    );
    let base = spawn(app).await;
    let client = static_client(&base);
    let versions = client.versions().await.unwrap();
    assert_eq!(versions[0].version, "62.0");
}

#[tokio::test]
async fn custom_api_version_is_used_in_paths() {
    let app = Router::new().route(
        "/services/data/v66.0/limits",
        get(|| async {
            sf_json(
                StatusCode::OK,
                json!({"DailyApiRequests":{"Max":15000,"Remaining":14937}}),
            )
        }),
    );
    let base = spawn(app).await;
    let client = SalesforceClient::builder(Arc::new(StaticTokenProvider::new(AccessToken::new(
        SecretString::from(TOKEN.to_owned()),
        base.clone(),
    ))))
    .config(ClientConfig {
        api_version: "66.0".into(),
        ..fast_config()
    })
    .build()
    .unwrap();
    assert_eq!(client.api_version(), "v66.0");
    let limits = client.limits().await.unwrap();
    assert_eq!(limits["DailyApiRequests"].max, 15000);
}
