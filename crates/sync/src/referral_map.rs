//! Referral ⇄ deal: reading a Partner Center referral as a [`Deal`], building
//! a new referral from a deal, and the JSON Patch that brings a referral in
//! line with a merged deal.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use partner_center::wire::{
    AdditionalRequirements, AssistanceRequestCode, Attribute, Consent, CustomerProfile, Direction,
    InviteContext, Member, PatchOperation, Referral, ReferralDetails, ReferralQualification,
    ReferralStatus, ReferralSubstatus, ReferralType, Requirements, SolutionTag, Target, Timestamp,
};
use partner_center::Taxonomy;
use serde_json::{json, Value};

use crate::deal::{Contact, Customer, Deal, HelpOption, Lifecycle, Money};
use crate::merge::Field;
use crate::settings::{FieldMapping, MappingDirection, Settings};

/// Microsoft's organisation id in `inviteContext.invitedBy`.
const MICROSOFT_ORG: &str = "msft";

/// Reads a referral as a deal, `[[mapping]]` fields included.
pub fn read(referral: &Referral, settings: &Settings) -> Deal {
    let mut deal = to_deal(referral);
    if !settings.mappings.is_empty() {
        let json = to_value(referral);
        deal.mapped = settings
            .mappings
            .iter()
            .map(|m| {
                (
                    m.salesforce_field.clone(),
                    json.pointer(&m.referral_path)
                        .cloned()
                        .unwrap_or(Value::Null),
                )
            })
            .collect();
    }
    deal
}

/// Reads a referral as a deal (built-in fields only).
pub fn to_deal(referral: &Referral) -> Deal {
    let profile = referral.customer_profile.clone().unwrap_or_default();
    let address = profile.address.clone().unwrap_or_default();
    let details = referral.details.clone().unwrap_or_default();
    let requirements = details.requirements.clone().unwrap_or_default();
    let help = referral
        .invite_context
        .as_ref()
        .and_then(|c| c.assistance_request_code.as_ref())
        .and_then(|code| HelpOption::from_code(code.as_str()));
    let shared = referral
        .consent
        .as_ref()
        .and_then(|c| c.consent_to_share_referral_with_microsoft_sellers)
        .unwrap_or(false);
    Deal {
        name: referral.name.clone().unwrap_or_default().trim().to_owned(),
        customer: Customer {
            name: profile.name.clone().unwrap_or_default(),
            street: non_empty(address.address_line1.clone()),
            city: non_empty(address.city.clone()),
            state: non_empty(address.state.clone()),
            postal_code: non_empty(address.postal_code.clone()),
            country: non_empty(address.country.clone()).map(|c| c.to_uppercase()),
        },
        contacts: profile
            .team
            .unwrap_or_default()
            .iter()
            .map(member_to_contact)
            .collect(),
        deal_value: details.deal_value.and_then(Money::from_f64),
        currency: non_empty(details.currency.clone()).map(|c| c.to_uppercase()),
        close_date: details
            .closing_date_time
            .as_ref()
            .and_then(Timestamp::to_utc)
            .map(|t| t.date_naive()),
        notes: non_empty(details.notes.clone()),
        help,
        visible_to_microsoft: shared,
        solutions: requirements
            .solutions
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.id)
            .collect(),
        lifecycle: lifecycle(referral),
        microsoft_crm_id: referral
            .tracking_info
            .as_ref()
            .and_then(|t| non_empty(t.microsoft_msx_id.clone())),
        team: referral
            .team
            .clone()
            .unwrap_or_default()
            .iter()
            .map(member_to_contact)
            .collect(),
        mapped: Default::default(),
        // Salesforce's to fill; Partner Center takes them on creation only.
        fy26: Default::default(),
    }
}

/// The referral's lifecycle from its status and substatus.
pub fn lifecycle(referral: &Referral) -> Lifecycle {
    match (&referral.status, &referral.substatus) {
        (Some(ReferralStatus::Active), _) => Lifecycle::Active,
        (Some(ReferralStatus::Closed), Some(ReferralSubstatus::Won)) => Lifecycle::Won,
        (Some(ReferralStatus::Closed), Some(ReferralSubstatus::Declined)) => Lifecycle::Declined,
        (Some(ReferralStatus::Closed), Some(ReferralSubstatus::Expired)) => Lifecycle::Expired,
        (Some(ReferralStatus::Closed), _) => Lifecycle::Lost,
        _ => Lifecycle::Pending,
    }
}

/// A lead (not co-sell) after the Referrals API's own classification: an
/// `Independent` referral invited by Microsoft or nobody, qualified `Direct`,
/// `MarketingQualified` or `SalesQualified`. `co_sell_only` keeps leads out.
pub fn is_lead(referral: &Referral, partner_org_id: Option<&str>) -> bool {
    let independent = matches!(referral.referral_type, Some(ReferralType::Independent));
    let invited_by = referral
        .invite_context
        .as_ref()
        .and_then(|c| c.invited_by.as_ref())
        .and_then(|b| b.organization_id.as_deref());
    let own = invited_by.is_some() && invited_by == partner_org_id;
    let from_microsoft_or_nobody = matches!(invited_by, None | Some(MICROSOFT_ORG));
    let lead_qualification = matches!(
        referral.qualification,
        Some(
            ReferralQualification::Direct
                | ReferralQualification::MarketingQualified
                | ReferralQualification::SalesQualified
        )
    );
    independent && from_microsoft_or_nobody && !own && lead_qualification
}

/// A new outgoing referral for a deal; `opportunity_id` becomes its external
/// reference, which makes creation idempotent.
/// A deal that asks Microsoft for help is `Shared`, the type that opens an
/// engagement Microsoft can join ("Create a referral", "Creating a shared
/// referral", see [`crate::engagement`]); any other deal is `Independent`.
pub fn new_referral(deal: &Deal, opportunity_id: &str, mappings: &[FieldMapping]) -> Referral {
    let shared = deal.visible_to_microsoft || deal.help.is_some();
    let referral = Referral {
        name: Some(deal.name.clone()),
        external_reference_id: Some(opportunity_id.to_owned()),
        referral_type: Some(if deal.help.is_some() {
            ReferralType::Shared
        } else {
            ReferralType::Independent
        }),
        qualification: Some(ReferralQualification::SalesQualified),
        status: Some(ReferralStatus::New),
        substatus: Some(ReferralSubstatus::Pending),
        customer_profile: Some(customer_profile(deal)),
        consent: Some(Consent {
            consent_to_share_info_with_others: Some(shared),
            consent_to_contact: Some(true),
            consent_to_share_referral_with_microsoft_sellers: Some(shared),
            consent_to_microsoft_to_contact_specific_partners: Some(shared),
            ..Consent::default()
        }),
        details: Some(ReferralDetails {
            notes: deal.notes.clone(),
            deal_value: deal.deal_value.map(Money::as_f64),
            currency: deal.currency.clone(),
            closing_date_time: deal.close_date.map(closing_timestamp),
            requirements: Some(Requirements {
                solutions: Some(solution_tags(deal)),
                additional_requirements: marketplace_intent(deal),
                ..Requirements::default()
            }),
            ..ReferralDetails::default()
        }),
        invite_context: deal.help.map(|help| InviteContext {
            assistance_request_code: Some(AssistanceRequestCode::parse(help.code())),
            ..InviteContext::default()
        }),
        team: Some(deal.team.iter().map(contact_to_member).collect()),
        partner_role: deal.fy26.partner_role.clone().map(Value::String),
        solution_area: deal.fy26.solution_area.clone().map(Value::String),
        solution_play: deal.fy26.solution_play.clone().map(Value::String),
        ..Referral::default()
    };
    let outgoing: Vec<&FieldMapping> = mappings
        .iter()
        .filter(|m| m.direction != MappingDirection::PartnerCenterToSalesforce)
        .collect();
    if outgoing.is_empty() {
        return referral;
    }
    let mut json = to_value(&referral);
    for mapping in outgoing {
        if let Some(value) = deal
            .mapped
            .get(&mapping.salesforce_field)
            .filter(|v| !v.is_null())
        {
            set_pointer(&mut json, &mapping.referral_path, value.clone());
        }
    }
    serde_json::from_value(json).unwrap_or(referral)
}

/// Whether bringing `current` in line with `merged` turns it `Shared`: the
/// partner's own `Independent` referral whose deal now asks Microsoft for
/// help becomes the type that opens an engagement Microsoft can join
/// ("Create a referral", "Creating a shared referral",
/// <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>),
/// keeping its id, so the deal is never shared twice.
pub fn turns_shared(current: &Referral, merged: &Deal) -> bool {
    merged.help.is_some()
        && current.referral_type == Some(ReferralType::Independent)
        && current.direction == Some(Direction::Outgoing)
        && !current.is_for_microsoft()
}

/// The connected referral that asks Microsoft to co-sell: the deal's data in
/// the partner's engagement, addressed to Microsoft (`target`
/// BusinessProfileLocation `msft`). It carries no external reference (that
/// finds the partner's own referral) and no partner sellers.
pub fn for_microsoft(deal: &Deal, engagement_id: &str) -> Referral {
    Referral {
        engagement_id: Some(engagement_id.to_owned()),
        external_reference_id: None,
        referral_type: Some(ReferralType::Shared),
        target: Some(vec![Target::microsoft()]),
        team: None,
        ..new_referral(deal, "", &[])
    }
}

/// JSON Patch for mapped fields: `add` at each path, creating missing parent
/// objects in one `add` of the outermost missing one.
pub fn mapped_patch(
    current: &Referral,
    merged: &Deal,
    names: &[String],
    mappings: &[FieldMapping],
) -> Vec<PatchOperation> {
    let json = to_value(current);
    let mut ops = Vec::new();
    for mapping in mappings
        .iter()
        .filter(|m| names.contains(&m.salesforce_field))
    {
        let value = merged
            .mapped
            .get(&mapping.salesforce_field)
            .cloned()
            .unwrap_or(Value::Null);
        let segments: Vec<&str> = mapping.referral_path.split('/').skip(1).collect();
        let existing = (0..segments.len())
            .rev()
            .find(|&n| {
                n == 0
                    || json
                        .pointer(&format!("/{}", segments[..n].join("/")))
                        .is_some_and(Value::is_object)
            })
            .unwrap_or(0);
        let mut nested = value;
        for segment in segments[existing + 1..].iter().rev() {
            nested = json!({ unescape(segment): nested });
        }
        ops.push(PatchOperation::add(
            format!("/{}", segments[..=existing].join("/")),
            nested,
        ));
    }
    ops
}

/// Sets `value` at a JSON Pointer, creating objects on the way.
fn set_pointer(target: &mut Value, pointer: &str, value: Value) {
    let mut node = target;
    let segments: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    for (i, segment) in segments.iter().enumerate() {
        if !node.is_object() {
            *node = json!({});
        }
        let map = node.as_object_mut().expect("made an object above");
        if i + 1 == segments.len() {
            map.insert(segment.clone(), value);
            return;
        }
        node = map.entry(segment.clone()).or_insert_with(|| json!({}));
    }
}

/// Decodes a JSON Pointer segment (RFC 6901).
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// JSON Patch bringing `current` in line with `merged` for `fields`, plus a
/// status change when `lifecycle` is set. Object members are written with
/// `add` (which replaces an existing member), so a missing block is created.
pub fn patch(
    current: &Referral,
    merged: &Deal,
    fields: &[Field],
    lifecycle: Option<Lifecycle>,
) -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    let has_details = current.details.is_some();
    let has_profile = current.customer_profile.is_some();
    let has_consent = current.consent.is_some();
    let has_invite = current.invite_context.is_some();
    for field in fields {
        match field {
            Field::Name => ops.push(PatchOperation::replace("/name", merged.name.clone())),
            Field::Customer if has_profile => {
                ops.push(PatchOperation::add("/customerProfile/name", merged.customer.name.clone()));
                ops.push(PatchOperation::add("/customerProfile/address", address(&merged.customer)));
            }
            Field::Customer => ops.push(PatchOperation::add("/customerProfile", to_value(customer_profile(merged)))),
            Field::Contacts if has_profile => {
                ops.push(PatchOperation::add("/customerProfile/team", to_value(members(&merged.contacts))))
            }
            Field::Contacts => ops.push(PatchOperation::add("/customerProfile", to_value(customer_profile(merged)))),
            Field::DealValue | Field::Currency | Field::CloseDate | Field::Notes | Field::Solutions
                if !has_details =>
            {
                ops.push(PatchOperation::add("/details", details_value(merged)))
            }
            Field::DealValue => ops.push(PatchOperation::add(
                "/details/dealValue",
                merged.deal_value.map(|m| json!(m.as_f64())).unwrap_or(Value::Null),
            )),
            Field::Currency => ops.push(PatchOperation::add("/details/currency", opt(&merged.currency))),
            Field::CloseDate => ops.push(PatchOperation::add(
                "/details/closingDateTime",
                merged.close_date.map(|d| to_value(closing_timestamp(d))).unwrap_or(Value::Null),
            )),
            Field::Notes => ops.push(PatchOperation::add("/details/notes", opt(&merged.notes))),
            Field::Solutions => ops.push(solutions_op(current, merged)),
            Field::Help => {
                if turns_shared(current, merged) {
                    ops.push(PatchOperation::replace("/type", "Shared"));
                }
                let code = merged.help.map(HelpOption::code).unwrap_or("Unknown");
                if has_invite {
                    ops.push(PatchOperation::add("/inviteContext/assistanceRequestCode", code));
                } else {
                    ops.push(PatchOperation::add("/inviteContext", json!({ "assistanceRequestCode": code })));
                }
            }
            Field::Visibility if has_consent => ops.push(PatchOperation::add(
                "/consent/consentToShareReferralWithMicrosoftSellers",
                merged.visible_to_microsoft,
            )),
            Field::Visibility => ops.push(PatchOperation::add(
                "/consent",
                json!({ "consentToShareReferralWithMicrosoftSellers": merged.visible_to_microsoft }),
            )),
            Field::Team => ops.push(PatchOperation::add("/team", to_value(members(&merged.team)))),
            Field::MicrosoftCrmId => {}
        }
    }
    if let Some(next) = lifecycle {
        let (status, substatus) = next.referral_status();
        ops.push(PatchOperation::replace("/status", status));
        ops.push(PatchOperation::replace("/substatus", substatus));
    }
    ops
}

fn solutions_op(current: &Referral, merged: &Deal) -> PatchOperation {
    let has_requirements = current
        .details
        .as_ref()
        .is_some_and(|d| d.requirements.is_some());
    if has_requirements {
        PatchOperation::add(
            "/details/requirements/solutions",
            to_value(solution_tags(merged)),
        )
    } else {
        PatchOperation::add(
            "/details/requirements",
            json!({ "solutions": solution_tags(merged) }),
        )
    }
}

fn customer_profile(deal: &Deal) -> CustomerProfile {
    CustomerProfile {
        name: Some(deal.customer.name.clone()),
        address: serde_json::from_value(address(&deal.customer)).ok(),
        team: Some(members(&deal.contacts)),
        ..CustomerProfile::default()
    }
}

fn address(customer: &Customer) -> Value {
    json!({
        "addressLine1": customer.street,
        "city": customer.city,
        "state": customer.state,
        "postalCode": customer.postal_code,
        "country": customer.country,
    })
}

fn details_value(deal: &Deal) -> Value {
    json!({
        "notes": deal.notes,
        "dealValue": deal.deal_value.map(Money::as_f64),
        "currency": deal.currency,
        "closingDateTime": deal.close_date.map(closing_timestamp),
        "requirements": { "solutions": solution_tags(deal) },
    })
}

/// The customer's marketplace purchase intent as the create example carries
/// it: a `CustomerMarketplaceIntent` attribute
/// (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
fn marketplace_intent(deal: &Deal) -> Option<AdditionalRequirements> {
    let intent = &Taxonomy::current().marketplace_intent;
    let choice = intent.find(deal.fy26.marketplace_intent.as_deref()?)?;
    Some(AdditionalRequirements {
        attributes: Some(vec![Attribute {
            attribute_type: Some(intent.attribute_type.clone()),
            id: Some(choice.id.clone()),
            ..Attribute::default()
        }]),
        ..AdditionalRequirements::default()
    })
}

fn solution_tags(deal: &Deal) -> Vec<SolutionTag> {
    deal.solutions
        .iter()
        .map(|id| SolutionTag {
            id: Some(id.clone()),
            ..SolutionTag::default()
        })
        .collect()
}

fn members(contacts: &[Contact]) -> Vec<Member> {
    contacts.iter().map(contact_to_member).collect()
}

fn contact_to_member(contact: &Contact) -> Member {
    Member {
        first_name: contact.first_name.clone(),
        last_name: Some(contact.last_name.clone()),
        email: contact.email.clone(),
        phone_number: contact.phone.clone(),
        title: contact.title.clone(),
        ..Member::default()
    }
}

fn member_to_contact(member: &Member) -> Contact {
    Contact {
        first_name: non_empty(member.first_name.clone()),
        last_name: member.last_name.clone().unwrap_or_default(),
        email: non_empty(member.email.clone()),
        phone: non_empty(member.phone_number.clone()),
        title: non_empty(member.title.clone()),
    }
}

/// Close dates travel as midnight UTC of the day.
fn closing_timestamp(date: NaiveDate) -> Timestamp {
    Timestamp::from(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn opt(value: &Option<String>) -> Value {
    value.clone().map(Value::String).unwrap_or(Value::Null)
}

fn to_value<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming() -> Referral {
        serde_json::from_value(json!({
            "id": "r-1", "name": "Contoso migration", "status": "New", "substatus": "Pending",
            "type": "Shared", "qualification": "SalesQualified", "direction": "Incoming",
            "customerProfile": { "name": "Contoso", "address": { "country": "us", "city": "Redmond" },
                "team": [{ "firstName": "Sue", "lastName": "Smith", "email": "sue@contoso.example" }] },
            "consent": { "consentToShareReferralWithMicrosoftSellers": true },
            "details": { "dealValue": "25000", "currency": "usd", "closingDateTime": "2027-03-31T00:00:00Z",
                "notes": "Needs help", "requirements": { "solutions": [{ "id": "SOL-1" }] } },
            "inviteContext": { "assistanceRequestCode": "ProofOfConceptOrDemo",
                "invitedBy": { "organizationId": "msft" } },
            "trackingInfo": { "microsoftMsxId": "7-ABC" }
        }))
        .unwrap()
    }

    #[test]
    fn an_incoming_referral_reads_as_a_pending_co_sell_deal() {
        let deal = to_deal(&incoming());
        assert_eq!(deal.lifecycle, Lifecycle::Pending);
        assert_eq!(deal.customer.country.as_deref(), Some("US"));
        assert_eq!(deal.currency.as_deref(), Some("USD"));
        assert_eq!(deal.deal_value, Money::from_f64(25000.0));
        assert_eq!(deal.help, Some(HelpOption::ProofOfConceptOrDemo));
        assert_eq!(
            deal.contacts[0].email.as_deref(),
            Some("sue@contoso.example")
        );
        assert_eq!(deal.close_date, NaiveDate::from_ymd_opt(2027, 3, 31));
        assert_eq!(deal.microsoft_crm_id.as_deref(), Some("7-ABC"));
        assert!(deal.solutions.contains("SOL-1"));
    }

    #[test]
    fn a_new_referral_reads_back_as_the_same_deal() {
        let deal = to_deal(&incoming());
        let created = new_referral(&deal, "006000000000001AAA", &[]);
        let back = to_deal(&created);
        assert_eq!(back.solutions, deal.solutions);
        assert_eq!(back.contacts, deal.contacts);
        assert_eq!(back.customer, deal.customer);
        assert_eq!(
            created.external_reference_id.as_deref(),
            Some("006000000000001AAA")
        );
    }

    #[test]
    fn mapped_fields_are_read_written_and_patched_at_their_paths() {
        let mappings = vec![
            FieldMapping {
                referral_path: "/details/customerAction".into(),
                salesforce_field: "NextStep".into(),
                direction: MappingDirection::Both,
            },
            FieldMapping {
                referral_path: "/trackingInfo/migratedPSCDealId".into(),
                salesforce_field: "Legacy_Id__c".into(),
                direction: MappingDirection::Both,
            },
        ];
        let settings = Settings {
            mappings: mappings.clone(),
            ..Settings::default()
        };
        let mut referral = incoming();
        referral.details.as_mut().unwrap().customer_action = Some("Call back".into());
        let deal = read(&referral, &settings);
        assert_eq!(deal.mapped["NextStep"], json!("Call back"));
        assert_eq!(deal.mapped["Legacy_Id__c"], Value::Null);

        let created = to_value(new_referral(&deal, "006000000000001AAA", &mappings));
        assert_eq!(
            created.pointer("/details/customerAction"),
            Some(&json!("Call back"))
        );

        let mut merged = deal.clone();
        merged.mapped.insert("Legacy_Id__c".into(), json!("PSC-9"));
        let mut bare = referral.clone();
        bare.tracking_info = None;
        let names = vec!["NextStep".to_owned(), "Legacy_Id__c".to_owned()];
        let ops = serde_json::to_value(mapped_patch(&bare, &merged, &names, &mappings)).unwrap();
        assert_eq!(
            ops,
            json!([
                { "op": "add", "path": "/details/customerAction", "value": "Call back" },
                { "op": "add", "path": "/trackingInfo", "value": { "migratedPSCDealId": "PSC-9" } }
            ])
        );
    }

    #[test]
    fn leads_are_told_apart_from_co_sell() {
        let mut referral = incoming();
        assert!(
            !is_lead(&referral, Some("partner-org")),
            "a shared referral is co-sell"
        );
        referral.referral_type = Some(ReferralType::Independent);
        assert!(is_lead(&referral, Some("partner-org")));
        referral
            .invite_context
            .as_mut()
            .unwrap()
            .invited_by
            .as_mut()
            .unwrap()
            .organization_id = Some("partner-org".into());
        assert!(
            !is_lead(&referral, Some("partner-org")),
            "our own referral is never a lead"
        );
    }

    #[test]
    fn the_patch_covers_changed_fields_and_status() {
        let referral = incoming();
        let mut merged = to_deal(&referral);
        merged.deal_value = Money::from_f64(30000.0);
        let ops = patch(
            &referral,
            &merged,
            &[Field::DealValue],
            Some(Lifecycle::Active),
        );
        let ops = serde_json::to_value(ops).unwrap();
        assert_eq!(
            ops,
            json!([
                { "op": "add", "path": "/details/dealValue", "value": 30000.0 },
                { "op": "replace", "path": "/status", "value": "Active" },
                { "op": "replace", "path": "/substatus", "value": "Accepted" }
            ])
        );
    }
}
