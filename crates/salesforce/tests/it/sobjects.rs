//! Single-record calls, upsert outcomes, describe and Tooling.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use salesforce::{Condition, Error, Record, Soql};
use serde_json::{json, Value};

use crate::support::{sf_json, spawn, static_client};

type Bodies = Arc<Mutex<Vec<(String, Value)>>>;

async fn upsert(
    State(bodies): State<Bodies>,
    Path((object, field, value)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Response {
    assert_eq!(
        (object.as_str(), field.as_str()),
        ("Opportunity", "Referral_Id__c")
    );
    bodies.lock().unwrap().push((value.clone(), body));
    match value.as_str() {
        "R-new" => sf_json(
            StatusCode::CREATED,
            json!({"id":"006000000000009AAA","success":true,"errors":[],"created":true}),
        ),
        "R-dup" => sf_json(
            StatusCode::MULTIPLE_CHOICES,
            json!([
                "/services/data/v62.0/sobjects/Opportunity/006000000000001AAA",
                "/services/data/v62.0/sobjects/Opportunity/006000000000002AAA"
            ]),
        ),
        _ => sf_json(
            StatusCode::OK,
            json!({"id":"006000000000001AAA","success":true,"errors":[],"created":false}),
        ),
    }
}

#[tokio::test]
async fn upsert_reports_created_updated_and_multiple_matches() {
    let bodies: Bodies = Arc::default();
    let app = Router::new()
        .route(
            "/services/data/v62.0/sobjects/{object}/{field}/{value}",
            patch(upsert),
        )
        .with_state(bodies.clone());
    let base = spawn(app).await;
    let client = static_client(&base);
    let rec = Record::of_type("Opportunity")
        .with("Name", "ACME")
        .with("Referral_Id__c", "ignored")
        .with("Id", "006000000000001AAA");

    let created = client
        .upsert("Opportunity", "Referral_Id__c", "R-new", &rec)
        .await
        .unwrap();
    assert_eq!(
        (created.id.as_str(), created.created),
        ("006000000000009AAA", true)
    );
    let updated = client
        .upsert("Opportunity", "Referral_Id__c", "R-1/2 x", &rec)
        .await
        .unwrap();
    assert_eq!(
        (updated.id.as_str(), updated.created),
        ("006000000000001AAA", false)
    );
    match client
        .upsert("Opportunity", "Referral_Id__c", "R-dup", &rec)
        .await
        .unwrap_err()
    {
        Error::MultipleMatches { urls } => assert_eq!(urls.len(), 2),
        other => panic!("{other:?}"),
    }
    let bodies = bodies.lock().unwrap();
    assert_eq!(
        bodies[0].1,
        json!({"Name":"ACME"}),
        "attributes, Id and the ext field are stripped"
    );
    assert_eq!(bodies[1].0, "R-1/2 x", "the value is one path segment");
}

#[tokio::test]
async fn crud_round_trip_and_not_found() {
    let app = Router::new()
        .route(
            "/services/data/v62.0/sobjects/Account",
            post(|Json(body): Json<Value>| async move {
                assert!(body.get("attributes").is_none());
                sf_json(StatusCode::CREATED, json!({"id":"001000000000001AAA","success":true,"errors":[]}))
            }),
        )
        .route(
            "/services/data/v62.0/sobjects/Account/{id}",
            get(|Path(id): Path<String>, Query(q): Query<HashMap<String, String>>| async move {
                if id == "001000000000002AAA" {
                    return sf_json(StatusCode::NOT_FOUND, json!([{"errorCode":"ENTITY_IS_DELETED","message":"entity is deleted","fields":[]}]));
                }
                assert_eq!(q.get("fields").map(String::as_str), Some("Name,BillingCountry"));
                sf_json(StatusCode::OK, json!({"attributes":{"type":"Account","url":format!("/services/data/v62.0/sobjects/Account/{id}")},"Name":"ACME","BillingCountry":null}))
            })
            .patch(|| async { StatusCode::NO_CONTENT.into_response() })
            .delete(|| async { StatusCode::NO_CONTENT.into_response() }),
        );
    let base = spawn(app).await;
    let client = static_client(&base);
    let id = client
        .create("Account", &Record::of_type("Account").with("Name", "ACME"))
        .await
        .unwrap();
    assert_eq!(id, "001000000000001AAA");
    let r = client
        .get("Account", &id, Some(&["Name", "BillingCountry"]))
        .await
        .unwrap();
    assert_eq!(r.object_type(), Some("Account"));
    assert_eq!(r.str("BillingCountry"), None);
    client
        .update("Account", &id, &Record::new().with("Name", "ACME 2"))
        .await
        .unwrap();
    client.delete("Account", &id).await.unwrap();
    let gone = client
        .get(
            "Account",
            "001000000000002AAA",
            Some(&["Name", "BillingCountry"]),
        )
        .await
        .unwrap_err();
    assert!(gone.is_not_found());
    assert!(!gone.is_transient());
    assert!(matches!(
        client.get("Account", "bad/../id", None).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(client.get("Account Name", &id, None).await.is_err());
}

#[tokio::test]
async fn tooling_query_and_create() {
    let app = Router::new()
        .route(
            "/services/data/v62.0/tooling/query",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                assert_eq!(
                    q["q"],
                    "SELECT Id, DeveloperName FROM CustomField WHERE (TableEnumOrId = 'Opportunity' AND DeveloperName = 'Referral_Id')"
                );
                sf_json(StatusCode::OK, json!({"size":0,"totalSize":0,"done":true,"records":[],"entityTypeName":"CustomField"}))
            }),
        )
        .route(
            "/services/data/v62.0/tooling/sobjects/CustomField",
            post(|Json(body): Json<Value>| async move {
                assert_eq!(body["FullName"], "Opportunity.Referral_Id__c");
                sf_json(StatusCode::CREATED, json!({"id":"00N000000000001AAA","success":true,"errors":[]}))
            }),
        )
        .route(
            "/services/data/v62.0/sobjects/Opportunity/describe",
            get(|| async {
                sf_json(StatusCode::OK, json!({"name":"Opportunity","label":"Opportunity","keyPrefix":"006","custom":false,"fields":[
                    {"name":"StageName","label":"Stage","type":"picklist","length":255,"nillable":false,"createable":true,"updateable":true,
                     "custom":false,"externalId":false,"unique":false,"restrictedPicklist":false,"referenceTo":[],"relationshipName":null,
                     "picklistValues":[{"active":true,"defaultValue":false,"label":"Prospecting","validFor":null,"value":"Prospecting"}]}],
                    "childRelationships":[]}))
            }),
        );
    let base = spawn(app).await;
    let client = static_client(&base);
    let page = client
        .tooling_query(
            &Soql::select(["Id", "DeveloperName"])
                .from("CustomField")
                .where_(
                    Condition::eq("TableEnumOrId", "Opportunity")
                        .and(Condition::eq("DeveloperName", "Referral_Id")),
                ),
        )
        .await
        .unwrap();
    assert!(page.done && page.records.is_empty());
    let id = client
        .tooling_create(
            "CustomField",
            &json!({"FullName":"Opportunity.Referral_Id__c","Metadata":{"label":"Referral Id","type":"Text","length":64,"externalId":true,"unique":true}}),
        )
        .await
        .unwrap();
    assert_eq!(id, "00N000000000001AAA");
    let d = client.describe("Opportunity").await.unwrap();
    assert_eq!(
        d.field("stagename").unwrap().picklist_values[0].value,
        "Prospecting"
    );
    assert!(d.other.contains_key("childRelationships"));
}

#[tokio::test]
async fn opportunity_stages_are_typed() {
    let app = Router::new().route(
        "/services/data/v62.0/query",
        get(|Query(q): Query<HashMap<String, String>>| async move {
            assert!(q["q"].starts_with("SELECT ApiName, MasterLabel, IsActive, IsClosed, IsWon"));
            assert!(q["q"].ends_with("FROM OpportunityStage ORDER BY SortOrder ASC"));
            sf_json(StatusCode::OK, json!({"totalSize":1,"done":true,"records":[
                {"attributes":{"type":"OpportunityStage"},"ApiName":"Closed Won","MasterLabel":"Closed Won","IsActive":true,
                 "IsClosed":true,"IsWon":true,"DefaultProbability":100.0,"ForecastCategoryName":"Closed","SortOrder":9}]}))
        }),
    );
    let base = spawn(app).await;
    let stages = static_client(&base).opportunity_stages().await.unwrap();
    assert_eq!(stages[0].api_name, "Closed Won");
    assert!(stages[0].is_won && stages[0].is_closed);
    assert_eq!(stages[0].sort_order, Some(9));
}
