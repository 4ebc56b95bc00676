//! Issue 10, symptom 3: an edit made only on a record related to the
//! opportunity (its Account, a contact, a contact role, a solution, the
//! synced note) reaches Partner Center on the next pass, deletions included.

use serde_json::{json, Value};

use crate::world::{marked, World};

/// A synced co-sell deal: its opportunity, account, contact and referral id.
struct Deal {
    opportunity: String,
    account: String,
    contact: String,
    referral: String,
}

async fn synced_deal(world: &World, name: &str) -> Deal {
    let created = emulator::sellers::co_sell_opportunity(&world.sf, name, "US").unwrap();
    let report = world.pass().await;
    assert_eq!(
        report.summary.partner_center.created, 1,
        "{:#?}",
        report.outcomes
    );
    let referral = world.referral_for(&created.opportunity)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Deal {
        opportunity: created.opportunity,
        account: created.account,
        contact: created.contact,
        referral,
    }
}

fn customer(world: &World, deal: &Deal) -> Value {
    world.referral(&deal.referral)["customerProfile"].clone()
}

fn solutions(world: &World, deal: &Deal) -> Vec<String> {
    world.referral(&deal.referral)["details"]["requirements"]["solutions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_account_rename_alone_reaches_partner_center() {
    let world = World::new().await;
    let deal = synced_deal(&world, "Account Rename").await;
    world.edit(
        "Account",
        &deal.account,
        json!({ "Name": "Renamed Holdings" }),
    );
    world.pass().await;
    assert_eq!(customer(&world, &deal)["name"], json!("Renamed Holdings"));
}

#[tokio::test]
async fn an_account_move_to_another_city_and_country_reaches_partner_center() {
    let world = World::new().await;
    let deal = synced_deal(&world, "Account Move").await;
    world.edit(
        "Account",
        &deal.account,
        json!({ "BillingCity": "Toronto", "BillingCountry": "CA" }),
    );
    world.pass().await;
    let address = &customer(&world, &deal)["address"];
    assert_eq!(address["city"], json!("Toronto"));
    assert_eq!(address["country"], json!("CA"));
}

#[tokio::test]
async fn a_contacts_new_email_reaches_partner_center() {
    let world = World::new().await;
    let deal = synced_deal(&world, "Contact Email").await;
    world.edit(
        "Contact",
        &deal.contact,
        json!({ "Email": "sue.new@example.com" }),
    );
    world.pass().await;
    assert_eq!(
        customer(&world, &deal)["team"][0]["email"],
        json!("sue.new@example.com")
    );
}

#[tokio::test]
async fn a_removed_contact_role_leaves_the_partner_center_team() {
    let world = World::new().await;
    let deal = synced_deal(&world, "Contact Role").await;
    let second = world.contact_role(&deal.opportunity, &deal.account, "Jones", "jo@example.com");
    world.pass().await;
    assert_eq!(customer(&world, &deal)["team"].as_array().unwrap().len(), 2);

    world.sf.delete(&second).unwrap();
    world.pass().await;
    let team = customer(&world, &deal)["team"].as_array().unwrap().clone();
    assert_eq!(team.len(), 1, "{team:?}");
    assert_eq!(team[0]["lastName"], json!("Smith"));
}

#[tokio::test]
async fn removed_solutions_leave_the_referral_and_removing_the_last_one_is_refused_visibly() {
    let world = World::new().await;
    let deal = synced_deal(&world, "Solutions").await;
    let first = world
        .sf
        .records("Microsoft_Solution__c")
        .into_iter()
        .find(|s| s["Opportunity__c"] == json!(deal.opportunity))
        .unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = world.solution(&deal.opportunity, "SOL-2");
    world.pass().await;
    assert_eq!(solutions(&world, &deal).len(), 2);

    world.sf.delete(&second).unwrap();
    world.pass().await;
    assert_eq!(solutions(&world, &deal).len(), 1);

    // A co-sell deal needs a solution (connector-behaviour.md, "Microsoft
    // Partner Center Solutions"): removing the last one is noticed too, and
    // the opportunity shows why it no longer syncs.
    assert!(!marked(&world.opp(&deal.opportunity), "✖"));
    world.sf.delete(&first).unwrap();
    world.pass().await;
    let o = world.opp(&deal.opportunity);
    assert!(
        marked(&o, "✖"),
        "the opportunity shows the refusal: {}",
        o["Name"]
    );
    assert!(
        o["Audit__c"]
            .as_str()
            .unwrap_or_default()
            .contains("solution"),
        "{}",
        o["Audit__c"]
    );
}

#[tokio::test]
async fn a_deleted_note_clears_the_referrals_notes() {
    let world = World::new().await;
    let deal = synced_deal(&world, "Note").await;
    let note = world
        .sf
        .insert(
            "Note",
            json!({ "ParentId": deal.opportunity, "Title": sync::opportunity_map::NOTE_TITLE, "Body": "Call back Tuesday" }),
        )
        .unwrap();
    world.pass().await;
    assert_eq!(
        world.referral(&deal.referral)["details"]["notes"],
        json!("Call back Tuesday")
    );

    world.sf.delete(&note).unwrap();
    world.pass().await;
    let notes = world.referral(&deal.referral)["details"]["notes"].clone();
    assert!(
        notes.is_null() || notes == json!(""),
        "the notes are cleared: {notes}"
    );
}

/// With marks off, a problem shows only in the Audit field: a fix made on
/// the Account that restores the synced value still clears it (the deal is
/// decided again although it reads as its snapshot).
#[tokio::test]
async fn a_fix_on_the_account_clears_the_problem_with_marks_off() {
    let world = World::with_settings(sync::Settings {
        show_checkmark: false,
        ..sync::Settings::default()
    })
    .await;
    let deal = synced_deal(&world, "Quiet Fix").await;
    world.edit("Account", &deal.account, json!({ "BillingCountry": "USA" }));
    world.pass().await;
    let audit = |world: &World| {
        world.opp(&deal.opportunity)["Audit__c"]
            .as_str()
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(audit(&world).contains('✖'), "{}", audit(&world));
    world.edit("Account", &deal.account, json!({ "BillingCountry": "US" }));
    world.pass().await;
    assert!(!audit(&world).contains('✖'), "{}", audit(&world));
    assert_eq!(
        world.referral(&deal.referral)["customerProfile"]["address"]["country"],
        json!("US")
    );
}
