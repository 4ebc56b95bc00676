//! sObject Collections: partial failure, chunking, id lists.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use salesforce::{ErrorCode, Record};
use serde_json::{json, Value};

use crate::support::{sf_json, spawn, static_client};

type Calls = Arc<Mutex<Vec<Value>>>;

/// Fails every record whose Name is "bad" with the per-record error shape.
async fn create(State(calls): State<Calls>, Json(body): Json<Value>) -> Response {
    calls.lock().unwrap().push(body.clone());
    let records = body["records"].as_array().unwrap();
    if records.len() > 200 {
        return sf_json(
            StatusCode::BAD_REQUEST,
            json!([{"errorCode":"EXCEEDED_ID_LIMIT","message":"record limit reached"}]),
        );
    }
    let results: Vec<Value> = records
        .iter()
        .map(|r| {
            assert!(r["attributes"]["type"].is_string());
            if r["Name"] == "bad" {
                json!({"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [CloseDate]","fields":["CloseDate"]}]})
            } else {
                json!({"id": format!("006{:015}", r["n"].as_u64().unwrap()), "success": true, "errors": []})
            }
        })
        .collect();
    sf_json(StatusCode::OK, json!(results))
}

#[tokio::test]
async fn partial_failure_is_reported_per_record() {
    let calls: Calls = Arc::default();
    let app = Router::new()
        .route("/services/data/v62.0/composite/sobjects", post(create))
        .with_state(calls.clone());
    let base = spawn(app).await;
    let client = static_client(&base);

    let records = vec![
        Record::of_type("Opportunity")
            .with("Name", "ok")
            .with("n", 1),
        Record::of_type("Opportunity")
            .with("Name", "bad")
            .with("n", 2),
        Record::of_type("Opportunity")
            .with("Name", "ok")
            .with("n", 3),
    ];
    let results = client.create_many(&records, false).await.unwrap();
    assert_eq!(results.len(), 3);
    assert!(results[0].success && results[2].success);
    assert_eq!(results[0].id.as_deref(), Some("006000000000000001"));
    assert!(!results[1].success);
    assert_eq!(
        results[1].errors[0].status_code,
        ErrorCode::RequiredFieldMissing
    );
    assert_eq!(results[1].errors[0].fields, ["CloseDate"]);
    assert_eq!(calls.lock().unwrap()[0]["allOrNone"], false);
}

#[tokio::test]
async fn large_inputs_are_chunked_by_200_in_order() {
    let calls: Calls = Arc::default();
    let app = Router::new()
        .route("/services/data/v62.0/composite/sobjects", post(create))
        .with_state(calls.clone());
    let base = spawn(app).await;
    let client = static_client(&base);

    let records: Vec<Record> = (0..450)
        .map(|n| {
            Record::of_type("Opportunity")
                .with("Name", "ok")
                .with("n", n)
        })
        .collect();
    let results = client.create_many(&records, true).await.unwrap();
    assert_eq!(results.len(), 450);
    for (n, r) in results.iter().enumerate() {
        assert_eq!(r.id.as_deref(), Some(format!("006{n:015}").as_str()));
    }
    let calls = calls.lock().unwrap();
    let sizes: Vec<_> = calls
        .iter()
        .map(|c| c["records"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [200, 200, 50]);
    assert!(calls.iter().all(|c| c["allOrNone"] == true));
}

#[tokio::test]
async fn records_without_type_are_refused_locally() {
    let base = spawn(Router::new()).await;
    let client = static_client(&base);
    let err = client
        .create_many(&[Record::new().with("Name", "x")], false)
        .await
        .unwrap_err();
    assert!(matches!(err, salesforce::Error::InvalidInput(_)));
}

#[tokio::test]
async fn upsert_many_targets_the_external_id_route() {
    let calls: Calls = Arc::default();
    let c = calls.clone();
    let app = Router::new().route(
        "/services/data/v62.0/composite/sobjects/{object}/{field}",
        patch(move |Path((object, field)): Path<(String, String)>, Json(body): Json<Value>| {
            let c = c.clone();
            async move {
                assert_eq!((object.as_str(), field.as_str()), ("Opportunity", "Referral_Id__c"));
                c.lock().unwrap().push(body);
                sf_json(
                    StatusCode::OK,
                    json!([{"id":"006xx0000004GxDAAU","success":true,"errors":[],"created":true},
                           {"success":false,"errors":[{"statusCode":"FIELD_CUSTOM_VALIDATION_EXCEPTION","message":"Close date required for Won","fields":["CloseDate"]}]}]),
                )
            }
        }),
    );
    let base = spawn(app).await;
    let client = static_client(&base);
    let records = vec![
        Record::new()
            .with("Referral_Id__c", "R-1")
            .with("Name", "a"),
        Record::new()
            .with("Referral_Id__c", "R-2")
            .with("Name", "b"),
    ];
    let results = client
        .upsert_many("Opportunity", "Referral_Id__c", &records, false)
        .await
        .unwrap();
    assert_eq!(results[0].created, Some(true));
    assert_eq!(
        results[1].errors[0].status_code,
        ErrorCode::FieldCustomValidationException
    );
    let sent = &calls.lock().unwrap()[0];
    assert_eq!(sent["records"][0]["attributes"]["type"], "Opportunity");
    assert_eq!(sent["records"][1]["Referral_Id__c"], "R-2");
}

#[tokio::test]
async fn delete_and_retrieve_send_id_lists() {
    let seen: Arc<Mutex<Vec<HashMap<String, String>>>> = Arc::default();
    let (s1, s2) = (seen.clone(), seen.clone());
    let app = Router::new()
        .route(
            "/services/data/v62.0/composite/sobjects",
            axum::routing::delete(move |Query(q): Query<HashMap<String, String>>| {
                let s = s1.clone();
                async move {
                    let n = q["ids"].split(',').count();
                    s.lock().unwrap().push(q);
                    let results: Vec<Value> = (0..n).map(|_| json!({"success":true,"errors":[]})).collect();
                    sf_json(StatusCode::OK, json!(results))
                }
            }),
        )
        .route(
            "/services/data/v62.0/composite/sobjects/{object}",
            get(move |Query(q): Query<HashMap<String, String>>| {
                let s = s2.clone();
                async move {
                    s.lock().unwrap().push(q);
                    sf_json(
                        StatusCode::OK,
                        json!([{"attributes":{"type":"Opportunity"},"Id":"006000000000001AAA","Name":"x"}, null]),
                    )
                }
            }),
        );
    let base = spawn(app).await;
    let client = static_client(&base);
    let ids = ["006000000000001AAA", "006000000000002AAA"];
    let deleted = client.delete_many(&ids, true).await.unwrap();
    assert_eq!(deleted.len(), 2);
    let got = client
        .retrieve_many("Opportunity", &ids, &["Id", "Name"])
        .await
        .unwrap();
    assert_eq!(got[0].as_ref().unwrap().str("Name"), Some("x"));
    assert!(got[1].is_none());
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0]["ids"], "006000000000001AAA,006000000000002AAA");
    assert_eq!(seen[0]["allOrNone"], "true");
    assert_eq!(seen[1]["fields"], "Id,Name");
    assert!(client.delete_many(&["../x"], true).await.is_err());
}
