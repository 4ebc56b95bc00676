//! An edit made only on a record related to the
//! opportunity (its Account, a contact, a contact role, a solution, the
//! synced note, the team) reaches Partner Center on the next pass, deletions
//! included.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use sync::feed::{Side, Window};
use sync::Target;

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

    // A co-sell deal needs a solution (Microsoft's connector, "Microsoft
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

/// The partner team of a referral: who it lists, by email.
fn partner_team(world: &World, referral: &str) -> Vec<String> {
    world.referral(referral)["team"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m["email"].as_str().map(str::to_owned))
        .collect()
}

/// A later deal moves the feed's cursor past the overlap, so the deals
/// synced so far are not read again by chance: only getDeleted can tell
/// that one of them lost a team member.
async fn past_the_overlap(world: &World) {
    world.sf.advance_clock(std::time::Duration::from_secs(30));
    emulator::sellers::co_sell_opportunity(&world.sf, "Later Deal", "US").unwrap();
    world.pass().await;
}

/// The opportunity team is the referral's partner team. Salesforce
/// hard-deletes a removed team member (no Recycle Bin, so no `IsDeleted`
/// row): only getDeleted tells, once its minute window covers the removal.
#[tokio::test]
async fn a_removed_team_member_leaves_the_partner_team() {
    let world = World::new().await;
    let created = emulator::sellers::co_sell_opportunity(&world.sf, "Team Member", "US").unwrap();
    let users = world.sf.records("User");
    let members: Vec<String> = users[..2]
        .iter()
        .map(|user| {
            world
                .sf
                .insert(
                    "OpportunityTeamMember",
                    json!({ "OpportunityId": created.opportunity, "UserId": user["Id"] }),
                )
                .unwrap()
        })
        .collect();
    world.pass().await;
    let referral = world.referral_for(&created.opportunity)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let email = |i: usize| users[i]["Email"].as_str().unwrap().to_owned();
    assert_eq!(partner_team(&world, &referral), vec![email(0), email(1)]);
    past_the_overlap(&world).await;

    world.sf.delete(&members[0]).unwrap();
    // A minute on, getDeleted covers the removal (no sleeping).
    world.sf.advance_clock(std::time::Duration::from_secs(61));
    let report = world.pass().await;
    assert_eq!(
        partner_team(&world, &referral),
        vec![email(1)],
        "{:#?}",
        report.outcomes
    );

    let before = world.writes();
    let report = world.pass().await;
    assert_eq!(
        world.writes(),
        before,
        "the following pass writes nothing: {:#?}",
        report.outcomes
    );
}

/// The idle poll cost: getDeleted is asked at most once per minute window
/// (the first look only sets its cursor), whatever the number of passes.
#[tokio::test]
async fn idle_passes_ask_for_removed_team_members_at_most_once_a_minute() {
    let mut world = World::new().await;
    // The engine's clock stands still between the steps below.
    let now = Arc::new(Mutex::new(world.sf.now()));
    let clock = now.clone();
    world.set_clock(Arc::new(move || *clock.lock().unwrap()));
    let asked = |world: &World| world.sf.control().calls().matching("/deleted");
    synced_deal(&world, "Idle Team").await;
    assert_eq!(asked(&world), 0, "the first look only sets the cursor");
    world.pass().await;
    assert_eq!(asked(&world), 0, "the same minute: no call");

    world.sf.advance_clock(std::time::Duration::from_secs(61));
    *now.lock().unwrap() = world.sf.now();
    world.pass().await;
    assert_eq!(asked(&world), 1, "a new minute began: one call");
    world.pass().await;
    world.pass().await;
    assert_eq!(asked(&world), 1, "covered up to this minute: no call");
}

/// The deletions cursor moves with the jobs only: a read that is never
/// committed (`cosell plan`, a crash before the enqueue) leaves the removal
/// for the next read, and a committed one is not asked for again.
#[tokio::test]
async fn a_team_removal_is_read_until_its_jobs_are_committed() {
    let world = World::new().await;
    let deal = synced_deal(&world, "Uncommitted Team").await;
    let user = world.sf.records("User")[0]["Id"].clone();
    let member = world
        .sf
        .insert(
            "OpportunityTeamMember",
            json!({ "OpportunityId": deal.opportunity, "UserId": user }),
        )
        .unwrap();
    world.pass().await;
    past_the_overlap(&world).await;
    world.sf.delete(&member).unwrap();
    world.sf.advance_clock(std::time::Duration::from_secs(61));

    let window = Window::SinceCursor {
        overlap: chrono::Duration::seconds(5),
    };
    let removal = |read: &sync::feed::FeedRead| {
        read.changes
            .iter()
            .any(|c| c.target == Target::Opportunity(deal.opportunity.clone()) && c.at.id == member)
    };
    let read = world
        .engine
        .read_feed(Side::Salesforce, window)
        .await
        .unwrap();
    assert!(removal(&read), "{:?}", read.changes);
    let again = world
        .engine
        .read_feed(Side::Salesforce, window)
        .await
        .unwrap();
    assert!(removal(&again), "not committed: read again");

    world.engine.commit_feed(&again, &[]).await.unwrap();
    let after = world
        .engine
        .read_feed(Side::Salesforce, window)
        .await
        .unwrap();
    assert!(!removal(&after), "{:?}", after.changes);
}

/// A pass that only adds a related row in Salesforce (a second solution
/// Microsoft added: the Audit line is the same as the pass before, so the
/// opportunity itself is not written) reports it as a Salesforce update: the
/// summary and `plan` agree with what was written.
#[tokio::test]
async fn a_related_row_written_alone_counts_as_a_salesforce_update() {
    let world = World::new().await;
    let deal = synced_deal(&world, "Related Count").await;
    let mut report = None;
    for solution in ["SOL-9", "SOL-10"] {
        world
            .pc
            .microsoft_update(
                &deal.referral,
                json!([{ "op": "add", "path": "/details/requirements/solutions/-", "value": { "id": solution } }]),
            )
            .unwrap();
        report = Some(world.pass().await);
    }
    let solutions = world.sf.records("Microsoft_Solution__c");
    let on_deal = solutions
        .iter()
        .filter(|s| s["Opportunity__c"] == json!(deal.opportunity));
    assert_eq!(on_deal.count(), 3);
    let summary = report.unwrap().summary;
    assert_eq!(summary.salesforce.updated, 1, "{summary:?}");
}
