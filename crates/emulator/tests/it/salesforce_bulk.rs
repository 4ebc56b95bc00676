//! Bulk API 2.0 conformance: ingest jobs from CSV and query jobs read back
//! as CSV pages
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/bulk_api_2_0.htm>).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::salesforce::TestOrg;

/// Uploads `csv` to a new ingest job, closes it and returns the job id.
async fn ingest(org: &TestOrg, job: Value, csv: &str) -> String {
    let created = org.post("/jobs/ingest", job).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.body["state"], "Open");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let put = org
        .http
        .put(org.url(&format!("/jobs/ingest/{id}/batches")))
        .bearer_auth(&org.token)
        .header("Content-Type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    let closed = org
        .call(
            Method::PATCH,
            &format!("/jobs/ingest/{id}"),
            Some(json!({ "state": "UploadComplete" })),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    id
}

async fn text(org: &TestOrg, path: &str) -> (reqwest::header::HeaderMap, String) {
    let response = org
        .http
        .get(org.url(path))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv");
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

#[tokio::test]
async fn an_ingest_job_inserts_each_row_and_reports_successes_and_failures_apart() {
    let org = TestOrg::start().await;
    let id = ingest(
        &org,
        json!({ "object": "Contact", "operation": "insert", "lineEnding": "LF" }),
        "FirstName,LastName\nAda,Lovelace\nGrace,\n",
    )
    .await;
    let job = org.get(&format!("/jobs/ingest/{id}")).await;
    assert_eq!(job.body["state"], "JobComplete");
    assert_eq!(job.body["numberRecordsProcessed"], 2);
    assert_eq!(job.body["numberRecordsFailed"], 1);
    let (_, ok) = text(&org, &format!("/jobs/ingest/{id}/successfulResults")).await;
    let lines: Vec<&str> = ok.lines().collect();
    assert_eq!(lines[0], r#""sf__Id","sf__Created","FirstName","LastName""#);
    assert!(
        lines[1].starts_with(r#""003"#) && lines[1].ends_with(r#","true","Ada","Lovelace""#),
        "{ok}"
    );
    let (_, failed) = text(&org, &format!("/jobs/ingest/{id}/failedResults")).await;
    assert_eq!(
        failed.lines().nth(1).unwrap(),
        r#""","REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --","Grace","""#
    );
    assert_eq!(
        org.emu
            .records("Contact")
            .iter()
            .filter(|c| c["LastName"] == "Lovelace")
            .count(),
        1
    );
}

#[tokio::test]
async fn update_upsert_and_delete_jobs_act_on_existing_rows() {
    let org = TestOrg::start().await;
    let created = org
        .post("/sobjects/Account", json!({ "Name": "Bulk Co" }))
        .await;
    let account = created.body["id"].as_str().unwrap().to_owned();
    ingest(
        &org,
        json!({ "object": "Account", "operation": "update" }),
        &format!("Id,Name\n{account},Bulk Renamed\n"),
    )
    .await;
    let renamed = org.get(&format!("/sobjects/Account/{account}")).await;
    assert_eq!(renamed.body["Name"], "Bulk Renamed");
    let upsert = ingest(
        &org,
        json!({ "object": "Opportunity", "operation": "upsert", "externalIdFieldName": "Referral_Identifier__c" }),
        "Referral_Identifier__c,Name,StageName,CloseDate\nR-1,Bulk Deal,Prospecting,2027-01-31\n",
    )
    .await;
    let job = org.get(&format!("/jobs/ingest/{upsert}")).await;
    assert_eq!(job.body["numberRecordsFailed"], 0, "{}", job.body);
    ingest(
        &org,
        json!({ "object": "Account", "operation": "delete" }),
        &format!("Id\n{account}\n"),
    )
    .await;
    assert_eq!(
        org.get(&format!("/sobjects/Account/{account}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_query_job_pages_its_rows_as_csv_with_a_locator() {
    let org = TestOrg::start().await;
    for name in ["Q1", "Q2", "Q3"] {
        org.post("/sobjects/Account", json!({ "Name": name })).await;
    }
    let job = org
        .post("/jobs/query", json!({ "operation": "query", "query": "SELECT Id, Name FROM Account WHERE Name LIKE 'Q%' ORDER BY Name" }))
        .await;
    assert_eq!(job.status, StatusCode::OK, "{}", job.body);
    let id = job.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        org.get(&format!("/jobs/query/{id}")).await.body["state"],
        "JobComplete"
    );
    let (headers, first) = text(&org, &format!("/jobs/query/{id}/results?maxRecords=2")).await;
    assert_eq!(headers["sforce-numberofrecords"], "2");
    let locator = headers["sforce-locator"].to_str().unwrap().to_owned();
    assert_ne!(locator, "null");
    assert_eq!(first.lines().next().unwrap(), r#""Id","Name""#);
    assert!(first.lines().nth(1).unwrap().ends_with(r#","Q1""#));
    let (headers, rest) = text(
        &org,
        &format!("/jobs/query/{id}/results?maxRecords=2&locator={locator}"),
    )
    .await;
    assert_eq!(headers["sforce-locator"], "null");
    assert!(rest.lines().nth(1).unwrap().ends_with(r#","Q3""#), "{rest}");
}

#[tokio::test]
async fn a_bad_job_is_refused_with_the_bulk_error_shape() {
    let org = TestOrg::start().await;
    let unknown = org
        .post(
            "/jobs/ingest",
            json!({ "object": "Nope__c", "operation": "insert" }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.body,
        json!([{ "errorCode": "INVALIDJOB", "message": "Unable to find object: Nope__c" }])
    );
    let bad_soql = org
        .post(
            "/jobs/query",
            json!({ "operation": "query", "query": "SELECT Id FRM Account" }),
        )
        .await;
    assert_eq!(bad_soql.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_soql.body[0]["errorCode"], "MALFORMED_QUERY");
    let missing = org.get("/jobs/ingest/7505g00000000ZZAAA").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
