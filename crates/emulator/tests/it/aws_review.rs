//! The review lifecycle and its locks
//! (working-with-opportunity-updates): submission requirements, no update
//! while Submitted or In review, only listed fields while Action Required
//! (and back to review after), listed fields locked once Approved,
//! `GetAwsOpportunitySummary` after submission.

use serde_json::json;

use super::spawn;

#[tokio::test]
async fn submission_names_each_missing_field() {
    let aws = spawn().await;
    let created = aws
        .call(
            "CreateOpportunity",
            json!({"Catalog": "Sandbox", "ClientToken": "t", "Customer": {"Account": {"CompanyName": "Contoso Ltd", "Address": {"CountryCode": "US"}}}}),
        )
        .await;
    let id = created.ok()["Id"].as_str().unwrap().to_owned();
    let answer = aws
        .call(
            "SubmitOpportunity",
            json!({"Catalog": "Sandbox", "Identifier": id, "InvolvementType": "Co-Sell"}),
        )
        .await;
    let missing: Vec<String> = answer
        .fields("BUSINESS_VALIDATION_FAILED")
        .into_iter()
        .map(|(field, code)| {
            assert_eq!(code, "REQUIRED_FIELD_MISSING");
            field
        })
        .collect();
    assert_eq!(
        missing,
        [
            "Customer.Account.Industry",
            "Customer.Account.WebsiteUrl",
            "Project.Title",
            "Project.CustomerBusinessProblem",
            "Project.ExpectedCustomerSpend",
            "Project.DeliveryModels",
            "Project.SalesActivities",
            "LifeCycle.TargetCloseDate",
            "OpportunityType",
            "Customer.Account.Address.PostalCode",
            "PrimaryNeedsFromAws",
            "RelatedEntityIdentifiers.Solutions",
        ]
    );
    let bad = aws
        .call(
            "SubmitOpportunity",
            json!({"Catalog": "Sandbox", "Identifier": id, "InvolvementType": "Resell"}),
        )
        .await;
    assert_eq!(
        bad.fields("REQUEST_VALIDATION_FAILED"),
        vec![("InvolvementType".into(), "INVALID_ENUM_VALUE".into())]
    );
}

#[tokio::test]
async fn a_submitted_opportunity_is_locked_until_aws_decides() {
    let aws = spawn().await;
    let id = aws.submitted("Sandbox").await;
    let read = aws.get("Sandbox", &id).await;
    assert_eq!(read["LifeCycle"]["ReviewStatus"], "Submitted");
    let locked = aws
        .update(&read, |b| b["LifeCycle"]["NextSteps"] = "Call".into())
        .await;
    assert_eq!(
        locked.fields("BUSINESS_VALIDATION_FAILED"),
        vec![(
            "LifeCycle.ReviewStatus".into(),
            "INVALID_RESOURCE_STATE".into()
        )]
    );
    let again = aws
        .call(
            "SubmitOpportunity",
            json!({"Catalog": "Sandbox", "Identifier": id, "InvolvementType": "Co-Sell"}),
        )
        .await;
    assert_eq!(
        again.fields("BUSINESS_VALIDATION_FAILED"),
        vec![(
            "LifeCycle.ReviewStatus".into(),
            "INVALID_RESOURCE_STATE".into()
        )]
    );
    let summary = aws
        .call(
            "GetAwsOpportunitySummary",
            json!({"Catalog": "Sandbox", "RelatedOpportunityIdentifier": id}),
        )
        .await;
    let summary = summary.ok();
    assert_eq!(
        (
            summary["Origin"].as_str(),
            summary["InvolvementType"].as_str()
        ),
        (Some("Partner Referral"), Some("Co-Sell"))
    );
    aws.emu
        .review("Sandbox", &id, "In review", None, None)
        .unwrap();
    let in_review = aws.get("Sandbox", &id).await;
    aws.update(&in_review, |_| {})
        .await
        .error(400, "ValidationException");
}

#[tokio::test]
async fn action_required_opens_only_the_listed_fields_and_returns_to_review() {
    let aws = spawn().await;
    let id = aws.submitted("Sandbox").await;
    let decided = aws
        .emu
        .review(
            "Sandbox",
            &id,
            "Action Required",
            Some("Customer website"),
            Some("Please give the customer's real website."),
        )
        .unwrap();
    assert_eq!(
        decided["LifeCycle"]["ReviewComments"],
        "Please give the customer's real website."
    );
    let read = aws.get("Sandbox", &id).await;
    assert_eq!(read["LifeCycle"]["ReviewStatus"], "Action Required");
    assert_eq!(read["LifeCycle"]["ReviewStatusReason"], "Customer website");
    let refused = aws
        .update(&read, |b| {
            b["Project"]["Title"] = "Renamed".into();
            b["Customer"]["Account"]["Industry"] = "Retail".into();
        })
        .await;
    assert_eq!(
        refused.fields("BUSINESS_VALIDATION_FAILED"),
        vec![
            (
                "Customer.Account.Industry".into(),
                "ACTION_NOT_PERMITTED".into()
            ),
            ("Project.Title".into(), "ACTION_NOT_PERMITTED".into()),
        ]
    );
    aws.update(&read, |b| {
        b["Customer"]["Account"]["WebsiteUrl"] = "https://contoso.com".into()
    })
    .await
    .ok();
    assert_eq!(
        aws.get("Sandbox", &id).await["LifeCycle"]["ReviewStatus"],
        "Submitted"
    );
}

#[tokio::test]
async fn approved_locks_the_listed_fields_only() {
    let aws = spawn().await;
    let id = aws.submitted("Sandbox").await;
    aws.emu
        .review("Sandbox", &id, "Approved", None, None)
        .unwrap();
    let read = aws.get("Sandbox", &id).await;
    let refused = aws
        .update(&read, |b| {
            b["PartnerOpportunityIdentifier"] = "other".into()
        })
        .await;
    assert_eq!(
        refused.fields("BUSINESS_VALIDATION_FAILED"),
        vec![(
            "PartnerOpportunityIdentifier".into(),
            "ACTION_NOT_PERMITTED".into()
        )]
    );
    aws.update(&read, |b| b["LifeCycle"]["Stage"] = "Qualified".into())
        .await
        .ok();
    // AWS can't decide twice.
    let twice = aws
        .emu
        .review("Sandbox", &id, "Rejected", None, None)
        .unwrap_err();
    assert_eq!((twice.status(), twice.name()), (409, "ConflictException"));
}

#[tokio::test]
async fn a_rejected_opportunity_is_read_only() {
    let aws = spawn().await;
    let id = aws.submitted("Sandbox").await;
    aws.emu
        .review("Sandbox", &id, "Rejected", Some("Duplicate"), None)
        .unwrap();
    let read = aws.get("Sandbox", &id).await;
    aws.update(&read, |_| {})
        .await
        .error(400, "ValidationException");
}

#[tokio::test]
async fn an_aws_seller_update_moves_the_lock_token() {
    let aws = spawn().await;
    let id = aws.submitted("Sandbox").await;
    aws.emu
        .review("Sandbox", &id, "Approved", None, None)
        .unwrap();
    let read = aws.get("Sandbox", &id).await;
    aws.emu
        .aws_update(
            "Sandbox",
            &id,
            json!({"LifeCycle": {"Stage": "Technical Validation", "NextSteps": "AWS SA workshop"}}),
        )
        .unwrap();
    let summary = aws
        .call(
            "GetAwsOpportunitySummary",
            json!({"Catalog": "Sandbox", "RelatedOpportunityIdentifier": id}),
        )
        .await;
    assert_eq!(summary.ok()["LifeCycle"]["Stage"], "Technical Validation");
    aws.update(&read, |_| {})
        .await
        .error(409, "ConflictException");
}
