//! An org's duplicate rules (the enterprise-like profile has Salesforce's
//! standard ones active): a referral whose customer and contact the org
//! already has links them, audited with the rules, never fails the deal and
//! never creates copies.

use emulator::salesforce::Profile;
use serde_json::{json, Value};

use crate::world::{marked, World};

#[tokio::test]
async fn a_referral_whose_customer_and_contact_exist_links_them() {
    let world = World::in_profile(Profile::Enterprise).await;
    // The org spells the company differently and knows the contact under
    // another address: cosell's own lookups miss both, the duplicate rules
    // match them.
    let account = world.account("Fabrikam-Expansion Customer", Some("US"));
    let contact = world
        .sf
        .insert(
            "Contact",
            json!({ "FirstName": "Ann", "LastName": "Lee", "Email": "ann.lee@fabrikam.example",
                    "Phone": "555-0100", "AccountId": account }),
        )
        .unwrap();
    let id = world.microsoft_shares("Fabrikam Expansion");

    let report = world.pass().await;
    assert_eq!(report.summary.failed, 0, "{:#?}", report.outcomes);
    assert_eq!(report.summary.salesforce.created, 1);

    let opp = world.opp_for_referral(&id);
    assert!(marked(&opp, "✔"), "{}", opp["Name"]);
    assert_eq!(opp["AccountId"], json!(account));
    let roles: Vec<Value> = world
        .sf
        .records("OpportunityContactRole")
        .into_iter()
        .filter(|r| r["OpportunityId"] == opp["Id"])
        .collect();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["ContactId"], json!(contact));
    assert_eq!(world.count("Account"), 1, "no copy of the customer");
    assert_eq!(world.count("Contact"), 1, "no copy of the contact");

    let linked: Vec<Value> = world
        .store
        .recent_audit(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "duplicate_linked")
        .map(|e| e.detail)
        .collect();
    let expected = [
        json!({ "object": "Account", "id": account,
                "duplicate_rule": "Standard_Account_Duplicate_Rule",
                "matching_rule": "Standard_Account_Match_Rule_v1_0" }),
        json!({ "object": "Contact", "id": contact,
                "duplicate_rule": "Standard_Contact_Duplicate_Rule",
                "matching_rule": "Standard_Contact_Match_Rule_v1_1" }),
    ];
    for entry in &expected {
        assert!(linked.contains(entry), "{entry} in {linked:#?}");
    }

    // The org's records stay as they are and the pair settles on them.
    world.passes_until_settled(3).await;
    let last = world.pass().await;
    assert_eq!(last.summary.failed, 0, "{:#?}", last.outcomes);
    assert_eq!(
        (
            last.summary.salesforce.updated,
            last.summary.partner_center.updated
        ),
        (0, 0),
        "no flip-flop: {:#?}",
        last.outcomes
    );
    assert_eq!(
        world.sf.record("Account", &account).unwrap()["Name"],
        json!("Fabrikam-Expansion Customer")
    );
    assert_eq!(
        world.sf.record("Contact", &contact).unwrap()["Email"],
        json!("ann.lee@fabrikam.example")
    );
    assert_eq!((world.count("Account"), world.count("Contact")), (1, 1));
}
