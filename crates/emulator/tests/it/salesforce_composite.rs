//! Composite conformance (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm>).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::salesforce::{TestOrg, V};

#[tokio::test]
async fn references_chain_dependent_subrequests_in_one_call() {
    let org = TestOrg::start().await;
    let before = org.emu.api_usage();
    let a = org
        .post(
            "/composite",
            json!({ "allOrNone": true, "compositeRequest": [
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Account"), "referenceId": "acct", "body": { "Name": "ACME" } },
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Opportunity"), "referenceId": "opp",
                  "body": { "Name": "ACME deal", "StageName": "Prospecting", "CloseDate": "2025-12-31", "AccountId": "@{acct.id}" } },
                { "method": "GET", "url": format!("/services/data/{V}/sobjects/Opportunity/@{{opp.id}}?fields=Id,AccountId,IsClosed"), "referenceId": "oppRead" },
                { "method": "GET", "url": format!("/services/data/{V}/query?q=SELECT+Id+FROM+Account"), "referenceId": "accts" },
                { "method": "PATCH", "url": format!("/services/data/{V}/sobjects/Account/@{{accts.records[0].Id}}"), "referenceId": "touch", "body": { "Phone": "555" } }
            ] }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(org.emu.api_usage(), before + 1);
    let results = a.body["compositeResponse"].as_array().unwrap();
    assert_eq!(results[0]["httpStatusCode"], 201);
    assert_eq!(results[0]["referenceId"], "acct");
    let acct = results[0]["body"]["id"].as_str().unwrap();
    assert!(results[0]["httpHeaders"]["Location"]
        .as_str()
        .unwrap()
        .ends_with(acct));
    assert_eq!(results[2]["httpStatusCode"], 200);
    assert_eq!(results[2]["body"]["AccountId"], json!(acct));
    assert_eq!(results[4]["httpStatusCode"], 204);
    assert_eq!(results[4]["body"], Value::Null);
    assert_eq!(org.emu.record("Account", acct).unwrap()["Phone"], "555");
}

#[tokio::test]
async fn all_or_none_failure_halts_and_rolls_back_everything() {
    let org = TestOrg::start().await;
    let a = org
        .post(
            "/composite",
            json!({ "allOrNone": true, "compositeRequest": [
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Account"), "referenceId": "acct", "body": { "Name": "ACME" } },
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Opportunity"), "referenceId": "opp", "body": { "Name": "No stage" } },
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Contact"), "referenceId": "contact", "body": { "LastName": "L" } }
            ] }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let results = a.body["compositeResponse"].as_array().unwrap();
    let halted = json!([{ "errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled back since another operation in the same transaction failed." }]);
    assert_eq!(results[0]["httpStatusCode"], 400);
    assert_eq!(results[0]["body"], halted);
    assert_eq!(results[1]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(results[2]["body"], halted);
    assert!(org.emu.records("Account").is_empty());
    assert!(org.emu.records("Contact").is_empty());
}

#[tokio::test]
async fn without_all_or_none_dependents_of_a_failure_do_not_run() {
    let org = TestOrg::start().await;
    let a = org
        .post(
            "/composite",
            json!({ "allOrNone": false, "compositeRequest": [
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Account"), "referenceId": "bad", "body": {} },
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Contact"), "referenceId": "dependent", "body": { "LastName": "L", "AccountId": "@{bad.id}" } },
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Account"), "referenceId": "fine", "body": { "Name": "Fine" } }
            ] }),
        )
        .await;
    let results = a.body["compositeResponse"].as_array().unwrap();
    assert_eq!(results[0]["httpStatusCode"], 400);
    assert_eq!(results[1]["httpStatusCode"], 400);
    assert_eq!(results[1]["body"][0]["errorCode"], "PROCESSING_HALTED");
    assert_eq!(results[2]["httpStatusCode"], 201);
    assert!(org.emu.records("Contact").is_empty());
    assert_eq!(org.emu.records("Account").len(), 1);
}

#[tokio::test]
async fn request_shape_limits_refuse_the_whole_call() {
    let org = TestOrg::start().await;
    let sub = |i: usize| json!({ "method": "GET", "url": format!("/services/data/{V}/limits"), "referenceId": format!("r{i}") });
    let too_many: Vec<Value> = (0..26).map(sub).collect();
    let a = org
        .post("/composite", json!({ "compositeRequest": too_many }))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let queries: Vec<Value> = (0..6)
        .map(|i| json!({ "method": "GET", "url": format!("/services/data/{V}/query?q=SELECT+Id+FROM+Account"), "referenceId": format!("q{i}") }))
        .collect();
    let b = org
        .post("/composite", json!({ "compositeRequest": queries }))
        .await;
    assert_eq!(b.status, StatusCode::BAD_REQUEST);
    let no_ref = org.post("/composite", json!({ "compositeRequest": [{ "method": "GET", "url": format!("/services/data/{V}/limits") }] })).await;
    assert_eq!(
        no_ref.body,
        json!([{ "message": "'referenceId' is a required field.", "errorCode": "JSON_PARSER_ERROR" }])
    );
    let header = org
        .post(
            "/composite",
            json!({ "compositeRequest": [{ "method": "GET", "url": format!("/services/data/{V}/limits"), "referenceId": "x", "httpHeaders": { "Authorization": "Bearer y" } }] }),
        )
        .await;
    assert_eq!(header.status, StatusCode::BAD_REQUEST);
    let ok: Vec<Value> = (0..25).map(sub).collect();
    assert_eq!(
        org.post("/composite", json!({ "compositeRequest": ok }))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn outer_all_or_none_overrides_a_collection_subrequest() {
    let org = TestOrg::start().await;
    let a = org
        .post(
            "/composite",
            json!({ "allOrNone": true, "compositeRequest": [
                { "method": "POST", "url": format!("/services/data/{V}/composite/sobjects"), "referenceId": "accounts",
                  "body": { "allOrNone": false, "records": [
                      { "attributes": { "type": "Account" }, "Name": "Good" },
                      { "attributes": { "type": "Account" } }
                  ] } }
            ] }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(org.emu.records("Account").is_empty());
}

#[tokio::test]
async fn an_injected_lock_fails_only_the_subrequest_it_hits() {
    let org = TestOrg::start().await;
    let locked = org.create_opportunity("Held by a trigger").await;
    crate::salesforce_collections::inject(&org, "UNABLE_TO_LOCK_ROW", &["/composite"]).await;
    let a = org
        .post(
            "/composite",
            json!({ "allOrNone": false, "compositeRequest": [
                { "method": "GET", "url": format!("/services/data/{V}/query?q=SELECT+Id+FROM+Account"), "referenceId": "read" },
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Account"), "referenceId": "first", "body": { "Name": "ACME" } },
                { "method": "POST", "url": format!("/services/data/{V}/sobjects/Account"), "referenceId": "second", "body": { "Name": "Globex" } }
            ] }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let results = a.body["compositeResponse"].as_array().unwrap();
    assert_eq!(results[0]["httpStatusCode"], 200);
    assert_eq!(results[1]["httpStatusCode"], 400);
    assert_eq!(
        results[1]["body"],
        json!([{ "errorCode": "UNABLE_TO_LOCK_ROW", "message": format!("unable to obtain exclusive access to this record or 1 records: {locked}"), "fields": [] }])
    );
    assert_eq!(results[2]["httpStatusCode"], 201);
    assert_eq!(org.emu.records("Account").len(), 1);
}
