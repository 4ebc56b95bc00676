//! sObject Collections conformance (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm>).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::salesforce::TestOrg;

fn opp(name: &str) -> Value {
    json!({ "attributes": { "type": "Opportunity" }, "Name": name, "StageName": "Prospecting", "CloseDate": "2025-06-30" })
}

#[tokio::test]
async fn create_with_partial_failure_reports_per_record_status_codes() {
    let org = TestOrg::start().await;
    let bad = json!({ "attributes": { "type": "Opportunity" }, "Name": "No date", "StageName": "Prospecting" });
    let a = org.post("/composite/sobjects", json!({ "allOrNone": false, "records": [opp("One"), bad, { "attributes": { "type": "Account" }, "Name": "Acme" }] })).await;
    assert_eq!(a.status, StatusCode::OK);
    let results = a.body.as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["success"], true);
    assert!(results[0]["id"].as_str().unwrap().starts_with("006"));
    assert_eq!(
        results[1],
        json!({ "success": false, "errors": [{ "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [CloseDate]", "fields": ["CloseDate"] }] })
    );
    assert!(results[2]["id"].as_str().unwrap().starts_with("001"));
    assert_eq!(org.emu.records("Opportunity").len(), 1);
}

#[tokio::test]
async fn all_or_none_rolls_every_record_back() {
    let org = TestOrg::start().await;
    let bad = json!({ "attributes": { "type": "Opportunity" }, "Name": "x".repeat(200), "StageName": "Prospecting", "CloseDate": "2025-06-30" });
    let a = org
        .post(
            "/composite/sobjects",
            json!({ "allOrNone": true, "records": [opp("One"), bad] }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body[0]["success"], false);
    assert_eq!(
        a.body[0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert_eq!(a.body[1]["errors"][0]["statusCode"], "STRING_TOO_LONG");
    assert!(org.emu.records("Opportunity").is_empty());
}

#[tokio::test]
async fn more_than_200_records_is_refused() {
    let org = TestOrg::start().await;
    let records: Vec<Value> = (0..201).map(|i| opp(&format!("O{i}"))).collect();
    let a = org
        .post("/composite/sobjects", json!({ "records": records }))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error_code(), "EXCEEDED_ID_LIMIT");
    let ids: Vec<String> = (0..201)
        .map(|i| emulator::salesforce::ids::mint("006", i))
        .collect();
    let d = org
        .delete(&format!("/composite/sobjects?ids={}", ids.join(",")))
        .await;
    assert_eq!(d.error_code(), "EXCEEDED_ID_LIMIT");
}

#[tokio::test]
async fn update_upsert_retrieve_and_delete() {
    let org = TestOrg::start().await;
    let created = org
        .post(
            "/composite/sobjects",
            json!({ "records": [opp("A"), opp("B")] }),
        )
        .await;
    let a = created.body[0]["id"].as_str().unwrap().to_owned();
    let b = created.body[1]["id"].as_str().unwrap().to_owned();
    let updated = org
        .patch(
            "/composite/sobjects",
            json!({ "records": [
                { "attributes": { "type": "Opportunity" }, "id": a, "Amount": 10 },
                { "attributes": { "type": "Opportunity" }, "Amount": 20 }
            ] }),
        )
        .await;
    assert_eq!(
        updated.body[0],
        json!({ "id": a, "success": true, "errors": [] })
    );
    assert_eq!(
        updated.body[1]["errors"][0]["statusCode"],
        "MISSING_ARGUMENT"
    );

    let upserted = org
        .patch(
            "/composite/sobjects/Opportunity/Referral_Identifier__c",
            json!({ "allOrNone": false, "records": [
                { "attributes": { "type": "Opportunity" }, "Referral_Identifier__c": "R-1", "Name": "R1", "StageName": "On Hold", "CloseDate": "2025-01-01" },
                { "attributes": { "type": "Opportunity" }, "Referral_Identifier__c": "R-2", "Name": "R2" }
            ] }),
        )
        .await;
    assert_eq!(upserted.body[0]["created"], true);
    assert_eq!(upserted.body[1]["success"], false);
    let again = org
        .patch(
            "/composite/sobjects/Opportunity/Referral_Identifier__c",
            json!({ "records": [{ "attributes": { "type": "Opportunity" }, "Referral_Identifier__c": "R-1", "Amount": 5 }] }),
        )
        .await;
    assert_eq!(again.body[0]["created"], false);
    assert_eq!(again.body[0]["id"], upserted.body[0]["id"]);

    let retrieved = org
        .get(&format!(
            "/composite/sobjects/Opportunity?ids={a},{b}&fields=Id,Amount"
        ))
        .await;
    assert_eq!(retrieved.body[0]["Amount"], 10.0);
    assert_eq!(retrieved.body[1]["Amount"], Value::Null);
    let posted = org
        .post(
            "/composite/sobjects/Opportunity",
            json!({ "ids": [a], "fields": ["Name"] }),
        )
        .await;
    assert_eq!(posted.body[0]["Name"], "A");

    let deleted = org
        .delete(&format!("/composite/sobjects?ids={a},{b}&allOrNone=false"))
        .await;
    assert_eq!(
        deleted.body,
        json!([{ "id": a, "success": true, "errors": [] }, { "id": b, "success": true, "errors": [] }])
    );
    let twice = org.delete(&format!("/composite/sobjects?ids={a}")).await;
    assert_eq!(
        twice.body[0]["errors"][0]["statusCode"],
        "ENTITY_IS_DELETED"
    );
    let gone = org
        .get(&format!(
            "/composite/sobjects/Opportunity?ids={a}&fields=Id"
        ))
        .await;
    assert_eq!(gone.body, json!([null]));
}

#[tokio::test]
async fn a_collection_counts_as_one_api_call() {
    let org = TestOrg::start().await;
    let before = org.emu.api_usage();
    let records: Vec<Value> = (0..200).map(|i| opp(&format!("O{i}"))).collect();
    let a = org
        .post("/composite/sobjects", json!({ "records": records }))
        .await;
    assert_eq!(a.body.as_array().unwrap().len(), 200);
    assert_eq!(org.emu.api_usage(), before + 1);
}

/// Turns on one injected fault kind for every call on `routes`.
pub async fn inject(org: &TestOrg, kind: &str, routes: &[&str]) {
    let set = org
        .http
        .post(format!("{}/_emulator/faults", org.emu.url()))
        .json(&json!({ "error_rate": 1.0, "errors": [kind], "routes": routes }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_injected_lock_fails_one_record_inside_a_200_answer() {
    let org = TestOrg::start().await;
    let locked = org.create_opportunity("Held by a trigger").await;
    inject(&org, "UNABLE_TO_LOCK_ROW", &["/composite/sobjects"]).await;
    let a = org
        .post(
            "/composite/sobjects",
            json!({ "allOrNone": false, "records": [opp("One"), opp("Two")] }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        a.body[0],
        json!({ "success": false, "errors": [{ "statusCode": "UNABLE_TO_LOCK_ROW", "message": format!("unable to obtain exclusive access to this record or 1 records: {locked}"), "fields": [] }] })
    );
    assert_eq!(a.body[1]["success"], true);
    assert_eq!(org.emu.records("Opportunity").len(), 2);
}

#[tokio::test]
async fn the_same_external_id_twice_in_one_upsert_is_refused_on_both_records() {
    let org = TestOrg::start().await;
    let keyed = |key: &str, name: &str| {
        let mut record = opp(name);
        record["Referral_Identifier__c"] = json!(key);
        record
    };
    let a = org
        .call(
            reqwest::Method::PATCH,
            "/composite/sobjects/Opportunity/Referral_Identifier__c",
            Some(json!({ "allOrNone": false, "records": [keyed("R-1", "First"), keyed("r-1", "Second"), keyed("R-2", "Other")] })),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    for (index, key) in [(0, "R-1"), (1, "r-1")] {
        assert_eq!(
            a.body[index],
            json!({ "success": false, "errors": [{ "statusCode": "DUPLICATE_VALUE", "message": format!("Duplicate external id specified: {key}"), "fields": ["Referral_Identifier__c"] }] })
        );
    }
    assert_eq!(a.body[2]["created"], true);
    let names: Vec<Value> = org
        .emu
        .records("Opportunity")
        .iter()
        .map(|r| r["Name"].clone())
        .collect();
    assert_eq!(names, vec![json!("Other")]);
}
