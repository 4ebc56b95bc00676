//! FY26 co-sell rules on a partner's new referral: the customer's
//! marketplace purchase intent is required and one of the published values;
//! a Services co-sell referral names its partner role, solution area and
//! solution play. Each refusal is a 400 `invalidRequest` naming the property.

use emulator::partner_center::{Options, Rules};
use serde_json::{json, Value};

use super::{co_sell_deal, expect_error, private_deal, spawn, spawn_with};

const ATTRIBUTES: &str = "details/requirements/additionalRequirements/attributes";

fn without_intent(mut deal: Value) -> Value {
    deal["details"]["requirements"]
        .as_object_mut()
        .unwrap()
        .remove("additionalRequirements");
    deal
}

fn services(deal: &mut Value, role: Value, area: Value, play: Value) {
    deal["partnerRole"] = role;
    deal["solutionArea"] = area;
    deal["solutionPlay"] = play;
}

#[tokio::test]
async fn a_referral_without_marketplace_intent_is_refused() {
    let pc = spawn().await;
    let body = expect_error(
        pc.create(&without_intent(private_deal())).await,
        400,
        "invalidRequest",
    )
    .await;
    assert_eq!(body["error"]["target"], ATTRIBUTES);
    assert_eq!(
        body["error"]["message"],
        "The customer's marketplace purchase intent (CustomerMarketplaceIntent) is required when a referral is created. Allowed: Yes, No, HaveNotDecided."
    );
    assert!(pc.emu.referrals().is_empty());
}

#[tokio::test]
async fn marketplace_intent_is_one_of_the_published_values_in_either_documented_place() {
    let pc = spawn().await;
    let mut maybe = private_deal();
    maybe["details"]["requirements"]["additionalRequirements"]["attributes"][0]["id"] =
        json!("Maybe");
    let body = expect_error(pc.create(&maybe).await, 400, "invalidRequest").await;
    assert_eq!(body["error"]["target"], ATTRIBUTES);
    assert_eq!(
        body["error"]["message"],
        "'Maybe' is not a valid value for CustomerMarketplaceIntent. Allowed: Yes, No, HaveNotDecided."
    );

    let mut as_property = without_intent(private_deal());
    as_property["customerMarketplaceIntent"] = json!("Yes");
    let created = pc.created(&as_property).await;
    assert_eq!(created["customerMarketplaceIntent"], "Yes");
}

#[tokio::test]
async fn the_intent_rule_is_a_knob_for_older_tenants() {
    let pc = spawn_with(Options {
        rules: Rules {
            require_marketplace_intent: false,
            ..Rules::default()
        },
        ..Options::default()
    })
    .await;
    pc.created(&without_intent(private_deal())).await;
}

#[tokio::test]
async fn a_services_co_sell_referral_needs_role_area_and_play() {
    let pc = spawn().await;
    let mut deal = co_sell_deal();
    services(&mut deal, json!("Services"), json!("Security"), Value::Null);
    let body = expect_error(pc.create(&deal).await, 400, "invalidRequest").await;
    assert_eq!(body["error"]["target"], "solutionPlay");
    assert_eq!(
        body["error"]["message"],
        "solutionPlay is required for Services co-sell referrals."
    );

    services(
        &mut deal,
        json!("Services"),
        json!(" "),
        json!("Modern SecOps"),
    );
    let body = expect_error(pc.create(&deal).await, 400, "invalidRequest").await;
    assert_eq!(body["error"]["target"], "solutionArea");

    services(
        &mut deal,
        json!(7),
        json!("Security"),
        json!("Modern SecOps"),
    );
    let body = expect_error(pc.create(&deal).await, 400, "invalidRequest").await;
    assert_eq!(body["error"]["message"], "partnerRole must be a string.");

    services(
        &mut deal,
        json!("Services"),
        json!("Security"),
        json!("Modern SecOps"),
    );
    let created = pc.created(&deal).await;
    assert_eq!(created["partnerRole"], "Services");
    assert_eq!(created["solutionArea"], "Security");
    assert_eq!(created["solutionPlay"], "Modern SecOps");
}

#[tokio::test]
async fn the_services_fields_bind_only_referrals_asking_microsoft_for_help() {
    let pc = spawn().await;
    // A co-sell deal naming none of the three is not a Services one.
    pc.created(&co_sell_deal()).await;
    // A private deal is no co-sell referral at all.
    let mut private = private_deal();
    services(&mut private, json!("Services"), Value::Null, Value::Null);
    pc.created(&private).await;
}
