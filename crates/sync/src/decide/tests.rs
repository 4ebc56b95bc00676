//! `decide`, one table row per test case: field mapping both ways, lifecycle
//! both directions, settings, leads vs co-sell, visibility one-way, on hold,
//! closed terminal, and values a side cannot hold (left out and audited,
//! never invented).

use chrono::NaiveDate;
use partner_center::wire::Referral;
use salesforce::Record;
use serde_json::{json, Value};
use store::{Pair, PairState};

use super::*;
use crate::deal::{Contact, Customer, Fy26Fields, HelpOption, Lifecycle, Money};
use crate::engine::plan::Candidate;
use crate::merge::Side;
use crate::opportunity_map::{
    opportunity_values, AccountView, ContactRoleView, NoteRow, SolutionRow,
};

const EARLY: &str = "2026-05-01T10:00:00Z";
const LATE: &str = "2026-05-01T11:00:00Z";
const OPP: &str = "006000000000001AAA";
const REF: &str = "r-1";

/// An accepted co-sell deal both sides agree on.
fn agreed() -> Deal {
    Deal {
        name: "Contoso migration".into(),
        customer: Customer {
            name: "Contoso".into(),
            city: Some("Redmond".into()),
            country: Some("US".into()),
            ..Customer::default()
        },
        contacts: vec![Contact {
            first_name: Some("Sue".into()),
            last_name: "Smith".into(),
            email: Some("sue@contoso.example".into()),
            ..Contact::default()
        }],
        deal_value: Money::from_f64(1000.0),
        currency: Some("USD".into()),
        close_date: NaiveDate::from_ymd_opt(2027, 6, 30),
        notes: Some("Needs a POC".into()),
        help: Some(HelpOption::ProofOfConceptOrDemo),
        visible_to_microsoft: true,
        solutions: ["SOL-1".to_string()].into(),
        lifecycle: Lifecycle::Active,
        fy26: Fy26Fields {
            marketplace_intent: Some("Have not decided".into()),
            ..Fy26Fields::default()
        },
        ..Deal::default()
    }
}

/// The referral Partner Center holds for a deal, last changed at `at`.
fn referral_of(deal: &Deal, at: &str) -> Referral {
    let mut referral = crate::referral_map::new_referral(deal, OPP, &[]);
    let mut value = serde_json::to_value(&referral).unwrap();
    let (status, substatus) = deal.lifecycle.referral_status();
    value["id"] = json!(REF);
    value["type"] = json!("Shared");
    value["status"] = json!(status);
    value["substatus"] = json!(substatus);
    value["updatedDateTime"] = json!(at);
    if let Some(id) = &deal.microsoft_crm_id {
        value["trackingInfo"] = json!({ "microsoftMsxId": id });
    }
    referral = serde_json::from_value(value).unwrap();
    referral
}

/// The opportunity Salesforce holds for a deal, last changed at `at`.
fn view_of(deal: &Deal, at: &str, settings: &Settings) -> OpportunityView {
    let mut fields = opportunity_values(deal, settings);
    let (stage, closed, won) = match deal.lifecycle {
        Lifecycle::Pending => ("On Hold", false, false),
        Lifecycle::Active => ("Qualification", false, false),
        Lifecycle::Won => ("Closed Won", true, true),
        _ => ("Closed Lost", true, false),
    };
    let name = crate::opportunity_map::marked_name(&deal.name, true, settings);
    for (k, v) in [
        ("Id", json!(OPP)),
        ("Name", json!(name)),
        ("StageName", json!(stage)),
        ("IsClosed", json!(closed)),
        ("IsWon", json!(won)),
        ("LastModifiedDate", json!(at)),
        (settings.fields.sync_flag.as_str(), json!(true)),
        (settings.fields.referral_id.as_str(), json!(REF)),
        (
            settings.fields.marketplace_intent.as_str(),
            json!(deal.fy26.marketplace_intent),
        ),
        (
            settings.fields.audit.as_str(),
            json!("2026-05-01 09:00 UTC | ✔ Synced"),
        ),
    ] {
        fields.insert(k.into(), v);
    }
    OpportunityView {
        id: OPP.into(),
        record: Record::from_map(fields),
        account: Some(AccountView {
            id: "001A".into(),
            customer: deal.customer.clone(),
        }),
        contact_roles: deal
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| ContactRoleView {
                id: format!("00K{i}"),
                contact_id: format!("003{i}"),
                contact: c.clone(),
            })
            .collect(),
        solutions: deal
            .solutions
            .iter()
            .enumerate()
            .map(|(i, s)| SolutionRow {
                id: format!("a0X{i}"),
                solution_id: s.clone(),
            })
            .collect(),
        note: deal.notes.clone().map(|body| NoteRow {
            id: "002A".into(),
            body,
        }),
        team: deal.team.clone(),
        team_rows: (0..deal.team.len()).map(|i| format!("00q{i}")).collect(),
        related_changed_at: None,
    }
}

fn pair_with(snapshot: &Snapshot) -> Pair {
    let mut pair = Pair::new(snapshot.deal.name.clone());
    pair.referral_id = Some(REF.into());
    pair.opportunity_id = Some(OPP.into());
    pair.snapshot = snapshot.to_json();
    pair
}

fn candidate(
    snapshot: Option<&Snapshot>,
    referral: Option<Referral>,
    view: Option<OpportunityView>,
) -> Candidate {
    Candidate {
        targets: vec![Target::Referral(REF.into())],
        quiet: false,
        unreadable: None,
        pair: snapshot.map(pair_with),
        referral,
        related: None,
        view,
        now: None,
    }
}

/// Decides a pair whose sides were edited from the agreed deal.
fn run(base: &Deal, pc: &Deal, pc_at: &str, sf: &Deal, sf_at: &str, settings: &Settings) -> Plan {
    let snapshot = Snapshot::of(base.clone());
    decide(
        &candidate(
            Some(&snapshot),
            Some(referral_of(pc, pc_at)),
            Some(view_of(sf, sf_at, settings)),
        ),
        settings,
    )
}

fn update(plan: &Plan) -> &Update {
    match &plan.decision {
        Decision::Update(u) => u,
        other => panic!("expected an update, got {other:?}"),
    }
}

type Edit = fn(&mut Deal);

/// Every "both" row of the field mapping table, as an edit of the deal.
const BOTH_WAYS: [(Field, Edit); 10] = [
    (Field::Name, |d| d.name = "Contoso migration phase 2".into()),
    (Field::Customer, |d| d.customer.name = "Contoso Ltd".into()),
    (Field::Customer, |d| d.customer.country = Some("DE".into())),
    (Field::Contacts, |d| {
        d.contacts[0].email = Some("sue.smith@contoso.example".into())
    }),
    (Field::DealValue, |d| d.deal_value = Money::from_f64(2500.0)),
    (Field::Currency, |d| d.currency = Some("EUR".into())),
    (Field::CloseDate, |d| {
        d.close_date = NaiveDate::from_ymd_opt(2027, 9, 30)
    }),
    (Field::Notes, |d| d.notes = Some("Budget approved".into())),
    (Field::Help, |d| {
        d.help = Some(HelpOption::QuotesOrLicensing)
    }),
    (Field::Solutions, |d| {
        d.solutions.insert("SOL-2".into());
    }),
];

#[test]
fn field_mapping_a_partner_center_edit_reaches_salesforce() {
    let settings = Settings::default();
    for (field, edit) in BOTH_WAYS {
        let base = agreed();
        let mut pc = base.clone();
        edit(&mut pc);
        let plan = run(&base, &pc, LATE, &base, EARLY, &settings);
        let u = update(&plan);
        assert_eq!(u.outcome.to_salesforce, vec![field], "{field:?}");
        assert!(u.outcome.to_partner_center.is_empty(), "{field:?}");
        assert_eq!(plan.snapshot.as_ref().unwrap().deal, pc, "{field:?}");
        let line = plan.audit.as_ref().unwrap().render(REF);
        assert!(line.contains("Updated from Partner Center"), "{line}");
    }
}

#[test]
fn field_mapping_a_salesforce_edit_reaches_partner_center() {
    let settings = Settings::default();
    for (field, edit) in BOTH_WAYS {
        let base = agreed();
        let mut sf = base.clone();
        edit(&mut sf);
        let plan = run(&base, &base, LATE, &sf, EARLY, &settings);
        let u = update(&plan);
        assert_eq!(u.outcome.to_partner_center, vec![field], "{field:?}");
        assert!(u.outcome.to_salesforce.is_empty(), "{field:?}");
        assert_eq!(plan.snapshot.as_ref().unwrap().deal, sf, "{field:?}");
    }
}

#[test]
fn a_partner_center_rename_writes_the_name_with_its_mark() {
    let settings = Settings::default();
    let base = agreed();
    let mut pc = base.clone();
    pc.name = "Renamed by Microsoft".into();
    let plan = run(&base, &pc, LATE, &base, EARLY, &settings);
    assert_eq!(plan.name.as_deref(), Some("✔ Renamed by Microsoft"));
}

#[test]
fn conflicts_go_to_the_latest_change_in_both_directions() {
    let settings = Settings::default();
    let base = agreed();
    let mut pc = base.clone();
    pc.deal_value = Money::from_f64(111.0);
    let mut sf = base.clone();
    sf.deal_value = Money::from_f64(222.0);
    for (pc_at, sf_at, winner, value) in [
        (EARLY, LATE, Side::Salesforce, 222.0),
        (LATE, EARLY, Side::PartnerCenter, 111.0),
    ] {
        let plan = run(&base, &pc, pc_at, &sf, sf_at, &settings);
        let u = update(&plan);
        assert_eq!(u.outcome.conflicts[0].winner, winner);
        assert_eq!(u.outcome.merged.deal_value, Money::from_f64(value));
    }
}

#[test]
fn a_later_change_on_a_related_record_counts_for_salesforce() {
    let settings = Settings::default();
    let base = agreed();
    let mut pc = base.clone();
    pc.customer.name = "Contoso (Microsoft)".into();
    let mut sf = base.clone();
    sf.customer.name = "Contoso (seller)".into();
    let mut view = view_of(&sf, EARLY, &settings);
    view.related_changed_at = Some(LATE.parse().unwrap());
    let snapshot = Snapshot::of(base);
    let at = "2026-05-01T10:30:00Z";
    let plan = decide(
        &candidate(Some(&snapshot), Some(referral_of(&pc, at)), Some(view)),
        &settings,
    );
    let u = update(&plan);
    assert_eq!(u.outcome.conflicts[0].winner, Side::Salesforce);
    assert_eq!(u.outcome.merged.customer.name, "Contoso (seller)");
}

#[test]
fn one_way_fields_flow_one_way_only() {
    let settings = Settings::default();
    let base = agreed();
    // Microsoft CRM id: Partner Center → Salesforce.
    let mut pc = base.clone();
    pc.microsoft_crm_id = Some("7-MSX".into());
    let u = run(&base, &pc, LATE, &base, EARLY, &settings);
    assert_eq!(
        update(&u).outcome.to_salesforce,
        vec![Field::MicrosoftCrmId]
    );
    let mut sf = base.clone();
    sf.microsoft_crm_id = Some("typed".into());
    let u = run(&base, &base, EARLY, &sf, LATE, &settings);
    assert_eq!(
        update(&u).outcome.to_salesforce,
        vec![Field::MicrosoftCrmId]
    );
    assert!(update(&u).outcome.to_partner_center.is_empty());
    // Partner sellers: Salesforce → Partner Center.
    let mut sf = base.clone();
    sf.team = vec![Contact {
        last_name: "Seller".into(),
        ..Contact::default()
    }];
    let u = run(&base, &base, EARLY, &sf, LATE, &settings);
    assert_eq!(update(&u).outcome.to_partner_center, vec![Field::Team]);
}

#[test]
fn visibility_goes_from_false_to_true_only_from_either_side() {
    let settings = Settings::default();
    let mut base = agreed();
    base.help = None;
    base.visible_to_microsoft = false;
    for pc_side in [true, false] {
        let mut on = base.clone();
        on.visible_to_microsoft = true;
        let (pc, sf) = if pc_side {
            (on, base.clone())
        } else {
            (base.clone(), on)
        };
        let plan = run(&base, &pc, LATE, &sf, EARLY, &settings);
        let o = &update(&plan).outcome;
        assert!(o.merged.visible_to_microsoft);
        let to = if pc_side {
            &o.to_salesforce
        } else {
            &o.to_partner_center
        };
        assert_eq!(to, &vec![Field::Visibility]);
    }
    let mut visible = base.clone();
    visible.visible_to_microsoft = true;
    for pc_side in [true, false] {
        let (pc, sf) = if pc_side {
            (base.clone(), visible.clone())
        } else {
            (visible.clone(), base.clone())
        };
        let plan = run(&visible, &pc, LATE, &sf, EARLY, &settings);
        let o = &update(&plan).outcome;
        assert!(o.merged.visible_to_microsoft, "revoking is refused");
        assert_eq!(o.refusals.len(), 1);
        assert!(!plan.audit.as_ref().unwrap().ok(), "the refusal shows ✖");
    }
}

#[test]
fn a_help_option_ticks_the_visibility_checkbox_and_clearing_it_is_no_revocation() {
    let settings = Settings::default();
    let base = agreed();
    let mut view = view_of(&base, EARLY, &settings);
    view.record.set(&settings.fields.visibility, false);
    let snapshot = Snapshot::of(base.clone());
    let plan = decide(
        &candidate(Some(&snapshot), Some(referral_of(&base, EARLY)), Some(view)),
        &settings,
    );
    assert!(
        plan.tick_visibility,
        "Salesforce shows what Partner Center has"
    );
    let mut sf = base.clone();
    sf.help = None;
    let plan = run(&base, &base, EARLY, &sf, LATE, &settings);
    assert!(update(&plan).outcome.refusals.is_empty());
}

/// Lifecycle, Partner Center → Salesforce.
#[test]
fn lifecycle_partner_center_to_salesforce() {
    let settings = Settings::default();
    let mut pending = agreed();
    pending.lifecycle = Lifecycle::Pending;
    let created = decide(
        &candidate(None, Some(referral_of(&pending, EARLY)), None),
        &settings,
    );
    assert!(
        matches!(&created.decision, Decision::CreateOpportunity { deal } if deal.lifecycle == Lifecycle::Pending),
        "New/Pending arrives on hold"
    );
    for (from, to, stage) in [
        (Lifecycle::Pending, Lifecycle::Active, Lifecycle::Active),
        (Lifecycle::Active, Lifecycle::Won, Lifecycle::Won),
        (Lifecycle::Active, Lifecycle::Lost, Lifecycle::Lost),
        (Lifecycle::Active, Lifecycle::Declined, Lifecycle::Declined),
        (Lifecycle::Active, Lifecycle::Expired, Lifecycle::Expired),
    ] {
        let mut base = agreed();
        base.lifecycle = from;
        let mut pc = base.clone();
        pc.lifecycle = to;
        let plan = run(&base, &pc, LATE, &base, EARLY, &settings);
        let l = &update(&plan).outcome.lifecycle;
        assert_eq!(l.to_salesforce, Some(stage), "{from:?} → {to:?}");
        assert_eq!(l.to_partner_center, None);
    }
}

/// Lifecycle, Salesforce → Partner Center.
#[test]
fn lifecycle_salesforce_to_partner_center() {
    let settings = Settings::default();
    for (referral, opportunity, pushed) in [
        (Lifecycle::Pending, Lifecycle::Pending, None),
        (
            Lifecycle::Pending,
            Lifecycle::Active,
            Some(Lifecycle::Active),
        ),
        (Lifecycle::Active, Lifecycle::Won, Some(Lifecycle::Won)),
        (
            Lifecycle::Pending,
            Lifecycle::Lost,
            Some(Lifecycle::Declined),
        ),
        (Lifecycle::Active, Lifecycle::Lost, Some(Lifecycle::Lost)),
    ] {
        let mut base = agreed();
        base.lifecycle = referral;
        let mut sf = base.clone();
        sf.lifecycle = opportunity;
        let plan = run(&base, &base, EARLY, &sf, LATE, &settings);
        let l = &update(&plan).outcome.lifecycle;
        assert_eq!(l.to_partner_center, pushed, "{referral:?}/{opportunity:?}");
    }
}

#[test]
fn on_hold_nothing_is_pushed_and_partner_center_edits_still_arrive() {
    let settings = Settings::default();
    let mut base = agreed();
    base.lifecycle = Lifecycle::Pending;
    let mut sf = base.clone();
    sf.deal_value = Money::from_f64(99.0);
    sf.team = vec![Contact {
        last_name: "Seller".into(),
        ..Contact::default()
    }];
    let mut pc = base.clone();
    pc.notes = Some("from Microsoft".into());
    let plan = run(&base, &pc, LATE, &sf, EARLY, &settings);
    let o = &update(&plan).outcome;
    assert!(o.to_partner_center.is_empty(), "{:?}", o.to_partner_center);
    assert!(o.held.contains(&Field::DealValue) && o.held.contains(&Field::Team));
    assert_eq!(o.to_salesforce, vec![Field::Notes]);
    let kept = &plan.snapshot.as_ref().unwrap().deal;
    assert_eq!(kept.deal_value, base.deal_value, "held edits stay out");
    assert!(kept.team.is_empty());
}

#[test]
fn a_closed_referral_is_terminal() {
    let settings = Settings::default();
    let mut base = agreed();
    base.lifecycle = Lifecycle::Won;
    let mut sf = base.clone();
    sf.deal_value = Money::from_f64(5.0);
    let plan = run(&base, &base, EARLY, &sf, LATE, &settings);
    let u = update(&plan);
    assert!(u.outcome.to_partner_center.is_empty());
    assert!(u.held_reason.as_deref().unwrap().contains("closed"));
    let mut reopened = base.clone();
    reopened.lifecycle = Lifecycle::Active;
    let plan = run(&base, &base, EARLY, &reopened, LATE, &settings);
    let l = &update(&plan).outcome.lifecycle;
    assert_eq!((l.to_partner_center, l.to_salesforce), (None, None));
    assert!(l.note.is_some(), "reopening is reported, not forced");
}

#[test]
fn leads_stay_out_with_co_sell_only_and_come_in_without() {
    let mut deal = agreed();
    deal.lifecycle = Lifecycle::Pending;
    let mut lead = serde_json::to_value(referral_of(&deal, EARLY)).unwrap();
    lead["type"] = json!("Independent");
    lead["qualification"] = json!("MarketingQualified");
    lead["inviteContext"]["invitedBy"] = json!({ "organizationId": "msft" });
    let lead: Referral = serde_json::from_value(lead).unwrap();
    let mut shared = serde_json::to_value(&lead).unwrap();
    shared["type"] = json!("Shared");
    let shared: Referral = serde_json::from_value(shared).unwrap();
    for (referral, co_sell_only, created) in [
        (&lead, true, false),
        (&lead, false, true),
        (&shared, true, true),
    ] {
        let settings = Settings {
            co_sell_only,
            ..Settings::default()
        };
        let plan = decide(&candidate(None, Some(referral.clone()), None), &settings);
        assert_eq!(
            matches!(plan.decision, Decision::CreateOpportunity { .. }),
            created,
            "co_sell_only = {co_sell_only}: {}",
            plan.describe()
        );
    }
}

#[test]
fn show_checkmark_decides_the_mark_and_keeps_a_sellers_own() {
    let on = Settings::default();
    let off = Settings {
        show_checkmark: false,
        ..Settings::default()
    };
    let base = agreed();
    let mut pc = base.clone();
    pc.name = "New name".into();
    assert_eq!(
        run(&base, &pc, LATE, &base, EARLY, &on).name.as_deref(),
        Some("✔ New name")
    );
    assert_eq!(
        run(&base, &pc, LATE, &base, EARLY, &off).name.as_deref(),
        Some("New name")
    );
    let mut own = base.clone();
    own.name = "✔ Checked by the seller".into();
    let plan = run(&own, &own, EARLY, &own, EARLY, &off);
    assert!(plan.is_noop(), "{}", plan.describe());
}

#[test]
fn configured_deal_value_and_currency_fields_carry_the_deal() {
    let settings = Settings {
        deal_value_field: "Deal_Value__c".into(),
        currency_field: "Deal_Currency__c".into(),
        ..Settings::default()
    };
    let base = agreed();
    let mut sf = base.clone();
    sf.deal_value = Money::from_f64(7.0);
    let plan = run(&base, &base, EARLY, &sf, LATE, &settings);
    assert_eq!(
        update(&plan).outcome.to_partner_center,
        vec![Field::DealValue]
    );
}

#[test]
fn a_name_cut_to_fit_its_mark_is_not_a_rename() {
    let settings = Settings::default();
    let mut base = agreed();
    base.name = "N".repeat(120);
    let view = view_of(&base, EARLY, &settings);
    assert_eq!(view.raw_name().chars().count(), 120, "name and mark fit");
    let plan = run(&base, &base, EARLY, &base, LATE, &settings);
    assert!(plan.is_noop(), "{}", plan.describe());
}

#[test]
fn an_invented_close_date_never_flows_back() {
    let settings = Settings::default();
    let mut base = agreed();
    base.close_date = None;
    let made_up = NaiveDate::from_ymd_opt(2026, 8, 1);
    let snapshot = Snapshot {
        invented_close_date: made_up,
        ..Snapshot::of(base.clone())
    };
    let mut sf = base.clone();
    sf.close_date = made_up;
    sf.lifecycle = Lifecycle::Active;
    let plan = decide(
        &candidate(
            Some(&snapshot),
            Some(referral_of(&base, EARLY)),
            Some(view_of(&sf, LATE, &settings)),
        ),
        &settings,
    );
    assert!(update(&plan).outcome.to_partner_center.is_empty());
    assert_eq!(plan.snapshot.unwrap().invented_close_date, made_up);
    let mut pending = agreed();
    pending.close_date = None;
    let plan = decide(
        &candidate(None, Some(referral_of(&pending, EARLY)), None),
        &settings,
    );
    assert!(plan.invent_close_date);
}

#[test]
fn a_blocked_edit_stays_an_edit_until_the_problem_is_fixed() {
    let settings = Settings::default();
    let base = agreed();
    let mut sf = base.clone();
    sf.customer.country = Some("USA".into());
    sf.deal_value = Money::from_f64(4242.0);
    let plan = run(&base, &base, EARLY, &sf, LATE, &settings);
    let u = update(&plan);
    assert_eq!(u.outcome.to_partner_center, vec![Field::DealValue]);
    assert_eq!(u.problems[0].code, "bad_country");
    let kept = &plan.snapshot.as_ref().unwrap().deal;
    assert_eq!(kept.customer.country.as_deref(), Some("US"));
    assert!(!plan.audit.as_ref().unwrap().ok());
}

#[test]
fn an_already_written_audit_line_is_not_written_again() {
    let settings = Settings::default();
    let mut deal = agreed();
    deal.customer.country = None;
    let mut view = view_of(&deal, EARLY, &settings);
    view.record.set(&settings.fields.referral_id, Value::Null);
    let c = candidate(None, None, Some(view.clone()));
    let first = decide(&c, &settings);
    let line = first.audit.clone().expect("the problem is reported");
    view.record.set(
        &settings.fields.audit,
        format!("2026-05-01 09:00 UTC | {}", line.render("")),
    );
    view.record.set("Name", first.name.clone().unwrap());
    let again = decide(&candidate(None, None, Some(view)), &settings);
    assert!(again.audit.is_none() && again.name.is_none());
    assert!(again.is_noop(), "{}", again.describe());
}

#[test]
fn a_permanent_failure_waits_until_the_data_changes() {
    let settings = Settings::default();
    let base = agreed();
    let mut sf = base.clone();
    sf.deal_value = Money::from_f64(1.0);
    let c = |sf: &Deal, failed: Option<String>| {
        let snapshot = Snapshot {
            failed_inputs: failed,
            ..Snapshot::of(base.clone())
        };
        let mut c = candidate(
            Some(&snapshot),
            Some(referral_of(&base, EARLY)),
            Some(view_of(sf, LATE, &settings)),
        );
        c.pair.as_mut().unwrap().state = PairState::Failed;
        c
    };
    let first = decide(&c(&sf, None), &settings);
    let waiting = decide(&c(&sf, Some(first.inputs.clone())), &settings);
    assert!(matches!(waiting.decision, Decision::Waiting(_)));
    assert!(waiting.is_noop());
    let mut fixed = sf.clone();
    fixed.deal_value = Money::from_f64(2.0);
    let retried = decide(&c(&fixed, Some(first.inputs)), &settings);
    assert!(matches!(retried.decision, Decision::Update(_)));
}

#[test]
fn a_single_currency_org_never_clears_partner_centers_currency() {
    let settings = Settings {
        currency_field: String::new(),
        ..Settings::default()
    };
    let base = agreed();
    let mut sf = base.clone();
    sf.currency = None;
    sf.deal_value = Money::from_f64(3000.0);
    let plan = run(&base, &base, EARLY, &sf, LATE, &settings);
    assert_eq!(
        update(&plan).outcome.to_partner_center,
        vec![Field::DealValue]
    );
}

#[test]
fn a_sellers_amount_in_a_single_currency_org_is_in_the_orgs_currency() {
    let settings = Settings {
        currency_field: String::new(),
        org_currency: Some("USD".into()),
        ..Settings::default()
    };
    let mut base = agreed();
    base.currency = Some("EUR".into());
    // As cosell wrote it: the EUR amount could not be held, so none.
    let mut sf = base.clone();
    sf.deal_value = None;
    sf.currency = None;
    let plan = run(&base, &base, EARLY, &sf, LATE, &settings);
    assert!(update(&plan).outcome.to_partner_center.is_empty());
    // The seller typed the converted amount: it goes out in USD.
    sf.deal_value = Money::from_f64(980.0);
    sf.currency = Some("USD".into());
    let plan = run(&base, &base, EARLY, &sf, LATE, &settings);
    let outcome = &update(&plan).outcome;
    assert_eq!(
        outcome.to_partner_center,
        vec![Field::DealValue, Field::Currency]
    );
    assert_eq!(outcome.merged.currency.as_deref(), Some("USD"));
}

#[test]
fn a_foreign_amount_from_partner_center_is_left_out_of_a_single_currency_org() {
    let settings = Settings {
        currency_field: String::new(),
        org_currency: Some("USD".into()),
        ..Settings::default()
    };
    let base = agreed();
    let mut pc = base.clone();
    pc.currency = Some("EUR".into());
    pc.deal_value = Money::from_f64(900.0);
    let sf = base.clone();
    let plan = run(&base, &pc, LATE, &sf, EARLY, &settings);
    assert!(
        plan.left_out
            .iter()
            .any(|l| l.contains("EUR") && l.contains("USD")),
        "{:?}",
        plan.left_out
    );
}

/// The partner's own referral of a co-sell engagement.
fn own_shared(deal: &Deal) -> Referral {
    let mut referral = referral_of(deal, EARLY);
    referral.direction = Some(partner_center::wire::Direction::Outgoing);
    referral.engagement_id = Some("e-1".into());
    referral
}

/// The referral addressed to Microsoft in the same engagement, in `state`
/// (a merge patch of status, substatus, trackingInfo, team, statusReason).
fn microsofts(state: Value) -> Referral {
    let mut value = json!({
        "id": "r-ms", "engagementId": "e-1", "direction": "Outgoing", "type": "Shared",
        "target": [{ "type": "BusinessProfileLocation", "id": "msft" }],
        "status": "New", "substatus": "Pending"
    });
    for (k, v) in state.as_object().unwrap() {
        value[k] = v.clone();
    }
    serde_json::from_value(value).unwrap()
}

/// A synced co-sell pair whose engagement holds `related`, last seen with
/// Microsoft's `seen` answer.
fn engaged(related: Option<Vec<Referral>>, seen: Option<MicrosoftAnswer>) -> Plan {
    let settings = Settings::default();
    let deal = agreed();
    let snapshot = Snapshot {
        microsoft: seen,
        ..Snapshot::of(deal.clone())
    };
    let mut candidate = candidate(
        Some(&snapshot),
        Some(own_shared(&deal)),
        Some(view_of(&deal, EARLY, &settings)),
    );
    candidate.related = related;
    decide(&candidate, &settings)
}

#[test]
fn co_sell_a_deal_asking_for_help_engages_microsoft_when_created() {
    let settings = Settings::default();
    let mut view = view_of(&agreed(), EARLY, &settings);
    view.record.remove(&settings.fields.referral_id);
    let co_sell = decide(&candidate(None, None, Some(view.clone())), &settings);
    assert!(matches!(co_sell.decision, Decision::CreateReferral { .. }));
    assert!(co_sell.engage_microsoft);
    assert!(co_sell.describe().contains("ask Microsoft to co-sell"));
    let mut private = agreed();
    private.help = None;
    private.visible_to_microsoft = false;
    let mut view = view_of(&private, EARLY, &settings);
    view.record.remove(&settings.fields.referral_id);
    let plan = decide(&candidate(None, None, Some(view)), &settings);
    assert!(matches!(plan.decision, Decision::CreateReferral { .. }));
    assert!(!plan.engage_microsoft);
}

#[test]
fn co_sell_an_engagement_without_microsofts_referral_asks_again() {
    // Read, and Microsoft's referral is missing (a pass stopped between the
    // two creates): ask.
    assert!(engaged(Some(vec![]), None).engage_microsoft);
    // Not read: nothing is concluded.
    assert!(!engaged(None, None).engage_microsoft);
    // A pass linking a pair nobody recorded yet leaves it to the creator.
    let settings = Settings::default();
    let mut linking = candidate(
        None,
        Some(own_shared(&agreed())),
        Some(view_of(&agreed(), EARLY, &settings)),
    );
    linking.related = Some(vec![]);
    assert!(!decide(&linking, &settings).engage_microsoft);
    // Nor does one over a pair the creating pass linked but did not finish.
    let mut just_linked = Pair::new("Contoso migration");
    just_linked.referral_id = Some(REF.into());
    just_linked.opportunity_id = Some(OPP.into());
    linking.pair = Some(just_linked);
    assert!(!decide(&linking, &settings).engage_microsoft);
    // Already asked.
    assert!(
        !engaged(
            Some(vec![microsofts(json!({}))]),
            Some(MicrosoftAnswer::Asked)
        )
        .engage_microsoft
    );
}

#[test]
fn co_sell_microsofts_acceptance_reaches_the_opportunity_once() {
    let accepted = microsofts(json!({
        "status": "Active", "substatus": "Accepted",
        "trackingInfo": { "microsoftMsxId": "7-3K9QZ1" },
        "team": [{ "firstName": "Mia", "lastName": "Lind", "email": "mia@microsoft.example" }]
    }));
    let plan = engaged(Some(vec![accepted.clone()]), Some(MicrosoftAnswer::Asked));
    let u = update(&plan);
    assert!(u.outcome.to_salesforce.contains(&Field::MicrosoftCrmId));
    assert_eq!(
        u.outcome.merged.microsoft_crm_id.as_deref(),
        Some("7-3K9QZ1")
    );
    assert_eq!(u.outcome.lifecycle.to_salesforce, None);
    let line = plan.audit.as_ref().unwrap().render(REF);
    assert!(
        line.starts_with("✔ Microsoft accepted the co-sell request (Microsoft CRM id 7-3K9QZ1, Microsoft seller Mia Lind <mia@microsoft.example>)"),
        "{line}"
    );
    let seen = plan.snapshot.as_ref().unwrap().microsoft.clone();
    assert_eq!(seen, Some(MicrosoftAnswer::of(&accepted)));
    // The next pass has seen it: nothing new to say.
    let mut synced = agreed();
    synced.microsoft_crm_id = Some("7-3K9QZ1".into());
    let settings = Settings::default();
    let snapshot = Snapshot {
        microsoft: seen,
        ..Snapshot::of(synced.clone())
    };
    let mut candidate = candidate(
        Some(&snapshot),
        Some(own_shared(&agreed())),
        Some(view_of(&synced, EARLY, &settings)),
    );
    candidate.related = Some(vec![accepted]);
    let again = decide(&candidate, &settings);
    assert!(again.audit.is_none(), "{:?}", again.audit);
    assert!(again.is_noop(), "{}", again.describe());
}

#[test]
fn co_sell_a_microsoft_decline_is_audited_and_the_deal_stays_open() {
    let declined = microsofts(json!({
        "status": "Closed", "substatus": "Declined",
        "statusReason": "Covered by another partner"
    }));
    let plan = engaged(Some(vec![declined]), Some(MicrosoftAnswer::Asked));
    let u = update(&plan);
    assert_eq!(u.outcome.lifecycle.to_salesforce, None);
    assert_eq!(u.outcome.lifecycle.to_partner_center, None);
    assert_eq!(
        plan.audit.as_ref().unwrap().render(REF),
        "✔ Microsoft declined the co-sell request: Covered by another partner; the deal stays open with you"
    );
    assert!(!plan.engage_microsoft);
}

#[test]
fn co_sell_microsofts_own_referral_never_becomes_an_opportunity() {
    let settings = Settings::default();
    let plan = decide(
        &candidate(None, Some(microsofts(json!({}))), None),
        &settings,
    );
    assert!(
        matches!(plan.decision, Decision::Skip(_)),
        "{}",
        plan.describe()
    );
}
