//! Serde types of the Partner Center Referrals and Webhooks wire formats.
//!
//! Referral JSON is camelCase; webhook events and registrations are PascalCase;
//! validation events are camelCase (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>, <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>). All fields are
//! optional, unknown members are kept in `extra`, and enums keep unknown values,
//! so nothing the service sends is ever rejected or lost on a round trip.

mod enums;
mod page;
mod patch;
mod referral;
mod scalars;
pub mod webhook;

pub use enums::{
    AssistanceRequestCode, ContractTerm, Direction, PricingModel, PrimaryDeploymentOn, ProfileType,
    ReferralQualification, ReferralStatus, ReferralSubstatus, ReferralType, SolutionTagType,
    TargetType, WebhookEventName,
};
pub use page::{Listing, RawReferralPage, ReferralPage, Undecodable};
pub use patch::{json_pointer, PatchOperation};
pub use referral::{
    AdditionalRequirements, Address, Attribute, Consent, ContactPreference, CustomerProfile,
    CustomerProfileId, DealRegistration, InviteContext, InvitedBy, IotRequirements, Link,
    MarketplaceTransactionDetails, Member, Referral, ReferralDetails, ReferralLinks,
    RegistrationContract, RegistrationSolutionDetail, RegistrationStatusHistory, Requirements,
    SolutionTag, Tag, Target, TrackingInfo,
};
pub(crate) use scalars::odata_datetime;
pub use scalars::{lenient_number, Timestamp};
pub use webhook::{
    Registration as WebhookRegistration, ValidationEvent, ValidationEventRequest, ValidationResult,
    WebhookEvent,
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A referral shaped like the captured wire sample, with members and enum
    /// values this crate does not know sprinkled at several depths.
    fn sample() -> Value {
        json!({
            "@odata.context": "https://api.partner.microsoft.com/v1.0/$metadata#Referrals/$entity",
            "id": "c5fbb3b6-0000-0000-0000-000000000001",
            "engagementId": "1352e03d-0000-0000-0000-000000000002",
            "name": "Contoso deal",
            "organizationId": "org", "organizationName": "Fabrikam", "mpnId": "4863040",
            "externalReferenceId": null,
            "createdDateTime": "2022-02-28T17:27:47.8754901Z",
            "updatedDateTime": "2022-02-28T17:27:48.1234567Z",
            "status": "New", "substatus": "UnderReview", "qualification": "SalesQualified",
            "type": "Shared", "direction": "Incoming", "salesStage": "100",
            "quality": "Unknown", "isSpam": false, "favorite": false, "dealSensitivity": "None",
            "tags": [], "registrationStatus": "ReviewPending",
            "target": [{"type": "BusinessProfileLocation", "id": "msft"}, {"type": "Galaxy", "id": "x"}],
            "customerProfile": {
                "name": "Contoso", "size": "", "isMatchingComplete": true,
                "address": {"addressLine1": "1 Way", "city": "Redmond", "country": "US", "geo": {"lat": 1}},
                "team": [{"firstName": "Sue", "email": "sue@contoso.example",
                          "contactPreference": {"locale": "en-us", "disableNotifications": null, "channel": "sms"}}],
                "ids": [{"profileType": "Duns", "id": "123"}, {"profileType": "LinkedIn", "id": "9"}]
            },
            "consent": {"consentToToShareInfoWithOthers": true, "consentToContact": true,
                        "consentToShareReferralWithMicrosoftSellers": false,
                        "consentToMicrosoftToContactSpecificPartners": true, "consentToAi": true},
            "details": {
                "notes": "n", "dealValue": 50000, "currency": "USD",
                "closingDateTime": "2024-11-14T00:00:00Z",
                "requirements": {
                    "solutions": [{"type": "Name", "id": "SOL-15974-MQF", "solutionType": "3P", "rank": 1}],
                    "products": [{"id": "Azure"}],
                    "additionalRequirements": {"iot": {}, "attributes": [{"type": "CustomerMarketplaceIntent", "id": "HaveNotDecided"}]}
                }
            },
            "team": [{"firstName": "John", "title": "AE"}],
            "inviteContext": {"notes": "help", "assistanceRequestCode": "SomethingNew",
                              "invitedBy": {"organizationId": "msft", "organizationName": "Microsoft"}},
            "links": {"relatedReferrals": {"uri": "https://api.partner.microsoft.com/v1.0/engagements/referrals?$filter=engagementId eq '1352e03d'", "method": "GET"},
                      "self": {"uri": "https://api.partner.microsoft.com/v1.0/engagements/referrals/c5fbb3b6", "method": "GET"}},
            "trackingInfo": {"microsoftMsxId": "7-ABC", "microsoftUSFedOpportunityId": null, "migratedPSCDealId": "d"},
            "registrations": [{"type": "AzureIPCoSell", "status": "ReviewPending",
                               "contract": {"term": "Finite", "value": 12000},
                               "solutionDetails": [{"id": "SOL-1", "pricingModel": "Other", "primaryDeploymentOn": "Moon"}]}],
            "eTag": "\"2500ec5a-0000-0000-0000-5bf4967d0000\"",
            "partnerRole": "ServicesPartner",
            "brandNewTopLevel": {"nested": [1, 2, 3]}
        })
    }

    #[test]
    fn unknown_members_and_enum_values_survive_a_round_trip() {
        let original = sample();
        let referral: Referral = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(
            referral.substatus,
            Some(ReferralSubstatus::Other("UnderReview".into()))
        );
        assert_eq!(
            referral.extra["brandNewTopLevel"],
            json!({"nested": [1, 2, 3]})
        );
        let profile = referral.customer_profile.as_ref().unwrap();
        assert_eq!(
            profile.address.as_ref().unwrap().extra["geo"],
            json!({"lat": 1})
        );
        assert_eq!(
            referral
                .consent
                .as_ref()
                .unwrap()
                .consent_to_share_info_with_others,
            Some(true)
        );

        let mut back = serde_json::to_value(&referral).unwrap();
        // Explicit nulls are the only thing allowed to differ: they are written as absent.
        let mut expected = original;
        strip_nulls(&mut expected);
        strip_nulls(&mut back);
        assert_eq!(back, expected);
    }

    #[test]
    fn get_modify_put_keeps_unknown_fields() {
        let mut referral: Referral = serde_json::from_value(sample()).unwrap();
        referral.details.as_mut().unwrap().notes = Some("changed".into());
        let put = serde_json::to_value(referral.without_links()).unwrap();
        assert_eq!(put["details"]["notes"], "changed");
        assert!(put.get("links").is_none());
        assert_eq!(put["brandNewTopLevel"]["nested"][2], 3);
        assert_eq!(put["details"]["requirements"]["solutions"][0]["rank"], 1);
        assert_eq!(
            put["inviteContext"]["assistanceRequestCode"],
            "SomethingNew"
        );
    }

    #[test]
    fn deal_value_accepts_number_and_string() {
        for (raw, want) in [
            (json!(10000), Some(10000.0)),
            (json!("10000"), Some(10000.0)),
            (json!("12.5"), Some(12.5)),
            (json!(""), None),
            (Value::Null, None),
        ] {
            let d: ReferralDetails = serde_json::from_value(json!({"dealValue": raw})).unwrap();
            assert_eq!(d.deal_value, want, "{raw}");
        }
        let d = ReferralDetails {
            deal_value: Some(10000.0),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(d).unwrap(),
            json!({"dealValue": 10000})
        );
        assert!(serde_json::from_value::<ReferralDetails>(json!({"dealValue": "lots"})).is_err());
    }

    #[test]
    fn partial_bodies_parse() {
        let r: Referral = serde_json::from_value(json!({"id": "x", "status": "Active"})).unwrap();
        assert_eq!(r.status, Some(ReferralStatus::Active));
        let empty: Referral = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty, Referral::default());
    }

    #[test]
    fn pascal_case_consent_key_is_accepted() {
        let c: Consent =
            serde_json::from_value(json!({"ConsentToToShareInfoWithOthers": false})).unwrap();
        assert_eq!(c.consent_to_share_info_with_others, Some(false));
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"consentToToShareInfoWithOthers": false})
        );
    }

    #[test]
    fn page_envelope_parses() {
        let page: ReferralPage = serde_json::from_value(json!({
            "@odata.context": "http://api.partner.microsoft.com/v1.0/$metadata#Referrals",
            "@odata.count": 1,
            "value": [{"id": "a"}],
            "@odata.nextLink": "http://api.partner.microsoft.com/v1.0/referrals?$skiptoken=k181"
        }))
        .unwrap();
        assert_eq!(page.count, Some(1));
        assert_eq!(page.value.len(), 1);
        assert_eq!(
            page.next_link.as_deref(),
            Some("http://api.partner.microsoft.com/v1.0/referrals?$skiptoken=k181")
        );
    }

    #[test]
    fn a_referral_that_does_not_decode_is_set_aside_and_its_page_still_reads() {
        let mut listing = Listing::default();
        listing.add_page(vec![
            json!({"id": "good-1", "updatedDateTime": "2025-05-01T00:00:00Z"}),
            json!({"id": "bad", "updatedDateTime": "2025-05-02T00:00:00Z",
                   "customerProfile": {"team": [null]}}),
            json!({"id": "good-2"}),
        ]);
        let ids: Vec<_> = listing.referrals.iter().map(|r| r.id.as_deref()).collect();
        assert_eq!(ids, [Some("good-1"), Some("good-2")]);
        assert_eq!(listing.undecodable.len(), 1);
        let bad = &listing.undecodable[0];
        assert_eq!(bad.id.as_deref(), Some("bad"));
        assert_eq!(
            bad.updated_date_time.as_deref(),
            Some("2025-05-02T00:00:00Z")
        );
        assert!(!bad.reason.is_empty());
    }

    fn strip_nulls(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|_, x| !x.is_null());
                map.values_mut().for_each(strip_nulls);
            }
            Value::Array(items) => items.iter_mut().for_each(strip_nulls),
            _ => {}
        }
    }
}
