//! Create, get, update, list, associate: idempotency by `ClientToken`,
//! whole-opportunity replacement, optimistic locking on `LastModifiedDate`,
//! validation naming each field, catalogs and accounts kept apart.

use emulator::aws::{Credential, Options, Quotas};
use serde_json::{json, Value};

use super::{complete_opportunity, spawn, spawn_with};

#[tokio::test]
async fn create_is_idempotent_by_client_token() {
    let aws = spawn().await;
    let mut body = complete_opportunity("Sandbox");
    body["ClientToken"] = "token-1".into();
    let first = aws
        .call("CreateOpportunity", body.clone())
        .await
        .ok()
        .clone();
    assert!(first["Id"].as_str().unwrap().starts_with('O'));
    assert_eq!(first["PartnerOpportunityIdentifier"], "006000000000001AAA");
    let again = aws
        .call("CreateOpportunity", body.clone())
        .await
        .ok()
        .clone();
    assert_eq!(again["Id"], first["Id"]);
    let listed = aws
        .call("ListOpportunities", json!({"Catalog": "Sandbox"}))
        .await;
    assert_eq!(
        listed.ok()["OpportunitySummaries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    body["Project"]["Title"] = "Something else".into();
    let reused = aws.call("CreateOpportunity", body).await;
    reused.error(409, "ConflictException");
}

#[tokio::test]
async fn create_validation_names_every_field() {
    let aws = spawn().await;
    let answer = aws
        .call(
            "CreateOpportunity",
            json!({
                "Catalog": "Sandbox",
                "OpportunityType": "Brand New",
                "Customer": {"Account": {"Industry": "Software and Internet", "WebsiteUrl": "x"}},
                "Project": {"ExpectedCustomerSpend": [{"Amount": "12.345", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS"}]},
                "LifeCycle": {"TargetCloseDate": "2030-02-30"}
            }),
        )
        .await;
    let fields = answer.fields("REQUEST_VALIDATION_FAILED");
    let expected: Vec<(String, String)> = [
        ("ClientToken", "REQUIRED_FIELD_MISSING"),
        ("OpportunityType", "INVALID_ENUM_VALUE"),
        ("Customer.Account.CompanyName", "REQUIRED_FIELD_MISSING"),
        ("Customer.Account.WebsiteUrl", "VALUE_OUT_OF_RANGE"),
        (
            "Project.ExpectedCustomerSpend.Amount",
            "INVALID_STRING_FORMAT",
        ),
        ("LifeCycle.TargetCloseDate", "INVALID_STRING_FORMAT"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    assert_eq!(fields, expected);
    let catalog = aws
        .call(
            "CreateOpportunity",
            json!({"Catalog": "Production", "ClientToken": "t"}),
        )
        .await;
    assert_eq!(
        catalog.fields("REQUEST_VALIDATION_FAILED"),
        vec![("Catalog".to_string(), "INVALID_ENUM_VALUE".to_string())]
    );
    let mut closed = complete_opportunity("Sandbox");
    closed["ClientToken"] = "t2".into();
    closed["LifeCycle"]["Stage"] = "Closed Lost".into();
    let business = aws.call("CreateOpportunity", closed).await;
    assert_eq!(
        business.fields("BUSINESS_VALIDATION_FAILED"),
        vec![(
            "LifeCycle.ClosedLostReason".to_string(),
            "REQUIRED_FIELD_MISSING".to_string()
        )]
    );
}

#[tokio::test]
async fn get_returns_what_was_created_with_the_service_members() {
    let aws = spawn().await;
    let id = aws.create("Sandbox").await;
    let got = aws.get("Sandbox", &id).await;
    assert_eq!(got["Catalog"], "Sandbox");
    assert_eq!(got["Id"], id.as_str());
    assert_eq!(got["LifeCycle"]["ReviewStatus"], "Pending Submission");
    assert_eq!(
        got["LifeCycle"]["NextStepsHistory"][0]["Value"],
        "Kick-off call"
    );
    assert_eq!(got["Project"]["ApnPrograms"], json!(["APN Immersion Days"]));
    assert!(got["Arn"]
        .as_str()
        .unwrap()
        .ends_with(&format!("catalog/Sandbox/opportunity/{id}")));
    assert!(got["CreatedDate"].is_string() && got["LastModifiedDate"].is_string());
    assert!(got["RelatedEntityIdentifiers"].is_object());
    // The other catalog does not have it.
    let other = aws
        .call(
            "GetOpportunity",
            json!({"Catalog": "AWS", "Identifier": id}),
        )
        .await;
    other.error(404, "ResourceNotFoundException");
    let bad = aws
        .call(
            "GetOpportunity",
            json!({"Catalog": "AWS", "Identifier": "12"}),
        )
        .await;
    assert_eq!(
        bad.fields("REQUEST_VALIDATION_FAILED"),
        vec![("Identifier".into(), "INVALID_STRING_FORMAT".into())]
    );
}

#[tokio::test]
async fn update_replaces_the_whole_opportunity_and_locks_on_last_modified_date() {
    let aws = spawn().await;
    let id = aws.create("Sandbox").await;
    let read = aws.get("Sandbox", &id).await;
    // Omitting Marketing nulls it: the update replaces every writable member.
    let updated = aws
        .update(&read, |b| {
            b.as_object_mut().unwrap().remove("Marketing");
            b["LifeCycle"]["NextSteps"] = "Workshop booked".into();
        })
        .await;
    let new_date = updated.ok()["LastModifiedDate"].clone();
    assert_ne!(new_date, read["LastModifiedDate"]);
    let after = aws.get("Sandbox", &id).await;
    assert!(after["Marketing"].is_null());
    assert_eq!(after["LifeCycle"]["NextSteps"], "Workshop booked");
    assert_eq!(
        after["LifeCycle"]["NextStepsHistory"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(after["LastModifiedDate"], new_date);
    // A write based on the first read is stale.
    let stale = aws.update(&read, |_| {}).await;
    stale.error(409, "ConflictException");
    let missing = aws.update(&after, |b| {
        b.as_object_mut().unwrap().remove("LastModifiedDate");
    });
    assert_eq!(
        missing.await.fields("REQUEST_VALIDATION_FAILED"),
        vec![("LastModifiedDate".into(), "REQUIRED_FIELD_MISSING".into())]
    );
}

#[tokio::test]
async fn list_filters_by_last_modified_date_and_pages() {
    let aws = spawn().await;
    let first = aws.create("Sandbox").await;
    let cut = aws.get("Sandbox", &first).await["LastModifiedDate"].clone();
    let mut later = Vec::new();
    for _ in 0..3 {
        later.push(aws.create("Sandbox").await);
    }
    aws.create("AWS").await;
    let mut seen = Vec::new();
    let mut token = Value::Null;
    loop {
        let mut body = json!({"Catalog": "Sandbox", "MaxResults": 2, "LastModifiedDate": {"AfterLastModifiedDate": cut},
            "Sort": {"SortBy": "LastModifiedDate", "SortOrder": "ASCENDING"}});
        if !token.is_null() {
            body["NextToken"] = token.clone();
        }
        let page = aws.call("ListOpportunities", body).await.ok().clone();
        let items = page["OpportunitySummaries"].as_array().unwrap();
        assert!(items.len() <= 2);
        for item in items {
            assert_eq!(item["Catalog"], "Sandbox");
            assert_eq!(item["LifeCycle"]["ReviewStatus"], "Pending Submission");
            assert_eq!(item["Customer"]["Account"]["CompanyName"], "Contoso Ltd");
            seen.push(item["Id"].as_str().unwrap().to_owned());
        }
        token = page["NextToken"].clone();
        if token.is_null() {
            break;
        }
    }
    assert_eq!(seen, later);
    let big = aws
        .call(
            "ListOpportunities",
            json!({"Catalog": "Sandbox", "MaxResults": 101}),
        )
        .await;
    assert_eq!(
        big.fields("REQUEST_VALIDATION_FAILED"),
        vec![("MaxResults".into(), "VALUE_OUT_OF_RANGE".into())]
    );
    let forged = aws
        .call(
            "ListOpportunities",
            json!({"Catalog": "Sandbox", "NextToken": "bm9wZQ"}),
        )
        .await;
    assert_eq!(
        forged.fields("REQUEST_VALIDATION_FAILED"),
        vec![("NextToken".into(), "INVALID_VALUE".into())]
    );
}

#[tokio::test]
async fn another_account_cannot_see_the_opportunity() {
    let mut options = Options {
        quotas: Quotas::UNLIMITED,
        ..Options::default()
    };
    options.credentials.push(Credential {
        access_key_id: "AKIAOTHERPARTNER0001".into(),
        secret_access_key: "other-secret".into(),
        account_id: "444455556666".into(),
    });
    let aws = spawn_with(options).await;
    let id = aws.create("Sandbox").await;
    let other = aws
        .call_as(
            "AKIAOTHERPARTNER0001",
            "other-secret",
            "GetOpportunity",
            json!({"Catalog": "Sandbox", "Identifier": id}),
        )
        .await;
    other.error(404, "ResourceNotFoundException");
}

#[tokio::test]
async fn solutions_are_associated_and_disassociated() {
    let aws = spawn().await;
    let id = aws.create("Sandbox").await;
    let relate = |op: &'static str, entity: &'static str| {
        let id = id.clone();
        let aws = &aws;
        async move {
            aws.call(op, json!({"Catalog": "Sandbox", "OpportunityIdentifier": id, "RelatedEntityType": "Solutions", "RelatedEntityIdentifier": entity}))
                .await
        }
    };
    relate("AssociateOpportunity", "S-0000001").await.ok();
    assert_eq!(
        aws.get("Sandbox", &id).await["RelatedEntityIdentifiers"]["Solutions"],
        json!(["S-0000001"])
    );
    relate("AssociateOpportunity", "S-9999999")
        .await
        .error(404, "ResourceNotFoundException");
    relate("DisassociateOpportunity", "S-0000001").await.ok();
    assert!(aws.get("Sandbox", &id).await["RelatedEntityIdentifiers"]["Solutions"].is_null());
    relate("DisassociateOpportunity", "S-0000001")
        .await
        .error(404, "ResourceNotFoundException");
}
