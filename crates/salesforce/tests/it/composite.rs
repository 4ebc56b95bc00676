//! `POST /composite`.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use salesforce::{CompositeRequest, Error, ErrorCode, Subrequest, SubrequestMethod};
use serde_json::{json, Value};

use crate::support::{sf_json, spawn, static_client};

#[tokio::test]
async fn composite_sends_references_verbatim_and_parses_results() {
    let sent = Arc::new(Mutex::new(None::<Value>));
    let s = sent.clone();
    let app = Router::new().route(
        "/services/data/v62.0/composite",
        post(move |Json(body): Json<Value>| {
            let s = s.clone();
            async move {
                *s.lock().unwrap() = Some(body);
                sf_json(StatusCode::OK, json!({"compositeResponse":[
                    {"body":{"id":"001000000000001AAA","success":true,"errors":[],"created":true},"httpHeaders":{"Location":"/services/data/v62.0/sobjects/Account/001000000000001AAA"},"httpStatusCode":201,"referenceId":"acct"},
                    {"body":[{"errorCode":"PROCESSING_HALTED","message":"The transaction was rolled back since another operation in the same transaction failed."}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"opp"}]}))
            }
        }),
    );
    let base = spawn(app).await;
    let client = static_client(&base);
    let request = CompositeRequest::new(true)
        .push(
            Subrequest::new(
                SubrequestMethod::Patch,
                client.api_path("sobjects/Account/Ext_Id__c/A-9"),
                "acct",
            )
            .with_body(json!({"Name":"ACME"})),
        )
        .push(
            Subrequest::new(
                SubrequestMethod::Post,
                client.api_path("sobjects/Opportunity"),
                "opp",
            )
            .with_body(json!({"Name":"ACME deal","AccountId":"@{acct.id}"})),
        );
    let results = client.composite(&request).await.unwrap();
    assert_eq!(results[0].id(), Some("001000000000001AAA"));
    assert_eq!(
        results[0].http_headers["Location"],
        "/services/data/v62.0/sobjects/Account/001000000000001AAA"
    );
    assert_eq!(results[1].errors()[0].code, ErrorCode::ProcessingHalted);

    let body = sent.lock().unwrap().clone().unwrap();
    assert_eq!(body["allOrNone"], true);
    assert_eq!(
        body["compositeRequest"][0]["url"],
        "/services/data/v62.0/sobjects/Account/Ext_Id__c/A-9"
    );
    assert_eq!(body["compositeRequest"][0]["method"], "PATCH");
    assert_eq!(body["compositeRequest"][1]["referenceId"], "opp");
    assert_eq!(
        body["compositeRequest"][1]["body"]["AccountId"],
        "@{acct.id}"
    );
}

#[tokio::test]
async fn more_than_25_subrequests_is_refused_without_a_call() {
    let base = spawn(Router::new()).await;
    let client = static_client(&base);
    let mut request = CompositeRequest::new(false);
    for i in 0..26 {
        request = request.push(Subrequest::new(
            SubrequestMethod::Get,
            client.api_path("limits"),
            format!("r{i}"),
        ));
    }
    assert!(matches!(
        client.composite(&request).await,
        Err(Error::InvalidInput(_))
    ));
}
