//! SOQL paging across `nextRecordsUrl`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use salesforce::{Condition, Direction, Soql};
use serde_json::json;

use crate::support::{authorized, sf_json, spawn, static_client, TOKEN};

#[derive(Default)]
struct Seen {
    queries: Vec<String>,
    more: Vec<String>,
}

fn page(ids: std::ops::Range<u32>, next: Option<&str>) -> serde_json::Value {
    let records: Vec<_> = ids
        .map(|i| json!({"attributes":{"type":"Opportunity","url":format!("/services/data/v62.0/sobjects/Opportunity/006{i:015}")},
                         "Id": format!("006{i:015}"), "Name": format!("Deal {i}"), "Account": {"attributes":{"type":"Account"},"Name":"ACME"}}))
        .collect();
    let mut body = json!({"totalSize": 5, "done": next.is_none(), "records": records});
    if let Some(n) = next {
        body["nextRecordsUrl"] = json!(n);
    }
    body
}

async fn query(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    assert!(authorized(&headers, TOKEN));
    seen.lock().unwrap().queries.push(params["q"].clone());
    sf_json(
        StatusCode::OK,
        page(
            0..2,
            Some("/services/data/v62.0/query/01gRO0000016PIAYA2-2"),
        ),
    )
}

async fn more(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: HeaderMap,
    Path(locator): Path<String>,
) -> Response {
    assert!(authorized(&headers, TOKEN));
    seen.lock().unwrap().more.push(locator.clone());
    match locator.as_str() {
        "01gRO0000016PIAYA2-2" => sf_json(
            StatusCode::OK,
            page(
                2..4,
                Some("/services/data/v62.0/query/01gRO0000016PIAYA2-4"),
            ),
        ),
        "01gRO0000016PIAYA2-4" => sf_json(StatusCode::OK, page(4..5, None)),
        _ => sf_json(
            StatusCode::NOT_FOUND,
            json!([{"errorCode":"INVALID_QUERY_LOCATOR","message":"invalid query locator"}]),
        ),
    }
}

#[tokio::test]
async fn follows_next_records_url_across_three_pages() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = Router::new()
        .route("/services/data/v62.0/query", get(query))
        .route("/services/data/v62.0/query/{locator}", get(more))
        .with_state(seen.clone());
    let base = spawn(app).await;
    let client = static_client(&base);

    let soql = Soql::select(["Id", "Name", "Account.Name"])
        .from("Opportunity")
        .where_(Condition::eq("Name", "O'Brien's \\ deal"))
        .order_by("SystemModstamp", Direction::Asc);
    let records = client.query_all_records(&soql).await.unwrap();

    assert_eq!(records.len(), 5);
    let names: Vec<_> = records
        .iter()
        .map(|r| r.str("Name").unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Deal 0", "Deal 1", "Deal 2", "Deal 3", "Deal 4"]);
    assert_eq!(records[4].str("Account.Name"), Some("ACME"));
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.queries,
        [
            r"SELECT Id, Name, Account.Name FROM Opportunity WHERE Name = 'O\'Brien\'s \\ deal' ORDER BY SystemModstamp ASC"
        ]
    );
    assert_eq!(seen.more, ["01gRO0000016PIAYA2-2", "01gRO0000016PIAYA2-4"]);
    assert_eq!(client.api_usage().unwrap().used, 18);
}

#[tokio::test]
async fn single_page_and_query_more() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = Router::new()
        .route("/services/data/v62.0/query", get(query))
        .route("/services/data/v62.0/query/{locator}", get(more))
        .with_state(seen.clone());
    let base = spawn(app).await;
    let client = static_client(&base);
    let first = client
        .query(&Soql::select(["Id"]).from("Opportunity"))
        .await
        .unwrap();
    assert!(!first.done);
    assert_eq!(first.total_size, 5);
    let second = client
        .query_more(first.next_records_url.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(second.records.len(), 2);
}

#[tokio::test]
async fn refuses_next_records_url_off_the_api() {
    let base = spawn(Router::new()).await;
    let client = static_client(&base);
    for bad in [
        "https://evil.example/services/data/v62.0/query/x",
        "//evil.example/services/data/v62.0/query/x",
        "/services/data/../../steal",
        "/other/path",
    ] {
        assert!(
            matches!(
                client.query_more(bad).await,
                Err(salesforce::Error::InvalidInput(_))
            ),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn query_all_uses_query_all_resource() {
    let hits = Arc::new(Mutex::new(Vec::<String>::new()));
    let h = hits.clone();
    let app = Router::new().route(
        "/services/data/v62.0/queryAll",
        get(move |Query(p): Query<HashMap<String, String>>| {
            let h = h.clone();
            async move {
                h.lock().unwrap().push(p["q"].clone());
                sf_json(
                    StatusCode::OK,
                    json!({"totalSize":1,"done":true,"records":[{"attributes":{"type":"Opportunity"},"Id":"006000000000001AAA","IsDeleted":true}]}),
                )
            }
        }),
    );
    let base = spawn(app).await;
    let client = static_client(&base);
    let records = client
        .query_all_records_including_deleted(
            &Soql::select(["Id", "IsDeleted"])
                .from("Opportunity")
                .where_(Condition::eq("IsDeleted", true)),
        )
        .await
        .unwrap();
    assert_eq!(records[0].bool("IsDeleted"), Some(true));
    assert_eq!(
        hits.lock().unwrap().as_slice(),
        ["SELECT Id, IsDeleted FROM Opportunity WHERE IsDeleted = true"]
    );
}

#[tokio::test]
async fn invalid_soql_never_reaches_the_server() {
    let base = spawn(Router::new()).await;
    let client = static_client(&base);
    let err = client
        .query(&Soql::select(["Id; DROP"]).from("Opportunity"))
        .await
        .unwrap_err();
    assert!(matches!(err, salesforce::Error::Soql(_)));
}
