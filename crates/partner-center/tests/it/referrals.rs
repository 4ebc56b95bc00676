//! ReferralsClient against a scripted server: headers, OData, paging, writes,
//! retries, 401 handling, errors.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use partner_center::observer::CallRecord;
use partner_center::wire::{PatchOperation, Referral, ReferralStatus};
use partner_center::{
    Error, ErrorCode, Filter, PatchOptions, ReferralQuery, ReferralsClient, SortOrder,
};
use serde_json::{json, Value};

use crate::support::*;

const BASE: &str = "/v1.0/engagements";
const COLLECTION: &str = "/v1.0/engagements/referrals";
const ITEM: &str = "/v1.0/engagements/referrals/ref-1";

struct Setup {
    mock: Mock,
    client: ReferralsClient,
    calls: Arc<Mutex<Vec<CallRecord>>>,
}

async fn setup(max_attempts: u32) -> Setup {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![token_reply("access-token-abc123", json!(3600), None)],
    );
    let calls = Arc::new(Mutex::new(Vec::new()));
    let sink = calls.clone();
    let client = ReferralsClient::new(mock.url(BASE), Arc::new(referrals_token_provider(&mock)))
        .with_retry_policy(fast_retries(max_attempts))
        .with_observer(Arc::new(move |r: &CallRecord| {
            sink.lock().unwrap().push(r.clone())
        }));
    Setup {
        mock,
        client,
        calls,
    }
}

fn referral(id: &str) -> Value {
    json!({"id": id, "name": "Deal", "status": "New", "substatus": "Pending",
           "eTag": "\"etag-1\"", "futureField": {"x": 1}})
}

fn api_error(status: u16, code: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": {"code": code, "message": "nope", "target": "referral"}}),
    )
    .header("request-id", "req-42")
}

#[tokio::test]
async fn every_call_sends_the_documented_headers() {
    let s = setup(1).await;
    s.mock
        .script(ITEM, vec![Reply::json(200, referral("ref-1"))]);
    let client = s.client.with_correlation_id("sync-run-7").unwrap();
    client.get("ref-1").await.unwrap();
    client.get("ref-1").await.unwrap();

    let reqs = s.mock.requests_to(ITEM);
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.header("authorization").unwrap(),
            "Bearer access-token-abc123"
        );
        assert_eq!(r.header("accept").unwrap(), "application/json");
        assert_eq!(r.header("ms-correlationid").unwrap(), "sync-run-7");
        uuid::Uuid::parse_str(&r.header("client-request-id").unwrap()).unwrap();
    }
    assert_ne!(
        reqs[0].header("client-request-id"),
        reqs[1].header("client-request-id")
    );
    // One token request for both calls.
    assert_eq!(s.mock.requests_to(TOKEN_PATH).len(), 1);
}

#[tokio::test]
async fn list_sends_encoded_odata_options() {
    let s = setup(1).await;
    s.mock.script(
        COLLECTION,
        vec![Reply::json(
            200,
            json!({"@odata.count": 1, "value": [referral("a")]}),
        )],
    );
    let since = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let query = ReferralQuery::new()
        .filter(
            Filter::eq("status", ReferralStatus::New)
                .and(Filter::eq("customerProfile/name", "O'Brien & Sons"))
                .and(Filter::ge("updatedDateTime", since)),
        )
        .order_by("updatedDateTime", SortOrder::Desc)
        .top(10)
        .count(true)
        .select(["id", "status"]);
    let page = s.client.list(&query).await.unwrap();
    assert_eq!(page.count, Some(1));
    assert_eq!(page.value[0].id.as_deref(), Some("a"));
    assert_eq!(page.value[0].extra["futureField"], json!({"x": 1}));

    let q = s.mock.requests_to(COLLECTION)[0].query();
    assert_eq!(
        q["$filter"],
        "status eq 'New' and customerProfile/name eq 'O''Brien & Sons' and updatedDateTime ge 2024-01-01T00:00:00Z"
    );
    assert_eq!(q["$orderby"], "updatedDateTime desc");
    assert_eq!(q["$top"], "10");
    assert_eq!(q["$count"], "true");
    assert_eq!(q["$select"], "id,status");
}

#[tokio::test]
async fn list_all_follows_next_link_verbatim() {
    let s = setup(1).await;
    // The documented nextLink lacks `/engagements`; it must not be rebuilt.
    let next = format!(
        "http://{}/v1.0/referrals?$skiptoken=k181pEdP0ykypkieJfcxX%2B%2F&$top=2",
        s.mock.addr
    );
    s.mock.script(
        COLLECTION,
        vec![Reply::json(
            200,
            json!({"value": [referral("a"), referral("b")], "@odata.nextLink": next}),
        )],
    );
    let last = format!("http://{}/v1.0/referrals?$skiptoken=page3", s.mock.addr);
    s.mock.script(
        "/v1.0/referrals",
        vec![
            Reply::json(
                200,
                json!({"value": [referral("c")], "@odata.nextLink": last}),
            ),
            Reply::json(200, json!({"value": [referral("d")]})),
        ],
    );
    let all = s
        .client
        .list_all(&ReferralQuery::new().top(2))
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|r| r.id.clone().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);

    let followed = s.mock.requests_to("/v1.0/referrals");
    assert_eq!(followed.len(), 2);
    assert_eq!(
        followed[0].raw_query.as_deref(),
        Some("$skiptoken=k181pEdP0ykypkieJfcxX%2B%2F&$top=2")
    );
    assert_eq!(followed[1].raw_query.as_deref(), Some("$skiptoken=page3"));
    assert_eq!(
        followed[0].header("authorization").unwrap(),
        "Bearer access-token-abc123"
    );
}

#[tokio::test]
async fn next_link_to_another_host_is_refused() {
    let s = setup(1).await;
    let err = s
        .client
        .next_page("https://evil.example/v1.0/referrals?$skiptoken=x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
    assert!(s.mock.requests().is_empty());
}

#[tokio::test]
async fn create_accepts_200_and_201() {
    for status in [200, 201] {
        let s = setup(1).await;
        s.mock
            .script(COLLECTION, vec![Reply::json(status, referral("new-1"))]);
        let body: Referral =
            serde_json::from_value(json!({"name": "Deal", "type": "Independent"})).unwrap();
        let created = s.client.create(&body).await.unwrap();
        assert_eq!(created.id.as_deref(), Some("new-1"));
        let req = &s.mock.requests_to(COLLECTION)[0];
        assert_eq!(req.method, "POST");
        assert_eq!(req.header("content-type").unwrap(), "application/json");
        assert_eq!(req.json(), json!({"name": "Deal", "type": "Independent"}));
    }
}

#[tokio::test]
async fn patch_sends_if_match_and_prefer_and_handles_204() {
    let s = setup(1).await;
    s.mock.script(
        ITEM,
        vec![Reply::json(200, referral("ref-1")), Reply::empty(204)],
    );
    let ops = [
        PatchOperation::replace("/status", "Active"),
        PatchOperation::add("/team/-", json!({"email": "jane@partner.example"})),
    ];
    let options = PatchOptions {
        if_match: Some("\"etag-1\"".into()),
        return_representation: true,
    };
    let updated = s.client.patch("ref-1", &ops, options).await.unwrap();
    assert_eq!(updated.unwrap().id.as_deref(), Some("ref-1"));
    let none = s
        .client
        .patch("ref-1", &ops, PatchOptions::default())
        .await
        .unwrap();
    assert!(none.is_none());

    let reqs = s.mock.requests_to(ITEM);
    assert_eq!(reqs[0].method, "PATCH");
    assert_eq!(reqs[0].header("if-match").unwrap(), "\"etag-1\"");
    assert_eq!(reqs[0].header("prefer").unwrap(), "return=representation");
    assert_eq!(reqs[0].header("content-type").unwrap(), "application/json");
    assert_eq!(
        reqs[0].json(),
        json!([{"op": "replace", "path": "/status", "value": "Active"},
               {"op": "add", "path": "/team/-", "value": {"email": "jane@partner.example"}}])
    );
    assert!(reqs[1].header("if-match").is_none());
    assert!(reqs[1].header("prefer").is_none());
}

#[tokio::test]
async fn put_strips_links_keeps_unknown_fields_and_sends_if_match() {
    let s = setup(1).await;
    let mut got = referral("ref-1");
    got["links"] = json!({"self": {"uri": "https://x/referrals/ref-1", "method": "GET"}});
    s.mock.script(ITEM, vec![Reply::json(200, got.clone())]);
    let mut r: Referral = s.client.get("ref-1").await.unwrap();
    r.name = Some("Renamed".into());
    let etag = r.e_tag.clone().unwrap();
    s.client.put(&r, &etag).await.unwrap();

    let put = s
        .mock
        .requests_to(ITEM)
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(put.header("if-match").unwrap(), "\"etag-1\"");
    let body = put.json();
    assert!(body.get("links").is_none());
    assert_eq!(body["name"], "Renamed");
    assert_eq!(body["futureField"], json!({"x": 1}));
}

#[tokio::test]
async fn unauthorized_refreshes_the_token_once_and_retries() {
    let s = setup(1).await;
    s.mock.script(
        TOKEN_PATH,
        vec![
            token_reply("token-1", json!(3600), None),
            token_reply("token-2", json!(3600), None),
        ],
    );
    s.mock.script(
        ITEM,
        vec![
            api_error(401, "unauthenticated"),
            Reply::json(200, referral("ref-1")),
        ],
    );
    let r = s.client.get("ref-1").await.unwrap();
    assert_eq!(r.id.as_deref(), Some("ref-1"));
    let reqs = s.mock.requests_to(ITEM);
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("authorization").unwrap(), "Bearer token-1");
    assert_eq!(reqs[1].header("authorization").unwrap(), "Bearer token-2");
    assert_eq!(s.mock.requests_to(TOKEN_PATH).len(), 2);
}

#[tokio::test]
async fn persistent_unauthorized_gives_up_after_one_refresh() {
    let s = setup(3).await;
    s.mock.script(ITEM, vec![api_error(401, "unauthenticated")]);
    let err = s.client.get("ref-1").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some(&ErrorCode::Unauthenticated));
    assert_eq!(s.mock.requests_to(ITEM).len(), 2);
}

#[tokio::test]
async fn throttling_honours_retry_after() {
    let s = setup(3).await;
    s.mock.script(
        ITEM,
        vec![
            api_error(429, "throttled").header("retry-after", "1"),
            Reply::json(200, referral("ref-1")),
        ],
    );
    let started = Instant::now();
    s.client.get("ref-1").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(s.mock.requests_to(ITEM).len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_up_to_max_attempts() {
    let s = setup(3).await;
    s.mock.script(
        ITEM,
        vec![
            api_error(503, "serviceNotAvailable"),
            Reply::json(200, referral("ref-1")),
        ],
    );
    s.client.get("ref-1").await.unwrap();
    assert_eq!(s.mock.requests_to(ITEM).len(), 2);

    let s = setup(3).await;
    s.mock
        .script(ITEM, vec![api_error(500, "generalException")]);
    let err = s.client.get("ref-1").await.unwrap_err();
    assert!(err.is_transient());
    assert_eq!(s.mock.requests_to(ITEM).len(), 3);
    let statuses: Vec<_> = s
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.route == "/referrals/{id}")
        .map(|c| (c.attempt, c.status))
        .collect();
    assert_eq!(statuses, [(1, Some(500)), (2, Some(500)), (3, Some(500))]);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_the_request_id() {
    let s = setup(4).await;
    s.mock.script(ITEM, vec![api_error(400, "invalidRequest")]);
    let err = s.client.get("ref-1").await.unwrap_err();
    assert_eq!(s.mock.requests_to(ITEM).len(), 1);
    match &err {
        Error::Api {
            status,
            code,
            message,
            target,
            request_id,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(code, &ErrorCode::InvalidRequest);
            assert_eq!(message, "nope");
            assert_eq!(target.as_deref(), Some("referral"));
            assert_eq!(request_id.as_deref(), Some("req-42"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!err.is_transient());

    s.mock.script(
        ITEM,
        vec![api_error(412, "preconditionFailed").header("MS-RequestId", "ms-req-9")],
    );
    let err = s.client.get("ref-1").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::PreconditionFailed));
    assert_eq!(err.request_id(), Some("req-42"));
}

#[tokio::test]
async fn ms_request_id_header_is_used_when_request_id_is_absent() {
    let s = setup(1).await;
    s.mock.script(
        ITEM,
        vec![Reply::json(
            404,
            json!({"error": {"code": "itemNotFound", "message": "no"}}),
        )
        .header("MS-RequestId", "ms-req-9")],
    );
    let err = s.client.get("ref-1").await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::ItemNotFound));
    assert_eq!(err.request_id(), Some("ms-req-9"));
}

#[tokio::test]
async fn errors_never_contain_the_token() {
    let s = setup(2).await;
    s.mock
        .script(ITEM, vec![api_error(500, "generalException")]);
    let err = s.client.get("ref-1").await.unwrap_err();
    let text = format!("{err} {err:?} {:?}", s.client);
    assert!(!text.contains("access-token-abc123"), "{text}");
    assert!(!text.contains(CLIENT_SECRET));
    assert!(!text.contains(INITIAL_REFRESH_TOKEN));
}

#[tokio::test]
async fn connection_dropped_mid_response_is_retried() {
    let s = setup(3).await;
    s.mock.script(
        ITEM,
        vec![
            Reply::json(200, referral("ref-1")).dropped_mid_body(),
            Reply::json(200, referral("ref-1")),
        ],
    );
    let r = s.client.get("ref-1").await.unwrap();
    assert_eq!(r.id.as_deref(), Some("ref-1"));
    assert_eq!(s.mock.requests_to(ITEM).len(), 2);
}

#[tokio::test]
async fn create_is_retried_only_when_the_service_cannot_have_acted() {
    let s = setup(3).await;
    s.mock.script(
        COLLECTION,
        vec![
            api_error(500, "generalException"),
            Reply::json(201, referral("x")),
        ],
    );
    let err = s.client.create(&Referral::default()).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(
        s.mock.requests_to(COLLECTION).len(),
        1,
        "a 500 may have created it"
    );

    let s = setup(3).await;
    s.mock.script(
        COLLECTION,
        vec![
            api_error(503, "serviceNotAvailable"),
            Reply::json(201, referral("x")),
        ],
    );
    s.client.create(&Referral::default()).await.unwrap();
    assert_eq!(s.mock.requests_to(COLLECTION).len(), 2);
}

#[tokio::test]
async fn connection_refused_is_a_transient_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mock = Mock::start().await;
    mock.script(TOKEN_PATH, vec![token_reply("t", json!(3600), None)]);
    let client = ReferralsClient::new(
        url::Url::parse(&format!("http://{addr}{BASE}")).unwrap(),
        Arc::new(referrals_token_provider(&mock)),
    )
    .with_retry_policy(fast_retries(2));
    let err = client.get("ref-1").await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_transient());
}
