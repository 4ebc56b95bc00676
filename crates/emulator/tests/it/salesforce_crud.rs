//! sObject rows conformance (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm>, <https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm>): create/read/update/
//! delete shapes, the DML rules with their error codes, Opportunity stage
//! derivations, upsert by external ID, conditional requests and IDs.

use emulator::salesforce::{ids, Options};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::salesforce::{opportunity, TestOrg, V};

#[tokio::test]
async fn create_read_update_delete_round_trip() {
    let org = TestOrg::start().await;
    let created = org
        .post("/sobjects/Opportunity", opportunity("ACME renewal"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.body,
        json!({ "id": id, "success": true, "errors": [] })
    );
    assert_eq!(id.len(), 18);
    assert!(id.starts_with("006"));
    assert_eq!(ids::normalize(&id[..15]).as_deref(), Some(id.as_str()));

    let read = org.get(&format!("/sobjects/Opportunity/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(
        read.body["attributes"],
        json!({ "type": "Opportunity", "url": format!("/services/data/{V}/sobjects/Opportunity/{id}") })
    );
    assert_eq!(read.body["Amount"], Value::Null, "nulls are present");
    assert_eq!(read.body["IsClosed"], false);
    assert_eq!(read.body["Probability"], 10.0);
    assert_eq!(read.body["ForecastCategoryName"], "Pipeline");
    assert_eq!(read.body["CurrencyIsoCode"], "USD");
    assert_eq!(read.body["OwnerId"], json!(org.emu.admin_user_id()));
    let created_stamp = read.body["SystemModstamp"].as_str().unwrap().to_owned();
    assert!(
        created_stamp.ends_with("+0000") && created_stamp.len() == 28,
        "{created_stamp}"
    );

    let short = org
        .get(&format!(
            "/sobjects/Opportunity/{}?fields=Name,StageName",
            &id[..15]
        ))
        .await;
    assert_eq!(short.status, StatusCode::OK);
    let keys: Vec<&String> = short.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["attributes", "Name", "StageName"]);

    let updated = org
        .patch(
            &format!("/sobjects/Opportunity/{id}"),
            json!({ "StageName": "Closed Won", "Amount": 1200 }),
        )
        .await;
    assert_eq!(updated.status, StatusCode::NO_CONTENT);
    assert_eq!(updated.body, Value::Null);
    let won = org.emu.record("Opportunity", &id).unwrap();
    assert_eq!(won["IsClosed"], true);
    assert_eq!(won["IsWon"], true);
    assert_eq!(won["Probability"], 100.0);
    assert_eq!(won["ForecastCategoryName"], "Closed");
    assert!(won["SystemModstamp"].as_str().unwrap() >= created_stamp.as_str());
    assert_eq!(won["SystemModstamp"], won["LastModifiedDate"]);

    let deleted = org.delete(&format!("/sobjects/Opportunity/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = org.get(&format!("/sobjects/Opportunity/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.body,
        json!([{ "message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": [] }])
    );
    let twice = org.delete(&format!("/sobjects/Opportunity/{id}")).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    assert_eq!(twice.error_code(), "ENTITY_IS_DELETED");
}

#[tokio::test]
async fn unknown_and_malformed_ids_and_objects() {
    let org = TestOrg::start().await;
    let unknown = org
        .get(&format!(
            "/sobjects/Opportunity/{}",
            ids::mint("006", 999_999)
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.body,
        json!([{ "message": "The requested resource does not exist", "errorCode": "NOT_FOUND" }])
    );
    let malformed = org.get("/sobjects/Account/001900K0001pPuOAAU").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.body,
        json!([{ "message": "Account ID: id value of incorrect type: 001900K0001pPuOAAU", "errorCode": "MALFORMED_ID", "fields": ["Id"] }])
    );
    let wrong_prefix = org
        .get(&format!("/sobjects/Account/{}", ids::mint("006", 5)))
        .await;
    assert_eq!(wrong_prefix.error_code(), "MALFORMED_ID");
    for path in ["/sobjects/Account/not-an-id", "/sobjects/Account/Acme"] {
        let not_an_id = org.get(path).await;
        assert_eq!(not_an_id.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            not_an_id.body,
            json!([{ "message": "The requested resource does not exist", "errorCode": "NOT_FOUND" }])
        );
    }
    let no_object = org.get("/sobjects/Nope__c").await;
    assert_eq!(no_object.status, StatusCode::NOT_FOUND);
    assert_eq!(no_object.error_code(), "NOT_FOUND");
}

#[tokio::test]
async fn dml_rules_answer_with_real_error_codes() {
    let org = TestOrg::start().await;
    let missing = org
        .post("/sobjects/Opportunity", json!({ "Name": "No stage" }))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.body,
        json!([{ "message": "Required fields are missing: [StageName, CloseDate]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["StageName", "CloseDate"] }])
    );
    let account = org.post("/sobjects/Account", json!({})).await;
    assert_eq!(account.body[0]["fields"], json!(["Name"]));
    let contact = org
        .post("/sobjects/Contact", json!({ "FirstName": "Ada" }))
        .await;
    assert_eq!(contact.body[0]["fields"], json!(["LastName"]));

    let long = org.post("/sobjects/Opportunity", json!({ "Name": "x".repeat(121), "StageName": "Prospecting", "CloseDate": "2025-01-01" })).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert_eq!(long.error_code(), "STRING_TOO_LONG");
    assert_eq!(long.body[0]["fields"], json!(["Name"]));

    let stage = org
        .post(
            "/sobjects/Opportunity",
            json!({ "Name": "x", "StageName": "Dreaming", "CloseDate": "2025-01-01" }),
        )
        .await;
    assert_eq!(
        stage.body,
        json!([{ "message": "Stage: bad value for restricted picklist field: Dreaming", "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["StageName"] }])
    );
    let help = org
        .post("/sobjects/Opportunity", json!({ "Name": "x", "StageName": "On Hold", "CloseDate": "2025-01-01", "How_can_Microsoft_help__c": "Free money" }))
        .await;
    assert_eq!(help.error_code(), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");

    let read_only = org.post("/sobjects/Opportunity", json!({ "Name": "x", "StageName": "Prospecting", "CloseDate": "2025-01-01", "IsWon": true })).await;
    assert_eq!(read_only.error_code(), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(read_only.body[0]["fields"], json!(["IsWon"]));
    let stamp = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "A", "SystemModstamp": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(stamp.error_code(), "INVALID_FIELD_FOR_INSERT_UPDATE");
    let with_id = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "A", "Id": ids::mint("001", 1) }),
        )
        .await;
    assert_eq!(with_id.error_code(), "INVALID_FIELD_FOR_INSERT_UPDATE");

    let unknown_field = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "A", "Colour__c": "red" }),
        )
        .await;
    assert_eq!(
        unknown_field.body,
        json!([{ "message": "No such column 'Colour__c' on sobject of type Account", "errorCode": "INVALID_FIELD" }])
    );
    let wrong_type = org
        .post(
            "/sobjects/Opportunity",
            json!({ "Name": "x", "StageName": "Prospecting", "CloseDate": "soon" }),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_type.error_code(), "JSON_PARSER_ERROR");
    assert!(wrong_type.body[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Cannot deserialize instance of date from VALUE_STRING value soon"));
    let bad_amount = org.post("/sobjects/Opportunity", json!({ "Name": "x", "StageName": "Prospecting", "CloseDate": "2025-01-01", "Amount": { "v": 1 } })).await;
    assert_eq!(bad_amount.error_code(), "JSON_PARSER_ERROR");

    let bad_ref = org.post("/sobjects/Opportunity", json!({ "Name": "x", "StageName": "Prospecting", "CloseDate": "2025-01-01", "AccountId": "garbage" })).await;
    assert_eq!(
        bad_ref.body,
        json!([{ "message": "Account ID: id value of incorrect type: garbage", "errorCode": "MALFORMED_ID", "fields": ["AccountId"] }])
    );
    let bad_email = org
        .post(
            "/sobjects/Contact",
            json!({ "LastName": "L", "Email": "not an email" }),
        )
        .await;
    assert_eq!(bad_email.error_code(), "INVALID_EMAIL_ADDRESS");
    let bad_currency = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "A", "CurrencyIsoCode": "XXX" }),
        )
        .await;
    assert_eq!(
        bad_currency.error_code(),
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    );

    let malformed_json = org
        .http
        .post(org.url("/sobjects/Account"))
        .bearer_auth(&org.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed_json.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed_json.json().await.unwrap();
    assert_eq!(body[0]["errorCode"], "JSON_PARSER_ERROR");

    let id = org.create_opportunity("To clear").await;
    let clear = org
        .patch(
            &format!("/sobjects/Opportunity/{id}"),
            json!({ "Name": null }),
        )
        .await;
    assert_eq!(clear.error_code(), "REQUIRED_FIELD_MISSING");
    let stage_readonly = org
        .post("/sobjects/OpportunityStage", json!({ "ApiName": "X" }))
        .await;
    assert_eq!(stage_readonly.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn currency_iso_code_exists_only_in_multi_currency_orgs() {
    let single = TestOrg::start_with(Options {
        multi_currency: false,
        ..Options::default()
    })
    .await;
    let refused = single
        .post(
            "/sobjects/Account",
            json!({ "Name": "A", "CurrencyIsoCode": "EUR" }),
        )
        .await;
    assert_eq!(refused.error_code(), "INVALID_FIELD");
    let describe = single.get("/sobjects/Opportunity/describe").await;
    assert!(!describe.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "CurrencyIsoCode"));
    let multi = TestOrg::start().await;
    let ok = multi
        .post(
            "/sobjects/Account",
            json!({ "Name": "A", "CurrencyIsoCode": "EUR" }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
}

#[tokio::test]
async fn unique_external_ids_refuse_duplicates() {
    let org = TestOrg::start().await;
    let mut body = opportunity("First");
    body["Referral_Identifier__c"] = json!("R-1");
    let first = org.post("/sobjects/Opportunity", body.clone()).await;
    let first_id = first.body["id"].as_str().unwrap();
    body["Name"] = json!("Second");
    body["Referral_Identifier__c"] = json!("r-1");
    let dup = org.post("/sobjects/Opportunity", body).await;
    assert_eq!(
        dup.body,
        json!([{ "message": format!("duplicate value found: Referral_Identifier__c duplicates value on record with id: {first_id}"), "errorCode": "DUPLICATE_VALUE", "fields": [] }])
    );
}

#[tokio::test]
async fn upsert_by_external_id() {
    let org = TestOrg::start().await;
    let path = "/sobjects/Opportunity/Referral_Identifier__c/R-123";
    let created = org.patch(path, opportunity("From referral")).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.body,
        json!({ "id": id, "success": true, "errors": [], "created": true })
    );
    let updated = org.patch(path, json!({ "Amount": 50 })).await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(
        updated.body,
        json!({ "id": id, "success": true, "errors": [], "created": false })
    );
    assert_eq!(
        org.emu.record("Opportunity", &id).unwrap()["Referral_Identifier__c"],
        "R-123"
    );
    let by_ext = org.get(path).await;
    assert_eq!(by_ext.body["Id"], json!(id));
    let bad_field = org
        .patch(
            "/sobjects/Opportunity/Referal_Id__c/R-1",
            json!({ "Amount": 1 }),
        )
        .await;
    assert_eq!(bad_field.status, StatusCode::NOT_FOUND);
    assert_eq!(
        bad_field.body,
        json!([{ "message": "The requested resource does not exist", "errorCode": "NOT_FOUND" }])
    );
    let not_ext = org
        .patch("/sobjects/Opportunity/Name/X", json!({ "Amount": 1 }))
        .await;
    assert_eq!(not_ext.status, StatusCode::NOT_FOUND);
    let update_only = org
        .patch(
            "/sobjects/Opportunity/Referral_Identifier__c/R-404?updateOnly=true",
            opportunity("x"),
        )
        .await;
    assert_eq!(update_only.status, StatusCode::NOT_FOUND);
    let old_version = org
        .call(
            Method::PATCH,
            "/services/data/v45.0/sobjects/Opportunity/Referral_Identifier__c/R-123",
            Some(json!({ "Amount": 7 })),
        )
        .await;
    assert_eq!(old_version.status, StatusCode::NO_CONTENT);
    let create_by_id = org
        .post("/sobjects/Account/Id", json!({ "Name": "Via Id" }))
        .await;
    assert_eq!(create_by_id.status, StatusCode::CREATED);
}

#[tokio::test]
async fn upsert_matching_several_records_answers_300_with_their_urls() {
    let org = TestOrg::start().await;
    // A non-unique external ID, created through Tooling.
    let field = org
        .post(
            "/tooling/sobjects/CustomField",
            json!({ "FullName": "Account.Legacy_Id__c", "Metadata": { "label": "Legacy Id", "type": "Text", "length": 20, "externalId": true } }),
        )
        .await;
    assert_eq!(field.status, StatusCode::CREATED);
    let a = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "A", "Legacy_Id__c": "L-1" }),
        )
        .await;
    let b = org
        .post(
            "/sobjects/Account",
            json!({ "Name": "B", "Legacy_Id__c": "L-1" }),
        )
        .await;
    let multiple = org
        .patch("/sobjects/Account/Legacy_Id__c/L-1", json!({ "Name": "C" }))
        .await;
    assert_eq!(multiple.status, StatusCode::MULTIPLE_CHOICES);
    assert_eq!(
        multiple.body,
        json!([
            format!(
                "/services/data/{V}/sobjects/Account/{}",
                a.body["id"].as_str().unwrap()
            ),
            format!(
                "/services/data/{V}/sobjects/Account/{}",
                b.body["id"].as_str().unwrap()
            ),
        ])
    );
}

#[tokio::test]
async fn conditional_requests() {
    let org = TestOrg::start().await;
    let id = org.create_opportunity("Conditional").await;
    let path = format!("/sobjects/Opportunity/{id}");
    let past = "Tue, 10 Aug 2015 00:00:00 GMT";
    let future = "Tue, 10 Aug 2100 00:00:00 GMT";
    let stale = org
        .call_with(
            Method::PATCH,
            &path,
            Some(json!({ "Amount": 1 })),
            &[("If-Unmodified-Since", past)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let fresh = org
        .call_with(
            Method::PATCH,
            &path,
            Some(json!({ "Amount": 1 })),
            &[("If-Unmodified-Since", future)],
        )
        .await;
    assert_eq!(fresh.status, StatusCode::NO_CONTENT);
    let unchanged = org
        .call_with(Method::GET, &path, None, &[("If-Modified-Since", future)])
        .await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    let changed = org
        .call_with(Method::GET, &path, None, &[("If-Modified-Since", past)])
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let describe = org
        .call_with(
            Method::GET,
            "/sobjects/Opportunity/describe",
            None,
            &[("If-Modified-Since", future)],
        )
        .await;
    assert_eq!(describe.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn method_override_and_limit_header_on_every_call() {
    let org = TestOrg::start().await;
    let id = org.create_opportunity("Override").await;
    let overridden = org
        .post(
            &format!("/sobjects/Opportunity/{id}?_HttpMethod=PATCH"),
            json!({ "Amount": 9 }),
        )
        .await;
    assert_eq!(overridden.status, StatusCode::NO_CONTENT);
    assert_eq!(org.emu.record("Opportunity", &id).unwrap()["Amount"], 9.0);
    assert!(overridden.headers["sforce-limit-info"]
        .to_str()
        .unwrap()
        .starts_with("api-usage="));
    let error = org.get("/sobjects/Opportunity/bad").await;
    assert!(error.headers.contains_key("sforce-limit-info"));
    let xml = org
        .http
        .post(org.url("/sobjects/Account"))
        .bearer_auth(&org.token)
        .header("content-type", "application/xml")
        .body("<Account><Name>A</Name></Account>")
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn in_process_edits_bump_stamps_without_counting_calls() {
    let org = TestOrg::start().await;
    let used = org.emu.api_usage();
    let id = org
        .emu
        .insert("Opportunity", opportunity("Seller deal"))
        .unwrap();
    let before = org.emu.record("Opportunity", &id).unwrap()["SystemModstamp"]
        .as_str()
        .unwrap()
        .to_owned();
    org.emu
        .update("Opportunity", &id, json!({ "StageName": "Closed Lost" }))
        .unwrap();
    let after = org.emu.record("Opportunity", &id).unwrap();
    assert!(after["SystemModstamp"].as_str().unwrap() >= before.as_str());
    assert_eq!(after["IsClosed"], true);
    assert_eq!(after["IsWon"], false);
    assert_eq!(
        after["LastModifiedById"],
        json!(org.emu.seller_user_ids()[0])
    );
    assert_eq!(org.emu.api_usage(), used);
    assert!(org
        .emu
        .insert("Opportunity", json!({ "Name": "no stage" }))
        .is_err());
    assert_eq!(org.emu.records("User").len(), 3);
}

#[tokio::test]
async fn stamps_are_whole_seconds_and_writes_in_one_second_tie() {
    let org = TestOrg::start().await;
    let mut stamps: Vec<(String, String)> = Vec::new();
    for i in 0..20 {
        let id = org
            .emu
            .insert("Account", json!({ "Name": format!("A{i}") }))
            .unwrap();
        let stamp = org.emu.record("Account", &id).unwrap()["SystemModstamp"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(stamp.ends_with(".000+0000"), "{stamp}");
        if let Some((_, last)) = stamps.last() {
            assert!(stamp >= *last, "{stamp} after {last}");
        }
        stamps.push((id, stamp));
    }
    // Twenty writes cannot each take a second: some share a stamp, and SOQL
    // compares at second precision, so a literal's milliseconds are ignored.
    let (_, shared) = stamps
        .windows(2)
        .find(|w| w[0].1 == w[1].1)
        .map(|w| w[0].clone())
        .expect("two writes in one second");
    let tied: Vec<&String> = stamps
        .iter()
        .filter(|(_, s)| *s == shared)
        .map(|(id, _)| id)
        .collect();
    let literal = format!("{}.600Z", &shared[..19]);
    let found = org
        .query(&format!(
            "SELECT Id FROM Account WHERE SystemModstamp = {literal} ORDER BY Id"
        ))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let ids: Vec<&str> = found.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, tied.iter().map(|s| s.as_str()).collect::<Vec<_>>());
}

#[tokio::test]
async fn deleting_an_opportunity_cascades_to_its_solutions() {
    let org = TestOrg::start().await;
    let opp = org.create_opportunity("With solutions").await;
    let solution = org
        .post(
            "/sobjects/Microsoft_Solution__c",
            json!({ "Opportunity__c": opp, "Solution_Id__c": "S-1" }),
        )
        .await;
    assert_eq!(solution.status, StatusCode::CREATED);
    let sid = solution.body["id"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("a0X"));
    let read = org
        .get(&format!("/sobjects/Microsoft_Solution__c/{sid}"))
        .await;
    assert_eq!(read.body["Name"], json!(sid), "name defaults to the ID");
    let reparent = org
        .patch(
            &format!("/sobjects/Microsoft_Solution__c/{sid}"),
            json!({ "Opportunity__c": opp }),
        )
        .await;
    assert_eq!(reparent.error_code(), "INVALID_FIELD_FOR_INSERT_UPDATE");
    org.delete(&format!("/sobjects/Opportunity/{opp}")).await;
    let child = org
        .get(&format!("/sobjects/Microsoft_Solution__c/{sid}"))
        .await;
    assert_eq!(child.error_code(), "ENTITY_IS_DELETED");
}

#[tokio::test]
async fn describe_reports_real_field_objects() {
    let org = TestOrg::start().await;
    let global = org.get("/sobjects").await;
    assert_eq!(global.body["maxBatchSize"], 200);
    assert!(global.body["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "Opportunity" && o["keyPrefix"] == "006"));
    let describe = org.get("/sobjects/Opportunity/describe").await;
    let fields = describe.body["fields"].as_array().unwrap();
    let field = |name: &str| fields.iter().find(|f| f["name"] == name).cloned().unwrap();
    let stage = field("StageName");
    assert_eq!(stage["type"], "picklist");
    assert_eq!(stage["nillable"], false);
    assert!(stage["picklistValues"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["value"] == "On Hold"));
    let referral = field("Referral_Identifier__c");
    assert_eq!(
        (
            referral["externalId"].clone(),
            referral["unique"].clone(),
            referral["length"].clone()
        ),
        (json!(true), json!(true), json!(100))
    );
    assert_eq!(field("Audit__c")["length"], 131_072);
    assert_eq!(field("IsWon")["createable"], false);
    assert_eq!(field("AccountId")["referenceTo"], json!(["Account"]));
    assert_eq!(field("AccountId")["relationshipName"], "Account");
    let children = describe.body["childRelationships"].as_array().unwrap();
    assert!(children
        .iter()
        .any(|c| c["relationshipName"] == "Microsoft_Solutions__r" && c["cascadeDelete"] == true));
    let bare = TestOrg::start_with(Options {
        bare: true,
        ..Options::default()
    })
    .await;
    let bare_describe = bare.get("/sobjects/Opportunity/describe").await;
    assert!(!bare_describe.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "Referral_Identifier__c"));
    assert_eq!(
        bare.get("/sobjects/Microsoft_Solution__c/describe")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn team_members_and_permission_objects() {
    let org = TestOrg::start().await;
    let opp = org.create_opportunity("Team").await;
    let seller = &org.emu.seller_user_ids()[0];
    let first = org
        .post(
            "/sobjects/OpportunityTeamMember",
            json!({ "OpportunityId": opp, "UserId": seller, "TeamMemberRole": "Sales Rep" }),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = org
        .post(
            "/sobjects/OpportunityTeamMember",
            json!({ "OpportunityId": opp, "UserId": seller, "TeamMemberRole": "Sales Manager" }),
        )
        .await;
    assert_eq!(
        again.body["id"], first.body["id"],
        "an existing pair is updated"
    );
    let ps = org
        .post(
            "/sobjects/PermissionSet",
            json!({ "Name": "Cosell_Connector", "Label": "Cosell Connector" }),
        )
        .await;
    assert_eq!(ps.status, StatusCode::CREATED);
    let ps_id = ps.body["id"].as_str().unwrap();
    assert!(ps_id.starts_with("0PS"));
    let fp = org
        .post(
            "/sobjects/FieldPermissions",
            json!({ "ParentId": ps_id, "SobjectType": "Opportunity", "Field": "Opportunity.Referral_Identifier__c", "PermissionsRead": true, "PermissionsEdit": true }),
        )
        .await;
    assert_eq!(fp.status, StatusCode::CREATED);
    let admin = org.emu.admin_user_id();
    let psa = org
        .post(
            "/sobjects/PermissionSetAssignment",
            json!({ "PermissionSetId": ps_id, "AssigneeId": admin }),
        )
        .await;
    assert_eq!(psa.status, StatusCode::CREATED);
    let dup = org
        .post(
            "/sobjects/PermissionSetAssignment",
            json!({ "PermissionSetId": ps_id, "AssigneeId": admin }),
        )
        .await;
    assert_eq!(dup.error_code(), "DUPLICATE_VALUE");
}
