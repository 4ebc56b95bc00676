//! Query conformance (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm>): SOQL results, nested parents,
//! `nextRecordsUrl` paging over 2,000+ records with `batchSize`, queryAll and
//! SOQL errors.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::salesforce::{urlencode, TestOrg, V};

fn seed(org: &TestOrg, n: usize) {
    for i in 0..n {
        org.emu
            .insert("Opportunity", json!({ "Name": format!("Deal {i:05}"), "StageName": "Prospecting", "CloseDate": "2025-06-30", "Amount": i }))
            .unwrap();
    }
}

#[tokio::test]
async fn paging_walks_2500_records_in_batches() {
    let org = TestOrg::start().await;
    seed(&org, 2500);
    let first = org
        .query("SELECT Id, Name, SystemModstamp FROM Opportunity ORDER BY SystemModstamp, Id")
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["totalSize"], 2500);
    assert_eq!(first.body["done"], false);
    assert_eq!(first.body["records"].as_array().unwrap().len(), 2000);
    let next = first.body["nextRecordsUrl"].as_str().unwrap().to_owned();
    assert!(
        next.starts_with(&format!("/services/data/{V}/query/01g")) && next.ends_with("-2000"),
        "{next}"
    );
    let second = org.get(&next).await;
    assert_eq!(second.body["done"], true);
    assert!(second.body.get("nextRecordsUrl").is_none());
    let rest = second.body["records"].as_array().unwrap();
    assert_eq!(rest.len(), 500);
    assert_eq!(rest.last().unwrap()["Name"], "Deal 02499");

    let mut seen = 0;
    let mut page = org
        .call_with(
            Method::GET,
            &format!("/query?q={}", urlencode("SELECT Id FROM Opportunity")),
            None,
            &[("Sforce-Query-Options", "batchSize=200")],
        )
        .await;
    let mut pages = 1;
    loop {
        seen += page.body["records"].as_array().unwrap().len();
        match page.body["nextRecordsUrl"].as_str() {
            Some(url) => {
                page = org.get(url).await;
                pages += 1;
            }
            None => break,
        }
    }
    assert_eq!((seen, pages), (2500, 13));
    let bad = org
        .get(&format!("/services/data/{V}/query/01gXXXXXXXXXXXXXXX-2000"))
        .await;
    assert_eq!(bad.error_code(), "INVALID_QUERY_LOCATOR");
}

#[tokio::test]
async fn records_have_attributes_and_nested_parents() {
    let org = TestOrg::start().await;
    let acct = org
        .emu
        .insert("Account", json!({ "Name": "ACME" }))
        .unwrap();
    org.emu
        .insert("Opportunity", json!({ "Name": "D", "StageName": "Closed Won", "CloseDate": "2025-01-01", "AccountId": acct }))
        .unwrap();
    let a = org
        .query("SELECT Id, Name, IsWon, Account.Name FROM Opportunity WHERE IsClosed = true")
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let record = &a.body["records"][0];
    assert_eq!(record["attributes"]["type"], "Opportunity");
    assert_eq!(record["IsWon"], true);
    assert_eq!(record["Account"]["Name"], "ACME");
    let stages = org.query("SELECT ApiName, IsClosed, IsWon, DefaultProbability FROM OpportunityStage ORDER BY SortOrder").await;
    let names: Vec<&str> = stages.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ApiName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"On Hold") && names.contains(&"Closed Won") && names.len() == 11);
}

#[tokio::test]
async fn query_all_sees_deleted_rows() {
    let org = TestOrg::start().await;
    let id = org.create_opportunity("Short-lived").await;
    org.delete(&format!("/sobjects/Opportunity/{id}")).await;
    let live = org.query("SELECT Id FROM Opportunity").await;
    assert_eq!(live.body["totalSize"], 0);
    let all = org
        .get(&format!(
            "/queryAll?q={}",
            urlencode("SELECT Id, IsDeleted FROM Opportunity WHERE IsDeleted = true")
        ))
        .await;
    assert_eq!(all.body["totalSize"], 1);
    assert_eq!(all.body["records"][0]["IsDeleted"], true);
}

#[tokio::test]
async fn soql_errors_are_400_arrays() {
    let org = TestOrg::start().await;
    let unknown_field = org.query("SELECT Nope__c FROM Opportunity").await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_field.error_code(), "INVALID_FIELD");
    let unknown_object = org.query("SELECT Id FROM Nope__c").await;
    assert_eq!(unknown_object.error_code(), "INVALID_TYPE");
    let syntax = org.query("SELEC Id FROM Opportunity").await;
    assert_eq!(syntax.error_code(), "MALFORMED_QUERY");
    let count = org.query("SELECT COUNT() FROM User").await;
    assert_eq!(
        count.body,
        json!({ "totalSize": 3, "done": true, "records": [] })
    );
    let _: Value = count.body;
}

#[tokio::test]
async fn get_updated_and_get_deleted_cover_a_window() {
    let org = TestOrg::start().await;
    let id = org.create_opportunity("Replicated").await;
    let gone = org.create_opportunity("Gone").await;
    org.delete(&format!("/sobjects/Opportunity/{gone}")).await;
    let now = chrono::Utc::now();
    let start = urlencode(&(now - chrono::Duration::minutes(5)).to_rfc3339());
    let end = urlencode(&(now + chrono::Duration::minutes(2)).to_rfc3339());
    let updated = org
        .get(&format!(
            "/sobjects/Opportunity/updated/?start={start}&end={end}"
        ))
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["ids"], json!([id]));
    let deleted = org
        .get(&format!(
            "/sobjects/Opportunity/deleted/?start={start}&end={end}"
        ))
        .await;
    assert_eq!(deleted.body["deletedRecords"][0]["id"], json!(gone));
}

#[tokio::test]
async fn errors_say_where_in_the_query_they_are() {
    let org = TestOrg::start().await;
    let a = org.query("SELECT Id, Nme FROM Account").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!([{ "message": "\nSELECT Id, Nme FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Nme' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", "errorCode": "INVALID_FIELD" }])
    );
}

#[tokio::test]
async fn long_text_areas_cannot_be_filtered() {
    let org = TestOrg::start().await;
    let a = org
        .query("SELECT Id FROM Opportunity WHERE Audit__c = 'x'")
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        json!([{ "message": "\nSELECT Id FROM Opportunity WHERE Audit__c = 'x'\n                                 ^\nERROR at Row:1:Column:34\nfield 'Audit__c' can not be filtered in a query call", "errorCode": "INVALID_FIELD" }])
    );
    let selected = org.query("SELECT Audit__c FROM Opportunity").await;
    assert_eq!(selected.status, StatusCode::OK, "selecting it is fine");
}

#[tokio::test]
async fn columns_true_describes_the_answer_as_sf_data_query_reads_it() {
    let org = TestOrg::start().await;
    let a = org
        .get(&format!(
            "/query?q={}&columns=true",
            crate::salesforce::urlencode("SELECT Id, Name, Account.Name, Amount FROM Opportunity")
        ))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["entityName"], "Opportunity");
    assert_eq!(a.body["idSelected"], true);
    assert_eq!(a.body["keyPrefix"], "006");
    assert_eq!(a.body["groupBy"], false);
    assert!(a.body.get("records").is_none());
    let columns = a.body["columnMetadata"].as_array().unwrap();
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c["columnName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Id", "Name", "Account", "Amount"]);
    assert_eq!(
        columns[2],
        json!({ "aggregate": false, "apexType": "Account", "booleanType": false, "columnName": "Account", "custom": false,
                "displayName": "Account", "foreignKeyName": null, "insertable": false, "numberType": false, "textType": false, "updatable": false,
                "joinColumns": [{ "aggregate": false, "apexType": "String", "booleanType": false, "columnName": "Name", "custom": false,
                                  "displayName": "Name", "foreignKeyName": null, "insertable": true, "joinColumns": [], "numberType": false,
                                  "textType": true, "updatable": true }] })
    );
    assert_eq!(columns[3]["apexType"], "Decimal");
    assert_eq!(columns[3]["numberType"], true);
}

#[tokio::test]
async fn organization_and_record_type_can_be_queried() {
    let org = TestOrg::start().await;
    // What the Salesforce CLI asks on every command.
    let a = org
        .query("SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix FROM Organization")
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["totalSize"], 1);
    assert_eq!(a.body["records"][0]["IsSandbox"], false);
    let id = org.query("SELECT Id FROM Organization").await;
    assert_eq!(id.body["records"][0]["Id"], json!(org.emu.org_id()));
    let types = org
        .query("SELECT Id, Name, DeveloperName, SobjectType, IsActive FROM RecordType WHERE SobjectType = 'Opportunity'")
        .await;
    assert_eq!(types.status, StatusCode::OK, "{}", types.body);
    let write = org
        .post("/sobjects/Organization", json!({ "Name": "Renamed" }))
        .await;
    assert_eq!(write.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn describe_says_stage_name_is_restricted_as_writes_enforce() {
    let org = TestOrg::start().await;
    let d = org.get("/sobjects/Opportunity/describe").await;
    let stage = d.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "StageName")
        .unwrap()
        .clone();
    assert_eq!(stage["restrictedPicklist"], true);
    let refused = org
        .post(
            "/sobjects/Opportunity",
            json!({ "Name": "x", "StageName": "Nope", "CloseDate": "2025-01-01" }),
        )
        .await;
    assert_eq!(
        refused.error_code(),
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    );
}
