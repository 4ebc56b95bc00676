//! AWS-originated deals: an invitation is listed and read, accepting it
//! makes the partner's opportunity, and an answered invitation can't be
//! answered again (`ConflictException`).

use serde_json::{json, Value};

use super::spawn;

pub fn invitation() -> Value {
    json!({
        "Catalog": "Sandbox",
        "EngagementTitle": "Fabrikam analytics",
        "InvitationMessage": "Can you help Fabrikam move their analytics?",
        "OpportunityInvitation": {
            "Customer": {"CompanyName": "Fabrikam Inc", "Industry": "Retail", "WebsiteUrl": "https://fabrikam.example", "CountryCode": "DE"},
            "Project": {"Title": "Analytics on AWS", "BusinessProblem": "Nightly reports take twelve hours to build.", "TargetCompletionDate": "2030-01-31",
                "ExpectedCustomerSpend": [{"Amount": "5000", "CurrencyCode": "EUR", "Frequency": "Monthly", "TargetCompany": "AWS"}]},
            "ReceiverResponsibilities": ["Co-Sell Facilitator"]
        }
    })
}

#[tokio::test]
async fn an_accepted_invitation_becomes_an_aws_referral_opportunity() {
    let aws = spawn().await;
    let sent = aws.emu.invite(invitation()).unwrap();
    let id = sent["Id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("engi-") && id.len() == 18);
    let list = aws
        .call(
            "ListEngagementInvitations",
            json!({"Catalog": "Sandbox", "ParticipantType": "RECEIVER", "Status": ["PENDING"]}),
        )
        .await;
    let items = list.ok()["EngagementInvitationSummaries"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["Id"].as_str(), items[0]["PayloadType"].as_str()),
        (Some(id.as_str()), Some("OpportunityInvitation"))
    );
    let got = aws
        .call(
            "GetEngagementInvitation",
            json!({"Catalog": "Sandbox", "Identifier": id}),
        )
        .await;
    assert_eq!(
        got.ok()["Payload"]["OpportunityInvitation"]["Customer"]["CompanyName"],
        "Fabrikam Inc"
    );
    aws.call(
        "AcceptEngagementInvitation",
        json!({"Catalog": "Sandbox", "Identifier": id}),
    )
    .await
    .ok();
    let opportunities = aws
        .call("ListOpportunities", json!({"Catalog": "Sandbox"}))
        .await
        .ok()
        .clone();
    let opp = &opportunities["OpportunitySummaries"][0];
    assert_eq!(opp["Customer"]["Account"]["CompanyName"], "Fabrikam Inc");
    let summary = aws
        .call(
            "GetAwsOpportunitySummary",
            json!({"Catalog": "Sandbox", "RelatedOpportunityIdentifier": opp["Id"]}),
        )
        .await;
    assert_eq!(summary.ok()["Origin"], "AWS Referral");
    let twice = aws
        .call(
            "RejectEngagementInvitation",
            json!({"Catalog": "Sandbox", "Identifier": id}),
        )
        .await;
    twice.error(409, "ConflictException");
}

#[tokio::test]
async fn a_rejected_invitation_keeps_its_reason_and_makes_nothing() {
    let aws = spawn().await;
    let id = aws.emu.invite(invitation()).unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    aws.call(
        "RejectEngagementInvitation",
        json!({"Catalog": "Sandbox", "Identifier": id, "RejectionReason": "Customer Deficiency"}),
    )
    .await
    .ok();
    let got = aws
        .call(
            "GetEngagementInvitation",
            json!({"Catalog": "Sandbox", "Identifier": id}),
        )
        .await;
    assert_eq!(
        (
            got.ok()["Status"].as_str(),
            got.ok()["RejectionReason"].as_str()
        ),
        (Some("REJECTED"), Some("Customer Deficiency"))
    );
    assert!(aws.emu.opportunities().is_empty());
    aws.call(
        "AcceptEngagementInvitation",
        json!({"Catalog": "Sandbox", "Identifier": id}),
    )
    .await
    .error(409, "ConflictException");
    let unknown = aws
        .call(
            "GetEngagementInvitation",
            json!({"Catalog": "Sandbox", "Identifier": "engi-0000000000000"}),
        )
        .await;
    unknown.error(404, "ResourceNotFoundException");
    let missing = aws
        .call("ListEngagementInvitations", json!({"Catalog": "Sandbox"}))
        .await;
    assert_eq!(
        missing.fields("REQUEST_VALIDATION_FAILED"),
        vec![("ParticipantType".into(), "REQUIRED_FIELD_MISSING".into())]
    );
}
