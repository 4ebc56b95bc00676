//! Behaviour 6: visibility to Microsoft sellers is one-way.

use serde_json::json;

use crate::world::{marked, World};

#[tokio::test]
async fn revoking_visibility_is_refused_with_an_audit_entry_and_the_field_is_restored() {
    let world = World::new().await;
    let account = world.account("Visible", Some("US"));
    let opp = world.opportunity(
        "Visible deal",
        &account,
        json!({ "Microsoft_Referral_Visibility__c": true }),
    );
    world.solution(&opp, "SOL-9");
    world.contact_role(&opp, &account, "Visible", "vic@visible.example");
    world.pass().await;
    let id = world.referral_for(&opp)["id"].as_str().unwrap().to_owned();
    assert_eq!(
        world.referral(&id)["consent"]["consentToShareReferralWithMicrosoftSellers"],
        json!(true)
    );

    world.edit(
        "Opportunity",
        &opp,
        json!({ "Microsoft_Referral_Visibility__c": false }),
    );
    world.pass().await;

    let o = world.opp(&opp);
    assert_eq!(
        o["Microsoft_Referral_Visibility__c"],
        json!(true),
        "restored"
    );
    assert!(marked(&o, "✖"));
    assert!(
        o["Audit__c"]
            .as_str()
            .unwrap()
            .contains("cannot be revoked"),
        "{}",
        o["Audit__c"]
    );
    assert_eq!(
        world.referral(&id)["consent"]["consentToShareReferralWithMicrosoftSellers"],
        json!(true)
    );
    assert!(world
        .audit_kinds()
        .await
        .contains(&"change_refused".to_owned()));
}
