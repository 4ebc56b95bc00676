//! Tooling API conformance (<https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm>): custom fields and objects created
//! by setup become real schema that describe and SOQL see.

use emulator::salesforce::Options;
use reqwest::StatusCode;
use serde_json::json;

use crate::salesforce::{urlencode, TestOrg};

#[tokio::test]
async fn custom_fields_become_real_fields() {
    let org = TestOrg::start_with(Options {
        bare: true,
        ..Options::default()
    })
    .await;
    let body = json!({ "FullName": "Opportunity.Referral_Identifier__c",
        "Metadata": { "label": "Referral Identifier", "type": "Text", "length": 100, "externalId": true, "unique": true } });
    let created = org
        .post("/tooling/sobjects/CustomField", body.clone())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let field_id = created.body["id"].as_str().unwrap().to_owned();
    assert!(field_id.starts_with("00N"));
    assert_eq!(created.body["success"], true);
    let dup = org.post("/tooling/sobjects/CustomField", body).await;
    assert_eq!(dup.status, StatusCode::BAD_REQUEST);
    assert_eq!(dup.error_code(), "DUPLICATE_DEVELOPER_NAME");

    let describe = org.get("/sobjects/Opportunity/describe").await;
    let field = describe.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Referral_Identifier__c")
        .cloned()
        .unwrap();
    assert_eq!(
        (
            field["externalId"].clone(),
            field["length"].clone(),
            field["custom"].clone()
        ),
        (json!(true), json!(100), json!(true))
    );
    let upsert = org
        .patch(
            "/sobjects/Opportunity/Referral_Identifier__c/R-9",
            json!({ "Name": "N", "StageName": "Prospecting", "CloseDate": "2025-01-01" }),
        )
        .await;
    assert_eq!(upsert.status, StatusCode::CREATED);
    let q = org
        .query("SELECT Referral_Identifier__c FROM Opportunity")
        .await;
    assert_eq!(q.body["records"][0]["Referral_Identifier__c"], "R-9");

    let tq = org
        .get(&format!(
            "/tooling/query?q={}",
            urlencode("SELECT Id, DeveloperName, TableEnumOrId, FullName FROM CustomField WHERE TableEnumOrId = 'Opportunity' AND DeveloperName = 'Referral_Identifier'")
        ))
        .await;
    assert_eq!(tq.status, StatusCode::OK, "{}", tq.body);
    assert_eq!(tq.body["totalSize"], 1);
    assert_eq!(tq.body["records"][0]["Id"], json!(field_id));
    assert_eq!(
        tq.body["records"][0]["FullName"],
        "Opportunity.Referral_Identifier__c"
    );
    assert!(tq.body["records"][0]["attributes"]["url"]
        .as_str()
        .unwrap()
        .contains("/tooling/sobjects/CustomField/"));

    let picklist = org
        .post(
            "/tooling/sobjects/CustomField",
            json!({ "FullName": "Opportunity.Help__c", "Metadata": { "label": "Help", "type": "Picklist",
                "valueSet": { "restricted": true, "valueSetDefinition": { "sorted": false, "value": [{ "fullName": "A", "default": false, "label": "A" }] } } } }),
        )
        .await;
    assert_eq!(picklist.status, StatusCode::CREATED);
    let bad = org
        .post("/sobjects/Opportunity", json!({ "Name": "N", "StageName": "Prospecting", "CloseDate": "2025-01-01", "Help__c": "B" }))
        .await;
    assert_eq!(bad.error_code(), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    let no_length = org
        .post(
            "/tooling/sobjects/CustomField",
            json!({ "FullName": "Opportunity.X__c", "Metadata": { "label": "X", "type": "Text" } }),
        )
        .await;
    assert_eq!(no_length.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn custom_objects_and_master_detail_fields() {
    let org = TestOrg::start_with(Options {
        bare: true,
        ..Options::default()
    })
    .await;
    let object = org
        .post(
            "/tooling/sobjects/CustomObject",
            json!({ "FullName": "Microsoft_Solution__c", "Metadata": { "label": "Microsoft Solution", "pluralLabel": "Microsoft Solutions",
                "nameField": { "type": "Text", "label": "Name" }, "deploymentStatus": "Deployed", "sharingModel": "ReadWrite" } }),
        )
        .await;
    assert_eq!(object.status, StatusCode::CREATED, "{}", object.body);
    assert!(object.body["id"].as_str().unwrap().starts_with("01I"));
    let md = org
        .post(
            "/tooling/sobjects/CustomField",
            json!({ "FullName": "Microsoft_Solution__c.Opportunity__c", "Metadata": { "label": "Opportunity", "type": "MasterDetail",
                "referenceTo": "Opportunity", "relationshipName": "Microsoft_Solutions" } }),
        )
        .await;
    assert_eq!(md.status, StatusCode::CREATED, "{}", md.body);
    let opp = org.create_opportunity("Parent").await;
    let child = org
        .post(
            "/sobjects/Microsoft_Solution__c",
            json!({ "Name": "Azure", "Opportunity__c": opp }),
        )
        .await;
    assert_eq!(child.status, StatusCode::CREATED, "{}", child.body);
    let q = org
        .query("SELECT Name, Opportunity__r.Name FROM Microsoft_Solution__c")
        .await;
    assert_eq!(q.body["records"][0]["Opportunity__r"]["Name"], "Parent");
    let objects = org
        .get(&format!(
            "/tooling/query?q={}",
            urlencode("SELECT Id, DeveloperName FROM CustomObject")
        ))
        .await;
    assert_eq!(
        objects.body["records"][0]["DeveloperName"],
        "Microsoft_Solution"
    );
    let dup = org
        .post(
            "/tooling/sobjects/CustomObject",
            json!({ "FullName": "Microsoft_Solution__c", "Metadata": { "label": "X" } }),
        )
        .await;
    assert_eq!(dup.error_code(), "DUPLICATE_DEVELOPER_NAME");
}
