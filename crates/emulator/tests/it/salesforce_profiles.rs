//! Org profiles (`emulator::salesforce::Profile`): the enterprise-like org's
//! duplicate rules, validation rule and required field, and the
//! single-currency org, each asserted with the exact status and body a real
//! org answers (the documents each rule follows are cited in
//! `src/salesforce/org_rules.rs` and `src/salesforce/seed.rs`).

use emulator::salesforce::{Options, Profile};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::salesforce::{opportunity, TestOrg, V};

async fn enterprise() -> TestOrg {
    TestOrg::start_with(Options::for_profile(Profile::Enterprise)).await
}

fn duplicate_error(object: &str, rule: &str, matching_rule: &str, id: &str) -> Value {
    json!({
        "message": "Use one of these records?",
        "errorCode": "DUPLICATES_DETECTED",
        "fields": [],
        "duplicateResult": {
            "allowSave": true,
            "duplicateRule": rule,
            "duplicateRuleEntityType": object,
            "errorMessage": "Use one of these records?",
            "matchResults": [{
                "entityType": object,
                "errors": [],
                "matchEngine": "FuzzyMatchEngine",
                "matchRecords": [{
                    "additionalInformation": [],
                    "fieldDiffs": [],
                    "matchConfidence": 100.0,
                    "record": {
                        "attributes": { "type": object, "url": format!("/services/data/{V}/sobjects/{object}/{id}") },
                        "Id": id,
                    },
                }],
                "rule": matching_rule,
                "size": 1,
                "success": true,
            }],
        },
    })
}

#[tokio::test]
async fn a_matching_account_is_refused_with_the_record_it_matches() {
    let org = enterprise().await;
    let first = org
        .post("/sobjects/Account", json!({ "Name": "Contoso Ltd" }))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let existing = first.body["id"].as_str().unwrap();
    let again = org
        .post("/sobjects/Account", json!({ "Name": "contoso, ltd." }))
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.body,
        json!([duplicate_error(
            "Account",
            "Standard_Account_Duplicate_Rule",
            "Standard_Account_Match_Rule_v1_0",
            existing
        )])
    );
    assert_eq!(org.emu.records("Account").len(), 1);
    let allowed = org
        .call_with(
            Method::POST,
            "/sobjects/Account",
            Some(json!({ "Name": "Contoso Ltd" })),
            &[("Sforce-Duplicate-Rule-Header", "allowSave=true")],
        )
        .await;
    assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.body);
}

#[tokio::test]
async fn a_matching_contact_is_refused_per_record_in_a_collection() {
    let org = enterprise().await;
    let sue = json!({ "attributes": { "type": "Contact" }, "FirstName": "Sue", "LastName": "Smith", "Email": "sue@contoso.example" });
    let first = org
        .post("/composite/sobjects", json!({ "records": [sue.clone()] }))
        .await;
    let existing = first.body[0]["id"].as_str().unwrap().to_owned();
    let other = json!({ "attributes": { "type": "Contact" }, "LastName": "Jones", "Email": "ann@contoso.example" });
    let again = org
        .post("/composite/sobjects", json!({ "records": [sue, other] }))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let mut error = duplicate_error(
        "Contact",
        "Standard_Contact_Duplicate_Rule",
        "Standard_Contact_Match_Rule_v1_1",
        &existing,
    );
    let message = error["message"].take();
    let code = error["errorCode"].take();
    assert_eq!(
        again.body[0],
        json!({ "success": false, "errors": [{ "statusCode": code, "message": message, "fields": [], "duplicateResult": error["duplicateResult"] }] })
    );
    assert_eq!(again.body[1]["success"], true);
}

#[tokio::test]
async fn a_contact_with_the_same_name_and_phone_matches_whatever_its_email() {
    let org = enterprise().await;
    let ana = json!({ "FirstName": "Ana", "LastName": "Silva", "Email": "ana@contoso.example", "Phone": "+1 (425) 555-0100" });
    let first = org.post("/sobjects/Contact", ana).await;
    let existing = first.body["id"].as_str().unwrap().to_owned();
    let renamed = json!({ "FirstName": "ana", "LastName": "Silva", "Email": "ana.silva@contoso.example", "Phone": "14255550100" });
    let again = org.post("/sobjects/Contact", renamed).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.body,
        json!([duplicate_error(
            "Contact",
            "Standard_Contact_Duplicate_Rule",
            "Standard_Contact_Match_Rule_v1_1",
            &existing
        )])
    );
    let other_person = json!({ "FirstName": "Bruno", "LastName": "Silva", "Phone": "14255550100" });
    let created = org.post("/sobjects/Contact", other_person).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
}

#[tokio::test]
async fn the_demo_org_has_no_duplicate_rules() {
    let org = TestOrg::start().await;
    for _ in 0..2 {
        let a = org
            .post("/sobjects/Account", json!({ "Name": "Contoso Ltd" }))
            .await;
        assert_eq!(a.status, StatusCode::CREATED);
    }
}

#[tokio::test]
async fn the_org_s_rules_are_listed_by_duplicate_rule_and_tooling_validation_rule() {
    let org = enterprise().await;
    let q = org
        .query("SELECT DeveloperName, SobjectType FROM DuplicateRule WHERE IsActive = true")
        .await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    let rules: Vec<(&str, &str)> = q.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["DeveloperName"].as_str().unwrap(),
                r["SobjectType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("Standard_Account_Duplicate_Rule", "Account"),
            ("Standard_Contact_Duplicate_Rule", "Contact")
        ]
    );
    let soql = "SELECT ValidationName, EntityDefinitionId, ErrorDisplayField, ErrorMessage FROM ValidationRule WHERE Active = true";
    let v = org
        .get(&format!(
            "/tooling/query?q={}",
            crate::salesforce::urlencode(soql)
        ))
        .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    let first = &v.body["records"][0];
    assert_eq!(first["attributes"]["type"], "ValidationRule");
    assert_eq!(first["ValidationName"], "Amount_Not_Negative");
    assert_eq!(first["EntityDefinitionId"], "Opportunity");
    assert_eq!(first["ErrorDisplayField"], "Amount");
    assert_eq!(first["ErrorMessage"], "Amount cannot be negative.");
    assert_eq!(v.body["totalSize"], 2);

    // The demo org enforces neither and lists none.
    let demo = TestOrg::start().await;
    assert_eq!(
        demo.query("SELECT Id FROM DuplicateRule").await.body["totalSize"],
        0
    );
    let v = demo
        .get(&format!(
            "/tooling/query?q={}",
            crate::salesforce::urlencode(soql)
        ))
        .await;
    assert_eq!(v.body["totalSize"], 0, "{}", v.body);
}

#[tokio::test]
async fn the_validation_rule_refuses_with_its_message() {
    let org = enterprise().await;
    let mut body = opportunity("Negative");
    body["Amount"] = json!(-5);
    let refused = org.post("/sobjects/Opportunity", body).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body,
        json!([{ "message": "Amount cannot be negative.", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": ["Amount"] }])
    );
    let id = org.create_opportunity("Fine").await;
    let edit = org
        .patch(
            &format!("/sobjects/Opportunity/{id}"),
            json!({ "Amount": -1 }),
        )
        .await;
    assert_eq!(edit.error_code(), "FIELD_CUSTOM_VALIDATION_EXCEPTION");
}

#[tokio::test]
async fn an_open_opportunity_s_close_date_cannot_be_moved_into_the_past() {
    let org = enterprise().await;
    let mut body = opportunity("Old");
    body["CloseDate"] = json!("2020-01-31");
    let created = org.post("/sobjects/Opportunity", body).await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "the rule only looks at changes: {}",
        created.body
    );
    let id = org.create_opportunity("Moving").await;
    let path = format!("/sobjects/Opportunity/{id}");
    let refused = org.patch(&path, json!({ "CloseDate": "2021-06-30" })).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body,
        json!([{ "message": "Close Date cannot be moved into the past on an open opportunity.",
                 "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": ["CloseDate"] }])
    );
    let unrelated = org
        .patch(&path, json!({ "Description": "still fine" }))
        .await;
    assert_eq!(
        unrelated.status,
        StatusCode::NO_CONTENT,
        "{}",
        unrelated.body
    );
    let closing = org
        .patch(
            &path,
            json!({ "CloseDate": "2021-06-30", "StageName": "Closed Won" }),
        )
        .await;
    assert_eq!(closing.status, StatusCode::NO_CONTENT, "{}", closing.body);
}

#[tokio::test]
async fn the_required_region_is_defaulted_and_cannot_be_blanked() {
    let org = enterprise().await;
    let id = org.create_opportunity("Regional").await;
    assert_eq!(
        org.emu.record("Opportunity", &id).unwrap()["Region__c"],
        "Unassigned"
    );
    let blank = org
        .patch(
            &format!("/sobjects/Opportunity/{id}"),
            json!({ "Region__c": null }),
        )
        .await;
    assert_eq!(
        blank.body,
        json!([{ "message": "Required fields are missing: [Region__c]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Region__c"] }])
    );
}

#[tokio::test]
async fn a_single_currency_org_has_no_currency_iso_code() {
    let org = TestOrg::start_with(Options::for_profile(Profile::SingleCurrency)).await;
    let d = org.get("/sobjects/Opportunity/describe").await;
    assert!(d.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["name"] != "CurrencyIsoCode"));
    let mut body = opportunity("In euros");
    body["CurrencyIsoCode"] = json!("EUR");
    let refused = org.post("/sobjects/Opportunity", body).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_code(), "INVALID_FIELD");
    let q = org
        .query("SELECT Id, CurrencyIsoCode FROM Opportunity")
        .await;
    assert_eq!(q.error_code(), "INVALID_FIELD");
    // The org names its one currency.
    let o = org
        .query("SELECT DefaultCurrencyIsoCode FROM Organization")
        .await;
    assert_eq!(
        o.body["records"][0]["DefaultCurrencyIsoCode"], "USD",
        "{}",
        o.body
    );
}

#[tokio::test]
async fn state_picklists_take_the_country_s_states_and_refuse_the_rest() {
    let org = enterprise().await;
    let state = |body: Value| {
        let org = &org;
        async move {
            let answer = org.post("/sobjects/Account", body).await;
            if answer.status != StatusCode::CREATED {
                return Err(answer.body);
            }
            let id = answer.body["id"].as_str().unwrap().to_owned();
            let row = org.emu.record("Account", &id).unwrap();
            Ok((row["BillingStateCode"].clone(), row["BillingState"].clone()))
        }
    };
    // A code of the country's states sets the name, and the name the code.
    assert_eq!(
        state(json!({ "Name": "A", "BillingCountryCode": "US", "BillingStateCode": "WA" })).await,
        Ok((json!("WA"), json!("Washington")))
    );
    assert_eq!(
        state(json!({ "Name": "B", "BillingCountryCode": "CA", "BillingState": "quebec" })).await,
        Ok((json!("QC"), json!("Quebec")))
    );
    // A country without states keeps free text and takes no code.
    assert_eq!(
        state(json!({ "Name": "C", "BillingCountryCode": "DE", "BillingState": "Bayern" })).await,
        Ok((Value::Null, json!("Bayern")))
    );
    let refused = |field: &str| json!([{ "message": "There's a problem with this state, even though it may appear correct. Please select a state from the list of valid states.", "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": [field] }]);
    // Another country's state, free text, a code where there are no states.
    assert_eq!(
        state(json!({ "Name": "D", "BillingCountryCode": "US", "BillingStateCode": "QC" })).await,
        Err(refused("BillingStateCode"))
    );
    assert_eq!(
        state(json!({ "Name": "E", "BillingCountryCode": "US", "BillingState": "Wash." })).await,
        Err(refused("BillingState"))
    );
    assert_eq!(
        state(json!({ "Name": "F", "BillingCountryCode": "DE", "BillingStateCode": "WA" })).await,
        Err(refused("BillingStateCode"))
    );
    // Not a code of any listed state: the restricted picklist refuses it.
    let unknown = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "G", "BillingCountryCode": "US", "BillingStateCode": "ZZ" }),
        )
        .await;
    assert_eq!(
        unknown.error_code(),
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    );
}

#[tokio::test]
async fn country_picklists_keep_code_and_name_in_step_and_refuse_free_text() {
    let org = enterprise().await;
    let by_code = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "Coded", "BillingCountryCode": "DE" }),
        )
        .await;
    assert_eq!(by_code.status, StatusCode::CREATED, "{}", by_code.body);
    let id = by_code.body["id"].as_str().unwrap().to_owned();
    let row = org
        .get(&format!(
            "/sobjects/Account/{id}?fields=BillingCountry,BillingCountryCode"
        ))
        .await;
    assert_eq!(
        (
            row.body["BillingCountry"].clone(),
            row.body["BillingCountryCode"].clone()
        ),
        (json!("Germany"), json!("DE"))
    );
    let by_name = org
        .patch(
            &format!("/sobjects/Account/{id}"),
            json!({ "BillingCountry": "france" }),
        )
        .await;
    assert_eq!(by_name.status, StatusCode::NO_CONTENT, "{}", by_name.body);
    let row = org
        .get(&format!("/sobjects/Account/{id}?fields=BillingCountryCode"))
        .await;
    assert_eq!(row.body["BillingCountryCode"], "FR");

    let free_text = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "Free", "BillingCountry": "US" }),
        )
        .await;
    assert_eq!(free_text.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        free_text.body,
        json!([{ "message": "There's a problem with this country, even though it may appear correct. Please select a country/territory from the list of valid countries.",
                 "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["BillingCountry"] }])
    );
    let bad_code = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "Bad", "BillingCountryCode": "XX" }),
        )
        .await;
    assert_eq!(bad_code.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_code.body,
        json!([{ "message": "Billing Country Code: bad value for restricted picklist field: XX",
                 "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["BillingCountryCode"] }])
    );

    let demo = TestOrg::start().await;
    let plain = demo
        .post(
            "/sobjects/Account",
            json!({ "Name": "Plain", "BillingCountry": "US" }),
        )
        .await;
    assert_eq!(
        plain.status,
        StatusCode::CREATED,
        "the demo org has no picklists"
    );
}

async fn record_type_id(org: &TestOrg, developer_name: &str) -> String {
    let found = org
        .query(&format!("SELECT Id FROM RecordType WHERE SobjectType = 'Opportunity' AND DeveloperName = '{developer_name}'"))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    found.body["records"][0]["Id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_stage_outside_the_record_type_s_sales_process_is_refused() {
    let org = enterprise().await;
    let direct = record_type_id(&org, "Direct_Deal").await;
    let partner = record_type_id(&org, "Partner_Deal").await;
    let describe = org.get("/sobjects/Opportunity/describe").await;
    let infos: Vec<(Value, Value, Value)> = describe.body["recordTypeInfos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["developerName"].clone(),
                i["defaultRecordTypeMapping"].clone(),
                i["available"].clone(),
            )
        })
        .collect();
    assert_eq!(
        infos,
        [
            (json!("Direct_Deal"), json!(true), json!(true)),
            (json!("Partner_Deal"), json!(false), json!(true)),
            (json!("Master"), json!(false), json!(false)),
        ]
    );

    let mut on_hold = opportunity("Waiting");
    on_hold["StageName"] = json!("On Hold");
    let refused = org.post("/sobjects/Opportunity", on_hold.clone()).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body,
        json!([{ "message": "Stage: bad value for restricted picklist field: On Hold",
                 "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["StageName"] }]),
        "the default record type (Direct_Deal) has no On Hold"
    );
    let id = org.create_opportunity("Direct").await;
    let row = org
        .get(&format!("/sobjects/Opportunity/{id}?fields=RecordTypeId"))
        .await;
    assert_eq!(row.body["RecordTypeId"], json!(direct));

    on_hold["RecordTypeId"] = json!(partner);
    let accepted = org.post("/sobjects/Opportunity", on_hold).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    let moved = org
        .patch(
            &format!(
                "/sobjects/Opportunity/{}",
                accepted.body["id"].as_str().unwrap()
            ),
            json!({ "StageName": "Needs Analysis" }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        moved.body[0]["message"],
        "Stage: bad value for restricted picklist field: Needs Analysis"
    );
}

#[tokio::test]
async fn the_ui_api_lists_a_record_type_s_stages() {
    let org = enterprise().await;
    let partner = record_type_id(&org, "Partner_Deal").await;
    let values = |rt: String| {
        let org = &org;
        async move {
            let answer = org
                .get(&format!(
                    "/ui-api/object-info/Opportunity/picklist-values/{rt}/StageName"
                ))
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            answer.body["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["value"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        values(partner.clone()).await,
        [
            "On Hold",
            "Prospecting",
            "Qualification",
            "Negotiation/Review",
            "Closed Won",
            "Closed Lost"
        ]
    );
    let all = values("012000000000000AAA".into()).await;
    assert_eq!(all.len(), 11, "the master record type has every stage");
    let answer = org
        .get(&format!(
            "/ui-api/object-info/Opportunity/picklist-values/{partner}/StageName"
        ))
        .await;
    assert_eq!(
        answer.body["values"][4]["attributes"],
        json!({ "closed": true, "defaultProbability": 100.0, "forecastCategoryName": "Closed", "won": true })
    );
    let unknown = org
        .get("/ui-api/object-info/Opportunity/picklist-values/012000000000001AAA/StageName")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
